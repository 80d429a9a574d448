"""Discord scheduled events for Match Week, SOAP and Match Day in the servers that opted in, each made once.

What should exist comes from ``discord_event_plan``; what was made is in ``milestone_discord_events`` (the event id
per server and milestone). A run compares the two for every server that opted in, and:

- makes a missing event through the exactly-once deliveries (``bot.scheduling.delivery``): claim a row keyed
  ``de:<server>:<milestone uid>``, create, record the event id. Discord has no nonce for events, so a claim found
  unfinished (a crash between creating and recording) is first looked for among the server's events (same name, made
  by the bot) before one is created: the ``find`` hook, consulted on every recovery (``nonce_trust`` 0). The name
  holds the milestone's kind and Match year and nothing that changes with its date, so an event made before the data
  file moved the date (or made it official) is still found; its link gets an empty fingerprint, so that the next run
  edits it to the current plan;
- edits (PATCH) an event whose plan changed: an official date entered in the data file, or a projection confirmed;
- leaves alone an event an admin deleted in Discord (it is not made again).

A refusal for a missing permission (the bot lacks Manage Events) stops creating events in that server only,
is recorded, and the admin who set up the announcements is told by DM once; switching the option on again retries.
Nothing else is paused. Runs happen when a server opts in (for that server), at start-up and every ``sweep_every``
(new cycles, changed dates), under one lock, each request paced with the announcer's ``Pacer`` so that thousands of
servers opting in at once stay under Discord's global limit.

Claims are recovered by planning, not by listing claimed rows: every run re-plans each opted-in server, and an
unfinished claim of a planned event goes through ``find`` first. A full run (start-up, sweep) then records as skipped
the claims nothing plans any more (events switched off, announcements stopped or the bot gone, the milestone passed),
so that they do not wait forever; one planned again later is reopened and recovered like any other. The announcer
and the study groups recover only their own target kinds (``DeliveryRepository.claimed(kinds)``), so they never
touch these rows.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.cycle import CycleCalendar
from bot.milestones.announcements import EntryTitles
from bot.milestones.discord_event_plan import (
    TARGET_KIND,
    EventLink,
    EventPlan,
    EventsNotice,
    delivery_key,
    plan_discord_events,
)
from bot.milestones.repository import MilestoneRepository
from bot.scheduling.delivery import (
    Deliverer,
    DeliveryProblem,
    DeliveryRecord,
    DeliveryRepository,
    DeliveryStatus,
    Outcome,
    ProblemKind,
    TransientDeliveryError,
    delivery_nonce,
)
from bot.scheduling.pacing import DEFAULT_CONCURRENCY, Pacer, fan_out
from bot.scheduling.scheduler import JobScheduler

log = logging.getLogger(__name__)

SWEEP_JOB = "milestones:discord-events"
NO_PERMISSION = "no-permission"
MILESTONE_PASSED = "the milestone passed, or it is no longer planned"
NOT_WANTED = "no longer wanted in the server (Discord events switched off, announcements stopped, or the bot left)"
"""Reasons recorded on a creation claim that nothing plans any more."""


class GuildReadiness(StrEnum):
    """Whether events can be made in a server right now, as far as the bot's cache knows."""

    READY = "ready"
    GONE = "gone"
    """The bot is not in the server (any more)."""
    UNAVAILABLE = "unavailable"
    """A Discord outage; try on the next run."""
    NO_PERMISSION = "no-permission"
    """The bot lacks Manage Events (and Create Events)."""


class EventGone(Exception):
    """The event no longer exists in Discord (an admin deleted it)."""


class EventGateway(Protocol):
    """What the sync needs from Discord (implemented in ``cogs/milestones/scheduled_events.py``)."""

    async def wait_until_ready(self) -> None: ...

    def readiness(self, guild_id: int) -> GuildReadiness: ...

    async def create(self, guild_id: int, plan: EventPlan) -> int:
        """Create the external event; its id. Raises DeliveryProblem or TransientDeliveryError."""
        ...

    async def edit(self, guild_id: int, event_id: int, plan: EventPlan) -> None:
        """Make the event say what ``plan`` says. Raises EventGone, DeliveryProblem or TransientDeliveryError."""
        ...

    async def find(self, guild_id: int, name: str) -> int | None:
        """An event of the bot's in the server with this name, if any (whatever its start: the date may have moved
        since it was made)."""
        ...

    async def notify(self, notice: EventsNotice) -> bool:
        """Tell the server's admin (DM; the owner if that fails). False when nobody could be told."""
        ...


@dataclass
class SyncReport:
    trigger: str
    servers: int = 0
    created: int = 0
    recovered: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    retry_later: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.trigger}: {self.servers} server(s), {self.created} created ({self.recovered} recovered), "
            f"{self.updated} updated, {self.refused} refused, {self.retry_later} to retry, {self.skipped} skipped"
        )


