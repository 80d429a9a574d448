"""The options of /timeline, validated against the cycle calendar before anything is planned.

``match_year`` must be a Match the member can still enter and at most six calendar years ahead; ``step1`` and
``step2ck`` are ``done``/``passed`` or a month (``YYYY-MM``) that is not in the past; ``usce_months`` is 0-60.
Every message says what to type instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.cycle import CycleCalendar, MilestoneKind
from bot.readiness.planning import (
    ExamPlan,
    first_open_year,
    format_day,
    format_month,
    local_today,
    max_plan_year,
    milestone,
)
from bot.validation import UserInputError

log = logging.getLogger(__name__)

DONE_WORDS = frozenset({"done", "passed", "pass", "taken", "completed"})
_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$")
MAX_USCE_MONTHS = 60


@dataclass(frozen=True, slots=True)
class _Context:
    calendar: CycleCalendar
    now: datetime


def _context(info: ValidationInfo) -> _Context:
    context = info.context
    if not isinstance(context, dict) or not isinstance(context.get("planning"), _Context):
        raise RuntimeError("TimelineOptions must be built with TimelineOptions.parse (it needs the calendar)")
    found: _Context = context["planning"]
    return found


def parse_exam(value: str | None, exam: str, today: date) -> ExamPlan:
    """``None``/empty -> not planned; ``done``/``passed`` -> done; ``YYYY-MM`` -> planned for that month."""
    text = " ".join((value or "").split()).lower()
    if not text:
        return ExamPlan.none()
    if text in DONE_WORDS:
        return ExamPlan.done()
    match = _MONTH_RE.match(text)
    if match is None:
        raise ValueError(
            f"{exam}: write the month you plan to take it as YYYY-MM (for example {today.year + 1}-05), "
            "or the word done if you have passed it."
        )
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"{exam}: {month} is not a month. Write YYYY-MM with a month from 01 to 12.")
    planned = date(year, month, 1)
    if planned < today.replace(day=1):
        raise ValueError(
            f"{exam}: {format_month(planned)} is in the past. If you have passed it, write done; "
            "otherwise give the month you plan to take it."
        )
    return ExamPlan.planned(planned)


class TimelineOptions(BaseModel):
    """Validated /timeline options. Build with ``TimelineOptions.parse`` (it needs the calendar and the time)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    match_year: int
    step1: ExamPlan = Field(default_factory=ExamPlan.none)
    step2ck: ExamPlan = Field(default_factory=ExamPlan.none)
    usce_months: int | None = Field(default=None, ge=0, le=MAX_USCE_MONTHS)

    @field_validator("match_year")
    @classmethod
    def _enterable(cls, value: int, info: ValidationInfo) -> int:
        ctx = _context(info)
        first = first_open_year(ctx.calendar, ctx.now)
        last = max_plan_year(ctx.now)
        if value > last:
            raise ValueError(f"Plan at most 6 years ahead: try {first}–{last}.")
        if value < ctx.calendar.current_match_year(ctx.now):
            raise ValueError(f"Match {value} is in the past. The next Match you can still enter is Match {first}.")
        if value < first:
            match_day = milestone(ctx.calendar, value, MilestoneKind.MATCH_DAY)
            rol = milestone(ctx.calendar, value, MilestoneKind.ROL_DEADLINE)
            if match_day.at <= ctx.now:
                raise ValueError(f"Match {value} is in the past. The next Match you can still enter is Match {first}.")
            raise ValueError(
                f"It is too late to enter Match {value}: its rank order list deadline passed on "
                f"{format_day(rol.local_date)}. The next Match you can still enter is Match {first}."
            )
        return value

    @field_validator("step1", "step2ck", mode="before")
    @classmethod
    def _exam(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, ExamPlan):
            return value
        if value is not None and not isinstance(value, str):
            raise ValueError("must be the word done or a month such as 2027-05")
        exam = "Step 1" if info.field_name == "step1" else "Step 2 CK"
        return parse_exam(value, exam, local_today(_context(info).now))

    @field_validator("usce_months", mode="before")
    @classmethod
    def _months(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_USCE_MONTHS:
            raise ValueError(
                f"US clinical experience: give the months you have already done, from 0 to {MAX_USCE_MONTHS}."
            )
        return value

    @model_validator(mode="after")
    def _within_the_match(self, info: ValidationInfo) -> TimelineOptions:
        for exam, plan in (("Step 1", self.step1), ("Step 2 CK", self.step2ck)):
            if plan.month is not None and plan.month.year > self.match_year:
                raise ValueError(
                    f"{exam} in {format_month(plan.month)} is after Match {self.match_year}. "
                    "Plan it earlier, or choose a later Match year."
                )
        return self

    @classmethod
    def parse(
        cls,
        calendar: CycleCalendar,
        now: datetime,
        *,
        match_year: int,
        step1: str | None = None,
        step2ck: str | None = None,
        usce_months: int | None = None,
    ) -> TimelineOptions:
        """Validate the raw command options; raises UserInputError with one sentence saying what to change."""
        raw = {"match_year": match_year, "step1": step1, "step2ck": step2ck, "usce_months": usce_months}
        try:
            return cls.model_validate(raw, context={"planning": _Context(calendar, now)})
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            message = str(first["msg"]).removeprefix("Value error, ")
            if first["type"] != "value_error" and first["loc"]:
                message = f"`{str(first['loc'][0]).replace('_', ' ')}`: {message}"
            raise UserInputError(message) from exc
