"""The runner with a fake feed and a fake clock against a real database (SQLite in memory, and PostgreSQL): one
item's failure (an exception, a long 429, a malformed answer, a timeout) never delays or stops another and is logged
once with its key; retries back off per item and never come sooner than Discord's retry_after; late is decided at the
moment of sending; items past their grace are skipped; a held-back item keeps the watermark; workers fail alone."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from bot.db.connection import Connection, open_database
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
    Skip,
    Sweep,
    TransientDeliveryError,
    Worker,
    delivery_nonce,
)
from bot.scheduling.scheduler import JobFactory
from tests.unit.conftest import memory_or_postgres

T0 = dt.datetime(2027, 3, 1, 20, 0, tzinfo=dt.UTC)
KIND = "event"  # any of the kinds the deliveries table allows


@dataclass
class Clock:
    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now


class FakeScheduler(JobScheduler):
    """The real scheduler (jobs, tasks) whose notion of now is the test's clock: retries are armed on it. The test's
    clock is in 2027, so no job armed on it fires by itself: the tests run retries and sweeps themselves."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.armed: Counter[str] = Counter()
        """How many times each job was (re-)armed with ``at``."""

    def now(self) -> dt.datetime:
        return self.clock.now

    def at(self, job_id: str, when: dt.datetime, factory: JobFactory) -> None:
        self.armed[job_id] += 1
        super().at(job_id, when, factory)


Behaviour = Callable[[], Awaitable[None]]


@dataclass
class FakeFeed(Feed[str]):
    clock: Clock
    due_at: dict[str, dt.datetime] = field(default_factory=dict)
    behaviours: dict[str, list[Behaviour]] = field(default_factory=dict)
    """Per key, what each attempt does before the post goes out (raise, hang); popped one per attempt."""
    sent: list[tuple[str, bool, dt.datetime]] = field(default_factory=list)
    held: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    """Keys ``check`` says never to (Skip)."""
    grace: dt.timedelta | None = dt.timedelta(hours=1)
    timeout: dt.timedelta = dt.timedelta(seconds=60)
    guilds: dict[str, int] = field(default_factory=dict)
    """A key's server (1 unless said), for scoped sweeps."""
    posted: dict[str, int] = field(default_factory=dict)
    """What ``find`` finds in the channel: posts that went out before a crash."""
    looked_for: list[str] = field(default_factory=list)
    broken_claims: set[str] = field(default_factory=set)
    """Keys whose ``recover`` raises (a row the feed cannot read)."""
    recover_gate: asyncio.Event | None = None
    """When set, the next ``recover`` (one call) waits for it: a test lets a sweep or a retry run overtake another."""
    held_at_gate: str | None = None
    sweeps: list[tuple[str, frozenset[int] | None]] = field(default_factory=list)
    timers: dict[str, dt.datetime] = field(default_factory=dict)
    """Its ``wakeups``: like a real feed's, only the instants still ahead are named."""

    name = "fake"
    label = "fake posts"
    kinds = (KIND,)
    timer_prefix = "fake:due:"

    def __post_init__(self) -> None:
        self.policy = FeedPolicy(sweep_every=dt.timedelta(minutes=5), grace=self.grace, timeout=self.timeout)
        self.changed = asyncio.Condition()

    def item(self, key: str) -> Item[str]:
        due = self.due_at[key]
        guild = self.guilds.get(key, 1)
        record = DeliveryRecord(key, key, guild, 1, KIND, key, 0, due, due, delivery_nonce(key))
        return Item(key, due, key, record)

    async def due(self, sweep: Sweep) -> Sequence[Item[str]]:
        self.sweeps.append((sweep.trigger, sweep.scope))
        return [
            self.item(k)
            for k, due in self.due_at.items()
            if sweep.since < due <= sweep.until and (sweep.scope is None or self.guilds.get(k, 1) in sweep.scope)
        ]

    async def recover(self, record: DeliveryRecord) -> Item[str] | str:
        gate = self.recover_gate
        if gate is not None:
            self.recover_gate, self.held_at_gate = None, record.key
            async with self.changed:
                self.changed.notify_all()
            await gate.wait()
        if record.key in self.broken_claims:
            raise ValueError(f"cannot read the claim {record.key}")
        return self.item(record.key) if record.key in self.due_at else "gone"

    async def check(self, item: Item[str]) -> Hold | Skip | None:
        if item.key in self.refused:
            return Skip("refused")
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
        self.looked_for.append(item.key)
        return self.posted.get(item.key)

    async def wakeups(self, now: dt.datetime) -> Mapping[str, dt.datetime]:
        return {job_id: at for job_id, at in self.timers.items() if at > now}


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


