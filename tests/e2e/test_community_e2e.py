"""Ask the community, end to end: /ask's refusal → **Ask the community** → a preview → a forum post tagged by stage
(or a message with a thread in a text channel), with the member's name or anonymously; the refusals (no help channel,
a permission the bot lacks, the cooldown); **Mark as answer** by the asker, by a moderator (with the server entry form
filled in) and refused for anyone else; /knowledge settings; /mydata export and delete. The real bot process against
the emulator, in a server with a help forum the bot may manage, one it may not, and text channels."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.knowledge.community import ANSWERED_TAG, OTHER_TAG, STAGE_TAGS, all_tags
from bot.knowledge.models import Stage
from discord_emulator import Emulator, World
from discord_emulator.interactions import Reply
from discord_emulator.models import Message
from discord_emulator.permissions import MODERATOR, Perm
from discord_emulator.world import Channel, ChannelType, Overwrite, OverwriteType, User
from tests.e2e.conftest import running_bot
from tests.e2e.mydata import delete_everything

pytestmark = pytest.mark.asyncio(loop_scope="module")

ERAS_QUESTION = "Which browser works best for MyERAS?"
"""No reviewed answer (the curated search only comes close), and what it comes close to is about ERAS. (It was "ERAS
photo: professional photographer or phone?", which now sits at the ERAS photo entry's answer bar.)"""
PODCAST_QUESTION = "Good podcasts for the ERAS season?"
OFF_ROAD_QUESTION = "@everyone what is the best pizza in Boston <@&{role}>?"
"""Nothing on the road to residency: tagged "Other questions". /ask itself takes the mentions out of a question
(bot.knowledge.options), so they never reach the post; the post breaks any ping it quotes all the same."""
OFF_ROAD_ASKED = "what is the best pizza in Boston ?"
TEA_QUESTION = "Which tea tastes best with cardamom?"
"""Refused, and close to no stage (its nearest entries score far below a suggestion; a question about staying awake
at night now finds the entry on interviews in the middle of the night): tagged "Other questions" until
the member picks one."""


@dataclass
class Community:
    emu: Emulator
    database: Path

    @property
    def world(self) -> World:
        return self.emu.world

    def user(self, name: str) -> User:
        return self.world.users[name]

    def channel(self, name: str) -> Channel:
        return self.world.channel(name)


def community_world() -> World:
    """The default world, plus: #ask-the-community (a forum with a tag of the server's own, where the bot's role may
    manage the channel and its threads), #quiet-forum (a forum where it may not), #help-desk (a text channel where it
    may manage threads), #no-threads (where it may not create threads), #fresh-forum (a forum it may manage, without
    tags), more members, and a thread keeper."""
    world = World.default()
    hall = world.guild("IMG Study Hall")
    bot_role = world.bot_role(hall).id
    managing = int(Perm.MANAGE_CHANNELS | Perm.MANAGE_THREADS)
    forum = world.add_channel(
        hall,
        "ask-the-community",
        type=ChannelType.GUILD_FORUM,
        overwrites=[Overwrite(bot_role, OverwriteType.ROLE, allow=managing)],
    )
    world.add_forum_tag(forum, "Study tips")
    world.add_channel(hall, "quiet-forum", type=ChannelType.GUILD_FORUM)
    world.add_channel(
        hall, "help-desk", overwrites=[Overwrite(bot_role, OverwriteType.ROLE, allow=int(Perm.MANAGE_THREADS))]
    )
    world.add_channel(
        hall,
        "no-threads",
        overwrites=[Overwrite(world.bot.id, OverwriteType.MEMBER, deny=int(Perm.CREATE_PUBLIC_THREADS))],
    )
    world.add_channel(
        hall,
        "fresh-forum",
        type=ChannelType.GUILD_FORUM,
        overwrites=[Overwrite(bot_role, OverwriteType.ROLE, allow=managing)],
    )
    for name in ("dev", "erin", "frank", "gita", "hana", "ivan"):
        world.add_member(hall, world.add_user(name, name.title()))
    keepers = world.add_role(hall, "Thread Keepers", permissions=int(Perm.MANAGE_THREADS))
    world.add_member(hall, world.add_user("tess", "Tess"), roles=[keepers])
    assert MODERATOR & Perm.MANAGE_GUILD
    return world


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Community]:
    database = tmp_path_factory.mktemp("bot") / "bot.sqlite3"
    async with Emulator(community_world()) as emu, running_bot(emu, database) as bot:
        yield Community(emu, database)
        assert bot.returncode is None, f"the bot died during the tests:\n{bot.tail()}"


