"""Policies and execution profiles take effect on a real node: a profile's consistency, timeout
and row factory reach the request, a statement's own settings win over its profile's, and a
datacenter or rack the cluster does not have is refused at connect."""

from __future__ import annotations

import pytest

import aiocql
from aiocql import (
    EXEC_PROFILE_DEFAULT,
    AsyncCluster,
    AsyncSession,
    BatchStatement,
    ConsistencyLevel,
    ExecutionProfile,
    SimpleStatement,
)
from aiocql.policies import (
    AsyncRetryPolicy,
    ConstantSpeculativeExecutionPolicy,
    DCAwareRoundRobinPolicy,
    DowngradingConsistencyRetryPolicy,
    FallthroughRetryPolicy,
    RackAwareRoundRobinPolicy,
    RetryPolicy,
    RoundRobinPolicy,
    TokenAwarePolicy,
)
from aiocql.testing.plugin import PausedNode

from .conftest import KEYSPACE

LOCAL_DC = "datacenter1"  # the test node's datacenter and rack
LOCAL_RACK = "rack1"
# The test keyspace has RF=1 on one node: THREE can never be met.
IMPOSSIBLE = ExecutionProfile(consistency_level=ConsistencyLevel.THREE)


async def test_a_profiles_consistency_reaches_the_server(
    contact_points: list[str], kv_profiles: str
) -> None:
    async with AsyncCluster(
        contact_points, execution_profiles={"impossible": IMPOSSIBLE}
    ) as cluster:
        own = await cluster.connect(KEYSPACE)
        query = "SELECT key FROM system.local"
        assert (await own.execute(query)).one() is not None  # default: LOCAL_ONE
        with pytest.raises(aiocql.Unavailable) as info:
            await own.execute(f"SELECT * FROM {kv_profiles}", execution_profile="impossible")
        assert info.value.consistency == "THREE"


@pytest.fixture
async def kv_profiles(session: AsyncSession) -> str:
    await session.execute(
        f"CREATE TABLE IF NOT EXISTS {KEYSPACE}.kv_profiles (k int PRIMARY KEY, v int)", timeout=60
    )
    return f"{KEYSPACE}.kv_profiles"


async def test_every_call_kind_uses_the_profile_it_names(
    contact_points: list[str], kv_profiles: str
) -> None:
    async with AsyncCluster(
        contact_points, execution_profiles={"impossible": IMPOSSIBLE}
    ) as cluster:
        own = await cluster.connect()
        insert = f"INSERT INTO {kv_profiles} (k, v) VALUES (?, ?)"
        select = f"SELECT * FROM {kv_profiles} WHERE k = ?"
        prepared = await own.prepare(select)
        batch = BatchStatement()
        batch.add(insert, (1, 1))
        calls = [
            own.execute(insert, (1, 1), execution_profile="impossible"),
            own.execute(prepared, (1,), execution_profile="impossible"),
            own.execute_page(select, (1,), execution_profile="impossible"),
            own.execute_stream(select, (1,), execution_profile="impossible"),
            own.execute_batch(batch, execution_profile="impossible"),
            own.execute(batch, execution_profile="impossible"),
        ]
        for call in calls:
            with pytest.raises(aiocql.Unavailable):
                await call
        results = await own.execute_concurrent(
            prepared, [(1,), (2,)], execution_profile="impossible", raise_on_first_error=False
        )
        assert all(isinstance(r.result_or_exc, aiocql.Unavailable) for r in results)
        # The same calls without the profile succeed.
        await own.execute(insert, (1, 1))
        await own.execute_batch(batch)
        assert (await own.execute(prepared, (1,))).one().v == 1


async def test_a_statements_own_consistency_wins_over_its_profiles(
    contact_points: list[str], kv_profiles: str
) -> None:
    async with AsyncCluster(
        contact_points, execution_profiles={"impossible": IMPOSSIBLE}
    ) as cluster:
        own = await cluster.connect()
        statement = SimpleStatement(
            f"SELECT * FROM {kv_profiles} WHERE k = 1", consistency_level=ConsistencyLevel.ONE
        )
        await own.execute(statement, execution_profile="impossible")


async def test_an_unknown_profile_name_is_refused_before_any_io(
    contact_points: list[str],
) -> None:
    async with AsyncCluster(
        contact_points, execution_profiles={"analytics": ExecutionProfile()}
    ) as cluster:
        own = await cluster.connect()
        with pytest.raises(aiocql.ConfigurationError, match=r'"analytic".*analytics, default'):
            await own.execute("SELECT key FROM system.local", execution_profile="analytic")
        # EXEC_PROFILE_DEFAULT names the default profile.
        await own.execute("SELECT key FROM system.local", execution_profile=EXEC_PROFILE_DEFAULT)


