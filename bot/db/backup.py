"""Integrity checks, online backups and restores of the SQLite database.

**Backups** are one-step snapshots: ``VACUUM INTO`` a temporary name in the backup directory, fsync, check, rename.
It reads the database in a single read transaction, so it finishes in time proportional to the database's size
however often the bot commits meanwhile (the backup API, which this replaces, restarted its copy after every
commit from another connection and could run forever), and it never blocks the bot's writes (WAL mode). The
snapshot is a plain rollback-journal file, so reading or checking it later creates no ``-wal`` or ``-shm`` files; a
backup leaves nothing but itself behind, and removes what earlier versions left (``.partial`` files and their
``-wal``/``-shm``, ``-wal``/``-shm`` files beside finished backups).

**Restores** replace the database file, so they refuse while the bot runs (it holds the database's lock,
``bot.db.lock``). What a restore does, in order, while holding that lock:

1. the backup is checked and copied (``VACUUM INTO``) beside the database, and brought to the current schema;
2. **the record of what was already done in Discord is carried over** from the database being replaced: the
   delivery journal (``deliveries``: every announcement, event reminder, study-group prompt, recap and nudge posted,
   claimed, skipped or failed), the Discord scheduled events the bot created (``milestone_discord_events``) and the
   scheduling watermarks (``bot_meta`` ``watermark:*``). A restore brings members' data back to the backup's time; it
   cannot take back messages already posted, and without that record the bot would post the last grace window's
   announcements a second time. When there is no database to take it from (or it cannot be read at all), the
   restore is refused unless the operator accepts reposts (``allow_reposts``);
3. the replaced database is kept beside it as a checked snapshot (``<name>.before-restore-<time>``; as it was, with
   its side files, when it is damaged and no snapshot can be made of it);
4. the new file is renamed into place (one atomic rename: a crash before it leaves the old database untouched).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from bot.db.connection import apply_migrations_sync, discover_migrations
from bot.db.errors import DatabaseProblem, DatabaseUnusable
from bot.db.files import (
    KEPT_INFIX,
    PRIVATE_FILE,
    SIDE_SUFFIXES,
    create_private_file,
    fsync_dir,
    fsync_file,
    private_dir,
    sqlite_uri,
)
from bot.db.lock import DatabaseInUse, DatabaseLock

log = logging.getLogger(__name__)

BACKUP_NAME = re.compile(r"^imgbot-(\d{8}T\d{6}Z)\.sqlite3$")
_LEFTOVER = re.compile(r"^imgbot-\d{8}T\d{6}Z\.(?:sqlite3(?:\.partial)?|partial)(?:-wal|-shm|-journal)?$")
"""Unfinished backups and side files, of this version (``.sqlite3.partial``) and earlier ones (``.partial``)."""
BACKUP_TIMEOUT = dt.timedelta(minutes=10)
"""A guard, not a pace: a snapshot copies about 100 MB/s on the development machine, so 10 minutes is tens of GB."""
BUSY_TIMEOUT_SECONDS = 10.0
"""How long to wait for a lock SQLite itself holds for a moment (a checkpoint, WAL recovery)."""
_CHECK_EVERY = 10_000
"""SQLite virtual-machine steps between two looks at the backup's deadline."""

JOURNAL_TABLES = ("deliveries", "milestone_discord_events")
"""Tables that record what the bot did in Discord; a restore carries them over from the database it replaces."""
WATERMARK_PREFIX = "watermark:"
"""``bot_meta`` keys of the scheduling runner's watermarks (``bot.scheduling.delivery.DeliveryRepository``)."""


class BackupError(DatabaseProblem):
    """A backup or restore could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    schema_version: int
    size_bytes: int
    seconds: float = 0.0


@dataclass(frozen=True)
class JournalCarried:
    """Rows a restore took over from the database it replaced (new or changed since the backup)."""

    deliveries: int = 0
    discord_events: int = 0
    watermarks: int = 0
    refused: int = 0
    """Rows the restored schema would not take (a kind of delivery the backup's code did not know): logged."""


@dataclass(frozen=True)
class RestoreResult:
    schema_version: int
    kept: Path | None
    """Where the replaced database is kept; None when there was none."""
    kept_as_is: bool
    """The replaced database was damaged: kept as it was (with its side files), not as a checked snapshot."""
    journal: JournalCarried | None
    """None: nothing was carried over (no replaced database, or unreadable, and reposts were accepted)."""


# -- reading and checking -----------------------------------------------------------------------------------------


def _connect(uri: str) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS))