def hangs_until(release: asyncio.Event) -> Behaviour:
    """A send that hangs until the test lets it go, then fails for now (as the runner's timeout would make it)."""

    async def step() -> None:
        await release.wait()
        raise TransientDeliveryError("hung until released")

    return step


class SlowRecording(DeliveryRepository):
    """A disk that takes its time: recording a sent message takes longer than the item's whole timeout."""

    def __init__(self, conn: Connection, delay: dt.timedelta) -> None:
        super().__init__(conn)
        self.delay = delay

    async def mark_sent(self, key: str, message_id: int, now: dt.datetime, *, late: bool | None = None) -> None:
        await asyncio.sleep(self.delay.total_seconds())  # the slow write itself, not a wait for something
        await super().mark_sent(key, message_id, now, late=late)


@dataclass
class Setup:
    conn: Connection
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
async def database_path(backend: str, request: pytest.FixtureRequest) -> str:
    """The runner's tests never reopen the database."""
    return await memory_or_postgres(backend, request)


@pytest.fixture
async def setup(conn: Connection) -> AsyncIterator[Setup]:
    """Claims and records go to the bot's database on each backend (the ``conn`` fixture closes it)."""
    clock = Clock()
    scheduler = FakeScheduler(clock)
    deliveries = DeliveryRepository(conn)
    await deliveries.set_watermark("fake", T0 - dt.timedelta(minutes=1))
    try:
        yield Setup(conn, clock, scheduler, deliveries)
    finally:
        await scheduler.shutdown()


async def test_one_items_failure_never_delays_or_stops_another(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    keys = [f"post-{n}" for n in range(8)]
    feed = FakeFeed(setup.clock, {k: T0 for k in keys})
    release = asyncio.Event()
    feed.behaviours = {"post-1": [malformed()], "post-3": [rate_limited(60)], "post-5": [hangs_until(release)]}
    runner = setup.runner(feed)
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=1)
    caplog.set_level(logging.INFO, logger="bot.scheduling")
    sweep = asyncio.create_task(runner.sweep(feed))
    healthy = {"post-0", "post-2", "post-4", "post-6", "post-7"}
    # No wall-clock bound: post-5 hangs until this test lets it go, so the healthy ones are either all sent while
    # it still hangs or never (pytest's own timeout then ends the test). How busy the machine is changes nothing.
    async with feed.changed:
        await feed.changed.wait_for(lambda: {key for key, _, _ in feed.sent} == healthy)
    assert not sweep.done() and "post-5" in runner._in_flight  # still hangs: nobody waited for it
    release.set()
    report = await sweep
    assert sorted(report.sent) == sorted(healthy)
    assert sorted(report.retry_later) == ["post-1", "post-3", "post-5"]
    for key in ("post-1", "post-3", "post-5"):
        assert await setup.status(key) == ("claimed", 0, None)
        failures = [r.getMessage() for r in caplog.records if key in r.getMessage()]
        assert len(failures) == 1, failures  # logged once, with the item's key
    assert "post-1 failed for now (KeyError: 'id'); it stays claimed and is retried in 0:00:15" in caplog.text
    assert "post-5 failed for now (hung until released); it stays claimed and is retried in 0:00:15" in caplog.text
    assert "post-3 failed for now (rate limited for 60 s); it stays claimed and is retried in 0:01:00" in caplog.text
    # Each is retried on its own: 15 s for the malformed answer and the hang, 60 s for the long 429.
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
    assert runner._attempts == {}  # nothing kept for items that are done


