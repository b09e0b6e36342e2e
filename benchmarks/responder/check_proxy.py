"""Manual check of cql-responder with the DataStax Python driver, over protocol v4 and v5.

Not part of the test suite: it needs a running node, a running responder, the seeded benchmark
keyspace, and the DataStax driver, which is kept out of the project's environment. Run it from a
scratch virtualenv outside the repository:

    python3 -m venv /tmp/v5venv && /tmp/v5venv/bin/pip install cassandra-driver==3.30.1
    CARGO_TARGET_DIR=$HOME/.cache/aiocql/bench-target \\
        cargo build --release --manifest-path benchmarks/responder/Cargo.toml
    $HOME/.cache/aiocql/bench-target/release/cql-responder --listen 127.0.0.1:9043 &
    /tmp/v5venv/bin/python benchmarks/responder/check_proxy.py [--port 9043] [--protocol 5]

For each protocol version (default: 5, then 4) it prepares the point-read and wide-read
statements of the benchmark, executes them many times (synchronously and with execute_async,
500 at a time) and checks the shape of every result; it also sends a request frame and reads a
response frame larger than one v5 segment (128 KiB), so both directions exercise segment
splitting. Forged answers are all the node's answer to the first execution, so every point read
returns the same row; the script prints how many distinct keys it saw (1 means the reads were
forged). Compare with the forwarded/forged counts the responder prints to stderr when stopped.
Exits non-zero on the first failed check.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import datetime

from cassandra import ProtocolVersion
from cassandra.cluster import Cluster

KEYSPACE = "aiocql_bench"
POINT_KEYS = 100_000
BLOB = bytes(range(100))
POINT = f"SELECT k, v FROM {KEYSPACE}.kv WHERE k = ?"
WIDE = f"SELECT p, c, t, i, b, d, f, u, ts, bl FROM {KEYSPACE}.wide WHERE p = ?"
BIG_KEY = -424242  # a kv_insert row no benchmark uses (insert keys are far above 2**40)


def fail(message: str) -> None:
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def check_point(rows: list, keys: set[int]) -> None:
    if len(rows) != 1:
        fail(f"point read returned {len(rows)} rows")
    k, v = rows[0]
    if not isinstance(k, int) or not 0 <= k < POINT_KEYS or v != BLOB:
        fail(f"point read returned an unexpected row {rows[0]!r}")
    keys.add(k)


def check_wide(rows: list) -> None:
    if len(rows) != 100:
        fail(f"wide read returned {len(rows)} rows")
    p = rows[0][0]
    for c, row in enumerate(rows):
        if len(row) != 10:
            fail(f"wide row with {len(row)} columns")
        rp, rc, t, i, b, d, f, u, ts, bl = row
        if (rp, rc) != (p, c) or t != f"row {p}/{c} with some text" or i != p * 1000 + c:
            fail(f"unexpected wide row {row!r}")
        if b != (p << 32) + c or not isinstance(d, float) or f != (c % 2 == 0):
            fail(f"unexpected wide row {row!r}")
        if u != uuid.UUID(int=(p << 64) + c) or not isinstance(ts, datetime):
            fail(f"unexpected wide row {row!r}")
        if bl != BLOB[: 16 + c % 16]:
            fail(f"unexpected wide row {row!r}")


def run(port: int, protocol: int, n: int) -> None:
    cluster = Cluster(["127.0.0.1"], port=port, protocol_version=protocol, compression=False)
    session = cluster.connect()
    try:
        version = session.cluster.protocol_version
        if version != protocol:
            fail(f"asked for protocol v{protocol}, connected with v{version}")
        point = session.prepare(POINT)
        wide = session.prepare(WIDE)
        keys: set[int] = set()

        start = time.perf_counter()
        for i in range(n):
            check_point(list(session.execute(point, [(i * 7919) % POINT_KEYS])), keys)
        sync_s = time.perf_counter() - start

        start = time.perf_counter()
        for base in range(0, n, 500):
            futures = [
                session.execute_async(point, [((base + j) * 7919) % POINT_KEYS])
                for j in range(min(500, n - base))
            ]
            for future in futures:
                check_point(list(future.result()), keys)
        async_s = time.perf_counter() - start

        wide_n = max(1, n // 50)
        for i in range(wide_n):
            check_wide(list(session.execute(wide, [i % 100])))
        futures = [session.execute_async(wide, [i % 100]) for i in range(wide_n)]
        for future in futures:
            check_wide(list(future.result()))

        # Frames larger than one v5 segment, in both directions (forwarded, not prepared).
        big = bytes(i % 251 for i in range(300_000))
        session.execute(f"INSERT INTO {KEYSPACE}.kv_insert (k, v) VALUES (%s, %s)", [BIG_KEY, big])
        rows = list(session.execute(f"SELECT v FROM {KEYSPACE}.kv_insert WHERE k = %s", [BIG_KEY]))
        if len(rows) != 1 or rows[0][0] != big:
            fail("the 300 kB blob did not come back intact")
        session.execute(f"DELETE FROM {KEYSPACE}.kv_insert WHERE k = %s", [BIG_KEY])
        many = list(session.execute(f"SELECT k, v FROM {KEYSPACE}.kv LIMIT 3000"))
        if len(many) != 3000 or any(v != BLOB for _, v in many):
            fail("a 3000-row result did not come back intact")

        print(
            f"protocol v{version}: OK  {n} point reads sync ({n / sync_s:,.0f}/s), {n} with "
            f"execute_async ({n / async_s:,.0f}/s), {2 * wide_n} wide reads of 100 rows, "
            f"large frames both ways; distinct point keys seen: {len(keys)}",
            flush=True,
        )
    finally:
        cluster.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=9043)
    parser.add_argument("--protocol", type=int, choices=[4, 5], action="append")
    parser.add_argument("-n", type=int, default=10_000, help="point reads per mode")
    args = parser.parse_args()
    for protocol in args.protocol or [ProtocolVersion.V5, ProtocolVersion.V4]:
        run(args.port, protocol, args.n)


if __name__ == "__main__":
    main()
