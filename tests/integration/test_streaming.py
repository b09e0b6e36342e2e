"""`execute_stream`: constant memory, one page of prefetch, prompt stop, a responsive loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import threading
import time
from collections.abc import Awaitable, Callable

import pytest

from aiocql import (
    AsyncSession,
    AsyncStreamingResultSet,
    ConnectionClosed,
    InvalidRequest,
    OperationTimedOut,
    StreamConfig,
    create_streaming_statement,
)

BIG_TABLE_ROWS = 100_000  # conftest's big_table
PAGE = 100


async def _fill(session: AsyncSession, table: str, count: int) -> None:
    insert = await session.prepare(f"INSERT INTO {table} (p, c, v) VALUES (?, ?, ?)")
    await session.execute_concurrent(insert, ((1, c, f"v{c}") for c in range(count)))


async def _stream(session: AsyncSession, table: str, **config: object) -> AsyncStreamingResultSet:
    return await session.execute_stream(
        f"SELECT c FROM {table} WHERE p = 1",
        stream_config=StreamConfig(**{"fetch_size": PAGE, **config}),  # type: ignore[arg-type]
    )


async def _settle(stream: AsyncStreamingResultSet) -> int:
    """Waits until the producer has stopped asking for pages; returns the count."""
    requested = -1
    for _ in range(50):
        if stream.pages_requested == requested:
            break
        requested = stream.pages_requested
        await asyncio.sleep(0.05)
    return stream.pages_requested


@pytest.mark.parametrize(("count", "pages"), [(0, 0), (1, 1), (PAGE, 1), (PAGE * 25 + 7, 26)])
async def test_rows_and_pages_arrive_complete_and_in_order(
    session: AsyncSession, rows_table: str, count: int, pages: int
) -> None:
    await _fill(session, rows_table, count)
    async with await _stream(session, rows_table) as stream:
        keys = [row.c async for row in stream]
        assert keys == list(range(count))
        assert stream.page_number == pages
        assert stream.total_rows_fetched == count
    async with await _stream(session, rows_table) as stream:
        sizes = [len(page) async for page in stream.pages()]
        assert sum(sizes) == count
        assert all(size == PAGE for size in sizes[:-1])


async def test_100k_rows_by_row_and_by_page(session: AsyncSession, big_table: str) -> None:
    config = StreamConfig(fetch_size=5000)
    async with await session.execute_stream(f"SELECT p, c, v FROM {big_table}", None, config) as s:
        seen = {(row.p, row.c) async for row in s if row.v == f"r{row.p}-{row.c}"}
    assert len(seen) == BIG_TABLE_ROWS
    async with await session.execute_stream(f"SELECT p, c FROM {big_table}", None, config) as s:
        total = 0
        async for page in s.pages():
            assert len(page) <= 5000
            total += len(page)
    assert total == BIG_TABLE_ROWS


async def test_rows_then_pages_on_one_stream_hand_out_each_row_once(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 350)
    async with await _stream(session, rows_table) as stream:
        head = [await stream.__anext__() for _ in range(30)]
        pages = [page async for page in stream.pages()]
    keys = [row.c for row in head] + [row.c for page in pages for row in page]
    assert keys == list(range(350))
    assert [len(page) for page in pages] == [70, 100, 100, 50]


async def test_the_next_page_is_fetched_while_the_current_one_is_consumed_and_no_further(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, PAGE * 10)
    async with await _stream(session, rows_table) as stream:
        # Page 1 is in hand and nothing is consumed: page 2 is prefetched, page 3 is not.
        assert await _settle(stream) == 2
        seen = 0
        async for _ in stream:
            seen += 1
            if seen % PAGE == 0:
                # A slow consumer: the producer never runs more than one page ahead.
                await asyncio.sleep(0.02)
                assert stream.pages_requested <= stream.page_number + 1
        assert seen == PAGE * 10


async def test_max_pages_bounds_the_page_requests(session: AsyncSession, rows_table: str) -> None:
    await _fill(session, rows_table, PAGE * 10)
    async with await _stream(session, rows_table, max_pages=3) as stream:
        keys = [row.c async for row in stream]
        assert keys == list(range(3 * PAGE))
        assert stream.pages_requested == 3


async def test_page_callback_runs_on_the_event_loop_thread(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 250)
    calls: list[tuple[int, int, int]] = []

    def on_page(page_number: int, rows: int) -> None:
        calls.append((page_number, rows, threading.get_ident()))

    async with await _stream(session, rows_table, page_callback=on_page) as stream:
        async for _ in stream:
            pass
    assert [(n, rows) for n, rows, _ in calls] == [(1, 100), (2, 100), (3, 50)]
    assert {thread for _, _, thread in calls} == {threading.get_ident()}


async def test_a_page_callback_error_reaches_the_consumer(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 250)

    def on_page(page_number: int, rows: int) -> None:
        if page_number == 2:
            raise RuntimeError("callback failed")

    stream = await _stream(session, rows_table, page_callback=on_page)
    with pytest.raises(RuntimeError, match="callback failed"):
        async for _ in stream:
            pass
    await stream.close()


async def test_breaking_out_sends_no_further_page_requests(
    session: AsyncSession, rows_table: str, no_requests_in_flight: Callable[[], Awaitable[None]]
) -> None:
    await _fill(session, rows_table, PAGE * 20)
    stream = await _stream(session, rows_table)
    async for row in stream:
        if row.c == 150:
            break
    requested = await _settle(stream)
    assert requested <= stream.page_number + 1, "the producer ran ahead after the break"
    await asyncio.sleep(0.2)
    assert stream.pages_requested == requested
    await stream.close()
    assert [row async for row in stream] == []
    await no_requests_in_flight()


async def test_dropping_a_stream_stops_its_producer(
    session: AsyncSession, rows_table: str, no_requests_in_flight: Callable[[], Awaitable[None]]
) -> None:
    await _fill(session, rows_table, PAGE * 20)
    stream = await _stream(session, rows_table)
    await stream.__anext__()
    del stream
    gc.collect()
    await no_requests_in_flight()


async def test_cancelling_the_consuming_task_stops_the_stream(
    session: AsyncSession, rows_table: str, no_requests_in_flight: Callable[[], Awaitable[None]]
) -> None:
    await _fill(session, rows_table, PAGE * 20)
    started = asyncio.Event()

    async def consume() -> None:
        async with await _stream(session, rows_table) as stream:
            async for _ in stream:
                started.set()
                await asyncio.sleep(0.01)  # a slow consumer, cancelled mid-page

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await no_requests_in_flight()


async def test_a_consumer_cancelled_while_a_page_arrives_loses_no_rows(
    session: AsyncSession,
    rows_table: str,
    paused_node: Callable[[int], contextlib.AbstractContextManager[None]],
) -> None:
    await _fill(session, rows_table, PAGE * 3)
    stream = await _stream(session, rows_table)
    keys = [(await stream.__anext__()).c for _ in range(PAGE)]
    await _settle(stream)  # page 2 is waiting; the producer waits for room
    with paused_node(1):
        # Taking page 2 makes room: the producer asks the paused node for page 3, which cannot
        # arrive, so the wait below is for page 3.
        keys.extend([(await stream.__anext__()).c for _ in range(PAGE)])
        waiting = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.1)
        assert not waiting.done(), "page 3 arrived from a paused node"
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    keys.extend([row.c async for row in stream])
    assert keys == list(range(PAGE * 3)), "a page was lost or repeated"


async def test_a_page_request_timeout_ends_the_stream_with_the_error(
    session: AsyncSession,
    rows_table: str,
    paused_node: Callable[[int], contextlib.AbstractContextManager[None]],
) -> None:
    await _fill(session, rows_table, PAGE * 5)
    stream = await _stream(session, rows_table, timeout_seconds=0.5)
    await _settle(stream)  # page 2 is waiting; the producer waits for room
    keys: list[int] = []

    async def consume() -> None:
        async for row in stream:
            keys.append(row.c)

    with paused_node(1), pytest.raises(OperationTimedOut):
        await consume()
    assert keys == list(range(2 * PAGE)), "rows before the failed page were not all delivered"
    assert [row async for row in stream] == []


async def test_rows_already_fetched_cost_no_future_and_no_scheduling(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 1000)
    async with await _stream(session, rows_table, fetch_size=1000) as stream:
        steps = [stream.__anext__() for _ in range(1000)]
    kinds = {type(step).__name__ for step in steps}
    assert kinds == {"Ready"}, f"rows in hand were awaited through {kinds}"
    yielding = 0
    for step in steps:
        it = step.__await__()
        try:
            yielded = next(it)
        except StopIteration:
            continue  # complete at once
        assert yielded is None, "a row in hand waited on a future"
        with pytest.raises(StopIteration):
            next(it)
        yielding += 1
    # One trip through the loop per 0.25 ms of continuous iteration, not one per row.
    assert yielding <= 100


def _work_for(seconds: float) -> None:
    """Stands for a consumer's per-row processing (parsing, validation)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def _largest_gap_while_streaming(session: AsyncSession, table: str) -> float:
    """Streams 20,000 rows to a consumer that works 20 us per row and never awaits anything of
    its own, next to a 1 ms heartbeat; returns the largest gap between beats. The consumer is
    slower than the server, so every next page is already waiting when it gets there."""
    gaps: list[float] = []
    stop = asyncio.Event()

    async def heartbeat() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    beat = asyncio.create_task(heartbeat())
    await asyncio.sleep(0.005)
    config = StreamConfig(fetch_size=5000, max_pages=4)
    started = time.perf_counter()
    async with await session.execute_stream(f"SELECT p, c FROM {table}", None, config) as s:
        count = 0
        async for _ in s:
            _work_for(20e-6)  # no await of its own: only the stream can let the loop run
            count += 1
    elapsed = time.perf_counter() - started
    stop.set()
    await beat
    assert count == 20_000
    assert len(gaps) >= elapsed / 0.01, f"only {len(gaps)} beats in {elapsed:.3f} s"
    return max(gaps)


