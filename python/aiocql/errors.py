"""The exceptions aiocql raises, in one hierarchy under :class:`DriverException`.

The names are cassandra-driver's, so ``except InvalidRequest:`` keeps working after a migration.
Server errors carry the server's fields (``consistency``, ``required_replicas``, ...) and its
error ``code``; client-side timeouts are also builtin :class:`TimeoutError`, and parameter
errors are also :class:`TypeError` or :class:`ValueError`.

::

    DriverException
    ├── RequestExecutionException          server could not execute the request
    │   ├── Unavailable
    │   ├── Timeout
    │   │   ├── ReadTimeout
    │   │   └── WriteTimeout
    │   ├── CoordinationFailure
    │   │   ├── ReadFailure
    │   │   └── WriteFailure
    │   ├── FunctionFailure
    │   ├── OverloadedErrorMessage
    │   ├── IsBootstrappingErrorMessage
    │   └── TruncateError
    ├── RequestValidationException         server refused the request as written
    │   ├── SyntaxException
    │   ├── InvalidRequest
    │   ├── Unauthorized
    │   └── ConfigurationException
    │       └── AlreadyExists
    ├── ServerError, ProtocolException, UnpreparedStatement
    ├── AsyncCassandraError                async-cassandra's base of client-side errors
    │   ├── TimeoutError (also builtins.TimeoutError and asyncio.TimeoutError)
    │   │   └── OperationTimedOut          the client gave up waiting
    │   │       └── SchemaAgreementTimeout the nodes did not agree on the schema in time
    │   ├── ConnectionError                async-cassandra's name (not the builtin)
    │   │   ├── NoHostAvailable            no node could take the request
    │   │   └── ConnectionException
    │   │       └── ConnectionClosed       the session or cluster was closed
    │   ├── AuthenticationError
    │   │   └── AuthenticationFailed       the credentials were refused
    │   ├── ConfigurationError (also ValueError)   invalid client settings
    │   └── QueryError                     async-cassandra's name for client-side query errors
    │       ├── ProtocolError              undecodable data from the server
    │       ├── QueryExhausted             fetch_next_page() after the last page
    │       ├── TraceUnavailable           a trace that cannot be read yet
    │       └── ParameterError             a value does not fit its bind marker; nothing was sent
    │           ├── ParameterTypeError (also TypeError)
    │           └── ParameterValueError (also ValueError)
    └── UnsupportedOperation               an argument aiocql cannot honour

``ConnectionError`` and ``TimeoutError`` (async-cassandra's names) are attributes of this module
and of :mod:`aiocql.exceptions`, but not in ``__all__``: a star import would hide the builtins.
"""

from __future__ import annotations

import asyncio
import builtins
import sys
from typing import Any

__all__ = [
    "AlreadyExists",
    "AsyncCassandraError",
    "AuthenticationError",
    "AuthenticationFailed",
    "ConfigurationError",
    "ConfigurationException",
    "ConnectionClosed",
    "ConnectionException",
    "CoordinationFailure",
    "DriverException",
    "FunctionFailure",
    "InvalidRequest",
    "IsBootstrappingErrorMessage",
    "NoHostAvailable",
    "OperationTimedOut",
    "OverloadedErrorMessage",
    "ParameterError",
    "ParameterTypeError",
    "ParameterValueError",
    "ProtocolError",
    "ProtocolException",
    "QueryError",
    "QueryExhausted",
    "ReadFailure",
    "ReadTimeout",
    "RequestExecutionException",
    "RequestValidationException",
    "SchemaAgreementTimeout",
    "ServerError",
    "SyntaxException",
    "Timeout",
    "TraceUnavailable",
    "TruncateError",
    "Unauthorized",
    "Unavailable",
    "UnpreparedStatement",
    "UnsupportedOperation",
    "WriteFailure",
    "WriteTimeout",
]


class DriverException(Exception):
    """Base class of every exception aiocql raises.

    ``message`` is the text from the server or the driver; ``str(exc)`` is that message.
    """

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        for name, value in fields.items():
            setattr(self, name, value)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        extra = "".join(
            f", {k}={v!r}" for k, v in vars(self).items() if k != "message" and v is not None
        )
        return f"{type(self).__name__}({self.message!r}{extra})"

    def __reduce__(self) -> tuple[Any, ...]:
        fields = {k: v for k, v in vars(self).items() if k != "message"}
        return (_rebuild, (type(self), self.message, fields))


