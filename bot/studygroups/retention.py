"""Deleting the study-group data of members who left a server, once the server's retention period is over.

The cog records departures (``on_raw_member_remove``) and returns (``on_member_join``) as they happen, and the
``MemberReconciler`` (started with this job) notices those that happened while the bot was offline; this job does
the deleting: every ``PURGE_EVERY`` under a stable id, and once at start-up to catch up after downtime. The same
run forgets streak-nudge records whose day is long over. The database says who left when, so a restart loses
nothing and running twice deletes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from bot.scheduling import JobScheduler
from bot.studygroups.reconcile import MemberReconciler
from bot.studygroups.service import PurgeReport, StudyGroupService

log = logging.getLogger(__name__)

PURGE_JOB = "sg:purge"
PURGE_EVERY = dt.timedelta(hours=1)
"""Data is deleted at most this long after its retention ran out; each run is one indexed query when idle."""


@dataclass(frozen=True)
class RetentionRun:
    purge: PurgeReport
    nudge_records_forgotten: int


class RetentionPurger:
    def __init__(
        self, service: StudyGroupService, scheduler: JobScheduler, *, every: dt.timedelta = PURGE_EVERY
    ) -> None:
        self.service = service
        self.scheduler = scheduler
        self.every = every
        self.reconciler = MemberReconciler(service, scheduler)
        """Finds who left (or came back) while the bot was offline; the cog attaches its member directory."""

    async def start(self) -> None:
        self.scheduler.start()
        self.scheduler.every(PURGE_JOB, self.every, self.run)
        self.scheduler.tasks.spawn(self.run(), name="studygroups:purge-catch-up")
        await self.reconciler.start()

    async def run(self) -> RetentionRun:
        now = self.service.now()
        purge = await self.service.purge_expired(now)
        forgotten = await self.service.prune_nudge_records(now)
        return RetentionRun(purge, forgotten)
