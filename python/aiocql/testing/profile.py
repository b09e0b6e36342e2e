"""What a test cluster is: its nodes, their datacenters and racks, auth and TLS, and addresses.

A :class:`Profile` names a cluster shape (``single``, ``three-auth``, ``n5-mtls``, ...). Each
profile has its own data directories and its own loopback addresses, so profiles never share
data and a node of one profile never stands in the way of another's.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ClusterError

__all__ = [
    "CQL_PORT",
    "DEFAULT_DC",
    "DEFAULT_RACK",
    "MAX_NODES",
    "PASSWORD",
    "STORAGE_PORT",
    "USERNAME",
    "Placement",
    "Profile",
    "Topology",
]

MAX_NODES = 254  # node N is 127.x.y.N
CQL_PORT = 9042
STORAGE_PORT = 7000
USERNAME = "cassandra"  # the default superuser of PasswordAuthenticator
PASSWORD = "cassandra"
DEFAULT_DC = "datacenter1"  # what SimpleSnitch reports, so drivers see no change
DEFAULT_RACK = "rack1"

_SIZE_NAMES = {1: "single", 2: "two", 3: "three"}
_NAME = re.compile(r"[A-Za-z0-9_.-]+\Z")  # safe in a .properties file and in the topology spec
_TRUE = ("1", "true", "yes")


@dataclass(frozen=True)
class Placement:
    """The datacenter and rack of one node, as its cassandra-rackdc.properties says.

    Example: ``Placement("dc2", "rack1")``. Raises ClusterError for names other than letters,
    digits, ``_``, ``.`` and ``-``.
    """

    dc: str = DEFAULT_DC
    rack: str = DEFAULT_RACK

    def __post_init__(self) -> None:
        for what, value in (("datacenter", self.dc), ("rack", self.rack)):
            if not _NAME.match(value):
                raise ClusterError(f"{what} name {value!r}: use letters, digits, '_', '.', '-'")


@dataclass(frozen=True)
class Topology:
    """Which datacenter and rack each node is in; ``placements[0]`` is node 1's.

    Example::

        Topology.parse("dc1:rack1,dc1:rack2,dc2:rack1").datacenters()
        # {'dc1': [1, 2], 'dc2': [3]}
    """

    placements: tuple[Placement, ...]

    @classmethod
    def uniform(cls, nodes: int) -> Topology:
        """Every node in ``datacenter1``/``rack1`` (the shape of every default profile)."""
        return cls((Placement(),) * nodes)

    @classmethod
    def parse(cls, spec: str) -> Topology:
        """Read ``"dc:rack,dc:rack,..."`` (one entry per node); ClusterError if malformed."""
        placements = []
        for entry in spec.split(","):
            dc, sep, rack = entry.strip().partition(":")
            if not sep:
                raise ClusterError(f"topology entry {entry!r} is not DC:RACK (in {spec!r})")
            placements.append(Placement(dc, rack))
        return cls(tuple(placements))

    def spec(self) -> str:
        """The ``"dc:rack,..."`` form that :meth:`parse` reads."""
        return ",".join(f"{p.dc}:{p.rack}" for p in self.placements)

    def __len__(self) -> int:
        return len(self.placements)

    @property
    def is_default(self) -> bool:
        """True if every node is in ``datacenter1``/``rack1``."""
        return all(p == Placement() for p in self.placements)

    def datacenters(self) -> dict[str, list[int]]:
        """Node ids per datacenter, in node order."""
        dcs: dict[str, list[int]] = {}
        for node, placement in enumerate(self.placements, start=1):
            dcs.setdefault(placement.dc, []).append(node)
        return dcs

    def tag(self) -> str:
        """A short name for a non-default topology (part of the profile name); ``""`` if default."""
        if self.is_default:
            return ""
        return f"{len(self.datacenters())}dc-{hashlib.sha256(self.spec().encode()).hexdigest()[:8]}"


@dataclass(frozen=True, init=False)
class Profile:
    """A cluster shape: node count and placement, authentication, TLS, version and heap.

    Node N of a profile listens on ``127.<variant>.<size>.<N>``, port 9042: ``variant`` is 0
    plain, 1 auth, 2 TLS, 3 auth+TLS, 4 mTLS, 5 auth+mTLS, and ``size`` is 0 for one node and
    the node count otherwise. So ``single`` is ``127.0.0.1``, ``single-auth`` is ``127.1.0.1``
    and ``three`` is ``127.0.3.1``-``127.0.3.3``. A profile with its own topology has ``size``
    128 to 254, from a hash of the topology, so that it never shares the addresses of the
    default topology's profile. Profiles that differ only in version or heap share addresses.

    ``version`` and ``heap`` None mean the defaults (the pom's version, ``1G``); they are not
    part of the name. ``mtls`` implies ``tls``. Raises ClusterError for a node count outside
    1..254 or a topology of another length.

    Example::

        Profile(3, auth=True).name                  # 'three-auth'
        Profile(5).contact_points()[-1]             # '127.0.5.5:9042'
        Profile.from_env(Profile(2, tls=True).to_env()) == Profile(2, tls=True)   # True
    """

    nodes: int
    topology: Topology
    auth: bool
    tls: bool
    mtls: bool
    version: str | None
    heap: str | None

    def __init__(
        self,
        nodes: int = 1,
        auth: bool = False,
        tls: bool = False,
        mtls: bool = False,
        *,
        topology: Topology | str | None = None,
        version: str | None = None,
        heap: str | None = None,
    ) -> None:
        if isinstance(nodes, bool) or not isinstance(nodes, int) or not 1 <= nodes <= MAX_NODES:
            raise ClusterError(f"nodes must be 1..{MAX_NODES}, not {nodes!r}")
        if isinstance(topology, str):
            topology = Topology.parse(topology)
        topology = topology or Topology.uniform(nodes)
        if len(topology) != nodes:
            raise ClusterError(f"the topology places {len(topology)} nodes, not {nodes}")
        for name, value in (
            ("nodes", nodes),
            ("topology", topology),
            ("auth", bool(auth)),
            ("tls", bool(tls or mtls)),
            ("mtls", bool(mtls)),
            ("version", version or None),
            ("heap", heap or None),
        ):
            object.__setattr__(self, name, value)

    @property
    def name(self) -> str:
        """The profile's directory name, e.g. ``single``, ``three-auth``, ``n5-mtls``."""
        parts = [_SIZE_NAMES.get(self.nodes, f"n{self.nodes}")]
        if self.auth:
            parts.append("auth")
        if self.tls:
            parts.append("mtls" if self.mtls else "tls")
        if self.topology.tag():
            parts.append(self.topology.tag())
        return "-".join(parts)

    @property
    def node_ids(self) -> list[int]:
        """``[1, ..., nodes]``."""
        return list(range(1, self.nodes + 1))

    def check_node(self, node: int) -> int:
        """Return ``node`` if the profile has it; ClusterError otherwise."""
        if node not in self.node_ids:
            raise ClusterError(f"no node {node} in profile {self.name!r} (1..{self.nodes})")
        return node

    @property
    def variant(self) -> int:
        """0 plain, 1 auth, 2 TLS, 3 auth+TLS, 4 mTLS, 5 auth+mTLS: the address's 2nd octet."""
        tls_level = 2 if self.mtls else 1 if self.tls else 0
        return int(self.auth) + 2 * tls_level

    def address(self, node: int) -> str:
        """Listen, RPC and CQL address of node N (see the class docstring)."""
        if not self.topology.is_default:
            # The topology's hash picks 128..254: away from every default profile up to 127 nodes.
            digest = hashlib.sha256(self.topology.spec().encode()).digest()
            size = 128 + int.from_bytes(digest[:2], "big") % 127
        else:
            size = 0 if self.nodes == 1 else self.nodes
        return f"127.{self.variant}.{size}.{self.check_node(node)}"

    def addresses(self) -> list[str]:
        """The address of every node, in node order."""
        return [self.address(n) for n in self.node_ids]

    def contact_points(self) -> list[str]:
        """``host:port`` of every node, e.g. ``['127.0.0.1:9042']`` for ``single``."""
        return [f"{address}:{CQL_PORT}" for address in self.addresses()]

    def placement(self, node: int) -> Placement:
        """Datacenter and rack of node N."""
        return self.topology.placements[self.check_node(node) - 1]

    def cli_flags(self) -> list[str]:
        """The ``python -m aiocql.testing`` flags that select this profile."""
        flags = [] if self.nodes == 1 else ["--nodes", str(self.nodes)]
        flags += [f"--{flag}" for flag in ("auth", "tls", "mtls") if getattr(self, flag)]
        if "--mtls" in flags:
            flags.remove("--tls")
        if not self.topology.is_default:
            flags += ["--topology", self.topology.spec()]
        return flags

    def to_env(self) -> dict[str, str]:
        """The ``AIOCQL_TEST_*`` variables describing this profile to a test process.

        ``AIOCQL_TEST_TOPOLOGY`` only for a non-default topology; ``AIOCQL_CASSANDRA_VERSION``
        and ``AIOCQL_CASSANDRA_HEAP`` only when set. :meth:`from_env` reads them back.
        """
        env = {
            "AIOCQL_TEST_PROFILE": self.name,
            "AIOCQL_TEST_NODES": str(self.nodes),
            "AIOCQL_TEST_CONTACT_POINTS": ",".join(self.contact_points()),
            "AIOCQL_TEST_AUTH": "1" if self.auth else "0",
            "AIOCQL_TEST_TLS": "1" if self.tls else "0",
            "AIOCQL_TEST_MTLS": "1" if self.mtls else "0",
        }
        if not self.topology.is_default:
            env["AIOCQL_TEST_TOPOLOGY"] = self.topology.spec()
        if self.auth:
            env["AIOCQL_TEST_USERNAME"] = USERNAME
            env["AIOCQL_TEST_PASSWORD"] = PASSWORD
        if self.version:
            env["AIOCQL_CASSANDRA_VERSION"] = self.version
        if self.heap:
            env["AIOCQL_CASSANDRA_HEAP"] = self.heap
        return env

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Profile:
        """The profile that :meth:`to_env` described (default ``os.environ``; default ``single``).

        Raises ClusterError if ``AIOCQL_TEST_NODES`` is not a number, the topology is malformed,
        or ``AIOCQL_TEST_PROFILE`` names another profile than the other variables describe.
        """
        env = os.environ if env is None else env
        spec = env.get("AIOCQL_TEST_TOPOLOGY") or None
        default_nodes = str(len(Topology.parse(spec))) if spec else "1"
        raw_nodes = env.get("AIOCQL_TEST_NODES", default_nodes)
        try:
            nodes = int(raw_nodes)
        except ValueError:
            raise ClusterError(f"AIOCQL_TEST_NODES={raw_nodes!r} is not a number") from None
        profile = cls(
            nodes,
            auth=env.get("AIOCQL_TEST_AUTH", "0").lower() in _TRUE,
            tls=env.get("AIOCQL_TEST_TLS", "0").lower() in _TRUE,
            mtls=env.get("AIOCQL_TEST_MTLS", "0").lower() in _TRUE,
            topology=spec,
            version=env.get("AIOCQL_CASSANDRA_VERSION"),
            heap=env.get("AIOCQL_CASSANDRA_HEAP"),
        )
        named = env.get("AIOCQL_TEST_PROFILE")
        if named and named != profile.name:
            raise ClusterError(
                f"AIOCQL_TEST_PROFILE={named} but the other AIOCQL_TEST_* variables describe "
                f"profile {profile.name!r}"
            )
        return profile