async def test_a_send_that_hangs_is_ended_by_its_timeout_and_retried(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    feed = FakeFeed(setup.clock, {"hangs": T0}, timeout=dt.timedelta(seconds=0.05))
    feed.behaviours = {"hangs": [hangs()]}
    runner = setup.runner(feed)
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=1)
    with caplog.at_level(logging.WARNING, logger="bot.scheduling.runner"):
        report = await runner.sweep(feed)
    assert report.retry_later == ["hangs"] and feed.sent == []
    assert await setup.status("hangs") == ("claimed", 0, None)
    assert "hangs failed for now (no answer within 0:00:00.050000); it stays claimed and is retried in 0:00:15" in (
        caplog.text
    )


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
    assert feed.looked_for == ["refused"]  # claimed: it might have gone out; it had not
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


async def test_a_claim_that_cannot_be_recovered_does_not_stop_the_sweep(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    early = T0 - dt.timedelta(minutes=10)  # before the watermark: found again only as claims a crash left
    feed = FakeFeed(setup.clock, {"unreadable": early - dt.timedelta(minutes=1), "readable": early})
    for key in ("unreadable", "readable"):
        await setup.deliveries.claim(feed.item(key).record, early)  # type: ignore[arg-type]
    feed.broken_claims.add("unreadable")
    runner = setup.runner(feed)
    setup.clock.now = T0 + dt.timedelta(seconds=30)
    with caplog.at_level(logging.ERROR, logger="bot.scheduling.runner"):
        report = await runner.sweep(feed, "start-up")
    assert report.recovered == ["readable"]
    assert await setup.status("unreadable") == ("claimed", 0, None)  # looked at again on the next sweep
    errors = [r for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(errors) == 1 and errors[0].exc_info is not None, errors


async def test_a_retry_that_cannot_be_recovered_does_not_stop_the_others(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    feed = FakeFeed(setup.clock, {"unreadable": T0, "readable": T0 + dt.timedelta(microseconds=1)})
    feed.behaviours = {key: [rate_limited(1)] for key in feed.due_at}
    runner = setup.runner(feed)
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=1)
    assert sorted((await runner.sweep(feed)).retry_later) == ["readable", "unreadable"]
    feed.broken_claims.add("unreadable")
    setup.clock.now += dt.timedelta(seconds=15)
    caplog.clear()  # only what the retry run logs
    with caplog.at_level(logging.ERROR, logger="bot.scheduling.runner"):
        report = await runner.run_retries(feed)
    assert report.sent == ["readable"]
    # Still claimed, tried again after its next backoff, and the retry job is armed for it.
    assert await setup.status("unreadable") == ("claimed", 0, None)
    assert runner._retries["unreadable"].at == setup.clock.now + dt.timedelta(seconds=30)
    assert setup.scheduler.next_run("fake:retry") == runner._retries["unreadable"].at
    errors = [r for r in caplog.records if "unreadable" in r.getMessage()]
    assert len(errors) == 1 and errors[0].exc_info is not None, errors


async def test_a_timer_due_but_not_fired_yet_survives_a_reschedule(setup: Setup) -> None:
    """The loop was busy at the timer's instant; meanwhile another change reschedules the feed, whose ``wakeups``
    names only instants still ahead. The timer must stay (and fire when the loop gets to it), not be dropped."""
    feed = FakeFeed(setup.clock)
    due, later = T0 + dt.timedelta(minutes=1), T0 + dt.timedelta(hours=1)
    feed.timers = {"fake:due:soon": due, "fake:due:later": later}
    runner = setup.runner(feed)
    setup.scheduler.start()
    await runner.reschedule(feed)
    assert setup.scheduler.job_ids("fake:due:") == {"fake:due:soon", "fake:due:later"}
    setup.clock.now = due + dt.timedelta(seconds=1)
    del feed.timers["fake:due:later"]  # say, the group it was for was archived
    await runner.reschedule(feed)
    assert setup.scheduler.job_ids("fake:due:") == {"fake:due:soon"}


async def test_a_claim_past_its_grace_is_looked_for_before_it_is_called_skipped(setup: Setup) -> None:
    """The bot crashed after claiming two posts (one of them had gone out) and stayed down past the grace."""
    feed = FakeFeed(
        setup.clock,
        {
            "went-out": T0,
            "never-went": T0 + dt.timedelta(microseconds=1),
            "never-claimed": T0 + dt.timedelta(microseconds=2),
        },
    )
    for key in ("went-out", "never-went"):
        await setup.deliveries.claim(feed.item(key).record, T0)  # type: ignore[arg-type]
    feed.posted["went-out"] = 777
    runner = setup.runner(feed)
    setup.clock.now = T0 + dt.timedelta(hours=2)  # the grace is 1 hour
    report = await runner.sweep(feed, "start-up")
    assert feed.sent == []  # nothing is posted this late
    assert report.recovered == ["went-out"]
    assert sorted(report.skipped) == [("never-claimed", "beyond-grace"), ("never-went", "beyond-grace")]
    assert sorted(feed.looked_for) == ["never-went", "went-out"]  # never claimed: it cannot have gone out
    record = await setup.deliveries.get("went-out")
    assert record is not None and record.status is DeliveryStatus.SENT and record.message_id == 777
    assert await setup.status("never-went") == ("skipped", 0, "beyond-grace")
    assert await setup.status("never-claimed") == ("skipped", 1, "beyond-grace")


async def test_a_sweep_of_one_server_leaves_the_watermark_to_full_sweeps(setup: Setup) -> None:
    feed = FakeFeed(setup.clock, {"one": T0, "two": T0}, guilds={"two": 2})
    runner = setup.runner(feed)
    setup.clock.now = T0 + dt.timedelta(seconds=10)
    report = await runner.sweep(feed, "opt-in 1", scope=frozenset({1}))  # server 1 just opted in
    assert report.sent == ["one"]
    assert await setup.deliveries.watermark("fake") == T0 - dt.timedelta(minutes=1)
    assert (await runner.sweep(feed)).sent == ["two"]  # server 2's post, due meanwhile, is not passed over
    assert await setup.deliveries.watermark("fake") == setup.clock.now


async def test_a_slow_record_of_a_sent_message_is_not_taken_for_a_failure(setup: Setup) -> None:
    timeout = dt.timedelta(seconds=0.05)
    feed = FakeFeed(setup.clock, {"sent": T0}, timeout=timeout)
    runner = Runner(setup.scheduler, SlowRecording(setup.conn, timeout * 5), RateBudget(50, 32))
    runner.add(feed)
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=1)
    report = await runner.sweep(feed)
    assert report.sent == ["sent"] and report.retry_later == [] and runner.retries_pending == 0
    assert await setup.status("sent") == ("sent", 0, None)


async def test_nothing_is_kept_for_an_item_once_it_is_done(setup: Setup) -> None:
    feed = FakeFeed(setup.clock, {"refused-later": T0, "held-later": T0 + dt.timedelta(microseconds=1)})
    feed.behaviours = {key: [rate_limited(1)] for key in feed.due_at}
    runner = setup.runner(feed)
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=1)
    await runner.sweep(feed)
    assert set(runner._attempts) == {"refused-later", "held-later"}  # their backoff
    feed.refused.add("refused-later")
    feed.held.add("held-later")  # no retry of its own any more: the next sweep looks at it
    setup.clock.now += dt.timedelta(seconds=15)
    report = await runner.run_retries(feed)
    assert report.skipped == [("refused-later", "refused")] and report.held_back == [("held-later", "not ready")]
    assert runner._attempts == {} and runner._retries == {}


