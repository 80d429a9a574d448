"""Every migration upgrades a database that already holds data, from every earlier schema version.

``migration_data/NNNN.sql`` holds realistic rows for the tables that migration NNNN creates. A database at version v
is built the way a real one grows: migration 1, its rows, migration 2, its rows, … up to v; each data file therefore
always meets the schema it was written for, and the older rows have already been through the later migrations up to
v. The remaining migrations are then applied and the result must keep every row and match a database migrated from
scratch. A new migration needs its own data file (``test_every_migration_has_a_data_file`` and
``test_every_final_table_has_data`` insist), so the next upgrade is tested against its tables too.

A migration may rewrite how a moment is spelled (``0022_timestamps_one_form.sql`` puts every one in the form of
``bot/db/timestamps.py``), never the moment itself: rows are compared with their timestamps read as instants, and after
every upgrade each timestamp in the database must be in that one form.

Each test runs on both backends: SQLite (in memory) and PostgreSQL (an empty database of the test's own, migrated
with ``migrations/postgresql``, whose files are twins of the SQLite ones). The data files are plain INSERTs both
engines accept. Tests at the end compare the two backends with each other: the same migration list, the same tables
and columns in the same order (repositories read some rows by position), and the same rows after the same upgrades.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeAlias

import aiosqlite
import pytest

from bot.db import postgres
from bot.db.connection import (
    PG_MIGRATIONS_DIR,
    Connection,
    Migration,
    apply_migrations,
    discover_migrations,
    schema_version,
)
from bot.db.postgres import PgConnection
from bot.db.schema import table_columns
from bot.db.timestamps import from_db
from tests.conftest import new_empty_postgres_database
from tests.postgres_server import PostgresServer

DATA_DIR = Path(__file__).with_name("migration_data")
MIGRATIONS = discover_migrations()
PG_MIGRATIONS = discover_migrations(PG_MIGRATIONS_DIR)
LATEST = len(MIGRATIONS)

Row = tuple[Any, ...]
Snapshot = dict[str, tuple[list[str], list[Row]]]
SchemaItem = tuple[str, str, str, str | None]
Opener: TypeAlias = Callable[[], Awaitable[Connection]]

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$")
"""A whole column value that is a moment with its offset, in any of the forms the bot ever wrote."""
ONE_FORM = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")
"""The form ``bot.db.timestamps.to_db`` writes: UTC, microseconds."""


def data_file(version: int) -> Path:
    return DATA_DIR / f"{version:04d}.sql"


def migrations_for(conn: Connection) -> list[Migration]:
    return PG_MIGRATIONS if isinstance(conn, PgConnection) else MIGRATIONS


async def connect_sqlite() -> aiosqlite.Connection:
    # The same foreign-key setting as bot/db/connection.py open_database, so a migration that would break references
    # in production breaks here too.
    conn = await aiosqlite.connect(":memory:")
    await conn.execute("PRAGMA foreign_keys = ON")
    return conn


async def connect_postgres(server: PostgresServer) -> PgConnection:
    # Two connections are plenty: the migrations run on one, in one transaction; the test reads on the other.
    return await postgres.connect(await new_empty_postgres_database(server), max_size=2)


@pytest.fixture
async def open_empty(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[Opener]:
    """Opens empty databases on the test's backend (none of the bot's tables), all closed after the test."""
    server: PostgresServer | None = request.getfixturevalue("postgres") if backend == "postgresql" else None
    opened: list[Connection] = []

    async def open_one() -> Connection:
        conn: Connection = await connect_sqlite() if server is None else await connect_postgres(server)
        opened.append(conn)
        return conn

    try:
        yield open_one
    finally:
        for conn in opened:
            await conn.close()


async def fetch(conn: Connection, sql: str, parameters: tuple[Any, ...] = ()) -> list[Row]:
    async with conn.execute(sql, parameters) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


def as_instants(rows: list[Row]) -> Counter[Row]:
    """The rows with every timestamp read as its instant, in any order: a rewritten spelling can change how the
    rows sort (``rows_of`` orders by the text)."""
    return Counter(tuple(from_db(v) if isinstance(v, str) and TIMESTAMP.match(v) else v for v in row) for row in rows)


def not_in_one_form(snap: Snapshot) -> list[tuple[str, str, str]]:
    return [
        (table, column, value)
        for table, (columns, rows) in snap.items()
        for row in rows
        for column, value in zip(columns, row, strict=True)
        if isinstance(value, str) and TIMESTAMP.match(value) and not ONE_FORM.match(value)
    ]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def tables(conn: Connection) -> list[str]:
    """The bot's tables: without SQLite's own, and without PostgreSQL's ``schema_version`` (the migration runner's
    bookkeeping, which SQLite keeps in ``PRAGMA user_version``)."""
    return sorted({table for table, _ in await table_columns(conn)})


async def columns_of(conn: Connection, table: str) -> list[str]:
    return [column for name, column in await table_columns(conn) if name == table]


async def snapshot(conn: Connection) -> Snapshot:
    """Every table's columns and all of its rows, in a stable order (the data sets are small)."""
    result: Snapshot = {}
    found = await table_columns(conn)
    for table in sorted({name for name, _ in found}):
        columns = [column for name, column in found if name == table]
        result[table] = (columns, await rows_of(conn, table, columns))
    return result


