"""Study groups as values: the schedule, the group, a check-in, and the validated options of every command.

Option models take what Discord hands over (strings from slash options and modal fields) and either build
clean values or raise one friendly sentence: use ``parse_with_clock`` (zones need the current time for their
suggestions), which raises ``bot.validation.UserInputError``.

Conventions: weekdays are Python's numbers (0 = Monday ... 6 = Sunday); times of day are wall-clock times in
the group's zone; every instant is an aware UTC datetime; hours are stored as whole minutes so that totals add
up exactly (1.33 h is kept as 80 minutes and shown as 1.3 h).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator, model_validator

from bot.numbers import parse_decimal, parse_whole
from bot.text import has_mention, has_words, remove_mentions, strip_invisible
from bot.validation import FormErrors, UserInputError
from bot.zones import ZoneError, resolve_zone

log = logging.getLogger(__name__)

DEFAULT_CHECKIN_TIME = dt.time(20, 0)
MAX_GROUP_NAME = 50
MAX_TEXT = 1000
MAX_QUESTIONS = 10_000
MAX_HOURS = 24
DEFAULT_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 365

WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_DAYS: frozenset[int] = frozenset(range(7))
WEEKDAYS: frozenset[int] = frozenset(range(5))
WEEKENDS: frozenset[int] = frozenset({5, 6})

_DAY_WORDS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("mo", "mon", "monday", "mondays"),
        ("tu", "tue", "tues", "tuesday", "tuesdays"),
        ("we", "wed", "weds", "wednesday", "wednesdays"),
        ("th", "thu", "thur", "thurs", "thursday", "thursdays"),
        ("fr", "fri", "friday", "fridays"),
        ("sa", "sat", "saturday", "saturdays"),
        ("su", "sun", "sunday", "sundays"),
    )
):
    for _name in _names:
        _DAY_WORDS[_name] = _number
_DAY_SETS = {
    "daily": ALL_DAYS,
    "everyday": ALL_DAYS,
    "every day": ALL_DAYS,
    "all": ALL_DAYS,
    "weekdays": WEEKDAYS,
    "weekday": WEEKDAYS,
    "workdays": WEEKDAYS,
    "weekends": WEEKENDS,
    "weekend": WEEKENDS,
}
DAYS_HELP = "Write `daily`, `weekdays`, `weekends`, or days like `mon,wed,fri` (ranges such as `mon-fri` work too)."

_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})(?::(\d{2}))?$")
_TWELVE_HOUR = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s*m?\.?$", re.IGNORECASE)


# -- weekdays and times --------------------------------------------------------------------------------------


def parse_weekdays(text: str) -> frozenset[int]:
    """``daily``, ``weekdays``, ``weekends``, ``mon,wed,fri``, ``mon-fri`` -> weekday numbers."""
    cleaned = " ".join(strip_invisible(text).lower().split())
    if not cleaned:
        raise ValueError(f"Which days should I post the check-in? {DAYS_HELP}")
    if cleaned in _DAY_SETS:
        return _DAY_SETS[cleaned]
    days: set[int] = set()
    for token in re.split(r"\s*(?:,|;|/|\band\b|\s)\s*", cleaned):
        if not token:
            continue
        if token in _DAY_SETS:
            days |= _DAY_SETS[token]
            continue
        start, dash, end = token.partition("-")
        if dash:
            if start not in _DAY_WORDS or end not in _DAY_WORDS:
                raise ValueError(f"I don't understand the days `{token[:30]}`. {DAYS_HELP}")
            first, last = _DAY_WORDS[start], _DAY_WORDS[end]
            # mon-fri runs forward; fri-mon wraps over the weekend.
            span = (last - first) % 7
            days.update((first + i) % 7 for i in range(span + 1))
            continue
        if token not in _DAY_WORDS:
            raise ValueError(f"I don't understand the day `{token[:30]}`. {DAYS_HELP}")
        days.add(_DAY_WORDS[token])
    if not days:
        raise ValueError(f"Which days should I post the check-in? {DAYS_HELP}")
    return frozenset(days)


def weekdays_to_text(days: frozenset[int]) -> str:
    """The stored form: ``mon,wed,fri`` (always the list, so the database reads the same everywhere)."""
    return ",".join(WEEKDAY_SHORT[d].lower() for d in sorted(days))


def describe_weekdays(days: frozenset[int]) -> str:
    """For people: ``daily``, ``weekdays``, ``weekends`` or ``Mon, Wed, Fri``."""
    if days == ALL_DAYS:
        return "daily"
    if days == WEEKDAYS:
        return "weekdays"
    if days == WEEKENDS:
        return "weekends"
    return ", ".join(WEEKDAY_SHORT[d] for d in sorted(days))


def parse_time_of_day(text: str) -> dt.time:
    """``20:00``, ``8:30`` or ``20:00:30`` (24-hour clock) -> time; ValueError with a conversion for ``8pm``.

    Seconds are accepted, as ``/event add`` accepts them: rarely wanted, but they let the end-to-end tests set a
    prompt a few seconds ahead through the real command.
    """
    cleaned = "".join(strip_invisible(text).split())
    match = _TIME.match(cleaned)
    if match is not None:
        hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if hour <= 23 and minute <= 59 and second <= 59:
            return dt.time(hour, minute, second)
        raise ValueError(
            f"`{cleaned[:20]}` is not a time of day. Use HH:MM on a 24-hour clock (HH:MM:SS also works), like `20:00`."
        )
    twelve = _TWELVE_HOUR.match(cleaned)
    if twelve is not None and 1 <= int(twelve.group(1)) <= 12 and int(twelve.group(2) or 0) <= 59:
        hour = int(twelve.group(1)) % 12 + (12 if twelve.group(3).lower() == "p" else 0)
        minute = int(twelve.group(2) or 0)
        raise ValueError(f"Use the 24-hour clock: `{cleaned}` is `{hour:02d}:{minute:02d}`.")
    raise ValueError(
        f"Write the time as HH:MM on a 24-hour clock (HH:MM:SS also works), for example `20:00` for 8 pm "
        f"(you wrote `{cleaned[:20]}`)."
    )


def format_time_of_day(value: dt.time) -> str:
    """``20:00``, or ``20:00:30`` when there are seconds (also the stored form, read by ``parse_time_of_day``)."""
    text = f"{value.hour:02d}:{value.minute:02d}"
    return f"{text}:{value.second:02d}" if value.second else text


# -- values --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """When a group's prompt is posted: ``local_time`` in ``zone`` on each of ``weekdays`` (0 = Monday)."""

    local_time: dt.time
    zone: str
    weekdays: frozenset[int]

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= ALL_DAYS:
            raise ValueError(f"weekdays must be a non-empty subset of 0-6, not {sorted(self.weekdays)}")
        if self.local_time.tzinfo is not None:
            raise ValueError("the local time of a schedule is a wall-clock time without a zone")
        zoneinfo.ZoneInfo(self.zone)  # raises for an unknown zone

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.zone)

    def describe(self) -> str:
        """``daily at 20:00 (Asia/Kolkata)``."""
        return f"{describe_weekdays(self.weekdays)} at {format_time_of_day(self.local_time)} ({self.zone})"


