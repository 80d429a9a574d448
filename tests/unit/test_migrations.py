"""Every migration upgrades a database that already holds data, from every earlier schema version.

``migration_data/NNNN.sql`` holds realistic rows for the tables that migration NNNN creates. A database at version v
is built the way a real one grows: migration 1, its rows, migration 2, its rows, … up to v; each data file therefore
always meets the schema it was written for, and the older rows have already been through the later migrations up to
v. The remaining migrations are then applied and the result must keep every row and match a database migrated from
scratch. A new migration needs its own data file (``test_every_migration_has_a_data_file`` and
``test_every_final_table_has_data`` insist), so the next upgrade is tested against its tables too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.db.connection import Migration, apply_migrations, discover_migrations, schema_version

DATA_DIR = Path(__file__).with_name("migration_data")
MIGRATIONS = discover_migrations()
LATEST = len(MIGRATIONS)

Row = tuple[Any, ...]
Snapshot = dict[str, tuple[list[str], list[Row]]]


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
    assert expected - present == set(), "each new migration needs rows for its tables in tests/unit/migration_data/"
    assert present - expected == set(), "a data file without a migration of the same number is never loaded"


async def test_every_final_table_has_data() -> None:
    conn = await connect()
    try:
        await migrate_to(conn, LATEST, with_data=True)
        empty = [table for table, (_, rows) in (await snapshot(conn)).items() if not rows]
    finally:
        await conn.close()
    assert empty == [], f"tables without rows in any tests/unit/migration_data file: {empty}"


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
            assert await rows_of(conn, table, columns) == rows, f"rows of {table} changed when upgrading from {start}"

        assert await normalised_schema(conn) == await scratch_schema()
    finally:
        await conn.close()
