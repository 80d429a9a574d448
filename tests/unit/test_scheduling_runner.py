"""The runner with a fake feed and a fake clock against a real (in-memory) database: one item's failure (an
exception, a long 429, a malformed answer, a timeout) never delays or stops another and is logged once with its key;
retries back off per item and never come sooner than Discord's retry_after; late is decided at the moment of
sending; items past their grace are skipped; a held-back item keeps the watermark; workers fail alone."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiosqlite
import pytest

from bot.db.connection import open_database
from bot.scheduling import (
    DeliveryRecord,
    DeliveryRepository,
    DeliveryStatus,
    Feed,
    FeedPolicy,
    Hold,
    Item,
    JobScheduler,
    RateBudget,
    Runner,
    Sweep,
    TransientDeliveryError,
    Worker,
    delivery_nonce,
)

T0 = dt.datetime(2027, 3, 1, 20, 0, tzinfo=dt.UTC)
KIND = "event"  # any of the kinds the deliveries table allows


@dataclass
class Clock:
    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now


class FakeScheduler(JobScheduler):
    """The real scheduler (jobs, tasks) whose notion of now is the test's clock: retries are armed on it."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def now(self) -> dt.datetime:
        return self.clock.now


Behaviour = Callable[[], Awaitable[None]]


@dataclass
class FakeFeed(Feed[str]):
    clock: Clock
    due_at: dict[str, dt.datetime] = field(default_factory=dict)
    behaviours: dict[str, list[Behaviour]] = field(default_factory=dict)
    """Per key, what each attempt does before the post goes out (raise, hang); popped one per attempt."""
    sent: list[tuple[str, bool, dt.datetime]] = field(default_factory=list)
    held: set[str] = field(default_factory=set)
    grace: dt.timedelta | None = dt.timedelta(hours=1)
    timeout: dt.timedelta = dt.timedelta(seconds=60)

    name = "fake"
    label = "fake posts"
    kinds = (KIND,)

    def __post_init__(self) -> None:
        self.policy = FeedPolicy(sweep_every=dt.timedelta(minutes=5), grace=self.grace, timeout=self.timeout)
        self.changed = asyncio.Condition()

    def item(self, key: str) -> Item[str]:
        due = self.due_at[key]
        record = DeliveryRecord(key, key, 1, 1, KIND, key, 0, due, due, delivery_nonce(key))
        return Item(key, due, key, record)

    async def due(self, sweep: Sweep) -> Sequence[Item[str]]:
        return [self.item(k) for k, due in self.due_at.items() if sweep.since < due <= sweep.until]

    async def recover(self, record: DeliveryRecord) -> Item[str] | str:
        return self.item(record.key) if record.key in self.due_at else "gone"

    async def check(self, item: Item[str]) -> Hold | None:
        return Hold("not ready") if item.key in self.held else None

    async def send(self, item: Item[str], *, nonce: str, late: bool) -> int:
        steps = self.behaviours.get(item.key, [])
        if steps:
            await steps.pop(0)()
        self.sent.append((item.key, late, self.clock()))
        async with self.changed:
            self.changed.notify_all()
        return 1000 + len(self.sent)

    async def find(self, item: Item[str], record: DeliveryRecord) -> int | None:
        return None


def malformed() -> Behaviour:
    async def step() -> None:
        raise KeyError("id")  # what discord.py raises on a message payload without an id

    return step


def rate_limited(seconds: float) -> Behaviour:
    async def step() -> None:
        raise TransientDeliveryError(f"rate limited for {seconds:.0f} s", retry_after=seconds)

    return step


def hangs() -> Behaviour:
    async def step() -> None:
        await asyncio.Event().wait()

    return step


@dataclass
class Setup:
    conn: aiosqlite.Connection
    clock: Clock
    scheduler: FakeScheduler
    deliveries: DeliveryRepository

    def runner(self, feed: FakeFeed, budget: RateBudget | None = None, concurrency: int = 32) -> Runner:
        runner = Runner(self.scheduler, self.deliveries, budget or RateBudget(50, 32), concurrency=concurrency)
        runner.add(feed)
        return runner

    async def status(self, key: str) -> tuple[str, int, str | None]:
        record = await self.deliveries.get(key)
        assert record is not None
        return record.status.value, int(record.late), record.reason


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    conn = await open_database(":memory:")
    clock = Clock()
    scheduler = FakeScheduler(clock)
    deliveries = DeliveryRepository(conn)
    await deliveries.set_watermark("fake", T0 - dt.timedelta(minutes=1))
    try:
        yield Setup(conn, clock, scheduler, deliveries)
    finally:
        await scheduler.shutdown()
        await conn.close()


