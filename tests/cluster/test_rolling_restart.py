"""A rolling restart under load, as operators do it: each node in turn drained (``nodetool
drain``), stopped and started again while the load runs.

Zero idempotent requests may fail. The p99 latency during the restarts is reported against the
steady state before them; only a generous sanity bound is asserted, since the machine is shared.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiocql.testing import CassandraCluster

TIMEOUT = 12.0
STEADY = 6.0
IDEMPOTENT = ("read", "write", "probe")
# Once a restarted node serves CQL, the driver must send it requests within this many seconds.
SERVED_AGAIN_WITHIN = 60.0


async def test_a_rolling_restart_fails_no_idempotent_request(
    all_nodes_up: CassandraCluster, workload: Callable[..., Any], figures: Callable[[str], None]
) -> None:
    nodes = all_nodes_up
    load = workload(rate=200, max_in_flight=256, counter_share=0.0, timeout=TIMEOUT)
    await load.prepare()
    load.start()
    began = time.monotonic()
    await asyncio.sleep(STEADY)
    rolling = time.monotonic()
    served_after: dict[int, float | None] = {}
    for node in nodes.node_ids:
        await asyncio.to_thread(nodes.nodetool, node, "drain")
        await asyncio.to_thread(nodes.stop, node)
        await asyncio.to_thread(nodes.start, node)
        serving = time.monotonic()
        served_after[node] = await load.wait_served_by(
            nodes.address(node), serving, SERVED_AGAIN_WITHIN
        )
    rolled = time.monotonic()
    await load.stop()

    steady = load.window("steady state", began, rolling)
    restarts = load.window("rolling restart", rolling, rolled)
    figures(f"rolling restart of {len(nodes.node_ids)} nodes under {load.rate:.0f} req/s at QUORUM")
    figures("  " + steady.summary(*IDEMPOTENT))
    figures("  " + restarts.summary(*IDEMPOTENT))
    figures(
        f"  took {rolled - rolling:.0f} s; p99 during/steady "
        f"{restarts.p99(*IDEMPOTENT) / max(steady.p99(*IDEMPOTENT), 1e-3):.1f}x; "
        f"each node coordinated again after (s): {served_after}"
    )
    checked, _ = await load.verify()
    figures(f"  read back {checked} keys at QUORUM")

    whole = load.window("whole run", began, rolled)
    assert not whole.errors(*IDEMPOTENT), whole.samples(*IDEMPOTENT)
    assert all(after is not None for after in served_after.values()), served_after
    # Sanity only: a request never waits past its timeout, restarts or not.
    assert restarts.longest(*IDEMPOTENT) < TIMEOUT + 1.0
