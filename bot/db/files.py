"""The database's files on disk: how SQLite is told their names, and who may read them.

Every place that opens the database through a URI (read-only checks, backups, restores, ``imgbot status``) builds it
with ``sqlite_uri``, so a path holding ``#``, ``?``, ``%`` or a space names that file and not a shorter, stray one.

The database, its backups, the bot's logs and the lock beside the database hold members' data or say who runs the
bot: they are created readable by their owner only (0600, directories 0700), and ``tighten_permissions`` narrows
what an earlier version created more openly.
"""

from __future__ import annotations

import logging
import os
import stat
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database while it is open or after a crash."""
KEPT_INFIX = ".before-restore-"
"""``<database>.before-restore-<time>``: the database a restore replaced (``bot.db.backup``)."""


def sqlite_uri(path: Path | str, **params: str) -> str:
    """``file:`` URI of ``path`` with query ``params`` (``mode="ro"``...), every special character percent-escaped.

    SQLite cuts a URI at ``?`` and ``#`` and decodes ``%XX``, so an unescaped ``bot #1.sqlite3`` would open
    ``bot `` instead; ``Path.as_uri`` escapes them (and spaces, and non-ASCII bytes) and SQLite decodes them back.
    """
    uri = Path(path).expanduser().resolve().as_uri()
    return f"{uri}?{urllib.parse.urlencode(params)}" if params else uri


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents readable by the owner only (0700); an existing directory is left as
    it is (it may be shared, such as /tmp or a home directory)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # made meanwhile by another process: someone else's choice of mode
        # mkdir's mode passes through the umask; make sure, whatever the umask of the caller.
        directory.chmod(PRIVATE_DIR)
    return path


def create_private_file(path: Path) -> None:
    """Create ``path`` empty, owner-only, failing if it exists (SQLite keeps the mode of a file it is given and
    gives the same mode to the ``-wal`` and ``-shm`` files it makes beside it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (a crash right after could otherwise undo it)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def database_family(database: Path) -> list[Path]:
    """The database and the files beside it that belong to it: SQLite's side files, the lock, the copies restores
    kept (with their side files)."""
    names = [database, *(Path(f"{database}{suffix}") for suffix in (*SIDE_SUFFIXES, ".lock"))]
    if database.parent.is_dir():
        names += sorted(p for p in database.parent.iterdir() if p.name.startswith(database.name + KEPT_INFIX))
    return names


def tighten_permissions(database: Path, backup_dir: Path, others: Iterable[Path] = ()) -> list[Path]:
    """Make the bot's existing files owner-only; returns the files changed, each logged.

    Files: the database family, the logs beside the database (``*.log``: local mode's ``local-bot.log``) and the
    ``others`` given (the backups, ``bot.db.backup.list_backups``; the deletion ledger). Directories are never
    changed here, since one may be shared; a WARNING names each that other users can open, with the command that
    closes it.
    """
    candidates = database_family(database) + list(others)
    if database.parent.is_dir():
        candidates += sorted(p for p in database.parent.glob("*.log") if p.is_file())
    changed = tighten_files(candidates)
    _warn_open_directories((database.parent, backup_dir))
    return changed


def tighten_files(candidates: Iterable[Path]) -> list[Path]:
    """Make each existing regular file of ``candidates`` owner-only; returns those changed, each logged. (On
    PostgreSQL the bot's only files are its backups: ``bot.__main__`` tightens those alone.)"""
    changed = []
    for path in candidates:
        try:
            mode = stat.S_IMODE(path.lstat().st_mode)
        except FileNotFoundError:
            continue
        if path.is_symlink() or not path.is_file() or mode & 0o077 == 0:
            continue
        path.chmod(mode & ~0o077)
        log.info("tightened the permissions of %s from %03o to %03o (owner only)", path, mode, mode & ~0o077)
        changed.append(path)
    return changed


def _warn_open_directories(directories: Iterable[Path]) -> None:
    for directory in dict.fromkeys(directories):
        try:
            mode = stat.S_IMODE(directory.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            log.warning(
                "other users can open the directory %s (mode %03o), which holds the bot's data; "
                "`chmod 700 %s` closes it (the bot does not change a directory it did not create)",
                directory,
                mode,
                directory,
            )