def _file_uri(path: Path) -> str:
    """Read-only URI of a file that nobody writes (a backup): ``immutable`` when it is in WAL mode and has no
    ``-wal`` beside it, so that reading it does not leave empty ``-wal`` and ``-shm`` files next to it."""
    with path.open("rb") as file:
        header = file.read(20)
    wal_mode = len(header) == 20 and header[18] == 2
    if wal_mode and not Path(f"{path}-wal").exists():
        return sqlite_uri(path, mode="ro", immutable="1")
    return sqlite_uri(path, mode="ro")


def _problems(conn: sqlite3.Connection, *, foreign_keys: bool = True) -> list[str]:
    """What ``quick_check`` finds (the file), and with ``foreign_keys`` what ``foreign_key_check`` finds (the data)."""
    rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
    problems = [] if rows == ["ok"] else rows
    if foreign_keys:
        problems += [f"foreign key violation in {r[0]}" for r in conn.execute("PRAGMA foreign_key_check")]
    return problems


def _integrity(uri: str, *, foreign_keys: bool = True) -> list[str]:
    try:
        with _connect(uri) as conn:
            return _problems(conn, foreign_keys=foreign_keys)
    except sqlite3.DatabaseError as exc:
        # "file is not a database", "database disk image is malformed": the file cannot even be read.
        return [str(exc)]


def check_integrity(path: Path) -> list[str]:
    """Problems SQLite finds in the file (empty when it is sound). `quick_check` is fast enough for every start."""
    return _integrity(sqlite_uri(path, mode="ro"))


def ensure_sound(database: Path, backup_dir: Path) -> None:
    """Raise ``DatabaseUnusable`` (one line, pointing to ``imgbot db restore``) when the database exists and is
    damaged; the bot calls it before opening the database at start-up."""
    if not database.exists():
        return
    problems = check_integrity(database)
    if problems:
        raise DatabaseUnusable(
            f"the database {database} failed its integrity check ({'; '.join(problems[:3])}). "
            f"Restore a backup with `imgbot db restore FILE` (backups are in {backup_dir})."
        )


def _schema_version(uri: str) -> int:
    with _connect(uri) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} ({exc.filename})" if exc.filename else exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# -- backups ------------------------------------------------------------------------------------------------------


def _vacuum_into(conn: sqlite3.Connection, target: Path, deadline: float | None = None) -> None:
    """A consistent snapshot of ``conn``'s database in ``target`` (an empty file made by ``create_private_file``,
    whose mode SQLite keeps), in one read transaction. Past ``deadline`` (``time.monotonic``) SQLite is
    interrupted and ``TimeoutError`` raised."""
    if deadline is not None:
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), _CHECK_EVERY)
    try:
        conn.execute("VACUUM INTO ?", (sqlite_uri(target),))
    except sqlite3.OperationalError as exc:
        if deadline is not None and time.monotonic() > deadline and "interrupt" in str(exc):
            raise TimeoutError from exc
        raise
    finally:
        conn.set_progress_handler(None, 0)


