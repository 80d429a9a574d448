"""The heartbeat, the recent errors and the delivery counts, in SQL (tables from migration 0008; the shards of the
heartbeat from 0012)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

from bot.db.connection import Connection, write_transaction
from bot.db.postgres import PgConnection
from bot.db.timestamps import from_db, to_db
from bot.observability.status import DELIVERY_KINDS, DeliveryCounts, ErrorNote, Heartbeat, ShardFigures

KEEP_ERRORS = 100
"""Older rows of error_log are deleted: the log file has the whole history, the table is for a quick look."""


class StatusRepository:
    def __init__(self, conn: Connection, *, one_process: bool = True) -> None:
        self._conn = conn
        self.one_process = one_process
        """False for a process of a cluster (SHARDS): the one heartbeat row and its shards are a bot run as one
        process's; each process of a cluster has its row in ``status_processes`` (bot/observability/cluster.py)."""

    async def write(self, beat: Heartbeat, errors: Iterable[ErrorNote] = ()) -> None:
        """Replace the heartbeat (a bot run as one process) and add ``errors``, in one transaction."""
        notes = list(errors)
        async with write_transaction(self._conn):
            if self.one_process:
                await self._conn.execute(
                    "INSERT INTO status_heartbeat (id, pid, state, started_at, beat_at, latency_ms, guilds, jobs) "
                    "VALUES (1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, "
                    "state = excluded.state, started_at = excluded.started_at, beat_at = excluded.beat_at, "
                    "latency_ms = excluded.latency_ms, guilds = excluded.guilds, jobs = excluded.jobs",
                    (
                        beat.pid,
                        beat.state,
                        to_db(beat.started_at),
                        to_db(beat.beat_at),
                        _milliseconds(beat.latency),
                        beat.guilds,
                        beat.jobs,
                    ),
                )
                await self._conn.execute("DELETE FROM status_shards")
                await self._conn.executemany(
                    "INSERT INTO status_shards (shard_id, state, latency_ms, guilds) VALUES (?, ?, ?, ?)",
                    [(shard.id, shard.state, _milliseconds(shard.latency), shard.guilds) for shard in beat.shards],
                )
            if notes:
                await self._conn.executemany(
                    "INSERT INTO error_log (reference, occurred_at, summary) VALUES (?, ?, ?)",
                    [(n.reference, to_db(n.at), n.summary) for n in notes],
                )
                await self._conn.execute(
                    "DELETE FROM error_log WHERE id NOT IN (SELECT id FROM error_log ORDER BY id DESC LIMIT ?)",
                    (KEEP_ERRORS,),
                )

    async def heartbeat(self) -> Heartbeat | None:
        async with self._conn.execute(
            "SELECT pid, state, started_at, beat_at, latency_ms, guilds, jobs FROM status_heartbeat WHERE id = 1"
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return Heartbeat(
            pid=int(row[0]),
            state="stopped" if row[1] == "stopped" else "running",
            started_at=from_db(row[2]),
            beat_at=from_db(row[3]),
            latency=None if row[4] is None else float(row[4]) / 1000,
            guilds=int(row[5]),
            jobs=int(row[6]),
            shards=await self._shards(),
        )

    async def _shards(self) -> tuple[ShardFigures, ...]:
        # `imgbot status` reads the database without migrating it: one from before 0012 has no shards to show.
        if not await self._has_table("status_shards"):
            return ()
        async with self._conn.execute(
            "SELECT shard_id, state, latency_ms, guilds FROM status_shards ORDER BY shard_id"
        ) as cursor:
            rows = await cursor.fetchall()
        return tuple(
            ShardFigures(
                id=int(r[0]),
                state="ready" if r[1] == "ready" else "disconnected" if r[1] == "disconnected" else "connecting",
                latency=None if r[2] is None else float(r[2]) / 1000,
                guilds=int(r[3]),
            )
            for r in rows
        )

    async def _has_table(self, name: str) -> bool:
        # Each engine names its tables in its own catalogue: SQLite in sqlite_master, PostgreSQL in information_schema
        # (the tables of the schema the connection uses).
        sql = (
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
            if isinstance(self._conn, PgConnection)
            else "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        )
        async with self._conn.execute(sql, (name,)) as cursor:
            return await cursor.fetchone() is not None

    async def recent_errors(self, limit: int) -> list[ErrorNote]:
        """Newest first."""
        async with self._conn.execute(
            "SELECT occurred_at, reference, summary FROM error_log ORDER BY occurred_at DESC, id DESC LIMIT ?",
            (limit,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [ErrorNote(from_db(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def deliveries_since(self, since: dt.datetime) -> list[DeliveryCounts]:
        """Per kind: deliveries finished (sent, of them late, skipped, failed) since ``since``, and those claimed
        since then and not finished (sending, or waiting to be retried). Every known kind is listed.

        An older claim is not pending: every feature retries or gives up its claims within hours, so one left from
        before the window (the status shows a day) is a leftover that would otherwise show as pending forever."""
        after = to_db(since)
        # COUNT of a CASE without ELSE counts the rows it holds for: a condition is a boolean on PostgreSQL, which
        # SUM does not add up as SQLite does its 0/1; and COUNT is an integer on both (SUM of BIGINT is NUMERIC).
        async with self._conn.execute(
            "SELECT target_kind, "
            "COUNT(CASE WHEN status = 'sent' AND finished_at >= ? THEN 1 END), "
            "COUNT(CASE WHEN status = 'sent' AND late = 1 AND finished_at >= ? THEN 1 END), "
            "COUNT(CASE WHEN status = 'skipped' AND finished_at >= ? THEN 1 END), "
            "COUNT(CASE WHEN status = 'failed' AND finished_at >= ? THEN 1 END), "
            "COUNT(CASE WHEN status = 'claimed' AND COALESCE(claimed_at, fire_at) >= ? THEN 1 END) "
            "FROM deliveries WHERE finished_at >= ? OR status = 'claimed' GROUP BY target_kind",
            (after,) * 6,
        ) as cursor:
            rows = await cursor.fetchall()
        found = {str(r[0]): DeliveryCounts(str(r[0]), *(int(v or 0) for v in r[1:])) for r in rows}
        kinds = list(DELIVERY_KINDS) + sorted(set(found) - set(DELIVERY_KINDS))
        return [found.get(kind, DeliveryCounts(kind)) for kind in kinds]


def _milliseconds(latency: float | None) -> float | None:
    return None if latency is None or not math.isfinite(latency) else latency * 1000
