from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from bot.db.connection import Migration, apply_migrations, discover_migrations, open_database, schema_version


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


async def test_failed_migration_leaves_previous_version(tmp_path: Path) -> None:
    good = tmp_path / "0001_good.sql"
    good.write_text("CREATE TABLE a (x INTEGER);", encoding="utf-8")
    bad = tmp_path / "0002_bad.sql"
    bad.write_text("CREATE TABLE b (x INTEGER);\nINSERT INTO missing VALUES (1);", encoding="utf-8")
    conn = await aiosqlite.connect(tmp_path / "db.sqlite3")
    try:
        with pytest.raises(aiosqlite.OperationalError):
            await apply_migrations(conn, [Migration(1, good), Migration(2, bad)])
        assert await schema_version(conn) == 1
        async with conn.execute("SELECT name FROM sqlite_master WHERE name = 'b'") as cursor:
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


def test_migration_numbers_have_no_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("", encoding="utf-8")
    (tmp_path / "0003_c.sql").write_text("", encoding="utf-8")
    with pytest.raises(RuntimeError, match="expected migration number 0002"):
        discover_migrations(tmp_path)
