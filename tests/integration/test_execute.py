"""Running statements: plain strings, bind parameters, prepared statements, DDL."""

from __future__ import annotations

import types
from collections.abc import AsyncIterator

import pytest

from aiocql import AsyncCluster, AsyncResultSet, AsyncSession, InvalidRequest, PreparedStatement

KEYSPACE = "aiocql_test"
OTHER_KEYSPACE = "aiocql_test_execute_other"


@pytest.fixture
async def table(session: AsyncSession, table_name: str) -> str:
    """A ``(k int PRIMARY KEY, v text, n bigint)`` table in the test keyspace."""
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v text, n bigint)")
    return table_name


@pytest.fixture(scope="module")
async def other_keyspace(session: AsyncSession) -> AsyncIterator[str]:
    """A second keyspace, for tests about which keyspace a statement runs in."""
    await session.execute(
        f"CREATE KEYSPACE IF NOT EXISTS {OTHER_KEYSPACE} WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 1}"
    )
    yield OTHER_KEYSPACE
    await session.execute(f"DROP KEYSPACE IF EXISTS {OTHER_KEYSPACE}")


async def _rows(session: AsyncSession, table: str) -> list[tuple[object, ...]]:
    rs = await session.execute(f"SELECT k, v, n FROM {table}")
    return sorted(tuple(row) for row in rs)


# --- plain strings ---------------------------------------------------------------------------


async def test_execute_plain_string(session: AsyncSession, table: str) -> None:
    rs = await session.execute(f"INSERT INTO {table} (k, v, n) VALUES (1, 'one', 10)")
    assert isinstance(rs, AsyncResultSet)
    assert len(rs) == 0

    rs = await session.execute(f"SELECT k, v, n FROM {table} WHERE k = 1")
    assert isinstance(rs, AsyncResultSet)
    assert rs.all() == [(1, "one", 10)]


async def test_execute_with_empty_parameters_runs_a_string_without_markers(
    session: AsyncSession, table: str
) -> None:
    for empty in (None, [], (), {}):
        await session.execute(f"INSERT INTO {table} (k, v) VALUES (1, 'x')", empty)
    assert await _rows(session, table) == [(1, "x", None)]


async def test_execute_fully_qualified_string_from_a_session_without_keyspace(
    cluster: AsyncCluster, session: AsyncSession, table: str
) -> None:
    async with await cluster.connect() as unbound:
        assert unbound.keyspace is None
        await unbound.execute(f"INSERT INTO {KEYSPACE}.{table} (k, v) VALUES (?, ?)", [3, "c"])
        with pytest.raises(InvalidRequest, match="No keyspace has been specified"):
            await unbound.execute(f"SELECT * FROM {table}")
    assert await _rows(session, table) == [(3, "c", None)]


# --- positional parameters -------------------------------------------------------------------


async def test_positional_parameters_as_a_list(session: AsyncSession, table: str) -> None:
    await session.execute(f"INSERT INTO {table} (k, v, n) VALUES (?, ?, ?)", [1, "one", 2**40])
    rs = await session.execute(f"SELECT k, v, n FROM {table} WHERE k = ?", [1])
    assert rs.all() == [(1, "one", 2**40)]


async def test_positional_parameters_as_a_tuple(session: AsyncSession, table: str) -> None:
    await session.execute(f"INSERT INTO {table} (k, v, n) VALUES (?, ?, ?)", (2, "two", -5))
    rs = await session.execute(f"SELECT k, v, n FROM {table} WHERE k = ?", (2,))
    assert rs.all() == [(2, "two", -5)]


async def test_positional_parameters_from_any_iterable(session: AsyncSession, table: str) -> None:
    await session.execute(
        f"INSERT INTO {table} (k, v, n) VALUES (?, ?, ?)", (x for x in (3, "three", 3))
    )
    assert await _rows(session, table) == [(3, "three", 3)]


async def test_parameters_in_where_clause_select_the_right_rows(
    session: AsyncSession, table: str
) -> None:
    for k in range(5):
        await session.execute(f"INSERT INTO {table} (k, v) VALUES (?, ?)", [k, f"v{k}"])
    rs = await session.execute(f"SELECT k, v FROM {table} WHERE k IN (?, ?)", [1, 3])
    assert sorted(rs) == [(1, "v1"), (3, "v3")]


async def test_none_parameter_writes_null(session: AsyncSession, table: str) -> None:
    await session.execute(f"INSERT INTO {table} (k, v, n) VALUES (?, ?, ?)", [1, "x", 5])
    await session.execute(f"INSERT INTO {table} (k, v, n) VALUES (?, ?, ?)", [1, None, None])
    assert await _rows(session, table) == [(1, None, None)]


# --- named parameters ------------------------------------------------------------------------


async def test_named_parameters_in_a_string_query(session: AsyncSession, table: str) -> None:
    await session.execute(
        f"INSERT INTO {table} (k, v, n) VALUES (:k, :v, :n)", {"v": "named", "n": 7, "k": 4}
    )
    rs = await session.execute(f"SELECT k, v, n FROM {table} WHERE k = :key", {"key": 4})
    assert rs.all() == [(4, "named", 7)]


