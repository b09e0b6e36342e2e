"""Behaviour a migrating application relies on, on the real node: ``row.applied`` of a
conditional write, state hung on sessions, clusters and result sets (attributes, weak
references, subclasses), and cassandra-driver's text of a server error."""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import AsyncIterator, Callable

import pytest

from aiocql import (
    EXEC_PROFILE_DEFAULT,
    AsyncCluster,
    AsyncResultSet,
    AsyncSession,
    BatchStatement,
    InvalidRequest,
    OperationTimedOut,
    UnsupportedOperation,
)

PausedNode = Callable[[int], contextlib.AbstractContextManager[None]]


@pytest.fixture
async def accounts(session: AsyncSession, table_name: str) -> AsyncIterator[str]:
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v int)")
    yield table_name
    await session.execute(f"DROP TABLE {table_name}")


async def test_row_applied_tells_whether_a_conditional_write_applied(
    session: AsyncSession, accounts: str
) -> None:
    insert = f"INSERT INTO {accounts} (k, v) VALUES (1, 10) IF NOT EXISTS"
    first = (await session.execute(insert)).one()
    assert first.applied is True
    assert first["[applied]"] is True
    again = await session.execute(insert)
    assert again.was_applied is False
    assert again.one().applied is False
    assert again.one().v == 10  # the row that stood in the way
    update = f"UPDATE {accounts} SET v = 11 WHERE k = 1 IF v = 10"
    assert (await session.execute(update)).one().applied is True
    # A row without an [applied] column has no `applied`.
    plain = (await session.execute(f"SELECT v FROM {accounts} WHERE k = 1")).one()
    with pytest.raises(AttributeError, match='no column "applied"'):
        _ = plain.applied


async def test_sessions_clusters_and_results_carry_application_state(
    contact_points: list[str], accounts: str
) -> None:
    cluster = AsyncCluster(contact_points)
    cluster.app_name = "billing"  # type: ignore[attr-defined]
    cluster_ref = weakref.ref(cluster)
    session = await cluster.connect("aiocql_test")
    session.tenant = "acme"  # type: ignore[attr-defined]
    session_ref = weakref.ref(session)
    rs = await session.execute(f"SELECT * FROM {accounts}")
    rs.fetched_for = "report"  # type: ignore[attr-defined]
    rs_ref = weakref.ref(rs)
    stream = await session.execute_stream(f"SELECT * FROM {accounts}")
    stream.label = "export"  # type: ignore[attr-defined]
    state = (session.tenant, rs.fetched_for, stream.label)  # type: ignore[attr-defined]
    assert state == ("acme", "report", "export")
    assert session_ref() is session
    assert rs_ref() is rs
    assert cluster_ref() is cluster
    await stream.close()
    await cluster.shutdown()
    del rs, session, stream, cluster
    gc.collect()
    assert rs_ref() is None
    assert cluster_ref() is None


def test_the_classes_can_be_subclassed() -> None:
    class TracedSession(AsyncSession):
        pass

    class CountedResult(AsyncResultSet):
        pass

    class OwnCluster(AsyncCluster):
        pass

    assert issubclass(TracedSession, AsyncSession)
    assert issubclass(CountedResult, AsyncResultSet)
    assert isinstance(OwnCluster(), AsyncCluster)


async def test_a_server_error_reads_like_cassandra_drivers(session: AsyncSession) -> None:
    with pytest.raises(InvalidRequest) as info:
        await session.execute("SELECT * FROM no_such_table_for_text")
    error = info.value
    assert str(error) == (
        'Error from server: code=2200 [Invalid query] message="table no_such_table_for_text '
        'does not exist"'
    )
    assert error.message == "table no_such_table_for_text does not exist"
    assert error.code == 0x2200


async def test_async_cassandras_arguments_in_their_places(
    session: AsyncSession, accounts: str, paused_node: PausedNode
) -> None:
    select = f"SELECT * FROM {accounts}"
    # execute(query, parameters, trace, custom_payload, timeout, execution_profile, ...)
    traced = await session.execute(select, None, True, None, 30.0, EXEC_PROFILE_DEFAULT)
    assert traced.trace_id is not None
    insert = await session.prepare(f"INSERT INTO {accounts} (k, v) VALUES (?, ?)", None, 30.0)
    batch = BatchStatement()
    batch.add(insert, (5, 50))
    await session.execute_batch(batch, False, None, 30.0, EXEC_PROFILE_DEFAULT)
    stream = await session.execute_stream(select, None, None, EXEC_PROFILE_DEFAULT, 30.0)
    assert [row.k async for row in stream] == [5]
    # The positional timeout is the call's timeout.
    with paused_node(1), pytest.raises(OperationTimedOut):
        await session.execute(select, None, False, None, 0.2)


@pytest.mark.parametrize(
    ("call", "named"),
    [
        ("execute", "custom_payload"),
        ("execute", "host"),
        ("execute", "execute_as"),
        ("execute_stream", "custom_payload"),
        ("execute_stream", "trace"),
        ("execute_batch", "custom_payload"),
        ("prepare", "custom_payload"),
    ],
)
async def test_arguments_aiocql_cannot_honour_raise_naming_them(
    session: AsyncSession, accounts: str, call: str, named: str
) -> None:
    value: object = {
        "custom_payload": {"k": b"v"},
        "host": "127.0.0.1:9042",
        "execute_as": "bob",
        "trace": True,
    }[named]
    batch = BatchStatement()
    batch.add(f"INSERT INTO {accounts} (k, v) VALUES (9, 9)")
    target = batch if call == "execute_batch" else f"SELECT * FROM {accounts}"
    with pytest.raises(UnsupportedOperation, match=f"^{named}"):
        await getattr(session, call)(target, **{named: value})
    assert (await session.execute(f"SELECT * FROM {accounts}")).all() == []  # nothing was sent
