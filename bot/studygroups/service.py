"""Study groups as the cog uses them: groups, membership, check-ins with streaks, progress, settings, recaps,
nudges, and what happens to a member's data when they leave a server.

Every call takes ids and validated options (``bot.studygroups.models``) and returns plain values; mistakes a
member can fix raise ``UserInputError`` with a message to show as is (a ``Refusal`` where it names a group, a
member or a channel: ``bot.ui`` decides how those look). The clock is injected.

Scope: a member's streak, totals and /progress are per server (check-ins in any group of that server count),
so nothing from one server shows in another. Their zone and nudge choice are theirs, the same in every server.
A member without a zone of their own checks in on the group's zone (the receipt says so, so the cog can
suggest ``/settings timezone:``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.db.timestamps import Clock, utc_now
from bot.studygroups import schedule as timing
from bot.studygroups.charts import DayPoint, ProgressChart, daily_points, progress_chart
from bot.studygroups.models import (
    CheckIn,
    CheckInEntry,
    GroupCreateOptions,
    GroupEditOptions,
    MemberSettings,
    MemberSettingsOptions,
    RetentionOptions,
    Schedule,
    StudyGroup,
)
from bot.studygroups.recap import WeeklyRecap, build_recap
from bot.studygroups.repository import (
    GroupConflictError,
    LeftReason,
    StudyGroupRepository,
    name_key,
)
from bot.studygroups.streaks import StreakStatus, local_day, nudge_instant, streak_status
from bot.validation import ChannelRef, Refusal, UserInputError
from bot.zones import UTC_NAME, zone_choices

log = logging.getLogger(__name__)

MAX_ACTIVE_GROUPS = 50
"""Per server; far more than any community needs, and it keeps autocomplete lists usable."""
PROGRESS_DAYS = 30
NUDGE_RECORDS_KEPT = dt.timedelta(days=3)
"""A record that a member was nudged on a day is only needed until that day is over everywhere (a day spans
at most 26 hours of UTC), so it is forgotten after this."""


# -- values handed to the cog --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupCreated:
    group: StudyGroup
    zone_defaulted: bool
    """No zone was given: the group uses the creator's own zone (or UTC when they have none)."""
    next_prompt_at: dt.datetime | None


@dataclass(frozen=True)
class GroupEdited:
    group: StudyGroup
    next_prompt_at: dt.datetime | None
    """The prompt that will really be posted next (see ``StudyGroupService.upcoming_prompt``)."""
    today_done: bool
    """Today's prompt already went out (at the old time): a new time later today waits until the next day."""


@dataclass(frozen=True)
class UpcomingPrompt:
    at: dt.datetime | None
    """None: no prompt ahead (an archived group)."""
    passed_over: bool
    """A prompt of the schedule came first but its day's prompt was already posted (or skipped): one a day."""


@dataclass(frozen=True)
class GroupUnarchived:
    group: StudyGroup
    members: int
    """Its members when it was archived, in it again (nobody left it by archiving)."""
    next_prompt_at: dt.datetime | None


@dataclass(frozen=True)
class GroupSummary:
    group: StudyGroup
    members: int
    is_member: bool


@dataclass(frozen=True)
class GroupInfo:
    group: StudyGroup
    member_ids: tuple[int, ...]
    next_prompt_at: dt.datetime | None
    this_week: WeeklyRecap
    """The current week so far (in the group's zone); members who have not checked in are not in it."""


@dataclass(frozen=True)
class JoinResult:
    group: StudyGroup
    joined: bool
    """False when the member was already in the group."""


@dataclass(frozen=True)
class CheckInReceipt:
    group: StudyGroup
    check_in: CheckIn
    updated: bool
    """It replaced the member's earlier check-in of the same day."""
    joined: bool
    """The member was not in the group and joined by checking in."""
    zone: str
    zone_is_default: bool
    """The member has no zone of their own; the group's zone was used for the day."""
    streak: StreakStatus


@dataclass(frozen=True)
class MemberProgress:
    user_id: int
    guild_id: int
    zone: str
    zone_is_set: bool
    streak: StreakStatus
    check_ins: int
    days: int
    questions: int
    minutes: int
    last7: tuple[DayPoint, ...]
    last30: tuple[DayPoint, ...]
    chart: ProgressChart


