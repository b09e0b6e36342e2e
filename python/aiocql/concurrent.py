"""Many executions of one statement with bounded concurrency: ``session.execute_concurrent``.

Written with asyncio itself: a fixed number of worker coroutines take parameters from the
(possibly lazy) iterable in turn, so a bulk load of millions of rows holds only ``concurrency``
requests and their results' slots in memory, and no task is created per row.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from aiocql._native import AsyncResultSet, AsyncSession

__all__ = ["ExecutionResult", "execute_concurrent", "execute_concurrent_iter"]


class ExecutionResult(NamedTuple):
    """The outcome of one execution (cassandra-driver's name and shape)."""

    success: bool
    result_or_exc: AsyncResultSet | Exception


def _check_concurrency(concurrency: object) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int):
        raise TypeError(f"concurrency must be an int, got {type(concurrency).__name__}")
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    return concurrency


def _iterate(parameters: Iterable[Any]) -> Iterator[Any]:
    try:
        return iter(parameters)
    except TypeError:
        raise TypeError(
            "parameters must be an iterable of parameter sequences or mappings, "
            f"got {type(parameters).__name__}"
        ) from None


async def _run_workers(count: int, worker: Any) -> None:
    """Runs ``count`` workers; on any failure or cancellation, cancels the rest and waits."""
    tasks = [asyncio.ensure_future(worker()) for _ in range(count)]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def execute_concurrent(
    session: AsyncSession,
    statement: Any,
    parameters: Iterable[Any],
    *,
    concurrency: int = 100,
    raise_on_first_error: bool = True,
    timeout: float | None = None,
    execution_profile: str | None = None,
) -> list[ExecutionResult]:
    """See ``AsyncSession.execute_concurrent``."""
    limit = _check_concurrency(concurrency)
    items = _iterate(parameters)
    results: dict[int, ExecutionResult] = {}
    position = 0
    stop = False

    async def worker() -> None:
        nonlocal position, stop
        while not stop:
            try:
                params = next(items)
            except StopIteration:
                return
            index = position
            position += 1
            try:
                result = await session.execute(
                    statement, params, timeout=timeout, execution_profile=execution_profile
                )
            except Exception as exc:  # every failure is a result here
                results[index] = ExecutionResult(False, exc)
                stop = raise_on_first_error
            else:
                results[index] = ExecutionResult(True, result)

    await _run_workers(limit, worker)
    ordered = [results[i] for i in range(position)]
    if raise_on_first_error:
        for outcome in ordered:
            if isinstance(outcome.result_or_exc, Exception):
                raise outcome.result_or_exc
    return ordered


class _Done:
    """A worker ran out of parameters."""


async def execute_concurrent_iter(
    session: AsyncSession,
    statement: Any,
    parameters: Iterable[Any],
    *,
    concurrency: int = 100,
    timeout: float | None = None,
    execution_profile: str | None = None,
) -> AsyncIterator[tuple[int, ExecutionResult]]:
    """See ``AsyncSession.execute_concurrent_iter``."""
    limit = _check_concurrency(concurrency)
    items = _iterate(parameters)
    # Bounded: workers wait while the consumer lags, so results never pile up in memory.
    queue: asyncio.Queue[tuple[int, ExecutionResult] | _Done | BaseException] = asyncio.Queue(
        maxsize=limit
    )
    position = 0

    async def worker() -> None:
        nonlocal position
        try:
            for params in items:
                index = position
                position += 1
                try:
                    result = await session.execute(
                        statement, params, timeout=timeout, execution_profile=execution_profile
                    )
                except Exception as exc:  # every failure is a result here
                    await queue.put((index, ExecutionResult(False, exc)))
                else:
                    await queue.put((index, ExecutionResult(True, result)))
        except Exception as exc:  # the parameters iterable itself failed
            await queue.put(exc)
            return
        await queue.put(_Done())

    tasks = [asyncio.ensure_future(worker()) for _ in range(limit)]
    try:
        running = len(tasks)
        while running:
            item = await queue.get()
            if isinstance(item, _Done):
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
