"""Backups, restores and checks of a PostgreSQL database (``DATABASE_URL``): what ``bot.db.backup`` does for SQLite.

**Backups** are ``pg_dump -Fc`` archives of the bot's schema (``public``), named and kept like the SQLite ones
(``imgbot-<time>.pgdump`` in ``BACKUP_DIR``, the newest ``BACKUP_KEEP``). pg_dump reads in one repeatable-read
transaction, so the archive is consistent and the bot's writes go on meanwhile. It is written under a ``.partial``
name, synced, read back (``pg_restore`` must list it and find its schema version) and only then renamed. Two schemas
are left out: the deletion ledger's (``deletion_ledger_file``, ``bot.deletion_ledger``), which must outlive any
restore, and what an unfinished restore carried (``imgbot_restore_carry``).

**Restores** are refused while any bot runs on the database (the advisory lock, ``bot.db.lock.PostgresLock``).
While holding it exclusively, in order:

1. the archive is checked (``pg_restore --list``) and its schema version read; newer than this code: refused;
2. the database being replaced is kept as an archive in the backup directory (``before-restore-<time>.pgdump``);
3. in **one transaction** (``psql --single-transaction``): the record of what was already done in Discord
   (``deliveries``, ``milestone_discord_events``, the ``watermark:*`` rows of ``bot_meta``) is copied to the schema
   ``imgbot_restore_carry``, the bot's tables are dropped and the archive is restored in their place. A failure
   leaves the database as it was;
4. the restored database is migrated to the current schema, and the carried rows that it lacks or holds otherwise are
   written back (watermarks never go back), in one transaction that also drops ``imgbot_restore_carry``.

A crash between 3 and 4 leaves ``imgbot_restore_carry`` behind; the next restore, or the bot's next start
(``finish_interrupted_restore``), finishes step 4 first, so nothing the bot posted is forgotten. The deletion ledger
is never touched: the caller applies it again to the restored data (``after``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import asyncpg

from bot.db.backup import (
    BACKUP_TIMEOUT,
    JOURNAL_TABLES,
    WATERMARK_PREFIX,
    BackupError,
    BackupInfo,
    JournalCarried,
    RestoreResult,
    file_in_use,
    holding_file,
    list_backups,
)
from bot.db.connection import PG_MIGRATIONS_DIR, discover_migrations, open_database
from bot.db.files import create_private_file, fsync_dir, fsync_file, private_dir
from bot.db.lock import DatabaseInUse, PostgresLock

log = logging.getLogger(__name__)

PG_BACKUP_NAME = re.compile(r"^imgbot-(\d{8}T\d{6}Z)\.pgdump$")
_PG_LEFTOVER = re.compile(r"^(?:imgbot|before-restore)-\d{8}T\d{6}Z\.pgdump\.partial$")
KEPT_PREFIX = "before-restore-"
"""``before-restore-<time>.pgdump`` in the backup directory: the database a restore replaced."""
LEDGER_SCHEMA = "deletion_ledger_file"
"""The deletion ledger's own schema (``bot.deletion_ledger``): never in a backup, never touched by a restore."""
CARRY_SCHEMA = "imgbot_restore_carry"
"""Where a restore keeps the record of what was posted while the bot's tables are replaced (module docstring)."""
EXCLUDED_SCHEMAS = (LEDGER_SCHEMA, CARRY_SCHEMA)
CARRY_LOCK_KEY = 4713
"""The transaction lock of writing the carried record back (4711 is the migrations', 4712 the deletion ledger's)."""
DEBIAN_PROGRAMS = Path("/usr/lib/postgresql")
"""Where Debian and Ubuntu keep each PostgreSQL version's programs (``15/bin/pg_dump``)."""
BOOKKEEPING = "schema_version"
"""The migrations' own table (``bot.db.connection``), not bot data."""


# -- the client programs --------------------------------------------------------------------------------------------