DEFAULT_DAYS = ALL_DAYS


@dataclass(frozen=True)
class StudyGroup:
    id: int
    guild_id: int
    channel_id: int
    """The channel or thread where prompts and recaps are posted."""
    name: str
    schedule: Schedule
    created_at: dt.datetime
    archived_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.archived_at is None


@dataclass(frozen=True)
class CheckIn:
    """One member's check-in for one local day in one group (a second one that day replaced the first)."""

    group_id: int
    guild_id: int
    user_id: int
    local_date: dt.date
    """The member's own calendar day when they checked in, in ``zone``; never recomputed."""
    zone: str
    studied: str
    questions: int | None
    percent_correct: int | None
    minutes: int | None
    blockers: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def hours(self) -> float | None:
        return None if self.minutes is None else self.minutes / 60


@dataclass(frozen=True)
class MemberSettings:
    user_id: int
    zone: str | None
    nudge: bool
    updated_at: dt.datetime | None = None
    nudges_stopped_at: dt.datetime | None = None
    """When the bot switched nudges off because a DM could not reach the member; None once they change a setting."""
    in_a_group: bool = False
    """In an active study group in some server: only then is there a streak for a nudge to protect."""


# -- option models -------------------------------------------------------------------------------------------

ModelT = TypeVar("ModelT", bound=BaseModel)


