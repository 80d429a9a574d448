from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import ImgBot
from bot.content import Content
from bot.db.backup import BackupError, backup_database, check_integrity, list_backups, prune_backups, restore_database
from bot.db.connection import discover_migrations, open_database
from tests.conftest import DATA_DIR, REPO_ROOT, make_settings

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


async def make_db(path: Path, votes: int) -> None:
    conn = await open_database(path)
    try:
        for user in range(votes):
            await conn.execute(
                "INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES ('soap', ?, 1, 'x')", (user,)
            )
        await conn.commit()
    finally:
        await conn.close()


def count_votes(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM entry_votes").fetchone()[0])


async def test_online_backup_while_the_bot_writes(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    await make_db(database, 100)
    writer = await open_database(database)
    try:

        async def keep_writing() -> None:
            for user in range(100, 400):
                await writer.execute(
                    "INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES ('soap', ?, 0, 'x')", (user,)
                )
                await writer.commit()

        task = asyncio.create_task(keep_writing())
        info = await asyncio.to_thread(backup_database, database, tmp_path / "backups", NOW)
        await task
    finally:
        await writer.close()
    assert check_integrity(info.path) == []
    assert info.schema_version == len(discover_migrations())
    # A consistent snapshot: at least what was committed before, never a torn row.
    assert 100 <= count_votes(info.path) <= 400


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for hour in range(5):
        (tmp_path / f"imgbot-20261122T{hour:02d}0000Z.sqlite3").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a backup", encoding="utf-8")
    removed = prune_backups(tmp_path, keep=2)
    assert [p.name for p in removed] == [f"imgbot-20261122T{h:02d}0000Z.sqlite3" for h in range(3)]
    assert [p.name for p in list_backups(tmp_path)] == [
        "imgbot-20261122T030000Z.sqlite3",
        "imgbot-20261122T040000Z.sqlite3",
    ]
    assert (tmp_path / "notes.txt").exists()


async def test_restore_replaces_and_keeps_the_old_file(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    await make_db(database, 3)
    backup = backup_database(database, tmp_path / "backups", NOW).path
    await make_db(database, 0)
    with sqlite3.connect(database) as conn:
        conn.execute("DELETE FROM entry_votes")
    kept = restore_database(backup, database, NOW)
    assert count_votes(database) == 3
    assert kept is not None and count_votes(kept) == 0


def test_damaged_or_newer_backups_are_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not sqlite" * 100)
    assert check_integrity(garbage)
    with pytest.raises(BackupError, match="damaged"):
        restore_database(garbage, tmp_path / "bot.sqlite3", NOW)
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(BackupError, match="newer than this code knows"):
        restore_database(newer, tmp_path / "bot.sqlite3", NOW)
    with pytest.raises(BackupError, match="no database"):
        backup_database(tmp_path / "missing.sqlite3", tmp_path / "backups", NOW)


async def test_bot_refuses_to_start_on_a_damaged_database(tmp_path: Path, content: Content) -> None:
    database = tmp_path / "bot.sqlite3"
    database.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    bot = ImgBot(make_settings(tmp_path, database_path=database), content)
    try:
        with pytest.raises(RuntimeError, match="imgbot db restore"):
            await bot.prepare()
    finally:
        await bot.close()


def test_cli_backup_check_restore(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    asyncio.run(make_db(database, 5))
    env = {
        "PATH": "/usr/bin:/bin",
        "DATA_DIR": str(DATA_DIR),
        "DATABASE_PATH": str(database),
        "LOG_LEVEL": "WARNING",
        "BACKUP_DIR": str(tmp_path / "backups"),
    }

    def imgbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "db", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            timeout=60,
        )

    done = imgbot("backup")
    assert done.returncode == 0, done.stderr
    backup = list_backups(tmp_path / "backups")[0]
    assert imgbot("check").stdout.startswith("OK")
    restored = imgbot("restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "kept as" in restored.stdout and count_votes(database) == 5
    assert imgbot("restore", str(tmp_path / "nope.sqlite3")).returncode == 1
