from __future__ import annotations

import asyncio
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db.connection import Connection, open_database, write_transaction
from bot.knowledge.models import Stage
from bot.quiz.bank import QuestionBank
from bot.quiz.options import LeaderboardOptions, LeaderboardPeriod, QuizMode, QuizReviewOptions, QuizStartOptions
from bot.quiz.repository import NewAnswer, QuizRepository, RunConflictError, RunMode, RunStatus
from bot.quiz.scoring import SOLO_POINTS
from bot.quiz.service import QuizService
from bot.quiz.sessions import GroupPhase, PresentedQuestion
from bot.validation import UserInputError, parse_options
from tests.unit.quiz.conftest import make_question

T0 = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.UTC)
GUILD, OTHER_GUILD = 1000, 2000
CHANNEL, OTHER_CHANNEL = 10, 20
ALICE, BOB, CAROL = 1, 2, 3


BANK = QuestionBank(
    [make_question(f"usmle-{i}", Stage.USMLE, "step-2-ck") for i in range(6)]
    + [make_question(f"visa-{i}", Stage.VISA, "j1-visa") for i in range(4)]
    + [make_question(f"residency-{i}", Stage.RESIDENCY, "residency-start") for i in range(3)]
)


@dataclass
class Clock:
    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def right(q: PresentedQuestion | None) -> int:
    assert q is not None
    return q.options.index("Right")


def wrong(q: PresentedQuestion | None) -> int:
    assert q is not None
    return next(i for i, o in enumerate(q.options) if o != "Right")


def start(questions: int = 5, topic: str | None = None, mode: str = "solo") -> QuizStartOptions:
    return parse_options(QuizStartOptions, topic=topic, questions=questions, mode=mode)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(conn: Connection, clock: Clock) -> QuizService:
    return QuizService(BANK, QuizRepository(conn), clock=clock, rng=random.Random(1))


# -- command options ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 2, 21, 50, -3, "ten", "", True, 3.5])
def test_a_quiz_has_3_to_20_questions(count: object) -> None:
    with pytest.raises(UserInputError) as info:
        parse_options(QuizStartOptions, questions=count)
    assert str(info.value) == "A quiz has 3 to 20 questions. Try `/quiz start questions: 10`."


def test_start_options_defaults_and_normalising() -> None:
    options = parse_options(QuizStartOptions)
    assert (options.topic, options.questions, options.mode) == (None, 5, QuizMode.SOLO)
    options = parse_options(QuizStartOptions, topic="  match\u200b week ", questions="20", mode="Group")
    assert (options.topic, options.questions, options.mode) == ("match week", 20, QuizMode.GROUP)
    assert parse_options(QuizStartOptions, topic="   ").topic is None
    with pytest.raises(UserInputError, match="The mode is `solo`"):
        parse_options(QuizStartOptions, mode="team")


def test_other_command_options() -> None:
    assert parse_options(LeaderboardOptions).period is LeaderboardPeriod.WEEK
    assert parse_options(LeaderboardOptions, period="ALL").period is LeaderboardPeriod.ALL
    with pytest.raises(UserInputError, match="The period is `week`"):
        parse_options(LeaderboardOptions, period="month")
    assert parse_options(QuizReviewOptions, questions=1).questions == 1
    with pytest.raises(UserInputError, match="A review has 1 to 20 questions"):
        parse_options(QuizReviewOptions, questions=0)


# -- solo -----------------------------------------------------------------------------------------------------------


async def test_solo_quiz_runs_to_a_summary_and_earns_points_once(
    conn: Connection, service: QuizService, clock: Clock
) -> None:
    started = await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(3, "usmle"))
    question = started.question
    assert (question.number, question.total, question.topic) == (1, 3, Stage.USMLE)
    first_id = question.question_id
    step = await service.answer_solo(ALICE, right(question), number=1)
    assert step.feedback.correct and step.points == SOLO_POINTS and step.summary is None
    step = await service.answer_solo(ALICE, wrong(step.next_question), number=2)
    assert not step.feedback.correct and step.points == 0 and step.feedback.entry == "step-2-ck"
    step = await service.answer_solo(ALICE, right(step.next_question), number=3)
    assert step.next_question is None and step.summary is not None
    assert (step.summary.correct, step.summary.answered, step.summary.percent) == (2, 3, 67)
    assert [t.topic for t in step.summary.weakest] == [Stage.USMLE]
    assert step.summary.weakest[0].entries == ("step-2-ck",)

    # A second quiz may repeat questions; a question already answered right earns nothing again.
    clock.advance(minutes=1)
    # Same seed source as the `service` fixture, so the same questions come up again.
    rng_service = QuizService(BANK, QuizRepository(conn), clock=clock, rng=random.Random(1))
    again = await rng_service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(3, "usmle"))
    assert again.question.question_id == first_id
    step = await rng_service.answer_solo(ALICE, right(again.question))
    assert step.feedback.correct and step.points == 0