async def test_a_profiles_row_factory_and_timeout_apply_to_its_calls(
    contact_points: list[str], paused_node: PausedNode
) -> None:
    profiles = {
        EXEC_PROFILE_DEFAULT: ExecutionProfile(row_factory=dict, request_timeout=None),
        "tuples": ExecutionProfile(row_factory=tuple, request_timeout=0.3),
    }
    async with AsyncCluster(contact_points, execution_profiles=profiles) as cluster:
        own = await cluster.connect()
        assert own.row_factory is dict
        row = (await own.execute("SELECT key FROM system.local")).one()
        assert row == {"key": "local"}
        with paused_node(1), pytest.raises(aiocql.OperationTimedOut, match=r"after 0\.300 s"):
            await own.execute("SELECT key FROM system.local", execution_profile="tuples")
        row = (
            await own.execute(
                "SELECT key FROM system.local", execution_profile="tuples", timeout=30
            )
        ).one()
        assert row == ("local",)
        # A call's row_factory wins over the profile's.
        rs = await own.execute(
            "SELECT key FROM system.local", execution_profile="tuples", row_factory=dict, timeout=30
        )
        assert rs.one() == {"key": "local"}


@pytest.mark.parametrize(
    "policy",
    [
        TokenAwarePolicy(DCAwareRoundRobinPolicy(LOCAL_DC)),
        DCAwareRoundRobinPolicy(LOCAL_DC, used_hosts_per_remote_dc=1),
        DCAwareRoundRobinPolicy(),
        TokenAwarePolicy(RackAwareRoundRobinPolicy(LOCAL_DC, LOCAL_RACK)),
        RoundRobinPolicy(),
    ],
    ids=repr,
)
async def test_load_balancing_policies_serve_requests(
    contact_points: list[str], kv_profiles: str, policy: object
) -> None:
    async with AsyncCluster(contact_points, load_balancing_policy=policy) as cluster:
        own = await cluster.connect()
        prepared = await own.prepare(f"INSERT INTO {kv_profiles} (k, v) VALUES (?, ?)")
        await own.execute(prepared, (7, 7))
        assert (await own.execute(f"SELECT v FROM {kv_profiles} WHERE k = 7")).one().v == 7


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (DCAwareRoundRobinPolicy("dc-that-is-not"), r'local_dc "dc-that-is-not".*datacenter1'),
        (
            TokenAwarePolicy(RackAwareRoundRobinPolicy(LOCAL_DC, "rack9")),
            r'local_rack "rack9".*rack1',
        ),
        (RackAwareRoundRobinPolicy("dc-x", LOCAL_RACK), r'local_dc "dc-x"'),
    ],
    ids=["unknown dc", "unknown rack", "unknown dc of a rack"],
)
async def test_a_misspelt_datacenter_or_rack_is_refused_at_connect(
    contact_points: list[str], policy: object, message: str
) -> None:
    async with AsyncCluster(contact_points, load_balancing_policy=policy) as cluster:
        with pytest.raises(aiocql.ConfigurationError, match=message):
            await cluster.connect()
    profiles = {"remote": ExecutionProfile(load_balancing_policy=policy)}
    async with AsyncCluster(contact_points, execution_profiles=profiles) as cluster:
        with pytest.raises(aiocql.ConfigurationError, match='execution profile "remote"'):
            await cluster.connect()


@pytest.mark.parametrize(
    "policy",
    [
        RetryPolicy(),
        FallthroughRetryPolicy(),
        DowngradingConsistencyRetryPolicy(),
        AsyncRetryPolicy(max_retries=2),
    ],
    ids=repr,
)
async def test_retry_policies_let_errors_through_when_a_retry_cannot_help(
    contact_points: list[str], kv_profiles: str, policy: object
) -> None:
    # Unavailable on the only node: whatever each policy decides, the caller gets an error
    # (Downgrading retries at the consistency that can be met, so it succeeds).
    strict = SimpleStatement(
        f"SELECT * FROM {kv_profiles} WHERE k = 1",
        consistency_level=ConsistencyLevel.THREE,
        retry_policy=policy,
    )
    async with AsyncCluster(contact_points, default_retry_policy=policy) as cluster:
        own = await cluster.connect()
        if isinstance(policy, DowngradingConsistencyRetryPolicy):
            await own.execute(strict)
        else:
            with pytest.raises(aiocql.Unavailable):
                await own.execute(strict)


async def test_a_prepared_statements_retry_policy_takes_effect(
    session: AsyncSession, kv_profiles: str
) -> None:
    prepared = await session.prepare(f"SELECT * FROM {kv_profiles} WHERE k = ?")
    prepared.consistency_level = ConsistencyLevel.THREE
    with pytest.raises(aiocql.Unavailable):
        await session.execute(prepared, (1,))
    prepared.retry_policy = DowngradingConsistencyRetryPolicy()
    assert isinstance(prepared.retry_policy, DowngradingConsistencyRetryPolicy)
    await session.execute(prepared, (1,))  # downgraded to what one replica can give
    with pytest.raises(aiocql.ConfigurationError, match="retry_policy must be"):
        prepared.retry_policy = "downgrade"  # type: ignore[assignment]
    prepared.retry_policy = None
    with pytest.raises(aiocql.Unavailable):
        await session.execute(prepared, (1,))


async def test_speculative_execution_serves_idempotent_requests(
    contact_points: list[str], kv_profiles: str
) -> None:
    policy = ConstantSpeculativeExecutionPolicy(0.001, 2)
    async with AsyncCluster(contact_points, speculative_execution_policy=policy) as cluster:
        own = await cluster.connect()
        statement = SimpleStatement(f"SELECT * FROM {kv_profiles} WHERE k = 7", is_idempotent=True)
        for _ in range(20):
            await own.execute(statement)
