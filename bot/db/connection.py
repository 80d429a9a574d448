"""Opening the database (SQLite by default, PostgreSQL when ``DATABASE_URL`` names one) and applying the numbered
migrations.

Each file in ``migrations/`` is ``NNNN_name.sql`` for SQLite, and ``migrations/postgresql/`` holds the same numbers for
PostgreSQL (``test_migrations`` checks the two lists match). The number of the last one applied is kept in
``PRAGMA user_version`` on SQLite and in the ``schema_version`` table on PostgreSQL. On SQLite every migration runs in
its own transaction, so a crash mid-way leaves the previous version intact; on PostgreSQL one start's pending
migrations run in one transaction, under an advisory lock that makes a second process starting at once wait.

The bot shares one connection among all its coroutines, and SQLite's transaction belongs to the connection, not to
the coroutine that began it: without care, one coroutine's ``rollback()`` discards another's uncommitted write, and
its ``commit()`` commits half of another's multi-statement change. So every write goes through
``write_transaction``, which serialises writers on the connection and commits or rolls back only its own work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import aiosqlite
import asyncpg

from bot.db import postgres
from bot.db.files import create_private_file, private_dir, sqlite_uri
from bot.db.postgres import PgConnection

log = logging.getLogger(__name__)

Connection: TypeAlias = aiosqlite.Connection | PgConnection
Row: TypeAlias = aiosqlite.Row | asyncpg.Record
"""A row either backend returns: read by position or by column name."""
"""The bot's database connection, whichever backend: repositories use only what both offer (bot/db/postgres.py)."""

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
PG_MIGRATIONS_DIR = MIGRATIONS_DIR / "postgresql"
SYNCHRONOUS = "FULL"
"""Every commit is on disk before it returns. With WAL, NORMAL survives the bot's own crash but not a power cut or an
OS crash, which can lose the last commits: a delivery claimed, posted and then forgotten would be claimed and posted
again, and no look-up stops it (nothing is left to recover). FULL costs about 0.3 ms more per commit on the
development machine, 1,500 commits/s against 3,400 (bench/db_sync.py; README, Figures): a delivery makes two, and the
busiest fan-out (46 posts/s) needs about 100/s."""
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """All migrations in version order; the numbers must run 1, 2, 3… without gaps."""
    found = []
    for path in directory.glob("*.sql"):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise RuntimeError(f"{path}: migration files must be named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), path))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"{migration.path}: expected migration number {expected:04d}")
    return found


async def schema_version(conn: Connection) -> int:
    if isinstance(conn, PgConnection):
        return await _pg_schema_version(conn)
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def _pending(current: int, migrations: list[Migration]) -> list[Migration]:
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise RuntimeError(
            f"the database is at schema version {current}, newer than this code knows ({latest}); "
            "run a newer version of the bot or restore a backup"
        )
    return [m for m in migrations if m.version > current]


def _script(migration: Migration) -> str:
    # executescript would commit implicitly; wrap the statements so the version bump is atomic with them.
    return f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"


async def apply_migrations(conn: Connection, migrations: list[Migration] | None = None) -> int:
    """Bring the schema up to date; returns the resulting version."""
    if isinstance(conn, PgConnection):
        return await _apply_pg_migrations(conn, migrations)
    migrations = discover_migrations() if migrations is None else migrations
    current = await schema_version(conn)
    for migration in _pending(current, migrations):
        log.info("applying migration %s", migration.path.name)
        try:
            await conn.executescript(_script(migration))
        except Exception:
            if conn.in_transaction:
                await conn.rollback()
            raise
        current = migration.version
    return current


def apply_migrations_sync(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> int:
    """``apply_migrations`` for a plain sqlite3 connection (a restore brings the backup up to date before use)."""
    migrations = discover_migrations() if migrations is None else migrations
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for migration in _pending(current, migrations):
        log.info("applying migration %s", migration.path.name)
        try:
            conn.executescript(_script(migration))
        except Exception:
            if conn.in_transaction:
                conn.rollback()
            raise
        current = migration.version
    return current


_PG_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"


async def _pg_schema_version(conn: PgConnection) -> int:
    # A read only (no CREATE TABLE IF NOT EXISTS here): creating the table outside the migrations' advisory lock
    # collided with a first migration still in progress (a duplicate-key error on PostgreSQL's catalogue), and a
    # reader such as `imgbot status` need not be allowed to create tables. The migrations create it under the lock.
    async with conn.execute("SELECT to_regclass('schema_version') IS NOT NULL") as cursor:
        exists = await cursor.fetchone()
    if not exists or not exists[0]:
        return 0
    async with conn.execute("SELECT MAX(version) FROM schema_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def _apply_pg_migrations(conn: PgConnection, migrations: list[Migration] | None) -> int:
    migrations = discover_migrations(PG_MIGRATIONS_DIR) if migrations is None else migrations
    async with conn.transaction() as tx:
        # Two bot processes starting on one database at once: the second waits here, then finds nothing to do.
        await tx.execute("SELECT pg_advisory_xact_lock(4711)")
        await tx.executescript(_PG_VERSION_TABLE)
        current = await _pg_schema_version(tx)
        for migration in _pending(current, migrations):
            log.info("applying migration postgresql/%s", migration.path.name)
            await tx.executescript(migration.sql)
            await tx.execute("DELETE FROM schema_version")
            await tx.execute("INSERT INTO schema_version (version) VALUES (?)", (migration.version,))
            current = migration.version
    return current


async def postgres_upgrade_pending(url: str) -> bool:
    """Whether opening the PostgreSQL database at ``url`` would apply migrations (read only)."""
    conn = await postgres.connect(url, max_size=1)
    try:
        return await _pg_schema_version(conn) < len(discover_migrations(PG_MIGRATIONS_DIR))
    finally:
        await conn.close()


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


@dataclass
class _WriteGate:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holder: asyncio.Task[object] | None = None


# Keyed by the connection itself rather than a subclass returned by open_database: every aiosqlite.Connection gets
# the same protection (tests and tools open some with aiosqlite.connect), the type in every signature stays
# aiosqlite.Connection, and the gate goes away with the connection.
_gates: weakref.WeakKeyDictionary[Connection, _WriteGate] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def write_transaction(conn: Connection) -> AsyncIterator[Connection]:
    """Run the block's statements as one transaction of their own: committed when it ends, rolled back if it raises.

    Writers on ``conn`` take turns for the whole block, so no other coroutine's commit or rollback can land in the
    middle of it. Reads need no turn. Blocks do not nest (the inner one would wait for the outer forever), so a
    nested one raises instead; keep blocks flat and free of anything slow, such as Discord calls.
    """
    gate = _gates.get(conn)
    if gate is None:
        gate = _gates[conn] = _WriteGate()
    task = asyncio.current_task()
    if task is not None and gate.holder is task:
        raise RuntimeError("write_transaction blocks do not nest; finish the outer one first")
    async with gate.lock:
        gate.holder = task
        try:
            if isinstance(conn, PgConnection):
                # Writers still take turns in this process, as on SQLite: repositories may read, then write, and
                # count on no other coroutine of the bot writing in between. Other processes are PostgreSQL's to order.
                async with conn.transaction() as tx:
                    yield tx
                return
            if conn.in_transaction:
                # Only a write made outside write_transaction leaves this behind; committing it with our block
                # would hide the bug, and it is someone else's half-done change.
                log.warning("a write outside write_transaction left a transaction open; rolling it back")
                await conn.rollback()
            try:
                yield conn
                await conn.commit()
            except BaseException:
                await conn.rollback()
                raise
        finally:
            gate.holder = None


async def open_database(path: Path | str) -> Connection:
    """Open the database, migrated to the latest schema: PostgreSQL when ``path`` is a ``postgresql://`` URL, else
    SQLite (``open_sqlite``)."""
    if is_postgres_url(path):
        conn = await postgres.connect(str(path))
        try:
            await apply_migrations(conn)
        except BaseException:
            await conn.close()
            raise
        return conn
    return await open_sqlite(path)


async def open_sqlite(path: Path | str) -> aiosqlite.Connection:
    """Open (creating if needed) the database in WAL mode with foreign keys on, migrated to the latest schema.

    A new database file is created owner-only (0600) in an owner-only directory; SQLite gives its ``-wal`` and
    ``-shm`` files the same mode. The path is passed as an escaped URI (``bot.db.files.sqlite_uri``).
    """
    if str(path) == ":memory:":
        conn = await aiosqlite.connect(":memory:")
    else:
        path = Path(path)
        private_dir(path.parent)
        with contextlib.suppress(FileExistsError):
            create_private_file(path)
        conn = await aiosqlite.connect(sqlite_uri(path, mode="rw"), uri=True)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
        await conn.execute("PRAGMA busy_timeout = 5000")
        await apply_migrations(conn)
    except BaseException:
        await conn.close()
        raise
    return conn
