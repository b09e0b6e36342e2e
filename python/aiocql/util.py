"""cassandra-driver's ``cassandra.util`` names: ``Date``, ``Time``, ``Duration`` and the
``timeuuid`` helpers, with the driver's behaviour, so that ``from cassandra.util import
uuid_from_time`` becomes ``from aiocql.util import uuid_from_time``.

Each type is accepted as a parameter of its CQL type (``Date`` for ``date``, ``Time`` for
``time``, ``Duration`` for ``duration``). aiocql returns ``datetime.date`` and
``datetime.time`` for such columns (and :class:`aiocql.CqlDate` for dates outside the years
1-9999), as docs/types.md lists.

Example::

    from aiocql.util import datetime_from_uuid1, uuid_from_time

    event_id = uuid_from_time(datetime.datetime.now(datetime.timezone.utc))
    await session.execute("INSERT INTO events (id) VALUES (%s)", [event_id])
    datetime_from_uuid1(event_id)  # naive UTC datetime, as cassandra-driver returns
"""

from __future__ import annotations

import calendar
import datetime
import random
import re
import uuid
from typing import Any

from aiocql.types import CqlDate, Duration

__all__ = [
    "Date",
    "Duration",
    "Time",
    "datetime_from_timestamp",
    "datetime_from_uuid1",
    "max_uuid_from_time",
    "min_uuid_from_time",
    "unix_time_from_uuid1",
    "uuid_from_time",
]

_EPOCH = datetime.date(1970, 1, 1)
_NANOS_PER_DAY = 86_400 * 10**9
# 100-nanosecond intervals between 1582-10-15 (the UUID epoch) and 1970-01-01.
_UUID_EPOCH_OFFSET = 0x01B21DD213814000
_TIME = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$")


class Date(CqlDate):
    """cassandra-driver's ``Date``: a CQL ``date`` as days since 1970-01-01, which reaches
    beyond the years 1-9999 of ``datetime.date``.

    ``Date(value)`` takes an int (days since the epoch), a ``datetime.date`` (or
    ``datetime``, whose time is dropped, as the driver does) or a ``"YYYY-MM-DD"`` string.

    Raises:
        ValueError: a string that is not a date.
        TypeError: any other type.

    Example::

        Date("2024-02-29").days_from_epoch  # 19782
    """

    __slots__ = ()

    def __init__(self, value: Any) -> None:
        if isinstance(value, CqlDate):
            days = value.days
        elif isinstance(value, datetime.date):
            day = value.date() if isinstance(value, datetime.datetime) else value
            days = (day - _EPOCH).days
        elif isinstance(value, str):
            try:
                days = (datetime.date.fromisoformat(value) - _EPOCH).days
            except ValueError:
                raise ValueError(f"Date: {value!r} is not a YYYY-MM-DD date") from None
        elif isinstance(value, int) and not isinstance(value, bool):
            days = value
        else:
            raise TypeError(f"Date takes int, datetime.date or str, got {type(value).__name__}")
        object.__setattr__(self, "days", days)

    @property
    def days_from_epoch(self) -> int:
        """Days since 1970-01-01 (negative before it)."""
        return self.days

    def date(self) -> datetime.date:
        """The ``datetime.date``; ``ValueError`` outside the years 1-9999."""
        try:
            return _EPOCH + datetime.timedelta(days=self.days)
        except OverflowError:
            raise ValueError(
                f"{self.days} days from 1970-01-01 is outside the years 1-9999"
            ) from None

    def __str__(self) -> str:
        try:
            return str(self.date())
        except ValueError:
            return str(self.days)

    def __repr__(self) -> str:
        return f"Date({self.days})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CqlDate):
            return self.days == other.days
        if isinstance(other, datetime.date) and not isinstance(other, datetime.datetime):
            return self.days == (other - _EPOCH).days
        if isinstance(other, int) and not isinstance(other, bool):
            return self.days == other
        return NotImplemented

    def __lt__(self, other: object) -> bool:
        if isinstance(other, CqlDate):
            return self.days < other.days
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.days)


