"""One machinery for every scheduled post and every periodic job: feeds and workers, run by one ``Runner``.

A **feed** describes one kind of scheduled post and nothing else: what is due between two instants (``due``), how
to send one item with its nonce, marked late or not (``send``), how to find an item already sent after a crash
(``find``), and what an unfinished claim was for (``recover``). Announcements, Discord scheduled events, study-group
prompts and recaps, and streak nudges are feeds.

The **runner** does everything else, the same way for every feed:

- **when**: a sweep every ``policy.sweep_every``, one at start-up, and timers at the instants the feed names
  (``wakeups``), all on the one ``JobScheduler``; ``wake`` asks for one soon (wakes that come before it starts
  looking are answered by that one sweep);
- **what**: items due since the feed's watermark (``bot_meta``), minus those with a finished delivery row; claims
  left unfinished (a crash, a transient failure) are recovered through the feed, each on its own (one that cannot
  be read is logged and looked at again next time). Only a sweep of every server moves the watermark;
- **grace**: an item older than its grace window is recorded as skipped and logged instead of posted (a claim that
  old is first looked for with ``find``: it may have gone out just before a crash, and is then recorded as sent);
  with ``policy.supersede`` only the latest missed item of an occurrence is posted (``bot.scheduling.grace``);
- **exactly once**: claim -> send with the item's nonce -> record (``bot.scheduling.delivery``), and one attempt per
  key at a time: no sweep, retry run or wake starts a key that is in flight or waiting for its retry;
- **late** is decided at the moment of sending: more than ``policy.late_after`` after the item's due time, whatever
  made it late (downtime, a clock jump, a retry, a queue), the message says so;
- **isolation**: every item runs as its own task, at most ``concurrency`` at a time, each call it makes to Discord
  under ``policy.timeout`` (recording what was sent is not timed: a slow write must not pass for a failed send).
  Its failure (an exception, a long 429, a malformed answer, a timeout) is logged once with the item's key and
  ends in a retry of that item alone (15 s, then doubling up to the sweep interval, never sooner than Discord's
  ``retry_after``) or a skip; no lock is held around a sweep's sends, so nothing one item does delays another;
- **one rate budget**: every request an item makes takes a turn of the process's ``RateBudget``.

What the runner has in flight is public (``in_flight``, ``retries_pending``) and it logs ``scheduled work
settled`` each time the last item in flight finished and no retry is pending, with its totals since start: the
end-to-end tests wait for that line instead of sleeping.

A **worker** is a periodic job (member check, retention purge, backups, heartbeat, quiz expiry): run every
``every`` under a stable job id (and once at start), never two runs at once, a run stopped after its ``timeout``
(by default its interval), its failure logged and the next run on time. No discord import here: a feed's ``send``
talks to Discord through an adapter built in ``bot/app.py``.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import logging
import time
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from bot.observability.context import job_context
from bot.scheduling.delivery import (
    DEFAULT_NONCE_TRUST,
    ClaimOwners,
    Deliverer,
    DeliveryProblem,
    DeliveryRecord,
    DeliveryRepository,
    DeliveryResult,
    DeliveryStatus,
    Outcome,
    SkipDelivery,
    TransientDeliveryError,
)
from bot.scheduling.grace import SkipReason, triage_missed
from bot.scheduling.pacing import RateBudget
from bot.scheduling.scheduler import JobScheduler

log = logging.getLogger(__name__)

P = TypeVar("P")

LATE_AFTER = timedelta(minutes=2)
"""A message sent more than this after its due time says it was posted late."""
ITEM_TIMEOUT = timedelta(seconds=60)
"""Longer than discord.py's own retries of a 5xx (1 + 3 + 5 + 7 + 9 s) and one 30 s rate-limit wait."""
FIRST_RETRY = timedelta(seconds=15)
"""Long enough for a 5xx burst or a reconnect to pass, short enough that a message is not noticeably late."""
DEFAULT_CONCURRENCY = 32
"""Items at once across all feeds: the rate budget paces them, this only bounds what waits in memory."""
SETTLED = "scheduled work settled"


# -- what a feed is made of ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item(Generic[P]):
    """One scheduled post (or idempotent action) of a feed."""

    key: str
    """The delivery key: one item per key, ever (``bot.scheduling.delivery``)."""
    due_at: datetime
    payload: P
    record: DeliveryRecord | None = None
    """The delivery row to claim; None for an idempotent action (moving a Discord event) that needs no row."""
    grace: timedelta | None = None
    """How late it may still be sent; None: the feed policy's ``grace``."""
    group_key: str = ""
    """The occurrence it belongs to (its key when empty), for ``policy.supersede``."""
    serial: str | None = None
    """Items sharing this never run at the same time (one server's Discord events, made one after another)."""
    guild_id: int | None = None
    """The server an item without a row concerns (an item with a row says it in ``record.guild_id``)."""

    @property
    def fire_at(self) -> datetime:
        return self.due_at

    @property
    def server(self) -> int | None:
        """The server the item goes to; None for a DM."""
        if self.record is not None:
            return self.record.guild_id or None
        return self.guild_id


