"""Two CQL native-protocol v4 probes over a plain socket: OPTIONS, and STARTUP with a login.

They need no driver, so the launcher can tell a serving node from a starting one, and a
working login from a refused one, with the standard library alone.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
from collections.abc import Iterator

from .errors import ClusterError
from .profile import CQL_PORT, PASSWORD, USERNAME

__all__ = ["cql_login", "cql_options", "port_open"]

_OP_ERROR, _OP_STARTUP, _OP_READY, _OP_AUTHENTICATE = 0x00, 0x01, 0x02, 0x03
_OP_OPTIONS, _OP_SUPPORTED, _OP_AUTH_RESPONSE, _OP_AUTH_SUCCESS = 0x05, 0x06, 0x0F, 0x10
_HEADER = struct.Struct(">BBhBi")  # version, flags, stream, opcode, body length


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by server")
        buf += chunk
    return bytes(buf)


def _request(sock: socket.socket, stream: int, opcode: int, body: bytes = b"") -> tuple[int, bytes]:
    """Send one v4 request frame and return the (opcode, body) of the response."""
    sock.sendall(_HEADER.pack(0x04, 0, stream, opcode, len(body)) + body)
    version, _flags, _stream, op, length = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    if version != 0x84:
        raise ConnectionError(f"unexpected response version byte 0x{version:02x}")
    if not 0 <= length <= 1 << 20:
        raise ConnectionError(f"implausible frame length {length}")
    return op, _recv_exact(sock, length)


@contextlib.contextmanager
def _connect(
    host: str, port: int, ssl_context: ssl.SSLContext | None, timeout: float
) -> Iterator[socket.socket]:
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        if ssl_context is not None:
            sock = ssl_context.wrap_socket(sock, server_hostname=host)
        yield sock
    finally:
        sock.close()


def cql_options(
    host: str, port: int = CQL_PORT, ssl_context: ssl.SSLContext | None = None, timeout: float = 2.0
) -> bool:
    """True if a CQL server at host:port answers a v4 OPTIONS frame with SUPPORTED.

    Never raises: a refused, reset, timed-out or garbled connection is False.
    Example: ``cql_options("127.0.0.1")``.
    """
    try:
        with _connect(host, port, ssl_context, timeout) as sock:
            op, _body = _request(sock, 1, _OP_OPTIONS)
            return op == _OP_SUPPORTED
    except (OSError, ConnectionError, struct.error):
        return False


def _error_message(body: bytes) -> str:
    try:
        code, length = struct.unpack(">iH", body[:6])
        return f"0x{code:04x} {body[6 : 6 + length].decode(errors='replace')}"
    except struct.error:
        return repr(body)


def _startup_body() -> bytes:
    body = struct.pack(">H", 1)  # a string map of one entry
    for text in ("CQL_VERSION", "3.0.0"):
        body += struct.pack(">H", len(text)) + text.encode()
    return body


def cql_login(
    host: str,
    port: int = CQL_PORT,
    username: str = USERNAME,
    password: str = PASSWORD,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 5.0,
) -> None:
    """Send STARTUP and, if the server asks, log in with SASL PLAIN; return once accepted.

    Raises ClusterError if the connection fails or the server refuses (the message carries the
    server's error code and text). Example: ``cql_login("127.1.0.1")`` on an ``--auth`` node.
    """
    try:
        with _connect(host, port, ssl_context, timeout) as sock:
            op, body = _request(sock, 1, _OP_STARTUP, _startup_body())
            if op == _OP_READY:
                return
            if op == _OP_AUTHENTICATE:
                token = b"\x00" + username.encode() + b"\x00" + password.encode()
                op, body = _request(
                    sock, 2, _OP_AUTH_RESPONSE, struct.pack(">i", len(token)) + token
                )
                if op == _OP_AUTH_SUCCESS:
                    return
    except (OSError, ConnectionError, struct.error) as exc:
        raise ClusterError(f"CQL login to {host}:{port} failed: {exc}") from exc
    detail = _error_message(body) if op == _OP_ERROR else f"opcode 0x{op:02x}"
    raise ClusterError(f"CQL login to {host}:{port} refused: {detail}")


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    """True if something accepts a TCP connection at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
