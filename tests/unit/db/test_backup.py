"""Backups: one-step snapshots that finish under write load, leave nothing behind and clean up after older versions;
on PostgreSQL, checked pg_dump archives named and kept the same way (bot/db/pg_backup.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import ImgBot
from bot.content import Content
from bot.db import pg_backup
from bot.db.backup import (
    BackupError,
    backup_database,
    check_integrity,
    ensure_sound,
    list_backups,
    prune_backups,
    remove_leftovers,
    restore_database,
)
from bot.db.connection import PG_MIGRATIONS_DIR, discover_migrations, open_database
from bot.db.errors import DatabaseUnusable
from bot.db.pg_backup import (
    LEDGER_SCHEMA,
    archive_version,
    backup_postgres,
    check_postgres,
    libpq_target,
    list_pg_backups,
    pg_program,
    prune_pg_backups,
)
from bot.deletion_ledger import DeletionLedger
from tests.conftest import DATA_DIR, REPO_ROOT, make_settings
from tests.postgres_server import PostgresServer
from tests.unit.db import postgres_helpers as pg
from tests.unit.db.conftest import connect, make_db

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def count_votes(path: Path) -> int:
    with connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM entry_votes").fetchone()[0])


def names(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


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
    # Nothing but the backup, even after it was read (a rollback-journal file: no -wal or -shm appear).
    assert names(tmp_path / "backups") == {info.path.name}


def test_backups_are_owner_only_in_an_owner_only_directory(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    asyncio.run(make_db(database, 1))
    directory = tmp_path / "new" / "backups"
    old_umask = os.umask(0o022)  # what an earlier version ran with: files 0644, directories 0755
    try:
        info = backup_database(database, directory, NOW)
    finally:
        os.umask(old_umask)
    assert mode(info.path) == 0o600
    assert mode(directory) == 0o700 and mode(directory.parent) == 0o700


def test_a_backup_removes_what_earlier_versions_left(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    asyncio.run(make_db(database, 3))
    directory = tmp_path / "backups"
    directory.mkdir()
    # What the backup API version left: a backup in WAL mode that was read (-wal, -shm beside it), and the
    # .partial of an unfinished one with its own -wal and -shm.
    old = directory / "imgbot-20261120T000000Z.sqlite3"
    with connect(database) as src, connect(old) as dst:
        src.backup(dst)
    with connect(f"file:{old}?mode=ro", uri=True) as reader:
        reader.execute("SELECT COUNT(*) FROM entry_votes").fetchone()
    assert {f"{old.name}-wal", f"{old.name}-shm"} <= names(directory)
    for leftover in ("imgbot-20261121T000000Z.partial", "imgbot-20261121T000000Z.partial-wal"):
        (directory / leftover).write_bytes(b"x" * 100)
    (directory / "imgbot-20261121T000000Z.partial-shm").write_bytes(b"")
    (directory / "imgbot-20261121T000001Z.sqlite3.partial").write_bytes(b"")
    (directory / "notes.txt").write_text("the operator's own file", encoding="utf-8")

    info = backup_database(database, directory, NOW)

    assert names(directory) == {old.name, info.path.name, "notes.txt"}
    # The earlier backup is still whole, and reading it again leaves nothing.
    assert count_votes(old) == 3 and check_integrity(old) == []
    assert names(directory) == {old.name, info.path.name, "notes.txt"}


def test_the_partial_file_of_a_backup_in_progress_is_left_alone(tmp_path: Path) -> None:
    directory = tmp_path / "backups"
    directory.mkdir()
    busy = directory / "imgbot-20261122T115959Z.sqlite3.partial"
    busy.write_bytes(b"")
    fd = os.open(busy, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as backup_database holds it while it writes
        assert remove_leftovers(directory) == []
        assert busy.exists()
    finally:
        os.close(fd)
    assert remove_leftovers(directory) == [busy]


def test_a_backup_in_a_directory_that_cannot_be_written_is_one_clear_error(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    asyncio.run(make_db(database, 1))
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(BackupError, match=r"cannot use the backup directory .*Not a directory"):
        backup_database(database, blocker / "backups", NOW)
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(BackupError, match="Permission denied"):
            backup_database(database, locked, NOW)


def test_nothing_to_back_up(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no database"):
        backup_database(tmp_path / "missing.sqlite3", tmp_path / "backups", NOW)
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    with pytest.raises(BackupError, match="holds no bot data"):
        backup_database(empty, tmp_path / "backups", NOW)
    assert list_backups(tmp_path / "backups") == [] and names(tmp_path / "backups") == set()


def test_a_backup_past_its_time_limit_is_abandoned_and_removed(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    asyncio.run(make_db(database, 2000))
    with pytest.raises(BackupError, match="took longer than 0 s and was abandoned"):
        backup_database(database, tmp_path / "backups", NOW, timeout=dt.timedelta(0))
    assert names(tmp_path / "backups") == set()


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


def test_damaged_or_newer_backups_are_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not sqlite" * 100)
    assert check_integrity(garbage)
    with pytest.raises(BackupError, match="damaged"):
        restore_database(garbage, tmp_path / "bot.sqlite3", NOW)
    newer = tmp_path / "newer.sqlite3"
    with connect(newer) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(BackupError, match="newer than this code knows"):
        restore_database(newer, tmp_path / "bot.sqlite3", NOW)
    assert not (tmp_path / "bot.sqlite3").exists()


def test_a_damaged_database_is_one_line_pointing_to_restore(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    database.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    with pytest.raises(DatabaseUnusable) as caught:
        ensure_sound(database, tmp_path / "backups")
    message = str(caught.value)
    assert "\n" not in message and "`imgbot db restore FILE`" in message and str(tmp_path / "backups") in message
    ensure_sound(tmp_path / "missing.sqlite3", tmp_path / "backups")  # nothing yet: created on start


async def test_bot_refuses_to_start_on_a_damaged_database(tmp_path: Path, content: Content) -> None:
    database = tmp_path / "bot.sqlite3"
    database.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    bot = ImgBot(make_settings(tmp_path, database_path=database), content)
    try:
        with pytest.raises(DatabaseUnusable, match="imgbot db restore"):
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
    assert "kept, as a checked copy, as" in restored.stdout and count_votes(database) == 5
    missing = imgbot("restore", str(tmp_path / "nope.sqlite3"))
    assert missing.returncode == 1
    assert missing.stderr == f"imgbot db restore: there is no backup file at {tmp_path / 'nope.sqlite3'}\n"


# -- PostgreSQL ---------------------------------------------------------------------------------------------------

SHOWN = "the test database"


def test_a_postgres_backup_is_a_checked_private_archive_without_the_ledger(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = pg.new_database(postgres)
    pg.vote(url, 1, 2)
    pg.run(_delete_through_the_ledger(url))
    directory = tmp_path / "new" / "backups"
    old_umask = os.umask(0o022)
    try:
        info = backup_postgres(url, SHOWN, directory, NOW)
    finally:
        os.umask(old_umask)
    assert info.path == directory / "imgbot-20261122T120000Z.pgdump"
    assert info.schema_version == len(discover_migrations(PG_MIGRATIONS_DIR)) == archive_version(info.path)
    assert mode(info.path) == 0o600 and mode(directory) == 0o700
    assert names(directory) == {info.path.name}, "no .partial left"
    listing = subprocess.run(
        [str(pg_program("pg_restore")), "--list", str(info.path)], capture_output=True, text=True, check=True
    ).stdout
    assert "TABLE DATA public entry_votes" in listing
    assert LEDGER_SCHEMA not in listing, "the ledger must outlive a restore: never in a backup"


async def _delete_through_the_ledger(url: str) -> None:
    conn = await open_database(url)
    try:
        ledger = DeletionLedger(conn)
        await ledger.mark_applied([await ledger.record(1)])
    finally:
        await conn.close()


def test_postgres_backups_are_named_and_kept_like_sqlite_ones(postgres: PostgresServer, tmp_path: Path) -> None:
    url = pg.new_database(postgres)
    pg.vote(url, 1)
    backups = tmp_path / "backups"
    made = [backup_postgres(url, SHOWN, backups, NOW + dt.timedelta(hours=h)).path for h in range(3)]
    others = [backups / "imgbot-20261101T000000Z.sqlite3", backups / "before-restore-20261101T000000Z.pgdump"]
    for other in others:
        other.write_bytes(b"x")
    assert list_pg_backups(backups) == made
    with pytest.raises(BackupError, match="already exists"):
        backup_postgres(url, SHOWN, backups, NOW)
    assert prune_pg_backups(backups, keep=2) == made[:1]
    assert list_pg_backups(backups) == made[1:] and all(o.exists() for o in others)
    # What an unfinished backup left is removed by the next one.
    leftover = backups / "imgbot-20261122T150000Z.pgdump.partial"
    leftover.write_bytes(b"half")
    backup_postgres(url, SHOWN, backups, NOW + dt.timedelta(hours=5))
    assert not leftover.exists()


def test_a_failed_postgres_backup_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = "postgresql://imgbot:s3cret-pw@127.0.0.1:1/nowhere"
    address, env = libpq_target(url)
    assert address == "postgresql://imgbot@127.0.0.1:1/nowhere" and env["PGPASSWORD"] == "s3cret-pw"
    with pytest.raises(BackupError) as failed:
        backup_postgres(url, address, tmp_path / "backups", NOW)
    message = str(failed.value)
    assert message.startswith(f"could not back up {address}: pg_dump failed: ") and "connection" in message
    assert "s3cret" not in message and "\n" not in message
    assert names(tmp_path / "backups") == set()


def test_check_says_what_is_wrong_with_a_postgres_database(postgres: PostgresServer) -> None:
    url = pg.new_database(postgres)
    pg.vote(url, 1)
    report = pg.run(check_postgres(url))
    assert report.problems == [] and report.schema_version == report.known_version
    assert report.rows["entry_votes"] == 1 and "schema_version" not in report.rows
    pg.rows(url, "UPDATE schema_version SET version = 999")
    assert pg.run(check_postgres(url)).problems == [
        f"schema version 999 is newer than this code knows ({report.known_version}): run a newer bot"
    ]
    empty = pg.new_empty_database(postgres)
    assert "holds no bot data" in pg.run(check_postgres(empty)).problems[0]


async def test_the_bot_backs_postgres_up_on_schedule(
    postgres: PostgresServer, tmp_path: Path, content: Content
) -> None:
    url = await asyncio.to_thread(pg.new_database, postgres)
    backups = tmp_path / "backups"
    older = await asyncio.to_thread(backup_postgres, url, SHOWN, backups, NOW)
    bot = ImgBot(make_settings(tmp_path, database_url=url, backup_dir=backups, backup_keep=1), content)
    await bot._backup()  # the BACKUP_JOB worker's run
    [kept] = list_pg_backups(backups)
    assert kept != older.path and archive_version(kept) == older.schema_version
    assert list_backups(backups) == [], "no SQLite snapshot of DATABASE_PATH"


def test_the_client_programs_are_found_off_the_path_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Debian keeps them in /usr/lib/postgresql/<version>/bin, outside PATH when only the server is installed; the
    newest version is taken (15 before 9.6, whatever their names' order)."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # neither pg_dump nor pg_config on it
    monkeypatch.setattr(pg_backup, "DEBIAN_PROGRAMS", tmp_path / "postgresql")
    with pytest.raises(BackupError, match=r"pg_dump is not installed: .*apt-get install postgresql-client"):
        pg_program("pg_dump")
    for version in ("9.6", "15", "13"):
        program = tmp_path / "postgresql" / version / "bin" / "pg_dump"
        program.parent.mkdir(parents=True)
        program.write_text("#!/bin/sh\n", encoding="utf-8")
    assert pg_program("pg_dump") == tmp_path / "postgresql" / "15" / "bin" / "pg_dump"
