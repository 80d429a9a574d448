"""Group quizzes' timers, on the bot's one scheduler (``bot.scheduling.JobScheduler``).

A running group quiz is in the database (``QuizService``); its next step is one scheduler job per channel, id
``quiz:group:<channel>``: close the open question at its deadline (post the answer and the standings), then, after a
pause, open the next question. Each step arms the next under the same id, so a quiz never has two timers. After a
restart ``resume`` re-arms every running quiz from the database (a deadline that passed while the bot was down
closes at once); quizzes nobody touched for a long time are ended by ``expire``, a worker of the scheduling runner.

Posting a step can fail two ways, and the poster says which (``bot.scheduling.delivery``'s terms):

- **for now** (``TransientDeliveryError``: a 5xx, a rate limit longer than discord.py waits, a dropped connection,
  no answer within ``POST_TIMEOUT``): the same step is armed again after ``RETRY_DELAYS`` (2, 4, then 8 s; never
  sooner than Discord's ``retry_after``), only the post, not the quiz's move (the database already closed or opened
  the question). A question tried again gets its whole time again from then, since nobody could see it meanwhile;
  the message nonce makes a post Discord did take come back instead of a second one. Still failing after the last
  try (or Discord asking to wait longer than ``LONGEST_WAIT``), the quiz ends, and the channel is told why with
  the standings so far (best effort: Discord may refuse that too);
- **for good** (``DeliveryProblem``: the channel is gone, the bot lacks the permission): the quiz ends at once; only
  a message Discord rejected as such (a bug of ours, not the channel's) is followed by a word to the channel.

No discord import: ``GroupQuizPoster`` is implemented in ``bot/adapters/group_quiz.py`` and given here by
``bot/app.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.db.timestamps import Clock, utc_now
from bot.quiz.repository import RunMode
from bot.quiz.service import GroupClose, GroupOpen, QuizService
from bot.quiz.sessions import GroupPhase, GroupResults
from bot.scheduling.delivery import DeliveryProblem, ProblemKind, TransientDeliveryError
from bot.scheduling.runner import run_each
from bot.scheduling.scheduler import JobFactory, JobScheduler
from bot.validation import UserInputError

log = logging.getLogger(__name__)

JOB_PREFIX = "quiz:group:"
EXPIRY_JOB = "quiz:expiry"
EXPIRY_EVERY = dt.timedelta(seconds=60)
PAUSE_MAX = dt.timedelta(seconds=8)
"""Between a question's answer and the next question: time to read the explanation, not long enough to drift."""
RETRY_DELAYS = (dt.timedelta(seconds=2), dt.timedelta(seconds=4), dt.timedelta(seconds=8))
"""Waits before trying a step's post again after a failure for now: a 5xx burst or a reconnect usually passes within
seconds, and after about 15 s of trouble the players have waited long enough to be told the quiz ended."""
LONGEST_WAIT = dt.timedelta(seconds=60)
"""A rate limit asking for longer than this ends the quiz rather than leaving the channel silent that long."""
POST_TIMEOUT = dt.timedelta(seconds=30)
"""A post with no answer by then failed for now. Longer than discord.py's own retries of a 500 (1 + 3 + 5 + 7 + 9 s)
and its longest rate-limit wait (``max_ratelimit_timeout``, 30 s, raises instead of waiting longer)."""
PostFailure = DeliveryProblem | TransientDeliveryError


class GroupQuizPoster(Protocol):
    """How the timers post. Each post raises ``TransientDeliveryError`` when Discord failed for now (tried again)
    and ``DeliveryProblem`` when it refused for good (the quiz ends); the same post tried again must not show twice
    (a message nonce)."""

    async def post_question(self, guild_id: int | None, opened: GroupOpen) -> None:
        """Post the question with its answer buttons."""
        ...

    async def post_outcome(self, guild_id: int | None, closed: GroupClose, next_at: dt.datetime | None) -> None:
        """Show the closed question's answer and the standings (and the results at the end)."""
        ...

    async def post_ended(
        self, channel_id: int, guild_id: int | None, results: GroupResults | None, reason: str
    ) -> None:
        """Tell the channel its quiz ended because of ``reason`` (the players' words), with the standings so far."""
        ...

    async def post_abandoned(self, channel_id: int, guild_id: int | None, results: GroupResults) -> None:
        """The final standings of a quiz ended because nobody played."""
        ...

    async def clear_question(self, channel_id: int) -> None:
        """Take the buttons off the open question (the quiz was stopped)."""
        ...


