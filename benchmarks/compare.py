"""Compares two aiocql builds measured side by side in one run (``make bench-compare``).

Reads a results.json written by run.py with the clients ``aiocql`` (this tree) and
``aiocql-base`` (the build of another git revision) and writes compare.md beside it: for each
point, both medians and the ratio this/base of client CPU per operation and of throughput. The
ratio is also given as the median of the per-repetition ratios: each repetition runs both builds
in the same shuffled pass, so pairing them cancels part of the drift of a shared machine.

Usage: python benchmarks/compare.py benchmarks/results/compare/results.json
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

METRICS = [("cpu_us_per_op", "client CPU µs/op"), ("ops_per_s", "ops/s")]


def _paired(ours: list[dict[str, Any]], base: list[dict[str, Any]], metric: str) -> float | None:
    ratios = [
        a[metric] / b[metric]
        for a, b in zip(ours, base, strict=False)
        if a.get(metric) and b.get(metric)
    ]
    return statistics.median(ratios) if ratios else None


def compare(results: dict[str, Any]) -> str:
    points: dict[tuple[str, str, int], dict[str, dict[str, Any]]] = {}
    for point in results["points"]:
        key = (point["mode"], point["workload"], point["concurrency"])
        points.setdefault(key, {})[point["client"]] = point
    lines = [
        f"# aiocql against the base build ({results['settings']['reps']} repetitions, "
        f"{results['settings']['duration_s']} s each, generated {results['generated']})",
        "",
        "| mode | workload | in flight | metric | this | base | ratio of medians "
        "| median of paired ratios |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (mode, workload, concurrency), clients in sorted(points.items()):
        if "aiocql" not in clients or "aiocql-base" not in clients:
            continue
        ours, base = clients["aiocql"], clients["aiocql-base"]
        for metric, label in METRICS:
            a = ours["summary"].get(metric, {}).get("median")
            b = base["summary"].get(metric, {}).get("median")
            if a is None or b is None:
                continue
            paired = _paired(ours["raw"], base["raw"], metric)
            shown = "-" if paired is None else f"{paired:.3f}"
            lines.append(
                f"| {mode} | {workload} | {concurrency} | {label} | {a:,.1f} | {b:,.1f} "
                f"| {a / b:.3f} | {shown} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    path = Path(argv[1])
    report = compare(json.loads(path.read_text()))
    (path.parent / "compare.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