async def test_a_consumer_that_never_awaits_leaves_the_loop_responsive(
    session: AsyncSession, big_table: str
) -> None:
    # Without yielding, the stream would hold the loop for whole pages (5000 rows, 100 ms);
    # a busy 2-core machine only delays some runs, so the best of three counts.
    gaps = []
    for _ in range(3):
        gaps.append(await _largest_gap_while_streaming(session, big_table))
        if gaps[-1] < 0.02:
            break
    assert min(gaps) < 0.02, f"largest heartbeat gaps {[f'{g * 1000:.1f} ms' for g in gaps]}"


async def test_streaming_from_a_paging_token_and_a_streaming_statement(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 250)
    query = f"SELECT c FROM {rows_table} WHERE p = 1"
    first = await session.execute_page(query, fetch_size=PAGE)
    async with await session.execute_stream(query, paging_state=first.paging_token) as stream:
        assert [row.c async for row in stream] == list(range(PAGE, 250))
    stmt = create_streaming_statement(query, fetch_size=50)
    async with await session.execute_stream(stmt) as stream:
        assert len([row async for row in stream]) == 250
        assert stream.page_number == 5, "the statement's fetch_size is used without a config"


async def test_query_errors_raise_from_execute_stream(
    session: AsyncSession, no_requests_in_flight: Callable[[], Awaitable[None]]
) -> None:
    with pytest.raises(InvalidRequest):
        await session.execute_stream("SELECT * FROM no_such_table")
    await no_requests_in_flight()