async def rows_of(conn: Connection, table: str, columns: list[str]) -> list[Row]:
    listed = ", ".join(quote(c) for c in columns)
    return await fetch(conn, f"SELECT {listed} FROM {quote(table)} ORDER BY {listed}")


_PG_SCHEMA = """
SELECT 'column', table_name || '.' || column_name, table_name,
       concat_ws(' ', ordinal_position, data_type, is_nullable, column_default, is_identity, identity_generation)
    FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'constraint', conname, conrelid::regclass::text, pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'index', indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'sequence', sequencename, '', data_type::text FROM pg_sequences WHERE schemaname = 'public'
"""
"""PostgreSQL's counterpart of sqlite_master's CREATE statements: every column with its type, nullability, default
and identity; every constraint and index as PostgreSQL spells it; every sequence (identity columns own one)."""


async def normalised_schema(conn: Connection) -> set[SchemaItem]:
    if isinstance(conn, PgConnection):
        rows = await fetch(conn, _PG_SCHEMA)
        return {(str(kind), str(name), str(table), str(text)) for kind, name, table, text in rows}
    rows = await fetch(conn, "SELECT type, name, tbl_name, sql FROM sqlite_master")
    return {
        (str(kind), str(name), str(table), None if sql is None else re.sub(r"\s+", " ", str(sql)).strip())
        for kind, name, table, sql in rows
    }


async def load_data(conn: Connection, version: int) -> None:
    sql = data_file(version).read_text(encoding="utf-8")
    if isinstance(conn, PgConnection):
        # Several statements in one simple query run as one transaction.
        await conn.executescript(sql)
    else:
        await conn.executescript(f"BEGIN;\n{sql}\nCOMMIT;")


async def migrate_to(conn: Connection, version: int, *, with_data: bool) -> None:
    migrations = migrations_for(conn)
    for migration in migrations[:version]:
        await apply_migrations(conn, migrations[: migration.version])
        if with_data:
            await load_data(conn, migration.version)
    assert await schema_version(conn) == version


_scratch: dict[str, set[SchemaItem]] = {}


async def scratch_schema(open_empty: Opener) -> set[SchemaItem]:
    """The schema of a database migrated from nothing, once per backend (it does not change during a run)."""
    conn = await open_empty()
    backend = "postgresql" if isinstance(conn, PgConnection) else "sqlite"
    if backend not in _scratch:
        await apply_migrations(conn, migrations_for(conn))
        _scratch[backend] = await normalised_schema(conn)
    return _scratch[backend]


def test_every_migration_has_a_data_file() -> None:
    expected = {data_file(m.version).name for m in MIGRATIONS}
    present = {p.name for p in DATA_DIR.glob("*.sql")}
    assert expected - present == set(), "each new migration needs rows for its tables in tests/unit/db/migration_data/"
    assert present - expected == set(), "a data file without a migration of the same number is never loaded"


