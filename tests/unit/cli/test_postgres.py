"""The database commands on PostgreSQL (DATABASE_URL), run as an operator runs them: the real command line in a
process of its own. `imgbot db migrate-to` moves an SQLite database over; `db backup|check|restore` and
`privacy delete` then work on PostgreSQL; nothing ever prints the URL's password."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.db.connection import open_database
from bot.db.lock import PostgresLock
from bot.knowledge.repository import KnowledgeFeedbackRepository
from tests.conftest import DATA_DIR, REPO_ROOT
from tests.postgres_server import PostgresServer
from tests.unit.db import postgres_helpers as pg
from tests.unit.knowledge.test_unanswered import NOW

ALICE = 731_245_678_901_234_567
PASSWORD = "s3cret-Pw"
"""The test server trusts every local login, so a URL may carry any password: it must never be printed."""


def imgbot(tmp_path: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(DATA_DIR),
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "PYTHONPATH": str(REPO_ROOT),
    }
    if url is not None:
        env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )


def with_password(url: str) -> str:
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@")


def shown(url: str) -> str:
    return url.replace(f":{PASSWORD}@", "@")


def printed(*runs: subprocess.CompletedProcess[str]) -> str:
    return "".join(run.stdout + run.stderr for run in runs)


async def sqlite_with_votes(path: Path, *users: int) -> None:
    conn = await open_database(path)
    try:
        for user in users:
            await KnowledgeFeedbackRepository(conn).record_vote("soap", user, True, NOW)
    finally:
        await conn.close()


@pytest.fixture
def target(postgres: PostgresServer) -> str:
    """An empty PostgreSQL database's URL, with a password in it."""
    return with_password(pg.new_empty_database(postgres))


def test_migrate_to_then_backup_check_and_restore_on_postgresql(tmp_path: Path, target: str) -> None:
    pg.run(sqlite_with_votes(tmp_path / "bot.sqlite3", ALICE, 1, 2))

    moved = imgbot(tmp_path, "db", "migrate-to", target)
    assert moved.returncode == 0, moved.stderr
    assert moved.stderr.splitlines() == [
        f"imgbot copies the SQLite database {tmp_path / 'bot.sqlite3'} into {shown(target)}."
    ]
    assert re.search(r"^entry_votes +3 +3$", moved.stdout, re.MULTILINE)
    assert re.search(r"^Copied \d+ tables, 3 rows \(every count equal\)", moved.stdout.splitlines()[-1])
    again = imgbot(tmp_path, "db", "migrate-to", target)
    assert again.returncode == 1
    assert again.stderr.splitlines()[-1] == (
        f"imgbot db migrate-to: refused: {shown(target)} already holds data (in entry_votes); "
        "migrate-to copies into an empty database only"
    )

    backup = imgbot(tmp_path, "db", "backup", url=target)
    assert backup.returncode == 0, backup.stderr
    [archive] = sorted((tmp_path / "backups").glob("imgbot-*.pgdump"))
    assert backup.stdout.startswith(f"Backed up {shown(target)} to {archive} (")
    check = imgbot(tmp_path, "db", "check", url=target)
    assert check.returncode == 0 and check.stderr.splitlines() == [f"imgbot checks the database {shown(target)}."]
    assert re.fullmatch(r"OK: schema version \d+; \d+ tables read through, \d+ rows\.\n", check.stdout)

    deleted = imgbot(tmp_path, "privacy", "delete", str(ALICE), "--yes", url=target)
    assert deleted.returncode == 0, deleted.stderr
    assert "the deletion is in the ledger (the schema deletion_ledger_file of the database)" in deleted.stdout
    assert pg.rows(target, "SELECT COUNT(*) FROM entry_votes") == [(2,)]

    restored = imgbot(tmp_path, "db", "restore", str(archive), url=target)
    assert restored.returncode == 0, restored.stderr
    lines = restored.stdout.splitlines()
    [(version,)] = pg.rows(target, "SELECT version FROM schema_version")
    assert lines[0] == f"Restored {shown(target)} from {archive} (schema {version})."
    assert "The database it replaced is kept, as an archive (restore it like a backup), as " in restored.stdout
    # The backup held Alice; the ledger, which no restore touches, deletes her again before the lock is released.
    assert "1 deletions applied again from the ledger (1 members)." in lines
    assert pg.rows(target, "SELECT COUNT(*) FROM entry_votes") == [(2,)]
    assert pg.rows(target, "SELECT COUNT(*) FROM entry_votes WHERE user_id = ?", ALICE) == [(0,)]
    assert PASSWORD not in printed(moved, again, backup, check, deleted, restored)


