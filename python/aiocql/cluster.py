"""`AsyncCluster`: where the cluster is and how to talk to it."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from aiocql import _native
from aiocql._native import AsyncSession
from aiocql.errors import ConnectionClosed

__all__ = ["AsyncCluster"]


class _Unset:
    """The default of ``request_timeout``: 10 s, unless execution profiles set it."""

    def __repr__(self) -> str:
        return "10.0"


_UNSET: Any = _Unset()


class AsyncCluster:
    """The cluster to connect to, and how.

    Create it once at start-up, ``await connect()`` for a session, and ``await shutdown()`` at
    exit (or use ``async with``). Nothing touches the network until ``connect()``.
    docs/configuration.md describes every option and its default.

    Args:
        contact_points: hosts to reach first (names, IPv4/IPv6 addresses, or ``host:port``);
            the rest of the cluster is discovered from them. Defaults to ``["127.0.0.1"]``.
        port: native-protocol port for contact points given without one.
        username, password: credentials for ``PasswordAuthenticator``.
        auth_provider: ``aiocql.auth.PlainTextAuthProvider(username, password)``, the
            cassandra-driver way to give the same credentials.
        connect_timeout: seconds ``connect()`` may take before raising ``NoHostAvailable``.
        request_timeout: default ``timeout`` of each call, in seconds (``None``: no limit;
            default 10).
        compression: ``None``, ``"lz4"`` or ``"snappy"`` (``True``: lz4).
        prepared_cache_size: how many prepared statements each session keeps for
            parameterised string queries.
        protocol_version: only ``None`` or ``4`` (the version aiocql speaks).
        load_balancing_policy, default_retry_policy (or ``retry_policy``),
            speculative_execution_policy: the policies of every call (``aiocql.policies``).
        execution_profiles: ``{name: ExecutionProfile}``, selected per call with
            ``execution_profile=name``; ``EXEC_PROFILE_DEFAULT`` replaces the defaults. Not
            combinable with the three policy options and ``request_timeout``.
        ssl_options: client TLS, with cassandra-driver's keys: ``ca_certs``, ``certfile``,
            ``keyfile``, ``cert_reqs``, ``check_hostname`` (on by default),
            ``server_hostname`` and ``ssl_version`` (docs/security.md). ``ssl_context`` is
            refused: aiocql's TLS runs in Rust and takes the same files instead.
        idle_heartbeat_interval, idle_heartbeat_timeout, max_schema_agreement_wait,
            control_connection_timeout: seconds, as in cassandra-driver (0 turns the first
            three off).

    Raises:
        ConfigurationError: for an invalid, unknown or unsupported setting, naming it (before
            any I/O).

    Example::

        async with AsyncCluster(["127.0.0.1"]) as cluster:
            session = await cluster.connect("shop")
            row = (await session.execute("SELECT release_version FROM system.local")).one()
    """

    def __init__(
        self,
        contact_points: Iterable[str] | None = None,
        port: int = 9042,
        *,
        username: str | None = None,
        password: str | None = None,
        connect_timeout: float = 5.0,
        request_timeout: float | None = _UNSET,
        compression: str | bool | None = None,
        prepared_cache_size: int = 512,
        protocol_version: int | None = None,
        **options: Any,
    ) -> None:
        self._user_types: dict[tuple[str, str], Callable[..., Any]] = {}
        if request_timeout is not _UNSET:
            options["request_timeout"] = request_timeout
        # Every setting is validated once, by the native ClusterConfig (ConfigurationError).
        self._config = _native.ClusterConfig(
            contact_points,
            port,
            user_types=self._user_types,
            connect_timeout=connect_timeout,
            username=username,
            password=password,
            compression=compression,
            prepared_cache_size=prepared_cache_size,
            protocol_version=protocol_version,
            **options,
        )
        self._sessions: weakref.WeakSet[AsyncSession] = weakref.WeakSet()
        self._closed = False

    @classmethod
    def create_with_auth(
        cls, contact_points: Iterable[str] | None, username: str, password: str, **kwargs: Any
    ) -> AsyncCluster:
        """An `AsyncCluster` that logs in with ``username`` and ``password`` (async-cassandra's
        constructor); other settings as for `AsyncCluster`.

        Example::

            cluster = AsyncCluster.create_with_auth(["10.0.0.1"], "app", secret)
        """
        return cls(contact_points, username=username, password=password, **kwargs)

    def register_user_type(self, keyspace: str, user_type: str, cls: Callable[..., Any]) -> None:
        """Read values of the user-defined type ``keyspace.user_type`` as ``cls(**fields)``.

        Applies to every session of this cluster, including those already open. Names are
        matched as the server reports them: lower case unless the type was created with a
        quoted name. Instances of ``cls`` (or of any class with the fields as attributes) are
        accepted as parameters for the type.

        Raises:
            TypeError: ``cls`` is not callable, or a name is not a ``str``.

        Example::

            @dataclass
            class Address:
                street: str | None
                city: str | None

            cluster.register_user_type("shop", "address", Address)
            row = (await session.execute("SELECT home FROM shop.users LIMIT 1")).one()
            assert isinstance(row.home, Address)
        """
        if not isinstance(keyspace, str) or not isinstance(user_type, str):
            raise TypeError("keyspace and user_type must be str")
        if not callable(cls):
            raise TypeError(f"cls must be a class or callable, got {cls!r}")
        self._user_types[(keyspace, user_type)] = cls

    @property
    def contact_points(self) -> list[str]:
        """The contact points as ``host:port``."""
        return self._config.contact_points

    @property
    def is_closed(self) -> bool:
        """Whether `shutdown()` was called."""
        return self._closed

    async def connect(
        self, keyspace: str | None = None, *, timeout: float | None = None
    ) -> AsyncSession:
        """Open a session, optionally bound to ``keyspace``.

        Raises:
            NoHostAvailable: no contact point answered within ``timeout`` (default
                ``connect_timeout``).
            ConfigurationError: a load-balancing policy names a datacenter or rack the cluster
                does not have.
            InvalidRequest: ``keyspace`` does not exist.
            ConnectionClosed: the cluster was shut down.

        Example::

            session = await cluster.connect("shop", timeout=10)
        """
        if self._closed:
            raise ConnectionClosed("Cluster is shut down")
        session = await _native.connect(self._config, keyspace, timeout=timeout)
        if self._closed:  # shut down while we were connecting
            await session.close()
            raise ConnectionClosed("Cluster is shut down")
        self._sessions.add(session)
        return session

    async def shutdown(self) -> None:
        """Close every session opened from this cluster. Idempotent; no sleeps."""
        self._closed = True
        for session in list(self._sessions):
            await session.close()

    async def close(self) -> None:
        """Alias of `shutdown()`."""
        await self.shutdown()

    async def __aenter__(self) -> AsyncCluster:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<AsyncCluster {self.contact_points} {state}>"
