"""tuple, vector, duration and far-off dates, both ways, via prepared and string queries."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from aiocql import (
    EMPTY,
    UNSET_VALUE,
    AsyncSession,
    CqlDate,
    CqlTimestamp,
    Duration,
    ParameterTypeError,
    ParameterValueError,
)

COLUMNS = {
    "tup": "tuple<int, text, double>",
    "nested": "tuple<int, frozen<list<text>>, frozen<tuple<boolean, bigint>>>",
    "tups": "list<frozen<tuple<int, text>>>",
    "tupset": "set<frozen<tuple<int, frozen<list<int>>>>>",
    "vec": "vector<float, 3>",
    "vecd": "vector<double, 2>",
    "vect": "vector<text, 2>",
    "veci": "vector<int, 3>",
    "dur": "duration",
    "durs": "list<duration>",
}


def f32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


@pytest.fixture(scope="module")
async def composite_table(session: AsyncSession) -> AsyncIterator[str]:
    columns = ", ".join(f"{name} {cql}" for name, cql in COLUMNS.items())
    await session.execute(
        f"CREATE TABLE IF NOT EXISTS composite (k int PRIMARY KEY, {columns})", timeout=60
    )
    yield "composite"
    await session.execute("DROP TABLE composite", timeout=60)


ROUND_TRIPS: list[tuple[str, Any, Any]] = [
    ("tup", (1, "a", 2.5), (1, "a", 2.5)),
    ("tup", [1, "a", 2.5], (1, "a", 2.5)),
    ("tup", (None, None, None), (None, None, None)),
    ("tup", (-(2**31), "", float("inf")), (-(2**31), "", float("inf"))),
    ("nested", (7, ["x", "y"], (True, 2**62)), (7, ["x", "y"], (True, 2**62))),
    ("tups", [(1, "a"), (2, None)], [(1, "a"), (2, None)]),
    ("tupset", {(1, (2, 3))}, {(1, (2, 3))}),
    ("vec", [0.1, -2.0, 3.5], [f32(0.1), -2.0, 3.5]),
    ("vec", (1, 2, 3), [1.0, 2.0, 3.0]),
    ("vecd", [0.1, 1e300], [0.1, 1e300]),
    ("vect", ["héllo", ""], ["héllo", ""]),
    ("veci", [1, -2, 2**31 - 1], [1, -2, 2**31 - 1]),
    ("dur", Duration(1, 2, 3), Duration(1, 2, 3)),
    ("dur", Duration(-14, -3, -1), Duration(-14, -3, -1)),
    ("dur", Duration(0, 0, 2**63 - 1), Duration(0, 0, 2**63 - 1)),
    ("dur", Duration(), Duration()),
    ("dur", timedelta(days=1, microseconds=5), Duration(0, 0, 86_400_000_005_000)),
    ("dur", timedelta(seconds=-1), Duration(0, 0, -1_000_000_000)),
    ("durs", [Duration(1), Duration(days=2)], [Duration(1), Duration(days=2)]),
]


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "string"])
@pytest.mark.parametrize(
    ("column", "value", "expected"),
    ROUND_TRIPS,
    ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(ROUND_TRIPS)],
)
async def test_round_trip(
    session: AsyncSession,
    composite_table: str,
    column: str,
    value: Any,
    expected: Any,
    prepared: bool,
) -> None:
    key = abs(hash((column, repr(value), prepared))) % 2**31
    insert = f"INSERT INTO {composite_table} (k, {column}) VALUES (?, ?)"
    select = f"SELECT {column} FROM {composite_table} WHERE k = ?"
    if prepared:
        await session.execute(await session.prepare(insert), (key, value))
        row = (await session.execute(await session.prepare(select), (key,))).one()
    else:
        await session.execute(insert, (key, value))
        row = (await session.execute(select, (key,))).one()
    assert row is not None
    assert row[0] == expected
    assert type(row[0]) is type(expected)


BAD_VALUES: list[tuple[str, Any, type[Exception], str]] = [
    ("tup", (1, "a"), ParameterValueError, "3 elements"),
    ("tup", 5, ParameterTypeError, "tuple"),
    ("tup", (1, 2, 3.0), ParameterTypeError, "element 1"),
    ("vec", [1.0, 2.0], ParameterValueError, "expected 3 values"),
    ("vec", [1.0, None, 2.0], ParameterValueError, "element 1"),
    ("vec", "abc", ParameterTypeError, "vector<float, 3>"),
    ("vec", [1.0, "x", 2.0], ParameterTypeError, "element 1"),
    ("veci", [1, 2, 2**31], ParameterValueError, "element 2"),
    ("dur", 5, ParameterTypeError, "Duration"),
    ("dur", timedelta(days=200_000), ParameterValueError, "too long"),
]


@pytest.mark.parametrize(
    ("column", "value", "error", "fragment"),
    BAD_VALUES,
    ids=[f"{c}-{i}" for i, (c, *_) in enumerate(BAD_VALUES)],
)
async def test_bad_values_are_refused_before_sending(
    session: AsyncSession,
    composite_table: str,
    column: str,
    value: Any,
    error: type[Exception],
    fragment: str,
) -> None:
    insert = await session.prepare(f"INSERT INTO {composite_table} (k, {column}) VALUES (?, ?)")
    with pytest.raises(error, match=fragment) as info:
        await session.execute(insert, (-1, value))
    assert f"column '{column}'" in str(info.value)
    rows = await session.execute(f"SELECT k FROM {composite_table} WHERE k = -1")
    assert rows.one() is None


def test_duration_rejects_mixed_signs_and_prints_cql() -> None:
    with pytest.raises(ValueError, match="signs"):
        Duration(1, -1, 0)
    assert str(Duration(14, 3, 3_600_000_000_123)) == "1y2mo3d1h123ns"
    assert str(Duration(0, -5, 0)) == "-5d"
    assert str(Duration()) == "0s"


@pytest.fixture(scope="module")
async def temporal_table(session: AsyncSession) -> AsyncIterator[str]:
    await session.execute(
        "CREATE TABLE IF NOT EXISTS far_dates (k int PRIMARY KEY, d date, ts timestamp)",
        timeout=60,
    )
    yield "far_dates"
    await session.execute("DROP TABLE far_dates", timeout=60)


MS_PER_DAY = 86_400_000
DAYS_TO_YEAR_1 = -719_162  # 0001-01-01
DAYS_AFTER_9999 = 2_932_897  # 10000-01-01


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (DAYS_TO_YEAR_1, date(1, 1, 1)),
        (DAYS_TO_YEAR_1 - 1, CqlDate(DAYS_TO_YEAR_1 - 1)),
        (DAYS_AFTER_9999 - 1, date(9999, 12, 31)),
        (DAYS_AFTER_9999, CqlDate(DAYS_AFTER_9999)),
        (-(2**31), CqlDate(-(2**31))),
        (2**31 - 1, CqlDate(2**31 - 1)),
        (CqlDate(-5_000_000), CqlDate(-5_000_000)),
        (CqlDate(10), date(1970, 1, 11)),
    ],
)
async def test_dates_outside_python_range_come_back_explicitly(
    session: AsyncSession, temporal_table: str, given: Any, expected: Any
) -> None:
    insert = await session.prepare(f"INSERT INTO {temporal_table} (k, d) VALUES (?, ?)")
    await session.execute(insert, (1, given))
    row = (await session.execute(f"SELECT d FROM {temporal_table} WHERE k = 1")).one()
    assert row is not None
    assert row.d == expected
    assert type(row.d) is type(expected)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (DAYS_TO_YEAR_1 * MS_PER_DAY, datetime(1, 1, 1, tzinfo=timezone.utc)),
        (DAYS_TO_YEAR_1 * MS_PER_DAY - 1, CqlTimestamp(DAYS_TO_YEAR_1 * MS_PER_DAY - 1)),
        (DAYS_AFTER_9999 * MS_PER_DAY, CqlTimestamp(DAYS_AFTER_9999 * MS_PER_DAY)),
        (2**63 - 1, CqlTimestamp(2**63 - 1)),
        (-(2**63), CqlTimestamp(-(2**63))),
        (CqlTimestamp(-(10**15)), CqlTimestamp(-(10**15))),
    ],
)
async def test_timestamps_outside_python_range_come_back_explicitly(
    session: AsyncSession, temporal_table: str, given: Any, expected: Any
) -> None:
    insert = await session.prepare(f"INSERT INTO {temporal_table} (k, ts) VALUES (?, ?)")
    await session.execute(insert, (2, given))
    row = (await session.execute(f"SELECT ts FROM {temporal_table} WHERE k = 2")).one()
    assert row is not None
    assert row.ts == expected
    assert type(row.ts) is type(expected)


# Types whose zero-length value Cassandra accepts (smallint, tinyint, date and time refuse it).
EMPTY_TYPES = [
    "int",
    "bigint",
    "varint",
    "double",
    "float",
    "decimal",
    "boolean",
    "uuid",
    "timeuuid",
    "timestamp",
    "inet",
]


@pytest.fixture(scope="module")
async def empty_table(session: AsyncSession) -> AsyncIterator[str]:
    columns = ", ".join(f"c_{t} {t}" for t in EMPTY_TYPES)
    await session.execute(
        f"CREATE TABLE IF NOT EXISTS empties (k int PRIMARY KEY, s text, b blob, {columns})",
        timeout=60,
    )
    yield "empties"
    await session.execute("DROP TABLE empties", timeout=60)


@pytest.mark.parametrize("cql_type", EMPTY_TYPES)
async def test_empty_values_read_back_as_empty_not_none(
    session: AsyncSession, empty_table: str, cql_type: str
) -> None:
    # Written by the server itself, as another driver or cqlsh could.
    await session.execute(
        f"INSERT INTO {empty_table} (k, c_{cql_type}) VALUES (1, blobAs{cql_type}(0x))"
    )
    row = (await session.execute(f"SELECT c_{cql_type} FROM {empty_table} WHERE k = 1")).one()
    assert row is not None
    assert row[0] is EMPTY
    # And EMPTY as a parameter writes the same zero-length value.
    insert = await session.prepare(f"INSERT INTO {empty_table} (k, c_{cql_type}) VALUES (2, ?)")
    await session.execute(insert, [EMPTY])
    row = (await session.execute(f"SELECT c_{cql_type} FROM {empty_table} WHERE k = 2")).one()
    assert row is not None
    assert row[0] is EMPTY


async def test_empty_text_and_blob_are_real_values(session: AsyncSession, empty_table: str) -> None:
    await session.execute(f"INSERT INTO {empty_table} (k, s, b) VALUES (3, ?, ?)", ["", b""])
    row = (await session.execute(f"SELECT s, b FROM {empty_table} WHERE k = 3")).one()
    assert row == ("", b"")


async def test_unset_value_leaves_the_column_alone(session: AsyncSession, empty_table: str) -> None:
    insert = await session.prepare(f"INSERT INTO {empty_table} (k, c_int, s) VALUES (4, ?, ?)")
    await session.execute(insert, [1, "first"])
    await session.execute(insert, [UNSET_VALUE, "second"])
    row = (await session.execute(f"SELECT c_int, s FROM {empty_table} WHERE k = 4")).one()
    assert row == (1, "second")
    await session.execute(insert, [None, UNSET_VALUE])  # None writes a null
    row = (await session.execute(f"SELECT c_int, s FROM {empty_table} WHERE k = 4")).one()
    assert row == (None, "second")


async def test_unset_inside_a_collection_is_refused(
    session: AsyncSession, composite_table: str
) -> None:
    insert = await session.prepare(f"INSERT INTO {composite_table} (k, tup) VALUES (?, ?)")
    with pytest.raises(ParameterValueError, match="UNSET_VALUE"):
        await session.execute(insert, (-2, (1, UNSET_VALUE, 2.0)))
