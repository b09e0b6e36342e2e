"""Speculative execution on a real three-node cluster: with one replica frozen (SIGSTOP, so
that it answers nothing but keeps its connections open, as a node in a long GC pause does),
idempotent reads keep their latency because a second attempt goes to another replica, and the
session counts those attempts. Without speculation, or for a statement not marked idempotent,
the requests sent to the frozen replica wait for their timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

import aiocql
from aiocql import (
    AsyncCluster,
    ConsistencyLevel,
    ExecutionProfile,
    SimpleStatement,
)
from aiocql.policies import (
    ConstantSpeculativeExecutionPolicy,
    DCAwareRoundRobinPolicy,
    TokenAwarePolicy,
)
from aiocql.testing.plugin import PausedNode

KEYSPACE = "aiocql_speculative"
TABLE = f"{KEYSPACE}.kv"
KEYS = range(40)
TIMEOUT = 3.0  # each request's timeout: a request stuck on the frozen node reaches it
SLOW = 1.0  # a request that took this long waited for the frozen node
SPECULATE_AFTER = 0.05


def profile(speculative: bool) -> ExecutionProfile:
    return ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
        consistency_level=ConsistencyLevel.ONE,
        request_timeout=TIMEOUT,
        speculative_execution_policy=(
            ConstantSpeculativeExecutionPolicy(SPECULATE_AFTER, 2) if speculative else None
        ),
    )


@pytest.fixture(scope="module")
async def cluster(contact_points: list[str]) -> AsyncIterator[AsyncCluster]:
    profiles = {"speculative": profile(True), "plain": profile(False)}
    async with AsyncCluster(contact_points, execution_profiles=profiles) as cluster:
        session = await cluster.connect()
        await session.execute(
            f"CREATE KEYSPACE IF NOT EXISTS {KEYSPACE} WITH replication = "
            "{'class': 'NetworkTopologyStrategy', 'datacenter1': 3}",
            timeout=120,
        )
        await session.execute(
            # Coordinators also read from a second replica at once, so that a healthy
            # coordinator never waits on the frozen replica: what is measured is the driver.
            f"CREATE TABLE IF NOT EXISTS {TABLE} (k int PRIMARY KEY, v int)",
            timeout=120,
        )
        await session.execute(f"ALTER TABLE {TABLE} WITH speculative_retry = 'ALWAYS'", timeout=120)
        insert = await session.prepare(f"INSERT INTO {TABLE} (k, v) VALUES (?, ?)")
        insert.consistency_level = ConsistencyLevel.ALL
        for key in KEYS:
            await session.execute(insert, (key, key), timeout=30)
        yield cluster


async def latencies(
    run: Callable[[int], Awaitable[object]],
) -> tuple[list[float], list[BaseException]]:
    """Runs ``run(key)`` for every key, together; the latency of each, and the errors."""

    async def timed(key: int) -> float:
        began = time.monotonic()
        await run(key)
        return time.monotonic() - began

    outcomes = await asyncio.gather(*(timed(k) for k in KEYS), return_exceptions=True)
    return (
        [o for o in outcomes if isinstance(o, float)],
        [o for o in outcomes if isinstance(o, BaseException)],
    )


async def test_speculation_keeps_idempotent_reads_fast_while_a_replica_is_frozen(
    cluster: AsyncCluster, paused_node: PausedNode, figures: Callable[[str], None]
) -> None:
    session = await cluster.connect()
    read = await session.prepare(f"SELECT v FROM {TABLE} WHERE k = ?")
    read.is_idempotent = True
    before = session.metrics.speculative_executions
    with paused_node(2):
        fast, errors = await latencies(
            lambda k: session.execute(read, (k,), execution_profile="speculative")
        )
        assert errors == []
        assert max(fast) < SLOW, sorted(fast)[-5:]
        spoken = session.metrics.speculative_executions - before
        # Every read whose first replica was the frozen node needed a second attempt.
        assert spoken > 0
        plain, plain_errors = await latencies(
            lambda k: session.execute(read, (k,), execution_profile="plain")
        )
        stuck = [t for t in plain if t >= SLOW] + plain_errors
        assert stuck, "no read was sent to the frozen replica: the test proves nothing"
        assert all(isinstance(e, aiocql.OperationTimedOut) for e in plain_errors)
    figures(
        f"frozen replica: speculative max {max(fast) * 1000:.0f} ms over {len(KEYS)} reads, "
        f"{spoken} speculative attempts; without speculation {len(stuck)} reads waited "
        f"{SLOW:.0f} s or more"
    )


async def test_statements_not_marked_idempotent_are_never_speculated(
    cluster: AsyncCluster, paused_node: PausedNode
) -> None:
    session = await cluster.connect()
    read = SimpleStatement(f"SELECT v FROM {TABLE} WHERE k = 1")  # not idempotent
    await session.execute(read, execution_profile="speculative")
    before = session.metrics.speculative_executions
    with paused_node(2):
        _, errors = await latencies(
            lambda k: session.execute(
                SimpleStatement(f"SELECT v FROM {TABLE} WHERE k = {k}"),
                execution_profile="speculative",
            )
        )
    assert session.metrics.speculative_executions == before
    # The reads sent to the frozen node wait for their timeout: none went elsewhere.
    assert errors
    assert all(isinstance(e, aiocql.OperationTimedOut) for e in errors)
