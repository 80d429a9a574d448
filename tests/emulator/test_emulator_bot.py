"""The real fixture bot (a discord.py process) against the emulator: login, commands, every interaction type,
messages, files, DMs, errors, limits and server events. One bot process serves the whole module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from discord_emulator import Emulator, InteractionError
from discord_emulator.emulator import REACTION_TIME
from discord_emulator.render import render_reply
from tests.e2e.harness import BotProcess

pytestmark = pytest.mark.asyncio(loop_scope="module")

Shared = tuple[Emulator, BotProcess]


@pytest.fixture(autouse=True)
def clean_contract(shared: Shared) -> Iterator[None]:
    emu, _ = shared
    emu.violations.clear()
    emu.unhandled.clear()
    yield
    # Whatever the test provoked on purpose, the emulator's own answers must always satisfy the spec.
    own = [str(v) for v in emu.violations if v.source in ("response", "emulator")]
    assert own == [], own
    assert [str(u) for u in emu.unhandled] == []


async def test_login_and_ready(shared: Shared) -> None:
    emu, bot = shared
    assert emu.is_ready and bot.running
    routes = {r.route for r in emu.requests}
    assert {"GET /users/@me", "GET /oauth2/applications/@me"} <= routes
    identify = emu.gateway.identify_payloads[0]
    assert identify["properties"]["browser"] == "discord.py"
    assert identify["intents"] & (1 << 1), "the fixture bot asks for the members intent"
    assert emu.stats.gateway["event:GUILD_CREATE"] >= 2


async def test_global_and_guild_commands_are_registered_with_ids(shared: Shared) -> None:
    emu, _ = shared
    hall = emu.world.guild("IMG Study Hall")
    global_names = {c.name for c in emu.commands.in_scope(None)}
    assert {"ask", "echo", "topic", "study", "admin-only"} <= global_names
    guild_commands = emu.commands.in_scope(hall.id)
    assert [c.name for c in guild_commands] == ["guildping"]
    assert all(c.id > 10**17 for c in emu.commands.all())
    admin_only = emu.commands.find("admin-only", hall.id)
    assert admin_only is not None and admin_only.default_member_permissions == str(1 << 5)
    # A guild command is invisible elsewhere; the emulator refuses (and records) unknown commands.
    with pytest.raises(InteractionError):
        await emu.slash("guildping", channel=emu.world.channel("lobby"))
    assert [v.source for v in emu.violations] == ["interaction"]


async def test_registration_of_a_name_discord_rejects_is_a_violation(shared: Shared) -> None:
    emu, _ = shared
    reply = await (await emu.slash("badsync")).response()
    assert reply.content == "rejected 400 50035"
    assert [str(v).split(": ", 1)[1] for v in emu.violations] == [
        "[0].name: 'Bad Name' does not match ^[-_'\\p{L}\\p{N}]{1,32}$"
    ]
    assert [c.name for c in emu.commands.in_scope(emu.world.guild().id)] == ["guildping"], (
        "rejected PUT changed nothing"
    )


async def test_slash_command_with_typed_options_and_resolved_member(shared: Shared) -> None:
    emu, _ = shared
    bob = emu.world.users["bob"]
    ix = await emu.slash("echo", {"text": "hi", "times": "2", "shout": "true", "who": bob})
    reply = await ix.response()
    assert reply.kind == "message" and not reply.ephemeral
    assert reply.content == "HI HI (for Bob, roles: none)"
    assert ix.data["options"][1] == {"name": "times", "type": 4, "value": 2}
    assert str(bob.id) in ix.data["resolved"]["members"]
    with pytest.raises(InteractionError, match=r"outside 1\.\.5"):
        await emu.slash("echo", {"text": "hi", "times": 9})


async def test_subcommand_group(shared: Shared) -> None:
    emu, _ = shared
    reply = await (await emu.slash("study group create", {"name": "owls", "size": 3})).response()
    assert reply.content == "Created group owls for 3"
    reply = await (await emu.slash("study group list")).response()
    assert reply.content == "No groups yet"
    with pytest.raises(InteractionError, match="needs a subcommand"):
        await emu.slash("study group")


async def test_guild_command_carries_guild_id(shared: Shared) -> None:
    emu, _ = shared
    ix = await emu.slash("guildping")
    assert (await ix.response()).content == "pong from IMG Study Hall"
    assert ix.data["guild_id"] == str(emu.world.guild().id)


async def test_autocomplete(shared: Shared) -> None:
    emu, _ = shared
    choices = await emu.autocomplete("topic", {"name": "st"})
    assert choices == [
        {"name": "STEP1", "value": "step1"},
        {"name": "STEP2CK", "value": "step2ck"},
        {"name": "STATEMENT", "value": "statement"},
    ]


async def test_button_click_is_routed_by_message_id(shared: Shared) -> None:
    emu, _ = shared
    first = await (await emu.slash("ask", {"question": "what is soap"})).response()
    second = await (await emu.slash("ask", {"question": "what is the match"})).response()
    assert first.message is not None
    assert [b["label"] for b in first.message.buttons] == ["Helpful", "Not helpful", "Later"]
    click = await emu.click(first, label="Helpful", user=emu.world.users["bob"])
    update = await click.response()
    assert update.kind == "update" and update.message is first.message
    assert update.content == "Thanks, bob!" and update.components == []
    assert second.content == "Answer to: what is the match", "the other message must be untouched"
    # The button is gone now, so a user cannot click it again.
    with pytest.raises(LookupError):
        await emu.click(first, label="Helpful")


async def test_a_click_reaches_the_bot_only_after_the_answer_that_made_the_message(shared: Shared) -> None:
    # discord.py keeps a view under the message id it reads from the answer to its reply; a click delivered before
    # it has read that answer would be dropped without a word (this test module used to fail that way now and then).
    emu, _ = shared
    asked = await (await emu.slash("ask", {"question": "visas"})).response()
    assert asked.message is not None and asked.message.answered is not None
    click = await emu.click(asked, label="Helpful")
    answer = asked.message.answered
    assert answer.written.is_set() and answer.written_at is not None and click.delivered_at is not None
    assert click.delivered_at >= answer.written_at + REACTION_TIME
    assert (await click.response()).content.startswith("Thanks, ")


async def test_deferred_component_update(shared: Shared) -> None:
    emu, _ = shared
    asked = await (await emu.slash("ask", {"question": "electives"})).response()
    reply = await (await emu.click(asked, custom_id="feedback:later")).response()
    assert reply.kind == "update" and reply.deferred
    original = asked.message
    assert original is not None
    await emu.wait_for_message(emu.world.channel("general"), lambda m: m is original and m.edits > 0)
    assert original.content == "Saved for later." and original.components == []


async def test_select_menu(shared: Shared) -> None:
    emu, _ = shared
    menu = await (await emu.slash("pick")).response()
    reply = await (await emu.select(menu, ["soap", "OET"])).response()
    assert reply.ephemeral and reply.content == "You picked soap, oet"
    with pytest.raises(InteractionError, match="takes 1-2 values"):
        await emu.select(menu, ["soap", "oet", "match"])


async def test_modal_from_a_command_and_from_a_button(shared: Shared) -> None:
    emu, _ = shared
    opened = await (await emu.slash("feedback")).response()
    assert opened.kind == "modal" and opened.modal is not None
    assert opened.modal.title == "What was missing?"
    assert [f.custom_id for f in opened.modal.fields] == ["details"]
    submitted = await (await emu.submit_modal(opened, {"details": "more examples"})).response()
    assert submitted.ephemeral and submitted.content == "Noted: more examples"

    asked = await (await emu.slash("ask", {"question": "oet"})).response()
    modal = await (await emu.click(asked, label="Not helpful")).response()
    done = await (await emu.submit_modal(modal, {"details": "too short"})).response()
    assert done.content == "Noted: too short"
    with pytest.raises(InteractionError, match="max_length"):
        await emu.submit_modal(modal, {"details": "x" * 501})


async def test_defer_then_edit_original_then_followup(shared: Shared) -> None:
    emu, _ = shared
    ix = await emu.slash("slow")
    reply = await ix.response()
    assert reply.kind == "deferred" and reply.content == "Working on it: done."
    followups = await ix.wait_for_followups(1)
    assert [m.content for m in ix.messages] == ["Working on it: done.", "Here is the detailed followup."]
    assert reply.message is not None and followups[-1].reference_id == reply.message.id


async def test_ephemeral_reply_is_not_in_the_channel(shared: Shared) -> None:
    emu, _ = shared
    reply = await (await emu.slash("secret")).response()
    assert reply.ephemeral and reply.content == "Only you can see this."
    general = emu.world.channel("general")
    assert reply.message not in emu.messages_in(general)
    assert reply.message in emu.messages_in(general, include_ephemeral=True)


async def test_channel_send_with_the_same_nonce_twice_creates_one_message(shared: Shared) -> None:
    emu, _ = shared
    general = emu.world.channel("general")
    before = len(emu.messages_in(general))
    ix = await emu.slash("announce", {"text": "Match Day is March 20"})
    reply = await ix.response()
    first_id, second_id = reply.content.split()[1:]
    assert first_id == second_id
    posted = [m for m in emu.messages_in(general)[before:] if m.content == "Match Day is March 20"]
    assert len(posted) == 1 and str(posted[0].id) == first_id
    assert posted[0].nonce == f"a{ix.id}"


async def test_multipart_attachments_keep_bytes_and_filenames(shared: Shared) -> None:
    emu, _ = shared
    reply = await (await emu.slash("notes")).response()
    [notes] = reply.attachments
    assert notes.filename == "soap-notes.txt"
    assert notes.text() == "SOAP: Subjective, Objective, Assessment, Plan\n"
    assert notes.content_type == "text/plain"
    chart_message = await emu.wait_for_message(
        emu.world.channel("general"), lambda m: bool(m.attachments) and m.attachments[0].filename == "chart.png"
    )
    [chart] = chart_message.attachments
    assert chart.data == b"\x89PNG fake" and chart.description == "A chart"


async def test_dm_and_a_user_who_refuses_dms(shared: Shared) -> None:
    emu, _ = shared
    alice, carol = emu.world.users["alice"], emu.world.users["carol"]
    reply = await (await emu.slash("dm", user=alice)).response()
    assert reply.content == "Check your DMs."
    assert [m.content for m in emu.dms_with(alice)] == ["Hello from the study bot!"]
    refused = await (await emu.slash("dm", user=carol)).response()
    assert refused.content == "Cannot DM you (50007)."
    assert emu.dms_with(carol) == []


async def test_slash_command_in_a_dm(shared: Shared) -> None:
    emu, _ = shared
    alice = emu.world.users["alice"]
    ix = await emu.slash("echo", {"text": "in private"}, user=alice, channel=emu.world.dm_channel_for(alice))
    assert (await ix.response()).content == "in private"
    assert ix.guild is None


async def test_errors_look_like_discords(shared: Shared) -> None:
    emu, _ = shared
    world = emu.world
    read_only = await (
        await emu.slash("post", {"channel_id": str(world.channel("read-only").id), "text": "hi"})
    ).response()
    assert read_only.content == "failed 403 50013"
    deleted = await (
        await emu.slash("post", {"channel_id": str(world.channel("old-resources").id), "text": "hi"})
    ).response()
    assert deleted.content == "failed 404 10003"
    thread = world.channel("USMLE Step 1 prep")
    assert (
        await (await emu.slash("post", {"channel_id": str(thread.id), "text": "hi"})).response()
    ).content == "posted"
    assert emu.messages_in(thread)[-1].content == "hi"


async def test_a_thread_picked_as_a_channel_option_resolves_and_takes_a_post(shared: Shared) -> None:
    emu, _ = shared
    world = emu.world
    thread, study_room = world.channel("USMLE Step 1 prep"), world.channel("study-room")
    ix = await emu.slash("postin", {"channel": thread, "text": "Tonight: renal block"})
    reply = await ix.response()
    posted = emu.messages_in(thread)[-1]
    owner = world.users["alice"].id
    assert reply.content == f"thread USMLE Step 1 prep (parent {study_room.id}, owner {owner}): posted {posted.id}"
    assert posted.content == "Tonight: renal block" and posted.channel_id == thread.id
    resolved = ix.data["resolved"]["channels"][str(thread.id)]
    assert resolved["parent_id"] == str(study_room.id) and resolved["thread_metadata"]["archived"] is False
    # What Discord sends for a thread in `resolved` is a whole ThreadResponse, with the bot's permissions in it.
    assert emu.contract.check_schema("ThreadResponse", resolved) == []
    channel_ix = await emu.slash("postin", {"channel": study_room, "text": "hi"})
    assert (await channel_ix.response()).content.startswith("channel study-room (parent ")


async def test_fetching_server_member_channel_and_roles(shared: Shared) -> None:
    emu, _ = shared
    reply = await (await emu.slash("whoami")).response()
    assert reply.content == "alice in IMG Study Hall; channel general; 4 roles"


async def test_scheduled_events(shared: Shared) -> None:
    emu, _ = shared
    reply = await (await emu.slash("schedule", {"name": "Step 1 group"})).response()
    assert reply.content == "created Step 1 group; 1 then 0"
    assert emu.stats.gateway["event:GUILD_SCHEDULED_EVENT_CREATE"] >= 1


async def test_too_long_reply_and_embeds_are_violations_naming_the_field(shared: Shared) -> None:
    emu, _ = shared
    content = await (await emu.slash("long", {"kind": "content"})).response()
    assert content.content == "rejected 400 50035"
    embeds = await (await emu.slash("long", {"kind": "embeds"})).response()
    assert embeds.content == "rejected 400 50035"
    lines = [str(v) for v in emu.violations]
    assert len(lines) == 2
    assert lines[0].startswith("POST /interactions/") and lines[0].endswith("/callback: data.content: 2001 > 2000")
    assert lines[1].endswith("/callback: data.embeds: 6001 characters in all embeds > 6000")


async def test_pings_show_what_user_text_would_notify(shared: Shared) -> None:
    emu, _ = shared
    bob = emu.world.users["bob"]
    typed = f"@everyone see {bob.mention}"
    careless = await (await emu.slash("shout", {"text": typed})).response()
    assert careless.message is not None and careless.message.allowed_mentions is None
    assert careless.message.pings == ["@everyone", f"<@{bob.id}>"]
    careful = await (await emu.slash("echo", {"text": typed})).response()
    assert careful.message is not None and careful.message.pings == []
    assert careful.message.allowed_mentions == {"parse": []}


async def test_default_member_permissions_hide_a_command_from_members(shared: Shared) -> None:
    emu, _ = shared
    admin = emu.world.users["dr_admin"]
    assert (await (await emu.slash("admin-only", user=admin)).response()).content == "Welcome, moderator."
    with pytest.raises(InteractionError, match="hides /admin-only"):
        await emu.slash("admin-only", user=emu.world.users["bob"])
    bypass = await (await emu.slash("admin-only", user=emu.world.users["bob"], force=True)).response()
    assert bypass.content == "You need Manage Server."


async def test_server_events_reach_the_bot(shared: Shared) -> None:
    emu, bot = shared
    # discord.py counts a GUILD_CREATE that arrives before on_ready (2 s after the last one) as a startup server,
    # not a join, so wait for the bot to be fully ready first.
    await bot.wait_for_output("fixture bot ready")
    world = emu.world
    hall, general = world.guild("IMG Study Hall"), world.channel("general")
    bob = world.users["bob"]
    await emu.remove_member(hall, bob)
    left = await emu.wait_for_message(general, lambda m: m.content == "bob left the server")
    assert left.pings == []
    await emu.add_member(hall, bob)

    newcomer = world.add_guild("Step 2 CK Crew", world.users["alice"], bot_joined=False)
    lounge = world.add_channel(newcomer, "lounge")
    newcomer.system_channel_id = lounge.id
    await emu.join_guild(newcomer)
    assert (await emu.wait_for_message(lounge)).content == "Hello, Step 2 CK Crew!"
    ix = await emu.slash("echo", {"text": "works here too"}, channel=lounge)
    assert (await ix.response()).content == "works here too"

    await emu.delete_role(world.role("Match 2027"))
    study_room = world.channel("study-room")
    await emu.delete_channel(study_room)
    after = await (await emu.slash("post", {"channel_id": str(study_room.id), "text": "hi"})).response()
    assert after.content == "failed 404 10003"
    await emu.leave_guild(newcomer)
    with pytest.raises(InteractionError, match="not in"):
        await emu.slash("echo", {"text": "gone"}, channel=lounge)


async def test_replies_render_as_text_for_local_mode(shared: Shared) -> None:
    emu, _ = shared
    reply = await (await emu.slash("ask", {"question": "what is soap"})).response()
    text = render_reply(reply, emu.world)
    assert text.splitlines()[0] == "[#general] img-pathway-bot:"
    assert "| Answer" in text and "[+Helpful] [Not helpful] [Later]" in text
    modal = await (await emu.slash("feedback")).response()
    assert render_reply(modal).startswith("The bot opened a form: What was missing?")
