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
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.db.connection import Migration, apply_migrations, discover_migrations, schema_version
from bot.db.timestamps import from_db

DATA_DIR = Path(__file__).with_name("migration_data")
MIGRATIONS = discover_migrations()
LATEST = len(MIGRATIONS)

Row = tuple[Any, ...]
Snapshot = dict[str, tuple[list[str], list[Row]]]

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$")
"""A whole column value that is a moment with its offset, in any of the forms the bot ever wrote."""
ONE_FORM = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")
"""The form ``bot.db.timestamps.to_db`` writes: UTC, microseconds."""


def data_file(version: int) -> Path:
    return DATA_DIR / f"{version:04d}.sql"


async def connect() -> aiosqlite.Connection:
    # The same foreign-key setting as bot/db/connection.py open_database, so a migration that would break references
    # in production breaks here too.
    conn = await aiosqlite.connect(":memory:")
    await conn.execute("PRAGMA foreign_keys = ON")
    return conn


async def fetch(conn: aiosqlite.Connection, sql: str) -> list[Row]:
    async with conn.execute(sql) as cursor:
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


async def tables(conn: aiosqlite.Connection) -> list[str]:
    rows = await fetch(
        conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    )
    return sorted(str(row[0]) for row in rows)


async def snapshot(conn: aiosqlite.Connection) -> Snapshot:
    """Every table's columns and all of its rows, in a stable order (the data sets are small)."""
    result: Snapshot = {}
    for table in await tables(conn):
        columns = [str(row[1]) for row in await fetch(conn, f"PRAGMA table_info({quote(table)})")]
        result[table] = (columns, await rows_of(conn, table, columns))
    return result


async def rows_of(conn: aiosqlite.Connection, table: str, columns: list[str]) -> list[Row]:
    listed = ", ".join(quote(c) for c in columns)
    return await fetch(conn, f"SELECT {listed} FROM {quote(table)} ORDER BY {listed}")


async def normalised_schema(conn: aiosqlite.Connection) -> set[tuple[str, str, str, str | None]]:
    rows = await fetch(conn, "SELECT type, name, tbl_name, sql FROM sqlite_master")
    return {
        (str(kind), str(name), str(table), None if sql is None else re.sub(r"\s+", " ", str(sql)).strip())
        for kind, name, table, sql in rows
    }


async def migrate_to(conn: aiosqlite.Connection, version: int, *, with_data: bool) -> None:
    for migration in MIGRATIONS[:version]:
        await apply_migrations(conn, MIGRATIONS[: migration.version])
        if with_data:
            sql = data_file(migration.version).read_text(encoding="utf-8")
            await conn.executescript(f"BEGIN;\n{sql}\nCOMMIT;")
    assert await schema_version(conn) == version


async def scratch_schema() -> set[tuple[str, str, str, str | None]]:
    conn = await connect()
    try:
        await apply_migrations(conn, MIGRATIONS)
        return await normalised_schema(conn)
    finally:
        await conn.close()


def test_every_migration_has_a_data_file() -> None:
    expected = {data_file(m.version).name for m in MIGRATIONS}
    present = {p.name for p in DATA_DIR.glob("*.sql")}
    assert expected - present == set(), "each new migration needs rows for its tables in tests/unit/db/migration_data/"
    assert present - expected == set(), "a data file without a migration of the same number is never loaded"


async def test_every_final_table_has_data() -> None:
    conn = await connect()
    try:
        await migrate_to(conn, LATEST, with_data=True)
        empty = [table for table, (_, rows) in (await snapshot(conn)).items() if not rows]
    finally:
        await conn.close()
    assert empty == [], f"tables without rows in any tests/unit/db/migration_data file: {empty}"


# LATEST is included although nothing is left to apply: it is the only case in which the newest data file is loaded,
# so it proves those rows are valid before the next migration is written.
@pytest.mark.parametrize("start", range(LATEST + 1), ids=lambda v: f"from_{v:04d}")
async def test_upgrade_with_data_keeps_rows_and_matches_fresh_schema(start: int) -> None:
    conn = await connect()
    try:
        await migrate_to(conn, start, with_data=True)
        before = await snapshot(conn)
        empty = [table for table, (_, rows) in before.items() if not rows]
        assert empty == [], f"at version {start} these tables have no test rows: {empty}"

        remaining: list[Migration] = MIGRATIONS[start:]
        try:
            assert await apply_migrations(conn, MIGRATIONS) == LATEST
        except Exception as exc:
            names = ", ".join(m.path.name for m in remaining)
            raise AssertionError(f"upgrading from version {start} with data through {names} failed: {exc!r}") from exc

        assert await schema_version(conn) == LATEST
        assert await fetch(conn, "PRAGMA integrity_check") == [("ok",)]
        assert await fetch(conn, "PRAGMA foreign_key_check") == []

        after_tables = set(await tables(conn))
        for table, (columns, rows) in before.items():
            assert table in after_tables, f"table {table} (version {start}) is gone after the upgrade"
            # Only the columns that existed before are compared: a later migration may add columns, never lose data.
            after = await rows_of(conn, table, columns)
            assert as_instants(after) == as_instants(rows), f"rows of {table} changed when upgrading from {start}"

        assert not_in_one_form(await snapshot(conn)) == [], "a timestamp is not in the form bot/db/timestamps.py writes"

        assert await normalised_schema(conn) == await scratch_schema()
    finally:
        await conn.close()


ONE_FORM_MIGRATION = next(m for m in MIGRATIONS if m.path.name.endswith("_timestamps_one_form.sql"))


async def test_old_timestamps_are_rewritten_in_the_one_form_and_sort_by_time() -> None:
    conn = await connect()
    try:
        await apply_migrations(conn, MIGRATIONS[: ONE_FORM_MIGRATION.version - 1])
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

        await apply_migrations(conn, MIGRATIONS[: ONE_FORM_MIGRATION.version])

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
    finally:
        await conn.close()
