"""The deletion ledger: a member deleted with /mydata delete stays deleted when an older backup of the database is
restored (or a delete was cut short), a member who came back keeps what they did since, and the ledger holds no id.

Every test runs on both backends. A "restore" on SQLite is what an operator does by hand: the bot (here, the
connection) stops, an older copy of the database file replaces the current one, the bot starts again; the ledger
file beside the database is not part of the copy. On PostgreSQL it is `imgbot db restore` of a `pg_dump` backup
(bot/db/pg_backup.py); the ledger is the schema deletion_ledger_file, which backups leave out and restores never touch.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import aiosqlite
import asyncpg
import pytest

from bot.content import Content
from bot.db.connection import Connection, open_database
from bot.db.pg_backup import LEDGER_SCHEMA, backup_postgres, restore_postgres
from bot.deletion_ledger import KEY_NAME, DeletionLedger, LedgerError, ledger_path_for, user_hash
from bot.knowledge.repository import KnowledgeFeedbackRepository
from bot.privacy import PersonalData, ReapplyReport, personal_data_for, reapply_deletions
from bot.quiz.repository import QuizRepository
from bot.quiz.service import QuizService
from bot.readiness.repository import ReadinessRepository
from bot.readiness.service import ReadinessService
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.service import StudyGroupService
from tests.conftest import new_postgres_database
from tests.postgres_server import PostgresServer
from tests.unit.test_personal_data import ALICE, BOB, NOW, clock, populate


@dataclass
class Installation:
    """A bot's database and its ledger, opened and closed like a bot starting and stopping: an SQLite file with the
    ledger file beside it, or a PostgreSQL database (``database`` is its URL) with the ledger's schema in it."""

    database: Path | str
    content: Content
    backups: Path | None = None
    """Where PostgreSQL's backups go (required there; an SQLite backup is a copy beside the file)."""
    conn: Connection | None = None
    _backups_made: int = field(default=0)

    @property
    def postgres(self) -> bool:
        return isinstance(self.database, str)

    @property
    def file(self) -> Path:
        assert isinstance(self.database, Path), "an SQLite installation"
        return self.database

    @property
    def ledger_file(self) -> Path:
        return ledger_path_for(self.file)

    async def start(self) -> PersonalData:
        """Open the database as the bot does at start-up, and reapply the ledger (bot/app.py prepare)."""
        self.conn = await open_database(self.database)
        personal = self.personal()
        await personal.reapply_deletions()
        return personal

    def personal(self) -> PersonalData:
        assert self.conn is not None
        return personal_data_for(self.conn, self.content, clock=clock)

    def services(self) -> dict[str, Any]:
        """The feature services ``populate`` writes through."""
        return {
            "quiz": QuizService(self.content.quiz_bank, QuizRepository(self.db), clock=clock),
            "readiness": ReadinessService(
                ReadinessRepository(self.db),
                self.content.specialties,
                self.content.calendar,
                clock,
                words=self.content.questionnaire_words,
            ),
            "studygroups": StudyGroupService(StudyGroupRepository(self.db), clock),
        }

    async def stop(self) -> None:
        assert self.conn is not None
        await self.conn.close()
        self.conn = None

    def backup(self, name: str) -> Path:
        """A consistent copy of the database, as a scheduled backup makes (the bot stopped or not)."""
        if isinstance(self.database, str):
            # Backups are named by the second: each one of a test is a second later than the one before.
            self._backups_made += 1
            now = NOW + dt.timedelta(seconds=self._backups_made)
            assert self.backups is not None
            return backup_postgres(self.database, "the test database", self.backups, now).path
        target = self.file.with_name(name)
        with sqlite3.connect(self.file) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        source.close()
        copy.close()
        return target

    async def restore(self, backup: Path) -> None:
        """Put an older copy of the database back while the bot is stopped: the file copied back by hand, or
        PostgreSQL's restore (without its hook: the next start applies the ledger, as after a copy by hand)."""
        assert self.conn is None, "stop first"
        if isinstance(self.database, str):
            self._backups_made += 1
            now = NOW + dt.timedelta(seconds=self._backups_made)
            assert self.backups is not None
            await restore_postgres(backup, self.database, "the test database", self.backups, now)
            return
        await asyncio.to_thread(_copy_back, backup, self.file)

    async def raw(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        """Run ``sql`` (``?`` placeholders) on the database past the bot, as an operator's shell would."""
        if isinstance(self.database, str):
            conn = await asyncpg.connect(self.database)
            try:
                return [tuple(r) for r in await conn.fetch(_numbered(sql), *args)]
            finally:
                await conn.close()
        with sqlite3.connect(self.file) as raw:
            found = raw.execute(sql, args).fetchall()
        raw.close()
        return found

    async def ledger_rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        """Run ``sql`` on the ledger (tables ``deletions``, ``ledger_meta``): its file, or its schema."""
        if isinstance(self.database, str):
            return await self.raw(sql.replace("FROM ", f"FROM {LEDGER_SCHEMA}."), *args)
        with sqlite3.connect(self.ledger_file) as raw:
            found = raw.execute(sql, args).fetchall()
        raw.close()
        return found

    async def lose_ledger(self) -> None:
        """The ledger is gone (a file deleted by mistake, a schema dropped)."""
        if isinstance(self.database, str):
            await self.raw(f"DROP SCHEMA {LEDGER_SCHEMA} CASCADE")
        else:
            self.ledger_file.unlink()

    async def empty_database(self) -> None:
        """A new, empty database in place of the old one; the ledger stays."""
        if isinstance(self.database, str):
            await self.raw("DROP SCHEMA public CASCADE")
            await self.raw("CREATE SCHEMA public")
        else:
            self.file.unlink()

    @property
    def db(self) -> Connection:
        assert self.conn is not None
        return self.conn

    @property
    def populatable(self) -> aiosqlite.Connection:
        # test_personal_data's populate is typed for SQLite's connection but uses only what both backends offer.
        return cast(aiosqlite.Connection, self.db)


def _copy_back(backup: Path, database: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.write_bytes(backup.read_bytes())


def _numbered(sql: str) -> str:
    parts = sql.split("?")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, start=1))