class DiscordEventSync:
    def __init__(
        self,
        calendar: CycleCalendar,
        repository: MilestoneRepository,
        deliveries: DeliveryRepository,
        deliverer: Deliverer,
        scheduler: JobScheduler,
        entry_titles: EntryTitles,
        *,
        pacer: Pacer | None = None,
        workers: int = DEFAULT_CONCURRENCY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sweep_every: timedelta = timedelta(minutes=10),
    ) -> None:
        if deliverer.nonce_trust > timedelta(0):
            raise ValueError("events have no nonce: the deliverer must look for an unfinished claim every time")
        self.calendar = calendar
        self.repository = repository
        self.deliveries = deliveries
        self.deliverer = deliverer
        self.scheduler = scheduler
        self.entry_titles = entry_titles
        self.pacer = pacer or Pacer()
        self.workers = workers
        self.clock = clock
        self.sweep_every = sweep_every
        self.reports: list[SyncReport] = []
        self._gateway: EventGateway | None = None
        self._lock = asyncio.Lock()

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    def attach(self, gateway: EventGateway) -> None:
        self._gateway = gateway

    @property
    def gateway(self) -> EventGateway:
        if self._gateway is None:
            raise RuntimeError("no event gateway attached: is the cogs.milestones extension loaded?")
        return self._gateway

    def start(self) -> None:
        """The periodic job (stable id) and a start-up run once the bot is ready."""
        self.scheduler.every(SWEEP_JOB, self.sweep_every, self.sweep)
        self.scheduler.tasks.spawn(self.run("start-up"), name=f"{SWEEP_JOB}:start-up")

    def request(self, guild_id: int) -> None:
        """Make the server's events soon, in the background (a server just opted in)."""
        self.scheduler.tasks.spawn(self.run(f"opt-in {guild_id}", {guild_id}), name=f"{SWEEP_JOB}:{guild_id}")

    async def sweep(self) -> SyncReport:
        return await self.run("sweep")

    def planned(self, now: datetime) -> list[EventPlan]:
        return plan_discord_events(self.calendar, now, self.entry_titles)

    # -- runs --------------------------------------------------------------------------------------------------------

    async def run(self, trigger: str, guild_ids: Collection[int] | None = None) -> SyncReport:
        gateway = self.gateway
        await gateway.wait_until_ready()
        async with self._lock:
            now = self.clock()
            report = SyncReport(trigger)
            plans = self.planned(now)
            subscriptions = {s.guild_id: s for s in await self.repository.subscriptions()}
            servers = [
                s.guild_id
                for s in await self.repository.discord_events_enabled()
                if s.guild_id in subscriptions and (guild_ids is None or s.guild_id in guild_ids)
            ]
            # A full run reads every link and filters here: binding thousands of server ids would pass SQLite's
            # limit on variables (32,766).
            wanted_servers = set(servers)
            links = {
                key: link
                for key, link in (
                    await self.repository.discord_event_links(None if guild_ids is None else servers)
                ).items()
                if link.guild_id in wanted_servers
            }
            work: dict[int, list[tuple[EventPlan, EventLink | None]]] = defaultdict(list)
            for guild_id in servers:
                for plan in plans:
                    link = links.get((guild_id, plan.uid))
                    if link is None or (link.active and link.fingerprint != plan.fingerprint):
                        work[guild_id].append((plan, link))
                    else:
                        report.unchanged += 1
            report.servers = len(servers)

            async def one_server(item: tuple[int, list[tuple[EventPlan, EventLink | None]]]) -> None:
                guild_id, items = item
                configured_by = subscriptions[guild_id].configured_by
                await self._server(guild_id, items, configured_by, report)

            await fan_out(list(work.items()), one_server, workers=self.workers)
            if guild_ids is None:
                await self._give_up_unplanned(servers, plans, report)
            self.reports = [*self.reports[-19:], report]
            if work or trigger != "sweep":  # a quiet sweep is not worth a line every ten minutes
                log.info("discord events %s", report.summary())
            return report

    async def _give_up_unplanned(self, servers: list[int], plans: list[EventPlan], report: SyncReport) -> None:
        """Record as skipped the creation claims that no run will go back to (only a full run knows them all)."""
        wanted = {delivery_key(guild_id, plan) for guild_id in servers for plan in plans}
        planned_uids = {plan.uid for plan in plans}
        now = self.clock()
        for record in await self.deliveries.claimed([TARGET_KIND]):
            if record.key in wanted:
                continue
            reason = NOT_WANTED if record.target_ref in planned_uids else MILESTONE_PASSED
            await self.deliveries.skip(record, reason, now)
            report.skipped += 1
            log.info("gave up the unfinished Discord event claim %s: %s", record.key, reason)

    async def _server(
        self, guild_id: int, items: list[tuple[EventPlan, EventLink | None]], configured_by: int, report: SyncReport
    ) -> None:
        readiness = self.gateway.readiness(guild_id)
        if readiness is GuildReadiness.NO_PERMISSION:
            await self._refused(guild_id, [plan for plan, _ in items], configured_by, report)
            return
        if readiness is not GuildReadiness.READY:
            report.skipped += len(items)  # not in the server, or Discord is down there: the next run tries again
            return
        for index, (plan, link) in enumerate(items):
            try:
                if link is None:
                    await self._create(guild_id, plan, report)
                else:
                    await self._update(link, plan, report)
            except DeliveryProblem as problem:
                if problem.kind is ProblemKind.NO_PERMISSION:
                    await self._refused(guild_id, [p for p, _ in items[index:]], configured_by, report)
                    return
                if problem.kind is ProblemKind.SERVER_GONE:
                    report.skipped += len(items) - index
                    return
                log.error("Discord rejected the event %s in server %s: %s", plan.uid, guild_id, problem)
                report.problems.append(f"{guild_id} {plan.uid}: {problem}")
            except TransientDeliveryError as error:
                log.warning("event %s in server %s failed for now (%s); next run", plan.uid, guild_id, error)
                report.retry_later += 1

    async def _create(self, guild_id: int, plan: EventPlan, report: SyncReport) -> None:
        now = self.clock()
        key = delivery_key(guild_id, plan)
        gateway = self.gateway

        async def find(record: DeliveryRecord) -> int | None:
            # By name only: the start may have moved since the event was made (see the module docstring).
            async with self.pacer.slot():
                return await gateway.find(guild_id, plan.name)

        existing = await self.deliveries.get(key)
        if existing is not None and existing.status is DeliveryStatus.FAILED:
            report.skipped += 1  # refused earlier; switching the option on again forgets it
            return
        if existing is not None and existing.status is DeliveryStatus.SKIPPED:
            # A claim given up while nothing planned it; planned again, it is unfinished again (the event may exist).
            await self.deliveries.reopen(key)

        async def send(nonce: str) -> int:
            async with self.pacer.slot():
                return await gateway.create(guild_id, plan)

        record = DeliveryRecord(
            key=key,
            group_key=key,
            guild_id=guild_id,
            channel_id=0,  # an event is no channel's; the column is shared with messages
            target_kind=TARGET_KIND,
            target_ref=plan.uid,
            offset_seconds=0,
            occurs_at=plan.start,
            fire_at=now,
            nonce=delivery_nonce(key),
        )
        result = await self.deliverer.deliver(record, send, find)
        if result.outcome is Outcome.FAILED and result.problem is not None:
            raise result.problem
        if result.outcome is Outcome.RETRY_LATER:
            raise TransientDeliveryError("Discord refused for now")
        if result.message_id is None:
            report.skipped += 1
            return
        # Anything but a fresh creation (found after a crash, or recorded but not linked) may show an older plan: an
        # empty fingerprint has the next run edit the event to the current one.
        fingerprint = plan.fingerprint if result.outcome is Outcome.SENT else ""
        await self._link(guild_id, plan, result.message_id, fingerprint, now)
        report.created += 1
        report.recovered += int(result.outcome is not Outcome.SENT)
        log.info("made Discord event %s for %s in server %s", result.message_id, plan.uid, guild_id)

    async def _update(self, link: EventLink, plan: EventPlan, report: SyncReport) -> None:
        now = self.clock()
        try:
            async with self.pacer.slot():
                await self.gateway.edit(link.guild_id, link.event_id, plan)
        except EventGone:
            log.info(
                "event %s (%s) was deleted in server %s; not making it again", link.event_id, plan.uid, link.guild_id
            )
            await self.repository.save_discord_event_link(replace(link, active=False), now)
            report.skipped += 1
            return
        await self._link(link.guild_id, plan, link.event_id, plan.fingerprint, now)
        report.updated += 1
        log.info(
            "moved Discord event %s (%s) in server %s to %s (%s)",
            link.event_id,
            plan.uid,
            link.guild_id,
            plan.start.isoformat(),
            "projected" if plan.projected else "official",
        )

    async def _link(self, guild_id: int, plan: EventPlan, event_id: int, fingerprint: str, now: datetime) -> None:
        link = EventLink(
            guild_id=guild_id,
            milestone_uid=plan.uid,
            match_year=plan.match_year,
            event_id=event_id,
            starts_at=plan.start,
            ends_at=plan.end,
            projected=plan.projected,
            fingerprint=fingerprint,
            active=True,
        )
        await self.repository.save_discord_event_link(link, now)

    async def _refused(self, guild_id: int, plans: list[EventPlan], configured_by: int, report: SyncReport) -> None:
        report.refused += len(plans)
        if not await self.repository.record_discord_events_problem(guild_id, NO_PERMISSION, self.clock()):
            return
        log.warning("server %s: Discord events stopped, the bot lacks Manage Events; telling its admin", guild_id)
        notice = EventsNotice(guild_id=guild_id, recipients=(configured_by,), names=tuple(p.name for p in plans))
        async with self.pacer.slot():
            told = await self.gateway.notify(notice)
        if not told:
            log.warning("server %s: could not tell anyone that its Discord events stopped; DMs closed?", guild_id)
