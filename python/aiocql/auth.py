"""Authentication providers, under cassandra-driver's names.

Example::

    from aiocql.auth import PlainTextAuthProvider

    cluster = AsyncCluster(["10.0.0.1"], auth_provider=PlainTextAuthProvider("app", secret))
"""

from __future__ import annotations

__all__ = ["PlainTextAuthProvider"]


class PlainTextAuthProvider:
    """Logs in with a username and password (Cassandra's ``PasswordAuthenticator``).

    The password is kept for the login only: it appears in no ``repr``, log record or
    exception text.

    Raises:
        TypeError: ``username`` or ``password`` is not a ``str``.
    """

    __slots__ = ("_password", "username")

    def __init__(self, username: str, password: str) -> None:
        if not isinstance(username, str) or not isinstance(password, str):
            raise TypeError("PlainTextAuthProvider takes a str username and a str password")
        self.username = username
        self._password = password

    @property
    def password(self) -> str:
        """The password (read when a session logs in)."""
        return self._password

    def __repr__(self) -> str:
        return f"PlainTextAuthProvider(username={self.username!r}, password='***')"
