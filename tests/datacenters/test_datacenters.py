"""Datacenter and rack awareness on a real cluster of two datacenters: dc1 (node 1 in rack1,
node 2 in rack2) and dc2 (node 3). ``make test-cluster`` starts it with
``--nodes 3 --topology dc1:rack1,dc1:rack2,dc2:rack1``.

Requests stay in the local datacenter while it is up, fail over to a remote one only when the
policy allows it, and come back when the local node returns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

import aiocql
from aiocql import AsyncCluster, ConsistencyLevel, SimpleStatement
from aiocql.policies import (
    DCAwareRoundRobinPolicy,
    RackAwareRoundRobinPolicy,
    TokenAwarePolicy,
)
from aiocql.testing import CassandraCluster

KEYSPACE = "aiocql_dcs"
TABLE = f"{KEYSPACE}.kv"
KEYS = range(60)
# How long the restarted node may take to coordinate requests again, once it serves CQL:
# the driver's reconnection backoff tops out at 10 s.
BACK_IN_SERVICE = 30.0


@pytest.fixture(scope="module")
def nodes(test_cluster: CassandraCluster) -> dict[str, list[str]]:
    """``host:port`` of the nodes of each datacenter, from the launcher's topology."""
    if test_cluster.profile.topology.datacenters() != {"dc1": [1, 2], "dc2": [3]}:
        pytest.fail(
            "these tests need --nodes 3 --topology dc1:rack1,dc1:rack2,dc2:rack1",
            pytrace=False,
        )
    points = test_cluster.contact_points()
    return {"dc1": points[:2], "dc2": points[2:], "rack2": points[1:2]}


@pytest.fixture(scope="module")
async def table(contact_points: list[str]) -> AsyncIterator[str]:
    async with AsyncCluster(contact_points) as cluster:
        session = await cluster.connect()
        await session.execute(
            f"CREATE KEYSPACE IF NOT EXISTS {KEYSPACE} WITH replication = "
            "{'class': 'NetworkTopologyStrategy', 'dc1': 2, 'dc2': 1}",
            timeout=120,
        )
        await session.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (k int PRIMARY KEY, v int)", timeout=120
        )
        insert = await session.prepare(f"INSERT INTO {TABLE} (k, v) VALUES (?, ?)")
        insert.consistency_level = ConsistencyLevel.ALL
        for key in KEYS:
            await session.execute(insert, (key, key), timeout=30)
        yield TABLE


async def coordinators(cluster: AsyncCluster, table: str) -> set[str]:
    """Who coordinates prepared reads of every key and unrouted reads of system.local."""
    session = await cluster.connect()
    select = await session.prepare(f"SELECT v FROM {table} WHERE k = ?")
    seen = set()
    for key in KEYS:
        rs = await session.execute(select, (key,))
        assert rs.one().v == key
        seen.add(rs.coordinator)
        seen.add((await session.execute("SELECT key FROM system.local")).coordinator)
    return seen


async def first_no_host_available(
    session: aiocql.AsyncSession, statement: SimpleStatement, within: float
) -> aiocql.NoHostAvailable:
    """Runs ``statement`` until it raises NoHostAvailable (a request in flight on a node as it
    dies may fail otherwise first); fails the test after ``within`` seconds."""
    began = time.monotonic()
    while time.monotonic() - began < within:
        try:
            await session.execute(statement, timeout=5)
        except aiocql.NoHostAvailable as exc:
            return exc
        except aiocql.DriverException:
            pass
        await asyncio.sleep(0.1)
    pytest.fail(f"no NoHostAvailable within {within} s")


async def until_coordinated_by(
    session: aiocql.AsyncSession, statement: SimpleStatement, node: str
) -> None:
    """Runs ``statement`` until ``node`` coordinates it; fails after BACK_IN_SERVICE seconds."""
    began = time.monotonic()
    while True:
        try:
            rs = await session.execute(statement, timeout=5)
        except aiocql.DriverException:
            rs = None
        if rs is not None and rs.coordinator == node:
            return
        assert time.monotonic() - began < BACK_IN_SERVICE, f"{node} never coordinated again"
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("token_aware", [True, False], ids=["token-aware", "round-robin"])
@pytest.mark.parametrize("dc", ["dc1", "dc2"])
async def test_local_dc_keeps_every_request_in_its_datacenter(
    contact_points: list[str],
    nodes: dict[str, list[str]],
    table: str,
    dc: str,
    token_aware: bool,
) -> None:
    policy = DCAwareRoundRobinPolicy(dc)
    chosen = TokenAwarePolicy(policy) if token_aware else policy
    async with AsyncCluster(contact_points, load_balancing_policy=chosen) as cluster:
        assert await coordinators(cluster, table) == set(nodes[dc])


