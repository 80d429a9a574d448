"""Noticing the members who left a server, or came back, while the bot was offline.

The member events (cogs/studygroups/member_events.py) arrive only while the bot is connected, and the bot keeps no
member list (it is built for thousands of servers), so a departure during downtime would never be seen and that
member's data would be kept for ever. This job asks Discord about the few members that matter: those with
study-group data in a server, up to ``MAX_IDS_PER_LOOKUP`` per request (the adapter uses the gateway's member
request by user ids, which has no REST rate limit, and falls back to REST), paced by a lane of the process's rate
budget so that thousands of servers never make a burst. It is a worker of the scheduling runner
(``bot.scheduling.runner``): once after ready (never delaying it) and then every ``RECONCILE_EVERY`` under a stable
job id.

What it does with the answers is the member events' work: a member found gone leaves now (the retention counts
from when it was noticed, so it is never shorter than the server chose); a member whose data waits for deletion
and who is there again gets their groups back; a server the bot is no longer in counts as everyone with data there
leaving. An answer that is not certain (an outage, a timeout, a server Discord does not confirm the bot has left)
changes nothing: that server is asked about again on the next run.

No discord import: ``MemberDirectory`` is implemented in ``bot/adapters/member_directory.py`` and given here by
``bot/app.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence, Set
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.scheduling.pacing import Lane, Pacer
from bot.scheduling.runner import run_each
from bot.studygroups.service import MemberRoster, StudyGroupService

log = logging.getLogger(__name__)

RECONCILE_JOB = "sg:reconcile-members"
RECONCILE_EVERY = dt.timedelta(days=1)
MAX_IDS_PER_LOOKUP = 100
"""Discord answers a member request for at most 100 user ids."""
LOOKUPS_PER_SECOND = 1.0
"""Gateway commands share 120 a minute per connection with heartbeats and presence updates: one a second leaves half
of that free and still checks 3,600 servers an hour."""
CONCURRENT_LOOKUPS = 2


class ServerStatus(StrEnum):
    """What the bot's own list of servers says about one."""

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    """The bot is in it but Discord has an outage there: nobody can be asked about."""
    NOT_LISTED = "not-listed"
    """Not among the bot's servers: it was removed (to be confirmed with Discord before anyone's groups end)."""
    ELSEWHERE = "elsewhere"
    """Served by another process of the bot (a cluster, SHARDS): that process looks after it, this one leaves it."""


class MemberLookupError(Exception):
    """Discord could not say who is in a server (a timeout, a lost connection, an unexpected answer)."""


class MemberDirectory(Protocol):
    def server_status(self, guild_id: int) -> ServerStatus: ...

    async def confirm_removed(self, guild_id: int) -> bool:
        """True only when Discord answers that the bot is not in the server (or that it no longer exists)."""
        ...

    async def present_members(self, guild_id: int, user_ids: Sequence[int]) -> Set[int]:
        """Which of ``user_ids`` (at most ``MAX_IDS_PER_LOOKUP``) are members of the server now. Raises
        ``MemberLookupError`` when Discord could not say."""
        ...


@dataclass(frozen=True)
class RosterChanges:
    left: tuple[int, ...]
    """Believed present, and not there: they left while the bot was offline."""
    returned: tuple[int, ...]
    """Recorded as gone, and there again: they came back while the bot was offline."""


def roster_changes(roster: MemberRoster, present: Set[int]) -> RosterChanges:
    """Compare what the bot believes about a server's members with who Discord says is there."""
    return RosterChanges(
        left=tuple(user for user in roster.members if user not in present),
        returned=tuple(user for user in roster.departed if user in present),
    )


def lookup_batches(user_ids: Sequence[int], size: int = MAX_IDS_PER_LOOKUP) -> list[tuple[int, ...]]:
    if size < 1:
        raise ValueError("a lookup asks about at least one member")
    return [tuple(user_ids[start : start + size]) for start in range(0, len(user_ids), size)]


@dataclass
class ReconcileReport:
    servers: int = 0
    """Servers where some member has study-group data."""
    members_checked: int = 0
    lookups: int = 0
    left: int = 0
    returned: int = 0
    servers_gone: int = 0
    """Servers the bot is no longer in (everyone with data there was recorded as gone)."""
    servers_skipped: int = 0
    """Servers Discord could not answer for; they are asked about again next time."""


class MemberReconciler:
    def __init__(
        self,
        service: StudyGroupService,
        directory: MemberDirectory,
        pacer: Lane | Pacer,
        *,
        workers: int = CONCURRENT_LOOKUPS,
    ) -> None:
        self.service = service
        self.directory = directory
        self.pacer = pacer
        """A lane of the rate budget at ``LOOKUPS_PER_SECOND`` (``bot/app.py``)."""
        self.workers = workers
        self._runs = 0

    async def run(self) -> ReconcileReport:
        """Ask Discord about every member with study-group data in every server, and record what changed."""
        at_start = self._runs == 0
        self._runs += 1
        report = ReconcileReport()
        guilds = await self.service.guilds_with_member_data()
        report.servers = len(guilds)

        async def reconcile(guild_id: int) -> None:
            await self._reconcile(guild_id, report)

        # Awaited first: ``+=`` would read the count before the workers add their own skips to it.
        failed = await run_each(guilds, reconcile, concurrency=self.workers, what="member check")
        report.servers_skipped += failed
        if at_start or report.left or report.returned or report.servers_gone or report.servers_skipped:
            log.info(
                "member check%s: %d servers, %d members asked about in %d lookups, %d left while I was offline, "
                "%d came back, %d servers I am no longer in, %d servers skipped (asked again next time)",
                " (start-up)" if at_start else "",
                report.servers,
                report.members_checked,
                report.lookups,
                report.left,
                report.returned,
                report.servers_gone,
                report.servers_skipped,
            )
        return report

    async def _reconcile(self, guild_id: int, report: ReconcileReport) -> None:
        roster = await self.service.member_roster(guild_id)
        if not roster.members and not roster.departed:
            return
        status = self.directory.server_status(guild_id)
        if status is ServerStatus.ELSEWHERE:
            return
        if status is ServerStatus.UNAVAILABLE:
            report.servers_skipped += 1
            return
        if status is ServerStatus.NOT_LISTED:
            async with self.pacer.slot():
                removed = await self.directory.confirm_removed(guild_id)
            if not removed:
                log.warning("server %d is not in my list but Discord did not confirm I left it; skipped", guild_id)
                report.servers_skipped += 1
                return
            report.servers_gone += 1
            report.left += await self.service.server_left(guild_id)
            return
        present: set[int] = set()
        try:
            for batch in lookup_batches(roster.members + roster.departed):
                async with self.pacer.slot():
                    present |= await self.directory.present_members(guild_id, batch)
                report.lookups += 1
                report.members_checked += len(batch)
        except MemberLookupError as error:
            log.warning("could not check the members of server %d (asked again next time): %s", guild_id, error)
            report.servers_skipped += 1
            return
        changes = roster_changes(roster, present)
        now = self.service.now()
        for user_id in changes.left:
            await self.service.member_left(guild_id, user_id, now)
        for user_id in changes.returned:
            await self.service.member_returned(guild_id, user_id, now)
        report.left += len(changes.left)
        report.returned += len(changes.returned)
