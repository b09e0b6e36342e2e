"""Fixtures for tests against a real 3-node Cassandra cluster (the launcher's ``three`` profile).

``make test-cluster`` (or ``python -m aiocql.testing run --nodes 3 -- pytest tests/cluster``)
starts the nodes. These tests kill, stop, drain and restart nodes; each test leaves all three
up when it ends, restarting what it stopped even when it fails. Nothing is skipped: with fewer
than three nodes serving, every test fails with the reason.

The figures the tests measure (requests, errors by kind, latencies, recovery times) are printed
in the terminal summary, so that a plain run shows them without ``-s``.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from aiocql import AsyncCluster, AsyncSession, ConsistencyLevel, PreparedStatement
from aiocql.testing import CassandraCluster

KEYSPACE = "aiocql_cluster"
NODES = 3
# The client-side timeout of every request of the workload, in seconds. A coordinator of the
# multi-node profiles gives up on a replica after 8 s (aiocql.testing.config), so a request
# ends with the server's answer, if any, before the client's timeout.
REQUEST_TIMEOUT = 12.0
_FIGURES = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_FIGURES] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Node restarts under load take minutes on a 2-core machine, not pyproject's 120 s.
    for item in items:
        item.add_marker(pytest.mark.timeout(600))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = terminalreporter.config.stash.get(_FIGURES, [])
    if lines:
        terminalreporter.section("cluster figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``figures("...")`` prints a line now (with ``-s``) and in the terminal summary."""
    lines = request.config.stash[_FIGURES]

    def record(line: str) -> None:
        print(line)
        lines.append(line)

    return record


@pytest.fixture(scope="session")
def three_nodes(test_cluster: CassandraCluster) -> CassandraCluster:
    """The launcher's cluster, checked to have three nodes that all serve CQL."""
    if test_cluster.profile.nodes != NODES:
        pytest.fail(
            f"tests/cluster needs the {NODES}-node profile, not {test_cluster.name!r}: run "
            f"`make test-cluster` or `python -m aiocql.testing run --nodes {NODES} -- "
            "pytest tests/cluster`",
            pytrace=False,
        )
    down = [n for n in test_cluster.node_ids if not test_cluster.is_up(n)]
    if down:
        pytest.fail(f"nodes {down} of {test_cluster.name} do not serve CQL", pytrace=False)
    return test_cluster


@pytest.fixture(autouse=True)
def all_nodes_up(three_nodes: CassandraCluster) -> Iterator[CassandraCluster]:
    """Every test starts and ends with all three nodes up: what a test stopped or killed is
    started again at teardown, even if the test failed."""
    yield three_nodes
    stopped = [n for n in three_nodes.node_ids if not three_nodes.is_running(n)]
    if stopped:
        three_nodes.start(*stopped)
    three_nodes.wait()


@pytest.fixture(scope="session")
async def cluster(
    contact_points: list[str], three_nodes: CassandraCluster
) -> AsyncIterator[AsyncCluster]:
    """One cluster object for the whole run, over all three contact points."""
    async with AsyncCluster(contact_points, connect_timeout=30) as cluster:
        yield cluster


@pytest.fixture(scope="session")
async def session(cluster: AsyncCluster) -> AsyncIterator[AsyncSession]:
    """A session bound to a fresh keyspace with replication factor 3."""
    admin = await cluster.connect()
    await admin.execute(f"DROP KEYSPACE IF EXISTS {KEYSPACE}", timeout=60)
    await admin.execute(
        f"CREATE KEYSPACE {KEYSPACE} WITH replication = "
        f"{{'class': 'SimpleStrategy', 'replication_factor': {NODES}}}",
        timeout=60,
    )
    await admin.close()
    session = await cluster.connect(KEYSPACE)
    yield session
    await session.close()


# ---- the workload


class LostWrite(AssertionError):
    """A read at QUORUM did not return a value that a write at QUORUM had acknowledged."""


@dataclass
class Outcome:
    """One request of the workload: its kind, when it started (``time.monotonic``), how long
    it took, the exception it raised (None if it worked) and who coordinated it if known."""

    kind: str
    started: float
    seconds: float
    error: BaseException | None
    coordinator: str | None = None

    @property
    def ended(self) -> float:
        return self.started + self.seconds


