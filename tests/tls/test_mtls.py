"""A client of a node that requires client certificates (``--mtls`` profile): a client
certificate signed by the node's CA connects; none, or an expired one, is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiocql import AsyncCluster
from aiocql.testing import CassandraCluster

from .conftest import CONNECT_TIMEOUT, profile_check, refusal


@pytest.fixture(scope="module")
def node(test_cluster: CassandraCluster) -> CassandraCluster:
    return profile_check(test_cluster, mtls=True)


async def test_a_client_certificate_of_the_nodes_ca_connects(
    node: CassandraCluster, contact_points: list[str], tls_files: dict[str, Path]
) -> None:
    options = {
        "ca_certs": str(tls_files["ca"]),
        "certfile": str(tls_files["cert"]),
        "keyfile": str(tls_files["key"]),
    }
    async with AsyncCluster(contact_points, ssl_options=options) as cluster:
        session = await cluster.connect()
        rs = await session.execute("SELECT ssl_enabled FROM system_views.clients")
        assert {row.ssl_enabled for row in rs} == {True}


@pytest.mark.parametrize(
    ("certificate", "alert"), [("none", "CertificateRequired"), ("expired", "CertificateExpired")]
)
async def test_no_or_an_expired_client_certificate_is_refused(
    node: CassandraCluster,
    contact_points: list[str],
    tls_files: dict[str, Path],
    certificate: str,
    alert: str,
) -> None:
    options: dict[str, Any] = {"ca_certs": str(tls_files["ca"])}
    if certificate == "expired":
        options |= {"certfile": tls_files["expired_cert"], "keyfile": tls_files["expired_key"]}
    error, elapsed = await refusal(contact_points, options)
    assert f"received fatal alert: {alert}" in error
    assert elapsed < CONNECT_TIMEOUT
