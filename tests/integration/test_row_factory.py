"""row_factory: Row (default), tuple, dict, or any class built from the columns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from aiocql import AsyncSession, Row


@dataclass
class User:
    id: int
    name: str


@pytest.fixture
async def users(fresh_session: AsyncSession, table_name: str) -> AsyncIterator[str]:
    await fresh_session.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, name text)")
    insert = await fresh_session.prepare(f"INSERT INTO {table_name} (id, name) VALUES (?, ?)")
    for uid, name in [(1, "ada"), (2, "alan")]:
        await fresh_session.execute(insert, (uid, name))
    yield table_name
    await fresh_session.execute(f"DROP TABLE {table_name}")


async def test_default_rows(fresh_session: AsyncSession, users: str) -> None:
    assert fresh_session.row_factory is None
    row = (await fresh_session.execute(f"SELECT id, name FROM {users} WHERE id = 1")).one()
    assert isinstance(row, Row)
    assert row == (1, "ada")


@pytest.mark.parametrize(
    ("factory", "expected"),
    [
        (tuple, (1, "ada")),
        (dict, {"id": 1, "name": "ada"}),
        (User, User(1, "ada")),
        (lambda **columns: sorted(columns), ["id", "name"]),
    ],
    ids=["tuple", "dict", "dataclass", "callable"],
)
async def test_per_call_factory(
    fresh_session: AsyncSession, users: str, factory: object, expected: object
) -> None:
    query = f"SELECT id, name FROM {users} WHERE id = ?"
    rs = await fresh_session.execute(query, [1], row_factory=factory)  # type: ignore[arg-type]
    assert rs.one() == expected
    assert type(rs.one()) is type(expected)
    # The next call without one gets Rows again.
    assert isinstance((await fresh_session.execute(query, [1])).one(), Row)


async def test_session_factory_applies_until_reset(fresh_session: AsyncSession, users: str) -> None:
    fresh_session.row_factory = dict
    assert fresh_session.row_factory is dict
    rows = (await fresh_session.execute(f"SELECT id, name FROM {users}")).all()
    assert sorted(r["id"] for r in rows) == [1, 2]
    assert all(type(r) is dict for r in rows)
    # A call's factory wins over the session's.
    one = (
        await fresh_session.execute(f"SELECT id FROM {users} WHERE id = 2", row_factory=tuple)
    ).one()
    assert one == (2,)
    fresh_session.row_factory = None
    assert isinstance((await fresh_session.execute(f"SELECT id FROM {users}")).one(), Row)


async def test_was_applied_works_with_any_factory(fresh_session: AsyncSession, users: str) -> None:
    lwt = f"INSERT INTO {users} (id, name) VALUES (1, 'again') IF NOT EXISTS"
    rs = await fresh_session.execute(lwt, row_factory=tuple)
    assert rs.was_applied is False
    assert rs.one()[0] is False


async def test_bad_factories(fresh_session: AsyncSession, users: str) -> None:
    with pytest.raises(TypeError, match="row_factory"):
        fresh_session.row_factory = 5  # type: ignore[assignment]
    with pytest.raises(TypeError, match="row_factory"):
        await fresh_session.execute("SELECT * FROM system.local", row_factory="dict")  # type: ignore[arg-type]

    @dataclass
    class Wrong:
        id: int

    # The factory's own error reaches the caller unchanged.
    with pytest.raises(TypeError, match="name"):
        await fresh_session.execute(f"SELECT id, name FROM {users}", row_factory=Wrong)
