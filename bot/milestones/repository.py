"""SQL for milestone subscriptions and server events, and the moderators they name for /mydata. Nothing here decides
anything; ``service`` does."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bot.db.connection import Connection, Row, write_transaction
from bot.db.timestamps import from_db, to_db
from bot.milestones.discord_event_plan import TARGET_KIND, EventLink, EventsSetting
from bot.milestones.models import PauseReason, ServerEvent, Status, Subscription
from bot.milestones.reminders import format_reminders, parse_reminders

log = logging.getLogger(__name__)

_SUBSCRIPTION_COLUMNS = (
    "guild_id, channel_id, role_id, reminders, status, paused_reason, configured_by, active_since, created_at, "
    "updated_at"
)
_LINK_COLUMNS = (
    "guild_id, milestone_uid, match_year, event_id, starts_at, ends_at, projected, fingerprint, state, created_at, "
    "updated_at"
)
_EVENT_COLUMNS = (
    "id, guild_id, channel_id, title, description, starts_at, zone, reminders, status, paused_reason, created_by, "
    "created_at, announce_from, ping"
)
_NAMED_BY = (("milestone_subscriptions", "configured_by"), ("server_events", "created_by"))
"""The moderator who set up a server's announcements, and who created an event: told about problems with them."""
_POSTED = ("sent", "claimed")
"""Delivery states of a reminder that went out (or may have: a claim left by a crash)."""


def _reason(text: str | None) -> PauseReason | None:
    if text is None:
        return None
    try:
        return PauseReason(text)
    except ValueError:
        log.warning("unknown pause reason %r in the database", text)
        return PauseReason.BY_ADMIN


def _subscription(row: Row) -> Subscription:
    return Subscription(
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        role_id=row["role_id"],
        reminders=parse_reminders(row["reminders"]) if row["reminders"] is not None else None,
        status=Status(row["status"]),
        paused_reason=_reason(row["paused_reason"]),
        configured_by=row["configured_by"],
        active_since=from_db(row["active_since"]),
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
    )


def _event(row: Row) -> ServerEvent:
    return ServerEvent(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        title=row["title"],
        description=row["description"],
        starts_at=from_db(row["starts_at"]),
        zone=row["zone"],
        reminders=parse_reminders(row["reminders"]),
        status=Status(row["status"]),
        paused_reason=_reason(row["paused_reason"]),
        created_by=row["created_by"],
        created_at=from_db(row["created_at"]),
        announce_from=from_db(row["announce_from"]) if row["announce_from"] is not None else None,
        ping=bool(row["ping"]),
    )


class MilestoneRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- subscriptions ---------------------------------------------------------------------------------------------

    async def subscription(self, guild_id: int) -> Subscription | None:
        async with self._conn.execute(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM milestone_subscriptions WHERE guild_id = ?", (guild_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _subscription(row) if row else None

    async def subscriptions(self, *, active_only: bool = True) -> list[Subscription]:
        where = "WHERE status = 'active'" if active_only else ""
        async with self._conn.execute(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM milestone_subscriptions {where} ORDER BY guild_id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [_subscription(row) for row in rows]

    async def save_subscription(
        self,
        guild_id: int,
        channel_id: int,
        role_id: int | None,
        reminders: tuple[timedelta, ...] | None,
        configured_by: int,
        now: datetime,
    ) -> Subscription:
        """Create or replace the server's subscription, active from ``now``."""
        stamp = to_db(now)
        async with write_transaction(self._conn):
            await self._conn.execute(
                f"INSERT INTO milestone_subscriptions ({_SUBSCRIPTION_COLUMNS}) "
                "VALUES (?, ?, ?, ?, 'active', NULL, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, role_id = excluded.role_id, "
                "reminders = excluded.reminders, status = 'active', paused_reason = NULL, "
                "configured_by = excluded.configured_by, active_since = excluded.active_since, "
                "updated_at = excluded.updated_at",
                (
                    guild_id,
                    channel_id,
                    role_id,
                    format_reminders(reminders) if reminders is not None else None,
                    configured_by,
                    stamp,
                    stamp,
                    stamp,
                ),
            )
        saved = await self.subscription(guild_id)
        assert saved is not None
        return saved

    async def pause_subscription(
        self, guild_id: int, reason: PauseReason, now: datetime, *, channel_id: int | None = None
    ) -> bool:
        """Pause if active (and, with ``channel_id``, only if it posts there). True when this call paused it."""
        sql = (
            "UPDATE milestone_subscriptions SET status = 'paused', paused_reason = ?, updated_at = ? "
            "WHERE guild_id = ? AND status = 'active'"
        )
        args: tuple[object, ...] = (reason.value, to_db(now), guild_id)
        if channel_id is not None:
            sql += " AND channel_id = ?"
            args += (channel_id,)
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(sql, args)
        return cursor.rowcount > 0

    async def pause_subscriptions_with_role(self, guild_id: int, role_id: int, now: datetime) -> bool:
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                "UPDATE milestone_subscriptions SET status = 'paused', paused_reason = ?, updated_at = ? "
                "WHERE guild_id = ? AND role_id = ? AND status = 'active'",
                (PauseReason.ROLE_GONE.value, to_db(now), guild_id, role_id),
            )
        return cursor.rowcount > 0

    async def resume_subscription(self, guild_id: int, now: datetime) -> bool:
        """Active again from ``now`` (what was due while paused is not posted). True when it was paused."""
        stamp = to_db(now)
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                "UPDATE milestone_subscriptions SET status = 'active', paused_reason = NULL, active_since = ?, "
                "updated_at = ? WHERE guild_id = ? AND status = 'paused'",
                (stamp, stamp, guild_id),
            )
        return cursor.rowcount > 0

    async def delete_subscription(self, guild_id: int) -> bool:
        async with write_transaction(self._conn):
            cursor = await self._conn.execute("DELETE FROM milestone_subscriptions WHERE guild_id = ?", (guild_id,))
        return cursor.rowcount > 0

    # -- server events -------------------------------------------------------------------------------------------

    async def add_event(
        self,
        guild_id: int,
        channel_id: int,
        title: str,
        description: str,
        starts_at: datetime,
        zone: str,
        reminders: tuple[timedelta, ...],
        created_by: int,
        now: datetime,
        *,
        ping: bool = True,
    ) -> ServerEvent:
        """``ping``: its reminders ping the announcement role (the column's default, as for events added before the
        choice existed; ``/event add`` always says)."""
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                "INSERT INTO server_events (guild_id, channel_id, title, description, starts_at, zone, reminders, "
                "status, created_by, created_at, announce_from, ping) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?) RETURNING id",
                (
                    guild_id,
                    channel_id,
                    title,
                    description,
                    to_db(starts_at),
                    zone,
                    format_reminders(reminders),
                    created_by,
                    to_db(now),
                    to_db(now),
                    int(ping),
                ),
            )
            row = await cursor.fetchone()
        assert row is not None
        event = await self.event(guild_id, int(row[0]))
        assert event is not None
        return event

    async def update_event(
        self,
        guild_id: int,
        event_id: int,
        *,
        channel_id: int,
        title: str,
        description: str,
        starts_at: datetime,
        zone: str,
        reminders: tuple[timedelta, ...],
        announce_from: datetime,
        resume: bool,
        ping: bool,
    ) -> ServerEvent | None:
        """Replace what /event edit may change; ``resume``: active again (its channel was changed). None when the event
        is gone."""
        status = ", status = 'active', paused_reason = NULL" if resume else ""
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                "UPDATE server_events SET channel_id = ?, title = ?, description = ?, starts_at = ?, zone = ?, "
                f"reminders = ?, announce_from = ?, ping = ?{status} WHERE id = ? AND guild_id = ?",
                (
                    channel_id,
                    title,
                    description,
                    to_db(starts_at),
                    zone,
                    format_reminders(reminders),
                    to_db(announce_from),
                    int(ping),
                    event_id,
                    guild_id,
                ),
            )
        return await self.event(guild_id, event_id) if cursor.rowcount else None

    async def _posted_reminders(self, event_ids: list[int]) -> list[tuple[int, timedelta, datetime]]:
        """(event id, offset, the event's time then) of every event reminder that went out."""
        if not event_ids:
            return []
        async with self._conn.execute(
            "SELECT target_ref, offset_seconds, occurs_at FROM deliveries WHERE target_kind = 'event' "
            f"AND target_ref IN ({', '.join('?' * len(event_ids))}) AND status IN ({', '.join('?' * len(_POSTED))})",
            (*(str(event_id) for event_id in event_ids), *_POSTED),
        ) as cursor:
            rows = await cursor.fetchall()
        return [(int(row[0]), timedelta(seconds=row[1]), from_db(row[2])) for row in rows]

    async def posted_event_reminders(self, events: list[ServerEvent]) -> dict[int, set[timedelta]]:
        """Event id -> the reminders (offsets) already posted for another time of the event, before /event edit moved
        it: they are not posted again for the new time. (Those of its current time are the runner's to skip.)"""
        starts = {event.id: event.starts_at for event in events}
        posted: dict[int, set[timedelta]] = {}
        for event_id, offset, occurs_at in await self._posted_reminders(list(starts)):
            if occurs_at != starts[event_id]:
                posted.setdefault(event_id, set()).add(offset)
        return posted

    async def reminders_posted_for(self, event_id: int) -> set[timedelta]:
        """Every reminder of the event that went out, whatever its time was then."""
        return {offset for _, offset, _ in await self._posted_reminders([event_id])}

    async def event(self, guild_id: int, event_id: int) -> ServerEvent | None:
        async with self._conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM server_events WHERE id = ? AND guild_id = ?", (event_id, guild_id)
        ) as cursor:
            row = await cursor.fetchone()
        return _event(row) if row else None

    async def events_of(self, guild_id: int, *, since: datetime) -> list[ServerEvent]:
        """The server's events starting at or after ``since``, soonest first (paused ones too)."""
        async with self._conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM server_events WHERE guild_id = ? AND starts_at >= ? ORDER BY starts_at, id",
            (guild_id, to_db(since)),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_event(row) for row in rows]

    async def count_upcoming_events(self, guild_id: int, now: datetime) -> int:
        async with self._conn.execute(
            "SELECT COUNT(*) FROM server_events WHERE guild_id = ? AND starts_at >= ?", (guild_id, to_db(now))
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def active_events_starting(self, start: datetime, end: datetime) -> list[ServerEvent]:
        """Active events of every server with ``start <= starts_at < end``."""
        async with self._conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM server_events WHERE status = 'active' AND starts_at >= ? AND starts_at < ? "
            "ORDER BY starts_at, id",
            (to_db(start), to_db(end)),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_event(row) for row in rows]

    async def remove_event(self, guild_id: int, event_id: int) -> ServerEvent | None:
        event = await self.event(guild_id, event_id)
        if event is None:
            return None
        async with write_transaction(self._conn):
            await self._conn.execute("DELETE FROM server_events WHERE id = ? AND guild_id = ?", (event_id, guild_id))
        return event

    async def resume_events_in_channel(self, guild_id: int, channel_id: int) -> int:
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                "UPDATE server_events SET status = 'active', paused_reason = NULL "
                "WHERE guild_id = ? AND channel_id = ? AND status = 'paused'",
                (guild_id, channel_id),
            )
        return cursor.rowcount

    async def pause_events_in_channel(
        self, guild_id: int, channel_id: int | None, reason: PauseReason, now: datetime
    ) -> list[str]:
        """Pause the server's active upcoming events posting in ``channel_id`` (None: all of them); their titles."""
        sql = "WHERE guild_id = ? AND status = 'active' AND starts_at >= ?"
        args: tuple[object, ...] = (guild_id, to_db(now - timedelta(days=1)))
        if channel_id is not None:
            sql += " AND channel_id = ?"
            args += (channel_id,)
        # RETURNING makes the check and the change one statement: of two concurrent calls only one gets the titles.
        async with (
            write_transaction(self._conn),
            self._conn.execute(
                f"UPDATE server_events SET status = 'paused', paused_reason = ? {sql} RETURNING title, starts_at",
                (reason.value, *args),
            ) as cursor,
        ):
            rows: list[Row] = list(await cursor.fetchall())
        titles = [row[0] for row in sorted(rows, key=lambda row: row[1])]
        return titles

    # -- Discord scheduled events (discord_events.DiscordEventSync) ------------------------------------------------

    async def discord_events_setting(self, guild_id: int) -> EventsSetting | None:
        async with self._conn.execute(
            "SELECT guild_id, enabled, problem FROM milestone_discord_event_settings WHERE guild_id = ?", (guild_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return EventsSetting(row[0], bool(row[1]), row[2]) if row else None

    async def discord_events_enabled(self) -> list[EventsSetting]:
        """Servers that opted in and whose events were not refused by Discord."""
        async with self._conn.execute(
            "SELECT guild_id, enabled, problem FROM milestone_discord_event_settings "
            "WHERE enabled = 1 AND problem IS NULL ORDER BY guild_id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [EventsSetting(row[0], bool(row[1]), row[2]) for row in rows]

    async def set_discord_events(self, guild_id: int, enabled: bool, now: datetime) -> None:
        """Switch on or off; either way a recorded refusal is forgotten (switching on again is how it is retried),
        and so are the failed attempts, which would otherwise count as done."""
        async with write_transaction(self._conn):
            await self._conn.execute(
                "INSERT INTO milestone_discord_event_settings (guild_id, enabled, problem, updated_at) "
                "VALUES (?, ?, NULL, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET enabled = excluded.enabled, problem = NULL, "
                "updated_at = excluded.updated_at",
                (guild_id, int(enabled), to_db(now)),
            )
            await self._conn.execute(
                "DELETE FROM deliveries WHERE guild_id = ? AND target_kind = ? AND status = 'failed'",
                (guild_id, TARGET_KIND),
            )

    async def record_discord_events_problem(self, guild_id: int, problem: str, now: datetime) -> bool:
        """Stop creating events in the server; True only for the call that stopped it (so one DM, not several)."""
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                "UPDATE milestone_discord_event_settings SET problem = ?, updated_at = ? "
                "WHERE guild_id = ? AND enabled = 1 AND problem IS NULL",
                (problem, to_db(now), guild_id),
            )
        return cursor.rowcount > 0

    async def discord_event_links(self, guild_ids: list[int] | None = None) -> dict[tuple[int, str], EventLink]:
        """(server, milestone uid) -> the event made for it, for these servers (None: every server)."""
        sql = f"SELECT {_LINK_COLUMNS} FROM milestone_discord_events"
        args: tuple[object, ...] = ()
        if guild_ids is not None:
            sql += f" WHERE guild_id IN ({', '.join('?' * len(guild_ids))})" if guild_ids else " WHERE 1 = 0"
            args = tuple(guild_ids)
        async with self._conn.execute(sql, args) as cursor:
            rows = await cursor.fetchall()
        links = [
            EventLink(
                guild_id=row["guild_id"],
                milestone_uid=row["milestone_uid"],
                match_year=row["match_year"],
                event_id=row["event_id"],
                starts_at=from_db(row["starts_at"]),
                ends_at=from_db(row["ends_at"]),
                projected=bool(row["projected"]),
                fingerprint=row["fingerprint"],
                active=row["state"] == "active",
            )
            for row in rows
        ]
        return {(link.guild_id, link.milestone_uid): link for link in links}

    async def save_discord_event_link(self, link: EventLink, now: datetime) -> None:
        stamp = to_db(now)
        async with write_transaction(self._conn):
            await self._conn.execute(
                f"INSERT INTO milestone_discord_events ({_LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id, milestone_uid, match_year) DO UPDATE SET event_id = excluded.event_id, "
                "starts_at = excluded.starts_at, ends_at = excluded.ends_at, projected = excluded.projected, "
                "fingerprint = excluded.fingerprint, state = excluded.state, updated_at = excluded.updated_at",
                (
                    link.guild_id,
                    link.milestone_uid,
                    link.match_year,
                    link.event_id,
                    to_db(link.starts_at),
                    to_db(link.ends_at),
                    int(link.projected),
                    link.fingerprint,
                    "active" if link.active else "gone",
                    stamp,
                    stamp,
                ),
            )

    # -- /mydata ---------------------------------------------------------------------------------------------------

    async def export_named(self, user_id: int) -> dict[str, Any]:
        """The announcements and events that name ``user_id`` as the moderator who set them up."""
        async with self._conn.execute(
            "SELECT guild_id, channel_id, created_at, updated_at FROM milestone_subscriptions "
            "WHERE configured_by = ? ORDER BY guild_id",
            (user_id,),
        ) as cursor:
            subscriptions = [
                {"server_id": int(r[0]), "channel_id": int(r[1]), "created_at": r[2], "updated_at": r[3]}
                for r in await cursor.fetchall()
            ]
        async with self._conn.execute(
            "SELECT guild_id, title, starts_at, created_at FROM server_events WHERE created_by = ? ORDER BY id",
            (user_id,),
        ) as cursor:
            events = [
                {"server_id": int(r[0]), "title": r[1], "starts_at": r[2], "created_at": r[3]}
                for r in await cursor.fetchall()
            ]
        return {"milestone_announcements_set_up": subscriptions, "server_events_created": events}

    async def unname(self, user_id: int) -> int:
        """The records belong to the server: they stay and keep running, naming nobody (0 is never a Discord id)."""
        changed = 0
        async with write_transaction(self._conn):
            for table, column in _NAMED_BY:
                cursor = await self._conn.execute(f"UPDATE {table} SET {column} = 0 WHERE {column} = ?", (user_id,))
                changed += max(cursor.rowcount, 0)
        return changed

    async def named_user_ids(self) -> set[int]:
        found: set[int] = set()
        for table, column in _NAMED_BY:
            async with self._conn.execute(f"SELECT DISTINCT {column} FROM {table} WHERE {column} != 0") as cursor:
                found.update(int(r[0]) for r in await cursor.fetchall() if r[0] is not None)
        return found
