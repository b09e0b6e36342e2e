"""cassandra-driver's and async-cassandra's names, where applications import them from, with
the drivers' behaviour (what needs no server)."""

from __future__ import annotations

import asyncio
import datetime
import importlib
import uuid

import pytest

import aiocql
from aiocql import errors
from aiocql.statement import ConsistencyLevel
from aiocql.util import (
    Date,
    Time,
    datetime_from_uuid1,
    max_uuid_from_time,
    min_uuid_from_time,
    unix_time_from_uuid1,
    uuid_from_time,
)

NAMES = {
    "aiocql": [
        "dict_factory", "tuple_factory", "named_tuple_factory", "ordered_dict_factory",
        "ValueSequence", "EXEC_PROFILE_DEFAULT", "AsyncCassandraError", "QueryError",
        "AuthenticationError", "ConfigurationError", "ConnectionError", "TimeoutError",
        "UnsupportedOperation", "AsyncRetryPolicy", "AsyncCassandraSession", "StreamConfig",
        "create_streaming_statement", "AsyncStreamingResultSet", "AsyncResultSet",
    ],
    "aiocql.query": [
        "dict_factory", "tuple_factory", "named_tuple_factory", "ordered_dict_factory",
        "ValueSequence", "SimpleStatement", "BatchStatement", "BatchType", "PreparedStatement",
        "BoundStatement",
    ],
    "aiocql.util": ["Date", "Time", "Duration", "uuid_from_time", "datetime_from_uuid1",
                    "unix_time_from_uuid1", "min_uuid_from_time", "max_uuid_from_time"],
    "aiocql.exceptions": ["AsyncCassandraError", "ConnectionError", "QueryError", "TimeoutError",
                          "AuthenticationError", "ConfigurationError"],
    "aiocql.policies": ["RetryPolicy", "AsyncRetryPolicy", "DCAwareRoundRobinPolicy",
                        "TokenAwarePolicy", "EXEC_PROFILE_DEFAULT", "ExecutionProfile"],
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(NAMES))
def test_the_names_are_where_applications_import_them(module: str) -> None:
    imported = importlib.import_module(module)
    missing = [name for name in NAMES[module] if not hasattr(imported, name)]
    assert not missing


def test_names_that_shadow_builtins_stay_out_of_star_imports() -> None:
    for module in (aiocql, errors):
        assert "ConnectionError" not in module.__all__
        assert "TimeoutError" not in module.__all__
    assert aiocql.ConnectionError is errors.ConnectionError is not ConnectionError


@pytest.mark.parametrize(
    ("cls", "bases"),
    [
        (errors.NoHostAvailable, (errors.ConnectionError, errors.AsyncCassandraError)),
        (errors.ConnectionClosed, (errors.ConnectionError,)),
        (errors.ParameterTypeError, (errors.QueryError, TypeError)),
        (errors.QueryExhausted, (errors.QueryError,)),
        (errors.OperationTimedOut, (errors.TimeoutError, TimeoutError, asyncio.TimeoutError)),
        (errors.AuthenticationFailed, (errors.AuthenticationError, errors.AsyncCassandraError)),
        (errors.ConfigurationError, (errors.AsyncCassandraError, ValueError)),
    ],
)
def test_async_cassandra_exceptions_are_bases_of_what_they_named(
    cls: type, bases: tuple[type, ...]
) -> None:
    for base in bases:
        assert issubclass(cls, base), base
    assert issubclass(cls, errors.DriverException)


def test_server_errors_are_not_async_cassandra_errors() -> None:
    for cls in (errors.InvalidRequest, errors.Unavailable, errors.ReadTimeout):
        assert not issubclass(cls, errors.AsyncCassandraError)


def test_consistency_level_maps_names_and_values() -> None:
    assert ConsistencyLevel.value_to_name[4] == "QUORUM"
    assert ConsistencyLevel.name_to_value["LOCAL_ONE"] == 10
    assert len(ConsistencyLevel.value_to_name) == len(ConsistencyLevel) == 11
    assert "value_to_name" not in ConsistencyLevel.__members__


def test_date_takes_what_the_drivers_takes() -> None:
    leap = Date("2024-02-29")
    assert leap.days_from_epoch == 19782
    assert Date(19782) == leap == Date(datetime.date(2024, 2, 29)) == datetime.date(2024, 2, 29)
    assert Date(datetime.datetime(2024, 2, 29, 23, 59)) == leap
    assert str(leap) == "2024-02-29"
    assert leap.date() == datetime.date(2024, 2, 29)
    assert Date(0) < leap
    assert str(Date(10**7)) == "10000000"
    with pytest.raises(ValueError, match="outside the years"):
        Date(10**7).date()
    with pytest.raises(ValueError, match="not a YYYY-MM-DD"):
        Date("29/02/2024")
    with pytest.raises(TypeError, match="Date takes"):
        Date(1.5)


def test_time_takes_what_the_drivers_takes() -> None:
    t = Time("12:30:15.000000123")
    assert (t.hour, t.minute, t.second, t.nanosecond) == (12, 30, 15, 123)
    assert t.nanosecond_time == 45_015_000_000_123 == t
    assert Time(datetime.time(12, 30, 15)) == 45_015_000_000_000
    assert str(Time(1)) == "00:00:00.000000001"
    assert Time("1:02:03.5").nanosecond == 500_000_000
    assert t.time() == datetime.time(12, 30, 15)
    with pytest.raises(ValueError, match="within one day"):
        Time(86_400 * 10**9)
    with pytest.raises(ValueError, match="HH:MM:SS"):
        Time("noon")
    with pytest.raises(TypeError, match="Time takes"):
        Time(True)


def test_timeuuids_carry_the_instant_they_were_made_for() -> None:
    moment = datetime.datetime(2024, 2, 29, 12, 30, 15, 123456)
    made = uuid_from_time(moment)
    assert made.version == 1
    assert datetime_from_uuid1(made) == moment
    assert unix_time_from_uuid1(uuid_from_time(1_700_000_000.5)) == 1_700_000_000.5
    fixed = uuid_from_time(1_700_000_000.0, node=0x123456789ABC, clock_seq=0x1234)
    assert (fixed.node, fixed.clock_seq) == (0x123456789ABC, 0x1234)
    assert uuid_from_time(moment).node != uuid_from_time(moment).node  # random by default
    low, high = min_uuid_from_time(1_700_000_000.0), max_uuid_from_time(1_700_000_000.0)
    assert low.time == high.time == uuid_from_time(1_700_000_000.0).time
    with pytest.raises(ValueError, match="node"):
        uuid_from_time(0.0, node=1 << 48)
    with pytest.raises(ValueError, match="clock_seq"):
        uuid_from_time(0.0, clock_seq=1 << 14)
    assert isinstance(made, uuid.UUID)
