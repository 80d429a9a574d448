"""The milestones feature as the cogs see it: plain values in and out, no discord.

Commands go through here (next milestones, subscribe, pause, resume, status, preview, the .ics calendar, server
events); the posting is two feeds of the scheduling runner (``announcer.MilestoneAnnouncer`` and
``discord_events.DiscordEventSync``), which this service asks to re-arm their timers after every change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.cycle import CalendarItem, CycleCalendar, Milestone, to_ics
from bot.db.connection import Connection
from bot.db.timestamps import Clock, utc_now
from bot.milestones.announcements import Announcement, EntryTitles, milestone_announcement
from bot.milestones.announcer import Messenger, MilestoneAnnouncer
from bot.milestones.discord_event_plan import EventPlan, EventsSetting
from bot.milestones.discord_events import DiscordEventSync, EventGateway
from bot.milestones.events import (
    MAX_EVENTS_PER_SERVER,
    clean_description,
    clean_title,
    parse_event_reminders,
    parse_event_when,
    suggest_zones,
)
from bot.milestones.models import Notice, PauseReason, PlannedDelivery, ServerEvent, Subscription, TargetKind
from bot.milestones.pausing import pause_for_problem
from bot.milestones.planner import DeliveryPlanner, milestone_by_uid
from bot.milestones.reminders import parse_reminders
from bot.milestones.repository import MilestoneRepository
from bot.scheduling.delivery import DeliveryRecord, DeliveryRepository
from bot.scheduling.runner import Runner
from bot.text import quote_user_text, shorten
from bot.validation import UserInputError

log = logging.getLogger(__name__)

MAX_NEXT = 10
CLEAR = "-"
"""``description: -`` in /event edit removes the description (Discord does not let an option be given empty)."""
UID_DOMAIN = "cycle.img-pathway-bot.invalid"


@dataclass(frozen=True, slots=True)
class StatusReport:
    subscription: Subscription | None
    upcoming: list[PlannedDelivery]
    recent: list[DeliveryRecord]
    events: int
    discord_events: EventsSetting | None = None


@dataclass(frozen=True, slots=True)
class DiscordEventsChange:
    """What switching Discord events on or off did, for the reply."""

    enabled: bool
    changed: bool
    """False when the server already was as asked (on and working, or off): the reply says "already"."""
    planned: list[EventPlan]
    """The events of the current and next cycle still ahead (made in the background when switched on)."""
    made: int
    """Events already made in this server (kept as they are when switched off)."""


@dataclass(frozen=True, slots=True)
class EventEdit:
    """What /event edit did, for the reply."""

    event: ServerEvent
    changed: tuple[str, ...]
    """What was changed, in words: ``("the time", "the reminders")``."""
    posted: tuple[timedelta, ...]
    """Reminders already posted for it (at an earlier time too): each is posted once per event, so not again."""
    upcoming: tuple[timedelta, ...]
    """Reminders still to be posted, at the event's (new) time."""


@dataclass(frozen=True, slots=True)
class CalendarFile:
    filename: str
    data: bytes
    years: tuple[int, ...]
    events: int