async def test_a_fan_out_that_fails_together_arms_its_retry_job_once(setup: Setup) -> None:
    keys = [f"post-{n}" for n in range(50)]
    feed = FakeFeed(setup.clock, {key: T0 for key in keys})
    feed.behaviours = {key: [rate_limited(1)] for key in keys}
    elapsed = [0.0]

    async def sleep(seconds: float) -> None:  # the budget's pacing, without waiting for it
        elapsed[0] += seconds

    runner = setup.runner(feed, RateBudget(50, 32, clock=lambda: elapsed[0], sleep=sleep))
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=1)
    assert len((await runner.sweep(feed)).retry_later) == len(keys)
    assert setup.scheduler.armed["fake:retry"] == 1  # not once per failed item
    setup.clock.now += dt.timedelta(seconds=15)
    assert sorted((await runner.run_retries(feed)).sent) == sorted(keys)
    assert setup.scheduler.job_ids("fake:retry") == set()


async def test_wakes_of_one_feed_make_one_sweep_not_one_each(setup: Setup) -> None:
    ready = asyncio.Event()
    runner = Runner(setup.scheduler, setup.deliveries, RateBudget(50, 32), ready=ready.wait)
    feed = FakeFeed(setup.clock, {"first": T0})
    runner.add(feed)
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=1)
    # Before ready: every shard that connects wakes every feed; a server opts in meanwhile.
    for shard in range(5):
        runner.wake(feed, f"shard {shard} ready")
    runner.wake(feed, "opt-in 1", {1})  # within the full sweep that is coming anyway
    ready.set()
    await setup.scheduler.tasks.wait_idle()
    assert feed.sweeps == [("shard 0 ready", None)] and [key for key, _, _ in feed.sent] == ["first"]
    # While a sweep is sending, three wakes make one more sweep.
    sending, release = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        sending.set()
        await release.wait()

    feed.due_at["second"] = T0 + dt.timedelta(seconds=2)
    feed.behaviours["second"] = [slow]
    setup.clock.now = T0 + dt.timedelta(seconds=3)
    running = asyncio.create_task(runner.sweep(feed))
    await sending.wait()
    for shard in range(3):
        runner.wake(feed, f"shard {shard} resumed")
    release.set()
    await running
    await setup.scheduler.tasks.wait_idle()
    assert feed.sweeps[1:] == [("sweep", None), ("shard 0 resumed", None)]
    # Scoped wakes queued together make one sweep of all their servers.
    runner.wake(feed, "opt-in 1", {1})
    runner.wake(feed, "opt-in 2", {2})
    await setup.scheduler.tasks.wait_idle()
    assert feed.sweeps[3:] == [("opt-in 1", frozenset({1, 2}))]
    assert [key for key, _, _ in feed.sent] == ["first", "second"]


