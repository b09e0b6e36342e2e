"""Turns benchmarks/results/results.json into results.md and PNG charts.

Run on its own to redraw from an existing results.json:
    python benchmarks/report.py [benchmarks/results]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PYTHON_PEERS = [
    "cassandra-driver-sync",
    "cassandra-driver-async",
    "async-cassandra",
    "acsylla",
    "scyllapy",
    "scylladb-rs-driver",
]
CASSANDRA_DRIVER_MODES = ["cassandra-driver-sync", "cassandra-driver-async"]
MODE_TITLES = {
    "node": "real node (client and Cassandra share 2 cores)",
    "responder": "stand-in responder (answers instantly: client-bound)",
}


def _median(summary: dict[str, Any], metric: str) -> float | None:
    value = summary.get(metric)
    return None if value is None else float(value["median"])


def _index(results: dict[str, Any]) -> dict[tuple[str, str, int, str], dict[str, Any]]:
    return {
        (p["mode"], p["workload"], p["concurrency"], p["client"]): p["summary"]
        for p in results["points"]
    }


def _axes(results: dict[str, Any]) -> tuple[list[str], list[str], list[int], list[str]]:
    modes, workloads, concurrencies, clients = [], [], [], []
    for p in results["points"]:
        for values, key in ((modes, "mode"), (workloads, "workload"), (clients, "client")):
            if p[key] not in values:
                values.append(p[key])
    inflight = _inflight_level(results)
    concurrencies = sorted({p["concurrency"] for p in results["points"]} - {inflight})
    return modes, workloads, concurrencies, clients


def _inflight_level(results: dict[str, Any]) -> int | None:
    level = results["settings"].get("inflight")
    return int(level) if level else None


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _cell(summary: dict[str, Any], metric: str, scale: float = 1.0, digits: int = 0) -> str:
    value = summary.get(metric)
    if value is None:
        return "-"
    return _fmt(value["median"] * scale, digits)


def _best(
    index: dict[tuple[str, str, int, str], dict[str, Any]],
    mode: str,
    workload: str,
    concurrencies: list[int],
    client: str,
    metric: str,
    lowest: bool,
) -> float | None:
    """A client's best median of a metric over the concurrency levels."""
    values = [_median(index.get((mode, workload, c, client), {}), metric) for c in concurrencies]
    present = [v for v in values if v is not None]
    if not present:
        return None
    return min(present) if lowest else max(present)


