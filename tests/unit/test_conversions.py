"""Conversions without a server: every conversion error message, and property-based round trips.

``_native._serialize`` and ``_native._deserialize`` run the very code a bound parameter and a
result cell go through, on a CQL type parsed from its name (UDTs spelled
``ks.name{field: type, ...}``). The integration suite repeats the round trips through the node.
"""

from __future__ import annotations

import datetime
import decimal
import ipaddress
import math
import pickle
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aiocql
from aiocql import _native
from aiocql.errors import ParameterTypeError, ParameterValueError

UTC = datetime.timezone.utc


def roundtrip(cql_type: str, value: object) -> Any:
    return _native._deserialize(cql_type, _native._serialize(cql_type, value))


# --- every conversion error: (CQL type, value, class, words the message must contain) ---------

TYPE_ERRORS: list[tuple[str, object]] = [
    ("tinyint", "1"),
    ("smallint", 1.0),
    ("int", "x"),
    ("bigint", decimal.Decimal(1)),
    ("counter", 2.5),
    ("varint", 1.5),
    ("float", "1.0"),
    ("double", "1.5"),
    ("decimal", "1.5"),
    ("boolean", 1),
    ("text", b"bytes"),
    ("ascii", 7),
    ("blob", "text"),
    ("uuid", "12345678-1234-5678-1234-567812345678"),
    ("timeuuid", 5),
    ("timestamp", "2024-01-01"),
    ("date", "2024-01-01"),
    ("time", 1.5),
    ("inet", 127),
    ("duration", 5),
    ("list<int>", {1, 2}),
    ("set<int>", {1: 2}),
    ("map<int, int>", [1, 2]),
    ("tuple<int, text>", {1: "a"}),
    ("vector<float, 2>", "ab"),
    ("ks.address{street: text}", 5),
]


@pytest.mark.parametrize(("cql_type", "value"), TYPE_ERRORS, ids=[t for t, _ in TYPE_ERRORS])
def test_a_value_of_the_wrong_python_type_is_a_type_error(cql_type: str, value: object) -> None:
    with pytest.raises(ParameterTypeError) as info:
        _native._serialize(cql_type, value)
    error = info.value
    assert isinstance(error, TypeError)
    assert isinstance(error, aiocql.DriverException)
    message = str(error)
    # Names the parameter, the column, the expected CQL type and the given Python type.
    assert message.startswith("parameter 0 (column 'value', CQL type ")
    assert type(value).__name__ in message
    assert (error.parameter, error.column) == ("0", "value")
    assert error.python_type == type(value).__name__
    assert error.cql_type is not None
    assert error.cql_type.split("<")[0] in cql_type


def forged_duration(months: object, days: object, nanoseconds: object) -> aiocql.Duration:
    """A Duration that skipped its constructor's checks: the Rust side checks again."""
    duration = object.__new__(aiocql.Duration)
    for name, part in (("months", months), ("days", days), ("nanoseconds", nanoseconds)):
        object.__setattr__(duration, name, part)
    return duration


VALUE_ERRORS: list[tuple[str, object, str]] = [
    ("tinyint", 128, "128 is out of range for CQL tinyint (-128 to 127)"),
    ("tinyint", -129, "out of range for CQL tinyint"),
    ("smallint", 2**15, "out of range for CQL smallint (-32768 to 32767)"),
    ("int", 2**31, "out of range for CQL int (-2147483648 to 2147483647)"),
    ("bigint", -(2**63) - 1, "out of range for CQL bigint"),
    ("counter", 2**63, "out of range for CQL counter"),
    ("float", 1e39, "out of range for CQL float (32-bit); use a double column"),
    ("decimal", decimal.Decimal("NaN"), "CQL decimal has no NaN or infinity"),
    ("decimal", float("inf"), "CQL decimal has no NaN or infinity"),
    ("decimal", decimal.Decimal("Infinity"), "CQL decimal has no NaN or infinity"),
    ("decimal", decimal.Decimal("1E+3000000000"), "out of range for CQL decimal (32-bit scale)"),
    ("ascii", "café", "CQL ascii accepts only ASCII characters; found 'é' at position 3"),
    ("text", "\ud800", "not valid Unicode (lone surrogate)"),
    ("timeuuid", uuid.uuid4(), "CQL timeuuid needs a version 1 (time-based) UUID, got version 4"),
    ("timestamp", 2**63, "epoch milliseconds out of range for CQL timestamp (64-bit)"),
    ("date", 2**31 + 1, "days from the epoch is out of range for CQL date"),
    ("time", -1, "is not a time of day"),
    ("time", 86_400 * 10**9, "is not a time of day"),
    ("time", datetime.time(1, tzinfo=UTC), "CQL time has no timezone; pass a naive datetime.time"),
    ("inet", "300.1.1.1", "is not an IPv4 or IPv6 address"),
    ("inet", "localhost", "is not an IPv4 or IPv6 address"),
    ("duration", forged_duration(2**31, 0, 0), "months 2147483648 out of range for CQL duration"),
    ("duration", forged_duration(0, -(2**31) - 1, 0), "out of range for CQL duration"),
    ("duration", forged_duration(1, -1, 0), "must not have different signs"),
    ("duration", forged_duration(1, 0, 1.5), "Duration.nanoseconds must be an int"),
    ("duration", datetime.timedelta(days=999_999_999), "too long for a CQL duration"),
    ("list<int>", [1, None], "CQL collections cannot contain null (None)"),
    ("set<text>", {None}, "CQL collections cannot contain null (None)"),
    ("map<int, text>", {1: None}, "CQL collections cannot contain null (None)"),
    ("list<int>", [1, aiocql.UNSET_VALUE], "UNSET_VALUE can only be a whole parameter"),
    ("list<tinyint>", [1, 300], "element 1: 300 is out of range for CQL tinyint"),
    ("map<text, int>", {"a": 2**40}, "out of range for CQL int"),
    ("tuple<int, text>", (1,), "expected a tuple of 2 elements, got 1"),
    ("tuple<int, tinyint>", (1, 999), "out of range for CQL tinyint"),
    ("vector<float, 3>", [1.0, 2.0], "expected 3 values for vector<float, 3>, got 2"),
    ("vector<float, 2>", [1.0, None], "CQL vectors cannot contain null (None)"),
    ("ks.address{street: text}", {"city": "x"}, "user type ks.address has no field 'city'"),
    ("ks.address{zip: int}", {"zip": 2**40}, "out of range for CQL int"),
]