class ProgressAccess(StrEnum):
    """Why the asker may see a member's /progress."""

    OWN = "own"
    GROUP_MATE = "group-mate"
    """They are both in at least one active group of this server."""
    MODERATOR = "moderator"
    """The asker has Manage Server (and shares no active group with the member)."""


def progress_access(
    asker_id: int,
    target_id: int,
    asker_groups: Iterable[int],
    target_groups: Iterable[int],
    *,
    asker_manages_server: bool,
) -> ProgressAccess | None:
    """Whether the asker may see the target's study-group progress in a server; None: they may not.

    ``*_groups`` are the ids of the active (non-archived) groups each is in now, in that server. Group mates
    already see each other's check-ins in the group's recaps and ``/studygroup info``, so their progress is no news
    among them; anyone else's is personal, except to a moderator (Manage Server), who looks after the groups.
    """
    if asker_id == target_id:
        return ProgressAccess.OWN
    if set(asker_groups) & set(target_groups):
        return ProgressAccess.GROUP_MATE
    if asker_manages_server:
        return ProgressAccess.MODERATOR
    return None


@dataclass(frozen=True)
class ViewedProgress:
    """A member's progress as someone asked for it with ``/progress user:``."""

    progress: MemberProgress
    access: ProgressAccess
    shared_groups: tuple[StudyGroup, ...]
    """The asker's groups that the member is in too (empty for one's own progress)."""


@dataclass(frozen=True)
class Nudge:
    """The streak in ``guild_id`` breaks unless the member checks in today; ``nudges.member_nudges`` folds a
    member's nudges into one DM a day (``MemberNudge``, keyed ``sg:nudge:{user}:{date}``)."""

    guild_id: int
    user_id: int
    due_at: dt.datetime
    local_date: dt.date
    streak: StreakStatus


@dataclass(frozen=True)
class PurgeReport:
    members: int
    """(server, member) pairs whose retention ran out."""
    deleted: dict[str, int]


@dataclass(frozen=True)
class MemberRoster:
    """The members with study-group data in one server, as the bot last knew them."""

    guild_id: int
    members: tuple[int, ...]
    """Believed to be in the server: their departure would have to be noticed."""
    departed: tuple[int, ...]
    """Recorded as gone, their data waiting for the retention period: their return would have to be noticed."""


# -- the service ---------------------------------------------------------------------------------------------