class Time(int):
    """cassandra-driver's ``Time``: a CQL ``time`` as nanoseconds since midnight (an ``int``).

    ``Time(value)`` takes an int of nanoseconds, a ``datetime.time`` or an
    ``"HH:MM:SS[.fffffffff]"`` string.

    Raises:
        ValueError: a value outside one day, or a string that is not a time.
        TypeError: any other type.

    Example::

        Time("12:30:00.000000001").nanosecond  # 1
    """

    def __new__(cls, value: Any) -> Time:
        if isinstance(value, datetime.time):
            nanos = (
                value.hour * 3600 + value.minute * 60 + value.second
            ) * 10**9 + value.microsecond * 1000
        elif isinstance(value, str):
            found = _TIME.match(value)
            if found is None:
                raise ValueError(f"Time: {value!r} is not HH:MM:SS[.fffffffff]")
            hours, minutes, seconds, fraction = found.groups()
            nanos = (int(hours) * 3600 + int(minutes) * 60 + int(seconds)) * 10**9
            nanos += int((fraction or "0").ljust(9, "0"))
        elif isinstance(value, int) and not isinstance(value, bool):
            nanos = int(value)
        else:
            raise TypeError(f"Time takes int, datetime.time or str, got {type(value).__name__}")
        if not 0 <= nanos < _NANOS_PER_DAY:
            raise ValueError(f"Time must be within one day (0 to 86399999999999 ns), got {nanos}")
        return super().__new__(cls, nanos)

    @property
    def nanosecond_time(self) -> int:
        """Nanoseconds since midnight."""
        return int(self)

    @property
    def hour(self) -> int:
        return int(self) // (3600 * 10**9)

    @property
    def minute(self) -> int:
        return int(self) // (60 * 10**9) % 60

    @property
    def second(self) -> int:
        return int(self) // 10**9 % 60

    @property
    def nanosecond(self) -> int:
        return int(self) % 10**9

    def time(self) -> datetime.time:
        """The ``datetime.time`` (to the microsecond)."""
        return datetime.time(self.hour, self.minute, self.second, self.nanosecond // 1000)

    def __str__(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}:{self.second:02d}.{self.nanosecond:09d}"

    def __repr__(self) -> str:
        return f"Time({int(self)})"


def uuid_from_time(
    time_arg: datetime.datetime | float,
    node: int | None = None,
    clock_seq: int | None = None,
) -> uuid.UUID:
    """A version-1 UUID (a ``timeuuid``) for ``time_arg``: a ``datetime`` (a naive one is
    taken as UTC) or seconds since the epoch. ``node`` (48 bits) and ``clock_seq`` (14 bits)
    are random unless given.

    Raises:
        ValueError: ``node`` or ``clock_seq`` out of range.

    Example::

        uuid_from_time(1700000000.0)
    """
    if isinstance(time_arg, datetime.datetime):
        # In integers: cassandra-driver's float sum can land a microsecond short.
        seconds = calendar.timegm(time_arg.utctimetuple())
        nanos = seconds * 10**9 + time_arg.microsecond * 1000
    else:
        nanos = int(time_arg * 1e9)
    timestamp = nanos // 100 + _UUID_EPOCH_OFFSET
    if clock_seq is None:
        clock_seq = random.getrandbits(14)
    elif not 0 <= clock_seq < 1 << 14:
        raise ValueError("clock_seq is out of range (need a 14-bit value)")
    if node is None:
        node = random.getrandbits(48) | 0x010000000000  # the multicast bit: not a MAC address
    elif not 0 <= node < 1 << 48:
        raise ValueError("node is out of range (need a 48-bit value)")
    return uuid.UUID(
        fields=(
            timestamp & 0xFFFFFFFF,
            (timestamp >> 32) & 0xFFFF,
            ((timestamp >> 48) & 0x0FFF) | 0x1000,
            ((clock_seq >> 8) & 0x3F) | 0x80,
            clock_seq & 0xFF,
            node,
        ),
        version=1,
    )


def min_uuid_from_time(timestamp: datetime.datetime | float) -> uuid.UUID:
    """The smallest ``timeuuid`` of ``timestamp``, as Cassandra orders them (for range
    queries)."""
    return uuid_from_time(timestamp, 0x808080808080, 0x80)


def max_uuid_from_time(timestamp: datetime.datetime | float) -> uuid.UUID:
    """The largest ``timeuuid`` of ``timestamp``, as Cassandra orders them."""
    return uuid_from_time(timestamp, 0x7F7F7F7F7F7F, 0x3F7F)


def unix_time_from_uuid1(uuid_arg: uuid.UUID) -> float:
    """Seconds since the epoch of a version-1 UUID."""
    return (uuid_arg.time - _UUID_EPOCH_OFFSET) / 1e7


def datetime_from_timestamp(timestamp: float) -> datetime.datetime:
    """A naive UTC ``datetime`` of seconds since the epoch (cassandra-driver's, which reaches
    beyond the range of ``datetime.utcfromtimestamp``)."""
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=timestamp)


def datetime_from_uuid1(uuid_arg: uuid.UUID) -> datetime.datetime:
    """The naive UTC ``datetime`` of a version-1 UUID, as cassandra-driver returns it."""
    return datetime_from_timestamp(unix_time_from_uuid1(uuid_arg))