async def test_a_second_solo_quiz_is_refused_while_one_runs(service: QuizService, clock: Clock) -> None:
    await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(5))
    with pytest.raises(UserInputError, match=r"already have a quiz running \(question 1 of 5\)"):
        await service.start_solo(ALICE, guild_id=GUILD, channel_id=OTHER_CHANNEL, options=start(3))
    with pytest.raises(UserInputError, match="already have a quiz running"):
        await service.start_review(ALICE, guild_id=GUILD, channel_id=CHANNEL)
    # Someone else can play at the same time.
    await service.start_solo(BOB, guild_id=GUILD, channel_id=CHANNEL, options=start(3))
    # After the idle timeout the old quiz no longer blocks a new one.
    clock.advance(minutes=30)
    fresh = await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(3))
    assert fresh.question.number == 1


async def test_the_database_refuses_two_running_quizzes(conn: Connection) -> None:
    repo = QuizRepository(conn)

    async def create(mode: RunMode, channel: int, user: int = ALICE) -> int:
        return await repo.create_run(
            mode=mode, guild_id=GUILD, channel_id=channel, user_id=user, topic=None, state={}, now=T0
        )

    await create(RunMode.SOLO, CHANNEL)
    with pytest.raises(RunConflictError):
        await create(RunMode.REVIEW, OTHER_CHANNEL)
    await create(RunMode.GROUP, CHANNEL)
    with pytest.raises(RunConflictError):
        await create(RunMode.GROUP, CHANNEL, user=BOB)
    assert len(await repo.running_runs()) == 2


async def test_answering_without_a_quiz_or_with_an_old_button(service: QuizService) -> None:
    with pytest.raises(UserInputError, match="no quiz running"):
        await service.answer_solo(ALICE, 0)
    started = await service.start_solo(ALICE, guild_id=None, channel_id=CHANNEL, options=start(3))
    await service.answer_solo(ALICE, 0, number=1)
    with pytest.raises(UserInputError, match="already answered"):
        await service.answer_solo(ALICE, 0, number=1)
    assert started.question.number == 1


async def test_unknown_topic_and_short_topics(service: QuizService) -> None:
    with pytest.raises(UserInputError, match="I don't know the topic 'surgery'"):
        await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(5, "surgery"))
    started = await service.start_solo(
        ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(10, "Starting residency")
    )
    assert started.question.total == 3
    assert started.note == "There are 3 questions on Starting residency, so this quiz has 3."
    assert [(t.topic, t.questions) for t in service.topics()] == [
        (Stage.USMLE, 6),
        (Stage.VISA, 4),
        (Stage.RESIDENCY, 3),
    ]


async def test_solo_quiz_survives_a_restart(conn: Connection, clock: Clock, database_path: Path) -> None:
    first = QuizService(BANK, QuizRepository(conn), clock=clock, rng=random.Random(5))
    started = await first.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(4))
    step = await first.answer_solo(ALICE, right(started.question))
    await conn.close()

    reopened = await open_database(database_path)
    try:
        clock.advance(minutes=5)
        second = QuizService(BANK, QuizRepository(reopened), clock=clock, rng=random.Random(999))
        assert await second.current_solo(ALICE) == step.next_question
        step = await second.answer_solo(ALICE, right(step.next_question), number=2)
        assert step.feedback.correct and step.next_question is not None and step.next_question.number == 3
    finally:
        await reopened.close()


