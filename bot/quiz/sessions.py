"""Quiz sessions as pure state machines: no Discord, no database, no clock (every method is given ``now``).

``SoloQuiz`` runs one person's quiz (and review), ``GroupQuiz`` a timed quiz for everyone in a channel. Both turn
into plain JSON (``to_state``) and back (``from_state``), which is how a running quiz survives a bot restart: the
options of each question are shuffled from the quiz's seed, so the restored quiz shows exactly what it showed before.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.db.timestamps import as_utc, from_db, to_db
from bot.knowledge.models import Stage
from bot.quiz.bank import QuestionBank, shuffle_options
from bot.quiz.models import Difficulty, Question
from bot.quiz.scoring import accuracy, competition_ranks, group_points, remaining_fraction

log = logging.getLogger(__name__)

STATE_VERSION = 1
SOLO_IDLE_TIMEOUT = dt.timedelta(minutes=30)
GROUP_QUESTION_TIME = dt.timedelta(seconds=30)
# How long a group quiz may sit with a question past its deadline (or with no question open) before it counts as
# abandoned: long enough to ride out a bot restart, short enough that the channel is soon free for a new quiz.
GROUP_GRACE = dt.timedelta(minutes=10)
# A group quiz ends early after this many questions in a row that nobody answered.
GROUP_EMPTY_LIMIT = 2
# In a review, a question answered wrongly comes back at the end of the queue, up to this many tries in all.
REVIEW_MAX_TRIES = 3


class QuizStateError(Exception):
    """An action that does not fit the quiz's current state (the cog turns these into a short notice)."""


class QuizFinishedError(QuizStateError):
    pass


class StaleQuestionError(QuizStateError):
    """The answer is for a question other than the current one (an old button was clicked)."""


class QuestionClosedError(QuizStateError):
    """No question is open for answers (time is up, or the next question has not been posted yet)."""


class SessionStateError(ValueError):
    """Stored state that cannot be turned back into a session (corrupt, or from an incompatible version)."""


# -- values handed to the cog --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PresentedQuestion:
    """A question as one quiz shows it: options in this quiz's order, numbered from 1."""

    question_id: str
    number: int
    total: int
    topic: Stage
    difficulty: Difficulty
    text: str
    options: tuple[str, ...]
    entry: str


@dataclass(frozen=True)
class Feedback:
    """What a solo player sees right after answering."""

    question_id: str
    topic: Stage
    correct: bool
    chosen_index: int
    chosen_option: str
    correct_index: int
    correct_option: str
    explanation: str
    entry: str
    source: str


@dataclass(frozen=True)
class TopicResult:
    """One topic in a summary: how it went, and the entries to read for the questions missed."""

    topic: Stage
    correct: int
    total: int
    entries: tuple[str, ...]

    @property
    def accuracy(self) -> float:
        return accuracy(self.correct, self.total)


@dataclass(frozen=True)
class SoloSummary:
    review: bool
    correct: int
    answered: int
    planned: int
    finished: bool
    weakest: tuple[TopicResult, ...]
    cleared: tuple[str, ...] = ()
    still_wrong: tuple[str, ...] = ()

    @property
    def percent(self) -> int:
        return round(100 * accuracy(self.correct, self.answered))


@dataclass(frozen=True)
class SoloAnswer:
    question_id: str
    topic: Stage
    entry: str
    position: int
    choice: int
    correct: bool
    answered_at: dt.datetime


def _present(question: Question, seed: int, position: int, total: int) -> PresentedQuestion:
    shuffled = shuffle_options(question, seed, position)
    return PresentedQuestion(
        question_id=question.id,
        number=position + 1,
        total=total,
        topic=question.topic,
        difficulty=question.difficulty,
        text=question.question,
        options=shuffled.options,
        entry=question.entry,
    )


def weakest_topics(answers: Sequence[SoloAnswer], limit: int = 3) -> tuple[TopicResult, ...]:
    """Topics with at least one wrong answer, weakest first (lowest accuracy, then most misses, then pathway order)."""
    totals: dict[Stage, list[int]] = {}
    entries: dict[Stage, list[str]] = {}
    for answer in answers:
        counts = totals.setdefault(answer.topic, [0, 0])
        counts[1] += 1
        if answer.correct:
            counts[0] += 1
        elif answer.entry not in entries.setdefault(answer.topic, []):
            entries[answer.topic].append(answer.entry)
    results = [
        TopicResult(topic, correct, total, tuple(entries.get(topic, ())))
        for topic, (correct, total) in totals.items()
        if correct < total
    ]
    results.sort(key=lambda r: (r.accuracy, -(r.total - r.correct), r.topic.order))
    return tuple(results[:limit])