def pg_program(name: str) -> Path:
    """``pg_dump``, ``pg_restore`` or ``psql``: from PATH (Debian's wrapper picks the version that suits the server),
    else from ``pg_config --bindir``, else the newest ``/usr/lib/postgresql/*/bin``."""
    found = shutil.which(name)
    if found is not None:
        return Path(found)
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if bindir and (Path(bindir) / name).is_file():
            return Path(bindir) / name
    versions = [p for p in DEBIAN_PROGRAMS.glob(f"*/bin/{name}") if re.fullmatch(r"\d+(\.\d+)?", p.parts[-3])]
    if versions:
        # By number: 15 is newer than 9.6, which sorts after it by name.
        return max(versions, key=lambda p: tuple(int(part) for part in p.parts[-3].split(".")))
    raise BackupError(
        f"{name} is not installed: install PostgreSQL's client programs (Debian and Ubuntu: "
        "`apt-get install postgresql-client`), of the server's major version or newer"
    )


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and an environment that gives the password (``PGPASSWORD``): a command line is
    visible to every user of the machine (``ps``), a process's environment is not."""
    parts = urlsplit(url)
    env = dict(os.environ)
    # libpq also takes the password as a parameter (?password=...): moved to the environment as well.
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"]
    given = dict(parse_qsl(parts.query)).get("password")
    if parts.password is None and given is None:
        return url, env
    env["PGPASSWORD"] = unquote(parts.password) if parts.password is not None else str(given)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    netloc = f"{userinfo.partition(':')[0]}@{hostport}" if userinfo else hostport
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), parts.fragment)), env


def _run(command: Sequence[str | Path], env: dict[str, str], timeout: float, what: str) -> str:
    try:
        done = subprocess.run(
            [str(c) for c in command], capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} took longer than {timeout:.0f} s and was abandoned") from None
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {_first_error(done.stderr)}")
    return done.stdout