@dataclass
class Window:
    """Figures of the outcomes that started in a time window."""

    name: str
    outcomes: list[Outcome]

    def of(self, *kinds: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind in kinds]

    def errors(self, *kinds: str) -> Counter[str]:
        return Counter(type(o.error).__name__ for o in self.of(*kinds) if o.error is not None)

    def longest(self, *kinds: str) -> float:
        return max((o.seconds for o in self.of(*kinds)), default=0.0)

    def p99(self, *kinds: str) -> float:
        times = sorted(o.seconds for o in self.of(*kinds))
        return times[min(len(times) - 1, int(len(times) * 0.99))] if times else 0.0

    def coordinators(self) -> Counter[str]:
        """How many probes each node answered."""
        return Counter(o.coordinator for o in self.of("probe") if o.coordinator is not None)

    def samples(self, *kinds: str) -> dict[str, str]:
        """One message per exception class."""
        found: dict[str, str] = {}
        for o in self.of(*kinds):
            if o.error is not None:
                found.setdefault(type(o.error).__name__, str(o.error)[:300])
        return found

    def summary(self, *kinds: str) -> str:
        chosen = self.of(*kinds)
        errors = dict(self.errors(*kinds)) or "none"
        return (
            f"{self.name}: {len(chosen)} requests ({'+'.join(kinds)}), errors {errors}, "
            f"p99 {self.p99(*kinds) * 1000:.0f} ms, longest {self.longest(*kinds) * 1000:.0f} ms"
        )


