"""Python types for the CQL values the standard library has no type for."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["EMPTY", "UNSET_VALUE", "CqlDate", "CqlTimestamp", "Duration", "UserType"]

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


class UserType(Mapping[str, Any]):
    """A value of a CQL user-defined type: read-only, with attribute and mapping access.

    Rows return these for UDT columns (``row.address.city``, ``row.address["city"]``,
    ``row.address._asdict()``). It compares equal to another value of the same type with the
    same fields, and to a ``dict`` of its fields. As a parameter, a UDT column takes a
    ``UserType``, a ``dict`` or any object whose attributes are the fields (a dataclass, for
    example); missing fields are sent as null, unknown mapping keys raise.

    Example::

        address = UserType("address", {"street": "1 Main St", "city": "Springfield"})
        await session.execute("INSERT INTO users (id, home) VALUES (?, ?)", [uid, address])
    """

    __slots__ = ("_keyspace", "_name", "_names", "_values")
    _keyspace: str | None
    _name: str
    _names: tuple[str, ...]
    _values: tuple[Any, ...]

    def __init__(self, name: str, fields: Mapping[str, Any], *, keyspace: str | None = None):
        object.__setattr__(self, "_keyspace", keyspace)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_names", tuple(fields))
        object.__setattr__(self, "_values", tuple(fields.values()))

    @classmethod
    def _from_server(
        cls, keyspace: str, name: str, names: tuple[str, ...], values: tuple[Any, ...]
    ) -> UserType:
        value = cls.__new__(cls)
        object.__setattr__(value, "_keyspace", keyspace)
        object.__setattr__(value, "_name", name)
        object.__setattr__(value, "_names", names)
        object.__setattr__(value, "_values", values)
        return value

    @property
    def _fields(self) -> tuple[str, ...]:
        """The field names, in the type's order."""
        return self._names

    @property
    def _type_name(self) -> str:
        """``keyspace.name`` of the user type (just ``name`` when built without a keyspace)."""
        return f"{self._keyspace}.{self._name}" if self._keyspace else self._name

    def _asdict(self) -> dict[str, Any]:
        """The fields as a ``dict``, in the type's order."""
        return dict(zip(self._names, self._values, strict=True))

    def __getitem__(self, name: str) -> Any:
        try:
            return self._values[self._names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[self._names.index(name)]
        except ValueError:
            raise AttributeError(
                f"user type {self._type_name} has no field {name!r} (fields: "
                f"{', '.join(self._names)})"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("user type values are read-only; build a new one")

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UserType):
            return (self._name, self._names, self._values) == (
                other._name,
                other._names,
                other._values,
            )
        if isinstance(other, dict):
            return self._asdict() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._name, self._names, self._values))

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={v!r}" for n, v in zip(self._names, self._values, strict=True))
        return f"{self._name}({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (UserType._from_server, (self._keyspace, self._name, self._names, self._values))


@dataclass(frozen=True, slots=True)
class CqlDate:
    """A CQL ``date`` outside the years 1-9999 that ``datetime.date`` can hold.

    CQL dates span about 5.8 million years either side of 1970. Rows return this type only
    for such dates (others are ``datetime.date``); it is accepted as a parameter too.
    ``days`` counts days since 1970-01-01 (negative before it).
    """

    days: int


@dataclass(frozen=True, slots=True)
class CqlTimestamp:
    """A CQL ``timestamp`` outside the years 1-9999 that ``datetime`` can hold.

    Rows return this type only for such instants (others are timezone-aware UTC
    ``datetime``); it is accepted as a parameter too. ``milliseconds`` counts milliseconds
    since 1970-01-01T00:00:00Z.
    """

    milliseconds: int


class _Empty:
    """The type of `EMPTY`."""

    _instance: _Empty | None = None

    def __new__(cls) -> _Empty:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "EMPTY"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "EMPTY"


class _Unset:
    """The type of `UNSET_VALUE`."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET_VALUE"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNSET_VALUE"


#: A zero-length value. CQL lets any column hold one (``blobAsInt(0x)``); it is neither null nor
#: a number. Rows return ``EMPTY`` for such values of types other than text, ascii and blob
#: (whose empty value is ``""`` or ``b""``), and ``EMPTY`` as a parameter writes one.
EMPTY = _Empty()

#: As a parameter: leave this column as it is (protocol v4 "unset"), unlike ``None``, which
#: writes a null (a tombstone). Only valid as a whole parameter.
UNSET_VALUE = _Unset()
