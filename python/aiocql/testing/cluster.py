"""A test cluster: the N nodes of one profile, started, stopped and described together."""

from __future__ import annotations

import logging
import os
import signal
import ssl
import time
from collections.abc import Iterable
from pathlib import Path

from .distribution import cassandra_version, fetch, lib_dir
from .layout import ClusterLayout, clusters_root
from .node import STOP_GRACE, Node, terminate
from .nodesetup import NodeSetup
from .process import wipe_tree
from .profile import USERNAME, Profile
from .registry import listen_address, record_profile
from .tls import ensure_server
from .toolchain import cache_root, file_lock

__all__ = ["DEFAULT_HEAP", "DEFAULT_TIMEOUT", "CassandraCluster", "TestCluster", "wipe_all"]

log = logging.getLogger("aiocql.testing")

DEFAULT_HEAP = "1G"
DEFAULT_TIMEOUT = 180.0


def _resolve(profile: Profile) -> Profile:
    """The profile with its version and heap defaults filled in."""
    return Profile(
        profile.nodes,
        profile.auth,
        profile.tls,
        profile.mtls,
        topology=profile.topology,
        version=profile.version or cassandra_version(),
        heap=profile.heap or os.environ.get("AIOCQL_CASSANDRA_HEAP") or DEFAULT_HEAP,
    )


