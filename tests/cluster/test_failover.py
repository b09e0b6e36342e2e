"""A node killed (SIGKILL) under load at QUORUM over replication factor 3, then restarted.

The figures of the run (requests during the outage, errors by kind, the longest request while
the node was down, the time until the restarted node coordinated requests again) are printed
in the terminal summary.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiocql.errors import DriverException
from aiocql.testing import CassandraCluster

VICTIM = 2
# Each request of the workload gives up after this many seconds (OperationTimedOut).
TIMEOUT = 12.0
# How long the node stays down, and the steady state before and after.
OUTAGE = 10.0
STEADY = 6.0
# Once the node serves CQL again, the driver must send it requests within this many seconds.
SERVED_AGAIN_WITHIN = 60.0
IDEMPOTENT = ("read", "write", "probe")


async def test_a_killed_node_fails_no_idempotent_request_and_serves_again(
    all_nodes_up: CassandraCluster, workload: Callable[..., Any], figures: Callable[[str], None]
) -> None:
    nodes = all_nodes_up
    victim = nodes.address(VICTIM)
    load = workload(rate=200, max_in_flight=256, counter_share=0.05, timeout=TIMEOUT)
    await load.prepare()
    load.start()
    began = time.monotonic()
    await asyncio.sleep(STEADY)

    killed = time.monotonic()
    await asyncio.to_thread(nodes.kill, VICTIM)
    await asyncio.sleep(OUTAGE)
    restarting = time.monotonic()
    await asyncio.to_thread(nodes.start, VICTIM)
    serving = time.monotonic()  # the node answers CQL from here on
    served_after = await load.wait_served_by(victim, serving, SERVED_AGAIN_WITHIN)
    await asyncio.sleep(STEADY)
    await load.stop()
    ended = time.monotonic()

    before = load.window("before the kill", began, killed)
    down = load.window("node down", killed, serving)
    after = load.window("after the restart", serving, ended)
    whole = load.window("whole run", began, ended)
    checked_keys, checked_counters = await load.verify()

    figures(f"failover: SIGKILL of node{VICTIM} ({victim}) under {load.rate:.0f} req/s at QUORUM")
    for window in (before, down, after):
        figures("  " + window.summary(*IDEMPOTENT))
        figures("  " + window.summary("counter"))
    served = "nothing" if served_after is None else f"a request {served_after:.1f} s"
    figures(
        f"  node down {restarting - killed:.1f} s, restart {serving - restarting:.1f} s; "
        f"restarted node coordinated {served} after serving CQL"
    )
    figures(
        f"  most requests in flight {load.max_seen_in_flight}; probes answered by node: "
        f"before {dict(before.coordinators())}, down {dict(down.coordinators())}, "
        f"after {dict(after.coordinators())}"
    )
    figures(f"  error samples: {whole.samples('read', 'write', 'counter', 'probe')}")
    figures(f"  read back {checked_keys} keys and {checked_counters} counters at QUORUM")

    assert not whole.errors(*IDEMPOTENT), [
        o.error for o in whole.of(*IDEMPOTENT) if o.error is not None
    ][:5]
    assert len(down.of("read", "write")) > 0.5 * load.rate * (serving - killed)
    # A request ends by its timeout; the slack covers a busy event loop on a loaded machine.
    assert whole.longest("read", "write", "counter", "probe") < TIMEOUT + 1.0
    # Non-idempotent increments either worked or failed with an aiocql exception that says
    # why; Workload.verify checked that none was applied twice (no retry).
    for outcome in whole.of("counter"):
        if outcome.error is not None:
            assert isinstance(outcome.error, DriverException), repr(outcome.error)
            assert str(outcome.error), repr(outcome.error)
    assert victim not in down.coordinators()
    assert served_after is not None, f"{victim} coordinated nothing {SERVED_AGAIN_WITHIN:.0f} s"
