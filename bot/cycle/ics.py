"""iCalendar (.ics) export of milestones, or of any dated items (the /timeline planner passes its own).

The output is plain RFC 5545 that Google Calendar, Apple Calendar and Outlook import: CRLF line endings and lines
folded at 75 octets (both done by ``icalendar``), timed events in UTC (``...Z``, so no VTIMEZONE is needed and no
client can misread the zone), all-day events as ``VALUE=DATE``. UIDs are stable, so importing a newer export
updates events instead of duplicating them.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from bot.cycle.models import NRMP_ZONE, Milestone
from bot.db.timestamps import utc_now

log = logging.getLogger(__name__)

PRODID = "-//IMG Pathway Bot//Match cycle calendar//EN"
DEFAULT_EVENT_LENGTH = timedelta(minutes=30)
"""Length of a timed item given without an end: long enough for every client to show it on the grid."""


@dataclass(frozen=True, slots=True)
class CalendarItem:
    """One event of an .ics export.

    ``uid`` is the local part of the event's UID (``to_ics`` appends ``@uid_domain``); keep it stable for the same
    real-world event, e.g. ``rol-deadline-2027`` or ``timeline-<user id>-step-2-ck``.
    Timed items: ``start``/``end`` are aware datetimes (``end`` defaults to start + 30 minutes).
    All-day items (``all_day=True``): ``start``/``end`` are dates, ``end`` exclusive (defaults to the next day).
    """

    uid: str
    title: str
    start: datetime | date
    end: datetime | date | None = None
    all_day: bool = False
    description: str = ""
    url: str | None = None
    alarms: tuple[timedelta, ...] = ()
    """Reminders before ``start`` (VALARM); Apple Calendar and Outlook honour them, Google ignores imported ones."""
    tentative: bool = False
    busy: bool = False

    def __post_init__(self) -> None:
        if not self.uid or any(ch.isspace() or ch == "@" for ch in self.uid):
            raise ValueError(f"uid must be non-empty without spaces or '@', got {self.uid!r}")
        if self.all_day:
            if isinstance(self.start, datetime) or not isinstance(self.start, date):
                raise ValueError("an all-day item needs a date (not a datetime) as start")
            if self.end is not None and (isinstance(self.end, datetime) or self.end <= self.start):
                raise ValueError("an all-day item's end must be a later date (exclusive)")
        else:
            if not isinstance(self.start, datetime) or self.start.utcoffset() is None:
                raise ValueError("a timed item needs a timezone-aware datetime as start")
            if self.end is not None and (
                not isinstance(self.end, datetime) or self.end.utcoffset() is None or self.end < self.start
            ):
                raise ValueError("a timed item's end must be an aware datetime not before start")
        if any(offset < timedelta(0) for offset in self.alarms):
            raise ValueError("alarm offsets are durations before start and cannot be negative")


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = tuple(calendar.month_name)[1:]  # English: the bot never calls setlocale()


def describe_milestone(milestone: Milestone) -> str:
    """The event text: what to do now, the note, the US Eastern time, whether it is projected, and the source."""
    lines = ["What to do now:", *(f"- {item}" for item in milestone.checklist), ""]
    local = milestone.local_at
    # Spelled out here rather than with %A/%B, which follow the process locale.
    day = f"{_WEEKDAYS[local.weekday()]}, {_MONTHS[local.month - 1]} {local.day}, {local.year}"
    if milestone.all_day:
        lines.append(f"Date: {day}")
    else:
        zone = "US Eastern time" if milestone.zone == NRMP_ZONE else milestone.zone
        lines.append(f"Time: {day}, {local:%H:%M} {zone}")
    if milestone.is_projected:
        lines.append("This date is projected from past cycles and may change.")
    if milestone.note:
        lines.append(milestone.note)
    lines.append(f"Source: {milestone.source.title} - {milestone.source.url}")
    return "\n".join(lines)


def milestone_item(milestone: Milestone) -> CalendarItem:
    """A milestone as a calendar item: UID ``<kind>-<year>``, "(projected)" in the title when projected."""
    suffix = " (projected)" if milestone.is_projected else ""
    if milestone.all_day:
        start: datetime | date = milestone.local_date
        end: datetime | date = milestone.local_date + timedelta(days=1)
    else:
        start, end = milestone.at, milestone.end
    return CalendarItem(
        uid=milestone.uid,
        title=f"{milestone.title}, Match {milestone.match_year}{suffix}",
        start=start,
        end=end,
        all_day=milestone.all_day,
        description=describe_milestone(milestone),
        url=milestone.source.url,
        alarms=milestone.reminder_offsets,
        tentative=milestone.is_projected,
    )


def _event(item: CalendarItem, uid_domain: str, dtstamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{item.uid}@{uid_domain}")
    event.add("dtstamp", dtstamp)
    if item.all_day:
        assert isinstance(item.start, date) and not isinstance(item.start, datetime)
        event.add("dtstart", item.start)
        end = item.end if item.end is not None else item.start + timedelta(days=1)
        event.add("dtend", end)
    else:
        assert isinstance(item.start, datetime)
        start = item.start.astimezone(UTC)
        end_at = item.end if isinstance(item.end, datetime) else start + DEFAULT_EVENT_LENGTH
        event.add("dtstart", start)
        event.add("dtend", end_at.astimezone(UTC))
    event.add("summary", item.title)
    if item.description:
        event.add("description", item.description)
    if item.url:
        event.add("url", item.url)
    if item.tentative:
        event.add("status", "TENTATIVE")
    event.add("transp", "OPAQUE" if item.busy else "TRANSPARENT")
    for offset in sorted(set(item.alarms), reverse=True):
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.title)
        alarm.add("trigger", -offset)
        event.add_component(alarm)
    return event


def to_ics(
    items: Iterable[CalendarItem | Milestone],
    calendar_name: str,
    uid_domain: str,
    *,
    dtstamp: datetime | None = None,
) -> bytes:
    """Serialize milestones and/or calendar items to an .ics file (bytes, UTF-8, CRLF).

    ``uid_domain`` (e.g. ``imgbot.example.org``) makes UIDs globally unique; ``dtstamp`` defaults to now and is a
    parameter so tests and caches can produce identical output.
    """
    if not uid_domain or any(ch.isspace() or ch == "@" for ch in uid_domain):
        raise ValueError(f"uid_domain must be a bare domain name, got {uid_domain!r}")
    stamp = (dtstamp or utc_now()).astimezone(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_name)
    seen: set[str] = set()
    count = 0
    for entry in items:
        item = milestone_item(entry) if isinstance(entry, Milestone) else entry
        if item.uid in seen:
            raise ValueError(f"two events with the uid {item.uid!r}")
        seen.add(item.uid)
        calendar.add_component(_event(item, uid_domain, stamp))
        count += 1
    log.debug("exported %d event(s) to .ics calendar %r", count, calendar_name)
    data: bytes = calendar.to_ical()
    return data
