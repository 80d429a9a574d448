"""The database's promises with the real bot process: its lock (no restore, no second bot while it runs), a damaged
database at start-up, a full disk, and owner-only files."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import resource
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.db.backup import backup_database, list_backups
from bot.db.connection import open_database
from discord_emulator import Emulator, Reply, User, World
from discord_emulator.world import Channel
from tests.conftest import DATA_DIR
from tests.e2e.conftest import bot_env, running_bot
from tests.e2e.harness import BotProcess

pytestmark = pytest.mark.asyncio(loop_scope="function")

GROUP = "Night owls"


def query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        return conn.execute(sql, args).fetchall()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def imgbot(env: dict[str, str], *args: str, timeout: float = 120) -> BotProcess:  # noqa: ASYNC109 - as the harness's
    """Run one CLI command to its end (the harness scrubs the developer's environment); its output is ``.output``."""
    process = BotProcess([sys.executable, "-m", "bot", *args], env=env, name=" ".join(args[:2]))
    await process.start()
    await process.wait_exit(timeout)
    return process


def lines_of(process: BotProcess) -> list[str]:
    """What the command itself printed on failure (the log lines of LOG_LEVEL=INFO aside)."""
    return [line for line in process.output.splitlines() if line.startswith("imgbot ")]


async def run(emu: Emulator, command: str, options: dict[str, Any] | None = None, **kw: Any) -> Reply:
    return await (await emu.slash(command, options, **kw)).response()


async def check_in(emu: Emulator, user: User, channel: Channel, studied: str) -> Reply:
    opened = await run(emu, "checkin", user=user, channel=channel)
    assert opened.kind == "modal" and opened.modal is not None, opened
    return await (await emu.submit_modal(opened, {"studied": studied, "questions": "10"})).response()


async def test_restore_and_a_second_bot_are_refused_while_the_bot_runs(tmp_path: Path) -> None:
    database = tmp_path / "var" / "bot.sqlite3"
    backups = tmp_path / "var" / "backups"
    async with Emulator(World.default()) as emu:
        env = bot_env(emu, database, BACKUP_DIR=str(backups))
        alice, general = emu.world.users["alice"], emu.world.channel("general")
        async with running_bot(emu, database, BACKUP_DIR=str(backups)) as bot:
            backed_up = await imgbot(env, "db", "backup")  # a backup is fine while the bot runs
            assert backed_up.returncode == 0, backed_up.output
            [backup] = list_backups(backups)
            # Written after the backup: a restore now would throw it away.
            saved = await run(emu, "settings", {"timezone": "Asia/Kolkata"}, user=alice, channel=general)
            assert "Asia/Kolkata" in saved.content
            inode = database.stat().st_ino

            refused = await imgbot(env, "db", "restore", str(backup))
            assert refused.returncode == 1, refused.output
            assert lines_of(refused) == [
                f"imgbot db restore: refused: {database} is in use by the bot (pid {bot.pid}, since "
                + lines_of(refused)[0].split(", since ", 1)[1]
            ]
            assert "Stop the bot first" in refused.output and "Traceback" not in refused.output

            second = BotProcess(env=env, name="second-bot")
            await second.start()
            assert await second.wait_exit(60) == 1
            [line] = lines_of(second)
            assert line.startswith(
                f"imgbot run: cannot start: the database {database} is in use by the bot (pid {bot.pid}, since "
            )
            assert line.endswith("Stop that bot first, or give this one its own DATABASE_PATH")
            assert "Traceback" not in second.output

            # Nothing was replaced, and the bot goes on as before.
            assert database.stat().st_ino == inode and bot.running
            assert query(database, "SELECT timezone FROM study_member_settings WHERE user_id = ?", alice.id) == [
                ("Asia/Kolkata",)
            ]
            answer = await run(emu, "ask", {"question": "what is the match"}, user=alice, channel=general)
            assert answer.embeds

        # Stopped: the restore goes through, and the bot starts on the restored database.
        restored = await imgbot(env, "db", "restore", str(backup))
        assert restored.returncode == 0, restored.output
        assert "Carried over from the replaced database" in restored.output
        assert query(database, "SELECT COUNT(*) FROM study_member_settings") == [(0,)]
        async with running_bot(emu, database, name="after-restore", BACKUP_DIR=str(backups)):
            answer = await run(emu, "ask", {"question": "what is the match"}, user=alice, channel=general)
            assert answer.embeds
        emu.assert_clean()


async def test_a_damaged_database_stops_the_start_with_one_line_pointing_to_restore(tmp_path: Path) -> None:
    database = tmp_path / "var" / "bot.sqlite3"
    backups = tmp_path / "var" / "backups"
    conn = await open_database(database)
    await conn.close()
    backup = backup_database(database, backups, dt.datetime.now(dt.UTC)).path
    database.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8192)  # a disk error, a bad copy
    async with Emulator(World.default()) as emu:
        env = bot_env(emu, database, BACKUP_DIR=str(backups))
        bot = BotProcess(env=env, name="damaged")
        await bot.start()
        assert await bot.wait_exit(60) == 1
        assert "Traceback" not in bot.output
        [line] = lines_of(bot)
        assert line.startswith(f"imgbot run: the database {database} failed its integrity check (")
        assert line.endswith(f"Restore a backup with `imgbot db restore FILE` (backups are in {backups}).")
        assert line == bot.output.splitlines()[-1]

        # What the line says works. The damaged file holds no readable record of what was posted, so the restore
        # asks for the operator's consent to possible reposts first, and keeps the damaged file as it was.
        refused = await imgbot(env, "db", "restore", str(backup))
        assert refused.returncode == 1 and "--allow-reposts" in lines_of(refused)[-1]
        restored = await imgbot(env, "db", "restore", "--allow-reposts", str(backup))
        assert restored.returncode == 0, restored.output
        assert "kept, as it was, since it is damaged" in restored.output
        async with running_bot(emu, database, name="restored", BACKUP_DIR=str(backups)):
            pass


