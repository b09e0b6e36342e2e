"""cassandra-driver's and async-cassandra's names, working on the real node as they did there:
the row factories of ``aiocql.query`` (on a session, a call and an execution profile),
``ValueSequence``, the ``aiocql.util`` types and timeuuid helpers as parameters, and
async-cassandra's exception names catching what they caught there."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

import pytest

from aiocql import (
    EXEC_PROFILE_DEFAULT,
    AsyncCluster,
    AsyncSession,
    ExecutionProfile,
    InvalidRequest,
    Row,
)
from aiocql.exceptions import (
    AsyncCassandraError,
    ConfigurationError,
    ConnectionError,
    QueryError,
    TimeoutError,
)
from aiocql.query import (
    ValueSequence,
    dict_factory,
    named_tuple_factory,
    ordered_dict_factory,
    tuple_factory,
)
from aiocql.util import (
    Date,
    Duration,
    Time,
    datetime_from_uuid1,
    max_uuid_from_time,
    min_uuid_from_time,
    uuid_from_time,
)

PausedNode = Callable[[int], contextlib.AbstractContextManager[None]]


@pytest.fixture
async def things(session: AsyncSession, table_name: str) -> AsyncIterator[str]:
    await session.execute(
        f"CREATE TABLE {table_name} (k int PRIMARY KEY, name text, day date, at time, "
        "span duration, id timeuuid)"
    )
    for k, name in [(1, "ada"), (2, "alan")]:
        await session.execute(f"INSERT INTO {table_name} (k, name) VALUES (%s, %s)", [k, name])
    yield table_name
    await session.execute(f"DROP TABLE {table_name}")


FACTORIES = [
    (dict_factory, dict, {"k": 1, "name": "ada"}),
    (tuple_factory, tuple, (1, "ada")),
    (named_tuple_factory, Row, (1, "ada")),
    (ordered_dict_factory, OrderedDict, OrderedDict([("k", 1), ("name", "ada")])),
]


@pytest.mark.parametrize(("factory", "kind", "expected"), FACTORIES)
async def test_driver_row_factories_per_call_and_per_session(
    fresh_session: AsyncSession, things: str, factory: object, kind: type, expected: object
) -> None:
    query = f"SELECT k, name FROM {things} WHERE k = 1"
    row = (await fresh_session.execute(query, row_factory=factory)).one()  # type: ignore[arg-type]
    assert type(row) is kind
    assert row == expected
    if kind is OrderedDict:
        assert list(row) == ["k", "name"]
    fresh_session.row_factory = factory  # type: ignore[assignment]
    assert type((await fresh_session.execute(query)).one()) is kind


@pytest.mark.parametrize(("factory", "kind", "expected"), FACTORIES)
async def test_driver_row_factories_on_an_execution_profile(
    contact_points: list[str], things: str, factory: object, kind: type, expected: object
) -> None:
    profiles = {
        EXEC_PROFILE_DEFAULT: ExecutionProfile(row_factory=factory),  # type: ignore[arg-type]
        "as_dicts": ExecutionProfile(row_factory=dict_factory),
    }
    async with AsyncCluster(contact_points, execution_profiles=profiles) as cluster:
        session = await cluster.connect("aiocql_test")
        query = f"SELECT k, name FROM {things} WHERE k = 1"
        row = (await session.execute(query)).one()
        assert type(row) is kind
        assert row == expected
        named = (await session.execute(query, execution_profile="as_dicts")).one()
        assert named == {"k": 1, "name": "ada"}


def test_driver_row_factories_called_directly_do_what_the_drivers_do() -> None:
    names, rows = ["k", "name"], [(1, "ada"), (2, "alan")]
    assert dict_factory(names, rows) == [{"k": 1, "name": "ada"}, {"k": 2, "name": "alan"}]
    assert tuple_factory(names, rows) == rows
    assert [r.name for r in named_tuple_factory(names, rows)] == ["ada", "alan"]
    assert list(ordered_dict_factory(names, rows)[1].items()) == [("k", 2), ("name", "alan")]


async def test_value_sequence_fills_an_in_clause(session: AsyncSession, things: str) -> None:
    rs = await session.execute(
        f"SELECT name FROM {things} WHERE k IN %s", [ValueSequence([1, 2, 3])]
    )
    assert sorted(row.name for row in rs) == ["ada", "alan"]


async def test_util_types_are_parameters_of_their_cql_types(
    session: AsyncSession, things: str
) -> None:
    moment = datetime.datetime(2024, 2, 29, 12, 30, 15, 123000, tzinfo=datetime.timezone.utc)
    event = uuid_from_time(moment)
    await session.execute(
        f"INSERT INTO {things} (k, day, at, span, id) VALUES (%s, %s, %s, %s, %s)",
        [3, Date("2024-02-29"), Time("12:30:15.000000123"), Duration(1, 2, 3), event],
    )
    row = (
        await session.execute(
            f"SELECT day, at, span, id, toTimestamp(id) AS ts FROM {things} WHERE k = 3"
        )
    ).one()
    assert row.day == datetime.date(2024, 2, 29) == Date("2024-02-29")
    assert row.at == datetime.time(12, 30, 15)  # aiocql reads microseconds
    assert row.span == Duration(1, 2, 3)
    assert row.id == event
    # The server reads the same instant out of the timeuuid as the helpers do.
    assert row.ts == moment
    assert datetime_from_uuid1(event) == moment.replace(tzinfo=None)
    # Date beyond datetime.date's years is a CQL date all the same.
    await session.execute(f"INSERT INTO {things} (k, day) VALUES (4, %s)", [Date(10**7)])
    far = (await session.execute(f"SELECT day FROM {things} WHERE k = 4")).one().day
    assert far.days == 10**7


async def test_min_and_max_timeuuids_bound_the_instant_for_the_server(
    session: AsyncSession, table_name: str
) -> None:
    await session.execute(f"CREATE TABLE {table_name} (p int, id timeuuid, PRIMARY KEY (p, id))")
    moment = 1_700_000_000.0
    for offset in (-1.0, 0.0, 0.0, 1.0):
        await session.execute(
            f"INSERT INTO {table_name} (p, id) VALUES (0, %s)", [uuid_from_time(moment + offset)]
        )
    rs = await session.execute(
        f"SELECT id FROM {table_name} WHERE p = 0 AND id >= %s AND id <= %s",
        [min_uuid_from_time(moment), max_uuid_from_time(moment)],
    )
    assert len(rs.all()) == 2


async def test_async_cassandra_exception_names_catch_what_they_caught_there(
    session: AsyncSession, things: str, paused_node: PausedNode
) -> None:
    with pytest.raises(QueryError):  # a value that does not fit its column: nothing sent
        await session.execute(f"INSERT INTO {things} (k, name) VALUES (%s, %s)", ["one", 1])
    with pytest.raises(ConnectionError):  # no node at all
        async with AsyncCluster(["127.0.0.1"], port=1, connect_timeout=2) as nowhere:
            await nowhere.connect()
    with pytest.raises(ConfigurationError):
        AsyncCluster(contact_pionts=["127.0.0.1"])
    for caught in (TimeoutError, asyncio.TimeoutError, AsyncCassandraError):
        with paused_node(1), pytest.raises(caught):
            await session.execute("SELECT * FROM system.local", timeout=0.2)
    # Server errors are the server's classes, not AsyncCassandraError, as async-cassandra
    # re-raised cassandra-driver's own.
    with pytest.raises(InvalidRequest) as info:
        await session.execute("SELECT * FROM no_such_table")
    assert not isinstance(info.value, AsyncCassandraError)
