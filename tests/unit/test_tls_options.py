"""``ssl_options``: every key is checked and every file read when AsyncCluster is constructed,
so a bad TLS setting raises ConfigurationError naming the key, before any connection."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
import trustme

from aiocql import AsyncCluster, ConfigurationError


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def files(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA, a client certificate and its key, and a key of another certificate, in PEM."""
    out = tmp_path_factory.mktemp("tls")
    client = ca.issue_cert("client@example.com")
    other = trustme.CA().issue_cert("other@example.com")
    paths = {
        "ca": out / "ca.pem",
        "cert": out / "client.pem",
        "key": out / "client.key",
        "both": out / "client-and-key.pem",
        "other_key": out / "other.key",
        "empty": out / "empty.pem",
    }
    ca.cert_pem.write_to_path(str(paths["ca"]))
    client.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    client.private_key_pem.write_to_path(str(paths["key"]))
    client.private_key_and_cert_chain_pem.write_to_path(str(paths["both"]))
    other.private_key_pem.write_to_path(str(paths["other_key"]))
    paths["empty"].write_text("not a certificate\n")
    return paths


def cluster(**ssl_options: Any) -> AsyncCluster:
    return AsyncCluster(["127.0.0.1"], ssl_options=ssl_options)


def test_valid_settings_are_accepted(files: dict[str, Path]) -> None:
    cluster(ca_certs=str(files["ca"]))
    cluster(ca_certs=files["ca"], certfile=files["cert"], keyfile=files["key"])
    cluster(ca_certs=str(files["ca"]), certfile=str(files["both"]))  # key in the cert file
    cluster(ca_certs=str(files["ca"]), check_hostname=False)
    cluster(ca_certs=str(files["ca"]), server_hostname="db.example.com")
    cluster(ca_certs=str(files["ca"]), cert_reqs=ssl.CERT_REQUIRED)
    cluster(ca_certs=str(files["ca"]), cert_reqs=ssl.CERT_OPTIONAL)
    cluster(cert_reqs=ssl.CERT_NONE)
    for version in (ssl.PROTOCOL_TLS_CLIENT, ssl.PROTOCOL_TLS, ssl.PROTOCOL_TLSv1_2):
        cluster(ca_certs=str(files["ca"]), ssl_version=version)


def test_without_ca_certs_the_system_trust_store_is_used() -> None:
    # The test machine has a system trust store (ca-certificates), so this is accepted.
    cluster()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ca_cert": "x"}, r"unknown ssl_options key 'ca_cert'; aiocql accepts ca_certs, "),
        ({"ca_certs": 1}, r"ssl_options\['ca_certs'\] must be a path .*got int"),
        ({"cert_reqs": True}, r"ssl_options\['cert_reqs'\] must be one of the ssl module"),
        ({"cert_reqs": 7}, r"ssl_options\['cert_reqs'\] must be ssl.CERT_REQUIRED"),
        ({"check_hostname": "yes"}, r"ssl_options\['check_hostname'\] must be True or False"),
        ({"server_hostname": 1}, r"ssl_options\['server_hostname'\] must be a str"),
        ({"ssl_version": ssl.PROTOCOL_TLS_SERVER}, r"ssl_version'\] must be ssl.PROTOCOL_TLS_"),
        ({"ssl_version": 3}, r"TLS 1.0 and 1.1 are not supported"),
        ({"cert_reqs": ssl.CERT_NONE, "check_hostname": True}, r"CERT_NONE cannot be combined"),
        (
            {"check_hostname": False, "server_hostname": "db"},
            r"server_hostname'\] names what .* needs check_hostname=True",
        ),
        ({"keyfile": "client.key"}, r"ssl_options\['keyfile'\] needs ssl_options\['certfile'\]"),
        ({"ca_certs": "/nonexistent/ca.pem"}, r"ssl_options\['ca_certs'\]: cannot read .*ca.pem"),
    ],
)
def test_bad_settings_raise_naming_the_key(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        cluster(**options)


def test_files_are_read_and_checked(files: dict[str, Path]) -> None:
    with pytest.raises(ConfigurationError, match=r"\['ca_certs'\]: .*empty.pem has no PEM cert"):
        cluster(ca_certs=str(files["empty"]))
    with pytest.raises(ConfigurationError, match=r"\['certfile'\]: .*client.pem has no private"):
        cluster(ca_certs=str(files["ca"]), certfile=str(files["cert"]))
    with pytest.raises(ConfigurationError, match=r"\['keyfile'\] does not fit .*\['certfile'\]"):
        cluster(ca_certs=str(files["ca"]), certfile=files["cert"], keyfile=files["other_key"])
    with pytest.raises(ConfigurationError, match=r"\['keyfile'\]: no private key read from"):
        cluster(ca_certs=str(files["ca"]), certfile=files["cert"], keyfile=files["ca"])
    with pytest.raises(ConfigurationError, match=r"ca_certs is not used with cert_reqs=ssl\.CERT"):
        cluster(ca_certs=str(files["ca"]), cert_reqs=ssl.CERT_NONE)


def test_an_encrypted_key_is_refused_with_what_aiocql_reads(
    ca: trustme.CA, files: dict[str, Path], tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(files["key"].read_bytes(), password=None)
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    with pytest.raises(ConfigurationError, match="unencrypted PEM keys"):
        cluster(ca_certs=str(files["ca"]), certfile=files["cert"], keyfile=encrypted)


def test_ssl_options_must_be_a_dict() -> None:
    with pytest.raises(ConfigurationError, match=r"ssl_options must be a dict such as"):
        AsyncCluster(ssl_options=ssl.create_default_context())
    with pytest.raises(ConfigurationError, match=r"Python ssl.SSLContext; give the same files"):
        AsyncCluster(ssl_context=ssl.create_default_context())
