"""aiocql.testing process control on stand-in processes (no JVM): only our node JVMs are ever
signalled, and a paused process is fully stopped."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
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


# A stand-in JVM that holds a listening socket and 1 GB of touched memory: the kernel frees
# the memory before it closes the sockets, so for a while the process has an empty cmdline but
# still holds its ports, as a killed 1 GB-heap node does.
_HOLDER = """\
import socket, sys, time
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen()
ballast = b"x" * (1 << 30)
print(sock.getsockname()[1], flush=True)
time.sleep(60)
"""


def test_sigkill_returns_only_once_the_process_has_released_its_ports(tmp_path: Path) -> None:
    node_dir = tmp_path / "node1"
    node_dir.mkdir()
    out = tmp_path / "out.log"
    cmd = [sys.executable, "-c", _HOLDER, process.DAEMON_CLASS, process.storagedir_arg(node_dir)]
    pid = process.spawn(cmd, node_dir, out)
    deadline = time.monotonic() + 30
    while not out.read_text().strip():
        assert time.monotonic() < deadline, "the stand-in never printed its port"
        time.sleep(0.01)
    port = int(out.read_text())
    process.signal_and_wait({node_dir: pid}, signal.SIGKILL)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert process.running_pid(node_dir) is None


def _fake_proc_entry(proc: Path, pid: int, state: str, cmdline: bytes) -> None:
    entry = proc / str(pid)
    entry.mkdir(parents=True, exist_ok=True)
    # pid (comm) state ppid ... : flags is field 9, starttime field 22 (proc(5)).
    fields = [state, "1", *["0"] * 4, "4194304", *["0"] * 12, "12345", *["0"] * 30]
    (entry / "stat").write_text(f"{pid} (java) {' '.join(fields)}\n")
    (entry / "cmdline").write_bytes(cmdline)


def test_a_jvm_between_exec_and_its_arguments_is_not_taken_for_dead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Between exec closing the spawner's pipe and the new image's arguments being set up, the
    # kernel shows an empty cmdline for a live process; under load that lasts long enough for
    # the start-up check to run. It must wait for the arguments, not drop the pid file.
    proc, node_dir, pid = tmp_path / "proc", tmp_path / "node1", 4_000_000
    node_dir.mkdir()
    (node_dir / "pid").write_text(f"{pid}\n")
    _fake_proc_entry(proc, pid, "R", b"")
    monkeypatch.setattr(process, "_PROC", proc)
    args = f"java\0{process.storagedir_arg(node_dir)}\0{process.DAEMON_CLASS}\0".encode()
    timer = threading.Timer(0.3, (proc / str(pid) / "cmdline").write_bytes, [args])
    timer.start()
    try:
        assert process.running_pid(node_dir) == pid
    finally:
        timer.cancel()
    assert (node_dir / "pid").read_text() == f"{pid}\n"


def test_a_zombie_or_a_kernel_thread_is_no_node_jvm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc, node_dir = tmp_path / "proc", tmp_path / "node1"
    node_dir.mkdir()
    monkeypatch.setattr(process, "_PROC", proc)
    _fake_proc_entry(proc, 4_000_001, "Z", b"")
    _fake_proc_entry(proc, 4_000_002, "I", b"")
    (proc / "4000002" / "stat").write_text(
        (proc / "4000002" / "stat").read_text().replace(" 4194304 ", " 2097152 ")  # PF_KTHREAD
    )
    began = time.monotonic()
    assert not process.is_node_jvm(4_000_001, node_dir)
    assert not process.is_node_jvm(4_000_002, node_dir)
    assert process.find_node_jvm(node_dir) is None
    assert time.monotonic() - began < 1.0  # neither is waited for as if mid-exec
