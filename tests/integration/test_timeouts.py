"""Client-side timeouts: the ``timeout=`` keyword and the cluster's ``request_timeout``."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from aiocql import AsyncCluster, AsyncSession, DriverException, NoHostAvailable, OperationTimedOut

PausedNode = Callable[[int], contextlib.AbstractContextManager[None]]
LIMIT = 0.3  # seconds: the per-call timeout used against a frozen node


async def _assert_times_out(call: Awaitable[Any], what: str) -> None:
    started = time.monotonic()
    with pytest.raises(OperationTimedOut) as info:
        await call
    elapsed = time.monotonic() - started
    assert LIMIT * 0.9 <= elapsed < LIMIT + 1.0, f"{what}: timed out after {elapsed:.3f} s"
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, DriverException)
    assert "timed out" in str(info.value).lower(), str(info.value)


async def test_execute_times_out_when_the_server_stops_answering(
    session: AsyncSession, paused_node: PausedNode
) -> None:
    select = await session.prepare("SELECT release_version FROM system.local WHERE key = ?")
    with paused_node(1):
        await _assert_times_out(
            session.execute("SELECT * FROM system.local", timeout=LIMIT), "execute(str)"
        )
        await _assert_times_out(
            session.execute(select, ["local"], timeout=LIMIT), "execute(prepared)"
        )
        await _assert_times_out(
            session.prepare("SELECT cluster_name FROM system.local", timeout=LIMIT), "prepare"
        )
    # Once the server answers again, the same session works.
    rs = await session.execute(select, ["local"], timeout=10)
    assert rs.one() is not None


async def test_set_keyspace_and_connect_time_out(
    cluster: AsyncCluster, fresh_session: AsyncSession, paused_node: PausedNode
) -> None:
    with paused_node(1):
        await _assert_times_out(fresh_session.set_keyspace("system", timeout=LIMIT), "USE")
        started = time.monotonic()
        with pytest.raises((OperationTimedOut, NoHostAvailable)):
            await cluster.connect(timeout=LIMIT)
        assert time.monotonic() - started < LIMIT + 1.0
    await fresh_session.set_keyspace("system", timeout=10)
    assert fresh_session.keyspace == "system"


async def test_cluster_request_timeout_is_the_default(
    contact_points: list[str], paused_node: PausedNode
) -> None:
    async with AsyncCluster(contact_points, request_timeout=LIMIT) as cluster:
        own = await cluster.connect()
        with paused_node(1):
            await _assert_times_out(own.execute("SELECT * FROM system.local"), "default")
        assert (await own.execute("SELECT * FROM system.local")).one() is not None


async def test_per_call_timeout_overrides_the_cluster_default(
    contact_points: list[str], paused_node: PausedNode
) -> None:
    async with AsyncCluster(contact_points, request_timeout=30) as cluster:
        own = await cluster.connect()
        with paused_node(1):
            await _assert_times_out(
                own.execute("SELECT * FROM system.local", timeout=LIMIT), "override"
            )


async def test_timeout_none_waits_for_a_slow_server(
    contact_points: list[str], paused_node: PausedNode
) -> None:
    async with AsyncCluster(contact_points, request_timeout=None) as cluster:
        own = await cluster.connect()
        with paused_node(1):
            request = asyncio.ensure_future(own.execute("SELECT * FROM system.local"))
            await asyncio.sleep(LIMIT * 2)
            assert not request.done(), "a call without a timeout must keep waiting"
        assert (await request).one() is not None


async def test_session_default_timeout_can_be_read_and_changed(
    contact_points: list[str], paused_node: PausedNode
) -> None:
    async with AsyncCluster(contact_points, request_timeout=30) as cluster:
        own = await cluster.connect()
        assert own.default_timeout == 30.0
        own.default_timeout = LIMIT
        assert own.default_timeout == pytest.approx(LIMIT)
        with paused_node(1):
            await _assert_times_out(own.execute("SELECT * FROM system.local"), "default_timeout")
        own.default_timeout = None
        assert own.default_timeout is None


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, True, "5"])
async def test_an_invalid_default_timeout_is_refused(session: AsyncSession, bad: Any) -> None:
    before = session.default_timeout
    with pytest.raises(ValueError, match="default_timeout must be"):
        session.default_timeout = bad
    assert session.default_timeout == before


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, -math.inf])
async def test_invalid_timeouts_are_rejected_before_any_io(session: AsyncSession, bad: Any) -> None:
    with pytest.raises(ValueError, match="timeout"):
        await session.execute("SELECT * FROM system.local", timeout=bad)


async def test_a_non_number_timeout_is_a_type_error(session: AsyncSession) -> None:
    with pytest.raises(TypeError):
        await session.execute("SELECT * FROM system.local", timeout="5")  # type: ignore[arg-type]
