"""Which Discord scheduled events a server that opted in should have, as plain values (no discord, no SQL).

Only the big moments of a cycle become events in a server's Events tab: Match Week ("did I match?"), SOAP (from the
Monday the List of Unfilled Programs opens to the end of the Thursday offer rounds, one event rather than six) and
Match Day, for the current cycle and the next one, and only while they are ahead. They are external events (Discord's
entity type 3) whose location is the milestone's source page, so members land on NRMP's own words.

A projected date says so in the description. When the data file later gives a different official date (or only
marks the same date official), the plan's ``fingerprint`` changes and the existing event is edited, never made twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.cycle import CycleCalendar, Milestone, MilestoneKind
from bot.milestones.announcements import EntryTitles, spell_date, zone_label
from bot.text import shorten

log = logging.getLogger(__name__)

TARGET_KIND = "discord-event"
"""The deliveries table's target kind for creating one (see ``discord_events``)."""
NAME_MAX = 100
DESCRIPTION_MAX = 1000
LOCATION_MAX = 100
"""Discord's limits for an event's name, description and external location."""
START_MARGIN = timedelta(minutes=5)
"""Discord refuses an event that starts in the past; one about to start is not worth creating either."""
FALLBACK_LOCATION = "https://www.nrmp.org/"

EVENT_KINDS = (MilestoneKind.MATCH_WEEK, MilestoneKind.SOAP_OPENS, MilestoneKind.MATCH_DAY)
"""The milestones that become events; SOAP_OPENS stands for the whole SOAP week (it ends at SOAP_ENDS)."""

_NAMES = {
    MilestoneKind.MATCH_WEEK: "Match Week begins: did I match?",
    MilestoneKind.SOAP_OPENS: "SOAP: unfilled programs, applications and offer rounds",
    MilestoneKind.MATCH_DAY: "Match Day: results released",
}
_SOAP_ROUNDS = (
    MilestoneKind.SOAP_ROUND_1,
    MilestoneKind.SOAP_ROUND_2,
    MilestoneKind.SOAP_ROUND_3,
    MilestoneKind.SOAP_ROUND_4,
)


@dataclass(frozen=True, slots=True)
class EventPlan:
    """One Discord scheduled event a server should have."""

    uid: str
    """The milestone's uid, e.g. ``match-week-2027``: with the server, the event's identity."""
    match_year: int
    kind: MilestoneKind
    name: str
    description: str
    location: str
    start: datetime
    end: datetime
    projected: bool

    @property
    def fingerprint(self) -> str:
        """A digest of everything sent to Discord: a change means the event must be edited."""
        sent = [self.name, self.description, self.location, self.start.isoformat(), self.end.isoformat()]
        return hashlib.sha256(json.dumps(sent).encode("utf-8")).hexdigest()[:16]


def delivery_key(guild_id: int, plan: EventPlan) -> str:
    """The exactly-once key of creating ``plan``'s event in a server: ``de:<server>:<milestone uid>``.

    The date is not in the key: a moved milestone edits the event made for it instead of making another one.
    """
    return f"de:{guild_id}:{plan.uid}"


@dataclass(frozen=True, slots=True)
class EventLink:
    """The Discord event made for one milestone in one server (a row of ``milestone_discord_events``)."""

    guild_id: int
    milestone_uid: str
    match_year: int
    event_id: int
    starts_at: datetime
    ends_at: datetime
    projected: bool
    fingerprint: str
    active: bool
    """False when an admin deleted it in Discord: it is not made again."""


@dataclass(frozen=True, slots=True)
class EventsSetting:
    """A server's choice about Discord events (a row of ``milestone_discord_event_settings``)."""

    guild_id: int
    enabled: bool
    problem: str | None
    """Why creating stopped (``no-permission``); None while all is well."""


@dataclass(frozen=True, slots=True)
class EventsNotice:
    """Tell a server's admin that Discord refused to create its events, and how to fix it."""

    guild_id: int
    recipients: tuple[int, ...]
    """The admin who set up the announcements first; the gateway falls back to the server owner."""
    names: tuple[str, ...]
    """The events that could not be made."""


def _when(milestone: Milestone) -> str:
    local = milestone.local_at
    return f"{spell_date(local.date())}, {local:%H:%M} {zone_label(milestone.zone)}"


def _status_line(milestone: Milestone) -> str:
    if milestone.is_projected:
        return (
            "Projected date: NRMP has not published it yet, so it follows the pattern of past cycles. "
            "This event will move if the official date differs."
        )
    return "Official date, published by NRMP."


def _description(milestone: Milestone, lines: list[str], entry_titles: EntryTitles) -> str:
    parts = [_status_line(milestone), *lines, "", "What to do:"]
    parts += [f"- {item}" for item in milestone.checklist]
    title = entry_titles(milestone.kb_entry)
    if title:
        parts += ["", f"Read more with /topic: {title}."]
    parts += [f"Source: {milestone.source.title}"]
    return shorten("\n".join(parts), DESCRIPTION_MAX)


def _location(milestone: Milestone) -> str:
    url = milestone.source.url
    return url if len(url) <= LOCATION_MAX else FALLBACK_LOCATION


def plan_for(calendar: CycleCalendar, milestone: Milestone, entry_titles: EntryTitles) -> EventPlan:
    """The event for one of ``EVENT_KINDS``'s milestones."""
    end = milestone.end
    lines = [f"Starts {_when(milestone)}."]
    if milestone.kind is MilestoneKind.SOAP_OPENS:
        rounds = [m for m in (calendar.get(milestone.match_year, k) for k in _SOAP_ROUNDS) if m is not None]
        ends = calendar.get(milestone.match_year, MilestoneKind.SOAP_ENDS)
        if rounds:
            times = ", ".join(f"{m.local_at:%H:%M}" for m in rounds)
            lines.append(f"Offer rounds on {spell_date(rounds[0].local_date)} at {times} {zone_label(milestone.zone)}.")
        if ends is not None and ends.at > milestone.at:
            end = ends.at
            lines.append(f"SOAP ends {_when(ends)}.")
    return EventPlan(
        uid=milestone.uid,
        match_year=milestone.match_year,
        kind=milestone.kind,
        name=shorten(f"{_NAMES[milestone.kind]} (Match {milestone.match_year})", NAME_MAX),
        description=_description(milestone, lines, entry_titles),
        location=_location(milestone),
        start=milestone.at,
        end=end,
        projected=milestone.is_projected,
    )


def plan_discord_events(calendar: CycleCalendar, now: datetime, entry_titles: EntryTitles) -> list[EventPlan]:
    """The events of the current and the next cycle that start after ``now`` (with a margin), soonest first."""
    current = calendar.current_match_year(now)
    plans = [
        plan_for(calendar, milestone, entry_titles)
        for year in (current, current + 1)
        for milestone in (calendar.get(year, kind) for kind in EVENT_KINDS)
        if milestone is not None and milestone.at > now + START_MARGIN
    ]
    return sorted(plans, key=lambda plan: (plan.start, plan.uid))