async def test_abandoned_solo_quiz_times_out(service: QuizService, clock: Clock) -> None:
    await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(3))
    await service.answer_solo(ALICE, 0)
    clock.advance(minutes=29)
    assert await service.expire_abandoned() == ()
    clock.advance(minutes=1)
    (expired,) = await service.expire_abandoned()
    assert (expired.mode, expired.user_id, expired.channel_id) == (RunMode.SOLO, ALICE, CHANNEL)
    assert expired.solo_summary is not None and expired.solo_summary.answered == 1
    assert not expired.solo_summary.finished
    assert await service.current_solo(ALICE) is None


async def test_a_process_of_a_cluster_ends_only_its_own_servers_abandoned_quizzes(
    service: QuizService, clock: Clock
) -> None:
    await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(3))
    clock.advance(minutes=30)
    assert await service.expire_abandoned(owns=lambda guild_id: guild_id != GUILD) == ()  # another process's
    (expired,) = await service.expire_abandoned(owns=lambda guild_id: guild_id == GUILD)
    assert expired.user_id == ALICE
    with pytest.raises(UserInputError, match="no quiz running"):
        await service.answer_solo(ALICE, 0)


async def test_answering_after_the_timeout_explains_what_happened(service: QuizService, clock: Clock) -> None:
    await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(3))
    clock.advance(minutes=31)
    with pytest.raises(UserInputError, match="timed out after 30 minutes"):
        await service.answer_solo(ALICE, 0)


async def test_stop_solo_keeps_answers_in_stats(service: QuizService) -> None:
    started = await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(5, "visa"))
    await service.answer_solo(ALICE, wrong(started.question))
    summary = await service.stop_solo(ALICE)
    assert (summary.answered, summary.finished) == (1, False)
    stats = await service.stats(ALICE, GUILD)
    assert [(t.topic, t.answered, t.correct) for t in stats.topics] == [(Stage.VISA, 1, 0)]
    with pytest.raises(UserInputError, match="no quiz running"):
        await service.stop_solo(ALICE)


# -- review ---------------------------------------------------------------------------------------------------------


async def test_review_asks_wrong_answers_again_until_right(service: QuizService, clock: Clock) -> None:
    with pytest.raises(UserInputError, match="nothing to review"):
        await service.start_review(ALICE, guild_id=GUILD, channel_id=CHANNEL)
    started = await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(3, "visa"))
    missed = []
    step = await service.answer_solo(ALICE, wrong(started.question))
    missed.append(step.feedback.question_id)
    clock.advance(seconds=5)
    step = await service.answer_solo(ALICE, wrong(step.next_question))
    missed.append(step.feedback.question_id)
    await service.answer_solo(ALICE, right(step.next_question))
    assert [i.question_id for i in await service.review_queue(ALICE)] == missed, "oldest mistake first"

    clock.advance(minutes=1)
    review = await service.start_review(ALICE, guild_id=GUILD, channel_id=CHANNEL, questions=10)
    assert review.review and review.question.total == 2
    step = await service.answer_solo(ALICE, right(review.question))
    assert step.points == 0, "reviews earn no leaderboard points"
    cleared = step.feedback.question_id
    step = await service.answer_solo(ALICE, wrong(step.next_question))
    assert step.next_question is not None and step.next_question.number == 3, "a miss comes back"
    step = await service.answer_solo(ALICE, right(step.next_question))
    assert step.summary is not None and step.summary.still_wrong == ()
    assert set(step.summary.cleared) == set(missed) and cleared in missed
    assert await service.review_queue(ALICE) == ()

    # A later mistake puts the question back in the queue.
    clock.advance(minutes=1)
    started = await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(4, "visa"))
    step = await service.answer_solo(ALICE, wrong(started.question))
    assert [i.question_id for i in await service.review_queue(ALICE)] == [step.feedback.question_id]


# -- group ----------------------------------------------------------------------------------------------------------


