"""bot/db/postgres.py: the SQL the repositories write, as PostgreSQL takes it, and what a statement returns."""

from __future__ import annotations

import sqlite3

import pytest

from bot.db.connection import Connection
from bot.db.postgres import PgConnection, to_postgres


def test_placeholders_are_numbered_outside_quotes_and_comments() -> None:
    assert to_postgres("SELECT ? , ? FROM t WHERE a = ?") == "SELECT $1 , $2 FROM t WHERE a = $3"
    assert (
        to_postgres("SELECT '?', \"?\" -- a ?\nFROM t WHERE b = ?") == "SELECT '?', \"?\" -- a ?\nFROM t WHERE b = $1"
    )
    assert to_postgres("SELECT 'it''s ?' WHERE c = ?") == "SELECT 'it''s ?' WHERE c = $1"


async def test_rows_rowcount_and_a_constraint_violation_as_sqlite_reports_them(conn: Connection) -> None:
    if not isinstance(conn, PgConnection):
        pytest.skip("PostgreSQL's side of what SQLite does by itself")
    await conn.execute("INSERT INTO bot_meta (key, value) VALUES (?, ?)", ("a", "1"))
    async with conn.execute("-- a comment first\n(SELECT key, value FROM bot_meta WHERE key = ?)", ("a",)) as cursor:
        row = await cursor.fetchone()
    assert row is not None and (row[0], row["value"]) == ("a", "1")
    updated = await conn.execute("UPDATE bot_meta SET value = ? WHERE key = ?", ("2", "a"))
    assert updated.rowcount == 1
    returned = await conn.execute("DELETE FROM bot_meta WHERE key = ? RETURNING value", ("a",))
    assert returned.rowcount == 1 and [tuple(r) for r in await returned.fetchall()] == [("2",)]
    await conn.execute("INSERT INTO bot_meta (key, value) VALUES (?, ?)", ("b", "1"))
    with pytest.raises(sqlite3.IntegrityError, match="duplicate key"):
        await conn.execute("INSERT INTO bot_meta (key, value) VALUES (?, ?)", ("b", "2"))
