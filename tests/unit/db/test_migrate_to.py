"""`imgbot db migrate-to`: an SQLite database with rows in every table is copied whole into an empty PostgreSQL
database (counts equal, rows equal, ids never given twice, the deletion ledger with it), in one transaction, and the
bot runs on the result; a target that holds anything, a source at another schema, or a running bot, is refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.app import ImgBot
from bot.content import Content
from bot.db.connection import MIGRATIONS_DIR, apply_migrations, discover_migrations, schema_version
from bot.db.lock import DatabaseLock
from bot.db.migrate_to import MigrationRefused, migrate_to
from bot.db.pg_backup import LEDGER_SCHEMA
from bot.deletion_ledger import KEY_NAME, DeletionLedger, ledger_path_for
from tests.conftest import make_settings
from tests.postgres_server import PostgresServer
from tests.unit.db import postgres_helpers as pg

MIGRATIONS = discover_migrations()
GROWTH_DATA = Path(__file__).with_name("migration_data")
"""Rows for the tables of each migration (test_migrations.py): loaded in turn, they fill every table."""
SHOWN = "the test database"


async def grow(path: Path) -> None:
    """An SQLite database grown the way a real one is: each migration, then rows for its tables; then one deletion
    through the ledger, so the ledger file and the database's key exist too."""
    conn = await aiosqlite.connect(path)
    try:
        await conn.execute("PRAGMA foreign_keys = ON")
        for migration in MIGRATIONS:
            await apply_migrations(conn, MIGRATIONS[: migration.version])
            sql = (GROWTH_DATA / f"{migration.version:04d}.sql").read_text(encoding="utf-8")
            await conn.executescript(f"BEGIN;\n{sql}\nCOMMIT;")
        ledger = DeletionLedger(conn)
        await ledger.mark_applied([await ledger.record(731_245_678_901_234_567)])
    finally:
        await conn.close()


def sqlite_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        found = conn.execute(sql).fetchall()
    conn.close()
    return found