@pytest.fixture
def server(backend: str, request: pytest.FixtureRequest) -> PostgresServer | None:
    """The worker's PostgreSQL server on the postgresql backend. A plain fixture: the session fixture starts the
    server with asyncio.run, which an async fixture's running loop would refuse."""
    return request.getfixturevalue("postgres") if backend == "postgresql" else None


@pytest.fixture
async def bot(server: PostgresServer | None, tmp_path: Path, content: Content) -> AsyncIterator[Installation]:
    database: Path | str = tmp_path / "bot.sqlite3"
    if server is not None:
        database = await new_postgres_database(server)
    installation = Installation(database, content, tmp_path / "backups")
    yield installation
    if installation.conn is not None:
        await installation.stop()


@pytest.fixture
async def sqlite_bot(tmp_path: Path, content: Content) -> AsyncIterator[Installation]:
    """For what only a ledger file can show (its bytes, its mode, a damaged file)."""
    installation = Installation(tmp_path / "bot.sqlite3", content, tmp_path / "backups")
    yield installation
    if installation.conn is not None:
        await installation.stop()


async def scalar(conn: Connection, sql: str, *args: object) -> Any:
    async with conn.execute(sql, args) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


async def vote(conn: Connection, user_id: int, entry: str = "soap") -> None:
    await KnowledgeFeedbackRepository(conn).record_vote(entry, user_id, True, NOW)


async def traces(conn: Connection, user_id: int) -> dict[str, int]:
    """Rows per table in which any column holds the id (as a number, or inside text: JSON state, keys)."""
    if isinstance(conn, aiosqlite.Connection):
        sql = (
            "SELECT m.name, p.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid"
        )
    else:
        sql = (
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position"
        )
    async with conn.execute(sql) as cursor:
        columns: dict[str, list[str]] = {}
        for table, column in await cursor.fetchall():
            columns.setdefault(str(table), []).append(str(column))
    found: dict[str, int] = {}
    for table, names in columns.items():
        condition = " OR ".join(f'CAST("{c}" AS TEXT) LIKE ?' for c in names)
        count = await scalar(conn, f'SELECT COUNT(*) FROM "{table}" WHERE {condition}', *[f"%{user_id}%"] * len(names))
        if count:
            found[table] = int(count)
    return found


