"""Local mode's settings (bot/local_mode.py, discord_emulator/local/): its own files beside the configured
database, the same knowledge data, and the emulated server's owner as the bot's owner."""

from __future__ import annotations

import json
from pathlib import Path

from bot.config import Settings
from bot.local_mode import LocalPaths, bot_environment, local_settings
from discord_emulator.local import local_owner_ids
from discord_emulator.world import World
from tests.conftest import DATA_DIR


def configured(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_path=tmp_path / "var" / "imgbot.sqlite3",
        backup_dir=tmp_path / "backups",
        data_dir=DATA_DIR,
        owner_ids=[402117894126911488],
    )


def test_local_mode_keeps_every_file_of_its_own_beside_the_configured_database(tmp_path: Path) -> None:
    settings = configured(tmp_path)
    local = local_settings(settings, [123])
    var = (tmp_path / "var").resolve()
    assert local.database_path == LocalPaths.beside(settings.database_path).database == var / "local.sqlite3"
    assert local.backup_dir == var / "local-backup"
    assert local.data_dir == settings.data_dir  # the same knowledge base
    assert local.owner_ids == [123]  # a real owner's id means nothing in the emulated world
    assert settings.database_path == tmp_path / "var" / "imgbot.sqlite3"  # the configured settings are unchanged


def test_the_local_bot_has_the_default_servers_owner_as_its_owner(tmp_path: Path) -> None:
    world = World.default()
    dr_admin = world.users["dr_admin"]
    assert local_owner_ids(world) == [dr_admin.id]
    env = bot_environment(configured(tmp_path), {"DISCORD_TOKEN": "emulator-token"}, local_owner_ids(world))
    assert json.loads(env["OWNER_IDS"]) == [dr_admin.id]
    assert env["DATABASE_PATH"] == str((tmp_path / "var" / "local.sqlite3").resolve())
    assert env["BACKUP_DIR"] == str((tmp_path / "var" / "local-backup").resolve())
    assert env["DISCORD_TOKEN"] == "emulator-token" and env["DEV_GUILD_ID"] == ""
