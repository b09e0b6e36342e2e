"""A client of a TLS-only node (``--tls`` profile): the right CA connects, over TLS 1.3 unless
told otherwise; a wrong CA, a wrong name, an expired certificate and a plaintext client are
each refused, within the connect timeout, with an error that says why."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aiocql import AsyncCluster
from aiocql.testing import CassandraCluster

from .conftest import CONNECT_TIMEOUT, profile_check, refusal


@pytest.fixture(scope="module")
def node(test_cluster: CassandraCluster) -> CassandraCluster:
    return profile_check(test_cluster, mtls=False)


async def tls_of_connections(contact_points: list[str], ssl_options: Any) -> set[tuple[Any, ...]]:
    """What the node reports of this client's connections: (ssl_enabled, protocol)."""
    async with AsyncCluster(contact_points, ssl_options=ssl_options) as cluster:
        session = await cluster.connect()
        rs = await session.execute(
            "SELECT ssl_enabled, ssl_protocol, driver_name FROM system_views.clients"
        )
        return {(row.ssl_enabled, row.ssl_protocol) for row in rs}


async def test_the_right_ca_connects_over_tls_13(
    node: CassandraCluster, contact_points: list[str], tls_files: dict[str, Path]
) -> None:
    seen = await tls_of_connections(contact_points, {"ca_certs": str(tls_files["ca"])})
    assert seen == {(True, "TLSv1.3")}


async def test_ssl_version_tlsv1_2_keeps_to_tls_12(
    node: CassandraCluster, contact_points: list[str], tls_files: dict[str, Path]
) -> None:
    options = {"ca_certs": tls_files["ca"], "ssl_version": ssl.PROTOCOL_TLSv1_2}
    assert await tls_of_connections(contact_points, options) == {(True, "TLSv1.2")}


async def test_cert_none_encrypts_without_verifying(
    node: CassandraCluster, contact_points: list[str]
) -> None:
    seen = await tls_of_connections(contact_points, {"cert_reqs": ssl.CERT_NONE})
    assert seen == {(True, "TLSv1.3")}


async def test_a_certificate_of_another_authority_is_refused(
    node: CassandraCluster, contact_points: list[str], tls_files: dict[str, Path]
) -> None:
    error, elapsed = await refusal(contact_points, {"ca_certs": str(tls_files["other_ca"])})
    assert "invalid peer certificate: UnknownIssuer" in error
    assert elapsed < CONNECT_TIMEOUT


async def test_check_hostname_false_still_checks_the_authority(
    node: CassandraCluster, contact_points: list[str], tls_files: dict[str, Path]
) -> None:
    options = {"ca_certs": str(tls_files["other_ca"]), "check_hostname": False}
    error, _ = await refusal(contact_points, options)
    assert "invalid peer certificate: UnknownIssuer" in error


async def test_a_certificate_for_another_name_is_refused(
    node: CassandraCluster, contact_points: list[str], tls_files: dict[str, Path]
) -> None:
    options = {"ca_certs": str(tls_files["ca"]), "server_hostname": "db.example.com"}
    error, _ = await refusal(contact_points, options)
    assert 'certificate not valid for name "db.example.com"' in error
    # The node's certificate names its address and localhost, which server_hostname may give.
    options["server_hostname"] = "localhost"
    assert await tls_of_connections(contact_points, options) == {(True, "TLSv1.3")}


@pytest.fixture
def expired_server(node: CassandraCluster) -> Iterator[None]:
    node.serve_expired_certificate(1)
    try:
        yield
    finally:
        node.serve_expired_certificate(1, expired=False)


async def test_an_expired_server_certificate_is_refused(
    expired_server: None, contact_points: list[str], tls_files: dict[str, Path]
) -> None:
    error, _ = await refusal(contact_points, {"ca_certs": str(tls_files["ca"])})
    assert "invalid peer certificate: certificate expired" in error
    # check_hostname=False skips the name only: the dates are still checked.
    options = {"ca_certs": str(tls_files["ca"]), "check_hostname": False}
    error, _ = await refusal(contact_points, options)
    assert "certificate expired" in error


async def test_a_plaintext_client_is_refused_within_the_connect_timeout(
    node: CassandraCluster, contact_points: list[str]
) -> None:
    error, elapsed = await refusal(contact_points, None)
    assert "Connection broken" in error or "Connection reset" in error, error
    assert elapsed < CONNECT_TIMEOUT