async def test_a_retry_run_and_a_sweep_racing_on_one_key_send_it_once(setup: Setup) -> None:
    sending, release = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        sending.set()
        await release.wait()

    feed = FakeFeed(setup.clock, {"contested": T0, "other": T0 + dt.timedelta(microseconds=1)})
    feed.behaviours = {"contested": [rate_limited(1), slow], "other": [rate_limited(1)]}
    runner = setup.runner(feed)
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=1)
    await runner.sweep(feed)  # both fail for now: claimed, retried in 15 s
    setup.clock.now += dt.timedelta(seconds=15)
    gate = asyncio.Event()
    feed.recover_gate = gate
    first = asyncio.create_task(runner.run_retries(feed))
    async with feed.changed:
        await feed.changed.wait_for(lambda: feed.held_at_gate is not None)
    assert feed.held_at_gate == "contested"  # the first retry run is looking at it
    # Meanwhile the retry job fires again and a sweep comes: neither may start "contested" a second time.
    second = asyncio.create_task(runner.run_retries(feed))
    await runner.sweep(feed)
    # The second run either returned (it left "contested" alone) or started sending it (the bug): wait for either.
    started = asyncio.create_task(sending.wait())
    await asyncio.wait({second, started}, return_when=asyncio.FIRST_COMPLETED)
    gate.set()
    release.set()
    await asyncio.gather(first, second, started)
    assert sorted(key for key, _, _ in feed.sent) == ["contested", "other"]  # each once
    assert runner.in_flight == 0 and runner.retries_pending == 0


