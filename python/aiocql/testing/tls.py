"""TLS material for TLS profiles, made with trustme and written as PEM files.

``<cache>/tls/`` is shared by every profile:

- ``ca.crt``: the test CA, which clients trust (``ca.key``, its key, signs the servers' certs);
- ``client.crt`` and ``client.key``: a client certificate signed by the CA, for mTLS;
- ``expired-client.crt`` and ``expired-client.key``: the same, but expired since 2020-01-02;
- ``other-ca.crt``: an unrelated CA (its key is not kept), for "wrong CA" tests.

Each TLS profile has ``server.pem`` and ``expired-server.pem`` (key, then certificate) in
``<cache>/clusters/<profile>/tls/``, signed by the CA for the profile's addresses and
``localhost``; a node serves a copy of one of them from its ``conf/server.pem``. A CA rather
than one self-signed certificate keeps the files acceptable to strict verifiers such as
rustls/webpki. Keys are unencrypted PKCS#8: Cassandra's PEMBasedSslContextFactory reads no
other format, and trustme writes the older SEC1 ("EC PRIVATE KEY") one.

trustme (and the cryptography package it pulls) is imported only when TLS material is made or
checked, so profiles without TLS run on the standard library alone.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import shutil
import socket
import ssl
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from .errors import ClusterError
from .toolchain import file_lock

if TYPE_CHECKING:
    import trustme

__all__ = [
    "CA_FILES",
    "EXPIRED_SERVER_PEM",
    "SERVER_PEM",
    "certificate_der",
    "client_context",
    "ensure_ca",
    "ensure_server",
    "presented_certificate",
    "serve_pem",
]

log = logging.getLogger("aiocql.testing")

# The files of <cache>/tls/, all made together.
CA_FILES = ("ca.crt", "ca.key", "client.crt", "client.key", "expired-client.crt",
            "expired-client.key", "other-ca.crt")  # fmt: skip
SERVER_PEM = "server.pem"
EXPIRED_SERVER_PEM = "expired-server.pem"
_STAMP = "stamp"
# A fixed day long past: the expired certificates stay expired, whenever they were made.
_EXPIRED = (datetime.datetime(2020, 1, 1), datetime.datetime(2020, 1, 2))
_ORG = "aiocql tests"
# OpenSSL's X509_V_FLAG_NO_CHECK_TIME, which the ssl module has no name for.
_NO_CHECK_TIME = 0x200000


def _trustme() -> ModuleType:
    try:
        import trustme
    except ImportError as exc:
        raise ClusterError(
            "TLS profiles make their certificates with trustme, which is not installed: "
            "pip install trustme (requirements-dev.txt pins it; `make venv` installs it)"
        ) from exc
    return trustme


def _pkcs8(key_pem: bytes) -> bytes:
    """The same private key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY")."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(key_pem, password=None)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, private: bool = False) -> None:
    """Replace ``path`` atomically; a private file is created 0600, never readable by others."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    tmp.replace(path)


def _valid_for_a_day(path: Path) -> bool:
    """True if ``path`` exists and its first certificate is valid for at least another day."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return False
    now = datetime.datetime.now(datetime.timezone.utc)
    return cert.not_valid_before_utc <= now and cert.not_valid_after_utc > now + datetime.timedelta(
        days=1
    )


