"""``imgbot db migrate-to``: copy the bot's SQLite database into an empty PostgreSQL database.

The target is brought to the latest PostgreSQL schema first (``open_database``), so the copy writes into exactly the
tables the bot will use. The source must be at the schema this code has (the bot upgrades a file when it starts: a
copy of an older one would put old rows into new tables). Then, in **one transaction** on the target:

- every table is copied in foreign-key order (a table after the tables it refers to), column by column, with
  ``COPY`` (asyncpg's binary protocol); SQLite's loose typing is made strict on the way (a number in a TEXT column
  becomes text, for example);
- each identity column's sequence is moved past the largest id copied, and past what SQLite's AUTOINCREMENT already
  gave out (``sqlite_sequence``), so no id is ever given twice;
- the deletion ledger's file (``<database>.deletions.sqlite3``) is copied into the ledger's schema;
- the row counts of both sides are compared, table by table; any difference rolls everything back.

A target that holds any row already is refused: merging two bots' data is not a copy. Both databases are locked
against a running bot for the copy (the SQLite file's lock, the PostgreSQL advisory lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import graphlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bot.db.backup import BUSY_TIMEOUT_SECONDS
from bot.db.connection import discover_migrations, open_database
from bot.db.errors import DatabaseProblem
from bot.db.files import sqlite_uri
from bot.db.lock import DatabaseInUse, DatabaseLock, PostgresLock
from bot.db.pg_backup import LEDGER_SCHEMA, public_tables, reset_identities
from bot.deletion_ledger import PG_SCHEMA_SQL, ledger_path_for

log = logging.getLogger(__name__)


class MigrationRefused(DatabaseProblem):
    """The copy cannot be made as asked; the message says why and what to do (nothing was written)."""


@dataclass(frozen=True)
class TableCopied:
    table: str
    sqlite_rows: int
    postgres_rows: int


@dataclass(frozen=True)
class MigrationResult:
    schema_version: int
    tables: list[TableCopied]
    ledger_entries: int
    """Deletions copied from the ledger file (0 when there was none)."""
    seconds: float

    @property
    def rows(self) -> int:
        return sum(t.postgres_rows for t in self.tables)


# -- the source -----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    with contextlib.closing(sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True, timeout=BUSY_TIMEOUT_SECONDS)) as c:
        yield c


def _source_version(path: Path) -> int:
    if not path.is_file():
        raise MigrationRefused(f"there is no SQLite database at {path} to copy (DATABASE_PATH)")
    try:
        with _sqlite(path) as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise MigrationRefused(f"{path} cannot be read ({exc}); check it with `imgbot db check`") from exc
    known = len(discover_migrations())
    if version == 0:
        raise MigrationRefused(f"{path} holds no bot data (schema version 0); nothing to copy")
    if version < known:
        raise MigrationRefused(
            f"the SQLite database {path} is at schema version {version}, older than this bot's ({known}): start "
            "the bot on it once (`imgbot run` upgrades it), stop it, then migrate again"
        )
    if version > known:
        raise MigrationRefused(
            f"the SQLite database {path} is at schema version {version}, newer than this bot knows ({known}): "
            "migrate it with the version of the bot that wrote it"
        )
    return version


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    """The bot's tables in foreign-key order: every table after the tables it refers to (then by name)."""
    names = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    graph: dict[str, set[str]] = {}
    for name in names:
        parents = {str(r[2]) for r in conn.execute(f'PRAGMA foreign_key_list("{name}")')}
        graph[name] = {p for p in parents if p != name and p in names}
    sorter = graphlib.TopologicalSorter(graph)
    sorter.prepare()
    ordered: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered += ready
        sorter.done(*ready)
    return ordered


def _sqlite_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]


