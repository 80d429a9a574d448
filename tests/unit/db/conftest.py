"""Helpers the database tests share: a database with votes in it, and sqlite3 connections that close."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from bot.db.connection import open_database


def connect(path: Path | str, *, uri: bool = False) -> contextlib.closing[sqlite3.Connection]:
    """A connection closed at the end of the block (sqlite3's own ``with`` only commits)."""
    return contextlib.closing(sqlite3.connect(path, uri=uri))


async def make_db(path: Path, votes: int = 3) -> None:
    """A migrated database at ``path`` holding ``votes`` votes (one per user) for the entry ``soap``."""
    conn = await open_database(path)
    try:
        await conn.executemany(
            "INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES ('soap', ?, 1, 'x')",
            [(u,) for u in range(votes)],
        )
        await conn.commit()
    finally:
        await conn.close()
