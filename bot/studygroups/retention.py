"""Deleting the study-group data of members who left a server, once the server's retention period is over.

The cog records departures (``on_raw_member_remove``) and returns (``on_member_join``) as they happen, and the
``MemberReconciler`` notices those that happened while the bot was offline; this job does the deleting. It is a
worker of the scheduling runner (``bot/app.py``): every ``PURGE_EVERY`` under a stable id, and once at start-up to
catch up after downtime. The same run forgets streak-nudge records whose day is long over. The database says who
left when, so a restart loses nothing and running twice deletes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

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
    def __init__(self, service: StudyGroupService) -> None:
        self.service = service

    async def run(self) -> RetentionRun:
        now = self.service.now()
        purge = await self.service.purge_expired(now)
        forgotten = await self.service.prune_nudge_records(now)
        return RetentionRun(purge, forgotten)
