"""cassandra-driver bridged to asyncio: ``ResponseFuture`` paging, as async-cassandra does it.

The driver has no asyncio support. Its callback paging API: ``session.execute_async`` returns a
``ResponseFuture`` whose callbacks (added once) run on the libev reactor thread for every page;
``has_more_pages`` tells whether another page exists and ``start_fetching_next_page()`` requests
it. This client is the usual bridge reduced to its minimum: the callback hands each page's rows
to the event loop with ``loop.call_soon_threadsafe``, an async generator yields them, and the
next page is requested only when the current one is consumed (no read-ahead, like
async-cassandra's ``execute_stream`` and the driver's own ``ResultSet``), so one page is held.

Settings: protocol v4, no compression, consistency ONE on the prepared statement, a 60 s request
timeout per page (the default execution profile), libev reactor, the driver's default row
factory (named tuples).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import _stream_harness as h
import cassandra
from cassandra import ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile

try:
    from cassandra.io.libevreactor import LibevConnection as Connection
except ImportError:  # no libev extension: the driver's own default reactor
    from cassandra.cluster import DefaultConnection as Connection

EXTRA: dict[str, Any] = {"version": cassandra.__version__}


class _PageBridge:
    """Resolves, on the event loop, the future the consumer awaits for the next page."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._call_soon_threadsafe = loop.call_soon_threadsafe
        self.waiter: asyncio.Future[Any] = loop.create_future()

    # Run on the reactor thread (or inline if the page is already there).
    def on_page(self, rows: Any) -> None:
        self._call_soon_threadsafe(self._resolve, rows)

    def on_error(self, exc: BaseException) -> None:
        self._call_soon_threadsafe(self._reject, exc)

    def _resolve(self, rows: Any) -> None:
        if not self.waiter.done():
            self.waiter.set_result(rows)

    def _reject(self, exc: BaseException) -> None:
        if not self.waiter.done():
            self.waiter.set_exception(exc)


async def connect(args: h.StreamArgs) -> tuple[h.OpenStream, h.Close]:
    loop = asyncio.get_running_loop()
    profile = ExecutionProfile(request_timeout=60, consistency_level=ConsistencyLevel.ONE)
    cluster = Cluster(
        [args.host],
        port=args.port,
        protocol_version=4,
        compression=False,
        connection_class=Connection,
        connect_timeout=60,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
    )
    # Connecting and preparing block: keep them off the event loop.
    session = await loop.run_in_executor(None, cluster.connect)
    prepared = await loop.run_in_executor(None, session.prepare, h.STREAM_QUERY)
    prepared.consistency_level = ConsistencyLevel.ONE
    prepared.fetch_size = args.fetch_size
    EXTRA.update(protocol=cluster.protocol_version, reactor=Connection.__name__)

    async def rows() -> AsyncIterator[Any]:
        bridge = _PageBridge(loop)
        future = session.execute_async(prepared)
        # Added once: the driver calls them again for every page it fetches.
        future.add_callbacks(bridge.on_page, bridge.on_error)
        while True:
            page = await bridge.waiter
            for row in page:
                yield row
            if not future.has_more_pages:
                return
            bridge.waiter = loop.create_future()
            future.start_fetching_next_page()

    async def open_stream() -> AsyncIterator[Any]:
        return rows()

    async def close() -> None:
        await loop.run_in_executor(None, cluster.shutdown)

    return open_stream, close


if __name__ == "__main__":
    asyncio.run(h.run_async(h.parse_args("cassandra-driver-async"), connect, EXTRA))
