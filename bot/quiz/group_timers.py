"""Group quizzes' timers, on the bot's one scheduler (``bot.scheduling.JobScheduler``).

A running group quiz is in the database (``QuizService``); its next step is one scheduler job per channel, id
``quiz:group:<channel>``: close the open question at its deadline (post the answer and the standings), then, after a
pause, open the next question. Each step arms the next under the same id, so a quiz never has two timers. After a
restart ``resume`` re-arms every running quiz from the database (a deadline that passed while the bot was down
closes at once); quizzes nobody touched for a long time are ended by ``expire``, a worker of the scheduling runner.

No discord import: ``GroupQuizPoster`` is implemented in ``cogs/quiz.py`` and given here by ``bot/app.py``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Protocol

from bot.quiz.repository import RunMode
from bot.quiz.service import GroupClose, GroupOpen, QuizService
from bot.quiz.sessions import GroupPhase, GroupResults
from bot.scheduling.runner import run_each
from bot.scheduling.scheduler import JobFactory, JobScheduler
from bot.validation import UserInputError

log = logging.getLogger(__name__)

JOB_PREFIX = "quiz:group:"
EXPIRY_JOB = "quiz:expiry"
EXPIRY_EVERY = dt.timedelta(seconds=60)
PAUSE_MAX = dt.timedelta(seconds=8)
"""Between a question's answer and the next question: time to read the explanation, not long enough to drift."""


class GroupQuizPoster(Protocol):
    async def post_question(self, guild_id: int | None, opened: GroupOpen) -> bool:
        """Post the question with its answer buttons; False when the channel cannot be posted in any more."""
        ...

    async def post_outcome(self, guild_id: int | None, closed: GroupClose, next_at: dt.datetime | None) -> bool:
        """Show the closed question's answer and the standings (and the results at the end); False as above."""
        ...

    async def post_abandoned(self, channel_id: int, guild_id: int | None, results: GroupResults) -> None:
        """The final standings of a quiz ended because nobody played."""
        ...

    async def clear_question(self, channel_id: int) -> None:
        """Take the buttons off the open question (the quiz was stopped)."""
        ...


def job_id(channel_id: int) -> str:
    return f"{JOB_PREFIX}{channel_id}"


class GroupQuizTimers:
    def __init__(
        self,
        service: QuizService,
        scheduler: JobScheduler,
        poster: GroupQuizPoster,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.service = service
        self.scheduler = scheduler
        self.poster = poster
        self.clock = clock
        self.pause = min(PAUSE_MAX, service.group_question_time / 3)
        self._running: dict[int, int] = {}
        """Channel -> the run of its group quiz, while one has a timer."""

    def running(self, channel_id: int) -> bool:
        return channel_id in self._running

    # -- starting and stopping ----------------------------------------------------------------------------------

    async def resume(self) -> None:
        """A restart mid-quiz: the database knows every running group quiz; each gets its timer back."""
        for status in await self.service.running_group_quizzes():
            log.info(
                "resuming group quiz %d in channel %d at question %d of %d (%s)",
                status.run_id,
                status.channel_id,
                status.number,
                status.total,
                status.phase,
            )
            self._running[status.channel_id] = status.run_id
            if status.phase is GroupPhase.OPEN and status.deadline is not None:
                close = functools.partial(self._close, status.run_id, status.channel_id, status.guild_id, status.number)
                self._arm(status.channel_id, status.run_id, status.deadline, close)
            else:
                step = functools.partial(self._open, status.run_id, status.channel_id, status.guild_id)
                self._arm(status.channel_id, status.run_id, self.clock(), step)

    def started(self, guild_id: int | None, opened: GroupOpen) -> None:
        """A group quiz was just started (and introduced): post its first question now, close it at its deadline."""
        if opened.channel_id in self._running:
            log.warning("replacing the timer of channel %d, which was still running", opened.channel_id)
        self._running[opened.channel_id] = opened.run_id
        self._arm(opened.channel_id, opened.run_id, self.clock(), functools.partial(self._post_first, guild_id, opened))

    def stopped(self, channel_id: int) -> None:
        """The quiz ended (stopped or expired): its timer goes."""
        self._running.pop(channel_id, None)
        self.scheduler.remove(job_id(channel_id))

    def _arm(self, channel_id: int, run_id: int, when: dt.datetime, step: JobFactory) -> None:
        # Stopped while this step ran: nothing more for this quiz.
        if self._current(channel_id, run_id):
            self.scheduler.at(job_id(channel_id), when, step)

    def _current(self, channel_id: int, run_id: int) -> bool:
        return self._running.get(channel_id) == run_id

    # -- the steps ------------------------------------------------------------------------------------------------

    async def _post_first(self, guild_id: int | None, opened: GroupOpen) -> None:
        if not self._current(opened.channel_id, opened.run_id):
            return
        if not await self.poster.post_question(guild_id, opened):
            await self._give_up(opened.channel_id, opened.run_id)
            return
        close = functools.partial(self._close, opened.run_id, opened.channel_id, guild_id, opened.question.number)
        self._arm(opened.channel_id, opened.run_id, opened.deadline, close)

    async def _close(self, run_id: int, channel_id: int, guild_id: int | None, number: int) -> None:
        if not self._current(channel_id, run_id):
            return
        closed = await self.service.close_group_question(channel_id, number=number)
        if closed is None or closed.run_id != run_id:
            self._forget(channel_id, run_id)
            return
        next_at = None if closed.results is not None else self.clock() + self.pause
        if not await self.poster.post_outcome(guild_id, closed, next_at):
            await self._give_up(channel_id, run_id)
            return
        if next_at is None:
            log.info("group quiz %d in channel %d finished", run_id, channel_id)
            self._forget(channel_id, run_id)
            return
        self._arm(channel_id, run_id, next_at, functools.partial(self._open, run_id, channel_id, guild_id))

    async def _open(self, run_id: int, channel_id: int, guild_id: int | None) -> None:
        if not self._current(channel_id, run_id):
            return
        try:
            opened = await self.service.open_next_group_question(channel_id)
        except UserInputError:
            self._forget(channel_id, run_id)  # stopped or expired in the meantime
            return
        if opened.run_id != run_id:
            self._forget(channel_id, run_id)
            return
        if not await self.poster.post_question(guild_id, opened):
            await self._give_up(channel_id, run_id)
            return
        close = functools.partial(self._close, run_id, channel_id, guild_id, opened.question.number)
        self._arm(channel_id, run_id, opened.deadline, close)

    async def _give_up(self, channel_id: int, run_id: int) -> None:
        log.warning("cannot post in channel %d any more; stopping group quiz %d", channel_id, run_id)
        self._forget(channel_id, run_id)
        with contextlib.suppress(UserInputError):
            await self.service.stop_group(channel_id, 0, can_manage=True)

    def _forget(self, channel_id: int, run_id: int) -> None:
        if self._current(channel_id, run_id):
            del self._running[channel_id]

    # -- the worker -----------------------------------------------------------------------------------------------

    async def expire(self) -> None:
        """End quizzes nobody touched for a long time, and tell a group channel why its quiz ended."""
        ended = [q for q in await self.service.expire_abandoned() if q.mode is RunMode.GROUP]

        async def announce(quiz_channel: tuple[int, int | None, GroupResults | None]) -> None:
            channel_id, guild_id, results = quiz_channel
            self.stopped(channel_id)
            if results is not None:
                await self.poster.post_abandoned(channel_id, guild_id, results)

        await run_each(
            [(q.channel_id, q.guild_id, q.group_results) for q in ended],
            announce,
            concurrency=4,
            what="announcing the end of an abandoned group quiz",
        )
