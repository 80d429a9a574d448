"""Every failure of the command line is one clear line on stderr and a non-zero exit; tracebacks only on request."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA_DIR, REPO_ROOT


def imgbot(tmp_path: Path, *args: str, code: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a clean environment; ``code`` replaces a command with a function first (a planted bug)."""
    base = {
        "PATH": "/usr/bin:/bin",
        "DATA_DIR": str(DATA_DIR),
        "DATABASE_PATH": str(tmp_path / "var" / "bot.sqlite3"),
        "BACKUP_DIR": str(tmp_path / "var" / "backups"),
        "LOG_LEVEL": "WARNING",
    }
    program = ["-m", "bot", *args]
    if code is not None:
        program = ["-c", f"import sys, bot.__main__ as m\n{code}\nraise SystemExit(m.main(sys.argv[1:]))", *args]
    return subprocess.run(
        [sys.executable, *program],
        capture_output=True,
        text=True,
        env=base | env,
        cwd=tmp_path,  # no .env of the developer's
        timeout=60,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_backup_to_a_directory_that_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("", encoding="utf-8")
    _make_database(tmp_path)
    line = one_line(imgbot(tmp_path, "db", "backup", "--dir", str(blocker / "backups")))
    assert line == f"imgbot db backup: cannot use the backup directory {blocker / 'backups'}: Not a directory " + (
        f"({blocker / 'backups'})"
    )
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert "Permission denied" in one_line(imgbot(tmp_path, "db", "backup", "--dir", str(locked)))


def _make_database(tmp_path: Path) -> None:
    code = (
        "import asyncio, sys; from pathlib import Path; from bot.db.connection import open_database\n"
        "async def main():\n    conn = await open_database(Path(sys.argv[1]))\n    await conn.close()\n"
        "asyncio.run(main())"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "var" / "bot.sqlite3")], cwd=REPO_ROOT, check=True)


def test_operators_problems_are_one_line_each(tmp_path: Path) -> None:
    assert one_line(imgbot(tmp_path, "db", "backup")) == (
        f"imgbot db backup: there is no database at {tmp_path / 'var' / 'bot.sqlite3'} to back up"
    )
    assert one_line(imgbot(tmp_path, "db", "restore", str(tmp_path / "missing.sqlite3"))).startswith(
        "imgbot db restore: there is no backup file at"
    )
    assert one_line(imgbot(tmp_path, "db", "check", BACKUP_KEEP="0")) == (
        "imgbot db check: invalid settings (environment or .env): BACKUP_KEEP: Input should be greater than or "
        "equal to 1"
    )
    # SQLite telling about the machine (here: a database that cannot be opened) is the operator's to fix.
    cannot_open = (
        "import sqlite3\n"
        "def boom(args, settings):\n"
        "    sqlite3.connect('file:/nonexistent/dir/x.sqlite3?mode=rw', uri=True)\n"
        "m.cmd_db_check = boom"
    )
    line = one_line(imgbot(tmp_path, "db", "check", code=cannot_open))
    assert line.startswith("imgbot db check: the database ") and line.endswith("unable to open database file")
    # A connection to Discord lost on a path that did not ask Discord first is the network's doing, not a bug.
    lost = (
        "import aiohttp\ndef boom(args, settings):\n    raise aiohttp.ServerDisconnectedError()\nm.cmd_db_check = boom"
    )
    assert one_line(imgbot(tmp_path, "db", "check", code=lost)) == (
        "imgbot db check: cannot reach Discord at https://discord.com/api/v10 (Server disconnected): check this "
        "machine's network connection (and DISCORD_API_BASE, if it was changed)"
    )


@pytest.mark.parametrize("how", ["plain", "--verbose", "LOG_LEVEL=DEBUG"])
def test_a_bug_is_one_line_and_its_traceback_is_there_on_request(tmp_path: Path, how: str) -> None:
    bug = "def boom(args, settings):\n    raise KeyError('no such thing')\nm.cmd_db_check = boom"
    args = ["--verbose", "db", "check"] if how == "--verbose" else ["db", "check"]
    env = {"LOG_LEVEL": "DEBUG"} if how == "LOG_LEVEL=DEBUG" else {}
    done = imgbot(tmp_path, *args, code=bug, **env)
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last.startswith("imgbot db check: unexpected error, a bug: KeyError: 'no such thing'")
    if how == "plain":
        assert one_line(done).endswith("; run again with --verbose (or LOG_LEVEL=DEBUG) for the traceback")
    else:
        assert "Traceback (most recent call last)" in done.stderr and "in boom" in done.stderr
    # An SQL mistake in the code is a bug too, not the machine's problem.
    sql_bug = (
        "import sqlite3\n"
        "def boom(args, settings):\n"
        "    sqlite3.connect(':memory:').execute('SELECT nope FROM nowhere')\n"
        "m.cmd_db_check = boom"
    )
    assert (
        "unexpected error, a bug: OperationalError: no such table: nowhere"
        in imgbot(tmp_path, "db", "check", code=sql_bug).stderr
    )


def test_files_the_command_line_creates_are_owner_only(tmp_path: Path) -> None:
    code = (
        "import os\n"
        "os.umask(0o022)\n"
        "def probe(args, settings):\n"
        "    print(oct(os.umask(0o077)))\n"
        "    return 0\n"
        "m.cmd_db_check = probe"
    )
    done = imgbot(tmp_path, "db", "check", code=code)
    assert done.returncode == 0 and done.stdout.strip() == "0o77", done.stderr


def test_a_backup_on_a_full_disk_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    """The disk is full for the command alone: RLIMIT_FSIZE of 64 KiB, smaller than the database (about 270 KB)."""
    _make_database(tmp_path)
    backups = tmp_path / "var" / "backups"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "db", "backup"],
        capture_output=True,  # pipes, not files: the limit does not apply to them
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DATA_DIR": str(DATA_DIR),
            "DATABASE_PATH": str(tmp_path / "var" / "bot.sqlite3"),
            "BACKUP_DIR": str(backups),
        },
        cwd=tmp_path,
        timeout=60,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY)),
    )
    line = one_line(done)
    assert line.startswith(f"imgbot db backup: could not back up {tmp_path / 'var' / 'bot.sqlite3'} to {backups}: ")
    assert list(backups.iterdir()) == []
