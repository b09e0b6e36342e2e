"""cassandra-driver, synchronous: ``session.execute`` called from N OS threads.

This is how most existing applications drive the DataStax/Apache driver: blocking calls from a
thread pool. The driver's own I/O runs on its libev reactor thread (the C extension shipped in the
cp311 wheel; the driver's default when it imports), so every request crosses threads twice.

Settings: protocol v4, no compression (the responder mode has none), consistency ONE on the
prepared statement, a 60 s request timeout (the default execution profile) so overload shows as
latency. Pool: the driver's default, one connection per host with up to 32k stream ids under
protocol v4, enough for 1024 in flight.
"""

from __future__ import annotations

from typing import Any

import _harness as h
import cassandra
from cassandra import ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile

try:
    from cassandra.io.libevreactor import LibevConnection as Connection
except ImportError:  # no libev extension: the driver's own default reactor
    from cassandra.cluster import DefaultConnection as Connection

EXTRA: dict[str, Any] = {"version": cassandra.__version__}


def connect(args: h.Args) -> tuple[h.SyncOp, h.SyncClose]:
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
    prepared = session.prepare(h.QUERIES[args.workload])
    prepared.consistency_level = ConsistencyLevel.ONE
    EXTRA.update(protocol=cluster.protocol_version, reactor=Connection.__name__)
    execute = session.execute
    workload = args.workload
    params = h.params
    consume = h.consume_rows

    if workload == "insert":

        def op(i: int) -> int:
            execute(prepared, params(workload, i))
            return 0
    else:

        def op(i: int) -> int:
            return consume(execute(prepared, params(workload, i)))

    return op, cluster.shutdown


if __name__ == "__main__":
    h.run_threads(h.parse_args("cassandra-driver-sync"), connect, EXTRA)
