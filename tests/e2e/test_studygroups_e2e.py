"""Study groups, /checkin, /progress, /settings, /privacy and /mydata against the real bot process."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

import pytest

from bot.privacy import DEFAULT_BACKUPS, privacy_sections
from bot.studygroups.models import DEFAULT_RETENTION_DAYS
from discord_emulator import Emulator, InteractionError, Overwrite, OverwriteType, Perm, Reply, User
from discord_emulator.world import Channel
from tests.e2e.conftest import Live
from tests.e2e.mydata import delete_everything

pytestmark = pytest.mark.asyncio(loop_scope="module")

GROUP = "Step 2 CK evening crew"


def query(live: Live, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{live.database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


async def run(
    emu: Emulator, command: str, options: dict[str, Any] | None = None, *, user: User, channel: Channel, **kw: Any
) -> Reply:
    return await (await emu.slash(command, options, user=user, channel=channel, **kw)).response()


async def check_in(emu: Emulator, user: User, channel: Channel, values: dict[str, str], **options: Any) -> Reply:
    opened = await run(emu, "checkin", options or None, user=user, channel=channel)
    assert opened.kind == "modal" and opened.modal is not None, opened
    return await (await emu.submit_modal(opened, values)).response()


async def group_id(emu: Emulator, user: User, channel: Channel, typed: str) -> str:
    choices = await emu.autocomplete("studygroup join", {"group": typed}, user=user, channel=channel)
    assert choices, f"no group suggested for {typed!r}"
    return str(choices[0]["value"])


async def test_create_join_check_in_and_progress(live: Live) -> None:
    emu = live.emu
    world = emu.world
    admin, alice, bob = world.users["dr_admin"], world.users["alice"], world.users["bob"]
    general, study_room = world.channel("general"), world.channel("study-room")

    # Managing groups is declared for Manage Channels and checked again at run time.
    denied = await run(
        emu, "studygroup-admin create", {"name": GROUP, "channel": study_room}, user=bob, channel=general, force=True
    )
    assert "Manage Channels" in denied.content and denied.ephemeral

    zones = await emu.autocomplete(
        "studygroup-admin create", {"name": GROUP, "timezone": "kolk"}, user=admin, channel=general
    )
    assert "Asia/Kolkata" in [c["value"] for c in zones]

    created = await run(
        emu,
        "studygroup-admin create",
        {"name": GROUP, "channel": study_room, "checkin_time": "20:00", "timezone": "Asia/Kolkata", "days": "mon-fri"},
        user=admin,
        channel=general,
    )
    assert created.ephemeral and "created" in created.content and "20:00" in created.content, created.content
    assert "<t:" in created.content
    again = await run(emu, "studygroup-admin create", {"name": GROUP, "channel": general}, user=admin, channel=general)
    assert "already a group called" in again.content
    bad_time = await run(
        emu,
        "studygroup-admin create",
        {"name": "Night", "channel": general, "checkin_time": "8pm"},
        user=admin,
        channel=general,
    )
    assert "`20:00`" in bad_time.content

    listed = await run(emu, "studygroup list", user=alice, channel=general)
    assert listed.ephemeral and [f["name"] for f in listed.embeds[0]["fields"]] == [GROUP]

    # Before joining, /checkin says how to join.
    lost = await run(emu, "checkin", user=bob, channel=general)
    assert "not in a study group" in lost.content and lost.kind == "message"

    ref = await group_id(emu, alice, general, "step 2")
    joined = await run(emu, "studygroup join", {"group": ref}, user=alice, channel=general)
    assert "You joined" in joined.content
    twice = await run(emu, "studygroup join", {"group": ref}, user=alice, channel=general)
    assert "already in" in twice.content

    suggested = await emu.autocomplete("settings", {"timezone": "kolkata"}, user=alice, channel=general)
    assert suggested and suggested[0]["value"] == "Asia/Kolkata"
    unknown = await run(emu, "settings", {"timezone": "Mars/Olympus"}, user=alice, channel=general)
    assert unknown.ephemeral and "Mars/Olympus" in unknown.content
    # The same zone check as /event add: an abbreviation is refused with the city's zone to pick.
    abbreviation = await run(emu, "settings", {"timezone": "IST"}, user=alice, channel=general)
    assert "`IST` is an abbreviation" in abbreviation.content and "`Asia/Kolkata`" in abbreviation.content
    settings = await run(emu, "settings", {"timezone": "Asia/Kolkata"}, user=alice, channel=general)
    assert settings.ephemeral and "Asia/Kolkata" in settings.content

    # Numbers that are not: every problem in one private message, with what was typed; nothing is stored.
    typed = {"studied": "UWorld cardio block", "questions": "forty", "percent": "172", "hours": "1:30"}
    wrong = await check_in(emu, alice, general, typed)
    assert wrong.ephemeral and wrong.content.startswith("**Your check-in was not saved.** Please fix these 2 things:")
    assert "Questions done: a whole number" in wrong.content and "Percent correct: a number" in wrong.content
    shown = {f["name"]: f["value"] for f in wrong.embeds[0]["fields"]}
    assert shown == {
        "What you studied": "UWorld cardio block",
        "⚠️ Questions done": "forty",
        "⚠️ Percent correct": "172",
        "Hours studied": "1:30",
    }
    assert query(live, "SELECT COUNT(*) FROM study_checkins WHERE user_id = ?", alice.id) == [(0,)]

    # Fix it opens the form again with what was typed (Discord cannot answer a form with another form).
    reopened = await (await emu.click(wrong, label="Fix it")).response()
    assert reopened.kind == "modal" and reopened.modal is not None
    assert {f.custom_id: f.value for f in reopened.modal.fields} == {
        "studied": "UWorld cardio block",
        "questions": "forty",
        "percent": "172",
        "hours": "1:30",
        "blockers": None,
    }
    # Still wrong: the same message says so again, not a second one.
    again = await (await emu.submit_modal(reopened, {"questions": "40", "percent": "1,5,0"})).response()
    assert again.kind == "update" and again.message is not None and again.message.id == wrong.message.id  # type: ignore[union-attr]
    assert "Please fix this:" in again.content and "Percent correct" in again.content
    reopened = await (await emu.click(again, label="Fix it")).response()
    assert reopened.modal is not None and reopened.modal.field("questions").value == "40"
    # A fraction as a calculator shows it is asked about, not stored as 1 %.
    fraction = await (await emu.submit_modal(reopened, {"percent": "0,5"})).response()
    assert "Percent correct: `0,5` is less than 1 %. For 50 %, type `50`" in fraction.content, fraction.content
    assert query(live, "SELECT COUNT(*) FROM study_checkins WHERE user_id = ?", alice.id) == [(0,)]
    reopened = await (await emu.click(fraction, label="Fix it")).response()
    assert reopened.modal is not None and reopened.modal.field("percent").value == "0,5"
    receipt = await (await emu.submit_modal(reopened, {"percent": "72%"})).response()
    assert receipt.kind == "update" and receipt.ephemeral and receipt.embeds[0]["title"] == "Check-in recorded ✅"
    assert receipt.content == "" and receipt.message is not None and receipt.message.buttons == []
    assert "Streak: **1 day**" in receipt.embeds[0]["description"]
    assert "40 questions · 72% correct · 1.5 h" in receipt.embeds[0]["fields"][0]["value"]

    # A second check-in today pre-fills the modal and replaces the first.
    opened = await run(emu, "checkin", {"group": ref}, user=alice, channel=general)
    assert opened.modal is not None and opened.modal.field("studied").value == "UWorld cardio block"
    updated = await (
        await emu.submit_modal(opened, {"studied": "UWorld cardio block + renal", "questions": "60"})
    ).response()
    assert updated.embeds[0]["title"] == "Check-in updated ✅"
    # Fields left as pre-filled keep their values.
    assert opened.modal.field("hours").value == "1.5" and opened.modal.field("percent").value == "72"
    rows = query(
        live, "SELECT studied, questions, percent_correct, minutes FROM study_checkins WHERE user_id = ?", alice.id
    )
    assert rows == [("UWorld cardio block + renal", 60, 72, 90)]

    progress = await run(emu, "progress", user=alice, channel=general)
    embed = progress.embeds[0]
    assert progress.ephemeral and "Streak: **1 day**" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "60 questions" in fields["Last 7 days"] and fields["Last 30 days"].startswith("```")
    assert "Asia/Kolkata" in embed["footer"]["text"]

    info = await run(emu, "studygroup info", {"group": ref}, user=bob, channel=general)
    info_fields = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}
    assert info_fields["Members (1)"] == f"<@{alice.id}>"
    assert info_fields["Prompts"] == "weekdays at 20:00 (Asia/Kolkata)"

    left = await run(emu, "studygroup leave", {"group": ref}, user=alice, channel=general)
    assert "You left" in left.content
    not_in = await run(emu, "studygroup leave", {"group": ref}, user=alice, channel=general)
    assert "You are not in" in not_in.content


async def test_privacy_export_and_delete_leave_nothing(live: Live) -> None:
    emu = live.emu
    world = emu.world
    admin, carol = world.users["dr_admin"], world.users["carol"]
    general = world.channel("general")

    # A summary that fits a phone screen, and the whole text behind Details: nothing said before is lost.
    privacy = await run(emu, "privacy", user=carol, channel=general)
    assert privacy.ephemeral and privacy.message is not None
    summary = privacy.embeds[0]
    assert summary["title"] == "Privacy: what this bot keeps about you" and "fields" not in summary
    assert len(summary["title"]) + len(summary["description"]) + len(summary["footer"]["text"]) <= 1500
    assert "**What I keep:**" in summary["description"] and "`/mydata delete`" in summary["description"]
    assert [b["label"] for b in privacy.message.buttons] == ["Details"]
    details = await (await emu.click(privacy, label="Details")).response()
    assert details.kind == "message" and details.ephemeral
    # In a server, with its retention (the default here) and the bot's backup settings (the defaults too).
    assert [(f["name"], f["value"]) for f in details.embeds[0]["fields"]] == list(
        privacy_sections(DEFAULT_RETENTION_DAYS, DEFAULT_BACKUPS)
    )

    # In a DM there is no server: the default period is stated, in the summary and in the details.
    dm = world.dm_channel_for(carol)
    private = await run(emu, "privacy", user=carol, channel=dm)
    assert "30 days unless it changed it" in private.embeds[0]["description"]
    details = await (await emu.click(private, label="Details")).response()
    assert [(f["name"], f["value"]) for f in details.embeds[0]["fields"]] == list(privacy_sections(None))

    created = await run(
        emu, "studygroup-admin create", {"name": "General crew", "channel": general}, user=admin, channel=general
    )
    assert "created" in created.content
    await run(emu, "settings", {"timezone": "Europe/Berlin"}, user=carol, channel=general)
    # No group given: the group posting in this channel.
    receipt = await check_in(emu, carol, general, {"studied": "Pathoma chapter 3", "blockers": "Too tired"})
    assert "You joined" in receipt.embeds[0]["fields"][-1]["value"]

    exported = await run(emu, "mydata export", user=carol, channel=general)
    assert exported.ephemeral and len(exported.attachments) == 1
    data = json.loads(exported.attachments[0].data)
    assert data["user_id"] == str(carol.id)
    assert "Pathoma chapter 3" in json.dumps(data["study_groups"])
    # Discord ids are strings (numbers above 2**53 are rounded by JavaScript's JSON), like user_id.
    check_in_row = data["study_groups"]["studygroup_checkins"][0]
    assert check_in_row["server_id"] == str(world.guild("IMG Study Hall").id)
    assert not [n for n in re.findall(r'"(\w+)": (-?\d+)', exported.attachments[0].data.decode()) if int(n[1]) >= 2**53]

    asked = await run(emu, "mydata delete", user=carol, channel=general)
    assert asked.ephemeral and "cannot be undone" in asked.content
    kept = await (await emu.click(asked, label="Keep my data")).response()
    assert kept.content == "Nothing was deleted."
    assert query(live, "SELECT COUNT(*) FROM study_checkins WHERE user_id = ?", carol.id) == [(1,)]

    asked = await run(emu, "mydata delete", user=carol, channel=general)
    done = await delete_everything(emu, asked, carol)
    assert done.content.startswith("Deleted: ") and "study-group check-in" in done.content, done.content

    # Nothing of hers remains anywhere: every column of every table of the bot's database file.
    needle = str(carol.id)
    found = []
    with sqlite3.connect(f"file:{live.database}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                if any(needle in str(value) for value in row):
                    found.append((table, row))
    assert len(tables) > 5
    assert not found, found


async def test_a_channel_the_bot_cannot_post_in_is_refused_with_the_fix(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    admin, general = world.users["dr_admin"], world.channel("general")
    hall = world.guild("IMG Study Hall")
    locked = await emu.create_channel(hall, "quiet-library")
    # A moderator takes Send Messages away from the bot there; Discord tells the bot (CHANNEL_UPDATE).
    locked.overwrites.append(Overwrite(world.bot.id, OverwriteType.MEMBER, deny=int(Perm.SEND_MESSAGES)))
    await emu.update_channel(locked)  # sent on the gateway before the command below, as on Discord
    groups_before = query(live, "SELECT COUNT(*) FROM study_groups")

    refused = await run(
        emu, "studygroup-admin create", {"name": "Library crew", "channel": locked}, user=admin, channel=general
    )
    # Without Send Messages, Discord also withholds Embed Links there (discord.py computes the same).
    assert refused.ephemeral and "I can't post prompts in" in refused.content
    assert "**Send Messages, Embed Links**" in refused.content
    assert "Give my role these permissions" in refused.content and refused.message is not None
    assert refused.message.pings == []
    assert query(live, "SELECT COUNT(*) FROM study_groups") == groups_before


async def test_a_group_name_is_limited_to_50_characters_by_the_option_itself(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    admin, general = world.users["dr_admin"], world.channel("general")
    hall = world.guild("IMG Study Hall")
    room = await emu.create_channel(hall, "long-names")
    # The option used to allow 100 characters, and then the bot refused anything over 50.
    with pytest.raises(InteractionError, match=r"'name': length 92 outside 1-50"):
        await emu.slash("studygroup-admin create", {"name": "N" * 92, "channel": room}, user=admin, channel=general)
    created = await run(
        emu, "studygroup-admin create", {"name": "L" * 50, "channel": room}, user=admin, channel=general
    )
    assert "created" in created.content
    ref = await group_id(emu, admin, general, "L" * 50)
    with pytest.raises(InteractionError, match=r"'name': length 51 outside 1-50"):
        await emu.slash("studygroup-admin edit", {"group": ref, "name": "E" * 51}, user=admin, channel=general)


async def test_an_archived_group_is_brought_back_by_a_moderator(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    admin, alice, bob = world.users["dr_admin"], world.users["alice"], world.users["bob"]
    general, hall = world.channel("general"), world.guild("IMG Study Hall")
    room = await emu.create_channel(hall, "comeback-room")
    await run(emu, "studygroup-admin create", {"name": "Comeback crew", "channel": room}, user=admin, channel=general)
    ref = await group_id(emu, alice, general, "comeback")
    await run(emu, "studygroup join", {"group": ref}, user=alice, channel=general)
    await run(emu, "studygroup-admin archive", {"group": ref}, user=admin, channel=general)
    assert await emu.autocomplete("studygroup join", {"group": "comeback"}, user=alice, channel=general) == []
    twice = await run(emu, "studygroup-admin archive", {"group": ref}, user=admin, channel=general)
    assert twice.ephemeral and "**Comeback crew** is already archived since " in twice.content, twice.content
    assert "`/studygroup-admin unarchive` brings it back" in twice.content
    # A member checking in to it is told what to do instead: the open groups, or a moderator.
    closed = await run(emu, "checkin", {"group": ref}, user=alice, channel=general)
    assert closed.ephemeral and closed.modal is None, closed
    assert "**Comeback crew** is archived, so it takes no check-ins" in closed.content, closed.content
    assert "ask a moderator to bring **Comeback crew** back" in closed.content

    choices = await emu.autocomplete("studygroup-admin unarchive", {"group": "comeb"}, user=admin, channel=general)
    assert [c["value"] for c in choices] == [ref] and choices[0]["name"].startswith("Comeback crew (archived ")
    # Declared for Manage Channels and checked again at run time, like the other /studygroup-admin commands.
    denied = await run(emu, "studygroup-admin unarchive", {"group": ref}, user=bob, channel=general, force=True)
    assert denied.ephemeral and "Manage Channels" in denied.content
    assert query(live, "SELECT archived_at IS NOT NULL FROM study_groups WHERE id = ?", int(ref)) == [(1,)]

    back = await run(emu, "studygroup-admin unarchive", {"group": ref}, user=admin, channel=general)
    assert back.ephemeral and "**Comeback crew** is back in" in back.content
    assert f"<#{room.id}>" in back.content and "Its 1 member is in it again" in back.content
    assert query(live, "SELECT archived_at FROM study_groups WHERE id = ?", int(ref)) == [(None,)]
    listed = await run(emu, "studygroup list", user=alice, channel=general)
    assert any(f["name"] == "Comeback crew" and "you are in it" in f["value"] for f in listed.embeds[0]["fields"])
    again = await run(emu, "studygroup-admin unarchive", {"group": ref}, user=admin, channel=general)
    # The service names the group and its channel; the screen shows the name in bold and the channel as a link.
    assert again.content == f"**Comeback crew** is not archived: it is running in <#{room.id}>.", again.content


async def test_two_members_checking_in_to_one_group_at_once_each_save_their_own(live: Live) -> None:
    # discord.py keeps an open form by its custom_id alone and forgets it on submit: if both members' forms had the
    # group's id only, the first submit would drop the other's form and their answer would be lost.
    emu, world = live.emu, live.emu.world
    admin, alice, bob = world.users["dr_admin"], world.users["alice"], world.users["bob"]
    general, hall = world.channel("general"), world.guild("IMG Study Hall")
    room = await emu.create_channel(hall, "side-by-side-room")
    await run(emu, "studygroup-admin create", {"name": "Side by side", "channel": room}, user=admin, channel=general)
    ref = await group_id(emu, alice, general, "side by")
    for member in (alice, bob):
        await run(emu, "studygroup join", {"group": ref}, user=member, channel=general)

    alice_form = await run(emu, "checkin", {"group": ref}, user=alice, channel=general)
    bob_form = await run(emu, "checkin", {"group": ref}, user=bob, channel=general)
    assert alice_form.modal is not None and bob_form.modal is not None
    assert alice_form.modal.custom_id != bob_form.modal.custom_id
    # Sent in the other order than opened: the first to open sends last.
    bob_saved = await (await emu.submit_modal(bob_form, {"studied": "Bob's renal block"})).response()
    alice_saved = await (await emu.submit_modal(alice_form, {"studied": "Alice's cardio block"})).response()
    for saved in (bob_saved, alice_saved):
        assert saved.embeds and saved.embeds[0]["title"] == "Check-in recorded ✅", saved
    rows = query(live, "SELECT user_id, studied FROM study_checkins WHERE group_id = ? ORDER BY user_id", int(ref))
    assert rows == sorted([(alice.id, "Alice's cardio block"), (bob.id, "Bob's renal block")])
