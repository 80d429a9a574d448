"""The readiness self-assessment as values: the answers, the statuses, one result per area, saved results.

Plain data only (no I/O, no discord). ``assessment`` asks the questions and evaluates them; ``repository`` stores
in-progress answers and opt-in saved results; ``service`` ties the two together for the cog.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

log = logging.getLogger(__name__)


class ExamStatus(StrEnum):
    """Where a member stands with one USMLE Step."""

    PASSED = "passed"
    PASSED_AFTER_FAIL = "passed-after-fail"
    SCHEDULED = "scheduled"
    PREPARING = "preparing"
    FAILED = "failed"
    NOT_STARTED = "not-started"

    @property
    def is_passed(self) -> bool:
        return self in (ExamStatus.PASSED, ExamStatus.PASSED_AFTER_FAIL)


class PathwayStatus(StrEnum):
    """The ECFMG clinical and communication skills requirement (a Pathway plus OET Medicine)."""

    MET = "met"
    APPLIED = "applied"
    NOT_APPLIED = "not-applied"
    CS_PASSED = "cs-passed"
    """Passed the old Step 2 CS, so no Pathway and no OET are needed."""

    @property
    def is_met(self) -> bool:
        return self in (PathwayStatus.MET, PathwayStatus.CS_PASSED)


class OetStatus(StrEnum):
    PASSED = "passed"
    BOOKED = "booked"
    PREPARING = "preparing"
    NOT_STARTED = "not-started"


class UsceKind(StrEnum):
    """The most hands-on kind of US clinical experience a member has."""

    HANDS_ON = "hands-on"
    OBSERVERSHIP = "observership"
    RESEARCH = "research"


class StatementStatus(StrEnum):
    REVIEWED = "reviewed"
    DRAFT = "draft"
    NOT_STARTED = "not-started"


class ConsistencyStatus(StrEnum):
    CHECKED = "checked"
    NOT_CHECKED = "not-checked"
    DIFFERENCES = "differences"


class VisaPlan(StrEnum):
    NONE_NEEDED = "none-needed"
    J1 = "j1"
    H1B = "h1b"
    UNSURE = "unsure"


class Step3Status(StrEnum):
    PASSED = "passed"
    SCHEDULED = "scheduled"
    NOT_TAKEN = "not-taken"


class MentorStatus(StrEnum):
    YES = "yes"
    INFORMAL = "informal"
    NO = "no"


UNDECIDED = "undecided"
OTHER_SPECIALTY = "other"

CkScoreCheck = Callable[[int, str | None], str | None]
"""(score, period of the exam or None) -> why that score cannot be a passed Step 2 CK, or None when it can
(``specialties.PassingScore.problem``)."""
CK_SCORE_CHECK = "ck_score_check"
"""The validation context key that carries the ``CkScoreCheck`` (``Answers.model_validate(..., context=...)``)."""


class Answers(BaseModel):
    """Everything the assessment asks. Every field is None until answered; steps that do not apply stay None.

    Stored as JSON while an assessment is in progress, so add fields with a default and never rename one.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    target_match: int | Literal["undecided"] | None = None
    step1: ExamStatus | None = None
    step2ck: ExamStatus | None = None
    step2ck_score: int | None = Field(default=None, ge=1, le=300)
    step2ck_period: str | None = Field(default=None, max_length=40)
    """When a passed Step 2 CK was taken, as a passing-score period (``PassMark.key``); asked only when the score is
    below today's passing score but not below every earlier one."""
    specialty: str | None = Field(default=None, max_length=40)
    """A specialty id from the data file, ``"other"`` or ``"undecided"``."""
    pathway: PathwayStatus | None = None
    oet: OetStatus | None = None
    graduation_year: int | None = Field(default=None, ge=1900, le=2200)
    usce_months: int | None = Field(default=None, ge=0, le=60)
    usce_kind: UsceKind | None = None
    us_letters: int | None = Field(default=None, ge=0, le=10)
    personal_statement: StatementStatus | None = None
    consistency: ConsistencyStatus | None = None
    visa: VisaPlan | None = None
    step3: Step3Status | None = None
    mentor: MentorStatus | None = None

    @model_validator(mode="after")
    def _a_passed_score_reaches_the_passing_score(self, info: ValidationInfo) -> Answers:
        """A score entered for a passed Step 2 CK must reach the passing score of its period: below it, the member is
        asked to check it (or to say the exam is not passed) instead of the bot accepting it. The passing scores
        are data, so the check comes in the validation context (``CK_SCORE_CHECK``); without it (answers read back
        from storage) nothing is checked here, and ``Questionnaire.prune`` drops a score that fails the check."""
        check = info.context.get(CK_SCORE_CHECK) if isinstance(info.context, dict) else None
        if check is None or self.step2ck is None or not self.step2ck.is_passed or self.step2ck_score is None:
            return self
        problem = check(self.step2ck_score, self.step2ck_period)
        if problem is not None:
            raise ValueError(problem)
        return self


class Area(StrEnum):
    """The areas of the result, in the order they are shown within one status."""

    TIMING = "timing"
    USMLE = "usmle"
    SCORE = "score"
    ECFMG = "ecfmg"
    USCE = "usce"
    LETTERS = "letters"
    GRADUATION = "graduation"
    STATEMENT = "statement"
    CONSISTENCY = "consistency"
    VISA = "visa"
    MENTOR = "mentor"

    @property
    def label(self) -> str:
        return _AREA_LABELS[self]

    @property
    def order(self) -> int:
        return list(Area).index(self)


