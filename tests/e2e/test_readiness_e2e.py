"""/readiness start, /readiness history and /timeline, driven through the emulator against the real bot process.

The bot's readiness clock is injected (``IMGBOT_TEST_READINESS_NOW``): every test runs on December 6, 2026, in
Match 2027's interview season, whatever the real date is.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from icalendar import Calendar

from bot.readiness.service import TEST_NOW_ENV
from discord_emulator import Emulator, Message, Reply, User, World
from discord_emulator.rest import RequestRecord
from discord_emulator.world import Channel
from tests.e2e.conftest import Live, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

NOW = "2026-12-06T15:00:00+00:00"
"""What /readiness and /timeline take as now: ERAS submission for Match 2027 (Sept 2, 2026) has passed."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    """The shared bot process of this module, with the readiness clock at ``NOW``."""
    database: Path = tmp_path_factory.mktemp("bot") / "bot.sqlite3"
    async with Emulator(World.default()) as emu, running_bot(emu, database, **{TEST_NOW_ENV: NOW}) as bot:
        yield Live(emu, bot, database)
        assert bot.returncode is None, f"the bot died during the tests:\n{bot.tail()}"


# The tester's case: graduated in 2021 (six years before applying), Step 2 CK passed after a failed attempt, no US
# clinical experience; and an H-1B without Step 3. Red flags the result must put first: the failed attempt, the
# graduation year (both lasting) and the visa; no USCE only needs work (it is not a formal requirement).
AT_RISK = {
    "target_match": "2028",
    "step1": "passed",
    "step2ck": "passed-after-fail",
    "step2ck_score": "236",
    "specialty": "internal-medicine",
    "pathway": "not-applied",
    "oet": "booked",
    "graduation_year": "2021",
    "usce_months": "0",
    "us_letters": "0",
    "personal_statement": "draft",
    "consistency": "not-checked",
    "visa": "h1b",
    "step3": "not-taken",
    "mentor": "no",
}
# Later: four months hands-on, three US letters, a J-1 plan.
BETTER = {**AT_RISK, "usce_months": "4", "usce_kind": "hands-on", "us_letters": "3", "visa": "j1"}

TIMESTAMP = re.compile(r"<t:\d+:F>")
SHARE = "Share in this channel"


SHARE_POST_DEADLINE = 10.0
"""Seconds for the bot's share posts to reach the emulator: each follows its click's answer (within Discord's 3 s)."""


async def share_posts(emu: Emulator, channel: Channel, since: int, nonce: str, *, count: int) -> list[RequestRecord]:
    """The bot's message posts in ``channel`` with ``nonce`` after request ``since``, once there are ``count``."""
    route = f"POST /channels/{channel.id}/messages"

    def found() -> list[RequestRecord]:
        return [
            r
            for r in emu.requests
            if r.seq > since
            and r.method == "POST"
            and r.path == f"/channels/{channel.id}/messages"
            and isinstance(r.body, dict)
            and r.body.get("nonce") == nonce
        ]

    async with asyncio.timeout(SHARE_POST_DEADLINE):
        while len(found()) < count:
            # Woken by the next request; the short bound only covers one landing between the check and the wait.
            with contextlib.suppress(TimeoutError):
                await emu.wait_for_request(route, timeout=0.5)
    return found()


def shared_plans(emu: Emulator, channel: Channel) -> list[Message]:
    return [m for m in emu.messages_in(channel) if m.embeds and m.embeds[0].get("title", "").startswith("Plan for")]


def query(live: Live, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{live.database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def custom_ids(reply: Reply) -> list[str]:
    assert reply.message is not None
    return [str(c["custom_id"]) for c in reply.message.all_components() if c.get("custom_id")]


def current_step(reply: Reply) -> str | None:
    """The question a screen shows, read from its components (rd:sel:<step>, rd:ans:<step>:…, rd:num:<step>)."""
    for cid in custom_ids(reply):
        found = re.match(r"rd:(?:sel|ans|num):([a-z0-9_]+)", cid)
        if found:
            return found.group(1)
    return None


async def answer(emu: Emulator, reply: Reply, step: str, value: str) -> Reply:
    """Answer the question on screen the way a member would: a select, a button, or a button and its modal."""
    ids = custom_ids(reply)
    if f"rd:sel:{step}" in ids:
        return await (await emu.select(reply, [value])).response()
    if f"rd:ans:{step}:{value}" in ids and f"rd:num:{step}" not in ids:
        return await (await emu.click(reply, custom_id=f"rd:ans:{step}:{value}")).response()
    opened = await (await emu.click(reply, custom_id=f"rd:num:{step}")).response()
    assert opened.kind == "modal" and opened.modal is not None
    assert opened.modal.field("answer").placeholder
    return await (await emu.submit_modal(opened, {"answer": value})).response()


async def answer_all(emu: Emulator, reply: Reply, answers: dict[str, str]) -> Reply:
    seen: list[str] = []
    while (step := current_step(reply)) is not None:
        assert step not in seen, f"{step} asked twice: {seen}"
        seen.append(step)
        reply = await answer(emu, reply, step, answers[step])
        assert reply.kind == "update" and reply.ephemeral, reply
    return reply


async def start(emu: Emulator, user: User) -> Reply:
    reply = await (await emu.slash("readiness start", user=user, channel=emu.world.channel("general"))).response()
    assert reply.ephemeral
    return reply


def embed_chars(embed: dict[str, Any]) -> int:
    """What Discord counts towards an embed's size: title, description, field names and values, footer."""
    fields = sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    footer = len(embed.get("footer", {}).get("text", ""))
    return len(embed.get("title", "")) + len(embed.get("description", "")) + fields + footer


def field_names(reply: Reply) -> list[str]:
    return [f["name"] for f in reply.embeds[0].get("fields", [])]


async def test_full_run_with_back_resume_and_a_red_flag_result(live: Live) -> None:
    emu = live.emu
    alice = emu.world.users["alice"]
    reply = await start(emu, alice)
    assert "one at a time" in reply.content
    embed = reply.embeds[0]
    assert embed["title"] == "Which Match are you aiming for?"
    assert embed["author"]["name"] == "Readiness check · question 1 of 12"
    assert "Only you can see this" in embed["footer"]["text"]
    assert "rd:go:back" in custom_ids(reply)
    assert next(b for b in reply.message.buttons if b["label"] == "Back").get("disabled")  # type: ignore[union-attr]

    reply = await answer(emu, reply, "target_match", "2028")
    reply = await answer(emu, reply, "step1", "passed")
    assert current_step(reply) == "step2ck"
    # Back shows the earlier question with the answer given, preselected.
    reply = await (await emu.click(reply, label="Back")).response()
    assert current_step(reply) == "step1" and "Your answer so far: **Passed**" in reply.embeds[0]["description"]
    preselected = [o["value"] for o in reply.message.selects[0]["options"] if o.get("default")]  # type: ignore[union-attr]
    assert preselected == ["passed"]
    reply = await (await emu.click(reply, label="Keep my answer")).response()
    assert current_step(reply) == "step2ck"
    reply = await answer(emu, reply, "step2ck", "passed-after-fail")
    assert current_step(reply) == "step2ck_score"
    # The count does not grow when an answer opens a follow-up: the score shares the number of its question.
    assert reply.embeds[0]["author"]["name"] == "Readiness check · question 3 of 12, a follow-up"

    # A number that is not one: a private hint, and the question stays where it was.
    opened = await (await emu.click(reply, custom_id="rd:num:step2ck_score")).response()
    # The form's field is labelled with the question, not with the rule.
    assert opened.modal is not None and opened.modal.field("answer").label == "Your Step 2 CK score"
    refused = await (await emu.submit_modal(opened, {"answer": "two hundred"})).response()
    assert refused.ephemeral and "whole number from 1 to 300" in refused.content
    assert refused.content.startswith("You typed “two hundred”, which is not a whole number.")
    assert "For example: For" not in refused.content
    # "Passed" with 150: below every Step 2 CK passing score, so it is questioned privately and not kept.
    opened = await (await emu.click(reply, custom_id="rd:num:step2ck_score")).response()
    refused = await (await emu.submit_modal(opened, {"answer": "150"})).response()
    assert refused.ephemeral and not refused.embeds
    assert refused.content.startswith("150 is below the Step 2 CK passing score (218 for exams from July 1, 2025")
    assert "check the score on your USMLE score report" in refused.content
    assert "\u201cFailed, not passed yet\u201d" in refused.content
    assert query(live, "SELECT answers FROM readiness_sessions WHERE user_id = ?", alice.id)[0][0].find("150") < 0
    # 216 can be a pass only from before July 2025: the bot asks when, and refuses "from July 1, 2025".
    reply = await answer(emu, reply, "step2ck_score", "216")
    assert current_step(reply) == "step2ck_period" and "below 218" in reply.embeds[0]["description"]
    labels = [b["label"] for b in reply.message.buttons]  # type: ignore[union-attr]
    assert labels[:3] == [
        "From July 1, 2025 (passing score 218)",
        "From July 1, 2022 to June 30, 2025 (passing score 214)",
        "Before July 1, 2022 (passing score 209)",
    ]
    refused = await (await emu.click(reply, label="From July 1, 2025 (passing score 218)")).response()
    assert refused.ephemeral and refused.content.startswith("216 is below 218, the Step 2 CK passing score")
    reply = await answer(emu, reply, "step2ck_period", "2022-07-01")
    assert current_step(reply) == "specialty"
    reply = await (await emu.click(reply, label="Back")).response()
    reply = await (await emu.click(reply, label="Back")).response()
    assert current_step(reply) == "step2ck_score"
    reply = await answer(emu, reply, "step2ck_score", "236")
    reply = await answer(emu, reply, "specialty", "internal-medicine")
    assert current_step(reply) == "pathway"
    assert reply.embeds[0]["author"]["name"] == "Readiness check · question 5 of 12"

    # Dismissed: /readiness start again offers Resume / Start over, and Resume continues at the same question.
    again = await start(emu, alice)
    assert again.embeds[0]["title"] == "Continue your readiness check?"
    assert "ECFMG Pathway" in again.embeds[0]["description"]
    reply = await (await emu.click(again, label="Resume")).response()
    assert current_step(reply) == "pathway"
    assert [b["label"] for b in reply.message.buttons][:4] == [  # type: ignore[union-attr]
        "Requirement met: Pathway accepted",
        "Applied, waiting for ECFMG",
        "Not applied yet",
        "Not needed: I passed the old Step 2 CS",
    ]

    result = await answer_all(emu, reply, AT_RISK)
    embed = result.embeds[0]
    assert embed["title"] == "Your readiness for Match 2028: At risk"
    # A phone-sized screen: the level and the three most pressing next steps (red flags first).
    assert field_names(result) == ["Your next steps"] and embed_chars(embed) <= 1500, embed_chars(embed)
    steps = embed["fields"][0]["value"].split("\n")
    assert len(steps) == 3 and all(line.startswith(f"{n}. 🚩 **") for n, line in enumerate(steps, start=1)), steps
    assert any("**USMLE" in line for line in steps) and not any("US clinical experience" in line for line in steps)
    # A failed attempt and the graduation year cannot change: no promise to fix them within a season.
    assert "Some facts cannot change, such as a failed attempt or the year you graduated" in embed["description"]
    assert "The others can often be fixed within one season." in embed["description"]
    # Every area is in the menu, red flags first, then "About these numbers".
    assert result.message is not None and [s["custom_id"] for s in result.message.selects] == ["rd:area"]
    options = result.message.selects[0]["options"]
    marks = [o["label"].split(" ")[0] for o in options[:-1]]
    assert marks == sorted(marks, key=["🚩", "🟡", "✅"].index) and marks[0] == "🚩", marks
    assert options[-1]["label"] == "About these numbers" and len(options) >= 8
    assert "🟡 US clinical experience" in [o["label"] for o in options]

    # Picking an area shows its finding, next step and /topic entry on the same message.
    usce = await (await emu.select(result, ["usce"], custom_id="rd:area")).response()
    assert usce.kind == "update" and field_names(usce) == ["Your next steps", "🟡 Needs work: US clinical experience"]
    assert "not a formal requirement" in usce.embeds[0]["fields"][1]["value"]
    picked = [o["value"] for o in usce.message.selects[0]["options"] if o.get("default")]  # type: ignore[union-attr]
    assert picked == ["usce"]
    # The failed attempt is a red flag, and its area links the entry about attempts.
    usmle = await (await emu.select(usce, ["usmle"], custom_id="rd:area")).response()
    assert field_names(usmle)[1].startswith("🚩 Red flag: ")
    detail = usmle.embeds[0]["fields"][1]["value"]
    assert "**Next step:**" in detail and "`/topic name:usmle-attempts`" in detail
    # The graduation year: a challenge, not a ban, and programs without a limit as the step.
    graduation = await (await emu.select(usmle, ["graduation"], custom_id="rd:area")).response()
    assert field_names(graduation)[1].startswith("🚩 Red flag: ")
    year = graduation.embeds[0]["fields"][1]["value"]
    assert "You graduated in 2021" in year and "a challenge, not a ban" in year and "will not consider" not in year
    assert "Target programs without a graduation-year limit" in year
    # 236 against Internal Medicine's averages: context, "below the usual range", never a red flag.
    score = await (await emu.select(usce, ["score"], custom_id="rd:area")).response()
    name, value = score.embeds[0]["fields"][1]["name"], score.embeds[0]["fields"][1]["value"]
    assert name == "🟡 Needs work: Step 2 CK score and specialty"
    assert "below the usual range for Internal Medicine" in value
    assert "matched non-US IMGs averaged about 249" in value
    about = await (await emu.select(score, ["context"], custom_id="rd:area")).response()
    assert field_names(about) == ["Your next steps", "About these numbers"]
    assert "averages, not cut-offs" in about.embeds[0]["fields"][1]["value"]
    for area in ("timing", "usmle", "ecfmg", "letters", "graduation", "statement", "consistency", "visa", "mentor"):
        if area in [o["value"] for o in options]:
            shown = await (await emu.select(about, [area], custom_id="rd:area")).response()
            assert "`/topic name:" in shown.embeds[0]["fields"][1]["value"] and embed_chars(shown.embeds[0]) <= 2600
    result = about
    opened = await (await emu.click(result, custom_id="kb:open:usmle-attempts")).response()
    assert opened.ephemeral and opened.embeds[0]["title"] in detail, "a red flag's entry opens in one click"
    assert query(live, "SELECT count(*) FROM readiness_results WHERE user_id = ?", alice.id) == [(0,)]

    # Changing an answer from the result goes back to the last question, and answering it shows the result again.
    last = await (await emu.click(result, label="Change an answer")).response()
    assert current_step(last) == "mentor" and "Your answer so far: **No one yet**" in last.embeds[0]["description"]
    result = await (await emu.click(last, label="No one yet")).response()
    assert result.embeds[0]["title"] == "Your readiness for Match 2028: At risk"

    # A dismissed result is not lost: /readiness start shows it again, ready to save.
    earlier = result
    result = await start(emu, alice)
    assert "result of your last check" in result.content and result.embeds[0]["title"].endswith("At risk")
    saved = await (await emu.click(result, label="Track my progress")).response()
    # Saved: a short confirmation, not the whole result again; it says the levels are kept and the details close.
    assert saved.kind == "update" and saved.content.startswith("✅ Saved") and not saved.embeds
    assert "Kept for /readiness history: **At risk** and each area's level only, not your answers" in saved.content
    assert "the area details on this screen are closed" in saved.content and "deleted" not in saved.content
    assert saved.message is not None and not saved.message.selects
    assert "See my progress" in [b["label"] for b in saved.message.buttons]
    assert "kb:open:usmle-attempts" in custom_ids(saved)
    assert query(live, "SELECT overall FROM readiness_results WHERE user_id = ?", alice.id) == [("at_risk",)]
    # The menu of an older copy of the result says why there is nothing to show, and what to run.
    stale = await (await emu.select(earlier, ["usce"], custom_id="rd:area")).response()
    assert stale.ephemeral and stale.content.startswith("This result is not stored any more")
    assert "/readiness start" in stale.content


async def test_a_refused_number_opens_again_with_what_was_typed(live: Live) -> None:
    emu = live.emu
    admin = emu.world.users["dr_admin"]
    reply = await start(emu, admin)
    for step, value in (("target_match", "2028"), ("step1", "passed"), ("step2ck", "passed")):
        reply = await answer(emu, reply, step, value)
    assert current_step(reply) == "step2ck_score"

    # "2,45" has a decimal comma: 2.45 is not a whole number. The refusal keeps what was typed for Fix it.
    opened = await (await emu.click(reply, custom_id="rd:num:step2ck_score")).response()
    refused = await (await emu.submit_modal(opened, {"answer": "2,45"})).response()
    assert refused.kind == "message" and refused.ephemeral and not refused.embeds
    assert refused.content.startswith("You typed “2,45”, which is not a whole number. Type a whole number from 1")
    assert "**Fix it**" in refused.content
    assert custom_ids(refused) == ["rd:fix:step2ck_score:2,45"]
    reopened = await (await emu.click(refused, label="Fix it")).response()
    assert reopened.kind == "modal" and reopened.modal is not None
    assert reopened.modal.field("answer").value == "2,45"

    # "3,000" is read as three thousand: out of range, said in the same message, and the form keeps it again.
    still = await (await emu.submit_modal(reopened, {"answer": "3,000"})).response()
    assert still.kind == "update" and still.message is not None and still.message.id == refused.message.id  # type: ignore[union-attr]
    assert still.content.startswith("You typed “3,000”. Type a whole number from 1 to 300.")
    assert custom_ids(still) == ["rd:fix:step2ck_score:3,000"]
    reopened = await (await emu.click(still, label="Fix it")).response()
    assert reopened.modal is not None and reopened.modal.field("answer").value == "3,000"
    fixed = await (await emu.submit_modal(reopened, {"answer": "245"})).response()
    # Fixed: the refusal becomes the next question, and the answer is kept.
    assert fixed.kind == "update" and current_step(fixed) == "specialty"
    [(answers,)] = query(live, "SELECT answers FROM readiness_sessions WHERE user_id = ?", admin.id)
    assert '"step2ck_score": 245' in answers
    # The question's own message moved on too: its button says so instead of reopening an old question.
    stale = await (await emu.click(reply, custom_id="rd:num:step2ck_score")).response()
    assert stale.ephemeral and "not the current one" in stale.content


async def test_history_shows_what_changed_between_saves(live: Live) -> None:
    emu = live.emu
    alice = emu.world.users["alice"]
    result = await answer_all(emu, await start(emu, alice), BETTER)
    assert result.message is not None
    assert "✅ US clinical experience" in [o["label"] for o in result.message.selects[0]["options"]]
    assert "US clinical experience" not in result.embeds[0]["fields"][0]["value"], "no longer a next step"
    saved = await (await emu.click(result, label="Track my progress")).response()
    assert "1 area worse" not in saved.content and "better" in saved.content

    history = await (await emu.slash("readiness history", user=alice, channel=emu.world.channel("general"))).response()
    assert history.ephemeral
    embed = history.embeds[0]
    assert embed["title"] == "Your readiness over time" and "2 saved results" in embed["description"]
    changed = next(f for f in embed["fields"] if f["name"] == "What changed last time")["value"]
    assert "⬆️ **US clinical experience**: Needs work → Ready" in changed
    assert "⬆️ **Visa plan**: Red flag → Ready" in changed
    assert "**At risk** → " in changed
    now = next(f for f in embed["fields"] if f["name"] == "Now, area by area")["value"]
    assert "✅ US clinical experience: Ready" in now

    # Tracking is opt-in, and so is keeping it: the member can delete it all.
    confirm = await (await emu.click(history, label="Delete my saved results")).response()
    assert confirm.embeds[0]["title"] == "Delete your readiness data?" and "2 saved results" in str(confirm.embeds)
    kept = await (await emu.click(confirm, label="No, keep it")).response()
    assert kept.kind == "update" and kept.embeds[0]["title"] == "Your readiness over time"
    confirm = await (await emu.click(kept, label="Delete my saved results")).response()
    done = await (await emu.click(confirm, label="Yes, delete everything")).response()
    assert done.content.startswith("Deleted") and not done.components
    assert query(live, "SELECT count(*) FROM readiness_results WHERE user_id = ?", alice.id) == [(0,)]
    empty = await (await emu.slash("readiness history", user=alice, channel=emu.world.channel("general"))).response()
    assert "no saved results yet" in empty.embeds[0]["description"]


async def test_cancel_and_start_over(live: Live) -> None:
    emu = live.emu
    bob = emu.world.users["bob"]
    old = await answer(emu, await start(emu, bob), "target_match", "2029")
    # Start over from the resume prompt: back to question 1 with nothing answered.
    prompt = await start(emu, bob)
    fresh = await (await emu.click(prompt, label="Start over")).response()
    assert current_step(fresh) == "target_match" and "Your answer so far" not in fresh.embeds[0]["description"]

    reply = await answer(emu, fresh, "target_match", "2029")
    confirm = await (await emu.click(reply, label="Cancel")).response()
    assert confirm.embeds[0]["title"] == "Stop and delete your answers?"
    kept = await (await emu.click(confirm, label="No, continue")).response()
    assert current_step(kept) == "step1"
    confirm = await (await emu.click(kept, label="Cancel")).response()
    stopped = await (await emu.click(confirm, label="Yes, delete my answers")).response()
    assert stopped.embeds[0]["title"] == "Readiness check stopped" and not stopped.components
    assert query(live, "SELECT count(*) FROM readiness_sessions WHERE user_id = ?", bob.id) == [(0,)]
    # A button on an older question message explains what to do instead of failing silently.
    stale = await (await emu.click(old, label="Back")).response()
    assert stale.ephemeral and "/readiness" in stale.content


async def test_timeline_plan_ics_and_share(live: Live) -> None:
    emu = live.emu
    alice, general = emu.world.users["alice"], emu.world.channel("general")
    choices = await emu.autocomplete("timeline", {"match_year": ""}, user=alice, channel=general)
    years = [c["value"] for c in choices]
    assert len(years) == 6 and years == list(range(years[0], years[0] + 6))
    assert all(c["name"].startswith(f"Match {c['value']}") for c in choices)
    # The running cycle reads as closed to newcomers, not as "I have already applied".
    assert choices[0]["name"].startswith("Match 2027: too late for new applicants, Match Day March 2027")
    months = await emu.autocomplete(
        "timeline", {"match_year": 2028, "step1": "do"}, focused="step1", user=alice, channel=general
    )
    assert months[0]["value"] == "done"

    options = {"match_year": 2028, "step1": "done", "step2ck": "2027-05", "usce_months": 2}
    reply = await (await emu.slash("timeline", options, user=alice, channel=general)).response()
    assert reply.ephemeral and reply.message is not None
    embed = reply.embeds[0]
    assert embed["title"] == "Your plan for Match 2028"
    # A phone-sized plan: the next five dates and what is done; the rest is behind Show all, phase by phase.
    assert [f["name"] for f in embed["fields"]] == ["Next 5 dates", "Already done", "Show all"]
    upcoming = embed["fields"][0]["value"].split("\n")
    assert len(upcoming) == 5 and all(TIMESTAMP.search(line) or "**" in line for line in upcoming)
    assert embed["fields"][1]["value"] == "USMLE Step 1 passed"
    assert "projected: estimated from past cycles" in embed["footer"]["text"]
    ics_id = "tl:ics:2028:d:202705:2"
    assert custom_ids(reply) == [ics_id, "tl:share:2028:d:202705:2", "tl:all:2028:d:202705:2"]
    menu = reply.message.selects[0]
    assert menu["placeholder"] == "Show all: pick a phase…"
    assert [o["label"] for o in menu["options"]] == [
        "Show all: Already done",
        "Show all: Prepare your application",
        "Show all: Apply, interview and rank",
        "Show all: Match Week and after",
    ]

    # Every phase, privately: together they are the whole plan, nothing left out.
    lines: list[str] = []
    for option in menu["options"]:
        phase = await (await emu.select(reply, [option["value"]], custom_id="tl:all:2028:d:202705:2")).response()
        assert phase.kind == "message" and phase.ephemeral and phase.embeds[0]["title"] == "Your plan for Match 2028"
        assert phase.embeds[0]["fields"][0]["name"] == option["label"].removeprefix("Show all: ")
        lines += [line for f in phase.embeds[0]["fields"] for line in f["value"].split("\n")]
    assert lines[0] == "✅ USMLE Step 1 passed" and upcoming == lines[1:6]
    assert f"{len(lines) - 1 - 5} more dates" in embed["fields"][2]["value"]
    rol = next(line for line in lines if "Rank order list (ROL) certification deadline" in line)
    assert TIMESTAMP.search(rol) and rol.endswith(("*official*", "*projected*"))
    residency = next(line for line in lines if "Residency starts" in line)
    assert "**July 1, 2028**" in residency and "<t:" not in residency, "all-day items are dates, not timestamps"
    ck = next(line for line in lines if "Take USMLE Step 2 CK (your plan: May 2027)" in line)
    assert "**May 31, 2027**" in ck and ck.endswith("*your target*")
    assert all(TIMESTAMP.search(line) or "**" in line or line.startswith("✅") for line in lines)

    delivered = await (await emu.click(reply, custom_id=ics_id)).response()
    assert delivered.ephemeral and "Google Calendar" in delivered.content
    [attachment] = delivered.attachments
    assert attachment.filename == "match-2028-plan.ics"
    calendar = Calendar.from_ical(attachment.data)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == len([line for line in lines if not line.startswith("✅")])
    target = events["Take USMLE Step 2 CK (your plan: May 2027)"]
    assert target.decoded("DTSTART") == date(2027, 5, 31)
    assert any(s.startswith("Rank order list (ROL) certification deadline, Match 2028") for s in events)

    # Share, double-clicked: one post, like /progress. The private plan says so and keeps its other buttons.
    before, deduplicated = len(shared_plans(emu, general)), emu.stats.other["nonce_deduplicated"]
    since = max((r.seq for r in emu.requests), default=0)
    # Both clicks leave before the first answer arrives, as a fast double click does.
    first, second = await asyncio.gather(emu.click(reply, label=SHARE), emu.click(reply, label=SHARE))
    update, again = await first.response(), await second.response()
    assert update.kind == again.kind == "update" and update.content == "✅ Shared in this channel."
    assert custom_ids(update) == [ics_id, "tl:all:2028:d:202705:2"]
    posted = await emu.wait_for_message(general, lambda m: m in shared_plans(emu, general))
    # Each click asks Discord to post, with the same nonce; the second gets the first post back.
    tries = await share_posts(emu, general, since, f"share{reply.message.id}", count=2)
    assert [t.status for t in tries] == [200, 200]
    assert len(shared_plans(emu, general)) == before + 1
    assert emu.stats.other["nonce_deduplicated"] == deduplicated + 1, "the second click's post was the first one"
    assert not posted.ephemeral and posted.embeds[0]["title"] == "Plan for Match 2028" and posted.pings == []
    assert posted.embeds[0]["author"]["name"] == f"Shared by {alice.display_name}"
    assert "Make your own with /timeline." in posted.embeds[0]["description"]
    shared_ids = [str(c["custom_id"]) for c in posted.all_components() if c.get("custom_id")]
    # The shared plan's controls know whose plan it is.
    assert shared_ids == [f"{ics_id}:{alice.id}", f"tl:all:2028:d:202705:2:{alice.id}"]
    # Anyone in the channel can open a phase of the shared plan, privately: as Alice's plan, not "Your plan".
    bob = emu.world.users["bob"]
    bob_sees = await (await emu.select(posted, ["apply"], user=bob)).response()
    assert bob_sees.ephemeral and bob_sees.embeds[0]["fields"][0]["name"] == "Apply, interview and rank"
    assert bob_sees.embeds[0]["title"] == f"{alice.display_name}'s plan for Match 2028"
    assert bob_sees.embeds[0]["description"].startswith("Make your own with /timeline.")
    bob_done = await (await emu.select(posted, ["done"], user=bob)).response()
    assert bob_done.embeds[0]["title"] == f"{alice.display_name}'s plan for Match 2028"
    assert bob_done.embeds[0]["fields"][0]["value"] == "✅ USMLE Step 1 passed"
    bob_file = await (await emu.click(posted, custom_id=f"{ics_id}:{alice.id}", user=bob)).response()
    assert bob_file.ephemeral and bob_file.content.startswith(f"{alice.display_name}'s Match 2028 plan as a calendar")
    assert bob_file.content.endswith("Make your own with /timeline.") and "Your" not in bob_file.content
    # Its owner still sees her own plan.
    alice_sees = await (await emu.select(posted, ["apply"], user=alice)).response()
    assert alice_sees.embeds[0]["title"] == "Your plan for Match 2028"
    assert "Make your own" not in alice_sees.embeds[0]["description"]

    public = await (await emu.slash("timeline", {"match_year": 2029, "share": True}, user=alice)).response()
    assert not public.ephemeral and public.embeds[0]["title"] == "Plan for Match 2029"
    assert SHARE not in str(public.components)
    others = await (await emu.select(public, ["prepare"], user=bob)).response()
    assert others.embeds[0]["title"] == f"{alice.display_name}'s plan for Match 2029"


async def test_timeline_in_a_dm_offers_no_share(live: Live) -> None:
    emu = live.emu
    alice = emu.world.users["alice"]
    dm = emu.world.dm_channel_for(alice)
    reply = await (await emu.slash("timeline", {"match_year": 2029}, user=alice, channel=dm)).response()
    assert reply.embeds[0]["title"] == "Your plan for Match 2029"
    assert SHARE not in str(reply.components) and custom_ids(reply) == ["tl:ics:2029:-:-:-", "tl:all:2029:-:-:-"]
    # Asking to share there changes nothing: there is nobody else in a DM to show it to.
    asked = await (await emu.slash("timeline", {"match_year": 2029, "share": True}, user=alice, channel=dm)).response()
    assert asked.embeds[0]["title"] == "Your plan for Match 2029" and SHARE not in str(asked.components)
    assert "author" not in asked.embeds[0]
    # The calendar file and Show all work there as anywhere.
    ics = await (await emu.click(reply, custom_id="tl:ics:2029:-:-:-")).response()
    assert ics.attachments[0].filename == "match-2029-plan.ics"
    phase = await (await emu.select(reply, ["match"])).response()
    assert phase.embeds[0]["fields"][0]["name"] == "Match Week and after"


async def test_timeline_for_a_match_out_of_reach_offers_the_earliest_realistic_one(live: Live) -> None:
    emu = live.emu
    bob, general = emu.world.users["bob"], emu.world.channel("general")
    # December 6, 2026, nothing passed: Match 2027 applications went in in September, and the exams would end
    # after that Match. No plan with exam dates after the Match: a private "not reachable", and an offer.
    reply = await (await emu.slash("timeline", {"match_year": 2027}, user=bob, channel=general)).response()
    assert reply.ephemeral and not reply.embeds
    assert reply.content.startswith("Match 2027 is not reachable any more.")
    assert "rank order list deadline (March 3, 2027)" in reply.content and "Match Day (March 19, 2027)" in reply.content
    # One rule: Match 2028 (a December 2027 result, before its rank list deadline) is tight, not out of reach.
    assert "Match 2028 is possible but tight" in reply.content
    assert "The earliest Match with both results on your application is **Match 2029**" in reply.content
    assert custom_ids(reply) == ["tl:plan:2029:-:-:-", "tl:tight:2028:-:-:-"]
    labels = [b["label"] for b in reply.message.buttons]  # type: ignore[union-attr]
    assert labels == ["Plan Match 2029 instead", "Plan Match 2028 (tight)"]

    # The tight year's plan says the same, once, and offers the on-time year; never "too close to reach".
    tight = await (await emu.click(reply, custom_id="tl:tight:2028:-:-:-")).response()
    assert tight.ephemeral and tight.embeds[0]["title"] == "Your plan for Match 2028"
    description = tight.embeds[0]["description"]
    assert description.count("possible but tight") == 1 and "too close" not in description
    assert "**Match 2029**" in description and "tl:plan:2029:-:-:-" in custom_ids(tight)
    assert custom_ids(tight) == custom_ids(
        await (await emu.slash("timeline", {"match_year": 2028}, user=bob, channel=general)).response()
    )

    plan = await (await emu.click(reply, custom_id="tl:plan:2029:-:-:-")).response()
    assert plan.ephemeral and plan.embeds[0]["title"] == "Your plan for Match 2029"
    lines = [line for f in plan.embeds[0]["fields"] for line in f["value"].split("\n")]
    step1 = next(line for line in lines if "Take USMLE Step 1" in line)
    assert "2028" in step1 and "tl:ics:2029:-:-:-" in custom_ids(plan)

    # Step 1 passed, asked to share: still refused privately, and the offer keeps what was given.
    options = {"match_year": 2027, "step1": "passed", "usce_months": 3, "share": True}
    reply = await (await emu.slash("timeline", options, user=bob, channel=general)).response()
    assert reply.ephemeral and "**Match 2028**" in reply.content
    assert custom_ids(reply) == ["tl:plan:2028:d:-:3"]
    assert not [m for m in emu.messages_in(general) if "not reachable" in (m.content or "")]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"match_year": 1999}, "Match 1999 is in the past"),
        ({"match_year": 2099}, "Plan at most 6 years ahead"),
        ({"match_year": 2028, "step1": "May 2027"}, "write the month you plan to take it as YYYY-MM"),
        ({"match_year": 2028, "step2ck": "2027-13"}, "13 is not a month"),
    ],
)
async def test_timeline_bad_input_gets_a_clear_private_message(
    live: Live, options: dict[str, Any], expected: str
) -> None:
    emu = live.emu
    reply = await (
        await emu.slash("timeline", options, user=emu.world.users["bob"], channel=emu.world.channel("general"))
    ).response()
    assert reply.ephemeral and not reply.embeds and expected in reply.content, reply.content


async def test_buttons_keep_working_after_a_restart(live: Live) -> None:
    emu = live.emu
    carol = emu.world.users["carol"]
    general = emu.world.channel("general")
    question = await answer(emu, await start(emu, carol), "target_match", "2030")
    plan = await (await emu.slash("timeline", {"match_year": 2030}, user=carol, channel=general)).response()

    since = emu.identify_count
    await live.bot.restart()
    await emu.wait_for_identify(timeout=30, since=since)

    reply = await answer(emu, question, "step1", "preparing")
    assert current_step(reply) == "step2ck"
    ics = await (await emu.click(plan, custom_id="tl:ics:2030:-:-:-")).response()
    assert ics.attachments[0].filename == "match-2030-plan.ics"
    phase = await (await emu.select(plan, ["prepare"], custom_id="tl:all:2030:-:-:-")).response()
    assert phase.ephemeral and phase.embeds[0]["fields"][0]["name"] == "Prepare your application"
