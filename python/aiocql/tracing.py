"""Query traces: what the server did for one request (``execute(..., trace=True)``).

Example::

    rs = await session.execute("SELECT * FROM users WHERE id = ?", [user_id], trace=True)
    trace = await rs.get_query_trace()
    print(trace.coordinator, trace.duration)
    for event in trace.events:
        print(event.source_elapsed, event.source, event.description)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["QueryTrace", "TraceEvent"]

_GREGORIAN_OFFSET_100NS = 0x01B21DD213814000  # from 1582-10-15 to 1970-01-01, in 100 ns


def _micros(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(microseconds=value)


@dataclass(frozen=True)
class TraceEvent:
    """One step of a traced request, on one node (cassandra-driver's names).

    ``datetime`` is when it happened (from the event's time UUID), ``source_elapsed`` the time
    since the request reached ``source``.
    """

    description: str | None
    datetime: datetime
    source: str | None
    source_elapsed: timedelta | None
    thread_name: str | None


@dataclass(frozen=True)
class QueryTrace:
    """The server's trace of one request: ``await rs.get_query_trace()``.

    ``coordinator`` and ``client`` are IP addresses; ``duration`` is how long the coordinator
    took (None while the server has not finished writing the trace); ``events`` are in the
    order the server recorded them.
    """

    trace_id: uuid.UUID
    request_type: str | None
    command: str | None
    coordinator: str | None
    client: str | None
    duration: timedelta | None
    started_at: datetime | None
    parameters: dict[str, str]
    events: tuple[TraceEvent, ...]

    @classmethod
    def _from_native(cls, fields: dict[str, Any]) -> QueryTrace:
        started = fields["started_at_ms"]
        return cls(
            trace_id=uuid.UUID(fields["trace_id"]),
            request_type=fields["request_type"],
            command=fields["command"],
            coordinator=fields["coordinator"],
            client=fields["client"],
            duration=_micros(fields["duration_us"]),
            started_at=None
            if started is None
            else datetime.fromtimestamp(started / 1000, tz=timezone.utc),
            parameters=dict(fields["parameters"] or {}),
            events=tuple(
                TraceEvent(
                    description=activity,
                    datetime=_uuid_time(uuid.UUID(event_id)),
                    source=source,
                    source_elapsed=_micros(elapsed),
                    thread_name=thread,
                )
                for event_id, activity, source, elapsed, thread in fields["events"]
            ),
        )


def _uuid_time(value: uuid.UUID) -> datetime:
    """When a version-1 (time) UUID was made, in UTC."""
    micros = (value.time - _GREGORIAN_OFFSET_100NS) // 10
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=micros)