def job_id(channel_id: int) -> str:
    return f"{JOB_PREFIX}{channel_id}"


def players_reason(failure: PostFailure, tries: int) -> str:
    """Why the quiz ended, for the channel (the log has Discord's own words)."""
    if isinstance(failure, DeliveryProblem):
        return "Discord refused one of my quiz messages here, so I could not go on."
    return (
        f"Discord kept failing to take my quiz messages in this channel ({tries} "
        f"{'try' if tries == 1 else 'tries'}), so I stopped rather than leave you waiting. Start a new one with "
        "`/quiz start` in a moment."
    )


class GroupQuizTimers:
    def __init__(
        self,
        service: QuizService,
        scheduler: JobScheduler,
        poster: GroupQuizPoster,
        *,
        clock: Clock = utc_now,
        retry_delays: Sequence[dt.timedelta] = RETRY_DELAYS,
        owns: Callable[[int | None], bool] | None = None,
    ) -> None:
        self.service = service
        self.scheduler = scheduler
        self.poster = poster
        self.clock = clock
        self.owns = owns
        """In a cluster (SHARDS): whether this process serves a server (None: DMs); it ends only those quizzes."""
        self.retry_delays = tuple(retry_delays)
        """``RETRY_DELAYS``; shorter in tests."""
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
        show = functools.partial(self._show_question, opened.run_id, guild_id, opened, 1)
        self._arm(opened.channel_id, opened.run_id, self.clock(), show)

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
        await self._show_question(run_id, guild_id, opened, 1)

    async def _show_question(self, run_id: int, guild_id: int | None, opened: GroupOpen, attempt: int) -> None:
        """Post the open question (``attempt``: 1 for the first try), then arm its close at the deadline."""
        channel_id = opened.channel_id
        if not self._current(channel_id, run_id):
            return
        if attempt > 1:
            number = opened.question.number
            restarted = await self.service.restart_group_question(channel_id, run_id=run_id, number=number)
            if restarted is None:
                self._forget(channel_id, run_id)  # stopped or expired while its post waited
                return
            opened = restarted
        failure = await self._post(self.poster.post_question(guild_id, opened))
        if failure is not None:
            again = functools.partial(self._show_question, run_id, guild_id, opened, attempt + 1)
            what = f"question {opened.question.number}"
            await self._failed(channel_id, run_id, guild_id, what, failure, attempt, again, None)
            return
        if not self._current(channel_id, run_id):
            # Stopped while the question was being posted: it must not stay open, counting down, with live buttons.
            await self._post(self.poster.clear_question(channel_id))
            return
        close = functools.partial(self._close, run_id, channel_id, guild_id, opened.question.number)
        self._arm(channel_id, run_id, opened.deadline, close)

    async def _close(self, run_id: int, channel_id: int, guild_id: int | None, number: int) -> None:
        if not self._current(channel_id, run_id):
            return
        closed = await self.service.close_group_question(channel_id, number=number)
        if closed is None or closed.run_id != run_id:
            self._forget(channel_id, run_id)
            return
        await self._show_outcome(run_id, guild_id, closed, 1)

    async def _show_outcome(self, run_id: int, guild_id: int | None, closed: GroupClose, attempt: int) -> None:
        """Post the closed question's answer (``attempt``: 1 for the first try), then arm the next question."""
        channel_id = closed.channel_id
        if not self._current(channel_id, run_id):
            return
        next_at = None if closed.results is not None else self.clock() + self.pause
        failure = await self._post(self.poster.post_outcome(guild_id, closed, next_at))
        if failure is not None:
            again = functools.partial(self._show_outcome, run_id, guild_id, closed, attempt + 1)
            what = f"the answer to question {closed.outcome.question.number}"
            await self._failed(channel_id, run_id, guild_id, what, failure, attempt, again, closed.results)
            return
        if next_at is None:
            log.info("group quiz %d in channel %d finished", run_id, channel_id)
            self._forget(channel_id, run_id)
            return
        self._arm(channel_id, run_id, next_at, functools.partial(self._open, run_id, channel_id, guild_id))

    # -- when Discord fails -------------------------------------------------------------------------------------

    @staticmethod
    async def _post(post: Awaitable[None]) -> PostFailure | None:
        """Run one post under ``POST_TIMEOUT``; how it failed, or None when it was posted."""
        try:
            async with asyncio.timeout(POST_TIMEOUT.total_seconds()):
                await post
        except (DeliveryProblem, TransientDeliveryError) as failure:
            return failure
        except TimeoutError:
            return TransientDeliveryError(f"no answer from Discord within {POST_TIMEOUT.total_seconds():.0f} s")
        except Exception as error:
            # A malformed answer, or a bug: logged with its traceback, and tried again like a 5xx (it may pass).
            log.exception("posting a group-quiz step failed unexpectedly")
            return TransientDeliveryError(f"{type(error).__name__}: {error}")
        return None

    async def _failed(
        self,
        channel_id: int,
        run_id: int,
        guild_id: int | None,
        what: str,
        failure: PostFailure,
        attempt: int,
        again: JobFactory,
        results: GroupResults | None,
    ) -> None:
        """Try the step again after a short wait, or end the quiz (at once when Discord refused for good)."""
        if isinstance(failure, DeliveryProblem):
            log.warning(
                "group quiz %d in channel %d: Discord refused %s (%s); ending the quiz",
                run_id,
                channel_id,
                what,
                failure,
            )
            tell = failure.kind is ProblemKind.REJECTED  # the channel itself is fine: say why there
            await self._end(channel_id, run_id, guild_id, players_reason(failure, attempt) if tell else None, results)
            return
        delays = self.retry_delays
        wait = delays[attempt - 1] if attempt <= len(delays) else None
        if wait is not None and failure.retry_after is not None:
            wait = max(wait, dt.timedelta(seconds=failure.retry_after))
        if wait is None or wait > LONGEST_WAIT:
            log.warning(
                "group quiz %d in channel %d: posting %s failed %d time(s), the last for now (%s); ending the quiz",
                run_id,
                channel_id,
                what,
                attempt,
                failure,
            )
            await self._end(channel_id, run_id, guild_id, players_reason(failure, attempt), results)
            return
        log.warning(
            "group quiz %d in channel %d: posting %s failed for now (%s); trying again in %s (try %d of %d)",
            run_id,
            channel_id,
            what,
            failure,
            wait,
            attempt + 1,
            len(delays) + 1,
        )
        self._arm(channel_id, run_id, self.clock() + wait, again)

    async def _end(
        self, channel_id: int, run_id: int, guild_id: int | None, reason: str | None, results: GroupResults | None
    ) -> None:
        """End the quiz in the database; with ``reason``, tell the channel (once, and only if Discord takes it)."""
        self._forget(channel_id, run_id)
        # UserInputError: it had ended already (its last answer was the post that failed), or was stopped meanwhile.
        with contextlib.suppress(UserInputError):
            results = await self.service.stop_group(channel_id, 0, can_manage=True, run_id=run_id)
        if reason is None:
            return
        failure = await self._post(self.poster.post_ended(channel_id, guild_id, results, reason))
        if failure is not None:
            log.warning("could not tell channel %d why its group quiz %d ended: %s", channel_id, run_id, failure)

    def _forget(self, channel_id: int, run_id: int) -> None:
        if self._current(channel_id, run_id):
            del self._running[channel_id]

    # -- the worker -----------------------------------------------------------------------------------------------

    async def expire(self) -> None:
        """End quizzes nobody touched for a long time, and tell a group channel why its quiz ended."""
        ended = [q for q in await self.service.expire_abandoned(self.owns) if q.mode is RunMode.GROUP]

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
