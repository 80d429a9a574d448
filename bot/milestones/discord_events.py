"""Discord scheduled events for Match Week, SOAP and Match Day in the servers that opted in, each made once: a
feed of the scheduling runner (``bot.scheduling.runner``).

What should exist comes from ``discord_event_plan``; what was made is in ``milestone_discord_events`` (the event id
per server and milestone). Each sweep compares the two for every server that opted in (or for one server, when it
just opted in), and every difference is an item:

- a missing event is made through the exactly-once deliveries (``bot.scheduling.delivery``): claim a row keyed
  ``de:<server>:<milestone uid>``, create, record the event id. Discord has no nonce for events, so a claim found
  unfinished (a crash between creating and recording) is first looked for among the server's events (same name, made
  by the bot) before one is created: ``find``, consulted on every recovery (``nonce_trust`` 0). The name holds the
  milestone's kind and Match year and nothing that changes with its date, so an event made before the data file
  moved the date (or made it official) is still found; its link gets an empty fingerprint, so that the next sweep
  edits it to the current plan;
- linking is repaired too: a creation recorded as sent whose event has no link (the process stopped between
  recording the event id and linking it) is linked at every sweep from the id its delivery row holds, with an empty
  fingerprint, and edited to the current plan in the same sweep; never created again, and moved like any other;
- an event whose plan changed (an official date entered in the data file, or a projection confirmed) is edited
  (PATCH): an idempotent action with no delivery row;
- an event an admin deleted in Discord is left deleted (not made again).

A server's items run one after another (``Item.serial``). A refusal for a missing permission (the bot lacks Manage
Events) stops creating events in that server only, is recorded, and the admin who set up the announcements is told
by DM once; switching the option on again retries. Nothing else is paused.

Claims are recovered by planning: every sweep re-plans each opted-in server, and an unfinished claim of a planned
event goes through ``find`` first. A full sweep records as skipped the claims nothing plans any more (events
switched off, announcements stopped or the bot gone, the milestone passed), so that they do not wait forever; one
planned again later is reopened and recovered like any other.

No discord import: ``EventGateway`` is implemented in ``bot/adapters/scheduled_events.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.cycle import CycleCalendar
from bot.db.timestamps import Clock, utc_now
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
    DeliveryRecord,
    DeliveryRepository,
    DeliveryResult,
    DeliveryStatus,
    Outcome,
    ProblemKind,
    SkipDelivery,
    delivery_nonce,
)
from bot.scheduling.pacing import RateBudget
from bot.scheduling.runner import Feed, FeedPolicy, Hold, Item, Sweep, SweepReport

log = logging.getLogger(__name__)

FEED = "discord-events"
SWEEP_JOB = f"{FEED}:sweep"
NO_PERMISSION = "no-permission"
MILESTONE_PASSED = "the milestone passed, or it is no longer planned"
NOT_WANTED = "no longer wanted in the server (Discord events switched off, announcements stopped, or the bot left)"
"""Reasons recorded on a creation claim that nothing plans any more."""
DELETED = "deleted in Discord by an admin"
UPDATE_PREFIX = "de-edit:"


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
    """What the sync needs from Discord (implemented in ``bot/adapters/scheduled_events.py``)."""

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


@dataclass(frozen=True, slots=True)
class EventWork:
    """One difference between what a server should have and what it has."""

    guild_id: int
    plan: EventPlan
    link: EventLink | None
    """The event made earlier, to edit; None: make it."""
    configured_by: int


class DiscordEventSync(Feed[EventWork]):
    name = FEED
    label = "discord events"
    kinds = (TARGET_KIND,)

    def __init__(
        self,
        calendar: CycleCalendar,
        repository: MilestoneRepository,
        deliveries: DeliveryRepository,
        gateway: EventGateway,
        entry_titles: EntryTitles,
        *,
        budget: RateBudget,
        clock: Clock = utc_now,
        sweep_every: timedelta = timedelta(minutes=10),
    ) -> None:
        self.calendar = calendar
        self.repository = repository
        self.deliveries = deliveries
        self.gateway = gateway
        self.entry_titles = entry_titles
        self.budget = budget
        self.clock = clock
        # No watermark: every sweep compares the whole plan with what was made. No grace: an event ahead is still
        # worth making. No nonce: a claim found unfinished is always looked for first.
        self.policy = FeedPolicy(sweep_every=sweep_every, watermark=False, nonce_trust=timedelta(0))

    def planned(self, now: datetime) -> list[EventPlan]:
        return plan_discord_events(self.calendar, now, self.entry_titles)

    # -- what is due ---------------------------------------------------------------------------------------------

    async def due(self, sweep: Sweep) -> Sequence[Item[EventWork]]:
        now = sweep.until
        plans = self.planned(now)
        subscriptions = {s.guild_id: s for s in await self.repository.subscriptions()}
        servers = [
            s.guild_id
            for s in await self.repository.discord_events_enabled()
            if s.guild_id in subscriptions and (sweep.scope is None or s.guild_id in sweep.scope)
        ]
        # A full sweep reads every link and filters here: binding thousands of server ids would pass SQLite's
        # limit on variables (32,766).
        wanted_servers = set(servers)
        links = {
            key: link
            for key, link in (
                await self.repository.discord_event_links(None if sweep.scope is None else servers)
            ).items()
            if link.guild_id in wanted_servers
        }
        unlinked = [(guild_id, plan) for guild_id in servers for plan in plans if (guild_id, plan.uid) not in links]
        statuses = await self.deliveries.statuses([delivery_key(guild_id, plan) for guild_id, plan in unlinked])
        links.update(await self._link_recorded(unlinked, statuses))
        items: list[Item[EventWork]] = []
        unchanged = 0
        for guild_id in servers:
            configured_by = subscriptions[guild_id].configured_by
            for plan in plans:
                link = links.get((guild_id, plan.uid))
                if link is None:
                    items.append(self._create(EventWork(guild_id, plan, None, configured_by), now))
                elif link.active and link.fingerprint != plan.fingerprint:
                    work = EventWork(guild_id, plan, link, configured_by)
                    items.append(
                        Item(
                            f"{UPDATE_PREFIX}{guild_id}:{plan.uid}",
                            now,
                            work,
                            serial=f"de:{guild_id}",
                            guild_id=guild_id,
                        )
                    )
                else:
                    unchanged += 1
        # A claim given up while nothing planned it, planned again: unfinished again (the event may exist).
        for item in items:
            if item.record is not None and statuses.get(item.key) is DeliveryStatus.SKIPPED:
                await self.deliveries.reopen(item.key)
        sweep.notes.update(servers=len(servers), unchanged=unchanged)
        return items

    async def _link_recorded(
        self, unlinked: Sequence[tuple[int, EventPlan]], statuses: Mapping[str, DeliveryStatus]
    ) -> dict[tuple[int, str], EventLink]:
        """Link every event whose creation is recorded as sent but that has no link: the process stopped (or the
        link's write failed) between recording the event id and linking it. Without the link the event would never
        be moved to an official date, so it is linked here, at every sweep, from the id its delivery row recorded,
        with an empty fingerprint: the same sweep edits it to the current plan (it may show an older one)."""
        repaired: dict[tuple[int, str], EventLink] = {}
        for guild_id, plan in unlinked:
            key = delivery_key(guild_id, plan)
            if statuses.get(key) is not DeliveryStatus.SENT:
                continue
            record = await self.deliveries.get(key)
            if record is None or record.message_id is None:
                log.warning("Discord event %s is recorded as made but without its id; it cannot be linked", key)
                continue
            link = await self._link(guild_id, plan, record.message_id, fingerprint="")
            repaired[(guild_id, plan.uid)] = link
            log.warning(
                "linked Discord event %s (%s) in server %s from its delivery record: it was made, but not linked "
                "before a crash or a failed write",
                record.message_id,
                plan.uid,
                guild_id,
            )
        return repaired

    def _create(self, work: EventWork, now: datetime) -> Item[EventWork]:
        key = delivery_key(work.guild_id, work.plan)
        record = DeliveryRecord(
            key=key,
            group_key=key,
            guild_id=work.guild_id,
            channel_id=0,  # an event is no channel's; the column is shared with messages
            target_kind=TARGET_KIND,
            target_ref=work.plan.uid,
            offset_seconds=0,
            occurs_at=work.plan.start,
            fire_at=now,
            nonce=delivery_nonce(key),
        )
        return Item(key, now, work, record, serial=f"de:{work.guild_id}")

    async def recover(self, record: DeliveryRecord) -> Item[EventWork] | str:
        """An unfinished creation claim (a full sweep's leftovers, or a retry): made if still planned and wanted."""
        now = self.clock()
        plan = next((p for p in self.planned(now) if p.uid == record.target_ref), None)
        subscription = await self.repository.subscription(record.guild_id)
        setting = await self.repository.discord_events_setting(record.guild_id)
        if plan is None:
            reason = MILESTONE_PASSED
        elif subscription is None or setting is None or not setting.enabled:
            reason = NOT_WANTED
        else:
            return self._create(EventWork(record.guild_id, plan, None, subscription.configured_by), now)
        log.info("gave up the unfinished Discord event claim %s: %s", record.key, reason)
        return reason

    async def check(self, item: Item[EventWork]) -> Hold | None:
        work = item.payload
        readiness = self.gateway.readiness(work.guild_id)
        if readiness is GuildReadiness.NO_PERMISSION:
            await self._refused(work)
            return Hold(NO_PERMISSION)
        if readiness is not GuildReadiness.READY:
            return Hold(readiness.value)  # not in the server, or Discord is down there: the next sweep tries again
        setting = await self.repository.discord_events_setting(work.guild_id)
        if setting is not None and setting.problem is not None:
            return Hold(setting.problem)  # refused a moment ago, for another of this server's events
        return None

    # -- Discord -------------------------------------------------------------------------------------------------

    async def send(self, item: Item[EventWork], *, nonce: str, late: bool) -> int:
        work = item.payload
        if work.link is None:
            return await self.gateway.create(work.guild_id, work.plan)
        link, plan = work.link, work.plan
        try:
            await self.gateway.edit(link.guild_id, link.event_id, plan)
        except EventGone:
            log.info(
                "event %s (%s) was deleted in server %s; not making it again", link.event_id, plan.uid, link.guild_id
            )
            await self.repository.save_discord_event_link(replace(link, active=False), self.clock())
            raise SkipDelivery(DELETED) from None
        await self._link(link.guild_id, plan, link.event_id, plan.fingerprint)
        log.info(
            "moved Discord event %s (%s) in server %s to %s (%s)",
            link.event_id,
            plan.uid,
            link.guild_id,
            plan.start.isoformat(),
            "projected" if plan.projected else "official",
        )
        return link.event_id

    async def find(self, item: Item[EventWork], record: DeliveryRecord) -> int | None:
        # By name only: the start may have moved since the event was made (see the module docstring).
        return await self.gateway.find(item.payload.guild_id, item.payload.plan.name)

    async def settled(self, item: Item[EventWork], result: DeliveryResult) -> None:
        work = item.payload
        if result.outcome is Outcome.FAILED and result.problem is not None:
            problem = result.problem
            if problem.kind is ProblemKind.NO_PERMISSION:
                await self._refused(work)
            elif problem.kind is not ProblemKind.SERVER_GONE:
                log.error("Discord rejected the event %s in server %s: %s", work.plan.uid, work.guild_id, problem)
            return
        if work.link is not None or result.message_id is None:
            return
        if result.outcome in (Outcome.SENT, Outcome.RECOVERED, Outcome.ALREADY_DONE):
            # Anything but a fresh creation (found after a crash, or recorded but not linked) may show an older
            # plan: an empty fingerprint has the next sweep edit the event to the current one. Should this write
            # not happen (a crash right after the row was recorded), the next sweep links it (``_link_recorded``).
            fingerprint = work.plan.fingerprint if result.outcome is Outcome.SENT else ""
            await self._link(work.guild_id, work.plan, result.message_id, fingerprint)
            log.info("made Discord event %s for %s in server %s", result.message_id, work.plan.uid, work.guild_id)

    async def _link(self, guild_id: int, plan: EventPlan, event_id: int, fingerprint: str) -> EventLink:
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
        await self.repository.save_discord_event_link(link, self.clock())
        return link

    async def _refused(self, work: EventWork) -> None:
        if not await self.repository.record_discord_events_problem(work.guild_id, NO_PERMISSION, self.clock()):
            return
        log.warning("server %s: Discord events stopped, the bot lacks Manage Events; telling its admin", work.guild_id)
        links = await self.repository.discord_event_links([work.guild_id])
        names = tuple(p.name for p in self.planned(self.clock()) if (work.guild_id, p.uid) not in links)
        # configured_by is 0 once its moderator ran /mydata delete: nobody to DM (the server's owner is told instead).
        recipients = (work.configured_by,) if work.configured_by else ()
        notice = EventsNotice(guild_id=work.guild_id, recipients=recipients, names=names)
        async with self.budget.slot():
            told = await self.gateway.notify(notice)
        if not told:
            log.warning("server %s: could not tell anyone that its Discord events stopped; DMs closed?", work.guild_id)

    # -- the log line --------------------------------------------------------------------------------------------

    def summary(self, report: SweepReport) -> str | None:
        figures = sync_figures(report)
        if not (report.planned or report.skipped) and report.trigger in ("sweep", "retry"):
            return None  # a quiet sweep is not worth a line every ten minutes
        return (
            f"{report.trigger}: {figures.servers} server(s), {figures.created} created ({figures.recovered} "
            f"recovered), {figures.updated} updated, {figures.refused} refused, {figures.retry_later} to retry, "
            f"{figures.skipped} skipped"
        )


@dataclass(frozen=True, slots=True)
class SyncFigures:
    """A sweep of Discord events in its own words."""

    servers: int
    created: int
    recovered: int
    updated: int
    unchanged: int
    refused: int
    retry_later: int
    skipped: int


def sync_figures(report: SweepReport) -> SyncFigures:
    def edit(key: str) -> bool:
        return key.startswith(UPDATE_PREFIX)

    refused = sum(1 for _, reason in report.held_back if reason == NO_PERMISSION) + sum(
        1 for _, problem in report.failed if problem.startswith(ProblemKind.NO_PERMISSION.value)
    )
    return SyncFigures(
        servers=report.notes.get("servers", 0),
        created=sum(1 for key in report.sent if not edit(key)),
        recovered=len(report.recovered),
        updated=sum(1 for key in report.sent if edit(key)),
        unchanged=report.notes.get("unchanged", 0),
        refused=refused,
        retry_later=len(report.retry_later),
        skipped=len(report.skipped) + sum(1 for _, reason in report.held_back if reason != NO_PERMISSION),
    )
