"""The database's files: paths with URI characters, owner-only permissions, and the lock beside the database."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.db.backup import backup_database, check_integrity, ensure_sound, restore_database
from bot.db.connection import open_database
from bot.db.errors import DatabaseUnusable
from bot.db.files import sqlite_uri, tighten_permissions
from bot.db.lock import DatabaseInUse, DatabaseLock, lock_path
from tests.conftest import DATA_DIR, REPO_ROOT
from tests.unit.db.conftest import connect, make_db

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
# Every character SQLite's URI parser treats specially, in a directory name and in the file's name.
AWKWARD_DIR = "a b#c?d%41e&f=g"
AWKWARD_NAME = "bot #1?%20.sqlite3"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def count_votes(path: Path) -> int:
    with connect(sqlite_uri(path, mode="ro"), uri=True) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM entry_votes").fetchone()[0])


# -- paths ----------------------------------------------------------------------------------------------------------


def test_the_uri_names_the_file_and_nothing_shorter(tmp_path: Path) -> None:
    path = tmp_path / AWKWARD_DIR / AWKWARD_NAME
    uri = sqlite_uri(path, mode="ro")
    assert uri.endswith("?mode=ro") and uri.count("?") == 1 and "#" not in uri and " " not in uri
    path.parent.mkdir()
    with connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with connect(uri, uri=True) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]


def test_every_way_of_opening_the_database_finds_an_awkwardly_named_file(tmp_path: Path) -> None:
    directory = tmp_path / AWKWARD_DIR
    database = directory / AWKWARD_NAME
    # What an unescaped URI opened instead: the path cut at '#' (or '?'). A sound database there must not stand
    # in for the real one.
    stray = tmp_path / "a b"
    with connect(stray) as conn:
        conn.execute("CREATE TABLE stray (x)")

    asyncio.run(make_db(database))
    assert sorted(p.name for p in directory.iterdir()) == [AWKWARD_NAME]
    assert check_integrity(database) == []

    backups = tmp_path / "back ups #2?"
    info = backup_database(database, backups, NOW)
    assert count_votes(info.path) == 3  # tables and rows, not an empty copy of a stray file
    with connect(sqlite_uri(database, mode="rw"), uri=True) as conn, conn:
        conn.execute("INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES ('soap', 10, 1, 'x')")
    assert count_votes(database) == 4
    result = restore_database(info.path, database, NOW)
    assert result.kept is not None and count_votes(database) == 3

    status = subprocess.run(
        [sys.executable, "-m", "bot", "status", "--json"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DATA_DIR": str(DATA_DIR), "DATABASE_PATH": str(database)},
        cwd=tmp_path,
        timeout=60,
    )
    assert status.returncode == 3, status.stderr  # read, and not running: never started on this database
    assert '"running": false' in status.stdout

    database.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    assert check_integrity(database)
    with pytest.raises(DatabaseUnusable):
        ensure_sound(database, backups)
    with connect(stray) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("stray",)]


# -- permissions ----------------------------------------------------------------------------------------------------


def test_a_new_database_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    database = tmp_path / "var" / "data" / "bot.sqlite3"
    old = os.umask(0o022)
    try:

        async def open_and_write() -> None:
            conn = await open_database(database)
            try:
                await conn.execute(
                    "INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES ('soap', 1, 1, 'x')"
                )
                await conn.commit()
                # While open, in WAL mode: the side files exist, with the database's mode.
                assert mode(Path(f"{database}-wal")) == mode(Path(f"{database}-shm")) == 0o600
            finally:
                await conn.close()

        asyncio.run(open_and_write())
        with DatabaseLock.acquire(database, "the bot"):
            assert mode(lock_path(database)) == 0o600
    finally:
        os.umask(old)
    assert mode(database) == 0o600
    assert mode(database.parent) == mode(database.parent.parent) == 0o700


def test_existing_files_are_tightened_with_a_line_each(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    var = tmp_path / "var"
    backups = var / "backups"
    backups.mkdir(parents=True, mode=0o755)
    var.chmod(0o755)
    database = var / "bot.sqlite3"
    open_files = [
        database,
        Path(f"{database}-wal"),
        Path(f"{database}.lock"),
        var / "bot.sqlite3.before-restore-20261101T000000Z",
        var / "local-bot.log",
        backups / "imgbot-20261101T000000Z.sqlite3",
    ]
    for path in [*open_files, var / "notes.txt"]:
        path.write_bytes(b"")
        path.chmod(0o644)
    with caplog.at_level(logging.INFO, logger="bot.db.files"):
        changed = tighten_permissions(database, backups, [backups / "imgbot-20261101T000000Z.sqlite3"])
    assert sorted(changed) == sorted(open_files)
    assert all(mode(path) == 0o600 for path in open_files)
    assert mode(var / "notes.txt") == 0o644  # not the bot's
    lines = [r.getMessage() for r in caplog.records]
    assert sum("tightened the permissions of" in line and "from 644 to 600" in line for line in lines) == 6
    # Directories are named, not changed: one may be shared.
    assert mode(var) == mode(backups) == 0o755
    assert sum("other users can open the directory" in line and "chmod 700" in line for line in lines) == 2
    caplog.clear()
    assert tighten_permissions(database, backups) == []


# -- the lock -------------------------------------------------------------------------------------------------------


def test_the_lock_refuses_a_second_holder_and_says_who_holds_it(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    with DatabaseLock.acquire(database, "the bot") as held:
        assert held.held
        with pytest.raises(DatabaseInUse) as refused:
            DatabaseLock.acquire(database, "a restore")
        assert str(refused.value).startswith(f"the database {database} is in use by the bot (pid {os.getpid()}")
    assert not held.held
    with DatabaseLock.acquire(database, "a restore"):
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from bot.db.lock import DatabaseLock; "
            "lock = DatabaseLock.acquire(Path(sys.argv[1]), 'the bot'); print('held', flush=True); time.sleep(60)",
            str(database),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(DatabaseInUse, match=f"pid {holder.pid}"):
            DatabaseLock.acquire(database, "the bot")
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    # The kernel released it with the process: no clean-up, no stale lock.
    with DatabaseLock.acquire(database, "the bot"):
        pass
