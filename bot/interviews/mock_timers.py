"""Mock interview sessions' timers, on the bot's one scheduler (``bot.scheduling.JobScheduler``), as group quizzes'.

A running session is in the database (``MockInterviewService``); its next step is one scheduler job, id
``interview:mock:<session>``, at the end of its phase: a lobby nobody started closes, a round is followed by the
break, the break by the next round, the last round ends the session. Each step moves the session in the database
first, arms the next step, then shows the new phase in the channel: a new message (so the channel sees it, nobody
pinged) whose buttons carry the session id, while the previous message loses its buttons. After a restart ``resume``
re-arms every running session from the database (a phase that ended while the bot was down moves on at once) and
posts a phase the channel never saw (``MockSession.shown``).

Posting can fail for now (``TransientDeliveryError``, no answer within ``POST_TIMEOUT``): the post alone is tried
again after ``RETRY_DELAYS`` (the session keeps its time; the message nonce makes a post Discord did take come back
instead of a second one). It can fail for good (``DeliveryProblem``: the channel is gone, the bot lost its
permissions there): then the session ends, since nobody can see it.

No discord import: ``MockPoster`` is implemented by the cog (``cogs/interviews_mock.py``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Sequence
from typing import Protocol

from bot.db.timestamps import Clock, utc_now
from bot.interviews.mock import Phase, State
from bot.interviews.mock_service import MockInterviewService, SessionView
from bot.scheduling.delivery import DeliveryProblem, TransientDeliveryError
from bot.scheduling.scheduler import JobScheduler
from bot.validation import UserInputError

log = logging.getLogger(__name__)

JOB_PREFIX = "interview:mock:"
RETRY_DELAYS = (dt.timedelta(seconds=2), dt.timedelta(seconds=4), dt.timedelta(seconds=8))
"""Waits before posting a phase again after a failure for now: a 5xx burst or a reconnect usually passes within
seconds. After the last one the phase stays unposted; the next phase is posted on time all the same."""
POST_TIMEOUT = dt.timedelta(seconds=30)
"""A post with no answer by then failed for now (longer than discord.py's own retries of a 500 and its longest
rate-limit wait, as for group quizzes)."""


class MockPoster(Protocol):
    """How the timers show a session. Both raise ``TransientDeliveryError`` when Discord failed for now and
    ``DeliveryProblem`` when it refused for good."""

    async def post(self, view: SessionView, previous_message_id: int | None) -> int:
        """Post the message of the session's phase (the same post tried again must not show twice: a nonce), take
        the buttons off the previous message (best effort); the new message's id."""
        ...

    async def edit(self, view: SessionView) -> None:
        """Redraw the session's message in place (a lobby that closed unstarted)."""
        ...


def job_id(session_id: int) -> str:
    return f"{JOB_PREFIX}{session_id}"


def post_job_id(session_id: int) -> str:
    return f"{JOB_PREFIX}{session_id}:post"


class MockTimers:
    def __init__(
        self,
        service: MockInterviewService,
        scheduler: JobScheduler,
        poster: MockPoster,
        *,
        clock: Clock = utc_now,
        retry_delays: Sequence[dt.timedelta] = RETRY_DELAYS,
    ) -> None:
        self.service = service
        self.scheduler = scheduler
        self.poster = poster
        self.clock = clock
        self.retry_delays = tuple(retry_delays)

    async def resume(self) -> int:
        """A restart: every running session gets its timer back, and a phase the channel never saw is posted.
        Returns how many sessions were resumed."""
        sessions = await self.service.running()
        for session in sessions:
            state = session.state
            log.info(
                "resuming mock interview session %d in channel %d: %s, round %d, next step at %s",
                session.id,
                session.channel_id,
                state.phase.value,
                state.round,
                state.ends_at.isoformat() if state.ends_at else "none",
            )
            self.arm(session.id, state)
            if session.shown != state.key:
                self._arm_post(session.id, state, 1, self.clock())
        return len(sessions)

    def arm(self, session_id: int, state: State) -> None:
        """Arm the step that ends ``state``'s phase (replacing the session's earlier one)."""
        if state.phase.running and state.ends_at is not None:
            self.scheduler.at(job_id(session_id), state.ends_at, functools.partial(self._step, session_id, state))
        else:
            self.stopped(session_id)

    def stopped(self, session_id: int) -> None:
        """The session is over: nothing more is scheduled for it."""
        self.scheduler.remove(job_id(session_id))

    def _arm_post(self, session_id: int, state: State, attempt: int, when: dt.datetime) -> None:
        self.scheduler.at(post_job_id(session_id), when, functools.partial(self._show, session_id, state, attempt))

    async def _step(self, session_id: int, expected: State) -> None:
        view = await self.service.advance(session_id, expected)
        if view is None:
            return  # ended or moved on by someone meanwhile: their action armed what follows
        log.info("mock interview session %d: now %s, round %d", session_id, view.state.phase.value, view.state.round)
        self.arm(session_id, view.state)
        await self._show(session_id, view.state, 1)

    async def _show(self, session_id: int, state: State, attempt: int) -> None:
        """Show ``state`` in the channel once (``attempt``: 1 for the first try)."""
        try:
            view = await self.service.view(session_id)
        except UserInputError:
            return  # deleted meanwhile
        if view.state.key != state.key or view.session.shown == state.key:
            return  # moved on (the newer phase is shown instead), or shown already
        try:
            async with asyncio.timeout(POST_TIMEOUT.total_seconds()):
                if state.phase is Phase.CANCELLED and not state.started and view.session.message_id is not None:
                    await self.poster.edit(view)
                    message_id = view.session.message_id
                else:
                    message_id = await self.poster.post(view, view.session.message_id)
        except DeliveryProblem as problem:
            log.warning("mock interview session %d: Discord refused its message (%s); ending it", session_id, problem)
            await self.service.abandon(session_id)
            self.stopped(session_id)
            return
        except (TransientDeliveryError, TimeoutError) as failure:
            self._retry(session_id, state, attempt, failure)
            return
        except Exception as error:
            # A malformed answer, or a bug: logged with its traceback, and tried again like a 5xx (it may pass).
            log.exception("posting mock interview session %d's %s failed unexpectedly", session_id, state.key)
            self._retry(session_id, state, attempt, error)
            return
        await self.service.set_message(session_id, message_id, state.key)

    def _retry(self, session_id: int, state: State, attempt: int, failure: BaseException) -> None:
        if attempt > len(self.retry_delays):
            log.warning(
                "mock interview session %d: could not post %s after %d tries (%s); the next phase is posted on time",
                session_id,
                state.key,
                attempt,
                failure,
            )
            return
        wait = self.retry_delays[attempt - 1]
        retry_after = getattr(failure, "retry_after", None)
        if isinstance(retry_after, int | float):
            wait = max(wait, dt.timedelta(seconds=retry_after))
        log.warning(
            "mock interview session %d: posting %s failed for now (%s); trying again in %s",
            session_id,
            state.key,
            failure,
            wait,
        )
        self._arm_post(session_id, state, attempt + 1, self.clock() + wait)