def _now_from(info: ValidationInfo) -> dt.datetime:
    context = info.context
    now = context.get("now") if isinstance(context, dict) else None
    if not isinstance(now, dt.datetime):
        raise RuntimeError("study group options must be parsed with parse_with_clock (zones need the time)")
    return now


def parse_with_clock(model: type[ModelT], now: dt.datetime, **options: Any) -> ModelT:
    """Validate a command's options (``now`` is for zone suggestions); UserInputError on error."""
    try:
        return model.model_validate(options, context={"now": now})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        error = first.get("ctx", {}).get("error")
        message = str(error) if isinstance(error, ValueError) else str(first["msg"]).removeprefix("Value error, ")
        if not isinstance(error, ValueError) and first["loc"]:
            name = str(first["loc"][0]).replace("_", " ")
            message = f"`{name}`: {message}"
        raise UserInputError(message) from exc


def parse_form_with_clock(model: type[ModelT], now: dt.datetime, **fields: Any) -> ModelT:
    """Validate a form's fields (a modal's text inputs); ``FormErrors`` with every field's problem, in the order
    of the model's fields, when any is wrong. ``minutes`` problems are reported for the ``hours`` field, as typed."""
    try:
        return model.model_validate(fields, context={"now": now})
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for error in exc.errors(include_url=False):
            cause = error.get("ctx", {}).get("error")
            message = str(cause) if isinstance(cause, ValueError) else str(error["msg"]).removeprefix("Value error, ")
            name = str(error["loc"][0]) if error["loc"] else ""
            problems.append(("hours" if name == "minutes" else name, message))
        raise FormErrors(problems) from exc


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text.")
    return strip_invisible(value)


def _group_name(value: object) -> str:
    text = " ".join(_text(value, "The group name").split())
    without = " ".join(remove_mentions(text).split())
    if has_mention(text):
        raise ValueError("A group name cannot contain mentions. Try a name like `Step 2 CK — evening crew`.")
    if not has_words(without):
        raise ValueError("Give the group a name with words, like `Step 2 CK — evening crew`.")
    if len(without) > MAX_GROUP_NAME:
        raise ValueError(f"Keep the group name to {MAX_GROUP_NAME} characters (it has {len(without)}).")
    return without


def _zone(value: object, info: ValidationInfo) -> str:
    try:
        return resolve_zone(_text(value, "The time zone"), _now_from(info))
    except ZoneError as exc:
        raise ValueError(str(exc)) from exc


def _snowflake(value: object, what: str) -> int:
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"Pick {what} from the list.")
    return value