def _targets(results: dict[str, Any]) -> list[str]:
    index = _index(results)
    modes, workloads, concurrencies, clients = _axes(results)
    lines = [
        "| target | mode | workload | aiocql | reference | ratio | met |",
        "|---|---|---|---|---|---|---|",
    ]

    def row(
        target: str,
        mode: str,
        workload: str,
        ours: float | None,
        ref: float | None,
        ref_name: str,
        limit: float,
        lower_is_better: bool,
    ) -> None:
        if ours is None or ref is None or ref == 0:
            lines.append(
                f"| {target} | {mode} | {workload} | {_fmt(ours, 1)} | "
                f"{ref_name}: {_fmt(ref, 1)} | - | no data |"
            )
            return
        ratio = ours / ref
        met = ratio <= limit if lower_is_better else ratio > limit
        lines.append(
            f"| {target} | {mode} | {workload} | {_fmt(ours, 1)} | {ref_name}: "
            f"{_fmt(ref, 1)} | {ratio:.2f} | {'yes' if met else '**no**'} |"
        )

    for mode in modes:
        for workload in workloads:
            ours = _best(index, mode, workload, concurrencies, "aiocql", "cpu_us_per_op", True)
            peers = {
                c: _best(index, mode, workload, concurrencies, c, "cpu_us_per_op", True)
                for c in PYTHON_PEERS
                if c in clients
            }
            present = {c: v for c, v in peers.items() if v is not None}
            if present:
                best_peer = min(present, key=lambda c: present[c])
                row(
                    "CPU/op ≤ 0.5 x best other Python client",
                    mode,
                    workload,
                    ours,
                    present[best_peer],
                    best_peer,
                    0.5,
                    True,
                )
            cd = {c: v for c, v in present.items() if c in CASSANDRA_DRIVER_MODES}
            if cd:
                best_cd = min(cd, key=lambda c: cd[c])
                row(
                    "CPU/op ≤ 0.25 x cassandra-driver's best mode",
                    mode,
                    workload,
                    ours,
                    cd[best_cd],
                    best_cd,
                    0.25,
                    True,
                )
            rust = _best(index, mode, workload, concurrencies, "rust-scylla", "cpu_us_per_op", True)
            row("CPU/op ≤ 2 x pure Rust", mode, workload, ours, rust, "rust-scylla", 2.0, True)
            for c in (256, 1024):
                if c not in concurrencies:
                    continue
                ours_tp = _median(index.get((mode, workload, c, "aiocql"), {}), "ops_per_s")
                others = {
                    p: _median(index.get((mode, workload, c, p), {}), "ops_per_s")
                    for p in PYTHON_PEERS
                    if p in clients
                }
                others_present = {p: v for p, v in others.items() if v is not None}
                if others_present:
                    best = max(others_present, key=lambda p: others_present[p])
                    row(
                        f"ops/s at {c} > every other Python client",
                        mode,
                        workload,
                        ours_tp,
                        others_present[best],
                        best,
                        1.0,
                        False,
                    )
    for mode in modes:
        if 1024 in concurrencies:
            for workload in workloads:
                lag = _median(index.get((mode, workload, 1024, "aiocql"), {}), "loop_lag_p99_ms")
                met = lag is not None and lag < 2.0
                lines.append(
                    f"| loop lag p99 < 2 ms at 1024 | {mode} | {workload} | "
                    f"{_fmt(lag, 2)} ms | 2 ms | - | {'yes' if met else '**no**'} |"
                )
    inflight = _inflight_level(results)
    if inflight is not None:
        growth = _median(index.get(("node", "point_read", inflight, "aiocql"), {}), "rss_growth_mb")
        met = growth is not None and growth < 100
        lines.append(
            f"| RSS growth < 100 MB at {inflight:,} in flight | node | point_read | "
            f"{_fmt(growth, 1)} MB | 100 MB | - | {'yes' if met else '**no**'} |"
        )
    return lines


