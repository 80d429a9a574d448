"""Group quizzes' timers on the bot's one scheduler: each question closed at its deadline and the next opened after
the pause, one job per channel; a post Discord fails for now (a 5xx, a long 429, no answer) is tried again a few
times, then the quiz ends and says why; a channel that cannot be posted in any more stops its quiz at once; a
stopped quiz's timer goes; after a restart every running quiz gets its timer back."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.db.connection import Connection
from bot.quiz import group_timers
from bot.quiz.group_timers import GroupQuizTimers, job_id
from bot.quiz.repository import QuizRepository
from bot.quiz.service import GroupClose, GroupOpen, QuizService
from bot.quiz.sessions import GroupResults
from bot.scheduling import JobScheduler
from bot.scheduling.delivery import DeliveryProblem, ProblemKind, TransientDeliveryError
from tests.unit.quiz.test_service import ALICE, BANK, CHANNEL, GUILD, start

QUESTION_TIME = dt.timedelta(seconds=0.3)
RETRY_DELAYS = (dt.timedelta(seconds=0.05),) * 3
"""The bot's waits (2, 4, 8 s) shortened; as many of them, so the quiz ends after the same four tries."""
UNAVAILABLE = TransientDeliveryError("Discord answered 503")


@dataclass
class FakePoster:
    questions: list[int] = field(default_factory=list)
    """Question numbers posted (a failed try is not)."""
    outcomes: list[tuple[int, bool]] = field(default_factory=list)
    """(question number, the quiz's results came with it)."""
    tries: list[tuple[str, dt.datetime | None]] = field(default_factory=list)
    """Every try, failed or not: ("question 2", its deadline) or ("answer 2", None)."""
    ended: list[tuple[GroupResults | None, str]] = field(default_factory=list)
    cleared: list[int] = field(default_factory=list)
    failures: dict[str, list[BaseException | None]] = field(default_factory=dict)
    """What the next tries of a post raise ("question 2" -> [a 503, a 503]); None: that try hangs."""
    service: QuizService | None = None
    """Alice answers each question as it is posted (two unanswered in a row would end the quiz)."""

    async def _try(self, what: str, deadline: dt.datetime | None = None) -> None:
        self.tries.append((what, deadline))
        script = self.failures.get(what)
        if script:
            failure = script.pop(0)
            if failure is None:
                await asyncio.Event().wait()  # no answer, ever: the timers' POST_TIMEOUT ends the wait
            raise failure

    async def post_question(self, guild_id: int | None, opened: GroupOpen) -> None:
        number = opened.question.number
        await self._try(f"question {number}", opened.deadline)
        self.questions.append(number)
        if self.service is not None:
            await self.service.answer_group(opened.channel_id, ALICE, 0, number=number, run_id=opened.run_id)

    async def post_outcome(self, guild_id: int | None, closed: GroupClose, next_at: dt.datetime | None) -> None:
        await self._try(f"answer {closed.outcome.question.number}")
        self.outcomes.append((closed.outcome.question.number, closed.results is not None))

    async def post_ended(
        self, channel_id: int, guild_id: int | None, results: GroupResults | None, reason: str
    ) -> None:
        self.ended.append((results, reason))

    async def post_abandoned(self, channel_id: int, guild_id: int | None, results: GroupResults) -> None:
        return None

    async def clear_question(self, channel_id: int) -> None:
        self.cleared.append(channel_id)

    def tried(self, what: str) -> int:
        return sum(1 for name, _ in self.tries if name == what)


@dataclass
class Setup:
    conn: Connection
    scheduler: JobScheduler
    service: QuizService
    poster: FakePoster
    timers: GroupQuizTimers


@pytest.fixture
async def setup(conn: Connection) -> AsyncIterator[Setup]:
    scheduler = JobScheduler()
    scheduler.start()
    service = QuizService(BANK, QuizRepository(conn), group_question_time=QUESTION_TIME, rng=random.Random(1))
    poster = FakePoster(service=service)
    try:
        timers = GroupQuizTimers(service, scheduler, poster, retry_delays=RETRY_DELAYS)
        yield Setup(conn, scheduler, service, poster, timers)
    finally:
        await scheduler.shutdown()


