"""What the tests of PostgreSQL's backups, restores, checks and migrate-to share: databases of the worker's test
server, and rows written past the bot (as an operator's psql would)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

import asyncpg

from tests.conftest import new_postgres_database
from tests.postgres_server import PostgresServer

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to the end from any test, sync or async: on a thread of its own, whose event loop is free
    (an async test's own loop is already running and would refuse asyncio.run)."""
    with concurrent.futures.ThreadPoolExecutor(1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


def numbered(sql: str) -> str:
    """``?`` placeholders as asyncpg's ``$1, $2…``."""
    parts = sql.split("?")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, start=1))


async def fetch(url: str, sql: str, *args: object) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(r) for r in await conn.fetch(numbered(sql), *args)]
    finally:
        await conn.close()


def rows(url: str, sql: str, *args: object) -> list[tuple[Any, ...]]:
    return run(fetch(url, sql, *args))


def new_database(server: PostgresServer) -> str:
    """A new database holding the bot's schema, no rows; its URL."""
    return run(new_postgres_database(server))


def new_empty_database(server: PostgresServer) -> str:
    """A new database without even the bot's schema (as a hosting provider hands one out); its URL."""

    async def create() -> str:
        name = server.new_name("empty")
        await fetch(server.url(), f"CREATE DATABASE {name} TEMPLATE template0")
        return server.url(name)

    return run(create())


def vote(url: str, *users: int) -> None:
    for user in users:
        rows(url, "INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES ('soap', ?, 1, 'x')", user)


def votes(url: str) -> int:
    return int(rows(url, "SELECT COUNT(*) FROM entry_votes")[0][0])


def deliver(url: str, key: str, status: str = "sent", kind: str = "milestone") -> None:
    rows(
        url,
        "INSERT INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds, "
        "occurs_at, fire_at, nonce, status, message_id) "
        "VALUES (?, 'g', 1, 2, ?, 'match-day-2027', 0, 't', '2026-11-22T11:00:00', ?, ?, 99) "
        "ON CONFLICT (key) DO UPDATE SET status = excluded.status",
        key,
        kind,
        f"n-{key}",
        status,
    )


def set_watermark(url: str, feed: str, value: str) -> None:
    rows(
        url,
        "INSERT INTO bot_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        f"watermark:{feed}",
        value,
    )
