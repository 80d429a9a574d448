"""The quiz feature as the cog uses it: start, answer, close, stop, stats, leaderboard, review, personal data.

The database is the source of truth: every call loads the running quiz from its row, changes it and writes it back,
so a restart loses nothing. Calls are serialised by one lock, because a group question can receive many clicks at
once and each one rewrites the same row. Mistakes a user can fix come out as ``UserInputError`` with a message that
says what to do; the times come from the injected clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.db.timestamps import Clock, utc_now
from bot.knowledge.models import Stage
from bot.quiz.bank import QuestionBank, UnknownTopicError
from bot.quiz.models import Question
from bot.quiz.options import LeaderboardPeriod, QuizStartOptions
from bot.quiz.repository import (
    NewAnswer,
    QuizRepository,
    QuizRun,
    RunConflictError,
    RunMode,
    RunStatus,
)
from bot.quiz.scoring import SOLO_POINTS, accuracy, competition_ranks
from bot.quiz.sessions import (
    GROUP_GRACE,
    GROUP_QUESTION_TIME,
    SOLO_IDLE_TIMEOUT,
    Feedback,
    GroupAnswerReceipt,
    GroupPhase,
    GroupQuiz,
    GroupResults,
    PresentedQuestion,
    QuestionClosedError,
    QuestionOutcome,
    QuizFinishedError,
    QuizStateError,
    SessionStateError,
    SoloQuiz,
    SoloSummary,
    StaleQuestionError,
)
from bot.validation import UserInputError

log = logging.getLogger(__name__)

LEADERBOARD_WEEK = dt.timedelta(days=7)
OVER = "That quiz is over: its questions can no longer be answered. `/quiz start` starts a new one."
"""The reply to a button of a quiz that has ended (finished, stopped or timed out), pressed again later."""
# A topic needs this many answers before stats call it weak: one unlucky answer says little.
WEAK_TOPIC_MIN_ANSWERS = 3


# -- values handed to the cog --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicChoice:
    """One entry for the topic autocomplete: the value to send and what to show."""

    topic: Stage
    label: str
    questions: int


@dataclass(frozen=True)
class SoloStart:
    run_id: int
    question: PresentedQuestion
    review: bool
    note: str | None = None


@dataclass(frozen=True)
class SoloStep:
    """The reply to one solo answer: feedback, then the next question or (at the end) the summary."""

    feedback: Feedback
    points: int
    next_question: PresentedQuestion | None
    summary: SoloSummary | None


@dataclass(frozen=True)
class GroupOpen:
    run_id: int
    channel_id: int
    question: PresentedQuestion
    opened_at: dt.datetime
    deadline: dt.datetime
    note: str | None = None


@dataclass(frozen=True)
class GroupClose:
    """A closed group question; ``results`` is set when that was the end of the quiz."""

    run_id: int
    channel_id: int
    outcome: QuestionOutcome
    results: GroupResults | None


@dataclass(frozen=True)
class GroupStatus:
    """A running group quiz, for rebuilding timers at start-up: close at ``deadline``, or open the next question."""

    run_id: int
    guild_id: int | None
    channel_id: int
    started_by: int
    phase: GroupPhase
    number: int
    total: int
    deadline: dt.datetime | None


@dataclass(frozen=True)
class ExpiredQuiz:
    run_id: int
    mode: RunMode
    guild_id: int | None
    channel_id: int
    user_id: int
    solo_summary: SoloSummary | None = None
    group_results: GroupResults | None = None


@dataclass(frozen=True)
class TopicStats:
    topic: Stage
    answered: int
    correct: int
    review_entries: tuple[str, ...] = ()

    @property
    def accuracy(self) -> float:
        return accuracy(self.correct, self.answered)


@dataclass(frozen=True)
class UserStats:
    user_id: int
    guild_id: int | None
    topics: tuple[TopicStats, ...]
    weakest: tuple[TopicStats, ...]
    review_pending: int
    review_answered: int = 0
    """Answers given in /quiz review: practice, not counted in ``topics`` (nor on the leaderboard)."""
    review_correct: int = 0

    @property
    def answered(self) -> int:
        return sum(t.answered for t in self.topics)

    @property
    def correct(self) -> int:
        return sum(t.correct for t in self.topics)

    @property
    def accuracy(self) -> float:
        return accuracy(self.correct, self.answered)


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    user_id: int
    points: int
    correct: int
    answered: int


@dataclass(frozen=True)
class Leaderboard:
    guild_id: int
    period: LeaderboardPeriod
    since: dt.datetime | None
    until: dt.datetime
    rows: tuple[LeaderboardRow, ...]
    you: LeaderboardRow | None


@dataclass(frozen=True)
class ReviewItem:
    question_id: str
    topic: Stage
    entry: str
    wrong: int
    last_wrong_at: dt.datetime


# -- the service ---------------------------------------------------------------------------------------------------


class QuizService:
    def __init__(
        self,
        bank: QuestionBank,
        repository: QuizRepository,
        *,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
        solo_timeout: dt.timedelta = SOLO_IDLE_TIMEOUT,
        group_question_time: dt.timedelta = GROUP_QUESTION_TIME,
        group_grace: dt.timedelta = GROUP_GRACE,
    ) -> None:
        self.bank = bank
        self._repo = repository
        self._clock = clock
        self._rng = rng if rng is not None else random.SystemRandom()
        self.solo_timeout = solo_timeout
        self.group_question_time = group_question_time
        self.group_grace = group_grace
        self._lock = asyncio.Lock()

    def _now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the quiz clock must return aware datetimes")
        return now.astimezone(dt.UTC)

    def _new_seed(self) -> int:
        # 62 bits fit SQLite's signed 64-bit integers and JSON readers that use doubles badly do not matter here.
        return self._rng.getrandbits(62)

    # -- topics ------------------------------------------------------------------------------------------------------

    def topics(self) -> tuple[TopicChoice, ...]:
        return tuple(TopicChoice(stage, stage.label, self.bank.count(stage)) for stage in self.bank.topics())

    def _resolve_topic(self, topic: str | None) -> Stage | None:
        try:
            return self.bank.resolve_topic(topic)
        except UnknownTopicError as exc:
            raise UserInputError(str(exc)) from exc

    def _pick(self, topic: Stage | None, count: int, seed: int) -> tuple[list[Question], str | None]:
        questions = self.bank.pick(topic, count, random.Random(seed))
        note = None
        if len(questions) < count:
            where = topic.label if topic is not None else "the bank"
            note = f"There are {len(questions)} questions on {where}, so this quiz has {len(questions)}."
        return questions, note

    # -- solo --------------------------------------------------------------------------------------------------------

    def _restore_solo(self, run: QuizRun) -> SoloQuiz:
        return SoloQuiz.from_state(run.state, self.bank)

    async def _free_user(self, user_id: int, now: dt.datetime) -> None:
        """Expire the user's running quiz if it timed out; refuse to start another if it is still live."""
        run = await self._repo.running_solo(user_id)
        if run is None:
            return
        try:
            quiz = self._restore_solo(run)
        except SessionStateError:
            log.warning("quiz run %d cannot be restored; marking it expired", run.id, exc_info=True)
            await self._repo.update_run(run.id, now=now, status=RunStatus.EXPIRED)
            return
        if quiz.is_expired(now):
            await self._repo.update_run(run.id, now=now, status=RunStatus.EXPIRED)
            return
        what = "review" if run.mode is RunMode.REVIEW else "quiz"
        raise UserInputError(
            f"You already have a {what} running (question {quiz.position + 1} of {quiz.total}). "
            "Answer it, or end it with `/quiz stop`, before starting a new one."
        )

    async def _start_solo_run(
        self, mode: RunMode, user_id: int, guild_id: int | None, channel_id: int, topic: Stage | None, quiz: SoloQuiz
    ) -> int:
        try:
            return await self._repo.create_run(
                mode=mode,
                guild_id=guild_id,
                channel_id=channel_id,
                user_id=user_id,
                topic=None if topic is None else topic.value,
                state=quiz.to_state(),
                now=quiz.started_at,
            )
        except RunConflictError as exc:
            raise UserInputError(
                "You already have a quiz running. Answer it, or end it with `/quiz stop`, before starting a new one."
            ) from exc

    async def start_solo(
        self, user_id: int, *, guild_id: int | None, channel_id: int, options: QuizStartOptions
    ) -> SoloStart:
        """Start a private quiz for ``user_id``; UserInputError if one is running or the topic is unknown."""
        topic = self._resolve_topic(options.topic)
        async with self._lock:
            now = self._now()
            await self._free_user(user_id, now)
            seed = self._new_seed()
            questions, note = self._pick(topic, options.questions, seed)
            quiz = SoloQuiz.start(questions, seed=seed, now=now, idle_timeout=self.solo_timeout)
            run_id = await self._start_solo_run(RunMode.SOLO, user_id, guild_id, channel_id, topic, quiz)
        current = quiz.current
        assert current is not None
        log.info("solo quiz %d started: %d questions, topic %s", run_id, quiz.total, topic or "mixed")
        return SoloStart(run_id, current, review=False, note=note)

    async def start_review(
        self, user_id: int, *, guild_id: int | None, channel_id: int, questions: int = 10
    ) -> SoloStart:
        """Start a review of the questions the user got wrong; wrong answers come back until right (or 3 tries)."""
        async with self._lock:
            now = self._now()
            await self._free_user(user_id, now)
            pending = [q for q in (self.bank.get(r.question_id) for r in await self._repo.review_queue(user_id)) if q]
            if not pending:
                raise UserInputError(
                    "You have nothing to review: questions you answer wrongly collect here until you get them "
                    "right, and right now there are none. Try `/quiz start` for new questions."
                )
            seed = self._new_seed()
            chosen = pending[: max(1, questions)]
            random.Random(seed).shuffle(chosen)
            quiz = SoloQuiz.start(chosen, seed=seed, now=now, review=True, idle_timeout=self.solo_timeout)
            run_id = await self._start_solo_run(RunMode.REVIEW, user_id, guild_id, channel_id, None, quiz)
        current = quiz.current
        assert current is not None
        note = None
        if len(pending) > len(chosen):
            note = f"You have {len(pending)} questions to review; this round has {len(chosen)}, oldest mistakes first."
        return SoloStart(run_id, current, review=True, note=note)

    async def _live_solo(
        self, user_id: int, now: dt.datetime, *, run_id: int | None = None
    ) -> tuple[QuizRun, SoloQuiz]:
        """The user's running quiz; ``run_id``: the quiz of the button pressed (a button of a quiz that is over gets
        a reply that says so, not "you have no quiz running")."""
        run = await self._repo.running_solo(user_id)
        if run is None and run_id is not None:
            raise UserInputError(OVER)
        if run is None:
            raise UserInputError("You have no quiz running. Start one with `/quiz start`.")
        try:
            quiz = self._restore_solo(run)
        except SessionStateError as exc:
            log.warning("quiz run %d cannot be restored; marking it expired", run.id, exc_info=True)
            await self._repo.update_run(run.id, now=now, status=RunStatus.EXPIRED)
            raise UserInputError(
                "Your quiz could not be resumed because the questions have changed. Start a new one with `/quiz start`."
            ) from exc
        if quiz.is_expired(now):
            await self._repo.update_run(run.id, now=now, status=RunStatus.EXPIRED)
            minutes = int(self.solo_timeout.total_seconds() // 60)
            raise UserInputError(
                f"Your quiz timed out after {minutes} minutes without an answer. Start a new one with `/quiz start`."
            )
        return run, quiz

    async def current_solo(self, user_id: int) -> PresentedQuestion | None:
        """The question the user's running quiz is waiting on (to show it again, e.g. after a restart)."""
        async with self._lock:
            run = await self._repo.running_solo(user_id)
            if run is None:
                return None
            try:
                quiz = self._restore_solo(run)
            except SessionStateError:
                return None
            return None if quiz.is_expired(self._now()) else quiz.current

    async def answer_solo(
        self, user_id: int, option_index: int, *, number: int | None = None, run_id: int | None = None
    ) -> SoloStep:
        """Answer the current question with the option at ``option_index`` as shown (0-3).

        ``number`` is the question number the button belongs to, ``run_id`` the quiz; an answer from an older
        question's (or an older quiz's) button is refused rather than applied to the current one.
        """
        async with self._lock:
            now = self._now()
            run, quiz = await self._live_solo(user_id, now, run_id=run_id)
            if run_id is not None and run.id != run_id:
                # Options are shuffled per quiz: the same position in another quiz is another answer.
                raise UserInputError(
                    "Those buttons belong to a quiz that has ended. Use the buttons of your current quiz."
                )
            try:
                feedback = quiz.answer(option_index, now, number=number)
            except StaleQuestionError as exc:
                raise UserInputError("That question is already answered. Use the buttons of the latest one.") from exc
            points = 0
            if (
                run.mode is RunMode.SOLO
                and feedback.correct
                and not await self._repo.has_correct_answer(user_id, feedback.question_id)
            ):
                points = SOLO_POINTS
            record = NewAnswer(
                position=quiz.position - 1,
                user_id=user_id,
                guild_id=run.guild_id,
                question_id=feedback.question_id,
                topic=feedback.topic.value,
                correct=feedback.correct,
                points=points,
                answered_at=now,
            )
            if quiz.finished:
                await self._repo.update_run(run.id, now=now, status=RunStatus.FINISHED, answers=[record])
            else:
                await self._repo.update_run(run.id, now=now, state=quiz.to_state(), answers=[record])
        return SoloStep(feedback, points, quiz.current, quiz.summary() if quiz.finished else None)

    async def stop_solo(self, user_id: int) -> SoloSummary:
        """End the user's running quiz now; the answers given so far stay in their stats."""
        async with self._lock:
            now = self._now()
            run = await self._repo.running_solo(user_id)
            if run is None:
                raise UserInputError("You have no quiz running.")
            try:
                summary = self._restore_solo(run).summary()
            except SessionStateError:
                summary = SoloSummary(run.mode is RunMode.REVIEW, 0, 0, 0, False, ())
            await self._repo.update_run(run.id, now=now, status=RunStatus.STOPPED)
        return summary

    async def review_queue(self, user_id: int) -> tuple[ReviewItem, ...]:
        """The questions waiting for review, oldest mistake first (those removed from the bank are skipped)."""
        items = []
        for row in await self._repo.review_queue(user_id):
            question = self.bank.get(row.question_id)
            if question is not None:
                items.append(ReviewItem(question.id, question.topic, question.entry, row.wrong, row.last_wrong_at))
        return tuple(items)

    # -- group -------------------------------------------------------------------------------------------------------

    def _restore_group(self, run: QuizRun) -> GroupQuiz:
        return GroupQuiz.from_state(run.state, self.bank)

    async def _live_group(self, channel_id: int, now: dt.datetime) -> tuple[QuizRun, GroupQuiz] | None:
        """The channel's running group quiz, or None (expiring it on the way if it was abandoned or is unusable)."""
        run = await self._repo.running_group(channel_id)
        if run is None:
            return None
        try:
            quiz = self._restore_group(run)
        except SessionStateError:
            log.warning("group quiz %d cannot be restored; marking it expired", run.id, exc_info=True)
            await self._repo.update_run(run.id, now=now, status=RunStatus.EXPIRED)
            return None
        if quiz.is_expired(now):
            await self._repo.update_run(run.id, now=now, status=RunStatus.EXPIRED)
            return None
        return run, quiz

    def _group_open(self, run_id: int, channel_id: int, quiz: GroupQuiz, note: str | None = None) -> GroupOpen:
        question, opened, deadline = quiz.current, quiz.opened_at, quiz.deadline
        assert question is not None and opened is not None and deadline is not None
        return GroupOpen(run_id, channel_id, question, opened, deadline, note)

    async def start_group(
        self, guild_id: int | None, channel_id: int, user_id: int, options: QuizStartOptions
    ) -> GroupOpen:
        """Start a group quiz in the channel and open its first question at once (schedule the close at deadline)."""
        topic = self._resolve_topic(options.topic)
        async with self._lock:
            now = self._now()
            live = await self._live_group(channel_id, now)
            if live is not None:
                _, quiz = live
                raise UserInputError(
                    f"A group quiz is already running in this channel (question {max(1, quiz.index + 1)} of "
                    f"{quiz.total}). Join in, or start yours when it ends."
                )
            seed = self._new_seed()
            questions, note = self._pick(topic, options.questions, seed)
            quiz = GroupQuiz.start(
                questions, seed=seed, now=now, question_time=self.group_question_time, grace=self.group_grace
            )
            quiz.open_next(now)
            try:
                run_id = await self._repo.create_run(
                    mode=RunMode.GROUP,
                    guild_id=guild_id,
                    channel_id=channel_id,
                    user_id=user_id,
                    topic=None if topic is None else topic.value,
                    state=quiz.to_state(),
                    now=now,
                )
            except RunConflictError as exc:
                raise UserInputError("A group quiz is already running in this channel. Join in instead.") from exc
        log.info("group quiz %d started in channel %d: %d questions", run_id, channel_id, quiz.total)
        return self._group_open(run_id, channel_id, quiz, note)

    async def answer_group(
        self, channel_id: int, user_id: int, option_index: int, *, number: int | None = None, run_id: int | None = None
    ) -> GroupAnswerReceipt:
        """Take a member's answer; a second click keeps the first answer (``accepted`` is False).

        ``run_id`` is the quiz the button belongs to: a button left from an earlier quiz in the channel is refused.
        """
        async with self._lock:
            now = self._now()
            live = await self._live_group(channel_id, now)
            if live is None and run_id is not None:
                raise UserInputError(OVER)
            if live is None:
                raise UserInputError("There is no group quiz running in this channel. Start one with `/quiz start`.")
            run, quiz = live
            if run_id is not None and run.id != run_id:
                raise UserInputError("That question belongs to a quiz that has ended. Answer the latest question.")
            try:
                receipt = quiz.answer(user_id, option_index, now, number=number)
            except StaleQuestionError as exc:
                raise UserInputError("That question is closed. Answer the latest one.") from exc
            except (QuestionClosedError, QuizFinishedError) as exc:
                raise UserInputError("Time is up for this question. Get ready for the next one!") from exc
            if receipt.accepted:
                await self._repo.update_run(run.id, now=now, state=quiz.to_state())
        return receipt

    async def close_group_question(self, channel_id: int, *, number: int | None = None) -> GroupClose | None:
        """Close the open question (the timer calls this at the deadline); None when there is nothing to close.

        Safe to call twice or late: a second call, or one for an older question ``number``, does nothing.
        """
        async with self._lock:
            now = self._now()
            live = await self._live_group(channel_id, now)
            if live is None:
                return None
            run, quiz = live
            if quiz.phase is not GroupPhase.OPEN or (number is not None and number != quiz.index + 1):
                return None
            outcome = quiz.close_question(now)
            records = [
                NewAnswer(
                    position=quiz.index,
                    user_id=a.member_id,
                    guild_id=run.guild_id,
                    question_id=outcome.question.question_id,
                    topic=outcome.question.topic.value,
                    correct=a.correct,
                    points=a.points,
                    answered_at=a.answered_at,
                )
                for a in outcome.answers
            ]
            results = None
            if outcome.finished:
                results = quiz.results()
                status = RunStatus.EXPIRED if outcome.ended_early else RunStatus.FINISHED
                await self._repo.update_run(run.id, now=now, status=status, answers=records)
            else:
                await self._repo.update_run(run.id, now=now, state=quiz.to_state(), answers=records)
        return GroupClose(run.id, channel_id, outcome, results)

    async def open_next_group_question(self, channel_id: int) -> GroupOpen:
        """Open the next question (after the cog has shown the standings for a moment)."""
        async with self._lock:
            now = self._now()
            live = await self._live_group(channel_id, now)
            if live is None:
                raise UserInputError("There is no group quiz running in this channel.")
            run, quiz = live
            try:
                quiz.open_next(now)
            except QuizStateError as exc:
                raise UserInputError("The current question is still open.") from exc
            await self._repo.update_run(run.id, now=now, state=quiz.to_state())
        return self._group_open(run.id, channel_id, quiz)

    async def restart_group_question(self, channel_id: int, *, run_id: int, number: int) -> GroupOpen | None:
        """Give the open question ``number`` of quiz ``run_id`` its whole time again from now (its post was held
        back by Discord and is being tried again); None when that quiz has moved on, or ended."""
        async with self._lock:
            now = self._now()
            live = await self._live_group(channel_id, now)
            if live is None:
                return None
            run, quiz = live
            if run.id != run_id or quiz.phase is not GroupPhase.OPEN or quiz.index + 1 != number:
                return None
            quiz.restart_question(now)
            await self._repo.update_run(run.id, now=now, state=quiz.to_state())
        return self._group_open(run.id, channel_id, quiz)

    async def stop_group(
        self, channel_id: int, user_id: int, *, can_manage: bool = False, run_id: int | None = None
    ) -> GroupResults:
        """End the channel's group quiz: allowed to the member who started it and to moderators (``can_manage``).
        With ``run_id``, only that quiz (not one started in the channel since)."""
        async with self._lock:
            now = self._now()
            live = await self._live_group(channel_id, now)
            if live is None or (run_id is not None and live[0].id != run_id):
                raise UserInputError("There is no group quiz running in this channel.")
            run, quiz = live
            if run.user_id != user_id and not can_manage:
                raise UserInputError("Only the member who started this quiz, or a moderator, can stop it.")
            results = quiz.stop(now)
            await self._repo.update_run(run.id, now=now, status=RunStatus.STOPPED)
        return results

    async def running_group_quizzes(self) -> tuple[GroupStatus, ...]:
        """Every running group quiz, to rebuild the timers after a restart (unusable ones are expired)."""
        async with self._lock:
            now = self._now()
            out = []
            for run in await self._repo.running_runs(RunMode.GROUP):
                live = await self._live_group(run.channel_id, now)
                if live is None:
                    continue
                _, quiz = live
                out.append(
                    GroupStatus(
                        run.id,
                        run.guild_id,
                        run.channel_id,
                        run.user_id,
                        quiz.phase,
                        max(1, quiz.index + 1),
                        quiz.total,
                        quiz.deadline,
                    )
                )
        return tuple(out)

    # -- housekeeping ------------------------------------------------------------------------------------------------

    async def expire_abandoned(self, owns: Callable[[int | None], bool] | None = None) -> tuple[ExpiredQuiz, ...]:
        """Mark timed-out quizzes expired (run this every minute or so, and at start-up); returns what ended. With
        ``owns`` (a process of a cluster), only the quizzes of the servers it serves (None: DMs)."""
        async with self._lock:
            now = self._now()
            expired = []
            for run in await self._repo.running_runs():
                if owns is not None and not owns(run.guild_id):
                    continue
                solo: SoloSummary | None = None
                group: GroupResults | None = None
                try:
                    if run.mode is RunMode.GROUP:
                        group_quiz = self._restore_group(run)
                        if not group_quiz.is_expired(now):
                            continue
                        group = group_quiz.stop(now)
                    else:
                        solo_quiz = self._restore_solo(run)
                        if not solo_quiz.is_expired(now):
                            continue
                        solo = solo_quiz.summary()
                except SessionStateError:
                    log.warning("quiz run %d cannot be restored; marking it expired", run.id, exc_info=True)
                await self._repo.update_run(run.id, now=now, status=RunStatus.EXPIRED)
                expired.append(ExpiredQuiz(run.id, run.mode, run.guild_id, run.channel_id, run.user_id, solo, group))
        if expired:
            log.info("expired %d abandoned quizzes", len(expired))
        return tuple(expired)

    # -- stats and leaderboard ---------------------------------------------------------------------------------------

    async def stats(self, user_id: int, guild_id: int | None = None) -> UserStats:
        """Per-topic accuracy (in one server, or everywhere when ``guild_id`` is None) and the weakest topics, from the
        answers the leaderboard counts too (solo and group quizzes; reviews apart)."""
        counts = {c.topic: c for c in await self._repo.topic_stats(user_id, guild_id)}
        review = await self.review_queue(user_id)
        to_read: dict[Stage, list[str]] = {}
        for item in review:
            entries = to_read.setdefault(item.topic, [])
            if item.entry not in entries:
                entries.append(item.entry)
        topics = tuple(
            TopicStats(stage, counts[stage.value].answered, counts[stage.value].correct, tuple(to_read.get(stage, ())))
            for stage in Stage
            if stage.value in counts
        )
        weak = sorted(
            (t for t in topics if t.answered >= WEAK_TOPIC_MIN_ANSWERS and t.correct < t.answered),
            key=lambda t: (t.accuracy, -t.answered, t.topic.order),
        )
        practice = await self._repo.topic_stats(user_id, guild_id, reviews=True)
        return UserStats(
            user_id,
            guild_id,
            topics,
            tuple(weak[:3]),
            len(review),
            review_answered=sum(c.answered for c in practice),
            review_correct=sum(c.correct for c in practice),
        )

    async def leaderboard(
        self,
        guild_id: int,
        period: LeaderboardPeriod = LeaderboardPeriod.WEEK,
        *,
        limit: int = 10,
        user_id: int | None = None,
    ) -> Leaderboard:
        """The server's top ``limit`` by points, for the last 7 days (rolling, UTC) or all time.

        ``you`` is ``user_id``'s own row, also when it is below the top ``limit``.
        """
        now = self._now()
        since = now - LEADERBOARD_WEEK if period is LeaderboardPeriod.WEEK else None
        rows = await self._repo.leaderboard(guild_id, since, now)
        ranked = [
            LeaderboardRow(rank, r.user_id, r.points, r.correct, r.answered)
            for rank, r in competition_ranks(rows, key=lambda r: (r.points, r.correct))
        ]
        you = next((r for r in ranked if r.user_id == user_id), None) if user_id is not None else None
        return Leaderboard(guild_id, period, since, now, tuple(ranked[:limit]), you)

    # -- personal data -----------------------------------------------------------------------------------------------

    async def user_ids(self) -> set[int]:
        """Everyone the quiz feature holds something about, including players of running group quizzes whose answers
        are only in the quiz's saved state so far."""
        async with self._lock:
            found = await self._repo.user_ids()
            for run in await self._repo.running_runs(RunMode.GROUP):
                for part in ("totals", "current_answers"):
                    found.update(int(key) for key in run.state.get(part, {}) if str(key).isdigit())
        return found

    async def export_user_data(self, user_id: int) -> dict[str, Any]:
        """Everything the quiz feature holds about ``user_id``, as JSON-ready values."""
        async with self._lock:
            data = await self._repo.export_user(user_id)
            data["quiz_review_queue"] = [r.question_id for r in await self._repo.review_queue(user_id)]
            live_group = []
            for run in await self._repo.running_runs(RunMode.GROUP):
                totals = run.state.get("totals", {}).get(str(user_id))
                current = run.state.get("current_answers", {}).get(str(user_id))
                if totals is not None or current is not None:
                    live_group.append(
                        {"run_id": run.id, "channel_id": run.channel_id, "totals": totals, "current_answer": current}
                    )
            data["running_group_quizzes"] = live_group
        return data

    async def delete_user_data(self, user_id: int) -> int:
        """Delete the user's answers and quizzes, and remove them from running group quizzes; returns rows changed."""
        async with self._lock:
            now = self._now()
            changed = 0
            for run in await self._repo.running_runs(RunMode.GROUP):
                try:
                    quiz = self._restore_group(run)
                except SessionStateError:
                    continue
                if user_id in quiz.totals or user_id in quiz.current_answers:
                    quiz.forget_member(user_id)
                    await self._repo.update_run(run.id, now=now, state=quiz.to_state())
                    changed += 1
            changed += await self._repo.delete_user(user_id)
        log.info("deleted quiz data of a user (%d rows changed)", changed)
        return changed
