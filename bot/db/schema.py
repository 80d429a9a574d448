"""What the live database holds, read from SQLite's catalogue: for checks that must see every table, such as
``bot.privacy``'s guard that no column holding a person's id is left out of /mydata."""

from __future__ import annotations

from bot.db.connection import Connection


async def table_columns(conn: Connection) -> list[tuple[str, str]]:
    """Every (table, column) of the schema: tables by name, columns in their order; SQLite's own tables left out."""
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ) as cursor:
        tables = [r[0] for r in await cursor.fetchall()]
    found: list[tuple[str, str]] = []
    for table in tables:
        async with conn.execute(f"PRAGMA table_info({table})") as cursor:
            found.extend((table, row[1]) for row in await cursor.fetchall())
    return found
