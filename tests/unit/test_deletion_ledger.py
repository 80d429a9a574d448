"""The deletion ledger: a member deleted with /mydata delete stays deleted when an older backup of the database is
restored (or a delete was cut short), a member who came back keeps what they did since, and the ledger holds no id.

A "restore" here is what an operator does by hand: the bot (here, the connection) stops, an older copy of the database
file replaces the current one, the bot starts again. The ledger file beside the database is not part of the copy.
"""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.content import Content
from bot.db.connection import open_database
from bot.deletion_ledger import KEY_NAME, DeletionLedger, LedgerError, ledger_path_for, user_hash
from bot.knowledge.repository import KnowledgeFeedbackRepository
from bot.privacy import PersonalData, ReapplyReport, personal_data_for, reapply_deletions
from bot.quiz.repository import QuizRepository
from bot.quiz.service import QuizService
from bot.readiness.repository import ReadinessRepository
from bot.readiness.service import ReadinessService
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.service import StudyGroupService
from tests.unit.test_personal_data import ALICE, BOB, NOW, clock, populate, traces


@dataclass
class Installation:
    """A bot's database file and its ledger beside it, opened and closed like a bot starting and stopping."""

    database: Path
    content: Content
    conn: aiosqlite.Connection | None = None

    @property
    def ledger_file(self) -> Path:
        return ledger_path_for(self.database)

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
        """A consistent copy of the database file, as a scheduled backup makes (the bot stopped or not)."""
        target = self.database.with_name(name)
        with sqlite3.connect(self.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        source.close()
        copy.close()
        return target

    def restore(self, backup: Path) -> None:
        """Copy an older database file back while the bot is stopped."""
        assert self.conn is None, "stop first"
        for suffix in ("-wal", "-shm"):
            Path(f"{self.database}{suffix}").unlink(missing_ok=True)
        self.database.write_bytes(backup.read_bytes())

    @property
    def db(self) -> aiosqlite.Connection:
        assert self.conn is not None
        return self.conn


@pytest.fixture
async def bot(tmp_path: Path, content: Content) -> AsyncIterator[Installation]:
    installation = Installation(tmp_path / "bot.sqlite3", content)
    yield installation
    if installation.conn is not None:
        await installation.stop()


async def scalar(conn: aiosqlite.Connection, sql: str, *args: object) -> Any:
    async with conn.execute(sql, args) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


async def vote(conn: aiosqlite.Connection, user_id: int, entry: str = "soap") -> None:
    await KnowledgeFeedbackRepository(conn).record_vote(entry, user_id, True, NOW)


async def test_a_member_restored_from_an_older_backup_is_deleted_again_at_start(bot: Installation) -> None:
    personal = await bot.start()
    await populate(bot.db, bot.services())
    bob_before = await traces(bot.db, BOB)
    await bot.stop()
    old = bot.backup("old.sqlite3")

    personal = await bot.start()
    await personal.delete(ALICE)
    assert await traces(bot.db, ALICE) == {}
    await bot.stop()

    bot.restore(old)
    # The older file holds Alice again...
    with sqlite3.connect(bot.database) as raw:
        assert raw.execute("SELECT COUNT(*) FROM study_checkins WHERE user_id = ?", (ALICE,)).fetchone()[0] == 2
    raw.close()
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
    bot.restore(old)

    personal = await bot.start()
    assert await traces(bot.db, ALICE) == {}
    assert await traces(bot.db, BOB) == {"entry_votes": 1}
    key = await scalar(bot.db, "SELECT value FROM bot_meta WHERE key = ?", KEY_NAME)
    with sqlite3.connect(bot.ledger_file) as raw:
        assert raw.execute("SELECT value FROM ledger_meta").fetchone() == (key,)
    raw.close()


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

    bot.restore(between)  # holds her first deletion as applied, and her new vote
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


async def test_the_ledger_holds_no_user_id_and_is_private(bot: Installation) -> None:
    personal = await bot.start()
    await populate(bot.db, bot.services())
    await personal.delete(ALICE)
    await bot.stop()

    raw = bot.ledger_file.read_bytes()
    assert str(ALICE).encode() not in raw and ALICE.to_bytes(8, "big") not in raw
    assert stat.S_IMODE(bot.ledger_file.stat().st_mode) == 0o600
    with sqlite3.connect(bot.ledger_file) as ledger:
        entries = ledger.execute("SELECT entry, user_hash FROM deletions").fetchall()
        key = ledger.execute("SELECT value FROM ledger_meta WHERE key = ?", (KEY_NAME,)).fetchone()[0]
    ledger.close()
    assert len(entries) == 1
    entry, hashed = entries[0]
    assert len(entry) == 32 and hashed == user_hash(key, ALICE) and hashed != user_hash(key, BOB)
    with sqlite3.connect(bot.database) as database:
        assert database.execute("SELECT entry, user_hash FROM deletion_ledger").fetchall() == entries
    database.close()


async def test_a_lost_ledger_file_is_rebuilt_from_the_database(bot: Installation) -> None:
    personal = await bot.start()
    await vote(bot.db, ALICE)
    await bot.stop()
    old = bot.backup("old.sqlite3")
    personal = await bot.start()
    await personal.delete(ALICE)
    await bot.stop()

    bot.ledger_file.unlink()
    await bot.start()  # rebuilds the file from the database's copy, with the same key
    await bot.stop()
    assert bot.ledger_file.exists()

    bot.restore(old)
    await bot.start()
    assert await traces(bot.db, ALICE) == {}


async def test_an_unreadable_ledger_stops_the_start_with_what_to_do(bot: Installation) -> None:
    await bot.start()
    await bot.stop()
    bot.ledger_file.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(LedgerError, match="move it aside and start again"):
        await bot.start()


async def test_a_member_with_nothing_stored_is_still_recorded(bot: Installation) -> None:
    """Discord's deleted-account requests name people the bot may know only from an older backup."""
    await bot.start()
    await vote(bot.db, ALICE)
    await bot.stop()
    old = bot.backup("old.sqlite3")
    bot.database.unlink()  # a new, empty database (the ledger file stays)

    personal = await bot.start()
    counts = await personal.delete(ALICE)
    assert counts and set(counts.values()) == {0}
    await bot.stop()
    bot.restore(old)
    await bot.start()
    assert await traces(bot.db, ALICE) == {}


async def test_every_feature_names_its_members(bot: Installation) -> None:
    """Reapplying finds members through each source's user_ids: a source that forgot someone would leave them."""
    personal = await bot.start()
    await populate(bot.db, bot.services())
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
    bot.restore(old)

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
    with sqlite3.connect(bot.database) as raw:
        raw.execute("UPDATE bot_meta SET value = ? WHERE key = ?", ("ab" * 32, KEY_NAME))
    raw.close()
    bot.conn = await open_database(bot.database)
    ledger = DeletionLedger(bot.db)
    key = await ledger.key()
    assert key != "ab" * 32 and "differs from the ledger file's" in caplog.text
    assert await scalar(bot.db, "SELECT value FROM bot_meta WHERE key = ?", KEY_NAME) == key
