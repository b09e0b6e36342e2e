"""TLS material for TLS profiles: a test CA, a client certificate, and server certificates.

``<cache>/tls/`` (password ``cassandra``, shared by every profile) holds ``ca.crt`` (the PEM CA
clients trust), ``ca.p12``, ``client.crt`` and ``client.key`` (PKCS#8, unencrypted, for mTLS),
``client-keystore.p12``, ``client-truststore.p12`` and ``server-truststore.p12`` (the CA, which
the server trusts for client certificates). Each TLS profile gets its own ``server.crt``,
``server.key`` and ``server-keystore.p12`` in ``<cache>/clusters/<profile>/tls/``, signed by
the CA for that profile's addresses and ``localhost``. A CA rather than one self-signed
certificate keeps the PEMs acceptable to strict verifiers such as rustls/webpki.
Made with the JDK's ``keytool``; ``openssl`` exports the PEM keys.
"""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import ClusterError
from .toolchain import file_lock, jdk_tool, write_atomic

__all__ = ["STORE_PASSWORD", "client_context", "ensure_ca", "ensure_server"]

log = logging.getLogger("aiocql.testing")

# Cassandra wants the key password to equal the store password.
STORE_PASSWORD = "cassandra"
_COMMON = ["-storetype", "PKCS12", "-storepass", STORE_PASSWORD]
_KEYPAIR = ["-genkeypair", "-noprompt", "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650"]

Keytool = Callable[..., None]


