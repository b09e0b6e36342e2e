"""SimpleStatement options reach the server: consistency, serial, fetch size, timeout."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable

import pytest

from aiocql import (
    AsyncSession,
    ConsistencyLevel,
    OperationTimedOut,
    SimpleStatement,
    Unavailable,
)

RF3 = "aiocql_test_stmt_rf3"


@pytest.fixture(scope="module")
async def rf3_table(session: AsyncSession) -> AsyncIterator[str]:
    """RF=3 on a 1-node cluster: ONE works, QUORUM (2 replicas) cannot."""
    await session.execute(
        f"CREATE KEYSPACE IF NOT EXISTS {RF3} WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 3}",
        timeout=60,
    )
    await session.execute(
        f"CREATE TABLE IF NOT EXISTS {RF3}.t (k int PRIMARY KEY, v int)", timeout=60
    )
    yield f"{RF3}.t"
    await session.execute(f"DROP KEYSPACE {RF3}", timeout=60)


@pytest.mark.parametrize("with_parameters", [False, True], ids=["unprepared", "prepared"])
async def test_consistency_level_is_sent(
    session: AsyncSession, rf3_table: str, with_parameters: bool
) -> None:
    query = f"SELECT v FROM {rf3_table} WHERE k = " + ("?" if with_parameters else "1")
    params = [1] if with_parameters else None
    quorum = SimpleStatement(query, consistency_level=ConsistencyLevel.QUORUM)
    with pytest.raises(Unavailable) as info:
        await session.execute(quorum, params)
    assert info.value.consistency == "QUORUM"
    assert info.value.required_replicas == 2
    one = SimpleStatement(query, consistency_level=ConsistencyLevel.ONE)
    assert len(await session.execute(one, params)) == 0
    # The session default (LOCAL_ONE) is untouched, also for the cached prepared statement.
    assert len(await session.execute(query, params)) == 0


async def test_serial_consistency_must_be_a_serial_level(
    session: AsyncSession, rf3_table: str
) -> None:
    stmt = SimpleStatement(
        f"UPDATE {rf3_table} SET v = 1 WHERE k = 1 IF v = 0",
        serial_consistency_level=ConsistencyLevel.ONE,
    )
    with pytest.raises(ValueError, match="serial_consistency_level"):
        await session.execute(stmt)


async def test_fetch_size_pages_but_returns_every_row(
    session: AsyncSession, table_name: str
) -> None:
    await session.execute(f"CREATE TABLE {table_name} (p int, c int, PRIMARY KEY (p, c))")
    insert = await session.prepare(f"INSERT INTO {table_name} (p, c) VALUES (0, ?)")
    for c in range(25):
        await session.execute(insert, [c])
    rows = await session.execute(
        SimpleStatement(f"SELECT c FROM {table_name} WHERE p = 0", fetch_size=4)
    )
    assert [r.c for r in rows] == list(range(25))


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"consistency_level": 42}, "consistency_level"),
        ({"fetch_size": 0}, "fetch_size"),
        ({"fetch_size": -5}, "fetch_size"),
        ({"timeout": -1.0}, "timeout"),
    ],
)
async def test_invalid_options_fail_before_io(
    session: AsyncSession, options: dict[str, float], fragment: str
) -> None:
    stmt = SimpleStatement("SELECT * FROM system.local", **options)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=fragment):
        await session.execute(stmt)


async def test_statement_timeout_and_call_override(
    session: AsyncSession,
    paused_node: Callable[[int], contextlib.AbstractContextManager[None]],
) -> None:
    stmt = SimpleStatement("SELECT * FROM system.local", timeout=0.3)
    with paused_node(1):
        started = time.monotonic()
        with pytest.raises(OperationTimedOut):
            await session.execute(stmt)
        assert 0.25 < time.monotonic() - started < 1.5
        started = time.monotonic()
        with pytest.raises(OperationTimedOut):
            await session.execute(stmt, timeout=0.6)
        assert time.monotonic() - started >= 0.55


def test_consistency_levels_match_the_protocol() -> None:
    assert ConsistencyLevel.ANY == 0
    assert ConsistencyLevel.LOCAL_QUORUM == 6
    assert ConsistencyLevel.LOCAL_ONE == 10
    assert "QUORUM" in repr(SimpleStatement("x", consistency_level=ConsistencyLevel.QUORUM))
    with pytest.raises(TypeError):
        SimpleStatement(b"SELECT 1")  # type: ignore[arg-type]


async def test_prepared_statement_options(session: AsyncSession, rf3_table: str) -> None:
    select = await session.prepare(f"SELECT v FROM {rf3_table} WHERE k = ?")
    assert select.consistency_level is None
    select.consistency_level = ConsistencyLevel.QUORUM
    assert select.consistency_level == ConsistencyLevel.QUORUM
    with pytest.raises(Unavailable):
        await session.execute(select, [1])
    select.consistency_level = None
    assert len(await session.execute(select, [1])) == 0
    with pytest.raises(ValueError, match="consistency_level"):
        select.consistency_level = 99
    assert select.consistency_level is None  # a refused value changes nothing
    with pytest.raises(ValueError, match="fetch_size"):
        select.fetch_size = 0
    select.is_idempotent = True
    assert select.is_idempotent


async def test_bind_once_execute_many(session: AsyncSession, table_name: str) -> None:
    from aiocql import BatchStatement, BoundStatement, ParameterTypeError

    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v text)")
    insert = await session.prepare(f"INSERT INTO {table_name} (k, v) VALUES (?, ?)")
    bound = insert.bind((1, "one"))
    assert isinstance(bound, BoundStatement)
    assert bound.prepared_statement is insert
    await session.execute(bound)
    await session.execute(bound)  # reusable
    batch = BatchStatement()
    batch.add(insert.bind({"k": 2, "v": "two"}))
    batch.add(insert, (3, "three"))
    await session.execute_batch(batch)
    rows = await session.execute(f"SELECT k, v FROM {table_name}")
    assert sorted(tuple(r) for r in rows) == [(1, "one"), (2, "two"), (3, "three")]
    with pytest.raises(ParameterTypeError, match="column 'k'"):
        insert.bind(("x", "y"))
    with pytest.raises(TypeError, match="already has its parameters"):
        await session.execute(bound, [1, "again"])


async def test_percent_placeholders_are_bound_server_side(
    session: AsyncSession, table_name: str
) -> None:
    from aiocql import BatchStatement

    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v text)")
    await session.execute(f"INSERT INTO {table_name} (k, v) VALUES (%s, %s)", (1, "a'); DROP"))
    await session.execute(
        f"INSERT INTO {table_name} (k, v) VALUES (%(k)s, %(v)s)", {"k": 2, "v": "named"}
    )
    await session.execute(
        SimpleStatement(f"UPDATE {table_name} SET v = '50%s off' WHERE k = %s"), [3]
    )
    batch = BatchStatement()
    batch.add(f"INSERT INTO {table_name} (k, v) VALUES (%s, %s)", (4, "batched"))
    await session.execute_batch(batch)
    rows = await session.execute(f"SELECT k, v FROM {table_name}")
    assert sorted(tuple(r) for r in rows) == [
        (1, "a'); DROP"),
        (2, "named"),
        (3, "50%s off"),
        (4, "batched"),
    ]


async def test_client_timestamps_decide_which_write_wins(
    session: AsyncSession, table_name: str
) -> None:
    from aiocql import BatchStatement

    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v text)")
    upsert = f"INSERT INTO {table_name} (k, v) VALUES (?, ?)"
    t = 1_700_000_000_000_000
    await session.execute(SimpleStatement(upsert, timestamp=t), [1, "newer"])
    await session.execute(SimpleStatement(upsert, timestamp=t - 1), [1, "older"])
    prepared = await session.prepare(upsert)
    prepared.timestamp = t - 2
    assert prepared.timestamp == t - 2
    await session.execute(prepared, [1, "oldest"])
    await session.execute(prepared.bind([2, "bound"]))
    batch = BatchStatement(timestamp=t + 5)
    batch.add(upsert, [3, "batched"])
    await session.execute_batch(batch)
    rows = await session.execute(f"SELECT k, v, WRITETIME(v) FROM {table_name}")
    assert sorted(tuple(r) for r in rows) == [
        (1, "newer", t),
        (2, "bound", t - 2),
        (3, "batched", t + 5),
    ]
