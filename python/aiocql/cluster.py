"""`AsyncCluster`: where the cluster is and how to talk to it."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import weakref
from collections.abc import AsyncGenerator, Callable, Iterable
from types import TracebackType
from typing import Any

from aiocql import _native
from aiocql._native import AsyncSession, HostEvent, HostEvents, Metadata
from aiocql.errors import ConnectionClosed

__all__ = ["AsyncCluster"]

#: The listener method each kind of host event calls (cassandra-driver's HostStateListener).
_LISTENER_METHODS = {"added": "on_add", "up": "on_up", "down": "on_down", "removed": "on_remove"}


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
        # Oldest first: the cluster's metadata is read through the oldest open session.
        self._sessions: weakref.WeakValueDictionary[int, AsyncSession] = (
            weakref.WeakValueDictionary()
        )
        self._session_ids = itertools.count()
        self._closed = False
        self._connected_once = False
        self._listeners: list[Any] = []
        self._dispatcher: asyncio.Task[None] | None = None

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
        self._sessions[next(self._session_ids)] = session
        self._connected_once = True
        self._start_dispatch()
        return session

    def _open_session(self, what: str) -> AsyncSession:
        """The oldest session of this cluster still open, to read the cluster through."""
        if self._closed:
            raise ConnectionClosed("Cluster is shut down")
        for session in self._sessions.values():
            if not session.is_closed:
                return session
        if self._connected_once:
            raise ConnectionClosed(
                f"{what} reads the cluster through an open session, and every session of this "
                "cluster is closed: await cluster.connect() again"
            )
        raise RuntimeError(f"{what} needs a connected cluster: await cluster.connect() first")

    @property
    def metadata(self) -> Metadata:
        """A snapshot of the cluster as the driver sees it now: hosts, keyspaces, token ring.

        No I/O: the driver keeps its view up to date in the background. It is read through the
        cluster's oldest open session, and has the schema changes made through that session as
        soon as they return. Read it again for a fresh snapshot. docs/cluster.md describes what
        it holds and how fresh it is.

        Raises:
            RuntimeError: the cluster was never connected.
            ConnectionClosed: the cluster was shut down, or all its sessions were closed.

        Example::

            for host in cluster.metadata.all_hosts():
                print(host.address, host.datacenter, host.rack, host.is_up)
            columns = cluster.metadata.keyspaces["shop"].tables["orders"].columns
        """
        return _native.cluster_metadata(self._open_session("cluster.metadata"))

    async def refresh_schema_metadata(self, *, timeout: float | None = None) -> None:
        """Read the cluster's schema (and topology: the driver reads both at once), and the
        nodes' release versions, again now.

        Rarely needed: the driver follows schema and topology changes itself. Useful after a
        schema change made with ``max_schema_agreement_wait=0`` or by another client, to see it
        in ``metadata`` at once.

        Raises:
            OperationTimedOut: after ``timeout`` seconds (default: ``request_timeout``).
            NoHostAvailable: no node could be asked.
            RuntimeError, ConnectionClosed: as ``metadata``.

        Example::

            await cluster.refresh_schema_metadata(timeout=10)
        """
        session = self._open_session("refresh_schema_metadata()")
        await _native.refresh_metadata(session, timeout=timeout)

    async def refresh_nodes(self, *, timeout: float | None = None) -> None:
        """Read the cluster's topology (and schema: the driver reads both at once), and the
        nodes' release versions, again now.

        Raises what ``refresh_schema_metadata()`` raises.

        Example::

            await cluster.refresh_nodes()
        """
        session = self._open_session("refresh_nodes()")
        await _native.refresh_metadata(session, timeout=timeout)

    def host_events(self) -> AsyncGenerator[HostEvent, None]:
        """The changes of the cluster's nodes from now on: ``async for event in ...``.

        Each event is a ``HostEvent`` whose ``kind`` is ``"added"``, ``"up"``, ``"down"`` or
        ``"removed"``, with its ``host``. A node is up while the driver has at least one open
        connection to it; the driver's view is compared with the previous one every 0.5 s. The
        iteration ends when the cluster is shut down or all its sessions are closed; leave the
        loop (or ``aclose()`` the iterator) to stop watching.

        Raises:
            RuntimeError, ConnectionClosed: as ``metadata``.

        Example::

            async for event in cluster.host_events():
                print(event.kind, event.host.address)
        """
        return self._events(_native.host_events(self._open_session("host_events()")))

    async def _events(self, stream: HostEvents) -> AsyncGenerator[HostEvent, None]:
        try:
            while True:
                async for event in stream:
                    yield event
                stream.close()
                # The watched session was closed: go on with another, if any is open.
                try:
                    stream = _native.host_events(self._open_session("host_events()"))
                except (ConnectionClosed, RuntimeError):
                    return
        finally:
            stream.close()

    def register_listener(self, listener: Any) -> None:
        """Call ``listener``'s ``on_add``, ``on_up``, ``on_down`` and ``on_remove`` with the
        ``Host`` of each host event, on the event loop's thread (cassandra-driver's
        ``HostStateListener``; subclass ``aiocql.policies.HostStateListener``).

        Events from the first ``connect()`` (or from now, if connected) on; a method may be a
        coroutine function, awaited before the next event. An exception in a method goes to the
        event loop's exception handler, and the other listeners still run.

        Raises:
            TypeError: ``listener`` lacks one of the four methods.

        Example::

            class Printer(HostStateListener):
                def on_down(self, host: Host) -> None:
                    print("lost", host.address)

            cluster.register_listener(Printer())
        """
        missing = [
            m for m in _LISTENER_METHODS.values() if not callable(getattr(listener, m, None))
        ]
        if missing:
            raise TypeError(
                f"listener must have the methods on_add, on_up, on_down and on_remove "
                f"(subclass aiocql.policies.HostStateListener); {listener!r} lacks "
                f"{', '.join(missing)}"
            )
        if not any(known is listener for known in self._listeners):
            self._listeners.append(listener)
        self._start_dispatch()

    def unregister_listener(self, listener: Any) -> None:
        """Stop calling ``listener``.

        Raises:
            ValueError: ``listener`` is not registered.
        """
        for index, known in enumerate(self._listeners):
            if known is listener:
                del self._listeners[index]
                break
        else:
            raise ValueError(f"listener {listener!r} is not registered")
        if not self._listeners and self._dispatcher is not None:
            self._dispatcher.cancel()
            self._dispatcher = None

    def _start_dispatch(self) -> None:
        """Start calling the listeners, if there are any and a session to watch."""
        if not self._listeners or self._closed:
            return
        if self._dispatcher is not None and not self._dispatcher.done():
            return
        try:
            loop = asyncio.get_running_loop()
            events = self.host_events()
        except (RuntimeError, ConnectionClosed):
            return  # the next connect() starts it
        self._dispatcher = loop.create_task(self._dispatch(events))

    async def _dispatch(self, events: AsyncGenerator[HostEvent, None]) -> None:
        loop = asyncio.get_running_loop()
        async with contextlib.aclosing(events):
            async for event in events:
                method = _LISTENER_METHODS[event.kind]
                for listener in list(self._listeners):
                    try:
                        result = getattr(listener, method)(event.host)
                        if inspect.isawaitable(result):
                            await result
                    except Exception as exc:
                        loop.call_exception_handler(
                            {
                                "message": f"aiocql: {listener!r}.{method} failed on {event!r}",
                                "exception": exc,
                            }
                        )

    async def shutdown(self) -> None:
        """Close every session opened from this cluster. Idempotent; no sleeps."""
        self._closed = True
        dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            dispatcher.cancel()
            await asyncio.wait([dispatcher])
        for session in list(self._sessions.values()):
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