@dataclass
class Workload:
    """Open-loop load at QUORUM: ``rate`` requests a second, at most ``max_in_flight`` at once.

    Of the requests, ``read_share`` read back a random acknowledged key (a missing or wrong
    value is a :class:`LostWrite`), ``counter_share`` increment a counter of a key of their
    own (not idempotent), and the rest are idempotent INSERTs of a new key. A few requests a
    second ask ``system.local`` who coordinates them (kind ``probe``), which shows the nodes
    the driver sends traffic to. Every outcome is kept in :attr:`outcomes`.
    """

    session: AsyncSession
    rate: float = 800.0
    max_in_flight: int = 256
    read_share: float = 0.45
    counter_share: float = 0.1
    probes_per_second: float = 20.0
    timeout: float = REQUEST_TIMEOUT
    outcomes: list[Outcome] = field(default_factory=list)
    acked: dict[int, str] = field(default_factory=dict)
    counters: dict[int, bool] = field(default_factory=dict)
    in_flight: int = 0
    max_seen_in_flight: int = 0
    _keys: Iterator[int] = field(default_factory=itertools.count)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _runner: asyncio.Task[None] | None = None
    _verify_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(128))
    _stopping: bool = False

    async def prepare(self) -> None:
        await self.session.execute(
            "CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY, v text)", timeout=60
        )
        await self.session.execute(
            "CREATE TABLE IF NOT EXISTS counts (k int PRIMARY KEY, n counter)", timeout=60
        )
        await self.session.execute("TRUNCATE kv", timeout=60)
        await self.session.execute("TRUNCATE counts", timeout=60)
        self.insert = await self._prepared("INSERT INTO kv (k, v) VALUES (?, ?)", True)
        self.select = await self._prepared("SELECT v FROM kv WHERE k = ?", True)
        self.increment = await self._prepared("UPDATE counts SET n = n + 1 WHERE k = ?", False)
        self.count = await self._prepared("SELECT n FROM counts WHERE k = ?", True)
        self.whoami = await self._prepared("SELECT rpc_address FROM system.local", True)
        self.whoami.consistency_level = ConsistencyLevel.ONE

    async def _prepared(self, query: str, idempotent: bool) -> PreparedStatement:
        prepared = await self.session.prepare(query)
        prepared.consistency_level = ConsistencyLevel.QUORUM
        prepared.is_idempotent = idempotent
        return prepared

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop issuing requests and wait for those in flight (each ends by its timeout)."""
        self._stopping = True
        if self._runner is not None:
            await self._runner
        if self._tasks:
            await asyncio.wait(self._tasks)

    async def _run(self) -> None:
        slots = asyncio.Semaphore(self.max_in_flight)
        tick = 0.01
        began = time.monotonic()
        issued = 0
        probes = 0
        while not self._stopping:
            elapsed = time.monotonic() - began
            while issued < elapsed * self.rate:
                await slots.acquire()
                issued += 1
                self._spawn(self._one(self._pick()), slots)
            while probes < elapsed * self.probes_per_second:
                await slots.acquire()
                probes += 1
                self._spawn(self._probe(), slots)
            await asyncio.sleep(tick)

    def _spawn(self, work: Coroutine[Any, Any, None], slots: asyncio.Semaphore) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        self.in_flight += 1
        self.max_seen_in_flight = max(self.max_seen_in_flight, self.in_flight)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self.in_flight -= 1
            slots.release()

        task.add_done_callback(done)

    def _pick(self) -> str:
        roll = random.random()
        if roll < self.read_share and self.acked:
            return "read"
        if roll < self.read_share + self.counter_share:
            return "counter"
        return "write"

    async def _one(self, kind: str) -> None:
        key = next(self._keys)
        started = time.monotonic()
        error: BaseException | None = None
        try:
            if kind == "write":
                value = f"v{key}"
                await self.session.execute(self.insert, [key, value], timeout=self.timeout)
                self.acked[key] = value
            elif kind == "counter":
                self.counters[key] = False
                await self.session.execute(self.increment, [key], timeout=self.timeout)
                self.counters[key] = True
            else:
                key, value = random.choice(list(self.acked.items())[-5000:])
                row = (await self.session.execute(self.select, [key], timeout=self.timeout)).one()
                if row is None or row.v != value:
                    raise LostWrite(f"key {key}: read {row!r}, acknowledged {value!r}")
        except Exception as exc:
            error = exc
        self.outcomes.append(Outcome(kind, started, time.monotonic() - started, error))

    async def _probe(self) -> None:
        started = time.monotonic()
        try:
            row = (await self.session.execute(self.whoami, timeout=self.timeout)).one()
            address = None if row is None else str(row.rpc_address)
            self.outcomes.append(
                Outcome("probe", started, time.monotonic() - started, None, address)
            )
        except Exception as exc:
            self.outcomes.append(Outcome("probe", started, time.monotonic() - started, exc))

    def window(self, name: str, start: float, end: float | None = None) -> Window:
        """The outcomes of the requests that started from ``start`` to ``end`` (default: now)."""
        stop = time.monotonic() if end is None else end
        return Window(name, [o for o in self.outcomes if start <= o.started < stop])

    def served_by(self, address: str, since: float) -> float | None:
        """When the first probe started at or after ``since`` that ``address`` answered."""
        times = [
            o.started
            for o in self.outcomes
            if o.kind == "probe" and o.coordinator == address and o.started >= since
        ]
        return min(times, default=None)

    async def wait_served_by(self, address: str, since: float, timeout: float) -> float | None:
        """Seconds from ``since`` until ``address`` answered a probe; None after ``timeout``."""
        deadline = time.monotonic() + timeout
        while (first := self.served_by(address, since)) is None:
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.1)
        return first - since

    async def verify(self) -> tuple[int, int]:
        """Read back every acknowledged write and every counter at QUORUM.

        Fails the test if an acknowledged value is missing or wrong, if an acknowledged
        increment is missing, or if a counter was incremented more than once (a retried
        non-idempotent write). Returns how many keys and counters were checked.
        """
        keys = list(self.acked)
        rows = await asyncio.gather(
            *(self._read(self.select, [k]) for k in keys),
        )
        lost = [k for k, row in zip(keys, rows, strict=True) if row != self.acked[k]]
        assert not lost, f"{len(lost)} acknowledged writes missing or wrong, e.g. {lost[:5]}"
        counts = await asyncio.gather(*(self._read(self.count, [k]) for k in self.counters))
        for (key, acked), value in zip(self.counters.items(), counts, strict=True):
            assert value in ((1,) if acked else (None, 0, 1)), (
                f"counter {key} is {value} (increment {'acknowledged' if acked else 'failed'})"
            )
        return len(keys), len(self.counters)

    async def _read(self, statement: PreparedStatement, params: list[int]) -> object:
        async with self._verify_slots:
            row = (await self.session.execute(statement, params, timeout=30)).one()
        return None if row is None else row[0]


@pytest.fixture
async def workload(session: AsyncSession) -> AsyncIterator[Callable[..., Workload]]:
    """``workload(rate=...)`` makes a prepared :class:`Workload`; every one made is stopped
    at teardown."""
    made: list[Workload] = []

    def make(**options: float) -> Workload:
        load = Workload(session, **options)  # type: ignore[arg-type]
        made.append(load)
        return load

    yield make
    for load in made:
        await load.stop()
