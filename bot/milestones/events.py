"""Validating a server event's date, time and time zone, and suggesting time zones as the admin types.

Seconds are accepted (``HH:MM:SS``) as well as ``HH:MM``: a real use is rare, but it lets the end-to-end tests
schedule an event a few seconds ahead through the real command instead of through a test-only clock.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.milestones.reminders import describe_duration, parse_reminders
from bot.text import strip_invisible
from bot.validation import UserInputError
from bot.zones import ZoneError, resolve_zone, zone_choices

log = logging.getLogger(__name__)

MAX_AHEAD = timedelta(days=2 * 366)
MAX_TITLE = 100
MAX_DESCRIPTION = 1000
MAX_EVENTS_PER_SERVER = 25
"""Autocomplete shows at most 25 choices, so /event remove can always reach every event."""
DEFAULT_EVENT_REMINDERS = "1d,0"

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def find_zone(text: str, now: datetime) -> str:
    """The IANA zone named by ``text``, through the one zone validator (``bot.zones``): abbreviations (``EST``) and
    fixed offsets are refused with a suggestion, since an event in them would be an hour off for part of the year;
    UserInputError otherwise."""
    try:
        return resolve_zone(text, now)
    except ZoneError as exc:
        raise UserInputError(str(exc)) from exc


def suggest_zones(typed: str, now: datetime, limit: int = 25) -> list[str]:
    """The autocomplete of a ``timezone`` option, the same as everywhere a zone is typed."""
    return list(zone_choices(typed, now, limit))


def parse_date(text: str) -> date:
    match = _DATE.match(text.strip())
    if match is None:
        raise UserInputError(f"`{text.strip()[:30]}` is not a date I can read. Use YYYY-MM-DD, e.g. 2027-03-04.")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise UserInputError(f"`{text.strip()}` is not a real date. Use YYYY-MM-DD, e.g. 2027-03-04.") from None


def parse_time(text: str) -> time:
    match = _TIME.match(text.strip())
    if match is None:
        raise UserInputError(
            f"`{text.strip()[:30]}` is not a time I can read. Use HH:MM in 24-hour time, e.g. 09:00 or 18:30."
        )
    return time(int(match[1]), int(match[2]), int(match[3] or 0))


def _clock_text(moment: time) -> str:
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


def local_instant(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of a wall-clock time in ``zone``; UserInputError when daylight-saving time skips or repeats
    it, saying what happens that night (a date must never silently move by an hour)."""
    tz = ZoneInfo(zone)
    wall = datetime.combine(day, at)
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    first_offset, second_offset = first.utcoffset(), second.utcoffset()
    assert first_offset is not None and second_offset is not None
    if first_offset == second_offset:
        return first.astimezone(UTC)
    shift = describe_duration(abs(first_offset - second_offset))
    shown = f"{day.isoformat()} {_clock_text(at)}"
    # A time that exists survives a round trip through UTC; a skipped one comes back moved.
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        raise UserInputError(
            f"{shown} does not exist in {zone}: that night the clocks jump forward by {shift} "
            "(daylight-saving time starts). Pick a time outside the skipped hour."
        )
    raise UserInputError(
        f"{shown} happens twice in {zone}: that night the clocks go back by {shift} (daylight-saving time ends), "
        "so the time is ambiguous. Pick a time outside that hour, or give it in UTC."
    )


@dataclass(frozen=True, slots=True)
class EventWhen:
    starts_at: datetime
    """UTC."""
    zone: str


def parse_event_when(date_text: str, time_text: str, zone_text: str, now: datetime) -> EventWhen:
    """Validate the three options of /event add together: a real date and time in a real zone, in the future, at
    most two years ahead."""
    zone = find_zone(zone_text, now)
    day, at = parse_date(date_text), parse_time(time_text)
    starts_at = local_instant(day, at, zone)
    if starts_at <= now:
        local_now = now.astimezone(ZoneInfo(zone))
        raise UserInputError(
            f"{day.isoformat()} {_clock_text(at)} in {zone} has already passed "
            f"(it is now {local_now:%Y-%m-%d %H:%M} there). Give a future date and time."
        )
    if starts_at - now > MAX_AHEAD:
        raise UserInputError("That is more than two years ahead. Add it closer to the date.")
    return EventWhen(starts_at=starts_at, zone=zone)


def clean_title(text: str) -> str:
    # Zero-width and direction characters removed first: a title of only those would show as nothing.
    title = " ".join(strip_invisible(text).split())
    if not title:
        raise UserInputError("Give the event a title, e.g. “Mock OET speaking exam”.")
    if len(title) > MAX_TITLE:
        raise UserInputError(f"The title is too long: at most {MAX_TITLE} characters.")
    return title


def clean_description(text: str | None) -> str:
    description = (text or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise UserInputError(f"The description is too long: at most {MAX_DESCRIPTION} characters.")
    return description


_NO_REMINDERS = frozenset({"none", "no", "off", "nothing", "-"})
"""What a moderator types for "no reminders" (``/mydates`` accepts ``none``): an event is posted only through its
reminders, so for an event it gets an explanation instead of "not a reminder I understand"."""


def parse_event_reminders(text: str | None) -> tuple[timedelta, ...]:
    """An event's reminders as typed; nothing typed: the default ``1d,0``."""
    if text is None or not text.strip():
        return parse_reminders(DEFAULT_EVENT_REMINDERS)
    if text.strip().casefold() in _NO_REMINDERS:
        raise UserInputError(
            "An event is posted only through its reminders, so with none it would never be posted. "
            "Give `0` to post it once when it starts, or e.g. `1d,0` (the default: a day before and when it starts)."
        )
    return parse_reminders(text)
