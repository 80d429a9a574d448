"""Writers sharing the bot's one connection: each transaction commits or rolls back only its own statements.

SQLite's transaction belongs to the connection, and the bot's coroutines share one. Before ``write_transaction`` a
study group's name-conflict rollback could discard a delivery claim another coroutine had just inserted (and a claim
lost after its message went out means the message may be posted twice).

On PostgreSQL the same blocks run in a transaction of their own on one pooled connection (bot/db/postgres.py), and the
writers of one process still take turns: the tests that use ``conn`` run on both backends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import sqlite3
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from bot.db.connection import Connection, is_postgres_url, write_transaction
from bot.db.postgres import PgConnection, to_postgres
from bot.knowledge.repository import KnowledgeFeedbackRepository
from bot.scheduling.delivery import DeliveryRecord, DeliveryRepository, DeliveryStatus, delivery_nonce
from tests.conftest import REPO_ROOT

Row = tuple[object, ...]
NOW = dt.datetime(2027, 3, 3, 12, 0, tzinfo=dt.UTC)
ROOT = REPO_ROOT


def claim_record(key: str = "sg:1:2027-03-03") -> DeliveryRecord:
    return DeliveryRecord(
        key=key,
        group_key=key,
        guild_id=1,
        channel_id=2,
        target_kind="studygroup-prompt",
        target_ref="1",
        offset_seconds=0,
        occurs_at=NOW,
        fire_at=NOW,
        nonce=delivery_nonce(key),
    )


async def committed_rows(database_path: Path | str, sql: str, parameters: tuple[object, ...]) -> list[Row]:
    """What a fresh connection (a restart, another process) reads: only what was committed."""
    if is_postgres_url(database_path):
        other = await asyncpg.connect(str(database_path))
        try:
            return [tuple(row) for row in await other.fetch(to_postgres(sql), *parameters)]
        finally:
            await other.close()
    async with aiosqlite.connect(database_path) as lite, lite.execute(sql, parameters) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def insert_taken_key(conn: Connection) -> None:
    """A block whose write conflicts (the key exists) and which rolls back, as a repository's duplicate-name check
    does (``except sqlite3.IntegrityError``: raised on both backends)."""
    try:
        async with write_transaction(conn):
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('taken', '2')")
    except sqlite3.IntegrityError:
        return
    raise AssertionError("the duplicate key was accepted")


async def test_a_conflict_rollback_does_not_discard_another_coroutines_claim(
    conn: Connection, database_path: Path | str
) -> None:
    deliveries = DeliveryRepository(conn)
    async with write_transaction(conn):
        await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('taken', '1')")

    # The conflicting insert is queued first, the claim right after it. Without a write lock (on SQLite) the
    # conflict's rollback reaches the connection between the claim's INSERT and its COMMIT, and takes the claim with it.
    conflicted, claimed = await asyncio.gather(
        insert_taken_key(conn), deliveries.claim(claim_record(), NOW), return_exceptions=True
    )

    assert conflicted is None
    assert claimed is True
    stored = await deliveries.get(claim_record().key)
    assert stored is not None and stored.status is DeliveryStatus.CLAIMED
    # Not merely visible on this connection: committed, so a restart (a fresh connection) sees it.
    assert await committed_rows(
        database_path, "SELECT status FROM deliveries WHERE key = ?", (claim_record().key,)
    ) == [("claimed",)]
    assert await committed_rows(database_path, "SELECT value FROM bot_meta WHERE key = 'taken'", ()) == [("1",)]


async def test_another_coroutines_commit_does_not_commit_half_a_failed_transaction(conn: Connection) -> None:
    votes = KnowledgeFeedbackRepository(conn)
    inserted = asyncio.Event()

    async def half_then_fail() -> None:
        async with write_transaction(conn):
            await conn.execute(
                "INSERT INTO unanswered_questions (question, times, first_seen, last_seen) VALUES ('half', 1, 'x', 'x')"
            )
            inserted.set()
            # One more round trip to the database thread while the transaction is open: without a write lock the
            # vote's INSERT and COMMIT reach the connection before this block's failure and rollback do.
            await conn.execute("SELECT 1")
            await conn.execute("INSERT INTO no_such_table VALUES (1)")

    async def vote_once_the_half_is_in() -> None:
        await inserted.wait()
        await votes.record_vote("usmle-step-1", 5, True, NOW)

    results = await asyncio.gather(half_then_fail(), vote_once_the_half_is_in(), return_exceptions=True)

    assert isinstance(results[0], aiosqlite.OperationalError | asyncpg.UndefinedTableError)
    assert results[1] is None
    assert await votes.all_unanswered() == []
    assert (await votes.tally("usmle-step-1")).helpful == 1


async def test_the_block_commits_on_success_and_rolls_back_on_error(conn: Connection) -> None:
    deliveries = DeliveryRepository(conn)
    async with write_transaction(conn):
        await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('kept', '1')")
    with pytest.raises(ValueError, match="changed my mind"):
        async with write_transaction(conn):
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('dropped', '1')")
            raise ValueError("changed my mind")

    assert not conn.in_transaction
    async with conn.execute("SELECT key FROM bot_meta WHERE key IN ('kept', 'dropped')") as cursor:
        assert [row[0] for row in await cursor.fetchall()] == ["kept"]
    # The connection is usable afterwards.
    assert await deliveries.claim(claim_record(), NOW) is True


async def test_nested_blocks_raise_instead_of_waiting_forever(conn: Connection) -> None:
    with pytest.raises(RuntimeError, match="do not nest"):
        async with write_transaction(conn):
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('outer', '1')")
            async with write_transaction(conn):
                pass  # pragma: no cover - never entered

    async with conn.execute("SELECT COUNT(*) FROM bot_meta WHERE key = 'outer'") as cursor:
        assert [row[0] for row in await cursor.fetchall()] == [0]
    # The lock was released: the next writer gets its turn.
    async with write_transaction(conn):
        await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('after', '1')")


async def test_a_write_left_open_outside_the_helper_is_rolled_back_not_committed(
    conn: Connection, caplog: pytest.LogCaptureFixture
) -> None:
    await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('stray', '1')")
    with caplog.at_level(logging.WARNING, logger="bot.db.connection"):
        async with write_transaction(conn):
            await conn.execute("INSERT INTO bot_meta (key, value) VALUES ('mine', '1')")

    async with conn.execute("SELECT key FROM bot_meta WHERE key IN ('stray', 'mine') ORDER BY key") as cursor:
        kept = [row[0] for row in await cursor.fetchall()]
    if isinstance(conn, PgConnection):
        # Outside a block each PostgreSQL statement commits by itself: nothing is left open for the next block to
        # commit or roll back, so there is nothing to warn about.
        assert kept == ["mine", "stray"]
        assert "outside write_transaction" not in caplog.text
    else:
        assert "outside write_transaction" in caplog.text
        assert kept == ["mine"]


_DIRECT_TRANSACTION_CALL = re.compile(r"\.\s*(commit|rollback)\s*\(")


def test_no_module_commits_or_rolls_back_by_itself() -> None:
    """Only write_transaction may end a transaction on the shared connection; anything else can commit or discard
    another coroutine's half-done work."""
    allowed = {
        ROOT / "bot" / "db" / "connection.py",
        # Local mode clears the commands' registration with a connection of its own, before the bot starts: there is
        # no shared connection yet, so nothing of anyone else's to commit.
        ROOT / "bot" / "local_mode.py",
    }
    offenders = []
    for path in sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]):
        if path in allowed:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if _DIRECT_TRANSACTION_CALL.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "use bot.db.connection.write_transaction instead:\n" + "\n".join(offenders)


def test_the_guard_recognises_direct_calls() -> None:
    assert _DIRECT_TRANSACTION_CALL.search("        await self._conn.commit()")
    assert _DIRECT_TRANSACTION_CALL.search("await conn.rollback ()")
    assert not _DIRECT_TRANSACTION_CALL.search("async with write_transaction(self._conn):")
