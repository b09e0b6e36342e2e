"""Python types for the CQL values the standard library has no type for."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Duration"]

_INT32 = 2**31


@dataclass(frozen=True, slots=True)
class Duration:
    """A CQL ``duration``: months, days and nanoseconds, kept apart as CQL keeps them.

    A month or a day is a calendar unit (a month is 28 to 31 days, a day may be 23 to 25
    hours across a DST change), so a ``Duration`` is not converted to a fixed span of time.
    The three parts must not have different signs. A ``datetime.timedelta`` is accepted as a
    parameter too and is sent as nanoseconds only.

    Raises:
        ValueError: parts with different signs, or months/days outside 32 bits.

    Example::

        await session.execute("INSERT INTO t (k, d) VALUES (?, ?)", [1, Duration(1, 15, 0)])
    """

    months: int = 0
    days: int = 0
    nanoseconds: int = 0

    def __post_init__(self) -> None:
        for name in ("months", "days", "nanoseconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Duration.{name} must be an int, got {type(value).__name__}")
        for name in ("months", "days"):
            if not -_INT32 <= getattr(self, name) < _INT32:
                raise ValueError(f"Duration.{name} must fit in 32 bits")
        if not -(2**63) <= self.nanoseconds < 2**63:
            raise ValueError("Duration.nanoseconds must fit in 64 bits")
        parts = (self.months, self.days, self.nanoseconds)
        if any(p > 0 for p in parts) and any(p < 0 for p in parts):
            raise ValueError("months, days and nanoseconds must not have different signs")

    def __str__(self) -> str:
        """The CQL literal, e.g. ``1mo2d3h`` or ``-5d``."""
        parts = (self.months, self.days, self.nanoseconds)
        if not any(parts):
            return "0s"
        sign = "-" if any(p < 0 for p in parts) else ""
        months, days, nanos = (abs(p) for p in parts)
        out = [sign]
        for amount, unit in ((months // 12, "y"), (months % 12, "mo"), (days, "d")):
            if amount:
                out.append(f"{amount}{unit}")
        for size, unit in (
            (3_600_000_000_000, "h"),
            (60_000_000_000, "m"),
            (1_000_000_000, "s"),
            (1_000_000, "ms"),
            (1_000, "us"),
            (1, "ns"),
        ):
            amount, nanos = divmod(nanos, size)
            if amount:
                out.append(f"{amount}{unit}")
        return "".join(out)
