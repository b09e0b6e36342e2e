"""aiocql: a truly asynchronous Cassandra and ScyllaDB driver for asyncio, with a Rust core.

Every network call is a native awaitable: the event loop is never blocked and no thread pool
sits between your coroutine and the socket.

Example::

    import asyncio
    from aiocql import AsyncCluster

    async def main() -> None:
        async with AsyncCluster(["127.0.0.1"]) as cluster:
            session = await cluster.connect()
            rs = await session.execute("SELECT release_version FROM system.local")
            print(rs.one().release_version)

    asyncio.run(main())
"""

from __future__ import annotations

import os as _os

from aiocql import errors
from aiocql._native import (
    AsyncResultSet,
    AsyncSession,
    AsyncStreamingResultSet,
    BoundStatement,
    Host,
    HostEvent,
    Metadata,
    PreparedStatement,
    Row,
    SessionMetrics,
    _reset_after_fork,
)
from aiocql._native import __version__ as __version__
from aiocql.cluster import AsyncCluster
from aiocql.concurrent import ExecutionResult
from aiocql.errors import (
    AlreadyExists,
    AsyncCassandraError,
    AuthenticationError,
    AuthenticationFailed,
    ConfigurationError,
    ConfigurationException,
    ConnectionClosed,
    ConnectionException,
    CoordinationFailure,
    DriverException,
    FunctionFailure,
    InvalidRequest,
    IsBootstrappingErrorMessage,
    NoHostAvailable,
    OperationTimedOut,
    OverloadedErrorMessage,
    ParameterError,
    ParameterTypeError,
    ParameterValueError,
    ProtocolError,
    ProtocolException,
    QueryError,
    QueryExhausted,
    ReadFailure,
    ReadTimeout,
    RequestExecutionException,
    RequestValidationException,
    SchemaAgreementTimeout,
    ServerError,
    SyntaxException,
    Timeout,
    TraceUnavailable,
    TruncateError,
    Unauthorized,
    Unavailable,
    UnpreparedStatement,
    UnsupportedOperation,
    WriteFailure,
    WriteTimeout,
)
from aiocql.errors import ConnectionError as ConnectionError
from aiocql.errors import TimeoutError as TimeoutError
from aiocql.policies import (
    EXEC_PROFILE_DEFAULT,
    AsyncRetryPolicy,
    ExecutionProfile,
    HostStateListener,
)
from aiocql.query import (
    ValueSequence,
    dict_factory,
    named_tuple_factory,
    ordered_dict_factory,
    tuple_factory,
)
from aiocql.statement import BatchStatement, BatchType, ConsistencyLevel, SimpleStatement
from aiocql.streaming import StreamConfig, create_streaming_statement
from aiocql.types import EMPTY, UNSET_VALUE, CqlDate, CqlTimestamp, Duration, UserType

#: async-cassandra's name for the session class.
AsyncCassandraSession = AsyncSession

# The I/O threads of the parent do not survive fork(); the child gets a fresh runtime.
if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_reset_after_fork)

__all__ = [
    "EMPTY",
    "EXEC_PROFILE_DEFAULT",
    "UNSET_VALUE",
    "AlreadyExists",
    "AsyncCassandraError",
    "AsyncCassandraSession",
    "AsyncCluster",
    "AsyncResultSet",
    "AsyncRetryPolicy",
    "AsyncSession",
    "AsyncStreamingResultSet",
    "AuthenticationError",
    "AuthenticationFailed",
    "BatchStatement",
    "BatchType",
    "BoundStatement",
    "ConfigurationError",
    "ConfigurationException",
    "ConnectionClosed",
    "ConnectionException",
    "ConsistencyLevel",
    "CoordinationFailure",
    "CqlDate",
    "CqlTimestamp",
    "DriverException",
    "Duration",
    "ExecutionProfile",
    "ExecutionResult",
    "FunctionFailure",
    "Host",
    "HostEvent",
    "HostStateListener",
    "InvalidRequest",
    "IsBootstrappingErrorMessage",
    "Metadata",
    "NoHostAvailable",
    "OperationTimedOut",
    "OverloadedErrorMessage",
    "ParameterError",
    "ParameterTypeError",
    "ParameterValueError",
    "PreparedStatement",
    "ProtocolError",
    "ProtocolException",
    "QueryError",
    "QueryExhausted",
    "ReadFailure",
    "ReadTimeout",
    "RequestExecutionException",
    "RequestValidationException",
    "Row",
    "SchemaAgreementTimeout",
    "ServerError",
    "SessionMetrics",
    "SimpleStatement",
    "StreamConfig",
    "SyntaxException",
    "Timeout",
    "TraceUnavailable",
    "TruncateError",
    "Unauthorized",
    "Unavailable",
    "UnpreparedStatement",
    "UnsupportedOperation",
    "UserType",
    "ValueSequence",
    "WriteFailure",
    "WriteTimeout",
    "create_streaming_statement",
    "dict_factory",
    "errors",
    "named_tuple_factory",
    "ordered_dict_factory",
    "tuple_factory",
]