def query(live: Community, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{live.database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


async def run(emu: Emulator, command: str, options: dict[str, Any] | None, user: User, channel: Channel) -> Reply:
    return await (await emu.slash(command, options, user=user, channel=channel)).response()


async def click(emu: Emulator, reply: Reply, label: str, user: User) -> Reply:
    return await (await emu.click(reply, label=label, user=user)).response()


async def post_it(live: Community, preview: Reply, label: str, user: User) -> Reply:
    """Press **Post it**: the bot defers (tags and the post are several requests), then edits the preview into
    where it was posted; this waits for that edit."""
    before = preview.message.edits if preview.message else 0
    reply = await click(live.emu, preview, label, user)
    assert reply.kind == "update" and reply.deferred and reply.message is preview.message
    posted = reply.message
    assert posted is not None
    await live.emu.wait_for_message(
        live.channel("general"), lambda m: m is posted and m.edits > before, include_ephemeral=True
    )
    return reply


def labels(reply: Reply) -> list[str]:
    return [str(c.get("label")) for c in reply.message.buttons] if reply.message else []


async def refused_ask(live: Community, user: User, question: str, asked: str | None = None) -> Reply:
    """/ask with no reviewed answer: the private refusal, offering the community the question as /ask took it
    (``asked``, when that differs from what was typed)."""
    reply = await run(live.emu, "ask", {"question": question}, user, live.channel("general"))
    assert reply.ephemeral and reply.embeds[0]["title"] == "No curated answer yet", reply.text
    assert "Ask the community" in labels(reply)
    offer = reply.embeds[-1]
    assert offer["title"] == "Ask the community" and offer["fields"][0]["value"] == (asked or question)
    return reply


async def set_help_channel(live: Community, name: str) -> Reply:
    admin = live.user("dr_admin")
    screen = await run(live.emu, "knowledge settings", None, admin, live.channel("general"))
    return await (await live.emu.select(screen, [live.channel(name)], custom_id="cq:set:ch", user=admin)).response()


async def preview_of(live: Community, user: User, question: str, asked: str | None = None) -> Reply:
    refusal = await refused_ask(live, user, question, asked)
    preview = await click(live.emu, refusal, "Ask the community", user)
    assert preview.kind == "message" and preview.ephemeral, preview.text
    return preview


def thread_of(live: Community, reply: Reply) -> Channel:
    """The thread the "Posted" reply links to."""
    link = reply.content.split("discord.com/channels/")[1].split()[0]
    thread = live.world.get_channel(int(link.split("/")[1]))
    assert thread is not None and thread.is_thread
    return thread


def first_message(live: Community, thread: Channel) -> Message:
    message = live.emu.store.get(thread.id)
    if message is not None:  # a forum post: its first message has its id
        return message
    return live.emu.messages_in(thread)[0]


def tag_names(forum: Channel, ids: list[int]) -> list[str]:
    names = {tag.id: tag.name for tag in forum.available_tags}
    return [names[tag_id] for tag_id in ids]


# -- no help channel, and /knowledge settings --------------------------------------------------------------------------


async def test_without_a_help_channel_nothing_is_offered_that_leads_nowhere(live: Community) -> None:
    bob = live.user("bob")
    reply = await run(live.emu, "ask", {"question": PODCAST_QUESTION}, bob, live.channel("general"))
    assert reply.ephemeral and reply.embeds[0]["title"] == "No curated answer yet", reply.text
    assert "Ask the community" not in labels(reply)
    assert all(embed.get("title") != "Ask the community" for embed in reply.embeds)
    assert query(live, "SELECT COUNT(*) FROM community_questions") == [(0,)]


async def test_greetings_and_thanks_get_a_short_hello_and_are_not_kept(live: Community) -> None:
    before = query(live, "SELECT COUNT(*) FROM unanswered_questions")
    for said in ("hello", "thank you!"):
        reply = await run(live.emu, "ask", {"question": said}, live.user("bob"), live.channel("general"))
        assert (
            reply.ephemeral
            and not reply.embeds
            and "I answer questions about the road to a US residency" in (reply.content)
        ), reply.text
        assert "Ask the community" not in labels(reply)
    assert query(live, "SELECT COUNT(*) FROM unanswered_questions") == before


async def test_only_moderators_open_knowledge_settings(live: Community) -> None:
    screen = await (
        await live.emu.slash(
            "knowledge settings", None, user=live.user("alice"), channel=live.channel("general"), force=True
        )
    ).response()
    assert screen.ephemeral and "**Manage Server** permission" in screen.content


async def test_settings_refuse_a_channel_the_bot_cannot_post_questions_in(live: Community) -> None:
    saved = await set_help_channel(live, "no-threads")
    field = saved.embeds[0]["fields"][0]
    assert field["name"] == "⚠️ Not saved" and "**Create Public Threads**" in field["value"]
    assert query(live, "SELECT COUNT(*) FROM community_settings") == [(0,)]


async def test_settings_take_a_forum_and_say_what_works_there(live: Community) -> None:
    saved = await set_help_channel(live, "ask-the-community")
    forum = live.channel("ask-the-community")
    assert saved.embeds[0]["fields"][0]["name"] == "✅ Saved"
    description = saved.embeds[0]["description"]
    assert f"<#{forum.id}>, a forum" in description and "✅ I can post members' questions there." in description
    assert "every 10 minutes" in description
    assert query(live, "SELECT help_channel_id FROM community_settings") == [(forum.id,)]


# -- posting -----------------------------------------------------------------------------------------------------------


async def test_a_question_becomes_a_forum_post_tagged_with_its_stage(live: Community) -> None:
    emu, alice = live.emu, live.user("alice")
    forum = live.channel("ask-the-community")
    preview = await preview_of(live, alice, ERAS_QUESTION)
    # Anonymous unless the member chooses otherwise; the preview is the post exactly.
    assert "**anonymously**" in preview.embeds[0]["description"]
    assert "tagged **ERAS**" in preview.embeds[0]["description"]
    assert preview.embeds[1]["title"] == ERAS_QUESTION
    named = await click(emu, preview, "With my name", alice)
    assert named.kind == "update" and f"<@{alice.id}> asks the community" in named.embeds[1]["description"]
    shown = named.embeds[1]["description"]

    posted = await post_it(live, named, "Post it with my name", alice)
    assert posted.kind == "update" and posted.ephemeral and posted.content.startswith("✅ Posted.")
    assert not posted.embeds and not posted.components
    thread = thread_of(live, posted)
    assert thread.parent_id == forum.id and thread.name == ERAS_QUESTION
    assert (
        f"as a forum post tagged **ERAS**: https://discord.com/channels/{forum.guild_id}/{thread.id}" in posted.content
    )
    # The stage tags were added to the forum (the server's own kept), and the post carries its stage's.
    eras = STAGE_TAGS[Stage.ERAS]
    assert [tag.name for tag in forum.available_tags] == ["Study tips", eras, *(t for t in all_tags() if t != eras)]
    assert tag_names(forum, thread.applied_tags) == [STAGE_TAGS[Stage.ERAS]]
    message = first_message(live, thread)
    assert message.content == shown and not message.pings
    assert message.allowed_mentions is not None and message.allowed_mentions.get("parse") == []
    rows = query(live, "SELECT asked_by, anonymous, stage, question, thread_id, message_id FROM community_questions")
    assert rows == [(alice.id, 0, "eras", ERAS_QUESTION, thread.id, thread.id)]


async def test_an_anonymous_post_shows_no_name_and_no_ping(live: Community) -> None:
    dev = live.user("dev")
    role = live.world.role("Match 2027")
    preview = await preview_of(live, dev, OFF_ROAD_QUESTION.format(role=role.id), OFF_ROAD_ASKED)
    assert f"tagged **{OTHER_TAG}**" in preview.embeds[0]["description"]
    posted = await post_it(live, preview, "Post it anonymously", dev)
    thread = thread_of(live, posted)
    message = first_message(live, thread)
    for text in (message.text, thread.name):
        assert str(dev.id) not in text and "dev" not in text.lower(), text
    assert message.content.startswith(f"❓ **A member asks the community** · {OTHER_TAG}\n> {OFF_ROAD_ASKED}\n")
    assert "everyone" not in message.content and str(role.id) not in message.content
    assert not message.pings and not message.mention_everyone and not message.mention_role_ids
    assert tag_names(live.channel("ask-the-community"), thread.applied_tags) == [OTHER_TAG]
    # Kept privately, for marking and for /mydata.
    assert query(live, "SELECT asked_by, anonymous FROM community_questions WHERE thread_id = ?", thread.id) == [
        (dev.id, 1)
    ]


async def test_one_question_per_member_every_ten_minutes(live: Community) -> None:
    alice = live.user("alice")
    refusal = await refused_ask(live, alice, TEA_QUESTION)
    refused = await click(live.emu, refusal, "Ask the community", alice)
    assert "one question to the community every 10 minutes" in refused.content
    assert query(live, "SELECT COUNT(*) FROM community_questions WHERE asked_by = ?", alice.id) == [(1,)]


async def test_cancel_posts_nothing(live: Community) -> None:
    gita = live.user("gita")
    preview = await preview_of(live, gita, TEA_QUESTION)
    cancelled = await click(live.emu, preview, "Cancel", gita)
    assert cancelled.content.startswith("Not posted.") and not cancelled.components
    assert query(live, "SELECT COUNT(*) FROM community_questions WHERE asked_by = ?", gita.id) == [(0,)]


async def test_the_stage_can_be_corrected_before_posting(live: Community) -> None:
    emu, gita = live.emu, live.user("gita")
    preview = await preview_of(live, gita, TEA_QUESTION)
    assert f"tagged **{OTHER_TAG}**" in preview.embeds[0]["description"]
    usmle = await (await emu.select(preview, [Stage.USMLE.value], user=gita)).response()
    assert "tagged **USMLE**" in usmle.embeds[0]["description"] and "· USMLE\n" in usmle.embeds[1]["description"]
    posted = await post_it(live, usmle, "Post it anonymously", gita)
    thread = thread_of(live, posted)
    assert tag_names(live.channel("ask-the-community"), thread.applied_tags) == ["USMLE"]


# -- Mark as answer ----------------------------------------------------------------------------------------------------


def question_thread(live: Community, asker: User) -> Channel:
    [(thread_id,)] = query(live, "SELECT thread_id FROM community_questions WHERE asked_by = ?", asker.id)
    thread = live.world.get_channel(int(thread_id))
    assert thread is not None
    return thread


async def mark(live: Community, message: Message, user: User) -> Reply:
    return await (await live.emu.message_command("Mark as answer", message, user=user)).response()


async def test_the_asker_marks_the_answer_and_the_post_is_tagged_answered(live: Community) -> None:
    emu, alice, bob = live.emu, live.user("alice"), live.user("bob")
    thread = question_thread(live, alice)
    reply = await emu.send_message(bob, thread, "A phone in daylight against a plain wall is fine.")
    marked = await mark(live, reply, alice)
    assert marked.ephemeral and marked.text.startswith("✅ Marked")
    assert "Make it a server entry" not in labels(marked) and "DM" not in marked.text
    forum = live.channel("ask-the-community")
    assert tag_names(forum, thread.applied_tags) == [STAGE_TAGS[Stage.ERAS], ANSWERED_TAG]
    note = emu.messages_in(thread)[-1]
    assert note.author.id == live.world.bot.id and "The asker marked this reply as the answer" in note.content
    assert str(reply.id) in note.content and not note.pings
    assert query(live, "SELECT answer_message_id FROM community_questions WHERE asked_by = ?", alice.id) == [
        (reply.id,)
    ]
    assert emu.dms_with(alice) == []


async def test_anyone_else_is_refused_and_only_replies_in_a_question_thread_count(live: Community) -> None:
    emu, alice, frank = live.emu, live.user("alice"), live.user("frank")
    thread = question_thread(live, live.user("dev"))
    reply = await emu.send_message(frank, thread, "Try the North End.")
    refused = await mark(live, reply, frank)
    assert refused.ephemeral and refused.content.startswith("Only the member who asked this question")
    elsewhere = await emu.send_message(frank, live.channel("general"), "hello")
    refused = await mark(live, elsewhere, alice)
    assert "works in a thread of a question posted with **Ask the community**" in refused.content
    question = first_message(live, thread)
    refused = await mark(live, question, live.user("dev"))
    assert "That is the question itself" in refused.content
    assert query(live, "SELECT answer_message_id FROM community_questions WHERE thread_id = ?", thread.id) == [(None,)]


async def test_a_moderator_marks_the_asker_hears_by_dm_and_the_entry_form_opens_filled(live: Community) -> None:
    emu, admin, dev, erin = live.emu, live.user("dr_admin"), live.user("dev"), live.user("erin")
    thread = question_thread(live, dev)
    answer = "Regina Pizzeria on Thacher Street, @everyone agrees."
    reply = await emu.send_message(erin, thread, answer)
    marked = await mark(live, reply, admin)
    assert "The asker was told by DM." in marked.text and "Make it a server entry" in labels(marked)
    [dm] = emu.dms_with(dev)
    assert "has an answer, marked by a moderator" in dm.content and str(reply.id) in dm.content
    assert "A moderator marked this reply" in emu.messages_in(thread)[-1].content

    opened = await click(emu, marked, "Make it a server entry", admin)
    assert opened.kind == "modal" and opened.modal is not None
    assert opened.modal.field("title").value == OFF_ROAD_ASKED
    assert opened.modal.field("answer").value == answer
    saved = await (await emu.submit_modal(opened, {"title": "Best pizza near the hall"})).response()
    assert saved.content.startswith("✅ Added **Best pizza near the hall**")
    assert query(live, "SELECT title, answer, created_by FROM server_entries") == [
        ("Best pizza near the hall", answer, admin.id)
    ]


async def test_marking_the_answer_again_posts_nothing_and_a_changed_answer_is_said_once(live: Community) -> None:
    emu, admin, dev = live.emu, live.user("dr_admin"), live.user("dev")
    thread = question_thread(live, dev)
    [(answer_id,)] = query(live, "SELECT answer_message_id FROM community_questions WHERE asked_by = ?", dev.id)
    answer = live.emu.store.get(int(answer_id))
    assert answer is not None
    said, dms = len(emu.messages_in(thread)), len(emu.dms_with(dev))
    # The asker and a moderator both marking the same reply, or one marking it twice: said once, privately.
    for marker in (admin, dev):
        again = await mark(live, answer, marker)
        assert again.ephemeral and again.text == "That reply is already marked as the answer; nothing changed."
    assert len(emu.messages_in(thread)) == said and len(emu.dms_with(dev)) == dms
    # Another reply: one note in the thread; the asker was DMed about the first answer and is not again.
    other = next(m for m in emu.messages_in(thread) if m.content == "Try the North End.")
    changed = await mark(live, other, admin)
    link = f"https://discord.com/channels/{thread.guild_id}/{thread.id}/{other.id}"
    assert changed.text.startswith(f"✅ Marked {link} as the answer.") and "DM" not in changed.text
    notes = emu.messages_in(thread)[said:]
    assert [note.content for note in notes] == [f"✅ A moderator changed the answer to this reply: {link}"]
    assert len(emu.dms_with(dev)) == dms
    assert query(live, "SELECT answer_message_id FROM community_questions WHERE asked_by = ?", dev.id) == [(other.id,)]


async def test_a_thread_keeper_may_mark_but_not_make_an_entry(live: Community) -> None:
    emu, gita, tess = live.emu, live.user("gita"), live.user("tess")
    thread = question_thread(live, gita)
    reply = await emu.send_message(live.user("bob"), thread, "Anki for Step 1, UWorld for the rest.")
    marked = await mark(live, reply, tess)
    assert marked.text.startswith("✅ Marked") and "Make it a server entry" not in labels(marked)
    assert "A moderator with **Manage Server** can make it a server entry" in marked.text


# -- a text channel, a missing permission, a forum without tag rights --------------------------------------------------


async def test_in_a_text_channel_a_question_is_a_message_with_a_thread(live: Community) -> None:
    emu, admin, carol, frank = live.emu, live.user("dr_admin"), live.user("carol"), live.user("frank")
    saved = await set_help_channel(live, "help-desk")
    assert "a text channel: each question is a message with a thread" in saved.embeds[0]["description"]
    desk = live.channel("help-desk")
    preview = await preview_of(live, carol, PODCAST_QUESTION)
    assert "as a message with a thread" in preview.embeds[0]["description"]
    posted = await post_it(live, preview, "Post it anonymously", carol)
    thread = thread_of(live, posted)
    [message] = emu.messages_in(desk)
    assert thread.parent_id == desk.id and thread.id == message.id and thread.name == PODCAST_QUESTION
    assert message.content.startswith("❓ **A member asks the community** · ERAS") and not message.pings

    reply = await emu.send_message(frank, thread, "The Match Room, and the NRMP's own.")
    marked = await mark(live, reply, admin)
    assert thread.name == f"✅ {PODCAST_QUESTION}"
    # carol does not accept DMs: said, and nothing breaks.
    assert "could not DM the asker" in marked.text and emu.dms_with(carol) == []


async def test_when_discord_gives_no_clear_answer_the_message_goes_and_the_cooldown_holds(live: Community) -> None:
    """The thread on the question's message fails without a clear answer: a 503 (which discord.py does not retry;
    a 500 is the same after its retries), and the connection dropped after Discord made the thread. The message
    never stays without its thread; the member is told it may have been posted and where to look; the reservation
    stays, so pressing again cannot post the question twice."""
    emu, desk = live.emu, live.channel("help-desk")
    route = f"POST /channels/{desk.id}/messages/{{message_id}}/threads"
    for name, fault in (
        ("bob", lambda: emu.faults.error(route, status=503)),
        ("tess", lambda: emu.faults.drop(route, after_effect=True)),
    ):
        user = live.user(name)
        preview = await preview_of(live, user, PODCAST_QUESTION)
        before = len(emu.messages_in(desk))
        injected = fault()
        told = await post_it(live, preview, "Post it anonymously", user)
        assert injected.exhausted, f"the fault for {name} never struck"
        assert told.content == (
            "⚠️ Discord did not answer clearly, so your question may have been posted. Look in "
            f"<#{desk.id}> before asking again; if it is not there, you can post it in 10 minutes."
        )
        assert not told.embeds and not told.components
        assert len(emu.messages_in(desk)) == before, "the question's message stayed without its thread"
        assert query(live, "SELECT thread_id FROM community_questions WHERE asked_by = ?", user.id) == [(None,)]
        again = await click(emu, await refused_ask(live, user, PODCAST_QUESTION), "Ask the community", user)
        assert "one question to the community every 10 minutes" in again.content


async def test_a_permission_the_bot_lost_is_named_when_a_member_asks(live: Community) -> None:
    emu, erin = live.emu, live.user("erin")
    desk = live.channel("help-desk")
    desk.overwrites.append(Overwrite(live.world.bot.id, OverwriteType.MEMBER, deny=int(Perm.CREATE_PUBLIC_THREADS)))
    await emu.update_channel(desk)
    try:
        refusal = await refused_ask(live, erin, PODCAST_QUESTION)
        refused = await (await emu.click(refusal, label="Ask the community", user=erin)).response()
        assert refused.ephemeral and "I need **Create Public Threads** there" in refused.content
        settings = await run(emu, "knowledge settings", None, live.user("dr_admin"), live.channel("general"))
        assert "**Create Public Threads**" in settings.embeds[0]["description"]
    finally:
        desk.overwrites.pop()
        await emu.update_channel(desk)
    assert query(live, "SELECT COUNT(*) FROM community_questions WHERE asked_by = ?", erin.id) == [(0,)]


async def test_a_forum_the_bot_may_not_tag_gets_untagged_posts_and_moderators_are_told(live: Community) -> None:
    erin = live.user("erin")
    saved = await set_help_channel(live, "quiet-forum")
    description = saved.embeds[0]["description"]
    assert (
        "Without **Manage Channels** there, I can't add the stage tags, so questions are posted untagged" in description
    )
    preview = await preview_of(live, erin, ERAS_QUESTION)
    assert "as a forum post, " in preview.embeds[0]["description"]
    posted = await post_it(live, preview, "Post it anonymously", erin)
    assert "It has no stage tag" in posted.content and "Manage Channels" in posted.content
    thread = thread_of(live, posted)
    assert thread.applied_tags == [] and live.channel("quiet-forum").available_tags == []


async def test_a_member_who_may_not_post_in_the_help_channel_cannot_post_through_the_bot(live: Community) -> None:
    """A read-only forum for one member (a timeout takes the same permission away): refused with the permission's
    name, at the preview and at **Post it** alike, and nothing is posted."""
    emu, frank = live.emu, live.user("frank")
    forum = live.channel("quiet-forum")
    before = len(forum.available_tags), query(live, "SELECT COUNT(*) FROM community_questions")
    preview = await preview_of(live, frank, ERAS_QUESTION)
    forum.overwrites.append(Overwrite(frank.id, OverwriteType.MEMBER, deny=int(Perm.SEND_MESSAGES)))
    await emu.update_channel(forum)
    try:
        for refused in (
            await click(emu, preview, "Post it anonymously", frank),
            await click(emu, await refused_ask(live, frank, ERAS_QUESTION), "Ask the community", frank),
        ):
            assert refused.kind == "message" and refused.ephemeral, refused.text
            assert refused.content == f"You need the **Create Posts** permission in <#{forum.id}>."
    finally:
        forum.overwrites.pop()
        await emu.update_channel(forum)
    assert (len(forum.available_tags), query(live, "SELECT COUNT(*) FROM community_questions")) == before


async def test_two_first_posts_at_once_in_a_forum_without_tags_each_keep_their_tag(live: Community) -> None:
    """Discord replaces a forum's whole tag list: two first posts at once must not each add the tags over the
    other's. The first tag edit is held up a second in the emulator so that the second post certainly starts
    while it is under way (without that, which comes first is up to the scheduler)."""
    emu, hana, ivan = live.emu, live.user("hana"), live.user("ivan")
    forum = live.channel("fresh-forum")
    await set_help_channel(live, "fresh-forum")
    previews = [await preview_of(live, hana, ERAS_QUESTION), await preview_of(live, ivan, TEA_QUESTION)]
    slowed = emu.faults.slow(f"PATCH /channels/{forum.id}", 1.0, times=1)
    before = [preview.message.edits if preview.message else 0 for preview in previews]
    for preview, user in zip(previews, (hana, ivan), strict=True):
        await emu.click(preview, label="Post it anonymously", user=user)
    for preview, edits in zip(previews, before, strict=True):
        await emu.wait_for_message(
            live.channel("general"),
            lambda m, shown=preview.message, edits=edits: m is shown and m.edits > edits,
            include_ephemeral=True,
        )
    assert slowed.exhausted
    asked = query(live, "SELECT thread_id FROM community_questions WHERE asked_by IN (?, ?)", hana.id, ivan.id)
    threads = [live.world.get_channel(int(thread_id)) for (thread_id,) in asked]
    tags = {thread.name: tag_names(forum, thread.applied_tags) for thread in threads if thread is not None}
    assert tags == {ERAS_QUESTION: [STAGE_TAGS[Stage.ERAS]], TEA_QUESTION: [OTHER_TAG]}
    assert sorted(tag.name for tag in forum.available_tags) == sorted(all_tags())


# -- /mydata -----------------------------------------------------------------------------------------------------------


async def test_mydata_exports_an_anonymous_question_and_delete_unnames_it(live: Community) -> None:
    emu, dev, general = live.emu, live.user("dev"), live.channel("general")
    exported = await run(emu, "mydata export", None, dev, general)
    [question] = json.loads(exported.attachments[0].data)["community_questions"]
    assert question["posted_anonymously"] is True and question["question"] == OFF_ROAD_ASKED
    assert question["answer_message_id"] is not None
    asked = await run(emu, "mydata delete", None, dev, general)
    # The prompt says beforehand what stays, un-named, rather than going.
    assert (
        "questions you asked the community and server records (server entries, settings you made as a moderator) "
        "stay, no longer naming you." in asked.content
    )
    done = await delete_everything(emu, asked, dev)
    assert "1 question you asked the community, no longer naming you" in done.content
    assert query(live, "SELECT COUNT(*) FROM community_questions WHERE asked_by = ?", dev.id) == [(0,)]
    assert query(live, "SELECT COUNT(*) FROM community_questions WHERE asked_by = 0") == [(1,)]
    again = await run(emu, "mydata export", None, dev, general)
    assert json.loads(again.attachments[0].data)["community_questions"] == []
    privacy = await (
        await emu.click(await run(emu, "privacy", None, dev, general), custom_id="privacy:details", user=dev)
    ).response()
    assert any(f["name"] == "Ask the community" for f in privacy.embeds[0]["fields"])
