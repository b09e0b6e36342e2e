"""The streaming benchmark: each client reads 1,000,000 rows of 5 columns, page by page.

Every client runs in its own process against the local node (benchmarks/schema.py seeds
``aiocql_bench.stream_rows``), several repetitions in shuffled order; reported are the median,
min and max of rows per second, client CPU per row, RSS growth while streaming, and, for asyncio
clients, the lag of a 1 ms heartbeat while the stream runs.

Usage (``make bench`` runs it after the request benchmarks; ``make bench-stream`` alone):
    python benchmarks/stream.py [--reps 3] [--fetch-size 5000] [--clients a,b]
                                [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CLIENT_DIR = HERE / "clients"

# name -> module in benchmarks/clients
CLIENTS = {
    "aiocql": "stream_aiocql.py",
    "cassandra-driver-sync": "stream_cassandra_driver_sync.py",
    "cassandra-driver-async": "stream_cassandra_driver_async.py",
    "async-cassandra": "stream_async_cassandra.py",
    "acsylla": "stream_acsylla.py",
    "scyllapy": "stream_scyllapy.py",
    "scylladb-rs-driver": "stream_scylladb_rs.py",
}
METRICS = [
    "rows_per_s",
    "cpu_us_per_row",
    "rss_growth_mb",
    "peak_rss_mb",
    "loop_lag_p99_ms",
    "loop_lag_max_ms",
]
# Issue targets for aiocql, checked in the report.
TARGET_RSS_GROWTH_MB = 50.0
TARGET_LAG_P99_MS = 5.0


def log(message: str) -> None:
    print(f"[stream {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_client(client: str, fetch_size: int) -> dict[str, Any]:
    """One client process; its RESULT line, or why there is none."""
    command = [sys.executable, str(CLIENT_DIR / CLIENTS[client]), "--fetch-size", str(fetch_size)]
    try:
        proc = subprocess.run(command, cwd=CLIENT_DIR, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return {"failed": "timed out after 900 s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"failed": f"exit {proc.returncode}: " + " | ".join(tail)}


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, min and max of each metric over the successful repetitions of one client."""
    from run import aggregate as aggregate_runs

    return aggregate_runs(runs, METRICS, done_key="rows")


def _cell(summary: dict[str, Any], metric: str, fmt: str) -> str:
    stats = summary.get(metric)
    if not stats:
        return ""
    median, low, high = (format(stats[k], fmt) for k in ("median", "min", "max"))
    return f"{median} ({low} to {high})"


def markdown(results: dict[str, Any]) -> str:
    summaries = {p["client"]: p["summary"] for p in results["points"]}
    settings = results["settings"]
    lines = [
        "# Streaming benchmark",
        "",
        f"Generated {results['generated']}; {settings['reps']} repetitions; "
        f"{settings['rows']:,} rows of 5 columns (int, int, text, bigint, double), "
        f"fetch_size {settings['fetch_size']}, consistency ONE, against the local node. "
        "Median (min to max).",
        "",
        "| client | rows/s | CPU us/row | RSS growth MB | loop lag p99 ms | loop lag max ms |",
        "|---|---|---|---|---|---|",
    ]
    for client in CLIENTS:
        s = summaries.get(client)
        if s is None:
            continue
        if "unavailable" in s:
            lines.append(f"| {client} | unavailable: {s['unavailable']} | | | | |")
            continue
        lines.append(
            f"| {client} | {_cell(s, 'rows_per_s', ',.0f')} | {_cell(s, 'cpu_us_per_row', '.2f')}"
            f" | {_cell(s, 'rss_growth_mb', '.1f')} | {_cell(s, 'loop_lag_p99_ms', '.2f')}"
            f" | {_cell(s, 'loop_lag_max_ms', '.1f')} |"
        )
    ours = summaries.get("aiocql", {})
    if "rows_per_s" in ours:
        lines += ["", "## aiocql against each peer (medians)", ""]
        lines += ["| peer | aiocql rows/s ratio | aiocql CPU/row ratio |", "|---|---|---|"]
        for client, s in summaries.items():
            if client == "aiocql" or "rows_per_s" not in s:
                continue
            speed = ours["rows_per_s"]["median"] / s["rows_per_s"]["median"]
            cpu = ours["cpu_us_per_row"]["median"] / s["cpu_us_per_row"]["median"]
            lines.append(f"| {client} | {speed:.2f}x | {cpu:.2f}x |")
        growth = ours.get("rss_growth_mb", {}).get("median")
        lag = ours.get("loop_lag_p99_ms", {}).get("median")
        peers = [
            s["rows_per_s"]["median"]
            for c, s in summaries.items()
            if c != "aiocql" and "rows_per_s" in s
        ]
        faster = bool(peers) and ours["rows_per_s"]["median"] > max(peers)
        lines += [
            "",
            "## Targets (aiocql)",
            "",
            "| target | measured | met |",
            "|---|---|---|",
            f"| RSS growth < {TARGET_RSS_GROWTH_MB:.0f} MB | {growth:.1f} MB | "
            f"{'yes' if growth is not None and growth < TARGET_RSS_GROWTH_MB else 'no'} |",
            f"| loop lag p99 < {TARGET_LAG_P99_MS:.0f} ms | {lag:.2f} ms | "
            f"{'yes' if lag is not None and lag < TARGET_LAG_P99_MS else 'no'} |",
            f"| rows/s above every peer | {ours['rows_per_s']['median']:,.0f} against "
            f"{max(peers) if peers else 0:,.0f} | {'yes' if faster else 'no'} |",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--fetch-size", type=int, default=5000)
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    clients = [c for c in args.clients.split(",") if c]
    unknown = set(clients) - set(CLIENTS)
    if unknown:
        raise SystemExit(f"unknown clients: {sorted(unknown)}; known: {list(CLIENTS)}")

    sys.path.insert(0, str(HERE))
    from schema import create_and_seed

    log("creating and seeding the benchmark keyspace (once per node)")
    asyncio.run(create_and_seed("127.0.0.1", 9042))
    rng = random.Random(args.seed)
    raw: dict[str, list[dict[str, Any]]] = {}
    for rep in range(args.reps):
        plan = list(clients)
        rng.shuffle(plan)
        for client in plan:
            result = run_client(client, args.fetch_size)
            raw.setdefault(client, []).append(result)
            summary = (
                f"{result['rows_per_s']:,.0f} rows/s, {result['cpu_us_per_row']:.2f} us CPU/row, "
                f"RSS +{result['rss_growth_mb']:.1f} MB, lag p99 {result['loop_lag_p99_ms']} ms"
                if "rows" in result
                else result.get("unavailable") or result.get("failed")
            )
            log(f"rep {rep + 1}/{args.reps} {client}: {summary}")
        results = {
            "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "settings": {"reps": rep + 1, "fetch_size": args.fetch_size, "rows": 1_000_000},
            "points": [
                {"client": c, "summary": aggregate(runs), "raw": runs}
                for c, runs in sorted(raw.items(), key=lambda kv: list(CLIENTS).index(kv[0]))
            ],
        }
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "streaming.json").write_text(json.dumps(results, indent=1) + "\n")
        (args.out / "streaming.md").write_text(markdown(results))
    log(f"wrote {args.out}/streaming.json and streaming.md")


if __name__ == "__main__":
    main()