def markdown(results: dict[str, Any]) -> str:
    index = _index(results)
    modes, workloads, concurrencies, clients = _axes(results)
    machine = results["machine"]
    settings = results["settings"]
    out = [
        "# Benchmark results",
        "",
        f"Generated {results['generated']} on {machine['cpu']} ({machine['cores']} cores), "
        f"Python {machine['python']}. Each figure is the median of {settings['reps']} runs "
        f"({settings['warmup_s']} s warm-up, {settings['duration_s']} s measured each), the "
        "runs in shuffled order; min-max in results.json. Prepared statements, consistency "
        "ONE, protocol v4 (async-cassandra: v5, the only version it accepts).",
        "",
        "## Targets",
        "",
        *_targets(results),
        "",
    ]
    for mode in modes:
        for workload in workloads:
            out += [
                f"## {workload}, {MODE_TITLES.get(mode, mode)}",
                "",
                "| client | in flight | ops/s (min-max) | p50 ms | p99 ms | CPU µs/op | "
                "peak RSS MB | loop lag p99 / max ms |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for c in concurrencies:
                for client in clients:
                    s = index.get((mode, workload, c, client))
                    if s is None:
                        continue
                    if "unavailable" in s:
                        out.append(f"| {client} | {c} | not run: {s['unavailable']} |||||| ")
                        continue
                    ops = s["ops_per_s"]
                    lag = (
                        f"{_cell(s, 'loop_lag_p99_ms', digits=1)} / "
                        f"{_cell(s, 'loop_lag_max_ms', digits=1)}"
                        if s.get("loop_lag_p99_ms")
                        else "-"
                    )
                    errors = f" ({s['errors']} errors)" if s.get("errors") else ""
                    out.append(
                        f"| {client} | {c} | {_fmt(ops['median'])} ({_fmt(ops['min'])}-"
                        f"{_fmt(ops['max'])}){errors} | {_cell(s, 'p50_us', 1e-3, 2)} | "
                        f"{_cell(s, 'p99_us', 1e-3, 2)} | {_cell(s, 'cpu_us_per_op', digits=1)}"
                        f" | {_cell(s, 'peak_rss_mb')} | {lag} |"
                    )
            out.append("")
    inflight = _inflight_level(results)
    if inflight is not None:
        out += [
            f"## {inflight:,} point reads in flight (real node): memory",
            "",
            "| client | ops/s | RSS after connect MB | peak RSS MB | growth MB |",
            "|---|---|---|---|---|",
        ]
        for client in clients:
            s = index.get(("node", "point_read", inflight, client))
            if s is None:
                continue
            if "unavailable" in s:
                out.append(f"| {client} | not run: {s['unavailable']} |||| ")
                continue
            rss0 = (_median(s, "peak_rss_mb") or 0) - (_median(s, "rss_growth_mb") or 0)
            out.append(
                f"| {client} | {_cell(s, 'ops_per_s')} | {_fmt(rss0)} | "
                f"{_cell(s, 'peak_rss_mb')} | {_cell(s, 'rss_growth_mb', digits=1)} |"
            )
        out.append("")
    out += ["## Charts", ""]
    for mode in modes:
        for chart in ("throughput", "latency_p99", "cpu_per_op"):
            out.append(f"![{chart} {mode}]({chart}_{mode}.png)")
    out.append("")
    return "\n".join(out)


def charts(results: dict[str, Any], out_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    index = _index(results)
    modes, workloads, concurrencies, clients = _axes(results)
    specs = [
        ("throughput", "ops_per_s", "operations / s", 1.0),
        ("latency_p99", "p99_us", "p99 latency (ms)", 1e-3),
        ("cpu_per_op", "cpu_us_per_op", "client CPU µs / op", 1.0),
    ]
    for mode in modes:
        for name, metric, label, scale in specs:
            fig, axes = plt.subplots(
                1, len(workloads), figsize=(5 * len(workloads), 4.2), squeeze=False
            )
            for ax, workload in zip(axes[0], workloads, strict=True):
                for client in clients:
                    xs, ys, lo, hi = [], [], [], []
                    for c in concurrencies:
                        s = index.get((mode, workload, c, client), {})
                        value = s.get(metric)
                        if value is None:
                            continue
                        xs.append(c)
                        ys.append(value["median"] * scale)
                        lo.append((value["median"] - value["min"]) * scale)
                        hi.append((value["max"] - value["median"]) * scale)
                    if xs:
                        style = (
                            "-o"
                            if client == "aiocql"
                            else ("--" if client == "rust-scylla" else "-")
                        )
                        ax.errorbar(
                            xs,
                            ys,
                            yerr=[lo, hi],
                            fmt=style,
                            label=client,
                            linewidth=2.5 if client == "aiocql" else 1.2,
                            capsize=2,
                        )
                ax.set_xscale("log", base=2)
                ax.set_xticks(concurrencies, [str(c) for c in concurrencies])
                if metric != "ops_per_s":
                    ax.set_yscale("log")
                ax.set_title(workload)
                ax.set_xlabel("requests in flight")
                ax.set_ylabel(label)
                ax.grid(True, alpha=0.3)
            axes[0][0].legend(fontsize=7)
            fig.suptitle(f"{label}: {MODE_TITLES.get(mode, mode)}")
            fig.tight_layout()
            fig.savefig(out_dir / f"{name}_{mode}.png", dpi=90)
            plt.close(fig)


def write_report(results: dict[str, Any], out_dir: Path) -> None:
    (out_dir / "results.md").write_text(markdown(results))
    charts(results, out_dir)


if __name__ == "__main__":
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "results"
    write_report(json.loads((directory / "results.json").read_text()), directory)
