"""Interview practice, notes, the log and the rank draft, through the service with a real database and a fixed clock:
what a member keeps is theirs alone, the draft's order is the log's until they move something, and the export and
/mydata hold all of it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from bot.content import Content
from bot.cycle import MilestoneKind
from bot.db.connection import Connection
from bot.interviews import service as service_module
from bot.interviews.models import Category
from bot.interviews.options import (
    AnswerNote,
    LogEntry,
    PracticeOptions,
    RankNote,
    parse,
    parse_day,
)
from bot.interviews.repository import InterviewRepository
from bot.interviews.service import InterviewService, export_text
from bot.privacy import DELETION_LABELS, PersonalData, describe_deletion
from bot.quiz.repository import QuizRepository
from bot.quiz.service import QuizService
from bot.readiness.repository import ReadinessRepository
from bot.readiness.service import ReadinessService
from bot.studygroups.repository import StudyGroupRepository
from bot.studygroups.service import StudyGroupService
from bot.validation import UserInputError

NOW = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
ALICE, BOB = 731_245_678_901_234_567, 845_129_876_543_210_987


def clock() -> dt.datetime:
    return NOW


@pytest.fixture
def service(conn: Connection, content: Content) -> InterviewService:
    return InterviewService(content.interview_bank, InterviewRepository(conn), content.calendar, clock)


def entry(program: str, days: int = 5, impression: int | None = None, notes: str | None = None) -> LogEntry:
    return parse(
        LogEntry,
        {"today": TODAY},
        program=program,
        date=(TODAY + dt.timedelta(days=days)).isoformat(),
        impression=impression,
        notes=notes,
    )


def refused(model: type[Any], context: dict[str, Any] | None = None, **fields: Any) -> str:
    with pytest.raises(UserInputError) as info:
        parse(model, context, **fields)
    return str(info.value)


# -- options ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2027-01-15", "2027-1-15", "2027/01/15", "15 Jan 2027", "15th January 2027", "January 15, 2027", "jan. 15 2027"],
)
def test_dates_as_people_write_them(text: str) -> None:
    assert parse_day(text) == dt.date(2027, 1, 15)


def test_dates_that_cannot_be_read_or_are_ambiguous_or_far_away_are_refused() -> None:
    context = {"today": TODAY}
    assert "May 1" in refused(LogEntry, context, program="Mercy IM", date="05/01/2027")
    assert "does not exist" in refused(LogEntry, context, program="Mercy IM", date="2027-02-30")
    assert "not a date I can read" in refused(LogEntry, context, program="Mercy IM", date="next tuesday")
    assert "check the year" in refused(LogEntry, context, program="Mercy IM", date="2072-01-15")
    assert "check the year" in refused(LogEntry, context, program="Mercy IM", date="2024-11-01")
    assert parse(LogEntry, context, program="Mercy IM", date="2025-01-15").date == dt.date(2025, 1, 15)
    with pytest.raises(RuntimeError, match="today"):
        parse(LogEntry, program="Mercy IM", date="2027-01-15")


def test_log_fields_are_tidied_and_checked() -> None:
    context = {"today": TODAY}
    clean = parse(
        LogEntry,
        context,
        program="  Mercy\u200b   Hospital IM ",
        date="2027-01-15",
        impression="4/5",
        notes="a\n\n\n\nb",
    )
    assert (clean.program, clean.impression, clean.notes) == ("Mercy Hospital IM", 4, "a\n\nb")
    assert parse(LogEntry, context, program="X IM", date="2027-01-15", impression=" ", notes="  ").impression is None
    assert "from 1 (poor fit) to 5" in refused(LogEntry, context, program="X IM", date="2027-01-15", impression=6)
    assert "from 1 (poor fit) to 5" in refused(LogEntry, context, program="X IM", date="2027-01-15", impression=True)
    assert "cannot contain mentions" in refused(LogEntry, context, program="<@123456789012345678>", date="2027-01-15")
    assert "with words" in refused(LogEntry, context, program="!!!", date="2027-01-15")
    assert "100 characters" in refused(LogEntry, context, program="M" * 101, date="2027-01-15")
    assert "1,000 characters" in refused(LogEntry, context, program="X IM", date="2027-01-15", notes="n" * 1001)


def test_practice_options_and_notes() -> None:
    assert parse(PracticeOptions).minutes == 2 and parse(PracticeOptions, minutes="5").minutes == 5
    for bad in (0, 6, -1, "two", 2.5, True):
        assert "1 to 5 minutes" in refused(PracticeOptions, minutes=bad)
    assert parse(PracticeOptions, category="  why   this program ").category == "why this program"
    assert "Write a few words" in refused(AnswerNote, note=" \n ")
    assert parse(RankNote, note="").note is None and parse(RankNote, note=" J-1 only ").note == "J-1 only"


# -- practice --------------------------------------------------------------------------------------------------------


def test_a_practice_card_its_next_and_its_tips(service: InterviewService) -> None:
    card = service.start_practice(parse(PracticeOptions, category="ethics", minutes=3))
    assert card.category is Category.ETHICS and card.question.category is Category.ETHICS
    assert card.ends_at == NOW + dt.timedelta(minutes=3) and card.position == 0 and not card.new_round
    following = service.next_card(card.category, card.minutes, card.seed, card.position)
    assert following.position == 1 and following.question != card.question
    later = NOW + dt.timedelta(seconds=50)
    same = service.same_card(card.category, 3, card.seed, 0, later, card.question.id)
    assert same.question == card.question and same.ends_at == later
    # The bank changed under a card: the tips stay those of the question on screen.
    other = service.bank.questions_for(Category.IMG)[0]
    assert service.same_card(card.category, 3, card.seed, 0, later, other.id).question == other
    with pytest.raises(UserInputError, match="no longer in the practice bank"):
        service.question("a-question-that-was-removed")
    with pytest.raises(UserInputError, match="I don't know the category"):
        service.start_practice(parse(PracticeOptions, category="surgery"))
    mixed = service.start_practice(parse(PracticeOptions, category="mixed"))
    assert mixed.category is None and mixed.draw.total == len(service.bank)


# -- notes -----------------------------------------------------------------------------------------------------------


async def test_notes_are_private_paged_and_deleted_by_their_owner_only(service: InterviewService) -> None:
    question = service.bank.questions_for(Category.ABOUT_YOU)[0]
    for number in range(7):
        await service.save_note(ALICE, question.id, parse(AnswerNote, note=f"note {number}"))
    bobs = await service.save_note(BOB, question.id, parse(AnswerNote, note="bob's"))
    first = await service.notes_page(ALICE, 0)
    assert [n.note for n in first.items] == ["note 6", "note 5", "note 4", "note 3", "note 2"]
    assert (first.pages, first.total) == (2, 7)
    last = await service.notes_page(ALICE, 99)
    assert last.page == 1 and [n.note for n in last.items] == ["note 1", "note 0"]
    assert last.items[0].question == question.question and last.items[0].created_at == NOW
    with pytest.raises(UserInputError, match="That note is gone"):
        await service.note(ALICE, bobs.id)
    assert not await service.delete_note(ALICE, bobs.id)
    assert (await service.note(BOB, bobs.id)).note == "bob's"
    assert await service.delete_note(ALICE, last.items[0].id)
    assert (await service.notes_page(ALICE, 0)).total == 6
    empty = await service.notes_page(123, 3)
    assert (empty.items, empty.page, empty.pages, empty.total) == ((), 0, 1, 0)


async def test_notes_stop_at_the_limit_and_need_a_question_that_exists(
    service: InterviewService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "MAX_NOTES", 2)
    question = service.bank.questions_for(Category.ETHICS)[0]
    for _ in range(2):
        await service.save_note(ALICE, question.id, parse(AnswerNote, note="n"))
    with pytest.raises(UserInputError, match="2 saved notes"):
        await service.save_note(ALICE, question.id, parse(AnswerNote, note="n"))
    with pytest.raises(UserInputError, match="no longer in the practice bank"):
        await service.save_note(BOB, "gone-question", parse(AnswerNote, note="n"))


# -- the log ---------------------------------------------------------------------------------------------------------


async def test_the_log_adds_refuses_twins_edits_and_removes(service: InterviewService) -> None:
    mercy = await service.log_interview(ALICE, entry("Mercy Hospital IM", 3, 4, "J-1 only"))
    assert (mercy.program, mercy.date, mercy.impression, mercy.notes) == (
        "Mercy Hospital IM",
        TODAY + dt.timedelta(days=3),
        4,
        "J-1 only",
    )
    with pytest.raises(UserInputError, match="already logged this interview"):
        await service.log_interview(ALICE, entry("mercy  hospital im", 3))
    second_look = await service.log_interview(ALICE, entry("Mercy Hospital IM", 20))
    await service.log_interview(BOB, entry("Mercy Hospital IM", 3))
    page = await service.log_page(ALICE, 0)
    assert [e.id for e in page.items] == [mercy.id, second_look.id] and page.total == 2

    changed = await service.edit_entry(ALICE, mercy.id, entry("Mercy Hospital Internal Medicine", 4, 2, None))
    assert (changed.program, changed.impression, changed.notes) == ("Mercy Hospital Internal Medicine", 2, None)
    with pytest.raises(UserInputError, match="already logged"):
        await service.edit_entry(ALICE, second_look.id, entry("Mercy Hospital Internal Medicine", 4))
    bobs = (await service.log_page(BOB, 0)).items[0]
    with pytest.raises(UserInputError, match="not in your log"):
        await service.edit_entry(ALICE, bobs.id, entry("Stolen", 1))
    assert not await service.remove_entry(ALICE, bobs.id)
    assert await service.remove_entry(ALICE, mercy.id)
    assert [e.id for e in (await service.log_page(ALICE, 0)).items] == [second_look.id]
    assert (await service.entry(BOB, bobs.id)).program == "Mercy Hospital IM"


async def test_the_log_has_a_limit(service: InterviewService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module, "MAX_LOG_ENTRIES", 1)
    await service.log_interview(ALICE, entry("One IM"))
    with pytest.raises(UserInputError, match="holds 1 interviews"):
        await service.log_interview(ALICE, entry("Two IM"))


# -- the rank draft --------------------------------------------------------------------------------------------------


async def test_the_draft_starts_from_the_log_and_keeps_the_members_order(service: InterviewService) -> None:
    low = await service.log_interview(ALICE, entry("Low IM", 1, 2))
    none = await service.log_interview(ALICE, entry("Unrated IM", 2))
    high = await service.log_interview(ALICE, entry("High IM", 3, 5))
    tie_early = await service.log_interview(ALICE, entry("Tie Early IM", 4, 4))
    tie_late = await service.log_interview(ALICE, entry("Tie Late IM", 9, 4))
    draft = await service.draft(ALICE)
    assert [e.id for e in draft.entries] == [high.id, tie_early.id, tie_late.id, low.id, none.id]

    moved = await service.move(ALICE, low.id, -1)
    assert [e.id for e in moved.entries] == [high.id, tie_early.id, low.id, tie_late.id, none.id]
    top = await service.move(ALICE, high.id, -1)
    assert top.entries[0].id == high.id, "moving the first up changes nothing"
    assert [e.rank_position for e in top.entries] == [1, 2, 3, 4, 5]
    # A new interview joins at the bottom, whatever its impression, until the member moves it.
    new = await service.log_interview(ALICE, entry("New Great IM", 6, 5))
    assert (await service.draft(ALICE)).entries[-1].id == new.id
    after = await service.move(ALICE, new.id, -1)
    assert [e.id for e in after.entries][-2:] == [new.id, none.id]

    noted = await service.set_rank_note(ALICE, tie_late.id, parse(RankNote, note="Near family"))
    assert next(e for e in noted.entries if e.id == tie_late.id).rank_note == "Near family"
    cleared = await service.set_rank_note(ALICE, tie_late.id, parse(RankNote, note=""))
    assert next(e for e in cleared.entries if e.id == tie_late.id).rank_note is None

    with pytest.raises(UserInputError, match="not in your log"):
        await service.move(BOB, high.id, 1)
    with pytest.raises(UserInputError, match="not in your log"):
        await service.set_rank_note(BOB, high.id, parse(RankNote, note="mine now"))
    assert (await service.draft(BOB)).entries == ()


async def test_the_deadline_and_the_export(service: InterviewService, content: Content) -> None:
    deadline = service.rol_deadline()
    expected = content.calendar.upcoming(NOW, 1, kinds={MilestoneKind.ROL_DEADLINE})[0]
    assert deadline == expected and deadline.match_year == 2027 and deadline.at > NOW

    await service.log_interview(ALICE, entry("Summit IM", 2, 5, "Great teaching.\nH-1B possible."))
    lake = await service.log_interview(ALICE, entry("Lakeview FM", 3))
    await service.set_rank_note(ALICE, lake.id, parse(RankNote, note="Backup\nnear home"))
    text = await service.export(ALICE)
    lines = text.splitlines()
    assert lines[0] == "My rank draft (private)" and lines[1] == "Exported 2026-12-07 15:00 UTC from /rank draft."
    status = "official" if deadline.status.value == "official" else "projected from past cycles, may change"
    assert lines[3].startswith(f"Rank order list deadline, Match 2027 ({status}): ")
    assert "US Eastern time" in lines[3] and f"({deadline.at:%Y-%m-%d %H:%M} UTC)" in lines[3]
    body = "\n".join(lines[5:])
    assert body.startswith(
        f"1. Summit IM  (interviewed {(TODAY + dt.timedelta(days=2)).isoformat()}, impression 5/5)\n"
        "   Notes: Great teaching.\n   Notes: H-1B possible.\n"
        f"2. Lakeview FM  (interviewed {(TODAY + dt.timedelta(days=3)).isoformat()}, no impression given)\n"
        "   Why here: Backup\n   Why here: near home\n"
    )
    assert text.endswith("not by where you think you will match.\n")
    empty = export_text(await service.draft(BOB), NOW)
    assert "No interviews logged yet. Add them with /interview log." in empty


# -- /mydata ---------------------------------------------------------------------------------------------------------


async def test_mydata_exports_and_deletes_one_members_interview_data(
    conn: Connection, service: InterviewService, content: Content
) -> None:
    personal = PersonalData.for_features(
        conn,
        quiz=QuizService(content.quiz_bank, QuizRepository(conn), clock=clock),
        readiness=ReadinessService(
            ReadinessRepository(conn), content.specialties, content.calendar, clock, words=content.questionnaire_words
        ),
        studygroups=StudyGroupService(StudyGroupRepository(conn), clock),
        clock=clock,
    )
    question = service.bank.questions_for(Category.IMG)[0]
    for user in (ALICE, BOB):
        await service.save_note(user, question.id, parse(AnswerNote, note=f"note of {user}"))
        logged = await service.log_interview(user, entry("Mercy IM", 3, 4, "commute"))
        await service.move(user, logged.id, 0)
        await service.set_rank_note(user, logged.id, parse(RankNote, note="first"))
    assert await personal.uncovered_columns() == []
    assert {ALICE, BOB} <= await personal.user_ids()

    exported = json.loads(await personal.export_json(ALICE))["interviews"]
    assert exported["interview_practice_notes"] == [
        {
            "question_id": question.id,
            "question": question.question,
            "note": f"note of {ALICE}",
            "saved_at": NOW.isoformat(),
        }
    ]
    [logged_alice] = exported["interview_log"]
    assert logged_alice["program"] == "Mercy IM" and logged_alice["rank_draft_position"] == 1
    assert logged_alice["rank_draft_note"] == "first" and logged_alice["notes"] == "commute"
    assert str(BOB) not in json.dumps(exported)

    counts = await personal.delete(ALICE)
    assert counts["interview_notes"] == 1 and counts["interview_log_entries"] == 1
    assert set(counts) <= set(DELETION_LABELS)
    assert "1 note on a practice answer" in describe_deletion(counts)
    assert "1 interview in your log" in describe_deletion(counts)
    for table in ("interview_notes", "interview_log"):
        async with conn.execute(f"SELECT user_id FROM {table}") as cursor:
            assert [r[0] for r in await cursor.fetchall()] == [BOB]
    again = json.loads(await personal.export_json(ALICE))["interviews"]
    assert again["interview_practice_notes"] == [] and again["interview_log"] == []
