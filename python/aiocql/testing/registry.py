"""The node JVMs of every profile in a cache that are alive, and what they hold.

Profiles have their own addresses, but a profile that differs only in topology shares them,
and every node's JMX port is on 127.0.0.1; this module finds who holds an address, and picks
JMX ports no live node uses.
"""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ClusterError
from .layout import ClusterLayout, NodeLayout, clusters_root
from .process import is_node_jvm
from .profile import Profile
from .toolchain import file_lock, read_int, write_atomic

__all__ = [
    "JMX_PORTS",
    "LiveNode",
    "allocate_jmx_port",
    "listen_address",
    "live_nodes",
    "owner_of",
    "port_lock",
    "record_profile",
    "recorded_profile",
    "stop_hint",
]

JMX_PORTS = range(7100, 8000)
_LISTEN = re.compile(r"^listen_address:\s*(\S+)", re.MULTILINE)


@dataclass(frozen=True)
class LiveNode:
    """A running node JVM found in the cache: its profile, directory, pid, address, JMX port."""

    profile: str
    layout: NodeLayout
    pid: int
    address: str | None
    jmx_port: int | None


def listen_address(layout: NodeLayout) -> str | None:
    """The address the node's cassandra.yaml listens on; None before its first start."""
    try:
        match = _LISTEN.search((layout.conf / "cassandra.yaml").read_text())
    except OSError:
        return None
    return match.group(1) if match else None


def live_nodes(cache: Path) -> Iterator[LiveNode]:
    """Every node of every profile in ``cache`` whose pid file names its live JVM.

    The address is the one its cassandra.yaml listens on (what the JVM was started with).
    Example: ``[n.address for n in live_nodes(cache_root())]``.
    """
    for pidfile in sorted(clusters_root(cache).glob("*/node*/pid")):
        layout = NodeLayout(pidfile.parent)
        pid = read_int(pidfile)
        if pid is not None and pid > 0 and is_node_jvm(pid, layout.dir):
            yield LiveNode(
                profile=layout.dir.parent.name,
                layout=layout,
                pid=pid,
                address=listen_address(layout),
                jmx_port=read_int(layout.jmx_port_file),
            )


def owner_of(cache: Path, address: str, exclude: str) -> LiveNode | None:
    """The live node of a profile other than ``exclude`` that listens on ``address``, if any."""
    for node in live_nodes(cache):
        if node.profile != exclude and node.address == address:
            return node
    return None


def record_profile(layout: ClusterLayout, profile: Profile) -> None:
    """Write the profile's variables to its ``profile.env``, so that others can name it."""
    layout.dir.mkdir(parents=True, exist_ok=True)
    write_atomic(layout.profile_env, "".join(f"{k}={v}\n" for k, v in profile.to_env().items()))


def recorded_profile(profile_dir: Path) -> Profile | None:
    """The profile a directory's ``profile.env`` describes; None if missing or unreadable."""
    try:
        lines = (profile_dir / "profile.env").read_text().splitlines()
        return Profile.from_env(dict(line.split("=", 1) for line in lines if "=" in line))
    except (OSError, ClusterError):
        return None


def stop_hint(profile_dir: Path) -> str:
    """The command that stops the profile of ``profile_dir``, for error messages."""
    profile = recorded_profile(profile_dir)
    if profile is None:
        return f"stop the JVMs of {profile_dir}"
    return " ".join(["python -m aiocql.testing stop", *profile.cli_flags()])


def port_lock(cache: Path) -> contextlib.AbstractContextManager[None]:
    """Hold while picking a JMX port and until the node's pid file is written."""
    return file_lock(clusters_root(cache) / ".ports.lock")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the JVM binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def allocate_jmx_port(cache: Path, layout: NodeLayout) -> int:
    """A JMX port for the node: the one it had if still free, else the first free one of
    7100-7999 that no live node of the cache has recorded and nothing listens on.

    Call it under :func:`port_lock`. Raises ClusterError when all are taken.
    Example: ``with port_lock(cache): port = allocate_jmx_port(cache, layout)``.
    """
    taken = {n.jmx_port for n in live_nodes(cache) if n.layout != layout}
    previous = read_int(layout.jmx_port_file)
    ports: list[int] = list(JMX_PORTS)
    if previous is not None and previous in JMX_PORTS:
        ports.insert(0, previous)
    for port in ports:
        if port not in taken and _bindable(port):
            return port
    raise ClusterError(
        f"no free JMX port in {JMX_PORTS.start}-{JMX_PORTS.stop - 1} on 127.0.0.1: stop some nodes"
    )
