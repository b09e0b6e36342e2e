"""scyllapy: PyO3 bindings over the Rust scylla driver 0.12.0, futures bridged to asyncio.

Per op: ``await scylla.execute(prepared, values)``; the Rust driver runs on its own tokio runtime
thread and completes the asyncio future from there. Results come back as a ``QueryResult`` whose
``all()`` builds a list of dicts (column name -> value); consuming touches every ``values()``
entry.

Settings: the Rust driver speaks protocol v4 only and compresses nothing unless asked; consistency
ONE and a 60 s request timeout in the default execution profile (the prepared statement inherits
it) and on the prepared query itself; a 60 s connect timeout. Pool: the Rust driver's default,
one connection per shard, i.e. one per Cassandra node, multiplexing 32k stream ids.
"""

from __future__ import annotations

import asyncio

import _harness as h
import scyllapy
from scyllapy import Consistency, ExecutionProfile, Query, Scylla

TIMEOUT = 60  # seconds: scyllapy passes these to Duration::from_secs


async def connect(args: h.Args) -> tuple[h.AsyncOp, h.Close]:
    profile = ExecutionProfile(consistency=Consistency.ONE, request_timeout=TIMEOUT)
    scylla = Scylla(
        [f"{args.host}:{args.port}"], connection_timeout=TIMEOUT, default_execution_profile=profile
    )
    await scylla.startup()
    prepared = await scylla.prepare(
        Query(h.QUERIES[args.workload], consistency=Consistency.ONE, request_timeout=TIMEOUT)
    )
    execute = scylla.execute
    workload = args.workload
    params = h.params

    if workload == "insert":

        async def op(i: int) -> int:
            await execute(prepared, params(workload, i))
            return 0
    else:

        async def op(i: int) -> int:
            n = 0
            for row in (await execute(prepared, params(workload, i))).all():
                for _ in row.values():
                    n += 1
            return n

    async def close() -> None:
        await scylla.shutdown()

    return op, close


if __name__ == "__main__":
    asyncio.run(
        h.run_async(
            h.parse_args("scyllapy"), connect, {"version": scyllapy.__version__, "protocol": 4}
        )
    )