async def test_a_member_restored_from_an_older_backup_is_deleted_again_at_start(bot: Installation) -> None:
    personal = await bot.start()
    await populate(bot.populatable, bot.services())
    bob_before = await traces(bot.db, BOB)
    await bot.stop()
    old = bot.backup("old.sqlite3")

    personal = await bot.start()
    await personal.delete(ALICE)
    assert await traces(bot.db, ALICE) == {}
    await bot.stop()

    await bot.restore(old)
    # The older copy holds Alice again...
    assert await bot.raw("SELECT COUNT(*) FROM study_checkins WHERE user_id = ?", ALICE) == [(2,)]
    # ...until the bot starts.
    bot.conn = await open_database(bot.database)
    report = await bot.personal().reapply_deletions()
    assert report == ReapplyReport(deletions=1, members=1, rows=report.rows) and report.rows > 10
    assert await traces(bot.db, ALICE) == {}
    assert await traces(bot.db, BOB) == bob_before, "nobody else is touched"
    # Applied once: the next start has nothing to do.
    assert await bot.personal().reapply_deletions() == ReapplyReport(0, 0, 0)


async def test_a_backup_older_than_the_ledger_key_is_cleaned_too(bot: Installation) -> None:
    """A backup made before the installation ever deleted anyone (or by a version without the ledger) has no key
    in bot_meta: the ledger file's key still matches its members."""
    bot.conn = await open_database(bot.database)
    await vote(bot.db, ALICE)
    await vote(bot.db, BOB)
    assert await scalar(bot.db, "SELECT COUNT(*) FROM bot_meta WHERE key = ?", KEY_NAME) == 0
    await bot.stop()
    old = bot.backup("before-the-key.sqlite3")

    personal = await bot.start()
    await personal.delete(ALICE)
    await bot.stop()
    await bot.restore(old)

    personal = await bot.start()
    assert await traces(bot.db, ALICE) == {}
    assert await traces(bot.db, BOB) == {"entry_votes": 1}
    key = await scalar(bot.db, "SELECT value FROM bot_meta WHERE key = ?", KEY_NAME)
    assert await bot.ledger_rows("SELECT value FROM ledger_meta WHERE key = ?", KEY_NAME) == [(key,)]


async def test_a_member_who_came_back_keeps_what_they_did_since(bot: Installation) -> None:
    personal = await bot.start()
    await vote(bot.db, ALICE, "soap")
    await personal.delete(ALICE)
    await vote(bot.db, ALICE, "match-week")  # Alice uses the bot again
    await bot.stop()

    await bot.start()
    assert await traces(bot.db, ALICE) == {"entry_votes": 1}, "a start-up does not delete her new vote"
    between = bot.backup("between.sqlite3")
    await bot.personal().delete(ALICE)  # she deletes again
    await bot.stop()

    await bot.restore(between)  # holds her first deletion as applied, and her new vote
    await bot.start()
    assert await traces(bot.db, ALICE) == {}, "her second deletion is applied to the copy made before it"


async def test_a_delete_cut_short_is_finished_at_the_next_start(bot: Installation) -> None:
    personal = await bot.start()
    await vote(bot.db, ALICE)
    # The ledger is written first; the bot dies before the features delete anything.
    await personal.ledger.record(ALICE)
    await bot.stop()

    await bot.start()
    assert await traces(bot.db, ALICE) == {}


async def test_the_ledger_holds_no_user_id(bot: Installation) -> None:
    personal = await bot.start()
    await populate(bot.populatable, bot.services())
    await personal.delete(ALICE)
    await bot.stop()

    entries = await bot.ledger_rows("SELECT entry, user_hash FROM deletions")
    [(key,)] = await bot.ledger_rows("SELECT value FROM ledger_meta WHERE key = ?", KEY_NAME)
    assert len(entries) == 1
    entry, hashed = entries[0]
    assert len(entry) == 32 and hashed == user_hash(key, ALICE) and hashed != user_hash(key, BOB)
    assert all(str(ALICE) not in str(value) for row in entries for value in row)
    assert await bot.raw("SELECT entry, user_hash FROM deletion_ledger") == entries


async def test_the_ledger_file_holds_no_user_id_and_is_private(sqlite_bot: Installation) -> None:
    bot = sqlite_bot
    personal = await bot.start()
    await vote(bot.db, ALICE)
    await personal.delete(ALICE)
    await bot.stop()

    raw = bot.ledger_file.read_bytes()
    assert str(ALICE).encode() not in raw and ALICE.to_bytes(8, "big") not in raw
    assert stat.S_IMODE(bot.ledger_file.stat().st_mode) == 0o600


