"""Fixtures for tests against the real Cassandra node that ``tools/testcluster.py`` starts.

The suite never skips for want of a server: if nothing answers at the contact points, every
test errors with the reason. ``make test`` (or ``python3 tools/testcluster.py run -- pytest
tests/integration``) starts the node and exports ``AIOCQL_TEST_CONTACT_POINTS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from aiocql import AsyncCluster, AsyncSession

KEYSPACE = "aiocql_test"


def _contact_points() -> list[str]:
    raw = os.environ.get("AIOCQL_TEST_CONTACT_POINTS", "127.0.0.1:9042")
    return [p.strip() for p in raw.split(",") if p.strip()]


CONTACT_POINTS = _contact_points()


AUTH_PROFILE = os.environ.get("AIOCQL_TEST_AUTH") == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "auth_profile: needs a node with PasswordAuthenticator (testcluster --auth)"
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


def _check_server_reachable() -> None:
    host, _, port = CONTACT_POINTS[0].rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=3):
            return
    except OSError as exc:
        pytest.fail(
            f"no Cassandra at {CONTACT_POINTS[0]} ({exc}). Integration tests need a real node: "
            "run `make test`, or `python3 tools/testcluster.py run -- pytest tests/integration`",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def contact_points() -> list[str]:
    """The running test cluster's contact points (``host:port``)."""
    _check_server_reachable()
    return CONTACT_POINTS


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


sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from testcluster import TestCluster  # noqa: E402


@pytest.fixture(scope="session")
def test_cluster(contact_points: list[str]) -> TestCluster:
    """The launcher's view of the running cluster: pids, logs, nodetool."""
    return TestCluster.from_env()


def _wait_until_all_threads_stopped(pid: int) -> None:
    """kill() returns before every thread of the JVM has stopped; a request sent in that
    window could still be answered. Wait until /proc shows each thread stopped."""
    for _ in range(2000):
        states = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                # The state follows the parenthesised command name, which may contain spaces.
                states.append(task.joinpath("stat").read_text().rpartition(")")[2].split()[0])
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.001)
    pytest.fail(f"node JVM {pid} did not stop within 2 s of SIGSTOP", pytrace=False)


@pytest.fixture
def paused_node(
    test_cluster: TestCluster,
) -> Iterator[Callable[[int], contextlib.AbstractContextManager[None]]]:
    """``with paused_node(1): ...`` freezes node 1's JVM (SIGSTOP) so that it stops answering
    without closing its sockets, as a hung or GC-paused server does; it resumes on exit."""
    stopped: set[int] = set()

    @contextlib.contextmanager
    def pause(node: int) -> Iterator[None]:
        pid = test_cluster.running_pid(node)
        if pid is None:
            pytest.fail(
                f"node {node} was not started by tools/testcluster.py (no pid): fault tests "
                "need a node the launcher owns",
                pytrace=False,
            )
        os.kill(pid, signal.SIGSTOP)
        stopped.add(pid)
        _wait_until_all_threads_stopped(pid)
        try:
            yield
        finally:
            os.kill(pid, signal.SIGCONT)
            stopped.discard(pid)

    yield pause
    for pid in stopped:  # never leave a frozen node behind
        os.kill(pid, signal.SIGCONT)