async def test_group_quiz_points_standings_and_results(service: QuizService, clock: Clock) -> None:
    opened = await service.start_group(GUILD, CHANNEL, ALICE, start(3, mode="group"))
    assert opened.deadline - opened.opened_at == dt.timedelta(seconds=30)
    with pytest.raises(UserInputError, match=r"already running in this channel \(question 1 of 3\)"):
        await service.start_group(GUILD, CHANNEL, BOB, start(3, mode="group"))
    await service.start_group(GUILD, OTHER_CHANNEL, BOB, start(3, mode="group"))  # another channel is free

    q = opened.question
    assert (await service.answer_group(CHANNEL, ALICE, right(q), number=1)).accepted
    clock.advance(seconds=15)
    assert (await service.answer_group(CHANNEL, BOB, right(q))).accepted
    receipt = await service.answer_group(CHANNEL, BOB, wrong(q))
    assert not receipt.accepted and receipt.chosen_option == "Right"
    await service.answer_group(CHANNEL, CAROL, wrong(q))
    clock.advance(seconds=16)
    with pytest.raises(UserInputError, match="Time is up"):
        await service.answer_group(CHANNEL, CAROL, right(q))

    closed = await service.close_group_question(CHANNEL, number=1)
    assert closed is not None and closed.results is None
    assert [(s.member_id, s.points) for s in closed.outcome.standings] == [(ALICE, 1000), (BOB, 750), (CAROL, 0)]
    assert await service.close_group_question(CHANNEL) is None, "a second close does nothing"

    for number in (2, 3):
        opened = await service.open_next_group_question(CHANNEL)
        assert opened.question.number == number
        await service.answer_group(CHANNEL, BOB, right(opened.question))
        assert await service.close_group_question(CHANNEL, number=number - 1) is None, "an old timer does nothing"
        clock.advance(seconds=30)
        closed = await service.close_group_question(CHANNEL, number=number)
    assert closed is not None and closed.results is not None
    assert closed.results.winners == (BOB,)
    assert [(s.member_id, s.points) for s in closed.results.standings] == [(BOB, 2750), (ALICE, 1000), (CAROL, 0)]

    board = await service.leaderboard(GUILD, LeaderboardPeriod.ALL, user_id=CAROL)
    assert [(r.rank, r.user_id, r.points) for r in board.rows] == [(1, BOB, 2750), (2, ALICE, 1000)]
    assert board.you is None, "no points, no place on the board"
    # The channel is free again.
    await service.start_group(GUILD, CHANNEL, CAROL, start(3, mode="group"))


async def test_group_quiz_survives_a_restart(conn: Connection, clock: Clock) -> None:
    first = QuizService(BANK, QuizRepository(conn), clock=clock, rng=random.Random(3))
    opened = await first.start_group(GUILD, CHANNEL, ALICE, start(3, mode="group"))
    await first.answer_group(CHANNEL, BOB, right(opened.question))

    clock.advance(seconds=90)  # the bot was down past the deadline, but within the grace period
    second = QuizService(BANK, QuizRepository(conn), clock=clock, rng=random.Random(4))
    (status,) = await second.running_group_quizzes()
    assert (status.channel_id, status.phase, status.number, status.deadline) == (
        CHANNEL,
        GroupPhase.OPEN,
        1,
        opened.deadline,
    )
    closed = await second.close_group_question(CHANNEL)
    assert closed is not None and [(s.member_id, s.points) for s in closed.outcome.standings] == [(BOB, 1000)]
    (status,) = await second.running_group_quizzes()
    assert status.phase is GroupPhase.WAITING and status.deadline is None
    assert (await second.open_next_group_question(CHANNEL)).question.number == 2


async def test_abandoned_group_quiz_expires(service: QuizService, clock: Clock) -> None:
    await service.start_group(GUILD, CHANNEL, ALICE, start(3, mode="group"))
    clock.advance(seconds=30 + 10 * 60)
    assert await service.expire_abandoned() == ()
    clock.advance(seconds=1)
    (expired,) = await service.expire_abandoned()
    assert expired.mode is RunMode.GROUP and expired.group_results is not None
    assert await service.running_group_quizzes() == ()
    with pytest.raises(UserInputError, match="no group quiz running"):
        await service.answer_group(CHANNEL, ALICE, 0)


async def test_only_the_starter_or_a_moderator_stops_a_group_quiz(service: QuizService) -> None:
    opened = await service.start_group(GUILD, CHANNEL, ALICE, start(3, mode="group"))
    await service.answer_group(CHANNEL, BOB, right(opened.question))
    with pytest.raises(UserInputError, match="Only the member who started"):
        await service.stop_group(CHANNEL, BOB)
    results = await service.stop_group(CHANNEL, BOB, can_manage=True)
    assert results.asked == 0, "the open question is dropped, not scored"
    assert (await service.stats(BOB)).answered == 0


# -- stats, leaderboard periods -------------------------------------------------------------------------------------


