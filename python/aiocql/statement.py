"""Statements with options: consistency levels, `SimpleStatement` and `BatchStatement`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from aiocql._native import BoundStatement, PreparedStatement

__all__ = ["BatchStatement", "BatchType", "ConsistencyLevel", "SimpleStatement", "Statement"]


class ConsistencyLevel(IntEnum):
    """How many replicas must answer; the values are the native protocol's (and
    cassandra-driver's). ``ConsistencyLevel.value_to_name`` and ``name_to_value`` map the
    values and names both ways, as cassandra-driver's do."""

    value_to_name: ClassVar[dict[int, str]]
    name_to_value: ClassVar[dict[str, int]]

    ANY = 0
    ONE = 1
    TWO = 2
    THREE = 3
    QUORUM = 4
    ALL = 5
    LOCAL_QUORUM = 6
    EACH_QUORUM = 7
    SERIAL = 8
    LOCAL_SERIAL = 9
    LOCAL_ONE = 10


ConsistencyLevel.value_to_name = {level.value: level.name for level in ConsistencyLevel}
ConsistencyLevel.name_to_value = {level.name: level.value for level in ConsistencyLevel}


class Statement:
    """The options every statement kind carries (cassandra-driver's base class of
    `SimpleStatement` and `BatchStatement`); ``None`` means the session's default.

    The core reads and validates them when the statement is executed, before any I/O.
    """

    __slots__ = (
        "consistency_level",
        "is_idempotent",
        "retry_policy",
        "serial_consistency_level",
        "timeout",
        "timestamp",
    )

    def __init__(
        self,
        *,
        consistency_level: int | None = None,
        serial_consistency_level: int | None = None,
        is_idempotent: bool = False,
        timeout: float | None = None,
        timestamp: int | None = None,
        retry_policy: object = None,
    ) -> None:
        self.consistency_level = consistency_level
        self.serial_consistency_level = serial_consistency_level
        self.is_idempotent = is_idempotent
        self.timeout = timeout
        self.timestamp = timestamp
        self.retry_policy = retry_policy

    def _consistency_name(self) -> object:
        level: object = self.consistency_level
        if isinstance(level, int) and level in ConsistencyLevel._value2member_map_:
            level = ConsistencyLevel(level).name
        return level


class SimpleStatement(Statement):
    """A CQL string with per-statement options, for ``session.execute()``.

    Args:
        query_string: the CQL text, with ``?`` or ``:name`` bind markers.
        consistency_level: a `ConsistencyLevel`; ``None`` uses the session's (LOCAL_ONE).
        serial_consistency_level: ``SERIAL`` or ``LOCAL_SERIAL``, for lightweight transactions.
        fetch_size: rows per page the server returns (``None``: 5000).
        is_idempotent: whether running the statement twice is harmless; retry and speculative
            execution policies only repeat idempotent statements.
        timeout: seconds; a ``timeout=`` given to ``execute()`` overrides it.
        timestamp: client-side write timestamp, in microseconds since the epoch (``None``:
            the coordinator's clock). Last write wins by this timestamp.
        retry_policy: an ``aiocql.policies`` retry policy for this statement (``None``: the
            execution profile's).

    Raises:
        TypeError, ValueError: for invalid options, when it is executed (before any I/O).

    Example::

        stmt = SimpleStatement("SELECT * FROM users WHERE id = ?",
                               consistency_level=ConsistencyLevel.QUORUM)
        rs = await session.execute(stmt, [user_id])
    """

    __slots__ = ("fetch_size", "query_string")

    def __init__(
        self,
        query_string: str,
        consistency_level: int | None = None,
        serial_consistency_level: int | None = None,
        fetch_size: int | None = None,
        is_idempotent: bool = False,
        timeout: float | None = None,
        timestamp: int | None = None,
        retry_policy: object = None,
    ) -> None:
        if not isinstance(query_string, str):
            raise TypeError(f"query_string must be a str, got {type(query_string).__name__}")
        super().__init__(
            consistency_level=consistency_level,
            serial_consistency_level=serial_consistency_level,
            is_idempotent=is_idempotent,
            timeout=timeout,
            timestamp=timestamp,
            retry_policy=retry_policy,
        )
        self.query_string = query_string
        self.fetch_size = fetch_size

    def __repr__(self) -> str:
        return f"<SimpleStatement {self.query_string!r} consistency={self._consistency_name()}>"


class BatchType(IntEnum):
    """How the server applies a batch (the native protocol's values)."""

    #: All statements are applied or none (through the batch log); the safe default.
    LOGGED = 0
    #: Sent together, applied independently: only for writes to one partition.
    UNLOGGED = 1
    #: A batch of counter updates.
    COUNTER = 2


Parameters = Sequence[Any] | Mapping[str, Any] | None


class BatchStatement(Statement):
    """Several statements sent as one request: ``await session.execute_batch(batch)``.

    Args:
        batch_type: a `BatchType` (default LOGGED).
        consistency_level, serial_consistency_level, is_idempotent, timeout, timestamp,
            retry_policy: as for `SimpleStatement`, for the whole batch.

    Statements are strings, `SimpleStatement`s (only their text is used: options apply to the
    batch as a whole) or `PreparedStatement`s. Strings with parameters are prepared once and
    cached, so every parameter is converted by its column's type before anything is sent.

    Example::

        batch = BatchStatement(consistency_level=ConsistencyLevel.QUORUM)
        batch.add(insert_user, (user_id, "ada"))
        batch.add("INSERT INTO users_by_name (name, id) VALUES (?, ?)", ("ada", user_id))
        await session.execute_batch(batch)
    """

    __slots__ = ("_entries", "batch_type")

    def __init__(
        self,
        batch_type: int = BatchType.LOGGED,
        consistency_level: int | None = None,
        serial_consistency_level: int | None = None,
        is_idempotent: bool = False,
        timeout: float | None = None,
        timestamp: int | None = None,
        retry_policy: object = None,
    ) -> None:
        super().__init__(
            consistency_level=consistency_level,
            serial_consistency_level=serial_consistency_level,
            is_idempotent=is_idempotent,
            timeout=timeout,
            timestamp=timestamp,
            retry_policy=retry_policy,
        )
        self.batch_type = batch_type
        self._entries: list[tuple[Any, Parameters]] = []

    def add(
        self,
        statement: str | SimpleStatement | PreparedStatement | BoundStatement,
        parameters: Parameters = None,
    ) -> None:
        """Append one statement with its parameters (a sequence, a mapping or ``None``)."""
        if isinstance(parameters, str | bytes):
            raise TypeError("parameters must be a sequence or a mapping, not a str")
        self._entries.append((statement, parameters))

    def add_all(
        self,
        statements: Iterable[str | SimpleStatement | PreparedStatement | BoundStatement],
        parameters: Iterable[Parameters],
    ) -> None:
        """Append each statement with the parameters at the same position."""
        statements = list(statements)
        parameters = list(parameters)
        if len(statements) != len(parameters):
            raise ValueError(
                f"add_all() got {len(statements)} statements and {len(parameters)} parameter sets"
            )
        for statement, params in zip(statements, parameters, strict=True):
            self.add(statement, params)

    def clear(self) -> None:
        """Remove every statement, to reuse the batch object."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        kind = BatchType(self.batch_type).name if self.batch_type in (0, 1, 2) else self.batch_type
        return f"<BatchStatement {kind} statements={len(self._entries)}>"