async def test_a_worker_without_a_timeout_of_its_own_is_stopped_after_its_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A run that hangs would keep the worker "still running" for good (every later turn skipped): by default a
    run may take as long as its interval."""
    scheduler = JobScheduler()
    conn = await open_database(":memory:")

    async def hangs_forever() -> None:
        await asyncio.Event().wait()

    try:
        runner = Runner(scheduler, DeliveryRepository(conn), RateBudget())
        every = dt.timedelta(milliseconds=50)
        runner.add_worker(Worker("stuck", every, hangs_forever, needs_ready=False))
        runner.add_worker(Worker("unbounded", every, hangs_forever, needs_ready=False, timeout=None))
        assert runner._workers["stuck"].limit == every and runner._workers["unbounded"].limit is None
        with caplog.at_level(logging.ERROR, logger="bot.scheduling.runner"):
            # The bound only ends a broken runner's test sooner than pytest's timeout would; a correct one returns
            # after 50 ms (its interval), however loaded the machine.
            await asyncio.wait_for(runner.run_worker("stuck"), timeout=30)
        assert "stuck did not finish within 0:00:00.050000 and was stopped; the next run is in 0:00:00.050000" in (
            caplog.text
        )
        assert "stuck" not in runner._workers_running
    finally:
        await scheduler.shutdown()
        await conn.close()


async def test_processes_of_a_cluster_each_send_only_their_servers_items_and_keep_their_own_watermarks(
    setup: Setup,
) -> None:
    """Two processes (SHARDS) sharing one database: each sweeps, claims, skips and recovers only the items of the
    servers it owns, so together they send every item once; one process's watermark never passes the other's items."""
    keys = [f"post-{n}" for n in range(10)]
    due = {k: T0 for k in keys}
    guilds = {k: n % 2 + 1 for n, k in enumerate(keys)}  # servers 1 and 2
    even = FakeFeed(setup.clock, dict(due), guilds=dict(guilds))
    odd = FakeFeed(setup.clock, dict(due), guilds=dict(guilds))
    budget = RateBudget(50, 32)
    first = Runner(setup.scheduler, setup.deliveries, budget, owns=lambda g: g == 1, watermark_scope="0/2")
    second = Runner(setup.scheduler, setup.deliveries, budget, owns=lambda g: g == 2, watermark_scope="1/2")
    first.add(even)
    second.add(odd)
    # Each process's watermark starts where the single process's was.
    for scope in ("0/2", "1/2"):
        await setup.deliveries.set_watermark(f"fake@{scope}", T0 - dt.timedelta(minutes=1))
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=1)
    one = await first.sweep(even)
    assert sorted(one.sent) == sorted(k for k in keys if guilds[k] == 1)
    # The first process's watermark has moved past T0; the second's has not, so its items are still found.
    assert await setup.deliveries.watermark("fake@0/2") == setup.clock.now
    two = await second.sweep(odd)
    assert sorted(two.sent) == sorted(k for k in keys if guilds[k] == 2)
    sent = [key for key, _, _ in even.sent + odd.sent]
    assert sorted(sent) == sorted(keys)  # every item once, across both


async def test_a_process_of_a_cluster_leaves_other_servers_claims_alone(setup: Setup) -> None:
    """A claim left by a crash is recovered by the process that owns its server, not by another."""
    feed = FakeFeed(setup.clock, {"mine": T0, "theirs": T0}, guilds={"mine": 1, "theirs": 2})
    for key in ("mine", "theirs"):
        assert await setup.deliveries.claim(feed.item(key).record, T0)  # type: ignore[arg-type]
    runner = Runner(setup.scheduler, setup.deliveries, RateBudget(50, 32), owns=lambda g: g == 1)
    runner.add(feed)
    setup.scheduler.start()
    setup.clock.now = T0 + dt.timedelta(seconds=1)
    report = await runner.sweep(feed)
    assert report.sent == ["mine"] and feed.looked_for == ["mine"]
    assert await setup.status("theirs") == ("claimed", 0, None)
