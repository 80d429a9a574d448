"""Integrity checks, online backups and restores of the SQLite database.

Backups use SQLite's online backup API, which copies a consistent snapshot even while the bot keeps writing, so a
scheduled backup never needs the bot stopped. A restore is the opposite: it replaces the database file, so the bot
must be stopped first; the replaced file is kept beside it, never deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.db.connection import discover_migrations

log = logging.getLogger(__name__)

BACKUP_NAME = re.compile(r"^imgbot-(\d{8}T\d{6}Z)\.sqlite3$")


class BackupError(Exception):
    """A backup or restore could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    schema_version: int
    size_bytes: int


def check_integrity(path: Path) -> list[str]:
    """Problems SQLite finds in the file (empty when it is sound). `quick_check` is fast enough for every start."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
            problems = [] if rows == ["ok"] else rows
            problems += [f"foreign key violation in {r[0]}" for r in conn.execute("PRAGMA foreign_key_check")]
    except sqlite3.DatabaseError as exc:
        # "file is not a database", "database disk image is malformed": the file cannot even be read.
        return [str(exc)]
    return problems


def _schema_version(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def backup_database(source: Path, directory: Path, now: dt.datetime) -> BackupInfo:
    """Copy a consistent snapshot of ``source`` into ``directory`` and verify it."""
    if not source.exists():
        raise BackupError(f"there is no database at {source} to back up")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"imgbot-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.sqlite3"
    partial = target.with_suffix(".partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            # Pages are copied in steps so a long backup does not hold the database for the whole copy.
            src.backup(dst, pages=1024)
        finally:
            dst.close()
    finally:
        src.close()
    problems = check_integrity(partial)
    if problems:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup failed its integrity check: {'; '.join(problems[:3])}")
    partial.replace(target)
    info = BackupInfo(target, _schema_version(target), target.stat().st_size)
    log.info("database backed up to %s (%d bytes, schema %d)", target, info.size_bytes, info.schema_version)
    return info


def list_backups(directory: Path) -> list[Path]:
    """Backups in ``directory``, oldest first (the time stamp is in the name)."""
    if not directory.exists():
        return []
    return sorted(p for p in directory.iterdir() if BACKUP_NAME.match(p.name))


def prune_backups(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what was deleted."""
    backups = list_backups(directory)
    doomed = backups[: max(0, len(backups) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
        log.info("removed old backup %s", path)
    return doomed


def restore_database(backup: Path, target: Path, now: dt.datetime) -> Path | None:
    """Replace ``target`` with ``backup``; the bot must be stopped. Returns where the replaced file was kept."""
    if not backup.exists():
        raise BackupError(f"there is no backup file at {backup}")
    problems = check_integrity(backup)
    if problems:
        raise BackupError(f"{backup} is damaged ({'; '.join(problems[:3])}); choose another backup")
    version, known = _schema_version(backup), len(discover_migrations())
    if version > known:
        raise BackupError(
            f"{backup} has schema version {version}, newer than this code knows ({known}); "
            "restore it with the version of the bot that made it"
        )
    kept: Path | None = None
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        kept = target.with_name(f"{target.name}.before-restore-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")
        # Fold the write-ahead log into the main file first, so the kept copy is complete on its own.
        with sqlite3.connect(target) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        target.replace(kept)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    staged = target.with_name(target.name + ".restoring")
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(staged)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    staged.replace(target)
    log.info("restored %s from %s (schema %d; migrations run at the next start)", target, backup, version)
    return kept
