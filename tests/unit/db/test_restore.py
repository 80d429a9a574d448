"""Restores: refused while the bot runs, a sound copy of what they replace, and never a second post of what was sent;
on SQLite (a file replaced) and on PostgreSQL (pg_dump archives, bot/db/pg_backup.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from bot.app import ImgBot
from bot.content import Content
from bot.db import backup as backup_module
from bot.db import pg_backup
from bot.db.backup import BackupError, JournalCarried, RestoreResult, backup_database, check_integrity, restore_database
from bot.db.connection import (
    PG_MIGRATIONS_DIR,
    apply_migrations,
    apply_migrations_sync,
    discover_migrations,
    open_database,
)
from bot.db.errors import DatabaseProblem
from bot.db.lock import DatabaseInUse, DatabaseLock, PostgresLock
from bot.db.pg_backup import (
    CARRY_SCHEMA,
    archive_version,
    backup_postgres,
    check_postgres,
    finish_interrupted_restore,
    list_pg_backups,
    restore_postgres,
)
from bot.db.postgres import connect as pg_connect
from tests.conftest import make_settings
from tests.postgres_server import PostgresServer
from tests.unit.db import postgres_helpers as pg
from tests.unit.db.conftest import connect

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)


def make_db(path: Path, migrations: int | None = None) -> None:
    with connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        apply_migrations_sync(conn, discover_migrations()[:migrations])


def vote(path: Path, *users: int) -> None:
    with connect(path) as conn, conn:
        conn.executemany(
            "INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES ('soap', ?, 1, 'x')",
            [(u,) for u in users],
        )


def deliver(path: Path, key: str, status: str = "sent", kind: str = "milestone") -> None:
    with connect(path) as conn, conn:
        conn.execute(
            "INSERT OR REPLACE INTO deliveries (key, group_key, guild_id, channel_id, target_kind, target_ref, "
            "offset_seconds, occurs_at, fire_at, nonce, status, message_id) "
            "VALUES (?, 'g', 1, 2, ?, 'match-day-2027', 0, 't', '2026-11-22T11:00:00', ?, ?, 99)",
            (key, kind, f"n-{key}", status),
        )


def set_watermark(path: Path, feed: str, value: str) -> None:
    with connect(path) as conn, conn:
        conn.execute(
            "INSERT INTO bot_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f"watermark:{feed}", value),
        )


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


def votes(path: Path) -> int:
    return int(rows(path, "SELECT COUNT(*) FROM entry_votes")[0][0])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "var" / "bot.sqlite3"
    path.parent.mkdir()
    make_db(path)
    vote(path, 1, 2, 3)
    deliver(path, "before-backup")
    set_watermark(path, "studygroups", "2026-11-22T11:00:00.000000+00:00")
    return path


def test_a_restore_brings_data_back_and_keeps_the_record_of_what_was_posted(database: Path, tmp_path: Path) -> None:
    backup = backup_database(database, tmp_path / "backups", NOW).path
    # After the backup: members' data (which the restore takes back) and posts in Discord (which it cannot).
    vote(database, 4, 5)
    deliver(database, "after-backup")
    deliver(database, "claimed-after-backup", status="claimed")
    deliver(database, "before-backup", status="sent")
    set_watermark(database, "studygroups", "2026-11-22T12:30:00.000000+00:00")
    with connect(database) as conn, conn:
        conn.execute(
            "INSERT INTO milestone_discord_events VALUES (1, 'match-day-2027', 2027, 555, 's', 'e', 0, 'f', 'active', "
            "'c', 'u')"
        )

    result = restore_database(backup, database, LATER)

    assert votes(database) == 3
    assert rows(database, "SELECT key, status FROM deliveries ORDER BY key") == [
        ("after-backup", "sent"),
        ("before-backup", "sent"),
        ("claimed-after-backup", "claimed"),  # recovered at start: looked for in the channel before any resend
    ]
    assert rows(database, "SELECT value FROM bot_meta WHERE key = 'watermark:studygroups'") == [
        ("2026-11-22T12:30:00.000000+00:00",)
    ]
    assert rows(database, "SELECT event_id FROM milestone_discord_events") == [(555,)]
    assert result.journal is not None
    assert (result.journal.deliveries, result.journal.discord_events, result.journal.watermarks) == (2, 1, 1)
    assert result.schema_version == len(discover_migrations())
    # The replaced database is kept whole, as a checked snapshot, and owner-only.
    assert result.kept == database.with_name("bot.sqlite3.before-restore-20261122T130000Z")
    assert not result.kept_as_is and check_integrity(result.kept) == [] and votes(result.kept) == 5
    assert mode(database) == mode(result.kept) == 0o600
    # Nothing else is left beside it: no -wal of the replaced file (SQLite would apply it to the new one), no
    # staging copy; the lock file stays (a lock is never taken on a file that was deleted).
    assert {p.name for p in database.parent.iterdir()} == {database.name, result.kept.name, "bot.sqlite3.lock"}


def test_a_watermark_never_goes_back(database: Path, tmp_path: Path) -> None:
    set_watermark(database, "studygroups", "2026-11-22T13:00:00.000000+00:00")
    backup = backup_database(database, tmp_path / "backups", NOW).path
    set_watermark(database, "studygroups", "2026-11-22T12:00:00.000000+00:00")
    result = restore_database(backup, database, LATER)
    assert result.journal is not None and result.journal.watermarks == 0
    assert rows(database, "SELECT value FROM bot_meta WHERE key = 'watermark:studygroups'") == [
        ("2026-11-22T13:00:00.000000+00:00",)
    ]


def test_a_restore_is_refused_while_the_bot_runs(database: Path, tmp_path: Path) -> None:
    backup = backup_database(database, tmp_path / "backups", NOW).path
    vote(database, 4)
    with DatabaseLock.acquire(database, "the bot"):
        before = sorted(p.name for p in database.parent.iterdir())
        with pytest.raises(BackupError) as refused:
            restore_database(backup, database, LATER)
        assert f"is in use by the bot (pid {os.getpid()}, since " in str(refused.value)
        assert "Stop the bot first" in str(refused.value) and "nothing was changed" in str(refused.value)
        assert sorted(p.name for p in database.parent.iterdir()) == before
        assert votes(database) == 4
    assert restore_database(backup, database, LATER).kept is not None
    assert votes(database) == 3


def test_the_follow_up_runs_while_the_lock_is_held(database: Path, tmp_path: Path) -> None:
    backup = backup_database(database, tmp_path / "backups", NOW).path
    seen: list[str] = []

    def after(path: Path) -> None:
        seen.append(path.name)
        with pytest.raises(DatabaseInUse, match="a restore"):
            DatabaseLock.acquire(path, "the bot")

    restore_database(backup, database, LATER, after=after)
    assert seen == [database.name]


def test_without_a_record_to_carry_over_a_restore_needs_allow_reposts(database: Path, tmp_path: Path) -> None:
    backup = backup_database(database, tmp_path / "backups", NOW).path
    fresh = tmp_path / "elsewhere" / "bot.sqlite3"
    with pytest.raises(BackupError, match=r"there is no database at .* --allow-reposts"):
        restore_database(backup, fresh, LATER)
    assert not fresh.exists() and not Path(f"{fresh}.restoring").exists()
    result = restore_database(backup, fresh, LATER, allow_reposts=True)
    assert result.journal is None and result.kept is None and votes(fresh) == 3
    assert mode(fresh) == 0o600 and mode(fresh.parent) == 0o700


def test_a_damaged_database_is_kept_as_it_was(database: Path, tmp_path: Path) -> None:
    backup = backup_database(database, tmp_path / "backups", NOW).path
    damaged = b"SQLite format 3\x00" + b"\xff" * 5000
    database.write_bytes(damaged)
    Path(f"{database}-wal").unlink(missing_ok=True)
    with pytest.raises(BackupError, match=r"could not be read from the damaged .* --allow-reposts"):
        restore_database(backup, database, LATER)
    assert database.read_bytes() == damaged
    result = restore_database(backup, database, LATER, allow_reposts=True)
    assert result.kept_as_is and result.kept is not None and result.kept.read_bytes() == damaged
    assert mode(result.kept) == 0o600
    assert votes(database) == 3 and check_integrity(database) == []


def test_an_older_backup_is_brought_to_the_current_schema_before_the_record_is_carried(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    make_db(old, migrations=5)  # before the study-group kinds of delivery existed
    vote(old, 7)
    database = tmp_path / "bot.sqlite3"
    make_db(database)
    deliver(database, "sg:prompt:1:2026-11-22", kind="studygroup-prompt")
    deliver(database, "nudge", kind="studygroup-nudge")
    result = restore_database(old, database, LATER)
    assert result.schema_version == len(discover_migrations())
    assert votes(database) == 1
    assert result.journal is not None and (result.journal.deliveries, result.journal.refused) == (2, 0)
    assert rows(database, "SELECT key FROM deliveries ORDER BY key") == [("nudge",), ("sg:prompt:1:2026-11-22",)]


def test_a_restore_waits_for_no_other_program(database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backup = backup_database(database, tmp_path / "backups", NOW).path
    monkeypatch.setattr(backup_module, "BUSY_TIMEOUT_SECONDS", 0.1)
    with connect(database) as writer, connect(database) as reader:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES ('soap', 9, 1, 'x')")
        writer.commit()
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM entry_votes").fetchone()  # an open read: the log cannot be reset
        with pytest.raises(BackupError, match=r"another program has .* open"):
            restore_database(backup, database, LATER)
        reader.execute("COMMIT")
    assert votes(database) == 4
    assert not Path(f"{database}.restoring").exists()


def test_a_backup_an_earlier_version_made_restores_and_is_left_as_it_was(database: Path, tmp_path: Path) -> None:
    # The backup API copied the WAL flag: a WAL-mode file with no -wal beside it, read without leaving one.
    old = tmp_path / "backups" / "imgbot-20261101T000000Z.sqlite3"
    old.parent.mkdir()
    with connect(database) as src, connect(old) as dst:
        src.backup(dst)
    before = old.read_bytes()
    vote(database, 4)
    result = restore_database(old, database, LATER)
    assert votes(database) == 3 and result.kept is not None and votes(result.kept) == 4
    assert sorted(p.name for p in old.parent.iterdir()) == [old.name] and old.read_bytes() == before


def test_the_database_itself_is_no_backup(database: Path) -> None:
    with pytest.raises(BackupError, match="is the database itself"):
        restore_database(database, database, LATER)


# -- PostgreSQL ---------------------------------------------------------------------------------------------------

SHOWN = "the test database"


@pytest.fixture
def pg_database(postgres: PostgresServer) -> str:
    url = pg.new_database(postgres)
    pg.vote(url, 1, 2, 3)
    pg.deliver(url, "before-backup")
    pg.set_watermark(url, "studygroups", "2026-11-22T11:00:00.000000+00:00")
    return url


def pg_restore(archive: Path, url: str, backups: Path, **options: Any) -> RestoreResult:
    return pg.run(restore_postgres(archive, url, SHOWN, backups, LATER, **options))


def carry_schema_left(url: str) -> bool:
    return bool(pg.rows(url, "SELECT COUNT(*) FROM pg_namespace WHERE nspname = ?", CARRY_SCHEMA)[0][0])


def test_a_postgres_restore_brings_data_back_and_keeps_the_record_of_what_was_posted(
    pg_database: str, tmp_path: Path
) -> None:
    url, backups = pg_database, tmp_path / "backups"
    archive = backup_postgres(url, SHOWN, backups, NOW).path
    # After the backup: members' data (which the restore takes back) and posts in Discord (which it cannot).
    pg.vote(url, 4, 5)
    pg.deliver(url, "after-backup")
    pg.deliver(url, "claimed-after-backup", status="claimed")
    pg.set_watermark(url, "studygroups", "2026-11-22T12:30:00.000000+00:00")
    pg.rows(
        url,
        "INSERT INTO milestone_discord_events VALUES (1, 'match-day-2027', 2027, 555, 's', 'e', 0, 'f', 'active', "
        "'c', 'u')",
    )

    result = pg_restore(archive, url, backups)

    assert pg.votes(url) == 3
    assert pg.rows(url, "SELECT key, status FROM deliveries ORDER BY key") == [
        ("after-backup", "sent"),
        ("before-backup", "sent"),
        ("claimed-after-backup", "claimed"),
    ]
    assert pg.rows(url, "SELECT value FROM bot_meta WHERE key = 'watermark:studygroups'") == [
        ("2026-11-22T12:30:00.000000+00:00",)
    ]
    assert pg.rows(url, "SELECT event_id FROM milestone_discord_events") == [(555,)]
    assert result.journal is not None
    assert (result.journal.deliveries, result.journal.discord_events, result.journal.watermarks) == (2, 1, 1)
    assert result.schema_version == len(discover_migrations(PG_MIGRATIONS_DIR))
    # The replaced database is kept as an archive beside the backups, owner-only, restorable like one.
    assert result.kept == backups / "before-restore-20261122T130000Z.pgdump"
    assert archive_version(result.kept) == result.schema_version and mode(result.kept) == 0o600
    assert list_pg_backups(backups) == [archive], "the kept archive is not a backup that pruning would count"
    assert not carry_schema_left(url)


def test_a_postgres_watermark_never_goes_back(pg_database: str, tmp_path: Path) -> None:
    url, backups = pg_database, tmp_path / "backups"
    pg.set_watermark(url, "studygroups", "2026-11-22T13:00:00.000000+00:00")
    archive = backup_postgres(url, SHOWN, backups, NOW).path
    pg.set_watermark(url, "studygroups", "2026-11-22T12:00:00.000000+00:00")
    result = pg_restore(archive, url, backups)
    assert result.journal is not None and result.journal.watermarks == 0
    assert pg.rows(url, "SELECT value FROM bot_meta WHERE key = 'watermark:studygroups'") == [
        ("2026-11-22T13:00:00.000000+00:00",)
    ]


async def test_a_postgres_restore_is_refused_while_a_bot_runs(pg_database: str, tmp_path: Path) -> None:
    url, backups = pg_database, tmp_path / "backups"
    archive = await asyncio.to_thread(backup_postgres, url, SHOWN, backups, NOW)
    await pg.fetch(url, "INSERT INTO entry_votes (entry_id, user_id, helpful, voted_at) VALUES ('soap', 4, 1, 'x')")
    async with await PostgresLock.acquire(url, SHOWN, "the bot", shared=True):
        with pytest.raises(BackupError) as refused:
            await restore_postgres(archive.path, url, SHOWN, backups, LATER)
        message = str(refused.value)
        assert f"{SHOWN} is in use by the bot (pid {os.getpid()})" in message
        assert "Stop the bot first" in message and "nothing was changed" in message
        assert await pg.fetch(url, "SELECT COUNT(*) FROM entry_votes") == [(4,)]
        assert sorted(backups.iterdir()) == [archive.path]
        # And while a restore runs, a bot is refused (it takes the lock at start, bot/app.py).
    async with await PostgresLock.acquire(url, SHOWN, "a restore", shared=False):
        with pytest.raises(DatabaseInUse, match="in use by a restore"):
            await PostgresLock.acquire(url, SHOWN, "the bot", shared=True)
    await restore_postgres(archive.path, url, SHOWN, backups, LATER)
    assert await pg.fetch(url, "SELECT COUNT(*) FROM entry_votes") == [(3,)]


async def test_the_bot_holds_the_lock_from_start_to_close(pg_database: str, tmp_path: Path, content: Content) -> None:
    url = pg_database
    cluster = {"database_url": url, "shards": "0", "shard_count": 2}
    bot = ImgBot(make_settings(tmp_path, **cluster), content)
    second = ImgBot(make_settings(tmp_path, **{**cluster, "shards": "1"}), content)
    alone = ImgBot(make_settings(tmp_path, database_url=url), content)
    try:
        await bot.prepare()
        # A second process of the cluster (another range of shards) shares it; a restore is refused while either
        # holds it, and so is a bot run as one process, which wants it alone.
        await second.prepare()
        await bot.close()
        with pytest.raises(DatabaseInUse, match=r"in use by the bot \(pid"):
            await PostgresLock.acquire(url, SHOWN, "a restore", shared=False)
        with pytest.raises(DatabaseProblem, match="Another bot: stop it, or run every process as part of one cluster"):
            await alone.prepare()
    finally:
        await alone.close()
        await second.close()
        await bot.close()
    async with await PostgresLock.acquire(url, SHOWN, "a restore", shared=False) as lock:
        assert lock.held
        refused = ImgBot(make_settings(tmp_path, database_url=url), content)
        try:
            with pytest.raises(DatabaseProblem) as caught:
                await refused.prepare()
        finally:
            await refused.close()
    shown = make_settings(tmp_path, database_url=url).database_shown
    assert str(caught.value) == (
        f"cannot start: the database {shown} is in use by a restore (pid {os.getpid()}). A restore or a migration: "
        "let it finish, then start the bot again. Another bot: stop it, or run every process as part of one cluster "
        "(SHARDS and SHARD_COUNT), which share the database"
    )


async def test_a_process_of_a_cluster_does_not_upgrade_the_schema_under_the_others(
    postgres: PostgresServer, tmp_path: Path, content: Content
) -> None:
    """Migrations to apply while another process of the cluster runs (it holds the lock shared): refused, and the
    schema is left as it was; alone, the process upgrades it and then shares the lock as usual."""
    url = pg.new_empty_database(postgres)
    settings = make_settings(tmp_path, database_url=url, shards="0", shard_count=2)
    other = await PostgresLock.acquire(url, SHOWN, "the bot", shared=True)
    bot = ImgBot(settings, content)
    try:
        with pytest.raises(DatabaseProblem, match=r"cannot upgrade the database .* stop every process, start one"):
            await bot.prepare()
    finally:
        await bot.close()
        await other.release()
    assert pg.rows(url, "SELECT to_regclass('schema_version') IS NULL") == [(True,)]  # nothing was applied
    first = ImgBot(settings, content)
    try:
        await first.prepare()  # alone: upgrades, then holds the lock shared
        async with await PostgresLock.acquire(url, SHOWN, "the bot", shared=True):
            pass
    finally:
        await first.close()


async def test_processes_that_may_run_side_by_side_share_the_lock(pg_database: str) -> None:
    """Shared holders (processes sharing the shards, issue 16 part 2) keep out only an exclusive one."""
    url = pg_database
    async with (
        await PostgresLock.acquire(url, SHOWN, "the bot", shared=True),
        await PostgresLock.acquire(url, SHOWN, "the bot", shared=True),
    ):
        with pytest.raises(DatabaseInUse, match=r"in use by the bot \(pid"):
            await PostgresLock.acquire(url, SHOWN, "a restore", shared=False)


def test_the_postgres_follow_up_runs_while_the_lock_is_held(pg_database: str, tmp_path: Path) -> None:
    url, backups = pg_database, tmp_path / "backups"
    archive = backup_postgres(url, SHOWN, backups, NOW).path
    seen: list[str] = []

    async def after(target: str) -> None:
        seen.append(target)
        with pytest.raises(DatabaseInUse, match="a restore"):
            await PostgresLock.acquire(target, SHOWN, "the bot", shared=True)

    pg_restore(archive, url, backups, after=after)
    assert seen == [url]


def test_without_a_record_to_carry_over_a_postgres_restore_needs_allow_reposts(
    pg_database: str, postgres: PostgresServer, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    archive = backup_postgres(pg_database, SHOWN, backups, NOW).path
    fresh = pg.new_empty_database(postgres)
    with pytest.raises(BackupError, match=r"holds no bot data.* --allow-reposts"):
        pg_restore(archive, fresh, backups)
    assert pg.rows(fresh, "SELECT to_regclass('public.entry_votes') IS NULL") == [(True,)]
    result = pg_restore(archive, fresh, backups, allow_reposts=True)
    assert result.journal is None and result.kept is None and pg.votes(fresh) == 3


def test_unreadable_newer_or_sqlite_archives_are_refused(pg_database: str, tmp_path: Path) -> None:
    url, backups = pg_database, tmp_path / "backups"
    garbage = tmp_path / "garbage.pgdump"
    garbage.write_bytes(b"this is no archive" * 100)
    with pytest.raises(BackupError, match="input file does not appear to be a valid archive"):
        pg_restore(garbage, url, backups)
    sqlite_backup = tmp_path / "imgbot-20261101T000000Z.sqlite3"
    make_db(sqlite_backup)
    with pytest.raises(BackupError, match=r"is an SQLite backup .* `imgbot db migrate-to`"):
        pg_restore(sqlite_backup, url, backups)
    with pytest.raises(BackupError, match="there is no backup file at"):
        pg_restore(tmp_path / "nope.pgdump", url, backups)
    pg.rows(url, "UPDATE schema_version SET version = 999")
    newer = backup_postgres(url, SHOWN, tmp_path / "newer", NOW).path
    pg.rows(url, "UPDATE schema_version SET version = ?", len(discover_migrations(PG_MIGRATIONS_DIR)))
    with pytest.raises(BackupError, match="newer than this code knows"):
        pg_restore(newer, url, backups)
    assert pg.votes(url) == 3 and not backups.exists(), "nothing was changed, nothing kept"


def test_an_archive_cut_short_replaces_nothing(pg_database: str, tmp_path: Path) -> None:
    url = pg_database
    archive = backup_postgres(url, SHOWN, tmp_path / "backups", NOW).path
    cut = tmp_path / "cut.pgdump"
    data = archive.read_bytes()
    cut.write_bytes(data[: len(data) * 3 // 4])
    pg.vote(url, 4)
    # Step 3 alone, with the carry: pg_restore stops part-way, and the transaction is rolled back, not committed.
    with pytest.raises(BackupError, match="nothing was replaced"):
        pg_backup._replace_tables(url, cut, True, 60)
    assert pg.votes(url) == 4 and not carry_schema_left(url)


def test_a_restore_cut_short_is_finished_at_the_next_start(pg_database: str, tmp_path: Path) -> None:
    url = pg_database
    archive = backup_postgres(url, SHOWN, tmp_path / "backups", NOW).path
    pg.deliver(url, "after-backup")
    # Step 3 done (tables replaced, the record carried aside); the process dies before step 4.
    pg_backup._replace_tables(url, archive, True, 60)
    assert carry_schema_left(url)
    assert any("a restore did not finish" in p for p in pg.run(check_postgres(url)).problems)

    async def start() -> JournalCarried | None:
        # What the bot does at start (bot/app.py prepare): migrate, then finish what the restore left.
        conn = await open_database(url)
        await conn.close()
        return await finish_interrupted_restore(url)

    carried = pg.run(start())
    assert carried is not None and carried.deliveries == 1
    assert pg.rows(url, "SELECT key FROM deliveries ORDER BY key") == [("after-backup",), ("before-backup",)]
    assert not carry_schema_left(url) and pg.run(check_postgres(url)).problems == []
    assert pg.run(finish_interrupted_restore(url)) is None


def test_settings_a_newer_pg_restore_writes_do_not_stop_the_restore(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pg_restore 17 starts its script with ``SET transaction_timeout = 0``, which a 15 server does not know: such a
    setting fails on its own, before the restore's transaction, and the restore goes on."""
    url, backups = pg_database, tmp_path / "backups"
    archive = backup_postgres(url, SHOWN, backups, NOW).path
    pg.vote(url, 4)
    real = pg_backup.pg_program("pg_restore")
    newer = tmp_path / "pg_restore"
    newer.write_text(f'#!/bin/sh\necho "SET imgbot_unknown_setting = 0;"\nexec {real} "$@"\n', encoding="utf-8")
    newer.chmod(0o755)
    found = pg_backup.pg_program
    monkeypatch.setattr(pg_backup, "pg_program", lambda name: newer if name == "pg_restore" else found(name))
    pg_backup._replace_tables(url, archive, True, 60)
    assert pg.votes(url) == 3 and carry_schema_left(url)


