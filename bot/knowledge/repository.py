"""SQL for knowledge-base feedback: votes per entry, why a member marked one not helpful, unanswered questions, and a
member's votes for /mydata."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.db.connection import Connection, Row, write_transaction
from bot.db.timestamps import to_db
from bot.knowledge.feedback import GivenReason, VoteReason


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


@dataclass(frozen=True)
class MemberVote:
    """One member's vote on one entry, with what they said about a 👎."""

    helpful: bool
    reason: VoteReason | None
    note: str | None


def _given(row: Row) -> GivenReason:
    return GivenReason(row[0], None if row[1] is None else int(row[1]), _reason(row[2]), row[3], row[4])


def _reason(value: str | None) -> VoteReason | None:
    if value is None:
        return None
    try:
        return VoteReason(value)
    except ValueError:
        # Written by a newer version of the bot: shown as no reason rather than failing the whole report.
        return None


_SAME_SERVER = "COALESCE(reason_guild_id, 0) = COALESCE(CAST(? AS BIGINT), 0)"
"""What a member explains belongs to one server: explaining the same vote in another server drops what they said in
the first (its moderators should not see a note written for another server's). The CAST: PostgreSQL would otherwise
type the parameter from the 0 beside it, a 32-bit integer no server id fits in."""

_FORGET_REASON = "reason = NULL, reason_note = NULL, reason_guild_id = NULL, reason_at = NULL"
_GIVEN_COLUMNS = "entry_id, reason_guild_id, reason, reason_note, reason_at"


def _unanswered(row: Row) -> UnansweredQuestion:
    return UnansweredQuestion(row[0], int(row[1]), row[2], None if row[3] is None else int(row[3]))


class KnowledgeFeedbackRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def record_vote(self, entry_id: str, user_id: int, helpful: bool, now: dt.datetime) -> None:
        async with write_transaction(self._conn):
            await self._conn.execute(
                "INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (entry_id, user_id) DO UPDATE SET helpful = excluded.helpful, "
                "voted_at = excluded.voted_at",
                (entry_id, user_id, int(helpful), to_db(now)),
            )
            if helpful:
                # What explained a 👎 that no longer stands goes with it.
                await self._conn.execute(
                    f"UPDATE entry_votes SET {_FORGET_REASON} "
                    "WHERE entry_id = ? AND user_id = ? AND reason_at IS NOT NULL",
                    (entry_id, user_id),
                )

    async def member_vote(self, entry_id: str, user_id: int) -> MemberVote | None:
        async with self._conn.execute(
            "SELECT helpful, reason, reason_note FROM entry_votes WHERE entry_id = ? AND user_id = ?",
            (entry_id, user_id),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else MemberVote(bool(row[0]), _reason(row[1]), row[2])

    async def explain_vote(
        self, entry_id: str, user_id: int, guild_id: int | None, now: dt.datetime, reason: VoteReason
    ) -> bool:
        """Keep why the member's 👎 was given; False (nothing kept) when they have no 👎 on this entry."""
        return await self._explain(entry_id, user_id, guild_id, now, "reason", "reason_note", reason.value)

    async def note_vote(
        self, entry_id: str, user_id: int, guild_id: int | None, now: dt.datetime, note: str | None
    ) -> bool:
        """Keep (or with None, remove) the member's note on their 👎; False when they have no 👎 on this entry."""
        return await self._explain(entry_id, user_id, guild_id, now, "reason_note", "reason", note)

    async def _explain(
        self,
        entry_id: str,
        user_id: int,
        guild_id: int | None,
        now: dt.datetime,
        column: str,
        other: str,
        value: str | None,
    ) -> bool:
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                f"UPDATE entry_votes SET {column} = ?, "  # column names: this module's constants
                f"{other} = CASE WHEN {_SAME_SERVER} THEN {other} ELSE NULL END, "
                "reason_guild_id = ?, reason_at = ? WHERE entry_id = ? AND user_id = ? AND helpful = 0",
                (value, guild_id, guild_id, to_db(now), entry_id, user_id),
            )
            # Nothing left to keep (a note removed and no reason): nothing to show, and nothing to forget later.
            await self._conn.execute(
                "UPDATE entry_votes SET reason_guild_id = NULL, reason_at = NULL "
                "WHERE entry_id = ? AND user_id = ? AND reason IS NULL AND reason_note IS NULL",
                (entry_id, user_id),
            )
        return cursor.rowcount > 0

    async def server_reasons(self, guild_id: int) -> list[GivenReason]:
        """The explained 👎 of one server (never a DM's, nor another server's), newest first."""
        async with self._conn.execute(
            f"SELECT {_GIVEN_COLUMNS} FROM entry_votes WHERE reason_at IS NOT NULL "
            "AND COALESCE(reason_guild_id, 0) = ? ORDER BY reason_at DESC",
            (guild_id,),
        ) as cursor:
            return [_given(r) for r in await cursor.fetchall()]

    async def all_reasons(self) -> list[GivenReason]:
        """Every server's explained 👎 and the DMs' (the operator's `imgbot kb report`), newest first."""
        async with self._conn.execute(
            f"SELECT {_GIVEN_COLUMNS} FROM entry_votes WHERE reason_at IS NOT NULL ORDER BY reason_at DESC"
        ) as cursor:
            return [_given(r) for r in await cursor.fetchall()]

    async def purge_reasons(self, before: dt.datetime) -> int:
        """Forget the reasons and notes last given before ``before`` (the votes stay); returns how many."""
        async with write_transaction(self._conn):
            cursor = await self._conn.execute(
                f"UPDATE entry_votes SET {_FORGET_REASON} WHERE reason_at < ?",
                (to_db(before),),
            )
        return max(cursor.rowcount, 0)

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
        stamp = to_db(now)
        async with write_transaction(self._conn):
            await self._conn.execute(
                "INSERT INTO unanswered_questions (guild_id, question, times, first_seen, last_seen) "
                "VALUES (?, ?, 1, ?, ?) ON CONFLICT (COALESCE(guild_id, 0), question) "
                # The table named: on PostgreSQL a bare "times" could be the excluded row's as well.
                "DO UPDATE SET times = unanswered_questions.times + 1, last_seen = excluded.last_seen",
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
            cursor = await self._conn.execute("DELETE FROM unanswered_questions WHERE last_seen < ?", (to_db(before),))
        return max(cursor.rowcount, 0)

    # -- /mydata -------------------------------------------------------------------------------------------------

    async def export_votes(self, user_id: int) -> list[dict[str, Any]]:
        """The member's votes, oldest first, each with why it was not helpful if they said (their words about their
        vote, exported and deleted with it)."""
        async with self._conn.execute(
            "SELECT entry_id, helpful, voted_at, reason, reason_note, reason_guild_id, reason_at FROM entry_votes "
            "WHERE user_id = ? ORDER BY voted_at, entry_id",
            (user_id,),
        ) as cursor:
            return [_exported_vote(r) for r in await cursor.fetchall()]

    async def delete_votes(self, user_id: int) -> int:
        async with write_transaction(self._conn):
            cursor = await self._conn.execute("DELETE FROM entry_votes WHERE user_id = ?", (user_id,))
        return max(cursor.rowcount, 0)

    async def voter_ids(self) -> set[int]:
        async with self._conn.execute("SELECT DISTINCT user_id FROM entry_votes") as cursor:
            return {int(r[0]) for r in await cursor.fetchall()}


def _exported_vote(row: Row) -> dict[str, Any]:
    vote: dict[str, Any] = {"entry": row[0], "helpful": bool(row[1]), "voted_at": row[2]}
    if row[6] is not None:
        vote["why_not_helpful"] = {
            "reason": row[3],
            "note": row[4],
            "server_id": None if row[5] is None else str(row[5]),
            "given_at": row[6],
        }
    return vote
