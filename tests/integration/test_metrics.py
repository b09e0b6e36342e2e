"""``session.metrics``: what a session has done, counted by the Rust driver as it runs."""

from __future__ import annotations

import pytest

import aiocql
from aiocql import AsyncCluster, AsyncSession, SessionMetrics


async def test_requests_errors_and_latency_are_counted(contact_points: list[str]) -> None:
    async with AsyncCluster(contact_points) as cluster:
        session = await cluster.connect()
        start = session.metrics
        assert isinstance(start, SessionMetrics)
        for _ in range(5):
            await session.execute("SELECT key FROM system.local")
        with pytest.raises(aiocql.InvalidRequest):
            await session.execute("SELECT * FROM system.no_such_table")
        now = session.metrics
        assert now.requests - start.requests == 6
        assert now.errors - start.errors == 1
        assert now.retries == start.retries == 0
        assert now.speculative_executions == 0
        assert now.latency_mean_ms is not None
        assert now.latency_p99_ms is not None
        assert "requests=" in repr(now)


async def test_metrics_of_a_closed_session_raise(fresh_session: AsyncSession) -> None:
    await fresh_session.close()
    with pytest.raises(aiocql.ConnectionClosed):
        _ = fresh_session.metrics