def test_both_backends_have_the_same_migrations() -> None:
    """A migration written for one backend only would leave the other's schema behind (and its version numbers
    would mean something else)."""
    assert [m.path.name for m in PG_MIGRATIONS] == [m.path.name for m in MIGRATIONS]


async def test_every_final_table_has_data(open_empty: Opener) -> None:
    conn = await open_empty()
    await migrate_to(conn, LATEST, with_data=True)
    empty = [table for table, (_, rows) in (await snapshot(conn)).items() if not rows]
    assert empty == [], f"tables without rows in any tests/unit/db/migration_data file: {empty}"


# LATEST is included although nothing is left to apply: it is the only case in which the newest data file is loaded,
# so it proves those rows are valid before the next migration is written.
@pytest.mark.parametrize("start", range(LATEST + 1), ids=lambda v: f"from_{v:04d}")
async def test_upgrade_with_data_keeps_rows_and_matches_fresh_schema(start: int, open_empty: Opener) -> None:
    conn = await open_empty()
    migrations = migrations_for(conn)
    await migrate_to(conn, start, with_data=True)
    before = await snapshot(conn)
    empty = [table for table, (_, rows) in before.items() if not rows]
    assert empty == [], f"at version {start} these tables have no test rows: {empty}"

    remaining: list[Migration] = migrations[start:]
    try:
        assert await apply_migrations(conn, migrations) == LATEST
    except Exception as exc:
        names = ", ".join(m.path.name for m in remaining)
        raise AssertionError(f"upgrading from version {start} with data through {names} failed: {exc!r}") from exc

    assert await schema_version(conn) == LATEST
    if not isinstance(conn, PgConnection):
        # PostgreSQL checks references at every statement and has no such pragmas.
        assert await fetch(conn, "PRAGMA integrity_check") == [("ok",)]
        assert await fetch(conn, "PRAGMA foreign_key_check") == []

    after_tables = set(await tables(conn))
    for table, (columns, rows) in before.items():
        assert table in after_tables, f"table {table} (version {start}) is gone after the upgrade"
        # Only the columns that existed before are compared: a later migration may add columns, never lose data.
        after = await rows_of(conn, table, columns)
        assert as_instants(after) == as_instants(rows), f"rows of {table} changed when upgrading from {start}"

    assert not_in_one_form(await snapshot(conn)) == [], "a timestamp is not in the form bot/db/timestamps.py writes"

    assert await normalised_schema(conn) == await scratch_schema(open_empty)


ONE_FORM_MIGRATION = next(m for m in MIGRATIONS if m.path.name.endswith("_timestamps_one_form.sql"))


