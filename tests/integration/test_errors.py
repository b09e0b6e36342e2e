"""Server errors arrive as cassandra-driver-named exceptions with the server's message and code."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator

import pytest

import aiocql
from aiocql import AsyncSession, ConsistencyLevel, SimpleStatement, errors


@pytest.fixture
async def rf3_keyspace(session: AsyncSession) -> AsyncIterator[str]:
    """A keyspace asking for 3 replicas on a 1-node cluster: quorum operations cannot run."""
    name = "aiocql_test_rf3"
    await session.execute(
        f"CREATE KEYSPACE IF NOT EXISTS {name} WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 3}",
        timeout=60,
    )
    await session.execute(
        f"CREATE TABLE IF NOT EXISTS {name}.t (k int PRIMARY KEY, v int)", timeout=60
    )
    yield name
    await session.execute(f"DROP KEYSPACE {name}", timeout=60)


async def test_syntax_error(session: AsyncSession) -> None:
    with pytest.raises(aiocql.SyntaxException) as info:
        await session.execute("SELEC * FROM system.local")
    assert info.value.code == 0x2000
    assert "SELEC" in str(info.value)
    assert isinstance(info.value, errors.RequestValidationException)


async def test_invalid_request(session: AsyncSession) -> None:
    with pytest.raises(aiocql.InvalidRequest) as info:
        await session.execute("SELECT * FROM no_such_table_here")
    assert info.value.code == 0x2200
    assert "no_such_table_here" in str(info.value)


async def test_already_exists(session: AsyncSession, table_name: str) -> None:
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY)", timeout=60)
    with pytest.raises(aiocql.AlreadyExists) as info:
        await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY)", timeout=60)
    assert info.value.code == 0x2400
    assert isinstance(info.value, errors.ConfigurationException)
    assert table_name in str(info.value)
    assert getattr(info.value, "table", table_name) == table_name


async def test_unavailable_from_a_real_coordinator(
    session: AsyncSession, rf3_keyspace: str
) -> None:
    # A lightweight transaction needs a SERIAL quorum: 2 of 3 replicas, and only 1 exists.
    with pytest.raises(aiocql.Unavailable) as info:
        await session.execute(f"INSERT INTO {rf3_keyspace}.t (k, v) VALUES (1, 1) IF NOT EXISTS")
    exc = info.value
    assert exc.code == 0x1000
    assert isinstance(exc, errors.RequestExecutionException)
    assert exc.required_replicas == 2
    assert exc.alive_replicas == 1
    # The default serial consistency is SERIAL (cassandra-driver's): Cassandra 5 runs its Paxos
    # v2 reads at QUORUM, and at LOCAL_QUORUM for LOCAL_SERIAL.
    assert exc.consistency == "QUORUM"
    local = SimpleStatement(
        f"INSERT INTO {rf3_keyspace}.t (k, v) VALUES (1, 1) IF NOT EXISTS",
        serial_consistency_level=ConsistencyLevel.LOCAL_SERIAL,
    )
    with pytest.raises(aiocql.Unavailable) as local_info:
        await session.execute(local)
    assert local_info.value.consistency == "LOCAL_QUORUM"
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is aiocql.Unavailable
    assert (clone.message, clone.required_replicas, clone.alive_replicas) == (
        exc.message,
        2,
        1,
    )
    # The session goes on serving requests.
    assert (await session.execute("SELECT * FROM system.local")).one() is not None


async def test_every_error_is_a_driver_exception(session: AsyncSession) -> None:
    for query in ("SELEC 1", "SELECT * FROM nowhere", "USE nowhere_ks"):
        with pytest.raises(aiocql.DriverException):
            await session.execute(query)


async def test_configuration_exception(session: AsyncSession, table_name: str) -> None:
    with pytest.raises(aiocql.ConfigurationException) as info:
        await session.execute(
            "CREATE KEYSPACE aiocql_never WITH replication = {'class': 'NoSuchStrategy'}"
        )
    assert info.value.code == 0x2300
    assert "NoSuchStrategy" in str(info.value)
    assert not isinstance(info.value, aiocql.AlreadyExists)
    with pytest.raises(aiocql.ConfigurationException, match="gc_grace_seconds"):
        await session.execute(
            f"CREATE TABLE {table_name} (k int PRIMARY KEY) WITH gc_grace_seconds = -1"
        )


async def test_unauthorized(session: AsyncSession) -> None:
    # Even without authentication, the system keyspace refuses schema changes.
    with pytest.raises(aiocql.Unauthorized) as info:
        await session.execute("ALTER TABLE system.local ADD extra int")
    assert info.value.code == 0x2100
    assert "system keyspace" in str(info.value)
    assert isinstance(info.value, errors.RequestValidationException)


async def test_function_failure(session: AsyncSession, table_name: str) -> None:
    # A Java user-defined function that throws (the test node enables UDFs).
    function = f"{table_name}_fails"
    await session.execute(
        f"CREATE FUNCTION {function} (x int) RETURNS NULL ON NULL INPUT RETURNS int "
        "LANGUAGE java AS 'throw new IllegalStateException(\"boom\");'",
        timeout=60,
    )
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v int)", timeout=60)
    await session.execute(f"INSERT INTO {table_name} (k, v) VALUES (1, 1)")
    try:
        with pytest.raises(aiocql.FunctionFailure) as info:
            await session.execute(f"SELECT {function}(v) FROM {table_name} WHERE k = 1")
        exc = info.value
        assert exc.code == 0x1400
        assert isinstance(exc, errors.RequestExecutionException)
        assert exc.keyspace == "aiocql_test"
        assert exc.function == function
        assert exc.arg_types == ["int"]
        assert "boom" in str(exc)
    finally:
        await session.execute(f"DROP TABLE {table_name}", timeout=60)
        await session.execute(f"DROP FUNCTION {function}", timeout=60)


async def test_read_failure_on_too_many_tombstones(session: AsyncSession, table_name: str) -> None:
    # The test node fails reads that scan more than 5000 tombstones.
    await session.execute(
        f"CREATE TABLE {table_name} (p int, c int, v int, PRIMARY KEY (p, c))", timeout=60
    )
    try:
        delete = await session.prepare(f"DELETE FROM {table_name} WHERE p = 0 AND c = ?")
        for start in range(0, 6000, 500):
            batch = aiocql.BatchStatement(batch_type=aiocql.BatchType.UNLOGGED)
            for c in range(start, start + 500):
                batch.add(delete, [c])
            await session.execute(batch)
        with pytest.raises(aiocql.ReadFailure) as info:
            await session.execute(f"SELECT * FROM {table_name} WHERE p = 0")
        exc = info.value
        assert exc.code == 0x1300
        assert isinstance(exc, errors.CoordinationFailure)
        assert exc.consistency == "LOCAL_ONE"  # the session's default
        assert (exc.required_responses, exc.received_responses, exc.failures) == (1, 0, 1)
        assert exc.data_retrieved is False
    finally:
        await session.execute(f"DROP TABLE {table_name}", timeout=60)
