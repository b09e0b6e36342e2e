"""scylladb-rs-driver (import ``scylla``): ``async for row in result``, the auto-paging iterator.

The driver documents two ways to read a paged result (examples/paging.py); this client uses the
first, ``async for`` over the ``RequestResult`` of ``session.execute(prepared)``, with the page
size set on the prepared statement (``with_page_size``). Its ``AsyncRowsIterator`` returns an
already-completed ``DriverFuture`` for every row of the current page and, once the page is
consumed, one that fetches the next page on the driver's tokio runtime (no read-ahead), so one
page is held. The other way, a manual loop over ``iter_current_page()`` and
``await result.fetch_next_page()``, is what the driver's own paging benchmark does; it saves
the per-row ``DriverFuture``. Rows are dicts (the default row factory); the row's ``values()``
view is handed to the harness so it touches the 5 values.

Settings: protocol v4 (the Rust driver's only one); no compression (its default); consistency
ONE and a 60 s request timeout in the session's default execution profile and on the prepared
statement; 60 s connect timeout; one connection per Cassandra node (the default). The session
has no close method: it is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from importlib.metadata import version
from typing import Any

import _stream_harness as h
from scylla.enums import Consistency
from scylla.execution_profile import ExecutionProfile
from scylla.session_builder import SessionBuilder

TIMEOUT = 60.0


async def connect(args: h.StreamArgs) -> tuple[h.OpenStream, h.Close]:
    profile = ExecutionProfile(timeout=TIMEOUT, consistency=Consistency.One)
    session = await (
        SessionBuilder()
        .contact_points([(args.host, args.port)])
        .execution_profile(profile)
        .connection_timeout(TIMEOUT)
        .connect()
    )
    prepared = await session.prepare(h.STREAM_QUERY)
    prepared = (
        prepared.with_consistency(Consistency.One)
        .with_request_timeout(TIMEOUT)
        .with_page_size(args.fetch_size)
    )

    async def rows() -> AsyncIterator[Any]:
        async for row in await session.execute(prepared):
            yield row.values()

    async def open_stream() -> AsyncIterator[Any]:
        return rows()

    async def close() -> None:
        nonlocal session
        del session

    return open_stream, close


if __name__ == "__main__":
    asyncio.run(
        h.run_async(
            h.parse_args("scylladb-rs-driver"),
            connect,
            {"version": version("scylladb-rs-driver"), "protocol": 4},
        )
    )