# -- solo ----------------------------------------------------------------------------------------------------------


@dataclass
class SoloQuiz:
    """One person's quiz: one question at a time, feedback after each answer.

    In a review (``review=True``) a question answered wrongly goes back to the end of the queue, up to
    ``REVIEW_MAX_TRIES`` tries, so the review goes on "until you get them right" but still ends.
    """

    queue: list[Question]
    seed: int
    started_at: dt.datetime
    last_activity_at: dt.datetime
    review: bool = False
    idle_timeout: dt.timedelta = SOLO_IDLE_TIMEOUT
    answers: list[SoloAnswer] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        questions: Sequence[Question],
        *,
        seed: int,
        now: dt.datetime,
        review: bool = False,
        idle_timeout: dt.timedelta = SOLO_IDLE_TIMEOUT,
    ) -> SoloQuiz:
        if not questions:
            raise ValueError("a quiz needs at least one question")
        now = as_utc(now)
        return cls(list(questions), seed, now, now, review, idle_timeout)

    @property
    def total(self) -> int:
        return len(self.queue)

    @property
    def position(self) -> int:
        return len(self.answers)

    @property
    def finished(self) -> bool:
        return self.position >= len(self.queue)

    @property
    def correct_count(self) -> int:
        return sum(1 for a in self.answers if a.correct)

    @property
    def current(self) -> PresentedQuestion | None:
        if self.finished:
            return None
        return _present(self.queue[self.position], self.seed, self.position, self.total)

    def answer(self, index: int, now: dt.datetime, *, number: int | None = None) -> Feedback:
        """Answer the current question with the option at ``index`` (as shown); ``number`` guards old buttons."""
        now = as_utc(now)
        if self.finished:
            raise QuizFinishedError("this quiz is already finished")
        if number is not None and number != self.position + 1:
            raise StaleQuestionError(f"question {number} is not the current question ({self.position + 1})")
        question = self.queue[self.position]
        shuffled = shuffle_options(question, self.seed, self.position)
        if not 0 <= index < len(shuffled.options):
            raise ValueError(f"option index {index} is out of range")
        correct = index == shuffled.correct_index
        self.answers.append(SoloAnswer(question.id, question.topic, question.entry, self.position, index, correct, now))
        self.last_activity_at = now
        if self.review and not correct and self._tries(question.id) < REVIEW_MAX_TRIES:
            self.queue.append(question)
        return Feedback(
            question_id=question.id,
            topic=question.topic,
            correct=correct,
            chosen_index=index,
            chosen_option=shuffled.options[index],
            correct_index=shuffled.correct_index,
            correct_option=question.answer,
            explanation=question.explanation,
            entry=question.entry,
            source=question.source,
        )

    def _tries(self, question_id: str) -> int:
        return sum(1 for a in self.answers if a.question_id == question_id)

    def weakest_topics(self, limit: int = 3) -> tuple[TopicResult, ...]:
        return weakest_topics(self.answers, limit)

    def summary(self) -> SoloSummary:
        right = {a.question_id for a in self.answers if a.correct}
        asked: list[str] = []
        for answer in self.answers:
            if answer.question_id not in asked:
                asked.append(answer.question_id)
        distinct = len({q.id for q in self.queue})
        return SoloSummary(
            review=self.review,
            correct=self.correct_count,
            answered=self.position,
            planned=distinct if self.review else self.total,
            finished=self.finished,
            weakest=self.weakest_topics(),
            cleared=tuple(q for q in asked if q in right) if self.review else (),
            still_wrong=tuple(q for q in asked if q not in right) if self.review else (),
        )

    def is_expired(self, now: dt.datetime) -> bool:
        """True when the quiz is unfinished and nobody answered for ``idle_timeout``."""
        return not self.finished and as_utc(now) - self.last_activity_at >= self.idle_timeout

    def to_state(self) -> dict[str, Any]:
        return {
            "v": STATE_VERSION,
            "kind": "review" if self.review else "solo",
            "seed": self.seed,
            "queue": [q.id for q in self.queue],
            "started_at": to_db(self.started_at),
            "last_activity_at": to_db(self.last_activity_at),
            "idle_timeout": self.idle_timeout.total_seconds(),
            "answers": [
                {
                    "q": a.question_id,
                    "topic": a.topic.value,
                    "entry": a.entry,
                    "pos": a.position,
                    "choice": a.choice,
                    "correct": a.correct,
                    "at": to_db(a.answered_at),
                }
                for a in self.answers
            ],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], bank: QuestionBank) -> SoloQuiz:
        """Rebuild a quiz; questions removed from the bank since are dropped if not yet answered."""
        try:
            if state.get("v") != STATE_VERSION or state.get("kind") not in {"solo", "review"}:
                raise SessionStateError(f"not a solo quiz state: {state.get('kind')!r} v{state.get('v')!r}")
            answers = [
                SoloAnswer(
                    str(a["q"]),
                    Stage(a["topic"]),
                    str(a["entry"]),
                    int(a["pos"]),
                    int(a["choice"]),
                    bool(a["correct"]),
                    from_db(a["at"]),
                )
                for a in state["answers"]
            ]
            queue: list[Question] = []
            for position, question_id in enumerate(state["queue"]):
                question = bank.get(question_id)
                if question is not None:
                    queue.append(question)
                elif position < len(answers):
                    raise SessionStateError(f"answered question {question_id!r} is no longer in the bank")
                else:
                    log.warning("dropping question %r from a restored quiz: no longer in the bank", question_id)
            return cls(
                queue=queue,
                seed=int(state["seed"]),
                started_at=from_db(state["started_at"]),
                last_activity_at=from_db(state["last_activity_at"]),
                review=state["kind"] == "review",
                idle_timeout=dt.timedelta(seconds=float(state["idle_timeout"])),
                answers=answers,
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, SessionStateError):
                raise
            raise SessionStateError(f"corrupt solo quiz state: {exc}") from exc