async def test_stats_per_topic_and_per_server(service: QuizService, clock: Clock) -> None:
    for guild, topic, correct in [(GUILD, "usmle", True), (GUILD, "visa", False), (OTHER_GUILD, "usmle", False)]:
        started = await service.start_solo(ALICE, guild_id=guild, channel_id=CHANNEL, options=start(3, topic))
        step = None
        question: PresentedQuestion | None = started.question
        while question is not None:
            step = await service.answer_solo(ALICE, right(question) if correct else wrong(question))
            question = step.next_question
        clock.advance(minutes=1)
    here = await service.stats(ALICE, GUILD)
    assert [(t.topic, t.answered, t.correct) for t in here.topics] == [(Stage.USMLE, 3, 3), (Stage.VISA, 3, 0)]
    assert [t.topic for t in here.weakest] == [Stage.VISA]
    assert here.weakest[0].review_entries == ("j1-visa",)
    everywhere = await service.stats(ALICE)
    assert [(t.topic, t.answered, t.correct) for t in everywhere.topics] == [(Stage.USMLE, 6, 3), (Stage.VISA, 3, 0)]
    assert everywhere.review_pending == 6
    assert round(everywhere.accuracy, 3) == round(3 / 9, 3)
    assert (await service.stats(BOB, GUILD)).topics == ()


async def test_the_leaderboard_and_stats_count_the_same_answers_reviews_apart(
    service: QuizService, clock: Clock
) -> None:
    # 3 solo answers (1 right), then 2 review answers: the board said "1/5 right" while /quiz stats said otherwise.
    started = await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(3, "visa"))
    step = await service.answer_solo(ALICE, right(started.question))
    step = await service.answer_solo(ALICE, wrong(step.next_question))
    await service.answer_solo(ALICE, wrong(step.next_question))
    clock.advance(minutes=1)
    review = await service.start_review(ALICE, guild_id=GUILD, channel_id=CHANNEL, questions=2)
    step = await service.answer_solo(ALICE, right(review.question))
    await service.answer_solo(ALICE, wrong(step.next_question))

    board = await service.leaderboard(GUILD, LeaderboardPeriod.ALL, user_id=ALICE)
    assert [(r.correct, r.answered, r.points) for r in board.rows] == [(1, 3, SOLO_POINTS)]
    for stats in (await service.stats(ALICE), await service.stats(ALICE, GUILD)):
        assert (stats.correct, stats.answered) == (1, 3)
        assert (stats.review_correct, stats.review_answered) == (1, 2)
    # The review queue still learns from review answers: the one answered right there is cleared.
    assert len(await service.review_queue(ALICE)) == 1


async def test_leaderboard_is_per_server_with_ties(conn: Connection, clock: Clock) -> None:
    repo = QuizRepository(conn)
    run = await repo.create_run(
        mode=RunMode.GROUP, guild_id=GUILD, channel_id=CHANNEL, user_id=ALICE, topic=None, state={}, now=T0
    )
    answers = [
        NewAnswer(0, ALICE, GUILD, "usmle-0", "usmle", True, 700, T0),
        NewAnswer(0, BOB, GUILD, "usmle-0", "usmle", True, 700, T0),
        NewAnswer(0, CAROL, OTHER_GUILD, "usmle-0", "usmle", True, 900, T0),
        NewAnswer(1, CAROL, GUILD, "usmle-1", "usmle", True, 500, T0),
    ]
    await repo.update_run(run, now=T0, status=RunStatus.FINISHED, answers=answers)
    clock.now = T0 + dt.timedelta(hours=1)
    service = QuizService(BANK, repo, clock=clock)
    board = await service.leaderboard(GUILD, LeaderboardPeriod.WEEK, user_id=CAROL, limit=2)
    assert [(r.rank, r.user_id, r.points) for r in board.rows] == [(1, ALICE, 700), (1, BOB, 700)]
    assert board.you is not None and (board.you.rank, board.you.points) == (3, 500)
    assert board.since == clock.now - dt.timedelta(days=7)


