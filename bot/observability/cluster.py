"""The processes of a cluster (SHARDS): who runs which shards, whether each still runs, and what `imgbot status` lists.

Each process of a bot run as several (``imgbot run --shards 0-3 --shard-count 8``) writes its own heartbeat row in
``status_processes`` (migration 0025) at start, every minute and at a clean stop. From those rows:

- a process tells whether a delivery another one claimed is still that one's to finish (``alive``, used by
  ``bot.scheduling.delivery``). On PostgreSQL (where a cluster runs) each process holds an advisory lock named after
  its instance on its lock connection (``instance_key``), which PostgreSQL releases the moment the process ends,
  however it ends: so a process killed and restarted at once takes over its predecessor's claims without waiting,
  and neither a shared hostname nor a pid seen from another container fools it. On SQLite (one process), its row
  says running, its last beat is recent and, on the same machine, its pid exists;
- a process starting with shards another running process also runs is warned (``register``): two processes would
  then both schedule those servers. Deliveries stay exactly once (the claims), but the work is done twice;
- ``imgbot status`` lists every process with its shards and last heartbeat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import secrets
import socket
from dataclasses import dataclass

from bot.config import parse_shards
from bot.db.connection import Connection, Row, write_transaction
from bot.db.postgres import PgConnection
from bot.db.timestamps import Clock, from_db, to_db, utc_now
from bot.observability.status import LiveFigures, ProcessBeat, State

log = logging.getLogger(__name__)

CLUSTER_SCHEMA = 25
"""The schema version that made ``status_processes`` (migration 0025)."""
SHOWN_FOR = dt.timedelta(days=1)
"""A stopped process is listed for a day after its last heartbeat, then forgotten by `imgbot status`."""
KEPT_FOR = dt.timedelta(days=7)
"""Rows of processes silent this long are deleted when a process starts (each start adds one)."""


@dataclass(frozen=True)
class ProcessIdentity:
    """One start of one process: ``instance`` is new every time."""

    instance: str
    slot: str
    """Its shards out of the count, as SHARDS and SHARD_COUNT say: ``0-3/8``."""
    host: str
    pid: int
    started_at: dt.datetime

    @classmethod
    def new(cls, slot: str, started_at: dt.datetime) -> ProcessIdentity:
        return cls(f"{slot}:{secrets.token_hex(6)}", slot, socket.gethostname(), os.getpid(), started_at)


def slot_shards(slot: str) -> tuple[frozenset[int], int]:
    """``0-3/8`` -> ({0, 1, 2, 3}, 8)."""
    ids, _, count = slot.partition("/")
    return frozenset(parse_shards(ids)), int(count)


def instance_key(instance: str) -> int:
    """The advisory lock a process of a cluster holds while it runs: a positive 63-bit number from its instance."""
    return int.from_bytes(hashlib.sha256(instance.encode()).digest()[:8], "big") >> 1


_LOCK_HELD = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND (CAST(classid AS BIGINT) << 32) + CAST(objid AS BIGINT) = ?)"
)


def server_share(me: ProcessIdentity, my_servers: int, processes: list[ProcessBeat], now: dt.datetime) -> float | None:
    """This process's share of the bot's servers, from the running processes' last heartbeats; None until the running
    processes cover every shard between them (before, the others' servers are not known yet and a share of the few
    counted would be too large) or while nobody reported a server."""
    mine, count = slot_shards(me.slot)
    others = [p for p in processes if p.instance != me.instance and p.running(now)]
    covered = set(mine)
    for other in others:
        ids, other_count = slot_shards(other.slot)
        if other_count == count:
            covered |= ids
    total = my_servers + sum(p.guilds for p in others)
    if covered != set(range(count)) or my_servers <= 0 or total <= 0:
        return None
    return my_servers / total


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it exists
    return True


_COLUMNS = "instance, slot, host, pid, state, started_at, beat_at, latency_ms, guilds, jobs"


class ProcessRegistry:
    """``status_processes``, for the processes of one cluster sharing the database."""

    def __init__(self, conn: Connection, clock: Clock = utc_now) -> None:
        self._conn = conn
        self._clock = clock
        self._host = socket.gethostname()

    async def register(self, me: ProcessIdentity) -> list[ProcessBeat]:
        """Write this process's first row; mark as stopped the rows of processes that no longer run (killed: they
        never said so); return the running processes whose shards overlap this one's."""
        now = self._clock()
        # This process's row first, then the others': of two processes starting at the same moment, the one that
        # reads last sees the other (reading first, both could miss each other, and neither would warn).
        await self.beat(me, LiveFigures(latency=None, guilds=0, jobs=0), "running")
        everyone = await self.processes()
        gone = [p.instance for p in everyone if p.state == "running" and not await self._runs(p)]
        async with write_transaction(self._conn):
            await self._conn.execute("DELETE FROM status_processes WHERE beat_at < ?", (to_db(now - KEPT_FOR),))
            for instance in gone:
                await self._conn.execute(
                    "UPDATE status_processes SET state = 'stopped' WHERE instance = ?", (instance,)
                )
        mine, count = slot_shards(me.slot)
        overlapping = []
        for other in everyone:
            if other.instance in gone or other.instance == me.instance or not other.running(now):
                continue
            ids, other_count = slot_shards(other.slot)
            # Another shard count splits the servers differently: some of them are then served twice.
            if other_count != count or ids & mine:
                overlapping.append(other)
        return overlapping

    async def beat(self, me: ProcessIdentity, figures: LiveFigures, state: State = "running") -> None:
        latency_ms = None if figures.latency is None else round(figures.latency * 1000, 1)
        async with write_transaction(self._conn):
            await self._conn.execute(
                f"INSERT INTO status_processes ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (instance) DO UPDATE SET state = excluded.state, beat_at = excluded.beat_at, "
                "latency_ms = excluded.latency_ms, guilds = excluded.guilds, jobs = excluded.jobs",
                (
                    me.instance,
                    me.slot,
                    me.host,
                    me.pid,
                    state,
                    to_db(me.started_at),
                    to_db(self._clock()),
                    latency_ms,
                    figures.guilds,
                    figures.jobs,
                ),
            )

    async def alive(self, instance: str) -> bool:
        """Whether the process that made ``instance`` still runs (``bot.scheduling.delivery.ClaimOwners``)."""
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM status_processes WHERE instance = ?", (instance,)
        ) as cursor:
            row = await cursor.fetchone()
        return row is not None and await self._runs(_process(row))

    async def _runs(self, process: ProcessBeat) -> bool:
        if isinstance(self._conn, PgConnection):
            # Its lock, not its row: the row of a process killed a second ago still looks fresh.
            async with self._conn.execute(_LOCK_HELD, (instance_key(process.instance),)) as cursor:
                row = await cursor.fetchone()
            return bool(row and row[0])
        if not process.running(self._clock()):
            return False
        return process.host != self._host or _pid_exists(process.pid)

    async def processes(self) -> list[ProcessBeat]:
        """Every process that ran within the last day, by slot, the newest start first."""
        since = to_db(self._clock() - SHOWN_FOR)
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM status_processes WHERE beat_at >= ? ORDER BY slot, started_at DESC", (since,)
        ) as cursor:
            return [_process(row) for row in await cursor.fetchall()]


def _process(values: Row) -> ProcessBeat:
    return ProcessBeat(
        instance=str(values[0]),
        slot=str(values[1]),
        host=str(values[2]),
        pid=int(values[3]),
        state="stopped" if values[4] == "stopped" else "running",
        started_at=from_db(values[5]),
        beat_at=from_db(values[6]),
        latency=None if values[7] is None else float(values[7]) / 1000,
        guilds=int(values[8]),
        jobs=int(values[9]),
    )
