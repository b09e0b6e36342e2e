"""Node JVM processes: spawn, recognise in /proc, signal, pause, and wipe.

A pid is only ever signalled after ``/proc/<pid>/cmdline`` shows a ``CassandraDaemon`` with
this node's ``-Dcassandra.storagedir``, so a stale pid file never hits another process.
Linux first (``/proc``); ``ps`` is the fallback elsewhere.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import ClusterError
from .toolchain import read_int, write_atomic

__all__ = [
    "DAEMON_CLASS",
    "find_node_jvm",
    "is_node_jvm",
    "pause",
    "resume",
    "running_pid",
    "signal_and_wait",
    "spawn",
    "storagedir_arg",
    "wipe_tree",
]

log = logging.getLogger("aiocql.testing")

DAEMON_CLASS = "org.apache.cassandra.service.CassandraDaemon"

# A fresh interpreter starts the JVM and exits, so the JVM is our grandchild: it never lingers
# as our zombie or trips pytest's ResourceWarnings, and it outlives us.
_SPAWN_HELPER = """\
import os, subprocess, sys
log = open(sys.argv[1], "ab")
proc = subprocess.Popen(sys.argv[3:], cwd=sys.argv[2], stdin=subprocess.DEVNULL, stdout=log,
                        stderr=subprocess.STDOUT, start_new_session=True)
print(proc.pid, flush=True)
os._exit(0)
"""


def spawn(command: list[str], cwd: Path, output: Path) -> int:
    """Start ``command`` detached (own session, stdin /dev/null, output appended to ``output``).

    Returns its pid; raises ClusterError if it cannot be launched.
    Example: ``pid = spawn([java, ..., DAEMON_CLASS], node_dir, node_dir / "logs/stdout.log")``.
    """
    try:
        out = subprocess.run(
            [sys.executable, "-c", _SPAWN_HELPER, str(output), str(cwd), *command],
            capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        return int(out.stdout.strip())
    except (OSError, ValueError, subprocess.CalledProcessError) as exc:
        raise ClusterError(f"could not launch {command[0]}: {exc}") from exc


_PROC = Path("/proc")
_PF_KTHREAD = 0x00200000
# How long a live process may show an empty command line before it is taken for something
# else: exec clears it until the new image's arguments are set up, which under load can take
# a while after the spawner already has the pid.
_SETTLE = 5.0


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """State letter, flags and start time of a process from /proc/<pid>/stat; None if gone."""
    try:
        # The fields after the parenthesised command name (which may contain spaces) start
        # with field 3, the state; flags is field 9 and starttime field 22 (proc(5)).
        fields = (_PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()
        return fields[0], int(fields[6]), int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def _holds_resources(pid: int, started: int | None = None) -> bool:
    """True while a process exists and is no zombie, so it may still hold sockets and files;
    with ``started``, only if it is still the process that started then (not a reused pid)."""
    stat = _proc_stat(pid)
    return stat is not None and stat[0] not in "ZXx" and started in (None, stat[2])


def _proc_args(pid: int) -> list[str] | None:
    """Command line of a live (non-zombie) process, or None.

    A user process whose command line is empty is between exec and its new arguments, or
    exiting: wait up to ``_SETTLE`` seconds until it shows one or has gone.
    """
    if _PROC.is_dir():
        deadline = time.monotonic() + _SETTLE
        while True:
            try:
                raw = (_PROC / str(pid) / "cmdline").read_bytes()
            except OSError:
                return None
            if raw:
                return raw.rstrip(b"\0").decode(errors="replace").split("\0")
            stat = _proc_stat(pid)
            if stat is None or stat[0] in "ZXx" or stat[1] & _PF_KTHREAD:
                return None
            if time.monotonic() > deadline:
                return None
            time.sleep(0.005)
    try:  # paths with spaces split here; acceptable for a test tool off Linux
        out = subprocess.run(
            ["ps", "-ww", "-o", "stat=,command=", "-p", str(pid)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    except OSError:
        return None
    fields = out.stdout.split()
    if out.returncode != 0 or not fields or fields[0].startswith("Z"):
        return None
    return fields[1:]


def storagedir_arg(node_dir: Path) -> str:
    """The JVM option that marks a JVM as the one of ``node_dir``."""
    return f"-Dcassandra.storagedir={node_dir}"


def is_node_jvm(pid: int, node_dir: Path) -> bool:
    """True if pid is a live CassandraDaemon JVM of exactly this node directory."""
    args = _proc_args(pid)
    return args is not None and DAEMON_CLASS in args and storagedir_arg(node_dir) in args


def find_node_jvm(node_dir: Path) -> int | None:
    """Scan /proc for the node's JVM (when its pid file was lost); None if there is none."""
    if not _PROC.is_dir():
        return None
    wanted = storagedir_arg(node_dir).encode()
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:  # a cheap filter first: only a candidate is worth waiting for (see _proc_args)
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if (not raw or wanted in raw) and is_node_jvm(int(entry.name), node_dir):
            return int(entry.name)
    return None


