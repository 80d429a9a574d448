"""`imgbot status` reads the heartbeat, deliveries and errors another process (the bot) wrote to the database."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import aiosqlite

from bot.db.connection import apply_migrations, discover_migrations, open_database, schema_version
from bot.db.timestamps import to_db
from bot.observability.repository import StatusRepository
from bot.observability.status import ErrorNote, Heartbeat, ShardFigures
from tests.unit.cli.test_commands import imgbot


async def write_database(path: Path, beat_age: dt.timedelta, state: str = "running") -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    conn = await open_database(path)
    try:
        beat = Heartbeat(31337, state, now - dt.timedelta(hours=2), now - beat_age, 0.0375, 3, 12)  # type: ignore[arg-type]
        await StatusRepository(conn).write(beat, [ErrorNote(now - dt.timedelta(minutes=9), "c0ffee", "/ask: boom")])
        for key, kind, status, late in [
            ("m1", "milestone", "sent", 1),
            ("m2", "milestone", "failed", 0),
            ("p1", "studygroup-prompt", "sent", 0),
        ]:
            await conn.execute(
                "INSERT INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, offset_seconds,"
                " occurs_at, fire_at, nonce, late, status, claimed_at, finished_at) "
                "VALUES (?, 'g', 1, 2, ?, 'r', 0, ?, ?, 'n', ?, ?, ?, ?)",
                (key, kind, to_db(now), to_db(now), late, status, to_db(now), to_db(now - dt.timedelta(hours=1))),
            )
        await conn.commit()
    finally:
        await conn.close()
    return now


async def test_status_prints_the_heartbeat_deliveries_and_errors(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    written = await write_database(database, dt.timedelta(seconds=20))
    done = imgbot("status", env_extra={"DATABASE_PATH": str(database)})
    took = dt.datetime.now(dt.UTC) - written
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # The age is the beat's 20 s plus the time the command took to start and read it: under a second on a quiet
    # machine, several seconds on a busy one (seen: 30 s with the suite on four workers and other work beside it).
    shown = re.fullmatch(r"Bot: +running \(pid 31337, heartbeat (?:(\d+)m )?(\d+)s ago\)", lines[0])
    assert shown is not None, lines[0]
    assert 20 <= 60 * int(shown[1] or 0) + int(shown[2]) <= 20 + took.total_seconds(), (lines[0], took)
    assert "Uptime:          2h 0m" in lines
    assert "Gateway latency: 38 ms" in lines
    assert "Servers:         3" in lines and "Scheduled jobs:  12" in lines
    # Labels are padded to the longest one; compare words, not spacing.
    words = [" ".join(line.split()) for line in lines]
    assert "milestone reminders: 1 sent (1 late), 0 skipped, 1 failed" in words
    assert "study-group prompts: 1 sent, 0 skipped, 0 failed" in words
    assert any(line.endswith("[c0ffee] /ask: boom") for line in lines)


async def test_status_json_and_exit_code_for_a_dead_bot(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    await write_database(database, dt.timedelta(minutes=30))
    done = imgbot("status", "--json", env_extra={"DATABASE_PATH": str(database)})
    # Not running: a heartbeat 30 minutes old. A health check can rely on the exit status alone.
    assert done.returncode == 3, done.stderr
    document = json.loads(done.stdout)
    assert document["running"] is False and document["source"] == "database"
    assert document["heartbeat"]["pid"] == 31337 and document["heartbeat"]["age_seconds"] >= 1800
    assert document["deliveries"]["milestone"] == {"sent": 1, "late": 1, "skipped": 0, "failed": 1, "pending": 0}
    assert [e["reference"] for e in document["errors"]] == ["c0ffee"]

    text = imgbot("status", env_extra={"DATABASE_PATH": str(database)})
    assert text.returncode == 3 and "not running (no heartbeat for too long" in text.stdout


def test_status_without_a_database_says_so(tmp_path: Path) -> None:
    done = imgbot("status", env_extra={"DATABASE_PATH": str(tmp_path / "none.sqlite3")})
    assert done.returncode == 1
    assert "no database" in done.stderr and not (tmp_path / "none.sqlite3").exists()


async def test_status_never_changes_an_older_database(tmp_path: Path) -> None:
    # `imgbot status` may run against the live bot's database: it reads only, and an older schema is reported, not
    # migrated.
    database = tmp_path / "bot.sqlite3"
    conn = await aiosqlite.connect(database)
    try:
        await conn.execute("PRAGMA journal_mode = WAL")
        await apply_migrations(conn, discover_migrations()[:7])
    finally:
        await conn.close()
    before = database.read_bytes()
    done = imgbot("status", env_extra={"DATABASE_PATH": str(database)})
    assert done.returncode == 1
    assert "schema version 7" in done.stderr and "needs version 8" in done.stderr
    assert database.read_bytes() == before
    conn = await aiosqlite.connect(database)
    try:
        assert await schema_version(conn) == 7
    finally:
        await conn.close()


async def test_status_shows_the_shards_of_the_last_heartbeat(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    now = dt.datetime.now(dt.UTC)
    conn = await open_database(database)
    try:
        shards = (ShardFigures(0, "ready", 0.0312, 1004), ShardFigures(1, "connecting", None, 0))
        beat = Heartbeat(4321, "running", now - dt.timedelta(hours=1), now, 0.0312, 1004, 0, shards)
        await StatusRepository(conn).write(beat)
    finally:
        await conn.close()
    done = imgbot("status", env_extra={"DATABASE_PATH": str(database)})
    assert done.returncode == 0, done.stderr
    words = [" ".join(line.split()) for line in done.stdout.splitlines()]
    assert "Shards: 2: 1 ready, 1 connecting" in words
    assert (
        "Shard 0: ready, 31 ms, 1,004 servers" in words and "Shard 1: connecting, not measured yet, 0 servers" in words
    )
    document = json.loads(imgbot("status", "--json", env_extra={"DATABASE_PATH": str(database)}).stdout)
    assert [(s["id"], s["state"], s["latency_ms"]) for s in document["heartbeat"]["shards"]] == [
        (0, "ready", 31.2),
        (1, "connecting", None),
    ]


async def test_status_of_a_database_from_before_shards_shows_none(tmp_path: Path) -> None:
    # Written by a bot from before migration 0012 (no status_shards table); `imgbot status` never migrates it.
    database = tmp_path / "bot.sqlite3"
    now = dt.datetime.now(dt.UTC)
    conn = await aiosqlite.connect(database)
    try:
        await apply_migrations(conn, [m for m in discover_migrations() if m.version < 12])
        await conn.execute(
            "INSERT INTO status_heartbeat (id, pid, state, started_at, beat_at, latency_ms, guilds, jobs) "
            "VALUES (1, 55, 'running', ?, ?, 40.0, 2, 3)",
            (to_db(now - dt.timedelta(minutes=5)), to_db(now)),
        )
        await conn.commit()
    finally:
        await conn.close()
    done = imgbot("status", "--json", env_extra={"DATABASE_PATH": str(database)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["heartbeat"]["shards"] == []