@pytest.mark.parametrize(
    ("config", "error", "message"),
    [
        (StreamConfig(fetch_size=0), ValueError, "stream_config.fetch_size"),
        (StreamConfig(max_pages=-1), ValueError, "stream_config.max_pages"),
        (StreamConfig(page_callback=42), TypeError, "page_callback must be callable"),  # type: ignore[arg-type]
        (StreamConfig(timeout_seconds=0), ValueError, "timeout_seconds must be positive"),
        (StreamConfig(fetch_size="10"), TypeError, "stream_config.fetch_size"),  # type: ignore[arg-type]
        ({"fetch_size": 10}, TypeError, "must be an aiocql.StreamConfig"),
    ],
)
async def test_bad_stream_configs_are_refused_before_any_io(
    session: AsyncSession, config: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        session.execute_stream("SELECT * FROM system.local", None, config)  # type: ignore[arg-type]


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def test_streaming_100k_rows_keeps_memory_flat(session: AsyncSession, big_table: str) -> None:
    async def stream_all(samples: list[float]) -> int:
        config = StreamConfig(fetch_size=5000)
        count = 0
        async with await session.execute_stream(
            f"SELECT p, c, v FROM {big_table}", None, config
        ) as stream:
            async for _ in stream:
                count += 1
                if count % 5000 == 0:
                    samples.append(_rss_mb())
        return count

    warmup: list[float] = []
    for _ in range(2):  # allocator pools and caches settle
        await stream_all(warmup)
    gc.collect()
    before = _rss_mb()
    samples: list[float] = []
    for _ in range(4):
        assert await stream_all(samples) == BIG_TABLE_ROWS
    gc.collect()
    # Holding 100k rows as Python objects takes ~30 MB; a stream holds about two pages.
    assert max(samples) - before < 10, f"RSS rose {max(samples) - before:.1f} MB while streaming"
    assert _rss_mb() - before < 5, f"RSS grew {_rss_mb() - before:.1f} MB over 4 streams"


async def test_a_row_factory_shapes_streamed_rows_and_pages(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 150)
    query = f"SELECT c, v FROM {rows_table} WHERE p = 1"
    config = StreamConfig(fetch_size=PAGE)
    async with await session.execute_stream(query, None, config, row_factory=dict) as stream:
        first = await stream.__anext__()
        pages = [page async for page in stream.pages()]
    assert first == {"c": 0, "v": "v0"}
    assert pages[-1][-1] == {"c": 149, "v": "v149"}


async def test_closing_the_session_ends_its_streams_at_the_next_page(
    fresh_session: AsyncSession,
    rows_table: str,
    no_requests_in_flight: Callable[[], Awaitable[None]],
) -> None:
    await _fill(fresh_session, rows_table, PAGE * 5)
    stream = await _stream(fresh_session, rows_table)
    await _settle(stream)  # page 2 has arrived; page 3 waits for room
    await fresh_session.close()
    keys: list[int] = []

    async def consume() -> None:
        async for row in stream:
            keys.append(row.c)

    with pytest.raises(ConnectionClosed):
        await consume()
    # Rows already received are delivered; no page is requested after close().
    assert keys == list(range(2 * PAGE))
    await no_requests_in_flight()


async def test_an_async_page_callback_is_refused_not_silently_dropped(
    session: AsyncSession, rows_table: str
) -> None:
    await _fill(session, rows_table, 10)
    called: list[int] = []

    async def on_page(page_number: int, rows: int) -> None:
        called.append(page_number)

    with pytest.raises(TypeError, match="page_callback must be a plain function"):
        await _stream(session, rows_table, page_callback=on_page)
    assert called == []