_AREA_LABELS = {
    Area.TIMING: "Timeline to your target Match",
    Area.USMLE: "USMLE Step 1 and Step 2 CK",
    Area.SCORE: "Step 2 CK score and specialty",
    Area.ECFMG: "ECFMG Pathway and OET",
    Area.USCE: "US clinical experience",
    Area.LETTERS: "US letters of recommendation",
    Area.GRADUATION: "Year of graduation",
    Area.STATEMENT: "Personal statement",
    Area.CONSISTENCY: "Application consistency",
    Area.VISA: "Visa plan",
    Area.MENTOR: "Mentor for the rank list",
}


class AreaStatus(StrEnum):
    READY = "ready"
    NEEDS_WORK = "needs_work"
    RED_FLAG = "red_flag"

    @property
    def label(self) -> str:
        return {"ready": "Ready", "needs_work": "Needs work", "red_flag": "Red flag"}[self.value]

    @property
    def rank(self) -> int:
        """Higher is better: red flag 0, needs work 1, ready 2."""
        return {"red_flag": 0, "needs_work": 1, "ready": 2}[self.value]


class OverallLevel(StrEnum):
    ON_TRACK = "on_track"
    NEEDS_WORK = "needs_work"
    AT_RISK = "at_risk"

    @property
    def label(self) -> str:
        return {"on_track": "On track", "needs_work": "Needs work", "at_risk": "At risk"}[self.value]


@dataclass(frozen=True, slots=True)
class AreaResult:
    """One area of the result: where the member stands, the one next step, and the /topic entry explaining it."""

    area: Area
    status: AreaStatus
    finding: str
    next_step: str
    entry_id: str
    lasting: bool = False
    """A red flag no step can undo (a failed attempt stays on the transcript, the graduation year stays): the result
    does not promise it can be fixed, only planned around."""


@dataclass(frozen=True)
class AssessmentResult:
    overall: OverallLevel
    areas: tuple[AreaResult, ...]
    """Red flags first, then needs work, then ready; within a status in ``Area`` order."""
    evaluated_at: dt.datetime
    target_match: int | None
    context: tuple[str, ...] = ()
    """Lines to show under the result (e.g. which cycle's score figures were used, and that they are not cut-offs)."""

    @property
    def red_flags(self) -> tuple[AreaResult, ...]:
        return tuple(a for a in self.areas if a.status is AreaStatus.RED_FLAG)

    @property
    def needs_work(self) -> tuple[AreaResult, ...]:
        return tuple(a for a in self.areas if a.status is AreaStatus.NEEDS_WORK)

    @property
    def ready(self) -> tuple[AreaResult, ...]:
        return tuple(a for a in self.areas if a.status is AreaStatus.READY)

    def statuses(self) -> dict[Area, AreaStatus]:
        return {a.area: a.status for a in self.areas}


# -- saved results and their history --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SavedResult:
    """One opt-in save: the overall level and each area's status at that moment (no answers are kept)."""

    id: int
    saved_at: dt.datetime
    overall: OverallLevel
    statuses: dict[Area, AreaStatus]


class Trend(StrEnum):
    IMPROVED = "improved"
    WORSE = "worse"
    SAME = "same"
    NEW = "new"
    """The area was not part of the earlier result (e.g. a score entered for the first time)."""
    GONE = "gone"
    """The area is no longer part of the result (e.g. the score was not answered this time)."""


@dataclass(frozen=True, slots=True)
class AreaChange:
    area: Area
    before: AreaStatus | None
    after: AreaStatus | None

    @property
    def trend(self) -> Trend:
        if self.before is None:
            return Trend.NEW
        if self.after is None:
            return Trend.GONE
        if self.after.rank > self.before.rank:
            return Trend.IMPROVED
        if self.after.rank < self.before.rank:
            return Trend.WORSE
        return Trend.SAME


@dataclass(frozen=True, slots=True)
class SaveDiff:
    """How each area changed from one save to the next."""

    before: SavedResult
    after: SavedResult
    changes: tuple[AreaChange, ...]
    """Every area in either save, in ``Area`` order, including unchanged ones (trend SAME)."""

    @property
    def changed(self) -> tuple[AreaChange, ...]:
        return tuple(c for c in self.changes if c.trend is not Trend.SAME)


@dataclass(frozen=True)
class ReadinessHistory:
    saves: tuple[SavedResult, ...]
    """Oldest first."""
    diffs: tuple[SaveDiff, ...]
    """One per pair of consecutive saves, oldest pair first."""

    @property
    def latest(self) -> SavedResult | None:
        return self.saves[-1] if self.saves else None


def diff_saves(saves: Sequence[SavedResult]) -> tuple[SaveDiff, ...]:
    """Compare every save with the one before it (``saves`` oldest first)."""
    diffs = []
    for before, after in pairwise(saves):
        areas = sorted(set(before.statuses) | set(after.statuses), key=lambda a: a.order)
        changes = tuple(AreaChange(area, before.statuses.get(area), after.statuses.get(area)) for area in areas)
        diffs.append(SaveDiff(before=before, after=after, changes=changes))
    return tuple(diffs)
