"""One node of a test cluster: start, stop, kill, pause, resume, logs and nodetool."""

from __future__ import annotations

import contextlib
import logging
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from . import process
from .config import write_config
from .distribution import publish_cds
from .errors import ClusterError
from .jvm import nodetool_command, server_command
from .layout import NodeLayout
from .logs import TAIL_LINES, log_tail, mark_start
from .nodesetup import NodeSetup
from .probe import cql_login, cql_options, port_open
from .profile import CQL_PORT, STORAGE_PORT, Placement
from .readiness import wait_for_cql, wait_for_login
from .registry import allocate_jmx_port, owner_of, port_lock, stop_hint
from .tls import SERVER_PEM, certificate_der, ensure_server, presented_certificate, serve_pem
from .toolchain import file_lock, read_int, write_atomic

__all__ = ["STOP_GRACE", "Node", "terminate"]

log = logging.getLogger("aiocql.testing")

STOP_GRACE = 30.0


class Node:
    """Node N of a cluster, on ``profile.address(N)``.

    :attr:`launched` is True while this object has started the JVM and not stopped it;
    :attr:`external` is True if a CQL server not started by the profile answered at the
    address, which is then used as is and never stopped. Example::

        node = cluster.node(2)
        node.kill()
        node.start()
        print(node.nodetool("status"))
    """

    def __init__(self, setup: NodeSetup, index: int) -> None:
        self.setup = setup
        self.index = setup.profile.check_node(index)
        self.layout: NodeLayout = setup.layout.node(index)
        self.launched = False
        self.external = False
        self.startup_seconds: float | None = None

    def __repr__(self) -> str:
        return f"Node({self.setup.profile.name!r}, {self.index}, {self.address!r})"

    @property
    def name(self) -> str:
        """``node<N>``."""
        return f"node{self.index}"

    @property
    def address(self) -> str:
        """Listen, RPC and CQL address."""
        return self.setup.profile.address(self.index)

    @property
    def cql_port(self) -> int:
        """CQL port (9042 on every node; nodes differ by address)."""
        return CQL_PORT

    @property
    def storage_port(self) -> int:
        """Internode port (7000 on every node)."""
        return STORAGE_PORT

    @property
    def placement(self) -> Placement:
        """Datacenter and rack."""
        return self.setup.profile.placement(self.index)

    @property
    def dir(self) -> Path:
        """The node's directory (conf, data, logs, pid file)."""
        return self.layout.dir

    @property
    def jmx_port(self) -> int | None:
        """The JMX port (on 127.0.0.1) picked at the node's last start; None before one."""
        return read_int(self.layout.jmx_port_file)

    # ---- state

    def pid(self) -> int | None:
        """Pid of this node's live JVM, or None (a stale pid file is dropped)."""
        return process.running_pid(self.layout.dir)

    def is_running(self) -> bool:
        """True if this node's JVM is alive (it may still be starting)."""
        return self.pid() is not None

    def is_up(self, timeout: float = 2.0) -> bool:
        """True if a CQL server answers OPTIONS at the node's address, whoever started it."""
        return cql_options(self.address, CQL_PORT, self.setup.probe_context(), timeout)

    def login(self) -> None:
        """Log in as the default superuser; ClusterError if refused or unreachable."""
        cql_login(self.address, CQL_PORT, ssl_context=self.setup.probe_context())

    def check_alive(self) -> bool:
        """True if our JVM runs, False if a foreign server answers; ClusterError if neither
        (with the log tail when our JVM has died during its start)."""
        had_pidfile = self.layout.pidfile.exists()
        if self.pid() is not None:
            return True
        if had_pidfile or self.launched:
            self.launched = False
            raise ClusterError(
                f"{self.name} exited during start-up; last log lines:\n"
                + self.log_tail(since_start=True)
            )
        if self.is_up():
            return False
        raise ClusterError(f"{self.name} is not running (start it first)")

    # ---- start

    def start(self, wait: bool = True) -> bool:
        """Start the node unless it runs or a foreign CQL server answers at its address.

        Fetches the jars and makes the certificates first if needed. With ``wait``, returns
        once it serves CQL and, with auth, accepts a login; a JVM that fails, a timeout or
        Ctrl-C kills the half-started JVM. Returns True if this call launched a JVM. Raises
        ClusterError if another profile's node or a non-CQL process holds the address.
        Example: ``node.kill(); node.start()``.
        """
        self.setup.prepare()
        with file_lock(self.setup.layout.lock):
            started = self.start_locked(wait)
        if wait and self.setup.profile.auth:
            self.wait_login()
        return started

    def start_locked(self, wait: bool = True) -> bool:
        """:meth:`start` without the preparation, the lock and the login, for a caller that
        holds the profile's lock (:meth:`aiocql.testing.CassandraCluster.start` does)."""
        if self.pid() is not None:
            if wait:
                wait_for_cql(self, self.setup.timeout)
            log.info("%s already running on %s:%d", self.name, self.address, CQL_PORT)
            return False
        self.external = False
        if not self._address_free():
            return False
        began = time.monotonic()
        self._spawn()
        if wait:
            try:
                wait_for_cql(self, self.setup.timeout)
            except BaseException:
                if self.is_running():
                    self.kill()
                raise
            self.startup_seconds = time.monotonic() - began
            log.info(
                "%s up on %s:%d in %.1f s", self.name, self.address, CQL_PORT, self.startup_seconds
            )
        return True

    def _address_free(self) -> bool:
        """False to reuse a foreign CQL server at the address; ClusterError if our other
        profile or something else holds it."""
        setup = self.setup
        owner = owner_of(setup.layout.cache, self.address, exclude=setup.profile.name)
        if owner is not None:
            raise ClusterError(
                f"{self.address}:{CQL_PORT} belongs to profile {owner.profile!r} "
                f"({owner.layout.dir}); stop it first: {stop_hint(owner.layout.dir.parent)}"
            )
        if self.is_up():
            self.external = True
            log.info(
                "%s: a CQL server already answers on %s:%d; reusing it "
                "(not started here, will not be stopped here)",
                self.name,
                self.address,
                CQL_PORT,
            )
            return False
        if port_open(self.address, CQL_PORT):
            raise ClusterError(
                f"{self.address}:{CQL_PORT} is taken by something that does not answer a "
                f"{'TLS ' if setup.profile.tls else ''}CQL handshake; free the port first"
            )
        return True

    def _spawn(self) -> None:
        setup, layout = self.setup, self.layout
        write_config(
            setup.profile, self.index, layout, setup.layout.server_tls, setup.layout.shared_tls
        )
        mark_start(layout)
        layout.cds_partial.unlink(missing_ok=True)  # left by a killed JVM
        # lz4-java, snappy and JNA unpack native libraries into java.io.tmpdir on every start,
        # and a killed JVM never removes them: keep them in the node dir, emptied per start.
        shutil.rmtree(layout.tmp, ignore_errors=True)
        layout.tmp.mkdir()
        with port_lock(setup.layout.cache):
            port = allocate_jmx_port(setup.layout.cache, layout)
            write_atomic(layout.jmx_port_file, f"{port}\n")
            cmd = server_command(
                setup.profile,
                layout,
                setup.lib,
                jmx_port=port,
                heap=setup.heap,
                cds_archive=setup.cds_archive(),
            )
            pid = process.spawn(cmd, layout.dir, layout.stdout_log)
            write_atomic(layout.pidfile, f"{pid}\n")
        self.launched = True
        log.debug("%s: pid %d: %s", self.name, pid, " ".join(cmd))

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the node serves CQL (see :mod:`aiocql.testing.readiness`)."""
        wait_for_cql(self, timeout or self.setup.timeout)

    def wait_login(self, timeout: float | None = None) -> None:
        """Wait until a login as the default superuser works on the node."""
        rf = self.setup.profile.nodes
        wait_for_login(self, timeout or self.setup.timeout, replicas=rf)

    # ---- stop, kill, pause

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Graceful stop: SIGTERM (Cassandra drains), SIGKILL after ``grace`` seconds."""
        terminate([self], signal.SIGTERM, grace)

    def kill(self) -> None:
        """Crash: SIGKILL, then wait until the process is gone."""
        terminate([self], signal.SIGKILL)

    def pause(self) -> None:
        """Freeze the JVM (SIGSTOP) and return once all its threads have stopped: the node
        keeps its sockets open but answers nothing, as a hung or GC-paused server does.

        Raises ClusterError if the launcher does not own a JVM for the node, or if its
        threads do not stop within 2 s.
        """
        pid = self.pid()
        if pid is None:
            raise ClusterError(
                f"{self.name} was not started by aiocql.testing (no pid): fault tests need a "
                "node the launcher owns"
            )
        process.pause(pid)

    def resume(self) -> None:
        """Let a paused JVM run again (SIGCONT); nothing happens if it is not running."""
        pid = self.pid()
        if pid is not None:
            process.resume(pid)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """``with node.paused(): ...`` pauses the node for the block and resumes it after."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    # ---- TLS

    def serve_expired_certificate(self, expired: bool = True) -> None:
        """Make the node present the profile's expired server certificate to new TLS
        connections (with ``expired=False``, the valid one again), without a restart.

        It replaces ``conf/server.pem``, the file the node's PEMBasedSslContextFactory reads,
        then runs ``nodetool reloadssl``: Cassandra drops its cached SSL contexts, whatever
        the file's time stamp, and the factory reads the file again when it builds the next
        connection's context (connections already open keep their session). So no restart is
        needed; on Cassandra 5.0.9 a swap takes 1.5-4 s, mostly nodetool's JVM start. It
        returns once a handshake shows the wanted certificate. A restart serves the valid
        certificate again: every start rewrites conf/.

        Raises ClusterError for a profile without TLS, a node that the launcher does not run,
        a failing nodetool, or a node still presenting the other certificate 10 s later.
        Example: ``node.serve_expired_certificate(); ...; node.serve_expired_certificate(False)``.
        """
        setup = self.setup
        if not setup.profile.tls:
            raise ClusterError(f"profile {setup.profile.name!r} has no TLS: no certificate to swap")
        with file_lock(setup.layout.lock):
            if self.pid() is None:
                raise ClusterError(f"{self.name} is not running under the launcher: start it first")
            ensure_server(setup.layout.cache, setup.layout.server_tls, setup.profile.addresses())
            served = self.layout.conf / SERVER_PEM
            serve_pem(setup.layout.server_tls, served, expired)
            self.nodetool("reloadssl")
            wanted = certificate_der(served)
            deadline = time.monotonic() + 10.0
            while True:
                shown = presented_certificate(
                    self.address, CQL_PORT, setup.layout.shared_tls, setup.profile.mtls
                )
                if shown == wanted:
                    break
                if time.monotonic() > deadline:
                    which = "expired" if expired else "valid"
                    raise ClusterError(
                        f"{self.name} does not present its {which} certificate after "
                        f"`nodetool reloadssl`; last log lines:\n" + self.log_tail(since_start=True)
                    )
                time.sleep(0.2)
        log.info("%s serves its %s certificate", self.name, "expired" if expired else "valid")

    # ---- diagnostics

    def log_tail(self, lines: int = TAIL_LINES, since_start: bool = False) -> str:
        """Last lines of system.log and stdout.log; with ``since_start``, of this start only."""
        return log_tail(self.layout, lines, since_start)

    def nodetool_command(self, *args: str) -> list[str]:
        """The command line of ``nodetool ARGS`` against this node (over JMX).

        Raises ClusterError if the node has never been started (no JMX port yet).
        """
        port = self.jmx_port
        if port is None:
            raise ClusterError(f"{self.name} has no JMX port yet: start it first")
        return nodetool_command(self.setup.lib, port, *args)

    def nodetool(self, *args: str, timeout: float = 120.0) -> str:
        """Run nodetool against the node and return its output, e.g. ``nodetool("status")``.

        Raises ClusterError if it fails (the message has its output).
        """
        out = subprocess.run(
            self.nodetool_command(*args),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if out.returncode != 0:
            raise ClusterError(
                f"nodetool {' '.join(args)} on {self.name} failed ({out.returncode}):\n"
                f"{out.stdout}{out.stderr}"
            )
        return out.stdout


def terminate(nodes: Iterable[Node], sig: signal.Signals, grace: float = 0.0) -> None:
    """Signal the nodes' JVMs together and wait until all have exited (SIGKILL after
    ``grace`` seconds); nodes not running, or not ours, are left alone.

    Example: ``terminate(cluster.nodes, signal.SIGTERM, 30.0)``.
    """
    targets: dict[Path, int] = {}
    chosen: list[Node] = []
    for node in nodes:
        pid = node.pid()
        if pid is None:
            node.launched = False
            if node.external or node.is_up():
                log.info("%s is not ours (not started by this profile); left running", node.name)
            else:
                log.info("%s is not running", node.name)
            continue
        targets[node.dir] = pid
        chosen.append(node)
    began = time.monotonic()
    killed = process.signal_and_wait(targets, sig, grace)
    for node in chosen:
        node.layout.pidfile.unlink(missing_ok=True)
        node.launched = False
        publish_cds(node.layout.cds_partial, node.setup.cds_archive(), node.dir not in killed)
        log.info(
            "%s %s (pid %d, %s, %.1f s)",
            node.name,
            "killed" if sig == signal.SIGKILL else "stopped",
            targets[node.dir],
            sig.name,
            time.monotonic() - began,
        )
