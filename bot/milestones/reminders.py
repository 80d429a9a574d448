"""Reminder offsets as admins type them: ``7d,1d,0``, ``2h``, ``1d12h``, ``30m`` (0 = when it happens)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import timedelta

from bot.cycle.models import format_offset
from bot.validation import UserInputError

log = logging.getLogger(__name__)

MAX_REMINDERS = 6
MAX_OFFSET = timedelta(days=90)
EXAMPLE = "`7d,1d,0`"

_OFFSET = re.compile(r"^(?:(?P<d>\d{1,3})d)?(?:(?P<h>\d{1,4})h)?(?:(?P<m>\d{1,5})m)?$")
_HOW = (
    "Use days (d), hours (h) or minutes (m) before the date, or 0 for the moment itself, "
    f"separated by commas: {EXAMPLE}, `2h`, `1d12h`, `30m`."
)


def parse_offset(text: str) -> timedelta:
    """One offset: ``7d``, ``2h``, ``1d12h``, ``30m``, ``0``. Raises UserInputError with the accepted forms."""
    token = text.strip().lower().replace(" ", "")
    if token == "0":
        return timedelta(0)
    match = _OFFSET.match(token)
    if not token or match is None or not any(match.groupdict().values()):
        shown = text.strip()[:20] or "(empty)"
        raise UserInputError(f"`{shown}` is not a reminder I understand. {_HOW}")
    days, hours, minutes = (int(match[unit] or 0) for unit in ("d", "h", "m"))
    return timedelta(days=days, hours=hours, minutes=minutes)


def parse_reminders(text: str) -> tuple[timedelta, ...]:
    """A comma-separated list of offsets, earliest reminder first (largest offset first)."""
    parts = text.replace(";", ",").split(",")
    if not text.strip():
        raise UserInputError(f"Give at least one reminder. {_HOW}")
    offsets: list[timedelta] = []
    for part in parts:
        if not part.strip():
            raise UserInputError(f"There is an empty reminder between two commas in `{text.strip()[:60]}`. {_HOW}")
        offset = parse_offset(part)
        if offset > MAX_OFFSET:
            raise UserInputError(
                f"`{part.strip()}` is too far ahead: a reminder can be at most {MAX_OFFSET.days} days before."
            )
        if offset in offsets:
            raise UserInputError(f"`{format_offset(offset)}` is listed twice in `{text.strip()[:60]}`.")
        offsets.append(offset)
    if len(offsets) > MAX_REMINDERS:
        raise UserInputError(f"At most {MAX_REMINDERS} reminders, please (you gave {len(offsets)}).")
    return tuple(sorted(offsets, reverse=True))


def format_reminders(offsets: Iterable[timedelta]) -> str:
    """The canonical text of a list of offsets, e.g. ``7d,1d,0``; ``parse_reminders`` reads it back."""
    return ",".join(format_offset(offset) for offset in sorted(offsets, reverse=True))


def _amount(value: int, unit: str) -> str:
    return f"{value} {unit}" if value == 1 else f"{value} {unit}s"


def describe_duration(offset: timedelta) -> str:
    """``7 days``, ``1 day 12 hours``, ``3 hours``, ``30 minutes`` (for people; 0 is ``0 minutes``)."""
    seconds = int(offset.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [_amount(n, unit) for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n]
    return " ".join(parts) or "0 minutes"


def describe_offset(offset: timedelta) -> str:
    """``7 days before``, ``3 hours before``, ``when it happens``."""
    return "when it happens" if offset <= timedelta(0) else f"{describe_duration(offset)} before"


def describe_reminders(offsets: Iterable[timedelta]) -> str:
    """``7 days before, 1 day before and when it happens``."""
    phrases = [describe_offset(offset) for offset in sorted(offsets, reverse=True)]
    if len(phrases) <= 1:
        return "".join(phrases)
    return f"{', '.join(phrases[:-1])} and {phrases[-1]}"
