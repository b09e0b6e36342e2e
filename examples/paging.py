"""Paging and streaming: a bulk load, pages behind a cursor, and a stream in constant memory.

Run it against a local node (``make cassandra-start``) or your own cluster:
``python examples/paging.py [host[:port] ...]``. docs/paging.md explains each call.
"""

from __future__ import annotations

import asyncio
import sys

from aiocql import AsyncCluster, AsyncSession, StreamConfig

KEYSPACE = "aiocql_examples"
EVENTS = 20_000


async def load(session: AsyncSession) -> None:
    """Writes EVENTS rows, at most 200 requests in flight, from a lazy generator."""
    insert = await session.prepare("INSERT INTO events (day, seq, kind) VALUES (?, ?, ?)")
    rows = (("2026-12-02", seq, "click" if seq % 3 else "view") for seq in range(EVENTS))
    results = await session.execute_concurrent(insert, rows, concurrency=200)
    print(f"loaded {len(results)} events")


async def page_through(session: AsyncSession) -> None:
    """What a REST endpoint does: one page per call, and a token for the next call."""
    query = "SELECT seq, kind FROM events WHERE day = ?"
    token: str | None = None
    pages = 0
    while True:
        page = await session.execute_page(
            query, ["2026-12-02"], fetch_size=5000, paging_state=token
        )
        pages += 1
        token = page.paging_token  # a URL-safe string: hand it to the client as its cursor
        if token is None:
            break
    print(f"paged through {pages} pages")


async def stream(session: AsyncSession) -> None:
    """Every row, with one page prefetched and memory bounded by about two pages."""
    views = 0
    config = StreamConfig(fetch_size=2000, page_callback=lambda n, rows: None)
    query = "SELECT seq, kind FROM events WHERE day = ?"
    async with await session.execute_stream(query, ["2026-12-02"], config) as events:
        async for event in events:
            views += event.kind == "view"
        print(f"streamed {events.total_rows_fetched} rows in {events.page_number} pages")
    print(f"{views} views")


async def main(contact_points: list[str]) -> None:
    async with AsyncCluster(contact_points, connect_timeout=30) as cluster:
        session = await cluster.connect()
        await session.execute(
            f"CREATE KEYSPACE IF NOT EXISTS {KEYSPACE} WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}",
            timeout=60,
        )
        await session.set_keyspace(KEYSPACE)
        await session.execute(
            "CREATE TABLE IF NOT EXISTS events (day text, seq int, kind text, "
            "PRIMARY KEY (day, seq))",
            timeout=60,
        )
        await load(session)
        await page_through(session)
        await stream(session)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ["127.0.0.1"]))
