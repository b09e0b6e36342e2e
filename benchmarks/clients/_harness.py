"""What every benchmark client shares: arguments, workloads, the timed loop and the report.

A client module (one per driver, ``benchmarks/clients/<name>.py``) only says how to connect,
prepare and run one operation; this module runs it and prints one line,
``RESULT {json}``, on stdout. The orchestrator (benchmarks/run.py) starts each client in its own
process so getrusage and peak RSS belong to that client alone.

An operation ``op(i)`` for the i-th request of the run:
    insert      INSERT INTO kv_insert (k, v) VALUES (?, ?)   k = insert_key(i), v = BLOB (100 bytes)
    point_read  SELECT k, v FROM kv WHERE k = ?               k = point_key(i); one row
    wide_read   SELECT p, c, t, i, b, d, f, u, ts, bl FROM wide WHERE p = ?   p = wide_partition(i);
                100 rows of 10 columns
All prepared, consistency ONE. A read op consumes its result by touching every value of every row
(``consume_rows``), so lazy and eager drivers pay the same conversion work.

A client that cannot run here calls ``unavailable(reason)``: it prints
``RESULT {"unavailable": reason}`` and exits with status 3.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

KEYSPACE = "aiocql_bench"
POINT_KEYS = 100_000
WIDE_PARTITIONS = 100
BLOB = bytes(range(100))

QUERIES = {
    "insert": f"INSERT INTO {KEYSPACE}.kv_insert (k, v) VALUES (?, ?)",
    "point_read": f"SELECT k, v FROM {KEYSPACE}.kv WHERE k = ?",
    "wide_read": f"SELECT p, c, t, i, b, d, f, u, ts, bl FROM {KEYSPACE}.wide WHERE p = ?",
}
WORKLOADS = tuple(QUERIES)
# Insert keys start at a random offset per process, far above the seeded point-read keys.
_INSERT_BASE = random.randrange(1 << 40, 1 << 60)


def insert_key(i: int) -> int:
    return _INSERT_BASE + i


def point_key(i: int) -> int:
    return (i * 7919) % POINT_KEYS


def wide_partition(i: int) -> int:
    return i % WIDE_PARTITIONS


def params(workload: str, i: int) -> list[Any]:
    """The bind values of the i-th operation, as plain Python values."""
    if workload == "insert":
        return [insert_key(i), BLOB]
    if workload == "point_read":
        return [point_key(i)]
    return [wide_partition(i)]


def consume_rows(rows: Iterable[Any]) -> int:
    """Touches every value of every row (tuple-like rows); returns the number of values."""
    n = 0
    for row in rows:
        for _ in row:
            n += 1
    return n


def expected_values(workload: str) -> int:
    """How many values ``consume_rows`` must see for one op of the workload (0 for inserts)."""
    return {"insert": 0, "point_read": 2, "wide_read": 1000}[workload]


@dataclass(frozen=True)
class Args:
    client: str
    host: str
    port: int
    workload: str
    concurrency: int
    duration: float
    warmup: float


def parse_args(client: str) -> Args:
    parser = argparse.ArgumentParser(description=f"benchmark client: {client}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9042)
    parser.add_argument("--workload", choices=WORKLOADS, required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    ns = parser.parse_args()
    return Args(client, ns.host, ns.port, ns.workload, ns.concurrency, ns.duration, ns.warmup)


def unavailable(reason: str) -> NoReturn:
    print("RESULT " + json.dumps({"unavailable": reason}), flush=True)
    sys.exit(3)


def _check_first_op(args: Args, seen: int) -> None:
    """One op runs before any timing: a wrong result shape is a bug, not a figure."""
    if seen != expected_values(args.workload):
        unavailable(
            f"one {args.workload} op consumed {seen} values, expected "
            f"{expected_values(args.workload)}"
        )


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    """This process's RSS high-water mark (VmHWM). Not ``ru_maxrss``: Linux carries that over
    from the process that forked and exec'd us, so every client reported the orchestrator's
    peak (about 112 MB) whenever its own was lower."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # the whole process, all threads
    return usage.ru_utime + usage.ru_stime


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))
    return sorted_values[index]


class _Recorder:
    """Latencies of the operations that completed inside the measured window."""

    def __init__(self) -> None:
        self.recording = False
        self.stopping = False
        self.latencies_ns: list[int] = []
        self.errors = 0
        self.first_error: str | None = None
        self.counter = 0

    def next_index(self) -> int:
        self.counter += 1
        return self.counter

    def error(self, exc: BaseException) -> None:
        if self.recording:
            self.errors += 1
        if self.first_error is None:
            self.first_error = f"{type(exc).__name__}: {exc}"


def lag_figures(lags_ms: list[float] | None) -> dict[str, float | None]:
    """p99 and max of the heartbeat lags (None for clients without an event loop)."""
    if not lags_ms:
        return {"loop_lag_p99_ms": None, "loop_lag_max_ms": None}
    lags = sorted(lags_ms)
    return {"loop_lag_p99_ms": _percentile(lags, 0.99), "loop_lag_max_ms": lags[-1]}


