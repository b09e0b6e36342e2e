"""Policies and execution profiles: cassandra-driver's names, validated at construction, and
the combinations AsyncCluster refuses before any I/O."""

from __future__ import annotations

import math
from typing import Any

import pytest

from aiocql import (
    EXEC_PROFILE_DEFAULT,
    AsyncCluster,
    ConfigurationError,
    ConsistencyLevel,
    ExecutionProfile,
    PreparedStatement,
    SimpleStatement,
)
from aiocql.auth import PlainTextAuthProvider
from aiocql.policies import (
    AsyncRetryPolicy,
    ConstantSpeculativeExecutionPolicy,
    DCAwareRoundRobinPolicy,
    DowngradingConsistencyRetryPolicy,
    FallthroughRetryPolicy,
    PercentileSpeculativeExecutionPolicy,
    RackAwareRoundRobinPolicy,
    RetryPolicy,
    RoundRobinPolicy,
    TokenAwarePolicy,
)


def test_policies_keep_their_arguments_and_show_them() -> None:
    dc_aware = DCAwareRoundRobinPolicy("dc1", used_hosts_per_remote_dc=2)
    assert (dc_aware.local_dc, dc_aware.used_hosts_per_remote_dc) == ("dc1", 2)
    assert DCAwareRoundRobinPolicy().local_dc is None
    # cassandra-driver's default local_dc is "": the contact points' datacenter.
    assert DCAwareRoundRobinPolicy("").local_dc is None
    token_aware = TokenAwarePolicy(dc_aware, shuffle_replicas=False)
    assert token_aware.child_policy is dc_aware
    assert not token_aware.shuffle_replicas
    assert repr(token_aware) == (
        "TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc='dc1', used_hosts_per_remote_dc=2),"
        " shuffle_replicas=False)"
    )
    rack = RackAwareRoundRobinPolicy("dc1", "r1")
    assert (rack.local_dc, rack.local_rack, rack.used_hosts_per_remote_dc) == ("dc1", "r1", 0)
    assert AsyncRetryPolicy().max_retries == 3
    assert AsyncRetryPolicy(max_retries=0).max_retries == 0
    constant = ConstantSpeculativeExecutionPolicy(0.05, 2)
    assert (constant.delay, constant.max_attempts) == (0.05, 2)
    percentile = PercentileSpeculativeExecutionPolicy(99.0, 1)
    assert (percentile.percentile, percentile.max_attempts) == (99.0, 1)


@pytest.mark.parametrize(
    ("make", "names"),
    [
        (lambda: DCAwareRoundRobinPolicy(1), "local_dc"),
        (lambda: DCAwareRoundRobinPolicy("dc1", -1), "used_hosts_per_remote_dc"),
        (lambda: DCAwareRoundRobinPolicy("dc1", True), "used_hosts_per_remote_dc"),
        (lambda: RackAwareRoundRobinPolicy("dc1", ""), "local_rack"),
        (lambda: RackAwareRoundRobinPolicy(None, "r1"), "local_dc"),
        (lambda: TokenAwarePolicy(TokenAwarePolicy(RoundRobinPolicy())), "already token-aware"),
        (lambda: TokenAwarePolicy(RetryPolicy()), "child_policy must be"),
        (lambda: AsyncRetryPolicy(-1), "max_retries"),
        (lambda: AsyncRetryPolicy(101), "max_retries"),
        (lambda: AsyncRetryPolicy(2.0), "max_retries"),
        (lambda: ConstantSpeculativeExecutionPolicy(0, 1), "delay"),
        (lambda: ConstantSpeculativeExecutionPolicy(math.nan, 1), "delay"),
        (lambda: ConstantSpeculativeExecutionPolicy(0.1, 0), "max_attempts"),
        (lambda: ConstantSpeculativeExecutionPolicy(0.1, 17), "max_attempts"),
        (lambda: PercentileSpeculativeExecutionPolicy(100, 1), "percentile"),
        (lambda: PercentileSpeculativeExecutionPolicy(0, 1), "percentile"),
        (lambda: ExecutionProfile(consistency_level=42), "consistency_level"),
        (lambda: ExecutionProfile(consistency_level="ONE"), "consistency_level"),
        (
            lambda: ExecutionProfile(serial_consistency_level=ConsistencyLevel.QUORUM),
            "serial_consistency_level",
        ),
        (lambda: ExecutionProfile(request_timeout=0), "request_timeout"),
        (lambda: ExecutionProfile(row_factory=42), "row_factory"),
        (lambda: ExecutionProfile(load_balancing_policy=RetryPolicy()), "load_balancing_policy"),
        (lambda: ExecutionProfile(retry_policy=RoundRobinPolicy()), "retry_policy"),
        (
            lambda: ExecutionProfile(speculative_execution_policy=RetryPolicy()),
            "speculative_execution_policy",
        ),
    ],
)
def test_invalid_policy_arguments_raise_configuration_error(make: Any, names: str) -> None:
    with pytest.raises(ConfigurationError, match=names):
        make()