class GroupCreateOptions(BaseModel):
    """`/studygroup create name: channel: [checkin_time:] [timezone:] [days:]`.

    ``timezone`` None means "not given": the service uses the creator's own zone, or UTC, and says so.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    channel_id: int
    checkin_time: dt.time = DEFAULT_CHECKIN_TIME
    timezone: str | None = None
    days: frozenset[int] = DEFAULT_DAYS

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return _group_name(value)

    @field_validator("channel_id", mode="before")
    @classmethod
    def _channel(cls, value: object) -> int:
        return _snowflake(value, "a channel or thread")

    @field_validator("checkin_time", mode="before")
    @classmethod
    def _time(cls, value: object) -> dt.time:
        if value is None:
            return DEFAULT_CHECKIN_TIME
        if isinstance(value, dt.time):
            return value
        return parse_time_of_day(_text(value, "The check-in time"))

    @field_validator("timezone", mode="before")
    @classmethod
    def _zone(cls, value: object, info: ValidationInfo) -> str | None:
        return None if value is None or (isinstance(value, str) and not value.strip()) else _zone(value, info)

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: object) -> frozenset[int]:
        if value is None:
            return DEFAULT_DAYS
        if isinstance(value, frozenset):
            return value
        return parse_weekdays(_text(value, "The days"))


class GroupEditOptions(BaseModel):
    """`/studygroup edit group: [name:] [channel:] [checkin_time:] [timezone:] [days:]`: what is given."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    channel_id: int | None = None
    checkin_time: dt.time | None = None
    timezone: str | None = None
    days: frozenset[int] | None = None

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str | None:
        return None if value is None else _group_name(value)

    @field_validator("channel_id", mode="before")
    @classmethod
    def _channel(cls, value: object) -> int | None:
        return None if value is None else _snowflake(value, "a channel or thread")

    @field_validator("checkin_time", mode="before")
    @classmethod
    def _time(cls, value: object) -> dt.time | None:
        if value is None or isinstance(value, dt.time):
            return value
        return parse_time_of_day(_text(value, "The check-in time"))

    @field_validator("timezone", mode="before")
    @classmethod
    def _zone(cls, value: object, info: ValidationInfo) -> str | None:
        return None if value is None else _zone(value, info)

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: object) -> frozenset[int] | None:
        if value is None or isinstance(value, frozenset):
            return value
        return parse_weekdays(_text(value, "The days"))

    @model_validator(mode="after")
    def _something(self) -> GroupEditOptions:
        if all(v is None for v in (self.name, self.channel_id, self.checkin_time, self.timezone, self.days)):
            raise ValueError("Tell me what to change: a new `name`, `channel`, `checkin_time`, `timezone` or `days`.")
        return self


class MemberSettingsOptions(BaseModel):
    """`/settings [timezone:] [nudge:]`: the member's zone, and whether to DM them before a streak breaks (neither:
    show the current settings)."""

    model_config = ConfigDict(frozen=True)

    timezone: str | None = None
    nudge: bool | None = None

    @field_validator("timezone", mode="before")
    @classmethod
    def _zone(cls, value: object, info: ValidationInfo) -> str | None:
        return None if value is None else _zone(value, info)


class RetentionOptions(BaseModel):
    """Days a member's study-group data is kept after they leave the server (0 = at the next purge)."""

    model_config = ConfigDict(frozen=True)

    days: int

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: object) -> int:
        if isinstance(value, str) and value.strip().isdecimal():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_RETENTION_DAYS:
            raise ValueError(
                f"Keep data of members who left for 0 to {MAX_RETENTION_DAYS} days "
                f"(the default is {DEFAULT_RETENTION_DAYS})."
            )
        return value


