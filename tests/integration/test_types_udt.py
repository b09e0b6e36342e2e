"""User-defined types, both ways, nested, frozen and not, from dicts, dataclasses and values."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest

from aiocql import AsyncSession, ParameterTypeError, ParameterValueError, UserType


@dataclass
class Address:
    street: str
    city: str
    zip: int | None = None


class Point(NamedTuple):
    x: float
    y: float


@pytest.fixture(scope="module")
async def udt_table(session: AsyncSession) -> AsyncIterator[str]:
    statements = [
        "CREATE TYPE IF NOT EXISTS address (street text, city text, zip int, "
        "tags frozen<set<text>>)",
        "CREATE TYPE IF NOT EXISTS point (x double, y double)",
        "CREATE TYPE IF NOT EXISTS person (name text, home frozen<address>, "
        "spots frozen<list<frozen<point>>>)",
        "CREATE TABLE IF NOT EXISTS udts (k int PRIMARY KEY, addr frozen<address>, "
        "addr_free address, person frozen<person>, addrs list<frozen<address>>, "
        "pts set<frozen<point>>, by_name map<text, frozen<point>>)",
    ]
    for statement in statements:
        await session.execute(statement, timeout=60)
    yield "udts"
    for statement in (
        "DROP TABLE udts",
        "DROP TYPE person",
        "DROP TYPE address",
        "DROP TYPE point",
    ):
        await session.execute(statement, timeout=60)


ADDRESS = {"street": "1 Main St", "city": "Springfield", "zip": 12345, "tags": {"home"}}
FULL = dict(ADDRESS)

CASES: list[tuple[str, Any, Any]] = [
    ("addr", ADDRESS, FULL),
    ("addr", UserType("address", ADDRESS), FULL),
    (
        "addr",
        Address("2 Elm", "Shelbyville"),
        {**FULL, "street": "2 Elm", "city": "Shelbyville", "zip": None, "tags": None},
    ),
    (
        "addr",
        {"city": "Ogdenville"},
        {"street": None, "city": "Ogdenville", "zip": None, "tags": None},
    ),
    ("addr_free", ADDRESS, FULL),
    (
        "person",
        {"name": "Ned", "home": ADDRESS, "spots": [Point(1.0, 2.0), {"x": 3.0, "y": None}]},
        {"name": "Ned", "home": FULL, "spots": [{"x": 1.0, "y": 2.0}, {"x": 3.0, "y": None}]},
    ),
    (
        "addrs",
        [ADDRESS, {"street": "x"}],
        [FULL, {"street": "x", "city": None, "zip": None, "tags": None}],
    ),
]


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "string"])
@pytest.mark.parametrize(("column", "value", "expected"), CASES)
async def test_udt_round_trip(
    session: AsyncSession,
    udt_table: str,
    column: str,
    value: Any,
    expected: Any,
    prepared: bool,
) -> None:
    key = abs(hash((column, repr(value), prepared))) % 2**31
    insert = f"INSERT INTO {udt_table} (k, {column}) VALUES (?, ?)"
    select = f"SELECT {column} FROM {udt_table} WHERE k = ?"
    if prepared:
        await session.execute(await session.prepare(insert), (key, value))
        row = (await session.execute(await session.prepare(select), (key,))).one()
    else:
        await session.execute(insert, (key, value))
        row = (await session.execute(select, (key,))).one()
    assert row is not None
    assert row[0] == expected


async def test_udt_value_access(session: AsyncSession, udt_table: str) -> None:
    await session.execute(
        f"INSERT INTO {udt_table} (k, person, pts, by_name) VALUES (?, ?, ?, ?)",
        (1, {"name": "Ned", "home": ADDRESS}, {Point(1.0, 2.0)}, {"a": Point(0.5, 0.0)}),
    )
    row = (await session.execute(f"SELECT * FROM {udt_table} WHERE k = 1")).one()
    assert row is not None
    person = row.person
    assert isinstance(person, UserType)
    assert person.name == "Ned"
    assert person["home"].city == "Springfield"
    assert person.home.tags == {"home"}
    assert person.spots is None
    assert person._fields == ("name", "home", "spots")
    assert list(person.keys()) == ["name", "home", "spots"]
    assert person._asdict()["name"] == "Ned"
    assert person._type_name == "aiocql_test.person"
    assert repr(person).startswith("person(name='Ned', home=address(")
    with pytest.raises(AttributeError, match="no field 'age'"):
        _ = person.age
    with pytest.raises(KeyError):
        _ = person["age"]
    with pytest.raises(AttributeError, match="read-only"):
        person.name = "x"
    assert pickle.loads(pickle.dumps(person)) == person
    # UDTs inside sets and as map values are hashable values.
    assert row.pts == {UserType("point", {"x": 1.0, "y": 2.0})}
    assert row.by_name["a"] == {"x": 0.5, "y": 0.0}


BAD: list[tuple[Any, type[Exception], str]] = [
    ({"street": "x", "country": "y"}, ParameterValueError, "no field 'country'"),
    ({"zip": "12345"}, ParameterTypeError, "field 'zip'"),
    ("1 Main St", ParameterTypeError, "user type aiocql_test.address"),
    (42, ParameterTypeError, "aiocql_test.address"),
]


@pytest.mark.parametrize(("value", "error", "fragment"), BAD)
async def test_bad_udt_values(
    session: AsyncSession, udt_table: str, value: Any, error: type[Exception], fragment: str
) -> None:
    insert = await session.prepare(f"INSERT INTO {udt_table} (k, addr) VALUES (?, ?)")
    with pytest.raises(error, match=fragment) as info:
        await session.execute(insert, (-1, value))
    assert "column 'addr'" in str(info.value)
    assert (await session.execute(f"SELECT k FROM {udt_table} WHERE k = -1")).one() is None


@dataclass(frozen=True)
class Location:
    x: float | None
    y: float | None


async def test_registered_class_is_built_for_udt_values(
    contact_points: list[str], session: AsyncSession, udt_table: str
) -> None:
    from aiocql import AsyncCluster

    async with AsyncCluster(contact_points) as cluster:
        own = await cluster.connect("aiocql_test")
        await own.execute(
            f"INSERT INTO {udt_table} (k, pts, person) VALUES (?, ?, ?)",
            (50, {Point(1.0, 2.0)}, {"name": "Maude", "spots": [Location(3.0, None)]}),
        )
        select = f"SELECT pts, person FROM {udt_table} WHERE k = 50"
        before = (await own.execute(select)).one()
        assert before is not None
        assert isinstance(before.person.spots[0], UserType)
        # Registering applies to sessions already open, for this cluster only.
        cluster.register_user_type("aiocql_test", "point", Location)
        row = (await own.execute(select)).one()
        assert row is not None
        assert row.person.spots == [Location(3.0, None)]
        assert row.pts == {Location(1.0, 2.0)}
        assert isinstance(row.person, UserType)  # person itself is not registered
        other = (await session.execute(select)).one()
        assert other is not None
        assert isinstance(other.person.spots[0], UserType)
    with pytest.raises(TypeError, match="callable"):
        cluster.register_user_type("aiocql_test", "point", 5)  # type: ignore[arg-type]
