#!/usr/bin/env python3
"""Throw-away Apache Cassandra 5.0 nodes for aiocql's tests (JDK 17, jars from Maven Central).

CLI (``python3 tools/testcluster.py --help``)::

    fetch                       resolve the Cassandra jars with Maven (once; cached)
    start [IDS]                 start nodes (default: all of the profile) and wait for CQL
    stop [IDS] / kill [IDS]     SIGTERM (SIGKILL after a grace period) / SIGKILL
    wait [IDS]                  wait until nodes serve CQL
    status / wipe / env         show state / delete the profile's data / print test env vars
    logs N / nodetool N ARGS    log tail / nodetool against node N
    run -- CMD...               start what is not up, run CMD, stop what this run started

Shape flags on every verb: ``--nodes 1..3``, ``--auth``, ``--tls``, ``--mtls``.

Library use (integration tests)::

    from testcluster import TestCluster
    cluster = TestCluster.from_env()        # or TestCluster(nodes=3, auth=True)
    cluster.kill(2); cluster.start(2)

Everything lives outside the clone, under ``$AIOCQL_CACHE`` (default ``~/.cache/aiocql``):
``cassandra-<version>/lib`` (jars) and ``clusters/<profile>/node<N>`` (config, data, logs, pid).
Linux-first (``/proc`` is used to recognise our JVMs; ``ps`` is the fallback elsewhere).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType

__all__ = [
    "CQL_PORT",
    "PASSWORD",
    "STORAGE_PORT",
    "USERNAME",
    "ClusterError",
    "TestCluster",
    "cache_root",
    "cassandra_version",
    "cql_login",
    "cql_options",
    "fetch",
    "main",
    "profile_name",
    "require_java",
]

log = logging.getLogger("aiocql.testcluster")

TOOLS_DIR = Path(__file__).resolve().parent
CASSANDRA_DIR = TOOLS_DIR / "cassandra"
POM = CASSANDRA_DIR / "pom.xml"
LOGBACK_SERVER = CASSANDRA_DIR / "logback.xml"
LOGBACK_TOOLS = CASSANDRA_DIR / "logback-tools.xml"

MAX_NODES = 3
CQL_PORT = 9042
STORAGE_PORT = 7000
USERNAME = "cassandra"
PASSWORD = "cassandra"
# Password of every keystore/truststore; Cassandra wants the key password == the store password.
STORE_PASSWORD = "cassandra"
CLUSTER_NAME = "test_cluster"
DEFAULT_HEAP = "1G"
DEFAULT_TIMEOUT = 180.0
STOP_GRACE = 30.0
POLL_INTERVAL = 0.25
TAIL_LINES = 60
DAEMON_CLASS = "org.apache.cassandra.service.CassandraDaemon"
READY_LINE = "Starting listening for CQL clients"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
JAVA_MAJOR = 17  # Cassandra 5.0 supports JDK 11 and 17; our JVM flags are conf/jvm17-server.options
_NODE_NAMES = {1: "single", 2: "two", 3: "three"}
_LOG_NAMES = ("system.log", "stdout.log")
_CDS_PARTIAL = "cds.jsa.partial"
_NODE_SUBDIRS = ("conf", "data", "commitlog", "hints", "saved_caches", "cdc_raw", "logs",
                 "triggers", "tmp")  # fmt: skip

# conf/jvm17-clients.options (what bin/nodetool adds): JPMS opens for the client tools.
_JPMS_CLIENT = (
    "-Djdk.attach.allowAttachSelf=true",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
    "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
    "--add-exports", "java.sql/java.sql=ALL-UNNAMED",
    "--add-exports", "java.base/java.lang.ref=ALL-UNNAMED",
    "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
    "--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
    "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens", "java.base/java.io=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang=ALL-UNNAMED",
    "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens", "java.base/java.util=ALL-UNNAMED",
    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
)  # fmt: skip

# conf/jvm-server.options + conf/jvm17-server.options of apache/cassandra 5.0 (what bin/cassandra
# would add). -XX:+AlwaysPreTouch and -XX:+UseNUMA are dropped: they only slow a test node's start.
_SERVER_OPTS = (
    "-ea", "-da:net.openhft...", "-XX:+UseThreadPriorities", "-XX:+HeapDumpOnOutOfMemoryError",
    "-Xss256k", "-XX:+UseTLAB", "-XX:+ResizeTLAB", "-XX:+PerfDisableSharedMem",
    "-Djava.net.preferIPv4Stack=true", "-Dchronicle.analytics.disable=true",
    # G1
    "-XX:+UseG1GC", "-XX:+ParallelRefProcEnabled", "-XX:MaxTenuringThreshold=1",
    "-XX:G1HeapRegionSize=16m", "-XX:G1RSetUpdatingPauseTimePercent=5",
    "-XX:MaxGCPauseMillis=300", "-XX:InitiatingHeapOccupancyPercent=70",
    # JPMS (server list = client list + com.sun.jmx.remote.security)
    *_JPMS_CLIENT,
    "--add-exports", "java.management/com.sun.jmx.remote.security=ALL-UNNAMED",
    # netty
    "-Dio.netty.tryReflectionSetAccessible=true", "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.allocator.maxOrder=11",
    "-XX:+ExitOnOutOfMemoryError",
)  # fmt: skip

# bin/cassandra.in.sh adds these only when running on a full JDK (javac present), CASSANDRA-19001.
_JDK_ONLY_OPTS = (
    "--add-exports", "jdk.attach/sun.tools.attach=ALL-UNNAMED",
    "--add-exports", "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-opens", "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
)  # fmt: skip

# Test speed-ups (config/CassandraRelevantProperties.java); see RECIPE notes in tools/README.md.
_FAST_START_PROPS = (
    "-Dcassandra.skip_wait_for_gossip_to_settle=0",  # no >=5 s gossip settle wait
    "-Dcassandra.ring_delay_ms=1000",  # bounds the shadow round (default 30 s)
    "-Dcassandra.skip_sync=true",  # no fsync
    "-Dcassandra.unsafesystem=true",  # no blocking flush of system tables
    "-Dcassandra.test.flush_local_schema_changes=false",  # DDL doesn't flush schema tables
    # Graceful stop (SIGTERM) speed-ups: peers still get the gossip shutdown announcement, but
    # we wait 0.5 s for it instead of 2 s, and skip the ~2 s messaging quiesce.
    "-Dcassandra.shutdown_announce_in_ms=500",
    "-Dcassandra.test.messagingService.nonGracefulShutdown=true",
)

# Run in a fresh interpreter so the JVM is its grandchild: the JVM is then never our child, so
# it can't linger as our zombie or trip ResourceWarnings in pytest, and it survives our exit.
_SPAWN_HELPER = """\
import os, subprocess, sys
log = open(sys.argv[1], "ab")
proc = subprocess.Popen(sys.argv[3:], cwd=sys.argv[2], stdin=subprocess.DEVNULL, stdout=log,
                        stderr=subprocess.STDOUT, start_new_session=True)
