"""acsylla: Cython bindings over ScyllaDB's fork of the DataStax C++ driver (2.16.2), on asyncio.

Per op: ``prepared.bind(values)`` makes a statement, ``await session.execute(statement)``; the
C++ driver runs its own I/O thread and completes the asyncio future from there. Rows convert to
Python values on access: ``row.as_tuple()`` converts every column. Note acsylla's own mapping:
a uuid column comes back as ``str``, not ``uuid.UUID`` (its default, kept).

Settings: protocol v4, no compression (the C++ driver has none configured by default),
consistency ONE as the cluster default (every statement inherits it), request and connect
timeouts 60 s. Pool: acsylla's defaults, one I/O thread and one connection per host, which the
C++ driver multiplexes with 32k stream ids under v4; its request queue (8192) holds 1024 in
flight. On a Cassandra node the C++ driver prints "Could not retrieve sharding info" on stderr
once per connection: expected, Cassandra has no shards.
"""

from __future__ import annotations

import asyncio

import _harness as h
import acsylla
from acsylla.version import __version__


async def connect(args: h.Args) -> tuple[h.AsyncOp, h.Close]:
    cluster = acsylla.create_cluster(
        [args.host],
        port=args.port,
        protocol_version=4,
        consistency=acsylla.Consistency.ONE,
        connect_timeout=60,
        request_timeout=60,
    )
    session = await cluster.create_session()
    prepared = await session.create_prepared(h.QUERIES[args.workload], timeout=60)
    bind = prepared.bind
    execute = session.execute
    workload = args.workload
    params = h.params

    if workload == "insert":

        async def op(i: int) -> int:
            await execute(bind(params(workload, i)))
            return 0
    else:

        async def op(i: int) -> int:
            n = 0
            for row in await execute(bind(params(workload, i))):
                for _ in row.as_tuple():
                    n += 1
            return n

    async def close() -> None:
        await session.close()

    return op, close


if __name__ == "__main__":
    asyncio.run(
        h.run_async(h.parse_args("acsylla"), connect, {"version": __version__, "protocol": 4})
    )
