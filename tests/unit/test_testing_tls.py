"""The TLS material of TLS profiles (aiocql.testing.tls): what the certificates say, checked
with cryptography, and what they do, in handshakes between Python's ssl client and server
through memory buffers. No Cassandra node is started here."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

from aiocql.testing import CassandraCluster, ClusterError, Profile
from aiocql.testing.tls import (
    EXPIRED_SERVER_PEM,
    SERVER_PEM,
    client_context,
    ensure_ca,
    ensure_server,
    serve_pem,
)

PROFILE = Profile(3, tls=True)


@dataclass(frozen=True)
class Material:
    cache: Path
    ca_dir: Path
    server_dir: Path


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Material:
    cache = tmp_path_factory.mktemp("cache")
    server_dir = ensure_server(
        cache, cache / "clusters" / PROFILE.name / "tls", PROFILE.addresses()
    )
    return Material(cache, cache / "tls", server_dir)


def cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def public(item: x509.Certificate) -> bytes:
    return item.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def handshake(server: ssl.SSLContext, client: ssl.SSLContext, hostname: str) -> None:
    """A whole TLS handshake between two contexts; raises the SSLError of the side that fails."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client.wrap_bio(to_client, to_server, server_hostname=hostname)
    s = server.wrap_bio(to_server, to_client, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(10):
        for name, side in (("client", c), ("server", s)):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        if all(done.values()):
            # TLS 1.3 servers check the client's certificate after the client has finished.
            c.write(b"ping")
            assert s.read(4) == b"ping"
            return
    raise AssertionError(f"handshake stalled: {done}")


def server_context(material: Material, pem: str, mutual: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(material.server_dir / pem))
    if mutual:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(str(material.ca_dir / "ca.crt"))
    return ctx


@pytest.mark.parametrize("pem", [SERVER_PEM, EXPIRED_SERVER_PEM])
def test_server_certificates_name_every_node_address_and_localhost(
    material: Material, pem: str
) -> None:
    sans = cert(material.server_dir / pem).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    ips = sans.value.get_values_for_type(x509.IPAddress)
    assert ips == [ipaddress.ip_address(a) for a in PROFILE.addresses()]
    assert sans.value.get_values_for_type(x509.DNSName) == ["localhost"]


@pytest.mark.parametrize(
    "path",
    [
        "tls/client.crt",
        "tls/expired-client.crt",
        f"server/{SERVER_PEM}",
        f"server/{EXPIRED_SERVER_PEM}",
    ],
)
def test_certificates_chain_to_the_ca_and_not_to_the_other_ca(
    material: Material, path: str
) -> None:
    where, name = path.split("/")
    leaf = cert((material.ca_dir if where == "tls" else material.server_dir) / name)
    leaf.verify_directly_issued_by(cert(material.ca_dir / "ca.crt"))
    with pytest.raises(ValueError, match="subject does not match"):
        leaf.verify_directly_issued_by(cert(material.ca_dir / "other-ca.crt"))


def test_the_other_ca_is_an_unrelated_ca(material: Material) -> None:
    ca, other = cert(material.ca_dir / "ca.crt"), cert(material.ca_dir / "other-ca.crt")
    assert other.subject != ca.subject
    assert public(other) != public(ca)
    assert other.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_expired_certificates_are_expired_and_the_others_are_not(material: Material) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    for path in (material.ca_dir / "expired-client.crt", material.server_dir / EXPIRED_SERVER_PEM):
        assert cert(path).not_valid_after_utc < now
    for path in (material.ca_dir / "ca.crt", material.ca_dir / "client.crt"):
        assert cert(path).not_valid_before_utc < now < cert(path).not_valid_after_utc
    assert now < cert(material.server_dir / SERVER_PEM).not_valid_after_utc


@pytest.mark.parametrize(
    ("key", "certificate"),
    [
        ("tls/client.key", "tls/client.crt"),
        ("tls/expired-client.key", "tls/expired-client.crt"),
        (f"server/{SERVER_PEM}", f"server/{SERVER_PEM}"),
        (f"server/{EXPIRED_SERVER_PEM}", f"server/{EXPIRED_SERVER_PEM}"),
    ],
)
def test_keys_are_private_unencrypted_pkcs8_and_match_their_certificates(
    material: Material, key: str, certificate: str
) -> None:
    dirs = {"tls": material.ca_dir, "server": material.server_dir}
    key_path, cert_path = (dirs[p.split("/")[0]] / p.split("/")[1] for p in (key, certificate))
    data = key_path.read_bytes()
    assert data.startswith(b"-----BEGIN PRIVATE KEY-----\n")  # what Cassandra's PEMReader reads
    private = load_pem_private_key(data, password=None)
    assert private.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    ) == public(cert(cert_path))
    assert key_path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("hostname", [*PROFILE.addresses(), "localhost"])
def test_a_client_trusting_the_ca_accepts_the_server_for_each_name(
    material: Material, hostname: str
) -> None:
    handshake(
        server_context(material, SERVER_PEM), client_context(material.ca_dir, False), hostname
    )


