"""Cluster metadata, schema agreement and host events on the real node: what ``cluster.metadata``
says is checked against the node's own ``system`` tables and the DDL the test ran, and a node
frozen long enough for the driver's heartbeats to fail goes down and comes back up, as host
events and as listener calls."""

from __future__ import annotations

import asyncio
import struct
import threading
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from aiocql import (
    AsyncCluster,
    AsyncSession,
    ConnectionClosed,
    Host,
    HostEvent,
    HostStateListener,
    Metadata,
    OperationTimedOut,
    ParameterTypeError,
    SchemaAgreementTimeout,
)
from aiocql.metadata import MaterializedViewMetadata, TableMetadata
from aiocql.testing.plugin import PausedNode

from .conftest import KEYSPACE

# A frozen node's connections fail their heartbeat (1 s apart, 1 s to answer) within a few
# seconds; the driver's view is compared every 0.5 s. Generous: the machine is small and shared.
DOWN_WITHIN = 30.0
# Once the node runs again, the driver's pool reconnects with a backoff of at most 10 s.
UP_WITHIN = 60.0


@pytest.fixture
async def metadata_table(session: AsyncSession, table_name: str) -> AsyncIterator[str]:
    """A table with a composite partition key, two clustering columns, a static column, a
    collection and a user type, with a user type and a view of its own; dropped afterwards."""
    await session.execute(
        f"CREATE TYPE {table_name}_addr (street text, zip int, tags frozen<set<text>>)",
        timeout=60,
    )
    await session.execute(
        f"CREATE TABLE {table_name} (a int, b text, c timeuuid, d bigint, s text static, "
        f"home frozen<{table_name}_addr>, m map<text, frozen<list<int>>>, "
        "PRIMARY KEY ((a, b), c, d)) WITH CLUSTERING ORDER BY (c DESC, d ASC)",
        timeout=60,
    )
    await session.execute(
        f"CREATE MATERIALIZED VIEW {table_name}_by_d AS SELECT a, b, c, d FROM {table_name} "
        "WHERE a IS NOT NULL AND b IS NOT NULL AND c IS NOT NULL AND d IS NOT NULL "
        "PRIMARY KEY (d, a, b, c)",
        timeout=60,
    )
    yield table_name
    await session.execute(f"DROP MATERIALIZED VIEW IF EXISTS {table_name}_by_d", timeout=60)
    await session.execute(f"DROP TABLE IF EXISTS {table_name}", timeout=60)
    await session.execute(f"DROP TYPE IF EXISTS {table_name}_addr", timeout=60)


async def test_the_node_is_the_clusters_one_host(
    cluster: AsyncCluster, session: AsyncSession, contact_points: list[str]
) -> None:
    local = (
        await session.execute(
            "SELECT host_id, data_center, rack, tokens, cluster_name, rpc_address, release_version "
            "FROM system.local"
        )
    ).one()
    meta = cluster.metadata
    assert isinstance(meta, Metadata)
    [host] = meta.all_hosts()
    assert isinstance(host, Host)
    assert host.endpoint == contact_points[0]
    assert (host.address, host.port) == (str(local.rpc_address), 9042)
    assert (host.datacenter, host.rack) == (local.data_center, local.rack)
    assert host.host_id == local.host_id
    assert host.is_up
    assert host.release_version == local.release_version
    assert meta.cluster_name == local.cluster_name

    assert meta.get_host(host.address) == host
    assert meta.get_host(host.address, 9042) == host
    assert meta.get_host(host.address, 9043) is None
    assert meta.get_host("10.255.255.1") is None
    assert meta.get_host_by_host_id(local.host_id) == host
    assert meta.get_host_by_host_id(uuid.uuid4()) is None
    assert len({host, meta.all_hosts()[0]}) == 1  # equal and hashed by host_id

    tokens = sorted(int(t) for t in local.tokens)
    assert meta.token_map.ring == tokens
    assert meta.token_map.token_to_host_owner == dict.fromkeys(tokens, host)
    assert len(meta.token_map) == len(tokens)