# -- group ---------------------------------------------------------------------------------------------------------


class GroupPhase(StrEnum):
    WAITING = "waiting"  # before the first question or between two questions
    OPEN = "open"  # a question is taking answers
    FINISHED = "finished"


@dataclass(frozen=True)
class GroupAnswer:
    member_id: int
    choice: int
    correct: bool
    points: int
    answered_at: dt.datetime


@dataclass(frozen=True)
class GroupAnswerReceipt:
    """The reply to one member's click: ``accepted`` is False when they had already answered (the first one stays)."""

    accepted: bool
    chosen_index: int
    chosen_option: str
    number: int


@dataclass(frozen=True)
class Standing:
    rank: int
    member_id: int
    points: int
    correct: int
    answered: int


@dataclass(frozen=True)
class QuestionOutcome:
    """What the channel sees when a question closes."""

    question: PresentedQuestion
    correct_index: int
    correct_option: str
    explanation: str
    entry: str
    source: str
    answers: tuple[GroupAnswer, ...]
    standings: tuple[Standing, ...]
    finished: bool
    ended_early: bool

    @property
    def correct_members(self) -> tuple[int, ...]:
        """Members who answered correctly, fastest first."""
        return tuple(a.member_id for a in self.answers if a.correct)


@dataclass(frozen=True)
class GroupResults:
    standings: tuple[Standing, ...]
    asked: int
    planned: int
    ended_early: bool

    @property
    def winners(self) -> tuple[int, ...]:
        return tuple(s.member_id for s in self.standings if s.rank == 1 and s.points > 0)


@dataclass
class _MemberTotal:
    points: int = 0
    correct: int = 0
    answered: int = 0


