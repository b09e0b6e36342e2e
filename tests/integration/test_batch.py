"""BatchStatement: logged, unlogged and counter batches, mixed statement kinds, atomic refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aiocql import (
    AsyncSession,
    BatchStatement,
    BatchType,
    ConsistencyLevel,
    InvalidRequest,
    ParameterTypeError,
    SimpleStatement,
    Unavailable,
)


@pytest.fixture
async def tables(session: AsyncSession, table_name: str) -> AsyncIterator[tuple[str, str]]:
    counters = f"{table_name}_c"
    await session.execute(f"CREATE TABLE {table_name} (k int, c int, v text, PRIMARY KEY (k, c))")
    await session.execute(f"CREATE TABLE {counters} (k int PRIMARY KEY, n counter)")
    yield table_name, counters
    await session.execute(f"DROP TABLE {table_name}")
    await session.execute(f"DROP TABLE {counters}")


async def rows(session: AsyncSession, table: str) -> list[tuple[int, int, str]]:
    return [tuple(r) for r in await session.execute(f"SELECT k, c, v FROM {table}")]  # type: ignore[misc]


@pytest.mark.parametrize("via_execute", [False, True], ids=["execute_batch", "execute"])
async def test_logged_batch_of_mixed_statements(
    session: AsyncSession, tables: tuple[str, str], via_execute: bool
) -> None:
    table, _ = tables
    prepared = await session.prepare(f"INSERT INTO {table} (k, c, v) VALUES (?, ?, ?)")
    batch = BatchStatement()
    batch.add(prepared, (1, 1, "prepared"))
    batch.add(f"INSERT INTO {table} (k, c, v) VALUES (?, ?, ?)", [1, 2, "string"])
    batch.add(f"INSERT INTO {table} (k, c, v) VALUES (:k, :c, :v)", {"k": 2, "c": 1, "v": "named"})
    batch.add(SimpleStatement(f"INSERT INTO {table} (k, c, v) VALUES (3, 1, 'literal')"))
    assert len(batch) == 4
    result = await (session.execute(batch) if via_execute else session.execute_batch(batch))
    assert len(result) == 0
    assert sorted(await rows(session, table)) == [
        (1, 1, "prepared"),
        (1, 2, "string"),
        (2, 1, "named"),
        (3, 1, "literal"),
    ]


async def test_add_all_and_unlogged(session: AsyncSession, tables: tuple[str, str]) -> None:
    table, _ = tables
    insert = await session.prepare(f"INSERT INTO {table} (k, c, v) VALUES (?, ?, ?)")
    batch = BatchStatement(BatchType.UNLOGGED)
    batch.add_all([insert] * 5, [(7, c, str(c)) for c in range(5)])
    await session.execute_batch(batch)
    assert sorted(await rows(session, table)) == [(7, c, str(c)) for c in range(5)]
    with pytest.raises(ValueError, match="2 statements and 1 parameter sets"):
        batch.add_all([insert, insert], [(1, 1, "x")])


async def test_counter_batch(session: AsyncSession, tables: tuple[str, str]) -> None:
    _, counters = tables
    batch = BatchStatement(BatchType.COUNTER)
    for _ in range(3):
        batch.add(f"UPDATE {counters} SET n = n + ? WHERE k = ?", (2, 1))
    await session.execute_batch(batch)
    row = (await session.execute(f"SELECT n FROM {counters} WHERE k = 1")).one()
    assert row == (6,)


async def test_one_bad_value_sends_nothing(session: AsyncSession, tables: tuple[str, str]) -> None:
    table, _ = tables
    insert = await session.prepare(f"INSERT INTO {table} (k, c, v) VALUES (?, ?, ?)")
    batch = BatchStatement()
    batch.add(insert, (9, 1, "fine"))
    batch.add(insert, (9, 2, "fine"))
    batch.add(insert, (9, "three", "bad"))
    with pytest.raises(ParameterTypeError, match="batch statement #2") as info:
        await session.execute_batch(batch)
    assert info.value.column == "c"
    assert await rows(session, table) == []


async def test_server_refusal_applies_nothing(
    session: AsyncSession, tables: tuple[str, str]
) -> None:
    table, counters = tables
    batch = BatchStatement()  # a logged batch cannot hold counter updates
    batch.add(f"INSERT INTO {table} (k, c, v) VALUES (5, 5, 'x')")
    batch.add(f"UPDATE {counters} SET n = n + 1 WHERE k = 5")
    with pytest.raises(InvalidRequest):
        await session.execute_batch(batch)
    assert await rows(session, table) == []


async def test_lwt_batch_reports_was_applied(
    session: AsyncSession, tables: tuple[str, str]
) -> None:
    table, _ = tables
    batch = BatchStatement()
    batch.add(f"INSERT INTO {table} (k, c, v) VALUES (4, 1, 'a') IF NOT EXISTS")
    batch.add(f"INSERT INTO {table} (k, c, v) VALUES (4, 2, 'b') IF NOT EXISTS")
    assert (await session.execute_batch(batch)).was_applied
    assert not (await session.execute_batch(batch)).was_applied


async def test_batch_consistency_is_sent(session: AsyncSession) -> None:
    await session.execute(
        "CREATE KEYSPACE IF NOT EXISTS aiocql_test_batch_rf3 WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 3}",
        timeout=60,
    )
    await session.execute(
        "CREATE TABLE IF NOT EXISTS aiocql_test_batch_rf3.t (k int PRIMARY KEY)", timeout=60
    )
    try:
        batch = BatchStatement(BatchType.UNLOGGED, consistency_level=ConsistencyLevel.QUORUM)
        batch.add("INSERT INTO aiocql_test_batch_rf3.t (k) VALUES (?)", [1])
        with pytest.raises(Unavailable):
            await session.execute_batch(batch)
        batch.consistency_level = ConsistencyLevel.ONE
        await session.execute_batch(batch)
    finally:
        await session.execute("DROP KEYSPACE aiocql_test_batch_rf3", timeout=60)


async def test_empty_batch_and_wrong_types_are_refused(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="no statements"):
        await session.execute_batch(BatchStatement())
    with pytest.raises(TypeError, match="BatchStatement"):
        await session.execute_batch("INSERT ...")  # type: ignore[arg-type]
    batch = BatchStatement()
    batch.add(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="int"):
        await session.execute_batch(batch)
    bad = BatchStatement(batch_type=7)
    bad.add("SELECT 1")
    with pytest.raises(ValueError, match="batch_type"):
        await session.execute_batch(bad)
