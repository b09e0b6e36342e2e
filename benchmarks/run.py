"""Runs every benchmark client side by side against one node and writes benchmarks/results/.

Each point (server mode, workload, concurrency, client) runs in a fresh subprocess, several
repetitions, the whole plan shuffled anew for each repetition so that drift on a shared machine
spreads over all clients. Reported: the median with min and max over the repetitions.

Server modes:
    node       the real Cassandra node on 127.0.0.1:9042 (client and server share the cores)
    responder  benchmarks/responder, a proxy that answers EXECUTEs instantly from a recording of
               the node's real answer: the client is the bottleneck, so ratios measure the drivers

A/B runs (``make bench-compare BASE=<git rev>``): the client ``aiocql-base`` is the same harness
run against another build of aiocql, installed with ``pip --target`` in the directory named by
``AIOCQL_BENCH_BASE``, so two builds are measured side by side in one run.

Usage (``make bench`` builds everything, starts the node and runs this):
    python benchmarks/run.py [--reps 3] [--duration 3] [--warmup 1.5] [--clients a,b]
                             [--workloads insert,point_read] [--concurrency 1,32,256,1024]
                             [--modes node,responder] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CLIENT_DIR = HERE / "clients"
CACHE = Path(os.environ.get("AIOCQL_CACHE", Path.home() / ".cache" / "aiocql"))
BENCH_TARGET = Path(os.environ.get("AIOCQL_BENCH_TARGET", CACHE / "bench-target"))
RUST_CLIENT = BENCH_TARGET / "release" / "rust-scylla-bench"
RESPONDER = BENCH_TARGET / "release" / "cql-responder"
# Another aiocql build, for A/B runs: the client "aiocql-base" imports it from here.
BASE_BUILD = os.environ.get("AIOCQL_BENCH_BASE")
NODE_PORT = 9042
RESPONDER_PORT = 9043

# name -> module in benchmarks/clients (None: the Rust binary)
CLIENTS: dict[str, str | None] = {
    "aiocql": "aiocql_client.py",
    "aiocql-base": "aiocql_client.py",
    "cassandra-driver-sync": "cassandra_driver_sync.py",
    "cassandra-driver-async": "cassandra_driver_async.py",
    "async-cassandra": "async_cassandra_client.py",
    "acsylla": "acsylla_client.py",
    "scyllapy": "scyllapy_client.py",
    "scylladb-rs-driver": "scylladb_rs_client.py",
    "rust-scylla": None,
}
ASYNC_PYTHON_CLIENTS = [
    "aiocql",
    "aiocql-base",
    "async-cassandra",
    "acsylla",
    "scyllapy",
    "scylladb-rs-driver",
    "cassandra-driver-async",
]
WORKLOADS = ["insert", "point_read", "wide_read"]
CONCURRENCY = [1, 32, 256, 1024]
MODES = ["node", "responder"]
METRICS = [
    "ops_per_s",
    "p50_us",
    "p99_us",
    "cpu_us_per_op",
    "peak_rss_mb",
    "loop_lag_p99_ms",
    "loop_lag_max_ms",
    "rss_growth_mb",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def client_command(
    client: str, port: int, workload: str, concurrency: int, duration: float, warmup: float
) -> list[str]:
    args = [
        "--port",
        str(port),
        "--workload",
        workload,
        "--concurrency",
        str(concurrency),
        "--duration",
        str(duration),
        "--warmup",
        str(warmup),
    ]
    module = CLIENTS[client]
    if module is None:
        return [str(RUST_CLIENT), *args]
    return [sys.executable, str(CLIENT_DIR / module), *args]


def run_point(
    client: str, port: int, workload: str, concurrency: int, duration: float, warmup: float
) -> dict[str, Any]:
    """One client process; its RESULT line, or a record of why there is none."""
    command = client_command(client, port, workload, concurrency, duration, warmup)
    env = dict(os.environ)
    if client == "aiocql-base":
        if not BASE_BUILD:
            return {"unavailable": "no base build: set AIOCQL_BENCH_BASE (make bench-compare)"}
        env["PYTHONPATH"] = BASE_BUILD
    try:
        proc = subprocess.run(
            command,
            cwd=CLIENT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=warmup + duration + 120,
        )
    except subprocess.TimeoutExpired:
        return {"failed": "timed out"}
    except OSError as exc:
        return {"unavailable": f"cannot start: {exc}"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            if "ops" in result and result.get("rss_after_connect_mb") is not None:
                result["rss_growth_mb"] = result["peak_rss_mb"] - result["rss_after_connect_mb"]
            return result
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"failed": f"exit {proc.returncode}: " + " | ".join(tail)}


class Responder:
    """The forging proxy on RESPONDER_PORT, for the client-bound mode."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Responder:
        self.proc = subprocess.Popen(
            [
                str(RESPONDER),
                "--listen",
                f"127.0.0.1:{RESPONDER_PORT}",
                "--upstream",
                f"127.0.0.1:{NODE_PORT}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "listening" not in line:
            raise SystemExit(f"cql-responder did not start: {line!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def aggregate(
    runs: list[dict[str, Any]], metrics: list[str] = METRICS, done_key: str = "ops"
) -> dict[str, Any]:
    """Median, min and max of each metric over the successful repetitions of one point (a run
    succeeded if it has ``done_key``). Also used by stream.py."""
    ok = [r for r in runs if done_key in r]
    summary: dict[str, Any] = {"runs": len(runs), "ok": len(ok)}
    if not ok:
        reasons = {r.get("unavailable") or r.get("failed") for r in runs}
        summary["unavailable"] = "; ".join(sorted(str(x) for x in reasons))
        return summary
    if "errors" in ok[0]:
        summary["errors"] = sum(r["errors"] for r in ok)
    first_errors = [r["first_error"] for r in ok if r.get("first_error")]
    if first_errors:
        summary["first_error"] = first_errors[0]
    for metric in metrics:
        values = [r[metric] for r in ok if r.get(metric) is not None]
        if values:
            summary[metric] = {
                "median": statistics.median(values),
                "min": min(values),
                "max": max(values),
            }
    for key in ("version", "protocol"):
        if key in ok[0]:
            summary[key] = ok[0][key]
    return summary


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_results(
    args: argparse.Namespace,
    raw: dict[tuple[str, str, int, str], list[dict[str, Any]]],
    reps_done: int,
) -> None:
    """Writes results.json, results.md and the charts from the runs so far."""
    results = {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "reps": reps_done,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "consistency": "ONE",
            "protocol": 4,
            "inflight": args.inflight,
        },
        "points": [
            {
                "mode": m,
                "workload": w,
                "concurrency": c,
                "client": client,
                "summary": aggregate(runs),
                "raw": runs,
            }
            for (m, w, c, client), runs in sorted(
                raw.items(),
                key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], list(CLIENTS).index(kv[0][3])),
            )
        ],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    from report import write_report

    write_report(results, args.out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--clients", default=",".join(c for c in CLIENTS if c != "aiocql-base"))
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--concurrency", default=",".join(map(str, CONCURRENCY)))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument(
        "--inflight",
        type=int,
        default=10_000,
        help="also run point_read at this concurrency (node mode) for memory; 0 to skip",
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()

    clients = [c for c in args.clients.split(",") if c]
    unknown = set(clients) - set(CLIENTS)
    if unknown:
        raise SystemExit(f"unknown clients: {sorted(unknown)}; known: {list(CLIENTS)}")
    workloads = args.workloads.split(",")
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    modes = args.modes.split(",")
    rng = random.Random(args.seed)

    sys.path.insert(0, str(HERE))
    from schema import create_and_seed

    log("creating and seeding the benchmark keyspace (once per node)")
    asyncio.run(create_and_seed("127.0.0.1", NODE_PORT))

    points = [
        (m, w, c, client)
        for m in modes
        for w in workloads
        for c in concurrencies
        for client in clients
    ]
    extra_points = []
    if args.inflight:
        extra_points = [
            ("node", "point_read", args.inflight, client)
            for client in clients
            if client in ASYNC_PYTHON_CLIENTS or client == "rust-scylla"
        ]
    raw: dict[tuple[str, str, int, str], list[dict[str, Any]]] = {}
    started = time.monotonic()
    total = (len(points) + len(extra_points)) * args.reps
    done = 0
    with Responder() if "responder" in modes else contextlib.nullcontext():
        for rep in range(args.reps):
            plan = points + extra_points
            rng.shuffle(plan)
            for point in plan:
                mode, workload, concurrency, client = point
                port = RESPONDER_PORT if mode == "responder" else NODE_PORT
                result = run_point(client, port, workload, concurrency, args.duration, args.warmup)
                raw.setdefault(point, []).append(result)
                done += 1
                eta = (time.monotonic() - started) / done * (total - done)
                summary = (
                    f"{result['ops_per_s']:,.0f} ops/s, "
                    f"{result['cpu_us_per_op'] or 0:.1f} us CPU/op, "
                    f"{result['errors']} errors"
                    if "ops" in result
                    else result.get("unavailable") or result.get("failed")
                )
                log(
                    f"rep {rep + 1}/{args.reps} [{done}/{total}, ~{eta / 60:.0f} min left] "
                    f"{mode} {workload} c={concurrency} {client}: {summary}"
                )
            # Written after every repetition, so an interrupted run still leaves figures.
            write_results(args, raw, rep + 1)

    log(
        f"wrote {args.out}/results.json, results.md and charts in "
        f"{(time.monotonic() - started) / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
