"""async-cassandra: ``session.execute_stream`` with a ``StreamConfig``, used as documented.

``execute_stream(prepared, stream_config=StreamConfig(fetch_size=N))`` sets the statement's
fetch size, calls ``execute_async`` and returns an ``AsyncStreamingResultSet``: an async iterator
whose ResponseFuture callbacks copy each page under a lock on the reactor thread and wake the
event loop with ``call_soon_threadsafe``; the next page is requested only when the current one
is consumed (no read-ahead), so one page is held. Every row is its own ``__anext__`` call.

Settings: async-cassandra refuses protocols below v5, so this client alone runs protocol v5
(reported in the result); compression off; consistency ONE on the prepared statement; a 60 s
request timeout per page. Everything else is async-cassandra's default, as in
async_cassandra_client.py. Its ``shutdown()`` sleeps 5 s by design, after the measured window.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any

import _stream_harness as h
import cassandra
from async_cassandra import AsyncCluster, StreamConfig
from cassandra import ConsistencyLevel

EXTRA: dict[str, Any] = {"version": version("async-cassandra"), "driver": cassandra.__version__}
TIMEOUT = 60.0


async def connect(args: h.StreamArgs) -> tuple[h.OpenStream, h.Close]:
    cluster = AsyncCluster(
        [args.host], port=args.port, protocol_version=5, compression=False, connect_timeout=60
    )
    session = await cluster.connect(timeout=60)
    prepared = await session.prepare(h.STREAM_QUERY)
    prepared.consistency_level = ConsistencyLevel.ONE
    inner = cluster._cluster  # the cassandra-driver Cluster, read for the report only
    EXTRA.update(protocol=inner.protocol_version, reactor=inner.connection_class.__name__)
    config = StreamConfig(fetch_size=args.fetch_size)

    async def open_stream() -> AsyncIterator[Any]:
        return await session.execute_stream(prepared, stream_config=config, timeout=TIMEOUT)

    async def close() -> None:
        await cluster.shutdown()  # shuts the session down too

    return open_stream, close


if __name__ == "__main__":
    asyncio.run(h.run_async(h.parse_args("async-cassandra"), connect, EXTRA))
