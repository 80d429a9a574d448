"""The lock a process holds on the database while it must be the only one changing it.

The running bot holds it for its whole life (``imgbot run``); a restore holds it while it replaces the file. On
PostgreSQL the same guard is an advisory lock (``PostgresLock``, at the end of this module). It is an
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

import asyncpg

from bot.db.errors import DatabaseProblem
from bot.db.files import PRIVATE_FILE, private_dir

log = logging.getLogger(__name__)


class DatabaseInUse(DatabaseProblem):
    """Another process holds the database's lock."""

    def __init__(self, database: Path | str, holder: str) -> None:
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


# -- PostgreSQL ---------------------------------------------------------------------------------------------------

RUN_LOCK_KEY = 0x696D67626F74
"""The advisory lock (a bigint, "imgbot" in ASCII) every running bot holds shared and a restore holds exclusively."""


class PostgresLock:
    """The same guard on PostgreSQL: a session advisory lock on a connection of its own, held until released.

    Running bots hold it *shared* (several processes may serve one database, each a range of shards); a restore or
    ``imgbot db migrate-to`` holds it *exclusively*, so either is refused while any bot runs, and a bot is refused
    while one of them runs. PostgreSQL releases it when the connection ends, however the process ends, so it is never
    left stale. Who holds it is read from ``pg_stat_activity`` (the application name each holder gives its
    connection)."""

    def __init__(self, conn: asyncpg.Connection, database: str) -> None:
        self.database = database
        self._conn: asyncpg.Connection | None = conn

    @classmethod
    async def acquire(cls, url: str, shown: str, holder: str, *, shared: bool) -> PostgresLock:
        """Take the lock now or raise ``DatabaseInUse`` (never waits). ``shown`` names the database without its
        password; ``holder`` says what this process is ("the bot", "a restore")."""
        name = f"imgbot: {holder} (pid {os.getpid()})"[:63]
        conn = await asyncpg.connect(url, server_settings={"application_name": name})
        try:
            kind = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
            if not await conn.fetchval(f"SELECT {kind}($1)", RUN_LOCK_KEY):
                raise DatabaseInUse(shown, await _pg_holders(conn))
        except BaseException:
            await conn.close()
            raise
        log.debug("holding the advisory lock on %s as %s", shown, holder)
        return cls(conn, shown)

    @property
    def held(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def still_held(self) -> bool:
        """Whether the session holding the lock is still there: PostgreSQL restarted, a failover or a dropped
        connection ends it, and the lock with it, while the bot's pool reconnects as if nothing happened."""
        if self._conn is None or self._conn.is_closed():
            return False
        try:
            await self._conn.fetchval("SELECT 1", timeout=10)
        except (asyncpg.PostgresError, OSError, TimeoutError, asyncpg.InterfaceError):
            return False
        return True

    async def hold_key(self, key: int) -> None:
        """Also hold the advisory lock ``key`` in this session, until it ends: a process of a cluster holds one named
        after itself, so the others can tell it runs (``bot.observability.cluster``) without trusting a pid."""
        if self._conn is None:
            raise RuntimeError("the lock is released")
        await self._conn.execute("SELECT pg_advisory_lock($1)", key)

    async def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()  # ending the session releases its advisory locks

    async def __aenter__(self) -> PostgresLock:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.release()


async def _pg_holders(conn: asyncpg.Connection) -> str:
    rows = await conn.fetch(
        "SELECT DISTINCT a.application_name FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND (l.classid::bigint << 32) + l.objid::bigint = $1 AND l.pid <> pg_backend_pid()",
        RUN_LOCK_KEY,
    )
    names = sorted(str(r[0]).removeprefix("imgbot: ") for r in rows if r[0])
    return ", ".join(names) or "another process"
