"""scylladb-rs-driver (import ``scylla``): ScyllaDB's PyO3 wrapper over its Rust driver 1.7.0.

Per op: ``await session.execute(prepared, values)``; the returned ``DriverFuture`` is lazy and
is driven by the await itself (the Rust request runs on the driver's tokio runtime, the waker
resumes the coroutine on the event loop). Rows come from ``iter_current_page()`` as dicts
(the default row factory); consuming touches every ``values()`` entry. Every result here fits
one page (page size 5000); the harness's first-op value count would catch a short read.

Settings: the Rust driver speaks protocol v4 only; no compression (its default); consistency ONE
and a 60 s request timeout in the session's default execution profile and on the prepared
statement; 60 s connect timeout. Pool: the default, one connection per shard, i.e. one per
Cassandra node, multiplexing 32k stream ids. The session has no close method: it is dropped.
"""

from __future__ import annotations

import asyncio
from importlib.metadata import version

import _harness as h
from scylla.enums import Consistency
from scylla.execution_profile import ExecutionProfile
from scylla.session_builder import SessionBuilder

TIMEOUT = 60.0


async def connect(args: h.Args) -> tuple[h.AsyncOp, h.Close]:
    profile = ExecutionProfile(timeout=TIMEOUT, consistency=Consistency.One)
    session = await (
        SessionBuilder()
        .contact_points([(args.host, args.port)])
        .execution_profile(profile)
        .connection_timeout(TIMEOUT)
        .connect()
    )
    prepared = await session.prepare(h.QUERIES[args.workload])
    prepared = prepared.with_consistency(Consistency.One).with_request_timeout(TIMEOUT)
    execute = session.execute
    workload = args.workload
    params = h.params

    if workload == "insert":

        async def op(i: int) -> int:
            await execute(prepared, params(workload, i))
            return 0
    else:

        async def op(i: int) -> int:
            result = await execute(prepared, params(workload, i))
            n = 0
            for row in result.iter_current_page():
                for _ in row.values():
                    n += 1
            return n

    async def close() -> None:
        nonlocal session
        del session

    return op, close


if __name__ == "__main__":
    asyncio.run(
        h.run_async(
            h.parse_args("scylladb-rs-driver"),
            connect,
            {"version": version("scylladb-rs-driver"), "protocol": 4},
        )
    )
