"""aiocql: prepared statements awaited directly on the asyncio loop."""

from __future__ import annotations

import asyncio

import _harness as h

from aiocql import AsyncCluster, ConsistencyLevel


async def connect(args: h.Args) -> tuple[h.AsyncOp, h.Close]:
    cluster = AsyncCluster([args.host], port=args.port, connect_timeout=60, request_timeout=60)
    session = await cluster.connect()
    prepared = await session.prepare(h.QUERIES[args.workload])
    prepared.consistency_level = ConsistencyLevel.ONE
    execute = session.execute
    workload = args.workload
    params = h.params
    consume = h.consume_rows

    if workload == "insert":

        async def op(i: int) -> int:
            await execute(prepared, params(workload, i))
            return 0
    else:

        async def op(i: int) -> int:
            return consume(await execute(prepared, params(workload, i)))

    async def close() -> None:
        await cluster.shutdown()

    return op, close


if __name__ == "__main__":
    asyncio.run(
        h.run_async(h.parse_args("aiocql"), connect, {"version": __import__("aiocql").__version__})
    )
