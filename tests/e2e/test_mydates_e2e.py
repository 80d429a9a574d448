"""/mydates against the real bot process: add (and its refusals), list, remove, the .ics, reminders by DM exactly
once across a crash and a restart, a reminder sent late marked late and one beyond the grace skipped, a member whose
DMs are closed paused and told once, and the exams line of a study group's weekly recap (opt-in, named on request).

Reminders a few seconds ahead go through the real command (``time`` takes HH:MM:SS). What real time cannot reach in
a test (downtime of minutes or hours, the end of a week) is reached by starting the bot with its clock moved
(``IMGBOT_TEST_CLOCK_OFFSET_SECONDS``, ``bot.scheduling.clock``); everything else runs as in production.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.mydates.reminders import PAUSED
from bot.scheduling import CRASH_AFTER_SEND_ENV, TEST_CLOCK_OFFSET_ENV
from bot.studygroups.models import Schedule
from bot.studygroups.schedule import IsoWeek, recap_instant
from bot.text import would_ping
from discord_emulator import Channel, Emulator, Message, Reply, User, World
from tests.e2e.conftest import Live, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

ZONE = "Asia/Kolkata"
"""Half an hour off UTC: a time "in the zone given" that was really converted shows."""


def query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def local(at: datetime, zone: str = ZONE) -> dict[str, str]:
    """The ``date`` and ``time`` options of an instant, as a member in ``zone`` types them (seconds included)."""
    moment = at.astimezone(ZoneInfo(zone))
    return {"date": f"{moment:%Y-%m-%d}", "time": f"{moment:%H:%M:%S}", "timezone": zone}


def ahead(seconds: float, offset: float = 0.0) -> datetime:
    """The instant ``seconds`` from now as the bot sees it (its clock moved by ``offset``), whole seconds."""
    return (datetime.now(UTC) + timedelta(seconds=seconds + offset)).replace(microsecond=0)


def offset_env(seconds: float) -> dict[str, str]:
    return {TEST_CLOCK_OFFSET_ENV: f"{seconds:.3f}"}


def stamp(moment: datetime, style: str) -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


async def run(emu: Emulator, command: str, options: dict[str, Any] | None, *, user: User, channel: Channel) -> Reply:
    return await (await emu.slash(command, options, user=user, channel=channel)).response()


def reminder_of(name: str) -> Any:
    return lambda m: any(name in (e.get("title") or "") for e in m.embeds)


def texts(message: Message) -> list[str]:
    found = [message.content]
    for embed in message.embeds:
        found += [embed.get("title") or "", embed.get("description") or "", (embed.get("footer") or {}).get("text", "")]
        found += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return found


# -- the module's bot, on real time ------------------------------------------------------------------------------


async def test_add_list_remove_and_calendar(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    alice, bob, general = world.users["alice"], world.users["bob"], world.channel("general")
    exam_at = ahead(30 * 86400).replace(hour=3, minute=30, second=0)  # 09:00 in Kolkata

    zones = await emu.autocomplete(
        "mydates add", {"kind": "oet", "date": "2027-01-01", "time": "09:00", "timezone": "kolk"}, user=alice
    )
    assert zones[0]["value"] == ZONE and len(zones) <= 25

    async def add(**options: str) -> Reply:
        base = {"kind": "step2ck"} | local(exam_at)
        return await run(emu, "mydates add", base | options, user=alice, channel=general)

    # Refusals: short, private, saying how to fix it.
    for options, expected in (
        ({"kind": "custom"}, "A custom date needs a title, e.g. `title: Mock OET speaking`."),
        ({"date": "2020-01-01", "time": "09:00"}, "2020-01-01 09:00 in Asia/Kolkata has already passed"),
        ({"time": "9am"}, "Use HH:MM in 24-hour time"),
        ({"timezone": "EST"}, "Did you mean `America/New_York`?"),
        ({"reminders": "soon"}, "Or `none` for no reminders."),
    ):
        refused = await add(**options)
        assert refused.ephemeral and expected in refused.content, (options, refused.content)
    assert query(live.database, "SELECT COUNT(*) FROM my_dates") == [(0,)]

    saved = await add(time="09:00")
    assert saved.ephemeral and saved.content == ""
    embed = saved.embeds[0]
    assert embed["title"] == "Saved: 🩺 Step 2 CK exam"
    assert (
        embed["description"]
        == f"{stamp(exam_at, 'F')} ({stamp(exam_at, 'R')})\nYou gave: {local(exam_at)['date']} 09:00 {ZONE}"
    )
    [reminders] = embed["fields"]
    assert reminders["value"].startswith("By DM, 7 days before, 1 day before and 2 hours before.")
    assert "Adding a date with reminders is how you ask me for these DMs" in reminders["value"]

    mock_at = exam_at - timedelta(days=10)
    pinging = await add(kind="custom", title=f"Mock <@{bob.id}> @everyone", reminders="none", **local(mock_at))
    assert pinging.message is not None and pinging.message.pings == []
    assert not any(would_ping(text) for text in texts(pinging.message))
    assert "None: you asked for no reminders." in pinging.embeds[0]["fields"][0]["value"]
    assert query(live.database, "SELECT kind, reminders FROM my_dates WHERE user_id = ? ORDER BY id", alice.id) == [
        ("step2ck", "7d,1d,2h"),
        ("custom", ""),
    ]

    # Listed privately, soonest first, as Discord timestamps; also in a DM with the bot.
    for channel in (general, world.dm_channel_for(alice)):
        listed = await run(emu, "mydates list", None, user=alice, channel=channel)
        assert listed.ephemeral or channel.is_dm
        lines = listed.embeds[0]["description"].splitlines()
        assert len(lines) == 2 and lines[0].startswith("📌 **Mock") and "🔕 no reminders" in lines[0]
        assert lines[1] == f"🩺 **Step 2 CK exam** · {stamp(exam_at, 'F')} ({stamp(exam_at, 'R')}) · 🔔 7d,1d,2h"
    assert "No dates yet" in (await run(emu, "mydates list", None, user=bob, channel=general)).embeds[0]["description"]

    # The calendar file, privately.
    file_reply = await run(emu, "mydates calendar", None, user=alice, channel=general)
    assert file_reply.ephemeral and [a.filename for a in file_reply.attachments] == ["my-dates.ics"]
    events = icalendar.Calendar.from_ical(file_reply.attachments[0].data).walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in events)[1] == "Step 2 CK exam"
    assert {e.decoded("DTSTART") for e in events} == {exam_at, mock_at}

    # Removed by picking it as you type; Bob's autocomplete never shows Alice's dates.
    choices = await emu.autocomplete("mydates remove", {"date": "mock"}, user=alice, channel=general)
    assert len(choices) == 1 and choices[0]["name"].startswith("Mock")
    assert await emu.autocomplete("mydates remove", {"date": ""}, user=bob, channel=general) == []
    removed = await run(emu, "mydates remove", {"date": choices[0]["value"]}, user=alice, channel=general)
    assert removed.ephemeral and removed.content.startswith("Removed **Mock")
    again = await run(emu, "mydates remove", {"date": choices[0]["value"]}, user=alice, channel=general)
    assert "Pick it from the list as you type" in again.content
    assert query(live.database, "SELECT kind FROM my_dates WHERE user_id = ?", alice.id) == [("step2ck",)]

    # Sharing in recaps is set per server, so not from a DM.
    in_dm = await run(emu, "mydates share-in-recaps", {"share": "on"}, user=alice, channel=world.dm_channel_for(alice))
    assert "it is set for each server" in in_dm.content
    shared = await run(emu, "mydates share-in-recaps", {"share": "on"}, user=alice, channel=general)
    assert shared.ephemeral and "without naming you" in shared.content
    hall = world.guild("IMG Study Hall")
    assert query(live.database, "SELECT guild_id, named FROM my_dates_sharing") == [(hall.id, 0)]
    off = await run(emu, "mydates share-in-recaps", {"share": "off"}, user=alice, channel=general)
    assert "do not count you" in off.content and query(live.database, "SELECT * FROM my_dates_sharing") == []


# -- reminders: bots of their own, restarted -------------------------------------------------------------------


async def test_a_reminder_dm_is_delivered_exactly_once_across_a_crash_and_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        alice, general = emu.world.users["alice"], emu.world.channel("general")
        alice_dms = emu.world.dm_channel_for(alice)
        # The bot dies right after the DM went out and before it recorded it.
        async with running_bot(emu, database, name="crashing", **{CRASH_AFTER_SEND_ENV: "1"}) as crashing:
            interview_at = ahead(2 * 3600 + 4)
            options = {"kind": "interview", "title": "Mayo Clinic IM", "reminders": "2h"} | local(interview_at)
            saved = await run(emu, "mydates add", options, user=alice, channel=general)
            assert saved.embeds[0]["fields"][0]["value"].startswith("By DM, 2 hours before.")
            assert await crashing.wait_exit(timeout=15) == 9
        first = await emu.wait_for_message(alice_dms, reminder_of("Interview: Mayo Clinic IM"), timeout=1)
        assert query(database, "SELECT status, message_id FROM deliveries") == [("claimed", None)]

        # Back three minutes later (as the bot sees it): longer than Discord remembers a nonce, so the bot reads the
        # DMs, finds its reminder by the `ref` in the footer, and records it instead of sending it again.
        async with running_bot(emu, database, name="recovered", **offset_env(180)) as bot:
            await bot.wait_for_output(r"date reminders start-up: 1 posted \(0 late, 1 recovered\)", timeout=15)
            await bot.wait_settled(sent_at_least=1)  # counted below: no retry may still be pending
        # And a plain restart finds nothing left to send.
        async with running_bot(emu, database, name="again") as bot:
            await bot.wait_for_output(r"date reminders start-up: 0 posted \(0 late, 0 recovered\)", timeout=15)
        assert [m.id for m in emu.dms_with(alice)] == [first.id]
        assert emu.stats.other["nonce_deduplicated"] == 0  # not resent at all
        assert query(database, "SELECT status, late, message_id, target_ref FROM deliveries") == [
            ("sent", 0, first.id, str(alice.id))
        ]
        embed = first.embeds[0]
        assert embed["title"] == "🤝 Interview: Mayo Clinic IM: in 2 hours"
        assert f"is {stamp(interview_at, 'R')}: {stamp(interview_at, 'F')}." in embed["description"]
        assert "Sent late" not in embed["description"] and first.pings == []
        emu.assert_clean()


async def test_a_reminder_missed_while_stopped_is_sent_late_within_the_grace_and_skipped_beyond(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        bob, general = emu.world.users["bob"], emu.world.channel("general")
        async with running_bot(emu, database, name="before"):
            exam_at = ahead(2 * 3600 + 5)
            await run(
                emu, "mydates add", {"kind": "oet", "reminders": "2h"} | local(exam_at), user=bob, channel=general
            )
            visa_at = ahead(2 * 3600 + 30 * 60)
            options = {"kind": "visa", "reminders": "2h"} | local(visa_at)
            await run(emu, "mydates add", options, user=bob, channel=general)
        due = exam_at - timedelta(hours=2)
        assert datetime.now(UTC) < due, "the bot must be down before the reminder is due"

        # Started again three minutes after the reminder's time (as the bot sees it): within the grace, and more
        # than the two minutes after which a message says it is late.
        async with running_bot(emu, database, name="after", **offset_env(180)) as bot:
            late = await emu.wait_for_message(emu.world.dm_channel_for(bob), reminder_of("OET exam"), timeout=15)
            await bot.wait_for_output(r"date reminders start-up: 1 posted \(1 late, 0 recovered\)", timeout=10)
            await bot.wait_settled(sent_at_least=1)
        assert f"*Sent late: this reminder was due {stamp(due, 'f')}.*" in late.embeds[0]["description"]

        # Started again seven hours after the visa appointment's reminder: beyond the six hours of grace, skipped.
        beyond = (visa_at - timedelta(hours=2) - datetime.now(UTC) + timedelta(hours=7)).total_seconds()
        async with running_bot(emu, database, name="much later", **offset_env(beyond)) as bot:
            await bot.wait_for_output(r"date reminders start-up: 0 posted .* 1 skipped", timeout=15)
        assert len(emu.dms_with(bob)) == 1
        assert query(database, "SELECT status, late, reason FROM deliveries ORDER BY fire_at") == [
            ("sent", 1, None),
            ("skipped", 1, "beyond-grace"),
        ]
        emu.assert_clean()


async def test_a_member_whose_dms_are_closed_is_told_once_and_paused_until_they_use_mydates(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        carol, general = emu.world.users["carol"], emu.world.channel("general")  # Carol does not accept DMs
        async with running_bot(emu, database, name="refused") as bot:
            exam_at = ahead(2 * 3600 + 4)
            options = {"kind": "step2ck", "reminders": "2h,1h"} | local(exam_at)
            await run(emu, "mydates add", options, user=carol, channel=general)
            await bot.wait_for_output(r"could not DM a date reminder \(no-permission: 50007", timeout=15)
            await bot.wait_settled()
        assert query(database, "SELECT user_id, about FROM my_dates_dm_pauses") == [(carol.id, "Step 2 CK exam")]

        # An hour later (as the bot sees it) the next reminder is due: not even tried while she is paused.
        last = emu.requests[-1].seq
        async with running_bot(emu, database, name="paused", **offset_env(3600 + 10)) as bot:
            await bot.wait_for_output(r"date reminders start-up: 0 posted .* 1 skipped", timeout=15)
            sent = [r for r in emu.requests if r.seq > last and r.route == "POST /channels/{channel_id}/messages"]
            assert sent == []
            assert query(database, "SELECT status, reason FROM deliveries ORDER BY fire_at") == [
                ("failed", "no-permission: 50007 Cannot send messages to this user"),
                ("skipped", PAUSED),
            ]
            # She uses /mydates: told once (privately), and her reminders are back on.
            told = await run(emu, "mydates list", None, user=carol, channel=general)
            assert told.ephemeral and told.content.startswith("⚠️ On <t:")
            assert "I could not DM you a reminder (Step 2 CK exam)" in told.content
            assert "they are back on now that you used /mydates" in told.content
            assert told.embeds[0]["title"] == "Your dates"
            again = await run(emu, "mydates list", None, user=carol, channel=general)
            assert again.content == ""
            assert query(database, "SELECT COUNT(*) FROM my_dates_dm_pauses") == [(0,)]
        emu.assert_clean()


# -- the weekly recap --------------------------------------------------------------------------------------------


async def test_the_weekly_recap_counts_exams_of_members_who_opted_in_and_names_only_who_asked(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    # Mondays at 07:00, so the recap is due on Sunday at 20:00 (the group's zone) with no prompt in between.
    schedule = Schedule(time(7, 0), ZONE, frozenset({0}))
    week = IsoWeek.of(datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()).next()
    recap_at = recap_instant(schedule, week)
    exam_at = (recap_at + timedelta(days=5)).replace(second=0)
    async with Emulator(World.default()) as emu:
        world = emu.world
        study_room = world.channel("study-room")
        alice, bob, carol = world.users["alice"], world.users["bob"], world.users["carol"]
        saturday = (recap_at - timedelta(hours=20) - datetime.now(UTC)).total_seconds()
        async with running_bot(emu, database, name="saturday", **offset_env(saturday)):
            created = await run(
                emu,
                "studygroup-admin create",
                {"name": "Exam crew", "channel": study_room, "checkin_time": "07:00", "days": "mon", "timezone": ZONE},
                user=world.users["dr_admin"],
                channel=world.channel("general"),
            )
            assert "created" in created.content, created.content
            for user in (alice, bob):
                joined = await run(emu, "studygroup join", {"group": "Exam crew"}, user=user, channel=study_room)
                assert "You joined" in joined.content, joined.content
            opened = await run(emu, "checkin", None, user=alice, channel=study_room)
            assert opened.modal is not None, opened
            receipt = await (await emu.submit_modal(opened, {"studied": "OET reading", "questions": "20"})).response()
            assert receipt.embeds[0]["title"] == "Check-in recorded ✅"
            # Alice shares and asks to be named; Bob shares without his name; Carol (not in the group) shares too.
            for user, options in ((alice, {"named": True}), (bob, {}), (carol, {"named": True})):
                shared = await run(
                    emu, "mydates share-in-recaps", {"share": "on"} | options, user=user, channel=study_room
                )
                assert "Done: in this server" in shared.content, shared.content
                added = await run(
                    emu,
                    "mydates add",
                    {"kind": "oet", "reminders": "none"} | local(exam_at),
                    user=user,
                    channel=study_room,
                )
                assert added.embeds[0]["title"] == "Saved: 🗣️ OET exam", added.content

        sunday = (recap_at - timedelta(seconds=3) - datetime.now(UTC)).total_seconds()
        async with running_bot(emu, database, name="sunday", **offset_env(sunday)) as bot:
            recap = await emu.wait_for_message(
                study_room, lambda m: any(e.get("title") == "Weekly recap: Exam crew" for e in m.embeds), timeout=20
            )
            await bot.wait_for_output(r"study-group deliveries .*: 1 posted", timeout=10)
        fields = {f["name"]: f["value"] for f in recap.embeds[0]["fields"]}
        assert fields["📅 Exams ahead"] == f"2 members have an exam in the next 14 days. Good luck, <@{alice.id}>!"
        assert str(bob.id) not in " ".join(texts(recap)) and str(carol.id) not in " ".join(texts(recap))
        assert recap.pings == []  # names shown as mentions, and nobody notified
        emu.assert_clean()
