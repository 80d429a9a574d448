"""APScheduler runs the clock; the database is the truth.

``JobScheduler`` keeps an in-memory ``AsyncIOScheduler`` whose jobs are always rebuilt from the database (by the
runner, from each feed's ``wakeups``) under stable ids, so a restart, or rebuilding twice, never duplicates a job.
It is the bot's only timer: feeds' sweeps and timers, workers, retries and group-quiz questions all run here. A job
only starts a tracked task (``TaskTracker``): its failure is logged and ``shutdown`` cancels and awaits it, so
nothing runs after the database is closed.

A job that fires late (the machine was suspended, the wall clock jumped, the loop was busy) still runs
(``MISFIRE_GRACE``): what it runs decides what is too late (a feed's grace window), and says "late" when it posts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.db.timestamps import utc_now
from bot.observability.context import job_context
from bot.scheduling.tasks import TaskTracker

log = logging.getLogger(__name__)

JobFactory = Callable[[], Coroutine[Any, Any, Any]]

MISFIRE_GRACE: int | None = None
"""APScheduler's misfire_grace_time: None runs a job however late it fires (the default, 1 s, would drop a job that
fires hours late, and with it the posts a feed would have marked late)."""


class JobScheduler:
    def __init__(self, tasks: TaskTracker | None = None) -> None:
        self.tasks = tasks or TaskTracker()
        # coalesce: a job that missed several runs runs once.
        self._scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"misfire_grace_time": MISFIRE_GRACE, "coalesce": True, "max_instances": 1}
        )

    def now(self) -> datetime:
        """The clock jobs run by: the real one (a feature's own clock may be moved by a test hook)."""
        return utc_now()

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self) -> None:
        """Start the clock; needs a running event loop (call it from ``setup_hook``)."""
        if not self.running:
            self._scheduler.start()

    async def shutdown(self) -> None:
        """Stop the clock, then cancel and await every task a job started."""
        if self.running:
            self._scheduler.shutdown(wait=False)
            # AsyncIOScheduler shuts down on the next turn of the loop.
            await asyncio.sleep(0)
        await self.tasks.aclose()

    async def _launch(self, job_id: str, factory: JobFactory) -> None:
        # Every job runs here: the task copies this context, so all it logs (and its failure) carries job=<id>.
        with job_context(job_id):
            self.tasks.spawn(factory(), name=job_id)

    def at(self, job_id: str, when: datetime, factory: JobFactory) -> None:
        """Run ``factory()`` once at ``when`` (aware); replaces a job with the same id."""
        if when.tzinfo is None:
            raise ValueError("job times must be timezone-aware")
        self._scheduler.add_job(
            self._launch,
            "date",
            run_date=when.astimezone(UTC),
            args=[job_id, factory],
            id=job_id,
            replace_existing=True,
            misfire_grace_time=MISFIRE_GRACE,
        )

    def every(self, job_id: str, interval: timedelta, factory: JobFactory) -> None:
        """Run ``factory()`` every ``interval``; replaces a job with the same id."""
        self._scheduler.add_job(
            self._launch,
            "interval",
            seconds=interval.total_seconds(),
            args=[job_id, factory],
            id=job_id,
            replace_existing=True,
            misfire_grace_time=MISFIRE_GRACE,
        )

    def job_ids(self, prefix: str = "") -> set[str]:
        return {job.id for job in self._scheduler.get_jobs() if job.id.startswith(prefix)}

    def next_run(self, job_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id)
        # A job added before the scheduler started has no run time yet (APScheduler computes it at start).
        run: datetime | None = getattr(job, "next_run_time", None) if job is not None else None
        return run

    def remove(self, job_id: str) -> None:
        if self._scheduler.get_job(job_id) is not None:
            self._scheduler.remove_job(job_id)

    def sync(self, prefix: str, wanted: Mapping[str, tuple[datetime, JobFactory]]) -> tuple[int, int]:
        """Make the jobs whose id starts with ``prefix`` exactly ``wanted`` (id -> (when, factory)), except that a
        job already due that has not run yet is kept.

        Returns (added, removed). Existing jobs are kept as they are, so syncing again changes nothing.
        """
        current = self.job_ids(prefix)
        now = self.now()
        added = 0
        for job_id, (when, factory) in wanted.items():
            if not job_id.startswith(prefix):
                raise ValueError(f"job id {job_id!r} does not start with {prefix!r}")
            if job_id not in current:
                self.at(job_id, when, factory)
                added += 1
        stale = set()
        for job_id in current - set(wanted):
            run = self.next_run(job_id)
            if run is not None and run <= now:
                # Its instant has come and the loop has not run it yet (it was busy): the caller asks only for
                # instants still ahead, and dropping it would lose that run. APScheduler runs it at its next turn
                # (a job runs however late it fires: MISFIRE_GRACE), and a date job is gone once it has run.
                continue
            self.remove(job_id)
            stale.add(job_id)
        if added or stale:
            log.debug("jobs %s*: %d added, %d removed, %d in all", prefix, added, len(stale), len(wanted))
        return added, len(stale)
