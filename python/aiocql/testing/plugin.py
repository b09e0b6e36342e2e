"""pytest plugin: fixtures that find and control the running test cluster.

Opt in with ``-p aiocql.testing.plugin`` (command line or ``addopts``); it is not registered
as an entry point, so installing aiocql loads nothing into anyone's pytest. The cluster is the
one ``python -m aiocql.testing run`` describes in the ``AIOCQL_TEST_*`` variables (default:
the ``single`` profile on 127.0.0.1:9042).

Fixtures:
- ``contact_points`` (session): ``host:port`` of the nodes (``$AIOCQL_TEST_CONTACT_POINTS``,
  else the profile's); fails every test that uses it if the first one does not accept TCP.
- ``test_cluster`` (session): the :class:`~aiocql.testing.CassandraCluster` of that profile,
  for pids, logs and nodetool.
- ``paused_node``: ``with paused_node(1): ...`` freezes node 1's JVM (SIGSTOP) for the block, so
  that it answers nothing without closing its sockets; it resumes on exit, and at teardown.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator

import pytest

from .cluster import CassandraCluster
from .errors import ClusterError
from .node import Node
from .profile import Profile

__all__ = ["contact_points", "paused_node", "test_cluster"]

PausedNode = Callable[[int], contextlib.AbstractContextManager[None]]


def _contact_points() -> list[str]:
    raw = os.environ.get("AIOCQL_TEST_CONTACT_POINTS")
    if raw is None:
        return Profile.from_env().contact_points()
    return [p.strip() for p in raw.split(",") if p.strip()]


def pytest_report_header(config: pytest.Config) -> str:
    """Which profile and contact points the run uses."""
    profile = os.environ.get("AIOCQL_TEST_PROFILE", "single")
    return f"aiocql.testing: profile {profile}, contact points {','.join(_contact_points())}"


@pytest.fixture(scope="session")
def contact_points() -> list[str]:
    """The running test cluster's contact points (``host:port``)."""
    points = _contact_points()
    host, _, port = points[0].rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=3):
            return points
    except OSError as exc:
        pytest.fail(
            f"no Cassandra at {points[0]} ({exc}). Integration tests need a real node: run "
            "`make test`, or `python -m aiocql.testing run -- pytest tests/integration`",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def test_cluster(contact_points: list[str]) -> CassandraCluster:
    """The launcher's view of the running cluster: pids, logs, nodetool."""
    return CassandraCluster.from_env()


@pytest.fixture
def paused_node(test_cluster: CassandraCluster) -> Iterator[PausedNode]:
    """``with paused_node(1): ...`` freezes node 1's JVM (SIGSTOP) so that it stops answering
    without closing its sockets, as a hung or GC-paused server does; it resumes on exit."""
    paused: set[Node] = set()

    @contextlib.contextmanager
    def pause(index: int) -> Iterator[None]:
        try:
            node = test_cluster.node(index)
            node.pause()
        except ClusterError as exc:
            pytest.fail(str(exc), pytrace=False)
        paused.add(node)
        try:
            yield
        finally:
            node.resume()
            paused.discard(node)

    yield pause
    for node in paused:  # never leave a frozen node behind
        node.resume()