def _report(
    args: Args,
    recorder: _Recorder,
    elapsed: float,
    cpu: float,
    rss_after_connect: float,
    lags_ms: list[float] | None,
    extra: dict[str, Any] | None = None,
) -> None:
    latencies = sorted(ns / 1000 for ns in recorder.latencies_ns)
    ops = len(latencies)
    result: dict[str, Any] = {
        "client": args.client,
        "workload": args.workload,
        "concurrency": args.concurrency,
        "ops": ops,
        "seconds": elapsed,
        "ops_per_s": ops / elapsed if elapsed else 0.0,
        "p50_us": _percentile(latencies, 0.50),
        "p99_us": _percentile(latencies, 0.99),
        "cpu_s": cpu,
        "cpu_us_per_op": cpu / ops * 1e6 if ops else None,
        "rss_after_connect_mb": rss_after_connect,
        "peak_rss_mb": _peak_rss_mb(),
        "errors": recorder.errors,
        "first_error": recorder.first_error,
        **lag_figures(lags_ms),
        "python": sys.version.split()[0],
    }
    if extra:
        result.update(extra)
    print("RESULT " + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------------
# asyncio clients
# ---------------------------------------------------------------------------------------------

AsyncOp = Callable[[int], Awaitable[int]]
Close = Callable[[], Awaitable[None]]


async def _heartbeat(recorder: _Recorder, lags_ms: list[float]) -> None:
    """A 1 ms timer; how late it wakes is the event-loop lag the application would see."""
    sleep = asyncio.sleep
    clock = time.perf_counter
    while not recorder.stopping:
        start = clock()
        await sleep(0.001)
        if recorder.recording:
            lags_ms.append(max(0.0, (clock() - start - 0.001) * 1000))


async def run_async(
    args: Args,
    connect: Callable[[Args], Awaitable[tuple[AsyncOp, Close]]],
    extra: dict[str, Any] | None = None,
) -> None:
    """Connects, runs ``args.concurrency`` workers for warm-up plus duration, prints the result.

    ``connect`` returns ``(op, close)``: ``op(i)`` runs the i-th operation of the workload and
    returns how many values it consumed; ``close()`` shuts the driver down.
    """
    op, close = await connect(args)
    _check_first_op(args, await op(0))
    rss_after_connect = _rss_mb()
    recorder = _Recorder()
    lags_ms: list[float] = []
    clock = time.perf_counter_ns

    async def worker() -> None:
        while not recorder.stopping:
            i = recorder.next_index()
            start = clock()
            try:
                await op(i)
            except Exception as exc:  # counted and reported; the run goes on
                recorder.error(exc)
                continue
            if recorder.recording:
                recorder.latencies_ns.append(clock() - start)

    heartbeat = asyncio.ensure_future(_heartbeat(recorder, lags_ms))
    workers = [asyncio.ensure_future(worker()) for _ in range(args.concurrency)]
    await asyncio.sleep(args.warmup)
    recorder.recording = True
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    await asyncio.sleep(args.duration)
    recorder.recording = False
    cpu, elapsed = _cpu_seconds() - cpu0, time.perf_counter() - t0
    recorder.stopping = True
    await asyncio.gather(*workers, heartbeat)
    await close()
    _report(args, recorder, elapsed, cpu, rss_after_connect, lags_ms, extra)


# ---------------------------------------------------------------------------------------------
# thread-pool clients (a synchronous driver)
# ---------------------------------------------------------------------------------------------

SyncOp = Callable[[int], int]
SyncClose = Callable[[], None]


def run_threads(
    args: Args,
    connect: Callable[[Args], tuple[SyncOp, SyncClose]],
    extra: dict[str, Any] | None = None,
) -> None:
    """Like ``run_async``, with ``args.concurrency`` OS threads each calling ``op`` in a loop."""
    op, close = connect(args)
    _check_first_op(args, op(0))
    rss_after_connect = _rss_mb()
    recorder = _Recorder()
    lock = threading.Lock()
    clock = time.perf_counter_ns

    def worker() -> None:
        while not recorder.stopping:
            with lock:
                i = recorder.next_index()
            start = clock()
            try:
                op(i)
            except Exception as exc:
                with lock:
                    recorder.error(exc)
                continue
            if recorder.recording:
                recorder.latencies_ns.append(clock() - start)  # list.append is atomic

    threading.stack_size(256 * 1024)  # 1024 threads with the default 8 MiB stacks is wasteful
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(args.warmup)
    recorder.recording = True
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    time.sleep(args.duration)
    recorder.recording = False
    cpu, elapsed = _cpu_seconds() - cpu0, time.perf_counter() - t0
    recorder.stopping = True
    for thread in threads:
        thread.join()
    close()
    _report(args, recorder, elapsed, cpu, rss_after_connect, None, extra)
