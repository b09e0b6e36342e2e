"""aiocql.testing process control on stand-in processes (no JVM): only our node JVMs are ever
signalled, and a paused process is fully stopped."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiocql.testing import process
from aiocql.testing.layout import NodeLayout
from aiocql.testing.registry import JMX_PORTS, allocate_jmx_port

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def fake_jvm(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A detached process whose command line looks like node1's CassandraDaemon."""
    node_dir = tmp_path / "node1"
    node_dir.mkdir()
    cmd = [*SLEEP, process.DAEMON_CLASS, process.storagedir_arg(node_dir)]
    pid = process.spawn(cmd, node_dir, tmp_path / "out.log")
    yield node_dir, pid
    if process.is_node_jvm(pid, node_dir):
        process.signal_and_wait({node_dir: pid}, signal.SIGKILL)


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(SLEEP)
    yield proc
    proc.kill()
    proc.wait()


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


def test_a_node_jvm_is_recognised_by_its_storage_dir(fake_jvm: tuple[Path, int]) -> None:
    node_dir, pid = fake_jvm
    assert process.is_node_jvm(pid, node_dir)
    assert not process.is_node_jvm(pid, node_dir.parent / "node2")


def test_a_stale_pid_file_never_gets_another_process_signalled(
    tmp_path: Path, bystander: subprocess.Popen[bytes]
) -> None:
    node_dir = tmp_path / "node1"
    node_dir.mkdir()
    (node_dir / "pid").write_text(f"{bystander.pid}\n")
    assert process.running_pid(node_dir) is None
    assert not (node_dir / "pid").exists()
    process.wipe_tree(tmp_path, [node_dir])
    assert bystander.poll() is None
    assert not tmp_path.exists()


def test_a_lost_pid_file_is_found_again(fake_jvm: tuple[Path, int]) -> None:
    node_dir, pid = fake_jvm
    assert process.running_pid(node_dir) == pid
    assert (node_dir / "pid").read_text() == f"{pid}\n"


def test_sigterm_stops_and_reports_no_kill(fake_jvm: tuple[Path, int]) -> None:
    node_dir, pid = fake_jvm
    assert process.signal_and_wait({node_dir: pid}, signal.SIGTERM, grace=10) == set()
    assert not process.is_node_jvm(pid, node_dir)


def test_pause_returns_with_every_thread_stopped(fake_jvm: tuple[Path, int]) -> None:
    _, pid = fake_jvm
    process.pause(pid)
    try:
        assert {_state(pid)} <= {"T", "t"}
    finally:
        process.resume(pid)
    deadline = time.monotonic() + 5
    while _state(pid) in ("T", "t") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _state(pid) not in ("T", "t")


def test_jmx_port_skips_a_port_in_use(tmp_path: Path) -> None:
    layout = NodeLayout(tmp_path / "clusters" / "single" / "node1")
    layout.dir.mkdir(parents=True)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        held = busy.getsockname()[1]
        layout.jmx_port_file.write_text(f"{held}\n")
        port = allocate_jmx_port(tmp_path, layout)
    assert port != held
    assert port in JMX_PORTS
    layout.jmx_port_file.write_text(f"{port}\n")
    assert allocate_jmx_port(tmp_path, layout) == port  # a node keeps a free port it had
