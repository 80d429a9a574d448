"""Where local mode keeps its state, and the settings its bot runs with: the bot's side of local mode.

Part of the bot, not of the emulator (``discord_emulator.local`` runs the session): the database commands take
``--local`` to read local mode's database (``imgbot kb report --local``) and name the database they read, and they
must work without the emulator installed. ``imgbot run --local`` hands the emulator what it needs from here (the bot's
environment, its files, a database ready for a fresh emulator) as a ``discord_emulator.local.LocalBot``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings

log = logging.getLogger(__name__)

LOCAL_DATABASE = "local.sqlite3"


@dataclass(frozen=True)
class LocalPaths:
    """Where local mode keeps its state: beside the configured database, never in it."""

    root: Path
    database: Path
    log: Path
    files: Path

    @classmethod
    def beside(cls, database_path: Path) -> LocalPaths:
        root = database_path.expanduser().resolve().parent
        return cls(root, root / LOCAL_DATABASE, root / "local-bot.log", root / "local-files")


def local_settings(settings: Settings, owner_ids: list[int] | None = None) -> Settings:
    """``settings`` as local mode's bot has them: its own database, and every other file or directory of a real bot
    (backups...) replaced by a ``local-`` one beside it, so trying things never touches a real bot's data. The
    knowledge data is the same. ``owner_ids``: the emulated world's owners (real owners' ids mean nothing there)."""
    paths = LocalPaths.beside(settings.database_path)
    # Local mode's database is always its own SQLite file, never the real bot's PostgreSQL (DATABASE_URL).
    update: dict[str, object] = {
        "database_path": paths.database,
        "database_url": None,
        "owner_ids": list(owner_ids or []),
    }
    for name in Settings.model_fields:
        if name in ("database_path", "data_dir") or not isinstance(getattr(settings, name), Path):
            continue
        stem = name.removesuffix("_dir").removesuffix("_path").replace("_", "-")
        update[name] = paths.root / f"local-{stem}"
    return settings.model_copy(update=update)


def forget_command_registration(database: Path) -> None:
    """Let the bot register its commands again at start-up.

    The bot skips registration when its database says the same definitions were registered before. Discord
    remembers them across restarts; the emulator starts empty every run, so without this a second run would have
    no commands at all.
    """
    if not database.exists():
        return
    with contextlib.closing(sqlite3.connect(database)) as conn:
        try:
            conn.execute("DELETE FROM bot_meta WHERE key LIKE 'commands_hash:%'")
            conn.commit()
        except sqlite3.OperationalError:
            log.debug("no bot_meta table in %s yet", database)


def bot_environment(settings: Settings, emu_env: dict[str, str], owner_ids: list[int]) -> dict[str, str]:
    """The bot's environment: the person's settings, but Discord, the database and every other path local
    (``local_settings``), and the emulated world's ``owner_ids`` as its owners."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in _settings_keys() and not k.startswith("DISCORD_")}
    for name, value in local_settings(settings, owner_ids).model_dump(mode="json").items():
        if value is not None:
            env[name.upper()] = value if isinstance(value, str) else json.dumps(value)
    env.update(emu_env)
    env.update(
        {
            "DATA_DIR": str(settings.data_dir.expanduser().resolve()),
            "LOG_LEVEL": "DEBUG" if settings.log_level == "DEBUG" else "WARNING",
            # A developer's test server belongs to real Discord, not to the emulated one.
            "DEV_GUILD_ID": "",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _settings_keys() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def prepare_local(paths: LocalPaths) -> None:
    """Before local mode starts the bot: its directory exists, and its database lets it register its commands."""
    paths.root.mkdir(parents=True, exist_ok=True)
    forget_command_registration(paths.database)
