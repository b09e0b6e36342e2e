"""scyllapy: ``execute(prepared, paged=True)``, the ``IterableQueryResult`` it documents for this.

With ``paged=True`` scyllapy wraps the Rust driver's (0.12.0) ``RowIterator`` from
``execute_iter``: a tokio task fetches the pages (it may run a page ahead of the consumer, through
the iterator's channel) and every ``__anext__`` is its own Rust future completed on the event
loop, yielding one row as a dict (column name -> value); the row's ``values()`` view is handed to
the harness so it touches the 5 values.

Page size: scyllapy exposes none (neither ``Query`` nor ``PreparedQuery`` nor ``execute`` takes
one), so the Rust driver's iterator default of 5000 rows per page always applies; any other
``--fetch-size`` is reported unavailable rather than run at the wrong page size.

Settings: protocol v4 (the Rust driver's only one), no compression; consistency ONE and a 60 s
request timeout in the default execution profile and on the prepared query; a 60 s connect
timeout; one connection per Cassandra node (the default).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import _stream_harness as h
import scyllapy
from scyllapy import Consistency, ExecutionProfile, Query, Scylla

TIMEOUT = 60  # seconds: scyllapy passes these to Duration::from_secs
PAGE_SIZE = 5000  # the Rust driver 0.12's DEFAULT_ITER_PAGE_SIZE; scyllapy cannot change it


async def connect(args: h.StreamArgs) -> tuple[h.OpenStream, h.Close]:
    if args.fetch_size != PAGE_SIZE:
        h.unavailable(
            f"scyllapy {scyllapy.__version__} exposes no page size: paged=True always pages by "
            f"the Rust driver's default {PAGE_SIZE} rows, not {args.fetch_size}"
        )
    profile = ExecutionProfile(consistency=Consistency.ONE, request_timeout=TIMEOUT)
    scylla = Scylla(
        [f"{args.host}:{args.port}"], connection_timeout=TIMEOUT, default_execution_profile=profile
    )
    await scylla.startup()
    prepared = await scylla.prepare(
        Query(h.STREAM_QUERY, consistency=Consistency.ONE, request_timeout=TIMEOUT)
    )

    async def rows() -> AsyncIterator[Any]:
        async for row in await scylla.execute(prepared, paged=True):
            yield row.values()

    async def open_stream() -> AsyncIterator[Any]:
        return rows()

    async def close() -> None:
        await scylla.shutdown()

    return open_stream, close


if __name__ == "__main__":
    asyncio.run(
        h.run_async(
            h.parse_args("scyllapy"), connect, {"version": scyllapy.__version__, "protocol": 4}
        )
    )
