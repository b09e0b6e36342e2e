"""Bad input: parameters that do not fit, CQL the server refuses. Errors must be typed and
clear, nothing half-done may reach the server, and the session must keep working."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiocql import (
    AsyncResultSet,
    AsyncSession,
    DriverException,
    InvalidRequest,
    ParameterError,
    ParameterTypeError,
    ParameterValueError,
    RequestValidationException,
    SyntaxException,
)

SYNTAX_ERROR_CODE = 0x2000
INVALID_CODE = 0x2200

# The three ways a parameterised statement is bound: an explicitly prepared statement; a string
# query the session has already prepared and cached (bound on the event-loop thread); a string
# query used for the first time (prepared first, then bound on the I/O thread).
PATHS = ["prepared", "string-cached", "string-first-use"]

Runner = Callable[[str, Any], Awaitable[AsyncResultSet]]


@pytest.fixture
async def table(session: AsyncSession, table_name: str) -> str:
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, a int, b text, c bigint)")
    return table_name


@pytest.fixture(params=PATHS)
def run(
    request: pytest.FixtureRequest, session: AsyncSession, fresh_session: AsyncSession
) -> Runner:
    """Executes ``(query, parameters)`` along one of PATHS."""
    path: str = request.param

    async def run(query: str, parameters: Any) -> AsyncResultSet:
        if path == "prepared":
            return await session.execute(await session.prepare(query), parameters)
        if path == "string-cached":
            await session.prepare(query)  # puts it in the session's cache
            return await session.execute(query, parameters)
        # fresh_session has never seen this text.
        return await fresh_session.execute(query, parameters)

    return run


async def _assert_session_works(session: AsyncSession, table: str) -> None:
    await session.execute(f"INSERT INTO {table} (k, a, b, c) VALUES (?, ?, ?, ?)", [99, 1, "ok", 2])
    rs = await session.execute(f"SELECT k, a, b, c FROM {table} WHERE k = ?", [99])
    assert rs.all() == [(99, 1, "ok", 2)]


async def _assert_absent(session: AsyncSession, table: str, *keys: int) -> None:
    for key in keys:
        rs = await session.execute(f"SELECT k FROM {table} WHERE k = ?", [key])
        assert rs.all() == [], f"row {key} was written although the call failed"


# --- number of parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "given"),
    [
        pytest.param([1, 2, "x"], 3, id="too-few"),
        pytest.param([1, 2, "x", 3, 4], 5, id="too-many"),
        pytest.param([1], 1, id="one"),
    ],
)
async def test_wrong_number_of_positional_parameters(
    session: AsyncSession, table: str, run: Runner, values: list[Any], given: int
) -> None:
    query = f"INSERT INTO {table} (k, a, b, c) VALUES (?, ?, ?, ?)"
    with pytest.raises(ParameterValueError) as info:
        await run(query, values)
    exc = info.value
    assert str(exc) == (
        f"the statement has 4 bind marker(s) (k, a, b, c) but {given} parameter(s) were given"
    )
    assert isinstance(exc, ParameterError)
    assert isinstance(exc, ValueError)
    # A statement-level problem: no one parameter is to blame.
    assert (exc.parameter, exc.column, exc.cql_type, exc.python_type) == (None, None, None, None)

    await _assert_absent(session, table, 1)
    await _assert_session_works(session, table)


async def test_parameters_for_a_statement_without_markers(
    session: AsyncSession, table: str, run: Runner
) -> None:
    with pytest.raises(ParameterValueError, match=r"has 0 bind marker\(s\) \(\) but 1 parameter"):
        await run(f"INSERT INTO {table} (k, a) VALUES (1, 1)", [5])
    await _assert_absent(session, table, 1)
    await _assert_session_works(session, table)


async def test_string_query_with_markers_but_no_parameters_is_refused_by_the_server(
    session: AsyncSession, table: str
) -> None:
    # Without parameters the string is sent as it is; the server counts the markers.
    with pytest.raises(InvalidRequest, match="bind variables"):
        await session.execute(f"INSERT INTO {table} (k, a) VALUES (?, ?)")
    await _assert_absent(session, table, 1)
    await _assert_session_works(session, table)


# --- wrong Python types ------------------------------------------------------------------------


async def test_str_for_an_int_column(session: AsyncSession, table: str, run: Runner) -> None:
    with pytest.raises(ParameterTypeError) as info:
        await run(f"INSERT INTO {table} (k, a, b) VALUES (?, ?, ?)", [1, "42", "x"])
    exc = info.value
    assert isinstance(exc, TypeError)
    assert (exc.parameter, exc.column, exc.cql_type, exc.python_type) == ("#1", "a", "int", "str")
    assert str(exc) == (
        "parameter #1 (column 'a', CQL type int): expected int for CQL int, got str ('42')"
    )
    await _assert_absent(session, table, 1)
    await _assert_session_works(session, table)


async def test_wrong_type_for_a_named_parameter(
    session: AsyncSession, table: str, run: Runner
) -> None:
    with pytest.raises(ParameterTypeError) as info:
        await run(f"INSERT INTO {table} (k, a, b) VALUES (:k, :a, :b)", {"k": 1, "a": 2, "b": 3.5})
    exc = info.value
    assert exc.parameter == "'b'"
    assert (exc.column, exc.cql_type, exc.python_type) == ("b", "text", "float")
    assert "column 'b'" in str(exc)
    assert "got float (3.5)" in str(exc)
    await _assert_absent(session, table, 1)
    await _assert_session_works(session, table)


async def test_where_clause_parameter_of_the_wrong_type(
    session: AsyncSession, table: str, run: Runner
) -> None:
    with pytest.raises(ParameterTypeError, match=r"column 'k', CQL type int.*got str"):
        await run(f"SELECT * FROM {table} WHERE k = ?", ["1"])
    await _assert_session_works(session, table)


@pytest.mark.parametrize(
    "parameters",
    [pytest.param("12", id="str"), pytest.param(b"12", id="bytes"), pytest.param(12, id="int")],
)
async def test_parameters_that_are_not_a_sequence_or_mapping(
    session: AsyncSession, table: str, parameters: Any
) -> None:
    prepared = await session.prepare(f"SELECT * FROM {table} WHERE k = ?")
    for query in (prepared, f"SELECT * FROM {table} WHERE k = ?"):
        with pytest.raises(ParameterTypeError, match="must be a list or tuple") as info:
            await session.execute(query, parameters)
        assert info.value.python_type == type(parameters).__name__
    await _assert_session_works(session, table)


async def test_single_string_parameter_hint(session: AsyncSession, table: str) -> None:
    with pytest.raises(ParameterTypeError, match=r"for a single value write \[value\]"):
        await session.execute(f"SELECT * FROM {table} WHERE b = ? ALLOW FILTERING", "x")


@pytest.mark.parametrize("query", [42, b"SELECT * FROM system.local", None])
async def test_query_that_is_not_a_string_or_prepared_statement(
    session: AsyncSession, query: Any
) -> None:
    with pytest.raises(
        TypeError, match=r"query must be a str, a SimpleStatement, a PreparedStatement, .* got"
    ):
        await session.execute(query)


# --- named parameters --------------------------------------------------------------------------


async def test_missing_named_parameter(session: AsyncSession, table: str, run: Runner) -> None:
    with pytest.raises(ParameterValueError) as info:
        await run(f"INSERT INTO {table} (k, a, b) VALUES (:k, :a, :b)", {"k": 1, "a": 2})
    assert str(info.value) == "missing parameter 'b'; the statement's bind markers are: k, a, b"
    await _assert_absent(session, table, 1)
    await _assert_session_works(session, table)


async def test_unknown_named_parameter(session: AsyncSession, table: str, run: Runner) -> None:
    with pytest.raises(ParameterValueError) as info:
        await run(
            f"INSERT INTO {table} (k, a) VALUES (:k, :a)", {"k": 1, "a": 2, "typo": 3, "b": 4}
        )
    message = str(info.value)
    assert message.startswith("unknown parameter(s) ")
    assert "'typo'" in message
    assert "'b'" in message
    assert message.endswith("the statement's bind markers are: k, a")
    await _assert_absent(session, table, 1)
    await _assert_session_works(session, table)


async def test_named_parameter_with_a_non_string_key(session: AsyncSession, table: str) -> None:
    with pytest.raises(ParameterValueError, match=r"unknown parameter\(s\) 1"):
        await session.execute(f"SELECT * FROM {table} WHERE k = :k", {"k": 1, 1: 2})


# --- nothing half-done reaches the server ------------------------------------------------------


async def test_bad_third_parameter_writes_nothing(
    session: AsyncSession, table: str, run: Runner
) -> None:
    # The first two values are fine and the fourth would be too: the row must still not appear.
    with pytest.raises(ParameterTypeError, match=r"parameter #2 \(column 'b'"):
        await run(f"INSERT INTO {table} (k, a, b, c) VALUES (?, ?, ?, ?)", [1, 2, 3, 4])
    await _assert_absent(session, table, 1)
    await _assert_session_works(session, table)


async def test_bad_parameter_in_a_batch_writes_none_of_its_statements(
    session: AsyncSession, table: str, run: Runner
) -> None:
    batch = (
        "BEGIN BATCH "
        f"INSERT INTO {table} (k, a) VALUES (?, ?); "
        f"INSERT INTO {table} (k, b) VALUES (?, ?); "
        f"INSERT INTO {table} (k, c) VALUES (?, ?); "
        "APPLY BATCH"
    )
    with pytest.raises(ParameterValueError, match=r"parameter #4 \(column 'k', CQL type int\)"):
        await run(batch, [1, 10, 2, "two", 2**31, 30])
    await _assert_absent(session, table, 1, 2)

    # The same batch with good values writes all three rows.
    await run(batch, [1, 10, 2, "two", 3, 30])
    rs = await session.execute(f"SELECT k, a, b, c FROM {table}")
    assert sorted(rs) == [(1, 10, None, None), (2, None, "two", None), (3, None, None, 30)]


async def test_bad_collection_element_writes_nothing(
    session: AsyncSession, table_name: str, run: Runner
) -> None:
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, l list<int>)")
    with pytest.raises(ParameterTypeError, match="element 2: expected int for CQL int"):
        await run(f"INSERT INTO {table_name} (k, l) VALUES (?, ?)", [1, [1, 2, "3", 4]])
    with pytest.raises(ParameterValueError, match="element 1: CQL collections cannot contain"):
        await run(f"INSERT INTO {table_name} (k, l) VALUES (?, ?)", [1, [1, None]])
    rs = await session.execute(f"SELECT * FROM {table_name}")
    assert rs.all() == []


async def test_many_concurrent_bad_calls_leave_the_session_working(
    session: AsyncSession, table: str
) -> None:
    insert = await session.prepare(f"INSERT INTO {table} (k, a) VALUES (?, ?)")
    results = await asyncio.gather(
        *(session.execute(insert, [k, "bad"]) for k in range(100)),
        *(session.execute(f"SELECT * FROM {table} WHERE k = ?", ["bad"]) for _ in range(100)),
        return_exceptions=True,
    )
    assert all(isinstance(r, ParameterTypeError) for r in results)
    await _assert_absent(session, table, 0, 50)
    await _assert_session_works(session, table)


# --- CQL the server refuses --------------------------------------------------------------------


async def test_invalid_cql_raises_syntax_exception(session: AsyncSession, table: str) -> None:
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "execute": lambda: session.execute(f"SELEKT * FROM {table}"),
        "execute with parameters": lambda: session.execute(
            f"SELEKT * FROM {table} WHERE k = ?", [1]
        ),
        "prepare": lambda: session.prepare(f"SELEKT * FROM {table}"),
    }
    for what, call in calls.items():
        with pytest.raises(SyntaxException) as info:
            await call()
        exc = info.value
        assert exc.code == SYNTAX_ERROR_CODE, what
        # The server's own message, with the position of the problem, in cassandra-driver's text.
        assert exc.message.startswith("line 1:0 "), what
        assert "SELEKT" in exc.message, what
        assert str(exc) == (
            f'Error from server: code=2000 [Syntax error in CQL query] message="{exc.message}"'
        ), what
        assert isinstance(exc, RequestValidationException), what
        assert isinstance(exc, DriverException), what
    await _assert_session_works(session, table)


async def test_truncated_cql_raises_syntax_exception(session: AsyncSession, table: str) -> None:
    with pytest.raises(SyntaxException, match="no viable alternative at input '<EOF>'") as info:
        await session.execute(f"SELECT * FROM {table} WHERE")
    assert info.value.code == SYNTAX_ERROR_CODE
    await _assert_session_works(session, table)


async def test_unknown_keyspace_raises_invalid_request(session: AsyncSession, table: str) -> None:
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "execute": lambda: session.execute("SELECT * FROM no_such_ks_xyz.t"),
        "execute with parameters": lambda: session.execute(
            "SELECT * FROM no_such_ks_xyz.t WHERE k = ?", [1]
        ),
        "prepare": lambda: session.prepare("SELECT * FROM no_such_ks_xyz.t"),
    }
    for what, call in calls.items():
        with pytest.raises(InvalidRequest) as info:
            await call()
        assert info.value.message == "keyspace no_such_ks_xyz does not exist", what
        assert str(info.value) == (
            "Error from server: code=2200 [Invalid query] "
            'message="keyspace no_such_ks_xyz does not exist"'
        ), what
        assert info.value.code == INVALID_CODE, what
        assert isinstance(info.value, RequestValidationException), what
    await _assert_session_works(session, table)


async def test_unknown_table_raises_invalid_request(session: AsyncSession, table: str) -> None:
    for call in (
        lambda: session.execute("SELECT * FROM no_such_table_xyz"),
        lambda: session.execute("SELECT * FROM no_such_table_xyz WHERE k = ?", [1]),
        lambda: session.prepare("INSERT INTO no_such_table_xyz (k) VALUES (?)"),
    ):
        with pytest.raises(InvalidRequest) as info:
            await call()
        assert info.value.message == "table no_such_table_xyz does not exist"
    await _assert_session_works(session, table)


async def test_unknown_column_raises_invalid_request(session: AsyncSession, table: str) -> None:
    with pytest.raises(InvalidRequest, match="Undefined column name nope") as info:
        await session.execute(f"INSERT INTO {table} (k, nope) VALUES (?, ?)", [1, 2])
    assert info.value.code == INVALID_CODE
    await _assert_absent(session, table, 1)
    await _assert_session_works(session, table)


async def test_literal_of_the_wrong_type_raises_invalid_request(
    session: AsyncSession, table: str
) -> None:
    with pytest.raises(InvalidRequest, match='for "a" of type int'):
        await session.execute(f"INSERT INTO {table} (k, a) VALUES (1, 'text')")
    await _assert_absent(session, table, 1)
    await _assert_session_works(session, table)


async def test_prepared_statement_of_a_dropped_table(
    session: AsyncSession, table_name: str
) -> None:
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY)")
    select = await session.prepare(f"SELECT * FROM {table_name} WHERE k = ?")
    await session.execute(f"DROP TABLE {table_name}")
    with pytest.raises(InvalidRequest, match=f"table {table_name} does not exist"):
        await session.execute(select, [1])
    with pytest.raises(InvalidRequest, match=f"table {table_name} does not exist"):
        await session.execute(f"SELECT * FROM {table_name} WHERE k = ?", [1])
    await session.execute("SELECT release_version FROM system.local")