class MilestoneService:
    def __init__(
        self,
        calendar: CycleCalendar,
        repository: MilestoneRepository,
        deliveries: DeliveryRepository,
        planner: DeliveryPlanner,
        announcer: MilestoneAnnouncer,
        entry_titles: EntryTitles,
        runner: Runner,
        *,
        clock: Clock = utc_now,
        discord_events: DiscordEventSync | None = None,
    ) -> None:
        self.runner = runner
        self.discord_events = discord_events
        self.calendar = calendar
        self.repository = repository
        self.deliveries = deliveries
        self.planner = planner
        self.announcer = announcer
        self.entry_titles = entry_titles
        self.clock = clock

    # -- the cycle ---------------------------------------------------------------------------------------------------

    def next_milestones(self, now: datetime, count: int = 5) -> list[Milestone]:
        return self.calendar.upcoming(now, max(1, min(count, MAX_NEXT)))

    def milestone(self, uid: str) -> Milestone | None:
        return milestone_by_uid(self.calendar, uid)

    def milestone_choices(self, typed: str, now: datetime, limit: int = 25) -> list[tuple[str, str]]:
        """(label, uid) of milestones of the cycles in progress and the next one, matching what was typed."""
        words = typed.casefold().split()
        years = sorted({*self.calendar.active_match_years(now), self.calendar.current_match_year(now) + 1})
        found: list[tuple[str, str]] = []
        upcoming_first = sorted(
            (m for year in years for m in self.calendar.cycle(year)), key=lambda m: (m.at < now, m.at)
        )
        for milestone in upcoming_first:
            label = f"{milestone.title} (Match {milestone.match_year}, {milestone.local_date:%b %d %Y})"
            haystack = f"{label.casefold()} {milestone.uid}"
            if all(word in haystack for word in words):
                found.append((shorten(label, 100), milestone.uid))
            if len(found) >= limit:
                break
        return found

    def preview(self, uid: str) -> Announcement:
        """The milestone's announcement as it will be posted, marked as a preview and pinging nobody."""
        milestone = self.milestone(uid)
        if milestone is None:
            raise UserInputError("There is no such milestone. Pick one from the list as you type.")
        return milestone_announcement(milestone, self.entry_titles, preview=True)

    async def calendar_file(self, now: datetime, guild_id: int | None) -> CalendarFile:
        """The cycles in progress (and the server's upcoming events) as an .ics file."""
        years = tuple(self.calendar.active_match_years(now)) or (self.calendar.current_match_year(now),)
        items: list[CalendarItem | Milestone] = [m for year in years for m in self.calendar.cycle(year)]
        events = await self.repository.events_of(guild_id, since=now) if guild_id is not None else []
        items += [
            CalendarItem(
                uid=f"server-event-{event.guild_id}-{event.id}",
                title=event.title,
                start=event.starts_at,
                description=event.description,
                alarms=event.reminders,
            )
            for event in events
        ]
        name = " and ".join(f"Match {year}" for year in years)
        data = to_ics(items, f"{name} cycle", UID_DOMAIN, dtstamp=now)
        filename = f"match-{'-'.join(str(y) for y in years)}-cycle.ics"
        return CalendarFile(filename=filename, data=data, years=years, events=len(events))

    # -- subscriptions -----------------------------------------------------------------------------------------------

    async def subscribe(
        self, guild_id: int, channel_id: int, role_id: int | None, reminders: str | None, by: int
    ) -> Subscription:
        offsets = parse_reminders(reminders) if reminders is not None and reminders.strip() else None
        subscription = await self.repository.save_subscription(guild_id, channel_id, role_id, offsets, by, self.clock())
        log.info("server %s subscribed to milestone announcements in channel %s", guild_id, channel_id)
        await self.runner.reschedule(self.announcer)
        return subscription

    async def subscription(self, guild_id: int) -> Subscription | None:
        return await self.repository.subscription(guild_id)

    async def pause(self, guild_id: int) -> Subscription:
        subscription = await self._require_subscription(guild_id)
        if not subscription.active:
            raise UserInputError("Announcements are already paused here. `/announcements resume` starts them again.")
        await self.repository.pause_subscription(guild_id, PauseReason.BY_ADMIN, self.clock())
        await self.runner.reschedule(self.announcer)
        return await self._require_subscription(guild_id)

    async def resume(self, guild_id: int) -> Subscription:
        """Active again from now; what was due while paused is not posted."""
        subscription = await self._require_subscription(guild_id)
        if subscription.active:
            raise UserInputError("Announcements are already running here.")
        now = self.clock()
        await self.repository.resume_subscription(guild_id, now)
        # Events paused with the subscription's channel (a permission fixed, say) come back with it.
        await self.repository.resume_events_in_channel(guild_id, subscription.channel_id)
        self.announcer.resumed(guild_id)
        await self.runner.reschedule(self.announcer)
        return await self._require_subscription(guild_id)

    async def _require_subscription(self, guild_id: int) -> Subscription:
        subscription = await self.repository.subscription(guild_id)
        if subscription is None:
            raise UserInputError(
                "This server is not set up for milestone announcements yet. Run `/announcements setup channel:`."
            )
        return subscription

    async def status(self, guild_id: int, count: int = 3) -> StatusReport:
        now = self.clock()
        return StatusReport(
            subscription=await self.repository.subscription(guild_id),
            upcoming=await self.planner.upcoming_for(guild_id, now, count),
            recent=await self.deliveries.recent(guild_id, [kind.value for kind in TargetKind], 3),
            events=await self.repository.count_upcoming_events(guild_id, now),
            discord_events=await self.repository.discord_events_setting(guild_id),
        )

    # -- server problems (reported by the cog's listeners) -----------------------------------------------------------

    async def channel_deleted(self, guild_id: int, channel_id: int) -> Notice | None:
        return await self._paused(guild_id, PauseReason.CHANNEL_GONE, channel_id=channel_id)

    async def role_deleted(self, guild_id: int, role_id: int) -> Notice | None:
        return await self._paused(guild_id, PauseReason.ROLE_GONE, role_id=role_id)

    async def server_left(self, guild_id: int) -> None:
        await self._paused(guild_id, PauseReason.SERVER_GONE)

    async def _paused(
        self, guild_id: int, reason: PauseReason, *, channel_id: int | None = None, role_id: int | None = None
    ) -> Notice | None:
        notice = await pause_for_problem(
            self.repository, guild_id, reason, self.clock(), channel_id=channel_id, role_id=role_id
        )
        await self.runner.reschedule(self.announcer)
        return notice

    # -- server events -----------------------------------------------------------------------------------------------

    async def add_event(
        self,
        guild_id: int,
        channel_id: int,
        title: str,
        date_text: str,
        time_text: str,
        zone_text: str,
        description: str | None,
        reminders: str | None,
        by: int,
        *,
        ping: bool = False,
    ) -> ServerEvent:
        """Add a server event. ``ping``: its reminders ping the announcement role (off unless asked for: a cohort
        role pinged by every reminder of every event is easy to regret). The same title at the same time is refused:
        it would be announced twice."""
        now = self.clock()
        clean = clean_title(title)
        details = clean_description(description)
        when = parse_event_when(date_text, time_text, zone_text, now)
        offsets = parse_event_reminders(reminders)
        if await self.repository.count_upcoming_events(guild_id, now) >= MAX_EVENTS_PER_SERVER:
            raise UserInputError(
                f"This server already has {MAX_EVENTS_PER_SERVER} upcoming events. Remove one with `/event remove`."
            )
        await self._refuse_duplicate(guild_id, clean, when.starts_at, now)
        event = await self.repository.add_event(
            guild_id, channel_id, clean, details, when.starts_at, when.zone, offsets, by, now, ping=ping
        )
        log.info("server %s added event %s at %s", guild_id, event.id, event.starts_at.isoformat())
        await self.runner.reschedule(self.announcer)
        return event

    async def _refuse_duplicate(
        self, guild_id: int, title: str, starts_at: datetime, now: datetime, *, other_than: int | None = None
    ) -> None:
        """UserInputError naming the server's event with this title (whatever its case) at this moment, if any."""
        wanted = title.casefold()
        for event in await self.repository.events_of(guild_id, since=now):
            if event.id != other_than and event.starts_at == starts_at and event.title.casefold() == wanted:
                raise UserInputError(
                    f"This server already has “{quote_user_text(event.title, 100)}” at that time "
                    f"({event.local_start:%Y-%m-%d %H:%M} {event.zone}, event #{event.id}), so it would be "
                    "announced twice. To change it, use `/event edit` and pick it from the list; "
                    "to cancel it, `/event remove`."
                )

    async def edit_event(
        self,
        guild_id: int,
        event_id: int,
        *,
        title: str | None = None,
        date_text: str | None = None,
        time_text: str | None = None,
        zone_text: str | None = None,
        description: str | None = None,
        channel_id: int | None = None,
        reminders: str | None = None,
        ping: bool | None = None,
    ) -> EventEdit:
        """Change an upcoming event with the same checks as /event add. A date, time or zone given alone keeps the
        rest of the old local time (a zone alone: the same wall-clock time in the new zone). Reminders then follow
        the new time: those already posted are not posted again, nor are those whose new time has already passed."""
        now = self.clock()
        event = await self.repository.event(guild_id, event_id)
        if event is None:
            raise UserInputError("There is no such event in this server. Pick one from the list as you type.")
        if event.starts_at <= now:
            raise UserInputError("That event has already started. Add a new one with `/event add`.")
        given = (title, date_text, time_text, zone_text, description, channel_id, reminders, ping)
        if all(value is None for value in given):
            raise UserInputError(
                "Say what to change: `title`, `date`, `time`, `timezone`, `description`, `channel`, `reminders` "
                "or `ping`."
            )
        new_title = clean_title(title) if title is not None else event.title
        if description is None:
            new_description = event.description
        else:
            # A description cannot be given empty in Discord: "-" is how one is removed.
            new_description = "" if description.strip() == CLEAR else clean_description(description)
        starts_at, zone = event.starts_at, event.zone
        if date_text is not None or time_text is not None or zone_text is not None:
            local = event.local_start
            when = parse_event_when(
                date_text if date_text is not None else f"{local:%Y-%m-%d}",
                time_text if time_text is not None else f"{local:%H:%M:%S}",
                zone_text if zone_text is not None else event.zone,
                now,
            )
            starts_at, zone = when.starts_at, when.zone
        offsets = parse_event_reminders(reminders) if reminders is not None else event.reminders
        if new_title.casefold() != event.title.casefold() or starts_at != event.starts_at:
            await self._refuse_duplicate(guild_id, new_title, starts_at, now, other_than=event_id)
        moved = starts_at != event.starts_at or offsets != event.reminders
        updated = await self.repository.update_event(
            guild_id,
            event_id,
            channel_id=channel_id if channel_id is not None else event.channel_id,
            title=new_title,
            description=new_description,
            starts_at=starts_at,
            zone=zone,
            reminders=offsets,
            announce_from=now if moved else event.reminders_from,
            resume=channel_id is not None,
            ping=ping if ping is not None else event.ping,
        )
        if updated is None:
            raise UserInputError("That event was removed a moment ago.")
        changed = tuple(
            what
            for what, differs in (
                ("the title", updated.title != event.title),
                ("the time", updated.starts_at != event.starts_at),
                ("the time zone", updated.zone != event.zone),
                ("the description", updated.description != event.description),
                ("the channel", updated.channel_id != event.channel_id),
                ("the reminders", updated.reminders != event.reminders),
                ("the ping", updated.ping != event.ping),
                ("its pause", updated.active != event.active),
            )
            if differs
        )
        log.info("server %s edited event %s (%s)", guild_id, event_id, ", ".join(changed) or "nothing changed")
        await self.runner.reschedule(self.announcer)
        done = await self.repository.reminders_posted_for(event_id)
        due_from = max(now, updated.reminders_from)
        upcoming = tuple(o for o in updated.reminders if o not in done and updated.fire_at(o) >= due_from)
        return EventEdit(updated, changed, tuple(sorted(done, reverse=True)), upcoming)

    async def events(self, guild_id: int) -> list[ServerEvent]:
        return await self.repository.events_of(guild_id, since=self.clock())

    async def event_choices(self, guild_id: int, typed: str) -> list[tuple[str, int]]:
        needle = typed.strip().casefold()
        found = []
        for event in await self.events(guild_id):
            label = f"{event.title} ({event.local_start:%Y-%m-%d %H:%M} {event.zone})"
            if not needle or needle in label.casefold():
                found.append((shorten(label, 100), event.id))
        return found[:25]

    async def remove_event(self, guild_id: int, event_id: int) -> ServerEvent:
        event = await self.repository.remove_event(guild_id, event_id)
        if event is None:
            raise UserInputError("There is no such event in this server. Pick one from the list as you type.")
        await self.runner.reschedule(self.announcer)
        return event

    def timezone_choices(self, typed: str) -> list[str]:
        return suggest_zones(typed, self.clock())

    # -- Discord scheduled events for Match Week, SOAP and Match Day -------------------------------------------------

    async def set_discord_events(self, guild_id: int, enabled: bool) -> DiscordEventsChange:
        """Opt in (events are made in the background, once each) or out (no new ones; existing ones stay)."""
        sync = self.discord_events
        if sync is None:
            raise RuntimeError("Discord events are not wired: build the service with build_milestone_service")
        await self._require_subscription(guild_id)
        now = self.clock()
        before = await self.repository.discord_events_setting(guild_id)
        was_on = before is not None and before.enabled
        # On but stopped by a refusal from Discord is not "already on": switching on again is how it is retried.
        already = (was_on and before is not None and before.problem is None) if enabled else not was_on
        await self.repository.set_discord_events(guild_id, enabled, now)
        links = await self.repository.discord_event_links([guild_id])
        log.info("server %s switched Discord events %s", guild_id, "on" if enabled else "off")
        if enabled:
            # Made in the background, this server only.
            self.runner.wake(sync, f"opt-in {guild_id}", {guild_id})
        return DiscordEventsChange(
            enabled=enabled,
            changed=not already,
            planned=sync.planned(now),
            made=sum(1 for link in links.values() if link.active),
        )

    def notify_later(self, notices: list[Notice]) -> None:
        """Tell admins in the background (the cog's listeners must not wait on DMs)."""
        for notice in notices:
            self.runner.scheduler.tasks.spawn(
                self.announcer.notify(notice), name=f"milestones:notify:{notice.guild_id}"
            )


def build_milestone_service(
    conn: Connection,
    calendar: CycleCalendar,
    entry_titles: EntryTitles,
    runner: Runner,
    messenger: Messenger,
    events: EventGateway,
    *,
    grace: timedelta,
    clock: Clock = utc_now,
) -> MilestoneService:
    """Wire the feature: repositories, planner, and its two feeds (announcements, Discord events) on ``runner``,
    talking to Discord through ``messenger`` and ``events`` (built in ``bot/app.py``)."""
    repository = MilestoneRepository(conn)
    deliveries = DeliveryRepository(conn)
    planner = DeliveryPlanner(calendar, repository)
    announcer = MilestoneAnnouncer(
        planner, repository, messenger, entry_titles, grace=grace, budget=runner.budget, clock=clock
    )
    discord_events = DiscordEventSync(
        calendar, repository, deliveries, events, entry_titles, budget=runner.budget, clock=clock
    )
    runner.add(announcer)
    runner.add(discord_events)
    return MilestoneService(
        calendar,
        repository,
        deliveries,
        planner,
        announcer,
        entry_titles,
        runner,
        clock=clock,
        discord_events=discord_events,
    )
