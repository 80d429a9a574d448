"""The lock a process holds on the database while it must be the only one changing it.

The running bot holds it for its whole life (``imgbot run``); a restore holds it while it replaces the file. It is an
OS file lock (``flock``) on ``<database>.lock`` beside the database: the kernel releases it when the process ends,
however it ends (SIGKILL, a crash, a power cut), so a lock is never left stale and nothing has to be cleaned up. The
file itself stays (0600) and says who holds the lock, for the message of whoever is refused.

Only processes that honour it are kept out: ``imgbot db backup``, ``imgbot status`` and ``imgbot db check`` read
the database while the bot runs and do not take it. Like SQLite's own locks, it needs a local file system.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
from pathlib import Path
from types import TracebackType

from bot.db.errors import DatabaseProblem
from bot.db.files import PRIVATE_FILE, private_dir

log = logging.getLogger(__name__)


class DatabaseInUse(DatabaseProblem):
    """Another process holds the database's lock."""

    def __init__(self, database: Path, holder: str) -> None:
        super().__init__(f"the database {database} is in use by {holder}")
        self.database = database
        self.holder = holder


def lock_path(database: Path) -> Path:
    return Path(f"{database}.lock")


class DatabaseLock:
    """An exclusive ``flock`` on ``<database>.lock``; ``with DatabaseLock.acquire(path, "the bot"): ...``."""

    def __init__(self, database: Path, fd: int) -> None:
        self.database = database
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, database: Path, holder: str) -> DatabaseLock:
        """Take the lock now or raise ``DatabaseInUse`` naming who holds it (never waits). ``holder`` says what this
        process is, for the message of a process refused later ("the bot", "a restore")."""
        path = lock_path(database)
        private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
        try:
            os.fchmod(fd, PRIVATE_FILE)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DatabaseInUse(database, _read_holder(fd)) from None
            os.ftruncate(fd, 0)
            started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            os.pwrite(fd, f"{holder} (pid {os.getpid()}, since {started})\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        log.debug("holding the lock %s as %s", path, holder)
        return cls(database, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Release the lock (closing the file releases it); the file stays, so nobody can lock a deleted one."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> DatabaseLock:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", errors="replace").strip()
    except OSError:
        text = ""
    # The holder writes its line just after locking: a refusal in between finds the file empty.
    return text or "another process"
