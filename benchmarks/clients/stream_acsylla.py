"""acsylla: the documented manual paging loop over a prepared statement.

acsylla's README ("Use prepared statement and paging"): bind the prepared statement with
``page_size``, ``await session.execute(statement)`` for one page, iterate its rows, and while
``result.has_more_pages()`` copy ``result.page_state()`` into the same statement with
``statement.set_page_state(...)`` and execute it again. The next page is requested only when the
current one is consumed (no read-ahead), so one page is held. Rows convert to Python values on
access: ``row.as_tuple()`` converts the 5 columns (a row object itself iterates as
``(name, value)`` pairs, hence the tuple). The C++ driver runs its own I/O thread and completes
the asyncio future from there.

Settings: protocol v4, no compression, consistency ONE as the cluster default (every statement
inherits it), request and connect timeouts 60 s; one I/O thread and one connection per host
(acsylla's defaults). On a Cassandra node the C++ driver prints "Could not retrieve sharding
info" on stderr once per connection: expected, Cassandra has no shards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import _stream_harness as h
import acsylla
from acsylla.version import __version__


async def connect(args: h.StreamArgs) -> tuple[h.OpenStream, h.Close]:
    cluster = acsylla.create_cluster(
        [args.host],
        port=args.port,
        protocol_version=4,
        consistency=acsylla.Consistency.ONE,
        connect_timeout=60,
        request_timeout=60,
    )
    session = await cluster.create_session()
    prepared = await session.create_prepared(h.STREAM_QUERY, timeout=60)
    execute = session.execute
    fetch_size = args.fetch_size

    async def rows() -> AsyncIterator[Any]:
        statement = prepared.bind(page_size=fetch_size)
        while True:
            result = await execute(statement)
            for row in result:
                yield row.as_tuple()
            if not result.has_more_pages():
                return
            statement.set_page_state(result.page_state())

    async def open_stream() -> AsyncIterator[Any]:
        return rows()

    async def close() -> None:
        await session.close()

    return open_stream, close


if __name__ == "__main__":
    asyncio.run(
        h.run_async(h.parse_args("acsylla"), connect, {"version": __version__, "protocol": 4})
    )
