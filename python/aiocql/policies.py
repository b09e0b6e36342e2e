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

from typing import Final

from aiocql._native import (
    AsyncRetryPolicy,
    ConstantSpeculativeExecutionPolicy,
    DCAwareRoundRobinPolicy,
    DowngradingConsistencyRetryPolicy,
    ExecutionProfile,
    FallthroughRetryPolicy,
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
    "PercentileSpeculativeExecutionPolicy",
    "RackAwareRoundRobinPolicy",
    "RetryPolicy",
    "RoundRobinPolicy",
    "TokenAwarePolicy",
]

#: The key of the profile that calls without ``execution_profile=`` use.
EXEC_PROFILE_DEFAULT: Final = "default"
