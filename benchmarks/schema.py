"""The benchmark keyspace: created once, seeded once, shared by every client.

Tables:
    kv_insert(k bigint PRIMARY KEY, v blob)   the insert workload writes here
    kv(k bigint PRIMARY KEY, v blob)          100 000 rows for the point-read workload
    wide(p int, c int, t text, i int, b bigint, d double, f boolean, u uuid, ts timestamp,
         bl blob, PRIMARY KEY (p, c))         100 partitions x 100 rows of 10 mixed columns
    stream_rows(p int, c int, t text, b bigint, d double, PRIMARY KEY (p, c))
                                              1 000 000 rows (100 x 10 000) for streaming

Run with the aiocql in the current interpreter: ``python benchmarks/schema.py [--port 9042]``.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from aiocql import AsyncCluster, AsyncSession

KEYSPACE = "aiocql_bench"
POINT_KEYS = 100_000
WIDE_PARTITIONS = 100
WIDE_ROWS = 100
BLOB = bytes(range(100))
SEED_MARKER = "seeded-v1"
STREAM_PARTITIONS = 100
STREAM_PARTITION_ROWS = 10_000
STREAM_SEED_MARKER = "stream-seeded-v1"

SCHEMA = [
    f"CREATE KEYSPACE IF NOT EXISTS {KEYSPACE} WITH replication = "
    "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    f"CREATE TABLE IF NOT EXISTS {KEYSPACE}.kv_insert (k bigint PRIMARY KEY, v blob)",
    f"CREATE TABLE IF NOT EXISTS {KEYSPACE}.kv (k bigint PRIMARY KEY, v blob)",
    f"CREATE TABLE IF NOT EXISTS {KEYSPACE}.wide (p int, c int, t text, i int, b bigint, "
    "d double, f boolean, u uuid, ts timestamp, bl blob, PRIMARY KEY (p, c))",
    f"CREATE TABLE IF NOT EXISTS {KEYSPACE}.stream_rows (p int, c int, t text, b bigint, "
    "d double, PRIMARY KEY (p, c))",
    f"CREATE TABLE IF NOT EXISTS {KEYSPACE}.meta (name text PRIMARY KEY)",
]


async def _run_bounded(coros: list, limit: int = 256) -> None:  # type: ignore[type-arg]
    semaphore = asyncio.Semaphore(limit)

    async def one(coro) -> None:  # type: ignore[no-untyped-def]
        async with semaphore:
            await coro

    await asyncio.gather(*(one(c) for c in coros))


async def create_and_seed(host: str, port: int) -> None:
    """Creates the keyspace and tables, and seeds them unless a previous run already did."""
    async with AsyncCluster([host], port=port, connect_timeout=60) as cluster:
        session = await cluster.connect()
        for statement in SCHEMA:
            await session.execute(statement, timeout=120)
        await _seed_stream_rows(session)
        done = await session.execute(
            f"SELECT name FROM {KEYSPACE}.meta WHERE name = %s", [SEED_MARKER]
        )
        if done.one() is not None:
            return
        insert_kv = await session.prepare(f"INSERT INTO {KEYSPACE}.kv (k, v) VALUES (?, ?)")
        await _run_bounded([session.execute(insert_kv, (k, BLOB)) for k in range(POINT_KEYS)])
        insert_wide = await session.prepare(
            f"INSERT INTO {KEYSPACE}.wide (p, c, t, i, b, d, f, u, ts, bl) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        epoch = datetime(2026, 1, 1, tzinfo=timezone.utc)
        await _run_bounded(
            [
                session.execute(
                    insert_wide,
                    (
                        p,
                        c,
                        f"row {p}/{c} with some text",
                        p * 1000 + c,
                        (p << 32) + c,
                        p + c / 100,
                        c % 2 == 0,
                        uuid.UUID(int=(p << 64) + c),
                        epoch + timedelta(seconds=p * 1000 + c),
                        BLOB[: 16 + c % 16],
                    ),
                )
                for p in range(WIDE_PARTITIONS)
                for c in range(WIDE_ROWS)
            ]
        )
        await session.execute(f"INSERT INTO {KEYSPACE}.meta (name) VALUES (%s)", [SEED_MARKER])


async def _seed_stream_rows(session: AsyncSession) -> None:
    """The streaming workload's million rows, written once per node."""
    done = await session.execute(
        f"SELECT name FROM {KEYSPACE}.meta WHERE name = %s", [STREAM_SEED_MARKER]
    )
    if done.one() is not None:
        return
    insert = await session.prepare(
        f"INSERT INTO {KEYSPACE}.stream_rows (p, c, t, b, d) VALUES (?, ?, ?, ?, ?)"
    )
    rows = (
        (p, c, f"stream row {p}/{c}", (p << 32) + c, p + c / 10_000)
        for p in range(STREAM_PARTITIONS)
        for c in range(STREAM_PARTITION_ROWS)
    )
    await session.execute_concurrent(insert, rows, concurrency=256, timeout=120)
    await session.execute(f"INSERT INTO {KEYSPACE}.meta (name) VALUES (%s)", [STREAM_SEED_MARKER])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9042)
    args = parser.parse_args()
    asyncio.run(create_and_seed(args.host, args.port))


if __name__ == "__main__":
    main()
