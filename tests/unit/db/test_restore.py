"""Restores: refused while the bot runs, a sound copy of what they replace, and never a second post of what was sent."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest

from bot.db import backup as backup_module
from bot.db.backup import BackupError, backup_database, check_integrity, restore_database
from bot.db.connection import apply_migrations_sync, discover_migrations
from bot.db.lock import DatabaseInUse, DatabaseLock
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