async def test_a_full_disk_fails_writes_cleanly_and_keeps_every_confirmed_check_in(tmp_path: Path) -> None:
    """The disk is made full for the bot alone with RLIMIT_FSIZE (set on the running process with prlimit): no file
    of the bot's may be written past its first byte, so every database write fails as on a full disk (SQLite
    reports an I/O error instead of "disk full"), without a privileged mount. Sockets and pipes are not files:
    Discord and the log still work."""
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu, running_bot(emu, database) as bot:
        world = emu.world
        admin, alice, bob = world.users["dr_admin"], world.users["alice"], world.users["bob"]
        general, study_room = world.channel("general"), world.channel("study-room")
        created = await run(
            emu, "studygroup-admin create", {"name": GROUP, "channel": study_room}, user=admin, channel=general
        )
        assert "created" in created.content
        choices = await emu.autocomplete("studygroup join", {"group": "night"}, user=alice, channel=general)
        for member in (alice, bob):
            joined = await run(
                emu, "studygroup join", {"group": str(choices[0]["value"])}, user=member, channel=general
            )
            assert "You joined" in joined.content
        confirmed = await check_in(emu, alice, general, "cardio block")
        assert confirmed.embeds[0]["title"] == "Check-in recorded ✅"

        assert bot.pid is not None
        soft, hard = resource.prlimit(bot.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(bot.pid, resource.RLIMIT_FSIZE, (1, hard))
        mark = bot.lines_so_far
        try:
            failed = await check_in(emu, bob, general, "renal block")
            assert failed.ephemeral and "Sorry, something went wrong" in failed.content, failed
            replaced = await check_in(emu, alice, general, "cardio and renal")  # today's, replaced: fails too
            assert "Sorry, something went wrong" in replaced.content
            assert bot.running
        finally:
            resource.prlimit(bot.pid, resource.RLIMIT_FSIZE, (soft, hard))
        # The log says what happened, under the reference each member was shown: the write failed on the disk.
        for reply in (failed, replaced):
            reference = reply.content.split("reference `", 1)[1].split("`", 1)[0]
            await bot.wait_for_output(rf"error {reference} in ", timeout=5, after=mark)
        logged = "\n".join(bot.output.splitlines()[mark:])
        assert logged.count("sqlite3.OperationalError: disk I/O error") >= 2, logged[-3000:]

        # Space again: the bot carries on without a restart, and the member can simply try again.
        again = await check_in(emu, bob, general, "renal block")
        assert again.embeds[0]["title"] == "Check-in recorded ✅", again
    assert bot.returncode == 0, bot.tail()
    assert query(database, "PRAGMA integrity_check") == [("ok",)]
    # Alice's confirmed check-in is kept as confirmed (her failed replacement changed nothing); Bob's failed one
    # left nothing, his retry is there.
    assert query(database, "SELECT user_id, studied FROM study_checkins ORDER BY user_id") == sorted(
        [(alice.id, "cardio block"), (bob.id, "renal block")]
    )


async def test_files_are_owner_only_and_older_ones_are_tightened_at_start(tmp_path: Path) -> None:
    var = tmp_path / "var"
    database = var / "bot.sqlite3"
    backups = var / "backups"
    conn = await open_database(database)
    await conn.close()
    old_backup = backups / "imgbot-20260101T000000Z.sqlite3"
    backups.mkdir()
    old_backup.write_bytes(database.read_bytes())
    for path in (database, old_backup):
        path.chmod(0o644)  # as an earlier version made them
    async with Emulator(World.default()) as emu, running_bot(emu, database, BACKUP_DIR=str(backups)) as bot:
        for path in (database, old_backup):
            await bot.wait_for_output(rf"tightened the permissions of {path} from 644 to 600", timeout=5)
            assert mode(path) == 0o600
        assert mode(Path(f"{database}.lock")) == 0o600 and mode(Path(f"{database}-wal")) == 0o600
        holder = await asyncio.to_thread(Path(f"{database}.lock").read_text, encoding="utf-8")
        assert holder.startswith(f"the bot (pid {bot.pid}, since ")


async def test_local_mode_writes_its_log_and_database_owner_only(tmp_path: Path) -> None:
    script = tmp_path / "try.txt"
    script.write_text("/ask question: what is the match\n", encoding="utf-8")
    var = tmp_path / "var"
    env = {
        "PATH": "/usr/bin:/bin",
        "DATA_DIR": str(DATA_DIR),
        "DATABASE_PATH": str(var / "imgbot.sqlite3"),
        "HOME": str(tmp_path),
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "run", "--local", "--script", str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert mode(var) == 0o700
    assert mode(var / "local-bot.log") == 0o600 and mode(var / "local.sqlite3") == 0o600