def test_execution_profile_defaults_are_cassandra_drivers() -> None:
    profile = ExecutionProfile()
    assert profile.consistency_level == ConsistencyLevel.LOCAL_ONE
    assert profile.request_timeout == 10.0
    assert profile.serial_consistency_level is None
    assert profile.load_balancing_policy is None
    assert ExecutionProfile(request_timeout=None).request_timeout is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"load_balancing_policy": TokenAwarePolicy(DCAwareRoundRobinPolicy("dc1"))},
        {"load_balancing_policy": RoundRobinPolicy()},
        {"default_retry_policy": FallthroughRetryPolicy()},
        {"retry_policy": AsyncRetryPolicy(max_retries=2)},
        {"default_retry_policy": DowngradingConsistencyRetryPolicy()},
        {"speculative_execution_policy": ConstantSpeculativeExecutionPolicy(0.05, 1)},
        {"execution_profiles": {EXEC_PROFILE_DEFAULT: ExecutionProfile(), "x": ExecutionProfile()}},
        {"auth_provider": PlainTextAuthProvider("u", "p")},
    ],
)
def test_valid_cluster_options_are_accepted(kwargs: dict[str, Any]) -> None:
    AsyncCluster(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        (
            {"execution_profiles": {"x": ExecutionProfile()}, "request_timeout": 3},
            "request_timeout cannot be combined with execution_profiles",
        ),
        (
            {
                "execution_profiles": {},
                "load_balancing_policy": RoundRobinPolicy(),
                "default_retry_policy": RetryPolicy(),
            },
            "load_balancing_policy, default_retry_policy cannot be combined",
        ),
        (
            {"default_retry_policy": RetryPolicy(), "retry_policy": RetryPolicy()},
            "not both",
        ),
        ({"execution_profiles": [ExecutionProfile()]}, "execution_profiles must be a dict"),
        ({"execution_profiles": {1: ExecutionProfile()}}, "keys must be str"),
        ({"execution_profiles": {"x": {}}}, r"execution_profiles\[\"x\"\] must be"),
        ({"load_balancing_policy": "dc1"}, "load_balancing_policy must be"),
        ({"retry_policy": 3}, "retry_policy must be"),
        ({"auth_provider": ("u", "p")}, "auth_provider must be a PlainTextAuthProvider"),
        (
            {"auth_provider": PlainTextAuthProvider("u", "p"), "username": "u", "password": "p"},
            "not both",
        ),
    ],
)
def test_invalid_combinations_raise_before_any_io(kwargs: dict[str, Any], names: str) -> None:
    with pytest.raises(ConfigurationError, match=names):
        AsyncCluster(**kwargs)


def test_the_password_of_an_auth_provider_is_never_shown() -> None:
    provider = PlainTextAuthProvider("app", "s3cr3t-value")
    assert "s3cr3t-value" not in repr(provider)
    assert "s3cr3t-value" not in repr(AsyncCluster(auth_provider=provider))
    assert provider.password == "s3cr3t-value"
    with pytest.raises(TypeError):
        PlainTextAuthProvider("app", None)  # type: ignore[arg-type]


def test_statements_take_a_retry_policy() -> None:
    statement = SimpleStatement("SELECT 1 FROM t", retry_policy=FallthroughRetryPolicy())
    assert isinstance(statement.retry_policy, FallthroughRetryPolicy)
    assert PreparedStatement.retry_policy.__doc__
