"""The asyncio side of a request: what an awaiting task sees while aiocql works in Rust.

A task awaiting a request waits on aiocql's own future (not an ``asyncio.Future``), and is woken
directly by the completion drain. These tests pin the asyncio semantics that must survive that:
context variables, the current task, cancellation with a message, exceptions that stop the loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import pytest

from aiocql import AsyncCluster, AsyncSession, InvalidRequest, _native

request_id: contextvars.ContextVar[int] = contextvars.ContextVar("request_id")
QUERY = "SELECT release_version FROM system.local"


async def test_each_task_keeps_its_context_variables_across_requests(
    session: AsyncSession,
) -> None:
    async def handler(n: int) -> tuple[int, int]:
        request_id.set(n)
        await session.execute(QUERY)
        after_first = request_id.get()
        await session.execute(QUERY)
        return after_first, request_id.get()

    results = await asyncio.gather(*(handler(n) for n in range(300)))
    assert results == [(n, n) for n in range(300)]


async def test_the_current_task_is_unchanged_after_a_request(session: AsyncSession) -> None:
    async def who_am_i() -> bool:
        before = asyncio.current_task()
        await session.execute(QUERY)
        return asyncio.current_task() is before

    assert all(await asyncio.gather(*(who_am_i() for _ in range(50))))


async def test_a_waiting_task_waits_on_an_aiocql_future_bound_to_its_loop(
    session: AsyncSession,
) -> None:
    task = asyncio.ensure_future(session.execute(QUERY))
    await asyncio.sleep(0)  # the task starts the request and waits
    waiter: Any = task._fut_waiter  # type: ignore[attr-defined]
    assert isinstance(waiter, _native.RequestFuture)
    assert waiter.get_loop() is asyncio.get_running_loop()
    assert not waiter.done()
    result = await task
    assert result.one() is not None
    assert waiter.done()
    assert waiter.result() is result


async def test_cancel_with_a_message_reaches_the_awaiting_code(session: AsyncSession) -> None:
    task = asyncio.ensure_future(session.execute(QUERY))
    await asyncio.sleep(0)
    assert task.cancel("shutting down")
    with pytest.raises(asyncio.CancelledError, match="shutting down"):
        await task
    assert task.cancelled()


async def test_a_server_error_is_raised_in_the_awaiting_task_with_its_traceback(
    session: AsyncSession,
) -> None:
    async def bad() -> None:
        await session.execute("SELECT * FROM system.no_such_table")

    with pytest.raises(InvalidRequest) as caught:
        await asyncio.ensure_future(bad())
    assert any(entry.name == "bad" for entry in caught.traceback)


async def test_a_done_callback_added_after_completion_still_runs(session: AsyncSession) -> None:
    task = asyncio.ensure_future(session.execute(QUERY))
    await asyncio.sleep(0)
    waiter: Any = task._fut_waiter  # type: ignore[attr-defined]
    await task
    called = asyncio.get_running_loop().create_future()
    waiter.add_done_callback(called.set_result)
    assert await asyncio.wait_for(called, 5) is waiter


def test_keyboard_interrupt_in_a_woken_task_stops_the_loop(contact_points: list[str]) -> None:
    """As with asyncio's own futures: the interrupt escapes run_until_complete, and requests
    that completed in the same burst are not lost for a later run of the loop."""
    outcome: dict[str, Any] = {}

    def in_thread() -> None:
        loop = asyncio.new_event_loop()
        try:

            async def connect() -> tuple[AsyncCluster, AsyncSession]:
                cluster = AsyncCluster(contact_points)
                return cluster, await cluster.connect()

            cluster, own = loop.run_until_complete(connect())

            async def interrupted() -> None:
                await own.execute(QUERY)
                raise KeyboardInterrupt

            others = [loop.create_task(own.execute(QUERY)) for _ in range(20)]
            try:
                loop.run_until_complete(interrupted())
            except KeyboardInterrupt:
                outcome["interrupted"] = True
            results = loop.run_until_complete(asyncio.gather(*others))
            outcome["others"] = [rs.one() is not None for rs in results]
            loop.run_until_complete(cluster.shutdown())
        except BaseException as exc:  # reported to the test thread
            outcome["error"] = exc
        finally:
            loop.close()

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join(60)
    assert "error" not in outcome, outcome.get("error")
    assert outcome.get("interrupted") is True
    assert outcome.get("others") == [True] * 20
