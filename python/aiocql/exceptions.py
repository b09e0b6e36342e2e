"""async-cassandra's ``async_cassandra.exceptions``, by the same names: change
``from async_cassandra.exceptions import QueryError`` to ``from aiocql.exceptions import
QueryError``. Each name is a class of :mod:`aiocql.errors` (which documents the hierarchy), so
``except QueryError`` catches the client-side query errors it caught there.

Example::

    from aiocql.exceptions import AsyncCassandraError, ConnectionError, QueryError

    try:
        await session.execute(query, params)
    except QueryError as error:
        log.warning("bad query: %s", error)
"""

from __future__ import annotations

from aiocql.errors import (
    AsyncCassandraError,
    AuthenticationError,
    ConfigurationError,
    ConnectionError,
    QueryError,
    TimeoutError,
)

__all__ = [
    "AsyncCassandraError",
    "AuthenticationError",
    "ConfigurationError",
    "ConnectionError",
    "QueryError",
    "TimeoutError",
]
