"""A TLS client against the plain test node, which does not speak TLS: it fails within the
connect timeout with a clear error, instead of hanging. (Clients of TLS nodes are tested
in tests/tls, on the launcher's TLS profiles.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import trustme

from aiocql import AsyncCluster, NoHostAvailable

CONNECT_TIMEOUT = 5.0


async def test_a_tls_client_fails_fast_against_a_node_without_tls(
    contact_points: list[str], tmp_path: Path
) -> None:
    ca = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(ca))
    began = time.monotonic()
    with pytest.raises(NoHostAvailable) as info:
        async with AsyncCluster(
            contact_points, ssl_options={"ca_certs": str(ca)}, connect_timeout=CONNECT_TIMEOUT
        ) as cluster:
            await cluster.connect()
    elapsed = time.monotonic() - began
    error = str(info.value.errors[contact_points[0]])
    # The node's plaintext answer to the TLS greeting is not TLS: refused at once.
    assert "received corrupt message of type InvalidContentType" in error
    assert elapsed < CONNECT_TIMEOUT
