"""👎 asks why: a reason and a note kept with the member's vote, seen by the moderators of the server it was given in
(never another's, never who), dropped with the 👎, exported and deleted with the member's data, and forgotten 90 days
after it was given; and /topic with no name, which browses the knowledge base by stage a page at a time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import discord
import pytest

from bot.content import Content
from bot.db.connection import Connection, open_database
from bot.knowledge.feedback import (
    MAX_NOTE_CHARS,
    REASONS_KEPT,
    GivenReason,
    ReasonSummary,
    VoteNote,
    VoteReason,
    summarise,
)
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import Stage
from bot.knowledge.repository import UNANSWERED_KEPT, KnowledgeFeedbackRepository
from bot.knowledge.service import BROWSE_PAGE_SIZE, NO_THUMBS_DOWN, KnowledgeService
from bot.privacy import PersonalData, RetentionRun, RetentionSweep
from bot.quiz.repository import QuizRepository
from bot.quiz.service import QuizService
from bot.readiness.repository import ReadinessRepository
from bot.readiness.service import ReadinessService
from bot.scheduling.delivery import DeliveryRepository
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.service import StudyGroupService
from bot.text import would_ping
from bot.ui.knowledge_browse import entry_options, page_embed, stage_options, stages_embed
from bot.ui.knowledge_feedback import REPORT_ENTRIES, add_reason_fields, note_noted, reason_lines
from bot.ui.knowledge_report import KnowledgeReport, report_embed
from bot.validation import UserInputError, parse_options
from cogs.knowledge import browse_view, reasons_view, stages_view
from discord_emulator.contract import check_message_body

SERVER_A, SERVER_B = 1_183_440_317_201_907_712, 1_190_021_588_230_107_136
ALICE, BOB, CAROL = 731_245_678_901_234_567, 845_129_876_543_210_987, 912_345_678_901_234_561
NOW = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


def fits_and_never_pings(embed: discord.Embed | None = None, view: discord.ui.View | None = None) -> None:
    body: dict[str, object] = {"embeds": [embed.to_dict()] if embed else []}
    if view is not None:
        body["components"] = view.to_components()
    assert list(check_message_body(body)) == []
    assert not would_ping(str(body))


async def thumbs_down(knowledge: KnowledgeService, entry: str, user: int, *, at: dt.datetime = NOW) -> None:
    await knowledge.vote(entry, user, False, at)


# -- reasons and notes -----------------------------------------------------------------------------------------------


async def test_each_server_sees_only_the_reasons_given_in_it(knowledge: KnowledgeService) -> None:
    for user in (ALICE, BOB, CAROL):
        await thumbs_down(knowledge, "soap", user)
    await knowledge.explain_vote("soap", ALICE, SERVER_A, "wrong", NOW)
    await knowledge.note_vote("soap", ALICE, SERVER_A, "The dates are last year's", NOW)
    await knowledge.explain_vote("soap", BOB, SERVER_B, "hard-to-read", NOW)
    await knowledge.note_vote("soap", CAROL, None, "asked in a DM", NOW)  # a note and no reason

    in_a, in_b = await knowledge.vote_reasons(SERVER_A), await knowledge.vote_reasons(SERVER_B)
    assert in_a == [ReasonSummary("soap", SERVER_A, {VoteReason.WRONG: 1}, ("The dates are last year's",), 1)]
    assert in_b == [ReasonSummary("soap", SERVER_B, {VoteReason.HARD_TO_READ: 1}, (), 1)]
    # The operator sees every server's and the DM's, each with its server.
    everything = {(s.guild_id, s.entry_id): s for s in await knowledge.all_vote_reasons()}
    assert set(everything) == {(SERVER_A, "soap"), (SERVER_B, "soap"), (None, "soap")}
    assert everything[None, "soap"].counts == {} and everything[None, "soap"].notes == ("asked in a DM",)


async def test_only_a_member_with_a_thumbs_down_can_explain_it(knowledge: KnowledgeService) -> None:
    with pytest.raises(UserInputError) as never_voted:
        await knowledge.explain_vote("soap", ALICE, SERVER_A, "wrong", NOW)
    assert str(never_voted.value) == NO_THUMBS_DOWN
    await knowledge.vote("soap", ALICE, True, NOW)
    with pytest.raises(UserInputError):
        await knowledge.note_vote("soap", ALICE, SERVER_A, "but it was helpful", NOW)
    await thumbs_down(knowledge, "soap", ALICE)
    with pytest.raises(UserInputError, match="reasons in the menu"):
        await knowledge.explain_vote("soap", ALICE, SERVER_A, "boring", NOW)
    assert await knowledge.vote_reasons(SERVER_A) == []


async def test_a_vote_changed_to_helpful_drops_what_explained_the_thumbs_down(knowledge: KnowledgeService) -> None:
    await thumbs_down(knowledge, "soap", ALICE)
    await knowledge.explain_vote("soap", ALICE, SERVER_A, "not-my-situation", NOW)
    await knowledge.note_vote("soap", ALICE, SERVER_A, "nothing about H-1B", NOW)
    await thumbs_down(knowledge, "soap", ALICE)  # 👎 pressed again: the same vote, still explained
    assert (await knowledge.vote_reasons(SERVER_A))[0].explained == 1
    await knowledge.vote("soap", ALICE, True, NOW)
    assert await knowledge.vote_reasons(SERVER_A) == []
    await thumbs_down(knowledge, "soap", ALICE)  # a new 👎 starts unexplained
    vote = await knowledge.member_vote("soap", ALICE)
    assert vote is not None and (vote.helpful, vote.reason, vote.note) == (False, None, None)


async def test_a_reason_changes_and_a_blank_note_removes_the_note(knowledge: KnowledgeService) -> None:
    await thumbs_down(knowledge, "soap", ALICE)
    await knowledge.explain_vote("soap", ALICE, SERVER_A, "wrong", NOW)
    await knowledge.explain_vote("soap", ALICE, SERVER_A, "other", NOW)
    assert (
        await knowledge.note_vote("soap", ALICE, SERVER_A, "  too   long\nfor a phone  ", NOW) == "too long for a phone"
    )
    vote = await knowledge.member_vote("soap", ALICE)
    assert vote is not None and (vote.reason, vote.note) == (VoteReason.OTHER, "too long for a phone")
    assert await knowledge.note_vote("soap", ALICE, SERVER_A, " \u200b\n ", NOW) == ""
    assert (await knowledge.vote_reasons(SERVER_A))[0] == ReasonSummary("soap", SERVER_A, {VoteReason.OTHER: 1}, (), 1)


async def test_explaining_in_another_server_drops_what_was_said_in_the_first(knowledge: KnowledgeService) -> None:
    # One vote per member per entry, wherever it was pressed: a note written for server A is never shown to B.
    await thumbs_down(knowledge, "soap", ALICE)
    await knowledge.explain_vote("soap", ALICE, SERVER_A, "wrong", NOW)
    await knowledge.note_vote("soap", ALICE, SERVER_A, "our program director says otherwise", NOW)
    await knowledge.explain_vote("soap", ALICE, SERVER_B, "hard-to-read", NOW)
    assert await knowledge.vote_reasons(SERVER_A) == []
    assert await knowledge.vote_reasons(SERVER_B) == [
        ReasonSummary("soap", SERVER_B, {VoteReason.HARD_TO_READ: 1}, (), 1)
    ]


async def test_a_note_with_nothing_left_and_no_reason_leaves_nothing_to_keep(
    knowledge: KnowledgeService, conn: Connection
) -> None:
    await thumbs_down(knowledge, "soap", ALICE)
    await knowledge.note_vote("soap", ALICE, SERVER_A, "hm", NOW)
    await knowledge.note_vote("soap", ALICE, SERVER_A, "", NOW)
    async with conn.execute("SELECT reason_guild_id, reason_at FROM entry_votes WHERE user_id = ?", (ALICE,)) as cur:
        assert [tuple(row) for row in await cur.fetchall()] == [(None, None)]


def test_a_note_is_stored_without_pings_control_characters_or_line_breaks() -> None:
    note = parse_options(VoteNote, text="@everyone <@123456789012345678>\x1b[31m red\r\nnext line\u202e").text
    assert not would_ping(note) and "\x1b" not in note and "\n" not in note and "\u202e" not in note
    assert note.endswith("[31m red next line")
    # The limit is on what was typed, as the form counts it, so a full form is never refused for its pings.
    full = "@here " * (MAX_NOTE_CHARS // 6)
    assert len(full.strip()) <= MAX_NOTE_CHARS and len(parse_options(VoteNote, text=full).text) > len(full.strip())
    with pytest.raises(UserInputError, match=f"{MAX_NOTE_CHARS} characters"):
        parse_options(VoteNote, text="x" * (MAX_NOTE_CHARS + 1))


def test_summaries_count_by_reason_and_keep_the_latest_notes_newest_first() -> None:
    given = [
        GivenReason("soap", SERVER_A, VoteReason.WRONG, f"note {n}", f"2027-02-0{n}T00:00:00.000000+00:00")
        for n in range(1, 6)
    ]
    given += [
        GivenReason("soap", SERVER_A, VoteReason.OTHER, None, "2027-02-09T00:00:00.000000+00:00"),
        GivenReason("step-1", SERVER_A, None, "one", "2027-02-09T00:00:00.000000+00:00"),
    ]
    soap, step1 = summarise(given, notes=3)
    assert soap == ReasonSummary(
        "soap", SERVER_A, {VoteReason.WRONG: 5, VoteReason.OTHER: 1}, ("note 5", "note 4", "note 3"), 6
    )
    assert step1.explained == 1 and step1.counts == {} and reason_lines(step1)[0] == "No reason picked"
    # The reasons keep the menu's order, whatever order they were given in.
    assert list(soap.counts) == [VoteReason.WRONG, VoteReason.OTHER]


# -- retention and /mydata -------------------------------------------------------------------------------------------


def test_reasons_are_kept_as_long_as_unanswered_questions() -> None:
    assert REASONS_KEPT == UNANSWERED_KEPT == dt.timedelta(days=90)


async def test_the_retention_sweep_forgets_reasons_90_days_after_they_were_given_and_keeps_the_votes(
    conn: Connection, knowledge: KnowledgeService, content: Content
) -> None:
    old, recent = NOW - REASONS_KEPT - dt.timedelta(hours=1), NOW - REASONS_KEPT + dt.timedelta(hours=1)
    for user, when in ((ALICE, old), (BOB, recent)):
        await thumbs_down(knowledge, "soap", user, at=when)
        await knowledge.explain_vote("soap", user, SERVER_A, "wrong", when)
        await knowledge.note_vote("soap", user, SERVER_A, f"note from {user}", when)
    readiness = ReadinessService(
        ReadinessRepository(conn), content.specialties, content.calendar, lambda: NOW, words=content.questionnaire_words
    )
    sweep = RetentionSweep(readiness, knowledge, DeliveryRepository(conn), clock=lambda: NOW)
    assert await sweep.run() == RetentionRun(0, 0, vote_reasons=1)
    assert await knowledge.vote_reasons(SERVER_A) == [
        ReasonSummary("soap", SERVER_A, {VoteReason.WRONG: 1}, (f"note from {BOB}",), 1)
    ]
    alice = await knowledge.member_vote("soap", ALICE)
    assert alice is not None and not alice.helpful and alice.note is None  # the vote stays, its reason is gone
    assert (await sweep.run()).vote_reasons == 0, "a second run forgets nothing twice"


async def test_mydata_exports_and_deletes_the_reason_with_the_vote(
    conn: Connection, knowledge: KnowledgeService, content: Content
) -> None:
    await thumbs_down(knowledge, "soap", ALICE)
    await knowledge.explain_vote("soap", ALICE, SERVER_A, "wrong", NOW)
    await knowledge.note_vote("soap", ALICE, SERVER_A, "Round 1 moved", NOW)
    await knowledge.vote("step-1", ALICE, True, NOW)
    personal = PersonalData.for_features(
        conn,
        quiz=QuizService(content.quiz_bank, QuizRepository(conn), clock=lambda: NOW),
        readiness=ReadinessService(
            ReadinessRepository(conn),
            content.specialties,
            content.calendar,
            lambda: NOW,
            words=content.questionnaire_words,
        ),
        studygroups=StudyGroupService(StudyGroupRepository(conn), lambda: NOW),
        clock=lambda: NOW,
    )
    votes = (await personal.export(ALICE))["knowledge_votes"]
    assert votes[0]["why_not_helpful"] == {
        "reason": "wrong",
        "note": "Round 1 moved",
        "server_id": str(SERVER_A),
        "given_at": "2027-03-01T12:00:00.000000+00:00",
    }
    assert "why_not_helpful" not in votes[1]
    await personal.delete(ALICE)
    assert await knowledge.vote_reasons(SERVER_A) == []
    async with conn.execute("SELECT COUNT(*) FROM entry_votes WHERE reason_note LIKE '%Round 1%'") as cursor:
        assert tuple(await cursor.fetchone() or ()) == (0,)


# -- screens ---------------------------------------------------------------------------------------------------------


async def test_the_report_shows_reasons_within_discords_limits_and_quotes_notes_safely(
    knowledge: KnowledgeService, content: Content
) -> None:
    nasty = "**bold** @everyone <@&123456789012345678> " + "x" * 250
    entries = [e.id for e in content.knowledge.knowledge.entries[:8]]
    for n, entry in enumerate(entries):
        for user in range(4):
            await thumbs_down(knowledge, entry, 10_000 + user)
            await knowledge.explain_vote(entry, 10_000 + user, SERVER_A, list(VoteReason)[user].value, NOW)
            await knowledge.note_vote(entry, 10_000 + user, SERVER_A, f"{n}{user} {nasty}", NOW)
    reasons = await knowledge.vote_reasons(SERVER_A)
    assert len(reasons) == 8
    report = KnowledgeReport(await knowledge.question_groups(SERVER_A), await knowledge.vote_tallies(), reasons, [])
    embed = report_embed(report, lambda entry_id: entry_id)
    fits_and_never_pings(embed)
    why = [f for f in embed.fields if (f.name or "").startswith("Why 👎")]
    assert 1 <= len(why) <= REPORT_ENTRIES
    assert "\\*\\*bold\\*\\*" in (why[0].value or "")  # markdown shown as typed, not rendered
    assert "1 × Wrong or out of date" in (why[0].value or "")
    # Nothing given: the report says so.
    empty = discord.Embed(title="x")
    assert add_reason_fields(empty, [], lambda e: e) == 0 and empty.fields[0].value == "No reasons given yet."


def test_the_answer_to_a_note_quotes_it_safely_and_the_reasons_menu_fits() -> None:
    shown = note_noted("@everyone look **here**", in_server=True)
    assert not would_ping(shown) and "\\*\\*here\\*\\*" in shown and "moderators" in shown
    assert "removed" in note_noted("", in_server=False)
    view = reasons_view("soap", VoteReason.HARD_TO_READ)
    fits_and_never_pings(view=view)
    menu = view.to_components()[0]["components"][0]
    assert [o["value"] for o in menu["options"]] == [r.value for r in VoteReason]
    assert [o["value"] for o in menu["options"] if o.get("default")] == ["hard-to-read"]


# -- browsing by stage -----------------------------------------------------------------------------------------------


def test_browsing_reaches_every_entry_once_by_stage(content: Content) -> None:
    service = content.knowledge
    stages = service.browse_stages()
    assert [stage for stage, _ in stages] == sorted({e.stage for e in service.knowledge.entries}, key=lambda s: s.order)
    assert len(stage_options(stages)) <= 25
    fits_and_never_pings(stages_embed(stages), stages_view(service))
    reached = []
    for stage, count in stages:
        page = service.browse(stage.value)
        assert page.total == count and page.pages == 1
        fits_and_never_pings(page_embed(page), browse_view(page))
        reached += [value for _, value, _ in entry_options(page)]
    assert sorted(reached) == sorted(e.id for e in service.knowledge.entries)


def test_a_stage_with_more_than_25_entries_is_paged(content: Content) -> None:
    base = content.knowledge
    many = tuple(
        entry.model_copy(update={"id": f"visa-topic-{n:02d}", "title": f"Visa topic {n:02d}", "stage": Stage.VISA})
        for n, entry in enumerate(base.knowledge.entries[:60])
    )
    service = KnowledgeService(KnowledgeBase(many), base.search_index, base.pathway_stages, None)
    first, second, third = (service.browse("visa", n) for n in range(3))
    assert (first.pages, first.total) == (3, 60)
    assert [len(p.entries) for p in (first, second, third)] == [BROWSE_PAGE_SIZE, BROWSE_PAGE_SIZE, 10]
    assert first.entries[0].title == "Visa topic 00" and third.entries[-1].title == "Visa topic 59"
    assert third.first == 51 and page_embed(third).description.startswith("51. Visa topic 50")  # type: ignore[union-attr]
    # A page past the end (the knowledge base shrank since the button was made) shows the last one.
    assert service.browse("visa", 9) == third and service.browse("visa", -1) == first
    for page in (first, second, third):
        fits_and_never_pings(page_embed(page), browse_view(page))
    labels = [[c.get("label") for c in row["components"]] for row in browse_view(second).to_components()]
    assert labels[1] == ["All parts", "Previous", "Next"]
    assert [c.get("label") for c in browse_view(first).to_components()[1]["components"]] == ["All parts", "Next"]
    with pytest.raises(UserInputError, match="no longer exists"):
        service.browse("astrology")


# -- the operator's report -------------------------------------------------------------------------------------------


async def test_kb_report_prints_the_reasons_of_one_server_or_of_every_server(tmp_path: Path, content: Content) -> None:
    from tests.unit.cli.test_privacy import imgbot

    database = tmp_path / "bot.sqlite3"
    conn = await open_database(database)
    try:
        knowledge = content.knowledge.with_feedback(KnowledgeFeedbackRepository(conn))
        for user, server, reason, note in (
            (ALICE, SERVER_A, "wrong", "Round 1 moved to Tuesday"),
            (BOB, SERVER_B, "hard-to-read", "far too long"),
            (CAROL, None, None, "asked in a DM"),
        ):
            await thumbs_down(knowledge, "soap", user)
            if reason:
                await knowledge.explain_vote("soap", user, server, reason, NOW)
            await knowledge.note_vote("soap", user, server, note, NOW)
    finally:
        await conn.close()

    one = imgbot(database, "kb", "report", "--server", str(SERVER_A), cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert f"not helpful, in server {SERVER_A}" in one.stdout
    assert "soap: 1 explained (1 wrong or out of date)" in one.stdout and "“Round 1 moved to Tuesday”" in one.stdout
    assert "far too long" not in one.stdout and "asked in a DM" not in one.stdout

    every = imgbot(database, "kb", "report", cwd=tmp_path).stdout
    assert f"{SERVER_B}  soap: 1 explained (1 too long or hard to read)" in every
    assert "no server  soap: 1 explained\n" in every and "“asked in a DM”" in every