def _build_atomically(dest: Path, scratch_parent: Path, build: Callable[[Path], None]) -> None:
    """Run ``build`` in a scratch dir and rename it to ``dest``: never half a set of files."""
    scratch_parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".tls-", dir=scratch_parent))
    try:
        build(work)
        shutil.rmtree(dest, ignore_errors=True)
        work.rename(dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_leaf(out: Path, name: str, leaf: trustme.LeafCert) -> None:
    _write(out / f"{name}.crt", leaf.cert_chain_pems[0].bytes())
    _write(out / f"{name}.key", _pkcs8(leaf.private_key_pem.bytes()), private=True)


def _make_ca(out: Path) -> None:
    tm = _trustme()
    ca = tm.CA(organization_name=_ORG, organization_unit_name="aiocql test CA")
    _write(out / "ca.crt", ca.cert_pem.bytes())
    _write(out / "ca.key", _pkcs8(ca.private_key_pem.bytes()), private=True)
    client = ca.issue_cert("test-client", common_name="test-client", organization_name=_ORG)
    _write_leaf(out, "client", client)
    expired = ca.issue_cert(
        "test-client",
        common_name="expired test-client",
        organization_name=_ORG,
        not_before=_EXPIRED[0],
        not_after=_EXPIRED[1],
    )
    _write_leaf(out, "expired-client", expired)
    other = tm.CA(organization_name=_ORG, organization_unit_name="unrelated test CA")
    _write(out / "other-ca.crt", other.cert_pem.bytes())


def _ca_current(tls_dir: Path) -> bool:
    return all((tls_dir / f).is_file() for f in CA_FILES) and all(
        _valid_for_a_day(tls_dir / f) for f in ("ca.crt", "client.crt")
    )


def ensure_ca(cache: Path) -> Path:
    """Create the shared CA and client files in ``<cache>/tls`` unless they are there and valid
    for another day; returns that dir. A set of another format (the former PKCS12 one) is
    replaced. Built in a scratch dir under ``<cache>/.tls.lock`` and renamed into place.

    Raises ClusterError if trustme is not installed.
    Example: ``ensure_ca(cache) / "ca.crt"`` is the file clients trust.
    """
    tls_dir = cache / "tls"
    if _ca_current(tls_dir):
        return tls_dir
    with file_lock(cache / ".tls.lock"):
        if not _ca_current(tls_dir):
            log.info("creating the test CA and client certificates in %s", tls_dir)
            _build_atomically(tls_dir, cache, _make_ca)
    return tls_dir


def _server_stamp(ca_dir: Path, identities: Sequence[str]) -> str:
    # The CA's digest too: a new CA must not leave servers with certificates of the old one.
    digest = hashlib.sha256((ca_dir / "ca.crt").read_bytes()).hexdigest()
    return f"identities {' '.join(identities)}\nca {digest}\n"


def ensure_server(cache: Path, dest: Path, addresses: Sequence[str]) -> Path:
    """Create ``dest/server.pem`` and ``dest/expired-server.pem`` unless they are current;
    returns ``dest``.

    Each holds an unencrypted PKCS#8 key followed by its certificate, signed by the CA of
    :func:`ensure_ca`, with IP subject alternative names for ``addresses`` and the DNS name
    ``localhost``. The expired one expired on 2020-01-02. Remade when the addresses or the CA
    change or the valid certificate has less than a day left. Raises ClusterError as
    :func:`ensure_ca` does. Example: ``ensure_server(cache, profile_dir / "tls", ["127.2.0.1"])``.
    """
    ca_dir = ensure_ca(cache)
    identities = [*addresses, "localhost"]
    stamp = _server_stamp(ca_dir, identities)

    def current() -> bool:
        try:
            recorded = (dest / _STAMP).read_text()
        except OSError:
            return False
        return (
            recorded == stamp
            and (dest / EXPIRED_SERVER_PEM).is_file()
            and _valid_for_a_day(dest / SERVER_PEM)
        )

    if current():
        return dest
    with file_lock(cache / ".tls.lock"):
        if current():
            return dest

        def build(out: Path) -> None:
            ca = _trustme().CA.from_pem(
                (ca_dir / "ca.crt").read_bytes(), (ca_dir / "ca.key").read_bytes()
            )
            for name, validity in ((SERVER_PEM, (None, None)), (EXPIRED_SERVER_PEM, _EXPIRED)):
                leaf = ca.issue_cert(
                    *identities,
                    common_name="aiocql test server",
                    organization_name=_ORG,
                    not_before=validity[0],
                    not_after=validity[1],
                )
                key = _pkcs8(leaf.private_key_pem.bytes())
                _write(out / name, key + leaf.cert_chain_pems[0].bytes(), private=True)
            _write(out / _STAMP, stamp.encode())

        log.info("creating the server certificates for %s in %s", " ".join(identities), dest)
        _build_atomically(dest, dest.parent, build)
    return dest


def serve_pem(server_tls: Path, dest: Path, expired: bool = False) -> None:
    """Copy the profile's valid (or with ``expired``, expired) server PEM to ``dest``, the
    file a node's cassandra.yaml names, atomically and readable by the owner only.

    Example: ``serve_pem(layout.server_tls, node.layout.conf / "server.pem")``.
    """
    source = server_tls / (EXPIRED_SERVER_PEM if expired else SERVER_PEM)
    _write(dest, source.read_bytes(), private=True)


def certificate_der(pem: Path) -> bytes:
    """The DER bytes of the first certificate in a PEM file (a key before it is skipped).

    Raises ClusterError if the file has no certificate (OSError if it cannot be read).
    Example: ``certificate_der(server_tls / "server.pem")``.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        cert = x509.load_pem_x509_certificate(pem.read_bytes())
    except ValueError as exc:
        raise ClusterError(f"{pem} holds no PEM certificate: {exc}") from exc
    return cert.public_bytes(Encoding.DER)


def presented_certificate(
    host: str, port: int, ca_dir: Path, mtls: bool, timeout: float = 5.0
) -> bytes | None:
    """The DER certificate that the TLS server at host:port presents, or None if no handshake
    completes. It verifies nothing, so an expired or foreign certificate is returned too; with
    ``mtls`` it offers ``ca_dir``'s client certificate, which such a server requires.

    Example: ``presented_certificate("127.2.0.1", 9042, cache / "tls", mtls=False)``.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if mtls:
        ctx.load_cert_chain(str(ca_dir / "client.crt"), str(ca_dir / "client.key"))
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            ctx.wrap_socket(raw, server_hostname=host) as sock,
        ):
            return sock.getpeercert(binary_form=True)
    except OSError:
        return None


def client_context(ca_dir: Path, mtls: bool, check_time: bool = True) -> ssl.SSLContext:
    """A client SSL context trusting ``ca_dir/ca.crt``, with the client certificate if mTLS.

    It checks the server's name and chain; with ``check_time=False`` not the validity dates,
    so that a node told to serve its expired certificate still counts as up for the launcher.
    Before the material exists it verifies nothing, which is enough to probe liveness.
    Example: ``cql_options(host, ssl_context=client_context(cache / "tls", mtls=False))``.
    """
    if not (ca_dir / "ca.crt").is_file():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    ctx = ssl.create_default_context(cafile=str(ca_dir / "ca.crt"))
    if not check_time:
        ctx.verify_flags |= _NO_CHECK_TIME
    if mtls and (ca_dir / "client.key").is_file():
        ctx.load_cert_chain(str(ca_dir / "client.crt"), str(ca_dir / "client.key"))
    return ctx