async def test_keyspaces_tables_columns_user_types_and_views_after_ddl(
    cluster: AsyncCluster, metadata_table: str
) -> None:
    name = metadata_table
    # A schema change returns after the nodes agree and the driver has re-read the schema.
    keyspace = cluster.metadata.keyspaces[KEYSPACE]
    assert keyspace.name == KEYSPACE
    assert keyspace.replication_strategy == "SimpleStrategy"
    assert keyspace.replication_options == {"replication_factor": 1}
    assert keyspace.durable_writes is True

    table = keyspace.tables[name]
    assert type(table) is TableMetadata
    assert (table.keyspace_name, table.name) == (KEYSPACE, name)
    assert [(c.name, c.cql_type, c.kind) for c in table.columns.values()] == [
        ("a", "int", "partition_key"),
        ("b", "text", "partition_key"),
        ("c", "timeuuid", "clustering"),
        ("d", "bigint", "clustering"),
        ("home", f"frozen<{KEYSPACE}.{name}_addr>", "regular"),
        ("m", "map<text, frozen<list<int>>>", "regular"),
        ("s", "text", "static"),
    ]
    assert [c.name for c in table.partition_key] == ["a", "b"]
    assert [c.name for c in table.clustering_key] == ["c", "d"]
    assert [c.name for c in table.primary_key] == ["a", "b", "c", "d"]
    assert table.columns["s"].is_static
    assert not table.columns["a"].is_static

    user_type = keyspace.user_types[f"{name}_addr"]
    assert (user_type.keyspace, user_type.name) == (KEYSPACE, f"{name}_addr")
    assert user_type.field_names == ["street", "zip", "tags"]
    assert user_type.field_types == ["text", "int", "frozen<set<text>>"]

    view = keyspace.views[f"{name}_by_d"]
    assert isinstance(view, MaterializedViewMetadata)
    assert isinstance(view, TableMetadata)
    assert view.base_table_name == name
    assert [c.name for c in view.partition_key] == ["d"]
    assert [c.name for c in view.clustering_key] == ["a", "b", "c"]
    assert list(table.views) == [f"{name}_by_d"]
    assert f"{name}_by_d" not in keyspace.tables

    system = cluster.metadata.keyspaces["system"]
    assert system.replication_strategy == "LocalStrategy"
    assert system.replication_options == {}
    assert "local" in system.tables


async def test_a_snapshot_keeps_its_schema_and_a_new_one_sees_alter_and_drop(
    cluster: AsyncCluster, session: AsyncSession, table_name: str
) -> None:
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY)", timeout=60)
    before = cluster.metadata
    await session.execute(f"ALTER TABLE {table_name} ADD extra decimal", timeout=60)
    assert "extra" not in before.keyspaces[KEYSPACE].tables[table_name].columns
    after = cluster.metadata.keyspaces[KEYSPACE].tables[table_name]
    assert after.columns["extra"].cql_type == "decimal"
    await session.execute(f"DROP TABLE {table_name}", timeout=60)
    assert table_name not in cluster.metadata.keyspaces[KEYSPACE].tables
    assert table_name in before.keyspaces[KEYSPACE].tables


async def test_refresh_reads_a_change_another_client_made(
    contact_points: list[str], session: AsyncSession, table_name: str
) -> None:
    async with AsyncCluster(contact_points) as ours, AsyncCluster(contact_points) as other:
        ours_session = await ours.connect()  # metadata is read through an open session
        other_session = await other.connect(KEYSPACE)
        # Our driver hears of the other's change by a server event, but re-reads the schema
        # of the keyspaces it named only every 60 s: the refresh is what brings it now.
        await other_session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY)", timeout=60)
        await ours.refresh_schema_metadata(timeout=60)
        assert table_name in ours.metadata.keyspaces[KEYSPACE].tables
        await other_session.execute(f"DROP TABLE {table_name}", timeout=60)
        await ours.refresh_nodes(timeout=60)
        assert table_name not in ours.metadata.keyspaces[KEYSPACE].tables
        assert not ours_session.is_closed
        with pytest.raises(ValueError, match="timeout must be positive"):
            await ours.refresh_schema_metadata(timeout=0)


async def test_schema_agreement_returns_the_nodes_schema_version(
    session: AsyncSession, table_name: str
) -> None:
    version = await session.wait_for_schema_agreement(timeout=60)
    local = (await session.execute("SELECT schema_version FROM system.local")).one()
    assert isinstance(version, uuid.UUID)
    assert version == local.schema_version
    assert await session.check_schema_agreement(timeout=60) == version

    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY)", timeout=60)
    changed = await session.wait_for_schema_agreement()
    assert changed != version
    assert changed == (await session.execute("SELECT schema_version FROM system.local")).one()[0]
    await session.execute(f"DROP TABLE {table_name}", timeout=60)

    with pytest.raises(ValueError, match="timeout must be positive"):
        session.wait_for_schema_agreement(timeout=-1)
    with pytest.raises(ValueError, match="timeout must be positive"):
        session.check_schema_agreement(timeout=0)


async def test_schema_agreement_that_does_not_come_in_time_raises(
    session: AsyncSession, paused_node: PausedNode
) -> None:
    with paused_node(1), pytest.raises(SchemaAgreementTimeout, match=r"within 1\.000 s") as info:
        await session.wait_for_schema_agreement(timeout=1.0)
    assert isinstance(info.value, OperationTimedOut)
    with paused_node(1), pytest.raises(OperationTimedOut, match="schema agreement check"):
        await session.check_schema_agreement(timeout=1.0)


