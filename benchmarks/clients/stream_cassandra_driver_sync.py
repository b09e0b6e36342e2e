"""cassandra-driver, synchronous: iterate the ``ResultSet`` of a paged prepared statement.

The driver's documented way to read a large result: set ``fetch_size`` on the statement and
iterate the ``ResultSet`` that ``session.execute`` returns; when the current page runs out the
iteration calls ``fetch_next_page()``, which blocks this thread until the next page arrives from
the libev reactor thread. Only the current page is held; there is no read-ahead.

Settings: protocol v4, no compression, consistency ONE on the prepared statement, a 60 s request
timeout (per page), libev reactor, the driver's default row factory (named tuples).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import _stream_harness as h
import cassandra
from cassandra import ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile

try:
    from cassandra.io.libevreactor import LibevConnection as Connection
except ImportError:  # no libev extension: the driver's own default reactor
    from cassandra.cluster import DefaultConnection as Connection

EXTRA: dict[str, Any] = {"version": cassandra.__version__}


def connect(args: h.StreamArgs) -> tuple[Callable[[], Iterator[Any]], Callable[[], None]]:
    profile = ExecutionProfile(request_timeout=60, consistency_level=ConsistencyLevel.ONE)
    cluster = Cluster(
        [args.host],
        port=args.port,
        protocol_version=4,
        compression=False,
        connection_class=Connection,
        connect_timeout=60,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
    )
    session = cluster.connect()
    prepared = session.prepare(h.STREAM_QUERY)
    prepared.consistency_level = ConsistencyLevel.ONE
    prepared.fetch_size = args.fetch_size
    EXTRA.update(protocol=cluster.protocol_version, reactor=Connection.__name__)

    def rows() -> Iterator[Any]:
        return iter(session.execute(prepared))

    return rows, cluster.shutdown


if __name__ == "__main__":
    h.run_sync(h.parse_args("cassandra-driver-sync"), connect, EXTRA)
