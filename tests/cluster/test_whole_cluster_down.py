"""All three nodes stopped: requests fail fast with NoHostAvailable naming every host; once the
nodes are back, the same session serves again without being recreated."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiocql import AsyncSession, ConsistencyLevel, SimpleStatement
from aiocql.errors import NoHostAvailable
from aiocql.testing import CassandraCluster

TIMEOUT = 10.0
# A request to a cluster with no live node fails well within its timeout.
FAILS_WITHIN = 3.0
# Once every node serves CQL again, the session serves within this many seconds.
SERVES_AGAIN_WITHIN = 60.0


def _read() -> SimpleStatement:
    return SimpleStatement(
        "SELECT release_version FROM system.local",
        consistency_level=ConsistencyLevel.ONE,
        is_idempotent=True,
    )


async def test_requests_fail_fast_while_every_node_is_down_and_the_session_recovers(
    all_nodes_up: CassandraCluster, session: AsyncSession, figures: Callable[[str], None]
) -> None:
    nodes = all_nodes_up
    assert (await session.execute(_read(), timeout=TIMEOUT)).one() is not None

    await asyncio.to_thread(nodes.stop)
    errors: list[BaseException] = []
    slowest = 0.0
    for _ in range(5):
        began = time.monotonic()
        try:
            await session.execute(_read(), timeout=TIMEOUT)
        except Exception as exc:
            errors.append(exc)
        slowest = max(slowest, time.monotonic() - began)
    figures(
        f"whole cluster down: 5 requests, slowest failed in {slowest * 1000:.0f} ms; "
        f"first error {type(errors[0]).__name__ if errors else None}: "
        f"{errors[0] if errors else ''!s:.300}"
    )
    if errors:
        figures(f"  errors per host: {getattr(errors[0], 'errors', None)}")

    await asyncio.to_thread(nodes.start)
    serving = time.monotonic()
    while True:
        try:
            await session.execute(_read(), timeout=TIMEOUT)
            break
        except Exception as exc:
            if time.monotonic() - serving > SERVES_AGAIN_WITHIN:
                raise AssertionError(
                    f"the session did not serve within {SERVES_AGAIN_WITHIN:.0f} s of the "
                    f"cluster's restart: {exc!r}"
                ) from exc
            await asyncio.sleep(0.2)
    recovered = time.monotonic() - serving
    figures(f"  the same session served again {recovered:.1f} s after all nodes served CQL")

    assert len(errors) == 5, "a request worked with every node down"
    assert slowest < FAILS_WITHIN
    for error in errors:
        assert isinstance(error, NoHostAvailable), repr(error)
        assert sorted(error.errors) == sorted(nodes.contact_points()), error.errors
