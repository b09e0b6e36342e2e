"""Where the files of a profile and of its nodes live under the cache root.

``<cache>/clusters/<profile>/`` holds ``profile.env`` (the profile's ``AIOCQL_TEST_*``
variables), ``tls/`` (the profile's server certificates) and one ``node<N>/`` per node with
``conf/``, ``data/``, ``commitlog/``, ``hints/``, ``saved_caches/``, ``cdc_raw/``, ``logs/``,
``triggers/``, ``tmp/`` and the ``pid`` and ``jmx-port`` files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ClusterLayout", "NodeLayout", "clusters_root"]

_NODE_SUBDIRS = ("conf", "data", "commitlog", "hints", "saved_caches", "cdc_raw", "logs",
                 "triggers", "tmp")  # fmt: skip
SYSTEM_LOG = "system.log"
STDOUT_LOG = "stdout.log"


def clusters_root(cache: Path) -> Path:
    """``<cache>/clusters``: one directory per profile."""
    return cache / "clusters"


@dataclass(frozen=True)
class NodeLayout:
    """The files of one node. Example: ``NodeLayout(Path("/c/clusters/single/node1")).pidfile``."""

    dir: Path

    @property
    def conf(self) -> Path:
        """``conf/``: cassandra.yaml, cassandra-rackdc.properties, logback.xml, and for TLS
        profiles server.pem."""
        return self.dir / "conf"

    @property
    def logs(self) -> Path:
        """``logs/``: system.log (Cassandra's INFO log) and stdout.log (JVM output)."""
        return self.dir / "logs"

    @property
    def system_log(self) -> Path:
        """``logs/system.log``."""
        return self.logs / SYSTEM_LOG

    @property
    def stdout_log(self) -> Path:
        """``logs/stdout.log``."""
        return self.logs / STDOUT_LOG

    @property
    def pidfile(self) -> Path:
        """``pid``: the JVM's pid while it runs."""
        return self.dir / "pid"

    @property
    def jmx_port_file(self) -> Path:
        """``jmx-port``: the JMX port picked at the last start."""
        return self.dir / "jmx-port"

    @property
    def start_offset_file(self) -> Path:
        """``start-offset``: sizes of the two logs when the node was last started."""
        return self.dir / "start-offset"

    @property
    def tmp(self) -> Path:
        """``tmp/``: the JVM's java.io.tmpdir, emptied on every start."""
        return self.dir / "tmp"

    @property
    def cds_partial(self) -> Path:
        """Where a JVM dumps its class-data archive at exit, before it is published."""
        return self.dir / "cds.jsa.partial"

    def make_dirs(self) -> None:
        """Create every directory a node needs (existing ones are kept)."""
        for sub in _NODE_SUBDIRS:
            (self.dir / sub).mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class ClusterLayout:
    """The files of one profile. Example: ``ClusterLayout(cache, "three").node(2).dir``."""

    cache: Path
    profile: str

    @property
    def dir(self) -> Path:
        """``<cache>/clusters/<profile>``."""
        return clusters_root(self.cache) / self.profile

    @property
    def profile_env(self) -> Path:
        """``profile.env``: the profile's variables, so other profiles can name it."""
        return self.dir / "profile.env"

    @property
    def lock(self) -> Path:
        """Lock file serialising starts of this profile."""
        return self.dir / ".lock"

    @property
    def server_tls(self) -> Path:
        """``tls/``: the valid and the expired server certificate for this profile's addresses."""
        return self.dir / "tls"

    @property
    def shared_tls(self) -> Path:
        """``<cache>/tls``: the test CA and the client certificate, shared by all profiles."""
        return self.cache / "tls"

    def node(self, node: int) -> NodeLayout:
        """The files of node N."""
        return NodeLayout(self.dir / f"node{node}")
