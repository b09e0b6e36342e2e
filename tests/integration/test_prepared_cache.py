"""Parameterised string queries are prepared once per session and cached, LRU, size configurable.

The server counts the requests it serves per client connection (``system_views.clients``), so
these tests see round trips as the server does: one per call when the statement is cached, two
(PREPARE then EXECUTE) when it is not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aiocql import AsyncCluster, AsyncSession

KEYSPACE = "aiocql_test"  # the shared session's keyspace (conftest)


async def _requests_served(session: AsyncSession) -> int:
    # Counts the requests of every client connection, this query's own included.
    rows = await session.execute("SELECT request_count FROM system_views.clients")
    return sum(row.request_count for row in rows)


async def _round_trips(session: AsyncSession, calls: list[str]) -> int:
    """Requests the server served for `calls` (each executed with one parameter)."""
    before = await _requests_served(session)
    for query in calls:
        await session.execute(query, [1])
    after = await _requests_served(session)
    return after - before - 1  # the second count query itself


@pytest.fixture
async def table(session: AsyncSession, table_name: str) -> AsyncIterator[str]:
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v int)", timeout=60)
    yield table_name
    await session.execute(f"DROP TABLE {table_name}", timeout=60)


def _queries(table: str, count: int) -> list[str]:
    # Distinct texts, so distinct cache entries.
    return [
        f"SELECT v{'' if n == 0 else f' AS v{n}'} FROM {table} WHERE k = ?" for n in range(count)
    ]


async def test_a_cached_query_costs_one_round_trip_per_call(
    fresh_session: AsyncSession, table: str
) -> None:
    (query,) = _queries(table, 1)
    await fresh_session.execute(query, [1])  # prepared and cached here
    trips = await _round_trips(fresh_session, [query] * 20)
    assert 20 <= trips <= 23  # a few driver keep-alives may land in the window


async def test_the_least_recently_used_statement_is_evicted(
    contact_points: list[str], table: str
) -> None:
    async with AsyncCluster(contact_points, prepared_cache_size=2) as cluster:
        small = await cluster.connect(KEYSPACE)
        a, b, c = _queries(table, 3)
        for query in (a, b):
            await small.execute(query, [1])
        # Both fit: one round trip each.
        assert await _round_trips(small, [a, b, a, b]) <= 6
        # c evicts the least recently used (a: b was used last), then a evicts c.
        trips = await _round_trips(small, [c, b, a])
        assert 5 <= trips <= 7  # c and a are prepared again (2 each), b is still cached (1)


async def test_size_zero_disables_the_cache(contact_points: list[str], table: str) -> None:
    async with AsyncCluster(contact_points, prepared_cache_size=0) as cluster:
        uncached = await cluster.connect(KEYSPACE)
        (query,) = _queries(table, 1)
        trips = await _round_trips(uncached, [query] * 10)
        assert 20 <= trips <= 23  # PREPARE and EXECUTE every time
        assert (await uncached.execute(query, [1])).all() == []


async def test_the_cache_is_keyed_by_keyspace(fresh_session: AsyncSession, table: str) -> None:
    # The same text in another keyspace is another statement (another table).
    other = f"{KEYSPACE}_other"
    await fresh_session.execute(
        f"CREATE KEYSPACE IF NOT EXISTS {other} WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 1}",
        timeout=60,
    )
    try:
        await fresh_session.execute(
            f"CREATE TABLE {other}.{table} (k int PRIMARY KEY, v int)", timeout=60
        )
        await fresh_session.execute(f"INSERT INTO {other}.{table} (k, v) VALUES (1, 99)")
        query = f"SELECT v FROM {table} WHERE k = ?"
        assert (await fresh_session.execute(query, [1])).one() is None
        await fresh_session.set_keyspace(other)
        row = (await fresh_session.execute(query, [1])).one()
        assert row is not None
        assert row.v == 99
    finally:
        await fresh_session.execute(f"DROP KEYSPACE {other}", timeout=60)
