"""`imgbot privacy delete|export USER_ID` (requests that arrive outside Discord) and `imgbot kb report [--server]`,
run as an operator runs them: the real command line in a process of its own, against a database file."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from bot.content import Content
from bot.db.connection import open_database
from bot.deletion_ledger import ledger_path_for
from bot.knowledge.repository import KnowledgeFeedbackRepository
from bot.privacy import personal_data_for
from tests.conftest import DATA_DIR, REPO_ROOT
from tests.unit.knowledge.test_unanswered import NOW, SERVER_A, SERVER_B
from tests.unit.test_deletion_ledger import Installation
from tests.unit.test_personal_data import ALICE, BOB, clock, populate, traces


def imgbot(database: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(DATA_DIR),
        "DATABASE_PATH": str(database),
        "PYTHONPATH": str(REPO_ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=60
    )


def read_file(path: Path) -> tuple[int, str]:
    """The file's permission bits and text."""
    return stat.S_IMODE(path.stat().st_mode), path.read_text(encoding="utf-8")


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


async def populated(tmp_path: Path, content: Content) -> Installation:
    bot = Installation(tmp_path / "bot.sqlite3", content)
    await bot.start()
    await populate(bot.db, bot.services())
    await bot.stop()
    return bot


async def test_delete_asks_for_yes_and_refuses_what_is_not_a_user_id(tmp_path: Path, content: Content) -> None:
    bot = await populated(tmp_path, content)
    for bad in ("alice", "12345", "-1", "1" * 20):
        done = imgbot(bot.database, "privacy", "delete", bad, "--yes", cwd=tmp_path)
        assert done.returncode == 2 and done.stdout == ""
        assert "is not a Discord user id" in one_line(done.stderr), bad
    unconfirmed = imgbot(bot.database, "privacy", "delete", str(ALICE), cwd=tmp_path)
    assert unconfirmed.returncode == 2 and "--yes" in one_line(unconfirmed.stderr)
    await bot.start()
    assert "study_checkins" in await traces(bot.db, ALICE), "nothing was deleted without --yes"
    await bot.stop()


async def test_delete_does_what_mydata_delete_does_and_survives_a_restore(tmp_path: Path, content: Content) -> None:
    bot = await populated(tmp_path, content)
    old = bot.backup("old.sqlite3")
    await bot.start()
    bob_before = await traces(bot.db, BOB)
    await bot.stop()

    done = imgbot(bot.database, "privacy", "delete", str(ALICE), "--yes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    line = one_line(done.stdout)
    assert line.startswith(f"Deleted everything stored about user {ALICE} (1 vote on an answer,"), line
    assert "2 study-group check-ins" in line and str(ledger_path_for(bot.database)) in line
    await bot.start()
    assert await traces(bot.db, ALICE) == {}
    assert await traces(bot.db, BOB) == bob_before
    await bot.stop()

    # The operator's deletion is in the same ledger as /mydata delete: an older backup restored is cleaned at start.
    bot.restore(old)
    await bot.start()
    assert await traces(bot.db, ALICE) == {}
    await bot.stop()

    again = imgbot(bot.database, "privacy", "delete", str(ALICE), "--yes", cwd=tmp_path)
    assert again.returncode == 0 and "(nothing was stored)" in one_line(again.stdout)


async def test_export_writes_what_mydata_export_sends(tmp_path: Path, content: Content) -> None:
    bot = await populated(tmp_path, content)
    done = imgbot(bot.database, "privacy", "export", str(ALICE), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    line = one_line(done.stdout)
    written = Path(line.removeprefix(f"Exported everything stored about user {ALICE} to ").removesuffix("."))
    assert written.parent == tmp_path and written.name.startswith(f"imgbot-export-{ALICE}-")
    mode, text = read_file(written)
    assert mode == 0o600
    exported = json.loads(text)

    conn = await open_database(bot.database)
    try:
        expected = await personal_data_for(conn, content, clock=clock).export(ALICE)
    finally:
        await conn.close()
    assert {k: v for k, v in exported.items() if k != "exported_at"} == {
        k: v for k, v in expected.items() if k != "exported_at"
    }
    assert str(BOB) not in text

    chosen = tmp_path / "alice.json"
    assert imgbot(bot.database, "privacy", "export", str(ALICE), "--out", str(chosen), cwd=tmp_path).returncode == 0
    again = imgbot(bot.database, "privacy", "export", str(ALICE), "--out", str(chosen), cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in one_line(again.stderr)
    nowhere = imgbot(
        bot.database, "privacy", "export", str(ALICE), "--out", str(tmp_path / "no" / "x.json"), cwd=tmp_path
    )
    assert nowhere.returncode == 1 and "cannot write" in one_line(nowhere.stderr)
    bad = imgbot(bot.database, "privacy", "export", "bob", cwd=tmp_path)
    assert bad.returncode == 2 and "is not a Discord user id" in one_line(bad.stderr)


def test_privacy_commands_refuse_a_database_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite3"
    for args in (("delete", str(ALICE), "--yes"), ("export", str(ALICE))):
        done = imgbot(missing, "privacy", *args, cwd=tmp_path)
        assert done.returncode == 1 and "There is no database" in one_line(done.stderr), args
    assert not missing.exists(), "no database is created by a typo in DATABASE_PATH"


async def test_kb_report_shows_one_server_or_every_server_with_its_id(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    conn = await open_database(database)
    try:
        feedback = KnowledgeFeedbackRepository(conn)
        await feedback.record_unanswered("night float schedule in pgy1", SERVER_A, NOW)
        await feedback.record_unanswered("best pizza near my rotation", SERVER_B, NOW)
        await feedback.record_unanswered("where do i park", None, NOW)
    finally:
        await conn.close()

    one = imgbot(database, "kb", "report", "--server", str(SERVER_A), cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert (
        f"in server {SERVER_A}, similar wordings together:" in one.stdout
        and "night float schedule in pgy1" in one.stdout
    )
    assert "pizza" not in one.stdout and "park" not in one.stdout

    every = imgbot(database, "kb", "report", cwd=tmp_path)
    assert every.returncode == 0, every.stderr
    lines = every.stdout.splitlines()
    assert any(f"server {SERVER_A}" in ln and "night float" in ln for ln in lines)
    assert any(f"server {SERVER_B}" in ln and "pizza" in ln for ln in lines)
    assert any("no server" in ln and "where do i park" in ln for ln in lines)
