"""Streaming configuration: `StreamConfig` and `create_streaming_statement`, as in async-cassandra.

``session.execute_stream(query, params, stream_config=StreamConfig(...))`` returns an
``AsyncStreamingResultSet``: the rows of a result of any size in constant memory, the next page
fetched while the current one is consumed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiocql.statement import ConsistencyLevel, SimpleStatement

__all__ = ["StreamConfig", "create_streaming_statement"]


@dataclass(frozen=True)
class StreamConfig:
    """How ``execute_stream`` pages through a result.

    Args:
        fetch_size: rows per page requested from the server.
        max_pages: stop after this many page requests (``None``: the whole result).
        page_callback: ``callback(page_number, rows_in_page)``, a plain function (not
            ``async def``) called on the event loop thread as each page arrives; an exception it
            raises propagates to the consumer.
        timeout_seconds: limit for each page request (``None``: the session's request timeout);
            a ``timeout=`` given to ``execute_stream`` wins.

    Invalid values raise ``TypeError`` or ``ValueError`` when ``execute_stream`` is called.

    Example::

        config = StreamConfig(fetch_size=5000, page_callback=lambda n, k: log.info("page %d", n))
        query = "SELECT * FROM events"
        async with await session.execute_stream(query, stream_config=config) as stream:
            async for row in stream:
                ...
    """

    fetch_size: int = 1000
    max_pages: int | None = None
    page_callback: Callable[[int, int], object] | None = None
    timeout_seconds: float | None = None


def create_streaming_statement(
    query: str, fetch_size: int = 1000, consistency_level: ConsistencyLevel | None = None
) -> SimpleStatement:
    """A `SimpleStatement` with a page size for streaming (async-cassandra's helper).

    Example::

        stmt = create_streaming_statement("SELECT * FROM events", fetch_size=5000)
        stream = await session.execute_stream(stmt, stream_config=StreamConfig(fetch_size=5000))
    """
    return SimpleStatement(query, fetch_size=fetch_size, consistency_level=consistency_level)