async def test_old_timestamps_are_rewritten_in_the_one_form_and_sort_by_time(open_empty: Opener) -> None:
    conn = await open_empty()
    migrations = migrations_for(conn)
    await apply_migrations(conn, migrations[: ONE_FORM_MIGRATION.version - 1])
    saved = [
        # (as an older version wrote it, in the one form): readiness without the fraction when it was zero
        ("2026-03-01T09:00:00+00:00", "2026-03-01T09:00:00.000000+00:00"),
        ("2026-03-01T09:00:00.000001+00:00", "2026-03-01T09:00:00.000001+00:00"),
        ("2026-02-28T23:59:59.999999+00:00", "2026-02-28T23:59:59.999999+00:00"),
    ]
    voted = [
        # votes as the caller gave them: another offset, across midnight and a leap day; a fraction SQLite
        # would round to the next second if it were given one
        ("2024-02-29T23:30:00-01:00", "2024-03-01T00:30:00.000000+00:00"),
        ("2026-03-09T10:30:00.999600+01:30", "2026-03-09T09:00:00.999600+00:00"),
        ("2026-03-09T10:30:00.5-05:00", "2026-03-09T15:30:00.500000+00:00"),  # a short fraction is padded
        ("2026-03-09T10:30:00.1234567+00:00", "2026-03-09T10:30:00.1234567+00:00"),  # 7 digits: another shape
        ("2026-03-09T10:30:00.+00:00", "2026-03-09T10:30:00.+00:00"),  # a dot without digits: another shape
        ("2026-03-09 10:30:00+00:00", "2026-03-09 10:30:00+00:00"),  # no T: another shape
        ("x", "x"),  # not a timestamp at all: left as it is
    ]
    await conn.executemany(
        "INSERT INTO readiness_results (user_id, saved_at, overall) VALUES (?, ?, 'on_track')",
        [(1, old) for old, _ in saved],
    )
    await conn.executemany(
        "INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES (?, 1, 1, ?)",
        [(f"entry-{n}", old) for n, (old, _) in enumerate(voted)],
    )
    await conn.execute(
        "INSERT INTO readiness_sessions (user_id, answers, completed, started_at, updated_at) "
        "VALUES (1, '{}', 0, '2026-03-01T09:00:00+00:00', '2026-03-01T09:03:27.118000+00:00')"
    )
    await conn.commit()

    await apply_migrations(conn, migrations[: ONE_FORM_MIGRATION.version])

    assert await fetch(conn, "SELECT saved_at FROM readiness_results ORDER BY id") == [(new,) for _, new in saved]
    assert await fetch(conn, "SELECT voted_at FROM entry_votes ORDER BY entry_id") == [(new,) for _, new in voted]
    assert await fetch(conn, "SELECT started_at, updated_at FROM readiness_sessions") == [
        ("2026-03-01T09:00:00.000000+00:00", "2026-03-01T09:03:27.118000+00:00")
    ]
    # What SQL compares is now the instants: the stamp of 09:00 sorts after 23:59:59 the day before, and not
    # before a stamp of the same instant written with its fraction.
    ordered = [str(r[0]) for r in await fetch(conn, "SELECT saved_at FROM readiness_results ORDER BY saved_at")]
    assert [from_db(t) for t in ordered] == sorted(from_db(t) for t in ordered)
    assert await fetch(
        conn, "SELECT count(*) FROM readiness_results WHERE saved_at < '2026-03-01T09:00:00.000000+00:00'"
    ) == [(1,)]
    assert from_db(voted[1][1]) == dt.datetime.fromisoformat(voted[1][0])


# The two backends against each other.

_SQLITE_TYPES = {"INTEGER": "bigint", "REAL": "double precision", "TEXT": "text"}
"""The PostgreSQL type each SQLite declared type becomes (bot/db/migrations/postgresql: 64-bit integers throughout)."""


def _pg_default(default: str | None) -> str | None:
    """PostgreSQL's spelling of a default without its cast (``'active'::text`` is SQLite's ``'active'``)."""
    return None if default is None else re.sub(r"::[a-z ]+$", "", default)


async def column_details(conn: Connection) -> dict[str, list[tuple[str, str, bool, str | None]]]:
    """Per table, its columns in order: (name, PostgreSQL type, NOT NULL, default)."""
    found: dict[str, list[tuple[str, str, bool, str | None]]] = {}
    if isinstance(conn, PgConnection):
        for table, column, kind, nullable, default in await fetch(
            conn,
            "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name <> 'schema_version' ORDER BY table_name, ordinal_position",
        ):
            found.setdefault(table, []).append((column, kind, nullable == "NO", _pg_default(default)))
        return found
    for table in await tables(conn):
        for _, column, kind, notnull, default, pk in await fetch(conn, f"PRAGMA table_info({quote(table)})"):
            # A primary key column is NOT NULL in PostgreSQL whether or not SQLite says so.
            found.setdefault(table, []).append((column, _SQLITE_TYPES[kind], bool(notnull or pk), default))
    return found


