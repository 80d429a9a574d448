"""SQL for interview practice notes and the interview log (with its rank draft order).

Every statement names the member (``user_id = ?``): a note or an entry is found, changed or deleted only by its
owner, whatever id a button carries. Times are ISO 8601 UTC text with microseconds; interview days are ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.db.connection import Connection, Row, write_transaction
from bot.db.timestamps import from_db, to_db


@dataclass(frozen=True)
class SavedNote:
    id: int
    question_id: str
    question: str
    note: str
    created_at: dt.datetime


@dataclass(frozen=True)
class LoggedInterview:
    id: int
    program: str
    date: dt.date
    impression: int | None
    notes: str | None
    rank_position: int | None
    rank_note: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


_NOTE_COLUMNS = "id, question_id, question, note, created_at"
_LOG_COLUMNS = "id, program, interview_date, impression, notes, rank_position, rank_note, created_at, updated_at"


def _note(row: Row) -> SavedNote:
    return SavedNote(int(str(row[0])), str(row[1]), str(row[2]), str(row[3]), from_db(str(row[4])))


def _entry(row: Row) -> LoggedInterview:
    return LoggedInterview(
        id=int(str(row[0])),
        program=str(row[1]),
        date=dt.date.fromisoformat(str(row[2])),
        impression=None if row[3] is None else int(str(row[3])),
        notes=None if row[4] is None else str(row[4]),
        rank_position=None if row[5] is None else int(str(row[5])),
        rank_note=None if row[6] is None else str(row[6]),
        created_at=from_db(str(row[7])),
        updated_at=from_db(str(row[8])),
    )


class InterviewRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- practice notes ------------------------------------------------------------------------------------------

    async def add_note(self, user_id: int, question_id: str, question: str, note: str, now: dt.datetime) -> SavedNote:
        async with (
            write_transaction(self.conn),
            self.conn.execute(
                "INSERT INTO interview_notes (user_id, question_id, question, note, created_at) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (user_id, question_id, question, note, to_db(now)),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        assert row is not None
        return SavedNote(int(row[0]), question_id, question, note, now.astimezone(dt.UTC))

    async def count_notes(self, user_id: int) -> int:
        async with self.conn.execute("SELECT COUNT(*) FROM interview_notes WHERE user_id = ?", (user_id,)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def notes(self, user_id: int, *, offset: int = 0, limit: int | None = None) -> list[SavedNote]:
        """The member's notes, newest first: ``limit`` of them from ``offset`` on, or all from ``offset`` on."""
        sql = f"SELECT {_NOTE_COLUMNS} FROM interview_notes WHERE user_id = ? ORDER BY id DESC"
        params: tuple[int, ...] = (user_id,)
        if limit is not None:
            # No LIMIT at all for "all": SQLite's "LIMIT -1" (no bound) is an error on PostgreSQL.
            sql += " LIMIT ? OFFSET ?"
            params += (limit, offset)
        async with self.conn.execute(sql, params) as cursor:
            notes = [_note(r) for r in await cursor.fetchall()]
        return notes if limit is not None else notes[offset:]

    async def note(self, user_id: int, note_id: int) -> SavedNote | None:
        async with self.conn.execute(
            f"SELECT {_NOTE_COLUMNS} FROM interview_notes WHERE user_id = ? AND id = ?", (user_id, note_id)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _note(row)

    async def delete_note(self, user_id: int, note_id: int) -> bool:
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "DELETE FROM interview_notes WHERE user_id = ? AND id = ?", (user_id, note_id)
            )
        return cursor.rowcount > 0

    # -- the interview log ---------------------------------------------------------------------------------------

    async def add_entry(
        self,
        user_id: int,
        program: str,
        date: dt.date,
        impression: int | None,
        notes: str | None,
        now: dt.datetime,
    ) -> int:
        async with (
            write_transaction(self.conn),
            self.conn.execute(
                "INSERT INTO interview_log (user_id, program, interview_date, impression, notes, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (user_id, program, date.isoformat(), impression, notes, to_db(now), to_db(now)),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def update_entry(
        self,
        user_id: int,
        entry_id: int,
        program: str,
        date: dt.date,
        impression: int | None,
        notes: str | None,
        now: dt.datetime,
    ) -> bool:
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "UPDATE interview_log SET program = ?, interview_date = ?, impression = ?, notes = ?, updated_at = ? "
                "WHERE user_id = ? AND id = ?",
                (program, date.isoformat(), impression, notes, to_db(now), user_id, entry_id),
            )
        return cursor.rowcount > 0

    async def delete_entry(self, user_id: int, entry_id: int) -> bool:
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "DELETE FROM interview_log WHERE user_id = ? AND id = ?", (user_id, entry_id)
            )
        return cursor.rowcount > 0

    async def entries(self, user_id: int) -> list[LoggedInterview]:
        """The member's log, by interview day (then the order they were logged)."""
        async with self.conn.execute(
            f"SELECT {_LOG_COLUMNS} FROM interview_log WHERE user_id = ? ORDER BY interview_date, id", (user_id,)
        ) as cursor:
            return [_entry(r) for r in await cursor.fetchall()]

    async def entry(self, user_id: int, entry_id: int) -> LoggedInterview | None:
        async with self.conn.execute(
            f"SELECT {_LOG_COLUMNS} FROM interview_log WHERE user_id = ? AND id = ?", (user_id, entry_id)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _entry(row)

    async def count_entries(self, user_id: int) -> int:
        async with self.conn.execute("SELECT COUNT(*) FROM interview_log WHERE user_id = ?", (user_id,)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def set_rank_order(self, user_id: int, entry_ids: Sequence[int], now: dt.datetime) -> None:
        """Place the member's entries in this order (1, 2, 3...), in one transaction."""
        async with write_transaction(self.conn):
            for position, entry_id in enumerate(entry_ids, start=1):
                await self.conn.execute(
                    "UPDATE interview_log SET rank_position = ?, updated_at = ? WHERE user_id = ? AND id = ?",
                    (position, to_db(now), user_id, entry_id),
                )

    async def set_rank_note(self, user_id: int, entry_id: int, note: str | None, now: dt.datetime) -> bool:
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "UPDATE interview_log SET rank_note = ?, updated_at = ? WHERE user_id = ? AND id = ?",
                (note, to_db(now), user_id, entry_id),
            )
        return cursor.rowcount > 0

    # -- personal data (/mydata) ---------------------------------------------------------------------------------

    async def delete_user(self, user_id: int) -> tuple[int, int]:
        """Delete every note and log entry of the member; (notes, entries) deleted."""
        async with write_transaction(self.conn):
            notes = await self.conn.execute("DELETE FROM interview_notes WHERE user_id = ?", (user_id,))
            entries = await self.conn.execute("DELETE FROM interview_log WHERE user_id = ?", (user_id,))
        return max(notes.rowcount, 0), max(entries.rowcount, 0)

    async def user_ids(self) -> set[int]:
        async with self.conn.execute(
            "SELECT user_id FROM interview_notes UNION SELECT user_id FROM interview_log"
        ) as cursor:
            return {int(r[0]) for r in await cursor.fetchall()}
