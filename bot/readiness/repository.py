"""SQL for /readiness: the assessment in progress per member, and opt-in saved results with per-area statuses.

Timestamps are stored as ISO 8601 UTC text. Nothing here decides anything; ``service`` does.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.db.connection import Connection, Row, write_transaction
from bot.db.timestamps import from_db, to_db
from bot.readiness.models import Area, AreaStatus, OverallLevel, ReadinessHistory, SavedResult, diff_saves

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredSession:
    user_id: int
    answers: dict[str, Any]
    """The ``Answers`` model as JSON data; the service validates it back."""
    step_id: str | None
    completed: bool
    started_at: dt.datetime
    updated_at: dt.datetime


class ReadinessRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # -- in-progress assessments ---------------------------------------------------------------------------------

    async def get_session(self, user_id: int) -> StoredSession | None:
        async with self._conn.execute(
            "SELECT answers, step_id, completed, started_at, updated_at FROM readiness_sessions WHERE user_id = ?",
            (user_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        try:
            answers = json.loads(row[0])
        except json.JSONDecodeError:
            log.warning("readiness session of user %s holds invalid JSON; starting over", user_id)
            answers = {}
        return StoredSession(
            user_id=user_id,
            answers=answers if isinstance(answers, dict) else {},
            step_id=row[1],
            completed=bool(row[2]),
            started_at=from_db(row[3]),
            updated_at=from_db(row[4]),
        )

    async def put_session(
        self,
        user_id: int,
        answers: Mapping[str, Any],
        step_id: str | None,
        *,
        completed: bool,
        started_at: dt.datetime,
        updated_at: dt.datetime,
    ) -> None:
        row = (
            user_id,
            json.dumps(dict(answers), sort_keys=True),
            step_id,
            int(completed),
            to_db(started_at),
            to_db(updated_at),
        )
        async with write_transaction(self._conn):
            await self._conn.execute(
                "INSERT INTO readiness_sessions (user_id, answers, step_id, completed, started_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET answers = excluded.answers, step_id = excluded.step_id, "
                "completed = excluded.completed, started_at = excluded.started_at, updated_at = excluded.updated_at",
                row,
            )

    async def delete_session(self, user_id: int) -> bool:
        async with write_transaction(self._conn):
            cursor = await self._conn.execute("DELETE FROM readiness_sessions WHERE user_id = ?", (user_id,))
        return cursor.rowcount > 0

    async def delete_sessions_before(self, cutoff: dt.datetime) -> int:
        """Forget assessments nobody touched since ``cutoff``; returns how many."""
        async with write_transaction(self._conn):
            cursor = await self._conn.execute("DELETE FROM readiness_sessions WHERE updated_at < ?", (to_db(cutoff),))
        return cursor.rowcount

    # -- saved results ---------------------------------------------------------------------------------------

    async def add_result(
        self,
        user_id: int,
        saved_at: dt.datetime,
        overall: OverallLevel,
        statuses: Mapping[Area, AreaStatus],
        *,
        keep: int,
    ) -> SavedResult:
        """Store one result and keep only the member's newest ``keep`` results, atomically."""
        stamp = to_db(saved_at)
        async with write_transaction(self._conn):
            async with self._conn.execute(
                "INSERT INTO readiness_results (user_id, saved_at, overall) VALUES (?, ?, ?) RETURNING id",
                (user_id, stamp, overall.value),
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            result_id = int(row[0])
            await self._conn.executemany(
                "INSERT INTO readiness_result_areas (result_id, area, status) VALUES (?, ?, ?)",
                [(result_id, area.value, status.value) for area, status in statuses.items()],
            )
            # ON DELETE CASCADE removes the areas of the dropped results.
            await self._conn.execute(
                "DELETE FROM readiness_results WHERE user_id = ? AND id NOT IN ("
                "SELECT id FROM readiness_results WHERE user_id = ? ORDER BY saved_at DESC, id DESC LIMIT ?)",
                (user_id, user_id, keep),
            )
        return SavedResult(id=result_id, saved_at=saved_at.astimezone(dt.UTC), overall=overall, statuses=dict(statuses))

    async def results(self, user_id: int, limit: int | None = None) -> list[SavedResult]:
        """The member's saved results, oldest first (the newest ``limit`` when given)."""
        sql = "SELECT id, saved_at, overall FROM readiness_results WHERE user_id = ? ORDER BY saved_at DESC, id DESC"
        params: tuple[int, ...] = (user_id,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (user_id, limit)
        async with self._conn.execute(sql, params) as cursor:
            rows: list[Row] = list(await cursor.fetchall())
        rows.reverse()
        if not rows:
            return []
        ids = [int(r[0]) for r in rows]
        marks = ", ".join("?" for _ in ids)
        statuses: dict[int, dict[Area, AreaStatus]] = {i: {} for i in ids}
        async with self._conn.execute(
            f"SELECT result_id, area, status FROM readiness_result_areas WHERE result_id IN ({marks})", ids
        ) as cursor:
            for result_id, area, status in await cursor.fetchall():
                try:
                    statuses[int(result_id)][Area(area)] = AreaStatus(status)
                except ValueError:
                    # An area retired in a later version: history simply stops showing it.
                    log.debug("skipping unknown readiness area %r in result %s", area, result_id)
        return [
            SavedResult(id=int(r[0]), saved_at=from_db(r[1]), overall=OverallLevel(r[2]), statuses=statuses[int(r[0])])
            for r in rows
        ]

    async def history(self, user_id: int, limit: int = 10) -> ReadinessHistory:
        """The newest ``limit`` saves and how each area changed from one to the next."""
        saves = await self.results(user_id, limit)
        return ReadinessHistory(saves=tuple(saves), diffs=diff_saves(saves))

    # -- the member's own data ---------------------------------------------------------------------------------

    async def user_ids(self) -> set[int]:
        """Everyone with an assessment in progress or a saved result."""
        async with self._conn.execute(
            "SELECT user_id FROM readiness_sessions UNION SELECT user_id FROM readiness_results"
        ) as cursor:
            return {int(r[0]) for r in await cursor.fetchall()}

    async def delete_user_data(self, user_id: int) -> int:
        """Remove everything /readiness stored about the member; returns the number of rows removed."""
        removed = 0
        async with write_transaction(self._conn):
            for sql in (
                "DELETE FROM readiness_result_areas WHERE result_id IN "
                "(SELECT id FROM readiness_results WHERE user_id = ?)",
                "DELETE FROM readiness_results WHERE user_id = ?",
                "DELETE FROM readiness_sessions WHERE user_id = ?",
            ):
                cursor = await self._conn.execute(sql, (user_id,))
                removed += max(cursor.rowcount, 0)
        return removed

    async def export_user_data(self, user_id: int) -> dict[str, Any]:
        """Everything /readiness stored about the member, as JSON-ready data."""
        session = await self.get_session(user_id)
        results = await self.results(user_id)
        return {
            "readiness_in_progress": None
            if session is None
            else {
                "answers": session.answers,
                "current_question": session.step_id,
                "completed": session.completed,
                "started_at": session.started_at.isoformat(),
                "updated_at": session.updated_at.isoformat(),
            },
            "readiness_saved_results": [
                {
                    "saved_at": r.saved_at.isoformat(),
                    "overall": r.overall.value,
                    "areas": {area.value: status.value for area, status in r.statuses.items()},
                }
                for r in results
            ],
        }
