"""Cluster metadata and host events on a real three-node cluster: every host with its datacenter,
rack and state; the replicas of keys with one replica are the nodes whose token ranges own them,
as the servers themselves say (``token(k)`` and each node's tokens from its own ``system.local``);
and a killed node is reported down, then up once restarted, as events and listener calls.
"""

from __future__ import annotations

import asyncio
import bisect
import struct
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from aiocql import (
    AsyncCluster,
    AsyncSession,
    Host,
    HostEvent,
    HostStateListener,
    OperationTimedOut,
    SchemaAgreementTimeout,
)
from aiocql.testing import CassandraCluster
from aiocql.testing.plugin import PausedNode

from .conftest import KEYSPACE as KEYSPACE_RF3

KEYSPACE = "aiocql_metadata"
SAMPLE = range(90)
VICTIM = 3
# A killed node's connections close at once; the driver's view is compared every 0.5 s. The
# bound leaves room for a 2-core machine running three JVMs.
DOWN_WITHIN = 15.0
# From the moment the restarted node serves CQL: the driver's pool reconnects at once on the
# other nodes' UP announcement, else within its backoff (at most 10 s).
UP_WITHIN = 60.0


@dataclass
class NodeView:
    """What a node says of itself in its ``system.local``."""

    endpoint: str
    host_id: object
    datacenter: str
    rack: str
    tokens: list[int]
    release_version: str


async def own_views(session: AsyncSession) -> dict[str, NodeView]:
    """Each node's ``system.local``, keyed by the node that answered (``rs.coordinator``)."""
    views: dict[str, NodeView] = {}
    for _ in range(200):
        rs = await session.execute(
            "SELECT host_id, data_center, rack, tokens, release_version FROM system.local",
            timeout=30,
        )
        row = rs.one()
        assert rs.coordinator is not None
        views[rs.coordinator] = NodeView(
            rs.coordinator,
            row.host_id,
            row.data_center,
            row.rack,
            sorted(int(t) for t in row.tokens),
            row.release_version,
        )
        if len(views) == 3:
            break
    assert len(views) == 3, f"system.local was answered only by {sorted(views)}"
    return views


@pytest.fixture(scope="module")
async def one_replica(
    contact_points: list[str],
) -> AsyncIterator[tuple[AsyncCluster, dict[int, tuple[int, str]]]]:
    """A table with one replica per key: ``(cluster, {key: (token, owner endpoint)})``."""
    async with AsyncCluster(contact_points, connect_timeout=30) as cluster:
        session = await cluster.connect()  # kept open: the metadata is read through it
        await session.execute(
            f"CREATE KEYSPACE IF NOT EXISTS {KEYSPACE} WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}",
            timeout=120,
        )
        await session.execute(
            f"CREATE TABLE IF NOT EXISTS {KEYSPACE}.kv (k int PRIMARY KEY, v int)", timeout=120
        )
        ring = sorted(
            (token, view.endpoint)
            for view in (await own_views(session)).values()
            for token in view.tokens
        )
        tokens = [token for token, _ in ring]
        insert = await session.prepare(f"INSERT INTO {KEYSPACE}.kv (k, v) VALUES (?, ?)")
        token_of = await session.prepare(f"SELECT token(k) AS t FROM {KEYSPACE}.kv WHERE k = ?")
        owners = {}
        for key in SAMPLE:
            await session.execute(insert, (key, key), timeout=30)
            token = (await session.execute(token_of, (key,), timeout=30)).one().t
            # The first node token at or after the key's token owns it, wrapping around.
            owners[key] = (token, ring[bisect.bisect_left(tokens, token) % len(ring)][1])
        yield cluster, owners
        await session.close()


async def test_every_host_with_its_datacenter_rack_and_state(
    cluster: AsyncCluster, session: AsyncSession, three_nodes: CassandraCluster
) -> None:
    views = await own_views(session)
    meta = cluster.metadata
    hosts = {host.endpoint: host for host in meta.all_hosts()}
    assert sorted(hosts) == sorted(three_nodes.contact_points())
    for endpoint, view in views.items():
        host = hosts[endpoint]
        # One node told the driver every node's release version (system.local and peers).
        assert (host.host_id, host.datacenter, host.rack, host.release_version) == (
            view.host_id,
            view.datacenter,
            view.rack,
            view.release_version,
        )
        assert host.is_up, host
        assert meta.get_host_by_host_id(host.host_id) == host
    ring = sorted((t, v.endpoint) for v in views.values() for t in v.tokens)
    assert meta.token_map.ring == [token for token, _ in ring]
    owners = {token: host.endpoint for token, host in meta.token_map.token_to_host_owner.items()}
    assert owners == dict(ring)


async def test_the_replica_of_a_key_is_the_node_whose_range_owns_it(
    one_replica: tuple[AsyncCluster, dict[int, tuple[int, str]]],
) -> None:
    cluster, owners = one_replica
    assert len({owner for _, owner in owners.values()}) == 3  # the sample covers every node
    meta = cluster.metadata
    wrong = {}
    for key, (token, owner) in owners.items():
        by_values = [h.endpoint for h in meta.get_replicas(KEYSPACE, [key], table="kv")]
        routing_key = struct.pack(">i", key)  # an int partition key, serialized
        by_routing_key = [h.endpoint for h in meta.get_replicas(KEYSPACE, routing_key)]
        by_token = [h.endpoint for h in meta.token_map.get_replicas(KEYSPACE, token)]
        if not by_values == by_routing_key == by_token == [owner]:
            wrong[key] = (by_values, by_routing_key, by_token, owner)
    assert not wrong, wrong