async def finished(setup: Setup, timeout: float = 10) -> None:  # noqa: ASYNC109 - like the emulator's waits
    """Until the channel's quiz has no timer left (each step's task included)."""
    async with asyncio.timeout(timeout):
        while setup.timers.running(CHANNEL):
            await setup.scheduler.tasks.wait_idle()
            await asyncio.sleep(0.05)  # the next step's job fires on the scheduler's clock
        # The timer is gone once the last step is decided; the step's own task (the results post) may still run.
        await setup.scheduler.tasks.wait_idle()


async def test_a_group_quiz_runs_question_by_question_on_the_scheduler(setup: Setup) -> None:
    opened = await setup.service.start_group(GUILD, CHANNEL, ALICE, start(3, mode="group"))
    setup.timers.started(GUILD, opened)
    assert setup.timers.running(CHANNEL) and setup.scheduler.job_ids("quiz:group:") == {job_id(CHANNEL)}
    await finished(setup)
    assert setup.poster.questions == [1, 2, 3]
    assert setup.poster.outcomes == [(1, False), (2, False), (3, True)]
    assert not setup.timers.running(CHANNEL) and setup.scheduler.job_ids("quiz:group:") == set()
    assert await setup.service.running_group_quizzes() == ()


async def run_quiz(setup: Setup) -> GroupOpen:
    opened = await setup.service.start_group(GUILD, CHANNEL, ALICE, start(3, mode="group"))
    setup.timers.started(GUILD, opened)
    await finished(setup)
    return opened


async def run_status(setup: Setup, run_id: int) -> str:
    async with setup.conn.execute("SELECT status FROM quiz_runs WHERE id = ?", (run_id,)) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return str(row[0])


async def test_a_channel_that_cannot_be_posted_in_stops_its_quiz_at_once(setup: Setup) -> None:
    setup.poster.failures["question 1"] = [DeliveryProblem(ProblemKind.CHANNEL_GONE, "404 10003 Unknown Channel")]
    opened = await run_quiz(setup)
    assert setup.poster.tries == [("question 1", opened.deadline)], "a permanent refusal is not tried again"
    assert setup.poster.questions == [] and setup.poster.ended == [], "nobody to tell in a channel that is gone"
    assert await setup.service.running_group_quizzes() == () and await run_status(setup, opened.run_id) == "stopped"


async def test_a_question_discord_fails_for_now_is_posted_again_with_its_whole_time(setup: Setup) -> None:
    setup.poster.failures["question 2"] = [UNAVAILABLE, TransientDeliveryError("rate limited for 31 s", retry_after=0)]
    opened = await run_quiz(setup)
    assert setup.poster.questions == [1, 2, 3] and setup.poster.tried("question 2") == 3
    assert setup.poster.outcomes == [(1, False), (2, False), (3, True)] and setup.poster.ended == []
    # Each try gives the question its whole time again from then: nobody could see it while Discord failed.
    deadlines = [deadline for name, deadline in setup.poster.tries if name == "question 2"]
    assert all(d is not None for d in deadlines) and deadlines == sorted(deadlines) and len(set(deadlines)) == 3
    assert await run_status(setup, opened.run_id) == "finished"


async def test_an_answer_discord_fails_for_now_is_posted_again_without_closing_twice(setup: Setup) -> None:
    setup.poster.failures["answer 1"] = [UNAVAILABLE]
    opened = await run_quiz(setup)
    assert setup.poster.tried("answer 1") == 2 and setup.poster.outcomes == [(1, False), (2, False), (3, True)]
    assert setup.poster.questions == [1, 2, 3] and setup.poster.ended == []
    async with setup.conn.execute("SELECT COUNT(*) FROM quiz_answers WHERE run_id = ?", (opened.run_id,)) as cursor:
        row = await cursor.fetchone()
    assert row is not None and tuple(row) == (3,), "each question scored once"


async def test_a_post_that_never_answers_is_a_failure_for_now(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_timers, "POST_TIMEOUT", dt.timedelta(seconds=0.2))
    setup.poster.failures["question 1"] = [None]
    await run_quiz(setup)
    assert setup.poster.tried("question 1") == 2 and setup.poster.questions == [1, 2, 3]