async def test_a_lost_ledger_is_rebuilt_from_the_database(bot: Installation) -> None:
    personal = await bot.start()
    await vote(bot.db, ALICE)
    await bot.stop()
    old = bot.backup("old.sqlite3")
    personal = await bot.start()
    await personal.delete(ALICE)
    await bot.stop()

    await bot.lose_ledger()
    await bot.start()  # rebuilds the ledger from the database's copy, with the same key
    await bot.stop()
    assert await bot.ledger_rows("SELECT COUNT(*) FROM deletions") == [(1,)]

    await bot.restore(old)
    await bot.start()
    assert await traces(bot.db, ALICE) == {}


async def test_an_unreadable_ledger_stops_the_start_with_what_to_do(sqlite_bot: Installation) -> None:
    bot = sqlite_bot
    await bot.start()
    await bot.stop()
    bot.ledger_file.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(LedgerError, match="move it aside and start again"):
        await bot.start()


async def test_a_ledger_of_a_newer_bot_stops_the_start(bot: Installation) -> None:
    await bot.start()
    await bot.stop()
    if bot.postgres:
        await bot.raw(f"UPDATE {LEDGER_SCHEMA}.ledger_meta SET value = '2' WHERE key = 'format'")
    else:
        await asyncio.to_thread(_set_user_version, bot.ledger_file, 2)
    with pytest.raises(LedgerError, match="newer version of the bot"):
        await bot.start()


def _set_user_version(path: Path, version: int) -> None:
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {version}")
    raw.close()


async def test_a_member_with_nothing_stored_is_still_recorded(bot: Installation) -> None:
    """Discord's deleted-account requests name people the bot may know only from an older backup."""
    await bot.start()
    await vote(bot.db, ALICE)
    await bot.stop()
    old = bot.backup("old.sqlite3")
    await bot.empty_database()  # the ledger stays

    personal = await bot.start()
    counts = await personal.delete(ALICE)
    assert counts and set(counts.values()) == {0}
    await bot.stop()
    await bot.restore(old)
    await bot.start()
    assert await traces(bot.db, ALICE) == {}


async def test_every_feature_names_its_members(bot: Installation) -> None:
    """Reapplying finds members through each source's user_ids: a source that forgot someone would leave them."""
    personal = await bot.start()
    await populate(bot.populatable, bot.services())
    assert await personal.user_ids() == {ALICE, BOB}
    for source in personal.sources:
        assert ALICE in await source.user_ids(), source.name


async def test_the_restore_hook_reapplies_on_an_open_connection(bot: Installation) -> None:
    personal = await bot.start()
    await vote(bot.db, ALICE)
    await bot.stop()
    old = bot.backup("old.sqlite3")
    personal = await bot.start()
    await personal.delete(ALICE)
    await bot.stop()
    await bot.restore(old)

    bot.conn = await open_database(bot.database)
    report = await reapply_deletions(bot.db, bot.content)
    assert (report.deletions, report.members) == (1, 1)
    assert await traces(bot.db, ALICE) == {}


async def test_an_in_memory_database_keeps_its_ledger_in_the_database_only(content: Content) -> None:
    conn = await open_database(":memory:")
    try:
        personal = personal_data_for(conn, content, clock=clock)
        await vote(conn, ALICE)
        assert await personal.ledger.path() is None
        assert (await personal.delete(ALICE))["knowledge_votes"] == 1
        assert await scalar(conn, "SELECT COUNT(*) FROM deletion_ledger") == 1
        assert await personal.reapply_deletions() == ReapplyReport(0, 0, 0)
    finally:
        await conn.close()


async def test_a_foreign_database_key_gives_way_to_the_files(
    bot: Installation, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.start()
    await bot.stop()
    await bot.raw("UPDATE bot_meta SET value = ? WHERE key = ?", "ab" * 32, KEY_NAME)
    bot.conn = await open_database(bot.database)
    ledger = DeletionLedger(bot.db)
    key = await ledger.key()
    assert key != "ab" * 32 and "differs from the ledger file's" in caplog.text
    assert await scalar(bot.db, "SELECT value FROM bot_meta WHERE key = ?", KEY_NAME) == key
