"""Group quizzes' timers on the bot's one scheduler: each question closed at its deadline and the next opened after
the pause, one job per channel; a quiz whose channel cannot be posted in any more is stopped; a stopped quiz's timer
goes; after a restart every running quiz gets its timer back."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite
import pytest

from bot.db.connection import open_database
from bot.quiz.group_timers import GroupQuizTimers, job_id
from bot.quiz.repository import QuizRepository
from bot.quiz.service import GroupClose, GroupOpen, QuizService
from bot.quiz.sessions import GroupResults
from bot.scheduling import JobScheduler
from tests.unit.test_quiz_service import ALICE, BANK, CHANNEL, GUILD, start

QUESTION_TIME = dt.timedelta(seconds=0.3)


@dataclass
class FakePoster:
    questions: list[int] = field(default_factory=list)
    outcomes: list[tuple[int, bool]] = field(default_factory=list)
    """(question number, the quiz's results came with it)."""
    cleared: list[int] = field(default_factory=list)
    closed_channel: bool = False
    service: QuizService | None = None
    """Alice answers each question as it is posted (two unanswered in a row would end the quiz)."""

    async def post_question(self, guild_id: int | None, opened: GroupOpen) -> bool:
        if self.closed_channel:
            return False
        self.questions.append(opened.question.number)
        if self.service is not None:
            number = opened.question.number
            await self.service.answer_group(opened.channel_id, ALICE, 0, number=number, run_id=opened.run_id)
        return True

    async def post_outcome(self, guild_id: int | None, closed: GroupClose, next_at: dt.datetime | None) -> bool:
        self.outcomes.append((closed.outcome.question.number, closed.results is not None))
        return True

    async def post_abandoned(self, channel_id: int, guild_id: int | None, results: GroupResults) -> None:
        return None

    async def clear_question(self, channel_id: int) -> None:
        self.cleared.append(channel_id)


@dataclass
class Setup:
    conn: aiosqlite.Connection
    scheduler: JobScheduler
    service: QuizService
    poster: FakePoster
    timers: GroupQuizTimers


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    conn = await open_database(tmp_path / "db.sqlite3")
    scheduler = JobScheduler()
    scheduler.start()
    service = QuizService(BANK, QuizRepository(conn), group_question_time=QUESTION_TIME, rng=random.Random(1))
    poster = FakePoster(service=service)
    try:
        yield Setup(conn, scheduler, service, poster, GroupQuizTimers(service, scheduler, poster))
    finally:
        await scheduler.shutdown()
        await conn.close()


async def finished(setup: Setup, timeout: float = 10) -> None:  # noqa: ASYNC109 - like the emulator's waits
    """Until the channel's quiz has no timer left (each step's task included)."""
    async with asyncio.timeout(timeout):
        while setup.timers.running(CHANNEL):
            await setup.scheduler.tasks.wait_idle()
            await asyncio.sleep(0.05)  # the next step's job fires on the scheduler's clock


async def test_a_group_quiz_runs_question_by_question_on_the_scheduler(setup: Setup) -> None:
    opened = await setup.service.start_group(GUILD, CHANNEL, ALICE, start(3, mode="group"))
    setup.timers.started(GUILD, opened)
    assert setup.timers.running(CHANNEL) and setup.scheduler.job_ids("quiz:group:") == {job_id(CHANNEL)}
    await finished(setup)
    assert setup.poster.questions == [1, 2, 3]
    assert setup.poster.outcomes == [(1, False), (2, False), (3, True)]
    assert not setup.timers.running(CHANNEL) and setup.scheduler.job_ids("quiz:group:") == set()
    assert await setup.service.running_group_quizzes() == ()


async def test_a_channel_that_cannot_be_posted_in_stops_its_quiz(setup: Setup) -> None:
    setup.poster.closed_channel = True
    opened = await setup.service.start_group(GUILD, CHANNEL, ALICE, start(3, mode="group"))
    setup.timers.started(GUILD, opened)
    await finished(setup)
    assert setup.poster.questions == [] and await setup.service.running_group_quizzes() == ()


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