def _rebuild(cls: type[DriverException], message: str, fields: dict[str, Any]) -> DriverException:
    return cls(message, **fields)


# cassandra-driver's summary of each server error code, in the text of its exceptions.
_SUMMARIES = {
    0x0000: "Server error",
    0x000A: "Protocol error",
    0x0100: "Bad credentials",
    0x1000: "Unavailable exception",
    0x1001: "Coordinator node overloaded",
    0x1002: "Coordinator node is bootstrapping",
    0x1003: "Error during truncate",
    0x1100: "Coordinator node timed out waiting for replica nodes' responses",
    0x1200: "Coordinator node timed out waiting for replica nodes' responses",
    0x1300: "Replica(s) failed to execute read",
    0x1400: "User Defined Function failure",
    0x1500: "Replica(s) failed to execute write",
    0x2000: "Syntax error in CQL query",
    0x2100: "Unauthorized",
    0x2200: "Invalid query",
    0x2300: "Query invalid because of configuration issue",
    0x2400: "Already exists",
    0x2500: "Matching prepared statement not found on this node",
}


class _ServerErrorFields:
    """Mixin of the server's errors: the ``code`` each one carries, and cassandra-driver's
    text (``Error from server: code=2200 [Invalid query] message="..."``); ``message`` keeps
    the server's message alone."""

    code: int | None = None
    """The native-protocol error code the server sent."""

    message: str

    def __str__(self) -> str:
        if self.code is None:
            return self.message
        summary = _SUMMARIES.get(self.code, "Server error")
        return f'Error from server: code={self.code:04x} [{summary}] message="{self.message}"'


# --- server: could not execute ---------------------------------------------------------------


class RequestExecutionException(_ServerErrorFields, DriverException):
    """The coordinator could not execute the request (not enough replicas, timeouts, ...)."""


class Unavailable(RequestExecutionException):
    """Not enough replicas were alive to even try the request at its consistency level."""

    consistency: str | None = None
    required_replicas: int | None = None
    alive_replicas: int | None = None


class Timeout(RequestExecutionException):
    """Replicas did not answer the coordinator in time (server-side timeout)."""

    consistency: str | None = None
    required_responses: int | None = None
    received_responses: int | None = None


class ReadTimeout(Timeout):
    """A read timed out on the replicas. ``data_retrieved``: whether the data replica answered."""

    data_retrieved: bool | None = None


class WriteTimeout(Timeout):
    """A write timed out on the replicas; it may still have been applied on some of them.

    ``write_type`` is the server's (``SIMPLE``, ``BATCH``, ``CAS``, ...).
    """

    write_type: str | None = None


class CoordinationFailure(RequestExecutionException):
    """Replicas answered with a failure (not a timeout)."""

    consistency: str | None = None
    required_responses: int | None = None
    received_responses: int | None = None
    failures: int | None = None


class ReadFailure(CoordinationFailure):
    """A read failed on replicas (for example too many tombstones)."""

    data_retrieved: bool | None = None


class WriteFailure(CoordinationFailure):
    """A write failed on replicas."""

    write_type: str | None = None


class FunctionFailure(RequestExecutionException):
    """A user-defined function failed on the server."""

    keyspace: str | None = None
    function: str | None = None
    arg_types: list[str] | None = None


class OverloadedErrorMessage(RequestExecutionException):
    """The coordinator is overloaded and shed the request."""


class IsBootstrappingErrorMessage(RequestExecutionException):
    """The coordinator is still bootstrapping."""


class TruncateError(RequestExecutionException):
    """A TRUNCATE failed."""


# --- server: refused as written --------------------------------------------------------------


class RequestValidationException(_ServerErrorFields, DriverException):
    """The server refused the request as written; retrying it unchanged will fail again."""


class SyntaxException(RequestValidationException):
    """The CQL text does not parse."""


class InvalidRequest(RequestValidationException):
    """The CQL parses but is invalid (unknown table or keyspace, wrong types, ...)."""


class Unauthorized(RequestValidationException):
    """The logged-in role lacks a permission the request needs."""


class ConfigurationException(RequestValidationException):
    """A schema statement is invalid for the current configuration."""


class AlreadyExists(ConfigurationException):
    """CREATE of a keyspace or table that exists. ``table`` is None for a keyspace."""

    keyspace: str | None = None
    table: str | None = None


# --- async-cassandra's names, as bases of the errors they stood for there ---------------------


class AsyncCassandraError(DriverException):
    """async-cassandra's base class: the errors the client raises itself (connection, query,
    timeout, authentication and configuration problems), not the server's errors."""


