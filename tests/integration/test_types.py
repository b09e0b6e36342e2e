"""Every supported CQL type, written and read back through a real table.

Each value goes in twice: through an explicitly prepared statement and through a parameterised
string query (which the session prepares and caches). What comes back must be the documented
Python value, of the documented type.
"""

from __future__ import annotations

import itertools
import math
import struct
import types
import uuid
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import pytest

from aiocql import AsyncSession, ParameterTypeError, ParameterValueError, PreparedStatement

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
F32_MAX = struct.unpack(">f", struct.pack(">I", 0x7F7FFFFF))[0]
UUID4 = uuid.UUID("8f14e45f-ceea-467f-a8f6-3c5d8a6f2b11")
UUID1 = uuid.UUID("e7a1f2b0-8d3c-11ee-b9d1-0242ac120002")
assert UUID4.version == 4
assert UUID1.version == 1


def f32(value: float) -> float:
    """``value`` rounded to the nearest 32-bit float, as a CQL float column stores it."""
    rounded: float = struct.unpack(">f", struct.pack(">f", value))[0]
    return rounded


class IntLike:
    """Not an int, but usable as one through ``__index__`` (like numpy integers)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


# column -> (CQL type, a non-null sample value)
COLUMNS: dict[str, tuple[str, Any]] = {
    "c_tinyint": ("tinyint", 7),
    "c_smallint": ("smallint", 7),
    "c_int": ("int", 7),
    "c_bigint": ("bigint", 7),
    "c_varint": ("varint", 7),
    "c_boolean": ("boolean", True),
    "c_float": ("float", 1.5),
    "c_double": ("double", 1.5),
    "c_decimal": ("decimal", Decimal("1.5")),
    "c_text": ("text", "x"),
    "c_varchar": ("varchar", "x"),
    "c_ascii": ("ascii", "x"),
    "c_blob": ("blob", b"x"),
    "c_uuid": ("uuid", UUID4),
    "c_timeuuid": ("timeuuid", UUID1),
    "c_timestamp": ("timestamp", EPOCH),
    "c_date": ("date", date(2000, 1, 1)),
    "c_time": ("time", time(1, 2, 3)),
    "c_inet": ("inet", IPv4Address("127.0.0.1")),
    "c_list_int": ("list<int>", [1]),
    "c_set_text": ("set<text>", {"x"}),
    "c_map_text_int": ("map<text, int>", {"x": 1}),
    "c_list_timestamp": ("list<timestamp>", [EPOCH]),
    "c_set_uuid": ("set<uuid>", {UUID4}),
    "c_map_inet_decimal": ("map<inet, decimal>", {IPv4Address("10.0.0.1"): Decimal("1")}),
    "c_list_blob": ("list<blob>", [b"x"]),
    "c_set_date": ("set<date>", {date(2000, 1, 1)}),
    "c_list_double": ("list<double>", [1.5]),
    "c_list_of_lists": ("list<frozen<list<int>>>", [[1]]),
    "c_set_of_sets": ("set<frozen<set<int>>>", {frozenset({1})}),
    "c_set_of_lists": ("set<frozen<list<text>>>", {("x",)}),
    "c_map_of_lists": ("map<text, frozen<list<int>>>", {"x": [1]}),
    "c_map_set_keys": ("map<frozen<set<int>>, text>", {frozenset({1}): "x"}),
    "c_list_of_maps": ("list<frozen<map<text, int>>>", [{"x": 1}]),
    "c_frozen_map": ("frozen<map<text, frozen<set<bigint>>>>", {"x": {1}}),
    "c_frozen_list": ("frozen<list<varint>>", [1]),
}

_keys = itertools.count(1)


@pytest.fixture(scope="module")
async def types_table(session: AsyncSession) -> str:
    """One table with a column of every type in COLUMNS, keyed by ``k int``."""
    name = f"t_types_{uuid.uuid4().hex[:12]}"
    columns = ", ".join(f"{column} {cql_type}" for column, (cql_type, _) in COLUMNS.items())
    await session.execute(f"CREATE TABLE {name} (k int PRIMARY KEY, {columns})")
    return name


async def _execute(session: AsyncSession, path: str, query: str, values: list[Any]) -> None:
    """Runs ``query`` as a prepared statement or as a parameterised string."""
    if path == "prepared":
        prepared: PreparedStatement = await session.prepare(query)
        await session.execute(prepared, values)
    else:
        await session.execute(query, values)


async def _write(
    session: AsyncSession, path: str, table: str, column: str, key: int, value: Any
) -> None:
    await _execute(session, path, f"INSERT INTO {table} (k, {column}) VALUES (?, ?)", [key, value])


async def _read(session: AsyncSession, table: str, column: str, key: int) -> Any:
    rs = await session.execute(f"SELECT {column} FROM {table} WHERE k = ?", [key])
    row = rs.one()
    assert row is not None, f"row {key} was not written"
    cql_type = COLUMNS[column][0]
    if "frozen" not in cql_type:
        assert rs.column_types == [cql_type.replace("varchar", "text")]
    return row[0]


def assert_same(actual: Any, expected: Any) -> None:
    """Equal, of the same type, down to what ``==`` ignores (NaN, -0.0, Decimal exponents,
    time zones)."""
    assert type(actual) is type(expected), f"{actual!r} is not a {type(expected).__name__}"
    if isinstance(expected, float):
        if math.isnan(expected):
            assert math.isnan(actual)
        else:
            assert actual == expected
            assert math.copysign(1, actual) == math.copysign(1, expected)
    elif isinstance(expected, Decimal):
        assert str(actual) == str(expected)
    elif isinstance(expected, datetime):
        assert actual == expected
        assert actual.tzinfo is UTC
    elif isinstance(expected, list | tuple):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_same(a, e)
    elif isinstance(expected, dict):
        assert actual.keys() == expected.keys()
        for key in expected:
            assert_same(actual[key], expected[key])
    else:
        assert actual == expected


def case(column: str, value: Any, expected: Any = ..., *, id: str) -> Any:
    return pytest.param(column, value, value if expected is ... else expected, id=id)


ROUND_TRIPS = [
    # integers
    case("c_tinyint", -128, id="tinyint-min"),
    case("c_tinyint", 127, id="tinyint-max"),
    case("c_tinyint", 0, id="tinyint-zero"),
    case("c_smallint", -32768, id="smallint-min"),
    case("c_smallint", 32767, id="smallint-max"),
    case("c_int", -(2**31), id="int-min"),
    case("c_int", 2**31 - 1, id="int-max"),
    case("c_int", IntLike(42), 42, id="int-from-index"),
    case("c_bigint", -(2**63), id="bigint-min"),
    case("c_bigint", 2**63 - 1, id="bigint-max"),
    case("c_varint", 0, id="varint-zero"),
    case("c_varint", -1, id="varint-minus-one"),
    case("c_varint", 128, id="varint-128"),
    case("c_varint", -129, id="varint-minus-129"),
    case("c_varint", 2**64, id="varint-2**64"),
    case("c_varint", -(2**127), id="varint-i128-min"),
    case("c_varint", 2**128, id="varint-beyond-i128"),
    case("c_varint", 10**100, id="varint-googol"),
    case("c_varint", -(10**100) + 7, id="varint-huge-negative"),
    case("c_varint", IntLike(-5), -5, id="varint-from-index"),
    # boolean
    case("c_boolean", True, id="boolean-true"),
    case("c_boolean", False, id="boolean-false"),
    # float (32-bit) and double
    case("c_float", 0.1, f32(0.1), id="float-rounds-to-32-bit"),
    case("c_float", 1.5, id="float-exact"),
    case("c_float", 3, 3.0, id="float-from-int"),
    case("c_float", F32_MAX, id="float-max"),
    case("c_float", -0.0, id="float-negative-zero"),
    case("c_float", 1e-45, f32(1e-45), id="float-subnormal"),
    case("c_float", math.nan, id="float-nan"),
    case("c_float", math.inf, id="float-inf"),
    case("c_float", -math.inf, id="float-minus-inf"),
    case("c_double", 0.1, id="double-exact"),
    case("c_double", 1.7976931348623157e308, id="double-max"),
    case("c_double", 5e-324, id="double-subnormal"),
    case("c_double", -0.0, id="double-negative-zero"),
    case("c_double", 2**53, float(2**53), id="double-from-int"),
    case("c_double", math.nan, id="double-nan"),
    case("c_double", math.inf, id="double-inf"),
    case("c_double", -math.inf, id="double-minus-inf"),
    # decimal: exact, exponent preserved
    case("c_decimal", Decimal("1.5"), id="decimal-simple"),
    case("c_decimal", Decimal("-0.001"), id="decimal-negative"),
    case("c_decimal", Decimal("0E-10"), id="decimal-zero-with-exponent"),
    case("c_decimal", Decimal("1.2345E+400"), id="decimal-big-exponent"),
    case("c_decimal", Decimal("-9.87E-300"), id="decimal-small-exponent"),
    case(
        "c_decimal",
        Decimal("-123456789012345678901234567890123456789012345.678901234567890"),
        id="decimal-many-digits",
    ),
    case("c_decimal", 42, Decimal("42"), id="decimal-from-int"),
    case("c_decimal", -(10**50), Decimal(-(10**50)), id="decimal-from-huge-int"),
    # A float is taken exactly, as cassandra-driver takes it: every binary digit of 0.1.
    case("c_decimal", 0.1, Decimal(0.1), id="decimal-from-float-exactly"),  # noqa: RUF032 - exactly that float
    case("c_decimal", -2.5e-300, Decimal(-2.5e-300), id="decimal-from-tiny-float"),  # noqa: RUF032
    # text
    case("c_text", "hello", id="text-ascii"),
    case("c_text", "héllo wörld ✓ 𝄞 日本語 🎉", id="text-unicode"),
    case("c_text", "", id="text-empty"),
    case("c_text", "nul\x00inside", id="text-nul"),
    case("c_text", "ü" * 50_000, id="text-long"),
    case("c_varchar", "varchar ✓", id="varchar-unicode"),
    case("c_ascii", "plain ASCII ~!@#\x7f", id="ascii"),
    case("c_ascii", "", id="ascii-empty"),
    # blob
    case("c_blob", bytes(range(256)), id="blob-bytes"),
    case("c_blob", b"", id="blob-empty"),
    case("c_blob", bytearray(b"\x00\xff"), b"\x00\xff", id="blob-bytearray"),
    case("c_blob", memoryview(b"view"), b"view", id="blob-memoryview"),
    case("c_blob", memoryview(b"0123456789")[2:5], b"234", id="blob-memoryview-slice"),
    # uuid
    case("c_uuid", UUID4, id="uuid-v4"),
    case("c_uuid", UUID1, id="uuid-v1"),
    case("c_uuid", uuid.UUID(int=0), id="uuid-nil"),
    case("c_timeuuid", UUID1, id="timeuuid"),
    # timestamp: UTC, millisecond precision
    case(
        "c_timestamp",
        datetime(2024, 2, 29, 12, 34, 56, 789123, tzinfo=UTC),
        datetime(2024, 2, 29, 12, 34, 56, 789000, tzinfo=UTC),
        id="timestamp-utc-truncated-to-ms",
    ),
    case(
        "c_timestamp",
        datetime(2024, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2023, 12, 31, 19, 0, tzinfo=UTC),
        id="timestamp-positive-offset",
    ),
    case(
        "c_timestamp",
        datetime(2024, 7, 1, 20, 0, 0, 1000, tzinfo=timezone(timedelta(hours=-8))),
        datetime(2024, 7, 2, 4, 0, 0, 1000, tzinfo=UTC),
        id="timestamp-negative-offset",
    ),
    case(
        "c_timestamp",
        datetime(2024, 6, 1, 12, 0, 0, 123456),
        datetime(2024, 6, 1, 12, 0, 0, 123000, tzinfo=UTC),
        id="timestamp-naive-is-utc",
    ),
    case("c_timestamp", EPOCH, id="timestamp-epoch"),
    case(
        "c_timestamp",
        datetime(1969, 12, 31, 23, 59, 59, 999500, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        id="timestamp-before-epoch-floors",
    ),
    case("c_timestamp", datetime(1, 1, 1, tzinfo=UTC), id="timestamp-min"),
    case(
        "c_timestamp",
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        id="timestamp-max",
    ),
    case(
        "c_timestamp",
        date(2024, 5, 6),
        datetime(2024, 5, 6, tzinfo=UTC),
        id="timestamp-from-date-is-midnight-utc",
    ),
    case(
        "c_timestamp",
        1_700_000_000_123,
        EPOCH + timedelta(milliseconds=1_700_000_000_123),
        id="timestamp-from-epoch-ms",
    ),
    case("c_timestamp", -1, EPOCH - timedelta(milliseconds=1), id="timestamp-from-negative-ms"),
    # date
    case("c_date", date.min, id="date-min"),
    case("c_date", date.max, id="date-max"),
    case("c_date", date(1970, 1, 1), id="date-epoch"),
    case("c_date", date(2024, 2, 29), id="date-leap-day"),
    case("c_date", 0, date(1970, 1, 1), id="date-from-days-zero"),
    case("c_date", -1, date(1969, 12, 31), id="date-from-negative-days"),
    # time
    case("c_time", time(0, 0), id="time-midnight"),
    case("c_time", time(23, 59, 59, 999999), id="time-last-microsecond"),
    case("c_time", time(12, 34, 56, 789012), id="time-microseconds"),
    case("c_time", 1_999, time(0, 0, 0, 1), id="time-from-nanoseconds"),
    case("c_time", 86_399_999_999_999, time(23, 59, 59, 999999), id="time-last-nanosecond"),
    # inet
    case("c_inet", IPv4Address("192.168.1.10"), id="inet-ipv4"),
    case("c_inet", IPv6Address("2001:db8::1"), id="inet-ipv6"),
    case("c_inet", "10.0.0.1", IPv4Address("10.0.0.1"), id="inet-ipv4-str"),
    case("c_inet", " ::1 ", IPv6Address("::1"), id="inet-ipv6-str"),
    case("c_inet", IPv6Address("::ffff:1.2.3.4"), id="inet-ipv4-mapped-ipv6"),
    # collections
    case("c_list_int", [3, 1, 2, 1], id="list-int"),
    case("c_list_int", (4, 5), [4, 5], id="list-int-from-tuple"),
    case("c_set_text", {"b", "a", "ü"}, id="set-text"),
    case("c_set_text", frozenset({"a"}), {"a"}, id="set-text-from-frozenset"),
    case("c_set_text", ["a", "b", "a"], {"a", "b"}, id="set-text-from-list"),
    case("c_map_text_int", {"b": 2, "a": 1}, {"a": 1, "b": 2}, id="map-text-int"),
    case(
        "c_map_text_int",
        types.MappingProxyType({"x": -1}),
        {"x": -1},
        id="map-text-int-from-mapping",
    ),
    case(
        "c_list_timestamp",
        [datetime(2020, 1, 1, 0, 0, 0, 1500, tzinfo=UTC), datetime(2020, 1, 2)],
        [
            datetime(2020, 1, 1, 0, 0, 0, 1000, tzinfo=UTC),
            datetime(2020, 1, 2, tzinfo=UTC),
        ],
        id="list-timestamp",
    ),
    case("c_set_uuid", {UUID4, UUID1}, id="set-uuid"),
    case(
        "c_map_inet_decimal",
        {IPv4Address("10.0.0.1"): Decimal("1.10"), IPv6Address("::1"): Decimal("-2E+5")},
        id="map-inet-decimal",
    ),
    case("c_list_blob", [b"a", bytearray(b"b"), b""], [b"a", b"b", b""], id="list-blob"),
    case("c_set_date", {date.min, date.max}, id="set-date"),
    case("c_list_double", [math.inf, -0.0, 0.1], id="list-double"),
    case("c_list_of_lists", [[1, 2], [], [3]], id="list-of-frozen-lists"),
    case(
        "c_set_of_sets",
        {frozenset({1, 2}), frozenset()},
        id="set-of-frozen-sets-come-back-as-frozensets",
    ),
    case(
        "c_set_of_lists",
        {("a", "b"), ()},
        id="set-of-frozen-lists-come-back-as-tuples",
    ),
    case("c_set_of_lists", [["a", "b"]], {("a", "b")}, id="set-of-frozen-lists-from-lists"),
    case("c_map_of_lists", {"x": [1, 2], "y": []}, id="map-of-frozen-lists"),
    case(
        "c_map_set_keys",
        {frozenset({1, 2}): "a", frozenset(): "empty"},
        {frozenset(): "empty", frozenset({1, 2}): "a"},
        id="map-with-frozen-set-keys",
    ),
    case("c_list_of_maps", [{"b": 2, "a": 1}, {}], [{"a": 1, "b": 2}, {}], id="list-of-maps"),
    case("c_frozen_map", {"a": {1, 2**40}, "b": set()}, id="frozen-map-of-sets"),
    case("c_frozen_map", {}, id="frozen-map-empty-is-not-null"),
    case("c_frozen_list", [2**100, -(2**100)], id="frozen-list-varint"),
    case("c_frozen_list", [], id="frozen-list-empty-is-not-null"),
]


@pytest.mark.parametrize("path", ["prepared", "string"])
@pytest.mark.parametrize(("column", "value", "expected"), ROUND_TRIPS)
async def test_round_trip(
    session: AsyncSession, types_table: str, path: str, column: str, value: Any, expected: Any
) -> None:
    key = next(_keys)
    await _write(session, path, types_table, column, key, value)
    assert_same(await _read(session, types_table, column, key), expected)


@pytest.mark.parametrize("path", ["prepared", "string"])
@pytest.mark.parametrize("column", ["c_list_int", "c_set_text", "c_map_text_int"])
async def test_empty_collection_reads_back_as_none(
    session: AsyncSession, types_table: str, path: str, column: str
) -> None:
    # Cassandra stores an empty (non-frozen) collection as no value at all.
    empty = {"c_list_int": [], "c_set_text": set(), "c_map_text_int": {}}[column]
    key = next(_keys)
    await _write(session, path, types_table, column, key, empty)
    assert await _read(session, types_table, column, key) is None


@pytest.mark.parametrize("path", ["prepared", "string"])
@pytest.mark.parametrize("column", list(COLUMNS))
async def test_none_writes_null(
    session: AsyncSession, types_table: str, path: str, column: str
) -> None:
    key = next(_keys)
    sample = COLUMNS[column][1]
    await _write(session, path, types_table, column, key, sample)
    assert await _read(session, types_table, column, key) is not None
    await _write(session, path, types_table, column, key, None)
    assert await _read(session, types_table, column, key) is None


@pytest.mark.parametrize("path", ["prepared", "string"])
async def test_every_column_null_at_once(
    session: AsyncSession, types_table: str, path: str
) -> None:
    key = next(_keys)
    columns = list(COLUMNS)
    query = f"INSERT INTO {types_table} (k, {', '.join(columns)}) VALUES (?{', ?' * len(columns)})"
    await _execute(session, path, query, [key, *(None for _ in columns)])
    row = (await session.execute(f"SELECT * FROM {types_table} WHERE k = ?", [key])).one()
    assert row is not None
    assert row._asdict() == {"k": key, **dict.fromkeys(columns)}


@pytest.mark.parametrize("path", ["prepared", "string"])
async def test_every_column_at_once(session: AsyncSession, types_table: str, path: str) -> None:
    key = next(_keys)
    columns = list(COLUMNS)
    query = f"INSERT INTO {types_table} (k, {', '.join(columns)}) VALUES (?{', ?' * len(columns)})"
    await _execute(session, path, query, [key, *(COLUMNS[c][1] for c in columns)])
    rs = await session.execute(
        f"SELECT k, {', '.join(columns)} FROM {types_table} WHERE k = ?", [key]
    )
    row = rs.one()
    assert row is not None
    assert row.k == key
    for column in columns:
        assert_same(row[column], COLUMNS[column][1])


# --- counter ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def counter_table(session: AsyncSession) -> str:
    name = f"t_counter_{uuid.uuid4().hex[:12]}"
    await session.execute(f"CREATE TABLE {name} (k int PRIMARY KEY, c counter)")
    return name


@pytest.mark.parametrize("path", ["prepared", "string"])
async def test_counter(session: AsyncSession, counter_table: str, path: str) -> None:
    key = next(_keys)
    add = f"UPDATE {counter_table} SET c = c + ? WHERE k = ?"
    subtract = f"UPDATE {counter_table} SET c = c - ? WHERE k = ?"
    for _ in range(3):
        await _execute(session, path, add, [5, key])
    await _execute(session, path, subtract, [2**40, key])
    rs = await session.execute(f"SELECT c FROM {counter_table} WHERE k = ?", [key])
    assert rs.column_types == ["counter"]
    assert rs.all() == [(15 - 2**40,)]

    with pytest.raises(ParameterValueError, match="out of range") as info:
        await _execute(session, path, add, [2**63, key])
    assert info.value.cql_type == "counter"
    with pytest.raises(ParameterTypeError, match="counter"):
        await _execute(session, path, add, [1.0, key])
    rs = await session.execute(f"SELECT c FROM {counter_table} WHERE k = ?", [key])
    assert rs.all() == [(15 - 2**40,)]


# --- values a column cannot take ---------------------------------------------------------------


def bad(
    column: str,
    value: Any,
    error: type[Exception],
    match: str,
    *,
    id: str,
) -> Any:
    return pytest.param(column, value, error, match, id=id)


BAD_VALUES = [
    # integers: range and type
    bad(
        "c_tinyint",
        128,
        ParameterValueError,
        r"128 is out of range .*-128 to 127",
        id="tinyint-128",
    ),
    bad("c_tinyint", -129, ParameterValueError, "out of range", id="tinyint-minus-129"),
    bad("c_smallint", 32768, ParameterValueError, "out of range", id="smallint-overflow"),
    bad("c_int", 2**31, ParameterValueError, "out of range", id="int-overflow"),
    bad("c_int", -(2**31) - 1, ParameterValueError, "out of range", id="int-underflow"),
    bad("c_bigint", 2**63, ParameterValueError, "out of range", id="bigint-overflow"),
    bad("c_bigint", 2**200, ParameterValueError, "out of range", id="bigint-huge"),
    bad("c_int", "1", ParameterTypeError, r"expected int .*got str", id="int-str"),
    bad("c_int", 1.0, ParameterTypeError, "got float", id="int-float"),
    bad("c_int", True, ParameterTypeError, "got bool", id="int-bool"),
    bad("c_varint", 1.5, ParameterTypeError, "got float", id="varint-float"),
    bad("c_varint", False, ParameterTypeError, "got bool", id="varint-bool"),
    bad("c_boolean", 1, ParameterTypeError, "got int", id="boolean-int"),
    bad("c_boolean", "true", ParameterTypeError, "got str", id="boolean-str"),
    # floats
    bad("c_float", 1e39, ParameterValueError, "out of range for CQL float", id="float-overflow"),
    bad("c_float", "1.0", ParameterTypeError, "got str", id="float-str"),
    bad("c_double", True, ParameterTypeError, "got bool", id="double-bool"),
    bad("c_double", "1.5", ParameterTypeError, "got str", id="double-str"),
    # decimal
    bad("c_decimal", float("nan"), ParameterValueError, "no NaN", id="decimal-nan-float"),
    bad("c_decimal", "1.5", ParameterTypeError, "got str", id="decimal-str"),
    bad("c_decimal", Decimal("NaN"), ParameterValueError, "NaN or infinity", id="decimal-nan"),
    bad("c_decimal", Decimal("-Infinity"), ParameterValueError, "NaN", id="decimal-infinity"),
    bad(
        "c_decimal",
        Decimal("1E-2147483648"),
        ParameterValueError,
        "out of range",
        id="decimal-scale-overflow",
    ),
    # text, ascii, blob
    bad("c_text", b"bytes", ParameterTypeError, "got bytes", id="text-bytes"),
    bad("c_text", 5, ParameterTypeError, "got int", id="text-int"),
    bad("c_text", "\ud800", ParameterValueError, "surrogate", id="text-lone-surrogate"),
    bad("c_ascii", "café", ParameterValueError, "found 'é' at position 3", id="ascii-non-ascii"),
    bad("c_blob", "text", ParameterTypeError, "got str", id="blob-str"),
    bad("c_blob", [1, 2], ParameterTypeError, "got list", id="blob-list"),
    # uuid
    bad("c_uuid", str(UUID4), ParameterTypeError, r"expected uuid\.UUID", id="uuid-str"),
    bad("c_timeuuid", UUID4, ParameterValueError, "version 1", id="timeuuid-v4"),
    # temporal
    bad("c_timestamp", "2024-01-01", ParameterTypeError, "got str", id="timestamp-str"),
    bad("c_timestamp", 1.5, ParameterTypeError, "got float", id="timestamp-float"),
    bad("c_date", datetime(2024, 1, 1), ParameterTypeError, r"\.date\(\)", id="date-datetime"),
    bad("c_date", 2**31, ParameterValueError, "out of range", id="date-out-of-range"),
    bad("c_time", time(1, tzinfo=UTC), ParameterValueError, "timezone", id="time-aware"),
    bad("c_time", 86_400 * 10**9, ParameterValueError, "not a time of day", id="time-24h"),
    bad("c_time", -1, ParameterValueError, "not a time of day", id="time-negative"),
    bad("c_time", "12:00", ParameterTypeError, "got str", id="time-str"),
    # inet
    bad("c_inet", "not an address", ParameterValueError, "not an IPv4 or IPv6", id="inet-junk"),
    bad("c_inet", 2130706433, ParameterTypeError, "got int", id="inet-int"),
    # collections
    bad("c_list_int", [1, "x"], ParameterTypeError, "element 1: expected int", id="list-element"),
    bad("c_list_int", [1, None], ParameterValueError, "element 1: .*null", id="list-none"),
    bad("c_list_int", "12", ParameterTypeError, "list or tuple", id="list-str"),
    bad("c_list_int", {1, 2}, ParameterTypeError, "list or tuple", id="list-set"),
    bad("c_set_text", {"a": 1}, ParameterTypeError, "set, frozenset", id="set-dict"),
    bad("c_map_text_int", {1: 1}, ParameterTypeError, "key 1: expected str", id="map-key"),
    bad(
        "c_map_text_int",
        {"a": None},
        ParameterValueError,
        "value for key 'a': .*null",
        id="map-none-value",
    ),
    bad("c_map_text_int", [("a", 1)], ParameterTypeError, "dict for CQL map", id="map-list"),
]


@pytest.mark.parametrize("path", ["prepared", "string"])
@pytest.mark.parametrize(("column", "value", "error", "match"), BAD_VALUES)
async def test_value_the_column_cannot_take_is_refused_before_sending(
    session: AsyncSession,
    types_table: str,
    path: str,
    column: str,
    value: Any,
    error: type[Exception],
    match: str,
) -> None:
    key = next(_keys)
    with pytest.raises(error, match=match) as info:
        await _write(session, path, types_table, column, key, value)

    exc = info.value
    assert isinstance(exc, ParameterTypeError | ParameterValueError)
    assert isinstance(exc, TypeError if error is ParameterTypeError else ValueError)
    cql_type = COLUMNS[column][0]
    assert exc.column == column
    assert exc.cql_type == cql_type
    assert exc.parameter == "#1"
    assert exc.python_type == type(value).__qualname__
    assert str(exc).startswith(f"parameter #1 (column '{column}', CQL type {cql_type}): ")

    rs = await session.execute(f"SELECT k FROM {types_table} WHERE k = ?", [key])
    assert rs.all() == [], "nothing may be written when a parameter is refused"