@pytest.mark.parametrize(
    ("cql_type", "value", "words"), VALUE_ERRORS, ids=[f"{t}-{w[:30]}" for t, _, w in VALUE_ERRORS]
)
def test_a_value_that_cannot_be_represented_is_a_value_error(
    cql_type: str, value: object, words: str
) -> None:
    with pytest.raises((ParameterValueError, ParameterTypeError)) as info:
        _native._serialize(cql_type, value)
    error = info.value
    assert isinstance(error, (ValueError, TypeError))
    assert words in str(error), str(error)
    assert str(error).startswith("parameter 0 (column 'value', CQL type ")


def test_duration_checks_its_parts_when_built() -> None:
    with pytest.raises(ValueError, match=r"Duration\.months must fit in 32 bits"):
        aiocql.Duration(months=2**31)
    with pytest.raises(ValueError, match="must not have different signs"):
        aiocql.Duration(months=1, days=-1)
    with pytest.raises(TypeError, match=r"Duration\.days must be an int, got float"):
        aiocql.Duration(days=1.5)  # type: ignore[arg-type]


def test_range_errors_are_value_errors_never_wrapped() -> None:
    for cql_type, bits in (("tinyint", 8), ("smallint", 16), ("int", 32), ("bigint", 64)):
        low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        assert roundtrip(cql_type, low) == low
        assert roundtrip(cql_type, high) == high
        for outside in (low - 1, high + 1, high * 2**70):
            with pytest.raises(ParameterValueError, match=f"out of range for CQL {cql_type}"):
                _native._serialize(cql_type, outside)


def test_bool_is_not_accepted_as_an_int() -> None:
    with pytest.raises(ParameterTypeError, match="expected int for CQL int, got bool"):
        _native._serialize("int", True)


def test_an_unknown_type_name_is_reported() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        _native._serialize("integer", 1)


def test_malformed_bytes_from_the_server_are_a_protocol_error() -> None:
    with pytest.raises(aiocql.DriverException, match="int"):
        _native._deserialize("int", b"\x00\x01")


# --- round trips -------------------------------------------------------------------------------