def _first_error(stderr: str, *, last: bool = False) -> str:
    """The line of a program's errors that says what failed: the first, or with ``last`` the last (psql's script
    may have tolerated errors before the one that stopped it)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()]
    found = errors or lines or ["no message"]
    return found[-1] if last else found[0]


# -- archives -------------------------------------------------------------------------------------------------------

_COPY_VERSION = re.compile(r"^COPY public\.schema_version \(version\) FROM stdin;\n((?:\d+\n)*)\\\.$", re.MULTILINE)


def archive_version(archive: Path, *, timeout: float = 120) -> int:
    """The schema version an archive holds (0: none, not the bot's); BackupError when it is no readable archive."""
    if not archive.is_file():
        raise BackupError(f"there is no backup file at {archive}")
    with archive.open("rb") as file:
        head = file.read(16)
    if head.startswith(b"SQLite format 3\0"):
        raise BackupError(
            f"{archive} is an SQLite backup and the bot uses PostgreSQL (DATABASE_URL); to move an SQLite database "
            "to PostgreSQL, use `imgbot db migrate-to`"
        )
    env = dict(os.environ)
    program = pg_program("pg_restore")
    _run([program, "--list", archive], env, timeout, f"reading {archive}")
    text = _run(
        [program, "--data-only", "--schema=public", "--table=schema_version", "--file=-", archive],
        env,
        timeout,
        f"reading {archive}",
    )
    match = _COPY_VERSION.search(text)
    if match is None:
        return 0
    return max((int(v) for v in match.group(1).split()), default=0)


def _dump(url: str, target: Path, timeout: float) -> None:
    address, env = libpq_target(url)
    excluded = [f"--exclude-schema={schema}" for schema in EXCLUDED_SCHEMAS]
    _run(
        [pg_program("pg_dump"), "--format=custom", *excluded, f"--file={target}", address],
        env,
        timeout,
        "pg_dump",
    )


def _write_archive(url: str, target: Path, timeout: float) -> int:
    """Dump ``url`` to ``target`` through a ``.partial`` file (0600), checked; returns its schema version."""
    partial = target.with_name(target.name + ".partial")
    try:
        create_private_file(partial)
    except FileExistsError:
        raise BackupError(f"another backup is being written to {partial}; try again in a second") from None
    except OSError as exc:
        raise BackupError(f"cannot write in the backup directory {target.parent}: {exc.strerror or exc}") from exc
    try:
        with holding_file(partial):
            _dump(url, partial, timeout)
            fsync_file(partial)
            version = archive_version(partial)
            if version == 0:
                raise BackupError("the database holds no bot data (no schema version); nothing to back up")
            partial.replace(target)
            fsync_dir(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return version


def remove_pg_leftovers(directory: Path) -> list[Path]:
    """Remove the ``.partial`` files of unfinished backups (none that a backup still writes)."""
    if not directory.is_dir():
        return []
    removed = [
        p for p in sorted(directory.iterdir()) if _PG_LEFTOVER.match(p.name) and p.is_file() and not file_in_use(p)
    ]
    for path in removed:
        path.unlink(missing_ok=True)
        log.info("removed %s, left by an unfinished backup", path)
    return removed


def backup_postgres(
    url: str, shown: str, directory: Path, now: dt.datetime, *, timeout: dt.timedelta = BACKUP_TIMEOUT
) -> BackupInfo:
    """Write a consistent, checked ``pg_dump`` archive of the database at ``url`` to ``directory`` (created 0700;
    the archive is 0600). ``shown`` names the database in messages (without its password)."""
    started = time.monotonic()
    try:
        private_dir(directory)
        remove_pg_leftovers(directory)
    except OSError as exc:
        raise BackupError(f"cannot use the backup directory {directory}: {exc.strerror or exc}") from exc
    target = directory / f"imgbot-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.pgdump"
    if target.exists():
        raise BackupError(f"{target} already exists (backups are named by the second); try again")
    try:
        version = _write_archive(url, target, timeout.total_seconds())
    except BackupError as exc:
        raise BackupError(f"could not back up {shown}: {exc}") from None
    info = BackupInfo(target, version, target.stat().st_size, time.monotonic() - started)
    log.info(
        "database %s backed up to %s (%d bytes, schema %d) in %.1f s",
        shown,
        target,
        info.size_bytes,
        info.schema_version,
        info.seconds,
    )
    return info


def list_pg_backups(directory: Path) -> list[Path]:
    """PostgreSQL backups in ``directory``, oldest first."""
    return list_backups(directory, PG_BACKUP_NAME)


def prune_pg_backups(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` PostgreSQL backups; returns what was deleted."""
    backups = list_pg_backups(directory)
    doomed = backups[: max(0, len(backups) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
        log.info("removed old backup %s", path)
    return doomed


# -- checks ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PgCheck:
    schema_version: int
    known_version: int
    rows: dict[str, int]
    """Rows per table of the bot's schema, each table read through (``SELECT COUNT(*)``)."""
    problems: list[str]


async def public_tables(conn: asyncpg.Connection) -> list[str]:
    """The tables of the bot's schema, by name, the migrations' bookkeeping left out."""
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' AND table_name <> $1 ORDER BY table_name",
        BOOKKEEPING,
    )
    return [str(r[0]) for r in rows]


async def _schema_exists(conn: asyncpg.Connection, schema: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema))


async def _table_exists(conn: asyncpg.Connection, schema: str, table: str) -> bool:
    return await conn.fetchval("SELECT to_regclass($1)", f'"{schema}"."{table}"') is not None


async def _version(conn: asyncpg.Connection) -> int:
    if not await _table_exists(conn, "public", BOOKKEEPING):
        return 0
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM public.schema_version"))


async def check_postgres(url: str) -> PgCheck:
    """What is wrong with the database at ``url`` (``problems`` empty when nothing is): its schema version against
    the code's, every table of the bot's schema and of the deletion ledger read through, a restore left unfinished.
    The data's own integrity (pages, indexes) is PostgreSQL's to keep; this checks what the bot can act on."""
    known = len(discover_migrations(PG_MIGRATIONS_DIR))
    conn = await asyncpg.connect(url)
    try:
        version = await _version(conn)
        problems: list[str] = []
        if version == 0:
            problems.append("the database holds no bot data (no schema version): the bot has never run on it")
        elif version > known:
            problems.append(f"schema version {version} is newer than this code knows ({known}): run a newer bot")
        rows: dict[str, int] = {}
        for schema, table in [("public", t) for t in await public_tables(conn)] + [
            (LEDGER_SCHEMA, t) for t in ("deletions", "ledger_meta")
        ]:
            if schema == LEDGER_SCHEMA and not await _table_exists(conn, schema, table):
                continue  # made by the ledger on first use
            name = table if schema == "public" else f"{schema}.{table}"
            try:
                rows[name] = int(await conn.fetchval(f'SELECT COUNT(*) FROM "{schema}"."{table}"'))
            except asyncpg.PostgresError as exc:
                problems.append(f"{name} cannot be read: {exc}")
        if await _schema_exists(conn, CARRY_SCHEMA):
            problems.append(
                f"a restore did not finish (the schema {CARRY_SCHEMA} is left): start the bot or restore again, "
                "either finishes it"
            )
        return PgCheck(version, known, rows, problems)
    finally:
        await conn.close()


# -- restores -------------------------------------------------------------------------------------------------------


def _restore_script(carry: bool) -> str:
    """What runs before the archive's own statements, in the same transaction."""
    lines = ["SET lock_timeout = '10s';"]
    if carry:
        lines.append(f"CREATE SCHEMA {CARRY_SCHEMA};")
        for table in JOURNAL_TABLES:
            lines.append(
                f"DO $$ BEGIN IF to_regclass('public.{table}') IS NOT NULL THEN "
                f"CREATE TABLE {CARRY_SCHEMA}.{table} AS TABLE public.{table}; END IF; END $$;"
            )
        lines.append(
            f"CREATE TABLE {CARRY_SCHEMA}.bot_meta AS SELECT key, value FROM public.bot_meta "
            f"WHERE key LIKE '{WATERMARK_PREFIX}%';"
        )
    # The bot's tables go (with their indexes, sequences and constraints), the schema itself stays: its owner and
    # privileges are the database administrator's, and a managed database may not let the bot recreate it.
    lines.append(
        "DO $$ DECLARE r record; BEGIN "
        "FOR r IN SELECT c.relname, c.relkind FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend AS d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP "
        "EXECUTE format(CASE r.relkind WHEN 'v' THEN 'DROP VIEW IF EXISTS public.%I CASCADE' "
        "WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS public.%I CASCADE' "
        "WHEN 'S' THEN 'DROP SEQUENCE IF EXISTS public.%I CASCADE' "
        "WHEN 'f' THEN 'DROP FOREIGN TABLE IF EXISTS public.%I CASCADE' "
        "ELSE 'DROP TABLE IF EXISTS public.%I CASCADE' END, r.relname); "
        "END LOOP; END $$;"
    )
    return "\n".join(lines) + "\n"


_PREAMBLE = re.compile(rb"^(?:--.*|\s*|SET [a-z_]+ = .*;|SELECT pg_catalog\.set_config\(.*\);|\\(?:un)?restrict \S+)$")
"""The settings pg_restore's script starts with. A pg_restore newer than the server may set what the server does not
know (version 17's ``transaction_timeout`` on a 15 server): they run before the transaction, errors tolerated."""


def _replace_tables(url: str, archive: Path, carry: bool, timeout: float) -> None:
    """Step 3 of the module docstring: psql runs the script and then what ``pg_restore`` makes of the archive, in
    one transaction that stops at the first error. It is committed only once pg_restore has read the whole archive
    without error: an archive cut short must not leave half the tables restored."""
    address, env = libpq_target(url)
    restore = [str(pg_program("pg_restore")), "--schema=public", "--no-owner", "--no-privileges", "--file=-"]
    psql = [str(pg_program("psql")), "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--dbname", address]
    with tempfile.TemporaryFile() as reader_err, tempfile.TemporaryFile() as writer_err:
        with subprocess.Popen(
            psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=writer_err, env=env
        ) as writer:
            assert writer.stdin is not None
            with subprocess.Popen(
                [*restore, str(archive)], stdout=subprocess.PIPE, stderr=reader_err, env=env
            ) as reader:
                assert reader.stdout is not None
                try:
                    _feed(reader.stdout, writer.stdin, carry)
                except BrokenPipeError:
                    pass  # psql stopped at an error: its message says which
                finally:
                    reader.stdout.close()  # a pg_restore still writing gets EPIPE and stops, rather than wait
                read_whole = reader.wait(timeout) == 0
            with contextlib.suppress(BrokenPipeError):
                # Without COMMIT, psql's end of input ends the session and PostgreSQL rolls the transaction back.
                writer.stdin.write(b"COMMIT;\n" if read_whole else b"ROLLBACK;\n")
                writer.stdin.close()
            try:
                writer.wait(timeout)
            except subprocess.TimeoutExpired:
                writer.kill()
                raise BackupError(f"the restore took longer than {timeout:.0f} s; nothing was replaced") from None
        if writer.returncode != 0:
            why = _first_error(_text(writer_err), last=True)
            raise BackupError(f"the restore failed and nothing was replaced: {why}")
        if not read_whole:
            why = _first_error(_text(reader_err))
            raise BackupError(f"pg_restore could not read {archive}: {why}; nothing was replaced")


def _feed(script: IO[bytes], psql: IO[bytes], carry: bool) -> None:
    """pg_restore's script into psql: its settings with errors tolerated, then our transaction (BEGIN, the carry
    and the drop) and the rest of the script in it, stopping at the first error."""
    psql.write(b"\\set ON_ERROR_STOP 0\n")
    line = script.readline()
    while line and _PREAMBLE.match(line.rstrip(b"\r\n")):
        psql.write(line)
        line = script.readline()
    psql.write(b"\\set ON_ERROR_STOP 1\nBEGIN;\n" + _restore_script(carry).encode())
    psql.write(line)
    shutil.copyfileobj(script, psql, 1 << 20)


def _text(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode(errors="replace")


async def _columns(conn: asyncpg.Connection, schema: str, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 "
        "ORDER BY ordinal_position",
        schema,
        table,
    )
    return [str(r[0]) for r in rows]


async def _primary_key(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT a.attname FROM pg_index AS i JOIN pg_attribute AS a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY (i.indkey) WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY a.attnum",
        f"public.{table}",
    )
    return [str(r[0]) for r in rows]


async def _carry_table(conn: asyncpg.Connection, table: str) -> tuple[int, int]:
    """Rows of the carried ``table`` that the restored one lacks or holds otherwise: (taken over, refused)."""
    if not await _table_exists(conn, CARRY_SCHEMA, table) or not await _table_exists(conn, "public", table):
        return 0, 0
    theirs = set(await _columns(conn, CARRY_SCHEMA, table))
    columns = [c for c in await _columns(conn, "public", table) if c in theirs]
    key = await _primary_key(conn, table)
    if not columns or not key or not set(key) <= set(columns):
        return 0, 0
    names = ", ".join(f'"{c}"' for c in columns)
    same = " AND ".join(f'm."{c}" IS NOT DISTINCT FROM r."{c}"' for c in columns)
    rest = [c for c in columns if c not in key]
    update = ", ".join(f'"{c}" = excluded."{c}"' for c in rest)
    conflict = f"DO UPDATE SET {update}" if rest else "DO NOTHING"
    changed = (
        f'SELECT {names} FROM {CARRY_SCHEMA}."{table}" AS r '
        f'WHERE NOT EXISTS (SELECT 1 FROM public."{table}" AS m WHERE {same})'
    )
    upsert = f'INSERT INTO public."{table}" ({names}) %s ON CONFLICT ({", ".join(key)}) {conflict}'
    try:
        async with conn.transaction():  # a savepoint: one bad row must not undo the others
            status = await conn.execute(upsert % changed)
        return int(status.split()[-1]), 0
    except asyncpg.IntegrityConstraintViolationError:
        pass
    # A row the restored schema will not take (a group or server the backup does not know): each on its own, the
    # ones refused logged, as on SQLite.
    taken = refused = 0
    values = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    for row in await conn.fetch(changed):
        try:
            async with conn.transaction():
                await conn.execute(upsert % f"VALUES ({values})", *row)
        except asyncpg.IntegrityConstraintViolationError as exc:
            refused += 1
            log.warning("restore: a row of %s could not be carried over (%s): %r", table, exc, tuple(row)[:3])
        else:
            taken += 1
    return taken, refused


async def reset_identities(
    conn: asyncpg.Connection, tables: Sequence[str], floors: dict[str, int] | None = None
) -> None:
    """Move every identity column's sequence of ``tables`` past the largest id the table holds (and past
    ``floors[table]``, the ids SQLite's AUTOINCREMENT already gave out), so the next row takes a new id."""
    floors = floors or {}
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND is_identity = 'YES' AND table_name = ANY ($1::text[])",
        list(tables),
    )
    for table, column in rows:
        largest = await conn.fetchval(f'SELECT COALESCE(MAX("{column}"), 0) FROM public."{table}"')
        following = max(int(largest), floors.get(str(table), 0)) + 1
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence($1, $2), $3, false)", f'public."{table}"', str(column), following
        )


async def _carry_back(conn: asyncpg.Connection) -> JournalCarried | None:
    """Step 4: write the carried record back into the restored (and migrated) tables, then drop the carry schema;
    one transaction. None when there is nothing to carry (no carry schema)."""
    async with conn.transaction():
        # Several bot processes may start at once on a database a restore left unfinished: one of them finishes it,
        # the others then find nothing to do.
        await conn.execute("SELECT pg_advisory_xact_lock($1)", CARRY_LOCK_KEY)
        if not await _schema_exists(conn, CARRY_SCHEMA):
            return None
        deliveries, refused = await _carry_table(conn, JOURNAL_TABLES[0])
        events, refused_events = await _carry_table(conn, JOURNAL_TABLES[1])
        watermarks = 0
        if await _table_exists(conn, CARRY_SCHEMA, "bot_meta"):
            # Never back: a watermark says up to when the runner looked; the later of the two is the truth. Compared
            # byte by byte ("C"): they are ISO timestamps of one form, which a language's collation may order otherwise.
            status = await conn.execute(
                f"INSERT INTO public.bot_meta (key, value) SELECT key, value FROM {CARRY_SCHEMA}.bot_meta "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value "
                'WHERE excluded.value COLLATE "C" > public.bot_meta.value COLLATE "C"'
            )
            watermarks = int(status.split()[-1])
        await reset_identities(conn, JOURNAL_TABLES)
        await conn.execute(f"DROP SCHEMA {CARRY_SCHEMA} CASCADE")
    return JournalCarried(deliveries, events, watermarks, refused + refused_events)


async def _migrate(url: str) -> int:
    migrated = await open_database(url)
    try:
        conn = await asyncpg.connect(url)
        try:
            return await _version(conn)
        finally:
            await conn.close()
    finally:
        await migrated.close()


async def _carry_back_at(url: str) -> JournalCarried | None:
    conn = await asyncpg.connect(url)
    try:
        return await _carry_back(conn)
    finally:
        await conn.close()


async def finish_interrupted_restore(url: str) -> JournalCarried | None:
    """Finish step 4 of a restore that stopped after step 3 (None: there was none). The database must be migrated
    first (the bot calls this right after ``open_database``; a restore migrates before)."""
    carried = await _carry_back_at(url)
    if carried is not None:
        log.warning(
            "finished a restore that was cut short: carried back %d delivery records, %d Discord events, %d watermarks",
            carried.deliveries,
            carried.discord_events,
            carried.watermarks,
        )
    return carried


async def restore_postgres(
    archive: Path,
    url: str,
    shown: str,
    backup_dir: Path,
    now: dt.datetime,
    *,
    allow_reposts: bool = False,
    after: Callable[[str], Awaitable[object]] | None = None,
) -> RestoreResult:
    """Replace the bot's data at ``url`` with ``archive`` as the module docstring says; refused while a bot runs.
    ``after`` runs on the restored database while the lock is still held (the deletion ledger is applied again)."""
    seconds = BACKUP_TIMEOUT.total_seconds()
    version = await asyncio.to_thread(archive_version, archive)
    known = len(discover_migrations(PG_MIGRATIONS_DIR))
    if version > known:
        raise BackupError(
            f"{archive} has schema version {version}, newer than this code knows ({known}); "
            "restore it with the version of the bot that made it"
        )
    if version == 0:
        raise BackupError(f"{archive} holds no bot data (no schema version); choose another backup")
    try:
        lock = await PostgresLock.acquire(url, shown, "a restore", shared=False)
    except DatabaseInUse as exc:
        raise BackupError(
            f"refused: {shown} is in use by {exc.holder}. Stop the bot first, then restore again (nothing was changed)"
        ) from None
    async with lock:
        conn = await asyncpg.connect(url)
        try:
            if await _schema_exists(conn, CARRY_SCHEMA):
                # What the last restore carried is the record of before it: written back first, so it is carried
                # again now with what the bot did since.
                await _migrate(url)
                await finish_interrupted_restore(url)
            current = await _version(conn)
            has_journal = current > 0 and await _table_exists(conn, "public", "bot_meta")
        finally:
            await conn.close()
        if not has_journal and not allow_reposts:
            why = f"{shown} holds no bot data" if current == 0 else f"{shown} has no bot_meta table"
            raise BackupError(
                f"refused: the record of what was already posted in Discord cannot be carried over ({why}), "
                "so the bot could post the announcements of the last grace window again. Restore with "
                "--allow-reposts to accept that (nothing was changed)"
            )
        kept = None
        if current > 0:
            private_dir(backup_dir)
            kept = backup_dir / f"{KEPT_PREFIX}{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.pgdump"
            if kept.exists():
                raise BackupError(f"{kept} already exists (one restore per second); try again")
            await asyncio.to_thread(_write_archive, url, kept, seconds)
        await asyncio.to_thread(_replace_tables, url, archive, has_journal, seconds)
        restored = await _migrate(url)
        journal = await _carry_back_at(url) if has_journal else None
        if after is not None:
            await after(url)
    if journal is not None and journal.refused:
        log.warning("restore: %d journal rows could not be carried over (see above)", journal.refused)
    log.info("restored %s from %s (schema %d); the replaced database is kept as %s", shown, archive, restored, kept)
    return RestoreResult(restored, kept, False, journal)
