"""`execute_concurrent` and `execute_concurrent_iter`: bulk work with bounded concurrency."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from aiocql import (
    AsyncResultSet,
    AsyncSession,
    ExecutionResult,
    ParameterTypeError,
    PreparedStatement,
)


@pytest.fixture
async def kv(session: AsyncSession, table_name: str) -> AsyncIterator[str]:
    await session.execute(f"CREATE TABLE {table_name} (k int PRIMARY KEY, v text)", timeout=60)
    yield table_name
    await session.execute(f"DROP TABLE {table_name}", timeout=60)


async def _insert(session: AsyncSession, table: str) -> PreparedStatement:
    return await session.prepare(f"INSERT INTO {table} (k, v) VALUES (?, ?)")


async def _keys(session: AsyncSession, table: str) -> set[int]:
    return {row.k for row in await session.execute(f"SELECT k FROM {table}")}


def _rows(count: int, bad: set[int] = frozenset()) -> Iterator[tuple[object, str]]:  # type: ignore[assignment]
    """Parameters for ``count`` inserts; positions in ``bad`` have a key that is not an int."""
    for i in range(count):
        yield (f"bad-{i}" if i in bad else i), f"v{i}"


async def test_a_bulk_load_writes_every_row_and_reports_in_input_order(
    session: AsyncSession, kv: str
) -> None:
    insert = await _insert(session, kv)
    results = await session.execute_concurrent(insert, _rows(2000), concurrency=64)
    assert len(results) == 2000
    assert all(isinstance(r, ExecutionResult) and r.success for r in results)
    assert await _keys(session, kv) == set(range(2000))
    select = await session.prepare(f"SELECT v FROM {kv} WHERE k = ?")
    reads = await session.execute_concurrent(select, ([k] for k in range(300)), concurrency=17)
    values = []
    for read in reads:
        assert isinstance(read.result_or_exc, AsyncResultSet)
        values.append(read.result_or_exc.one().v)
    assert values == [f"v{k}" for k in range(300)]


@pytest.mark.parametrize("position", [0, 250, 499])
async def test_failures_are_returned_in_place(
    session: AsyncSession, kv: str, position: int
) -> None:
    insert = await _insert(session, kv)
    results = await session.execute_concurrent(
        insert, _rows(500, {position}), concurrency=20, raise_on_first_error=False
    )
    failed = [i for i, r in enumerate(results) if not r.success]
    assert failed == [position]
    error = results[position].result_or_exc
    assert isinstance(error, ParameterTypeError)
    assert error.cql_type == "int"
    assert await _keys(session, kv) == set(range(500)) - {position}


@pytest.mark.parametrize("position", [0, 250, 499])
async def test_the_first_failure_is_raised_and_stops_new_requests(
    session: AsyncSession,
    kv: str,
    position: int,
    no_requests_in_flight: Callable[[], Awaitable[None]],
) -> None:
    insert = await _insert(session, kv)
    with pytest.raises(ParameterTypeError, match="int"):
        await session.execute_concurrent(insert, _rows(500, {position}), concurrency=1)
    # One at a time: everything before the failure was written, nothing after it was sent.
    assert await _keys(session, kv) == set(range(position))
    await no_requests_in_flight()


async def test_the_lowest_failing_position_is_raised(session: AsyncSession, kv: str) -> None:
    insert = await _insert(session, kv)
    bad_keys: dict[int, object] = {3: "three", 7: 7.5, 90: [90]}
    rows = [(bad_keys.get(i, i), "v") for i in range(100)]
    with pytest.raises(ParameterTypeError) as raised:
        await session.execute_concurrent(insert, rows, concurrency=50)
    assert raised.value.python_type == "str", "not the failure at the lowest position"


async def test_parameters_are_consumed_lazily(
    session: AsyncSession, kv: str, no_requests_in_flight: Callable[[], Awaitable[None]]
) -> None:
    insert = await _insert(session, kv)
    pulled = 0

    def rows() -> Iterator[tuple[int, str]]:
        nonlocal pulled
        for i in range(10_000):
            pulled += 1
            yield i, "v"

    async with contextlib.aclosing(
        session.execute_concurrent_iter(insert, rows(), concurrency=10)
    ) as results:
        async for _index, result in results:
            assert result.success
            break
    # The first result arrives after roughly `concurrency` requests, not 10,000.
    assert pulled <= 10 + 10 + 1
    await no_requests_in_flight()


async def test_execute_concurrent_iter_yields_each_index_once(
    session: AsyncSession, kv: str
) -> None:
    insert = await _insert(session, kv)
    seen: dict[int, bool] = {}
    async for index, (success, _) in session.execute_concurrent_iter(
        insert, _rows(300, {0, 299}), concurrency=30
    ):
        assert index not in seen
        seen[index] = success
    assert sorted(seen) == list(range(300))
    assert sorted(i for i, ok in seen.items() if not ok) == [0, 299]


async def test_cancelling_a_bulk_load_cancels_its_requests(
    session: AsyncSession, kv: str, no_requests_in_flight: Callable[[], Awaitable[None]]
) -> None:
    insert = await _insert(session, kv)
    task = asyncio.ensure_future(session.execute_concurrent(insert, _rows(100_000), concurrency=50))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await no_requests_in_flight()
    written = len(await _keys(session, kv))
    assert 0 < written < 100_000


async def test_an_iterable_that_fails_propagates_its_error(
    session: AsyncSession, kv: str, no_requests_in_flight: Callable[[], Awaitable[None]]
) -> None:
    insert = await _insert(session, kv)

    def rows() -> Iterator[tuple[int, str]]:
        yield 1, "v"
        raise LookupError("source failed")

    with pytest.raises(LookupError, match="source failed"):
        await session.execute_concurrent(insert, rows())
    with pytest.raises(LookupError, match="source failed"):
        async for _ in session.execute_concurrent_iter(insert, rows()):
            pass
    await no_requests_in_flight()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"concurrency": 0}, ValueError, "concurrency must be at least 1"),
        ({"concurrency": "8"}, TypeError, "concurrency"),
    ],
)
async def test_bad_arguments_raise_before_any_request(
    session: AsyncSession, kv: str, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    insert = await _insert(session, kv)
    with pytest.raises(error, match=message):
        await session.execute_concurrent(insert, _rows(5), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="parameters must be an iterable"):
        await session.execute_concurrent(insert, 42)  # type: ignore[arg-type]
    assert await _keys(session, kv) == set()
