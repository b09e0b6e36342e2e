"""The cluster's metadata, as ``cluster.metadata`` gives it: hosts, keyspaces, tables, columns,
user types, views and the token ring, under cassandra-driver's names (``cassandra.metadata``).

Every object here is a snapshot made by the Rust core; docs/cluster.md describes them.

Example::

    from aiocql.metadata import Metadata, TableMetadata

    meta: Metadata = cluster.metadata
    orders: TableMetadata = meta.keyspaces["shop"].tables["orders"]
    print([c.name for c in orders.partition_key])
"""

from __future__ import annotations

from aiocql._native import (
    ColumnMetadata,
    Host,
    HostEvent,
    KeyspaceMetadata,
    MaterializedViewMetadata,
    Metadata,
    TableMetadata,
    TokenMap,
    UserTypeMetadata,
)

__all__ = [
    "ColumnMetadata",
    "Host",
    "HostEvent",
    "KeyspaceMetadata",
    "MaterializedViewMetadata",
    "Metadata",
    "TableMetadata",
    "TokenMap",
    "UserTypeMetadata",
]
