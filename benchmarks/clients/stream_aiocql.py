"""aiocql: ``execute_stream`` over a prepared statement, rows consumed as they arrive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import _stream_harness as h

from aiocql import AsyncCluster, ConsistencyLevel, StreamConfig


async def connect(args: h.StreamArgs) -> tuple[h.OpenStream, h.Close]:
    cluster = AsyncCluster([args.host], port=args.port, connect_timeout=60, request_timeout=60)
    session = await cluster.connect()
    prepared = await session.prepare(h.STREAM_QUERY)
    prepared.consistency_level = ConsistencyLevel.ONE
    config = StreamConfig(fetch_size=args.fetch_size)

    async def open_stream() -> AsyncIterator[Any]:
        return await session.execute_stream(prepared, stream_config=config)

    async def close() -> None:
        await cluster.shutdown()

    return open_stream, close


if __name__ == "__main__":
    asyncio.run(
        h.run_async(h.parse_args("aiocql"), connect, {"version": __import__("aiocql").__version__})
    )
