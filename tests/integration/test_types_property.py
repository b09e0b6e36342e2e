"""Property-based round trips: every CQL type, nested, with edge values, through the real node.

Each example is written with a prepared statement and read back; the value read must equal the
value written, after the one documented loss of each type (float to 32 bits, timestamps to
milliseconds). Hypothesis drives the edges: empty strings and collections, NaN and infinities,
integer limits, huge varints and decimals, dates far from the epoch, null UDT fields.
"""

from __future__ import annotations

import itertools
import math
import struct
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiocql import AsyncSession, CqlDate, CqlTimestamp, Duration, UserType


def f32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def to_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def date_from_days(days: int) -> date | CqlDate:
    try:
        return EPOCH.date() + timedelta(days=days)
    except OverflowError:
        return CqlDate(days)


def timestamp_from_ms(ms: int) -> datetime | CqlTimestamp:
    try:
        return EPOCH + timedelta(milliseconds=ms)
    except OverflowError:
        return CqlTimestamp(ms)


def same(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN, recursively."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, UserType):
        return same(tuple(a.values()), tuple(b.values())) if isinstance(b, UserType) else False
    return bool(a == b)


ints = st.integers
durations = st.one_of(
    st.builds(
        Duration,
        ints(0, 2**31 - 1),
        ints(0, 2**31 - 1),
        ints(0, 2**63 - 1),
    ),
    st.builds(
        Duration,
        ints(-(2**31), 0),
        ints(-(2**31), 0),
        ints(-(2**63), 0),
    ),
)
utc_datetimes = st.datetimes(timezones=st.just(timezone.utc))

# column name -> (CQL type, strategy, expected value read back for a value written)
Identity: Callable[[Any], Any] = lambda v: v  # noqa: E731
TYPES: dict[str, tuple[str, st.SearchStrategy[Any], Callable[[Any], Any]]] = {
    "c_tinyint": ("tinyint", ints(-(2**7), 2**7 - 1), Identity),
    "c_smallint": ("smallint", ints(-(2**15), 2**15 - 1), Identity),
    "c_int": ("int", ints(-(2**31), 2**31 - 1), Identity),
    "c_bigint": ("bigint", ints(-(2**63), 2**63 - 1), Identity),
    "c_varint": ("varint", ints(-(2**300), 2**300), Identity),
    "c_float": ("float", st.floats(width=32), f32),
    "c_double": ("double", st.floats(), Identity),
    "c_decimal": (
        "decimal",
        st.decimals(allow_nan=False, allow_infinity=False).filter(
            lambda d: abs(d.as_tuple().exponent) < 2**31  # type: ignore[arg-type]
        ),
        Identity,
    ),
    "c_boolean": ("boolean", st.booleans(), Identity),
    "c_text": ("text", st.text(), Identity),
    "c_ascii": ("ascii", st.text(st.characters(max_codepoint=127)), Identity),
    "c_blob": ("blob", st.binary(), Identity),
    "c_uuid": ("uuid", st.uuids(), Identity),
    "c_timeuuid": ("timeuuid", st.uuids(version=1), Identity),
    "c_timestamp": ("timestamp", utc_datetimes, to_ms),
    "c_date": ("date", st.dates(), Identity),
    "c_date_days": ("date", ints(-(2**31), 2**31 - 1), date_from_days),
    "c_timestamp_ms": ("timestamp", ints(-(2**63), 2**63 - 1), timestamp_from_ms),
    "c_time": ("time", st.times(), Identity),
    "c_inet": ("inet", st.ip_addresses(), Identity),
    "c_duration": ("duration", durations, Identity),
    "c_list": ("list<int>", st.lists(ints(-(2**31), 2**31 - 1)), lambda v: v or None),
    "c_set": ("set<text>", st.sets(st.text()), lambda v: v or None),
    "c_map": (
        "map<text, frozen<list<bigint>>>",
        st.dictionaries(st.text(), st.lists(ints(-(2**63), 2**63 - 1))),
        lambda v: v or None,
    ),
    "c_frozen_nested": (
        "frozen<map<frozen<set<int>>, frozen<list<frozen<map<text, double>>>>>>",
        st.dictionaries(
            st.frozensets(ints(-(2**31), 2**31 - 1)),
            st.lists(st.dictionaries(st.text(), st.floats(allow_nan=False))),
        ),
        Identity,
    ),
    "c_tuple": (
        "tuple<int, text, frozen<set<uuid>>, double>",
        st.tuples(
            st.none() | ints(-(2**31), 2**31 - 1),
            st.none() | st.text(),
            st.none() | st.frozensets(st.uuids()),
            st.none() | st.floats(),
        ),
        lambda v: tuple(set(x) if isinstance(x, frozenset) else x for x in v),
    ),
    "c_udt": (
        "frozen<prop_udt>",
        st.fixed_dictionaries(
            {},
            optional={
                "a": st.none() | ints(-(2**31), 2**31 - 1),
                "b": st.none() | st.text(),
                "c": st.none() | st.lists(utc_datetimes),
            },
        ),
        lambda v: UserType(
            "prop_udt",
            {
                "a": v.get("a"),
                "b": v.get("b"),
                "c": None if v.get("c") is None else [to_ms(t) for t in v["c"]],
            },
        ),
    ),
    "c_vector": (
        "vector<float, 4>",
        st.lists(st.floats(width=32), min_size=4, max_size=4),
        lambda v: [f32(x) for x in v],
    ),
    "c_vector_text": ("vector<text, 3>", st.lists(st.text(), min_size=3, max_size=3), Identity),
}


@pytest.fixture(scope="module")
async def prop_table(session: AsyncSession) -> AsyncIterator[str]:
    await session.execute(
        "CREATE TYPE IF NOT EXISTS prop_udt (a int, b text, c frozen<list<timestamp>>)",
        timeout=60,
    )
    columns = ", ".join(f"{name} {cql}" for name, (cql, _, _) in TYPES.items())
    await session.execute(
        f"CREATE TABLE IF NOT EXISTS prop (k int PRIMARY KEY, {columns})", timeout=60
    )
    yield "prop"
    await session.execute("DROP TABLE prop", timeout=60)
    await session.execute("DROP TYPE prop_udt", timeout=60)


keys = itertools.count(1)


@pytest.mark.parametrize("column", list(TYPES))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_round_trip(
    session: AsyncSession, prop_table: str, column: str, data: st.DataObject
) -> None:
    _, strategy, expected_of = TYPES[column]
    value = data.draw(strategy, label=column)
    key = next(keys)
    insert = await session.prepare(f"INSERT INTO {prop_table} (k, {column}) VALUES (?, ?)")
    select = await session.prepare(f"SELECT {column} FROM {prop_table} WHERE k = ?")
    await session.execute(insert, (key, value))
    row = (await session.execute(select, (key,))).one()
    assert row is not None
    expected = expected_of(value)
    assert same(row[0], expected), f"wrote {value!r}, read {row[0]!r}, expected {expected!r}"
