"""Waiting until a node is ready: its log line, a CQL handshake, and with auth a login.

A node counts as up once its ``system.log`` shows ``Starting listening for CQL clients`` since
this start and a CQL v4 OPTIONS frame gets SUPPORTED; with auth, once a login as the default
superuser works too. A JVM that dies meanwhile fails the wait at once, with its log tail.
"""

from __future__ import annotations

import os
import time
from typing import Protocol

from .errors import ClusterError
from .layout import NodeLayout
from .logs import start_offsets

__all__ = ["READY_LINE", "Startable", "wait_for_cql", "wait_for_login"]

READY_LINE = "Starting listening for CQL clients"
POLL_INTERVAL = 0.25


class Startable(Protocol):
    """What the waits need of a node (:class:`aiocql.testing.Node` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def layout(self) -> NodeLayout: ...

    def check_alive(self) -> bool: ...

    def is_up(self) -> bool: ...

    def login(self) -> None: ...

    def log_tail(self, lines: int = ..., since_start: bool = ...) -> str: ...


class _LogWatch:
    """Reads a log from an offset on, remembering whether a line has appeared."""

    def __init__(self, node: NodeLayout, line: str) -> None:
        self.path, self.line = node.system_log, line
        self.pos = start_offsets(node)[0]
        self.carry = ""
        self.seen = False

    def poll(self) -> bool:
        if self.seen:
            return True
        try:
            with self.path.open("rb") as handle:
                if handle.seek(0, os.SEEK_END) < self.pos:  # the file was replaced: rescan
                    self.pos = 0
                handle.seek(self.pos)
                chunk = handle.read().decode(errors="replace")
                self.pos = handle.tell()
        except OSError:
            chunk = ""
        self.seen = self.line in self.carry + chunk
        self.carry = (self.carry + chunk)[-len(self.line) :]
        return self.seen


def wait_for_cql(node: Startable, timeout: float) -> None:
    """Return once the node logged its ready line since this start and answers OPTIONS.

    Returns at once for a server that is not ours but answers. Raises ClusterError with the
    log tail if our JVM exits, or after ``timeout`` seconds. Example: ``wait_for_cql(node, 180)``.
    """
    watch = _LogWatch(node.layout, READY_LINE)
    deadline = time.monotonic() + timeout
    while True:
        if not node.check_alive():
            return  # someone else's server, already answering
        if watch.poll() and node.is_up():
            return
        if time.monotonic() > deadline:
            raise ClusterError(
                f"{node.name} not serving CQL after {timeout:.0f} s; "
                f"last log lines:\n{node.log_tail(since_start=True)}"
            )
        time.sleep(POLL_INTERVAL)


def wait_for_login(node: Startable, timeout: float, replicas: int = 1) -> None:
    """Retry a login as the default superuser until it works (the role lags the listener).

    ``replicas`` is the replication factor of system_auth, named in the hint when a quorum
    is missing. Raises ClusterError with the last error and log tail after ``timeout``
    seconds, or if our JVM exits. Example: ``wait_for_login(node, 180)``.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            node.login()
            return
        except ClusterError as exc:
            last_error = str(exc)
        node.check_alive()
        if time.monotonic() > deadline:
            hint = ""
            if replicas > 1 and "Cannot achieve consistency" in last_error:
                hint = f" (system_auth has RF {replicas}: start a quorum of the nodes)"
            raise ClusterError(
                f"{node.name} serves CQL but login fails after {timeout:.0f} s{hint}: "
                f"{last_error}\nlast log lines:\n{node.log_tail(since_start=True)}"
            )
        time.sleep(POLL_INTERVAL * 2)
