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
    ├── AuthenticationFailed
    ├── ServerError, ProtocolException, UnpreparedStatement
    ├── OperationTimedOut (also TimeoutError)   the client gave up waiting
    │   └── SchemaAgreementTimeout         the nodes did not agree on the schema in time
    ├── NoHostAvailable                    no node could take the request
    ├── ConnectionException
    │   └── ConnectionClosed               the session or cluster was closed
    ├── ConfigurationError (also ValueError)   invalid client settings
    ├── ProtocolError                      undecodable data from the server
    ├── QueryExhausted                     fetch_next_page() after the last page
    └── ParameterError                     a value does not fit its bind marker; nothing was sent
        ├── ParameterTypeError (also TypeError)
        └── ParameterValueError (also ValueError)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AlreadyExists",
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


class _ServerErrorFields:
    """Mixin documenting the ``code`` every server error carries."""

    code: int | None = None
    """The native-protocol error code the server sent."""


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


class AuthenticationFailed(_ServerErrorFields, DriverException):
    """The credentials were refused."""


class ServerError(_ServerErrorFields, DriverException):
    """The server hit an internal error (a server bug or an unknown error code)."""


class ProtocolException(_ServerErrorFields, DriverException):
    """The server says the driver sent an invalid protocol message (a driver bug)."""


class UnpreparedStatement(_ServerErrorFields, DriverException):
    """The server no longer knows a prepared statement (normally handled by re-preparing)."""


# --- client side ----------------------------------------------------------------------------


class OperationTimedOut(DriverException, TimeoutError):
    """The client stopped waiting after the ``timeout`` of the call.

    The request may or may not have been applied on the server.
    """


class SchemaAgreementTimeout(OperationTimedOut):
    """The nodes did not agree on one schema version in time.

    Raised by a schema change (``CREATE``, ``ALTER``, ``DROP``) after ``max_schema_agreement_wait``
    seconds, and by ``session.wait_for_schema_agreement()`` after its ``timeout``. A schema change
    that raises it was applied by its coordinator: the other nodes had not all learnt it yet.
    """


class NoHostAvailable(DriverException):
    """No node could be reached or take the request.

    ``errors`` maps each host tried (``"host:port"``) to the exception it failed with:
    ``AuthenticationFailed`` for refused credentials, ``ConnectionException`` otherwise.
    """

    errors: dict[str, Any]

    def __init__(self, message: str = "", errors: dict[str, Any] | None = None, **fields: Any):
        super().__init__(message, errors=dict(errors or {}), **fields)


class ConnectionException(DriverException):
    """A connection broke or could not be used while the request was in flight."""


class ConnectionClosed(ConnectionException):
    """The session or cluster was closed; create a new one to go on."""


class ConfigurationError(DriverException, ValueError):
    """Invalid client-side settings, found before anything reached the network."""


class ProtocolError(DriverException):
    """The driver received data it cannot decode (a server or driver bug)."""


class TraceUnavailable(DriverException):
    """A request's trace could not be read: the server had not finished writing it, or its
    ``system_traces`` tables could not be queried. Try ``get_query_trace()`` again later."""


class QueryExhausted(DriverException):
    """``fetch_next_page()`` was called on the last page (``has_more_pages`` is False)."""


class ParameterError(DriverException):
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