async def test_get_replicas_on_one_node(
    cluster: AsyncCluster, session: AsyncSession, table_name: str
) -> None:
    await session.execute(
        f"CREATE TABLE {table_name} (k int, j text, v int, PRIMARY KEY ((k, j)))", timeout=60
    )
    meta = cluster.metadata
    [host] = meta.all_hosts()
    assert meta.get_replicas(KEYSPACE, [7, "x"], table=table_name) == [host]
    assert meta.get_replicas(KEYSPACE, (7, "x"), table=table_name) == [host]
    assert meta.get_replicas(KEYSPACE, {"j": "x", "k": 7}, table=table_name) == [host]
    # The routing key of a composite partition key: each part as [length][bytes][0].
    routing = b"".join(
        struct.pack(">H", len(part)) + part + b"\0" for part in (struct.pack(">i", 7), b"x")
    )
    assert meta.get_replicas(KEYSPACE, routing) == [host]
    assert meta.get_replicas(KEYSPACE, bytearray(routing)) == [host]
    assert meta.get_replicas(KEYSPACE, memoryview(routing), table=table_name) == [host]
    assert meta.token_map.get_replicas(KEYSPACE, 42) == [host]
    assert meta.get_replicas("system", b"\0\0\0\1") == [host]  # LocalStrategy
    await session.execute(f"DROP TABLE {table_name}", timeout=60)


async def test_bad_arguments_raise_typed_errors_naming_them(
    cluster: AsyncCluster, session: AsyncSession, table_name: str
) -> None:
    await session.execute(
        f"CREATE TABLE {table_name} (k int, j text, PRIMARY KEY ((k, j)))", timeout=60
    )
    meta = cluster.metadata
    with pytest.raises(ValueError, match='keyspace "nope" is not in'):
        meta.get_replicas("nope", b"\0")
    with pytest.raises(ValueError, match='keyspace "AIOCQL_TEST" is not in'):
        meta.get_replicas(KEYSPACE.upper(), b"\0")
    with pytest.raises(ValueError, match='table "nope" is not in keyspace'):
        meta.get_replicas(KEYSPACE, [1, "x"], table="nope")
    with pytest.raises(TypeError, match="key must be the routing key as bytes, got str"):
        meta.get_replicas(KEYSPACE, "7")
    with pytest.raises(TypeError, match="key must be the partition key's values"):
        meta.get_replicas(KEYSPACE, "7", table=table_name)
    with pytest.raises(ValueError, match=r"key has 1 value\(s\) but the partition key"):
        meta.get_replicas(KEYSPACE, [7], table=table_name)
    with pytest.raises(ValueError, match="key: a partition key value cannot be None"):
        meta.get_replicas(KEYSPACE, [None, "x"], table=table_name)
    with pytest.raises(ParameterTypeError) as wrong:
        meta.get_replicas(KEYSPACE, ["seven", "x"], table=table_name)
    assert (wrong.value.column, wrong.value.cql_type) == ("k", "int")
    with pytest.raises(TypeError, match="keyspace"):
        meta.get_replicas(7, b"\0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="token"):
        meta.token_map.get_replicas(KEYSPACE, "7")  # type: ignore[arg-type]
    with pytest.raises(OverflowError, match="token"):
        meta.token_map.get_replicas(KEYSPACE, 2**64)
    with pytest.raises(ValueError, match='keyspace "nope"'):
        meta.token_map.get_replicas("nope", 0)
    with pytest.raises(ValueError, match="address must be an IP address"):
        meta.get_host("localhost")
    with pytest.raises(TypeError, match=r"host_id must be a uuid\.UUID, got str"):
        meta.get_host_by_host_id(str(uuid.uuid4()))  # type: ignore[arg-type]
    await session.execute(f"DROP TABLE {table_name}", timeout=60)


async def test_metadata_needs_an_open_session(contact_points: list[str]) -> None:
    cluster = AsyncCluster(contact_points)
    with pytest.raises(RuntimeError, match=r"await cluster\.connect"):
        _ = cluster.metadata
    with pytest.raises(RuntimeError, match=r"await cluster\.connect"):
        cluster.host_events()
    with pytest.raises(RuntimeError, match=r"await cluster\.connect"):
        await cluster.refresh_schema_metadata()
    session = await cluster.connect()
    snapshot = cluster.metadata
    await session.close()
    with pytest.raises(ConnectionClosed, match="every session of this cluster is closed"):
        _ = cluster.metadata
    assert snapshot.all_hosts()  # a snapshot stays readable...
    with pytest.raises(ConnectionClosed):  # ...but replicas are asked of the live driver
        snapshot.get_replicas(KEYSPACE, b"\0")
    await cluster.shutdown()
    with pytest.raises(ConnectionClosed, match="shut down"):
        _ = cluster.metadata


async def test_host_events_go_on_with_another_session_and_end_with_the_last(
    contact_points: list[str],
) -> None:
    cluster = AsyncCluster(contact_points)
    first = await cluster.connect()
    events = cluster.host_events()  # watches the one open session
    waiting = asyncio.ensure_future(anext(events))
    second = await cluster.connect()
    await first.close()
    # The closed session is seen within 0.5 s and the second one watched; no node changed,
    # so no event.
    await asyncio.sleep(3)
    assert not waiting.done(), waiting
    await second.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 30)
    await cluster.shutdown()