async def test_with_three_replicas_every_node_holds_every_key(
    cluster: AsyncCluster, session: AsyncSession, three_nodes: CassandraCluster
) -> None:
    # The session fixture's keyspace has replication factor 3.
    keyspace = session.keyspace
    assert keyspace is not None
    meta = cluster.metadata
    assert meta.keyspaces[keyspace].replication_options == {"replication_factor": 3}
    for key in range(10):
        replicas = meta.get_replicas(keyspace, struct.pack(">i", key))
        assert sorted(h.endpoint for h in replicas) == sorted(three_nodes.contact_points())


class Recorder(HostStateListener):
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def on_add(self, host: Host) -> None:
        self.calls.append(("on_add", host.endpoint))

    def on_up(self, host: Host) -> None:
        self.calls.append(("on_up", host.endpoint))

    def on_down(self, host: Host) -> None:
        self.calls.append(("on_down", host.endpoint))

    def on_remove(self, host: Host) -> None:
        self.calls.append(("on_remove", host.endpoint))


async def test_a_killed_node_is_reported_down_then_up_once_restarted(
    all_nodes_up: CassandraCluster, contact_points: list[str], figures: Callable[[str], None]
) -> None:
    nodes = all_nodes_up
    victim = f"{nodes.address(VICTIM)}:9042"
    recorder = Recorder()
    async with AsyncCluster(contact_points, connect_timeout=30) as cluster:
        session = await cluster.connect()  # kept open: events are read through it
        cluster.register_listener(recorder)
        events = cluster.host_events()

        killed = time.monotonic()
        await asyncio.to_thread(nodes.kill, VICTIM)
        down: HostEvent = await asyncio.wait_for(anext(events), DOWN_WITHIN)
        down_after = time.monotonic() - killed
        assert (down.kind, down.host.endpoint, down.host.is_up) == ("down", victim, False)
        states = {h.endpoint: h.is_up for h in cluster.metadata.all_hosts()}
        assert states == {p: p != victim for p in nodes.contact_points()}  # none removed

        await asyncio.to_thread(nodes.start, VICTIM)  # returns once the node serves CQL
        serving = time.monotonic()
        up = await asyncio.wait_for(anext(events), UP_WITHIN)
        up_after = time.monotonic() - serving
        assert (up.kind, up.host.endpoint, up.host.is_up) == ("up", victim, True)
        assert all(h.is_up for h in cluster.metadata.all_hosts())

        for _ in range(200):  # the listeners' own watcher may be a comparison behind
            if len(recorder.calls) >= 2:
                break
            await asyncio.sleep(0.05)
        assert recorder.calls == [("on_down", victim), ("on_up", victim)]
        await events.aclose()
        assert not session.is_closed
    figures(
        f"host events: node{VICTIM} reported down {down_after:.1f} s after SIGKILL (bound "
        f"{DOWN_WITHIN:.0f} s), up {up_after:.1f} s after it served CQL again (bound "
        f"{UP_WITHIN:.0f} s)"
    )


async def test_a_schema_change_a_frozen_node_cannot_agree_to_says_it_was_applied(
    contact_points: list[str], session: AsyncSession, paused_node: PausedNode
) -> None:
    wait = 2.0
    async with AsyncCluster(
        contact_points, connect_timeout=30, max_schema_agreement_wait=wait, request_timeout=10
    ) as cluster:
        own = await cluster.connect(KEYSPACE_RF3)  # the session fixture made the keyspace
        table = f"frozen_{uuid.uuid4().hex[:8]}"
        raised: SchemaAgreementTimeout | None = None
        with paused_node(VICTIM):
            # A coordinator that is the frozen node cannot answer at all: try until another
            # node coordinates (each node is as likely).
            for attempt in range(12):
                name = f"{table}_{attempt}"
                try:
                    await own.execute(f"CREATE TABLE {name} (k int PRIMARY KEY)")
                except SchemaAgreementTimeout as exc:
                    raised = exc
                    break
                except OperationTimedOut:
                    continue
        assert raised is not None, "every attempt was coordinated by the frozen node"
        assert str(raised) == (
            "the schema change was applied, but the nodes did not agree on one schema version "
            f"within {wait:.3f} s"
        )
        # Applied indeed: once the node runs again, the nodes agree and the table is there.
        await own.wait_for_schema_agreement(timeout=120)
        await cluster.refresh_schema_metadata(timeout=60)
        assert name in cluster.metadata.keyspaces[KEYSPACE_RF3].tables
        await own.execute(f"INSERT INTO {name} (k) VALUES (1)", timeout=30)
    # An attempt the frozen node coordinated may have been applied once it ran again. Dropped
    # through the fixture's session, which waits the default 10 s for agreement, not 2.
    for tried in range(attempt + 1):
        await session.execute(f"DROP TABLE IF EXISTS {table}_{tried}", timeout=120)