@dataclass(frozen=True, slots=True)
class Hold:
    """Not now, and nothing recorded: the next sweep looks at the item again (while it is due)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Skip:
    """Never: the item is recorded as skipped with ``reason``."""

    reason: str


@dataclass(frozen=True)
class FeedPolicy:
    sweep_every: timedelta
    grace: timedelta | None = None
    """Items due longer ago than this are skipped, not posted; None: never too late."""
    late_after: timedelta = LATE_AFTER
    timeout: timedelta = ITEM_TIMEOUT
    retry_first: timedelta | None = FIRST_RETRY
    """First retry of an item Discord refused for now; None: wait for the next sweep."""
    retry_cap: timedelta | None = None
    """Longest wait between retries; None: ``sweep_every``."""
    watermark: bool = True
    """Look for due items since the last sweep; False: ``due`` says what is due now, whatever the window."""
    rescan: timedelta | None = None
    """Always look back at least this far (a window ``due`` can recompute), not only since the watermark."""
    max_lookback: timedelta = timedelta(days=2)
    supersede: bool = False
    """Of several missed items of one occurrence, post only the latest (announcements' reminders)."""
    nonce_trust: timedelta = DEFAULT_NONCE_TRUST
    """How long after a claim Discord's nonce alone is trusted; older claims are looked for with ``find`` first."""
    beyond_grace: str = SkipReason.BEYOND_GRACE.value
    """The reason recorded for an item skipped beyond its grace."""

    @property
    def cap(self) -> timedelta:
        return self.retry_cap if self.retry_cap is not None else self.sweep_every


@dataclass(frozen=True, slots=True)
class Sweep:
    """What ``Feed.due`` is asked: items due in ``(since, until]`` (``until`` is the feed clock's now)."""

    trigger: str
    since: datetime
    until: datetime
    scope: frozenset[int] | None = None
    """Only these servers (a server just opted in); None: everything."""
    notes: dict[str, int] = field(default_factory=dict)
    """Figures the feed wants in its summary line (servers looked at, members due...)."""


@dataclass
class SweepReport:
    label: str
    trigger: str
    started_at: datetime
    planned: int = 0
    sent: list[str] = field(default_factory=list)
    """Posted, including recovered claims."""
    late: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    already_done: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    retry_later: list[str] = field(default_factory=list)
    held_back: list[tuple[str, str]] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def eventful(self) -> bool:
        return bool(self.planned or self.skipped or self.held_back)

    def summary(self) -> str:
        return (
            f"{self.trigger}: {len(self.sent)} posted ({len(self.late)} late, {len(self.recovered)} recovered), "
            f"{len(self.already_done)} already done, {len(self.skipped)} skipped, {len(self.failed)} failed, "
            f"{len(self.retry_later)} to retry, {len(self.held_back)} held back, in {self.seconds:.1f} s"
        )


class Feed(ABC, Generic[P]):
    """One kind of scheduled post. Subclasses set the class attributes and implement ``due``, ``send``, ``find``;
    the other hooks have defaults."""

    name: str
    """Watermark name and job-id prefix (``{name}:sweep``, ``{name}:retry``)."""
    label: str
    """How its log lines start ("announcements", "study-group deliveries")."""
    kinds: tuple[str, ...]
    """Its target kinds in the deliveries table: it recovers only its own claims."""
    timer_prefix: str = ""
    policy: FeedPolicy
    clock: Callable[[], datetime]
    """The feed's now (a test hook may move it: ``bot.scheduling.clock``)."""

    @abstractmethod
    async def due(self, sweep: Sweep) -> Sequence[Item[P]]:
        """Items due in ``(sweep.since, sweep.until]``, oldest first (feeds without a watermark: due now)."""

    @abstractmethod
    async def send(self, item: Item[P], *, nonce: str, late: bool) -> int:
        """Send it; the message (or event) id. Raises DeliveryProblem, TransientDeliveryError or SkipDelivery."""

    @abstractmethod
    async def find(self, item: Item[P], record: DeliveryRecord) -> int | None:
        """The id of the item already sent for this claim, or None when it surely was not. Raises
        TransientDeliveryError when it cannot tell (the claim then waits)."""

    async def recover(self, record: DeliveryRecord) -> Item[P] | str:
        """The item behind an unfinished claim of ours, or why it is given up (recorded as skipped)."""
        return "nothing plans it any more"

    async def check(self, item: Item[P]) -> Hold | Skip | None:
        """Just before an item is claimed: go (None), not now (Hold) or never (Skip)."""
        return None

    async def settled(self, item: Item[P], result: DeliveryResult) -> None:
        """After each attempt: pause a server whose channel is gone, link a made event, ..."""
        return None

    async def wakeups(self, now: datetime) -> Mapping[str, datetime]:
        """Timer ids (starting with ``timer_prefix``) and the instants (on ``clock``) a sweep should run at."""
        return {}

    def summary(self, report: SweepReport) -> str | None:
        """The log line of a sweep (after the label); None: not worth a line."""
        if report.eventful or report.trigger == "start-up":
            return report.summary()
        return None


@dataclass(frozen=True)
class Worker:
    """A periodic job of the framework."""

    name: str
    every: timedelta
    run: Callable[[], Awaitable[object]]
    at_start: bool = True
    """Also once at start-up (after ready, when ``needs_ready``)."""
    needs_ready: bool = True
    timeout: timedelta | Literal["every"] | None = "every"
    """How long one run may take (waiting for ready is not counted). By default its interval ``every``: a run that
    hangs would otherwise keep the worker "still running" for good and every later turn would be skipped, and a run
    longer than its interval has already cost the next turn. None: no limit."""

    @property
    def limit(self) -> timedelta | None:
        return self.every if isinstance(self.timeout, str) else self.timeout


@dataclass
class _Retry:
    feed: str
    at: datetime


@dataclass
class _Wake:
    """Wakes of one feed not yet taken by a sweep: they are all answered by the one sweep that takes them."""

    trigger: str
    scope: set[int] | None
    """The servers to look at; None: all of them."""

    def merge(self, trigger: str, scope: Collection[int] | None) -> None:
        if self.scope is None:
            return  # a full sweep is coming: it covers any server
        if scope is None:
            self.trigger, self.scope = trigger, None
        else:
            self.scope.update(scope)


# -- the runner ---------------------------------------------------------------------------------------------------


class Runner:
    def __init__(
        self,
        scheduler: JobScheduler,
        deliveries: DeliveryRepository,
        budget: RateBudget,
        *,
        ready: Callable[[], Awaitable[None]] | None = None,
        server_ready: Callable[[int | None], bool] | None = None,
        owns: Callable[[int | None], bool] | None = None,
        watermark_scope: str | None = None,
        owners: ClaimOwners | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        crash_after_send: bool = False,
    ) -> None:
        self.scheduler = scheduler
        self.deliveries = deliveries
        self.budget = budget
        self._ready = ready
        self._server_ready = server_ready
        """Whether a server (None: DMs) can be sent to now (its gateway shard is connected and ready)."""
        self._owns = owns
        """Whether this process serves a server (None: DMs). In a cluster of processes (SHARDS), each process sweeps
        only its own servers' items, recovers only their claims and records skips only for them."""
        self._watermark_scope = watermark_scope
        self._owners = owners
        """In a cluster, each process keeps its own watermarks (named after its shards): one process passing an item
        must not make another pass over its own items due at the same time."""
        self.crash_after_send = crash_after_send
        self._feeds: dict[str, Feed[Any]] = {}
        self._deliverers: dict[str, Deliverer] = {}
        self._collect: dict[str, asyncio.Lock] = {}
        self._workers: dict[str, Worker] = {}
        self._workers_running: set[str] = set()
        self._slots = asyncio.Semaphore(concurrency)
        self._serial: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        """Per ``Item.serial``: its lock and how many items use it (the entry goes with the last one)."""
        self._in_flight: dict[str, str] = {}
        """Item key -> feed name, from launch to the end of the attempt."""
        self._retries: dict[str, _Retry] = {}
        """Item key -> when it is tried again: from its failure until a retry run launches (or drops) it."""
        self._retry_queue: dict[str, list[tuple[datetime, str]]] = {}
        """Per feed: a heap of (when, key) over its retries, so the next one is found without scanning them all.
        An entry that no longer matches ``_retries`` (launched, dropped, planned again) is discarded when it
        reaches the top."""
        self._attempts: Counter[str] = Counter()
        """Failed attempts of an item with a retry pending (its backoff); gone with the retry."""
        self._woken: dict[str, _Wake] = {}
        """Per feed: wakes waiting for their sweep to start looking (``wake``)."""
        self._unresolved: dict[str, dict[str, datetime]] = {}
        """Per feed: items launched or held back that have no row yet (key -> due), which the watermark waits for."""
        self._unsettled = False
        self._sweeping = 0
        """Sweeps (and retry runs) under way: "settled" waits for their summary lines too."""
        self.totals: Counter[str] = Counter()
        """Outcomes since start: sent, failed, skipped, retried, held."""
        self.reports: deque[SweepReport] = deque(maxlen=50)
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- registration ----------------------------------------------------------------------------------------------

    def add(self, feed: Feed[Any]) -> None:
        if feed.name in self._feeds or feed.name in self._workers:
            raise ValueError(f"a feed or worker named {feed.name!r} is already registered")
        self._feeds[feed.name] = feed
        self._collect[feed.name] = asyncio.Lock()
        self._deliverers[feed.name] = Deliverer(
            self.deliveries,
            clock=lambda: feed.clock(),
            nonce_trust=feed.policy.nonce_trust,
            crash_after_send=self.crash_after_send,
            owners=self._owners,
        )

    def add_worker(self, worker: Worker) -> None:
        if worker.name in self._feeds or worker.name in self._workers:
            raise ValueError(f"a feed or worker named {worker.name!r} is already registered")
        self._workers[worker.name] = worker

    def feed(self, name: str) -> Feed[Any]:
        return self._feeds[name]

    @property
    def feeds(self) -> list[Feed[Any]]:
        return list(self._feeds.values())

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def retries_pending(self) -> int:
        return len(self._retries)

    def _named(self, feed: Feed[Any] | str) -> Feed[Any]:
        return self._feeds[feed] if isinstance(feed, str) else feed

    # -- lifecycle -------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Arm every feed's sweep and timers and every worker's job (stable ids), and run each once in the
        background (after ready). Starting again changes nothing."""
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self.scheduler.start()
        for feed in self._feeds.values():
            self.scheduler.every(f"{feed.name}:sweep", feed.policy.sweep_every, functools.partial(self.sweep, feed))
            await self.reschedule(feed)
            with job_context(f"{feed.name}:start-up"):
                self.scheduler.tasks.spawn(self.sweep(feed, "start-up"), name=f"{feed.name}:start-up")
        for worker in self._workers.values():
            self.scheduler.every(worker.name, worker.every, functools.partial(self.run_worker, worker.name))
            if worker.at_start:
                with job_context(f"{worker.name}:start-up"):
                    self.scheduler.tasks.spawn(self.run_worker(worker.name), name=f"{worker.name}:start-up")

    async def reschedule(self, feed: Feed[Any] | str) -> None:
        """Re-arm the feed's timers from its ``wakeups``; call after a change that moves what is due."""
        feed = self._named(feed)
        if not self.scheduler.running or not feed.timer_prefix:
            return
        now = feed.clock()
        # Timers run on the scheduler's real clock, and a feed's may be moved (a test hook, bot.scheduling.clock):
        # each is armed as far from the real now as it is due from the feed's. In production they are one clock.
        shift = self.scheduler.now() - now
        wanted = {
            job_id: (at + shift, functools.partial(self.sweep, feed, f"due {at.isoformat()}"))
            for job_id, at in (await feed.wakeups(now)).items()
        }
        self.scheduler.sync(feed.timer_prefix, wanted)

    def wake_all(self, trigger: str) -> None:
        """Sweep every feed soon (a shard became ready: what was held back for it can go)."""
        if self.scheduler.running:
            for feed in self._feeds.values():
                self.wake(feed, trigger)

    def wake(self, feed: Feed[Any] | str, trigger: str, scope: Collection[int] | None = None) -> None:
        """Sweep soon, in the background (a server just opted in; a shard became ready).

        Wakes of one feed that come before their sweep starts looking (every shard of a large bot becoming ready
        at start-up) are answered by that one sweep: of all the servers they name, or of everything if one of them
        named no server. A wake that comes after it started looking makes one more sweep."""
        feed = self._named(feed)
        queued = self._woken.get(feed.name)
        if queued is not None:
            queued.merge(trigger, scope)
            return
        wake = _Wake(trigger, set(scope) if scope is not None else None)
        self._woken[feed.name] = wake
        try:
            self.scheduler.tasks.spawn(self._woken_sweep(feed, wake), name=f"{feed.name}:{trigger}")
        except RuntimeError:  # shutting down
            del self._woken[feed.name]
            raise

    async def _woken_sweep(self, feed: Feed[Any], wake: _Wake) -> None:
        def take() -> tuple[str, frozenset[int] | None]:
            # From here on the sweep looks at what is due: a later wake needs a sweep of its own.
            if self._woken.get(feed.name) is wake:
                del self._woken[feed.name]
            return wake.trigger, frozenset(wake.scope) if wake.scope is not None else None

        try:
            await self._sweep(feed, take)
        finally:
            if self._woken.get(feed.name) is wake:  # it never started looking (a failure while waiting)
                del self._woken[feed.name]

    # -- workers ---------------------------------------------------------------------------------------------------

    async def run_worker(self, name: str) -> None:
        """One run of a worker, unless one is still going; its failure is logged and the next run is on time."""
        worker = self._workers[name]
        if name in self._workers_running:
            log.debug("%s is still running from its last turn; skipping this one", name)
            return
        self._workers_running.add(name)
        try:
            if worker.needs_ready and self._ready is not None:
                await self._ready()
            limit = worker.limit
            deadline = asyncio.timeout(limit.total_seconds() if limit is not None else None)
            try:
                async with deadline:
                    await worker.run()
            except TimeoutError:
                if not deadline.expired():
                    raise  # the job's own: a failure like any other
                log.error(
                    "%s did not finish within %s and was stopped; the next run is in %s", name, limit, worker.every
                )
        except Exception:
            log.exception("%s failed; the next run is in %s", name, worker.every)
        finally:
            self._workers_running.discard(name)

    def run_worker_soon(self, name: str) -> None:
        """Run a worker now, from any thread (the heartbeat, after an error was logged)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        def spawn() -> None:
            if self.scheduler.running:
                self.scheduler.tasks.spawn(self.run_worker(name), name=f"{name}:soon")

        loop.call_soon_threadsafe(spawn)

    # -- sweeps ----------------------------------------------------------------------------------------------------

    async def sweep(
        self, feed: Feed[Any] | str, trigger: str = "sweep", *, scope: frozenset[int] | None = None
    ) -> SweepReport:
        """Find what is due, triage it, and start one task per item; returns when those tasks have finished (a
        retry of an item refused for now is separate). Only finding what is due is serialised per feed: the
        items' sends run on their own, and a sweep that starts meanwhile leaves the items in flight alone."""
        return await self._sweep(self._named(feed), lambda: (trigger, scope))

    async def _sweep(self, feed: Feed[Any], take: Callable[[], tuple[str, frozenset[int] | None]]) -> SweepReport:
        """``take`` says what the sweep is for, asked once it may look (a woken sweep takes every wake until then)."""
        if self._ready is not None:
            await self._ready()
        started = time.perf_counter()
        self._sweeping += 1
        try:
            async with self._collect[feed.name]:
                trigger, scope = take()
                report = SweepReport(feed.label, trigger, feed.clock())
                now = feed.clock()
                tasks = await self._collect_and_launch(feed, trigger, scope, report, now)
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            if feed.policy.watermark and scope is None:
                # Only a sweep of every server may move the watermark: one of a few servers (one just opted in)
                # has not looked at the others' items due since it, and they would be passed over.
                await self._advance_watermark(feed, now)
            report.seconds = time.perf_counter() - started
            self.reports.append(report)
            line = feed.summary(report)
            if line is not None:
                log.info("%s %s", feed.label, line)
        finally:
            self._sweeping -= 1
            self._maybe_settled()
        if scope is None:
            await self.reschedule(feed)
        return report

    async def _since(self, feed: Feed[Any], now: datetime) -> datetime:
        policy = feed.policy
        if not policy.watermark:
            return now
        watermark = await self.deliveries.watermark(self._watermark_name(feed))
        since = watermark if watermark is not None else now - (policy.rescan or policy.max_lookback)
        if policy.rescan is not None:
            since = min(since, now - policy.rescan)
        return max(since, now - policy.max_lookback)

    async def _advance_watermark(self, feed: Feed[Any], now: datetime) -> None:
        """Up to ``now``, but never past an item that has no row yet (launched and not claimed, or held back): a
        crash, or the next sweep, finds it again from there."""
        unresolved = self._unresolved.setdefault(feed.name, {})
        mark = min([now, *(due - timedelta(microseconds=1) for due in unresolved.values())])
        await self.deliveries.advance_watermark(self._watermark_name(feed), mark)

    def _watermark_name(self, feed: Feed[Any]) -> str:
        return feed.name if self._watermark_scope is None else f"{feed.name}@{self._watermark_scope}"

    def _mine(self, server: int | None) -> bool:
        return self._owns is None or self._owns(server)

    async def _collect_and_launch(
        self, feed: Feed[Any], trigger: str, scope: frozenset[int] | None, report: SweepReport, now: datetime
    ) -> list[asyncio.Task[None]]:
        policy = feed.policy
        since = await self._since(feed, now)
        sweep = Sweep(trigger, since, now, scope)
        items = [item for item in await feed.due(sweep) if item.due_at <= now and self._mine(item.server)]
        report.notes = sweep.notes
        busy = self._busy_keys()
        if scope is None:
            # Held back earlier and no longer due (archived, unsubscribed): nothing left to keep the watermark for.
            collected = {item.key for item in items}
            unresolved = self._unresolved.setdefault(feed.name, {})
            for key in [k for k in unresolved if k not in collected and k not in busy]:
                del unresolved[key]
        rows = await self.deliveries.statuses([item.key for item in items if item.record is not None])
        pending = [i for i in items if i.record is not None and i.key not in rows and i.key not in busy]
        unrecorded = [i for i in items if i.record is None and i.key not in busy]
        claimed = [i for i in items if rows.get(i.key) is DeliveryStatus.CLAIMED and i.key not in busy]
        go: list[Item[Any]] = []
        skips: list[tuple[Item[Any], str]] = []
        if policy.supersede and policy.grace is not None:
            delivered_latest: dict[str, datetime] = {}
            for group_key, fire_at, status in (await self.deliveries.known_since(since, feed.kinds)).values():
                if status in (DeliveryStatus.SENT, DeliveryStatus.CLAIMED):
                    delivered_latest[group_key] = max(fire_at, delivered_latest.get(group_key, fire_at))
            triage = triage_missed([_Grouped(i) for i in pending], now, policy.grace, delivered_latest=delivered_latest)
            go += [g.item for g in triage.late]
            skips += [(g.item, reason.value) for g, reason in triage.skipped]
        else:
            for item in pending:
                grace = item.grace if item.grace is not None else policy.grace
                if grace is not None and now - item.due_at > grace:
                    skips.append((item, policy.beyond_grace))
                else:
                    go.append(item)
        go += claimed + unrecorded
        await self._record_skips(feed, skips, report, now)
        if scope is None:
            seen = {item.key for item in items}
            for record in await self.deliveries.claimed(feed.kinds):
                if record.key in seen or record.key in busy or not self._mine(record.guild_id or None):
                    continue
                try:
                    recovered = await feed.recover(record)
                    if isinstance(recovered, str):
                        gone = Item(record.key, record.fire_at, None, record)
                        await self._record_skips(feed, [(gone, recovered)], report, now)
                        continue
                except Exception:
                    # This claim's problem alone: it stays claimed, and the next sweep looks at it again.
                    log.exception(
                        "%s: recovering the claim %s failed; the next sweep tries again", feed.label, record.key
                    )
                    continue
                go.append(recovered)
        report.planned = len(go)
        tasks = []
        for item in sorted(go, key=lambda i: i.due_at):
            # Looked at again now, not when the sweep began: since then a retry may have been planned for it (its
            # retry run launches it) or it may be in flight. One attempt per key at a time, whoever launches it.
            if item.key not in self._in_flight and item.key not in self._retries:
                task = self._launch(feed, item, report)
                if task is not None:
                    tasks.append(task)
        return tasks

    async def _record_skips(
        self, feed: Feed[Any], skips: Sequence[tuple[Item[Any], str]], report: SweepReport, now: datetime
    ) -> None:
        by_reason: dict[str, list[str]] = {}
        for item, reason in skips:
            if item.record is not None:
                await self.deliveries.skip(replace(item.record, late=True), reason, now)
            self._resolved(feed, item)
            report.skipped.append((item.key, reason))
            by_reason.setdefault(reason, []).append(item.key)
            self.totals["skipped"] += 1
        self._log_skips(feed, by_reason)

    def _log_skips(self, feed: Feed[Any], by_reason: Mapping[str, Sequence[str]]) -> None:
        for reason, keys in by_reason.items():
            # One line per reason, not one per item: after an outage there can be thousands.
            log.warning(
                "%s: skipped %d (%s; grace %s), e.g. %s",
                feed.label,
                len(keys),
                reason,
                feed.policy.grace,
                ", ".join(keys[:3]),
            )

    def _shard_check(self, item: Item[Any]) -> Hold | None:
        if self._server_ready is None or item.record is None:
            return None
        if self._server_ready(item.server):
            return None
        return Hold("its gateway shard is not ready")

    def _busy_keys(self) -> set[str]:
        return set(self._in_flight) | set(self._retries)

    def _resolved(self, feed: Feed[Any], item: Item[Any]) -> None:
        """The item has a row (or needs none): the watermark may pass it."""
        self._unresolved.setdefault(feed.name, {}).pop(item.key, None)

    # -- one item --------------------------------------------------------------------------------------------------

    def _launch(self, feed: Feed[Any], item: Item[Any], report: SweepReport) -> asyncio.Task[None] | None:
        """Start the item's attempt. Callers check first that it is neither in flight nor waiting for its retry
        (unless they are that retry), with no await between the check and this: one attempt per key at a time."""
        self._in_flight[item.key] = feed.name
        self._retries.pop(item.key, None)
        self._unresolved.setdefault(feed.name, {})[item.key] = item.due_at
        self._unsettled = True
        try:
            return self.scheduler.tasks.spawn(self._attempt(feed, item, report), name=item.key)
        except RuntimeError:  # shutting down: the item is found again at the next start
            self._in_flight.pop(item.key, None)
            self._attempts.pop(item.key, None)
            return None

    async def _attempt(self, feed: Feed[Any], item: Item[Any], report: SweepReport) -> None:
        serial = item.serial
        try:
            if serial is None:
                await self._attempt_once(feed, item, report)
            else:
                lock, users = self._serial.setdefault(serial, (asyncio.Lock(), [0]))
                users[0] += 1
                try:
                    async with lock:
                        await self._attempt_once(feed, item, report)
                finally:
                    users[0] -= 1
                    if users[0] == 0:
                        del self._serial[serial]
        finally:
            self._in_flight.pop(item.key, None)
            if item.key not in self._retries:
                # Done, skipped, held back or left to the next sweep: its backoff goes with it.
                self._attempts.pop(item.key, None)
            if item.record is None:
                self._resolved(feed, item)
            self._maybe_settled()

    async def _attempt_once(self, feed: Feed[Any], item: Item[Any], report: SweepReport) -> None:
        policy = feed.policy
        deliverer = self._deliverers[feed.name]
        late_at_send: list[bool] = []

        async def send(nonce: str) -> int:
            async with self.budget.slot():
                # Decided here, after any wait for a turn, not when the sweep started.
                late = feed.clock() - item.due_at > policy.late_after
                late_at_send.append(late)
                return await _answer_within(policy.timeout, feed.send(item, nonce=nonce, late=late))

        async def find(record: DeliveryRecord) -> int | None:
            async with self.budget.slot():
                return await _answer_within(policy.timeout, feed.find(item, record))

        unexpected: Exception | None = None
        async with self._slots:
            # Everything from here on happens when the item's turn has come: the grace and the feed's check are
            # decided just before the claim, and the claim just before the send.
            now = feed.clock()
            grace = item.grace if item.grace is not None else policy.grace
            beyond = grace is not None and now - item.due_at > grace
            if beyond and item.record is None:
                await self._record_skips(feed, [(item, policy.beyond_grace)], report, now)
                return
            if not beyond:
                try:
                    decision = self._shard_check(item) or await feed.check(item)
                except Exception:
                    log.exception(
                        "%s: checking %s failed; it is looked at again on the next sweep", feed.label, item.key
                    )
                    decision = Hold("check failed")
                if isinstance(decision, Hold):
                    report.held_back.append((item.key, decision.reason))
                    self.totals["held"] += 1
                    return
                if isinstance(decision, Skip):
                    await self._record_skips(feed, [(item, decision.reason)], report, now)
                    return
            try:
                if item.record is None:
                    result = await _send_unrecorded(send)
                elif beyond:
                    # Too late to post. A claim may have gone out all the same (a crash between the send and its
                    # record): it is looked for before it is called skipped. An item never claimed is skipped.
                    result = await deliverer.give_up_unless_posted(item.record, find, policy.beyond_grace)
                    self._resolved(feed, item)
                else:
                    try:
                        claim = await deliverer.claim(replace(item.record, late=now - item.due_at > policy.late_after))
                    except Exception:
                        # Not even claimed (the database refused): nothing to retry; the next sweep finds it again.
                        log.exception("%s: %s could not be claimed; the next sweep tries again", feed.label, item.key)
                        report.retry_later.append(item.key)
                        return
                    self._resolved(feed, item)
                    result = await deliverer.complete(
                        claim, send, find, sent_late=lambda: late_at_send[-1] if late_at_send else None
                    )
            except Exception as error:
                # A malformed answer, a bug in a feed: this item's failure alone, logged once (with the traceback),
                # and the claim is retried with its nonce (Discord returns the first message if there was one).
                result = DeliveryResult(Outcome.RETRY_LATER, reason=f"{type(error).__name__}: {error}")
                unexpected = error
        if beyond and result.outcome is Outcome.SKIPPED:
            self._log_skips(feed, {policy.beyond_grace: [item.key]})
        self._count(item, result, late_at_send[-1] if late_at_send else False, report)
        try:
            await feed.settled(item, result)
        except Exception:
            log.exception("%s: handling the outcome of %s failed", feed.label, item.key)
        if result.outcome is Outcome.RETRY_LATER:
            self._plan_retry(feed, item, result, unexpected)

    def _count(self, item: Item[Any], result: DeliveryResult, late: bool, report: SweepReport) -> None:
        outcome = result.outcome
        if outcome in (Outcome.SENT, Outcome.RECOVERED):
            report.sent.append(item.key)
            self.totals["sent"] += 1
            if outcome is Outcome.RECOVERED:
                report.recovered.append(item.key)
            if late:  # sent by this attempt (not found in the channel), saying it is late
                report.late.append(item.key)
        elif outcome is Outcome.ALREADY_DONE:
            report.already_done.append(item.key)
        elif outcome is Outcome.SKIPPED:
            report.skipped.append((item.key, result.reason or ""))
            self.totals["skipped"] += 1
        elif outcome is Outcome.FAILED:
            report.failed.append((item.key, str(result.problem)))
            self.totals["failed"] += 1
        else:
            report.retry_later.append(item.key)
            self.totals["retried"] += 1

    # -- retries ---------------------------------------------------------------------------------------------------

    def _plan_retry(
        self, feed: Feed[Any], item: Item[Any], result: DeliveryResult, unexpected: Exception | None = None
    ) -> None:
        """The one log line of an item's failure (its key, why, and what happens next), and its retry."""
        policy = feed.policy
        when = "at the next sweep"
        if item.record is not None and policy.retry_first is not None and self.scheduler.running:
            when = f"in {self._retry_in(feed, item.key, result.retry_after)}"
        what = "stays claimed and is retried" if item.record is not None else "is tried again"
        log.log(
            logging.ERROR if unexpected is not None else logging.WARNING,
            "%s: %s failed for now (%s); it %s %s",
            feed.label,
            item.key,
            result.reason,
            what,
            when,
            exc_info=unexpected,
        )

    def _retry_in(self, feed: Feed[Any], key: str, retry_after: float | None = None) -> timedelta:
        """Plan the key's next retry and arm the feed's retry job; returns how long until then: ``retry_first``,
        doubling with each failure up to the cap, never sooner than Discord's ``retry_after``."""
        policy = feed.policy
        self._attempts[key] += 1
        first = policy.retry_first if policy.retry_first is not None else FIRST_RETRY
        doubling: int = 2 ** (self._attempts[key] - 1)
        delay = min(first * doubling, policy.cap)
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        at = self.scheduler.now() + delay
        self._retries[key] = _Retry(feed.name, at)
        heapq.heappush(self._retry_queue.setdefault(feed.name, []), (at, key))
        self._arm_retries(feed)
        return delay

    def _drop_retry(self, key: str) -> None:
        self._retries.pop(key, None)
        self._attempts.pop(key, None)

    def _is_queued(self, feed: Feed[Any], at: datetime, key: str) -> bool:
        retry = self._retries.get(key)
        return retry is not None and retry.feed == feed.name and retry.at == at

    def _arm_retries(self, feed: Feed[Any]) -> None:
        """The feed's retry job at its earliest pending retry (re-armed only when that changed: a fan-out that
        fails together arms it once, and finding the earliest takes no scan of all retries)."""
        queue = self._retry_queue.setdefault(feed.name, [])
        while queue and not self._is_queued(feed, *queue[0]):
            heapq.heappop(queue)
        job_id = f"{feed.name}:retry"
        if not queue:
            self.scheduler.remove(job_id)
        elif self.scheduler.next_run(job_id) != queue[0][0]:
            self.scheduler.at(job_id, queue[0][0], functools.partial(self.run_retries, feed))

    def _take_due_retries(self, feed: Feed[Any], cutoff: datetime) -> list[str]:
        """The feed's retries due by ``cutoff``, taken off its queue: a retry run that starts meanwhile (the retry
        job armed again for a later failure) does not take them too. They stay in ``_retries`` until launched."""
        queue = self._retry_queue.setdefault(feed.name, [])
        keys = []
        while queue and queue[0][0] <= cutoff:
            at, key = heapq.heappop(queue)
            if self._is_queued(feed, at, key):
                keys.append(key)
        return keys

    async def run_retries(self, feed: Feed[Any] | str, *, now: datetime | None = None) -> SweepReport:
        """Try again the feed's items whose retry is due at ``now`` (the scheduler's now: what its retry job does)."""
        feed = self._named(feed)
        self._sweeping += 1
        try:
            return await self._run_retries(feed, now)
        finally:
            self._sweeping -= 1
            self._maybe_settled()

    async def _run_retries(self, feed: Feed[Any], now: datetime | None) -> SweepReport:
        started = time.perf_counter()
        report = SweepReport(feed.label, "retry", feed.clock())
        cutoff = (now or self.scheduler.now()) + timedelta(milliseconds=50)
        tasks = []
        try:
            for key in self._take_due_retries(feed, cutoff):
                try:
                    task = await self._retry(feed, key, report)
                except Exception:
                    # This item's problem alone (its row or its feed's recover): it waits for its next retry.
                    when = f"in {self._retry_in(feed, key)}" if key in self._retries else "at the next sweep"
                    log.exception("%s: retrying %s failed; it is tried again %s", feed.label, key, when)
                    continue
                if task is not None:
                    tasks.append(task)
        finally:
            # However the loop ended, every retry not taken is armed: none is left waiting for a job that never runs.
            self._arm_retries(feed)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        report.seconds = time.perf_counter() - started
        self.reports.append(report)
        line = feed.summary(report)
        if line is not None:
            log.info("%s %s", feed.label, line)
        return report

    async def _retry(self, feed: Feed[Any], key: str, report: SweepReport) -> asyncio.Task[None] | None:
        record = await self.deliveries.get(key)
        if record is None or record.status is not DeliveryStatus.CLAIMED:
            self._drop_retry(key)  # finished meanwhile, or deleted (/mydata delete)
            return None
        recovered = await feed.recover(record)
        if key not in self._retries or key in self._in_flight:
            return None  # while this run waited, someone else launched or dropped it
        if isinstance(recovered, str):
            self._drop_retry(key)
            gone = Item(key, record.fire_at, None, record)
            await self._record_skips(feed, [(gone, recovered)], report, feed.clock())
            return None
        report.planned += 1
        return self._launch(feed, recovered, report)

    def _maybe_settled(self) -> None:
        if self._unsettled and not self._in_flight and not self._retries and not self._sweeping:
            self._unsettled = False
            totals = self.totals
            log.info(
                "%s: nothing in flight, no retry pending (since start: %d sent, %d failed, %d skipped, %d retried, "
                "%d held back)",
                SETTLED,
                totals["sent"],
                totals["failed"],
                totals["skipped"],
                totals["retried"],
                totals["held"],
            )


@dataclass(frozen=True, slots=True)
class _Grouped:
    """An item as ``triage_missed`` sees it (its occurrence and due time)."""

    item: Item[Any]

    @property
    def group_key(self) -> str:
        return self.item.group_key or self.item.key

    @property
    def fire_at(self) -> datetime:
        return self.item.due_at


T = TypeVar("T")


async def run_each(items: Sequence[T], work: Callable[[T], Awaitable[None]], *, concurrency: int, what: str) -> int:
    """A worker's per-item isolation: ``work`` over ``items``, at most ``concurrency`` at a time; an item that fails is
    logged (``what`` names the job) and the others go on. Returns how many failed. Pace inside ``work``."""
    gate = asyncio.Semaphore(max(1, concurrency))
    failures = 0

    async def one(item: T) -> None:
        nonlocal failures
        async with gate:
            try:
                await work(item)
            except Exception:
                failures += 1
                log.exception("%s: %r failed; going on with the others", what, item)

    await asyncio.gather(*(one(item) for item in items))
    return failures


async def _answer_within(limit: timedelta, call: Awaitable[T]) -> T:
    """Discord's answer to one call of an item, or a transient failure (the item is retried) after ``limit``. Only
    the calls to Discord are timed, never the recording around them: a send that went out followed by a slow write
    must not look like a failure and be sent again."""
    deadline = asyncio.timeout(limit.total_seconds())
    try:
        async with deadline:
            return await call
    except TimeoutError:
        if deadline.expired():
            raise TransientDeliveryError(f"no answer within {limit}") from None
        raise  # a TimeoutError of the feed's own: an unexpected failure, logged with its traceback


async def _send_unrecorded(send: Callable[[str], Awaitable[int]]) -> DeliveryResult:
    """An idempotent action with no delivery row (moving a Discord event): Discord's answer, in delivery terms."""
    try:
        made = await send("")
    except SkipDelivery as skipped:
        return DeliveryResult(Outcome.SKIPPED, reason=skipped.reason)
    except DeliveryProblem as problem:
        return DeliveryResult(Outcome.FAILED, problem=problem)
    except TransientDeliveryError as error:
        return DeliveryResult(Outcome.RETRY_LATER, reason=str(error), retry_after=error.retry_after)
    return DeliveryResult(Outcome.SENT, made)