class CassandraCluster:
    """The local Cassandra nodes of one :class:`Profile`, in ``<cache>/clusters/<profile>``.

    ``timeout`` (default ``$AIOCQL_CASSANDRA_TIMEOUT`` or 180 s) bounds each node's start.
    Nodes this object started are in :attr:`launched`; nodes found serving CQL without
    having been started by the profile are in :attr:`external` and never stopped by it.

    Example::

        cluster = CassandraCluster(Profile(3, auth=True))   # or CassandraCluster.from_env()
        cluster.start()                  # all nodes; returns the ids it started
        cluster.kill(2); cluster.start(2)
        print(cluster.contact_points())  # ['127.1.3.1:9042', '127.1.3.2:9042', ...]
        cluster.stop()
    """

    __test__ = False  # not a pytest test class, despite the alias's name

    def __init__(
        self,
        profile: Profile | None = None,
        *,
        cache: Path | str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.profile = _resolve(profile or Profile())
        self.cache = Path(cache).expanduser().resolve() if cache else cache_root()
        env_timeout = os.environ.get("AIOCQL_CASSANDRA_TIMEOUT")
        self.timeout = timeout or (float(env_timeout) if env_timeout else DEFAULT_TIMEOUT)
        self.layout = ClusterLayout(self.cache, self.profile.name)
        setup = NodeSetup(self.profile, self.layout, self.timeout)
        self.nodes = tuple(Node(setup, n) for n in self.profile.node_ids)
        self._setup = setup

    @classmethod
    def from_env(cls, *, cache: Path | str | None = None) -> CassandraCluster:
        """The cluster that ``python -m aiocql.testing run`` describes in ``AIOCQL_TEST_*``
        (default: ``single``). ClusterError if those variables are inconsistent."""
        return cls(Profile.from_env(), cache=cache)

    def __repr__(self) -> str:
        return f"CassandraCluster(profile={self.profile.name!r}, cache={str(self.cache)!r})"

    # ---- nodes and addresses

    @property
    def name(self) -> str:
        """The profile's name."""
        return self.profile.name

    @property
    def node_ids(self) -> list[int]:
        """``[1, ..., N]``."""
        return self.profile.node_ids

    def node(self, node: int) -> Node:
        """Node N; ClusterError if the profile has no such node."""
        return self.nodes[self.profile.check_node(node) - 1]

    def select(self, ids: Iterable[int]) -> list[Node]:
        """The nodes with these ids in id order, or every node if ``ids`` is empty."""
        chosen = sorted(set(ids))
        return [self.node(n) for n in chosen] if chosen else list(self.nodes)

    @property
    def launched(self) -> set[int]:
        """Ids of the nodes this object started and has not stopped."""
        return {n.index for n in self.nodes if n.launched}

    @property
    def external(self) -> set[int]:
        """Ids of the nodes served by a CQL server the profile did not start."""
        return {n.index for n in self.nodes if n.external}

    def address(self, node: int) -> str:
        """Address of node N."""
        return self.node(node).address

    def contact_points(self) -> list[str]:
        """``host:port`` of every node."""
        return self.profile.contact_points()

    def node_dir(self, node: int) -> Path:
        """Directory of node N."""
        return self.node(node).dir

    @property
    def lib_dir(self) -> Path:
        """Where :meth:`fetch` puts the jars."""
        return lib_dir(self.cache, self.profile.version or cassandra_version())

    # ---- set-up

    def fetch(self) -> Path:
        """Make sure the jars are there (Maven on first use); returns the lib dir."""
        return fetch(self.cache, self.profile.version or cassandra_version())

    def make_tls(self) -> Path:
        """Create the CA, client and this profile's server certificates if missing or stale;
        returns the directory of the shared CA and client files (see :meth:`tls_files`).
        ClusterError if trustme is not installed."""
        ensure_server(self.cache, self.layout.server_tls, self.profile.addresses())
        return self.layout.shared_tls

    def tls_files(self) -> dict[str, Path]:
        """PEM files for clients, in ``<cache>/tls`` (made by :meth:`make_tls` or a start):

        - ``ca``: the test CA; trust it.
        - ``cert``, ``key``: a client certificate signed by the CA and its key (mTLS).
        - ``other_ca``: an unrelated CA; a client trusting only it refuses every node.
        - ``expired_cert``, ``expired_key``: a client certificate signed by the CA that expired
          on 2020-01-02, and its key; an mTLS node refuses it.

        Keys are unencrypted PKCS#8. Example: ``ssl.create_default_context(cafile=files["ca"])``.
        """
        tls = self.layout.shared_tls
        return {
            "ca": tls / "ca.crt",
            "cert": tls / "client.crt",
            "key": tls / "client.key",
            "other_ca": tls / "other-ca.crt",
            "expired_cert": tls / "expired-client.crt",
            "expired_key": tls / "expired-client.key",
        }

    def env(self) -> dict[str, str]:
        """Environment variables describing this cluster to a test process."""
        env = {"AIOCQL_CACHE": str(self.cache), **self.profile.to_env()}
        if self.profile.tls:
            files = self.tls_files()
            env["AIOCQL_TEST_TLS_CA"] = str(files["ca"])
            if self.profile.mtls:
                env["AIOCQL_TEST_TLS_CERT"] = str(files["cert"])
                env["AIOCQL_TEST_TLS_KEY"] = str(files["key"])
        return env

    def ssl_context(self) -> ssl.SSLContext | None:
        """Client SSL context trusting the test CA (with the client cert for mTLS), or None."""
        return self._setup.ssl_context()

    # ---- start, wait, stop

    def start(self, *ids: int, wait: bool = True) -> list[int]:
        """Start nodes (default all) one after another; returns the ids actually started.

        A node already running, or served by a foreign CQL server, is left as it is. With
        ``wait``, returns once each serves CQL, and with auth once a login works on each
        (checked after all are up: with several nodes, system_auth needs a quorum).
        Raises ClusterError (see :meth:`Node.start`).
        """
        chosen = self.select(ids)
        self._setup.prepare()
        started: list[int] = []
        with file_lock(self.layout.lock):
            self._drop_data_of_other_addresses()
            record_profile(self.layout, self.profile)
            for node in chosen:
                if node.start_locked(wait):
                    started.append(node.index)
            if wait and self.profile.auth:
                began = time.monotonic()
                for node in chosen:
                    node.wait_login()
                names = ", ".join(n.name for n in chosen)
                log.info(
                    "login as %s works on %s (%.1f s)", USERNAME, names, time.monotonic() - began
                )
        return started

    def _drop_data_of_other_addresses(self) -> None:
        """Wipe nodes that last ran on other addresses (under an older address scheme):
        their system tables would make them look for their old peers."""
        for node in self.nodes:
            if listen_address(node.layout) not in (None, node.address) and not node.is_running():
                log.warning("%s of %s last ran on another address; wiping it", node.name, self.name)
                wipe_tree(node.dir, [node.dir])

    def wait(self, *ids: int, timeout: float | None = None) -> None:
        """Wait until nodes (default all) serve CQL and, with auth, accept a login."""
        chosen = self.select(ids)
        for node in chosen:
            node.wait(timeout)
        if self.profile.auth:
            for node in chosen:
                node.wait_login(timeout)

    def stop(self, *ids: int, grace: float = STOP_GRACE) -> None:
        """Graceful stop of nodes (default all): SIGTERM, SIGKILL after ``grace`` seconds."""
        terminate(self.select(ids), signal.SIGTERM, grace)

    def kill(self, *ids: int) -> None:
        """Crash nodes (default all): SIGKILL, then wait until they are gone."""
        terminate(self.select(ids), signal.SIGKILL)

    def wipe(self) -> None:
        """SIGKILL the profile's nodes and delete its directory (data, logs, certificates)."""
        wipe_tree(self.layout.dir, (n.dir for n in self.nodes))

    # ---- per-node shortcuts

    def running_pid(self, node: int) -> int | None:
        """Pid of node N's live JVM, or None."""
        return self.node(node).pid()

    def is_running(self, node: int) -> bool:
        """True if node N's JVM is alive."""
        return self.node(node).is_running()

    def is_up(self, node: int) -> bool:
        """True if node N answers a CQL handshake."""
        return self.node(node).is_up()

    def jmx_port(self, node: int) -> int | None:
        """JMX port of node N (picked at its last start), or None."""
        return self.node(node).jmx_port

    def log_tail(self, node: int, lines: int = 60, since_start: bool = False) -> str:
        """Tails of node N's system.log and stdout.log."""
        return self.node(node).log_tail(lines, since_start)

    def serve_expired_certificate(self, node: int, expired: bool = True) -> None:
        """Make node N present an expired server certificate (signed by the test CA, for the
        profile's addresses) to new connections, or with ``expired=False`` the valid one
        again, by ``nodetool reloadssl`` and without a restart; returns once a handshake shows
        it. A restart of the node serves the valid one again. ClusterError without TLS or if
        the node is not running (see :meth:`Node.serve_expired_certificate`).

        Example::

            cluster.serve_expired_certificate(1)
            try:
                ...  # a client verifying against tls_files()["ca"] is refused by node 1
            finally:
                cluster.serve_expired_certificate(1, expired=False)
        """
        self.node(node).serve_expired_certificate(expired)

    def nodetool(self, node: int, *args: str, timeout: float = 120.0) -> str:
        """Run nodetool against node N; returns its output, ClusterError on failure."""
        self.fetch()
        return self.node(node).nodetool(*args, timeout=timeout)


TestCluster = CassandraCluster


def wipe_all(cache: Path | None = None) -> None:
    """SIGKILL the nodes of every profile and delete ``<cache>/clusters`` (jars are kept).

    Example: ``wipe_all()``; the next ``start`` of any profile begins with empty data.
    """
    root = clusters_root(cache or cache_root())
    wipe_tree(root, root.glob("*/node*"))
