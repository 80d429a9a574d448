"""SQL for knowledge-base feedback: votes per entry and unanswered questions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from bot.db.connection import write_transaction


@dataclass(frozen=True)
class VoteTally:
    entry_id: str
    helpful: int
    not_helpful: int


@dataclass(frozen=True)
class UnansweredQuestion:
    question: str
    times: int
    last_seen: str
    guild_id: int | None = None
    """The server it was asked in; None for a DM, or for a row recorded before servers were kept."""


UNANSWERED_KEPT = dt.timedelta(days=90)
"""An unanswered question is forgotten this long after it was last asked (``purge_unanswered``)."""


def _stamp(moment: dt.datetime) -> str:
    # UTC with microseconds always, so that stamps compare as text in time order (the purge relies on it).
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _unanswered(row: aiosqlite.Row) -> UnansweredQuestion:
    return UnansweredQuestion(row[0], int(row[1]), row[2], None if row[3] is None else int(row[3]))


class KnowledgeFeedbackRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def record_vote(self, entry_id: str, user_id: int, helpful: bool, now: dt.datetime) -> None:
        async with write_transaction(self._conn):
            await self._conn.execute(
                "INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (entry_id, user_id) DO UPDATE SET helpful = excluded.helpful, "
                "voted_at = excluded.voted_at",
                (entry_id, user_id, int(helpful), now.isoformat()),
            )

    async def tally(self, entry_id: str) -> VoteTally:
        async with self._conn.execute(
            "SELECT COALESCE(SUM(helpful), 0), COALESCE(SUM(1 - helpful), 0) FROM entry_votes WHERE entry_id = ?",
            (entry_id,),
        ) as cursor:
            row = await cursor.fetchone()
        helpful, not_helpful = (int(row[0]), int(row[1])) if row else (0, 0)
        return VoteTally(entry_id, helpful, not_helpful)

    async def tallies(self) -> list[VoteTally]:
        async with self._conn.execute(
            "SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM entry_votes GROUP BY entry_id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [VoteTally(r[0], int(r[1]), int(r[2])) for r in rows]

    async def record_unanswered(self, question: str, guild_id: int | None, now: dt.datetime) -> None:
        """Count a question in the server it was asked in (None: a DM); never who asked."""
        stamp = _stamp(now)
        async with write_transaction(self._conn):
            await self._conn.execute(
                "INSERT INTO unanswered_questions (guild_id, question, times, first_seen, last_seen) "
                "VALUES (?, ?, 1, ?, ?) ON CONFLICT (COALESCE(guild_id, 0), question) "
                "DO UPDATE SET times = times + 1, last_seen = excluded.last_seen",
                (guild_id, question, stamp, stamp),
            )

    async def top_unanswered(self, guild_id: int, limit: int = 20) -> list[UnansweredQuestion]:
        """The server's own questions, most frequent first: never another server's, nor a DM's."""
        # COALESCE matches the unique index (a server id is never 0, so DM rows never match).
        async with self._conn.execute(
            "SELECT question, times, last_seen, guild_id FROM unanswered_questions WHERE COALESCE(guild_id, 0) = ? "
            "ORDER BY times DESC, last_seen DESC, question LIMIT ?",
            (guild_id, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_unanswered(r) for r in rows]

    async def all_unanswered(self, limit: int = 20) -> list[UnansweredQuestion]:
        """Every server's questions and the DMs', most frequent first (the operator's `imgbot kb report`)."""
        async with self._conn.execute(
            "SELECT question, times, last_seen, guild_id FROM unanswered_questions "
            "ORDER BY times DESC, last_seen DESC, question LIMIT ?",
            (limit,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_unanswered(r) for r in rows]

    async def purge_unanswered(self, before: dt.datetime) -> int:
        """Forget the questions last asked before ``before``; returns how many."""
        async with write_transaction(self._conn):
            cursor = await self._conn.execute("DELETE FROM unanswered_questions WHERE last_seen < ?", (_stamp(before),))
        return max(cursor.rowcount, 0)
