"""Client TLS against real TLS nodes (``make test-tls``): ``test_tls.py`` runs on the launcher's
``--tls`` profile and ``test_mtls.py`` on its ``--mtls`` profile (client certificates required).
The node-control fixtures come from ``aiocql.testing.plugin``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from aiocql import AsyncCluster, NoHostAvailable
from aiocql.testing import CassandraCluster

CONNECT_TIMEOUT = 10.0


def profile_check(test_cluster: CassandraCluster, *, mtls: bool) -> CassandraCluster:
    flag = "--mtls" if mtls else "--tls"
    if not test_cluster.profile.tls or test_cluster.profile.mtls != mtls:
        pytest.fail(
            f"this file needs the {flag} profile, not {test_cluster.name!r}: run `make test-tls` "
            f"or `python -m aiocql.testing run {flag} -- pytest <file>`",
            pytrace=False,
        )
    if not test_cluster.is_up(1):
        pytest.fail(f"{test_cluster.name}'s node does not serve CQL", pytrace=False)
    return test_cluster


@pytest.fixture(scope="session")
def tls_files(test_cluster: CassandraCluster) -> dict[str, Path]:
    """The PEM files of the launcher's test CA: ``ca``, ``other_ca``, ``cert``, ``key``,
    ``expired_cert``, ``expired_key``."""
    return test_cluster.tls_files()


async def refusal(contact_points: list[str], ssl_options: Any) -> tuple[str, float]:
    """Connect, expecting NoHostAvailable: the host's error text and how long it took."""
    began = time.monotonic()
    with pytest.raises(NoHostAvailable) as info:
        async with AsyncCluster(
            contact_points, ssl_options=ssl_options, connect_timeout=CONNECT_TIMEOUT
        ) as cluster:
            await cluster.connect()
    elapsed = time.monotonic() - began
    assert set(info.value.errors) == set(contact_points)
    return str(info.value.errors[contact_points[0]]), elapsed
