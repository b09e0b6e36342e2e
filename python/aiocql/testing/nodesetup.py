"""What the nodes of one cluster share, and what must exist before any of them starts."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from .distribution import cds_archive, fetch, lib_dir
from .layout import ClusterLayout
from .profile import Profile
from .tls import client_context, ensure_server
from .toolchain import require_java

__all__ = ["NodeSetup"]


@dataclass(frozen=True)
class NodeSetup:
    """What every node of a cluster shares: the profile (version and heap set), where its
    files live, and the start-up timeout per node in seconds."""

    profile: Profile
    layout: ClusterLayout
    timeout: float

    @property
    def version(self) -> str:
        """The Cassandra version the nodes run."""
        assert self.profile.version is not None, "NodeSetup needs a profile with its version set"
        return self.profile.version

    @property
    def heap(self) -> str:
        """``-Xms``/``-Xmx`` of each node."""
        assert self.profile.heap is not None, "NodeSetup needs a profile with its heap set"
        return self.profile.heap

    @property
    def lib(self) -> Path:
        """The directory of the Cassandra jars."""
        return lib_dir(self.layout.cache, self.version)

    def cds_archive(self) -> Path | None:
        """The AppCDS archive nodes map (or the first one dumps), None if disabled."""
        return cds_archive(self.layout.cache, self.version, self.heap)

    def prepare(self) -> None:
        """Make what any node start needs: the jars (Maven on first use), a JDK 17, and for
        TLS profiles the certificates. ClusterError if one of them cannot be had."""
        fetch(self.layout.cache, self.version)
        require_java()
        if self.profile.tls:
            ensure_server(self.layout.cache, self.layout.server_tls, self.profile.addresses())

    def ssl_context(self) -> ssl.SSLContext | None:
        """Client SSL context for the profile's nodes; None without TLS."""
        if not self.profile.tls:
            return None
        return client_context(self.layout.shared_tls, self.profile.mtls)

    def probe_context(self) -> ssl.SSLContext | None:
        """:meth:`ssl_context` without the check of validity dates, for the launcher's own
        probes: a node told to serve its expired certificate is still up. None without TLS."""
        if not self.profile.tls:
            return None
        return client_context(self.layout.shared_tls, self.profile.mtls, check_time=False)
