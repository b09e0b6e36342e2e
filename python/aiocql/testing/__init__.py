"""Throw-away Apache Cassandra 5.0 clusters for tests: the launcher, its CLI and a pytest plugin.

Real Cassandra nodes from Maven Central jars on JDK 17, no Docker, no ccm, standard library
only (TLS profiles make their certificates with trustme). Each :class:`Profile` (node count,
datacenters and racks, auth, TLS) has its own data directories and loopback addresses under
``$AIOCQL_CACHE`` (default ``~/.cache/aiocql``).

Example::

    from aiocql.testing import CassandraCluster, Profile

    cluster = CassandraCluster(Profile(3))
    cluster.start()
    try:
        print(cluster.contact_points())   # ['127.0.3.1:9042', '127.0.3.2:9042', '127.0.3.3:9042']
        print(cluster.node(1).nodetool("status"))
    finally:
        cluster.stop()

The CLI is ``python -m aiocql.testing``; the pytest fixtures load with
``-p aiocql.testing.plugin``. docs/testing.md describes both.
"""

from __future__ import annotations

from .cluster import CassandraCluster, TestCluster, wipe_all
from .distribution import cassandra_version
from .errors import ClusterError
from .node import Node
from .probe import cql_login, cql_options
from .profile import (
    CQL_PORT,
    MAX_NODES,
    PASSWORD,
    STORAGE_PORT,
    USERNAME,
    Placement,
    Profile,
    Topology,
)
from .toolchain import cache_root

__all__ = [
    "CQL_PORT",
    "MAX_NODES",
    "PASSWORD",
    "STORAGE_PORT",
    "USERNAME",
    "CassandraCluster",
    "ClusterError",
    "Node",
    "Placement",
    "Profile",
    "TestCluster",
    "Topology",
    "cache_root",
    "cassandra_version",
    "cql_login",
    "cql_options",
    "wipe_all",
]
