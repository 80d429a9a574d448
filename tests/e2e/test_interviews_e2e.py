"""/interview practice|notes|log|history and /rank draft, driven through the emulator against the real bot process.

Every reply must be private (ephemeral). Dates are computed from today, so the tests hold on any day; the rank order
list deadline expected on screen is computed from the same calendar the bot loads.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from bot.cycle import CycleCalendar, MilestoneKind, MilestoneStatus
from bot.interviews.bank import load_interview_bank
from bot.interviews.models import Category, InterviewQuestion
from discord_emulator import Emulator, User, World
from discord_emulator.interactions import Reply
from tests.conftest import DATA_DIR
from tests.e2e.conftest import Live, running_bot
from tests.e2e.mydata import delete_everything

pytestmark = pytest.mark.asyncio(loop_scope="module")

BANK = load_interview_bank(DATA_DIR / "interviews")
CALENDAR = CycleCalendar.from_directory(DATA_DIR / "cycles")
TIMER = re.compile(r"<t:(\d+):R>")
CLOCK_SLACK = 30
"""Seconds between the test reading the clock and the bot reading it, on a slow, shared machine."""
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def shown_question(reply: Reply) -> InterviewQuestion:
    """The bank question a practice card shows (in bold, on a line of its own)."""
    description = reply.embeds[0]["description"]
    matches = [q for q in BANK if f"**{q.question}**\n" in description]
    assert len(matches) == 1, description
    return matches[0]


def timer_end(reply: Reply) -> int:
    found = TIMER.search(reply.embeds[0]["description"])
    assert found is not None, reply.embeds[0]["description"]
    return int(found.group(1))


def labels(reply: Reply) -> list[str]:
    assert reply.message is not None
    return [str(b.get("label")) for b in reply.message.buttons]


def button(reply: Reply, label: str) -> dict[str, Any]:
    assert reply.message is not None
    return reply.message.find_component(label=label)


async def run(emu: Emulator, command: str, options: dict[str, Any] | None, user: User, **kw: Any) -> Reply:
    channel = kw.get("channel") or emu.world.channel("general")
    reply = await (await emu.slash(command, options, user=user, channel=channel)).response()
    assert reply.ephemeral, f"/{command} must answer privately: {reply}"
    return reply


async def click(emu: Emulator, reply: Reply, label: str, user: User) -> Reply:
    answer = await (await emu.click(reply, label=label, user=user)).response()
    assert answer.ephemeral, answer
    return answer


def day(offset: int) -> dt.date:
    return dt.datetime.now(dt.UTC).date() + dt.timedelta(days=offset)


# -- /interview practice ---------------------------------------------------------------------------------------------


async def test_practice_shows_a_timed_question_then_tips_next_and_a_saved_note(live: Live) -> None:
    emu, alice = live.emu, live.emu.world.users["alice"]
    before = time.time()
    card = await run(emu, "interview practice", {"category": "img"}, alice)
    embed = card.embeds[0]
    assert embed["title"].startswith(f"Practice question 1 of {BANK.count(Category.IMG)} · IMG questions")
    question = shown_question(card)
    assert question.category is Category.IMG
    # Two minutes by default, shown as a live Discord timestamp.
    assert before + 120 - CLOCK_SLACK <= timer_end(card) <= time.time() + 120 + CLOCK_SLACK
    assert "Only you can see this." in embed["footer"]["text"]
    assert labels(card) == ["Tips", "Next question", "Note my answer"]
    assert not embed.get("fields")
    # Read now: a reply follows its message, which later clicks redraw.
    end = timer_end(card)

    tips = await click(emu, card, "Tips", alice)
    assert tips.kind == "update" and shown_question(tips) == question
    fields = {f["name"]: f["value"] for f in tips.embeds[0]["fields"]}
    assert fields["What interviewers look for"] == question.look_for
    assert fields["How to build your answer"] == question.structure
    assert fields["Common pitfalls"].startswith(f"• {question.pitfalls[0]}")
    assert question.source in fields["Source"]
    assert timer_end(tips) == end, "the tips keep the question's timer"
    assert button(tips, "Tips shown").get("disabled")

    following = await click(emu, tips, "Next question", alice)
    assert following.embeds[0]["title"].startswith("Practice question 2 of")
    assert shown_question(following) != question and shown_question(following).category is Category.IMG
    assert not following.embeds[0].get("fields") and labels(following)[0] == "Tips"

    opened = await (await emu.click(following, label="Note my answer", user=alice)).response()
    assert opened.kind == "modal" and opened.modal is not None and opened.modal.title == "Note my answer"
    saved = await (
        await emu.submit_modal(opened, {"note": "Used the ICU story.\nToo long: cut the school part."})
    ).response()
    assert saved.ephemeral and "Saved your note" in saved.content
    rows = query(live.database, "SELECT question_id, note FROM interview_notes WHERE user_id = ?", alice.id)
    assert rows == [(shown_question(following).id, "Used the ICU story.\nToo long: cut the school part.")]

    five = await run(emu, "interview practice", {"category": "ethics", "minutes": 5}, alice)
    assert shown_question(five).category is Category.ETHICS
    assert timer_end(five) >= before + 300 - CLOCK_SLACK and "you have 5 minutes" in five.embeds[0]["description"]


async def test_practice_shows_every_question_of_a_category_before_repeating(live: Live) -> None:
    emu, bob = live.emu, live.emu.world.users["bob"]
    total = BANK.count(Category.SPECIALTY)
    card = await run(emu, "interview practice", {"category": "specialty"}, bob)
    seen = [shown_question(card).id]
    for _ in range(total - 1):
        card = await click(emu, card, "Next question", bob)
        seen.append(shown_question(card).id)
    assert sorted(seen) == sorted(q.id for q in BANK.questions_for(Category.SPECIALTY))
    again = await click(emu, card, "Next question", bob)
    assert f"You have seen all {total} questions" in again.embeds[0]["description"]
    assert again.embeds[0]["title"].startswith(f"Practice question 1 of {total}")


async def test_practice_without_a_category_mixes_them_and_refuses_an_unknown_one(live: Live) -> None:
    emu, bob = live.emu, live.emu.world.users["bob"]
    card = await run(emu, "interview practice", None, bob)
    assert card.embeds[0]["title"].startswith(f"Practice question 1 of {len(BANK)} · Every category")
    refused = await run(emu, "interview practice", {"category": "cardiology"}, bob)
    assert not refused.embeds and "I don't know the category 'cardiology'" in refused.content
    choices = await emu.autocomplete("interview practice", {"category": "ethic"}, user=bob)
    assert [c["value"] for c in choices] == ["ethics"]
    assert f"· {BANK.count(Category.ETHICS)} questions" in choices[0]["name"]
    everything = await emu.autocomplete("interview practice", {"category": ""}, user=bob)
    assert [c["value"] for c in everything] == ["all", *(c.value for c in Category)]


async def test_practice_works_in_direct_messages(live: Live) -> None:
    emu, bob = live.emu, live.emu.world.users["bob"]
    card = await run(emu, "interview practice", {"category": "about-you"}, bob, channel=emu.world.dm_channel_for(bob))
    assert shown_question(card).category is Category.ABOUT_YOU


# -- /interview notes ------------------------------------------------------------------------------------------------


async def test_notes_are_listed_by_page_read_and_deleted_after_a_confirmation(live: Live) -> None:
    emu, carol = live.emu, live.emu.world.users["carol"]
    empty = await run(emu, "interview notes", None, carol)
    assert "No notes yet" in empty.embeds[0]["description"] and not empty.components

    card = await run(emu, "interview practice", {"category": "behavioural"}, carol)
    for number in range(1, 8):
        opened = await (await emu.click(card, label="Note my answer", user=carol)).response()
        await (await emu.submit_modal(opened, {"note": f"Note number {number} @everyone"})).response()
        card = await click(emu, card, "Next question", carol)

    listed = await run(emu, "interview notes", None, carol)
    embed = listed.embeds[0]
    assert len(embed["fields"]) == 5 and embed["footer"]["text"].endswith("7 notes · page 1 of 2.")
    assert embed["fields"][0]["value"].startswith("Note number 7"), "newest first"
    assert "@everyone" not in json.dumps(embed), "what members typed can never ping"
    assert button(listed, "◀ Previous").get("disabled")
    second = await click(emu, listed, "Next ▶", carol)
    assert len(second.embeds[0]["fields"]) == 2 and second.embeds[0]["fields"][0]["name"].startswith("6. ")

    assert second.message is not None
    oldest = second.message.selects[0]["options"][-1]["value"]
    shown = await (await emu.select(second, [oldest], user=carol)).response()
    assert shown.embeds[0]["title"] == "Your note" and "Note number 1" in shown.embeds[0]["description"]
    asked = await click(emu, shown, "Delete this note", carol)
    assert asked.embeds[0]["title"] == "Delete this note?"
    kept = await click(emu, asked, "No, keep it", carol)
    assert kept.embeds[0]["title"] == "Your note"
    asked = await click(emu, kept, "Delete this note", carol)
    done = await click(emu, asked, "Yes, delete it", carol)
    assert done.content == "🗑️ Deleted the note." and done.embeds[0]["footer"]["text"].endswith("6 notes · page 2 of 2.")
    assert query(live.database, "SELECT COUNT(*) FROM interview_notes WHERE user_id = ?", carol.id) == [(6,)]
    assert query(live.database, "SELECT COUNT(*) FROM interview_notes WHERE note LIKE 'Note number 1 %'") == [(0,)]


# -- /interview log and /interview history ---------------------------------------------------------------------------


async def test_log_validates_lists_changes_and_removes_an_interview(live: Live) -> None:
    emu, bob = live.emu, live.emu.world.users["bob"]
    when = day(8)
    logged = await run(
        emu,
        "interview log",
        {"program": "Mercy Hospital Internal Medicine", "date": when.isoformat(), "impression": 4, "notes": "J-1 only"},
        bob,
    )
    assert "Logged **Mercy Hospital Internal Medicine**" in logged.content and "4/5" in logged.content
    assert labels(logged) == ["Open my rank draft", "See the whole list"]

    ambiguous = await run(emu, "interview log", {"program": "Riverside IM", "date": "05/01/2027"}, bob)
    assert "year-month-day" in ambiguous.content and "May 1" in ambiguous.content
    far = await run(emu, "interview log", {"program": "Riverside IM", "date": day(900).isoformat()}, bob)
    assert "check the year" in far.content
    twice = await run(emu, "interview log", {"program": "mercy hospital  internal medicine", "date": str(when)}, bob)
    assert "already logged this interview" in twice.content
    later = when + dt.timedelta(days=3)
    spelled = f"{MONTHS[later.month - 1]} {later.day}, {later.year}"
    await run(emu, "interview log", {"program": "Riverside Community IM", "date": spelled, "impression": 5}, bob)
    rows = query(
        live.database, "SELECT program, interview_date, impression FROM interview_log WHERE user_id = ?", bob.id
    )
    assert rows == [
        ("Mercy Hospital Internal Medicine", when.isoformat(), 4),
        ("Riverside Community IM", later.isoformat(), 5),
    ]

    history = await click(emu, logged, "See the whole list", bob)
    assert history.embeds[0]["title"] == "Your interview log"
    assert history.embeds[0]["footer"]["text"].endswith("2 interviews.")
    mercy = query(live.database, "SELECT id FROM interview_log WHERE program LIKE 'Mercy%' AND user_id = ?", bob.id)
    entry = await (await emu.select(history, [str(mercy[0][0])], user=bob)).response()
    assert entry.embeds[0]["title"] == "Mercy Hospital Internal Medicine"

    opened = await (await emu.click(entry, label="Change", user=bob)).response()
    assert opened.modal is not None and opened.modal.field("date").value == when.isoformat()
    refused = await (await emu.submit_modal(opened, {"impression": "9"})).response()
    assert refused.ephemeral and "from 1 (poor fit) to 5" in refused.content
    opened = await (await emu.click(entry, label="Change", user=bob)).response()
    changed = await (await emu.submit_modal(opened, {"impression": "2", "notes": "Long commute."})).response()
    assert changed.kind == "update" and changed.content == "✅ Saved your changes."
    assert "2/5" in json.dumps(changed.embeds[0]) and "Long commute." in json.dumps(changed.embeds[0])

    asked = await click(emu, changed, "Remove", bob)
    assert asked.embeds[0]["title"].startswith("Remove this interview?")
    kept = await click(emu, asked, "No, keep it", bob)
    asked = await click(emu, kept, "Remove", bob)
    removed = await click(emu, asked, "Yes, remove it", bob)
    assert removed.content == "🗑️ Removed the interview from your log."
    assert removed.embeds[0]["footer"]["text"].endswith("1 interview.")
    assert [r[0] for r in query(live.database, "SELECT program FROM interview_log WHERE user_id = ?", bob.id)] == [
        "Riverside Community IM"
    ]


# -- /rank draft -----------------------------------------------------------------------------------------------------


async def test_rank_draft_orders_by_impression_moves_takes_notes_and_exports(live: Live) -> None:
    emu = live.emu
    admin = emu.world.users["dr_admin"]
    empty = await run(emu, "rank draft", None, admin)
    assert "interview log, which is empty" in empty.embeds[0]["description"] and not empty.components

    for program, impression, offset in (("Lakeview FM", 3, 1), ("Summit IM", 5, 2), ("Harbor IM", 4, 3)):
        await run(
            emu, "interview log", {"program": program, "date": day(offset).isoformat(), "impression": impression}, admin
        )
    draft = await run(emu, "rank draft", None, admin)
    description = draft.embeds[0]["description"]
    assert description.index("1. Summit IM") < description.index("2. Harbor IM") < description.index("3. Lakeview FM")
    assert "▶ **1. Summit IM**" in description
    deadline = CALENDAR.upcoming(dt.datetime.now(dt.UTC), 1, kinds={MilestoneKind.ROL_DEADLINE})[0]
    field = next(f for f in draft.embeds[0]["fields"] if f["name"] == "Rank order list deadline")
    assert f"<t:{int(deadline.at.timestamp())}:F>" in field["value"]
    official = deadline.status is MilestoneStatus.OFFICIAL
    assert ("official" if official else "projected") in field["value"]
    assert button(draft, "▲ Move up").get("disabled")

    lakeview = query(live.database, "SELECT id FROM interview_log WHERE program = 'Lakeview FM'")[0][0]
    picked = await (await emu.select(draft, [str(lakeview)], user=admin)).response()
    assert "▶ **3. Lakeview FM**" in picked.embeds[0]["description"] and button(picked, "▼ Move down").get("disabled")
    moved = await click(emu, picked, "▲ Move up", admin)
    assert "▶ **2. Lakeview FM**" in moved.embeds[0]["description"]
    assert query(
        live.database, "SELECT program FROM interview_log WHERE user_id = ? ORDER BY rank_position", admin.id
    ) == [("Summit IM",), ("Lakeview FM",), ("Harbor IM",)]

    opened = await (await emu.click(moved, label="✎ Note", user=admin)).response()
    noted = await (await emu.submit_modal(opened, {"note": "Near family; J-1 is fine."})).response()
    # Shown as typed, escaped so that nothing in it formats the message ("\\-" shows as "-").
    assert noted.kind == "update" and "Near family; J\\-1 is fine." in noted.embeds[0]["description"]

    exported = await click(emu, noted, "📄 Export as text", admin)
    assert exported.kind == "message" and f"<t:{int(deadline.at.timestamp())}:F>" in exported.content
    [attachment] = exported.attachments
    assert attachment.filename == "rank-draft.txt"
    text = attachment.text()
    assert text.index("1. Summit IM") < text.index("2. Lakeview FM") < text.index("3. Harbor IM")
    assert "Why here: Near family; J-1 is fine." in text
    assert f"Rank order list deadline, Match {deadline.match_year}" in text

    # From /interview log, "Open my rank draft" opens it as a new private message.
    logged = await run(emu, "interview log", {"program": "Bayside Peds", "date": day(4).isoformat()}, admin)
    opened_draft = await click(emu, logged, "Open my rank draft", admin)
    assert opened_draft.kind == "message" and "4. Bayside Peds" in opened_draft.embeds[0]["description"]


# -- /mydata ---------------------------------------------------------------------------------------------------------


async def test_mydata_exports_and_deletes_notes_and_the_log(live: Live) -> None:
    emu, bob = live.emu, live.emu.world.users["bob"]
    card = await run(emu, "interview practice", None, bob)
    opened = await (await emu.click(card, label="Note my answer", user=bob)).response()
    await (await emu.submit_modal(opened, {"note": "Keep it under two minutes."})).response()

    exported = await run(emu, "mydata export", None, bob)
    data = json.loads(exported.attachments[0].data)
    assert [n["note"] for n in data["interviews"]["interview_practice_notes"]] == ["Keep it under two minutes."]
    assert [e["program"] for e in data["interviews"]["interview_log"]] == ["Riverside Community IM"]

    asked = await run(emu, "mydata delete", None, bob)
    done = await delete_everything(emu, asked, bob)
    assert "note on a practice answer" in done.content and "1 interview in your log" in done.content
    for table in ("interview_notes", "interview_log"):
        assert query(live.database, f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", bob.id) == [(0,)]
    summary = await run(emu, "privacy", None, bob)
    assert "interview notes, interview log and rank draft" in summary.embeds[0]["description"]
    privacy = await (await emu.click(summary, custom_id="privacy:details", user=bob)).response()
    assert any(f["name"] == "Interview practice and your rank draft" for f in privacy.embeds[0]["fields"])


# -- restart ---------------------------------------------------------------------------------------------------------


async def test_buttons_keep_working_after_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        alice = emu.world.users["alice"]
        async with running_bot(emu, database, name="first"):
            card = await run(emu, "interview practice", {"category": "ask-programs"}, alice)
            for program, impression in (("North IM", 4), ("South IM", 2)):
                await run(
                    emu,
                    "interview log",
                    {"program": program, "date": day(5).isoformat(), "impression": impression},
                    alice,
                )
            draft = await run(emu, "rank draft", None, alice)
            question, end = shown_question(card), timer_end(card)

        async with running_bot(emu, database, name="second"):
            tips = await click(emu, card, "Tips", alice)
            assert shown_question(tips) == question and timer_end(tips) == end
            assert shown_question(await click(emu, tips, "Next question", alice)) != question
            opened = await (await emu.click(card, label="Note my answer", user=alice)).response()
            assert opened.kind == "modal"
            moved = await click(emu, draft, "▼ Move down", alice)
            assert "▶ **2. North IM**" in moved.embeds[0]["description"]
        emu.assert_clean()
    assert [r[0] for r in query(database, "SELECT program FROM interview_log ORDER BY rank_position")] == [
        "South IM",
        "North IM",
    ]