async def test_without_local_dc_the_first_contact_points_datacenter_is_local(
    nodes: dict[str, list[str]], table: str
) -> None:
    async with AsyncCluster(nodes["dc2"] + nodes["dc1"]) as cluster:
        assert await coordinators(cluster, table) == set(nodes["dc2"])
    async with AsyncCluster(nodes["dc1"] + nodes["dc2"]) as cluster:
        assert await coordinators(cluster, table) == set(nodes["dc1"])


@pytest.mark.parametrize("token_aware", [True, False], ids=["token-aware", "round-robin"])
async def test_local_rack_is_preferred_within_the_local_datacenter(
    contact_points: list[str], nodes: dict[str, list[str]], table: str, token_aware: bool
) -> None:
    policy = RackAwareRoundRobinPolicy("dc1", "rack2")
    chosen = TokenAwarePolicy(policy) if token_aware else policy
    async with AsyncCluster(contact_points, load_balancing_policy=chosen) as cluster:
        # dc1 holds a replica of every key on both its nodes: rack2's node serves them all.
        assert await coordinators(cluster, table) == set(nodes["rack2"])


async def test_remote_datacenters_are_used_only_when_allowed_and_the_local_node_comes_back(
    contact_points: list[str],
    nodes: dict[str, list[str]],
    table: str,
    test_cluster: CassandraCluster,
) -> None:
    read = SimpleStatement(
        f"SELECT v FROM {table} WHERE k = 1",
        consistency_level=ConsistencyLevel.ONE,
        is_idempotent=True,
    )
    local_only = AsyncCluster(
        contact_points,
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy("dc2")),
    )
    may_fail_over = AsyncCluster(
        contact_points,
        load_balancing_policy=TokenAwarePolicy(
            DCAwareRoundRobinPolicy("dc2", used_hosts_per_remote_dc=1)
        ),
    )
    async with local_only, may_fail_over:
        stays = await local_only.connect()
        moves = await may_fail_over.connect()
        assert (await stays.execute(read)).coordinator == nodes["dc2"][0]
        assert (await moves.execute(read)).coordinator == nodes["dc2"][0]
        # The schema reaches node 3's disk now: a SIGKILL loses what the commit log has not
        # synced yet (periodic sync), and a node that lost a table's schema refuses its writes.
        test_cluster.nodetool(3, "flush")
        test_cluster.kill(3)
        try:
            error = await first_no_host_available(stays, read, within=20)
            # Whether the plan came out empty or its one node's pool was broken, every node is
            # named: dc2's as down, dc1's as outside the plan of a dc2-only policy.
            assert "down or unreachable" in str(error.errors[nodes["dc2"][0]])
            for node in nodes["dc1"]:
                assert "not in this request's plan" in str(error.errors[node])
            moved = {(await moves.execute(read, timeout=10)).coordinator for _ in range(20)}
            assert moved <= set(nodes["dc1"])
        finally:
            test_cluster.start(3)
        # Each session reconnects to the restarted node on its own schedule.
        await until_coordinated_by(stays, read, nodes["dc2"][0])
        await until_coordinated_by(moves, read, nodes["dc2"][0])


async def test_metadata_gives_each_host_its_datacenter_and_rack(
    contact_points: list[str], nodes: dict[str, list[str]], table: str
) -> None:
    async with AsyncCluster(contact_points) as cluster:
        session = await cluster.connect()  # kept open: the metadata is read through it
        meta = cluster.metadata
        placement = {host.endpoint: (host.datacenter, host.rack) for host in meta.all_hosts()}
        (node1, node2), (node3,) = nodes["dc1"], nodes["dc2"]
        assert placement == {
            node1: ("dc1", "rack1"),
            node2: ("dc1", "rack2"),
            node3: ("dc2", "rack1"),
        }
        assert all(host.is_up for host in meta.all_hosts())
        keyspace = meta.keyspaces[KEYSPACE]
        assert keyspace.replication_strategy == "NetworkTopologyStrategy"
        assert keyspace.replication_options == {"dc1": 2, "dc2": 1}
        # Two replicas in dc1, which has two nodes, and one in dc2: every node holds every key.
        for key in KEYS:
            replicas = meta.get_replicas(KEYSPACE, [key], table=table.split(".")[1])
            assert sorted(h.endpoint for h in replicas) == sorted(placement)
        assert not session.is_closed
