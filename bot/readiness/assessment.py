"""The /readiness self-assessment: the questions in order, and the rules that turn answers into a result.

The questions are data the cog renders generically: a ``choice`` step becomes buttons or a select menu, a
``number`` step a modal with one text field. Their words come from ``data/readiness/questionnaire.yaml``
(``wording``); which questions and options exist, and the rules, are here (``QUESTIONS``, ``build_questionnaire``).
Titles fit a modal title (45 characters), option labels and values a select option (100), and no step has more than
25 options. A step may apply only after certain earlier answers (the Step 2 CK score only once CK is passed);
conditions look at earlier steps only, so walking forward from any step meets every step that applies.

``evaluate`` is pure: the same answers, specialty table, time and calendar give the same result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.cycle import CycleCalendar, MilestoneKind, MilestoneStatus
from bot.numbers import parse_whole
from bot.readiness.models import (
    CK_SCORE_CHECK,
    OTHER_SPECIALTY,
    UNDECIDED,
    Answers,
    Area,
    AreaResult,
    AreaStatus,
    AssessmentResult,
    CkScoreCheck,
    ConsistencyStatus,
    ExamStatus,
    MentorStatus,
    OetStatus,
    OverallLevel,
    PathwayStatus,
    StatementStatus,
    Step3Status,
    UsceKind,
    VisaPlan,
)
from bot.readiness.planning import (
    COMPRESSED_MONTHS,
    USCE_TARGET_MONTHS,
    ExamPlan,
    add_months,
    count,
    earliest_realistic_year,
    exam_outlook,
    first_open_year,
    format_day,
    format_month,
    local_today,
    milestone,
    no_exam_taken,
)
from bot.readiness.specialties import PassingScore, ScoreBand, SpecialtyTable
from bot.readiness.wording import (
    MAX_LABEL,
    MAX_PROMPT,
    MAX_TITLE,
    QUESTIONNAIRE_FILE,
    QuestionnaireWords,
    StepSpec,
    StepWords,
    load_questionnaire_words,
)
from bot.text import quote_user_text
from bot.validation import UserInputError

log = logging.getLogger(__name__)

MAX_CHOICES = 25
TARGET_YEARS_OFFERED = 5

RECENT_GRADUATE_YEARS = 3
"""Up to this many years between graduation and applying counts as recent (ready)."""
OLD_GRADUATE_YEARS = 5
"""More than this many years is a red flag; in between is "needs work". A red flag is a fact that blocks or seriously
harms an application (pathway-facts.md, section 10): here, a year of graduation beyond the limit a program states.
Programs set their own limits (often 3 or 5 years, see the year-of-graduation entry) and many set none, so beyond the
longer common limit the programs that state one are closed, not the Match: the finding says it is a challenge, not a
ban (the entry's words), and points to programs without a limit."""
ON_TRACK_MAX_NEEDS_WORK = 2
""""On track" tolerates this many areas needing work: letters or the statement are naturally unfinished for most
members months before the season, and calling everyone "needs work" would hide who is really on track."""

# How far away an exam is when the member has not given a month, for the timing area only: a booked exam is
# usually within about two months; someone studying or retaking is taken as about three months from the exam.
_SCHEDULED_MONTHS = 2
_PREPARING_MONTHS = 3


class StepKind(StrEnum):
    CHOICE = "choice"
    NUMBER = "number"


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    description: str = ""
    """Optional second line in a select menu (at most 100 characters)."""


def _always(_: Answers) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    """One question. ``id`` is the ``Answers`` field it fills."""

    id: str
    title: str
    prompt: str
    kind: StepKind
    choices: tuple[Choice, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    placeholder: str = ""
    applies: Callable[[Answers], bool] = _always
    suggest: Callable[[int], int | None] | None = None
    """For a number step: what a refused number most likely meant ("21" for a year: 2021), offered when in range."""

    def __post_init__(self) -> None:
        if self.id not in Answers.model_fields:
            raise ValueError(f"step {self.id!r} does not name an Answers field")
        if not 0 < len(self.title) <= MAX_TITLE:
            raise ValueError(f"step {self.id}: title must be 1-{MAX_TITLE} characters")
        if len(self.prompt) > MAX_PROMPT or len(self.placeholder) > MAX_LABEL:
            raise ValueError(f"step {self.id}: prompt or placeholder too long")
        if self.kind is StepKind.CHOICE:
            if not 2 <= len(self.choices) <= MAX_CHOICES:
                raise ValueError(f"step {self.id}: a choice step needs 2-{MAX_CHOICES} options")
            values = [c.value for c in self.choices]
            if len(set(values)) != len(values):
                raise ValueError(f"step {self.id}: option values must be unique")
            for choice in self.choices:
                if not (0 < len(choice.value) <= MAX_LABEL and 0 < len(choice.label) <= MAX_LABEL):
                    raise ValueError(f"step {self.id}: option {choice.value!r} label or value too long")
                if len(choice.description) > MAX_LABEL:
                    raise ValueError(f"step {self.id}: option {choice.value!r} description too long")
        elif self.minimum is None or self.maximum is None or self.minimum > self.maximum or self.choices:
            raise ValueError(f"step {self.id}: a number step needs minimum <= maximum and no options")

    def parse(self, raw: str | int) -> Any:
        """The answer as the ``Answers`` field expects it; UserInputError with a hint when it does not fit."""
        if self.kind is StepKind.CHOICE:
            text = str(raw).strip()
            if text not in (c.value for c in self.choices):
                raise UserInputError("Please pick one of the options shown.")
            return text
        assert self.minimum is not None and self.maximum is not None
        hint = f"Type a whole number from {self.minimum} to {self.maximum}."
        # What was typed is repeated back (one line, no formatting or pings), so a slip is easy to see.
        typed = f"You typed “{quote_user_text(str(raw), 20)}”"
        # "3,000" is read as 3000 and "1,5" as 1.5 (not a whole number): bot.numbers has the rules.
        number = raw if isinstance(raw, int) else parse_whole(str(raw))
        if number is None:
            # Placeholders already read "For example 245"; don't say it twice.
            example = self.placeholder or f"For example {self.minimum}"
            raise UserInputError(f"{typed}, which is not a whole number. {hint} {example}.")
        if not self.minimum <= number <= self.maximum:
            meant = self.suggest(number) if self.suggest is not None else None
            if meant is not None and self.minimum <= meant <= self.maximum:
                raise UserInputError(f"{typed}. Did you mean **{meant}**? {hint}")
            raise UserInputError(f"{typed}. {hint}")
        return number

    def raw_value(self, answers: Answers) -> str | None:
        """The stored answer as the option value or number text (to preselect it when the member goes back)."""
        value = getattr(answers, self.id)
        if value is None:
            return None
        return str(value.value if isinstance(value, StrEnum) else value)

    def display(self, answers: Answers) -> str | None:
        """The stored answer as the member saw it (the option label, or the number)."""
        raw = self.raw_value(answers)
        if raw is None or self.kind is StepKind.NUMBER:
            return raw
        return next((c.label for c in self.choices if c.value == raw), raw)


@dataclass(frozen=True)
class Progress:
    """Where a member is in the questionnaire: what the cog shows next."""

    step: Step | None
    """The question to show; None when every question that applies is answered (offer "See my result")."""
    number: int
    """1-based number of ``step`` among the main questions, those everyone answers; a follow-up shares the number
    of the main question it follows (total + 1 when complete)."""
    total: int
    """How many main questions there are. It never changes while answering: a count that grew with every follow-up
    an answer opened (12, 13, 14...) discouraged members and contradicted "about three minutes"."""
    answers: Answers
    can_go_back: bool
    resumed: bool = False
    follow_up: bool = False
    """``step`` is a follow-up (asked only after certain answers), numbered with the question it follows."""

    @property
    def counter(self) -> str:
        """Where the member is, as the screens say it: "question 4 of 11", "question 3 of 11, a follow-up"."""
        follow_up = ", a follow-up" if self.follow_up else ""
        return f"question {min(self.number, self.total)} of {self.total}{follow_up}"

    @property
    def complete(self) -> bool:
        return self.step is None

    @property
    def current_value(self) -> str | None:
        return self.step.raw_value(self.answers) if self.step is not None else None


def _prune(
    answers: Answers, conditions: Sequence[tuple[str, Callable[[Answers], bool]]], check: CkScoreCheck | None
) -> Answers:
    current = answers
    for step_id, applies in conditions:
        if getattr(current, step_id) is not None and not applies(current):
            current = current.model_copy(update={step_id: None})
    score = current.step2ck_score
    if score is not None and check is not None and check(score, current.step2ck_period) is not None:
        current = _prune(current.model_copy(update={"step2ck_score": None, "step2ck_period": None}), conditions, check)
    return current


class Questionnaire:
    """The ordered steps, with navigation that respects which steps apply.

    ``ck_score_check`` (the passing-score history, ``PassingScore.problem``) is handed to ``Answers`` validation, so
    a Step 2 CK score below the passing score is refused with a message saying so.
    """

    def __init__(self, steps: Sequence[Step], ck_score_check: CkScoreCheck | None = None) -> None:
        ids = [s.id for s in steps]
        if len(set(ids)) != len(ids):
            raise ValueError("step ids must be unique")
        self.steps: tuple[Step, ...] = tuple(steps)
        self._index = {s.id: i for i, s in enumerate(self.steps)}
        self._ck_score_check = ck_score_check

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def get(self, step_id: str) -> Step | None:
        index = self._index.get(step_id)
        return self.steps[index] if index is not None else None

    def position(self, step_id: str) -> int:
        """Where a step sits in the questionnaire (0-based), for comparing two steps."""
        return self._index[step_id]

    def prune(self, answers: Answers) -> Answers:
        """Clear answers to steps that no longer apply (e.g. the CK score after CK was changed to "not started"),
        and a passed CK score below the passing score (stored before the check existed): it is asked again."""
        return _prune(answers, [(step.id, step.applies) for step in self.steps], self._ck_score_check)

    def applicable(self, answers: Answers) -> list[Step]:
        return [s for s in self.steps if s.applies(answers)]

    def first_open(self, answers: Answers) -> Step | None:
        return next((s for s in self.applicable(answers) if getattr(answers, s.id) is None), None)

    def is_complete(self, answers: Answers) -> bool:
        return self.first_open(answers) is None

    def next_after(self, step_id: str, answers: Answers) -> Step | None:
        """The next applicable step after ``step_id`` (answered or not, so going forward after "back" revisits
        later answers), or the first unanswered one if the end is reached with gaps, else None."""
        start = self._index[step_id] + 1
        following = next((s for s in self.steps[start:] if s.applies(answers)), None)
        return following or self.first_open(answers)

    def previous_before(self, step_id: str | None, answers: Answers) -> Step | None:
        end = len(self.steps) if step_id is None else self._index[step_id]
        return next((s for s in reversed(self.steps[:end]) if s.applies(answers)), None)

    def with_answer(self, answers: Answers, step_id: str, raw: str | int) -> Answers:
        """Record one answer (validated by the step, then by the model) and prune what it made irrelevant."""
        step = self.get(step_id)
        if step is None:
            raise UserInputError("That question is not part of the assessment any more. Start again with /readiness.")
        if not step.applies(answers):
            raise UserInputError("That question does not apply to your earlier answers. Use Back to change them.")
        value = step.parse(raw)
        data = {**answers.model_dump(), step_id: value}
        if step_id == "step2ck_score" and value != answers.step2ck_score:
            data["step2ck_period"] = None  # when the exam was taken is asked again for a new score if needed
        context = {CK_SCORE_CHECK: self._ck_score_check} if self._ck_score_check is not None else None
        try:
            updated = Answers.model_validate(data, context=context)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            if first["type"] == "value_error":
                # The model's own checks (a passed score below the passing score) say what to do.
                raise UserInputError(str(first["msg"]).removeprefix("Value error, ")) from exc
            raise UserInputError(  # pragma: no cover - steps only offer values the fields accept
                "That answer could not be saved. Please pick one of the options shown."
            ) from exc
        return self.prune(updated)

    def progress(self, answers: Answers, step: Step | None, *, resumed: bool = False) -> Progress:
        # Counted over the main questions only, so the total stays the same whatever the answers open or close.
        main = [s for s in self.steps if s.applies is _always]
        if step is None:
            number = len(main) + 1
        else:
            number = max(1, sum(1 for s in main if self._index[s.id] <= self._index[step.id]))
        back = self.previous_before(None if step is None else step.id, answers) is not None
        follow_up = step is not None and step.applies is not _always
        return Progress(step, number, len(main), answers, can_go_back=back, resumed=resumed, follow_up=follow_up)


# -- the questions --------------------------------------------------------------------------------------------
# The words of every question are in data/readiness/questionnaire.yaml (``wording``). Here are the rules: which
# questions exist and in which order, the options each offers, the number ranges, and when a follow-up applies.

_MATCH_YEAR_FIELDS = frozenset({"year", "month", "day"})
_PERIOD_FIELDS = frozenset({"score", "period"})

QUESTIONS: tuple[StepSpec, ...] = (
    StepSpec(
        "target_match",
        options=(UNDECIDED,),
        texts={
            name: _MATCH_YEAR_FIELDS
            for name in (
                "upcoming_label",
                "upcoming_description",
                "projected_description",
                "submitted_label",
                "submitted_description",
            )
        },
    ),
    # Fixed options are shown in the order of their enum.
    StepSpec("step1", options=tuple(ExamStatus)),
    StepSpec("step2ck", options=tuple(ExamStatus)),
    StepSpec("step2ck_score"),
    StepSpec("step2ck_period", fields=_PERIOD_FIELDS, texts={"period_label": _PERIOD_FIELDS | {"Period"}}),
    StepSpec(
        "specialty",
        options=(OTHER_SPECIALTY, UNDECIDED),
        fields=frozenset({"applicants", "cycle"}),
        texts={"specialty_description": frozenset({"name", "mean", "median", "applicants", "cycle"})},
    ),
    StepSpec("pathway", options=tuple(PathwayStatus)),
    StepSpec("oet", options=tuple(OetStatus)),
    StepSpec("graduation_year", fields=frozenset({"example_year"})),
    StepSpec("usce_months"),
    StepSpec("usce_kind", options=tuple(UsceKind)),
    StepSpec("us_letters", options=("0", "1", "2", "3", "4")),
    StepSpec("personal_statement", options=tuple(StatementStatus)),
    StepSpec("consistency", options=tuple(ConsistencyStatus)),
    StepSpec("visa", options=tuple(VisaPlan)),
    StepSpec("step3", options=tuple(Step3Status)),
    StepSpec("mentor", options=tuple(MentorStatus)),
)
"""Every question in the order asked, with the options and placeholders its words must have."""


def load_questionnaire_words_from_data_dir(data_dir: Path) -> QuestionnaireWords:
    """The words of ``QUESTIONS`` from ``data_dir / "readiness/questionnaire.yaml"``; DataFileError on bad data."""
    return load_questionnaire_words(data_dir / QUESTIONNAIRE_FILE, QUESTIONS)


def _conditions(passing: PassingScore) -> dict[str, Callable[[Answers], bool]]:
    """When each follow-up question applies (every other question always does); each looks at earlier answers only."""
    return {
        "step2ck_score": lambda a: a.step2ck is not None and a.step2ck.is_passed,
        # The period matters only for a passed score below today's passing score (it was lower before).
        "step2ck_period": lambda a: (
            a.step2ck is not None
            and a.step2ck.is_passed
            and a.step2ck_score is not None
            and a.step2ck_score < passing.score
        ),
        "oet": lambda a: a.pathway in (PathwayStatus.APPLIED, PathwayStatus.NOT_APPLIED),
        "usce_kind": lambda a: a.usce_months is not None and a.usce_months > 0,
        "step3": lambda a: a.visa in (VisaPlan.H1B, VisaPlan.UNSURE),
    }


def _full_year(number: int, latest: int) -> int | None:
    """A year typed with two digits as the full year: "21" is 2021, "95" is 1995 (2095 is after ``latest``)."""
    if not 0 <= number <= 99:
        return None
    return 2000 + number if 2000 + number <= latest else 1900 + number


def _options(words: StepWords) -> tuple[Choice, ...]:
    """The fixed options of a question, labelled from the file, in the order ``QUESTIONS`` gives."""
    return tuple(Choice(value, label.format()) for value, label in words.options.items())


def _target_choices(words: StepWords, calendar: CycleCalendar, now: datetime) -> tuple[Choice, ...]:
    first = first_open_year(calendar, now)
    texts = words.texts
    choices = []
    for year in range(first, first + TARGET_YEARS_OFFERED):
        submission = milestone(calendar, year, MilestoneKind.ERAS_SUBMISSION_OPENS)
        day = submission.local_date
        values = {"year": year, "month": format_month(day), "day": format_day(day)}
        if submission.at <= now:
            label, description = texts["submitted_label"], texts["submitted_description"]
        else:
            label = texts["upcoming_label"]
            official = submission.status is MilestoneStatus.OFFICIAL
            description = texts["upcoming_description" if official else "projected_description"]
        choices.append(Choice(str(year), label.format(**values), description.format(**values)))
    return (*choices, *_options(words))


def _specialty_choices(words: StepWords, specialties: SpecialtyTable) -> tuple[Choice, ...]:
    describe = words.texts["specialty_description"]
    choices = [
        Choice(
            s.id,
            s.name,
            describe.format(
                name=s.name,
                mean=s.matched.mean,
                median=s.matched.median,
                applicants=specialties.applicants,
                cycle=specialties.cycle,
            ),
        )
        for s in specialties
    ]
    return (*choices, *_options(words))


def _period_choices(words: StepWords, passing: PassingScore) -> tuple[Choice, ...]:
    label = words.texts["period_label"]
    return tuple(
        Choice(m.key, label.format(Period=f"{m.period[0].upper()}{m.period[1:]}", period=m.period, score=m.score))
        for m in passing.marks
    )


def build_questionnaire(
    specialties: SpecialtyTable, calendar: CycleCalendar, now: datetime, words: QuestionnaireWords
) -> Questionnaire:
    """The questions as they stand at ``now`` (the Match years offered and the graduation-year range move), worded
    by ``words`` (checked against ``QUESTIONS`` when loaded)."""
    today = local_today(now)
    passing = specialties.passing_score
    applies = _conditions(passing)
    # Values for the {placeholders} of each question's title, prompt and placeholder.
    fields: dict[str, dict[str, object]] = {
        "step2ck_period": {"score": passing.score, "period": passing.current.period},
        "specialty": {"applicants": specialties.applicants, "cycle": specialties.cycle},
        "graduation_year": {"example_year": today.year - 2},
    }
    generated = {
        "target_match": _target_choices(words["target_match"], calendar, now),
        "step2ck_period": _period_choices(words["step2ck_period"], passing),
        "specialty": _specialty_choices(words["specialty"], specialties),
    }
    # The questions answered with a number, and its range; every other question is answered by picking an option.
    ranges = {
        "step2ck_score": (1, 300),
        "graduation_year": (1950, today.year + 6),
        "usce_months": (0, 60),
    }
    latest_year = ranges["graduation_year"][1]
    suggestions: dict[str, Callable[[int], int | None]] = {
        "graduation_year": lambda number: _full_year(number, latest_year),
    }
    steps = []
    for spec in QUESTIONS:
        worded, values = words[spec.id], fields.get(spec.id, {})
        minimum, maximum = ranges.get(spec.id, (None, None))
        steps.append(
            Step(
                spec.id,
                worded.title.format(**values),
                worded.prompt.format(**values),
                StepKind.CHOICE if minimum is None else StepKind.NUMBER,
                () if minimum is not None else generated.get(spec.id) or _options(worded),
                minimum=minimum,
                maximum=maximum,
                placeholder=worded.placeholder.format(**values),
                applies=applies.get(spec.id, _always),
                suggest=suggestions.get(spec.id),
            )
        )
    return Questionnaire(steps, passing.problem)


def prune_answers(answers: Answers, passing: PassingScore) -> Answers:
    """``Questionnaire.prune`` without the words: what ``evaluate`` needs, so scoring does not depend on wording."""
    applies = _conditions(passing)
    return _prune(answers, [(spec.id, applies.get(spec.id, _always)) for spec in QUESTIONS], passing.problem)


# -- the rules ------------------------------------------------------------------------------------------------


def _exam_plan(status: ExamStatus, today: date) -> ExamPlan:
    """An exam status as a plan for the timing check (the assessment asks no exam month)."""
    if status.is_passed:
        return ExamPlan.done()
    if status is ExamStatus.SCHEDULED:
        return ExamPlan.planned(add_months(today, _SCHEDULED_MONTHS))
    if status in (ExamStatus.PREPARING, ExamStatus.FAILED):
        return ExamPlan.planned(add_months(today, _PREPARING_MONTHS))
    return ExamPlan.none()


def _timing(answers: Answers, now: datetime, calendar: CycleCalendar) -> AreaResult | None:
    if answers.target_match is None or answers.step1 is None or answers.step2ck is None:
        return None
    today = local_today(now)
    step1, step2ck = _exam_plan(answers.step1, today), _exam_plan(answers.step2ck, today)
    earliest = earliest_realistic_year(calendar, now, step1, step2ck)
    suggestion = f"Match {earliest}" if earliest is not None else "a later Match"
    if answers.target_match == UNDECIDED:
        return AreaResult(
            Area.TIMING,
            AreaStatus.NEEDS_WORK,
            f"You have not chosen a target Match. With your exams as they are, the earliest realistic one is "
            f"{suggestion}.",
            "Run /timeline for that year to see every step and date, then decide.",
            "timeline-planning",
        )
    year = int(answers.target_match)
    first = first_open_year(calendar, now)
    if year < first:
        return AreaResult(
            Area.TIMING,
            AreaStatus.RED_FLAG,
            f"Match {year} can no longer be entered: its rank order list deadline has passed.",
            f"Aim for Match {first} or later; /timeline shows the dates.",
            "timeline-planning",
        )
    submission = milestone(calendar, year, MilestoneKind.ERAS_SUBMISSION_OPENS)
    rol = milestone(calendar, year, MilestoneKind.ROL_DEADLINE)
    outlook = exam_outlook(today, step1, step2ck)
    if submission.at <= now:
        # Mid-cycle: applications are in; what still counts is ECFMG reporting both exams by the ROL deadline.
        if outlook.results_by <= rol.local_date:
            return AreaResult(
                Area.TIMING,
                AreaStatus.READY,
                f"You are in the Match {year} cycle, and your exams can be reported before the rank order list "
                f"deadline ({format_day(rol.local_date)}).",
                f"Run /timeline match_year:{year} for the dates still ahead: ranking, Match Week, SOAP.",
                "rol-deadline",
            )
        return AreaResult(
            Area.TIMING,
            AreaStatus.RED_FLAG,
            f"Your exams would not be passed and reported before the Match {year} rank order list deadline "
            f"({format_day(rol.local_date)}), so you would be withdrawn from that Match.",
            f"Plan for {suggestion} instead; /timeline shows the steps.",
            "ecfmg-verification-for-match",
        )
    submission_text = format_day(submission.local_date)
    too_late = outlook.results_by > submission.local_date
    too_tight = no_exam_taken(step1, step2ck) and add_months(today, COMPRESSED_MONTHS) > submission.local_date
    if too_late or too_tight:
        why = (
            "both exam results would not be in by then"
            if too_late
            else f"that is less than {COMPRESSED_MONTHS} months away with no exam passed yet"
        )
        return AreaResult(
            Area.TIMING,
            AreaStatus.RED_FLAG,
            f"Your exam plan cannot reach ERAS submission day for Match {year} ({submission_text}): {why}.",
            f"Aim for {suggestion}, or move your exams earlier if you can. /timeline plans either.",
            "step-2-ck-timing",
        )
    return AreaResult(
        Area.TIMING,
        AreaStatus.READY,
        f"Your exam plan fits Match {year}: both results can be in before ERAS submission day ({submission_text}).",
        f"Run /timeline match_year:{year} to get every date, and add it to your calendar.",
        "timeline-planning",
    )


def _usmle(answers: Answers) -> AreaResult | None:
    step1, step2ck = answers.step1, answers.step2ck
    if step1 is None or step2ck is None:
        return None
    failed = [name for name, s in (("Step 1", step1), ("Step 2 CK", step2ck)) if s is ExamStatus.FAILED]
    if failed:
        exam = " and ".join(failed)
        return AreaResult(
            Area.USMLE,
            AreaStatus.RED_FLAG,
            f"You have a failed attempt on {exam} and have not passed it yet.",
            "Retake it only when your practice exams show you are ready: programs see every attempt, and USMLE "
            "allows 4 per Step.",
            "usmle-attempts",
        )
    retaken = [name for name, s in (("Step 1", step1), ("Step 2 CK", step2ck)) if s is ExamStatus.PASSED_AFTER_FAIL]
    if retaken and step1.is_passed and step2ck.is_passed:
        # A failure is a red flag (pathway-facts.md, section 10) even once passed: every transcript, the one ERAS
        # sends included, shows it next to the pass. It cannot be undone, only explained (``lasting``).
        return AreaResult(
            Area.USMLE,
            AreaStatus.RED_FLAG,
            f"Both exams are passed, but your USMLE transcript shows the failed attempt on {' and '.join(retaken)}.",
            "Check each program's rule on attempts before you apply, and prepare two honest sentences: what happened "
            "and what changed.",
            "usmle-attempts",
            lasting=True,
        )
    if step1.is_passed and step2ck.is_passed:
        return AreaResult(
            Area.USMLE,
            AreaStatus.READY,
            "Step 1 and Step 2 CK are both passed.",
            "Release your USMLE transcript to programs in ERAS when you apply.",
            "usmle-transcript",
        )
    if not step1.is_passed:
        return AreaResult(
            Area.USMLE,
            AreaStatus.NEEDS_WORK,
            "Step 1 is not passed yet.",
            "Book Step 1 when your practice exams show you are ready; Step 2 CK usually follows it.",
            "step-1",
        )
    return AreaResult(
        Area.USMLE,
        AreaStatus.NEEDS_WORK,
        "Step 1 is passed; Step 2 CK is not yet.",
        "Plan Step 2 CK so its score is out before ERAS submission day.",
        "step-2-ck-timing",
    )


def _score(answers: Answers, specialties: SpecialtyTable) -> AreaResult | None:
    score, choice = answers.step2ck_score, answers.specialty
    if score is None or choice is None:
        return None
    cycle = specialties.cycle
    specialty = specialties.get(choice)
    if specialty is None:
        low, high = specialties.matched_mean_range
        if choice == OTHER_SPECIALTY:
            return AreaResult(
                Area.SCORE,
                AreaStatus.NEEDS_WORK,
                f"Your Step 2 CK score is {score}. The bot has no {cycle} figures for your specialty.",
                "Look up the non-US IMG figures for your specialty in NRMP Charting Outcomes, as context.",
                "step-2-ck-scores",
            )
        return AreaResult(
            Area.SCORE,
            AreaStatus.NEEDS_WORK,
            f"Your Step 2 CK score is {score}, but you have not chosen a specialty. In {cycle}, matched non-US "
            f"IMGs averaged from about {low} to about {high}, depending on the specialty.",
            "Choose a first-choice specialty (and perhaps a backup) with the score table in mind.",
            "step-2-ck-scores",
        )
    matched, unmatched = specialty.matched.mean, specialty.unmatched.mean
    band = specialty.band(score)
    if band is ScoreBand.AT_OR_ABOVE_MATCHED:
        return AreaResult(
            Area.SCORE,
            AreaStatus.READY,
            f"Your {score} is at or above what matched non-US IMGs averaged in {specialty.name} in {cycle} "
            f"(about {matched}).",
            "Treat it as one strength, and still apply to a balanced list of programs.",
            "program-list-strategy",
        )
    # Below the matched mean: "below the usual range" for the specialty. Averages are context, never a cut-off, so
    # this is never a red flag (those are facts that block an application, such as a failed exam).
    finding = (
        f"Your {score} is below the usual range for {specialty.name}: matched non-US IMGs averaged about {matched} "
        f"in {cycle} (those who did not match: about {unmatched}). Averages are not cut-offs."
    )
    if band is ScoreBand.BELOW_MATCHED:
        return AreaResult(
            Area.SCORE,
            AreaStatus.NEEDS_WORK,
            finding,
            "Apply more widely, favour IMG-friendly programs, and make your US experience and letters strong.",
            "program-list-strategy",
        )
    return AreaResult(
        Area.SCORE,
        AreaStatus.NEEDS_WORK,
        finding,
        "Apply widely to IMG-friendly programs, think about a backup specialty, and strengthen the rest.",
        "step-2-ck-scores",
    )


def _ecfmg(answers: Answers, now: datetime, calendar: CycleCalendar) -> AreaResult | None:
    pathway = answers.pathway
    if pathway is None:
        return None
    if pathway.is_met:
        return AreaResult(
            Area.ECFMG,
            AreaStatus.READY,
            "Your clinical and communication skills requirement is met.",
            "Check in MyIntealth that ECFMG shows it as met, and keep your documents consistent.",
            "ecfmg-certification",
        )
    oet = answers.oet
    if oet is None:
        return None
    # Mid-cycle with nothing started: ECFMG must report the requirement to the NRMP by the ROL deadline.
    if isinstance(answers.target_match, int) and pathway is PathwayStatus.NOT_APPLIED and oet is not OetStatus.PASSED:
        year = answers.target_match
        submission = calendar.get(year, MilestoneKind.ERAS_SUBMISSION_OPENS)
        rol = calendar.get(year, MilestoneKind.ROL_DEADLINE)
        if submission is not None and rol is not None and submission.at <= now < rol.at:
            return AreaResult(
                Area.ECFMG,
                AreaStatus.RED_FLAG,
                f"For Match {year}, ECFMG must report your Pathway and OET to the NRMP by "
                f"{format_day(rol.local_date)}, and neither is done yet.",
                "Check today on the ECFMG website whether a Pathway application is still open, and book OET now.",
                "pathways-deadlines",
            )
    if pathway is PathwayStatus.APPLIED and oet is OetStatus.PASSED:
        return AreaResult(
            Area.ECFMG,
            AreaStatus.READY,
            "You have applied for your Pathway and passed OET Medicine; ECFMG is reviewing.",
            "Watch MyIntealth for requests from ECFMG and answer them quickly.",
            "ecfmg-pathways",
        )
    if oet is OetStatus.PASSED:
        return AreaResult(
            Area.ECFMG,
            AreaStatus.NEEDS_WORK,
            "OET Medicine is passed; the Pathway application is next.",
            "Find the Pathway that fits you and apply as soon as ECFMG opens the window.",
            "ecfmg-pathways",
        )
    waiting = "Your Pathway application still needs" if pathway is PathwayStatus.APPLIED else "You still need"
    return AreaResult(
        Area.ECFMG,
        AreaStatus.NEEDS_WORK,
        f"{waiting} a passing OET Medicine result.",
        "Book OET Medicine: you need 350 in listening, reading and speaking and 300 in writing, in one sitting.",
        "oet-medicine",
    )


def _usce(answers: Answers) -> AreaResult | None:
    months = answers.usce_months
    if months is None:
        return None
    if months == 0 or answers.usce_kind is UsceKind.RESEARCH:
        # Not a red flag: USCE is not a formal requirement of ECFMG or the NRMP (usce-overview), though many
        # programs expect it, so it needs work.
        finding = (
            "You have no US clinical experience yet. It is not a formal requirement, but many programs expect it."
            if months == 0
            else "You have US research, but no US clinical experience; many programs do not count research as it."
        )
        return AreaResult(
            Area.USCE,
            AreaStatus.NEEDS_WORK,
            finding,
            "Plan a hands-on US rotation (an externship, or a sub-internship while a student): it also brings US "
            "letters.",
            "finding-usce",
        )
    kind = answers.usce_kind
    if kind is None:
        return None
    if kind is UsceKind.OBSERVERSHIP:
        return AreaResult(
            Area.USCE,
            AreaStatus.NEEDS_WORK,
            f"You have {count(months, 'month')} of observership, but no hands-on US experience.",
            "Try to add hands-on experience (an externship or clinical work): programs value it more.",
            "usce-overview",
        )
    if months < USCE_TARGET_MONTHS:
        return AreaResult(
            Area.USCE,
            AreaStatus.NEEDS_WORK,
            f"You have {count(months, 'month')} of hands-on US experience.",
            f"Aim for about {USCE_TARGET_MONTHS} months in total, ideally in your specialty and where you can earn "
            "a letter.",
            "finding-usce",
        )
    return AreaResult(
        Area.USCE,
        AreaStatus.READY,
        f"You have {count(months, 'month')} of hands-on US clinical experience.",
        "Make sure it is listed with exact dates in ERAS, and that your supervisors can write letters.",
        "usce-overview",
    )


def _letters(answers: Answers) -> AreaResult | None:
    letters = answers.us_letters
    if letters is None:
        return None
    if letters >= 3:
        return AreaResult(
            Area.LETTERS,
            AreaStatus.READY,
            f"You have {'4 or more' if letters >= 4 else letters} letters from US physicians.",
            "Make sure your writers upload them through the AAMC letter portal before you submit.",
            "letter-portal",
        )
    if letters == 0:
        return AreaResult(
            Area.LETTERS,
            AreaStatus.NEEDS_WORK,
            "You have no letters from US physicians yet.",
            "US letters usually come from US clinical experience: ask your supervisors near the end of a rotation.",
            "letters-of-recommendation",
        )
    return AreaResult(
        Area.LETTERS,
        AreaStatus.NEEDS_WORK,
        f"You have {count(letters, 'letter')} from US physicians; many programs ask for three.",
        "Ask one more US physician who supervised your clinical work, ideally in your specialty.",
        "letters-of-recommendation",
    )


def _graduation(answers: Answers, now: datetime, calendar: CycleCalendar) -> AreaResult | None:
    year = answers.graduation_year
    if year is None:
        return None
    today = local_today(now)
    # Programs judge the gap when they read the application, so count to the September the member applies in.
    applying = today.year
    if isinstance(answers.target_match, int) and answers.target_match >= first_open_year(calendar, now):
        submission = milestone(calendar, answers.target_match, MilestoneKind.ERAS_SUBMISSION_OPENS)
        applying = max(applying, submission.local_date.year)
    gap = applying - year
    if gap <= RECENT_GRADUATE_YEARS:
        finding = (
            "You have not graduated yet, so your graduation will be recent when you apply."
            if year > today.year
            else f"You graduated in {year}, {count(max(gap, 0), 'year')} before you apply: programs see that as recent."
        )
        return AreaResult(
            Area.GRADUATION,
            AreaStatus.READY,
            finding,
            "Keep your clinical work current, and plan your exams so the gap does not grow.",
            "year-of-graduation",
        )
    if gap <= OLD_GRADUATE_YEARS:
        return AreaResult(
            Area.GRADUATION,
            AreaStatus.NEEDS_WORK,
            f"You graduated in {year}: {gap} years before you apply in {applying}.",
            "Some programs limit years since graduation: check each program's rule on FREIDA and its website.",
            "year-of-graduation",
        )
    return AreaResult(
        Area.GRADUATION,
        AreaStatus.RED_FLAG,
        f"You graduated in {year}: {gap} years before you apply in {applying}. That is past the limit some programs "
        f"state (often 3 or {OLD_GRADUATE_YEARS} years). It is a challenge, not a ban: many programs have no limit.",
        "Target programs without a graduation-year limit (check FREIDA and each website), and show recent clinical "
        "work.",
        "year-of-graduation",
        lasting=True,
    )


def _statement(answers: Answers) -> AreaResult | None:
    status = answers.personal_statement
    if status is None:
        return None
    if status is StatementStatus.REVIEWED:
        return AreaResult(
            Area.STATEMENT,
            AreaStatus.READY,
            "Your personal statement is written and reviewed.",
            "Write a separate version for each specialty you apply to, and check every name in it.",
            "personal-statement",
        )
    if status is StatementStatus.DRAFT:
        return AreaResult(
            Area.STATEMENT,
            AreaStatus.NEEDS_WORK,
            "Your personal statement is drafted but nobody has reviewed it.",
            "Ask two people to review it, including someone who knows US residency.",
            "personal-statement",
        )
    return AreaResult(
        Area.STATEMENT,
        AreaStatus.NEEDS_WORK,
        "You have not started your personal statement.",
        "Write a first draft weeks before the ERAS season: one or two real stories and why this specialty.",
        "personal-statement",
    )


def _consistency(answers: Answers) -> AreaResult | None:
    status = answers.consistency
    if status is None:
        return None
    if status is ConsistencyStatus.CHECKED:
        return AreaResult(
            Area.CONSISTENCY,
            AreaStatus.READY,
            "You have checked that your documents agree.",
            "Check again after every change: a new job, a new letter, or a corrected date.",
            "cv-and-experiences",
        )
    if status is ConsistencyStatus.DIFFERENCES:
        return AreaResult(
            Area.CONSISTENCY,
            AreaStatus.NEEDS_WORK,
            "Some of your documents do not agree yet.",
            "Fix names and dates before you submit; ask ECFMG how to correct your name if it differs there.",
            "credential-verification",
        )
    return AreaResult(
        Area.CONSISTENCY,
        AreaStatus.NEEDS_WORK,
        "You have not checked whether your documents agree.",
        "Compare your name, dates and roles in MyIntealth, ERAS, your CV, letters and passport line by line.",
        "cv-and-experiences",
    )


def _visa(answers: Answers) -> AreaResult | None:
    visa = answers.visa
    if visa is None:
        return None
    if visa is VisaPlan.NONE_NEEDED:
        return AreaResult(
            Area.VISA,
            AreaStatus.READY,
            "You do not need a visa, which widens the programs open to you.",
            "State your citizenship or permanent residency clearly in ERAS.",
            "visa-overview",
        )
    if visa is VisaPlan.J1:
        return AreaResult(
            Area.VISA,
            AreaStatus.READY,
            "You plan a J-1 through ECFMG, the usual route for residency; it comes with a two-year home rule.",
            "Ask your home health ministry early about the Statement of Need a J-1 requires.",
            "j1-visa",
        )
    step3 = answers.step3
    if step3 is None:
        return None
    if visa is VisaPlan.UNSURE:
        extra = " With Step 3 passed, H-1B programs are open to you too." if step3 is Step3Status.PASSED else ""
        return AreaResult(
            Area.VISA,
            AreaStatus.NEEDS_WORK,
            f"You have not chosen between a J-1 and an H-1B.{extra}",
            "Read how the J-1 and H-1B differ; your choice decides which programs fit you.",
            "visa-overview",
        )
    if step3 is Step3Status.PASSED:
        return AreaResult(
            Area.VISA,
            AreaStatus.READY,
            "You want an H-1B and have passed Step 3, the exam an H-1B needs.",
            "Apply to programs that really sponsor H-1B, and confirm the details with them and an attorney.",
            "h1b-visa",
        )
    if step3 is Step3Status.SCHEDULED:
        return AreaResult(
            Area.VISA,
            AreaStatus.NEEDS_WORK,
            "You want an H-1B, which needs Step 3 passed; yours is still ahead.",
            "Pass Step 3 before your programs' deadlines (some want it by Match Day), and apply to J-1 programs too.",
            "step-3",
        )
    return AreaResult(
        Area.VISA,
        AreaStatus.RED_FLAG,
        "You want an H-1B but have not taken Step 3. An H-1B for residency needs all three Steps passed.",
        "Plan Step 3 soon after ECFMG certification (it needs it), or include J-1 programs in your list.",
        "h1b-visa",
    )


def _mentor(answers: Answers) -> AreaResult | None:
    status = answers.mentor
    if status is None:
        return None
    if status is MentorStatus.YES:
        return AreaResult(
            Area.MENTOR,
            AreaStatus.READY,
            "You have a mentor who knows the Match.",
            "Book a rank list review with them in February, well before the deadline.",
            "rank-order-list",
        )
    if status is MentorStatus.INFORMAL:
        return AreaResult(
            Area.MENTOR,
            AreaStatus.NEEDS_WORK,
            "You have someone to ask, but not a mentor who will review your rank list.",
            "Ask them directly to look at your rank list before the deadline, or find a resident who matched.",
            "networking-mentors",
        )
    return AreaResult(
        Area.MENTOR,
        AreaStatus.NEEDS_WORK,
        "You have no mentor for your rank list yet.",
        "Reach out to graduates of your school in US residency, or to people in this server one year ahead.",
        "networking-mentors",
    )


def _overall(areas: Sequence[AreaResult]) -> OverallLevel:
    if any(a.status is AreaStatus.RED_FLAG for a in areas):
        return OverallLevel.AT_RISK
    if sum(a.status is AreaStatus.NEEDS_WORK for a in areas) > ON_TRACK_MAX_NEEDS_WORK:
        return OverallLevel.NEEDS_WORK
    return OverallLevel.ON_TRACK


def _context(answers: Answers, specialties: SpecialtyTable) -> tuple[str, ...]:
    lines = []
    if answers.step2ck is not None:
        passing = specialties.passing_score
        before = f" (it was {passing.previous} before)" if passing.previous is not None else ""
        lines.append(
            f"The Step 2 CK passing score is {passing.score} for exams from {format_day(passing.since)}{before}; "
            f"check [usmle.org]({passing.source_url}) for the current figure."
        )
    specialty = specialties.get(answers.specialty or "")
    if specialty is not None:
        lines.append(
            f"{specialty.name}, {specialties.cycle}: matched {specialties.applicants} averaged about "
            f"{specialty.matched.mean} on Step 2 CK (median {specialty.matched.median}); those who did not match "
            f"about {specialty.unmatched.mean}. Their match rate was {specialty.match_rate:g}%."
        )
        if specialty.note:
            lines.append(specialty.note)
    if answers.step2ck_score is not None or specialty is not None:
        lines.append(
            f"Score figures: NRMP Charting Outcomes, {specialties.applicants}, {specialties.cycle}. They are "
            "averages, not cut-offs: many applicants matched below them."
        )
    return tuple(lines)


def evaluate(answers: Answers, specialties: SpecialtyTable, now: datetime, calendar: CycleCalendar) -> AssessmentResult:
    """The result for the answers given so far: one area per group of answered questions, red flags first.

    Answers to follow-up questions that no longer apply are ignored (e.g. a CK score after CK was changed to
    "not started"). Areas whose questions are unanswered are left out.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    answers = prune_answers(answers, specialties.passing_score)
    found = [
        _timing(answers, now, calendar),
        _usmle(answers),
        _score(answers, specialties),
        _ecfmg(answers, now, calendar),
        _usce(answers),
        _letters(answers),
        _graduation(answers, now, calendar),
        _statement(answers),
        _consistency(answers),
        _visa(answers),
        _mentor(answers),
    ]
    areas = sorted((a for a in found if a is not None), key=lambda a: (a.status.rank, a.area.order))
    target = answers.target_match if isinstance(answers.target_match, int) else None
    return AssessmentResult(
        overall=_overall(areas),
        areas=tuple(areas),
        evaluated_at=now,
        target_match=target,
        context=_context(answers, specialties),
    )


ENTRY_IDS: frozenset[str] = frozenset(
    {
        "timeline-planning",
        "rol-deadline",
        "ecfmg-verification-for-match",
        "step-2-ck-timing",
        "step-1",
        "usmle-attempts",
        "usmle-transcript",
        "step-2-ck-scores",
        "program-list-strategy",
        "ecfmg-certification",
        "pathways-deadlines",
        "ecfmg-pathways",
        "oet-medicine",
        "finding-usce",
        "usce-overview",
        "letter-portal",
        "letters-of-recommendation",
        "year-of-graduation",
        "personal-statement",
        "cv-and-experiences",
        "credential-verification",
        "visa-overview",
        "j1-visa",
        "h1b-visa",
        "step-3",
        "rank-order-list",
        "networking-mentors",
    }
)
"""Every entry id an ``AreaResult`` can carry; the tests check each exists in data/knowledge and that every
evaluated result uses only these."""