class ConnectionError(AsyncCassandraError):
    """async-cassandra's ``ConnectionError``: no connection could be made or used
    (``NoHostAvailable``, ``ConnectionException``, ``ConnectionClosed``). Not the builtin
    ``ConnectionError``."""


class QueryError(AsyncCassandraError):
    """async-cassandra's ``QueryError``: a query failed on the client side (a parameter that
    does not fit, undecodable data, a page after the last, a trace that cannot be read)."""


class TimeoutError(AsyncCassandraError, builtins.TimeoutError):
    """async-cassandra's ``TimeoutError``: the client stopped waiting (``OperationTimedOut``).
    Also the builtin ``TimeoutError`` and, on Python 3.10, ``asyncio.TimeoutError``."""


class AuthenticationError(AsyncCassandraError):
    """async-cassandra's ``AuthenticationError``: the credentials were refused
    (``AuthenticationFailed``)."""


class UnsupportedOperation(DriverException):
    """cassandra-driver's ``UnsupportedOperation``: an argument or operation that aiocql
    cannot honour; the message says what to do instead."""


class AuthenticationFailed(_ServerErrorFields, AuthenticationError):
    """The credentials were refused."""


class ServerError(_ServerErrorFields, DriverException):
    """The server hit an internal error (a server bug or an unknown error code)."""


class ProtocolException(_ServerErrorFields, DriverException):
    """The server says the driver sent an invalid protocol message (a driver bug)."""


class UnpreparedStatement(_ServerErrorFields, DriverException):
    """The server no longer knows a prepared statement (normally handled by re-preparing)."""


# --- client side ----------------------------------------------------------------------------

# On Python 3.10, asyncio.TimeoutError is not the builtin TimeoutError: be both.
if sys.version_info >= (3, 11):
    _Timeouts = TimeoutError
else:

    class _Timeouts(TimeoutError, asyncio.TimeoutError):
        pass


class OperationTimedOut(_Timeouts):
    """The client stopped waiting after the ``timeout`` of the call.

    The request may or may not have been applied on the server.
    """


class SchemaAgreementTimeout(OperationTimedOut):
    """The nodes did not agree on one schema version in time.

    Raised by a schema change (``CREATE``, ``ALTER``, ``DROP``) after ``max_schema_agreement_wait``
    seconds, and by ``session.wait_for_schema_agreement()`` after its ``timeout``. A schema change
    that raises it was applied by its coordinator: the other nodes had not all learnt it yet.
    """


class NoHostAvailable(ConnectionError):
    """No node could be reached or take the request.

    ``errors`` maps each host tried (``"host:port"``) to the exception it failed with:
    ``AuthenticationFailed`` for refused credentials, ``ConnectionException`` otherwise.
    """

    errors: dict[str, Any]

    def __init__(self, message: str = "", errors: dict[str, Any] | None = None, **fields: Any):
        super().__init__(message, errors=dict(errors or {}), **fields)


class ConnectionException(ConnectionError):
    """A connection broke or could not be used while the request was in flight."""


class ConnectionClosed(ConnectionException):
    """The session or cluster was closed; create a new one to go on."""


class ConfigurationError(AsyncCassandraError, ValueError):
    """Invalid client-side settings, found before anything reached the network."""


class ProtocolError(QueryError):
    """The driver received data it cannot decode (a server or driver bug)."""


class TraceUnavailable(QueryError):
    """A request's trace could not be read: the server had not finished writing it, or its
    ``system_traces`` tables could not be queried. Try ``get_query_trace()`` again later."""


class QueryExhausted(QueryError):
    """``fetch_next_page()`` was called on the last page (``has_more_pages`` is False)."""


class ParameterError(QueryError):
    """A parameter cannot be sent as its bind marker's CQL type. Nothing was sent.

    ``parameter`` is the position (``"#0"``) or name (``"'id'"``) of the parameter, ``column``
    the bind marker's name, ``cql_type`` the type the server expects, ``python_type`` the type
    of the value given. Statement-level problems (a wrong number of parameters) leave them None.
    """

    parameter: str | None = None
    column: str | None = None
    cql_type: str | None = None
    python_type: str | None = None


class ParameterTypeError(ParameterError, TypeError):
    """A parameter has a Python type the column's CQL type cannot take."""


class ParameterValueError(ParameterError, ValueError):
    """A parameter has the right type but a value the column cannot hold, or the number of
    parameters does not match the bind markers."""
