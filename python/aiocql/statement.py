"""Statements with options: consistency levels and `SimpleStatement`."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ConsistencyLevel", "SimpleStatement"]


class ConsistencyLevel(IntEnum):
    """How many replicas must answer; the values are the native protocol's (and
    cassandra-driver's)."""

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


class SimpleStatement:
    """A CQL string with per-statement options, for ``session.execute()``.

    Args:
        query_string: the CQL text, with ``?`` or ``:name`` bind markers.
        consistency_level: a `ConsistencyLevel`; ``None`` uses the session's (LOCAL_ONE).
        serial_consistency_level: ``SERIAL`` or ``LOCAL_SERIAL``, for lightweight transactions.
        fetch_size: rows per page the server returns (``None``: 5000).
        is_idempotent: whether running the statement twice is harmless; retry and speculative
            execution policies only repeat idempotent statements.
        timeout: seconds; a ``timeout=`` given to ``execute()`` overrides it.

    Raises:
        TypeError, ValueError: for invalid options, when it is executed (before any I/O).

    Example::

        stmt = SimpleStatement("SELECT * FROM users WHERE id = ?",
                               consistency_level=ConsistencyLevel.QUORUM)
        rs = await session.execute(stmt, [user_id])
    """

    __slots__ = (
        "consistency_level",
        "fetch_size",
        "is_idempotent",
        "query_string",
        "serial_consistency_level",
        "timeout",
    )

    def __init__(
        self,
        query_string: str,
        consistency_level: int | None = None,
        serial_consistency_level: int | None = None,
        fetch_size: int | None = None,
        is_idempotent: bool = False,
        timeout: float | None = None,
    ) -> None:
        if not isinstance(query_string, str):
            raise TypeError(f"query_string must be a str, got {type(query_string).__name__}")
        self.query_string = query_string
        self.consistency_level = consistency_level
        self.serial_consistency_level = serial_consistency_level
        self.fetch_size = fetch_size
        self.is_idempotent = is_idempotent
        self.timeout = timeout

    def __repr__(self) -> str:
        level: object = self.consistency_level
        if isinstance(level, int) and level in ConsistencyLevel._value2member_map_:
            level = ConsistencyLevel(level).name
        return f"<SimpleStatement {self.query_string!r} consistency={level}>"
