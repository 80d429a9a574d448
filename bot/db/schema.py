"""What the live database holds, read from its catalogue (SQLite's, or PostgreSQL's information_schema): for checks
that must see every table, such as ``bot.privacy``'s guard that no column holding a person's id is left out of
/mydata."""

from __future__ import annotations

from bot.db.connection import Connection
from bot.db.postgres import PgConnection

_PG_COLUMNS = (
    "SELECT table_name, column_name FROM information_schema.columns "
    "WHERE table_schema = 'public' AND table_name <> 'schema_version' "
    # COLLATE "C": table names ordered byte by byte, as SQLite's ORDER BY name, whatever the database's collation.
    'ORDER BY table_name COLLATE "C", ordinal_position'
)
"""The bot's tables in the public schema; ``schema_version`` is the migration runner's (SQLite keeps the version in
``PRAGMA user_version``, outside every table)."""


async def table_columns(conn: Connection) -> list[tuple[str, str]]:
    """Every (table, column) of the schema: tables by name, columns in their order; the engine's own tables (and the
    migration runner's ``schema_version`` on PostgreSQL) left out."""
    if isinstance(conn, PgConnection):
        async with conn.execute(_PG_COLUMNS) as cursor:
            return [(str(row[0]), str(row[1])) for row in await cursor.fetchall()]
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ) as cursor:
        tables = [r[0] for r in await cursor.fetchall()]
    found: list[tuple[str, str]] = []
    for table in tables:
        async with conn.execute(f"PRAGMA table_info({table})") as cursor:
            found.extend((table, row[1]) for row in await cursor.fetchall())
    return found
