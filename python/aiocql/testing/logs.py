"""A node's two log files: where this start began in them, and their tails.

Both ``system.log`` and ``stdout.log`` are appended to across starts; readiness checks and
failure reports look only at what the current start wrote, from the offsets recorded at spawn.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from .layout import NodeLayout
from .toolchain import write_atomic

__all__ = ["TAIL_LINES", "log_tail", "mark_start", "start_offsets", "tail"]

TAIL_LINES = 60


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def mark_start(node: NodeLayout) -> None:
    """Record the logs' sizes before a start, and write a banner into stdout.log."""
    offsets = (_size(node.system_log), _size(node.stdout_log))
    write_atomic(node.start_offset_file, f"{offsets[0]} {offsets[1]}\n")
    with node.stdout_log.open("a") as handle:
        handle.write(f"==== aiocql.testing start {time.strftime('%Y-%m-%d %H:%M:%S')} ====\n")


def start_offsets(node: NodeLayout) -> tuple[int, int]:
    """Sizes of system.log and stdout.log when the node was last started; (0, 0) if unknown."""
    try:
        first, second = node.start_offset_file.read_text().split()
        return int(first), int(second)
    except (OSError, ValueError):
        return 0, 0


def tail(path: Path, lines: int, since: int = 0, width: int = 1000) -> str:
    """The last ``lines`` lines of ``path`` written at or after byte offset ``since``.

    Lines longer than ``width`` are cut (Cassandra logs its whole config on one ~15 kB line).
    Never raises: a missing file gives ``"(no <path>)"``. Example: ``tail(log, 20)``.
    """
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            since = since if since <= size else 0  # the file was replaced since
            handle.seek(max(since, size - 512 * 1024))
            data = handle.read().decode(errors="replace")
    except OSError:
        return f"(no {path})\n"
    kept = [ln if len(ln) <= width else ln[:width] + " [...]" for ln in data.splitlines()[-lines:]]
    return "\n".join(kept) + "\n" if kept else "(nothing logged)\n"


def log_tail(node: NodeLayout, lines: int = TAIL_LINES, since_start: bool = False) -> str:
    """Tails of the node's system.log and stdout.log (JVM crashes land in the latter), with
    a header line each; with ``since_start``, only what the current start logged."""
    offsets = start_offsets(node) if since_start else (0, 0)
    parts = []
    for path, since in zip((node.system_log, node.stdout_log), offsets, strict=True):
        parts.append(f"---- {node.dir.name} {path} (last {lines} lines) ----\n")
        parts.append(tail(path, lines, since))
    return "".join(parts)
