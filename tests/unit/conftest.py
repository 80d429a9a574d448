"""Fixtures the unit tests of several packages share: the bot's database and the shipped cycle calendar.

A package's own shared fixtures and helpers are in its conftest.py (knowledge/, quiz/, db/, properties/).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from bot.cycle import CycleCalendar
from bot.db.connection import MIGRATIONS_DIR, Connection, Migration, apply_migrations, is_postgres_url, open_database
from tests.conftest import DATA_DIR, new_postgres_database
from tests.postgres_server import PostgresServer


async def open_test_database(path: Path | str) -> Connection:
    """The real ``open_database``; if another feature's migration is missing (being written), apply the ones
    that exist with the same connection settings (``open_database`` refuses a gap in the numbering)."""
    numbers = sorted(int(p.name[:4]) for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    if numbers == list(range(1, len(numbers) + 1)) or is_postgres_url(path):
        return await open_database(path)
    conn = await aiosqlite.connect(path)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA foreign_keys = ON")
    found = sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    await apply_migrations(conn, [Migration(int(p.name[:4]), p) for p in found])
    return conn


@pytest.fixture
async def database_path(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """Where ``conn`` opens the database, which a test may open again (a restart): on SQLite a file of the test's
    own, on PostgreSQL a new database of the test's own (its URL). A module whose tests never reopen it may override
    this fixture with ``memory_or_postgres``."""
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        return await new_postgres_database(server)
    return tmp_path / "bot.sqlite3"


async def memory_or_postgres(backend: str, request: pytest.FixtureRequest) -> str:
    """``database_path`` for modules that never reopen the database: SQLite in memory (faster than a file)."""
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        return await new_postgres_database(server)
    return ":memory:"


@pytest.fixture
async def conn(database_path: Path | str) -> AsyncIterator[Connection]:
    """The bot's database with every migration applied, closed after the test."""
    connection = await open_test_database(database_path)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def calendar() -> CycleCalendar:
    """The shipped cycle calendar (data/cycles), loaded once per module."""
    return CycleCalendar.from_directory(DATA_DIR / "cycles")
