"""Instructions per operation of two aiocql builds, counted by valgrind: an A/B measure that
does not depend on how busy the machine is.

CPU time per operation on a shared 2-core machine varies by 20% or more between runs of the same
build, so a 3% difference cannot be seen in it. valgrind's callgrind counts the instructions the
client process executes, which repeat within about 1%. Each build runs each workload for two
operation counts against the stand-in responder (``--port``), ``--reps`` times each; the
difference of the medians divided by the difference in operations is the cost of one operation,
without start-up and connect.

``make bench-compare`` runs it after the timed runs, for ``aiocql`` (the build installed in the
bench venv) and ``aiocql-base`` (``AIOCQL_BENCH_BASE``), and writes instructions.md. It needs
the node (seeded by run.py) and starts the responder itself.

Usage: python benchmarks/instructions.py [--workloads insert,point_read,wide_read]
           [--concurrency 256] [--reps 3] [--out benchmarks/results/compare]
       python benchmarks/instructions.py --once WORKLOAD OPS CONCURRENCY PORT   (one client run)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILDS = ("aiocql", "aiocql-base")
# (few, many) operations per workload: wide reads cost about 20 times as much as the others.
OPS = {"insert": (2_000, 32_000), "point_read": (2_000, 32_000), "wide_read": (200, 2_000)}


async def _run_ops(workload: str, ops: int, concurrency: int, port: int) -> None:
    """``ops`` operations of ``workload`` with ``concurrency`` workers, through the timed
    benchmark's own aiocql client."""
    sys.path.insert(0, str(HERE / "clients"))
    import _harness as h
    import aiocql_client

    args = h.Args("aiocql", "127.0.0.1", port, workload, concurrency, 0.0, 0.0)
    op, close = await aiocql_client.connect(args)
    counter = iter(range(ops))

    async def worker() -> None:
        for i in counter:
            await op(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await close()


def count(build: str, workload: str, ops: int, concurrency: int, port: int) -> int:
    """Instructions the client process executes for ``ops`` operations."""
    env = dict(os.environ)
    if build == "aiocql-base":
        env["PYTHONPATH"] = os.environ["AIOCQL_BENCH_BASE"]
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--once",
        workload,
        str(ops),
        str(concurrency),
        str(port),
    ]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    found = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    if proc.returncode != 0 or found is None:
        raise SystemExit(f"{build} {workload} {ops}: valgrind failed:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def _compare(workload: str, concurrency: int, reps: int, port: int) -> str:
    """The instructions per operation of both builds, as a row of the report."""
    few, many = OPS[workload]
    per_op = {}
    for build in BUILDS:
        low, high = (
            statistics.median(count(build, workload, n, concurrency, port) for _ in range(reps))
            for n in (few, many)
        )
        per_op[build] = (high - low) / (many - few)
        print(f"{workload} {build}: {per_op[build]:,.0f} instructions/op", file=sys.stderr)
    ours, base = per_op["aiocql"], per_op["aiocql-base"]
    return f"| {workload} | {many} - {few} | {ours:,.0f} | {base:,.0f} | {ours / base:.3f} |"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--once", nargs=4, metavar=("WORKLOAD", "OPS", "CONCURRENCY", "PORT"))
    parser.add_argument("--workloads", default="insert,point_read,wide_read")
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "compare")
    args = parser.parse_args()
    if args.once:
        workload, ops, concurrency, port = args.once
        asyncio.run(_run_ops(workload, int(ops), int(concurrency), int(port)))
        return 0
    sys.path.insert(0, str(HERE))
    from run import RESPONDER_PORT, Responder

    lines = [
        f"# Instructions per operation (valgrind callgrind, {args.concurrency} in flight, "
        f"against the responder; medians of {args.reps} runs)",
        "",
        "| workload | operations | this | base | ratio |",
        "|---|---|---|---|---|",
    ]
    with Responder():
        for workload in args.workloads.split(","):
            lines.append(_compare(workload, args.concurrency, args.reps, RESPONDER_PORT))
    report = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "instructions.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