def _optional_number(value: object) -> str | None:
    """Modal fields arrive as text; an empty one means "not given"."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = "".join(_text(value, "This field").split()).lower()
    return text or None


class CheckInEntry(BaseModel):
    """The check-in modal: what I studied (required), questions done, percent correct, hours, blockers.

    Numbers are forgiving about how they are typed (``bot.numbers``): ``72%``, ``72,5``, ``1.5``, ``1,5``, ``1:30``
    (h:mm), ``90m``, ``2h``, ``3,000`` questions. Every field is checked, so a form's problems come back together
    (``parse_form_with_clock``).
    """

    model_config = ConfigDict(frozen=True)

    studied: str
    questions: int | None = None
    percent_correct: int | None = None
    minutes: int | None = None
    """From the ``hours`` field (the model accepts ``hours=...``); kept as whole minutes."""
    blockers: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _hours_to_minutes(cls, data: object) -> object:
        # Only renamed here: parsing happens in the field's validator, so a bad hours value is reported together
        # with every other field's problem instead of hiding them.
        if isinstance(data, dict) and "hours" in data:
            data = dict(data)
            data["minutes"] = _HoursTyped(data.pop("hours"))
        return data

    @field_validator("studied", mode="before")
    @classmethod
    def _studied(cls, value: object) -> str:
        text = _paragraph(value, "What you studied")
        if text is None or not has_words(text):
            raise ValueError("Tell us what you studied, even briefly: for example `UWorld cardio block, 40 Qs`.")
        return text

    @field_validator("blockers", mode="before")
    @classmethod
    def _blockers(cls, value: object) -> str | None:
        text = _paragraph(value, "Blockers")
        return text if text and has_words(text) else None

    @field_validator("questions", mode="before")
    @classmethod
    def _questions(cls, value: object) -> int | None:
        text = _optional_number(value)
        if text is None:
            return None
        number = parse_whole(re.sub(r"(qs?|questions?)$", "", text))
        if number is None or not 0 <= number <= MAX_QUESTIONS:
            raise ValueError(f"Questions done: a whole number from 0 to {MAX_QUESTIONS:,}, like `40`.")
        return number

    @field_validator("percent_correct", mode="before")
    @classmethod
    def _percent(cls, value: object) -> int | None:
        text = _optional_number(value)
        if text is None:
            return None
        number = parse_decimal(text.removesuffix("%"))
        if number is None or not 0 <= number <= 100:
            raise ValueError("Percent correct: a number from 0 to 100, like `72` or `72%`.")
        if 0 < number < 1:
            # 0.5 is almost always a fraction (50 %) typed the way a calculator shows it, not half a percent: asked,
            # rather than stored as 1 % (or silently as 50 %).
            meant = f"{number * 100:f}".rstrip("0").rstrip(".")
            raise ValueError(
                f"Percent correct: `{text[:10]}` is less than 1 %. For {meant} %, type `{meant}` (0 to 100, like `72`)."
            )
        # Whole percents: question banks show them that way, and 72.5 vs 73 changes nothing for anyone.
        return int(number.quantize(Decimal(1), rounding="ROUND_HALF_UP"))

    @field_validator("minutes", mode="before")
    @classmethod
    def _minutes(cls, value: object) -> int | None:
        if isinstance(value, _HoursTyped):
            return _hours(value.typed)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1440):
            return value
        raise ValueError(f"Hours: a number from 0 to {MAX_HOURS}, like `2.5` or `2:30`.")


def _paragraph(value: object, what: str) -> str | None:
    if value is None:
        return None
    lines = [" ".join(line.split()) for line in _text(value, what).splitlines()]
    text = "\n".join(lines).strip()
    # Collapse runs of blank lines: a modal paragraph, not a layout tool.
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text) > MAX_TEXT:
        raise ValueError(f"{what}: please keep it to {MAX_TEXT} characters (it has {len(text)}).")
    return text or None


@dataclass(frozen=True)
class _HoursTyped:
    """The check-in's ``hours`` field as typed, on its way to the ``minutes`` field's validator."""

    typed: object


def _hours(value: object) -> int | None:
    """Hours as typed -> whole minutes; ValueError with an example."""
    message = f"Hours: a number from 0 to {MAX_HOURS}, like `2.5` or `2:30`."
    text = _optional_number(value)
    if text is None:
        return None
    clock = re.fullmatch(r"(\d{1,2})[:h](\d{2})m?", text)
    if clock is not None:
        if int(clock.group(2)) >= 60:
            raise ValueError(message)
        minutes = int(clock.group(1)) * 60 + int(clock.group(2))
    elif (only_minutes := re.fullmatch(r"(\d{1,4})(m|min|mins|minutes?)", text)) is not None:
        minutes = int(only_minutes.group(1))
    else:
        number = parse_decimal(re.sub(r"(h|hr|hrs|hours?)$", "", text))
        if number is None or number < 0:
            raise ValueError(message)
        minutes = int((number * 60).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    if not 0 <= minutes <= MAX_HOURS * 60:
        raise ValueError(message)
    return minutes


def format_hours(minutes: int) -> str:
    """``90`` -> ``1.5 h``; whole hours without decimals; under an hour in minutes."""
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes / 60
    return f"{hours:.0f} h" if minutes % 60 == 0 else f"{hours:.1f} h"
