"""cassandra-driver's row factories, which aiocql recognises as ``row_factory=`` (see
:mod:`aiocql.query`, where applications import them from). Called directly, each does what
cassandra-driver's does: ``factory(column_names, rows)`` returns the list of rows."""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["dict_factory", "named_tuple_factory", "ordered_dict_factory", "tuple_factory"]


def tuple_factory(colnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Rows as plain tuples."""
    return [tuple(row) for row in rows]


def named_tuple_factory(colnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[Any]:
    """Rows as :class:`aiocql.Row` (named access ``row.k``, index ``row[0]``, ``row._asdict()``),
    aiocql's default. Called directly, it returns ``collections.namedtuple`` rows."""
    Named = namedtuple("Row", list(colnames), rename=True)  # type: ignore[misc]
    return [Named(*row) for row in rows]


def dict_factory(colnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows as ``dict``s of column name to value."""
    return [dict(zip(colnames, row, strict=True)) for row in rows]


def ordered_dict_factory(
    colnames: Sequence[str], rows: Iterable[Sequence[Any]]
) -> list[OrderedDict[str, Any]]:
    """Rows as ``collections.OrderedDict``s of column name to value, in column order."""
    return [OrderedDict(zip(colnames, row, strict=True)) for row in rows]
