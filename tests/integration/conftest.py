"""Fixtures for tests against the real Cassandra node that ``aiocql.testing`` starts.

The node-control fixtures (``contact_points``, ``test_cluster``, ``paused_node``) come from the
``aiocql.testing.plugin`` pytest plugin, which pyproject.toml loads. The suite never skips for
want of a server: if nothing answers at the contact points, every test errors with the reason.
``make test`` (or ``python -m aiocql.testing run -- pytest tests/integration``) starts the node
and exports ``AIOCQL_TEST_CONTACT_POINTS``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from aiocql import AsyncCluster, AsyncSession
from aiocql.testing import Profile

KEYSPACE = "aiocql_test"
AUTH_PROFILE = Profile.from_env().auth


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "auth_profile: needs a node with PasswordAuthenticator (aiocql.testing --auth)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an --auth node run only the auth_profile tests; elsewhere, only the others.

    ``make test`` runs the suite on both kinds of node, so every test runs in one of them.
    """
    keep = [
        item
        for item in items
        if (item.get_closest_marker("auth_profile") is not None) == AUTH_PROFILE
    ]
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session")
async def cluster(contact_points: list[str]) -> AsyncIterator[AsyncCluster]:
    """One cluster object for the whole run."""
    async with AsyncCluster(contact_points, connect_timeout=30) as cluster:
        yield cluster


@pytest.fixture(scope="session")
async def session(cluster: AsyncCluster) -> AsyncIterator[AsyncSession]:
    """A shared session bound to a fresh ``aiocql_test`` keyspace. Do not close it in a test."""
    admin = await cluster.connect()
    await admin.execute(f"DROP KEYSPACE IF EXISTS {KEYSPACE}", timeout=60)
    await admin.execute(
        f"CREATE KEYSPACE {KEYSPACE} WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 1}",
        timeout=60,
    )
    await admin.close()
    session = await cluster.connect(KEYSPACE)
    yield session
    await session.close()


BIG_TABLE_ROWS = 100_000
BIG_TABLE_PARTITION = 10_000


@pytest.fixture(scope="session")
async def big_table(session: AsyncSession) -> str:
    """A table of 100,000 rows ``(p, c, v)``: 10 partitions of 10,000, ``v == f"r{p}-{c}"``.

    Loaded once per run with ``execute_concurrent``; paging and streaming tests read it.
    """
    await session.execute(
        "CREATE TABLE big_rows (p int, c int, v text, PRIMARY KEY (p, c))", timeout=60
    )
    insert = await session.prepare("INSERT INTO big_rows (p, c, v) VALUES (?, ?, ?)")
    rows = (
        (
            i // BIG_TABLE_PARTITION,
            i % BIG_TABLE_PARTITION,
            f"r{i // BIG_TABLE_PARTITION}-{i % BIG_TABLE_PARTITION}",
        )
        for i in range(BIG_TABLE_ROWS)
    )
    await session.execute_concurrent(insert, rows, concurrency=256, timeout=60)
    return "big_rows"


@pytest.fixture
async def fresh_session(
    cluster: AsyncCluster, session: AsyncSession
) -> AsyncIterator[AsyncSession]:
    """A session of this test's own, for tests that close it or change its keyspace."""
    own = await cluster.connect(KEYSPACE)
    yield own
    await own.close()


@pytest.fixture
def table_name() -> str:
    """A table name unique to this test."""
    return f"t_{uuid.uuid4().hex[:12]}"


async def _until_no_requests_in_flight(seconds: float = 3.0) -> None:
    from aiocql import _native

    for _ in range(int(seconds / 0.01)):
        if _native._in_flight_requests() == 0:
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"{_native._in_flight_requests()} requests still in flight after {seconds} s")


@pytest.fixture
async def no_leaked_requests() -> AsyncIterator[None]:
    """Fails the test if Rust work it spawned is still running shortly after it ends."""
    yield
    await _until_no_requests_in_flight()


@pytest.fixture
def no_requests_in_flight() -> Callable[[], Awaitable[None]]:
    """``await no_requests_in_flight()`` fails the test unless every request and stream
    producer it started ends within 3 s (abort is asynchronous, so it waits that long)."""
    return _until_no_requests_in_flight


@pytest.fixture
async def rows_table(session: AsyncSession, table_name: str) -> AsyncIterator[str]:
    """An empty table ``(p int, c int, v text)`` clustered by ``c``, dropped afterwards."""
    await session.execute(
        f"CREATE TABLE {table_name} (p int, c int, v text, PRIMARY KEY (p, c))", timeout=60
    )
    yield table_name
    await session.execute(f"DROP TABLE {table_name}", timeout=60)
