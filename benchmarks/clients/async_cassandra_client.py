"""async-cassandra: the pure-Python asyncio wrapper over cassandra-driver, used as documented.

``await session.execute(prepared, params)`` wraps ``execute_async`` in a handler that copies the
rows under a lock on the reactor thread and resolves an asyncio future with
``call_soon_threadsafe``, under ``asyncio.wait_for`` with the request timeout.

Settings: async-cassandra refuses protocols below v5, so this client alone runs protocol v5
(reported in the result); compression is off (``compression=False`` is passed through to
``Cluster``); consistency ONE on the prepared statement; a 60 s timeout per request. Everything
else is async-cassandra's default: its retry policy, token-aware DC-aware load balancing, two
executor threads, the driver's default reactor (libev), one connection per host (32k streams).
Its ``shutdown()`` sleeps 5 s by design, after the measured window.
"""

from __future__ import annotations

import asyncio
from importlib.metadata import version
from typing import Any

import _harness as h
import cassandra
from async_cassandra import AsyncCluster
from cassandra import ConsistencyLevel

EXTRA: dict[str, Any] = {"version": version("async-cassandra"), "driver": cassandra.__version__}
TIMEOUT = 60.0


async def connect(args: h.Args) -> tuple[h.AsyncOp, h.Close]:
    cluster = AsyncCluster(
        [args.host], port=args.port, protocol_version=5, compression=False, connect_timeout=60
    )
    session = await cluster.connect(timeout=60)
    prepared = await session.prepare(h.QUERIES[args.workload])
    prepared.consistency_level = ConsistencyLevel.ONE
    inner = cluster._cluster  # the cassandra-driver Cluster, read for the report only
    EXTRA.update(protocol=inner.protocol_version, reactor=inner.connection_class.__name__)
    execute = session.execute
    workload = args.workload
    params = h.params
    consume = h.consume_rows

    if workload == "insert":

        async def op(i: int) -> int:
            await execute(prepared, params(workload, i), timeout=TIMEOUT)
            return 0
    else:

        async def op(i: int) -> int:
            result = await execute(prepared, params(workload, i), timeout=TIMEOUT)
            return consume(result.rows)

    async def close() -> None:
        await cluster.shutdown()  # shuts the session down too

    return op, close


if __name__ == "__main__":
    asyncio.run(h.run_async(h.parse_args("async-cassandra"), connect, EXTRA))