# One database for every example (a fresh one each would cost a PostgreSQL database apiece): each example starts by
# emptying the quiz tables, so no example sees another's answers.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ages=st.lists(st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=30)), min_size=1, max_size=8),
    boundary=st.sampled_from([dt.timedelta(days=7), dt.timedelta(days=7, microseconds=1)]),
)
async def test_week_is_the_last_seven_days_rolling(
    conn: Connection, ages: list[dt.timedelta], boundary: dt.timedelta
) -> None:
    """An answer exactly 7 days old still counts for the week; one microsecond older does not."""
    now = dt.datetime(2026, 11, 22, 15, 0, 0, 500_000, tzinfo=dt.UTC)
    ages = [*ages, boundary]
    async with write_transaction(conn):
        await conn.execute("DELETE FROM quiz_answers")
        await conn.execute("DELETE FROM quiz_runs")
    repo = QuizRepository(conn)
    run = await repo.create_run(
        mode=RunMode.GROUP, guild_id=GUILD, channel_id=CHANNEL, user_id=ALICE, topic=None, state={}, now=now
    )
    answers = [NewAnswer(i, ALICE, GUILD, f"q{i}", "usmle", True, 100, now - age) for i, age in enumerate(ages)]
    await repo.update_run(run, now=now, status=RunStatus.FINISHED, answers=answers)
    service = QuizService(BANK, repo, clock=lambda: now)
    week = await service.leaderboard(GUILD, LeaderboardPeriod.WEEK, user_id=ALICE)
    ever = await service.leaderboard(GUILD, LeaderboardPeriod.ALL, user_id=ALICE)
    assert (week.you.points if week.you else 0) == 100 * sum(1 for age in ages if age <= dt.timedelta(days=7))
    assert (ever.you.points if ever.you else 0) == 100 * len(ages)


async def test_answers_in_the_future_of_the_clock_do_not_count(conn: Connection) -> None:
    repo = QuizRepository(conn)
    run = await repo.create_run(
        mode=RunMode.GROUP, guild_id=GUILD, channel_id=CHANNEL, user_id=ALICE, topic=None, state={}, now=T0
    )
    later = NewAnswer(0, ALICE, GUILD, "usmle-0", "usmle", True, 800, T0 + dt.timedelta(seconds=1))
    await repo.update_run(run, now=T0, answers=[later])
    service = QuizService(BANK, repo, clock=lambda: T0)
    assert (await service.leaderboard(GUILD, LeaderboardPeriod.ALL)).rows == ()


# -- personal data --------------------------------------------------------------------------------------------------


async def test_export_and_delete_user_data(service: QuizService, clock: Clock) -> None:
    started = await service.start_solo(ALICE, guild_id=GUILD, channel_id=CHANNEL, options=start(3, "usmle"))
    await service.answer_solo(ALICE, wrong(started.question))
    opened = await service.start_group(GUILD, OTHER_CHANNEL, BOB, start(3, mode="group"))
    await service.answer_group(OTHER_CHANNEL, ALICE, right(opened.question))
    await service.answer_group(OTHER_CHANNEL, BOB, right(opened.question))

    exported = await service.export_user_data(ALICE)
    assert [a["question_id"] for a in exported["quiz_answers"]] == [started.question.question_id]
    assert exported["quiz_review_queue"] == [started.question.question_id]
    assert [r["mode"] for r in exported["quiz_runs_started"]] == ["solo"]
    assert [g["channel_id"] for g in exported["running_group_quizzes"]] == [OTHER_CHANNEL]

    assert await service.delete_user_data(ALICE) >= 3
    assert await service.export_user_data(ALICE) == {
        "quiz_answers": [],
        "quiz_runs_started": [],
        "quiz_review_queue": [],
        "running_group_quizzes": [],
    }
    assert await service.current_solo(ALICE) is None
    closed = await service.close_group_question(OTHER_CHANNEL)
    assert closed is not None and [s.member_id for s in closed.outcome.standings] == [BOB]
    # Bob's quiz is untouched, and deleting the starter keeps the run for the others.
    await service.delete_user_data(BOB)
    (status,) = await service.running_group_quizzes()
    assert status.started_by == 0


async def test_simultaneous_group_answers_are_all_kept(service: QuizService) -> None:
    opened = await service.start_group(GUILD, CHANNEL, ALICE, start(3, mode="group"))
    members = range(100, 140)
    receipts = await asyncio.gather(
        *(service.answer_group(CHANNEL, member, right(opened.question)) for member in members)
    )
    assert all(r.accepted for r in receipts)
    closed = await service.close_group_question(CHANNEL)
    assert closed is not None and {a.member_id for a in closed.outcome.answers} == set(members)
