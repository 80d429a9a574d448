"""Unanswered questions belong to the server they were asked in, are forgotten 90 days after they were last asked,
and the rows kept from before servers were recorded are visible to no server; the retention sweep that forgets them
(and unfinished readiness assessments) deletes exactly what is past its period."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import aiosqlite
import pytest

from bot.content import Content
from bot.db import postgres
from bot.db.connection import MIGRATIONS_DIR, PG_MIGRATIONS_DIR, Connection, apply_migrations, discover_migrations
from bot.db.postgres import PgConnection
from bot.knowledge.repository import UNANSWERED_KEPT, KnowledgeFeedbackRepository, UnansweredQuestion
from bot.knowledge.service import KnowledgeService
from bot.privacy import RetentionRun, RetentionSweep
from bot.readiness.repository import ReadinessRepository
from bot.readiness.service import SESSION_TTL, ReadinessService
from bot.scheduling.delivery import DeliveryRepository
from tests.conftest import new_empty_postgres_database
from tests.postgres_server import PostgresServer

SERVER_A, SERVER_B = 1_183_440_317_201_907_712, 1_190_021_588_230_107_136
NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


def questions(rows: list[UnansweredQuestion]) -> list[tuple[str, int, int | None]]:
    return [(r.question, r.times, r.guild_id) for r in rows]


async def test_each_server_sees_only_its_own_questions(knowledge: KnowledgeService) -> None:
    for question, server in [
        ("Night float schedule in PGY1", SERVER_A),
        ("night float schedule in pgy1", SERVER_A),
        ("night float schedule in pgy1", SERVER_B),
        ("Best pizza near my rotation", SERVER_B),
        ("where do i park at the hospital", None),  # a DM
    ]:
        await knowledge.record_unanswered(question, server, NOW)

    _, in_a = await knowledge.report(SERVER_A)
    _, in_b = await knowledge.report(SERVER_B)
    assert questions(in_a) == [("night float schedule in pgy1", 2, SERVER_A)]
    assert questions(in_b) == [  # equal counts and times: alphabetical
        ("best pizza near my rotation", 1, SERVER_B),
        ("night float schedule in pgy1", 1, SERVER_B),
    ]
    # The operator's report has every server's, and the DM's, each with its server.
    _, everything = await knowledge.report_all()
    assert sorted(questions(everything), key=str) == sorted(
        [
            ("night float schedule in pgy1", 2, SERVER_A),
            ("night float schedule in pgy1", 1, SERVER_B),
            ("best pizza near my rotation", 1, SERVER_B),
            ("where do i park at the hospital", 1, None),
        ],
        key=str,
    )
    # A DM question is counted once per text like any other.
    await knowledge.record_unanswered("Where do I park at the HOSPITAL", None, NOW)
    _, everything = await knowledge.report_all()
    assert ("where do i park at the hospital", 2, None) in questions(everything)


async def test_questions_are_forgotten_90_days_after_they_were_last_asked(knowledge: KnowledgeService) -> None:
    await knowledge.record_unanswered("asked long ago", SERVER_A, NOW - UNANSWERED_KEPT - dt.timedelta(minutes=1))
    await knowledge.record_unanswered("asked long ago and again lately", SERVER_A, NOW - dt.timedelta(days=200))
    await knowledge.record_unanswered("asked long ago and again lately", SERVER_A, NOW - dt.timedelta(days=10))
    await knowledge.record_unanswered(
        "asked just inside the period", None, NOW - UNANSWERED_KEPT + dt.timedelta(hours=1)
    )

    assert await knowledge.purge_unanswered(NOW) == 1
    _, left = await knowledge.report_all()
    assert sorted(r.question for r in left) == ["asked just inside the period", "asked long ago and again lately"]
    assert await knowledge.purge_unanswered(NOW) == 0


@pytest.fixture
async def empty(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[Connection]:
    """A database without the bot's tables, on the test's backend (the test migrates it itself)."""
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        conn: Connection = await postgres.connect(await new_empty_postgres_database(server), max_size=2)
    else:
        conn = await aiosqlite.connect(":memory:")
    try:
        yield conn
    finally:
        await conn.close()


async def test_rows_from_before_servers_were_kept_are_visible_to_no_server(empty: Connection, content: Content) -> None:
    migrations = discover_migrations(PG_MIGRATIONS_DIR if isinstance(empty, PgConnection) else MIGRATIONS_DIR)
    await apply_migrations(empty, migrations[:12])
    await empty.execute(
        "INSERT INTO unanswered_questions (question, times, first_seen, last_seen) "
        "VALUES ('asked privately in some server', 3, ?, ?)",
        ((NOW - dt.timedelta(days=5)).isoformat(), (NOW - dt.timedelta(days=1)).isoformat()),
    )
    await empty.commit()
    await apply_migrations(empty, migrations)
    knowledge = content.knowledge.with_feedback(KnowledgeFeedbackRepository(empty))
    for server in (SERVER_A, SERVER_B):
        assert (await knowledge.report(server))[1] == []
    assert questions((await knowledge.report_all())[1]) == [("asked privately in some server", 3, None)]
    # Kept only for the same period as every question.
    assert await knowledge.purge_unanswered(NOW + UNANSWERED_KEPT) == 1


async def test_the_retention_sweep_forgets_what_is_past_its_period(
    conn: Connection, knowledge: KnowledgeService, content: Content
) -> None:
    readiness_repo = ReadinessRepository(conn)
    readiness = ReadinessService(
        readiness_repo, content.specialties, content.calendar, lambda: NOW, words=content.questionnaire_words
    )
    stale, fresh = NOW - SESSION_TTL - dt.timedelta(hours=1), NOW - SESSION_TTL + dt.timedelta(hours=1)
    await readiness_repo.put_session(111, {}, "step1", completed=False, started_at=stale, updated_at=stale)
    await readiness_repo.put_session(222, {}, "step1", completed=False, started_at=fresh, updated_at=fresh)
    await knowledge.record_unanswered("old question", SERVER_A, NOW - UNANSWERED_KEPT - dt.timedelta(hours=1))
    await knowledge.record_unanswered("recent question", SERVER_A, NOW - dt.timedelta(days=1))

    sweep = RetentionSweep(readiness, knowledge, DeliveryRepository(conn), clock=lambda: NOW)
    assert await sweep.run() == RetentionRun(readiness_sessions=1, unanswered_questions=1)
    assert await readiness_repo.get_session(111) is None and await readiness_repo.get_session(222) is not None
    assert [r.question for r in (await knowledge.report(SERVER_A))[1]] == ["recent question"]
    assert await sweep.run() == RetentionRun(0, 0), "a second run deletes nothing twice"
