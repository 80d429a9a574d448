"""SQL for **Ask the community** (``bot.knowledge.community``): each server's help channel and the questions posted to
it (migration 0024). Times in the one stored form (bot/db/timestamps.py)."""

from __future__ import annotations

import datetime as dt

from bot.db.connection import Connection, Row, write_transaction
from bot.db.timestamps import from_db, to_db
from bot.knowledge.community import CommunityQuestion, parse_stage


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


_COLUMNS = (
    "id, guild_id, channel_id, thread_id, message_id, question, stage, asked_by, anonymous, asked_at, "
    "answer_message_id, answered_at"
)


def _question(row: Row) -> CommunityQuestion:
    return CommunityQuestion(
        id=int(str(row[0])),
        guild_id=int(str(row[1])),
        channel_id=int(str(row[2])),
        thread_id=_optional_int(row[3]),
        message_id=_optional_int(row[4]),
        question=str(row[5]),
        stage=parse_stage(str(row[6])),
        asked_by=int(str(row[7])),
        anonymous=bool(row[8]),
        asked_at=from_db(str(row[9])),
        answer_message_id=_optional_int(row[10]),
        answered_at=None if row[11] is None else from_db(str(row[11])),
    )


class CommunityRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- the help channel ---------------------------------------------------------------------------------------

    async def help_channel(self, guild_id: int) -> int | None:
        async with self.conn.execute(
            "SELECT help_channel_id FROM community_settings WHERE guild_id = ?", (guild_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def set_help_channel(self, guild_id: int, channel_id: int | None, now: dt.datetime) -> None:
        async with write_transaction(self.conn):
            if channel_id is None:
                await self.conn.execute("DELETE FROM community_settings WHERE guild_id = ?", (guild_id,))
                return
            await self.conn.execute(
                "INSERT INTO community_settings (guild_id, help_channel_id, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET help_channel_id = excluded.help_channel_id, "
                "updated_at = excluded.updated_at",
                (guild_id, channel_id, to_db(now)),
            )

    # -- questions ----------------------------------------------------------------------------------------------

    async def _one(self, where: str, args: tuple[object, ...]) -> CommunityQuestion | None:
        async with self.conn.execute(f"SELECT {_COLUMNS} FROM community_questions WHERE {where}", args) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _question(row)

    async def last_asked(self, guild_id: int, user_id: int) -> dt.datetime | None:
        async with self.conn.execute(
            "SELECT MAX(asked_at) FROM community_questions WHERE asked_by = ? AND guild_id = ?", (user_id, guild_id)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None or row[0] is None else from_db(str(row[0]))

    async def reserve(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        question: str,
        stage: str,
        anonymous: bool,
        now: dt.datetime,
        *,
        since: dt.datetime,
    ) -> int | None:
        """Record a question about to be posted, unless the member asked one in this server since ``since`` (None
        then): checked and inserted in one statement."""
        # The CASTs type the selected values for PostgreSQL, which cannot tell them from a bare SELECT list.
        async with (
            write_transaction(self.conn),
            self.conn.execute(
                "INSERT INTO community_questions "
                "(guild_id, channel_id, question, stage, asked_by, anonymous, asked_at) "
                "SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), "
                "CAST(? AS BIGINT), CAST(? AS TEXT) "
                "WHERE NOT EXISTS (SELECT 1 FROM community_questions "
                "WHERE asked_by = ? AND guild_id = ? AND asked_at > ?) RETURNING id",
                (
                    guild_id,
                    channel_id,
                    question,
                    stage,
                    user_id,
                    int(anonymous),
                    to_db(now),
                    user_id,
                    guild_id,
                    to_db(since),
                ),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def posted(self, question_id: int, thread_id: int, message_id: int) -> CommunityQuestion | None:
        async with write_transaction(self.conn):
            await self.conn.execute(
                "UPDATE community_questions SET thread_id = ?, message_id = ? WHERE id = ?",
                (thread_id, message_id, question_id),
            )
        return await self._one("id = ?", (question_id,))

    async def cancel(self, question_id: int) -> None:
        async with write_transaction(self.conn):
            await self.conn.execute(
                "DELETE FROM community_questions WHERE id = ? AND thread_id IS NULL", (question_id,)
            )

    async def by_thread(self, thread_id: int) -> CommunityQuestion | None:
        return await self._one("thread_id = ?", (thread_id,))

    async def mark_answer(
        self, question_id: int, message_id: int, now: dt.datetime
    ) -> tuple[CommunityQuestion, CommunityQuestion] | None:
        """The question before and after ``message_id`` became its answer (None: no such question). Read and written
        in one turn, so of two marks at once only one finds the question unanswered; marking the answer again
        changes nothing (not even when it was marked)."""
        async with write_transaction(self.conn):
            before = await self._one("id = ?", (question_id,))
            if before is None:
                return None
            if before.answer_message_id != message_id:
                await self.conn.execute(
                    "UPDATE community_questions SET answer_message_id = ?, answered_at = ? WHERE id = ?",
                    (message_id, to_db(now), question_id),
                )
            after = await self._one("id = ?", (question_id,))
        return (before, after) if after is not None else None

    # -- retention ----------------------------------------------------------------------------------------------

    async def forget_askers(self, *, before: dt.datetime) -> int:
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "UPDATE community_questions SET asked_by = 0 WHERE asked_by != 0 AND asked_at < ?",
                (to_db(before),),
            )
        return max(cursor.rowcount, 0)

    async def remove_unfinished(self, *, before: dt.datetime) -> int:
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "DELETE FROM community_questions WHERE thread_id IS NULL AND asked_at < ?", (to_db(before),)
            )
        return max(cursor.rowcount, 0)

    # -- personal data ------------------------------------------------------------------------------------------

    async def asked_by(self, user_id: int) -> list[CommunityQuestion]:
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM community_questions WHERE asked_by = ? ORDER BY asked_at, id", (user_id,)
        ) as cursor:
            return [_question(row) for row in await cursor.fetchall()]

    async def unname(self, user_id: int) -> int:
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "UPDATE community_questions SET asked_by = 0 WHERE asked_by = ?", (user_id,)
            )
        return max(cursor.rowcount, 0)

    async def user_ids(self) -> set[int]:
        async with self.conn.execute("SELECT DISTINCT asked_by FROM community_questions WHERE asked_by != 0") as cursor:
            return {int(row[0]) for row in await cursor.fetchall()}
