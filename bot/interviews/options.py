"""The options of /interview and /rank and the fields of their forms, validated before anything else looks at them.

Each model turns what a member typed into clean values or a ``UserInputError`` whose message says how to fix it
(``parse`` below). Text is kept as typed (invisible characters removed, spaces tidied); it is made safe to show when
it is shown (``bot.text.quote_user_text``), so a note reads back exactly as it was written.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from bot.interviews.mock import DEFAULT_ROUND_MINUTES, MAX_ROUND_MINUTES, MIN_ROUND_MINUTES
from bot.text import has_mention, has_words, strip_invisible
from bot.validation import UserInputError

ModelT = TypeVar("ModelT", bound=BaseModel)

DEFAULT_MINUTES = 2
MAX_MINUTES = 5
MAX_NOTE_CHARS = 1000
MAX_PROGRAM_CHARS = 100
MAX_LOG_NOTES_CHARS = 1000
MAX_RANK_NOTE_CHARS = 300
LOG_PAST = dt.timedelta(days=2 * 366)
LOG_FUTURE = dt.timedelta(days=366)
"""An interview date is accepted from two years back (a re-applicant's older interviews) to a year ahead (one already
scheduled); further out it is almost always a typing mistake, such as the wrong year."""

_MONTHS = {name.casefold(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.casefold(): number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.?,? (\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")
_NUMERIC_AMBIGUOUS = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")
DATE_EXAMPLE = "2027-01-15"
PROGRAM_EXAMPLE = "`Mercy Hospital Internal Medicine`"


def parse(model: type[ModelT], context: dict[str, Any] | None = None, **options: Any) -> ModelT:
    """Build ``model`` from options or form fields, or raise UserInputError with one readable sentence."""
    try:
        return model.model_validate(options, context=context)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        error = first.get("ctx", {}).get("error")
        if isinstance(error, ValueError):
            raise UserInputError(str(error)) from exc
        name = str(first["loc"][0]).replace("_", " ") if first["loc"] else "value"
        raise UserInputError(f"`{name}`: {str(first['msg']).removeprefix('Value error, ')}") from exc


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text.")
    return strip_invisible(value)


def _paragraph(value: object, what: str, limit: int) -> str | None:
    """Text from a form's paragraph field: lines kept, spaces tidied, runs of blank lines cut to one."""
    if value is None:
        return None
    lines = [" ".join(line.split()) for line in _text(value, what).splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines).strip())
    if len(text) > limit:
        raise ValueError(f"{what}: please keep it to {limit:,} characters (it has {len(text):,}).")
    return text if has_words(text) else None