async def test_one_items_failure_never_delays_or_stops_another(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    keys = [f"post-{n}" for n in range(8)]
    feed = FakeFeed(setup.clock, {k: T0 for k in keys}, timeout=dt.timedelta(seconds=0.3))
    feed.behaviours = {"post-1": [malformed()], "post-3": [rate_limited(60)], "post-5": [hangs()]}
    runner = setup.runner(feed)
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=1)
    caplog.set_level(logging.INFO, logger="bot.scheduling")
    sweep = asyncio.create_task(runner.sweep(feed))
    healthy = {"post-0", "post-2", "post-4", "post-6", "post-7"}
    async with asyncio.timeout(0.25), feed.changed:  # all of them, before the hung one's timeout
        await feed.changed.wait_for(lambda: {key for key, _, _ in feed.sent} == healthy)
    assert not sweep.done() and "post-5" in runner._in_flight  # still hangs: nobody waited for it
    report = await sweep
    assert sorted(report.sent) == sorted(healthy)
    assert sorted(report.retry_later) == ["post-1", "post-3", "post-5"]
    for key in ("post-1", "post-3", "post-5"):
        assert await setup.status(key) == ("claimed", 0, None)
        failures = [r.getMessage() for r in caplog.records if key in r.getMessage()]
        assert len(failures) == 1, failures  # logged once, with the item's key
    assert "post-1 failed for now (KeyError: 'id'); it stays claimed and is retried in 0:00:15" in caplog.text
    assert "post-5 failed for now (no answer within 0:00:00.300000)" in caplog.text
    assert "post-3 failed for now (rate limited for 60 s); it stays claimed and is retried in 0:01:00" in caplog.text
    # Each is retried on its own: 15 s for the malformed answer and the timeout, 60 s for the long 429.
    assert runner.retries_pending == 3 and runner.in_flight == 0
    assert runner._retries["post-1"].at == setup.clock.now + dt.timedelta(seconds=15)
    assert runner._retries["post-5"].at == setup.clock.now + dt.timedelta(seconds=15)
    assert runner._retries["post-3"].at == setup.clock.now + dt.timedelta(seconds=60)
    setup.clock.now += dt.timedelta(seconds=15)
    first = await runner.run_retries(feed)
    assert sorted(first.sent) == ["post-1", "post-5"] and runner.retries_pending == 1
    setup.clock.now += dt.timedelta(seconds=45)
    assert (await runner.run_retries(feed)).sent == ["post-3"]
    assert sorted(key for key, _, _ in feed.sent) == sorted(keys)  # each once
    assert "scheduled work settled: nothing in flight, no retry pending (since start: 8 sent" in caplog.text


async def test_retries_back_off_per_item_up_to_the_sweep_interval(setup: Setup) -> None:
    feed = FakeFeed(setup.clock, {"stubborn": T0, "once": T0})
    feed.behaviours = {"stubborn": [rate_limited(1)] * 8, "once": [rate_limited(1)]}
    runner = setup.runner(feed)
    setup.scheduler.start()
    await runner.sweep(feed)
    delays = []
    for _ in range(7):
        at = min(r.at for r in runner._retries.values())
        delays.append(round((at - setup.clock.now).total_seconds()))
        setup.clock.now = at
        await runner.run_retries(feed)
    assert delays == [15, 30, 60, 120, 240, 300, 300]  # "once" went out at the first retry; its backoff is gone
    assert [key for key, _, _ in feed.sent] == ["once"]
    assert setup.scheduler.job_ids("fake:retry") == {"fake:retry"}


async def test_late_is_decided_when_the_message_goes_out(setup: Setup) -> None:
    """Two items due at 20:00; the sweep starts at 20:01 (on time), and the rate budget lets the second go only
    100 s after the first: it says "late", whatever the sweep's start said."""
    feed = FakeFeed(setup.clock, {"first": T0, "second": T0 + dt.timedelta(microseconds=1)})
    elapsed = [0.0]

    async def sleep(seconds: float) -> None:
        elapsed[0] += seconds
        setup.clock.now += dt.timedelta(seconds=seconds)

    budget = RateBudget(per_second=0.01, concurrency=4, clock=lambda: elapsed[0], sleep=sleep)
    runner = setup.runner(feed, budget)
    setup.clock.now = T0 + dt.timedelta(minutes=1)
    report = await runner.sweep(feed)
    assert [(key, late) for key, late, _ in feed.sent] == [("first", False), ("second", True)]
    assert report.late == ["second"]
    assert await setup.status("first") == ("sent", 0, None)
    assert await setup.status("second") == ("sent", 1, None)


