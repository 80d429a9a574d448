"""PostgreSQL behind the same small connection surface the repositories use with SQLite.

Why a thin layer over asyncpg rather than an ORM or SQLAlchemy Core: the repositories are written in plain SQL that
both engines understand (``ON CONFLICT``, ``RETURNING``, ``COALESCE``; no ``INSERT OR …``, no ``lastrowid``), and they
use five things of their connection: ``execute`` (awaited, or entered as ``async with … as cursor``), the cursor's
``fetchone``/``fetchall``/``rowcount``, ``executemany``, and ``write_transaction`` (bot/db/connection.py).
``PgConnection`` offers exactly those over an asyncpg pool, so one repository serves both backends and the SQL a
reviewer reads is the SQL that runs. What differs is spelled once, here: ``?`` placeholders become ``$1, $2…``, a
constraint violation is raised as ``sqlite3.IntegrityError`` (the one error the repositories catch), and the schema
lives in its own numbered migrations (``migrations/postgresql``).

Statements outside ``write_transaction`` run on any pooled connection and commit by themselves (reads, mostly).
``transaction()`` pins one pooled connection inside a PostgreSQL transaction for the task that opened it;
``write_transaction`` uses it, so a block's statements commit or roll back together exactly as on SQLite.
"""

from __future__ import annotations

import contextvars
import functools
import re
import sqlite3
from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, TypeAlias

import asyncpg
import asyncpg.pool

_Conn: TypeAlias = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
_RETURNS_ROWS = re.compile(
    # Leading blanks, comments and parentheses skipped: "-- why\n(SELECT ...)" returns rows too.
    r"^(?:\s|--[^\n]*\n|/\*.*?\*/|\()*(SELECT|WITH|VALUES|SHOW|EXPLAIN|TABLE)\b|\bRETURNING\b",
    re.IGNORECASE | re.DOTALL,
)
_STATUS_COUNT = re.compile(r"(\d+)$")


@functools.lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """``sql`` with each ``?`` placeholder numbered (``$1``, ``$2``…), leaving quoted text and comments alone."""
    out: list[str] = []
    number = 0
    i = 0
    n = len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # a doubled quote stays inside the literal
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            number += 1
            out.append(f"${number}")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _rowcount(status: str) -> int:
    """asyncpg's command tag (``UPDATE 3``, ``INSERT 0 1``, ``DELETE 0``) as sqlite3's ``rowcount``."""
    match = _STATUS_COUNT.search(status or "")
    return int(match.group(1)) if match else -1


_integrity_error = asyncpg.IntegrityConstraintViolationError
"""Raised by asyncpg for a unique, foreign-key, not-null or check violation; re-raised as sqlite3's."""


class PgCursor:
    """What a finished statement left: its rows (all fetched at once) and how many rows it changed."""

    def __init__(self, rows: list[asyncpg.Record], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        # PostgreSQL has no implicit row id; inserts that need the new id say RETURNING id.
        self.lastrowid: int | None = None

    async def fetchone(self) -> asyncpg.Record | None:
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    async def fetchall(self) -> list[asyncpg.Record]:
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    async def close(self) -> None:
        self._rows = []

    def __aiter__(self) -> PgCursor:
        return self

    async def __anext__(self) -> asyncpg.Record:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row


class PgResult:
    """``conn.execute(…)``: awaitable for its cursor, or usable as ``async with conn.execute(…) as cursor``."""

    def __init__(self, conn: PgConnection, sql: str, parameters: Sequence[Any]) -> None:
        self._conn = conn
        self._sql = sql
        self._parameters = parameters
        self._cursor: PgCursor | None = None

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._conn._run(self._sql, self._parameters).__await__()

    async def __aenter__(self) -> PgCursor:
        self._cursor = await self._conn._run(self._sql, self._parameters)
        return self._cursor

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._cursor is not None:
            await self._cursor.close()


class PgConnection:
    """The connection surface of ``aiosqlite.Connection`` the bot uses, over an asyncpg pool (module docstring)."""

    backend = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self.url = url
        # The connection of the transaction the current task is in, if any. The repositories write
        # ``async with write_transaction(self._conn): await self._conn.execute(…)``: on SQLite the block and its
        # statements share the one connection; here the statements find the block's pooled connection through this
        # variable, so they run inside its transaction, while every other task's statements use the pool.
        self._tx: contextvars.ContextVar[_Conn | None] = contextvars.ContextVar(f"pg_tx_{id(self)}", default=None)

    @property
    def in_transaction(self) -> bool:
        return self._tx.get() is not None

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> PgResult:
        return PgResult(self, sql, tuple(parameters or ()))

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> PgCursor:
        rows = [tuple(p) for p in parameters]
        query = to_postgres(sql)
        try:
            async with self._connection() as conn:
                await conn.executemany(query, rows)
        except _integrity_error as exc:
            raise sqlite3.IntegrityError(str(exc)) from exc
        return PgCursor([], len(rows))

    async def executescript(self, sql: str) -> None:
        """Several statements at once, with no parameters (migrations and tests' fixtures)."""
        async with self._connection() as conn:
            await conn.execute(sql)

    async def commit(self) -> None:
        """Nothing to do: outside ``transaction()`` every statement has committed already."""

    async def rollback(self) -> None:
        """Nothing to do outside ``transaction()`` (see ``commit``); inside, the block's end rolls back."""

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConnection]:
        """The block's statements (this task's, on this connection) run in one transaction on one pooled connection:
        committed when the block ends, rolled back if it raises."""
        if self._tx.get() is not None:
            raise RuntimeError("transactions do not nest; finish the outer one first")
        async with self._pool.acquire() as conn, conn.transaction():
            token = self._tx.set(conn)
            try:
                yield self
            finally:
                self._tx.reset(token)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[_Conn]:
        bound = self._tx.get()
        if bound is not None:
            yield bound
            return
        async with self._pool.acquire() as conn:
            yield conn

    async def _run(self, sql: str, parameters: Sequence[Any]) -> PgCursor:
        query = to_postgres(sql)
        try:
            async with self._connection() as conn:
                return await _statement(conn, query, parameters)
        except _integrity_error as exc:
            raise sqlite3.IntegrityError(str(exc)) from exc


async def _statement(conn: _Conn, query: str, parameters: Sequence[Any]) -> PgCursor:
    if _RETURNS_ROWS.search(query):
        rows = await conn.fetch(query, *parameters)
        return PgCursor(rows, len(rows) if "RETURNING" in query.upper() else -1)
    status = await conn.execute(query, *parameters)
    return PgCursor([], _rowcount(status))


async def connect(url: str, *, min_size: int = 1, max_size: int = 10) -> PgConnection:
    """A pool of connections to the PostgreSQL database at ``url`` (``postgresql://user@host:port/db``)."""
    pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
    return PgConnection(pool, url)
