"""Running a feature again soon after a run that left deliveries Discord refused for the moment.

A transient failure (a 503 or five 5xx in a row that discord.py gave up on, a dropped connection, a server
unavailable during a reconnect) leaves the delivery ``claimed`` (``bot.scheduling.delivery``), and the feature's
periodic sweep would send it again, minutes late. ``RetryBackoff`` arms a one-off job instead: ``first`` after the
run that left something to retry, twice as long after each further such run, never longer than ``cap`` (the
feature's sweep interval, which retries anyway), and back to ``first`` after a run that left nothing. The job has
a stable id, so arming it again replaces it rather than adding a second one; it only triggers the feature's usual
database-driven run, which finds the claims and sends them with their nonce.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.scheduling.scheduler import JobFactory, JobScheduler

log = logging.getLogger(__name__)

DEFAULT_FIRST_RETRY = timedelta(seconds=15)
"""Long enough for a 5xx burst or a reconnect to pass, short enough that a message is not noticeably late."""


class RetryBackoff:
    def __init__(
        self,
        scheduler: JobScheduler,
        job_id: str,
        run: JobFactory,
        *,
        cap: timedelta,
        first: timedelta = DEFAULT_FIRST_RETRY,
    ) -> None:
        if first <= timedelta(0) or cap < first:
            raise ValueError(f"retry delays need 0 < first <= cap (first {first}, cap {cap})")
        self.scheduler = scheduler
        self.job_id = job_id
        self.run = run
        self.first = first
        self.cap = cap
        self._next_delay = first

    @property
    def next_delay(self) -> timedelta:
        """How long after the next run that leaves something to retry the retry job runs."""
        return self._next_delay

    def after_run(self, to_retry: int) -> timedelta | None:
        """Call at the end of every run (under the feature's lock) with how many deliveries it left to retry.

        Returns the delay the retry job was armed with, or None when nothing was armed (nothing to retry, or the
        scheduler is not running: a run outside the bot's lifetime, such as a command-line one).
        """
        if to_retry == 0:
            self._next_delay = self.first
            return None
        if not self.scheduler.running:
            return None
        delay = self._next_delay
        self.scheduler.at(self.job_id, self.scheduler.now() + delay, self.run)
        self._next_delay = min(delay * 2, self.cap)
        return delay
