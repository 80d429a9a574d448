"""/ask, /topic, /pathway and /knowledge report, driven through the emulator against the real bot process."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.knowledge.loader import load_knowledge_base
from discord_emulator import Emulator, World
from tests.conftest import DATA_DIR
from tests.e2e.conftest import Live, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

KB = load_knowledge_base(DATA_DIR / "knowledge")


def button_labels(components: list[dict[str, Any]]) -> list[str]:
    return [c.get("label", "") for row in components for c in row.get("components", []) if c.get("type") == 2]


def query(live: Live, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{live.database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


async def stored(live: Live, sql: str, until: Callable[[list[tuple[Any, ...]]], bool]) -> list[tuple[Any, ...]]:
    """Rows the bot writes right after its reply (an unanswered question, cogs/knowledge.py), read until ``until``
    says they are there. The write takes milliseconds; the 10 s bound only ends a test whose bot never writes."""
    deadline = time.monotonic() + 10
    while not until(rows := query(live, sql)):
        assert time.monotonic() < deadline, rows
        await asyncio.sleep(0.02)
    return rows


def assert_never_pinged(emu: Emulator) -> None:
    for message in emu.store.by_id.values():
        assert not message.pings, (message.content, message.pings)


async def test_ask_answers_with_sources_related_and_votes(live: Live) -> None:
    emu = live.emu
    alice, bob = emu.world.users["alice"], emu.world.users["bob"]
    general = emu.world.channel("general")
    soap = KB.get("soap")
    assert soap is not None

    reply = await (
        await emu.slash("ask", {"question": "can someone explain what SOAP is??"}, user=alice, channel=general)
    ).response()
    assert reply.kind == "message" and not reply.ephemeral
    embed = reply.embeds[0]
    assert embed["title"] == soap.title
    assert embed["description"].startswith(soap.body[:50])
    sources = next(f for f in embed["fields"] if f["name"] == "Sources")["value"]
    assert all(s.url in sources for s in soap.sources)
    assert "Reviewed" in embed["footer"]["text"]
    labels = button_labels(reply.components)
    assert labels[:2] == ["Helpful", "Not helpful"]
    related_titles = labels[2:]
    assert 1 <= len(related_titles) <= 3

    vote = await (await emu.click(reply, label="Helpful", user=alice)).response()
    assert vote.ephemeral and "1 👍 · 0 👎" in vote.content
    changed = await (await emu.click(reply, label="Not helpful", user=alice)).response()
    assert "0 👍 · 1 👎" in changed.content  # a second click changes the vote, never adds one
    assert query(live, "SELECT helpful FROM entry_votes WHERE entry_id = 'soap' AND user_id = ?", alice.id) == [(0,)]

    opened = await (await emu.click(reply, label=related_titles[0], user=bob)).response()
    assert opened.ephemeral and opened.embeds[0]["title"] == related_titles[0]
    assert_never_pinged(emu)


async def test_the_buttons_under_an_answer_offer_the_questions_runner_ups_first(live: Live, content: Content) -> None:
    # Where search hesitates between neighbours, the ones it ranked next are offered before the answer's related
    # entries: the member is one click from the entry they wanted (bot/knowledge/service.py).
    emu = live.emu
    question = "when should i take step 2 ck to apply this year"
    expected = content.knowledge.answer(question)
    assert expected.entry is not None
    reply = await (
        await emu.slash(
            "ask", {"question": question}, user=emu.world.users["bob"], channel=emu.world.channel("general")
        )
    ).response()
    assert reply.embeds[0]["title"] == expected.entry.title
    offered = button_labels(reply.components)[2:]
    assert offered == [e.title for e in expected.offered]
    # The entry search ranked second for this question is the first button, before any related entry.
    assert offered[0] == expected.result.hits[1].entry.title


async def test_private_answer_is_ephemeral(live: Live) -> None:
    emu = live.emu
    reply = await (
        await emu.slash(
            "ask",
            {"question": "yog", "private": True},
            user=emu.world.users["bob"],
            channel=emu.world.channel("general"),
        )
    ).response()
    assert reply.ephemeral and reply.embeds[0]["title"] == KB.get("year-of-graduation").title  # type: ignore[union-attr]


async def test_no_answer_is_private_offers_nothing_unrelated_and_is_counted(live: Live) -> None:
    emu = live.emu

    async def ask(question: str) -> Any:
        return await (
            await emu.slash(
                "ask", {"question": question}, user=emu.world.users["alice"], channel=emu.world.channel("general")
            )
        ).response()

    for _ in range(2):
        reply = await ask("best pizza in new york")
        assert reply.ephemeral
        assert reply.embeds[0]["title"] == "No curated answer yet"
        # Nothing in the knowledge base is about pizza: no topic is offered as if it were related; and this server
        # has no help channel, so there is no Ask the community either (tests/e2e/test_community_e2e.py has one).
        assert button_labels(reply.components) == []
        assert not reply.embeds[0].get("fields")
    # A question close to an entry that the bot will not answer offers that entry, and only such entries.
    near = await ask("night float schedule in pgy1")
    assert near.embeds[0]["title"] == "No curated answer yet"
    assert near.embeds[0]["fields"][0]["name"] == "These topics may help"
    assert button_labels(near.components)
    # A question in another language is told, kindly and in English, that the knowledge base is in English.
    spanish = await ask("¿cuándo es el match para médicos extranjeros?")
    assert spanish.ephemeral
    assert spanish.embeds[0]["title"] == "I can only answer in English for now"
    assert "ask it in English" in spanish.embeds[0]["description"]
    expected = [("best pizza in new york", 2), ("night float schedule in pgy1", 1)]
    rows = await stored(live, "SELECT question, times FROM unanswered_questions", lambda r: sorted(r) == expected)
    assert sorted(rows) == expected
    # Nothing identifies who asked.
    columns = [row[1] for row in query(live, "PRAGMA table_info(unanswered_questions)")]
    assert not any("user" in c for c in columns)


async def test_bad_input_gets_a_clear_private_message_and_never_pings(live: Live) -> None:
    emu = live.emu
    role = emu.world.role("Match 2027")
    cases = {
        "   ": "empty",
        "@everyone": "can't answer a mention",
        f"<@&{role.id}>": "can't answer a mention",
        "?!?! 🙂🙂": "not only symbols",
    }
    for question, expected in cases.items():
        reply = await (
            await emu.slash(
                "ask", {"question": question}, user=emu.world.users["bob"], channel=emu.world.channel("general")
            )
        ).response()
        assert reply.ephemeral and expected in reply.content, (question, reply.content)
    # A question with a ping inside is answered, and the ping is neither repeated nor delivered.
    reply = await (
        await emu.slash(
            "ask",
            {"question": f"@everyone <@&{role.id}> what is soap"},
            user=emu.world.users["bob"],
            channel=emu.world.channel("general"),
        )
    ).response()
    assert reply.embeds[0]["title"] == KB.get("soap").title  # type: ignore[union-attr]
    assert "@everyone" not in str(reply.embeds[0]) and f"<@&{role.id}>" not in str(reply.embeds[0])
    assert_never_pinged(emu)


async def test_topic_autocomplete_and_lookup(live: Live) -> None:
    emu = live.emu
    alice, general = emu.world.users["alice"], emu.world.channel("general")
    choices = await emu.autocomplete("topic", {"name": "so"}, focused="name", user=alice, channel=general)
    assert 1 <= len(choices) <= 25
    assert "soap" in [c["value"] for c in choices]
    everything = await emu.autocomplete("topic", {"name": ""}, focused="name", user=alice, channel=general)
    assert len(everything) == 25

    reply = await (await emu.slash("topic", {"name": "step-2-ck"}, user=alice, channel=general)).response()
    assert reply.embeds[0]["title"] == KB.get("step-2-ck").title  # type: ignore[union-attr]
    typed = await (await emu.slash("topic", {"name": "ROL"}, user=alice, channel=general)).response()
    assert typed.embeds[0]["title"] == KB.get("rank-order-list").title  # type: ignore[union-attr]
    missing = await (await emu.slash("topic", {"name": "pizza"}, user=alice, channel=general)).response()
    assert missing.ephemeral and "no topic called" in missing.content


async def test_pathway_shows_eight_steps_and_each_opens_its_sub_steps(live: Live) -> None:
    emu = live.emu
    alice, bob, general = emu.world.users["alice"], emu.world.users["bob"], emu.world.channel("general")
    reply = await (await emu.slash("pathway", user=alice, channel=general)).response()
    embed = reply.embeds[0]
    assert embed["title"] == "The road to a US residency" and not reply.ephemeral
    lines = embed["description"].split("\n")
    assert len(lines) == 8 and lines[0] == "**1.** Check your medical school · 2 steps"
    assert lines[-1] == "**8.** Match and start residency · 5 steps"
    assert reply.message is not None
    options = reply.message.selects[0]["options"]
    assert [o["value"] for o in options] == [str(n) for n in range(1, 9)]
    assert options[2]["label"] == "3. Pass the exams and meet the Pathway"
    assert options[2]["description"].startswith("Pass USMLE Step 1 (pass/fail) · Pass USMLE Step 2 CK")

    # A step opens privately with its sub-steps, a button each, for whoever picks it.
    stage = await (await emu.select(reply, ["8"], user=bob)).response()
    assert stage.ephemeral and stage.embeds[0]["title"] == "8. Match and start residency"
    assert stage.embeds[0]["author"]["name"] == "The road to a US residency · step 8 of 8"
    assert "**8.2 SOAP, if you do not match**" in stage.embeds[0]["description"]
    assert stage.message is not None
    assert [b["label"] for b in stage.message.buttons] == [
        "8.1 Match Week",
        "8.2 SOAP, if you do not match",
        "8.3 Sort out your visa (J-1 or H-1B)",
        "8.4 Hold your ECFMG certificate",
        "8.5 Start residency on July 1",
    ]
    opened = await (await emu.click(stage, label="8.2 SOAP, if you do not match")).response()
    assert opened.ephemeral and opened.embeds[0]["title"] == KB.get("soap").title  # type: ignore[union-attr]

    # Every entry of the old 24-step road is still one pick and one click away.
    reached = []
    for option in options:
        shown = await (await emu.select(reply, [option["value"]], user=alice)).response()
        reached += [str(b["custom_id"]).removeprefix("kb:open:") for b in shown.message.buttons]  # type: ignore[union-attr]
    assert len(reached) == 24 == len(set(reached)) and reached[0] == "world-directory"
    assert reached[-1] == "residency-start"


async def test_a_pathway_menu_posted_before_the_stages_still_opens_its_entries(live: Live) -> None:
    emu = live.emu
    general = emu.world.channel("general")
    # What /pathway posted before: one option per entry, under the same custom_id.
    menu = {"type": 3, "custom_id": "kb:pathway", "options": [{"label": "21. SOAP", "value": "soap"}]}
    old = emu.store.create(
        channel=general, author=emu.world.bot, body={"content": "", "components": [{"type": 1, "components": [menu]}]}
    )
    opened = await (await emu.select(old, ["soap"], user=emu.world.users["carol"])).response()
    assert opened.ephemeral and opened.embeds[0]["title"] == KB.get("soap").title  # type: ignore[union-attr]


async def test_report_is_for_moderators_only(live: Live) -> None:
    emu = live.emu
    general = emu.world.channel("general")
    refused = await (
        await emu.slash("knowledge report", user=emu.world.users["bob"], channel=general, force=True)
    ).response()
    assert refused.ephemeral and "Manage Server" in refused.content
    report = await (await emu.slash("knowledge report", user=emu.world.users["dr_admin"], channel=general)).response()
    assert report.ephemeral
    text = str(report.embeds[0])
    assert "best pizza in new york" in text and "SOAP" in text


async def test_a_question_asked_privately_is_never_stored(live: Live) -> None:
    emu = live.emu
    reply = await (
        await emu.slash(
            "ask",
            {"question": "best pizza in chicago", "private": True},
            user=emu.world.users["bob"],
            channel=emu.world.channel("general"),
        )
    ).response()
    assert reply.ephemeral and reply.embeds[0]["title"] == "No curated answer yet"
    assert "asked privately, so your question was not kept" in reply.embeds[0]["description"]
    assert "noted" not in reply.embeds[0]["description"]
    assert query(live, "SELECT COUNT(*) FROM unanswered_questions WHERE question LIKE '%chicago%'") == [(0,)]


async def test_each_server_sees_only_its_own_unanswered_questions(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    hall, owls = world.guild("IMG Study Hall"), world.guild("Night Owls Study Group")
    general, lobby = world.channel("general"), world.channel("lobby")
    alice, bob = world.users["alice"], world.users["bob"]

    async def ask(question: str, user: Any, channel: Any) -> None:
        reply = await (await emu.slash("ask", {"question": question}, user=user, channel=channel)).response()
        assert reply.embeds[0]["title"] == "No curated answer yet", question
        assert "has been noted" in reply.embeds[0]["description"]

    await ask("best sushi restaurant in tokyo", alice, lobby)
    await ask("best bagel shop in boston", bob, world.dm_channel_for(bob))
    both = {"best sushi restaurant in tokyo", "best bagel shop in boston"}
    asked = dict(
        await stored(live, "SELECT question, guild_id FROM unanswered_questions", lambda r: both <= {q for q, _ in r})
    )
    assert asked["best pizza in new york"] == hall.id  # asked in #general by the test above
    assert asked["best sushi restaurant in tokyo"] == owls.id
    assert asked["best bagel shop in boston"] is None  # a DM: no server

    async def report(user: str, channel: Any) -> str:
        reply = await (await emu.slash("knowledge report", user=world.users[user], channel=channel)).response()
        assert reply.ephemeral
        return str(reply.embeds[0])

    in_hall, in_owls = await report("dr_admin", general), await report("night_admin", lobby)
    assert "best pizza in new york" in in_hall and "sushi" not in in_hall
    assert "best sushi restaurant in tokyo" in in_owls and "pizza" not in in_owls
    assert "bagel" not in in_hall and "bagel" not in in_owls
    assert "this server's own" in in_owls


async def test_commands_keep_working_after_a_gateway_drop(live: Live) -> None:
    emu = live.emu
    await emu.gateway.close_abruptly()
    await emu.wait_for_resume(timeout=30)
    reply = await (
        await emu.slash(
            "ask",
            {"question": "h1b or j1 for residency?"},
            user=emu.world.users["alice"],
            channel=emu.world.channel("general"),
        )
    ).response()
    assert reply.embeds and reply.embeds[0]["title"]


async def test_button_for_a_removed_entry_explains_instead_of_failing(live: Live) -> None:
    """A button from an old message whose entry no longer exists gets a clear private answer, not a failure."""
    emu = live.emu
    reply = await (
        await emu.slash(
            "ask", {"question": "what is soap"}, user=emu.world.users["alice"], channel=emu.world.channel("general")
        )
    ).response()
    assert reply.message is not None
    for row in reply.message.components:
        for component in row["components"]:
            if component.get("custom_id", "").startswith("kb:vote:"):
                component["custom_id"] = "kb:vote:an-entry-that-was-removed:1"
    answer = await (await emu.click(reply, label="Helpful", user=emu.world.users["alice"])).response()
    assert answer.ephemeral and "no longer in the knowledge base" in answer.content


# -- 👎 asks why -----------------------------------------------------------------------------------------------------


async def test_thumbs_down_asks_why_and_only_that_servers_moderators_see_it(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    alice, general, lobby = world.users["alice"], world.channel("general"), world.channel("lobby")
    token = KB.get("eras-token")
    assert token is not None
    answer = await (await emu.slash("topic", {"name": "eras-token"}, user=alice, channel=general)).response()
    assert not answer.ephemeral and answer.embeds[0]["title"] == token.title

    # 👎: a private thank-you with an optional reasons menu and Tell us more.
    asked = await (await emu.click(answer, label="Not helpful", user=alice)).response()
    assert asked.ephemeral and "0 👍 · 1 👎" in asked.content and "tell us why" in asked.content
    assert asked.message is not None
    menu = asked.message.selects[0]
    assert menu["custom_id"] == "kb:why:eras-token"
    assert [o["label"] for o in menu["options"]] == [
        "Wrong or out of date",
        "Didn't answer my question",
        "Too long or hard to read",
        "Missing my situation",
        "Something else",
    ]
    assert [b["label"] for b in asked.message.buttons] == ["Tell us more"]

    picked = await (await emu.select(asked, ["wrong"], user=alice)).response()
    assert picked.kind == "update" and "noted: **Wrong or out of date**" in picked.content
    assert picked.message is not None
    assert [o["value"] for o in picked.message.selects[0]["options"] if o.get("default")] == ["wrong"]

    form = await (await emu.click(picked, label="Tell us more", user=alice)).response()
    assert form.kind == "modal" and form.modal is not None
    field = form.modal.field("note")
    assert field.max_length == 300 and not field.required
    typed = f"@everyone <@&{world.role('Match 2027').id}> the **fee** went up this cycle"
    thanked = await (await emu.submit_modal(form, {"note": typed})).response()
    assert thanked.ephemeral and "the \\*\\*fee\\*\\* went up this cycle" in thanked.content

    # Kept with Alice's vote and the server it was said in, pings already neutralised.
    hall = world.guild("IMG Study Hall")
    [(reason, note, server)] = query(
        live,
        "SELECT reason, reason_note, reason_guild_id FROM entry_votes WHERE entry_id = 'eras-token' AND user_id = ?",
        alice.id,
    )
    assert (reason, server) == ("wrong", hall.id) and "went up this cycle" in note and "@everyone" not in note

    in_hall = await (await emu.slash("knowledge report", user=world.users["dr_admin"], channel=general)).response()
    shown = next(f for f in in_hall.embeds[0]["fields"] if f["name"].startswith(f"Why 👎: {token.title[:40]}"))
    assert "1 × Wrong or out of date" in shown["value"] and "the \\*\\*fee\\*\\* went up this cycle" in shown["value"]
    assert str(alice.id) not in str(in_hall.embeds[0]) and alice.username not in str(in_hall.embeds[0])
    in_owls = await (await emu.slash("knowledge report", user=world.users["night_admin"], channel=lobby)).response()
    assert "went up this cycle" not in str(in_owls.embeds[0]) and "Why 👎: ERAS token" not in str(in_owls.embeds[0])
    assert_never_pinged(emu)

    # Marked helpful after all: what explained the 👎 goes with it, and the menu says there is nothing to explain.
    await (await emu.click(answer, label="Helpful", user=alice)).response()
    assert query(live, "SELECT reason, reason_note FROM entry_votes WHERE entry_id = 'eras-token'") == [(None, None)]
    stale = await (await emu.select(picked, ["other"], user=alice)).response()
    assert stale.ephemeral and "no 👎 on this answer any more" in stale.content


# -- /topic with no name: browse by stage ----------------------------------------------------------------------------


async def test_topic_without_a_name_browses_by_stage_to_an_entry(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    carol, general = world.users["carol"], world.channel("general")
    screen = await (await emu.slash("topic", user=carol, channel=general)).response()
    assert screen.ephemeral and screen.embeds[0]["title"] == "Browse the knowledge base"
    assert "**USMLE exams** · " in screen.embeds[0]["description"]
    assert screen.message is not None
    stages = screen.message.selects[0]
    usmle = [e for e in KB.entries if e.stage.value == "usmle"]
    assert {"label": "USMLE exams", "value": "usmle", "description": f"{len(usmle)} topics"}.items() <= next(
        o for o in stages["options"] if o["value"] == "usmle"
    ).items()

    page = await (await emu.select(screen, ["usmle"], user=carol)).response()
    assert page.kind == "update" and page.embeds[0]["title"] == f"USMLE exams · {len(usmle)} topics"
    assert page.message is not None
    topics = page.message.selects[0]
    assert sorted(o["value"] for o in topics["options"]) == sorted(e.id for e in usmle)
    assert [b["label"] for b in page.message.buttons] == ["All parts"]  # one page: no Previous or Next

    opened = await (await emu.select(page, ["step-1"], user=carol)).response()
    step1 = KB.get("step-1")
    assert step1 is not None and opened.ephemeral and opened.embeds[0]["title"] == step1.title
    assert button_labels(opened.components)[:2] == ["Helpful", "Not helpful"]  # as /topic shows it

    back = await (await emu.click(page, label="All parts", user=carol)).response()
    assert back.kind == "update" and back.embeds[0]["title"] == "Browse the knowledge base"


@pytest.mark.asyncio(loop_scope="function")
async def test_browsing_and_the_why_menu_keep_working_after_a_restart(tmp_path: Path) -> None:
    """Their state is in their custom ids: a screen posted by one bot process works with the next."""
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        alice, general = emu.world.users["alice"], emu.world.channel("general")
        async with running_bot(emu, database, name="first"):
            stages = await (await emu.slash("topic", user=alice, channel=general)).response()
            page_screen = await (await emu.slash("topic", user=alice, channel=general)).response()
            page = await (await emu.select(page_screen, ["visa"], user=alice)).response()
            answer = await (await emu.slash("topic", {"name": "soap"}, user=alice, channel=general)).response()
            asked = await (await emu.click(answer, label="Not helpful", user=alice)).response()

        async with running_bot(emu, database, name="second"):
            usmle = await (await emu.select(stages, ["usmle"], user=alice)).response()
            assert usmle.kind == "update" and usmle.embeds[0]["title"].startswith("USMLE exams")
            opened = await (await emu.select(page, ["j1-waivers"], user=alice)).response()
            assert opened.ephemeral and opened.embeds[0]["title"] == KB.get("j1-waivers").title  # type: ignore[union-attr]
            back = await (await emu.click(page, label="All parts", user=alice)).response()
            assert back.kind == "update" and back.embeds[0]["title"] == "Browse the knowledge base"

            picked = await (await emu.select(asked, ["not-my-situation"], user=alice)).response()
            assert "noted: **Missing my situation**" in picked.content
            form = await (await emu.click(picked, label="Tell us more", user=alice)).response()
            await (await emu.submit_modal(form, {"note": "nothing for couples matching"})).response()
            report = await (
                await emu.slash("knowledge report", user=emu.world.users["dr_admin"], channel=general)
            ).response()
            assert "1 × Missing my situation" in str(report.embeds[0])
            assert "nothing for couples matching" in str(report.embeds[0])
        emu.assert_clean()