async def test_past_its_grace_an_item_is_skipped_and_within_it_posted_late(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    feed = FakeFeed(setup.clock, {"old": T0, "recent": T0 + dt.timedelta(minutes=50)})
    runner = setup.runner(feed)
    setup.clock.now = T0 + dt.timedelta(hours=1, minutes=30)  # the clock jumped while the bot slept
    with caplog.at_level(logging.WARNING, logger="bot.scheduling.runner"):
        report = await runner.sweep(feed)
    assert report.skipped == [("old", "beyond-grace")] and report.sent == report.late == ["recent"]
    assert await setup.status("old") == ("skipped", 1, "beyond-grace")
    assert "fake posts: skipped 1 (beyond-grace" in caplog.text


async def test_an_item_refused_until_past_its_grace_is_skipped_at_its_last_retry(setup: Setup) -> None:
    feed = FakeFeed(setup.clock, {"refused": T0}, grace=dt.timedelta(minutes=1))
    feed.behaviours = {"refused": [rate_limited(50)]}
    runner = setup.runner(feed)
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=20)
    assert (await runner.sweep(feed)).retry_later == ["refused"]
    setup.clock.now += dt.timedelta(seconds=50)
    report = await runner.run_retries(feed)
    assert report.skipped == [("refused", "beyond-grace")] and feed.sent == []
    assert await setup.status("refused") == ("skipped", 0, "beyond-grace")


async def test_a_held_back_item_keeps_the_watermark_and_goes_out_when_it_may(setup: Setup) -> None:
    feed = FakeFeed(setup.clock, {"waits": T0, "goes": T0 + dt.timedelta(seconds=5)})
    feed.held.add("waits")  # say, its server's shard is not ready yet
    runner = setup.runner(feed)
    setup.clock.now = T0 + dt.timedelta(seconds=10)
    report = await runner.sweep(feed)
    assert report.held_back == [("waits", "not ready")] and report.sent == ["goes"]
    watermark = await setup.deliveries.watermark("fake")
    assert watermark is not None and watermark < T0
    assert await setup.deliveries.get("waits") is None  # nothing recorded while held
    feed.held.clear()
    setup.clock.now += dt.timedelta(seconds=10)
    assert (await runner.sweep(feed)).sent == ["waits"]
    assert await setup.deliveries.watermark("fake") == setup.clock.now


async def test_a_crash_before_recording_is_recovered_from_the_claim(setup: Setup) -> None:
    feed = FakeFeed(setup.clock, {"claimed": T0})
    await setup.deliveries.claim(feed.item("claimed").record, T0)  # type: ignore[arg-type]
    runner = setup.runner(feed)
    setup.clock.now = T0 + dt.timedelta(seconds=30)
    report = await runner.sweep(feed, "start-up")
    assert report.recovered == ["claimed"] and report.late == []
    record = await setup.deliveries.get("claimed")
    assert record is not None and record.status is DeliveryStatus.SENT


async def test_a_failing_worker_is_logged_and_runs_again_on_time(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = JobScheduler()
    conn = await open_database(":memory:")
    runs: list[int] = []
    gate = asyncio.Event()

    async def flaky() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("the disk is full")

    async def slow() -> None:
        await gate.wait()

    try:
        runner = Runner(scheduler, DeliveryRepository(conn), RateBudget())
        runner.add_worker(Worker("flaky", dt.timedelta(hours=1), flaky, needs_ready=False))
        runner.add_worker(Worker("slow", dt.timedelta(hours=1), slow, at_start=False, needs_ready=False))
        with caplog.at_level(logging.ERROR, logger="bot.scheduling.runner"):
            await runner.start()  # runs it once in the background: it fails
            await scheduler.tasks.wait_idle()
            await runner.run_worker("flaky")
        assert runs == [0, 1]
        assert "flaky failed; the next run is in 1:00:00" in caplog.text and "the disk is full" in caplog.text
        # Never two runs of one worker at once.
        first = asyncio.create_task(runner.run_worker("slow"))
        await asyncio.sleep(0)
        await runner.run_worker("slow")  # returns at once: the first is still running
        assert not first.done()
        gate.set()
        await first
        assert scheduler.job_ids() == {"flaky", "slow"}
    finally:
        await scheduler.shutdown()
        await conn.close()