def running_pid(node_dir: Path) -> int | None:
    """Pid of the node's live JVM, else None; drops a stale pid file, adopts an orphan JVM.

    Example: ``running_pid(cache / "clusters/single/node1")``.
    """
    pidfile = node_dir / "pid"
    pid = read_int(pidfile)
    if pid is not None and pid > 0 and is_node_jvm(pid, node_dir):
        return pid
    if pid is not None:
        pidfile.unlink(missing_ok=True)  # the process is gone, or its pid was reused
    orphan = find_node_jvm(node_dir)
    if orphan is not None:
        write_atomic(pidfile, f"{orphan}\n")
    return orphan


def signal_and_wait(
    targets: Mapping[Path, int], sig: signal.Signals, grace: float = 0.0
) -> set[Path]:
    """Send ``sig`` to every ``{node_dir: pid}`` and wait until each JVM has exited.

    All are signalled first and waited for together, so stopping N nodes costs one drain.
    A JVM still alive ``grace`` seconds after SIGTERM gets SIGKILL. A JVM counts as exited
    once it is gone or a zombie: a killed JVM frees its memory before its sockets, so it
    still holds its ports for a while after its command line has emptied. Returns the node
    dirs that were SIGKILLed (by ``sig`` or after the grace); raises ClusterError if one
    survives SIGKILL for 60 s. Example: ``signal_and_wait({node_dir: pid}, signal.SIGTERM, 30.0)``.
    """
    started = {pid: _start_time(pid) for pid in targets.values()}
    for pid in targets.values():
        with contextlib.suppress(ProcessLookupError):  # it may have just exited
            os.kill(pid, sig)
    began = time.monotonic()
    pending = dict(targets)
    killed = set(targets) if sig == signal.SIGKILL else set()
    while pending:
        pending = {d: pid for d, pid in pending.items() if _exists(pid, d, started[pid])}
        if not pending:
            break
        if not killed.issuperset(pending) and time.monotonic() - began > grace:
            for node_dir, pid in pending.items():
                log.warning("%s (pid %d) still up after %.0f s; SIGKILL", node_dir.name, pid, grace)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            killed |= set(pending)
        if time.monotonic() - began > grace + 60:
            raise ClusterError(f"pids {sorted(pending.values())} survive SIGKILL")
        time.sleep(0.02)
    return killed


def _start_time(pid: int) -> int | None:
    stat = _proc_stat(pid) if _PROC.is_dir() else None
    return None if stat is None else stat[2]


def _exists(pid: int, node_dir: Path, started: int | None) -> bool:
    """True while a signalled JVM has not fully exited (see :func:`signal_and_wait`)."""
    if started is None:  # no /proc: only the command line tells
        return is_node_jvm(pid, node_dir)
    return _holds_resources(pid, started)


def _thread_states(pid: int) -> list[str]:
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            # The state follows the parenthesised command name, which may contain spaces.
            states.append(task.joinpath("stat").read_text().rpartition(")")[2].split()[0])
    return states


def pause(pid: int, timeout: float = 2.0) -> None:
    """SIGSTOP ``pid`` and return once every one of its threads has stopped.

    ``kill()`` returns before all threads of a JVM are stopped, and a request sent in that
    window could still be answered. Raises ClusterError (after resuming the process) if the
    threads do not all stop within ``timeout`` seconds. Example: ``pause(pid); ...; resume(pid)``.
    """
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = _thread_states(pid)
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.001)
    resume(pid)
    raise ClusterError(f"node JVM {pid} did not stop within {timeout:.0f} s of SIGSTOP")


def resume(pid: int) -> None:
    """SIGCONT ``pid`` (a process that has exited meanwhile is ignored)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGCONT)


def wipe_tree(root: Path, node_dirs: Iterable[Path]) -> None:
    """SIGKILL the JVMs of ``node_dirs`` (each under ``root``), then delete ``root``.

    Example: ``wipe_tree(profile_dir, profile_dir.glob("node*"))`` wipes one profile.
    """
    if not root.is_dir():
        return
    targets = {}
    for node_dir in node_dirs:
        pid = running_pid(node_dir)
        if pid is not None:
            targets[node_dir] = pid
    signal_and_wait(targets, signal.SIGKILL)
    for node_dir, pid in targets.items():
        log.info("killed %s (pid %d)", node_dir, pid)
    shutil.rmtree(root)
    log.info("wiped %s", root)