class Recorder(HostStateListener):
    """Records each call, with the thread it ran on; ``on_up`` is a coroutine function."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Host]] = []
        self.threads: set[int] = set()

    def _record(self, name: str, host: Host) -> None:
        self.calls.append((name, host))
        self.threads.add(threading.get_ident())

    def on_add(self, host: Host) -> None:
        self._record("on_add", host)

    async def on_up(self, host: Host) -> None:
        await asyncio.sleep(0)
        self._record("on_up", host)

    def on_down(self, host: Host) -> None:
        self._record("on_down", host)

    def on_remove(self, host: Host) -> None:
        self._record("on_remove", host)


class Failing(HostStateListener):
    def on_down(self, host: Host) -> None:
        raise RuntimeError("listener bug")


async def test_listeners_are_checked(cluster: AsyncCluster) -> None:
    class Half:
        def on_up(self, host: Host) -> None: ...

    with pytest.raises(TypeError, match=r"listener must have .* lacks on_add, on_down, on_remove"):
        cluster.register_listener(Half())
    with pytest.raises(TypeError, match="lacks on_add, on_up, on_down, on_remove"):
        cluster.register_listener(object())
    with pytest.raises(ValueError, match="is not registered"):
        cluster.unregister_listener(HostStateListener())


async def _until(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the bound"
        await asyncio.sleep(0.05)


@pytest.mark.timeout(300)
async def test_a_frozen_node_goes_down_and_comes_back_as_events_and_listener_calls(
    contact_points: list[str], paused_node: PausedNode
) -> None:
    loop = asyncio.get_running_loop()
    handled: list[dict[str, Any]] = []
    previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: handled.append(context))
    try:
        down_after, up_after = await _freeze_and_thaw(contact_points, paused_node, handled)
    finally:
        loop.set_exception_handler(previous_handler)
    print(f"host events: down {down_after:.1f} s after the freeze, up {up_after:.1f} s after")


async def _freeze_and_thaw(
    contact_points: list[str], paused_node: PausedNode, handled: list[dict[str, Any]]
) -> tuple[float, float]:
    recorder, failing = Recorder(), Failing()
    async with AsyncCluster(
        contact_points, idle_heartbeat_interval=1, idle_heartbeat_timeout=1
    ) as cluster:
        cluster.register_listener(failing)  # before connect: called from connect on
        session = await cluster.connect()  # metadata and events are read through it
        cluster.register_listener(recorder)
        cluster.register_listener(recorder)  # once is enough
        events = cluster.host_events()
        [host] = cluster.metadata.all_hosts()
        with paused_node(1):
            frozen = time.monotonic()
            down: HostEvent = await asyncio.wait_for(anext(events), DOWN_WITHIN)
            down_after = time.monotonic() - frozen
            assert (down.kind, down.host, down.host.is_up) == ("down", host, False)
            assert not cluster.metadata.all_hosts()[0].is_up
            # The listeners have a watcher of their own, polling at its own moments: keep the
            # node down until it has seen it too (a shorter outage can be missed by design).
            await _until(lambda: ("on_down", host) in recorder.calls, 10)
        resumed = time.monotonic()
        up = await asyncio.wait_for(anext(events), UP_WITHIN)
        up_after = time.monotonic() - resumed
        assert (up.kind, up.host, up.host.is_up) == ("up", host, True)
        await _until(lambda: len(recorder.calls) == 2, 10)
        assert recorder.calls == [("on_down", host), ("on_up", host)]
        assert recorder.threads == {threading.get_ident()}  # the event loop's thread
        assert [type(c.get("exception")) for c in handled] == [RuntimeError]
        assert "on_down" in handled[0]["message"]
        cluster.unregister_listener(recorder)
        cluster.unregister_listener(failing)
        await events.aclose()
        assert not session.is_closed
    return down_after, up_after
