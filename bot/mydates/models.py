"""A member's own dates as values, and the validated options of /mydates.

Option models take what Discord hands over (strings from slash options) and either build clean values or raise one
friendly sentence: use ``bot.validation.parse_options_with(model, {"now": ...}, ...)`` (a date in the past is refused
against that clock, and zone suggestions depend on it).

Every instant is an aware UTC datetime; the zone a member gave is kept to show the date back in their own time.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from bot.milestones.events import local_instant, parse_date, parse_time
from bot.milestones.reminders import describe_reminders, format_reminders, parse_reminders
from bot.text import has_words, neutralize_mentions, strip_invisible
from bot.validation import UserInputError
from bot.zones import ZoneError, resolve_zone

log = logging.getLogger(__name__)

MAX_TITLE = 80
MAX_DATES = 50
"""Dates kept per member (passed ones count until they are forgotten)."""
MAX_AHEAD = dt.timedelta(days=3 * 366)
"""Far enough for an exam booked for the next cycle, near enough to catch a mistyped year."""
DEFAULT_REMINDERS_TEXT = "7d,1d,2h"
DEFAULT_REMINDERS = parse_reminders(DEFAULT_REMINDERS_TEXT)
NO_REMINDERS = frozenset({"none", "no", "off", "-"})
FORGET_AFTER = dt.timedelta(days=30)
"""A date is forgotten this long after it passed (the daily purge), with the records of its reminders."""
EXAMS_AHEAD_DAYS = 14
"""A weekly recap counts members with an exam within this many days of it."""


class DateKind(StrEnum):
    STEP2CK = "step2ck"
    OET = "oet"
    INTERVIEW = "interview"
    PATHWAYS = "pathways"
    VISA = "visa"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_exam(self) -> bool:
        """Counted by a weekly recap's "have an exam in the next 14 days"."""
        return self in (DateKind.STEP2CK, DateKind.OET)

    @property
    def emoji(self) -> str:
        return _EMOJI[self]


_LABELS = {
    DateKind.STEP2CK: "Step 2 CK exam",
    DateKind.OET: "OET exam",
    DateKind.INTERVIEW: "Interview",
    DateKind.PATHWAYS: "Pathways submission",
    DateKind.VISA: "Visa appointment",
    DateKind.CUSTOM: "My date",
}
_EMOJI = {
    DateKind.STEP2CK: "🩺",
    DateKind.OET: "🗣️",
    DateKind.INTERVIEW: "🤝",
    DateKind.PATHWAYS: "📨",
    DateKind.VISA: "🛂",
    DateKind.CUSTOM: "📌",
}
KIND_CHOICES: tuple[tuple[str, str], ...] = (
    *((kind.label, kind.value) for kind in DateKind if kind is not DateKind.CUSTOM),
    ("Custom (give a title)", DateKind.CUSTOM.value),
)
"""(shown name, value) of the ``kind`` option, in the order offered."""


@dataclass(frozen=True, slots=True)
class MyDate:
    id: int
    user_id: int
    kind: DateKind
    title: str | None
    """What the member typed (mentions neutralised); required for a custom date, a detail for the others."""
    starts_at: dt.datetime
    zone: str
    reminders: tuple[dt.timedelta, ...]
    """Offsets before ``starts_at``, largest first; empty: no DMs for this date."""
    created_at: dt.datetime

    @property
    def name(self) -> str:
        """``Step 2 CK exam``, ``Interview: Mayo Clinic IM``, or a custom date's own title (not escaped)."""
        if self.kind is DateKind.CUSTOM:
            return self.title or self.kind.label
        return f"{self.kind.label}: {self.title}" if self.title else self.kind.label

    @property
    def local_start(self) -> dt.datetime:
        return self.starts_at.astimezone(ZoneInfo(self.zone))

    def passed(self, now: dt.datetime) -> bool:
        return self.starts_at <= now

    def reminders_text(self) -> str:
        return format_reminders(self.reminders)


@dataclass(frozen=True, slots=True)
class DmPause:
    """Why a member's reminders are paused: a DM Discord refused, and when."""

    user_id: int
    paused_at: dt.datetime
    about: str
    """The date whose reminder could not be sent (its name)."""


@dataclass(frozen=True, slots=True)
class Sharing:
    """A member's opt-in for one server's weekly recaps."""

    user_id: int
    guild_id: int
    named: bool


@dataclass(frozen=True, slots=True)
class AddedDate:
    """What /mydates add saved: the date, the reminders still ahead, and those already passed (not sent)."""

    date: MyDate
    upcoming: tuple[dt.timedelta, ...]
    passed: tuple[dt.timedelta, ...]

    def describe_upcoming(self) -> str:
        return describe_reminders(self.upcoming)

    def describe_passed(self) -> str:
        return describe_reminders(self.passed)


# -- option models -------------------------------------------------------------------------------------------------


