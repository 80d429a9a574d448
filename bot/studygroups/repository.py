"""SQL for study groups: groups, members, check-ins (upserted per local day), member settings, server
retention and departures, and the streak-nudge rows of the shared ``deliveries`` table (they name a member, so
export, delete and pruning live here). Nothing here decides anything; ``service`` does.

Times are stored as ISO 8601 UTC text with microseconds (same length and offset, so text order is time order);
local dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.db.connection import Connection, Row, write_transaction
from bot.db.timestamps import from_db, from_db_or_none, to_db
from bot.studygroups.models import (
    DEFAULT_RETENTION_DAYS,
    CheckIn,
    MemberSettings,
    Schedule,
    StudyGroup,
    format_time_of_day,
    parse_time_of_day,
    parse_weekdays,
    weekdays_to_text,
)

log = logging.getLogger(__name__)


NUDGE_TARGET_KIND = "studygroup-nudge"
"""Deliveries of streak nudges (bot/studygroups/nudges.py): ``target_ref`` is the member's user id."""


class LeftReason(StrEnum):
    LEFT = "left"
    LEFT_SERVER = "left_server"


class GroupConflictError(Exception):
    """The database refused a second active group with the same name in a server, or in the same channel."""


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class Membership:
    group_id: int
    guild_id: int
    user_id: int
    joined_at: dt.datetime
    left_at: dt.datetime | None
    left_reason: LeftReason | None

    @property
    def active(self) -> bool:
        return self.left_at is None


@dataclass(frozen=True)
class Departure:
    guild_id: int
    user_id: int
    left_at: dt.datetime
    retention_days: int


@dataclass(frozen=True)
class MemberTotals:
    check_ins: int
    days: int
    questions: int
    minutes: int


@dataclass(frozen=True)
class NudgeCandidate:
    guild_id: int
    user_id: int
    zone: str | None


_GROUP_COLUMNS = "id, guild_id, channel_id, name, checkin_time, timezone, weekdays, created_at, archived_at"
_CHECKIN_COLUMNS = (
    "group_id, guild_id, user_id, local_date, timezone, studied, questions, percent_correct, minutes, "
    "blockers, "
    "created_at, updated_at"
)


def _group(row: Row | tuple[Any, ...]) -> StudyGroup:
    return StudyGroup(
        id=int(row[0]),
        guild_id=int(row[1]),
        channel_id=int(row[2]),
        name=row[3],
        schedule=Schedule(parse_time_of_day(row[4]), row[5], parse_weekdays(row[6])),
        created_at=from_db(row[7]),
        archived_at=from_db_or_none(row[8]),
    )


def _check_in(row: Row | tuple[Any, ...]) -> CheckIn:
    return CheckIn(
        group_id=int(row[0]),
        guild_id=int(row[1]),
        user_id=int(row[2]),
        local_date=dt.date.fromisoformat(row[3]),
        zone=row[4],
        studied=row[5],
        questions=None if row[6] is None else int(row[6]),
        percent_correct=None if row[7] is None else int(row[7]),
        minutes=None if row[8] is None else int(row[8]),
        blockers=row[9],
        created_at=from_db(row[10]),
        updated_at=from_db(row[11]),
    )


def _membership(row: Row | tuple[Any, ...]) -> Membership:
    return Membership(
        group_id=int(row[0]),
        guild_id=int(row[1]),
        user_id=int(row[2]),
        joined_at=from_db(row[3]),
        left_at=from_db_or_none(row[4]),
        left_reason=None if row[5] is None else LeftReason(row[5]),
    )


class StudyGroupRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def _write(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[int]:
        """Run statements in one transaction; returns each one's row count."""
        counts = []
        async with write_transaction(self._conn):
            for sql, params in statements:
                cursor = await self._conn.execute(sql, params)
                counts.append(max(cursor.rowcount, 0))
        return counts

    # -- groups ----------------------------------------------------------------------------------------------

    async def create_group(
        self, *, guild_id: int, channel_id: int, name: str, schedule: Schedule, now: dt.datetime
    ) -> StudyGroup:
        stamp = to_db(now)
        try:
            async with write_transaction(self._conn):
                cursor = await self._conn.execute(
                    "INSERT INTO study_groups (guild_id, channel_id, name, name_key, checkin_time, timezone, "
                    "weekdays, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        guild_id,
                        channel_id,
                        name,
                        name_key(name),
                        format_time_of_day(schedule.local_time),
                        schedule.zone,
                        weekdays_to_text(schedule.weekdays),
                        stamp,
                        stamp,
                    ),
                )
                row = await cursor.fetchone()
        except sqlite3.IntegrityError as exc:
            # write_transaction has rolled the refused insert back (on PostgreSQL the violation is re-raised as
            # sqlite3's IntegrityError: bot/db/postgres.py).
            raise GroupConflictError(str(exc)) from exc
        assert row is not None
        group = await self.get_group(int(row[0]))
        assert group is not None
        return group

    async def get_group(self, group_id: int) -> StudyGroup | None:
        async with self._conn.execute(f"SELECT {_GROUP_COLUMNS} FROM study_groups WHERE id = ?", (group_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else _group(row)

    async def groups(self, guild_id: int, *, include_archived: bool = False) -> list[StudyGroup]:
        sql = f"SELECT {_GROUP_COLUMNS} FROM study_groups WHERE guild_id = ?"
        if not include_archived:
            sql += " AND archived_at IS NULL"
        async with self._conn.execute(sql + " ORDER BY archived_at IS NOT NULL, name_key, id", (guild_id,)) as cur:
            return [_group(r) for r in await cur.fetchall()]

    async def active_groups(self) -> list[StudyGroup]:
        """Every active group in every server (for rebuilding prompt and recap timers)."""
        async with self._conn.execute(
            f"SELECT {_GROUP_COLUMNS} FROM study_groups WHERE archived_at IS NULL ORDER BY id"
        ) as cur:
            return [_group(r) for r in await cur.fetchall()]

    async def active_group_by_name(self, guild_id: int, name: str) -> StudyGroup | None:
        async with self._conn.execute(
            f"SELECT {_GROUP_COLUMNS} FROM study_groups WHERE guild_id = ? AND name_key = ? AND archived_at IS NULL",
            (guild_id, name_key(name)),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else _group(row)

    async def groups_by_name(self, guild_id: int, name: str) -> list[StudyGroup]:
        """Active first, then archived ones (newest first) with that name."""
        async with self._conn.execute(
            f"SELECT {_GROUP_COLUMNS} FROM study_groups WHERE guild_id = ? AND name_key = ? "
            "ORDER BY archived_at IS NOT NULL, archived_at DESC, id DESC",
            (guild_id, name_key(name)),
        ) as cur:
            return [_group(r) for r in await cur.fetchall()]

    async def active_group_in_channel(self, channel_id: int) -> StudyGroup | None:
        async with self._conn.execute(
            f"SELECT {_GROUP_COLUMNS} FROM study_groups WHERE channel_id = ? AND archived_at IS NULL",
            (channel_id,),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else _group(row)

    async def update_group(
        self,
        group_id: int,
        *,
        now: dt.datetime,
        name: str | None = None,
        channel_id: int | None = None,
        schedule: Schedule | None = None,
    ) -> StudyGroup:
        sets = ["updated_at = ?"]
        params: list[Any] = [to_db(now)]
        if name is not None:
            sets += ["name = ?", "name_key = ?"]
            params += [name, name_key(name)]
        if channel_id is not None:
            sets.append("channel_id = ?")
            params.append(channel_id)
        if schedule is not None:
            sets += ["checkin_time = ?", "timezone = ?", "weekdays = ?"]
            params += [
                format_time_of_day(schedule.local_time),
                schedule.zone,
                weekdays_to_text(schedule.weekdays),
            ]
        try:
            async with write_transaction(self._conn):
                await self._conn.execute(f"UPDATE study_groups SET {', '.join(sets)} WHERE id = ?", (*params, group_id))
        except sqlite3.IntegrityError as exc:
            raise GroupConflictError(str(exc)) from exc
        group = await self.get_group(group_id)
        assert group is not None
        return group

    async def archive_group(self, group_id: int, now: dt.datetime) -> StudyGroup:
        stamp = to_db(now)
        await self._write(
            [
                (
                    "UPDATE study_groups SET archived_at = ?, updated_at = ? WHERE id = ? AND archived_at IS NULL",
                    (stamp, stamp, group_id),
                )
            ]
        )
        group = await self.get_group(group_id)
        assert group is not None
        return group

    async def unarchive_group(self, group_id: int, now: dt.datetime, *, channel_id: int | None = None) -> bool:
        """Active again (in ``channel_id`` when given); False when it was not archived. GroupConflictError when an
        active group of the server has its name, or one posts in its channel (the unique indexes say so)."""
        stamp = to_db(now)
        try:
            counts = await self._write(
                [
                    (
                        "UPDATE study_groups SET archived_at = NULL, channel_id = COALESCE(?, channel_id), "
                        "updated_at = ? WHERE id = ? AND archived_at IS NOT NULL",
                        (channel_id, stamp, group_id),
                    )
                ]
            )
        except sqlite3.IntegrityError as exc:
            raise GroupConflictError(str(exc)) from exc
        return counts[0] > 0

    # -- members ---------------------------------------------------------------------------------------------

    async def membership(self, group_id: int, user_id: int) -> Membership | None:
        async with self._conn.execute(
            "SELECT group_id, guild_id, user_id, joined_at, left_at, left_reason FROM study_group_members "
            "WHERE group_id = ? AND user_id = ?",
            (group_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else _membership(row)

    async def add_member(self, group: StudyGroup, user_id: int, now: dt.datetime) -> bool:
        """Join (or rejoin) ``group``; False when the member was already in it."""
        counts = await self._write(
            [
                (
                    "INSERT INTO study_group_members (group_id, guild_id, user_id, joined_at) VALUES (?, ?, "
                    "?, ?) "
                    "ON CONFLICT (group_id, user_id) DO UPDATE SET joined_at = excluded.joined_at, left_at = "
                    "NULL, "
                    "left_reason = NULL WHERE study_group_members.left_at IS NOT NULL",
                    (group.id, group.guild_id, user_id, to_db(now)),
                )
            ]
        )
        return counts[0] > 0

    async def end_membership(self, group_id: int, user_id: int, now: dt.datetime, reason: LeftReason) -> bool:
        counts = await self._write(
            [
                (
                    "UPDATE study_group_members SET left_at = ?, left_reason = ? "
                    "WHERE group_id = ? AND user_id = ? AND left_at IS NULL",
                    (to_db(now), reason.value, group_id, user_id),
                )
            ]
        )
        return counts[0] > 0

    async def members(self, group_id: int) -> list[Membership]:
        """Current members, in the order they joined."""
        async with self._conn.execute(
            "SELECT group_id, guild_id, user_id, joined_at, left_at, left_reason FROM study_group_members "
            "WHERE group_id = ? AND left_at IS NULL ORDER BY joined_at, user_id",
            (group_id,),
        ) as cur:
            return [_membership(r) for r in await cur.fetchall()]

    async def member_counts(self, guild_id: int) -> dict[int, int]:
        async with self._conn.execute(
            "SELECT group_id, COUNT(*) FROM study_group_members WHERE guild_id = ? AND left_at IS NULL "
            "GROUP BY group_id",
            (guild_id,),
        ) as cur:
            return {int(r[0]): int(r[1]) for r in await cur.fetchall()}

    async def member_groups(self, guild_id: int, user_id: int) -> list[StudyGroup]:
        """The active groups the member is currently in, in that server."""
        async with self._conn.execute(
            f"SELECT {', '.join('g.' + c.strip() for c in _GROUP_COLUMNS.split(','))} FROM study_groups g "
            "JOIN study_group_members m ON m.group_id = g.id "
            "WHERE m.guild_id = ? AND m.user_id = ? AND m.left_at IS NULL AND g.archived_at IS NULL "
            "ORDER BY g.name_key, g.id",
            (guild_id, user_id),
        ) as cur:
            return [_group(r) for r in await cur.fetchall()]

    # -- check-ins -------------------------------------------------------------------------------------------

    async def upsert_check_in(
        self,
        *,
        group: StudyGroup,
        user_id: int,
        local_date: dt.date,
        zone: str,
        studied: str,
        questions: int | None,
        percent_correct: int | None,
        minutes: int | None,
        blockers: str | None,
        now: dt.datetime,
    ) -> tuple[CheckIn, bool]:
        """Record the member's check-in for ``local_date``; a second one that day replaces the first.

        Returns the stored check-in and whether it updated an earlier one. The zone of the first check-in of
        the day is kept: the day is the same day either way.
        """
        stamp = to_db(now)
        earlier = await self.check_in_on(group.id, user_id, local_date)
        async with (
            write_transaction(self._conn),
            self._conn.execute(
                "INSERT INTO study_checkins (group_id, guild_id, user_id, local_date, timezone, studied, "
                "questions, "
                "percent_correct, minutes, blockers, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (group_id, user_id, local_date) DO UPDATE SET studied = excluded.studied, "
                "questions = excluded.questions, percent_correct = excluded.percent_correct, "
                "minutes = excluded.minutes, blockers = excluded.blockers, updated_at = excluded.updated_at "
                f"RETURNING {_CHECKIN_COLUMNS}",
                (
                    group.id,
                    group.guild_id,
                    user_id,
                    local_date.isoformat(),
                    zone,
                    studied,
                    questions,
                    percent_correct,
                    minutes,
                    blockers,
                    stamp,
                    stamp,
                ),
            ) as cur,
        ):
            row = await cur.fetchone()
        assert row is not None
        return _check_in(row), earlier is not None

    async def check_in_on(self, group_id: int, user_id: int, local_date: dt.date) -> CheckIn | None:
        async with self._conn.execute(
            f"SELECT {_CHECKIN_COLUMNS} FROM study_checkins WHERE group_id = ? AND user_id = ? AND local_date = ?",
            (group_id, user_id, local_date.isoformat()),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else _check_in(row)

    async def check_in_days(self, guild_id: int, user_id: int) -> list[dt.date]:
        """Every local day with a check-in by the member in any group of the server, oldest first."""
        async with self._conn.execute(
            "SELECT DISTINCT local_date FROM study_checkins WHERE guild_id = ? AND user_id = ? ORDER BY local_date",
            (guild_id, user_id),
        ) as cur:
            return [dt.date.fromisoformat(r[0]) for r in await cur.fetchall()]

    async def member_check_ins(self, guild_id: int, user_id: int, since: dt.date) -> list[CheckIn]:
        async with self._conn.execute(
            f"SELECT {_CHECKIN_COLUMNS} FROM study_checkins WHERE guild_id = ? AND user_id = ? AND "
            "local_date >= ? "
            "ORDER BY local_date, group_id",
            (guild_id, user_id, since.isoformat()),
        ) as cur:
            return [_check_in(r) for r in await cur.fetchall()]

    async def latest_check_in(self, user_id: int) -> CheckIn | None:
        async with self._conn.execute(
            f"SELECT {_CHECKIN_COLUMNS} FROM study_checkins WHERE user_id = ? ORDER BY created_at DESC, id "
            "DESC "
            "LIMIT 1",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else _check_in(row)

    async def member_totals(self, guild_id: int, user_id: int) -> MemberTotals:
        async with self._conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT local_date), COALESCE(SUM(questions), 0), "
            "COALESCE(SUM(minutes), 0) "
            "FROM study_checkins WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return MemberTotals(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    async def group_check_ins(self, group_id: int, first: dt.date, last: dt.date) -> list[CheckIn]:
        """The group's check-ins with a local date in ``[first, last]``."""
        async with self._conn.execute(
            f"SELECT {_CHECKIN_COLUMNS} FROM study_checkins WHERE group_id = ? AND local_date BETWEEN ? AND "
            "? "
            "ORDER BY local_date, user_id",
            (group_id, first.isoformat(), last.isoformat()),
        ) as cur:
            return [_check_in(r) for r in await cur.fetchall()]

    # -- member settings -------------------------------------------------------------------------------------

    async def settings(self, user_id: int) -> MemberSettings:
        async with self._conn.execute(
            "SELECT timezone, nudge, updated_at, nudges_stopped_at FROM study_member_settings WHERE user_id = ?",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        async with self._conn.execute(
            "SELECT EXISTS (SELECT 1 FROM study_group_members m JOIN study_groups g ON g.id = m.group_id "
            "WHERE m.user_id = ? AND m.left_at IS NULL AND g.archived_at IS NULL)",
            (user_id,),
        ) as cur:
            in_a_group = bool((await cur.fetchone() or (0,))[0])
        if row is None:
            return MemberSettings(user_id, None, False, in_a_group=in_a_group)
        return MemberSettings(user_id, row[0], bool(row[1]), from_db(row[2]), from_db_or_none(row[3]), in_a_group)

    async def save_settings(self, user_id: int, *, zone: str | None, nudge: bool, now: dt.datetime) -> MemberSettings:
        await self._write(
            [
                (
                    "INSERT INTO study_member_settings (user_id, timezone, nudge, updated_at) VALUES (?, ?, "
                    "?, ?) "
                    "ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone, nudge = "
                    "excluded.nudge, "
                    "updated_at = excluded.updated_at, nudges_stopped_at = NULL",
                    (user_id, zone, int(nudge), to_db(now)),
                )
            ]
        )
        return await self.settings(user_id)

    async def disable_nudges(self, user_id: int, now: dt.datetime) -> bool:
        """Turn the member's nudges off (their DMs failed), noting when for /settings; False when they were not on."""
        counts = await self._write(
            [
                (
                    "UPDATE study_member_settings SET nudge = 0, updated_at = ?, nudges_stopped_at = ? "
                    "WHERE user_id = ? AND nudge = 1",
                    (to_db(now), to_db(now), user_id),
                )
            ]
        )
        return counts[0] > 0

    async def nudge_candidates(self) -> list[NudgeCandidate]:
        """Members who asked for nudges, once per server where they are in an active group."""
        async with self._conn.execute(
            "SELECT DISTINCT m.guild_id, m.user_id, s.timezone FROM study_member_settings s "
            "JOIN study_group_members m ON m.user_id = s.user_id AND m.left_at IS NULL "
            "JOIN study_groups g ON g.id = m.group_id AND g.archived_at IS NULL "
            "WHERE s.nudge = 1 ORDER BY m.guild_id, m.user_id"
        ) as cur:
            return [NudgeCandidate(int(r[0]), int(r[1]), r[2]) for r in await cur.fetchall()]

    # -- retention -------------------------------------------------------------------------------------------

    async def retention_days(self, guild_id: int) -> int:
        async with self._conn.execute(
            "SELECT retention_days FROM study_guild_settings WHERE guild_id = ?", (guild_id,)
        ) as cur:
            row = await cur.fetchone()
        return DEFAULT_RETENTION_DAYS if row is None else int(row[0])

    async def set_retention_days(self, guild_id: int, days: int, now: dt.datetime) -> None:
        await self._write(
            [
                (
                    "INSERT INTO study_guild_settings (guild_id, retention_days, updated_at) VALUES (?, ?, "
                    "?) "
                    "ON CONFLICT (guild_id) DO UPDATE SET retention_days = excluded.retention_days, "
                    "updated_at = excluded.updated_at",
                    (guild_id, days, to_db(now)),
                )
            ]
        )

    async def record_departure(self, guild_id: int, user_id: int, now: dt.datetime) -> int:
        """The member left the server: end their memberships there and start the retention clock.

        Returns the number of memberships ended. Leaving twice keeps the first departure time.
        """
        stamp = to_db(now)
        counts = await self._write(
            [
                (
                    "UPDATE study_group_members SET left_at = ?, left_reason = 'left_server' "
                    "WHERE guild_id = ? AND user_id = ? AND left_at IS NULL",
                    (stamp, guild_id, user_id),
                ),
                (
                    "INSERT INTO study_departures (guild_id, user_id, left_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (guild_id, user_id) DO NOTHING",
                    (guild_id, user_id, stamp),
                ),
            ]
        )
        return counts[0]

    async def clear_departure(self, guild_id: int, user_id: int, now: dt.datetime) -> int:
        """The member came back: stop the retention clock and give back the groups that leaving the server
        ended (the ones they left themselves stay left; archived groups stay archived). Returns memberships
        restored."""
        counts = await self._write(
            [
                ("DELETE FROM study_departures WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)),
                (
                    "UPDATE study_group_members SET left_at = NULL, left_reason = NULL, joined_at = ? "
                    "WHERE guild_id = ? AND user_id = ? AND left_reason = 'left_server' "
                    "AND group_id IN (SELECT id FROM study_groups WHERE archived_at IS NULL)",
                    (to_db(now), guild_id, user_id),
                ),
            ]
        )
        return counts[1]

    async def has_guild_data(self, guild_id: int, user_id: int) -> bool:
        """True when the member has a check-in or a membership (current or past) in that server."""
        async with self._conn.execute(
            "SELECT EXISTS (SELECT 1 FROM study_group_members WHERE guild_id = ? AND user_id = ?) "
            "OR EXISTS (SELECT 1 FROM study_checkins WHERE guild_id = ? AND user_id = ?)",
            (guild_id, user_id, guild_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        return bool(row and row[0])

    async def has_departure(self, guild_id: int, user_id: int) -> bool:
        async with self._conn.execute(
            "SELECT 1 FROM study_departures WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        ) as cur:
            return await cur.fetchone() is not None

    async def guilds_with_member_data(self) -> list[int]:
        """Every server where some member has study-group data (a membership, a check-in or a departure)."""
        async with self._conn.execute(
            "SELECT guild_id FROM study_group_members UNION SELECT guild_id FROM study_checkins "
            "UNION SELECT guild_id FROM study_departures ORDER BY 1"
        ) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def guild_member_roster(self, guild_id: int) -> list[tuple[int, bool]]:
        """(user id, has a pending departure) for every member with study-group data in the server."""
        async with self._conn.execute(
            "SELECT u.user_id, d.user_id IS NOT NULL FROM ("
            "SELECT user_id FROM study_group_members WHERE guild_id = ? "
            "UNION SELECT user_id FROM study_checkins WHERE guild_id = ? "
            "UNION SELECT user_id FROM study_departures WHERE guild_id = ?"
            ") u LEFT JOIN study_departures d ON d.guild_id = ? AND d.user_id = u.user_id ORDER BY u.user_id",
            (guild_id, guild_id, guild_id, guild_id),
        ) as cur:
            return [(int(r[0]), bool(r[1])) for r in await cur.fetchall()]

    async def departures(self) -> list[Departure]:
        async with self._conn.execute(
            "SELECT d.guild_id, d.user_id, d.left_at, COALESCE(s.retention_days, ?) FROM study_departures d "
            "LEFT JOIN study_guild_settings s ON s.guild_id = d.guild_id ORDER BY d.left_at",
            (DEFAULT_RETENTION_DAYS,),
        ) as cur:
            return [Departure(int(r[0]), int(r[1]), from_db(r[2]), int(r[3])) for r in await cur.fetchall()]

    # -- deleting --------------------------------------------------------------------------------------------

    async def delete_guild_member_data(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Everything about the member in one server: check-ins, memberships, the departure record."""
        counts = await self._write(
            [
                ("DELETE FROM study_checkins WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)),
                ("DELETE FROM study_group_members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)),
                ("DELETE FROM study_departures WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)),
            ]
        )
        return {
            "studygroup_checkins": counts[0],
            "studygroup_memberships": counts[1],
            "studygroup_departures": counts[2],
        }

    async def has_group_data(self, user_id: int) -> bool:
        """True while the member has any check-in or membership in any server."""
        async with self._conn.execute(
            "SELECT EXISTS (SELECT 1 FROM study_checkins WHERE user_id = ?) "
            "OR EXISTS (SELECT 1 FROM study_group_members WHERE user_id = ?)",
            (user_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        return bool(row and row[0])

    async def delivery_recorded(self, key: str) -> bool:
        """Whether the delivery journal (bot/scheduling's ``deliveries``) has a row for ``key``: claimed, posted or
        skipped, it will not be posted again."""
        async with self._conn.execute("SELECT 1 FROM deliveries WHERE key = ?", (key,)) as cur:
            return await cur.fetchone() is not None

    # -- nudge delivery records (rows of bot/scheduling's deliveries table that name a member) ------------------

    async def nudge_records(self, user_id: int) -> list[dict[str, Any]]:
        """The member's streak-nudge deliveries, for their export: the day, and whether the DM went out."""
        async with self._conn.execute(
            "SELECT key, status, finished_at FROM deliveries WHERE target_kind = ? AND target_ref = ? ORDER BY fire_at",
            (NUDGE_TARGET_KIND, str(user_id)),
        ) as cur:
            return [
                {"local_date": str(r[0]).rsplit(":", 1)[-1], "status": r[1], "finished_at": r[2]}
                for r in await cur.fetchall()
            ]

    async def delete_nudge_records(self, user_id: int) -> int:
        counts = await self._write(
            [("DELETE FROM deliveries WHERE target_kind = ? AND target_ref = ?", (NUDGE_TARGET_KIND, str(user_id)))]
        )
        return counts[0]

    async def prune_nudge_records(self, before: dt.datetime) -> int:
        """Forget nudge deliveries due before ``before``: they only exist so that a day's nudge is sent once."""
        counts = await self._write(
            [("DELETE FROM deliveries WHERE target_kind = ? AND fire_at < ?", (NUDGE_TARGET_KIND, to_db(before)))]
        )
        return counts[0]

    async def delete_settings(self, user_id: int) -> int:
        counts = await self._write([("DELETE FROM study_member_settings WHERE user_id = ?", (user_id,))])
        return counts[0]

    async def user_ids(self) -> set[int]:
        """Everyone study groups hold something about: members, check-ins, settings, departures, nudge records."""
        async with self._conn.execute(
            "SELECT user_id FROM study_checkins UNION SELECT user_id FROM study_group_members "
            "UNION SELECT user_id FROM study_member_settings UNION SELECT user_id FROM study_departures"
        ) as cur:
            found = {int(r[0]) for r in await cur.fetchall()}
        async with self._conn.execute(
            "SELECT DISTINCT target_ref FROM deliveries WHERE target_kind = ?", (NUDGE_TARGET_KIND,)
        ) as cur:
            found.update(int(r[0]) for r in await cur.fetchall() if str(r[0]).isdigit())
        return found

    async def delete_user_data(self, user_id: int) -> dict[str, int]:
        """Everything study groups hold about the member, in every server."""
        counts = await self._write(
            [
                ("DELETE FROM study_checkins WHERE user_id = ?", (user_id,)),
                ("DELETE FROM study_group_members WHERE user_id = ?", (user_id,)),
                ("DELETE FROM study_member_settings WHERE user_id = ?", (user_id,)),
                ("DELETE FROM study_departures WHERE user_id = ?", (user_id,)),
                (
                    "DELETE FROM deliveries WHERE target_kind = ? AND target_ref = ?",
                    (NUDGE_TARGET_KIND, str(user_id)),
                ),
            ]
        )
        return {
            "studygroup_checkins": counts[0],
            "studygroup_memberships": counts[1],
            "studygroup_settings": counts[2],
            "studygroup_departures": counts[3],
            "studygroup_nudges": counts[4],
        }

    async def export_user_data(self, user_id: int) -> dict[str, Any]:
        settings = await self.settings(user_id)
        async with self._conn.execute(
            "SELECT m.group_id, g.name, m.guild_id, m.joined_at, m.left_at, m.left_reason FROM "
            "study_group_members m "
            "JOIN study_groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY m.joined_at, m.group_id",
            (user_id,),
        ) as cur:
            memberships = [
                {
                    "group_id": int(r[0]),
                    "group_name": r[1],
                    "server_id": int(r[2]),
                    "joined_at": r[3],
                    "left_at": r[4],
                    "left_reason": r[5],
                }
                for r in await cur.fetchall()
            ]
        async with self._conn.execute(
            f"SELECT {_CHECKIN_COLUMNS} FROM study_checkins WHERE user_id = ? ORDER BY local_date, group_id",
            (user_id,),
        ) as cur:
            check_ins = [
                {
                    "group_id": c.group_id,
                    "server_id": c.guild_id,
                    "local_date": c.local_date.isoformat(),
                    "timezone": c.zone,
                    "studied": c.studied,
                    "questions": c.questions,
                    "percent_correct": c.percent_correct,
                    "hours": None if c.minutes is None else round(c.minutes / 60, 2),
                    "blockers": c.blockers,
                    "created_at": to_db(c.created_at),
                    "updated_at": to_db(c.updated_at),
                }
                for c in (_check_in(r) for r in await cur.fetchall())
            ]
        async with self._conn.execute(
            "SELECT guild_id, left_at FROM study_departures WHERE user_id = ? ORDER BY left_at", (user_id,)
        ) as cur:
            departures = [{"server_id": int(r[0]), "left_at": r[1]} for r in await cur.fetchall()]
        return {
            "studygroup_settings": None
            if settings.updated_at is None
            else {
                "timezone": settings.zone,
                "streak_nudges": settings.nudge,
                "streak_nudges_stopped_at": None
                if settings.nudges_stopped_at is None
                else to_db(settings.nudges_stopped_at),
                "updated_at": to_db(settings.updated_at),
            },
            "studygroup_memberships": memberships,
            "studygroup_checkins": check_ins,
            "studygroup_left_servers": departures,
            "studygroup_streak_nudges": await self.nudge_records(user_id),
        }
