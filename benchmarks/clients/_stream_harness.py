"""What every streaming benchmark client shares: arguments, the timed read and the report.

A streaming client (``benchmarks/clients/stream_<driver>.py``) reads the whole
``aiocql_bench.stream_rows`` table (1,000,000 rows of 5 columns, see benchmarks/schema.py) once,
page by page with ``--fetch-size`` rows per page, touching every value of every row, and prints
one line ``RESULT {json}``: rows per second, client CPU per row, the RSS after connecting and
the largest RSS sampled while streaming (their difference is what streaming cost in memory),
and for asyncio clients the lag of a 1 ms heartbeat while the stream runs.

A client that cannot run here calls ``unavailable(reason)`` (exit status 3).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

# The request benchmark's measurements, so both benchmarks measure alike.
from _harness import (
    KEYSPACE,
    _cpu_seconds,
    _heartbeat,
    _peak_rss_mb,
    _Recorder,
    _rss_mb,
    lag_figures,
    unavailable,
)

__all__ = ["StreamArgs", "parse_args", "run_async", "run_sync", "unavailable"]

STREAM_ROWS = 1_000_000
STREAM_COLUMNS = 5
STREAM_QUERY = f"SELECT p, c, t, b, d FROM {KEYSPACE}.stream_rows"


@dataclass(frozen=True)
class StreamArgs:
    client: str
    host: str
    port: int
    fetch_size: int


def parse_args(client: str) -> StreamArgs:
    parser = argparse.ArgumentParser(description=f"streaming benchmark client: {client}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9042)
    parser.add_argument("--fetch-size", type=int, default=5000)
    ns = parser.parse_args()
    return StreamArgs(client, ns.host, ns.port, ns.fetch_size)


RSS_SAMPLE_ROWS = 10_000  # RSS is read every this many rows (VmHWM includes connecting)


def _touch(row: Iterable[Any]) -> int:
    n = 0
    for _ in row:
        n += 1
    return n


def _report(
    args: StreamArgs,
    rows: int,
    values: int,
    elapsed: float,
    cpu: float,
    rss_after_connect: float,
    rss_while_streaming: float,
    lags_ms: list[float] | None,
    extra: dict[str, Any] | None,
) -> None:
    if rows != STREAM_ROWS or values != rows * STREAM_COLUMNS:
        unavailable(f"read {rows} rows and {values} values, expected {STREAM_ROWS} rows")
    peak = _peak_rss_mb()
    result: dict[str, Any] = {
        "client": args.client,
        "workload": "stream",
        "fetch_size": args.fetch_size,
        "rows": rows,
        "seconds": elapsed,
        "rows_per_s": rows / elapsed,
        "cpu_s": cpu,
        "cpu_us_per_row": cpu / rows * 1e6,
        "rss_after_connect_mb": rss_after_connect,
        "peak_rss_mb": peak,
        # Sampled while streaming: the high-water mark may be the peak of connecting.
        "rss_growth_mb": max(0.0, rss_while_streaming - rss_after_connect),
        **lag_figures(lags_ms),
        "python": sys.version.split()[0],
    }
    if extra:
        result.update(extra)
    print("RESULT " + json.dumps(result), flush=True)


Close = Callable[[], Awaitable[None]]
OpenStream = Callable[[], Awaitable[AsyncIterator[Any]]]


async def run_async(
    args: StreamArgs,
    connect: Callable[[StreamArgs], Awaitable[tuple[OpenStream, Close]]],
    extra: dict[str, Any] | None = None,
) -> None:
    """``connect`` returns ``(open_stream, close)``: ``await open_stream()`` starts the query and
    returns an async iterator of rows (tuple-like), consumed here while a heartbeat runs."""
    open_stream, close = await connect(args)
    rss_after_connect = _rss_mb()
    rss_max = rss_after_connect
    lags_ms: list[float] = []
    heartbeat = _Recorder()  # only its recording/stopping flags drive the shared heartbeat
    beat = asyncio.ensure_future(_heartbeat(heartbeat, lags_ms))
    await asyncio.sleep(0.01)
    heartbeat.recording = True
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    rows = values = 0
    async for row in await open_stream():
        rows += 1
        values += _touch(row)
        if rows % RSS_SAMPLE_ROWS == 0:
            rss_max = max(rss_max, _rss_mb())
    elapsed, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    heartbeat.stopping = True
    await beat
    await close()
    _report(args, rows, values, elapsed, cpu, rss_after_connect, rss_max, lags_ms, extra)


def run_sync(
    args: StreamArgs,
    connect: Callable[[StreamArgs], tuple[Callable[[], Iterator[Any]], Callable[[], None]]],
    extra: dict[str, Any] | None = None,
) -> None:
    """For blocking drivers: ``connect`` returns ``(rows, close)``; ``rows()`` iterates the
    result on this thread. There is no event loop, so no loop lag is reported."""
    rows_of, close = connect(args)
    rss_after_connect = _rss_mb()
    rss_max = rss_after_connect
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    rows = values = 0
    for row in rows_of():
        rows += 1
        values += _touch(row)
        if rows % RSS_SAMPLE_ROWS == 0:
            rss_max = max(rss_max, _rss_mb())
    elapsed, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    close()
    _report(args, rows, values, elapsed, cpu, rss_after_connect, rss_max, None, extra)
