"""A server's own knowledge entries (/knowledge add, edit, remove, list, export), found by /ask and /topic in that
server only, labelled as the server's, never above a confident curated answer; driven through the emulator against
the real bot process."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bot.datafiles import split_front_matter
from bot.knowledge.loader import load_knowledge_base
from discord_emulator import Emulator, World
from discord_emulator.interactions import Reply
from discord_emulator.world import Channel, User
from tests.conftest import DATA_DIR
from tests.e2e.conftest import Live, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

KB = load_knowledge_base(DATA_DIR / "knowledge")
HOURS_ANSWER = (
    "The study hall voice room is open every evening from 8 to 11 p.m. IST. Cameras optional; "
    "post your plan in <#1> first."
)
HOURS_LINK = "https://example.org/img-study-hall/Schedule?week=1&tz=IST"


def query(live: Live, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{live.database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def button_labels(reply: Reply) -> list[str]:
    return [c.get("label", "") for row in reply.components for c in row.get("components", []) if c.get("type") == 2]


def field(embed: dict[str, Any], name: str) -> str:
    return str(next(f for f in embed.get("fields", []) if f["name"] == name)["value"])


def assert_never_pinged(emu: Emulator) -> None:
    for message in emu.store.by_id.values():
        assert not message.pings, (message.content, message.pings)


async def run(emu: Emulator, command: str, options: dict[str, Any] | None, user: User, channel: Channel) -> Reply:
    return await (await emu.slash(command, options, user=user, channel=channel, force=True)).response()


async def add_entry(emu: Emulator, user: User, channel: Channel, values: dict[str, str]) -> Reply:
    opened = await run(emu, "knowledge add", None, user, channel)
    assert opened.kind == "modal" and opened.modal is not None
    return await (await emu.submit_modal(opened, values)).response()


def entry_id(live: Live, title: str) -> int:
    return int(query(live, "SELECT id FROM server_entries WHERE title = ?", title)[0][0])


async def test_members_without_manage_server_are_refused(live: Live) -> None:
    emu = live.emu
    alice, general = emu.world.users["alice"], emu.world.channel("general")
    for command in ("knowledge add", "knowledge list", "knowledge export"):
        refused = await run(emu, command, None, alice, general)
        assert refused.kind == "message" and refused.ephemeral, command
        assert "**Manage Server** permission" in refused.content, (command, refused.content)
    refused = await run(emu, "knowledge remove", {"entry": "anything"}, alice, general)
    assert "**Manage Server** permission" in refused.content
    assert query(live, "SELECT COUNT(*) FROM server_entries") == [(0,)]


async def test_a_refused_form_lists_every_problem_and_fix_it_reopens_it_filled(live: Live) -> None:
    emu = live.emu
    admin, general = emu.world.users["dr_admin"], emu.world.channel("general")
    refused = await add_entry(
        emu,
        admin,
        general,
        {
            "title": "@everyone hours",
            "aliases": "study hall, " + "x" * 61,
            "answer": HOURS_ANSWER,
            "link": "http://x.org",
        },
    )
    assert refused.ephemeral and refused.content.startswith("**The entry was not added.** Please fix these 3 things:")
    assert "mentions" in refused.content and "60 characters" in refused.content and "https://" in refused.content
    typed, answer = refused.embeds
    assert typed["title"] == "What you typed" and answer["description"] == HOURS_ANSWER
    assert query(live, "SELECT COUNT(*) FROM server_entries") == [(0,)]

    reopened = await (await emu.click(refused, label="Fix it", user=admin)).response()
    assert reopened.kind == "modal" and reopened.modal is not None
    assert reopened.modal.field("title").value == "@everyone hours"
    assert reopened.modal.field("answer").value == HOURS_ANSWER
    saved = await (
        await emu.submit_modal(
            reopened, {"title": "Study hall hours", "aliases": "study hall, voice room", "link": HOURS_LINK}
        )
    ).response()
    assert saved.kind == "update" and saved.content.startswith("✅ Added **Study hall hours**")
    assert saved.embeds[0]["title"] == "Study hall hours"
    rows = query(live, "SELECT title, aliases, answer, link, created_by, updated_by FROM server_entries")
    assert rows == [("Study hall hours", "study hall, voice room", HOURS_ANSWER, HOURS_LINK, admin.id, admin.id)]
    assert_never_pinged(emu)


async def test_two_moderators_writing_at_once_each_save_their_own_form(live: Live) -> None:
    emu = live.emu
    admin, night_admin = emu.world.users["dr_admin"], emu.world.users["night_admin"]
    hall_form = await run(emu, "knowledge add", None, admin, emu.world.channel("general"))
    owls_form = await run(emu, "knowledge add", None, night_admin, emu.world.channel("lobby"))
    # Sent in the other order than opened: each lands in its own form, in its own server.
    owls = await (await emu.submit_modal(owls_form, {"title": "Owl hours", "answer": "From midnight."})).response()
    hall = await (await emu.submit_modal(hall_form, {"title": "Hall rules", "answer": "Be kind."})).response()
    assert owls.content.startswith("✅ Added **Owl hours**") and hall.content.startswith("✅ Added **Hall rules**")
    rows = query(live, "SELECT title, created_by FROM server_entries WHERE title IN ('Owl hours', 'Hall rules')")
    assert sorted(rows) == [("Hall rules", admin.id), ("Owl hours", night_admin.id)]
    # Removed again, each by its own server's moderator (the later tests count this server's entries).
    for title, user, channel in (("Owl hours", night_admin, "lobby"), ("Hall rules", admin, "general")):
        asked = await run(emu, "knowledge remove", {"entry": title}, user, emu.world.channel(channel))
        removed = await (await emu.click(asked, label="Yes, remove it", user=user)).response()
        assert removed.content == f"🗑️ Removed **{title}** from this server's knowledge base."


async def test_ask_answers_with_the_server_entry_labelled_as_the_servers(live: Live) -> None:
    emu = live.emu
    admin, alice, general = emu.world.users["dr_admin"], emu.world.users["alice"], emu.world.channel("general")
    reply = await run(emu, "ask", {"question": "when is the study hall open?"}, alice, general)
    assert reply.kind == "message" and not reply.ephemeral
    embed = reply.embeds[0]
    assert embed["title"] == "Study hall hours" and embed["description"] == HOURS_ANSWER
    assert "This server's own answer" in embed["author"]["name"]
    # Plainly the server's: who wrote it and when, the link as typed, and no curated badge.
    by = field(embed, "From this server")
    assert by.startswith(f"Added by <@{admin.id}> <t:") and ":R>" in by and "not reviewed" in by
    assert field(embed, "Link") == HOURS_LINK
    assert "Sources" not in [f["name"] for f in embed["fields"]] and "Reviewed" not in embed["footer"]["text"]
    assert "Helpful" not in button_labels(reply)
    # Nothing was recorded as unanswered: the server answered it.
    assert query(live, "SELECT COUNT(*) FROM unanswered_questions") == [(0,)]


async def test_a_confident_curated_answer_comes_first_and_offers_the_server_entry(live: Live) -> None:
    emu = live.emu
    admin, bob, general = emu.world.users["dr_admin"], emu.world.users["bob"], emu.world.channel("general")
    saved = await add_entry(
        emu,
        admin,
        general,
        {"title": "SOAP tips from our mentors", "aliases": "soap", "answer": "Keep your phone on during Match Week."},
    )
    assert saved.content.startswith("✅ Added")
    reply = await run(emu, "ask", {"question": "what is soap"}, bob, general)
    soap = KB.get("soap")
    assert soap is not None and reply.embeds[0]["title"] == soap.title
    assert "Reviewed" in reply.embeds[0]["footer"]["text"]
    assert "From this server: SOAP tips from our mentors" in button_labels(reply)
    opened = await (await emu.click(reply, label="From this server: SOAP tips from our mentors", user=bob)).response()
    assert opened.ephemeral and opened.embeds[0]["title"] == "SOAP tips from our mentors"
    assert opened.embeds[0]["author"]["name"] == "This server's own answer"


async def test_another_server_never_sees_the_entries(live: Live) -> None:
    emu = live.emu
    alice, lobby = emu.world.users["alice"], emu.world.channel("lobby")
    reply = await run(emu, "ask", {"question": "when is the study hall open?"}, alice, lobby)
    assert reply.ephemeral and reply.embeds[0]["title"] == "No curated answer yet"
    choices = await emu.autocomplete("topic", {"name": "study hall"}, focused="name", user=alice, channel=lobby)
    assert not [c for c in choices if str(c["value"]).startswith("srv:")]
    hours = entry_id(live, "Study hall hours")
    missing = await run(emu, "topic", {"name": f"srv:{hours}"}, alice, lobby)
    assert missing.ephemeral and "no topic called" in missing.content


async def test_topic_lists_and_opens_the_servers_entries_marked(live: Live) -> None:
    emu = live.emu
    alice, general = emu.world.users["alice"], emu.world.channel("general")
    hours = entry_id(live, "Study hall hours")
    choices = await emu.autocomplete("topic", {"name": "study"}, focused="name", user=alice, channel=general)
    assert {"name": "🏠 Study hall hours (this server)", "value": f"srv:{hours}"} in choices
    assert len(choices) <= 25
    opened = await run(emu, "topic", {"name": f"srv:{hours}"}, alice, general)
    assert not opened.ephemeral and opened.embeds[0]["title"] == "Study hall hours"
    assert opened.embeds[0]["author"]["name"] == "This server's own answer"
    # Typed by hand: a curated topic of that name comes first; a server entry's own name opens it.
    typed = await run(emu, "topic", {"name": "voice room"}, alice, general)
    assert typed.embeds[0]["title"] == "Study hall hours"
    curated = await run(emu, "topic", {"name": "soap"}, alice, general)
    assert curated.embeds[0]["title"] == KB.get("soap").title  # type: ignore[union-attr]


async def test_mentions_in_an_entry_never_ping(live: Live) -> None:
    emu = live.emu
    admin, alice, general = emu.world.users["dr_admin"], emu.world.users["alice"], emu.world.channel("general")
    role = emu.world.role("Match 2027")
    answer = f"@everyone quiz night is on Saturday; @here <@{alice.id}> and <@&{role.id}> bring your timers."
    saved = await add_entry(emu, admin, general, {"title": "Weekend quiz night", "answer": answer})
    assert saved.content.startswith("✅ Added")
    reply = await run(emu, "ask", {"question": "when is weekend quiz night"}, alice, general)
    assert not reply.ephemeral and reply.embeds[0]["title"] == "Weekend quiz night"
    description = reply.embeds[0]["description"]
    assert "@\u200beveryone" in description and f"<\u200b@{alice.id}>" in description
    assert reply.message is not None and not reply.message.pings
    assert_never_pinged(emu)


async def test_edit_list_and_remove(live: Live) -> None:
    emu = live.emu
    admin, alice, general = emu.world.users["dr_admin"], emu.world.users["alice"], emu.world.channel("general")
    choices = await emu.autocomplete("knowledge edit", {"entry": "weekend"}, user=admin, channel=general)
    weekend = entry_id(live, "Weekend quiz night")
    assert choices == [{"name": "Weekend quiz night", "value": str(weekend)}]
    opened = await run(emu, "knowledge edit", {"entry": str(weekend)}, admin, general)
    assert opened.modal is not None and opened.modal.field("title").value == "Weekend quiz night"
    clash = await (await emu.submit_modal(opened, {"title": "study HALL hours"})).response()
    assert "already has an entry called" in clash.content and "Your changes were not saved" in clash.content
    reopened = await (await emu.click(clash, label="Fix it", user=admin)).response()
    assert reopened.modal is not None and reopened.modal.field("title").value == "study HALL hours"
    changed = await (
        await emu.submit_modal(reopened, {"title": "Weekend quiz night", "answer": "Moved to Sunday 9 p.m."})
    ).response()
    assert changed.content == "✅ Saved your changes to **Weekend quiz night**."
    assert "last edited by" in field(changed.embeds[0], "From this server")

    listed = await run(emu, "knowledge list", None, admin, general)
    assert listed.ephemeral and listed.embeds[0]["title"] == "This server's knowledge entries · 3 of 200"
    lines = listed.embeds[0]["description"].split("\n")
    assert [line.split("**")[1] for line in lines] == [
        "SOAP tips from our mentors",
        "Study hall hours",
        "Weekend quiz night",
    ]
    assert "also: study hall, voice room" in lines[1] and "edited <t:" in lines[2]

    asked = await run(emu, "knowledge remove", {"entry": str(weekend)}, admin, general)
    assert asked.content.startswith("Remove **Weekend quiz night**") and button_labels(asked) == [
        "Yes, remove it",
        "Keep it",
    ]
    kept = await (await emu.click(asked, label="Keep it", user=admin)).response()
    assert kept.content == "Kept it: nothing was removed." and entry_id(live, "Weekend quiz night") == weekend
    asked = await run(emu, "knowledge remove", {"entry": "weekend quiz night"}, admin, general)
    removed = await (await emu.click(asked, label="Yes, remove it", user=admin)).response()
    assert removed.content == "🗑️ Removed **Weekend quiz night** from this server's knowledge base."
    assert query(live, "SELECT COUNT(*) FROM server_entries WHERE id = ?", weekend) == [(0,)]
    gone = await run(emu, "ask", {"question": "when is weekend quiz night"}, alice, general)
    assert gone.embeds[0]["title"] != "Weekend quiz night"


async def test_export_gives_markdown_files_with_the_curated_front_matter(live: Live, tmp_path: Path) -> None:
    emu = live.emu
    admin, general = emu.world.users["dr_admin"], emu.world.channel("general")
    exported = await run(emu, "knowledge export", None, admin, general)
    assert exported.ephemeral and "curated knowledge base's format" in exported.content
    files = {a.filename: a.data for a in exported.attachments}
    assert set(files) == {"soap-tips-from-our-mentors.md", "study-hall-hours.md"}
    text = files["study-hall-hours.md"].decode("utf-8")
    path = tmp_path / "study-hall-hours.md"
    front, body, _ = split_front_matter(path, text)
    assert front.data["id"] == "study-hall-hours" and front.data["title"] == "Study hall hours"
    assert front.data["aliases"] == ["study hall", "voice room"]
    assert front.data["sources"] == [{"title": "Study hall hours", "url": HOURS_LINK}]
    assert front.data["stage"] is None and front.data["reviewed"] is None  # for a curator to set
    assert body.strip() == HOURS_ANSWER

    # More than a few entries: one .zip with a Markdown file each.
    for number in range(9):
        await add_entry(
            emu, admin, general, {"title": f"Resource list {number}", "answer": f"Pinned in #res-{number}."}
        )
    zipped = await run(emu, "knowledge export", None, admin, general)
    [attachment] = zipped.attachments
    assert attachment.filename == "img-study-hall-knowledge.zip"
    with zipfile.ZipFile(io.BytesIO(attachment.data)) as archive:
        assert len(archive.namelist()) == 11 and "resource-list-8.md" in archive.namelist()
    # Eleven entries: /knowledge list shows ten a page.
    listed = await run(emu, "knowledge list", None, admin, general)
    assert listed.embeds[0]["footer"]["text"].startswith("Page 1 of 2.") and button_labels(listed) == ["Next"]
    assert len(listed.embeds[0]["description"].split("\n")) == 10
    second = await (await emu.click(listed, label="Next", user=admin)).response()
    assert second.kind == "update" and second.embeds[0]["description"].startswith("11. **Study hall hours**")
    assert button_labels(second) == ["Previous"]
    first = await (await emu.click(second, label="Previous", user=admin)).response()
    assert first.embeds[0]["description"].startswith("1. **Resource list 0**")


async def test_mydata_export_lists_the_entries_a_moderator_wrote(live: Live) -> None:
    import json

    emu = live.emu
    admin, alice, general = emu.world.users["dr_admin"], emu.world.users["alice"], emu.world.channel("general")
    exported = await run(emu, "mydata export", None, admin, general)
    data = json.loads(exported.attachments[0].data)
    titles = {e["title"] for e in data["server_knowledge_entries"]}
    assert "Study hall hours" in titles and all(e["added_by_you"] for e in data["server_knowledge_entries"])
    mine = await run(emu, "mydata export", None, alice, general)
    assert json.loads(mine.attachments[0].data)["server_knowledge_entries"] == []


async def test_leaving_a_server_starts_its_retention_and_coming_back_stops_it(live: Live) -> None:
    emu = live.emu
    owls, night_admin = emu.world.guild("Night Owls Study Group"), emu.world.users["night_admin"]
    saved = await add_entry(
        emu, night_admin, emu.world.channel("lobby"), {"title": "Q-bank rules", "answer": "A block."}
    )
    assert saved.content.startswith("✅ Added")
    after = live.bot.lines_so_far
    await emu.leave_guild(owls)
    await live.bot.wait_for_output(rf"no longer in server {owls.id}: its knowledge entries are kept", after=after)
    assert query(live, "SELECT guild_id FROM server_entries_departures") == [(owls.id,)]
    await emu.join_guild(owls)
    await live.bot.wait_for_output(rf"back in server {owls.id}: its knowledge entries are kept", after=after)
    assert query(live, "SELECT COUNT(*) FROM server_entries_departures") == [(0,)]
    assert query(live, "SELECT COUNT(*) FROM server_entries WHERE guild_id = ?", owls.id) == [(1,)]


async def test_a_server_that_removed_the_bot_while_it_was_offline_loses_its_entries_after_its_retention(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        owls, night_admin = emu.world.guild("Night Owls Study Group"), emu.world.users["night_admin"]
        hall, admin = emu.world.guild("IMG Study Hall"), emu.world.users["dr_admin"]
        lobby, general = emu.world.channel("lobby"), emu.world.channel("general")
        async with running_bot(emu, database, name="before"):
            # The Night Owls keep a member's data 0 days after they leave: their entries go as soon as the bot does.
            await run(emu, "studygroup-retention set", {"days": 0}, night_admin, lobby)
            await add_entry(emu, night_admin, lobby, {"title": "Q-bank rules", "answer": "One timed block a night."})
            await add_entry(emu, admin, general, {"title": "Study hall hours", "answer": "Every evening, 8 to 11."})
        # Removed while the bot is down: no GUILD_DELETE reaches it.
        await emu.leave_guild(owls)
        async with running_bot(emu, database, name="after") as bot:
            await bot.wait_for_output(
                r"server knowledge entries: 1 servers left while I was offline, 0 servers I am back in, 1 entries of "
                r"1 servers past their retention deleted",
                timeout=30,
            )
        rows = query_file(database, "SELECT guild_id, title FROM server_entries")
        assert rows == [(hall.id, "Study hall hours")]
        assert query_file(database, "SELECT COUNT(*) FROM server_entries_departures") == [(0,)]


def query_file(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()
