"""Where local mode keeps its state, and the settings its bot runs with: the bot's side of local mode.

Part of the bot, not of the emulator (``discord_emulator.local`` starts that): the database commands take
``--local`` to read local mode's database (``imgbot kb report --local``) and name the database they read, and they
must work without the emulator installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings

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
    update: dict[str, object] = {"database_path": paths.database, "owner_ids": list(owner_ids or [])}
    for name in Settings.model_fields:
        if name in ("database_path", "data_dir") or not isinstance(getattr(settings, name), Path):
            continue
        stem = name.removesuffix("_dir").removesuffix("_path").replace("_", "-")
        update[name] = paths.root / f"local-{stem}"
    return settings.model_copy(update=update)