async def test_named_parameters_with_a_prepared_statement(
    session: AsyncSession, table: str
) -> None:
    insert = await session.prepare(f"INSERT INTO {table} (k, v, n) VALUES (:k, :v, :n)")
    await session.execute(insert, {"n": 1, "k": 5, "v": "five"})
    select = await session.prepare(f"SELECT k, v, n FROM {table} WHERE k = :k")
    assert (await session.execute(select, {"k": 5})).all() == [(5, "five", 1)]


async def test_named_parameters_from_any_mapping(session: AsyncSession, table: str) -> None:
    values = types.MappingProxyType({"k": 6, "v": "six", "n": 6})
    await session.execute(f"INSERT INTO {table} (k, v, n) VALUES (:k, :v, :n)", values)
    assert await _rows(session, table) == [(6, "six", 6)]


async def test_named_markers_can_be_bound_by_position(session: AsyncSession, table: str) -> None:
    insert = await session.prepare(f"INSERT INTO {table} (k, v, n) VALUES (:k, :v, :n)")
    await session.execute(insert, [8, "eight", 8])
    assert await _rows(session, table) == [(8, "eight", 8)]


async def test_unnamed_markers_can_be_bound_by_column_name(
    session: AsyncSession, table: str
) -> None:
    insert = await session.prepare(f"INSERT INTO {table} (k, v, n) VALUES (?, ?, ?)")
    assert [name for name, _ in insert.column_metadata] == ["k", "v", "n"]
    await session.execute(insert, {"k": 9, "v": "nine", "n": 9})
    assert await _rows(session, table) == [(9, "nine", 9)]


# --- prepared statements ---------------------------------------------------------------------


async def test_prepare_returns_a_prepared_statement(session: AsyncSession, table: str) -> None:
    query = f"SELECT v, n FROM {table} WHERE k = ?"
    prepared = await session.prepare(query)

    assert isinstance(prepared, PreparedStatement)
    assert prepared.query_string == query
    assert prepared.keyspace == KEYSPACE
    assert prepared.column_metadata == [("k", "int")]
    assert prepared.result_metadata == [("v", "text"), ("n", "bigint")]
    assert isinstance(prepared.query_id, bytes)
    assert prepared.query_id
    assert query in repr(prepared)


async def test_prepare_the_same_text_twice_gives_the_same_query_id(
    session: AsyncSession, table: str
) -> None:
    query = f"SELECT v FROM {table} WHERE k = ?"
    first = await session.prepare(query)
    second = await session.prepare(query)
    assert first.query_id == second.query_id
    other = await session.prepare(f"SELECT n FROM {table} WHERE k = ?")
    assert other.query_id != first.query_id


async def test_prepared_statement_executes_repeatedly(session: AsyncSession, table: str) -> None:
    insert = await session.prepare(f"INSERT INTO {table} (k, v, n) VALUES (?, ?, ?)")
    select = await session.prepare(f"SELECT v, n FROM {table} WHERE k = ?")
    for k in range(30):
        await session.execute(insert, [k, f"v{k}", k * k])
    for k in range(30):
        assert (await session.execute(select, [k])).all() == [(f"v{k}", k * k)]
    count = (await session.execute(f"SELECT count(*) FROM {table}")).one()
    assert count is not None
    assert count[0] == 30


async def test_prepared_statement_without_markers(session: AsyncSession, table: str) -> None:
    await session.execute(f"INSERT INTO {table} (k, v) VALUES (1, 'a')")
    select = await session.prepare(f"SELECT k, v FROM {table}")
    assert select.column_metadata == []
    assert (await session.execute(select)).all() == [(1, "a")]
    assert (await session.execute(select, [])).all() == [(1, "a")]


async def test_prepared_statement_works_on_another_session(
    cluster: AsyncCluster, session: AsyncSession, table: str
) -> None:
    insert = await session.prepare(f"INSERT INTO {table} (k, v) VALUES (?, ?)")
    async with await cluster.connect() as other:
        await other.execute(insert, [11, "from another session"])
    assert await _rows(session, table) == [(11, "from another session", None)]


# --- DDL ---------------------------------------------------------------------------------------


async def test_ddl_through_execute(session: AsyncSession, table_name: str) -> None:
    rs = await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v int)")
    assert len(rs) == 0
    assert not rs
    assert rs.column_names == []

    await session.execute(f"ALTER TABLE {table_name} ADD extra text")
    await session.execute(
        f"INSERT INTO {table_name} (k, v, extra) VALUES (?, ?, ?)", [1, 2, "added"]
    )
    rs = await session.execute(f"SELECT k, v, extra FROM {table_name}")
    assert rs.all() == [(1, 2, "added")]

    await session.execute(f"TRUNCATE {table_name}")
    assert (await session.execute(f"SELECT * FROM {table_name}")).all() == []

    await session.execute(f"DROP TABLE {table_name}")
    with pytest.raises(InvalidRequest, match=table_name):
        await session.execute(f"SELECT * FROM {table_name}")


