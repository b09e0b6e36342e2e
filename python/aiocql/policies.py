"""Load-balancing, retry and speculative-execution policies and execution profiles, under
cassandra-driver's names (and async-cassandra's ``AsyncRetryPolicy``).

Each wraps the Rust driver's own policy; docs/configuration.md lists what each one decides.

Example::

    from aiocql import AsyncCluster
    from aiocql.policies import (
        DCAwareRoundRobinPolicy, EXEC_PROFILE_DEFAULT, ExecutionProfile, TokenAwarePolicy,
    )

    cluster = AsyncCluster(
        ["10.0.0.1"],
        execution_profiles={
            EXEC_PROFILE_DEFAULT: ExecutionProfile(
                load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy("dc1"))
            ),
        },
    )
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Final

from aiocql._native import (
    AsyncRetryPolicy,
    ConstantSpeculativeExecutionPolicy,
    DCAwareRoundRobinPolicy,
    DowngradingConsistencyRetryPolicy,
    ExecutionProfile,
    FallthroughRetryPolicy,
    Host,
    PercentileSpeculativeExecutionPolicy,
    RackAwareRoundRobinPolicy,
    RetryPolicy,
    RoundRobinPolicy,
    TokenAwarePolicy,
)

__all__ = [
    "EXEC_PROFILE_DEFAULT",
    "AsyncRetryPolicy",
    "ConstantSpeculativeExecutionPolicy",
    "DCAwareRoundRobinPolicy",
    "DowngradingConsistencyRetryPolicy",
    "ExecutionProfile",
    "FallthroughRetryPolicy",
    "HostStateListener",
    "PercentileSpeculativeExecutionPolicy",
    "RackAwareRoundRobinPolicy",
    "RetryPolicy",
    "RoundRobinPolicy",
    "TokenAwarePolicy",
]

#: The key of the profile that calls without ``execution_profile=`` use.
EXEC_PROFILE_DEFAULT: Final = "default"


class HostStateListener:
    """What ``cluster.register_listener(listener)`` calls when a node changes (cassandra-driver's
    ``HostStateListener``): override the methods you need; the others do nothing.

    Each method gets the node's ``Host`` and runs on the event loop's thread. It may be a
    coroutine function: it is awaited before the next event is handled. docs/cluster.md says
    when each one is called.

    Example::

        class Alerts(HostStateListener):
            def on_down(self, host: Host) -> None:
                print("no connection to", host.address)

        cluster.register_listener(Alerts())
    """

    def on_add(self, host: Host) -> Awaitable[None] | None:
        """A node joined the cluster (the driver's view has a node it did not have)."""
        return None

    def on_up(self, host: Host) -> Awaitable[None] | None:
        """The driver has an open connection to the node again (or for the first time)."""
        return None

    def on_down(self, host: Host) -> Awaitable[None] | None:
        """The driver has no open connection to the node any more."""
        return None

    def on_remove(self, host: Host) -> Awaitable[None] | None:
        """A node left the cluster (the driver's view no longer has it)."""
        return None
