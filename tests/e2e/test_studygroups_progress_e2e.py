"""/progress against the real bot process: your own privately with a Share button that posts it once, for the
channel and pinging nobody; another member's (``user:``) only for members of a shared group and for moderators; the
Share button still working after a restart.

The module's world: Alice (whose nickname tries to ping) and Bob check in to one group, Carol to another; Dr. Admin
(Manage Server) is in Alice's group without a check-in.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import pytest_asyncio

from discord_emulator import Emulator, InteractionError, Message, Reply, User
from discord_emulator.world import Channel
from tests.e2e.conftest import Live

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

SHARE = "Share in this channel"
REFUSED = "You can only see the progress of members of your own study groups."
NASTY_NICK = "Alice @everyone <@&1>"


async def run(
    emu: Emulator, command: str, options: dict[str, Any] | None = None, *, user: User, channel: Channel
) -> Reply:
    return await (await emu.slash(command, options, user=user, channel=channel)).response()


async def check_in(emu: Emulator, user: User, channel: Channel, values: dict[str, str], group: str) -> None:
    opened = await run(emu, "checkin", {"group": group}, user=user, channel=channel)
    assert opened.modal is not None, opened
    receipt = await (await emu.submit_modal(opened, values)).response()
    assert receipt.embeds[0]["title"] == "Check-in recorded ✅", receipt


async def group_ref(emu: Emulator, user: User, channel: Channel, typed: str) -> str:
    choices = await emu.autocomplete("studygroup join", {"group": typed}, user=user, channel=channel)
    assert choices, f"no group suggested for {typed!r}"
    return str(choices[0]["value"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def groups(live: Live) -> dict[str, str]:
    """Two groups with their members' check-ins (once per module: the bot and its database are the module's)."""
    emu = live.emu
    world = emu.world
    admin, alice, bob, carol = (world.users[n] for n in ("dr_admin", "alice", "bob", "carol"))
    general, study_room = world.channel("general"), world.channel("study-room")
    world.guild("IMG Study Hall").members[alice.id].nick = NASTY_NICK
    for name, channel in (("Cardio crew", study_room), ("Renal readers", general)):
        created = await run(
            emu, "studygroup-admin create", {"name": name, "channel": channel}, user=admin, channel=general
        )
        assert "created" in created.content, created.content
    cardio = await group_ref(emu, alice, general, "cardio")
    renal = await group_ref(emu, alice, general, "renal")
    await check_in(emu, alice, general, {"studied": "UWorld cardio", "questions": "40", "hours": "1:30"}, cardio)
    await check_in(emu, bob, general, {"studied": "Murmurs", "questions": "25"}, cardio)
    await check_in(emu, carol, general, {"studied": "Acid-base", "questions": "10"}, renal)
    joined = await run(emu, "studygroup join", {"group": cardio}, user=admin, channel=general)
    assert "You joined" in joined.content
    return {"cardio": cardio, "renal": renal}


def is_shared_progress(message: Message) -> bool:
    return bool(message.embeds) and message.embeds[0].get("title") == "Study progress"


def public_messages(emu: Emulator, channel: Channel) -> list[Message]:
    return [m for m in emu.messages_in(channel) if is_shared_progress(m)]


async def test_own_progress_is_private_and_shared_once_without_pinging(live: Live, groups: dict[str, str]) -> None:
    emu = live.emu
    world = emu.world
    alice, bob = world.users["alice"], world.users["bob"]
    general = world.channel("general")

    mine = await run(emu, "progress", user=alice, channel=general)
    assert mine.ephemeral and mine.embeds[0]["title"] == "Your study progress"
    assert "Streak: **1 day**" in mine.embeds[0]["description"]
    # One check-in: every count reads in the singular where it is one.
    own_fields = {f["name"]: f["value"] for f in mine.embeds[0]["fields"]}
    assert own_fields["Last 7 days"].startswith("1 check-in day · 40 questions · ")
    assert own_fields["All time in this server"].startswith("1 day · 40 questions · ")
    assert mine.message is not None and [b["label"] for b in mine.message.buttons] == [SHARE]
    assert mine.message.buttons[0]["custom_id"] == f"sg:share:{alice.id}"
    assert public_messages(emu, general) == []

    # Discord lets only Alice press a button of her ephemeral reply...
    with pytest.raises(InteractionError, match="only the user who received an ephemeral message"):
        await emu.click(mine, label=SHARE, user=bob)
    # ...and the bot refuses anyone else too, should the custom_id reach it some other way.
    forged = await (await emu.click(mine.message, label=SHARE, user=bob)).response()
    assert forged.ephemeral and "Only the member this belongs to can share it" in forged.content
    assert public_messages(emu, general) == []

    clicked = await emu.click(mine, label=SHARE)
    update = await clicked.response()
    # The private reply now says it was shared and has no button left to press twice.
    assert update.kind == "update" and update.content == "✅ Shared in this channel."
    assert update.message is not None and update.message.buttons == [] and update.message.ephemeral
    assert update.embeds[0]["title"] == "Your study progress"
    posted = await emu.wait_for_message(general, is_shared_progress)
    assert not posted.ephemeral and posted.channel_id == general.id
    embed = posted.embeds[0]
    assert embed["author"]["name"].startswith("Alice") and "@everyone" not in embed["author"]["name"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "40 questions" in fields["Last 7 days"] and fields["Last 30 days"].startswith("```")
    # Her time zone stays private; the shared post pings nobody.
    assert "Shared with /progress" in embed["footer"]["text"] and "UTC" not in embed["footer"]["text"]
    assert posted.pings == [] and posted.allowed_mentions is not None
    assert public_messages(emu, general) == [posted]
    with pytest.raises(LookupError, match="no component"):
        await emu.click(update, label=SHARE)
    assert public_messages(emu, general) == [posted]

    # No check-ins yet: nothing to share, so no button.
    nothing = await run(emu, "progress", user=world.users["dr_admin"], channel=general)
    assert nothing.ephemeral and nothing.message is not None and nothing.message.buttons == []


async def test_another_member_s_progress_needs_a_shared_group_or_manage_server(
    live: Live, groups: dict[str, str]
) -> None:
    emu = live.emu
    world = emu.world
    admin, alice, bob, carol = (world.users[n] for n in ("dr_admin", "alice", "bob", "carol"))
    general = world.channel("general")

    mate = await run(emu, "progress", {"user": bob}, user=alice, channel=general)
    assert mate.ephemeral and mate.message is not None and mate.message.buttons == []
    embed = mate.embeds[0]
    assert embed["author"]["name"] == "Bob" and "You are both in **Cardio crew**." in embed["description"]
    assert "25 questions" in {f["name"]: f["value"] for f in embed["fields"]}["Last 7 days"]
    assert "Only you can see this." in embed["footer"]["text"]

    refused = await run(emu, "progress", {"user": carol}, user=alice, channel=general)
    assert refused.ephemeral and refused.content.startswith(REFUSED) and not refused.embeds

    seen = await run(emu, "progress", {"user": carol}, user=admin, channel=general)
    assert seen.ephemeral and seen.embeds[0]["author"]["name"] == "Carol"
    assert "Shown because you can manage this server." in seen.embeds[0]["description"]

    empty = await run(emu, "progress", {"user": admin}, user=alice, channel=general)
    assert empty.ephemeral and "**Dr. Admin** has no study-group check-ins in this server yet." in empty.content

    robot = await run(emu, "progress", {"user": world.bot}, user=alice, channel=general)
    assert robot.ephemeral and "is a bot" in robot.content

    # Naming yourself is your own progress, with its Share button.
    own = await run(emu, "progress", {"user": alice}, user=alice, channel=general)
    assert own.embeds[0]["title"] == "Your study progress" and own.message is not None
    assert [b["label"] for b in own.message.buttons] == [SHARE]
    for message in emu.store.by_id.values():
        assert not message.pings, (message.content, message.pings)


async def test_the_share_button_works_after_a_restart(live: Live, groups: dict[str, str]) -> None:
    emu = live.emu
    world = emu.world
    bob, study_room = world.users["bob"], world.channel("study-room")
    before = await run(emu, "progress", user=bob, channel=study_room)
    # A refused check-in and /privacy's summary, to press their buttons after the restart too.
    opened = await run(emu, "checkin", {"group": groups["cardio"]}, user=bob, channel=study_room)
    refused = await (await emu.submit_modal(opened, {"studied": "Murmurs", "questions": "lots"})).response()
    privacy = await run(emu, "privacy", user=bob, channel=study_room)
    since = emu.identify_count
    await live.bot.restart()
    await emu.wait_for_identify(timeout=30, since=since)
    clicked = await emu.click(before, label=SHARE)
    assert (await clicked.response()).content == "✅ Shared in this channel."
    posted = await emu.wait_for_message(study_room, is_shared_progress)
    assert posted.embeds[0]["author"]["name"] == "Bob" and posted.channel_id == study_room.id
    assert not posted.ephemeral and posted.pings == []
    # What was typed is in the refusal itself, so Fix it still fills the form after a restart.
    reopened = await (await emu.click(refused, label="Fix it")).response()
    assert reopened.modal is not None and reopened.modal.field("questions").value == "lots"
    assert reopened.modal.field("studied").value == "Murmurs"
    details = await (await emu.click(privacy, label="Details")).response()
    assert details.ephemeral and details.embeds[0]["fields"][0]["name"] == "What I keep about you, and why"


async def test_a_share_whose_answer_is_lost_is_still_posted_once(live: Live, groups: dict[str, str]) -> None:
    # Discord makes the message but its answer is lost (502): discord.py sends again, and the nonce returns the first.
    emu = live.emu
    world = emu.world
    bob, study_room = world.users["bob"], world.channel("study-room")
    before = len(public_messages(emu, study_room))
    mine = await run(emu, "progress", user=bob, channel=study_room)
    route = f"POST /channels/{study_room.id}/messages"
    fault = emu.faults.error(route, 502, after_effect=True)
    retried = asyncio.create_task(emu.wait_for_request(route, lambda r: r.status == 200, timeout=15))
    clicked = await emu.click(mine, label=SHARE)
    assert (await clicked.response()).content == "✅ Shared in this channel."
    await retried
    assert fault.hits == 1 and emu.stats.other["nonce_deduplicated"] >= 1
    assert len(public_messages(emu, study_room)) == before + 1
