"""SQL for members' own dates (``my_dates``), their DM pauses and their per-server sharing, and the rows of the
shared ``deliveries`` table that their reminders leave (they name the member: ``target_ref`` is their id)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from bot.db.connection import Connection, write_transaction
from bot.db.timestamps import from_db, to_db
from bot.milestones.reminders import format_reminders, parse_reminders
from bot.mydates.models import DateKind, DmPause, MyDate, Sharing

log = logging.getLogger(__name__)

REMINDER_TARGET_KIND = "mydate-reminder"
"""The ``deliveries.target_kind`` of a reminder DM."""

_DATE_COLUMNS = "id, user_id, kind, title, starts_at, timezone, reminders, created_at"


def _date(row: Sequence[Any]) -> MyDate:
    reminders = str(row[6])
    return MyDate(
        id=int(row[0]),
        user_id=int(row[1]),
        kind=DateKind(row[2]),
        title=row[3],
        starts_at=from_db(row[4]),
        zone=str(row[5]),
        reminders=parse_reminders(reminders) if reminders else (),
        created_at=from_db(row[7]),
    )


class MyDatesRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def _all(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        async with self._conn.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def _write(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[int]:
        counts = []
        async with write_transaction(self._conn):
            for sql, params in statements:
                cursor = await self._conn.execute(sql, params)
                counts.append(max(cursor.rowcount, 0))
        return counts

    # -- dates -------------------------------------------------------------------------------------------------------

    async def add(
        self,
        user_id: int,
        kind: DateKind,
        title: str | None,
        starts_at: dt.datetime,
        zone: str,
        reminders: Sequence[dt.timedelta],
        now: dt.datetime,
        *,
        limit: int,
    ) -> MyDate | None:
        """Insert the date unless the member already has ``limit``; None then. The count and the insert are one
        transaction, so two adds at once cannot pass the limit together."""
        async with write_transaction(self._conn):
            async with self._conn.execute("SELECT COUNT(*) FROM my_dates WHERE user_id = ?", (user_id,)) as cursor:
                row = await cursor.fetchone()
            if row is not None and int(row[0]) >= limit:
                return None
            async with self._conn.execute(
                "INSERT INTO my_dates (user_id, kind, title, starts_at, timezone, reminders, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (user_id, kind.value, title, to_db(starts_at), zone, format_reminders(reminders), to_db(now)),
            ) as cursor:
                inserted = await cursor.fetchone()
        assert inserted is not None
        added = await self.get(int(inserted[0]))
        assert added is not None
        return added

    async def get(self, date_id: int) -> MyDate | None:
        rows = await self._all(f"SELECT {_DATE_COLUMNS} FROM my_dates WHERE id = ?", (date_id,))
        return _date(rows[0]) if rows else None

    async def of_user(self, user_id: int) -> list[MyDate]:
        """The member's dates, soonest first."""
        rows = await self._all(
            f"SELECT {_DATE_COLUMNS} FROM my_dates WHERE user_id = ? ORDER BY starts_at, id", (user_id,)
        )
        return [_date(row) for row in rows]

    async def count(self, user_id: int) -> int:
        rows = await self._all("SELECT COUNT(*) FROM my_dates WHERE user_id = ?", (user_id,))
        return int(rows[0][0])

    async def remove(self, user_id: int, date_id: int) -> MyDate | None:
        """Delete one of the member's dates (never another member's); the date as it was, or None."""
        found = await self.get(date_id)
        if found is None or found.user_id != user_id:
            return None
        await self._write([("DELETE FROM my_dates WHERE id = ? AND user_id = ?", (date_id, user_id))])
        return found

    async def starting_between(self, start: dt.datetime, end: dt.datetime) -> list[MyDate]:
        """Dates with reminders starting in ``start <= starts_at < end`` (every member), soonest first."""
        rows = await self._all(
            f"SELECT {_DATE_COLUMNS} FROM my_dates WHERE starts_at >= ? AND starts_at < ? AND reminders != '' "
            "ORDER BY starts_at, id",
            (to_db(start), to_db(end)),
        )
        return [_date(row) for row in rows]

    async def exams_of(
        self, guild_id: int, user_ids: Sequence[int], start: dt.datetime, end: dt.datetime
    ) -> dict[int, bool]:
        """Of ``user_ids``, those sharing in ``guild_id`` with an exam in ``start < starts_at <= end``: id -> named."""
        if not user_ids:
            return {}
        exams = [kind.value for kind in DateKind if kind.is_exam]
        marks = ", ".join("?" for _ in user_ids)
        kinds = ", ".join("?" for _ in exams)
        rows = await self._all(
            "SELECT DISTINCT s.user_id, s.named FROM my_dates_sharing AS s JOIN my_dates AS d ON d.user_id = s.user_id "
            f"WHERE s.guild_id = ? AND s.user_id IN ({marks}) AND d.kind IN ({kinds}) "
            "AND d.starts_at > ? AND d.starts_at <= ?",
            (guild_id, *user_ids, *exams, to_db(start), to_db(end)),
        )
        return {int(row[0]): bool(row[1]) for row in rows}

    async def forget_passed(self, before: dt.datetime) -> tuple[int, int]:
        """Delete dates that started before ``before``, and the records of reminders due before it; the counts."""
        dates, records = await self._write(
            [
                ("DELETE FROM my_dates WHERE starts_at < ?", (to_db(before),)),
                (
                    "DELETE FROM deliveries WHERE target_kind = ? AND fire_at < ?",
                    (REMINDER_TARGET_KIND, to_db(before)),
                ),
            ]
        )
        return dates, records

    # -- DM pauses ---------------------------------------------------------------------------------------------------

    async def pause(self, user_id: int, about: str, now: dt.datetime) -> bool:
        """Pause the member's reminders (the first failure's date is kept); False when they were already paused."""
        counts = await self._write(
            [
                (
                    "INSERT INTO my_dates_dm_pauses (user_id, paused_at, about) VALUES (?, ?, ?) "
                    "ON CONFLICT (user_id) DO NOTHING",
                    (user_id, to_db(now), about),
                )
            ]
        )
        return counts[0] > 0

    async def pause_of(self, user_id: int) -> DmPause | None:
        rows = await self._all("SELECT user_id, paused_at, about FROM my_dates_dm_pauses WHERE user_id = ?", (user_id,))
        return DmPause(int(rows[0][0]), from_db(rows[0][1]), str(rows[0][2])) if rows else None

    async def take_pause(self, user_id: int) -> DmPause | None:
        """End the member's pause and return it (None when there was none): one statement, so it is told once."""
        async with (
            write_transaction(self._conn),
            self._conn.execute(
                "DELETE FROM my_dates_dm_pauses WHERE user_id = ? RETURNING user_id, paused_at, about", (user_id,)
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return DmPause(int(row[0]), from_db(row[1]), str(row[2])) if row is not None else None

    # -- sharing in weekly recaps ------------------------------------------------------------------------------------

    async def set_sharing(self, user_id: int, guild_id: int, share: bool, named: bool, now: dt.datetime) -> None:
        statement: tuple[str, tuple[Any, ...]]
        if share:
            statement = (
                "INSERT INTO my_dates_sharing (user_id, guild_id, named, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, guild_id) DO UPDATE SET named = excluded.named, "
                "updated_at = excluded.updated_at",
                (user_id, guild_id, int(named), to_db(now)),
            )
        else:
            statement = ("DELETE FROM my_dates_sharing WHERE user_id = ? AND guild_id = ?", (user_id, guild_id))
        await self._write([statement])

    async def sharing(self, user_id: int, guild_id: int) -> Sharing | None:
        rows = await self._all(
            "SELECT user_id, guild_id, named FROM my_dates_sharing WHERE user_id = ? AND guild_id = ?",
            (user_id, guild_id),
        )
        return Sharing(int(rows[0][0]), int(rows[0][1]), bool(rows[0][2])) if rows else None

    # -- a member's data ---------------------------------------------------------------------------------------------

    async def export_user_data(self, user_id: int) -> dict[str, Any]:
        dates = [
            {
                "kind": date.kind.value,
                "title": date.title,
                "starts_at": date.starts_at.isoformat(timespec="seconds"),
                "timezone": date.zone,
                "reminders": date.reminders_text(),
                "added_at": date.created_at.isoformat(timespec="seconds"),
            }
            for date in await self.of_user(user_id)
        ]
        sharing = [
            {"server_id": int(row[0]), "named": bool(row[1]), "updated_at": row[2]}
            for row in await self._all(
                "SELECT guild_id, named, updated_at FROM my_dates_sharing WHERE user_id = ? ORDER BY guild_id",
                (user_id,),
            )
        ]
        reminders = [
            {"due_at": row[0], "offset_seconds": int(row[1]), "status": row[2], "late": bool(row[3])}
            for row in await self._all(
                "SELECT fire_at, offset_seconds, status, late FROM deliveries WHERE target_kind = ? AND target_ref = ? "
                "ORDER BY fire_at",
                (REMINDER_TARGET_KIND, str(user_id)),
            )
        ]
        pause = await self.pause_of(user_id)
        return {
            "dates": dates,
            "shared_in_weekly_recaps": sharing,
            "reminders_sent_or_skipped": reminders,
            "reminders_paused": (
                None
                if pause is None
                else {"since": pause.paused_at.isoformat(timespec="seconds"), "about": pause.about}
            ),
        }

    async def delete_user_data(self, user_id: int) -> dict[str, int]:
        dates, pauses, sharing, records = await self._write(
            [
                ("DELETE FROM my_dates WHERE user_id = ?", (user_id,)),
                ("DELETE FROM my_dates_dm_pauses WHERE user_id = ?", (user_id,)),
                ("DELETE FROM my_dates_sharing WHERE user_id = ?", (user_id,)),
                (
                    "DELETE FROM deliveries WHERE target_kind = ? AND target_ref = ?",
                    (REMINDER_TARGET_KIND, str(user_id)),
                ),
            ]
        )
        return {"my_dates": dates, "my_dates_settings": pauses + sharing, "my_dates_reminders": records}

    async def user_ids(self) -> set[int]:
        rows = await self._all(
            "SELECT user_id FROM my_dates UNION SELECT user_id FROM my_dates_dm_pauses "
            "UNION SELECT user_id FROM my_dates_sharing"
        )
        found = {int(row[0]) for row in rows}
        for row in await self._all(
            "SELECT DISTINCT target_ref FROM deliveries WHERE target_kind = ?", (REMINDER_TARGET_KIND,)
        ):
            if str(row[0]).isdigit():
                found.add(int(row[0]))
        return found