def _autoincrement_floors(conn: sqlite3.Connection) -> dict[str, int]:
    """The largest id AUTOINCREMENT gave out per table (deleted rows included): PostgreSQL must not give it again."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone() is None:
        return {}
    return {str(name): int(seq) for name, seq in conn.execute("SELECT name, seq FROM sqlite_sequence")}


# -- the target -----------------------------------------------------------------------------------------------------


def _whole(value: Any) -> int:
    """An integer column's value: 1.0 or "7" as SQLite may hold them, but never 1.5 cut to 1 (the counts would not
    notice): the row is refused like any other PostgreSQL rejects."""
    number = float(value) if isinstance(value, str) and not value.strip().lstrip("-").isdigit() else value
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        return int(number)
    return int(number)


def _converter(data_type: str) -> Callable[[Any], Any]:
    """SQLite stores what it is given whatever the column says; PostgreSQL's COPY wants the column's type."""
    if data_type in ("bigint", "integer", "smallint"):
        return _whole
    if data_type in ("double precision", "real"):
        return lambda v: float(v)
    if data_type == "boolean":
        return lambda v: bool(int(v))
    if data_type == "bytea":
        return lambda v: v if isinstance(v, bytes) else str(v).encode()
    if data_type == "text":
        return lambda v: v if isinstance(v, str) else (v.decode() if isinstance(v, bytes) else str(v))
    return lambda v: v


async def _pg_columns(conn: asyncpg.Connection, table: str) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = $1 ORDER BY ordinal_position",
        table,
    )
    return {str(r[0]): str(r[1]) for r in rows}


async def _occupied(conn: asyncpg.Connection, tables: list[str]) -> list[str]:
    """The tables of the target that hold rows, the ledger's included."""
    found = []
    for table in tables:
        if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM public."{table}")'):
            found.append(table)
    # Its key and format alone are no data: a bot that started once on the database made them.
    if await conn.fetchval("SELECT to_regclass($1)", f"{LEDGER_SCHEMA}.deletions") is not None and (
        await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {LEDGER_SCHEMA}.deletions)")
    ):
        found.append(f"{LEDGER_SCHEMA}.deletions")
    return found


async def _copy_table(pg: asyncpg.Connection, source: sqlite3.Connection, table: str) -> TableCopied:
    theirs = await _pg_columns(pg, table)
    mine = _sqlite_columns(source, table)
    missing = [c for c in mine if c not in theirs]
    if missing:
        raise MigrationRefused(
            f"the PostgreSQL schema of {table} lacks the column(s) {', '.join(missing)}: the two schemas differ "
            "(a bug; nothing was written)"
        )
    convert = [_converter(theirs[c]) for c in mine]
    names = ", ".join(f'"{c}"' for c in mine)
    # Read on this thread (sqlite3 connections stay on the thread that made them); the copy is all this process does.
    rows = source.execute(f'SELECT {names} FROM "{table}"').fetchall()
    try:
        records = [tuple(None if v is None else f(v) for f, v in zip(convert, row, strict=True)) for row in rows]
    except (ValueError, TypeError) as exc:
        raise MigrationRefused(
            f"{table} holds a value its PostgreSQL column cannot take ({exc}); nothing was written. Mend the SQLite "
            "database and migrate again"
        ) from None
    if records:
        try:
            await pg.copy_records_to_table(table, records=records, columns=mine, schema_name="public")
        except asyncpg.IntegrityConstraintViolationError as exc:
            # SQLite kept what PostgreSQL refuses: typically a row whose parent is gone, written while SQLite's
            # foreign keys were off (they are on in the bot since its first version; an SQLite shell has them off).
            raise MigrationRefused(
                f"{table} holds a row PostgreSQL refuses ({exc}); nothing was written. Mend the SQLite database "
                "(`PRAGMA foreign_key_check` in an SQLite shell names such rows) and migrate again"
            ) from None
    copied = int(await pg.fetchval(f'SELECT COUNT(*) FROM public."{table}"'))
    return TableCopied(table, len(rows), copied)


