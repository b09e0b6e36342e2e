"""cassandra-driver bridged to asyncio: ``execute_async`` with callbacks, as async-cassandra does.

The driver has no asyncio support; the usual bridge (async-cassandra's, and most hand-written
ones) is ``session.execute_async(...)`` plus ``add_callbacks``, whose callbacks run on the
driver's libev reactor thread and hand the rows to the event loop with
``loop.call_soon_threadsafe``. This client is that bridge reduced to its minimum, without
async-cassandra's extra layers.

Settings: protocol v4, no compression, consistency ONE on the prepared statement, a 60 s request
timeout (the default execution profile), libev reactor. Pool: the driver's default, one
connection per host with up to 32k stream ids under protocol v4. Every result here fits in one
page (fetch size 5000), so the callback's rows are the whole result.
"""

from __future__ import annotations

import asyncio
from typing import Any

import _harness as h
import cassandra
from cassandra import ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile

try:
    from cassandra.io.libevreactor import LibevConnection as Connection
except ImportError:  # no libev extension: the driver's own default reactor
    from cassandra.cluster import DefaultConnection as Connection

EXTRA: dict[str, Any] = {"version": cassandra.__version__}


def _resolve(fut: asyncio.Future[Any], rows: Any) -> None:
    if not fut.done():
        fut.set_result(rows)


def _reject(fut: asyncio.Future[Any], exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)


async def connect(args: h.Args) -> tuple[h.AsyncOp, h.Close]:
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
    prepared = await loop.run_in_executor(None, session.prepare, h.QUERIES[args.workload])
    prepared.consistency_level = ConsistencyLevel.ONE
    EXTRA.update(protocol=cluster.protocol_version, reactor=Connection.__name__)
    execute_async = session.execute_async
    create_future = loop.create_future
    call_soon_threadsafe = loop.call_soon_threadsafe
    workload = args.workload
    params = h.params
    consume = h.consume_rows

    # Runs on the reactor thread (or inline if the response is already there).
    def on_rows(rows: Any, fut: asyncio.Future[Any]) -> None:
        call_soon_threadsafe(_resolve, fut, rows)

    def on_error(exc: BaseException, fut: asyncio.Future[Any]) -> None:
        call_soon_threadsafe(_reject, fut, exc)

    async def run(i: int) -> Any:
        fut = create_future()
        execute_async(prepared, params(workload, i)).add_callbacks(
            on_rows, on_error, callback_args=(fut,), errback_args=(fut,)
        )
        return await fut

    if workload == "insert":

        async def op(i: int) -> int:
            await run(i)
            return 0
    else:

        async def op(i: int) -> int:
            return consume(await run(i))

    async def close() -> None:
        await loop.run_in_executor(None, cluster.shutdown)

    return op, close


if __name__ == "__main__":
    asyncio.run(h.run_async(h.parse_args("cassandra-driver-async"), connect, EXTRA))
