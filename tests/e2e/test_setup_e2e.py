"""/setup against the real bot process: every step through to the summary (announcements, Discord scheduled events, a
first study group, Ask the community's help channel), Back, Cancel, a channel the bot cannot write in, a form refused
and filled again, a member refused, and a second run that shows the saved settings and changes them.

Each step saves through the feature's own service, so the database rows checked here are the ones the features'
commands write (``milestone_subscriptions``, ``milestone_discord_event_settings``, ``study_groups``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from discord_emulator import Emulator, Reply
from discord_emulator.models import JsonDict
from tests.e2e.conftest import Live

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

STEP_1 = "Setup · step 1 of 4: Milestone announcements"
STEP_2 = "Setup · step 2 of 4: Discord scheduled events"
STEP_3 = "Setup · step 3 of 4: A first study group"
STEP_4 = "Setup · step 4 of 4: Ask the community"
SUMMARY = "Setup done: here is how this server is set up"


def query(live: Live, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{live.database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def components(reply: Reply) -> list[JsonDict]:
    return [c for row in reply.components for c in row.get("components", [])]


def component(reply: Reply, prefix: str) -> JsonDict:
    found = [c for c in components(reply) if str(c.get("custom_id", "")).startswith(prefix)]
    assert len(found) == 1, (prefix, [c.get("custom_id") for c in components(reply)])
    return found[0]


def defaults(select: JsonDict) -> list[tuple[int, str]]:
    return [(int(value["id"]), str(value["type"])) for value in select.get("default_values", [])]


def labelled(reply: Reply, label: str) -> JsonDict:
    found = [c for c in components(reply) if c.get("label") == label]
    assert len(found) == 1, (label, [c.get("label") for c in components(reply)])
    return found[0]


def field(reply: Reply, name: str) -> str:
    for item in reply.embeds[0].get("fields", []):
        if item["name"] == name:
            return str(item["value"])
    raise AssertionError(f"no field {name!r} in {reply.embeds[0]}")


def registered_description(emu: Emulator, path: str) -> str:
    root, *rest = path.split()
    for command in emu.commands.available_in(None):
        if command.name == root:
            spec: JsonDict = {"description": command.description, "options": command.options}
            for name in rest:
                spec = next(o for o in spec.get("options", []) if o["name"] == name)
            return str(spec["description"])
    raise AssertionError(f"/{path} is not registered")


async def click(emu: Emulator, reply: Reply, label: str) -> Reply:
    return await (await emu.click(reply, label=label)).response()


async def pick(emu: Emulator, reply: Reply, prefix: str, values: list[Any]) -> Reply:
    custom_id = str(component(reply, prefix)["custom_id"])
    return await (await emu.select(reply, values, custom_id=custom_id)).response()


async def open_setup(live: Live) -> Reply:
    emu = live.emu
    admin, general = emu.world.users["dr_admin"], emu.world.channel("general")
    reply = await (await emu.slash("setup", user=admin, channel=general)).response()
    assert reply.ephemeral and reply.embeds[0]["title"] == STEP_1
    return reply


async def test_a_member_is_refused(live: Live) -> None:
    emu = live.emu
    bob, general = emu.world.users["bob"], emu.world.channel("general")
    refused = await (await emu.slash("setup", user=bob, channel=general, force=True)).response()
    assert refused.ephemeral and "Manage Server" in refused.content and not refused.embeds


async def test_cancel_closes_the_flow_and_changes_nothing(live: Live) -> None:
    reply = await open_setup(live)
    assert "**Now:** off (not set up yet)" in reply.embeds[0]["description"]
    assert labelled(reply, "Back").get("disabled") is True, "nothing comes before step 1"
    closed = await click(live.emu, reply, "Cancel")
    assert closed.kind == "update" and "Setup closed" in closed.content
    assert not closed.embeds and not closed.components
    assert query(live, "SELECT COUNT(*) FROM milestone_subscriptions") == [(0,)]


async def test_every_step_through_to_the_summary(live: Live) -> None:
    emu = live.emu
    world = emu.world
    announcements, read_only = world.channel("announcements"), world.channel("read-only")
    study_room, role = world.channel("study-room"), world.role("Match 2027")
    admin = world.users["dr_admin"]

    reply = await open_setup(live)
    save = labelled(reply, "Save and continue")
    assert save.get("disabled") is True, "nothing to save before a channel is picked"
    assert labelled(reply, "Skip").get("disabled") is not True

    # A channel the bot cannot write in: refused at once, saying what to grant, as /announcements setup says it.
    reply = await pick(emu, reply, "su:a:ch:", [read_only])
    assert reply.kind == "update"
    refusal = field(reply, "⚠️ Not saved")
    assert "I can't post in" in refusal and "Send Messages" in refusal and "Embed Links" in refusal
    assert labelled(reply, "Save and continue").get("disabled") is True

    reply = await pick(emu, reply, "su:a:ch:", [announcements])
    assert f"**Your choice:** <#{announcements.id}>" in reply.embeds[0]["description"]
    reply = await pick(emu, reply, "su:a:ro:", [role])
    reply = await pick(emu, reply, "su:a:re:", ["7 days before, 1 day before and at the time"])
    description = reply.embeds[0]["description"]
    assert f"pinging <@&{role.id}>" in description and "7 days before, 1 day before and at the time" in description
    assert query(live, "SELECT COUNT(*) FROM milestone_subscriptions") == [(0,)], "nothing is saved before Save"

    reply = await click(emu, reply, "Save and continue")
    assert reply.embeds[0]["title"] == STEP_2
    assert f"<#{announcements.id}>" in field(reply, "✅ Saved")
    rows = query(live, "SELECT channel_id, role_id, reminders, status, configured_by FROM milestone_subscriptions")
    assert rows == [(announcements.id, role.id, "7d,1d,0", "active", admin.id)]

    # Back shows step 1 with what was just saved; Keep as is moves on without saving again.
    reply = await click(emu, reply, "Back")
    assert reply.embeds[0]["title"] == STEP_1
    assert f"**Now:** in <#{announcements.id}>" in reply.embeds[0]["description"]
    reply = await click(emu, reply, "Keep as is")
    assert reply.embeds[0]["title"] == STEP_2 and "**Now:** off" in reply.embeds[0]["description"]

    reply = await click(emu, reply, "Turn on")
    assert reply.embeds[0]["title"] == STEP_3
    assert "Match Week" in field(reply, "✅ Saved")
    assert query(live, "SELECT enabled FROM milestone_discord_event_settings") == [(1,)]

    # Step 3: the channel check of /studygroup-admin create, then its form.
    reply = await pick(emu, reply, "su:g:ch", [read_only])
    assert "I can't post prompts in" in field(reply, "⚠️ Not saved")
    reply = await pick(emu, reply, "su:g:ch", [study_room])
    opened = await (await emu.click(reply, label="Name, time and days…")).response()
    assert opened.kind == "modal" and opened.modal is not None
    assert opened.modal.field("time").value == "20:00"
    typed = {"name": "Step 2 CK evening crew", "time": "7pm", "zone": "Mars/Base", "days": "someday"}
    refused = await (await emu.submit_modal(opened, typed)).response()
    assert refused.embeds[0]["title"] == STEP_3
    # Every mistake at once, as /checkin shows them, with what was typed: one try to fix three mistakes.
    problems = field(refused, "⚠️ Not saved")
    assert "Please fix these 3 things" in problems
    assert "`7pm` is `19:00`" in problems
    assert "I don't know the time zone `Mars/Base`" in problems
    assert "I don't understand the day `someday`" in problems
    shown = {item["name"]: item["value"] for item in refused.embeds[1]["fields"]}
    assert shown == {
        "Name": "Step 2 CK evening crew",
        "⚠️ Check-in time": "7pm",
        "⚠️ Time zone": "Mars/Base",
        "⚠️ Days": "someday",
    }
    assert query(live, "SELECT COUNT(*) FROM study_groups") == [(0,)]

    # **Fix it** opens the form again with what was typed, so only the mistakes need fixing.
    again = await (await emu.click(refused, label="Fix it")).response()
    assert again.modal is not None
    assert again.modal.field("name").value == "Step 2 CK evening crew"
    assert again.modal.field("time").value == "7pm"
    assert again.modal.field("zone").value == "Mars/Base"
    assert again.modal.field("days").value == "someday"
    reply = await (
        await emu.submit_modal(again, {"time": "07:30", "zone": "Asia/Kolkata", "days": "mon-fri"})
    ).response()
    assert reply.embeds[0]["title"] == STEP_4
    groups = query(live, "SELECT name, channel_id, timezone FROM study_groups")
    assert groups == [("Step 2 CK evening crew", study_room.id, "Asia/Kolkata")]
    assert "Step 2 CK evening crew" in field(reply, "✅ Saved")

    # Step 4: Ask the community's help channel, checked and saved as /knowledge settings does it.
    assert "**Help channel:** none yet" in reply.embeds[0]["description"]
    assert labelled(reply, "Turn off").get("disabled") is True
    reply = await pick(emu, reply, "su:h:ch", [read_only])
    assert "I can't post members' questions in" in field(reply, "⚠️ Not saved")
    assert "Send Messages" in field(reply, "⚠️ Not saved")
    general = world.channel("general")
    reply = await pick(emu, reply, "su:h:ch", [general])
    assert reply.embeds[0]["title"] == STEP_4 and f"<#{general.id}>" in field(reply, "✅ Saved")
    assert query(live, "SELECT help_channel_id FROM community_settings") == [(general.id,)]
    assert defaults(component(reply, "su:h:ch")) == [(general.id, "channel")]
    summary = await click(emu, reply, "Finish")
    assert summary.embeds[0]["title"] == SUMMARY
    assert field(summary, "Ask the community") == f"<#{general.id}> (text channel with threads)"
    assert f"<#{announcements.id}>" in field(summary, "Milestone announcements")
    assert field(summary, "Discord scheduled events") == "on"
    assert "Step 2 CK evening crew" in field(summary, "Study groups")
    tries = field(summary, "Three commands members can try first").splitlines()
    assert [line.split(":", 1)[0] for line in tries] == ["`/ask`", "`/readiness start`", "`/timeline`"]
    for line, path in zip(tries, ("ask", "readiness start", "timeline"), strict=True):
        assert line.endswith(registered_description(emu, path)), "descriptions come from the registered commands"


async def test_running_it_again_shows_the_settings_and_changes_them(live: Live) -> None:
    emu = live.emu
    world = emu.world
    announcements, role = world.channel("announcements"), world.role("Match 2027")
    reply = await open_setup(live)
    description = reply.embeds[0]["description"]
    assert f"**Now:** in <#{announcements.id}>, pinging <@&{role.id}>" in description
    assert "7 days before, 1 day before and when it happens" in description
    # The menus start from the saved choices.
    assert defaults(component(reply, "su:a:ch:")) == [(announcements.id, "channel")]
    assert defaults(component(reply, "su:a:ro:")) == [(role.id, "role")]
    assert labelled(reply, "Save and continue").get("disabled") is not True

    reply = await pick(emu, reply, "su:a:ro:", [])
    reply = await pick(emu, reply, "su:a:re:", ["Only at the time"])
    reply = await click(emu, reply, "Save and continue")
    assert query(live, "SELECT channel_id, role_id, reminders FROM milestone_subscriptions") == [
        (announcements.id, None, "0")
    ]
    assert reply.embeds[0]["title"] == STEP_2 and "**Now:** on" in reply.embeds[0]["description"]
    reply = await click(emu, reply, "Turn off")
    assert reply.embeds[0]["title"] == STEP_3
    assert query(live, "SELECT enabled FROM milestone_discord_event_settings") == [(0,)]
    assert "Step 2 CK evening crew" in reply.embeds[0]["description"]

    reply = await click(emu, reply, "Next")
    general = world.channel("general")
    assert reply.embeds[0]["title"] == STEP_4 and f"**Help channel:** <#{general.id}>" in reply.embeds[0]["description"]
    summary = await click(emu, reply, "Finish")
    assert summary.embeds[0]["title"] == SUMMARY
    assert field(summary, "Discord scheduled events") == "off"
    back = await click(emu, summary, "Back")
    assert back.embeds[0]["title"] == STEP_4
    # Turn off: Ask the community has no help channel any more.
    off = await click(emu, back, "Turn off")
    assert off.embeds[0]["title"] == STEP_4 and "**Help channel:** none yet" in off.embeds[0]["description"]
    assert query(live, "SELECT COUNT(*) FROM community_settings") == [(0,)]
    back = await click(emu, off, "Back")
    assert back.embeds[0]["title"] == STEP_3