print(proc.pid, flush=True)
os._exit(0)
"""


class ClusterError(RuntimeError):
    """A test-cluster operation failed; the message says why and what to do."""


# --------------------------------------------------------------------------- environment


def cache_root() -> Path:
    """``$AIOCQL_CACHE`` or ``~/.cache/aiocql``, as an absolute path."""
    env = os.environ.get("AIOCQL_CACHE")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "aiocql"
    return root.resolve()  # absolute: -Dcassandra.config=file://... must not be relative


def cassandra_version() -> str:
    """``$AIOCQL_CASSANDRA_VERSION`` or ``<cassandra.version>`` from tools/cassandra/pom.xml."""
    env = os.environ.get("AIOCQL_CASSANDRA_VERSION")
    if env:
        return env
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(POM).getroot().find("m:properties/m:cassandra.version", ns)
    if node is None or not node.text:
        raise ClusterError(f"no <cassandra.version> in {POM}")
    return node.text.strip()


def profile_name(nodes: int = 1, auth: bool = False, tls: bool = False, mtls: bool = False) -> str:
    """Directory name for a cluster shape, e.g. ``single``, ``three-auth``, ``single-auth-mtls``."""
    if nodes not in _NODE_NAMES:
        raise ClusterError(f"nodes must be 1..{MAX_NODES}, not {nodes}")
    parts = [_NODE_NAMES[nodes]]
    if auth:
        parts.append("auth")
    if mtls:
        parts.append("mtls")
    elif tls:
        parts.append("tls")
    return "-".join(parts)


def _java_from_env() -> Path:
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if not java.is_file():
            raise ClusterError(f"JAVA_HOME={home} has no bin/java; point it at a JDK {JAVA_MAJOR}")
        return java
    found = shutil.which("java")
    if found is None:
        raise ClusterError(
            f"no `java` on PATH: install a JDK {JAVA_MAJOR} (Debian/Ubuntu: "
            f"apt-get install openjdk-{JAVA_MAJOR}-jdk-headless) or set JAVA_HOME"
        )
    return Path(found)


@functools.cache
def require_java() -> Path:
    """Path of a JDK 17 ``java`` (``$JAVA_HOME/bin/java``, else PATH); ClusterError otherwise."""
    java = _java_from_env()
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as exc:
        raise ClusterError(f"cannot run {java}: {exc}") from exc
    text = out.stderr + out.stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if match is None:
        raise ClusterError(f"cannot parse `{java} -version` output:\n{text}")
    major = int(match.group(1))
    if major == 1:  # "1.8.0_x" style
        major = int(match.group(2) or 0)
    if major != JAVA_MAJOR:
        found = sorted(str(p) for p in Path("/usr/lib/jvm").glob(f"*{JAVA_MAJOR}*") if p.is_dir())
        hint = f" (found: {', '.join(found)})" if found else ""
        raise ClusterError(
            f"{java} is Java {major}; Cassandra 5.0 test nodes need JDK {JAVA_MAJOR} "
            f"(5.0 supports only 11 and 17; 18+ fails on System.setSecurityManager). "
            f"Set JAVA_HOME to a JDK {JAVA_MAJOR}{hint}."
        )
    return java


def _jdk_tool(name: str) -> Path | None:
    """A tool (keytool, javac) from the same JDK as :func:`require_java`."""
    sibling = require_java().resolve().parent / name
    if sibling.is_file():
        return sibling
    found = shutil.which(name)
    return Path(found) if found else None


def _require_mvn() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ClusterError(
            "no `mvn` on PATH: the Cassandra jars are resolved from Maven Central with Maven 3 "
            "(Debian/Ubuntu: apt-get install maven)"
        )
    return mvn


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive inter-process lock, so parallel `make` jobs don't fetch or start twice."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def fetch(cache: Path | None = None, version: str | None = None) -> Path:
    """Resolve cassandra-all and its runtime jars into ``<cache>/cassandra-<version>/lib``.

    Instant when the completion marker matches; otherwise runs Maven into a scratch dir and
    renames it into place, so an interrupted download is simply redone next time.
    """
    cache = cache or cache_root()
    version = version or cassandra_version()
    base = cache / f"cassandra-{version}"
    lib, marker = base / "lib", base / ".complete"
    # The POM hash is in the marker so that editing the POM (new deps) triggers a re-fetch.
    stamp = f"{version} {hashlib.sha256(POM.read_bytes()).hexdigest()}\n"

    def done() -> bool:
        return lib.is_dir() and marker.is_file() and marker.read_text() == stamp

    if done():
        return lib
    with _file_lock(base / ".lock"):
        if done():  # another process finished while we waited for the lock
            return lib
        mvn = _require_mvn()
        require_java()  # Maven itself runs on any JDK, but fail early with the clearer message
        partial, scratch = base / "lib.partial", base / "maven"
        marker.unlink(missing_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
        log.info("fetching Cassandra %s jars with Maven into %s (first time: ~70 MB)", version, lib)
        started = time.monotonic()
        cmd = [
            mvn, "-B", "-q", "-f", str(POM), "generate-resources",
            f"-Dcassandra.version={version}",
            f"-Dcassandra.lib.dir={partial}",
            f"-Daiocql.build.dir={scratch}",
        ]  # fmt: skip
        try:
            out = subprocess.run(
                cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
            )
        except OSError as exc:
            raise ClusterError(f"cannot run Maven: {exc}") from exc
        # Debian's Maven 3.8 prints stray ANSI resets even with -B; show only real messages.
        for line in _ANSI.sub("", out.stdout + out.stderr).splitlines():
            if line.strip():
                print(line, file=sys.stderr)
        rc = out.returncode
        if rc != 0:
            raise ClusterError(f"Maven failed (exit {rc}); fix the error above and re-run `fetch`")
        if not (partial / f"cassandra-all-{version}.jar").is_file():
            raise ClusterError(f"Maven succeeded but {partial} has no cassandra-all-{version}.jar")
        shutil.rmtree(lib, ignore_errors=True)
        for stale in base.glob("cds-*.jsa"):  # class-data archives of the old jar set
            stale.unlink()
        partial.rename(lib)
        shutil.rmtree(scratch, ignore_errors=True)
        _write_atomic(marker, stamp)  # only now: an interrupted run leaves no marker
        jars = len(list(lib.glob("*.jar")))
        log.info("fetched %d jars in %.1f s", jars, time.monotonic() - started)
    return lib


# --------------------------------------------------------------------------- CQL probes

_OP_ERROR, _OP_STARTUP, _OP_READY, _OP_AUTHENTICATE = 0x00, 0x01, 0x02, 0x03
_OP_OPTIONS, _OP_SUPPORTED, _OP_AUTH_RESPONSE, _OP_AUTH_SUCCESS = 0x05, 0x06, 0x0F, 0x10


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by server")
        buf += chunk
    return bytes(buf)


def _request(sock: socket.socket, stream: int, opcode: int, body: bytes = b"") -> tuple[int, bytes]:
    """Send one native-protocol v4 frame and return (opcode, body) of the response."""
    sock.sendall(struct.pack(">BBhBi", 0x04, 0, stream, opcode, len(body)) + body)
    version, _flags, _stream, op, length = struct.unpack(">BBhBi", _recv_exact(sock, 9))
    if version != 0x84:
        raise ConnectionError(f"unexpected response version byte 0x{version:02x}")
    if not 0 <= length <= 1 << 20:
        raise ConnectionError(f"implausible frame length {length}")
    return op, _recv_exact(sock, length)


@contextlib.contextmanager
def _connect(
    host: str, port: int, ssl_context: ssl.SSLContext | None, timeout: float
) -> Iterator[socket.socket]:
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        if ssl_context is not None:
            sock = ssl_context.wrap_socket(sock, server_hostname=host)
        yield sock
    finally:
        sock.close()


def cql_options(
    host: str, port: int = CQL_PORT, ssl_context: ssl.SSLContext | None = None, timeout: float = 2.0
) -> bool:
    """True if a CQL server at host:port answers a v4 OPTIONS frame with SUPPORTED."""
    try:
        with _connect(host, port, ssl_context, timeout) as sock:
            op, _body = _request(sock, 1, _OP_OPTIONS)
            return op == _OP_SUPPORTED
    except (OSError, ConnectionError, struct.error):
        return False


def _error_message(body: bytes) -> str:
    try:
        code, length = struct.unpack(">iH", body[:6])
        return f"0x{code:04x} {body[6 : 6 + length].decode(errors='replace')}"
    except struct.error:
        return repr(body)


def cql_login(
    host: str,
    port: int = CQL_PORT,
    username: str = USERNAME,
    password: str = PASSWORD,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 5.0,
) -> None:
    """STARTUP (+ SASL PLAIN login if the server asks); raises ClusterError if refused."""
    startup = struct.pack(">H", 1)
    for text in ("CQL_VERSION", "3.0.0"):
        startup += struct.pack(">H", len(text)) + text.encode()
    try:
        with _connect(host, port, ssl_context, timeout) as sock:
            op, body = _request(sock, 1, _OP_STARTUP, startup)
            if op == _OP_AUTHENTICATE:
                token = b"\x00" + username.encode() + b"\x00" + password.encode()
                op, body = _request(
                    sock, 2, _OP_AUTH_RESPONSE, struct.pack(">i", len(token)) + token
                )
                if op == _OP_AUTH_SUCCESS:
                    return
            elif op == _OP_READY:
                return
    except (OSError, ConnectionError, struct.error) as exc:
        raise ClusterError(f"CQL login to {host}:{port} failed: {exc}") from exc
    detail = _error_message(body) if op == _OP_ERROR else f"opcode 0x{op:02x}"
    raise ClusterError(f"CQL login to {host}:{port} refused: {detail}")


def _port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- processes


def _proc_args(pid: int) -> list[str] | None:
    """Command line of a live (non-zombie) process, or None."""
    proc = Path("/proc")
    if proc.is_dir():
        try:
            raw = (proc / str(pid) / "cmdline").read_bytes()
        except OSError:
            return None
        # Zombies (our JVMs are re-parented to an init that may not reap) have an empty cmdline.
        return raw.rstrip(b"\0").decode(errors="replace").split("\0") if raw else None
    try:  # non-Linux fallback; paths with spaces would split, acceptable for a test tool
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


def _is_node_jvm(pid: int, node_dir: Path) -> bool:
    """Is pid a live CassandraDaemon JVM for exactly this node dir (never kill anything else)?"""
    args = _proc_args(pid)
    return args is not None and DAEMON_CLASS in args and _storagedir_arg(node_dir) in args


def _storagedir_arg(node_dir: Path) -> str:
    return f"-Dcassandra.storagedir={node_dir}"


def _find_node_jvm(node_dir: Path) -> int | None:
    """Scan /proc for our JVM when its pid file is missing (e.g. deleted by hand)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    for entry in proc.iterdir():
        if entry.name.isdigit() and _is_node_jvm(int(entry.name), node_dir):
            return int(entry.name)
    return None


