"""SQL for quizzes: quiz runs (with the running session's state), answers, stats, leaderboards and review queues.

Times are stored as ISO 8601 UTC text with microseconds (``2026-11-22T10:00:00.000000+00:00``): every value has the
same length and offset, so comparing the text compares the times, and period filters can run in SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.db.connection import Connection, Row, write_transaction
from bot.db.timestamps import from_db, from_db_or_none, to_db

log = logging.getLogger(__name__)


class RunMode(StrEnum):
    SOLO = "solo"
    REVIEW = "review"
    GROUP = "group"


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"
    EXPIRED = "expired"


class RunConflictError(Exception):
    """The database refused a second running quiz for the same user (solo) or channel (group)."""


@dataclass(frozen=True)
class QuizRun:
    id: int
    mode: RunMode
    status: RunStatus
    guild_id: int | None
    channel_id: int
    user_id: int
    topic: str | None
    started_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None
    state: dict[str, Any]


@dataclass(frozen=True)
class NewAnswer:
    position: int
    user_id: int
    guild_id: int | None
    question_id: str
    topic: str
    correct: bool
    points: int
    answered_at: dt.datetime


@dataclass(frozen=True)
class TopicCount:
    topic: str
    answered: int
    correct: int


@dataclass(frozen=True)
class LeaderRow:
    user_id: int
    points: int
    correct: int
    answered: int


@dataclass(frozen=True)
class ReviewRow:
    question_id: str
    topic: str
    wrong: int
    last_wrong_at: dt.datetime


_IN_A_REVIEW = "EXISTS (SELECT 1 FROM quiz_runs r WHERE r.id = quiz_answers.run_id AND r.mode = 'review')"
"""An answer given in /quiz review: practice, kept out of the leaderboard and of the stats' accuracy (both count
the same answers, so "1/3 right" on the board is "1 of 3" in /quiz stats)."""
_RUN_COLUMNS = "id, mode, status, guild_id, channel_id, user_id, topic, started_at, updated_at, finished_at, state"


def _run(row: Row | tuple[Any, ...]) -> QuizRun:
    return QuizRun(
        id=int(row[0]),
        mode=RunMode(row[1]),
        status=RunStatus(row[2]),
        guild_id=None if row[3] is None else int(row[3]),
        channel_id=int(row[4]),
        user_id=int(row[5]),
        topic=row[6],
        started_at=from_db(row[7]),
        updated_at=from_db(row[8]),
        finished_at=from_db_or_none(row[9]),
        state=json.loads(row[10]),
    )


class QuizRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- runs --------------------------------------------------------------------------------------------------------

    async def create_run(
        self,
        *,
        mode: RunMode,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        topic: str | None,
        state: dict[str, Any],
        now: dt.datetime,
    ) -> int:
        """Insert a running quiz; raises RunConflictError when the user (solo) or channel (group) has one."""
        stamp = to_db(now)
        try:
            async with (
                write_transaction(self._conn),
                self._conn.execute(
                    "INSERT INTO quiz_runs (mode, status, guild_id, channel_id, user_id, topic, started_at, "
                    "updated_at, state) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (mode.value, guild_id, channel_id, user_id, topic, stamp, stamp, json.dumps(state)),
                ) as cursor,
            ):
                row = await cursor.fetchone()
        except sqlite3.IntegrityError as exc:
            # write_transaction has rolled the refused insert back. (PostgreSQL's refusal is raised as this too.)
            raise RunConflictError(str(exc)) from exc
        assert row is not None
        return int(row[0])

    async def get_run(self, run_id: int) -> QuizRun | None:
        async with self._conn.execute(f"SELECT {_RUN_COLUMNS} FROM quiz_runs WHERE id = ?", (run_id,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _run(row)

    async def running_solo(self, user_id: int) -> QuizRun | None:
        """The user's running solo or review quiz."""
        async with self._conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM quiz_runs WHERE user_id = ? AND status = 'running' "
            "AND mode IN ('solo', 'review')",
            (user_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _run(row)

    async def running_group(self, channel_id: int) -> QuizRun | None:
        async with self._conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM quiz_runs WHERE channel_id = ? AND status = 'running' AND mode = 'group'",
            (channel_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _run(row)

    async def running_runs(self, mode: RunMode | None = None) -> list[QuizRun]:
        sql = f"SELECT {_RUN_COLUMNS} FROM quiz_runs WHERE status = 'running'"
        params: tuple[Any, ...] = ()
        if mode is not None:
            sql += " AND mode = ?"
            params = (mode.value,)
        async with self._conn.execute(sql + " ORDER BY id", params) as cursor:
            rows = await cursor.fetchall()
        return [_run(r) for r in rows]

    async def update_run(
        self,
        run_id: int,
        *,
        now: dt.datetime,
        state: dict[str, Any] | None = None,
        status: RunStatus | None = None,
        answers: Sequence[NewAnswer] = (),
    ) -> None:
        """Record answers and the new state (or the end of the run) in one transaction.

        Ending a run clears its state: the answers table keeps what stats and reviews need.
        """
        stamp = to_db(now)
        async with write_transaction(self._conn):
            if answers:
                await self._conn.executemany(
                    "INSERT INTO quiz_answers (run_id, position, user_id, guild_id, question_id, topic, correct, "
                    "points, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            run_id,
                            a.position,
                            a.user_id,
                            a.guild_id,
                            a.question_id,
                            a.topic,
                            int(a.correct),
                            a.points,
                            to_db(a.answered_at),
                        )
                        for a in answers
                    ],
                )
            if status is not None and status is not RunStatus.RUNNING:
                await self._conn.execute(
                    "UPDATE quiz_runs SET status = ?, updated_at = ?, finished_at = ?, state = '{}' WHERE id = ?",
                    (status.value, stamp, stamp, run_id),
                )
            elif state is not None:
                await self._conn.execute(
                    "UPDATE quiz_runs SET state = ?, updated_at = ? WHERE id = ?", (json.dumps(state), stamp, run_id)
                )

    # -- answers -----------------------------------------------------------------------------------------------------

    async def has_correct_answer(self, user_id: int, question_id: str) -> bool:
        async with self._conn.execute(
            "SELECT 1 FROM quiz_answers WHERE user_id = ? AND question_id = ? AND correct = 1 LIMIT 1",
            (user_id, question_id),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def topic_stats(
        self, user_id: int, guild_id: int | None = None, *, reviews: bool = False
    ) -> list[TopicCount]:
        """Answers and correct answers per topic; in one server when ``guild_id`` is given, else everywhere. Quiz
        answers (solo and group), or with ``reviews`` the answers given in /quiz review."""
        sql = (
            "SELECT topic, COUNT(*), SUM(correct) FROM quiz_answers WHERE user_id = ? AND "
            + ("" if reviews else "NOT ")
            + _IN_A_REVIEW
        )
        params: tuple[Any, ...] = (user_id,)
        if guild_id is not None:
            sql += " AND guild_id = ?"
            params += (guild_id,)
        async with self._conn.execute(sql + " GROUP BY topic", params) as cursor:
            rows = await cursor.fetchall()
        return [TopicCount(r[0], int(r[1]), int(r[2])) for r in rows]

    async def leaderboard(self, guild_id: int, since: dt.datetime | None, until: dt.datetime) -> list[LeaderRow]:
        """Everyone with points in the server between ``since`` (inclusive; None = the beginning) and ``until``; their
        answers in solo and group quizzes (reviews earn no points and are not counted)."""
        sql = (
            "SELECT user_id, SUM(points) AS total, SUM(correct) AS n_correct, COUNT(*) FROM quiz_answers "
            f"WHERE guild_id = ? AND answered_at <= ? AND NOT {_IN_A_REVIEW}"
        )
        params: tuple[Any, ...] = (guild_id, to_db(until))
        if since is not None:
            sql += " AND answered_at >= ?"
            params += (to_db(since),)
        # HAVING repeats the sum: PostgreSQL does not let it name the select list's aliases (ORDER BY may).
        sql += " GROUP BY user_id HAVING SUM(points) > 0 ORDER BY total DESC, n_correct DESC, user_id"
        async with self._conn.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        return [LeaderRow(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    async def review_queue(self, user_id: int) -> list[ReviewRow]:
        """Questions the user got wrong and has not answered right since, oldest mistake first."""
        async with self._conn.execute(
            "SELECT question_id, topic, wrong, last_wrong FROM ("
            "  SELECT question_id, MAX(topic) AS topic, SUM(1 - correct) AS wrong,"
            "         MAX(CASE WHEN correct = 0 THEN answered_at END) AS last_wrong,"
            "         MAX(CASE WHEN correct = 1 THEN answered_at END) AS last_right"
            "  FROM quiz_answers WHERE user_id = ? GROUP BY question_id"
            ") AS per_question WHERE last_wrong IS NOT NULL AND (last_right IS NULL OR last_right < last_wrong)"
            " ORDER BY last_wrong, question_id",
            (user_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        out = []
        for r in rows:
            out.append(ReviewRow(r[0], r[1], int(r[2]), from_db(r[3])))
        return out

    # -- personal data -----------------------------------------------------------------------------------------------

    async def user_ids(self) -> set[int]:
        """Everyone with an answer or a quiz of their own (0, the unnamed starter of a group quiz, is no one)."""
        async with self._conn.execute(
            "SELECT user_id FROM quiz_answers UNION SELECT user_id FROM quiz_runs WHERE user_id != 0"
        ) as cursor:
            return {int(r[0]) for r in await cursor.fetchall()}

    async def export_user(self, user_id: int) -> dict[str, Any]:
        async with self._conn.execute(
            "SELECT run_id, guild_id, question_id, topic, correct, points, answered_at FROM quiz_answers "
            "WHERE user_id = ? ORDER BY answered_at, id",
            (user_id,),
        ) as cursor:
            answers = [
                {
                    "run_id": r[0],
                    "guild_id": r[1],
                    "question_id": r[2],
                    "topic": r[3],
                    "correct": bool(r[4]),
                    "points": int(r[5]),
                    "answered_at": r[6],
                }
                for r in await cursor.fetchall()
            ]
        async with self._conn.execute(
            "SELECT id, mode, status, guild_id, channel_id, topic, started_at, finished_at FROM quiz_runs "
            "WHERE user_id = ? ORDER BY id",
            (user_id,),
        ) as cursor:
            runs = [
                {
                    "id": r[0],
                    "mode": r[1],
                    "status": r[2],
                    "guild_id": r[3],
                    "channel_id": r[4],
                    "topic": r[5],
                    "started_at": r[6],
                    "finished_at": r[7],
                }
                for r in await cursor.fetchall()
            ]
        return {"quiz_answers": answers, "quiz_runs_started": runs}

    async def delete_user(self, user_id: int) -> int:
        """Delete the user's answers and solo quizzes; group quizzes they started stay for the others, unnamed."""
        async with write_transaction(self._conn):
            answers = await self._conn.execute("DELETE FROM quiz_answers WHERE user_id = ?", (user_id,))
            solo = await self._conn.execute(
                "DELETE FROM quiz_runs WHERE user_id = ? AND mode IN ('solo', 'review')", (user_id,)
            )
            # 0 is never a Discord id: the run stays (other members' answers point to it) but no longer names them.
            group = await self._conn.execute(
                "UPDATE quiz_runs SET user_id = 0 WHERE user_id = ? AND mode = 'group'", (user_id,)
            )
        return answers.rowcount + solo.rowcount + group.rowcount
