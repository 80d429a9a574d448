"""SQL for mock interview sessions: the session and its phase, who joined, the tables, and the feedback forms.

A change of phase is a compare-and-set (``WHERE phase = ? AND round = ?``): a timer and a button pressed at the same
moment cannot both move a session on. Times are ISO 8601 UTC text with microseconds, as everywhere in the bot.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.db.connection import Connection, Row, write_transaction
from bot.db.timestamps import from_db, from_db_or_none, to_db
from bot.interviews.mock import Phase, State, Table

_RUNNING = ("lobby", "round", "break")


@dataclass(frozen=True)
class MockSession:
    id: int
    guild_id: int
    channel_id: int
    group_id: int
    started_by: int
    """0 once the starter deleted their data."""
    minutes: int
    """The length of a round."""
    seed: int
    state: State
    message_id: int | None
    """The session's latest public message."""
    shown: str | None
    """The ``State.key`` that message shows."""
    created_at: dt.datetime


@dataclass(frozen=True)
class Feedback:
    session_id: int
    round: int
    author_id: int
    """The interviewer (0 once they deleted their data)."""
    user_id: int
    """The candidate it is for."""
    clarity: int
    structure: int
    content: int
    strength: str
    suggestion: str
    created_at: dt.datetime
    updated_at: dt.datetime


_SESSION_COLUMNS = (
    "id, guild_id, channel_id, group_id, started_by, minutes, seed, phase, round, phase_ends_at, message_id, shown, "
    "created_at"
)
_SESSION_COLUMNS_OF_M = ", ".join(f"m.{column.strip()}" for column in _SESSION_COLUMNS.split(","))
_FEEDBACK_COLUMNS = (
    "session_id, round, author_id, user_id, clarity, structure, content, strength, suggestion, created_at, updated_at"
)


def _session(row: Row | tuple[Any, ...]) -> MockSession:
    state = State(Phase(str(row[7])), int(row[8]), from_db_or_none(row[9]))
    return MockSession(
        id=int(row[0]),
        guild_id=int(row[1]),
        channel_id=int(row[2]),
        group_id=int(row[3]),
        started_by=int(row[4]),
        minutes=int(row[5]),
        seed=int(row[6]),
        state=state,
        message_id=None if row[10] is None else int(row[10]),
        shown=None if row[11] is None else str(row[11]),
        created_at=from_db(row[12]),
    )


def _feedback(row: Row) -> Feedback:
    return Feedback(
        session_id=int(row[0]),
        round=int(row[1]),
        author_id=int(row[2]),
        user_id=int(row[3]),
        clarity=int(row[4]),
        structure=int(row[5]),
        content=int(row[6]),
        strength=str(row[7]),
        suggestion=str(row[8]),
        created_at=from_db(row[9]),
        updated_at=from_db(row[10]),
    )


def _tables(rows: Sequence[Sequence[Any]]) -> list[Table]:
    """Tables from (table_no, seat, user_id) rows; a table missing a member (who deleted their data) is left out."""
    seats: dict[int, dict[str, int]] = {}
    for table_no, seat, user_id in rows:
        seats.setdefault(int(table_no), {})[str(seat)] = int(user_id)
    return [
        Table(s["first"], s["second"], s.get("extra"))
        for _, s in sorted(seats.items())
        if "first" in s and "second" in s
    ]


class MockRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- sessions ------------------------------------------------------------------------------------------------

    async def create_session(
        self,
        *,
        guild_id: int,
        channel_id: int,
        group_id: int,
        started_by: int,
        minutes: int,
        seed: int,
        state: State,
        now: dt.datetime,
    ) -> int | None:
        """A new session; None when the channel already has a running one (the partial unique index)."""
        try:
            async with (
                write_transaction(self.conn),
                self.conn.execute(
                    "INSERT INTO mock_sessions (guild_id, channel_id, group_id, started_by, minutes, seed, phase, "
                    "round, phase_ends_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "RETURNING id",
                    (
                        guild_id,
                        channel_id,
                        group_id,
                        started_by,
                        minutes,
                        seed,
                        state.phase.value,
                        state.round,
                        None if state.ends_at is None else to_db(state.ends_at),
                        to_db(now),
                        to_db(now),
                    ),
                ) as cursor,
            ):
                row = await cursor.fetchone()
        except sqlite3.IntegrityError:
            return None
        assert row is not None
        return int(row[0])

    async def session(self, session_id: int) -> MockSession | None:
        async with self.conn.execute(
            f"SELECT {_SESSION_COLUMNS} FROM mock_sessions WHERE id = ?", (session_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _session(row)

    async def running_in_channel(self, channel_id: int) -> MockSession | None:
        async with self.conn.execute(
            f"SELECT {_SESSION_COLUMNS} FROM mock_sessions WHERE channel_id = ? AND phase IN (?, ?, ?)",
            (channel_id, *_RUNNING),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _session(row)

    async def running(self) -> list[MockSession]:
        async with self.conn.execute(
            f"SELECT {_SESSION_COLUMNS} FROM mock_sessions WHERE phase IN (?, ?, ?) ORDER BY id", _RUNNING
        ) as cursor:
            return [_session(r) for r in await cursor.fetchall()]

    async def _move(self, session_id: int, expected: State, new: State, now: dt.datetime) -> bool:
        cursor = await self.conn.execute(
            "UPDATE mock_sessions SET phase = ?, round = ?, phase_ends_at = ?, updated_at = ? "
            "WHERE id = ? AND phase = ? AND round = ?",
            (
                new.phase.value,
                new.round,
                None if new.ends_at is None else to_db(new.ends_at),
                to_db(now),
                session_id,
                expected.phase.value,
                expected.round,
            ),
        )
        return cursor.rowcount > 0

    async def move(self, session_id: int, expected: State, new: State, now: dt.datetime) -> bool:
        """Move the session from ``expected`` (its phase and round) to ``new``; False when it had moved already."""
        async with write_transaction(self.conn):
            return await self._move(session_id, expected, new, now)

    async def start(
        self, session_id: int, expected: State, new: State, tables: Sequence[Table], now: dt.datetime
    ) -> bool:
        """Round 1 begins with these tables, in one transaction; False when the session had moved already."""
        async with write_transaction(self.conn):
            if not await self._move(session_id, expected, new, now):
                return False
            for number, table in enumerate(tables, start=1):
                seats = [("first", table.first), ("second", table.second)]
                if table.extra is not None:
                    seats.append(("extra", table.extra))
                for seat, user_id in seats:
                    await self.conn.execute(
                        "INSERT INTO mock_seats (session_id, table_no, seat, user_id) VALUES (?, ?, ?, ?)",
                        (session_id, number, seat, user_id),
                    )
        return True

    async def set_message(self, session_id: int, message_id: int, shown: str, now: dt.datetime) -> None:
        async with write_transaction(self.conn):
            await self.conn.execute(
                "UPDATE mock_sessions SET message_id = ?, shown = ?, updated_at = ? WHERE id = ?",
                (message_id, shown, to_db(now), session_id),
            )

    # -- participants and tables -------------------------------------------------------------------------------

    async def add_participant(self, session_id: int, user_id: int, now: dt.datetime, limit: int) -> bool:
        """Join a session still in its lobby, while it has room; False when not added (already in, full, started)."""
        async with write_transaction(self.conn):
            # The CASTs type the selected values for PostgreSQL, which cannot tell them from a bare SELECT list.
            cursor = await self.conn.execute(
                "INSERT INTO mock_participants (session_id, user_id, joined_at) "
                "SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT) "
                "WHERE EXISTS (SELECT 1 FROM mock_sessions WHERE id = ? AND phase = 'lobby') "
                "AND (SELECT COUNT(*) FROM mock_participants WHERE session_id = ?) < ? "
                "ON CONFLICT (session_id, user_id) DO NOTHING",
                (session_id, user_id, to_db(now), session_id, session_id, limit),
            )
        return cursor.rowcount > 0

    async def remove_participant(self, session_id: int, user_id: int) -> bool:
        """Leave a session still in its lobby."""
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "DELETE FROM mock_participants WHERE session_id = ? AND user_id = ? "
                "AND EXISTS (SELECT 1 FROM mock_sessions WHERE id = ? AND phase = 'lobby')",
                (session_id, user_id, session_id),
            )
        return cursor.rowcount > 0

    async def participants(self, session_id: int) -> list[int]:
        """Who joined, in the order they joined (two joins in the same microsecond, which only a frozen test clock
        makes, by member id: the table has no column of insertion order that both backends keep)."""
        async with self.conn.execute(
            "SELECT user_id FROM mock_participants WHERE session_id = ? ORDER BY joined_at, user_id", (session_id,)
        ) as cursor:
            return [int(r[0]) for r in await cursor.fetchall()]

    async def tables(self, session_id: int) -> list[Table]:
        async with self.conn.execute(
            "SELECT table_no, seat, user_id FROM mock_seats WHERE session_id = ?", (session_id,)
        ) as cursor:
            return _tables([tuple(row) for row in await cursor.fetchall()])

    async def group_history(self, group_id: int, before_session: int) -> list[list[Table]]:
        """The tables of every earlier session of the group that started."""
        async with self.conn.execute(
            "SELECT s.session_id, s.table_no, s.seat, s.user_id FROM mock_seats s "
            "JOIN mock_sessions m ON m.id = s.session_id WHERE m.group_id = ? AND m.id < ? ORDER BY s.session_id",
            (group_id, before_session),
        ) as cursor:
            rows: list[Row] = list(await cursor.fetchall())
        by_session: dict[int, list[Sequence[Any]]] = {}
        for row in rows:
            by_session.setdefault(int(row[0]), []).append(row[1:])
        return [_tables(seats) for _, seats in sorted(by_session.items())]

    # -- feedback ------------------------------------------------------------------------------------------------

    async def save_feedback(
        self,
        session_id: int,
        round_: int,
        author_id: int,
        user_id: int,
        scores: tuple[int, int, int],
        strength: str,
        suggestion: str,
        now: dt.datetime,
    ) -> Feedback:
        """The interviewer's form for this round: a second one replaces the first."""
        clarity, structure, content = scores
        async with write_transaction(self.conn):
            cursor = await self.conn.execute(
                "UPDATE mock_feedback SET user_id = ?, clarity = ?, structure = ?, content = ?, strength = ?, "
                "suggestion = ?, updated_at = ? WHERE session_id = ? AND round = ? AND author_id = ?",
                (
                    user_id,
                    clarity,
                    structure,
                    content,
                    strength,
                    suggestion,
                    to_db(now),
                    session_id,
                    round_,
                    author_id,
                ),
            )
            if cursor.rowcount == 0:
                await self.conn.execute(
                    "INSERT INTO mock_feedback (session_id, round, author_id, user_id, clarity, structure, content, "
                    "strength, suggestion, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        session_id,
                        round_,
                        author_id,
                        user_id,
                        clarity,
                        structure,
                        content,
                        strength,
                        suggestion,
                        to_db(now),
                        to_db(now),
                    ),
                )
        found = await self.feedback_by(session_id, round_, author_id)
        assert found is not None
        return found

    async def feedback_by(self, session_id: int, round_: int, author_id: int) -> Feedback | None:
        async with self.conn.execute(
            f"SELECT {_FEEDBACK_COLUMNS} FROM mock_feedback WHERE session_id = ? AND round = ? AND author_id = ?",
            (session_id, round_, author_id),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _feedback(row)

    async def feedback_for(self, session_id: int, user_id: int) -> list[Feedback]:
        """What the candidate received in this session, oldest first."""
        async with self.conn.execute(
            f"SELECT {_FEEDBACK_COLUMNS} FROM mock_feedback WHERE session_id = ? AND user_id = ? ORDER BY round, id",
            (session_id, user_id),
        ) as cursor:
            return [_feedback(r) for r in await cursor.fetchall()]

    async def feedback_authors(self, session_id: int) -> set[tuple[int, int]]:
        """(round, interviewer) of every form given in the session."""
        async with self.conn.execute(
            "SELECT round, author_id FROM mock_feedback WHERE session_id = ?", (session_id,)
        ) as cursor:
            return {(int(r[0]), int(r[1])) for r in await cursor.fetchall()}

    # -- personal data (/mydata) ---------------------------------------------------------------------------------

    async def sessions_of(self, user_id: int) -> list[tuple[MockSession, str | None]]:
        """The sessions the member joined or started, with their seat (None: not seated)."""
        async with self.conn.execute(
            f"SELECT {_SESSION_COLUMNS_OF_M}, s.seat FROM mock_sessions m "
            "LEFT JOIN mock_seats s ON s.session_id = m.id AND s.user_id = ? "
            "WHERE m.started_by = ? OR m.id IN (SELECT session_id FROM mock_participants WHERE user_id = ?) "
            "OR s.user_id IS NOT NULL ORDER BY m.id",
            (user_id, user_id, user_id),
        ) as cursor:
            return [(_session(r[:13]), None if r[13] is None else str(r[13])) for r in await cursor.fetchall()]

    async def feedback_received(self, user_id: int) -> list[Feedback]:
        async with self.conn.execute(
            f"SELECT {_FEEDBACK_COLUMNS} FROM mock_feedback WHERE user_id = ? ORDER BY id", (user_id,)
        ) as cursor:
            return [_feedback(r) for r in await cursor.fetchall()]

    async def feedback_given(self, user_id: int) -> list[Feedback]:
        async with self.conn.execute(
            f"SELECT {_FEEDBACK_COLUMNS} FROM mock_feedback WHERE author_id = ? ORDER BY id", (user_id,)
        ) as cursor:
            return [_feedback(r) for r in await cursor.fetchall()]

    async def delete_user(self, user_id: int) -> dict[str, int]:
        """Forget the member in every session: feedback they received goes, feedback they gave stays with its
        candidate without their name, their seats and places in sessions go, a session they started no longer names
        them (it goes on for the others)."""
        async with write_transaction(self.conn):
            received = await self.conn.execute("DELETE FROM mock_feedback WHERE user_id = ?", (user_id,))
            given = await self.conn.execute("UPDATE mock_feedback SET author_id = 0 WHERE author_id = ?", (user_id,))
            seats = await self.conn.execute("DELETE FROM mock_seats WHERE user_id = ?", (user_id,))
            joined = await self.conn.execute("DELETE FROM mock_participants WHERE user_id = ?", (user_id,))
            started = await self.conn.execute(
                "UPDATE mock_sessions SET started_by = 0 WHERE started_by = ?", (user_id,)
            )
        return {
            "mock_feedback_received": max(received.rowcount, 0),
            "mock_feedback_given_unnamed": max(given.rowcount, 0),
            # A seat is always a place the member joined: the sessions count once.
            "mock_interview_sessions": max(joined.rowcount, max(seats.rowcount, 0)),
            "mock_sessions_unnamed": max(started.rowcount, 0),
        }

    async def user_ids(self) -> set[int]:
        async with self.conn.execute(
            "SELECT user_id FROM mock_participants UNION SELECT user_id FROM mock_seats "
            "UNION SELECT user_id FROM mock_feedback UNION SELECT author_id FROM mock_feedback "
            "UNION SELECT started_by FROM mock_sessions"
        ) as cursor:
            return {int(r[0]) for r in await cursor.fetchall()} - {0}