def _keytool() -> Keytool:
    path = jdk_tool("keytool")
    if path is None:
        raise ClusterError("no `keytool` next to java or on PATH (it ships with the JDK)")

    def run(*args: str) -> None:
        res = subprocess.run(
            [str(path), *args, *_COMMON],
            capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if res.returncode != 0:
            raise ClusterError(f"keytool {args[0]} failed:\n{res.stdout}{res.stderr}")

    return run


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


def _leaf(kt: Keytool, ca_dir: Path, out: Path, name: str, dname: str, exts: list[str]) -> None:
    """A key pair in ``<out>/<name>-keystore.p12`` with its certificate signed by the CA."""
    store, csr, crt = (str(out / f) for f in (f"{name}-keystore.p12", f"{name}.csr", f"{name}.crt"))
    kt(*_KEYPAIR, "-alias", name, "-dname", dname, "-keystore", store, "-keypass", STORE_PASSWORD)
    kt("-certreq", "-alias", name, "-keystore", store, "-file", csr)
    ext_args = [a for e in exts for a in ("-ext", e)]
    kt("-gencert", "-rfc", "-alias", "ca", "-keystore", str(ca_dir / "ca.p12"), "-infile", csr,
       "-outfile", crt, "-validity", "3650", *ext_args)  # fmt: skip
    # CA first, then the signed reply, so that the store holds the chain leaf -> CA.
    kt("-importcert", "-noprompt", "-alias", "ca", "-file", str(ca_dir / "ca.crt"),
       "-keystore", store)  # fmt: skip
    kt("-importcert", "-noprompt", "-alias", name, "-file", crt, "-keystore", store)
    Path(csr).unlink()
    _export_key(out / f"{name}-keystore.p12", out / f"{name}.key")


def _export_key(store: Path, dest: Path) -> None:
    """PEM private key for non-Java clients (keytool cannot export keys)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        log.warning("no `openssl` on PATH: %s not written (needed for mTLS clients)", dest.name)
        return
    raw = subprocess.run(
        [openssl, "pkcs12", "-in", str(store), "-passin", f"pass:{STORE_PASSWORD}", "-nodes",
         "-nocerts"],
        capture_output=True, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    # `openssl pkey` drops the "Bag Attributes" preamble some PEM readers dislike.
    key = subprocess.run(
        [openssl, "pkey", "-out", str(dest)], input=raw.stdout, capture_output=True, check=False
    )
    if raw.returncode != 0 or key.returncode != 0:
        detail = (raw.stderr + key.stderr).decode(errors="replace")
        raise ClusterError(f"openssl could not export {dest.name}:\n{detail}")
    dest.chmod(0o600)


def _make_ca(out: Path) -> None:
    kt = _keytool()
    ca_store = str(out / "ca.p12")
    kt(*_KEYPAIR, "-alias", "ca", "-dname", "CN=aiocql test CA", "-ext", "bc:c",
       "-ext", "KU:c=keyCertSign,cRLSign", "-keystore", ca_store,
       "-keypass", STORE_PASSWORD)  # fmt: skip
    kt("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca_store, "-file", str(out / "ca.crt"))
    _leaf(kt, out, out, "client", "CN=test-client",
          ["KU:c=digitalSignature,keyEncipherment", "EKU=clientAuth"])  # fmt: skip
    # Stores holding only the CA: the client's for Java tools, the server's for mTLS.
    for name in ("client-truststore.p12", "server-truststore.p12"):
        kt("-importcert", "-noprompt", "-alias", "ca", "-file", str(out / "ca.crt"),
           "-keystore", str(out / name))  # fmt: skip


def ensure_ca(cache: Path) -> Path:
    """Create the shared CA and client material in ``<cache>/tls`` once; returns that dir.

    Raises ClusterError without keytool, or if keytool or openssl fail.
    Example: ``ensure_ca(cache) / "ca.crt"`` is the file clients trust.
    """
    tls_dir = cache / "tls"
    if (tls_dir / "server-truststore.p12").is_file():
        return tls_dir
    with file_lock(cache / ".tls.lock"):
        if not (tls_dir / "server-truststore.p12").is_file():
            log.info("creating the test CA and client certificate in %s", tls_dir)
            _build_atomically(tls_dir, cache, _make_ca)
    return tls_dir


def ensure_server(cache: Path, dest: Path, addresses: Sequence[str]) -> Path:
    """Create ``dest/server-keystore.p12`` (and ``server.crt``, ``server.key``) once, signed
    by the CA of :func:`ensure_ca` for ``addresses`` and ``localhost``; returns ``dest``.

    Remade when the address list changes. Raises ClusterError as :func:`ensure_ca` does.
    Example: ``ensure_server(cache, profile_dir / "tls", ["127.2.0.1"])``.
    """
    ca_dir = ensure_ca(cache)
    sans = ",".join([*(f"IP:{a}" for a in addresses), "DNS:localhost"])

    def current() -> bool:
        stamp = dest / "sans"
        return (dest / "server-keystore.p12").is_file() and stamp.read_text() == sans + "\n"

    if current():
        return dest
    with file_lock(cache / ".tls.lock"):
        if current():
            return dest

        def build(out: Path) -> None:
            exts = [f"SAN={sans}", "KU:c=digitalSignature,keyEncipherment", "EKU=serverAuth"]
            _leaf(_keytool(), ca_dir, out, "server", "CN=localhost", exts)
            write_atomic(out / "sans", sans + "\n")

        log.info("creating the server certificate for %s in %s", sans, dest)
        _build_atomically(dest, dest.parent, build)
    return dest


def client_context(ca_dir: Path, mtls: bool) -> ssl.SSLContext:
    """A client SSL context trusting ``ca_dir/ca.crt``, with the client certificate if mTLS.

    Before the material exists it verifies nothing, which is enough to probe liveness.
    Example: ``cql_options(host, ssl_context=client_context(cache / "tls", mtls=False))``.
    """
    if not (ca_dir / "ca.crt").is_file():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    ctx = ssl.create_default_context(cafile=str(ca_dir / "ca.crt"))
    if mtls and (ca_dir / "client.key").is_file():
        ctx.load_cert_chain(str(ca_dir / "client.crt"), str(ca_dir / "client.key"))
    return ctx