async def test_create_if_not_exists_is_idempotent(session: AsyncSession, table_name: str) -> None:
    ddl = f"CREATE TABLE IF NOT EXISTS {table_name} (k int PRIMARY KEY)"
    await session.execute(ddl)
    await session.execute(ddl)
    await session.execute(f"INSERT INTO {table_name} (k) VALUES (1)")
    assert (await session.execute(f"SELECT k FROM {table_name}")).all() == [(1,)]


# --- timeout= ----------------------------------------------------------------------------------


async def test_per_call_timeout_keyword_is_accepted(
    fresh_session: AsyncSession, table_name: str
) -> None:
    await fresh_session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY)", timeout=30)
    await fresh_session.execute(f"INSERT INTO {table_name} (k) VALUES (1)", timeout=5)
    await fresh_session.execute(f"INSERT INTO {table_name} (k) VALUES (?)", [2], timeout=5.0)
    prepared = await fresh_session.prepare(f"SELECT k FROM {table_name} WHERE k = ?", timeout=5)
    assert (await fresh_session.execute(prepared, [2], timeout=5)).all() == [(2,)]
    assert (await fresh_session.execute(prepared, [1], timeout=None)).all() == [(1,)]
    await fresh_session.set_keyspace("system", timeout=5)
    assert fresh_session.keyspace == "system"


# --- which keyspace a statement runs in --------------------------------------------------------


@pytest.fixture
async def twin_tables(session: AsyncSession, other_keyspace: str, table_name: str) -> str:
    """A table of the same name in both keyspaces, holding different rows."""
    for keyspace in (KEYSPACE, other_keyspace):
        await session.execute(f"CREATE TABLE {keyspace}.{table_name} (k int PRIMARY KEY, v text)")
        await session.execute(
            f"INSERT INTO {keyspace}.{table_name} (k, v) VALUES (1, ?)", [keyspace]
        )
    return table_name


async def test_qualified_prepared_statement_runs_from_any_keyspace(
    fresh_session: AsyncSession, other_keyspace: str, twin_tables: str
) -> None:
    select = await fresh_session.prepare(
        f"SELECT v FROM {other_keyspace}.{twin_tables} WHERE k = ?"
    )
    assert select.keyspace == other_keyspace
    assert (await fresh_session.execute(select, [1])).all() == [(other_keyspace,)]

    await fresh_session.set_keyspace("system")
    assert (await fresh_session.execute(select, [1])).all() == [(other_keyspace,)]


async def test_unqualified_prepared_statement_keeps_the_keyspace_it_was_prepared_in(
    fresh_session: AsyncSession, other_keyspace: str, twin_tables: str
) -> None:
    select = await fresh_session.prepare(f"SELECT v FROM {twin_tables} WHERE k = ?")
    assert select.keyspace == KEYSPACE

    await fresh_session.set_keyspace(other_keyspace)
    assert (await fresh_session.execute(select, [1])).all() == [(KEYSPACE,)]
    # Prepared again in the new keyspace, the same text reads the other table.
    again = await fresh_session.prepare(f"SELECT v FROM {twin_tables} WHERE k = ?")
    assert again.keyspace == other_keyspace
    assert (await fresh_session.execute(again, [1])).all() == [(other_keyspace,)]


async def test_parameterised_string_query_follows_the_current_keyspace(
    fresh_session: AsyncSession, other_keyspace: str, twin_tables: str
) -> None:
    # The session prepares and caches parameterised strings; the cache must not send the text
    # prepared for one keyspace to the table of another.
    query = f"SELECT v FROM {twin_tables} WHERE k = ?"
    assert (await fresh_session.execute(query, [1])).all() == [(KEYSPACE,)]
    await fresh_session.set_keyspace(other_keyspace)
    assert (await fresh_session.execute(query, [1])).all() == [(other_keyspace,)]
    await fresh_session.set_keyspace(KEYSPACE)
    assert (await fresh_session.execute(query, [1])).all() == [(KEYSPACE,)]


async def test_qualified_and_unqualified_texts_reach_the_same_table(
    session: AsyncSession, table: str
) -> None:
    await session.execute(f"INSERT INTO {KEYSPACE}.{table} (k, v) VALUES (?, ?)", [1, "q"])
    await session.execute(f"INSERT INTO {table} (k, v) VALUES (?, ?)", [2, "u"])
    qualified = await session.prepare(f"SELECT k, v FROM {KEYSPACE}.{table} WHERE k = ?")
    unqualified = await session.prepare(f"SELECT k, v FROM {table} WHERE k = ?")
    for k, v in ((1, "q"), (2, "u")):
        assert (await session.execute(qualified, [k])).all() == [(k, v)]
        assert (await session.execute(unqualified, [k])).all() == [(k, v)]