@contextlib.contextmanager
def holding_file(path: Path) -> Iterator[int]:
    """Open ``path`` and hold an flock on it: a backup in progress marks its file so that a cleanup by another
    process (the CLI while the bot backs up) leaves it alone. SQLite's own locks are of another kind and unaffected."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield fd
    finally:
        os.close(fd)


def file_in_use(path: Path) -> bool:
    try:
        with holding_file(path):
            return False
    except BlockingIOError:
        return True
    except FileNotFoundError:
        return False


def _fold_side_files(backup: Path) -> list[Path]:
    """An earlier version left ``-wal``/``-shm`` beside a finished backup (reading a WAL-mode file makes them):
    fold any frames the ``-wal`` holds into the backup and turn it into a rollback-journal file, so they go."""
    wal, shm = Path(f"{backup}-wal"), Path(f"{backup}-shm")
    if not wal.exists() and not shm.exists():
        return []
    present = [p for p in (wal, shm) if p.exists()]
    if wal.exists():
        try:
            with _connect(sqlite_uri(backup, mode="rw")) as conn:
                conn.execute("PRAGMA journal_mode = DELETE")
        except sqlite3.DatabaseError as exc:
            log.warning("could not fold %s into %s (%s); left as it is", wal, backup, exc)
            return []
    shm.unlink(missing_ok=True)
    wal.unlink(missing_ok=True)
    return present


def remove_leftovers(directory: Path) -> list[Path]:
    """Remove what unfinished or earlier backups left in ``directory``; returns what was removed, each logged."""
    if not directory.is_dir():
        return []
    removed: list[Path] = []
    for path in sorted(directory.iterdir()):
        if BACKUP_NAME.match(path.name):
            removed += _fold_side_files(path)
        elif _LEFTOVER.match(path.name) and path.is_file() and not file_in_use(path):
            path.unlink(missing_ok=True)
            removed.append(path)
    for path in removed:
        log.info("removed %s, left by an unfinished or earlier backup", path)
    return removed


def backup_database(
    source: Path, directory: Path, now: dt.datetime, *, timeout: dt.timedelta = BACKUP_TIMEOUT
) -> BackupInfo:
    """Write a consistent, checked snapshot of ``source`` to ``directory`` (created 0700; the backup is 0600)."""
    started = time.monotonic()
    if not source.is_file():
        raise BackupError(f"there is no database at {source} to back up")
    try:
        private_dir(directory)
        remove_leftovers(directory)
    except OSError as exc:
        raise BackupError(f"cannot use the backup directory {directory}: {_one_line(exc)}") from exc
    target = directory / f"imgbot-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.sqlite3"
    if target.exists():
        raise BackupError(f"{target} already exists (backups are named by the second); try again")
    partial = target.with_name(target.name + ".partial")
    try:
        create_private_file(partial)
    except FileExistsError:
        raise BackupError(f"another backup is being written to {partial}; try again in a second") from None
    except OSError as exc:
        raise BackupError(f"cannot write in the backup directory {directory}: {_one_line(exc)}") from exc
    try:
        with holding_file(partial):
            try:
                with _connect(sqlite_uri(source, mode="rw")) as conn:
                    if int(conn.execute("PRAGMA user_version").fetchone()[0]) == 0:
                        raise BackupError(f"{source} holds no bot data (an empty or foreign file); nothing to back up")
                    _vacuum_into(conn, partial, started + timeout.total_seconds())
                fsync_file(partial)
            except TimeoutError:
                raise BackupError(
                    f"the backup took longer than {timeout.total_seconds():.0f} s and was abandoned"
                ) from None
            except sqlite3.DatabaseError as exc:
                raise BackupError(f"could not back up {source} to {directory}: {_one_line(exc)}") from exc
            except OSError as exc:
                raise BackupError(f"could not write the backup in {directory}: {_one_line(exc)}") from exc
            problems = check_integrity(partial)
            if problems:
                raise BackupError(f"the backup failed its integrity check: {'; '.join(problems[:3])}")
            version = _schema_version(sqlite_uri(partial, mode="ro"))
            partial.replace(target)
            fsync_dir(directory)
    except BaseException:
        _remove_with_side_files(partial)
        raise
    info = BackupInfo(target, version, target.stat().st_size, time.monotonic() - started)
    log.info(
        "database backed up to %s (%d bytes, schema %d) in %.1f s",
        target,
        info.size_bytes,
        info.schema_version,
        info.seconds,
    )
    return info


def list_backups(directory: Path, name: re.Pattern[str] = BACKUP_NAME) -> list[Path]:
    """Backups in ``directory`` (SQLite's, or those ``name`` matches), oldest first (the time stamp is in the name)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if name.match(p.name))


def prune_backups(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; returns what was deleted."""
    backups = list_backups(directory)
    doomed = backups[: max(0, len(backups) - keep)]
    for path in doomed:
        _remove_with_side_files(path)
        log.info("removed old backup %s", path)
    return doomed


def _remove_with_side_files(path: Path) -> None:
    for name in (path, *(Path(f"{path}{suffix}") for suffix in SIDE_SUFFIXES)):
        name.unlink(missing_ok=True)


# -- restores -----------------------------------------------------------------------------------------------------


class _Replaced(Enum):
    ABSENT = "absent"
    SOUND = "sound"
    DAMAGED = "damaged"


def _check_restore_source(backup: Path) -> int:
    if not backup.is_file():
        raise BackupError(f"there is no backup file at {backup}")
    uri = _file_uri(backup)
    problems = _integrity(uri)
    if problems:
        raise BackupError(f"{backup} is damaged ({'; '.join(problems[:3])}); choose another backup")
    version, known = _schema_version(uri), len(discover_migrations())
    if version > known:
        raise BackupError(
            f"{backup} has schema version {version}, newer than this code knows ({known}); "
            "restore it with the version of the bot that made it"
        )
    if version == 0:
        raise BackupError(f"{backup} holds no bot data (an empty or foreign file); choose another backup")
    return version


def _settle_replaced(target: Path) -> _Replaced:
    """Fold the replaced database's write-ahead log into it (so the file alone is complete) and check it."""
    if not target.exists():
        return _Replaced.ABSENT
    try:
        with _connect(sqlite_uri(target, mode="rw")) as conn:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if busy:
                raise BackupError(
                    f"another program has {target} open (an `imgbot status`, a backup, an SQLite shell); "
                    "let it finish, then restore again (nothing was changed)"
                )
            # The file only: a snapshot copies the data as it is, foreign keys and all.
            problems = _problems(conn, foreign_keys=False)
    except sqlite3.DatabaseError as exc:
        log.warning("the database being replaced cannot be read (%s); it is kept as it is", exc)
        return _Replaced.DAMAGED
    if problems:
        log.warning("the database being replaced is damaged (%s); it is kept as it is", "; ".join(problems[:3]))
        return _Replaced.DAMAGED
    return _Replaced.SOUND


def _columns(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [str(row[1]) for row in conn.execute(f'PRAGMA "{schema}".table_info("{table}")')]


def _carry_table(conn: sqlite3.Connection, table: str) -> tuple[int, int]:
    """Rows of ``replaced.table`` that ``main.table`` lacks or holds otherwise: (taken over, refused)."""
    mine, theirs = _columns(conn, "main", table), set(_columns(conn, "replaced", table))
    columns = [c for c in mine if c in theirs]
    if not columns:
        return 0, 0
    names = ", ".join(f'"{c}"' for c in columns)
    same = " AND ".join(f'm."{c}" IS r."{c}"' for c in columns)
    rows = conn.execute(
        f'SELECT {names} FROM replaced."{table}" AS r WHERE NOT EXISTS (SELECT 1 FROM main."{table}" AS m WHERE {same})'
    ).fetchall()
    insert = f'INSERT OR REPLACE INTO main."{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
    taken = refused = 0
    with conn:
        for row in rows:
            try:
                conn.execute(insert, row)
            except sqlite3.IntegrityError as exc:
                refused += 1
                log.warning("restore: a row of %s could not be carried over (%s): %r", table, exc, row[:3])
            else:
                taken += 1
    return taken, refused


def _carry_journal(conn: sqlite3.Connection, replaced: Path) -> JournalCarried | None:
    """Take over, from the database being replaced, the record of what was done in Discord (module docstring).
    None when that database holds no bot data at all (an empty or foreign file)."""
    conn.execute("ATTACH DATABASE ? AS replaced", (sqlite_uri(replaced, mode="rw"),))
    try:
        if not _columns(conn, "replaced", "bot_meta"):
            return None
        deliveries, refused = _carry_table(conn, JOURNAL_TABLES[0])
        events, refused_events = _carry_table(conn, JOURNAL_TABLES[1])
        before = conn.total_changes
        with conn:
            # Never back: a watermark says up to when the runner looked; the later of the two is the truth.
            conn.execute(
                "INSERT INTO main.bot_meta (key, value) "
                "SELECT key, value FROM replaced.bot_meta WHERE key LIKE ? "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE excluded.value > value",
                (f"{WATERMARK_PREFIX}%",),
            )
        watermarks = conn.total_changes - before
    finally:
        conn.execute("DETACH DATABASE replaced")
    return JournalCarried(deliveries, events, watermarks, refused + refused_events)


def _keep_snapshot(target: Path, kept: Path) -> None:
    partial = Path(f"{kept}.partial")
    create_private_file(partial)
    try:
        with _connect(sqlite_uri(target, mode="rw")) as conn:
            _vacuum_into(conn, partial)
        fsync_file(partial)
        problems = _integrity(sqlite_uri(partial, mode="ro"), foreign_keys=False)
        if problems:
            raise BackupError(f"the copy of the replaced database failed its check: {'; '.join(problems[:3])}")
        partial.replace(kept)
    except BaseException:
        _remove_with_side_files(partial)
        raise


def _keep_as_is(target: Path, kept: Path) -> None:
    # No snapshot of a damaged file can be trusted; its bytes, with its write-ahead log, are what is left of it.
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{target}{suffix}")
        if source.exists():
            source.replace(Path(f"{kept}{suffix}")).chmod(PRIVATE_FILE)


def restore_database(
    backup: Path,
    target: Path,
    now: dt.datetime,
    *,
    allow_reposts: bool = False,
    after: Callable[[Path], object] | None = None,
) -> RestoreResult:
    """Replace ``target`` with ``backup`` as the module docstring says; refused while the bot runs. ``after`` runs
    on the restored file while the lock is still held (the deletion ledger is applied again there), so no bot can
    start on the file before it is done; it must handle its own failures, the file being restored by then."""
    if backup.exists() and target.exists() and backup.samefile(target):
        raise BackupError(f"{backup} is the database itself; choose a backup")
    _check_restore_source(backup)
    try:
        lock = DatabaseLock.acquire(target, "a restore")
    except DatabaseInUse as exc:
        raise BackupError(
            f"refused: {target} is in use by {exc.holder}. Stop the bot first, then restore again (nothing was changed)"
        ) from None
    except OSError as exc:
        raise BackupError(f"cannot lock {target}: {_one_line(exc)}") from exc
    with lock:
        try:
            result = _restore_locked(backup, target, now, allow_reposts)
        except OSError as exc:
            raise BackupError(f"the restore failed and nothing was replaced: {_one_line(exc)}") from exc
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"the restore failed and nothing was replaced: {_one_line(exc)}") from exc
        if after is not None:
            after(target)
    return result


def _restore_locked(backup: Path, target: Path, now: dt.datetime, allow_reposts: bool) -> RestoreResult:
    staged = Path(f"{target}.restoring")
    _remove_with_side_files(staged)  # what a restore that crashed left
    try:
        replaced = _settle_replaced(target)
        create_private_file(staged)
        with _connect(_file_uri(backup)) as source:
            _vacuum_into(source, staged)
        journal: JournalCarried | None = None
        with _connect(sqlite_uri(staged, mode="rw")) as conn:
            # As the bot does when it opens the database (bot.db.connection.open_database).
            conn.execute("PRAGMA foreign_keys = ON")
            version = apply_migrations_sync(conn)
            why = f"there is no database at {target} to take it from"
            if replaced is not _Replaced.ABSENT:
                why = f"{target} holds no bot data"
                try:
                    journal = _carry_journal(conn, target)
                except sqlite3.DatabaseError as exc:
                    why = f"it could not be read from the damaged {target} ({exc})"
            if journal is None and not allow_reposts:
                raise BackupError(
                    f"refused: the record of what was already posted in Discord cannot be carried over ({why}), "
                    "so the bot could post the announcements of the last grace window again. Restore with "
                    "--allow-reposts to accept that (nothing was changed)"
                )
        fsync_file(staged)
        problems = check_integrity(staged)
        if problems:
            raise BackupError(f"the restored copy failed its integrity check: {'; '.join(problems[:3])}")
        kept = None
        if replaced is not _Replaced.ABSENT:
            kept = target.with_name(f"{target.name}{KEPT_INFIX}{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")
            if kept.exists():
                raise BackupError(f"{kept} already exists (one restore per second); try again")
            if replaced is _Replaced.SOUND:
                _keep_snapshot(target, kept)
                _drop_empty_side_files(target)
            else:
                _keep_as_is(target, kept)
        staged.replace(target)
        fsync_dir(target.parent)
    except BaseException:
        _remove_with_side_files(staged)
        raise
    if journal is not None and journal.refused:
        log.warning("restore: %d journal rows could not be carried over (see above)", journal.refused)
    log.info("restored %s from %s (schema %d); the replaced database is kept as %s", target, backup, version, kept)
    return RestoreResult(version, kept, replaced is _Replaced.DAMAGED, journal)


def _drop_empty_side_files(target: Path) -> None:
    """The replaced database's ``-wal`` must not outlive it: SQLite would apply it to the restored file. It was
    checkpointed and truncated under the lock, so it is empty; one that is not means someone wrote meanwhile."""
    wal = Path(f"{target}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise BackupError(f"{target} was written to during the restore; stop what writes to it and restore again")
    wal.unlink(missing_ok=True)
    Path(f"{target}-shm").unlink(missing_ok=True)
