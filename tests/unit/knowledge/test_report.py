"""/knowledge report: grouped questions of one server, the server entries /ask answered with most, within Discord's
limits however many and however long the questions are."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import discord
import pytest

from bot.content import Content
from bot.db.connection import Connection
from bot.knowledge.feedback import VoteReason
from bot.knowledge.repository import KnowledgeFeedbackRepository
from bot.knowledge.server_entries import ServerEntries, ServerEntryForm
from bot.knowledge.server_repository import ServerEntryRepository
from bot.knowledge.service import KnowledgeService
from bot.ui.embeds import FIELD_VALUE_LIMIT
from bot.ui.knowledge_report import QUESTIONS_FIELD, SERVER_ENTRIES_FIELD, KnowledgeReport, report_embed
from bot.validation import parse_form
from tests.unit.knowledge.test_feedback import fits_and_never_pings

SERVER_A, SERVER_B = 1_183_440_317_201_907_712, 1_190_021_588_230_107_136
MOD = 402_117_894_126_911_488
NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def entries(conn: Connection) -> ServerEntries:
    return ServerEntries(ServerEntryRepository(conn), lambda: NOW)


def field(embed: discord.Embed, name: str) -> str:
    return str(next(f.value for f in embed.fields if f.name == name))


async def test_a_server_sees_its_questions_grouped_and_never_another_servers(knowledge: KnowledgeService) -> None:
    for question, server in [
        ("when is match day", SERVER_A),
        ("When is  Match Day", SERVER_A),  # stored as the same wording
        ("match day date??", SERVER_A),
        ("wen is match day 2027", SERVER_A),
        ("best pizza near my rotation", SERVER_A),
        ("when is match day", SERVER_B),
    ]:
        await knowledge.record_unanswered(question, server, NOW)
    groups = await knowledge.question_groups(SERVER_A)
    assert [(g.wording, g.times, g.wordings) for g in groups] == [
        ("when is match day", 4, 3),
        ("best pizza near my rotation", 1, 1),
    ]
    everywhere = await knowledge.all_question_groups()
    assert [(g.wording, g.times, g.guild_id) for g in everywhere] == [
        ("when is match day", 4, SERVER_A),
        ("best pizza near my rotation", 1, SERVER_A),
        ("when is match day", 1, SERVER_B),
    ]


async def test_answers_with_a_server_entry_are_counted_per_entry_and_server(entries: ServerEntries) -> None:
    hours = await entries.add(SERVER_A, MOD, parse_form(ServerEntryForm, title="Study hall hours", answer="8 to 11."))
    rules = await entries.add(SERVER_A, MOD, parse_form(ServerEntryForm, title="Q-bank rules", answer="One a night."))
    other = await entries.add(SERVER_B, MOD, parse_form(ServerEntryForm, title="Study hall hours", answer="Never."))
    for entry_id in (hours.id, rules.id, hours.id, hours.id):
        assert await entries.count_answer(SERVER_A, entry_id)
    # An id of another server's entry counts nothing here (buttons and values carry ids, the server decides).
    assert not await entries.count_answer(SERVER_A, other.id)
    assert [(e.title, e.times) for e in await entries.most_answered(SERVER_A)] == [
        ("Study hall hours", 3),
        ("Q-bank rules", 1),
    ]
    assert await entries.most_answered(SERVER_B) == []
    await entries.remove(SERVER_A, rules.id)
    assert not await entries.count_answer(SERVER_A, rules.id)
    assert [e.title for e in await entries.most_answered(SERVER_A)] == ["Study hall hours"]


async def test_the_report_fits_discords_limits_with_many_long_questions(
    knowledge: KnowledgeService, entries: ServerEntries, content: Content
) -> None:
    long = "@everyone **why** " + "word " * 70
    for n in range(60):
        for _ in range(1 + n % 3):
            await knowledge.record_unanswered(f"topic{n} {long}", SERVER_A, NOW)
    for n in range(25):
        title = f"Entry {n} " + "x" * 80
        added = await entries.add(SERVER_A, MOD, parse_form(ServerEntryForm, title=title, answer="An answer."))
        for _ in range(n + 1):
            await entries.count_answer(SERVER_A, added.id)
    curated = [e.id for e in content.knowledge.knowledge.entries[:8]]
    for n, entry_id in enumerate(curated):
        for user in range(4):
            await knowledge.vote(entry_id, 10_000 + user, False, NOW)
            await knowledge.explain_vote(entry_id, 10_000 + user, SERVER_A, list(VoteReason)[user].value, NOW)
            await knowledge.note_vote(entry_id, 10_000 + user, SERVER_A, f"{n} {long}"[:300], NOW)
    report = KnowledgeReport(
        await knowledge.question_groups(SERVER_A, limit=10),
        await knowledge.vote_tallies(),
        await knowledge.vote_reasons(SERVER_A),
        await entries.most_answered(SERVER_A, limit=10),
    )
    embed = report_embed(report, lambda entry_id: "A title " + "y" * 200)
    fits_and_never_pings(embed)
    questions = field(embed, QUESTIONS_FIELD)
    assert len(questions) <= FIELD_VALUE_LIMIT and questions.count("\n") >= 4  # whole lines, several of them
    assert "Entry 24" in field(embed, SERVER_ENTRIES_FIELD)  # the most answered first
    assert any((f.name or "").startswith("Why 👎") for f in embed.fields)  # the reasons are still there


def test_an_empty_report_says_so() -> None:
    embed = report_embed(KnowledgeReport([], [], [], []), lambda entry_id: entry_id)
    fits_and_never_pings(embed)
    assert field(embed, QUESTIONS_FIELD) == "None yet."
    assert field(embed, SERVER_ENTRIES_FIELD).startswith("None yet")


async def test_kb_report_prints_the_same_groups_and_the_entries_answered_with_most(
    tmp_path: Path, content: Content
) -> None:
    from bot.db.connection import open_database
    from tests.unit.cli.test_privacy import imgbot

    database = tmp_path / "bot.sqlite3"
    conn = await open_database(database)
    try:
        knowledge = content.knowledge.with_feedback(KnowledgeFeedbackRepository(conn))
        for question, server in [
            ("when is match day", SERVER_A),
            ("when is match day", SERVER_A),
            ("match day date??", SERVER_A),
            ("wen is match day 2027", SERVER_A),
            ("best pizza near my rotation", SERVER_B),
        ]:
            await knowledge.record_unanswered(question, server, NOW)
        entries = ServerEntries(ServerEntryRepository(conn), lambda: NOW)
        hours = await entries.add(SERVER_A, MOD, parse_form(ServerEntryForm, title="Study hall hours", answer="8-11."))
        await entries.count_answer(SERVER_A, hours.id)
    finally:
        await conn.close()

    one = imgbot(database, "kb", "report", "--server", str(SERVER_A), cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    lines = one.stdout.splitlines()
    at = lines.index(
        f"Most frequent questions without a curated answer in server {SERVER_A}, similar wordings together:"
    )
    assert lines[at + 1 : at + 4] == [
        "      4x  when is match day  (3 wordings)",
        "          ~ match day date??",
        "          ~ when is match day 2027",  # stored normalised, as the search reads it
    ]
    assert "pizza" not in one.stdout
    at = lines.index(f"Server {SERVER_A}'s own entries /ask answered with most (candidates for the curated base):")
    assert lines[at + 1] == "      1x  Study hall hours"
    every = imgbot(database, "kb", "report", cwd=tmp_path).stdout
    assert f"      4x  server {SERVER_A}" in every and "(3 wordings)" in every
    assert f"      1x  server {SERVER_B}" in every and "best pizza near my rotation" in every