def bits_equal(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@given(st.integers(-(2**63), 2**63 - 1))
def test_bigint_round_trip(value: int) -> None:
    assert roundtrip("bigint", value) == value


@given(st.integers(-(2**600), 2**600))
def test_varint_round_trip(value: int) -> None:
    assert roundtrip("varint", value) == value


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_double_round_trip(value: float) -> None:
    assert bits_equal(roundtrip("double", value), value)


@given(st.floats(width=32, allow_nan=True, allow_infinity=True))
def test_float_round_trip(value: float) -> None:
    assert bits_equal(roundtrip("float", value), value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_is_a_decimal_exactly(value: float) -> None:
    assert roundtrip("decimal", value) == decimal.Decimal(value)


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_round_trip(value: decimal.Decimal) -> None:
    back = roundtrip("decimal", value)
    assert back == value
    assert back.as_tuple().exponent == value.as_tuple().exponent


@given(st.text())
def test_text_round_trip(value: str) -> None:
    assert roundtrip("text", value) == value


@given(st.binary())
def test_blob_round_trip(value: bytes) -> None:
    assert roundtrip("blob", value) == value


@given(st.datetimes(timezones=st.just(UTC)))
def test_timestamp_round_trip_to_the_millisecond(value: datetime.datetime) -> None:
    expected = value.replace(microsecond=value.microsecond // 1000 * 1000)
    assert roundtrip("timestamp", value) == expected


@given(st.datetimes())
def test_a_naive_timestamp_is_taken_as_utc(value: datetime.datetime) -> None:
    back = roundtrip("timestamp", value)
    assert back.tzinfo is UTC or back.utcoffset() == datetime.timedelta(0)
    assert back.replace(tzinfo=None) == value.replace(microsecond=value.microsecond // 1000 * 1000)


@given(st.dates())
def test_date_round_trip(value: datetime.date) -> None:
    assert roundtrip("date", value) == value


def test_dates_outside_pythons_range_come_back_as_cql_date() -> None:
    far = roundtrip("date", -(2**31))  # the smallest CQL date
    assert isinstance(far, aiocql.CqlDate)
    assert roundtrip("date", far) == far


@given(st.times())
def test_time_round_trip(value: datetime.time) -> None:
    assert roundtrip("time", value) == value


@given(st.ip_addresses())
def test_inet_round_trip(value: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    assert roundtrip("inet", value) == value


@given(st.uuids())
def test_uuid_round_trip(value: uuid.UUID) -> None:
    assert roundtrip("uuid", value) == value


@given(st.uuids(version=1))
def test_a_decoded_uuid_is_a_complete_immutable_uuid(value: uuid.UUID) -> None:
    """Decoded UUIDs skip UUID.__init__; they must still be indistinguishable from UUID(int=)."""
    for cql_type in ("uuid", "timeuuid"):
        decoded = _native._deserialize(cql_type, value.bytes)
        reference = uuid.UUID(int=value.int)
        assert type(decoded) is uuid.UUID
        assert (decoded, hash(decoded), repr(decoded)) == (
            reference,
            hash(reference),
            repr(reference),
        )
        assert decoded.is_safe is uuid.SafeUUID.unknown
        assert (decoded.version, decoded.time) == (reference.version, reference.time)
        assert pickle.loads(pickle.dumps(decoded)) == reference
        with pytest.raises(TypeError, match="immutable"):
            decoded.int = 0  # type: ignore[misc]


cells = st.one_of(st.integers(-(2**31), 2**31 - 1), st.none())


@given(
    st.dictionaries(
        st.text(max_size=5),
        st.lists(st.tuples(st.integers(-(2**31), 2**31 - 1), st.text(max_size=3)), max_size=4),
        max_size=4,
    )
)
@settings(max_examples=50)
def test_nested_collections_round_trip(value: dict[str, list[tuple[int, str]]]) -> None:
    cql_type = "map<text, frozen<list<tuple<int, text>>>>"
    assert roundtrip(cql_type, value) == {k: list(v) for k, v in value.items()}


@given(st.lists(st.floats(width=32, allow_nan=False), min_size=3, max_size=3))
def test_vector_round_trip(value: list[float]) -> None:
    assert roundtrip("vector<float, 3>", value) == value


@given(st.fixed_dictionaries({"street": st.one_of(st.text(), st.none()), "zip": cells}))
def test_udt_round_trip_with_null_fields(value: dict[str, object]) -> None:
    back = roundtrip("ks.address{street: text, zip: int}", value)
    assert isinstance(back, aiocql.UserType)
    assert back.street == value["street"]
    assert back["zip"] == value["zip"]


def test_empty_and_unset() -> None:
    assert _native._serialize("int", aiocql.EMPTY) == b""
    assert _native._deserialize("int", b"") is aiocql.EMPTY
    assert roundtrip("text", "") == ""
    assert roundtrip("list<int>", []) == []


def test_numpy_arrays_are_accepted_for_vectors() -> None:
    import numpy  # a dev dependency (optional for users)

    floats = numpy.array([1.5, -2.25, 3.0], dtype=numpy.float32)
    assert _native._serialize("vector<float, 3>", floats) == _native._serialize(
        "vector<float, 3>", [1.5, -2.25, 3.0]
    )
    assert roundtrip("vector<double, 3>", floats.astype(numpy.float64)) == [1.5, -2.25, 3.0]
    # Other dtypes go element by element, with every check.
    assert roundtrip("vector<float, 2>", numpy.array([1, 2])) == [1.0, 2.0]
    with pytest.raises(ParameterValueError, match="out of range for CQL float"):
        _native._serialize("vector<float, 1>", numpy.array([1e300]))
    with pytest.raises(ParameterValueError, match="expected 3 values for vector<float, 3>, got 2"):
        _native._serialize("vector<float, 3>", floats[:2])
    big = numpy.arange(1536, dtype=numpy.float32)
    assert roundtrip("vector<float, 1536>", big) == big.tolist()
