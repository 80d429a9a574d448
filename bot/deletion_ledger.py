"""The deletion ledger: what it takes to delete a member again after an older backup is restored, and nothing more.

/mydata delete (and `imgbot privacy delete`) empties the database of a member, but the backups made before still
hold them, and restoring one would bring them back. So each deletion is also written down twice:

- in **the ledger file** beside the database (``var/imgbot.sqlite3`` -> ``var/imgbot.deletions.sqlite3``), which
  neither a restore nor a copied-back database file replaces: every deletion ever made. On PostgreSQL the "file" is
  the schema ``deletion_ledger_file`` (tables ``deletions`` and ``ledger_meta``, made by the ledger when absent) of
  the same database: backups leave it out and restores never touch it (``bot.db.pg_backup``);
- in **the database** (table ``deletion_ledger``): the deletions this database has applied.

An entry of the file that the database lacks is a deletion this database has not seen: it was restored from a backup
older than the deletion (or the bot stopped half-way through deleting). ``PersonalData.reapply_deletions`` deletes
that member again, at every start-up before anything else runs, and after a restore. An entry the database has is
never applied again, so a member who deleted their data and came back later keeps what they did since. A database
copy whose file was lost rebuilds the file from its own table.

An entry is a random id and a keyed hash of the member's id (HMAC-SHA256 with a random key made once per
installation), never the id: the ledger is not a readable list of who asked to be forgotten. To apply an entry again,
every member id the database holds is hashed and the matches are deleted (milliseconds for thousands of members, and
only when an entry is pending). The key is kept in the database (``bot_meta``) and in the ledger file. It has to be
in the file: a backup made before the key existed, or by another installation, would otherwise bring a database
without it, and no entry could be matched again, which is exactly when they are needed. So the hash hides ids from
a reader of either file, but not from someone holding the file who tests an id they already know. Entries are never
removed: an operator's own copy of the database may be restored years later.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bot.db.connection import Connection, write_transaction
from bot.db.pg_backup import LEDGER_SCHEMA
from bot.db.postgres import PgConnection

log = logging.getLogger(__name__)

KEY_NAME = "deletion_ledger_key"
"""The key's row in the database's ``bot_meta`` (and in the ledger file's ``ledger_meta``)."""
LEDGER_FORMAT = 1

_FILE_SCHEMA = f"""
BEGIN;
CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deletions (entry TEXT PRIMARY KEY, user_hash TEXT NOT NULL);
PRAGMA user_version = {LEDGER_FORMAT};
COMMIT;
"""


PG_SCHEMA_SQL = f"""
SELECT pg_advisory_xact_lock(4712); -- the ledger's own (4711 is the migrations')
CREATE SCHEMA IF NOT EXISTS {LEDGER_SCHEMA};
CREATE TABLE IF NOT EXISTS {LEDGER_SCHEMA}.ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS {LEDGER_SCHEMA}.deletions (
    written   BIGINT GENERATED ALWAYS AS IDENTITY,
    entry     TEXT PRIMARY KEY,
    user_hash TEXT NOT NULL
);
INSERT INTO {LEDGER_SCHEMA}.ledger_meta (key, value) VALUES ('format', '{LEDGER_FORMAT}') ON CONFLICT DO NOTHING;
"""
"""The ledger's schema on PostgreSQL. Made in one transaction under an advisory lock: the bot and `imgbot privacy`
may both make it at once, and two ``CREATE … IF NOT EXISTS`` racing each other can still collide."""


@dataclass(frozen=True)
class _LedgerTables:
    """Where the ledger is: its connection and its two tables' names, and the column that orders its entries."""

    conn: Connection
    deletions: str
    meta: str
    order: str


class LedgerError(RuntimeError):
    """The ledger file cannot be used; the message says what to do."""


@dataclass(frozen=True)
class LedgerEntry:
    entry: str
    """Random: tells one deletion of a member from a later one (they may come back, and delete again)."""
    user_hash: str


def ledger_path_for(database: Path) -> Path:
    """``var/imgbot.sqlite3`` -> ``var/imgbot.deletions.sqlite3``."""
    return database.with_name(f"{database.stem}.deletions{database.suffix or '.sqlite3'}")


async def database_file(conn: Connection) -> Path | None:
    """The file of ``conn``'s main database; None in memory or on PostgreSQL."""
    if not isinstance(conn, aiosqlite.Connection):
        return None
    async with conn.execute("PRAGMA database_list") as cursor:
        for row in await cursor.fetchall():
            if row[1] == "main":
                return Path(row[2]) if row[2] else None
    return None


def user_hash(key: str, user_id: int) -> str:
    return hmac.new(bytes.fromhex(key), str(user_id).encode("ascii"), hashlib.sha256).hexdigest()


class DeletionLedger:
    """The ledger of one database: its file beside the database (none for an in-memory one) and its table."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._resolved = False
        self._path: Path | None = None
        self._key: str | None = None
        self._schema_ready = False

    async def path(self) -> Path | None:
        """The ledger file, beside the database file; None on PostgreSQL (the ledger is the schema LEDGER_SCHEMA of
        the database itself) and when the database is in memory (tests)."""
        if not self._resolved:
            database = await database_file(self._conn)
            self._path = None if database is None else ledger_path_for(database)
            self._resolved = True
        return self._path

    async def hash(self, user_id: int) -> str:
        return user_hash(await self.key(), user_id)

    async def record(self, user_id: int) -> LedgerEntry:
        """Write a deletion to the file, durably, before anything is deleted: if the bot stops half-way, the next
        start finishes it (the database has not marked it applied yet)."""
        entry = LedgerEntry(secrets.token_hex(16), await self.hash(user_id))
        async with self._file() as ledger:
            if ledger is not None:
                async with write_transaction(ledger.conn):
                    await ledger.conn.execute(
                        f"INSERT INTO {ledger.deletions} (entry, user_hash) VALUES (?, ?)",
                        (entry.entry, entry.user_hash),
                    )
        return entry

    async def mark_applied(self, entries: list[LedgerEntry]) -> None:
        """This database no longer holds what these deletions removed."""
        if not entries:
            return
        async with write_transaction(self._conn):
            await self._conn.executemany(
                "INSERT INTO deletion_ledger (entry, user_hash) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(e.entry, e.user_hash) for e in entries],
            )

    async def pending(self) -> list[LedgerEntry]:
        """Deletions in the file that this database has not applied (oldest first). Entries only the database has
        (the file was lost or replaced) are copied to the file first."""
        await self.key()
        async with self._conn.execute("SELECT entry, user_hash FROM deletion_ledger") as cursor:
            applied = {str(r[0]): str(r[1]) for r in await cursor.fetchall()}
        async with self._file() as ledger:
            if ledger is None:
                return []
            async with ledger.conn.execute(
                f"SELECT entry, user_hash FROM {ledger.deletions} ORDER BY {ledger.order}"
            ) as cursor:
                written = [LedgerEntry(str(r[0]), str(r[1])) for r in await cursor.fetchall()]
            known = {e.entry for e in written}
            missing = [(entry, hashed) for entry, hashed in applied.items() if entry not in known]
            if missing:
                async with write_transaction(ledger.conn):
                    await ledger.conn.executemany(
                        f"INSERT INTO {ledger.deletions} (entry, user_hash) VALUES (?, ?) ON CONFLICT DO NOTHING",
                        missing,
                    )
                log.warning("the deletion ledger lacked %d deletion(s) this database had applied; added", len(missing))
        return [e for e in written if e.entry not in applied]

    async def key(self) -> str:
        """The installation's key: the file's when it has one (it outlives any database restore), else the
        database's, else a new one; then both hold it."""
        if self._key is not None:
            return self._key
        async with self._conn.execute("SELECT value FROM bot_meta WHERE key = ?", (KEY_NAME,)) as cursor:
            row = await cursor.fetchone()
        in_database = None if row is None else str(row[0])
        key = in_database or secrets.token_hex(32)
        async with self._file() as ledger:
            if ledger is not None:
                # Whoever writes the file first wins (the bot and `imgbot privacy` may both be making it).
                async with write_transaction(ledger.conn):
                    await ledger.conn.execute(
                        f"INSERT INTO {ledger.meta} (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (KEY_NAME, key)
                    )
                async with ledger.conn.execute(f"SELECT value FROM {ledger.meta} WHERE key = ?", (KEY_NAME,)) as cursor:
                    row = await cursor.fetchone()
                assert row is not None
                key = str(row[0])
        if in_database != key:
            if in_database is not None:
                log.warning(
                    "the database's deletion-ledger key differs from the ledger file's (a database of another "
                    "installation?); the file's is kept"
                )
            async with write_transaction(self._conn):
                await self._conn.execute(
                    "INSERT INTO bot_meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (KEY_NAME, key),
                )
        self._key = key
        return key

    @contextlib.asynccontextmanager
    async def _file(self) -> AsyncIterator[_LedgerTables | None]:
        """The ledger file, opened for one operation (deletions are rare; no second connection is kept open); on
        PostgreSQL its schema, made when absent."""
        if isinstance(self._conn, PgConnection):
            yield await self._schema(self._conn)
            return
        path = await self.path()
        if path is None:
            yield None
            return
        if not path.exists():
            # Owner-only, like the database: it says which (hashed) members asked to be forgotten.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            conn = await aiosqlite.connect(path)
        except sqlite3.Error as exc:
            raise _unreadable(path, exc) from exc
        try:
            try:
                # A rollback journal and FULL sync: a deletion confirmed to a member survives a power cut.
                await conn.execute("PRAGMA busy_timeout = 5000")
                await conn.execute("PRAGMA synchronous = FULL")
                async with conn.execute("PRAGMA user_version") as cursor:
                    row = await cursor.fetchone()
                version = int(row[0]) if row else 0
                if version == 0:
                    await conn.executescript(_FILE_SCHEMA)
            except sqlite3.DatabaseError as exc:
                raise _unreadable(path, exc) from exc
            if version > LEDGER_FORMAT:
                raise LedgerError(
                    f"the deletion ledger {path} was written by a newer version of the bot (format {version}); "
                    "run that version"
                )
            yield _LedgerTables(conn, "deletions", "ledger_meta", "rowid")
        finally:
            await conn.close()

    async def _schema(self, conn: PgConnection) -> _LedgerTables:
        if not self._schema_ready:
            async with write_transaction(conn):
                await conn.executescript(PG_SCHEMA_SQL)
                async with conn.execute(
                    f"SELECT value FROM {LEDGER_SCHEMA}.ledger_meta WHERE key = 'format'"
                ) as cursor:
                    row = await cursor.fetchone()
            version = int(row[0]) if row is not None else LEDGER_FORMAT
            if version > LEDGER_FORMAT:
                raise LedgerError(
                    f"the deletion ledger (schema {LEDGER_SCHEMA}) was written by a newer version of the bot "
                    f"(format {version}); run that version"
                )
            self._schema_ready = True
        return _LedgerTables(conn, f"{LEDGER_SCHEMA}.deletions", f"{LEDGER_SCHEMA}.ledger_meta", "written")


def _unreadable(path: Path, exc: Exception) -> LedgerError:
    return LedgerError(
        f"the deletion ledger {path} cannot be used ({exc}). Put back a sound copy of it if you have one; otherwise "
        "move it aside and start again: it is rebuilt from the database's own copy, which lacks only the deletions "
        "made after the database's backup was taken, if the database was restored"
    )
