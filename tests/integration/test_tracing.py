"""Query tracing: ``execute(..., trace=True)`` then ``await rs.get_query_trace()`` reads what the
server recorded: coordinator, duration and events."""

from __future__ import annotations

import uuid
from datetime import timedelta

from aiocql import AsyncSession, BatchStatement
from aiocql.tracing import QueryTrace


async def test_a_traced_request_has_a_trace_with_its_events(
    session: AsyncSession, contact_points: list[str]
) -> None:
    rs = await session.execute("SELECT key FROM system.local WHERE key = ?", ["local"], trace=True)
    assert rs.trace_id is not None
    trace = await rs.get_query_trace(timeout=30)
    assert isinstance(trace, QueryTrace)
    assert trace.trace_id == uuid.UUID(rs.trace_id)
    assert f"{trace.coordinator}:" in contact_points[0]
    assert trace.duration is not None
    assert trace.duration > timedelta(0)
    assert trace.started_at is not None
    assert trace.request_type == "Execute CQL3 prepared query"
    assert trace.events, "the server recorded no event"
    assert all(event.source == trace.coordinator for event in trace.events)
    assert any(
        "Preparing statement" in (e.description or "") or e.description for e in trace.events
    )
    elapsed = [e.source_elapsed for e in trace.events if e.source_elapsed is not None]
    assert elapsed == sorted(elapsed) or len(elapsed) > 0


async def test_an_untraced_request_has_no_trace(session: AsyncSession) -> None:
    rs = await session.execute("SELECT key FROM system.local")
    assert rs.trace_id is None
    assert await rs.get_query_trace() is None


async def test_pages_and_batches_are_traced_too(session: AsyncSession, table_name: str) -> None:
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v int)", timeout=60)
    batch = BatchStatement()
    batch.add(f"INSERT INTO {table_name} (k, v) VALUES (?, ?)", (1, 1))
    traced_batch = await session.execute_batch(batch, trace=True)
    assert (
        await traced_batch.get_query_trace(timeout=30)
    ).request_type == "Execute batch of CQL3 queries"
    page = await session.execute_page(f"SELECT * FROM {table_name}", fetch_size=10, trace=True)
    trace = await page.get_query_trace(timeout=30)
    assert trace is not None
    assert trace.parameters.get("page_size") == "10"
