"""Opening the SQLite database and applying the numbered migrations.

Each file in ``migrations/`` is ``NNNN_name.sql``; the number of the last one applied is kept in
``PRAGMA user_version``. Every migration runs in its own transaction, so a crash mid-way leaves the previous
version intact.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
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


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def apply_migrations(conn: aiosqlite.Connection, migrations: list[Migration] | None = None) -> int:
    """Bring the schema up to date; returns the resulting version."""
    migrations = discover_migrations() if migrations is None else migrations
    current = await schema_version(conn)
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise RuntimeError(
            f"the database is at schema version {current}, newer than this code knows ({latest}); "
            "run a newer version of the bot or restore a backup"
        )
    for migration in migrations:
        if migration.version <= current:
            continue
        log.info("applying migration %s", migration.path.name)
        # executescript would commit implicitly; wrap the statements so the version bump is atomic with them.
        try:
            await conn.executescript(f"BEGIN;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;")
        except Exception:
            if conn.in_transaction:
                await conn.rollback()
            raise
        current = migration.version
    return current


async def open_database(path: Path | str) -> aiosqlite.Connection:
    """Open (creating if needed) the database in WAL mode with foreign keys on, migrated to the latest schema."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(path)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        # NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commit.
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA busy_timeout = 5000")
        await apply_migrations(conn)
    except BaseException:
        await conn.close()
        raise
    return conn