def sqlite_tables(path: Path) -> list[str]:
    rows = sqlite_rows(path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return sorted(str(r[0]) for r in rows)


def same_values(rows: list[tuple[Any, ...]]) -> list[tuple[str | None, ...]]:
    """Rows compared by value, in any order: SQLite and PostgreSQL return the same numbers and text as the same
    Python values, except that a whole REAL is a float on one side and may be an int on the other."""
    values = [tuple(None if v is None else str(float(v) if isinstance(v, int | float) else v) for v in r) for r in rows]
    return sorted(values, key=repr)


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Grown once per module (24 migrations and their rows); each test copies it before touching it."""
    path = tmp_path_factory.mktemp("grown") / "bot.sqlite3"
    pg.run(grow(path))
    return path


@pytest.fixture
def source(grown: Path, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(grown.read_bytes())
    ledger_path_for(path).write_bytes(ledger_path_for(grown).read_bytes())
    yield path


def test_every_table_is_copied_with_its_rows_and_the_ledger(
    source: Path, postgres: PostgresServer, content: Content, tmp_path: Path
) -> None:
    target = pg.new_empty_database(postgres)  # as a hosting provider hands one out: not even the schema
    result = pg.run(migrate_to(source, target, SHOWN))

    tables = sqlite_tables(source)
    assert sorted(t.table for t in result.tables) == tables
    assert all(t.sqlite_rows == t.postgres_rows > 0 for t in result.tables), result.tables
    for table in tables:
        assert same_values(pg.rows(target, f'SELECT * FROM "{table}"')) == same_values(
            sqlite_rows(source, f'SELECT * FROM "{table}"')
        ), table
    assert result.schema_version == len(MIGRATIONS) and result.ledger_entries == 1
    assert pg.rows(target, f"SELECT entry, user_hash FROM {LEDGER_SCHEMA}.deletions") == sqlite_rows(
        ledger_path_for(source), "SELECT entry, user_hash FROM deletions"
    )
    # The bot opens the result: the same schema version, the same ledger key, nothing pending.
    bot = ImgBot(make_settings(tmp_path, database_url=target), content)

    async def start_and_stop() -> tuple[int, str, int]:
        try:
            await bot.prepare()
            ledger = DeletionLedger(bot.db)
            return await schema_version(bot.db), await ledger.key(), len(await ledger.pending())
        finally:
            await bot.close()

    [(key,)] = sqlite_rows(source, f"SELECT value FROM bot_meta WHERE key = '{KEY_NAME}'")
    assert pg.run(start_and_stop()) == (len(pg_migrations()), key, 0)


def pg_migrations() -> list[Path]:
    return sorted((MIGRATIONS_DIR / "postgresql").glob("*.sql"))


def test_ids_are_never_given_twice(source: Path, postgres: PostgresServer) -> None:
    """Every identity sequence starts past the largest id copied, and past the ids AUTOINCREMENT gave out to rows
    deleted since (a reminder or an entry deleted must never have its id reused)."""
    [(table, seq)] = sqlite_rows(source, "SELECT name, seq FROM sqlite_sequence ORDER BY name LIMIT 1")
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f'UPDATE sqlite_sequence SET seq = seq + 100 WHERE name = "{table}"')
    conn.close()
    target = pg.new_database(postgres)
    pg.run(migrate_to(source, target, SHOWN))
    identities = pg.rows(
        target,
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND is_identity = 'YES'",
    )
    assert identities, "the PostgreSQL schema has identity columns"
    for name, column in identities:
        [(largest,)] = pg.rows(target, f'SELECT COALESCE(MAX("{column}"), 0) FROM "{name}"')
        [(following,)] = pg.rows(target, "SELECT nextval(pg_get_serial_sequence(?, ?))", f'public."{name}"', column)
        assert following > largest, name
        if name == table:
            assert following == int(seq) + 101


def test_a_target_that_holds_anything_is_refused(source: Path, postgres: PostgresServer) -> None:
    target = pg.new_database(postgres)
    pg.rows(target, "INSERT INTO bot_meta (key, value) VALUES ('note', 'x')")
    with pytest.raises(MigrationRefused) as refused:
        pg.run(migrate_to(source, target, SHOWN))
    assert str(refused.value) == (
        f"refused: {SHOWN} already holds data (in bot_meta); migrate-to copies into an empty database only"
    )
    assert pg.rows(target, "SELECT COUNT(*) FROM entry_votes") == [(0,)]
    # A copy made once is not made twice.
    pg.rows(target, "DELETE FROM bot_meta")
    pg.run(migrate_to(source, target, SHOWN))
    with pytest.raises(MigrationRefused, match="already holds data"):
        pg.run(migrate_to(source, target, SHOWN))


def test_a_source_at_another_schema_or_in_use_is_refused(
    source: Path, postgres: PostgresServer, tmp_path: Path
) -> None:
    target = pg.new_empty_database(postgres)
    older = tmp_path / "older.sqlite3"
    with sqlite3.connect(older) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("PRAGMA user_version = 5")
    conn.close()
    with pytest.raises(MigrationRefused, match=r"version 5, older than this bot's .*`imgbot run` upgrades it"):
        pg.run(migrate_to(older, target, SHOWN))
    with sqlite3.connect(older) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(MigrationRefused, match="newer than this bot knows"):
        pg.run(migrate_to(older, target, SHOWN))
    with pytest.raises(MigrationRefused, match="there is no SQLite database at"):
        pg.run(migrate_to(tmp_path / "missing.sqlite3", target, SHOWN))
    with DatabaseLock.acquire(source, "the bot"), pytest.raises(MigrationRefused, match="is in use by the bot"):
        pg.run(migrate_to(source, target, SHOWN))
    assert pg.rows(target, "SELECT to_regclass('public.entry_votes') IS NULL") == [(True,)], "nothing was done"


def test_a_row_postgresql_refuses_rolls_the_whole_copy_back(source: Path, postgres: PostgresServer) -> None:
    """A row SQLite kept without checking (foreign keys were off when it was written) stops the copy, and nothing of
    it stays: the target is as empty as before and can be used once the source is mended."""
    with sqlite3.connect(source) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DELETE FROM study_groups")
    conn.close()
    target = pg.new_database(postgres)
    with pytest.raises(MigrationRefused, match="study_group") as refused:
        pg.run(migrate_to(source, target, SHOWN))
    assert "nothing was written" in str(refused.value)
    assert pg.rows(target, "SELECT COUNT(*) FROM entry_votes") == [(0,)]
    assert pg.rows(target, f"SELECT to_regclass('{LEDGER_SCHEMA}.deletions') IS NULL") == [(True,)]


def test_a_fraction_in_an_integer_column_is_refused_not_cut(source: Path, postgres: PostgresServer) -> None:
    """SQLite keeps 1.5 in an INTEGER column if told to; copying it as 1 would change it, and the counts would not
    notice: refused, naming the table, and nothing written."""
    with sqlite3.connect(source) as conn:
        conn.execute("UPDATE entry_votes SET user_id = 1.5 WHERE rowid = (SELECT MIN(rowid) FROM entry_votes)")
    conn.close()
    target = pg.new_database(postgres)
    with pytest.raises(MigrationRefused, match=r"entry_votes holds a value .*1\.5.* nothing was written"):
        pg.run(migrate_to(source, target, SHOWN))
    assert pg.rows(target, "SELECT COUNT(*) FROM entry_votes") == [(0,)]