def _tail(path: Path, lines: int, since: int = 0, width: int = 1000) -> str:
    """Last `lines` lines of `path` written at or after byte offset `since`."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            since = since if since <= size else 0  # file was replaced since
            handle.seek(max(since, size - 512 * 1024))
            data = handle.read().decode(errors="replace")
    except OSError:
        return f"(no {path})\n"
    # Cassandra logs its whole config on one ~15 kB line; keep tails readable.
    kept = [ln if len(ln) <= width else ln[:width] + " [...]" for ln in data.splitlines()[-lines:]]
    return "\n".join(kept) + "\n" if kept else "(nothing logged)\n"


# --------------------------------------------------------------------------- the cluster


class TestCluster:
    """One cluster shape (a *profile*) of 1..3 local Cassandra nodes on 127.0.0.N:9042.

    Node N listens on 127.0.0.N (CQL 9042, storage 7000) with JMX on 127.0.0.1:7000+100*N.
    Nodes this object started are tracked in :attr:`launched`; nodes found already serving
    CQL (started elsewhere) are in :attr:`external` and are never stopped by this object.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(
        self,
        nodes: int = 1,
        auth: bool = False,
        tls: bool = False,
        mtls: bool = False,
        *,
        cache: Path | str | None = None,
        version: str | None = None,
        heap: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.nodes = nodes
        self.auth = auth
        self.mtls = mtls
        self.tls = tls or mtls  # mutual TLS implies TLS
        self.profile = profile_name(nodes, auth, self.tls, mtls)
        self.cache = Path(cache).expanduser().resolve() if cache else cache_root()
        self.version = version or cassandra_version()
        self.heap = heap or os.environ.get("AIOCQL_CASSANDRA_HEAP", DEFAULT_HEAP)
        env_timeout = os.environ.get("AIOCQL_CASSANDRA_TIMEOUT")
        self.timeout = timeout or (float(env_timeout) if env_timeout else DEFAULT_TIMEOUT)
        self.cluster_dir = self.cache / "clusters" / self.profile
        # Shared by all TLS profiles: certificates don't depend on the shape, keytool is slow.
        self.tls_dir = self.cache / "tls"
        self.launched: set[int] = set()
        self.external: set[int] = set()
        self.startup_seconds: dict[int, float] = {}

    @classmethod
    def from_env(cls) -> TestCluster:
        """The shape exported by ``testcluster.py run`` (``AIOCQL_TEST_*``), default single."""

        def flag(name: str) -> bool:
            return os.environ.get(name, "0").lower() in ("1", "true", "yes")

        return cls(
            nodes=int(os.environ.get("AIOCQL_TEST_NODES", "1")),
            auth=flag("AIOCQL_TEST_AUTH"),
            tls=flag("AIOCQL_TEST_TLS"),
            mtls=flag("AIOCQL_TEST_MTLS"),
        )

    def __repr__(self) -> str:
        return f"TestCluster(profile={self.profile!r}, cache={str(self.cache)!r})"

    # ---- addressing

    @property
    def node_ids(self) -> list[int]:
        """1..nodes."""
        return list(range(1, self.nodes + 1))

    @staticmethod
    def address(node: int) -> str:
        """Listen/RPC address of node N: 127.0.0.N."""
        return f"127.0.0.{node}"

    @staticmethod
    def cql_port(node: int = 1) -> int:
        """CQL port (the same on every node; nodes differ by address)."""
        return CQL_PORT

    @staticmethod
    def storage_port(node: int = 1) -> int:
        """Internode port (the same on every node)."""
        return STORAGE_PORT

    @staticmethod
    def jmx_port(node: int) -> int:
        """JMX port on 127.0.0.1 as ccm assigns it: 7100, 7200, 7300."""
        return 7000 + 100 * node

    def contact_points(self) -> list[str]:
        """``host:port`` of every node of the profile."""
        return [f"{self.address(n)}:{CQL_PORT}" for n in self.node_ids]

    def node_dir(self, node: int) -> Path:
        """Absolute directory of node N (conf, data, logs, pid file)."""
        return self.cluster_dir / f"node{node}"

    @property
    def lib_dir(self) -> Path:
        """Where :meth:`fetch` puts the jars."""
        return self.cache / f"cassandra-{self.version}" / "lib"

    def tls_files(self) -> dict[str, Path]:
        """PEM files for clients: ``ca`` (trust this), ``cert``/``key`` (client cert for mTLS)."""
        return {
            "ca": self.tls_dir / "ca.crt",
            "cert": self.tls_dir / "client.crt",
            "key": self.tls_dir / "client.key",
        }

    def env(self) -> dict[str, str]:
        """Environment variables describing this cluster to a test process."""
        env = {
            "AIOCQL_CACHE": str(self.cache),
            "AIOCQL_TEST_PROFILE": self.profile,
            "AIOCQL_TEST_NODES": str(self.nodes),
            "AIOCQL_TEST_CONTACT_POINTS": ",".join(self.contact_points()),
            "AIOCQL_TEST_AUTH": "1" if self.auth else "0",
            "AIOCQL_TEST_TLS": "1" if self.tls else "0",
            "AIOCQL_TEST_MTLS": "1" if self.mtls else "0",
        }
        if self.auth:
            env["AIOCQL_TEST_USERNAME"] = USERNAME
            env["AIOCQL_TEST_PASSWORD"] = PASSWORD
        if self.tls:
            files = self.tls_files()
            env["AIOCQL_TEST_TLS_CA"] = str(files["ca"])
            if self.mtls:
                env["AIOCQL_TEST_TLS_CERT"] = str(files["cert"])
                env["AIOCQL_TEST_TLS_KEY"] = str(files["key"])
        return env

    def ssl_context(self) -> ssl.SSLContext | None:
        """Client SSL context trusting the test CA (+ client cert for mTLS); None without TLS."""
        if not self.tls:
            return None
        files = self.tls_files()
        if not files["ca"].is_file():  # material not made yet: enough to probe liveness
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        ctx = ssl.create_default_context(cafile=str(files["ca"]))
        if self.mtls and files["key"].is_file():
            ctx.load_cert_chain(str(files["cert"]), str(files["key"]))
        return ctx

    # ---- jars and TLS material

    def fetch(self) -> Path:
        """Make sure the jars are present (Maven on first use); returns the lib dir."""
        return fetch(self.cache, self.version)

    def make_tls(self) -> Path:
        """Create the test CA, server/client PKCS12 stores and PEM files once; returns the dir."""
        done = self.tls_dir / "server-keystore.p12"
        if done.is_file():
            return self.tls_dir
        keytool = _jdk_tool("keytool")
        if keytool is None:
            raise ClusterError("no `keytool` next to java or on PATH (it ships with the JDK)")
        with _file_lock(self.cache / ".tls.lock"):
            if done.is_file():
                return self.tls_dir
            log.info("creating test CA and certificates in %s", self.tls_dir)
            # Build in a scratch dir and rename, so an interrupted run never leaves half a set.
            work = Path(tempfile.mkdtemp(prefix=".tls-", dir=self.cache))
            try:
                _make_tls(work, str(keytool))
                shutil.rmtree(self.tls_dir, ignore_errors=True)
                work.rename(self.tls_dir)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        return self.tls_dir

    # ---- start / wait

    def _ids(self, ids: Iterable[int]) -> list[int]:
        chosen = sorted(set(ids)) or self.node_ids
        for node in chosen:
            if node not in self.node_ids:
                raise ClusterError(f"no node {node} in profile {self.profile!r} (1..{self.nodes})")
        return chosen

    def start(self, *ids: int, wait: bool = True) -> list[int]:
        """Start nodes (default all), one after another; returns the ids actually started.

        A node already served by CQL at its address is reused (recorded in :attr:`external`
        if it is not ours) and neither started nor later stopped.
        """
        chosen = self._ids(ids)
        self.fetch()
        require_java()
        if self.tls:
            self.make_tls()
        started: list[int] = []
        with _file_lock(self.cluster_dir / ".lock"):
            for node in chosen:
                if self.running_pid(node) is not None:
                    if wait:
                        self._wait_cql(node, self.timeout)
                    log.info("node%d already running on %s:%d", node, self.address(node), CQL_PORT)
                    continue
                self.external.discard(node)
                self._check_address_free(node)
                if node in self.external:
                    continue
                began = time.monotonic()
                self._spawn(node)
                started.append(node)
                if not wait:
                    continue
                try:
                    self._wait_cql(node, self.timeout)
                except BaseException:
                    # Don't leave a half-started JVM behind (timeout, Ctrl-C).
                    if self.running_pid(node) is not None:
                        self.kill(node)
                    raise
                self.startup_seconds[node] = elapsed = time.monotonic() - began
                log.info(
                    "node%d up on %s:%d in %.1f s", node, self.address(node), CQL_PORT, elapsed
                )
            if wait and self.auth:
                # Only now: with several nodes, logins need a quorum of system_auth replicas.
                began = time.monotonic()
                for node in chosen:
                    self._wait_login(node, self.timeout)
                log.info(
                    "login as %s works on %s (%.1f s)",
                    USERNAME, self._names(chosen), time.monotonic() - began,
                )  # fmt: skip
        return started

    @staticmethod
    def _names(ids: Iterable[int]) -> str:
        return ", ".join(f"node{n}" for n in ids)

    def _check_address_free(self, node: int) -> None:
        """Reuse a foreign CQL server at the address; refuse one of another profile of ours."""
        addr = self.address(node)
        other = self._other_profile_on(node)
        if other is not None:
            flags = _profile_flags(other)
            raise ClusterError(
                f"{addr}:{CQL_PORT} belongs to profile {other!r} (pid file under "
                f"{self.cache / 'clusters' / other}); stop it first: "
                f"python3 tools/testcluster.py stop{flags}"
            )
        if self._cql_ok(node):
            self.external.add(node)
            log.info(
                "node%d: a CQL server already answers on %s:%d; reusing it "
                "(not started here, will not be stopped here)", node, addr, CQL_PORT,
            )  # fmt: skip
            return
        if _port_open(addr, CQL_PORT):
            raise ClusterError(
                f"{addr}:{CQL_PORT} is taken by something that does not answer a "
                f"{'TLS ' if self.tls else ''}CQL handshake; free the port first"
            )

    def _other_profile_on(self, node: int) -> str | None:
        """Name of another of our profiles with a live JVM for the same node number."""
        root = self.cache / "clusters"
        if not root.is_dir():
            return None
        for other in sorted(root.iterdir()):
            if other.name == self.profile:
                continue
            node_dir = other / f"node{node}"
            pid = _read_pid(node_dir / "pid")
            if pid is not None and _is_node_jvm(pid, node_dir):
                return other.name
        return None

    def _spawn(self, node: int) -> None:
        node_dir = self.node_dir(node)
        self._write_config(node)
        # Readiness and failure tails only look at what this start logs (both files append).
        offsets = [_size(node_dir / "logs" / name) for name in _LOG_NAMES]
        _write_atomic(node_dir / "start-offset", f"{offsets[0]} {offsets[1]}\n")
        stdout_log = node_dir / "logs" / "stdout.log"
        with stdout_log.open("a") as handle:
            handle.write(f"==== testcluster start {time.strftime('%Y-%m-%d %H:%M:%S')} ====\n")
        (node_dir / _CDS_PARTIAL).unlink(missing_ok=True)  # left by a killed JVM
        # lz4-java/snappy/JNA unpack native libraries into java.io.tmpdir on every start and
        # a killed JVM never removes them: keep them in the node dir, emptied per start.
        shutil.rmtree(node_dir / "tmp", ignore_errors=True)
        (node_dir / "tmp").mkdir()
        cmd = self._server_command(node)
        try:
            out = subprocess.run(
                [sys.executable, "-c", _SPAWN_HELPER, str(stdout_log), str(node_dir), *cmd],
                capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            pid = int(out.stdout.strip())
        except (OSError, ValueError, subprocess.CalledProcessError) as exc:
            raise ClusterError(f"could not launch node{node}'s JVM: {exc}") from exc
        _write_atomic(node_dir / "pid", f"{pid}\n")
        self.launched.add(node)
        log.debug("node%d: pid %d: %s", node, pid, " ".join(cmd))

    def _server_command(self, node: int) -> list[str]:
        java = require_java()
        node_dir, lib = self.node_dir(node), self.lib_dir
        opts = [f"-Xms{self.heap}", f"-Xmx{self.heap}", *_SERVER_OPTS]
        if _jdk_tool("javac") is not None:
            opts += _JDK_ONLY_OPTS
        jamm = sorted(lib.glob("jamm-*.jar"))
        if jamm:  # conf/cassandra-env.sh; optional (ObjectSizes falls back to Unsafe)
            opts.append(f"-javaagent:{jamm[0]}")
        logs = node_dir / "logs"
        opts += [
            f"-XX:HeapDumpPath={logs}",
            f"-XX:ErrorFile={logs}/hs_err_%p.log",
            f"-Dcassandra.jmx.local.port={self.jmx_port(node)}",  # local JMX for nodetool
            # bin/cassandra launch_service()
            f"-Dlogback.configurationFile={node_dir / 'conf' / 'logback.xml'}",
            f"-Dcassandra.logdir={logs}",
            _storagedir_arg(node_dir),  # also how we recognise our JVM in /proc
            "-Dcassandra-foreground=yes",  # else the daemon closes stdout/stderr
            f"-Dcassandra.config={(node_dir / 'conf' / 'cassandra.yaml').as_uri()}",
            f"-Dcassandra.triggers_dir={node_dir / 'triggers'}",
            f"-Djava.io.tmpdir={node_dir / 'tmp'}",
            *_FAST_START_PROPS,
        ]
        # The default role is created after this delay (default 10 s), and the attempt is
        # retried with the SAME delay while a replica of system_auth is down. With 0 (the
        # recipe's value) a restarted node whose peers are still down spins in that retry loop
        # and logs ~1M warnings a second, starving the other nodes' start-up; so 0 only where
        # there are no peers, 500 ms otherwise.
        opts.append(f"-Dcassandra.superuser_setup_delay_ms={0 if self.nodes == 1 else 500}")
        if self.auth and self.nodes > 1:
            # system_auth replicated on every node, so killing one node doesn't break logins.
            opts.append(f"-Dcassandra.system_auth.default_rf={self.nodes}")
        archive = self._cds_archive()
        if archive is not None:
            # AppCDS: map the classes a previous node loaded instead of parsing ~70 MB of jars
            # again (8.7 s -> 6.3 s per start here). The first node started without an archive
            # dumps one at its first graceful exit (see _publish_cds). AllowArchivingWithJavaAgent
            # is needed because of the jamm agent.
            opts += ["-XX:+UnlockDiagnosticVMOptions", "-XX:+AllowArchivingWithJavaAgent"]
            if archive.is_file():
                opts.append(f"-XX:SharedArchiveFile={archive}")
            else:
                opts.append(f"-XX:ArchiveClassesAtExit={node_dir / _CDS_PARTIAL}")
        # Escape hatch for debugging (e.g. -agentlib:jdwp=...), split on whitespace.
        opts += os.environ.get("AIOCQL_CASSANDRA_JVM_OPTS", "").split()
        # No conf dir on the classpath (bin/cassandra puts one there): CDS refuses classpaths
        # with non-empty directories, and cassandra.yaml/logback.xml are passed explicitly.
        return [str(java), *opts, "-cp", f"{lib}/*", DAEMON_CLASS]

    def _cds_archive(self) -> Path | None:
        """Where the AppCDS archive for this JDK + jar set + heap lives; None if disabled."""
        if os.environ.get("AIOCQL_CASSANDRA_CDS", "1").lower() in ("0", "false", "no"):
            return None
        java = require_java().resolve()
        release = java.parent.parent / "release"  # JAVA_VERSION etc.; changes with JDK updates
        base = self.lib_dir.parent
        key = "\n".join(
            [
                str(java),
                release.read_text() if release.is_file() else "",
                (base / ".complete").read_text() if (base / ".complete").is_file() else "",
                self.heap,  # heap size decides the compressed-oops mode the archive assumes
            ]
        )
        return base / f"cds-{hashlib.sha256(key.encode()).hexdigest()[:16]}.jsa"

    def _publish_cds(self, node: int, complete: bool) -> None:
        """Move a node's at-exit CDS dump into place, unless the JVM was killed mid-way."""
        partial = self.node_dir(node) / _CDS_PARTIAL
        if not partial.is_file():
            return
        archive = self._cds_archive() if complete else None
        if archive is not None and not archive.exists() and partial.stat().st_size > 0:
            partial.replace(archive)
            log.info("saved class-data archive %s for faster starts", archive.name)
        else:
            partial.unlink(missing_ok=True)

    def _write_config(self, node: int) -> None:
        """(Re)write conf/cassandra.yaml and logback.xml; the profile fixes everything in them."""
        node_dir = self.node_dir(node)
        for sub in _NODE_SUBDIRS:
            (node_dir / sub).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(LOGBACK_SERVER, node_dir / "conf" / "logback.xml")
        seeds = ",".join(f"{self.address(n)}:{STORAGE_PORT}" for n in self.node_ids)
        addr = self.address(node)
        yaml = f"""\
# Generated by tools/testcluster.py for profile {self.profile}; rewritten on every start.
cluster_name: {CLUSTER_NAME}
num_tokens: 1
initial_token: {_initial_token(node, self.nodes)}
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch                      # DC "datacenter1", rack "rack1"
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "{seeds}"                           # all nodes are seeds, as ccm does
listen_address: {addr}
rpc_address: {addr}
storage_port: {STORAGE_PORT}
native_transport_port: {CQL_PORT}
start_native_transport: true
auto_bootstrap: false
data_file_directories: [ "{node_dir / "data"}" ]
commitlog_directory: {node_dir / "commitlog"}
hints_directory: {node_dir / "hints"}
saved_caches_directory: {node_dir / "saved_caches"}
cdc_raw_directory: {node_dir / "cdc_raw"}
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 32MiB
commitlog_disk_access_mode: legacy
storage_compatibility_mode: NONE                   # fresh 5.0-only cluster
block_for_peers_timeout_in_secs: 0                 # don't wait 10 s for down peers on restart
auto_snapshot: false                               # no snapshot on DROP/TRUNCATE
materialized_views_enabled: true
sasi_indexes_enabled: true
user_defined_functions_enabled: true               # Java UDFs: FunctionFailure is testable
tombstone_failure_threshold: 5000                  # ReadFailure with a few thousand deletes
"""
        if self.auth:
            yaml += """\
authenticator: PasswordAuthenticator
authorizer: CassandraAuthorizer
role_manager: CassandraRoleManager
"""
        if self.tls:
            yaml += f"""\
client_encryption_options:
  enabled: true
  optional: false
  keystore: {self.tls_dir / "server-keystore.p12"}
  keystore_password: {STORE_PASSWORD}
  store_type: PKCS12
  require_client_auth: {"true" if self.mtls else "false"}
"""
            if self.mtls:  # the truststore is only loaded when client auth is required
                yaml += f"""\
  truststore: {self.tls_dir / "server-truststore.p12"}
  truststore_password: {STORE_PASSWORD}
"""
        _write_atomic(node_dir / "conf" / "cassandra.yaml", yaml)

    def _cql_ok(self, node: int, timeout: float = 2.0) -> bool:
        return cql_options(self.address(node), CQL_PORT, self.ssl_context(), timeout)

    def is_up(self, node: int) -> bool:
        """True if node N answers a CQL OPTIONS handshake (whoever started it)."""
        return self._cql_ok(node)

    def wait(self, *ids: int, timeout: float | None = None) -> None:
        """Wait until each node serves CQL (each gets ``timeout`` s, default 180).

        Ready = "Starting listening for CQL clients" logged since the last start and a CQL
        OPTIONS/SUPPORTED handshake; with auth, then also a cassandra/cassandra login on every
        node (checked after all of them serve CQL: with several nodes, system_auth may need a
        quorum of them). Fails fast with the log tail if a JVM dies.
        """
        chosen = self._ids(ids)
        for node in chosen:
            self._wait_cql(node, timeout or self.timeout)
        if self.auth:
            for node in chosen:
                self._wait_login(node, timeout or self.timeout)

    def _check_alive(self, node: int) -> bool:
        """True if our JVM runs; False for a foreign server; raises if ours died."""
        had_pidfile = (self.node_dir(node) / "pid").exists()
        if self.running_pid(node) is not None:
            return True
        if had_pidfile or node in self.launched:
            self.launched.discard(node)
            raise ClusterError(
                f"node{node} exited during start-up; last log lines:\n"
                + self.log_tail(node, since_start=True)
            )
        if self._cql_ok(node):
            return False
        raise ClusterError(f"node{node} is not running (start it first)")

    def _wait_cql(self, node: int, timeout: float) -> None:
        system_log = self.node_dir(node) / "logs" / "system.log"
        pos = self._start_offsets(node)[0]
        seen_line, carry = False, ""
        deadline = time.monotonic() + timeout
        while True:
            if not self._check_alive(node):
                return  # someone else's server, already answering
            if not seen_line:
                try:
                    with system_log.open("rb") as handle:
                        if handle.seek(0, os.SEEK_END) < pos:  # file was replaced: rescan
                            pos = 0
                        handle.seek(pos)
                        chunk = handle.read().decode(errors="replace")
                        pos = handle.tell()
                except OSError:
                    chunk = ""
                seen_line = READY_LINE in carry + chunk
                carry = (carry + chunk)[-len(READY_LINE) :]
            if seen_line and self._cql_ok(node):
                return
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"node{node} not serving CQL after {timeout:.0f} s; "
                    f"last log lines:\n{self.log_tail(node, since_start=True)}"
                )
            time.sleep(POLL_INTERVAL)

    def _wait_login(self, node: int, timeout: float) -> None:
        """Retry a cassandra/cassandra login: the default role may lag the CQL listener."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                cql_login(self.address(node), CQL_PORT, ssl_context=self.ssl_context())
                return
            except ClusterError as exc:
                last_error = str(exc)
            self._check_alive(node)
            if time.monotonic() > deadline:
                hint = ""
                if self.nodes > 1 and "Cannot achieve consistency" in last_error:
                    hint = f" (system_auth has RF {self.nodes}: start a quorum of the nodes)"
                raise ClusterError(
                    f"node{node} serves CQL but login fails after {timeout:.0f} s{hint}: "
                    f"{last_error}\nlast log lines:\n{self.log_tail(node, since_start=True)}"
                )
            time.sleep(POLL_INTERVAL * 2)

    # ---- stop / kill / wipe

    def running_pid(self, node: int) -> int | None:
        """Pid of our live JVM for node N; drops a stale pid file, adopts an orphan JVM."""
        node_dir = self.node_dir(node)
        pidfile = node_dir / "pid"
        pid = _read_pid(pidfile)
        if pid is not None and _is_node_jvm(pid, node_dir):
            return pid
        if pid is not None:
            pidfile.unlink(missing_ok=True)  # stale: process gone, or pid reused by another
        orphan = _find_node_jvm(node_dir)
        if orphan is not None:
            _write_atomic(pidfile, f"{orphan}\n")
        return orphan

    def is_running(self, node: int) -> bool:
        """True if our JVM for node N is alive (it may still be starting)."""
        return self.running_pid(node) is not None

    def pid(self, node: int) -> int | None:
        """Alias of :meth:`running_pid`."""
        return self.running_pid(node)

    def stop(self, *ids: int, grace: float = STOP_GRACE) -> None:
        """Graceful stop: SIGTERM (Cassandra drains), SIGKILL after ``grace`` seconds."""
        self._terminate(self._ids(ids), signal.SIGTERM, grace)

    def kill(self, *ids: int) -> None:
        """Crash simulation: SIGKILL, then wait until the process is gone."""
        self._terminate(self._ids(ids), signal.SIGKILL, 0.0)

    def _terminate(self, ids: list[int], sig: signal.Signals, grace: float) -> None:
        targets: dict[int, int] = {}
        for node in ids:
            pid = self.running_pid(node)
            if pid is None:
                self.launched.discard(node)
                if node in self.external or self.is_up(node):
                    log.info("node%d is not ours (not started by this profile); left running", node)
                else:
                    log.info("node%d is not running", node)
                continue
            with contextlib.suppress(ProcessLookupError):  # it may have just exited
                os.kill(pid, sig)
            targets[node] = pid
        began = time.monotonic()
        # SIGTERM everyone first, then wait in parallel: a 3-node stop costs one drain, not three.
        pending = dict(targets)
        escalated = sig == signal.SIGKILL
        killed = set(targets) if escalated else set()
        while pending:
            for node, pid in list(pending.items()):
                if not _is_node_jvm(pid, self.node_dir(node)):
                    del pending[node]
            if not pending:
                break
            if not escalated and time.monotonic() - began > grace:
                for node, pid in pending.items():
                    log.warning("node%d (pid %d) still up after %.0f s; SIGKILL", node, pid, grace)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    killed.add(node)
                escalated = True
            if time.monotonic() - began > grace + 60:
                raise ClusterError(f"pids {sorted(pending.values())} survive SIGKILL")
            time.sleep(0.1)
        for node, pid in targets.items():
            (self.node_dir(node) / "pid").unlink(missing_ok=True)
            self.launched.discard(node)
            self._publish_cds(node, complete=node not in killed)
            log.info(
                "node%d %s (pid %d, %s, %.1f s)",
                node, "killed" if sig == signal.SIGKILL else "stopped", pid, sig.name,
                time.monotonic() - began,
            )  # fmt: skip

    def wipe(self) -> None:
        """SIGKILL the profile's nodes and delete its directory (data and logs)."""
        if self.cluster_dir.is_dir():
            running = [n for n in self.node_ids if self.running_pid(n) is not None]
            if running:
                self.kill(*running)
            shutil.rmtree(self.cluster_dir)
            log.info("wiped %s", self.cluster_dir)

    # ---- diagnostics

    def log_tail(self, node: int, lines: int = TAIL_LINES, since_start: bool = False) -> str:
        """Last lines of node N's system.log and stdout.log (JVM crashes land in the latter).

        With ``since_start``, only what was logged since the node was last started.
        """
        logs = self.node_dir(node) / "logs"
        offsets = self._start_offsets(node) if since_start else (0, 0)
        parts = []
        for name, since in zip(_LOG_NAMES, offsets, strict=True):
            parts.append(f"---- node{node} {logs / name} (last {lines} lines) ----\n")
            parts.append(_tail(logs / name, lines, since))
        return "".join(parts)

    def _start_offsets(self, node: int) -> tuple[int, int]:
        """Sizes of system.log and stdout.log when the node was last started."""
        try:
            first, second = (self.node_dir(node) / "start-offset").read_text().split()
            return int(first), int(second)
        except (OSError, ValueError):
            return 0, 0

    def nodetool_command(self, node: int, *args: str) -> list[str]:
        """The java command line running ``nodetool ARGS`` against node N over JMX."""
        java = require_java()
        return [
            str(java), "-Xmx128m", *_JPMS_CLIENT,
            f"-Dlogback.configurationFile={LOGBACK_TOOLS}",
            "-cp", f"{self.lib_dir}/*", "org.apache.cassandra.tools.NodeTool",
            "-h", "127.0.0.1", "-p", str(self.jmx_port(node)), *args,
        ]  # fmt: skip

    def nodetool(self, node: int, *args: str, timeout: float = 120.0) -> str:
        """Run nodetool against node N; returns stdout, raises ClusterError on failure."""
        self._ids([node])
        self.fetch()
        out = subprocess.run(
            self.nodetool_command(node, *args),
            capture_output=True, text=True, timeout=timeout, check=False,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if out.returncode != 0:
            raise ClusterError(
                f"nodetool {' '.join(args)} on node{node} failed ({out.returncode}):\n"
                f"{out.stdout}{out.stderr}"
            )
        return out.stdout


def _initial_token(node: int, nodes: int) -> int:
    """ccm's balanced Murmur3 tokens i*(2**64/N) - 2**63; a single node gets 0 (testcontainers)."""
    if nodes == 1:
        return 0
    return ((node - 1) * 2**64) // nodes - 2**63


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _read_pid(path: Path) -> int | None:
    pid = _read_int(path)
    return pid if pid is not None and pid > 0 else None


def _profile_flags(profile: str) -> str:
    """CLI flags that select a profile name (inverse of :func:`profile_name`)."""
    parts = profile.split("-")
    sizes = {name: n for n, name in _NODE_NAMES.items()}
    flags = f" --nodes {sizes[parts[0]]}" if sizes.get(parts[0], 1) != 1 else ""
    for part in parts[1:]:
        flags += f" --{part}"
    return flags


def _make_tls(out: Path, keytool: str) -> None:
    """Test CA + CA-signed server and client certs (SANs 127.0.0.1-3, localhost) via keytool.

    A separate CA (instead of one self-signed server cert) keeps the PEMs usable by strict
    verifiers such as rustls/webpki as well as OpenSSL.
    """
    pw = STORE_PASSWORD
    common = ["-storetype", "PKCS12", "-storepass", pw]

    def kt(*args: str) -> None:
        res = subprocess.run(
            [keytool, *args], capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
        if res.returncode != 0:
            raise ClusterError(f"keytool {args[0]} failed:\n{res.stdout}{res.stderr}")

    ca_store = str(out / "ca.p12")
    kt("-genkeypair", "-noprompt", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048",
       "-validity", "3650", "-dname", "CN=aiocql test CA", "-ext", "bc:c",
       "-ext", "KU:c=keyCertSign,cRLSign", "-keystore", ca_store, "-keypass", pw,
       *common)  # fmt: skip
    kt("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca_store, "-file", str(out / "ca.crt"),
       *common)  # fmt: skip

    def leaf(name: str, dname: str, exts: list[str]) -> None:
        store = str(out / f"{name}-keystore.p12")
        csr, crt = str(out / f"{name}.csr"), str(out / f"{name}.crt")
        kt("-genkeypair", "-noprompt", "-alias", name, "-keyalg", "RSA", "-keysize", "2048",
           "-validity", "3650", "-dname", dname, "-keystore", store, "-keypass", pw,
           *common)  # fmt: skip
        kt("-certreq", "-alias", name, "-keystore", store, "-file", csr, *common)
        ext_args = [a for e in exts for a in ("-ext", e)]
        kt("-gencert", "-rfc", "-alias", "ca", "-keystore", ca_store, "-infile", csr,
           "-outfile", crt, "-validity", "3650", *ext_args, *common)  # fmt: skip
        # Import CA then the signed reply, so the store holds the chain leaf -> CA.
        kt("-importcert", "-noprompt", "-alias", "ca", "-file", str(out / "ca.crt"),
           "-keystore", store, *common)  # fmt: skip
        kt("-importcert", "-noprompt", "-alias", name, "-file", crt, "-keystore", store, *common)
        Path(csr).unlink()

    leaf("server", "CN=localhost",
         ["SAN=IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,DNS:localhost",
          "KU:c=digitalSignature,keyEncipherment", "EKU=serverAuth"])  # fmt: skip
    leaf("client", "CN=test-client", ["KU:c=digitalSignature,keyEncipherment", "EKU=clientAuth"])
    # Truststores holding only the CA: the client's for Java tools, the server's for mTLS.
    for name in ("client-truststore.p12", "server-truststore.p12"):
        kt("-importcert", "-noprompt", "-alias", "ca", "-file", str(out / "ca.crt"),
           "-keystore", str(out / name), *common)  # fmt: skip
    # PEM private keys for non-Java clients (OpenSSL/rustls); keytool cannot export keys.
    openssl = shutil.which("openssl")
    if openssl is None:
        log.warning("no `openssl` on PATH: client.key/server.key not written (needed for mTLS)")
        return
    for name in ("client", "server"):
        raw = subprocess.run(
            [openssl, "pkcs12", "-in", str(out / f"{name}-keystore.p12"), "-passin", f"pass:{pw}",
             "-nodes", "-nocerts"],
            capture_output=True, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        # `openssl pkey` drops the "Bag Attributes" preamble some PEM readers dislike.
        key = subprocess.run(
            [openssl, "pkey", "-out", str(out / f"{name}.key")],
            input=raw.stdout,
            capture_output=True,
            check=False,
        )
        if raw.returncode != 0 or key.returncode != 0:
            detail = (raw.stderr + key.stderr).decode(errors="replace")
            raise ClusterError(f"openssl could not export {name}.key:\n{detail}")
        (out / f"{name}.key").chmod(0o600)


def wipe_all(cache: Path | None = None) -> None:
    """SIGKILL our JVMs of every profile and delete ``<cache>/clusters`` (jars are kept)."""
    root = (cache or cache_root()) / "clusters"
    if not root.is_dir():
        return
    for pidfile in sorted(root.glob("*/node*/pid")):
        pid = _read_pid(pidfile)
        if pid is not None and _is_node_jvm(pid, pidfile.parent):
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while _is_node_jvm(pid, pidfile.parent) and time.monotonic() < deadline:
                time.sleep(0.1)
            log.info("killed %s (pid %d)", pidfile.parent, pid)
    shutil.rmtree(root)
    log.info("wiped %s", root)


# --------------------------------------------------------------------------- CLI


class _Terminated(Exception):
    """SIGTERM/SIGHUP received; unwinds `run` so it stops the nodes it started."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def _cluster(args: argparse.Namespace) -> TestCluster:
    return TestCluster(
        nodes=int(args.nodes),
        auth=bool(args.auth),
        tls=bool(args.tls),
        mtls=bool(args.mtls),
        timeout=float(args.timeout) if args.timeout else None,
    )


def _cmd_fetch(args: argparse.Namespace) -> int:
    tc = _cluster(args)
    began = time.monotonic()
    lib = tc.fetch()
    print(f"{lib} ({len(list(lib.glob('*.jar')))} jars, {time.monotonic() - began:.1f} s)")
    return 0


def _cmd_start(args: argparse.Namespace) -> int:
    _cluster(args).start(*args.ids)
    return 0


def _cmd_stop(args: argparse.Namespace) -> int:
    _cluster(args).stop(*args.ids, grace=float(args.grace))
    return 0


def _cmd_kill(args: argparse.Namespace) -> int:
    _cluster(args).kill(*args.ids)
    return 0


def _cmd_wait(args: argparse.Namespace) -> int:
    tc = _cluster(args)
    tc.wait(*args.ids)
    for node in tc._ids(args.ids):
        print(f"node{node} up on {tc.address(node)}:{CQL_PORT}")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    tc = _cluster(args)
    jars = "fetched" if (tc.lib_dir.parent / ".complete").is_file() else "not fetched"
    print(f"profile {tc.profile}: Cassandra {tc.version} ({jars}), {tc.cluster_dir}")
    for node in tc.node_ids:
        pid = tc.running_pid(node)
        cql = "CQL up" if tc.is_up(node) else "CQL down"
        owner = f"running, pid {pid}" if pid is not None else "stopped"
        if pid is None and cql == "CQL up":
            owner = "served by a process not started by this profile"
        print(f"  node{node} {tc.address(node)}:{CQL_PORT} jmx {tc.jmx_port(node)}: {owner}, {cql}")
    root = tc.cache / "clusters"
    others = sorted(p.parent.parent.name for p in root.glob("*/node*/pid")) if root.is_dir() else []
    for other in sorted(set(others) - {tc.profile}):
        print(f"  (profile {other} has pid files too: see `status{_profile_flags(other)}`)")
    return 0


def _cmd_wipe(args: argparse.Namespace) -> int:
    if args.all:
        wipe_all()
    else:
        _cluster(args).wipe()
    return 0


def _cmd_logs(args: argparse.Namespace) -> int:
    print(_cluster(args).log_tail(int(args.node), int(args.lines)), end="")
    return 0


def _cmd_nodetool(args: argparse.Namespace) -> int:
    tc = _cluster(args)
    tc._ids([int(args.node)])
    tc.fetch()
    rest = list(args.args)
    if rest and rest[0] == "--":
        rest = rest[1:]
    cmd = tc.nodetool_command(int(args.node), *rest)
    return _exit_code(subprocess.run(cmd, check=False).returncode)


def _cmd_env(args: argparse.Namespace) -> int:
    for key, value in _cluster(args).env().items():
        print(f"export {key}={value}")
    return 0


def _wait_child(proc: subprocess.Popen[bytes]) -> int:
    try:
        return _exit_code(proc.wait())
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the child too; let it shut down on its own first.
        try:
            proc.wait(timeout=15)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            proc.kill()
            proc.wait()
        return 130
    except _Terminated as exc:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 128 + exc.signum


def _cmd_run(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise ClusterError("run needs a command: testcluster.py run [--nodes N] -- CMD ...")
    if shutil.which(command[0]) is None:  # fail before spending seconds on a node start
        raise ClusterError(f"command not found: {command[0]}")
    tc = _cluster(args)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise _Terminated(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
    rc = 1
    try:
        tc.start()
        env = {**os.environ, **tc.env()}
        try:
            proc = subprocess.Popen(command, env=env)
        except OSError as exc:
            log.error("cannot run %s: %s", command[0], exc)
            return 127
        rc = _wait_child(proc)
    except ClusterError as exc:
        log.error("error: %s", exc)
        rc = 1
    except KeyboardInterrupt:
        rc = 130
    except _Terminated as exc:
        rc = 128 + exc.signum
    finally:
        # Stop only what this invocation started, and don't let a second Ctrl-C abort that.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        try:
            if tc.launched:
                tc.stop(*tc.launched)
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return rc


def _parser() -> argparse.ArgumentParser:
    shape = argparse.ArgumentParser(add_help=False)
    group = shape.add_argument_group("cluster shape (selects the profile)")
    group.add_argument(
        "--nodes",
        type=int,
        choices=range(1, MAX_NODES + 1),
        default=1,
        help="1..3 nodes on 127.0.0.1..3 (default 1)",
    )
    group.add_argument("--auth", action="store_true", help="PasswordAuthenticator (cassandra/...)")
    group.add_argument("--tls", action="store_true", help="client TLS on 9042 (test CA)")
    group.add_argument("--mtls", action="store_true", help="client TLS with client certificates")
    group.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"start-up timeout per node, s (default {DEFAULT_TIMEOUT:.0f})",
    )
    group.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")

    parser = argparse.ArgumentParser(
        prog="testcluster.py",
        description="Throw-away Apache Cassandra 5.0 test nodes for aiocql "
        "(cache: $AIOCQL_CACHE or ~/.cache/aiocql).",
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[shape], help=help_text, description=help_text)

    ids_help = "node ids (default: all nodes of the profile)"
    verb("fetch", "resolve the Cassandra jars with Maven (cached)").set_defaults(func=_cmd_fetch)
    p = verb("start", "start nodes and wait until they serve CQL")
    p.add_argument("ids", nargs="*", type=int, help=ids_help)
    p.set_defaults(func=_cmd_start)
    p = verb("stop", "stop nodes: SIGTERM, SIGKILL after --grace seconds")
    p.add_argument("ids", nargs="*", type=int, help=ids_help)
    p.add_argument("--grace", type=float, default=STOP_GRACE, help="seconds before SIGKILL")
    p.set_defaults(func=_cmd_stop)
    p = verb("kill", "SIGKILL nodes (crash simulation)")
    p.add_argument("ids", nargs="*", type=int, help=ids_help)
    p.set_defaults(func=_cmd_kill)
    p = verb("wait", "wait until nodes serve CQL")
    p.add_argument("ids", nargs="*", type=int, help=ids_help)
    p.set_defaults(func=_cmd_wait)
    verb("status", "show the nodes of the profile").set_defaults(func=_cmd_status)
    p = verb("wipe", "SIGKILL the profile's nodes and delete their data")
    p.add_argument("--all", action="store_true", help="every profile (jars are kept)")
    p.set_defaults(func=_cmd_wipe)
    p = verb("logs", "print the tail of a node's system.log and stdout.log")
    p.add_argument("node", type=int)
    p.add_argument("-n", "--lines", type=int, default=TAIL_LINES)
    p.set_defaults(func=_cmd_logs)
    p = verb("nodetool", "run nodetool against a node, e.g. `nodetool 1 status`")
    p.add_argument("node", type=int)
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_nodetool)
    verb("env", "print shell exports describing the cluster to tests").set_defaults(func=_cmd_env)
    p = verb("run", "ensure the cluster is up, run a command, stop what this run started")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    p.set_defaults(func=_cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="testcluster: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args))
    except ClusterError as exc:
        log.error("error: %s", exc)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
