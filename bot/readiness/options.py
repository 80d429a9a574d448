"""The options of /timeline, validated against the cycle calendar before anything is planned.

``match_year`` must be a Match the member can still enter and at most six calendar years ahead; ``step1`` and
``step2ck`` are ``done``/``passed`` or a month (``YYYY-MM``) that is not in the past; ``usce_months`` is 0-60.
Every message says what to type instead.

A Match the exam plan cannot reach is refused too (``UnreachableMatchError``): when both exam results, estimated
with the planner's own durations, would come after that Match's rank order list deadline (by which ECFMG must
report both exams to the NRMP), a plan would only list exam dates after the Match. The member is told so and offered
the earliest Match with both results on time, and an earlier tight one if there is one (``planning.Reach``, the
rule the plans use too).
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
    ExamOutlook,
    ExamPlan,
    Reach,
    earliest_year,
    first_open_year,
    format_day,
    format_month,
    local_today,
    max_plan_year,
    milestone,
    no_exam_taken,
    on_time_offer,
    reach,
    result_text,
    tight_text,
)
from bot.validation import UserInputError

log = logging.getLogger(__name__)

DONE_WORDS = frozenset({"done", "passed", "pass", "taken", "completed"})
_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$")
MAX_USCE_MONTHS = 60


class UnreachableMatchError(UserInputError):
    """The target Match cannot be reached with the exam plan; ``earliest`` is the first Match with both results on
    time, ``tight`` an earlier one that is reachable but tight (None when there is none: see ``planning.Reach``).
    Carries the parsed exam plans so the offer can plan that year."""

    def __init__(
        self,
        message: str,
        *,
        match_year: int,
        earliest: int | None,
        step1: ExamPlan,
        step2ck: ExamPlan,
        usce_months: int | None,
        tight: int | None = None,
    ) -> None:
        super().__init__(message)
        self.match_year = match_year
        self.earliest = earliest
        self.tight = tight
        self.step1 = step1
        self.step2ck = step2ck
        self.usce_months = usce_months


class _Unreachable(ValueError):
    """Raised inside validation; ``TimelineOptions.parse`` turns it into ``UnreachableMatchError``."""

    def __init__(
        self, message: str, earliest: int | None, tight: int | None, step1: ExamPlan, step2ck: ExamPlan
    ) -> None:
        super().__init__(message)
        self.earliest = earliest
        self.tight = tight
        self.step1 = step1
        self.step2ck = step2ck


def unreachable_message(
    calendar: CycleCalendar,
    now: datetime,
    match_year: int,
    step1: ExamPlan,
    step2ck: ExamPlan,
    outlook: ExamOutlook,
    earliest: int | None,
    tight: int | None = None,
) -> str:
    """Why Match ``match_year`` cannot be reached, and which Match can: ``tight`` (reachable, but the results come
    after its ERAS submission day) when it comes before ``earliest`` (the first with both results on time)."""
    submission = milestone(calendar, match_year, MilestoneKind.ERAS_SUBMISSION_OPENS)
    rol = milestone(calendar, match_year, MilestoneKind.ROL_DEADLINE)
    match_day = milestone(calendar, match_year, MilestoneKind.MATCH_DAY)
    result = result_text(outlook)
    if submission.at <= now:
        nothing_given = no_exam_taken(step1, step2ck) and step1.month is None and step2ck.month is None
        plan = "with no exam passed yet" if nothing_given else "with this exam plan"
        text = (
            f"Match {match_year} is not reachable any more. Its applications went in from ERAS submission day "
            f"({format_day(submission.local_date)}), and {plan} {result}"
        )
    else:
        text = f"Match {match_year} is not reachable with this exam plan: {result}"
    text += (
        f". That is after its rank order list deadline ({format_day(rol.local_date)}), by which ECFMG must report "
        "both exams to the NRMP"
    )
    if outlook.results_by >= match_day.local_date:
        text += f", and after Match Day ({format_day(match_day.local_date)})"
    if earliest is None and tight is None:
        return (
            f"{text}. With this exam plan no Match up to {max_plan_year(now)} leaves time for both results: move "
            "your exams earlier if you can."
        )
    text += "."
    if tight is not None and (earliest is None or tight < earliest):
        # The same rule as the plan of that year says: reachable, but tight, and why.
        text += " " + tight_text(reach(calendar, now, tight, step1, step2ck), result_said=True)
    return f"{text} {on_time_offer(calendar, earliest)}"


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
        ctx = _context(info)
        found = reach(ctx.calendar, ctx.now, self.match_year, self.step1, self.step2ck)
        if found.reach is Reach.TOO_LATE:
            earliest = earliest_year(ctx.calendar, ctx.now, self.step1, self.step2ck, Reach.ON_TIME)
            tight = earliest_year(ctx.calendar, ctx.now, self.step1, self.step2ck, Reach.TIGHT)
            if tight == earliest:
                tight = None
            message = unreachable_message(
                ctx.calendar, ctx.now, self.match_year, self.step1, self.step2ck, found.outlook, earliest, tight
            )
            raise _Unreachable(message, earliest, tight, self.step1, self.step2ck)
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
        context = {"planning": _Context(calendar, now)}
        try:
            return cls.model_validate(raw, context=context)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            cause = first.get("ctx", {}).get("error")
            if isinstance(cause, _Unreachable):
                raise UnreachableMatchError(
                    str(cause),
                    match_year=match_year,
                    earliest=cause.earliest,
                    tight=cause.tight,
                    step1=cause.step1,
                    step2ck=cause.step2ck,
                    usce_months=usce_months,
                ) from exc
            message = str(first["msg"]).removeprefix("Value error, ")
            if first["type"] != "value_error" and first["loc"]:
                message = f"`{str(first['loc'][0]).replace('_', ' ')}`: {message}"
            raise UserInputError(message) from exc