def _read_ledger(ledger: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The ledger file's deletions (in the order written) and its meta rows; none when there is no file."""
    if not ledger.is_file():
        return [], []
    try:
        with _sqlite(ledger) as conn:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'deletions'").fetchone() is None:
                return [], []
            deletions = conn.execute("SELECT entry, user_hash FROM deletions ORDER BY rowid").fetchall()
            meta = conn.execute("SELECT key, value FROM ledger_meta").fetchall()
    except sqlite3.DatabaseError as exc:
        raise MigrationRefused(
            f"the deletion ledger {ledger} cannot be read ({exc}); put back a sound copy, or move it aside (it is "
            "rebuilt from the database's own copy) and migrate again"
        ) from exc
    return deletions, meta


async def _copy_ledger(pg: asyncpg.Connection, ledger: Path) -> int:
    """The ledger file, into the ledger's schema (made here: the bot would make it at its first start)."""
    await pg.execute(PG_SCHEMA_SQL)
    deletions, meta = await asyncio.to_thread(_read_ledger, ledger)
    await pg.executemany(f"INSERT INTO {LEDGER_SCHEMA}.deletions (entry, user_hash) VALUES ($1, $2)", deletions)
    await pg.executemany(
        f"INSERT INTO {LEDGER_SCHEMA}.ledger_meta (key, value) VALUES ($1, $2) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [(k, v) for k, v in meta if k != "format"],
    )
    return len(deletions)


async def migrate_to(source: Path, url: str, shown: str) -> MigrationResult:
    """Copy the SQLite database at ``source`` into the empty PostgreSQL database at ``url`` (module docstring).
    ``shown`` names the target in messages, without its password."""
    started = time.monotonic()
    version = _source_version(source)
    try:
        file_lock = DatabaseLock.acquire(source, "a migration to PostgreSQL")
    except DatabaseInUse as exc:
        raise MigrationRefused(
            f"refused: {source} is in use by {exc.holder}. Stop the bot first, then migrate (nothing was changed)"
        ) from None
    with file_lock:
        # The lock first: a target a bot is using (the wrong URL) must be refused before its schema is touched.
        try:
            pg_lock = await PostgresLock.acquire(url, shown, "a migration from SQLite", shared=False)
        except DatabaseInUse as exc:
            raise MigrationRefused(f"refused: {shown} is in use by {exc.holder} (nothing was changed)") from None
        async with pg_lock:
            migrated = await open_database(url)
            await migrated.close()
            pg = await asyncpg.connect(url)
            try:
                with _sqlite(source) as conn:
                    result = await _copy(pg, conn, source, version, shown)
            finally:
                await pg.close()
    return MigrationResult(result.schema_version, result.tables, result.ledger_entries, time.monotonic() - started)


async def _copy(
    pg: asyncpg.Connection, conn: sqlite3.Connection, source: Path, version: int, shown: str
) -> MigrationResult:
    tables = _sqlite_tables(conn)
    targets = await public_tables(pg)
    absent = [t for t in tables if t not in targets]
    if absent:
        raise MigrationRefused(
            f"the PostgreSQL schema lacks the table(s) {', '.join(absent)}: the two schemas differ (a bug; "
            "nothing was written)"
        )
    occupied = await _occupied(pg, targets)
    if occupied:
        raise MigrationRefused(
            f"refused: {shown} already holds data (in {', '.join(occupied[:3])}"
            f"{', …' if len(occupied) > 3 else ''}); migrate-to copies into an empty database only"
        )
    copied: list[TableCopied] = []
    async with pg.transaction():
        for table in tables:
            copied.append(await _copy_table(pg, conn, table))
            log.info("copied %s: %d rows", table, copied[-1].postgres_rows)
        await reset_identities(pg, tables, _autoincrement_floors(conn))
        entries = await _copy_ledger(pg, ledger_path_for(source))
        differ = [t for t in copied if t.sqlite_rows != t.postgres_rows]
        if differ:
            raise MigrationRefused(
                "the row counts differ after the copy ("
                + ", ".join(f"{t.table}: {t.sqlite_rows} in SQLite, {t.postgres_rows} in PostgreSQL" for t in differ)
                + "); nothing was written"
            )
    return MigrationResult(version, copied, entries, 0.0)