async def test_discord_failing_every_try_ends_the_quiz_and_says_why(setup: Setup) -> None:
    setup.poster.failures["question 2"] = [UNAVAILABLE] * 10
    opened = await run_quiz(setup)
    assert setup.poster.tried("question 2") == len(RETRY_DELAYS) + 1 == 4
    assert setup.poster.questions == [1] and setup.poster.outcomes == [(1, False)]
    [(results, reason)] = setup.poster.ended
    assert "kept failing" in reason and "4 tries" in reason and "/quiz start" in reason
    assert results is not None and results.asked == 1 and [s.member_id for s in results.standings] == [ALICE]
    assert await setup.service.running_group_quizzes() == () and await run_status(setup, opened.run_id) == "stopped"
    assert setup.scheduler.job_ids("quiz:group:") == set()


async def test_the_last_answer_failing_every_try_still_shows_the_results(setup: Setup) -> None:
    setup.poster.failures["answer 3"] = [UNAVAILABLE] * 10
    opened = await run_quiz(setup)
    assert setup.poster.tried("answer 3") == 4
    [(results, reason)] = setup.poster.ended
    assert results is not None and results.asked == 3 and "kept failing" in reason
    assert await run_status(setup, opened.run_id) == "finished", "the quiz had ended; only its last post failed"


async def test_a_rate_limit_longer_than_the_longest_wait_ends_the_quiz_at_once(setup: Setup) -> None:
    setup.poster.failures["question 1"] = [TransientDeliveryError("rate limited for 300 s", retry_after=300)]
    opened = await run_quiz(setup)
    assert setup.poster.tried("question 1") == 1 and len(setup.poster.ended) == 1
    assert await run_status(setup, opened.run_id) == "stopped"


async def test_a_message_discord_rejects_ends_the_quiz_at_once_and_says_why(setup: Setup) -> None:
    setup.poster.failures["question 1"] = [DeliveryProblem(ProblemKind.REJECTED, "400 50035 Invalid Form Body")]
    await run_quiz(setup)
    assert setup.poster.tried("question 1") == 1
    [(_, reason)] = setup.poster.ended
    assert "refused" in reason


async def test_a_stopped_quiz_loses_its_timer_and_a_restart_resumes_a_running_one(setup: Setup) -> None:
    opened = await setup.service.start_group(GUILD, CHANNEL, ALICE, start(3, mode="group"))
    setup.timers.started(GUILD, opened)
    setup.timers.stopped(CHANNEL)
    assert not setup.timers.running(CHANNEL) and setup.scheduler.job_ids("quiz:group:") == set()
    # The database still says it runs (nobody called the service's stop): a restart's timers take it up again.
    restarted = GroupQuizTimers(setup.service, setup.scheduler, setup.poster)
    await restarted.resume()
    assert restarted.running(CHANNEL)
    setup.timers = restarted
    await finished(setup)
    assert setup.poster.outcomes[-1] == (3, True)


async def test_a_quiz_stopped_while_its_question_is_posted_leaves_no_question_open(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /quiz stop came while Discord was taking question 1: once posted, it must not stay open with live buttons and
    # a "time is up in N seconds" countdown, and no timer may close it later.
    setup.poster.service = None  # nobody answers: the stop is what this test is about
    posting, release = asyncio.Event(), asyncio.Event()
    post_question = setup.poster.post_question

    async def slow_post(guild_id: int | None, opened: GroupOpen) -> None:
        posting.set()
        await release.wait()
        await post_question(guild_id, opened)

    monkeypatch.setattr(setup.poster, "post_question", slow_post)
    opened = await setup.service.start_group(GUILD, CHANNEL, ALICE, start(3, mode="group"))
    setup.timers.started(GUILD, opened)
    async with asyncio.timeout(5):
        await posting.wait()
    await setup.service.stop_group(CHANNEL, ALICE, can_manage=False)
    setup.timers.stopped(CHANNEL)
    release.set()
    await setup.scheduler.tasks.wait_idle()
    assert setup.poster.questions == [1] and setup.poster.cleared == [CHANNEL]
    assert setup.scheduler.job_ids("quiz:group:") == set() and setup.poster.outcomes == []