async def test_both_backends_end_with_the_same_tables_columns_and_column_order(postgres: PostgresServer) -> None:
    """The repositories run the same SQL on both, and some read rows by position (``SELECT *``): each table must have
    the same columns, in the same order, of the matching type, nullability and default."""
    lite = await connect_sqlite()
    pg = await connect_postgres(postgres)
    try:
        await apply_migrations(lite, MIGRATIONS)
        await apply_migrations(pg, PG_MIGRATIONS)
        assert await table_columns(pg) == await table_columns(lite)
        assert await column_details(pg) == await column_details(lite)
    finally:
        await lite.close()
        await pg.close()


def _comparable(snap: Snapshot) -> dict[str, tuple[list[str], Counter[Row]]]:
    # Rows in any order: the two engines sort text by different rules.
    return {table: (columns, Counter(rows)) for table, (columns, rows) in snap.items()}


async def test_both_backends_hold_the_same_rows_after_the_same_upgrades(postgres: PostgresServer) -> None:
    """Migrations that move data (0013's new ids, 0015's copy, 0022's rewritten timestamps) give the same values on
    both: every data file loaded at its version, then every later migration, and the two databases are compared."""
    lite = await connect_sqlite()
    pg = await connect_postgres(postgres)
    try:
        await migrate_to(lite, LATEST, with_data=True)
        await migrate_to(pg, LATEST, with_data=True)
        assert _comparable(await snapshot(pg)) == _comparable(await snapshot(lite))
    finally:
        await lite.close()
        await pg.close()


_PG_INDEXES = """
SELECT t.relname, i.relname, x.indisunique, x.indpred IS NOT NULL
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relnamespace = 'public'::regnamespace AND t.relname <> 'schema_version'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
"""
"""The indexes made by CREATE INDEX, not those PostgreSQL makes for a PRIMARY KEY or UNIQUE constraint."""

_PG_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, r.attname, c.confdeltype::text
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]
WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
"""
_PG_ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

Index = tuple[str, str, bool, bool]
ForeignKey = tuple[str, str, str, str, str]


async def indexes(conn: Connection) -> set[Index]:
    """(table, index, unique, partial) of every index a migration created by name."""
    if isinstance(conn, PgConnection):
        return {(str(t), str(i), bool(u), bool(p)) for t, i, u, p in await fetch(conn, _PG_INDEXES)}
    found: set[Index] = set()
    for table in await tables(conn):
        for _, name, unique, origin, partial in await fetch(conn, f"PRAGMA index_list({quote(table)})"):
            if origin == "c":  # CREATE INDEX, not SQLite's own for a PRIMARY KEY or UNIQUE constraint
                found.add((table, str(name), bool(unique), bool(partial)))
    return found


async def foreign_keys(conn: Connection) -> set[ForeignKey]:
    """(table, column, referenced table, referenced column, ON DELETE) of every reference (all are one column)."""
    if isinstance(conn, PgConnection):
        rows = await fetch(conn, _PG_FOREIGN_KEYS)
        return {(str(t), str(c), str(rt), str(rc), _PG_ON_DELETE[str(d)]) for t, c, rt, rc, d in rows}
    found: set[ForeignKey] = set()
    for table in await tables(conn):
        for row in await fetch(conn, f"PRAGMA foreign_key_list({quote(table)})"):
            found.add((table, str(row[3]), str(row[2]), str(row[4]), str(row[6])))
    return found


async def test_both_backends_end_with_the_same_indexes_and_references(postgres: PostgresServer) -> None:
    """Every index (unique and partial ones too) and every foreign key with its ON DELETE rule exists on both: a
    PostgreSQL twin that forgot one would be slower, or would let a duplicate or an orphan in, only in production."""
    lite = await connect_sqlite()
    pg = await connect_postgres(postgres)
    try:
        await apply_migrations(lite, MIGRATIONS)
        await apply_migrations(pg, PG_MIGRATIONS)
        lite_indexes = await indexes(lite)
        assert lite_indexes, "the comparison found no index at all"
        assert await indexes(pg) == lite_indexes
        lite_references = await foreign_keys(lite)
        assert lite_references, "the comparison found no reference at all"
        assert await foreign_keys(pg) == lite_references
    finally:
        await lite.close()
        await pg.close()
