"""SQL for a server's own knowledge entries (``bot.knowledge.server_entries``) and the servers the bot left.

Every statement about an entry names its server (``guild_id = ?``): an entry is found, changed or removed only in the
server it belongs to, whatever id a button or an autocomplete value carries. Times are ISO 8601 UTC text.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from bot.db.connection import Connection, Row, write_transaction
from bot.db.timestamps import from_db, to_db
from bot.knowledge.server_entries import (
    AnsweredEntry,
    DuplicateTitleError,
    ServerEntry,
    ServerEntryForm,
    split_aliases,
    title_key,
)

_COLUMNS = "id, guild_id, title, aliases, answer, link, created_by, created_at, updated_by, updated_at"


def _entry(row: Row) -> ServerEntry:
    return ServerEntry(
        id=int(str(row[0])),
        guild_id=int(str(row[1])),
        title=str(row[2]),
        aliases=tuple(split_aliases(str(row[3]))),
        answer=str(row[4]),
        link=None if row[5] is None else str(row[5]),
        created_by=int(str(row[6])),
        created_at=from_db(str(row[7])),
        updated_by=int(str(row[8])),
        updated_at=from_db(str(row[9])),
    )


_SERVER_DATA = (
    "SELECT guild_id FROM server_entries UNION SELECT guild_id FROM community_questions "
    "UNION SELECT guild_id FROM community_settings"
)
"""Every server with knowledge data of its own: entries, and Ask the community's questions and help channel (0022).
All are kept for the server's retention period once the bot is removed from it, and go together."""


_TITLE_INDEX = "server_entries_title"
"""The unique index on (guild_id, title_key), named alike in both backends' migrations."""


def _is_duplicate(error: sqlite3.IntegrityError) -> bool:
    """Whether ``error`` is the server already having an entry with this title (not another constraint).

    SQLite names the index's columns in its message; PostgreSQL names the index, and asyncpg's error (the cause of
    the ``sqlite3.IntegrityError`` bot/db/postgres.py raises) carries it as ``constraint_name``."""
    if getattr(error.__cause__, "constraint_name", None) == _TITLE_INDEX:
        return True
    return "server_entries.guild_id, server_entries.title_key" in str(error)


class ServerEntryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def entries(self, guild_id: int) -> list[ServerEntry]:
        """Every entry of the server, by title."""
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM server_entries WHERE guild_id = ? ORDER BY title_key, id", (guild_id,)
        ) as cursor:
            return [_entry(row) for row in await cursor.fetchall()]

    async def entry(self, guild_id: int, entry_id: int) -> ServerEntry | None:
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM server_entries WHERE guild_id = ? AND id = ?", (guild_id, entry_id)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _entry(row)

    async def count(self, guild_id: int) -> int:
        async with self.conn.execute("SELECT COUNT(*) FROM server_entries WHERE guild_id = ?", (guild_id,)) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def add(
        self, guild_id: int, form: ServerEntryForm, user_id: int, now: dt.datetime, *, limit: int
    ) -> ServerEntry | None:
        """Add the entry unless the server already has ``limit`` (None then); DuplicateTitleError when the server has
        one with this title. One statement checks and inserts, so two moderators adding at once cannot pass the
        limit."""
        stamp = to_db(now)
        try:
            async with write_transaction(self.conn):
                # The CASTs type the selected values for PostgreSQL, which cannot tell them from a bare SELECT list.
                async with self.conn.execute(
                    "INSERT INTO server_entries (guild_id, title, title_key, aliases, answer, link, created_by, "
                    "created_at, updated_by, updated_at) SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), "
                    "CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), "
                    "CAST(? AS BIGINT), CAST(? AS TEXT) "
                    "WHERE (SELECT COUNT(*) FROM server_entries WHERE guild_id = ?) < ? RETURNING id",
                    (
                        guild_id,
                        form.title,
                        title_key(form.title),
                        ", ".join(form.aliases),
                        form.answer,
                        form.link,
                        user_id,
                        stamp,
                        user_id,
                        stamp,
                        guild_id,
                        limit,
                    ),
                ) as cursor:
                    row = await cursor.fetchone()
                if row is None:
                    return None
                entry_id = int(row[0])
                # A moderator adding an entry is proof the bot is in the server (back after a removal, say).
                await self.conn.execute("DELETE FROM server_entries_departures WHERE guild_id = ?", (guild_id,))
        except sqlite3.IntegrityError as error:
            if _is_duplicate(error):
                raise DuplicateTitleError(form.title) from error
            raise
        return await self.entry(guild_id, entry_id)

    async def update(
        self, guild_id: int, entry_id: int, form: ServerEntryForm, user_id: int, now: dt.datetime
    ) -> ServerEntry | None:
        """Change the entry (None when it is gone); DuplicateTitleError when another entry has this title."""
        try:
            async with write_transaction(self.conn):
                cursor = await self.conn.execute(
                    "UPDATE server_entries SET title = ?, title_key = ?, aliases = ?, answer = ?, link = ?, "
                    "updated_by = ?, updated_at = ? WHERE guild_id = ? AND id = ?",
                    (
                        form.title,
                        title_key(form.title),
                        ", ".join(form.aliases),
                        form.answer,
                        form.link,
                        user_id,
                        to_db(now),
                        guild_id,
                        entry_id,
                    ),
                )
                changed = cursor.rowcount
        except sqlite3.IntegrityError as error:
            if _is_duplicate(error):
                raise DuplicateTitleError(form.title) from error
            raise
        return await self.entry(guild_id, entry_id) if changed else None

    async def remove(self, guild_id: int, entry_id: int) -> ServerEntry | None:
        found = await self.entry(guild_id, entry_id)
        if found is None:
            return None
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "DELETE FROM server_entries WHERE guild_id = ? AND id = ?", (guild_id, entry_id)
            )
        return found if cursor.rowcount else None

    # -- how often /ask answered with an entry (0021) ------------------------------------------------------------

    async def count_answer(self, guild_id: int, entry_id: int, now: dt.datetime) -> bool:
        """Count one /ask answered with the entry; False when it is gone (removed meanwhile)."""
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "UPDATE server_entries SET times_answered = times_answered + 1, last_answered = ? "
                "WHERE guild_id = ? AND id = ?",
                (to_db(now), guild_id, entry_id),
            )
        return cursor.rowcount > 0

    async def most_answered(self, guild_id: int, limit: int) -> list[AnsweredEntry]:
        """The server's entries /ask answered with, most often first (then the latest answered, then by title)."""
        async with self.conn.execute(
            "SELECT id, title, times_answered, last_answered FROM server_entries "
            "WHERE guild_id = ? AND times_answered > 0 "
            "ORDER BY times_answered DESC, last_answered DESC, title_key, id LIMIT ?",
            (guild_id, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [AnsweredEntry(int(row[0]), str(row[1]), int(row[2]), from_db(row[3])) for row in rows]

    # -- the bot leaving a server ---------------------------------------------------------------------------------

    async def mark_left(self, guild_id: int, now: dt.datetime) -> bool:
        """Start the server's retention clock if it has entries or community data; leaving twice keeps the first
        time."""
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "INSERT INTO server_entries_departures (guild_id, left_at) SELECT CAST(? AS BIGINT), CAST(? AS TEXT) "
                f"WHERE CAST(? AS BIGINT) IN ({_SERVER_DATA}) ON CONFLICT (guild_id) DO NOTHING",
                (guild_id, to_db(now), guild_id),
            )
        return cursor.rowcount > 0

    async def clear_left(self, guild_id: int) -> bool:
        async with self.conn.execute(
            "SELECT 1 FROM server_entries_departures WHERE guild_id = ?", (guild_id,)
        ) as cursor:
            if await cursor.fetchone() is None:
                # Every server the bot joins lands here; a read costs less than a commit.
                return False
        async with write_transaction(self.conn):
            cursor = await self.conn.execute("DELETE FROM server_entries_departures WHERE guild_id = ?", (guild_id,))
        return cursor.rowcount > 0

    async def departures(self) -> list[tuple[int, dt.datetime]]:
        async with self.conn.execute("SELECT guild_id, left_at FROM server_entries_departures ORDER BY 1") as cursor:
            return [(int(row[0]), from_db(row[1])) for row in await cursor.fetchall()]

    async def guilds_with_entries(self) -> list[int]:
        """The servers with entries or community data."""
        async with self.conn.execute(f"{_SERVER_DATA} ORDER BY 1") as cursor:
            return [int(row[0]) for row in await cursor.fetchall()]

    async def delete_server(self, guild_id: int) -> int:
        """Delete the server's entries, its community questions and help channel, and its departure; returns entries
        deleted."""
        async with write_transaction(self.conn):
            cursor = await self.conn.execute("DELETE FROM server_entries WHERE guild_id = ?", (guild_id,))
            await self.conn.execute("DELETE FROM community_questions WHERE guild_id = ?", (guild_id,))
            await self.conn.execute("DELETE FROM community_settings WHERE guild_id = ?", (guild_id,))
            await self.conn.execute("DELETE FROM server_entries_departures WHERE guild_id = ?", (guild_id,))
        return max(cursor.rowcount, 0)

    # -- personal data --------------------------------------------------------------------------------------------

    async def entries_named(self, user_id: int) -> list[ServerEntry]:
        """The entries ``user_id`` added or changed last, in every server."""
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM server_entries WHERE created_by = ? OR updated_by = ? ORDER BY guild_id, id",
            (user_id, user_id),
        ) as cursor:
            return [_entry(row) for row in await cursor.fetchall()]

    async def unname(self, user_id: int) -> int:
        """Remove ``user_id`` from the entries that name them (the entries stay the server's); returns how many."""
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "UPDATE server_entries SET created_by = CASE WHEN created_by = ? THEN 0 ELSE created_by END, "
                "updated_by = CASE WHEN updated_by = ? THEN 0 ELSE updated_by END "
                "WHERE created_by = ? OR updated_by = ?",
                (user_id, user_id, user_id, user_id),
            )
        return max(cursor.rowcount, 0)

    async def user_ids(self) -> set[int]:
        async with self.conn.execute(
            "SELECT created_by FROM server_entries WHERE created_by != 0 "
            "UNION SELECT updated_by FROM server_entries WHERE updated_by != 0"
        ) as cursor:
            return {int(row[0]) for row in await cursor.fetchall()}