def _now_from(info: ValidationInfo) -> dt.datetime:
    context = info.context
    now = context.get("now") if isinstance(context, dict) else None
    if not isinstance(now, dt.datetime):
        raise RuntimeError("/mydates options must be parsed with parse_options_with(model, {'now': ...})")
    return now


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text.")
    return strip_invisible(value)


def _user_error(call: Any, *args: Any) -> Any:
    """Run a parser of ``bot.milestones`` and turn its UserInputError into a ValueError pydantic reports."""
    try:
        return call(*args)
    except UserInputError as error:
        raise ValueError(str(error)) from None


def clean_title(value: object) -> str | None:
    """One line, mentions neutralised, at most ``MAX_TITLE`` characters with some words; None when blank."""
    text = " ".join(_text(value, "The title").split())
    if not text:
        return None
    if not has_words(text):
        raise ValueError("Give the title some words, e.g. `Mock OET speaking`.")
    if len(text) > MAX_TITLE:
        raise ValueError(f"Keep the title to {MAX_TITLE} characters (it has {len(text)}).")
    return neutralize_mentions(text)


def parse_my_reminders(value: object) -> tuple[dt.timedelta, ...]:
    """``7d,1d,2h`` (the parser of /event add), ``none`` for no reminders; nothing given: the default."""
    if value is None:
        return DEFAULT_REMINDERS
    if isinstance(value, tuple):
        return value
    text = _text(value, "The reminders")
    if not text.strip():
        return DEFAULT_REMINDERS
    if text.strip().lower() in NO_REMINDERS:
        return ()
    try:
        return parse_reminders(text)
    except UserInputError as error:
        raise ValueError(f"{error} Or `none` for no reminders.") from None


class AddDateOptions(BaseModel):
    """`/mydates add kind: date: time: timezone: [title:] [reminders:]`."""

    model_config = ConfigDict(frozen=True)

    kind: DateKind
    title: str | None = None
    date: dt.date
    time: dt.time
    timezone: str
    reminders: tuple[dt.timedelta, ...] = DEFAULT_REMINDERS

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> DateKind:
        if isinstance(value, DateKind):
            return value
        text = _text(value, "The kind").strip().lower()
        for kind in DateKind:
            if text in (kind.value, kind.label.lower()):
                return kind
        names = ", ".join(label for label, _ in KIND_CHOICES)
        raise ValueError(f"Pick the kind of date from the list: {names}.")

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> str | None:
        return None if value is None else clean_title(value)

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: object) -> dt.date:
        if isinstance(value, dt.date):
            return value
        parsed: dt.date = _user_error(parse_date, _text(value, "The date"))
        return parsed

    @field_validator("time", mode="before")
    @classmethod
    def _time(cls, value: object) -> dt.time:
        if isinstance(value, dt.time):
            return value
        parsed: dt.time = _user_error(parse_time, _text(value, "The time"))
        return parsed

    @field_validator("timezone", mode="before")
    @classmethod
    def _zone(cls, value: object, info: ValidationInfo) -> str:
        try:
            return resolve_zone(_text(value, "The time zone"), _now_from(info))
        except ZoneError as error:
            raise ValueError(str(error)) from None

    @field_validator("reminders", mode="before")
    @classmethod
    def _reminders(cls, value: object) -> tuple[dt.timedelta, ...]:
        return parse_my_reminders(value)

    @model_validator(mode="after")
    def _when(self, info: ValidationInfo) -> AddDateOptions:
        if self.kind is DateKind.CUSTOM and self.title is None:
            raise ValueError("A custom date needs a title, e.g. `title: Mock OET speaking`.")
        now = _now_from(info)
        starts_at: dt.datetime = _user_error(local_instant, self.date, self.time, self.timezone)
        shown = f"{self.date.isoformat()} {self.time:%H:%M}"
        if starts_at <= now:
            local_now = now.astimezone(ZoneInfo(self.timezone))
            raise ValueError(
                f"{shown} in {self.timezone} has already passed (it is now {local_now:%Y-%m-%d %H:%M} there). "
                "Give a date and time still ahead."
            )
        if starts_at - now > MAX_AHEAD:
            raise ValueError(f"{shown} is more than three years ahead. Check the year (YYYY-MM-DD).")
        return self

    @property
    def starts_at(self) -> dt.datetime:
        """The UTC instant (validated: it exists in the zone and is ahead)."""
        instant: dt.datetime = local_instant(self.date, self.time, self.timezone)
        return instant


class ShareOptions(BaseModel):
    """`/mydates share-in-recaps share: on|off [named:]`."""

    model_config = ConfigDict(frozen=True)

    share: bool
    named: bool = False

    @field_validator("share", mode="before")
    @classmethod
    def _share(cls, value: object) -> bool:
        if isinstance(value, bool):
            return value
        text = _text(value, "The choice").strip().lower()
        if text not in ("on", "off"):
            raise ValueError("Pick `on` or `off`.")
        return text == "on"

    @field_validator("named", mode="before")
    @classmethod
    def _named(cls, value: object) -> bool:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        raise ValueError("`named` is True or False.")