def test_an_older_postgres_archive_is_brought_to_the_current_schema_before_the_record_is_carried(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    old = pg.new_empty_database(postgres)

    async def at_version_5() -> None:
        conn = await open_database(old)  # migrated to the latest: dropped and made again at 5 below
        await conn.close()
        conn = await pg_connect(old)
        try:
            await conn.executescript("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            await apply_migrations(conn, discover_migrations(PG_MIGRATIONS_DIR)[:5])
        finally:
            await conn.close()

    pg.run(at_version_5())  # before the study-group kinds of delivery existed
    pg.vote(old, 7)
    archive = backup_postgres(old, SHOWN, backups, NOW).path
    assert archive_version(archive) == 5
    database = pg.new_database(postgres)
    pg.deliver(database, "sg:prompt:1:2026-11-22", kind="studygroup-prompt")
    pg.deliver(database, "nudge", kind="studygroup-nudge")
    result = pg_restore(archive, database, backups)
    assert result.schema_version == len(discover_migrations(PG_MIGRATIONS_DIR))
    assert pg.votes(database) == 1
    assert result.journal is not None and (result.journal.deliveries, result.journal.refused) == (2, 0)
    assert pg.rows(database, "SELECT key FROM deliveries ORDER BY key") == [("nudge",), ("sg:prompt:1:2026-11-22",)]


def test_two_processes_starting_at_once_finish_a_cut_short_restore_once(pg_database: str, tmp_path: Path) -> None:
    url = pg_database
    archive = backup_postgres(url, SHOWN, tmp_path / "backups", NOW).path
    pg.deliver(url, "after-backup")
    pg_backup._replace_tables(url, archive, True, 60)

    async def two_starts() -> list[JournalCarried | None]:
        conn = await open_database(url)
        await conn.close()
        return list(await asyncio.gather(finish_interrupted_restore(url), finish_interrupted_restore(url)))

    results = pg.run(two_starts())
    assert sorted(r is None for r in results) == [False, True], results
    assert pg.rows(url, "SELECT key FROM deliveries ORDER BY key") == [("after-backup",), ("before-backup",)]
    assert not carry_schema_left(url)