class StudyGroupService:
    def __init__(self, repository: StudyGroupRepository, clock: Clock = utc_now) -> None:
        self._repo = repository
        self._clock = clock

    def now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return now.astimezone(dt.UTC)

    # -- finding groups --------------------------------------------------------------------------------------

    async def resolve_group(self, guild_id: int, ref: str | int, *, include_archived: bool = False) -> StudyGroup:
        """A group of this server by id (what autocomplete sends) or name; UserInputError if none."""
        group: StudyGroup | None = None
        text = ref.strip() if isinstance(ref, str) else str(ref)
        # An id is what autocomplete sends: ASCII digits within SQLite's integers. A name made of digits (or of
        # other scripts' digits, which int() reads too) is looked up as a name.
        if text.isascii() and text.isdigit() and int(text) < 2**63:
            found = await self._repo.get_group(int(text))
            if found is not None and found.guild_id == guild_id:
                group = found
        if group is None and isinstance(ref, str):
            candidates = await self._repo.groups_by_name(guild_id, text)
            group = candidates[0] if candidates else None
        if group is None:
            raise Refusal(
                "There is no study group called {name} here. See `/studygroup list` for the groups.", name=text
            )
        if not group.active and not include_archived:
            raise await self._closed(group)
        return group

    async def _closed(self, group: StudyGroup) -> Refusal:
        """An archived group asked for (a check-in, a join, an old prompt's button): what to do instead, since
        autocomplete no longer offers it and a member has no other way to find out."""
        open_names = tuple(g.name for g in (await self._repo.groups(group.guild_id))[:5])
        closed = "{name} is archived, so it takes no check-ins or new members (its history is kept). "
        if open_names:
            return Refusal(
                closed + "Open groups here: {names}; join one with `/studygroup join`. Or ask a moderator to bring "
                "{name} back.",
                name=group.name,
                names=open_names,
            )
        return Refusal(
            closed + "This server has no open group now: ask a moderator to bring {name} back or to start one.",
            name=group.name,
        )

    async def group_choices(self, guild_id: int, typed: str, limit: int = 25) -> tuple[StudyGroup, ...]:
        """Autocomplete: active groups whose name contains what is typed (value: the id, label: the name)."""
        wanted = name_key(typed)
        groups = await self._repo.groups(guild_id)
        starts = [g for g in groups if name_key(g.name).startswith(wanted)]
        contains = [g for g in groups if wanted in name_key(g.name) and g not in starts]
        return tuple((starts + contains)[:limit])

    def zone_choices(self, typed: str, limit: int = 25) -> tuple[str, ...]:
        """Autocomplete for every timezone option."""
        return zone_choices(typed, self.now(), limit)

    # -- managing groups (the cog checks Manage Channels) ----------------------------------------------------

    async def create_group(self, guild_id: int, options: GroupCreateOptions, *, creator_id: int) -> GroupCreated:
        """A new group posting in ``options.channel_id``. Without a zone, the creator's own zone (or UTC)."""
        now = self.now()
        zone = options.timezone
        defaulted = zone is None
        if zone is None:
            zone = (await self._repo.settings(creator_id)).zone or UTC_NAME
        existing = await self._repo.groups(guild_id)
        if len(existing) >= MAX_ACTIVE_GROUPS:
            raise UserInputError(
                f"This server already has {MAX_ACTIVE_GROUPS} active study groups. Archive one you no longer use."
            )
        await self._check_free(guild_id, options.name, options.channel_id)
        try:
            group = await self._repo.create_group(
                guild_id=guild_id,
                channel_id=options.channel_id,
                name=options.name,
                schedule=Schedule(options.checkin_time, zone, options.days),
                now=now,
            )
        except GroupConflictError as exc:
            raise UserInputError("A group with that name or in that channel was just created. Try again.") from exc
        log.info("study group %d created in server %d", group.id, guild_id)
        return GroupCreated(group, defaulted, (await self.upcoming_prompt(group, now)).at)

    async def _check_free(
        self, guild_id: int, name: str | None, channel_id: int | None, *, except_id: int | None = None
    ) -> None:
        if name is not None:
            same_name = await self._repo.active_group_by_name(guild_id, name)
            if same_name is not None and same_name.id != except_id:
                raise Refusal("There is already a group called {name} here. Pick another name.", name=name)
        if channel_id is not None:
            in_channel = await self._repo.active_group_in_channel(channel_id)
            if in_channel is not None and in_channel.id != except_id:
                raise Refusal(
                    "{name} already posts in that channel. Use another channel or a "
                    "thread "
                    "(one group per channel, so everyone knows which group a check-in button belongs to).",
                    name=in_channel.name,
                )

    async def edit_group(self, guild_id: int, ref: str | int, options: GroupEditOptions) -> GroupEdited:
        """Change what was given; the next prompt follows the new schedule (today's, if already posted, is not
        posted again: prompts are keyed by date), and the result says when it really comes."""
        group = await self.resolve_group(guild_id, ref, include_archived=True)
        if not group.active:
            # A moderator editing an archived group is told how to bring it back, not the members' way out.
            raise Refusal(
                "{name} is archived. `/studygroup-admin unarchive` brings it back; then edit it.", name=group.name
            )
        await self._check_free(guild_id, options.name, options.channel_id, except_id=group.id)
        old = group.schedule
        schedule = None
        if options.checkin_time is not None or options.timezone is not None or options.days is not None:
            schedule = Schedule(
                old.local_time if options.checkin_time is None else options.checkin_time,
                old.zone if options.timezone is None else options.timezone,
                old.weekdays if options.days is None else options.days,
            )
        now = self.now()
        try:
            updated = await self._repo.update_group(
                group.id, now=now, name=options.name, channel_id=options.channel_id, schedule=schedule
            )
        except GroupConflictError as exc:
            raise UserInputError("Another group took that name or channel a moment ago. Try again.") from exc
        log.info("study group %d edited", group.id)
        upcoming = await self.upcoming_prompt(updated, now)
        return GroupEdited(updated, upcoming.at, upcoming.passed_over)

    async def archive_group(self, guild_id: int, ref: str | int) -> StudyGroup:
        """Stop prompts, recaps and check-ins; keep the group and its history (its name becomes free)."""
        group = await self.resolve_group(guild_id, ref, include_archived=True)
        if not group.active:
            # The day in the group's own time zone, the one its members and moderators read every time in.
            archived_on = group.archived_at.astimezone(group.schedule.tz) if group.archived_at is not None else None
            since = f" since {archived_on:%Y-%m-%d}" if archived_on is not None else ""
            raise Refusal(
                "{name} is already archived" + since + ". `/studygroup-admin unarchive` brings it back.",
                name=group.name,
            )
        archived = await self._repo.archive_group(group.id, self.now())
        log.info("study group %d archived", group.id)
        return archived

    async def archived_group_choices(self, guild_id: int, typed: str, limit: int = 25) -> tuple[StudyGroup, ...]:
        """Autocomplete of /studygroup-admin unarchive: archived groups whose name contains what is typed, the most
        recently archived first."""
        wanted = name_key(typed)
        archived = [g for g in await self._repo.groups(guild_id, include_archived=True) if not g.active]
        archived.sort(key=lambda g: (g.archived_at or g.created_at, g.id), reverse=True)
        starts = [g for g in archived if name_key(g.name).startswith(wanted)]
        contains = [g for g in archived if wanted in name_key(g.name) and g not in starts]
        return tuple((starts + contains)[:limit])

    async def unarchive_group(self, guild_id: int, ref: str | int, *, channel_id: int | None = None) -> GroupUnarchived:
        """Bring an archived group back, with its members, schedule and history, in its old channel or
        ``channel_id``. Prompts due while it was archived are not posted: the next one is the first."""
        group = await self.resolve_group(guild_id, ref, include_archived=True)
        if group.active:
            raise Refusal(
                "{name} is not archived: it is running in {channel}.",
                name=group.name,
                channel=ChannelRef(group.channel_id),
            )
        if len(await self._repo.groups(guild_id)) >= MAX_ACTIVE_GROUPS:
            raise UserInputError(
                f"This server already has {MAX_ACTIVE_GROUPS} active study groups. Archive one you no longer use."
            )
        same_name = await self._repo.active_group_by_name(guild_id, group.name)
        if same_name is not None:
            raise Refusal(
                "An active group is called {name} now. Rename or archive that one with "
                "`/studygroup-admin edit` or `archive`, then unarchive this one.",
                name=group.name,
            )
        target = channel_id if channel_id is not None else group.channel_id
        in_channel = await self._repo.active_group_in_channel(target)
        if in_channel is not None:
            raise Refusal(
                "{other} posts in {channel} now (one group per channel). Give `channel:` to bring "
                "{name} back in another channel.",
                other=in_channel.name,
                channel=ChannelRef(target),
                name=group.name,
            )
        now = self.now()
        try:
            changed = await self._repo.unarchive_group(group.id, now, channel_id=channel_id)
        except GroupConflictError as exc:
            raise UserInputError("Another group took that name or channel a moment ago. Try again.") from exc
        if not changed:
            raise Refusal("{name} was brought back a moment ago (by someone else?).", name=group.name)
        restored = await self._repo.get_group(group.id)
        assert restored is not None
        members = len(await self._repo.members(group.id))
        log.info("study group %d unarchived", group.id)
        return GroupUnarchived(restored, members, (await self.upcoming_prompt(restored, now)).at)

    async def set_retention(self, guild_id: int, options: RetentionOptions) -> int:
        await self._repo.set_retention_days(guild_id, options.days, self.now())
        return options.days

    async def retention_days(self, guild_id: int) -> int:
        return await self._repo.retention_days(guild_id)

    # -- membership ------------------------------------------------------------------------------------------

    async def join(self, guild_id: int, user_id: int, ref: str | int) -> JoinResult:
        group = await self.resolve_group(guild_id, ref)
        now = self.now()
        await self._repo.clear_departure(guild_id, user_id, now)
        joined = await self._repo.add_member(group, user_id, now)
        return JoinResult(group, joined)

    async def leave(self, guild_id: int, user_id: int, ref: str | int) -> StudyGroup:
        """Leave a group; past check-ins stay (they are the member's, for /progress and /mydata)."""
        group = await self.resolve_group(guild_id, ref, include_archived=True)
        if not await self._repo.end_membership(group.id, user_id, self.now(), LeftReason.LEFT):
            raise Refusal("You are not in {name}.", name=group.name)
        return group

    async def list_groups(self, guild_id: int, user_id: int | None = None) -> tuple[GroupSummary, ...]:
        """Active groups of the server with their member counts, and whether ``user_id`` is in each."""
        groups = await self._repo.groups(guild_id)
        counts = await self._repo.member_counts(guild_id)
        mine = {g.id for g in await self._repo.member_groups(guild_id, user_id)} if user_id is not None else set()
        return tuple(GroupSummary(g, counts.get(g.id, 0), g.id in mine) for g in groups)

    async def my_groups(self, guild_id: int, user_id: int) -> tuple[StudyGroup, ...]:
        return tuple(await self._repo.member_groups(guild_id, user_id))

    async def info(self, guild_id: int, ref: str | int) -> GroupInfo:
        """Members, schedule, next prompt and this week's activity so far (archived groups too)."""
        group = await self.resolve_group(guild_id, ref, include_archived=True)
        now = self.now()
        members = await self._repo.members(group.id)
        week = timing.IsoWeek.of(timing.local_date(now, group.schedule.zone))
        recap = await self._recap(group, week, now, len(members))
        upcoming = await self.upcoming_prompt(group, now)
        return GroupInfo(group, tuple(m.user_id for m in members), upcoming.at, recap)

    # -- check-ins -------------------------------------------------------------------------------------------

    async def _check_in_group(
        self, guild_id: int, user_id: int, ref: str | int | None, channel_id: int | None
    ) -> StudyGroup:
        if ref is not None:
            return await self.resolve_group(guild_id, ref)
        if channel_id is not None:
            here = await self._repo.active_group_in_channel(channel_id)
            if here is not None and here.guild_id == guild_id:
                return here
        mine = await self._repo.member_groups(guild_id, user_id)
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise UserInputError(
                "You are not in a study group here yet. Join one with `/studygroup join`, or see `/studygroup list`."
            )
        names = tuple(g.name for g in mine[:5])
        raise Refusal("You are in several groups ({names}). Pick one with `/checkin group:`.", names=names)

    async def todays_check_in(
        self, guild_id: int, user_id: int, *, group: str | int | None = None, channel_id: int | None = None
    ) -> tuple[StudyGroup, CheckIn | None]:
        """The group a check-in would go to and the member's check-in there today, to pre-fill the modal."""
        target = await self._check_in_group(guild_id, user_id, group, channel_id)
        zone, _ = await self._check_in_zone(user_id, target)
        return target, await self._repo.check_in_on(target.id, user_id, local_day(self.now(), zone))

    async def _check_in_zone(self, user_id: int, group: StudyGroup) -> tuple[str, bool]:
        own = (await self._repo.settings(user_id)).zone
        return (own, False) if own else (group.schedule.zone, True)

    async def check_in(
        self,
        guild_id: int,
        user_id: int,
        entry: CheckInEntry,
        *,
        group: str | int | None = None,
        channel_id: int | None = None,
    ) -> CheckInReceipt:
        """Record today's check-in (the member's local day); a second one today replaces the first.

        The group is ``group`` when given (the button passes its group's id), else the group posting in
        ``channel_id``, else the member's only group. Checking in to a group you are not in joins it.
        """
        target = await self._check_in_group(guild_id, user_id, group, channel_id)
        now = self.now()
        zone, defaulted = await self._check_in_zone(user_id, target)
        await self._repo.clear_departure(guild_id, user_id, now)
        joined = await self._repo.add_member(target, user_id, now)
        stored, updated = await self._repo.upsert_check_in(
            group=target,
            user_id=user_id,
            local_date=local_day(now, zone),
            zone=zone,
            studied=entry.studied,
            questions=entry.questions,
            percent_correct=entry.percent_correct,
            minutes=entry.minutes,
            blockers=entry.blockers,
            now=now,
        )
        streak = await self._streak(guild_id, user_id, now)
        return CheckInReceipt(target, stored, updated, joined, zone, defaulted, streak)

    # -- progress --------------------------------------------------------------------------------------------

    async def _member_zone(self, user_id: int) -> tuple[str, bool]:
        """The member's zone, else their latest check-in's, else UTC; and whether it is their own."""
        own = (await self._repo.settings(user_id)).zone
        if own:
            return own, True
        latest = await self._repo.latest_check_in(user_id)
        return (latest.zone if latest else UTC_NAME), False

    async def _streak(self, guild_id: int, user_id: int, now: dt.datetime) -> StreakStatus:
        zone, _ = await self._member_zone(user_id)
        return streak_status(await self._repo.check_in_days(guild_id, user_id), local_day(now, zone))

    async def progress(self, guild_id: int, user_id: int) -> MemberProgress:
        """Streak, totals and the last 7 and 30 days in this server (the cog decides who may see it)."""
        now = self.now()
        zone, is_set = await self._member_zone(user_id)
        streak = streak_status(await self._repo.check_in_days(guild_id, user_id), local_day(now, zone))
        # streak.today is the later of today and the newest stored day (after a move west); charts end there
        # too.
        recent = await self._repo.member_check_ins(
            guild_id, user_id, streak.today - dt.timedelta(days=PROGRESS_DAYS - 1)
        )
        last30 = daily_points(recent, streak.today, PROGRESS_DAYS)
        last7 = last30[-7:]
        totals = await self._repo.member_totals(guild_id, user_id)
        return MemberProgress(
            user_id=user_id,
            guild_id=guild_id,
            zone=zone,
            zone_is_set=is_set,
            streak=streak,
            check_ins=totals.check_ins,
            days=totals.days,
            questions=totals.questions,
            minutes=totals.minutes,
            last7=last7,
            last30=last30,
            chart=progress_chart(last7, last30),
        )

    async def progress_for(
        self,
        guild_id: int,
        asker_id: int,
        target_id: int,
        *,
        target_name: str,
        target_is_bot: bool = False,
        target_in_server: bool = True,
        asker_manages_server: bool = False,
    ) -> ViewedProgress:
        """``target_id``'s progress in this server for ``asker_id`` (see ``progress_access``); UserInputError with
        the reason when it cannot be shown. ``target_name`` is only quoted in those messages.

        The refusal is the same whether or not the member has check-ins, so it tells nothing about them."""
        if target_is_bot:
            raise Refusal("{name} is a bot: bots don't check in, so there is no progress to show.", name=target_name)
        if not target_in_server:
            raise Refusal(
                "{name} is not a member of this server, so there is no progress here to show.", name=target_name
            )
        if target_id == asker_id:
            return ViewedProgress(await self.progress(guild_id, asker_id), ProgressAccess.OWN, ())
        asker_groups = await self._repo.member_groups(guild_id, asker_id)
        target_groups = {g.id for g in await self._repo.member_groups(guild_id, target_id)}
        access = progress_access(
            asker_id,
            target_id,
            (g.id for g in asker_groups),
            target_groups,
            asker_manages_server=asker_manages_server,
        )
        if access is None:
            raise UserInputError(
                "You can only see the progress of members of your own study groups. "
                "`/studygroup info` shows who is in a group; `/progress` shows yours."
            )
        progress = await self.progress(guild_id, target_id)
        if progress.check_ins == 0:
            raise Refusal("{name} has no study-group check-ins in this server yet.", name=target_name)
        shared = tuple(g for g in asker_groups if g.id in target_groups)
        return ViewedProgress(progress, access, shared)

    # -- settings --------------------------------------------------------------------------------------------

    async def settings(self, user_id: int) -> MemberSettings:
        return await self._repo.settings(user_id)

    async def update_settings(self, user_id: int, options: MemberSettingsOptions) -> MemberSettings:
        """Set the member's zone and/or nudge. A new zone applies from now on: past days stay as they were."""
        current = await self._repo.settings(user_id)
        zone = options.timezone if options.timezone is not None else current.zone
        nudge = options.nudge if options.nudge is not None else current.nudge
        if nudge and zone is None:
            raise UserInputError(
                "Set your time zone too, so the reminder comes in your evening: `/settings timezone: nudges: on`."
            )
        return await self._repo.save_settings(user_id, zone=zone, nudge=nudge, now=self.now())

    # -- what the scheduler needs ----------------------------------------------------------------------------

    async def upcoming_prompt(self, group: StudyGroup, now: dt.datetime) -> UpcomingPrompt:
        """The prompt that will really be posted next. Prompts are one per local day (their delivery key holds the
        date), so after the time was moved later on a day whose prompt already went out, the schedule's next instant
        today is never posted: the next day's is the one to show."""
        passed_over = False
        # Only today's prompt can have a row before its time (posted at the old time), so two looks are enough;
        # the bound keeps a journal that says otherwise from looping.
        for occurrence in itertools.islice(timing.prompts_after(group, now), 3):
            if not await self._repo.delivery_recorded(timing.delivery_key(occurrence)):
                return UpcomingPrompt(occurrence.due_at, passed_over)
            passed_over = True
        return UpcomingPrompt(None, passed_over)

    async def active_groups(self) -> tuple[StudyGroup, ...]:
        """Every active group, to (re)build prompt and recap timers with ``bot.studygroups.schedule``."""
        return tuple(await self._repo.active_groups())

    async def get_group(self, group_id: int) -> StudyGroup | None:
        return await self._repo.get_group(group_id)

    async def member_ids(self, group_id: int) -> tuple[int, ...]:
        """The group's current members."""
        return tuple(m.user_id for m in await self._repo.members(group_id))

    async def _recap(self, group: StudyGroup, week: timing.IsoWeek, now: dt.datetime, members: int) -> WeeklyRecap:
        check_ins = await self._repo.group_check_ins(group.id, week.monday, week.sunday)
        streaks = {}
        for user_id in sorted({c.user_id for c in check_ins}):
            streaks[user_id] = (await self._streak(group.guild_id, user_id, now)).current
        return build_recap(group.id, week, check_ins, streaks, member_count=members)

    async def weekly_recap(self, group_id: int, week: timing.IsoWeek) -> WeeklyRecap:
        """The recap of ``week`` for the group (post it only when ``should_post``), streaks as of now."""
        group = await self._repo.get_group(group_id)
        if group is None:
            raise LookupError(f"no study group {group_id}")
        members = await self._repo.members(group.id)
        return await self._recap(group, week, self.now(), len(members))

    async def nudges_due(self) -> tuple[Nudge, ...]:
        """Members who asked for nudges and whose streak breaks unless they check in today, from their local
        ``NUDGE_LOCAL_TIME`` until their midnight (one per server). Polled by ``nudges.NudgeDispatcher``."""
        now = self.now()
        due = []
        for candidate in await self._repo.nudge_candidates():
            zone = candidate.zone
            if zone is None:
                latest = await self._repo.latest_check_in(candidate.user_id)
                if latest is None:
                    continue
                zone = latest.zone
            today = local_day(now, zone)
            at = nudge_instant(today, zone)
            day_ends = timing.localize(today + dt.timedelta(days=1), dt.time(0, 0), zone)
            # Most members are outside their evening at any poll: decide that before reading their check-ins.
            if not at <= now < day_ends:
                continue
            status = streak_status(await self._repo.check_in_days(candidate.guild_id, candidate.user_id), today)
            if status.at_risk:
                due.append(Nudge(candidate.guild_id, candidate.user_id, at, today, status))
        return tuple(due)

    # -- members leaving and returning -----------------------------------------------------------------------

    async def member_left(self, guild_id: int, user_id: int, now: dt.datetime | None = None) -> int:
        """The member left the server: their memberships there end, and the retention clock starts.

        Members who never used study groups there are not recorded: a departure row would be the only thing the
        bot kept about them."""
        if not await self._repo.has_guild_data(guild_id, user_id):
            return 0
        ended = await self._repo.record_departure(guild_id, user_id, now or self.now())
        log.info("a member left server %d; %d study group memberships ended", guild_id, ended)
        return ended

    async def member_returned(self, guild_id: int, user_id: int, now: dt.datetime | None = None) -> int:
        """The member came back before their data was purged: nothing is deleted, their groups are back."""
        # Every join in every server lands here; most joiners never left, and a read costs less than a commit.
        if not await self._repo.has_departure(guild_id, user_id):
            return 0
        restored = await self._repo.clear_departure(guild_id, user_id, now or self.now())
        log.info(
            "a member came back to server %d; deletion of their data cancelled, %d memberships restored",
            guild_id,
            restored,
        )
        return restored

    async def guilds_with_member_data(self) -> tuple[int, ...]:
        """The servers whose members' presence matters: some member has study-group data there."""
        return tuple(await self._repo.guilds_with_member_data())

    async def member_roster(self, guild_id: int) -> MemberRoster:
        rows = await self._repo.guild_member_roster(guild_id)
        return MemberRoster(
            guild_id,
            members=tuple(user for user, departed in rows if not departed),
            departed=tuple(user for user, departed in rows if departed),
        )

    async def server_left(self, guild_id: int, now: dt.datetime | None = None) -> int:
        """The bot is no longer in the server: as if every member with study-group data there had left it (same
        retention; if the bot is added back, members still there get their groups back). Returns members recorded."""
        moment = now or self.now()
        roster = await self.member_roster(guild_id)
        for user_id in roster.members:
            await self._repo.record_departure(guild_id, user_id, moment)
        if roster.members:
            log.info(
                "no longer in server %d: %d members with study-group data recorded as gone",
                guild_id,
                len(roster.members),
            )
        return len(roster.members)

    async def purge_expired(self, now: dt.datetime | None = None) -> PurgeReport:
        """Delete the study-group data of members whose server's retention ran out after they left. Their own
        settings go too once they have no study-group data in any server. Run daily and at start-up."""
        moment = now or self.now()
        totals: dict[str, int] = {}
        purged = 0
        for departure in await self._repo.departures():
            if departure.left_at + dt.timedelta(days=departure.retention_days) > moment:
                continue
            counts = await self._repo.delete_guild_member_data(departure.guild_id, departure.user_id)
            if not await self._repo.has_group_data(departure.user_id):
                counts["studygroup_settings"] = await self._repo.delete_settings(departure.user_id)
                counts["studygroup_nudges"] = await self._repo.delete_nudge_records(departure.user_id)
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            purged += 1
        if purged:
            log.info("purged study-group data of %d members who left (%s)", purged, totals)
        return PurgeReport(purged, totals)

    async def prune_nudge_records(self, now: dt.datetime | None = None) -> int:
        """Forget which days members were nudged once those days are long over (NUDGE_RECORDS_KEPT)."""
        pruned = await self._repo.prune_nudge_records((now or self.now()) - NUDGE_RECORDS_KEPT)
        if pruned:
            log.info("forgot %d streak-nudge records older than %s", pruned, NUDGE_RECORDS_KEPT)
        return pruned

    async def stop_nudges(self, user_id: int) -> bool:
        """Turn a member's nudges off because they cannot be reached by DM; True when they were on."""
        return await self._repo.disable_nudges(user_id, self.now())

    # -- personal data ---------------------------------------------------------------------------------------

    async def export_user_data(self, user_id: int) -> dict[str, Any]:
        return await self._repo.export_user_data(user_id)

    async def user_ids(self) -> set[int]:
        return await self._repo.user_ids()

    async def delete_user_data(self, user_id: int) -> dict[str, int]:
        counts = await self._repo.delete_user_data(user_id)
        log.info("deleted study-group data of a member (%d rows)", sum(counts.values()))
        return counts