@dataclass
class GroupQuiz:
    """A timed quiz for a channel: each question is open for ``question_time``; each member's first answer counts."""

    questions: list[Question]
    seed: int
    started_at: dt.datetime
    last_activity_at: dt.datetime
    question_time: dt.timedelta = GROUP_QUESTION_TIME
    grace: dt.timedelta = GROUP_GRACE
    index: int = -1
    opened_at: dt.datetime | None = None
    current_answers: dict[int, GroupAnswer] = field(default_factory=dict)
    totals: dict[int, _MemberTotal] = field(default_factory=dict)
    empty_streak: int = 0
    ended_early: bool = False
    asked: int = 0

    @classmethod
    def start(
        cls,
        questions: Sequence[Question],
        *,
        seed: int,
        now: dt.datetime,
        question_time: dt.timedelta = GROUP_QUESTION_TIME,
        grace: dt.timedelta = GROUP_GRACE,
    ) -> GroupQuiz:
        if not questions:
            raise ValueError("a quiz needs at least one question")
        if question_time <= dt.timedelta(0):
            raise ValueError("the question time must be positive")
        now = as_utc(now)
        return cls(list(questions), seed, now, now, question_time, grace)

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def phase(self) -> GroupPhase:
        if self.opened_at is not None:
            return GroupPhase.OPEN
        if self.ended_early or self.index >= len(self.questions) - 1:
            return GroupPhase.FINISHED
        return GroupPhase.WAITING

    @property
    def finished(self) -> bool:
        return self.phase is GroupPhase.FINISHED

    @property
    def deadline(self) -> dt.datetime | None:
        return None if self.opened_at is None else self.opened_at + self.question_time

    @property
    def current(self) -> PresentedQuestion | None:
        """The open question, or None between questions."""
        if self.opened_at is None:
            return None
        return _present(self.questions[self.index], self.seed, self.index, self.total)

    def open_next(self, now: dt.datetime) -> PresentedQuestion:
        now = as_utc(now)
        phase = self.phase
        if phase is GroupPhase.OPEN:
            raise QuizStateError("a question is still open; close it first")
        if phase is GroupPhase.FINISHED:
            raise QuizFinishedError("this quiz is already finished")
        self.index += 1
        self.opened_at = now
        self.current_answers = {}
        self.last_activity_at = now
        return _present(self.questions[self.index], self.seed, self.index, self.total)

    def restart_question(self, now: dt.datetime) -> PresentedQuestion:
        """Give the open question its whole time again from ``now`` (Discord held its post back for a while, so
        nobody could see it); answers already given stay."""
        if self.opened_at is None:
            raise QuestionClosedError("no question is open")
        now = as_utc(now)
        self.opened_at = now
        self.last_activity_at = now
        return _present(self.questions[self.index], self.seed, self.index, self.total)

    def answer(self, member_id: int, index: int, now: dt.datetime, *, number: int | None = None) -> GroupAnswerReceipt:
        """Record ``member_id``'s answer; a second answer to the same question is ignored (the first one stays)."""
        now = as_utc(now)
        if self.finished:
            raise QuizFinishedError("this quiz is already finished")
        if number is not None and number != self.index + 1:
            raise StaleQuestionError(f"question {number} is not the current question ({self.index + 1})")
        deadline = self.deadline
        if self.opened_at is None or deadline is None or now > deadline:
            raise QuestionClosedError("time is up for this question")
        question = self.questions[self.index]
        shuffled = shuffle_options(question, self.seed, self.index)
        if not 0 <= index < len(shuffled.options):
            raise ValueError(f"option index {index} is out of range")
        first = self.current_answers.get(member_id)
        if first is not None:
            return GroupAnswerReceipt(False, first.choice, shuffled.options[first.choice], self.index + 1)
        correct = index == shuffled.correct_index
        points = group_points(correct, remaining_fraction(self.opened_at, now, self.question_time))
        self.current_answers[member_id] = GroupAnswer(member_id, index, correct, points, now)
        self.last_activity_at = now
        return GroupAnswerReceipt(True, index, shuffled.options[index], self.index + 1)

    def close_question(self, now: dt.datetime) -> QuestionOutcome:
        """Stop taking answers, add the points to the totals and reveal the answer."""
        now = as_utc(now)
        if self.opened_at is None:
            raise QuestionClosedError("no question is open")
        question = self.questions[self.index]
        shuffled = shuffle_options(question, self.seed, self.index)
        presented = _present(question, self.seed, self.index, self.total)
        answers = tuple(sorted(self.current_answers.values(), key=lambda a: (a.answered_at, a.member_id)))
        for answer in answers:
            total = self.totals.setdefault(answer.member_id, _MemberTotal())
            total.points += answer.points
            total.correct += int(answer.correct)
            total.answered += 1
        self.empty_streak = 0 if answers else self.empty_streak + 1
        self.asked += 1
        self.opened_at = None
        self.current_answers = {}
        self.last_activity_at = now
        if self.empty_streak >= GROUP_EMPTY_LIMIT and self.index < len(self.questions) - 1:
            self.ended_early = True
        return QuestionOutcome(
            question=presented,
            correct_index=shuffled.correct_index,
            correct_option=question.answer,
            explanation=question.explanation,
            entry=question.entry,
            source=question.source,
            answers=answers,
            standings=self.standings(),
            finished=self.finished,
            ended_early=self.ended_early,
        )

    def standings(self) -> tuple[Standing, ...]:
        """Everyone who answered at least once, by points, then correct answers; ties share a rank."""
        ordered = sorted(self.totals.items(), key=lambda item: (-item[1].points, -item[1].correct, item[0]))
        ranked = competition_ranks(ordered, key=lambda item: (item[1].points, item[1].correct))
        return tuple(
            Standing(rank, member_id, total.points, total.correct, total.answered)
            for rank, (member_id, total) in ranked
        )

    def results(self) -> GroupResults:
        return GroupResults(self.standings(), self.asked, self.total, self.ended_early)

    def stop(self, now: dt.datetime) -> GroupResults:
        """End the quiz now; answers to a question still open are dropped, not scored."""
        self.opened_at = None
        self.current_answers = {}
        self.ended_early = True
        self.last_activity_at = as_utc(now)
        return self.results()

    def is_expired(self, now: dt.datetime) -> bool:
        """True when the quiz was left behind: a question open long past its deadline, or nothing opened since."""
        now = as_utc(now)
        deadline = self.deadline
        if deadline is not None:
            return now - deadline > self.grace
        return not self.finished and now - self.last_activity_at > self.grace

    def forget_member(self, member_id: int) -> None:
        """Remove one member's answers and points (their data-deletion request)."""
        self.current_answers.pop(member_id, None)
        self.totals.pop(member_id, None)

    def to_state(self) -> dict[str, Any]:
        return {
            "v": STATE_VERSION,
            "kind": "group",
            "seed": self.seed,
            "queue": [q.id for q in self.questions],
            "started_at": to_db(self.started_at),
            "last_activity_at": to_db(self.last_activity_at),
            "question_time": self.question_time.total_seconds(),
            "grace": self.grace.total_seconds(),
            "index": self.index,
            "opened_at": None if self.opened_at is None else to_db(self.opened_at),
            "empty_streak": self.empty_streak,
            "ended_early": self.ended_early,
            "asked": self.asked,
            "current_answers": {
                str(a.member_id): {
                    "choice": a.choice,
                    "correct": a.correct,
                    "points": a.points,
                    "at": to_db(a.answered_at),
                }
                for a in self.current_answers.values()
            },
            "totals": {
                str(member): {"points": t.points, "correct": t.correct, "answered": t.answered}
                for member, t in self.totals.items()
            },
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], bank: QuestionBank) -> GroupQuiz:
        """Rebuild a group quiz; a question missing from the bank makes the state unusable (positions would shift)."""
        try:
            if state.get("v") != STATE_VERSION or state.get("kind") != "group":
                raise SessionStateError(f"not a group quiz state: {state.get('kind')!r} v{state.get('v')!r}")
            questions = []
            for question_id in state["queue"]:
                question = bank.get(question_id)
                if question is None:
                    raise SessionStateError(f"question {question_id!r} is no longer in the bank")
                questions.append(question)
            opened = state["opened_at"]
            return cls(
                questions=questions,
                seed=int(state["seed"]),
                started_at=from_db(state["started_at"]),
                last_activity_at=from_db(state["last_activity_at"]),
                question_time=dt.timedelta(seconds=float(state["question_time"])),
                grace=dt.timedelta(seconds=float(state["grace"])),
                index=int(state["index"]),
                opened_at=None if opened is None else from_db(opened),
                current_answers={
                    int(member): GroupAnswer(
                        int(member), int(a["choice"]), bool(a["correct"]), int(a["points"]), from_db(a["at"])
                    )
                    for member, a in state["current_answers"].items()
                },
                totals={
                    int(member): _MemberTotal(int(t["points"]), int(t["correct"]), int(t["answered"]))
                    for member, t in state["totals"].items()
                },
                empty_streak=int(state["empty_streak"]),
                ended_early=bool(state["ended_early"]),
                asked=int(state["asked"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, SessionStateError):
                raise
            raise SessionStateError(f"corrupt group quiz state: {exc}") from exc
