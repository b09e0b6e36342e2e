"""cassandra-driver's ``cassandra.query`` names: statements, ``ValueSequence`` and the row
factories, so that ``from cassandra.query import dict_factory`` becomes
``from aiocql.query import dict_factory``.

The row factories work as ``row_factory=`` of a session, a call or an execution profile, where
aiocql recognises each one and builds its rows directly (``named_tuple_factory`` gives
:class:`aiocql.Row`, aiocql's named-tuple-like row). Called directly, each one also does what
cassandra-driver's does: ``factory(column_names, rows)`` returns the list of rows.

Example::

    from aiocql.query import dict_factory

    session.row_factory = dict_factory
    row = (await session.execute("SELECT k, v FROM t WHERE k = 1")).one()
    row["v"]
"""

from __future__ import annotations

from typing import Any

from aiocql._native import BoundStatement, PreparedStatement
from aiocql.rows import dict_factory, named_tuple_factory, ordered_dict_factory, tuple_factory
from aiocql.statement import BatchStatement, BatchType, SimpleStatement, Statement

__all__ = [
    "BatchStatement",
    "BatchType",
    "BoundStatement",
    "PreparedStatement",
    "SimpleStatement",
    "Statement",
    "ValueSequence",
    "dict_factory",
    "named_tuple_factory",
    "ordered_dict_factory",
    "tuple_factory",
]


class ValueSequence(list[Any]):
    """cassandra-driver's marker of the values of an ``IN %s``; a list, sent as one. (aiocql
    sends any list or tuple given for ``IN %s`` the same way.)

    Example::

        await session.execute("SELECT * FROM t WHERE k IN %s", [ValueSequence([1, 2, 3])])
    """
