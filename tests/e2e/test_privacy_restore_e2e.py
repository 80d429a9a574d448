"""A member who ran /mydata delete does not come back when an older copy of the database is put back: the real bot
process deletes them again at start-up, before it answers anyone. The restore is what an operator does by hand: stop
the bot, copy an older database file over the current one, start the bot."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from discord_emulator import Emulator, Reply, World
from discord_emulator.world import Channel, User
from tests.e2e.conftest import running_bot
from tests.e2e.mydata import delete_everything

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def run(emu: Emulator, command: str, options: dict[str, Any] | None, *, user: User, channel: Channel) -> Reply:
    return await (await emu.slash(command, options, user=user, channel=channel)).response()


def rows_naming(database: Path, user_id: int) -> list[tuple[str, tuple[Any, ...]]]:
    """Every row of every table in which any value contains the id."""
    needle, found = str(user_id), []
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            found += [(table, row) for row in conn.execute(f'SELECT * FROM "{table}"') if needle in str(row)]
    conn.close()
    return found


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy (SQLite's backup API, as a backup is made), the bot being stopped."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def put_back(backup: Path, database: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.write_bytes(backup.read_bytes())


async def test_a_member_deleted_since_an_older_backup_is_deleted_again_at_start(tmp_path: Path) -> None:
    database, old = tmp_path / "bot.sqlite3", tmp_path / "older-backup.sqlite3"
    # Backups every 12 hours, 3 kept: what /privacy and /mydata delete must state (none is due during the test).
    settings = {"BACKUP_INTERVAL_HOURS": "12", "BACKUP_KEEP": "3", "BACKUP_DIR": str(tmp_path / "backups")}
    async with Emulator(World.default()) as emu:
        carol, general = emu.world.users["carol"], emu.world.channel("general")

        async with running_bot(emu, database, name="first", **settings):
            await run(emu, "settings", {"timezone": "Europe/Berlin"}, user=carol, channel=general)
            answer = await run(emu, "ask", {"question": "what is soap"}, user=carol, channel=general)
            voted = await (await emu.click(answer, label="Helpful", user=carol)).response()
            assert "1 👍" in voted.content
            summary = await run(emu, "privacy", None, user=carol, channel=general)
            # The whole text, with the backups' section, is behind the summary's Details button.
            privacy = await (await emu.click(summary, custom_id="privacy:details", user=carol)).response()
            backups = {f["name"]: f["value"] for f in privacy.embeds[0]["fields"]}["Backups"]
            assert "Every 12 hours" in backups and "last 3 copies" in backups and "up to 36 hours" in backups
            assert "applied to it again" in backups
        assert {table for table, _ in rows_naming(database, carol.id)} == {"entry_votes", "study_member_settings"}
        copy_database(database, old)

        async with running_bot(emu, database, name="second"):
            asked = await run(emu, "mydata delete", None, user=carol, channel=general)
            done = await delete_everything(emu, asked, carol)
            assert done.content.startswith("Deleted: "), done.content
            assert "applied again if an older backup is ever restored" in done.content
            assert "Backups made before now still hold your data for up to 7 days" in done.content  # the defaults
        assert rows_naming(database, carol.id) == []

        put_back(old, database)
        assert rows_naming(database, carol.id), "the older copy holds her again"

        async with running_bot(emu, database, name="third", **settings) as bot:
            await bot.wait_for_output(r"deletion ledger: applied again 1 deletion\(s\) this database had not seen")
            assert rows_naming(database, carol.id) == []
            # Her /mydata export is empty again, and the bot works as before.
            exported = await run(emu, "mydata export", None, user=carol, channel=general)
            # Acknowledged before the export is built (Discord waits 3 s for an answer), the file sent after.
            assert exported.kind == "deferred" and exported.ephemeral
            assert b"Europe/Berlin" not in exported.attachments[0].data
            assert b'"knowledge_votes": []' in exported.attachments[0].data
        emu.assert_clean()
