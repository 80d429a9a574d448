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

    async def record_unanswered(self, question: str, now: dt.datetime) -> None:
        stamp = now.isoformat()
        async with write_transaction(self._conn):
            await self._conn.execute(
                "INSERT INTO unanswered_questions (question, times, first_seen, last_seen) VALUES (?, 1, ?, ?) "
                "ON CONFLICT (question) DO UPDATE SET times = times + 1, last_seen = excluded.last_seen",
                (question, stamp, stamp),
            )

    async def top_unanswered(self, limit: int = 20) -> list[UnansweredQuestion]:
        async with self._conn.execute(
            "SELECT question, times, last_seen FROM unanswered_questions ORDER BY times DESC, last_seen DESC LIMIT ?",
            (limit,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [UnansweredQuestion(r[0], int(r[1]), r[2]) for r in rows]
