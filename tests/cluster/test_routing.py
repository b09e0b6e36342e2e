"""Token-aware routing on a real three-node cluster: with one replica per partition, the node
that coordinates a request is the replica that owns its key, for every key of a sample; and a
policy that is not token-aware is seen to coordinate elsewhere (so the check can fail).

The owner of a key is read from the servers themselves: ``token(k)`` from CQL and each node's
tokens from ``system.local`` and ``system.peers_v2``.
"""

from __future__ import annotations

import bisect
from collections.abc import AsyncIterator

import pytest

from aiocql import AsyncCluster, AsyncSession, SimpleStatement
from aiocql.policies import DCAwareRoundRobinPolicy, RoundRobinPolicy, TokenAwarePolicy

KEYSPACE = "aiocql_routing"
TABLE = f"{KEYSPACE}.kv"
SAMPLE = range(120)


@pytest.fixture(scope="module")
async def routing_table(contact_points: list[str]) -> AsyncIterator[dict[int, str]]:
    """The table, with one replica per partition, and which node owns each key of SAMPLE."""
    async with AsyncCluster(contact_points) as cluster:
        session = await cluster.connect()
        await session.execute(
            f"CREATE KEYSPACE IF NOT EXISTS {KEYSPACE} WITH replication = "
            "{'class': 'NetworkTopologyStrategy', 'datacenter1': 1}",
            timeout=120,
        )
        await session.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (k int PRIMARY KEY, v int)", timeout=120
        )
        yield await owners(session)


async def owners(session: AsyncSession) -> dict[int, str]:
    """``{key: "host:port"}`` of the node owning each key of SAMPLE (RF=1)."""
    # Each node's own tokens, from its system.local: the query is spread over the nodes, and
    # the node that answered (rs.coordinator) is the one it describes.
    tokens_of: dict[str, list[int]] = {}
    for _ in range(100):
        rs = await session.execute("SELECT tokens FROM system.local")
        tokens_of[rs.coordinator] = [int(t) for t in rs.one().tokens]
        if len(tokens_of) == 3:
            break
    assert len(tokens_of) == 3, f"system.local was answered only by {sorted(tokens_of)}"
    ring = sorted((token, node) for node, tokens in tokens_of.items() for token in tokens)
    tokens = [token for token, _ in ring]
    token_of = await session.prepare(f"SELECT token(k) AS t FROM {TABLE} WHERE k = ?")
    insert = await session.prepare(f"INSERT INTO {TABLE} (k, v) VALUES (?, ?)")
    owner: dict[int, str] = {}
    for key in SAMPLE:
        await session.execute(insert, (key, key))
        token = (await session.execute(token_of, (key,))).one().t
        # The first node token at or after the key's token owns it, wrapping around the ring.
        owner[key] = ring[bisect.bisect_left(tokens, token) % len(ring)][1]
    return owner


async def test_the_coordinator_is_the_replica_that_owns_the_key(
    contact_points: list[str], routing_table: dict[int, str]
) -> None:
    assert len(set(routing_table.values())) == 3  # the sample covers every node
    async with AsyncCluster(contact_points) as cluster:  # default: token- and DC-aware
        session = await cluster.connect()
        select = await session.prepare(f"SELECT v FROM {TABLE} WHERE k = ?")
        misrouted = {}
        for key, owner in routing_table.items():
            rs = await session.execute(select, (key,))
            assert rs.one().v == key
            if rs.coordinator != owner:
                misrouted[key] = (rs.coordinator, owner)
            # A string query with parameters is prepared, so it is routed the same way.
            text = await session.execute(f"UPDATE {TABLE} SET v = ? WHERE k = ?", (key, key))
            if text.coordinator != owner:
                misrouted[key] = (text.coordinator, owner)
        assert misrouted == {}


async def test_token_awareness_follows_the_policy(
    contact_points: list[str], routing_table: dict[int, str]
) -> None:
    explicit = TokenAwarePolicy(DCAwareRoundRobinPolicy("datacenter1"), shuffle_replicas=False)
    async with AsyncCluster(contact_points, load_balancing_policy=explicit) as cluster:
        session = await cluster.connect()
        select = await session.prepare(f"SELECT v FROM {TABLE} WHERE k = ?")
        for key, owner in routing_table.items():
            assert (await session.execute(select, (key,))).coordinator == owner
    async with AsyncCluster(contact_points, load_balancing_policy=RoundRobinPolicy()) as cluster:
        session = await cluster.connect()
        select = await session.prepare(f"SELECT v FROM {TABLE} WHERE k = ?")
        coordinators = [
            (await session.execute(select, (key,))).coordinator for key in routing_table
        ]
        elsewhere = [
            c for c, owner in zip(coordinators, routing_table.values(), strict=True) if c != owner
        ]
        # Round robin spreads requests over every node, whoever owns the key.
        assert set(coordinators) == set(routing_table.values())
        assert len(elsewhere) > len(routing_table) // 3


async def test_a_statement_without_a_routing_key_is_spread_over_the_nodes(
    contact_points: list[str], routing_table: dict[int, str]
) -> None:
    async with AsyncCluster(contact_points) as cluster:
        session = await cluster.connect()
        statement = SimpleStatement("SELECT key FROM system.local")
        coordinators = {(await session.execute(statement)).coordinator for _ in range(60)}
        assert coordinators == set(routing_table.values())