def _whole_number(value: object) -> int | None:
    """An int, or the digits of a text (``4``, `` 4 ``, ``4/5``); None when it is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = strip_invisible(value).strip().removesuffix("/5").strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None
    return None


def parse_day(text: str) -> dt.date:
    """A date as people write it: ``2027-01-15``, ``15 Jan 2027``, ``January 15, 2027``; ValueError otherwise.

    Numbers only with the day first or the month first (``05/01/2027``) are refused: half the world reads that as
    May 1, the other half as January 5, and an interview log must not guess."""
    cleaned = " ".join(strip_invisible(text).casefold().replace(",", ", ").split()).replace(" ,", ",")
    year = month = day = 0
    if match := _ISO.match(cleaned):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif match := _DAY_MONTH_YEAR.match(cleaned):
        day, month, year = int(match[1]), _MONTHS.get(match[2], 0), int(match[3])
    elif match := _MONTH_DAY_YEAR.match(cleaned):
        month, day, year = _MONTHS.get(match[1], 0), int(match[2]), int(match[3])
    elif _NUMERIC_AMBIGUOUS.match(cleaned):
        raise ValueError(
            f"Write the date as year-month-day, like `{DATE_EXAMPLE}`: a date like 05/01/2027 means May 1 in some "
            "countries and January 5 in others."
        )
    else:
        raise ValueError(f"That is not a date I can read. Write it as year-month-day, like `{DATE_EXAMPLE}`.")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"That date does not exist. Write it as year-month-day, like `{DATE_EXAMPLE}`.") from None


class PracticeOptions(BaseModel):
    """`/interview practice [category:] [minutes:]`: the category is resolved against the bank by the service."""

    model_config = ConfigDict(frozen=True)

    category: str | None = None
    minutes: int = DEFAULT_MINUTES

    @field_validator("category", mode="before")
    @classmethod
    def _category_text(cls, value: object) -> object:
        if value is None:
            return None
        text = " ".join(_text(value, "The category").split())
        return text[:100] or None

    @field_validator("minutes", mode="before")
    @classmethod
    def _minutes(cls, value: object) -> int:
        number = _whole_number(value)
        if number is None or not 1 <= number <= MAX_MINUTES:
            raise ValueError(
                f"The timer runs 1 to {MAX_MINUTES} minutes ({DEFAULT_MINUTES} unless you choose). "
                "Most answers should take one to two minutes."
            )
        return number


class AnswerNote(BaseModel):
    """The "Note my answer" form: what the member wants to remember about their answer."""

    model_config = ConfigDict(frozen=True)

    note: str

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, value: object) -> str:
        text = _paragraph(value, "Your note", MAX_NOTE_CHARS)
        if text is None:
            raise ValueError("Write a few words to keep, for example the example you used and what to change.")
        return text


class LogEntry(BaseModel):
    """`/interview log program: date: [impression:] [notes:]`, and the form that edits an entry.

    Validate with ``parse(LogEntry, {"today": date}, ...)``: the date must be near ``today``."""

    model_config = ConfigDict(frozen=True)

    program: str
    date: dt.date
    impression: int | None = None
    notes: str | None = None

    @field_validator("program", mode="before")
    @classmethod
    def _program(cls, value: object) -> str:
        text = " ".join(_text(value, "The program").split())
        if has_mention(text):
            raise ValueError(
                "A program name cannot contain mentions. Write it like `Mercy Hospital Internal Medicine`."
            )
        if not has_words(text):
            raise ValueError(f"Name the program with words, like {PROGRAM_EXAMPLE}.")
        if len(text) > MAX_PROGRAM_CHARS:
            raise ValueError(f"Keep the program name to {MAX_PROGRAM_CHARS} characters (it has {len(text)}).")
        return text

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: object, info: ValidationInfo) -> dt.date:
        if isinstance(value, dt.datetime):
            raise ValueError(f"Give the interview day as year-month-day, like `{DATE_EXAMPLE}`.")
        day = value if isinstance(value, dt.date) else parse_day(_text(value, "The date"))
        today = (info.context or {}).get("today")
        if not isinstance(today, dt.date):
            raise RuntimeError("LogEntry needs today's date in the validation context")
        if day < today - LOG_PAST or day > today + LOG_FUTURE:
            raise ValueError(
                f"{day.isoformat()} is far from today ({today.isoformat()}). The log takes interviews from the last "
                "two years and up to a year ahead: check the year."
            )
        return day

    @field_validator("impression", mode="before")
    @classmethod
    def _impression(cls, value: object) -> int | None:
        if value is None or (isinstance(value, str) and not strip_invisible(value).strip()):
            return None
        number = _whole_number(value)
        if number is None or not 1 <= number <= 5:
            raise ValueError(
                "Your impression is a whole number from 1 (poor fit) to 5 (excellent fit), or leave it out."
            )
        return number

    @field_validator("notes", mode="before")
    @classmethod
    def _notes(cls, value: object) -> str | None:
        return _paragraph(value, "Notes", MAX_LOG_NOTES_CHARS)


class RankNote(BaseModel):
    """The rank draft's note on one program: why it sits where it does. Empty clears it."""

    model_config = ConfigDict(frozen=True)

    note: str | None = None

    @field_validator("note", mode="before")
    @classmethod
    def _note(cls, value: object) -> str | None:
        return _paragraph(value, "The note", MAX_RANK_NOTE_CHARS)


# -- mock interviews -------------------------------------------------------------------------------------------------

MAX_FEEDBACK_CHARS = 500
"""One strength and one suggestion: a few sentences each, read at a glance after a round."""
SCORE_WORDS = {1: "needs work", 2: "fair", 3: "good", 4: "very good", 5: "excellent"}


class MockOptions(BaseModel):
    """`/interview mock [group:] [minutes:]`: the group is resolved by the service (this channel's, or the member's
    only group, when left out)."""

    model_config = ConfigDict(frozen=True)

    group: str | None = None
    minutes: int = DEFAULT_ROUND_MINUTES

    @field_validator("group", mode="before")
    @classmethod
    def _group(cls, value: object) -> object:
        if value is None:
            return None
        text = " ".join(_text(value, "The group").split())
        return text[:100] or None

    @field_validator("minutes", mode="before")
    @classmethod
    def _minutes(cls, value: object) -> int:
        number = _whole_number(value)
        if number is None or not MIN_ROUND_MINUTES <= number <= MAX_ROUND_MINUTES:
            raise ValueError(
                f"A round lasts {MIN_ROUND_MINUTES} to {MAX_ROUND_MINUTES} minutes ({DEFAULT_ROUND_MINUTES} unless "
                "you choose): time for five questions and their answers."
            )
        return number


def _score(value: object, what: str) -> int:
    number = _whole_number(value)
    if number is None or not 1 <= number <= 5:
        raise ValueError(f"{what} is a whole number from 1 (needs work) to 5 (excellent).")
    return number


class MockFeedback(BaseModel):
    """The feedback form an interviewer fills in for their candidate after a round."""

    model_config = ConfigDict(frozen=True)

    clarity: int
    structure: int
    content: int
    strength: str
    suggestion: str

    @field_validator("clarity", "structure", "content", mode="before")
    @classmethod
    def _scores(cls, value: object, info: ValidationInfo) -> int:
        return _score(value, str(info.field_name).capitalize())

    @field_validator("strength", "suggestion", mode="before")
    @classmethod
    def _text_fields(cls, value: object, info: ValidationInfo) -> str:
        what = "The strength" if info.field_name == "strength" else "The suggestion"
        text = _paragraph(value, what, MAX_FEEDBACK_CHARS)
        if text is None:
            example = "clear STAR structure" if info.field_name == "strength" else "give one concrete example"
            raise ValueError(f"{what}: write a few words, for example “{example}”.")
        return text
