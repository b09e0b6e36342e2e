"""Connecting, keyspaces, closing, and failing to connect."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

import aiocql
from aiocql import (
    AsyncCluster,
    AsyncSession,
    ConnectionClosed,
    ConnectionException,
    DriverException,
    InvalidRequest,
    NoHostAvailable,
)

KEYSPACE = "aiocql_test"
INVALID_CODE = 0x2200

# Generous enough for a loaded CI machine, tight enough to catch a close that sleeps or waits
# for a timer (async-cassandra's close() sleeps 5 s).
PROMPT = 0.5
# How much later than its deadline a failing connect may return.
MARGIN = 0.5


@pytest.fixture
def silent_listener() -> Iterator[str]:
    """A TCP port that accepts connections (into the backlog) but never sends a byte."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def closed_port() -> str:
    """A local TCP port with nothing listening on it (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


async def _release_version(session: AsyncSession) -> str:
    row = (await session.execute("SELECT release_version FROM system.local")).one()
    assert row is not None
    version: str = row.release_version
    return version


# --- connect ---------------------------------------------------------------------------------


async def test_connect_returns_an_async_session(cluster: AsyncCluster) -> None:
    session = await cluster.connect()
    try:
        assert isinstance(session, AsyncSession)
        assert aiocql.AsyncCassandraSession is AsyncSession
        assert session.keyspace is None
        assert not session.is_closed
        assert (await _release_version(session)).startswith(("3.", "4.", "5."))
    finally:
        await session.close()


async def test_connect_with_keyspace_binds_the_session(
    cluster: AsyncCluster, session: AsyncSession, table_name: str
) -> None:
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v text)")
    await session.execute(f"INSERT INTO {table_name} (k, v) VALUES (1, 'one')")

    async with await cluster.connect(KEYSPACE) as bound:
        assert bound.keyspace == KEYSPACE
        # An unqualified table name resolves in the session's keyspace.
        rows = (await bound.execute(f"SELECT v FROM {table_name} WHERE k = 1")).all()
        assert rows == [("one",)]


async def test_connect_folds_unquoted_keyspace_names_to_lower_case(
    cluster: AsyncCluster, session: AsyncSession
) -> None:
    async with await cluster.connect(KEYSPACE.upper()) as bound:
        assert bound.keyspace == KEYSPACE


async def test_connect_to_unknown_keyspace_raises_invalid_request_naming_it(
    cluster: AsyncCluster,
) -> None:
    with pytest.raises(InvalidRequest, match="no_such_keyspace_xyz") as info:
        await cluster.connect("no_such_keyspace_xyz")
    assert info.value.code == INVALID_CODE
    # The cluster is still usable.
    async with await cluster.connect() as session:
        await _release_version(session)


@pytest.mark.parametrize("name", ["bad name", "ks;DROP KEYSPACE x", "", "x" * 49, '"'])
async def test_connect_refuses_an_invalid_keyspace_name(cluster: AsyncCluster, name: str) -> None:
    with pytest.raises(ValueError, match="invalid keyspace name"):
        await cluster.connect(name)


# --- async with, close, shutdown -------------------------------------------------------------


async def test_async_with_cluster_shuts_it_down_on_exit(contact_points: list[str]) -> None:
    async with AsyncCluster(contact_points, connect_timeout=30) as cluster:
        assert not cluster.is_closed
        session = await cluster.connect()
        await _release_version(session)
    assert cluster.is_closed
    assert session.is_closed


async def test_async_with_cluster_shuts_it_down_when_the_body_raises(
    contact_points: list[str],
) -> None:
    opened: list[tuple[AsyncCluster, AsyncSession]] = []

    async def body() -> None:
        async with AsyncCluster(contact_points, connect_timeout=30) as cluster:
            opened.append((cluster, await cluster.connect()))
            raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await body()
    [(cluster, session)] = opened
    assert cluster.is_closed
    assert session.is_closed


async def test_async_with_session_closes_it_on_exit(cluster: AsyncCluster) -> None:
    opened = await cluster.connect()
    async with opened as session:
        assert session is opened
        await _release_version(session)
    assert session.is_closed
    with pytest.raises(ConnectionClosed):
        await session.execute("SELECT release_version FROM system.local")


async def test_async_with_await_connect_closes_the_session_on_exit(cluster: AsyncCluster) -> None:
    async with await cluster.connect() as session:
        await _release_version(session)
    assert session.is_closed


async def test_close_is_prompt_and_idempotent(cluster: AsyncCluster) -> None:
    session = await cluster.connect()
    await _release_version(session)

    started = time.monotonic()
    await session.close()
    assert time.monotonic() - started < PROMPT
    assert session.is_closed

    started = time.monotonic()
    await session.close()
    await session.shutdown()
    assert time.monotonic() - started < PROMPT
    assert session.is_closed


async def test_shutdown_is_an_alias_of_close(cluster: AsyncCluster) -> None:
    session = await cluster.connect()
    await session.shutdown()
    assert session.is_closed
    with pytest.raises(ConnectionClosed, match="Session is closed"):
        await session.execute("SELECT release_version FROM system.local")


async def test_calls_after_close_raise_connection_closed(cluster: AsyncCluster) -> None:
    session = await cluster.connect(KEYSPACE)
    prepared = await session.prepare("SELECT release_version FROM system.local")
    await session.close()

    calls = {
        "execute": lambda: session.execute("SELECT release_version FROM system.local"),
        "execute with parameters": lambda: session.execute(
            "SELECT release_version FROM system.local WHERE key = ?", ["local"]
        ),
        "execute prepared": lambda: session.execute(prepared),
        "prepare": lambda: session.prepare("SELECT release_version FROM system.local"),
        "set_keyspace": lambda: session.set_keyspace("system"),
    }
    for what, call in calls.items():
        with pytest.raises(ConnectionClosed, match=r"^Session is closed$") as info:
            await call()
        assert isinstance(info.value, ConnectionException), what
        assert isinstance(info.value, DriverException), what


async def test_closing_one_session_leaves_others_working(
    cluster: AsyncCluster, session: AsyncSession
) -> None:
    other = await cluster.connect()
    await other.close()
    await _release_version(session)


async def test_cluster_shutdown_closes_its_sessions_and_refuses_connect(
    contact_points: list[str],
) -> None:
    cluster = AsyncCluster(contact_points, connect_timeout=30)
    first = await cluster.connect()
    second = await cluster.connect()

    started = time.monotonic()
    await cluster.shutdown()
    assert time.monotonic() - started < PROMPT

    assert cluster.is_closed
    assert first.is_closed
    assert second.is_closed
    with pytest.raises(ConnectionClosed, match="Session is closed"):
        await first.execute("SELECT release_version FROM system.local")
    with pytest.raises(ConnectionClosed, match="Cluster is shut down"):
        await cluster.connect()

    # Idempotent, under both names.
    await cluster.shutdown()
    await cluster.close()
    assert cluster.is_closed


# --- set_keyspace ----------------------------------------------------------------------------


async def test_set_keyspace_switches_the_keyspace(fresh_session: AsyncSession) -> None:
    assert fresh_session.keyspace == KEYSPACE
    await fresh_session.set_keyspace("system")
    assert fresh_session.keyspace == "system"
    # Unqualified names now resolve in system.
    row = (await fresh_session.execute("SELECT key FROM local")).one()
    assert row is not None
    assert row.key == "local"

    await fresh_session.set_keyspace(KEYSPACE.upper())
    assert fresh_session.keyspace == KEYSPACE
    await fresh_session.set_keyspace(f'"{KEYSPACE}"')
    assert fresh_session.keyspace == KEYSPACE


@pytest.mark.parametrize(
    "name", ["bad name", "ks;DROP KEYSPACE aiocql_test", "", "x" * 49, '""', "ks-1", "système"]
)
async def test_set_keyspace_refuses_invalid_names_before_any_io(
    cluster: AsyncCluster, name: str
) -> None:
    session = await cluster.connect(KEYSPACE)
    try:
        with pytest.raises(ValueError, match="invalid keyspace name"):
            await session.set_keyspace(name)
        assert session.keyspace == KEYSPACE
    finally:
        await session.close()
    # Validation comes before anything touches the connections: even a closed session says
    # what is wrong with the name rather than that it is closed.
    with pytest.raises(ValueError, match="invalid keyspace name"):
        await session.set_keyspace(name)


async def test_set_keyspace_to_unknown_keyspace_raises_and_keeps_the_old_one(
    fresh_session: AsyncSession, table_name: str
) -> None:
    await fresh_session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY)")
    await fresh_session.execute(f"INSERT INTO {table_name} (k) VALUES (7)")

    with pytest.raises(InvalidRequest, match="no_such_keyspace_xyz") as info:
        await fresh_session.set_keyspace("no_such_keyspace_xyz")
    assert info.value.code == INVALID_CODE

    assert fresh_session.keyspace == KEYSPACE
    rows = (await fresh_session.execute(f"SELECT k FROM {table_name}")).all()
    assert rows == [(7,)]


async def test_use_statement_through_execute_switches_the_keyspace(
    fresh_session: AsyncSession,
) -> None:
    await fresh_session.execute("USE system")
    assert fresh_session.keyspace == "system"
    with pytest.raises(InvalidRequest, match="no_such_keyspace_xyz"):
        await fresh_session.execute("USE no_such_keyspace_xyz")
    assert fresh_session.keyspace == "system"


# --- unreachable contact points --------------------------------------------------------------


async def test_silent_host_raises_no_host_available_within_connect_timeout(
    silent_listener: str,
) -> None:
    cluster = AsyncCluster([silent_listener], connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(NoHostAvailable) as info:
        await cluster.connect()
    elapsed = time.monotonic() - started
    await cluster.shutdown()

    assert elapsed < 1 + MARGIN
    assert silent_listener in str(info.value)
    assert set(info.value.errors) == {silent_listener}


async def test_refused_connection_raises_no_host_available_at_once(closed_port: str) -> None:
    cluster = AsyncCluster([closed_port], connect_timeout=5)
    started = time.monotonic()
    with pytest.raises(NoHostAvailable) as info:
        await cluster.connect()
    elapsed = time.monotonic() - started
    await cluster.shutdown()

    # A refused connection is an answer: no need to wait for the timeout.
    assert elapsed < 1
    assert closed_port in info.value.errors
    assert "refused" in str(info.value).lower()


async def test_timeout_on_connect_overrides_a_longer_connect_timeout(
    silent_listener: str,
) -> None:
    cluster = AsyncCluster([silent_listener], connect_timeout=30)
    started = time.monotonic()
    with pytest.raises(NoHostAvailable, match=r"0\.500 s"):
        await cluster.connect(timeout=0.5)
    elapsed = time.monotonic() - started
    await cluster.shutdown()
    assert elapsed < 0.5 + MARGIN


async def test_timeout_on_connect_overrides_a_shorter_connect_timeout(
    silent_listener: str,
) -> None:
    cluster = AsyncCluster([silent_listener], connect_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(NoHostAvailable, match=r"1\.000 s"):
        await cluster.connect(timeout=1)
    elapsed = time.monotonic() - started
    await cluster.shutdown()
    assert 1 <= elapsed < 1 + MARGIN


async def test_one_reachable_contact_point_is_enough(
    contact_points: list[str], closed_port: str
) -> None:
    async with AsyncCluster([closed_port, *contact_points], connect_timeout=30) as cluster:
        session = await cluster.connect()
        await _release_version(session)