def test_a_client_trusting_the_other_ca_refuses_the_server(material: Material) -> None:
    client = ssl.create_default_context(cafile=str(material.ca_dir / "other-ca.crt"))
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        handshake(server_context(material, SERVER_PEM), client, PROFILE.address(1))


def test_an_expired_server_certificate_is_refused_unless_dates_are_not_checked(
    material: Material,
) -> None:
    server = server_context(material, EXPIRED_SERVER_PEM)
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate has expired"):
        handshake(server, client_context(material.ca_dir, False), PROFILE.address(2))
    # The launcher's probes skip the dates only: the name and the chain are still checked.
    handshake(server, client_context(material.ca_dir, False, check_time=False), PROFILE.address(2))
    with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
        handshake(server, client_context(material.ca_dir, False, check_time=False), "127.9.9.9")


def test_mutual_tls_accepts_the_client_certificate_only(material: Material) -> None:
    server = server_context(material, SERVER_PEM, mutual=True)
    handshake(server, client_context(material.ca_dir, mtls=True), "localhost")
    with pytest.raises(ssl.SSLError, match="certificate"):
        handshake(server, client_context(material.ca_dir, mtls=False), "localhost")
    expired = ssl.create_default_context(cafile=str(material.ca_dir / "ca.crt"))
    expired.load_cert_chain(
        str(material.ca_dir / "expired-client.crt"), str(material.ca_dir / "expired-client.key")
    )
    with pytest.raises(ssl.SSLError, match="certificate verify failed"):
        handshake(server, expired, "localhost")


def test_material_is_reused_and_remade_for_other_addresses(tmp_path: Path) -> None:
    dest = tmp_path / "clusters" / "x" / "tls"
    ensure_server(tmp_path, dest, ["127.2.0.1"])
    before = {p.name: p.read_bytes() for p in [*dest.iterdir(), *(tmp_path / "tls").iterdir()]}
    ensure_server(tmp_path, dest, ["127.2.0.1"])
    after = {p.name: p.read_bytes() for p in [*dest.iterdir(), *(tmp_path / "tls").iterdir()]}
    assert after == before
    ensure_server(tmp_path, dest, ["127.2.2.1", "127.2.2.2"])
    ips = cert(dest / SERVER_PEM).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert [str(ip) for ip in ips.value.get_values_for_type(x509.IPAddress)] == [
        "127.2.2.1",
        "127.2.2.2",
    ]
    assert (tmp_path / "tls" / "ca.crt").read_bytes() == before["ca.crt"]


def test_a_new_ca_remakes_the_server_certificates(tmp_path: Path) -> None:
    dest = tmp_path / "clusters" / "x" / "tls"
    ensure_server(tmp_path, dest, ["127.2.0.1"])
    shutil.rmtree(tmp_path / "tls")
    ensure_server(tmp_path, dest, ["127.2.0.1"])
    cert(dest / SERVER_PEM).verify_directly_issued_by(cert(tmp_path / "tls" / "ca.crt"))


def test_a_shared_dir_of_the_former_pkcs12_format_is_replaced(tmp_path: Path) -> None:
    old = tmp_path / "tls"
    old.mkdir()
    for name in ("ca.crt", "client.crt", "client.key", "server-truststore.p12"):
        (old / name).write_text("from keytool\n")
    ensure_ca(tmp_path)
    assert not (old / "server-truststore.p12").exists()
    cert(old / "client.crt").verify_directly_issued_by(cert(old / "ca.crt"))


def test_serve_pem_copies_the_valid_or_the_expired_server_file(
    material: Material, tmp_path: Path
) -> None:
    served = tmp_path / "server.pem"
    serve_pem(material.server_dir, served, expired=True)
    assert served.read_bytes() == (material.server_dir / EXPIRED_SERVER_PEM).read_bytes()
    serve_pem(material.server_dir, served)
    assert served.read_bytes() == (material.server_dir / SERVER_PEM).read_bytes()
    assert served.stat().st_mode & 0o777 == 0o600


def test_without_trustme_tls_material_is_a_cluster_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "trustme", None)  # makes `import trustme` fail
    with pytest.raises(ClusterError, match="pip install trustme"):
        ensure_ca(tmp_path)


def test_tls_files_name_the_made_material(tmp_path: Path) -> None:
    cluster = CassandraCluster(Profile(tls=True), cache=tmp_path)
    cluster.make_tls()
    files = cluster.tls_files()
    assert set(files) == {"ca", "cert", "key", "other_ca", "expired_cert", "expired_key"}
    assert all(path.is_file() for path in files.values())
    cert(files["expired_cert"]).verify_directly_issued_by(cert(files["ca"]))


def test_serving_the_expired_certificate_needs_tls_and_a_running_node(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="has no TLS"):
        CassandraCluster(Profile(), cache=tmp_path).serve_expired_certificate(1)
    with pytest.raises(ClusterError, match="not running"):
        CassandraCluster(Profile(tls=True), cache=tmp_path).serve_expired_certificate(1)