async def test_a_restore_is_refused_while_a_bot_runs_on_postgresql(tmp_path: Path, target: str) -> None:
    await sqlite_with_votes(tmp_path / "bot.sqlite3", 1)
    assert (await asyncio.to_thread(imgbot, tmp_path, "db", "migrate-to", target)).returncode == 0
    assert (await asyncio.to_thread(imgbot, tmp_path, "db", "backup", url=target)).returncode == 0
    [archive] = sorted((tmp_path / "backups").glob("imgbot-*.pgdump"))
    async with await PostgresLock.acquire(target, shown(target), "the bot", shared=False):
        refused = await asyncio.to_thread(imgbot, tmp_path, "db", "restore", str(archive), url=target)
    assert refused.returncode == 1 and refused.stdout == ""
    [line] = refused.stderr.splitlines()
    assert re.fullmatch(
        rf"imgbot db restore: refused: {re.escape(shown(target))} is in use by the bot \(pid \d+\)\. Stop the bot "
        r"first, then restore again \(nothing was changed\)",
        line,
    )


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://imgbot:{PASSWORD}@127.0.0.1:1/nowhere"
    where = "postgresql://imgbot@127.0.0.1:1/nowhere"
    check = imgbot(tmp_path, "db", "check", url=url)
    assert check.returncode == 1
    assert check.stderr.splitlines()[-1].startswith(f"imgbot db check: the database {where} cannot be used: ")
    backup = imgbot(tmp_path, "db", "backup", url=url)
    assert backup.returncode == 1
    assert backup.stderr.splitlines()[-1].startswith(f"imgbot db backup: could not back up {where}: pg_dump failed")
    # The target given on the command line only (no DATABASE_URL): still named, still without its password.
    pg.run(sqlite_with_votes(tmp_path / "bot.sqlite3", 1))
    moved = imgbot(tmp_path, "db", "migrate-to", url)
    assert moved.returncode == 1
    assert moved.stderr.splitlines()[-1].startswith(f"imgbot db migrate-to: the database {where} cannot be used: ")
    assert PASSWORD not in printed(check, backup, moved)


def test_migrate_to_needs_a_postgresql_target(tmp_path: Path) -> None:
    missing = imgbot(tmp_path, "db", "migrate-to")
    assert missing.returncode == 2 and "imgbot db migrate-to needs the PostgreSQL database" in missing.stderr
    wrong = imgbot(tmp_path, "db", "migrate-to", "mysql://root@localhost/bot")
    assert wrong.returncode == 2
    assert "the target must be a postgresql:// URL" in wrong.stderr and "--help" in wrong.stderr


async def test_local_mode_never_uses_database_url(tmp_path: Path) -> None:
    """--local reads local mode's own SQLite file even when DATABASE_URL names the real bot's PostgreSQL."""
    local = tmp_path / "local.sqlite3"
    conn = await open_database(local)
    await conn.close()
    done = await asyncio.to_thread(
        imgbot, tmp_path, "db", "check", "--local", url=f"postgresql://imgbot:{PASSWORD}@127.0.0.1:1/nowhere"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [f"imgbot checks the database {local} (local mode's)."]
