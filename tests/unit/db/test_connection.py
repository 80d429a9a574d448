"""Opening the database and applying the migrations, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from bot.db.connection import (
    PG_MIGRATIONS_DIR,
    Migration,
    apply_migrations,
    discover_migrations,
    open_database,
    schema_version,
)
from bot.db.postgres import PgConnection
from bot.db.postgres import connect as connect_postgres
from tests.conftest import new_empty_postgres_database
from tests.postgres_server import PostgresServer


async def test_fresh_database_is_migrated_in_wal_mode(tmp_path: Path) -> None:
    conn = await open_database(tmp_path / "var" / "bot.sqlite3")
    try:
        assert await schema_version(conn) == len(discover_migrations())
        async with conn.execute("PRAGMA journal_mode") as cursor:
            row = await cursor.fetchone()
        assert row is not None and row[0] == "wal"
        # FULL (2): a claim committed before a post survives a power cut, not only the bot's own crash.
        async with conn.execute("PRAGMA synchronous") as cursor:
            row = await cursor.fetchone()
        assert row is not None and row[0] == 2
        # Reopening applies nothing twice.
        assert await apply_migrations(conn) == len(discover_migrations())
    finally:
        await conn.close()


async def test_fresh_postgres_database_is_migrated_once(postgres: PostgresServer) -> None:
    url = await new_empty_postgres_database(postgres)
    latest = len(discover_migrations(PG_MIGRATIONS_DIR))
    conn = await open_database(url)
    try:
        assert isinstance(conn, PgConnection)
        assert await schema_version(conn) == latest
        # Reopening applies nothing twice, and the version is one row, not one per migration.
        assert await apply_migrations(conn) == latest
        async with conn.execute("SELECT version FROM schema_version") as cursor:
            assert [tuple(row) for row in await cursor.fetchall()] == [(latest,)]
    finally:
        await conn.close()


async def test_two_processes_opening_an_empty_postgres_database_at_once_both_get_the_schema(
    postgres: PostgresServer,
) -> None:
    """Two bot processes started together on one new database: one migrates, the other waits on the advisory lock
    and then finds nothing left to do (without it, both would CREATE the same tables and one would fail)."""
    url = await new_empty_postgres_database(postgres)
    latest = len(discover_migrations(PG_MIGRATIONS_DIR))
    first, second = await asyncio.gather(open_database(url), open_database(url))
    try:
        assert await schema_version(first) == latest
        assert await schema_version(second) == latest
    finally:
        await first.close()
        await second.close()


READ_BOUND = 10
"""Seconds a version read may take while another process migrates; it needs milliseconds. Reads that waited for the
migration's transaction would wait until it ends, which in this test is never."""


async def test_reading_the_postgres_version_during_a_first_migration_neither_waits_nor_fails(
    postgres: PostgresServer,
) -> None:
    """``imgbot status`` (or a second process) reads the version while the first process is still migrating a new
    database: it reads the last committed version (none yet: 0), without creating or waiting for anything."""
    url = await new_empty_postgres_database(postgres)
    migrator = await asyncpg.connect(url)
    reader = await connect_postgres(url)
    try:
        migrating = migrator.transaction()
        await migrating.start()
        await migrator.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        await migrator.execute("INSERT INTO schema_version (version) VALUES (3)")
        assert await asyncio.wait_for(schema_version(reader), READ_BOUND) == 0
        await migrating.commit()
        assert await asyncio.wait_for(schema_version(reader), READ_BOUND) == 3
    finally:
        await migrator.close()
        await reader.close()


def failing_migrations(directory: Path) -> tuple[Migration, Migration]:
    good = directory / "0001_good.sql"
    good.write_text("CREATE TABLE a (x INTEGER);", encoding="utf-8")
    bad = directory / "0002_bad.sql"
    bad.write_text("CREATE TABLE b (x INTEGER);\nINSERT INTO missing VALUES (1);", encoding="utf-8")
    return Migration(1, good), Migration(2, bad)


async def test_failed_migration_leaves_previous_version(tmp_path: Path) -> None:
    good, bad = failing_migrations(tmp_path)
    conn = await aiosqlite.connect(tmp_path / "db.sqlite3")
    try:
        with pytest.raises(aiosqlite.OperationalError):
            await apply_migrations(conn, [good, bad])
        assert await schema_version(conn) == 1
        async with conn.execute("SELECT name FROM sqlite_master WHERE name = 'b'") as cursor:
            assert await cursor.fetchone() is None
    finally:
        await conn.close()


async def test_failed_postgres_migration_leaves_previous_version(tmp_path: Path, postgres: PostgresServer) -> None:
    """On PostgreSQL one run of the pending migrations is one transaction (it holds the advisory lock throughout):
    a failure leaves the version, and every table, as they were before the run."""
    good, bad = failing_migrations(tmp_path)
    conn = await connect_postgres(await new_empty_postgres_database(postgres))
    try:
        assert await apply_migrations(conn, [good]) == 1
        with pytest.raises(asyncpg.UndefinedTableError):
            await apply_migrations(conn, [good, bad])
        assert await schema_version(conn) == 1
        async with conn.execute("SELECT table_name FROM information_schema.tables WHERE table_name = 'b'") as cursor:
            assert await cursor.fetchone() is None
    finally:
        await conn.close()


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    conn = await aiosqlite.connect(tmp_path / "db.sqlite3")
    try:
        await conn.execute("PRAGMA user_version = 999")
        with pytest.raises(RuntimeError, match="newer than this code knows"):
            await apply_migrations(conn)
    finally:
        await conn.close()


async def test_newer_postgres_database_is_refused(postgres: PostgresServer) -> None:
    conn = await connect_postgres(await new_empty_postgres_database(postgres))
    try:
        await conn.executescript(
            "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (999);"
        )
        with pytest.raises(RuntimeError, match="newer than this code knows"):
            await apply_migrations(conn)
        assert await schema_version(conn) == 999
    finally:
        await conn.close()


def test_migration_numbers_have_no_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("", encoding="utf-8")
    (tmp_path / "0003_c.sql").write_text("", encoding="utf-8")
    with pytest.raises(RuntimeError, match="expected migration number 0002"):
        discover_migrations(tmp_path)
