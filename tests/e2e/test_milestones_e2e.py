"""/milestones, /announcements and /event against the real bot process: setup (and refusal), the next milestones,
the .ics calendar, previews, an event a few seconds ahead posted exactly once with the only ping allowed, and
servers whose channel, permission or role breaks: paused, the admin told by DM, other servers unaffected.

Events "a few seconds ahead" use /event add's HH:MM:SS form: the real command path, no test-only clock.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.cycle import CycleCalendar, MilestoneKind
from discord_emulator import Channel, Emulator, Overwrite, OverwriteType, Perm, Reply
from discord_emulator.local.display import TextRenderer
from tests.conftest import DATA_DIR
from tests.e2e.conftest import Live

pytestmark = pytest.mark.asyncio(loop_scope="module")

CALENDAR = CycleCalendar.from_directory(DATA_DIR / "cycles")


def query(live: Live, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{live.database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def ahead(seconds: float, zone: str = "America/New_York") -> tuple[str, str, datetime]:
    """(date, HH:MM:SS, instant) a few seconds from now in `zone`, as an admin would type them."""
    at = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    local = at.astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S"), at


def titled(title: str) -> Any:
    return lambda m: any(title in (e.get("title") or "") for e in m.embeds)


def count_titled(emu: Emulator, channel: Channel, title: str) -> int:
    return sum(1 for m in emu.messages_in(channel) if titled(title)(m))


async def reply_of(emu: Emulator, command: str, options: dict[str, Any] | None = None, **kw: Any) -> Reply:
    return await (await emu.slash(command, options, **kw)).response()


async def test_setup_is_refused_for_a_member_and_done_by_an_admin(live: Live) -> None:
    emu = live.emu
    admin, bob = emu.world.users["dr_admin"], emu.world.users["bob"]
    general, announcements = emu.world.channel("general"), emu.world.channel("announcements")
    role = emu.world.guild("IMG Study Hall").role("Match 2027")

    refused = await reply_of(
        emu, "announcements setup", {"channel": announcements}, user=bob, channel=general, force=True
    )
    assert refused.ephemeral and "Manage Server" in refused.content
    assert query(live, "SELECT COUNT(*) FROM milestone_subscriptions") == [(0,)]

    bad = await reply_of(
        emu, "announcements setup", {"channel": announcements, "reminders": "7x"}, user=admin, channel=general
    )
    assert bad.ephemeral and "`7x` is not a reminder I understand" in bad.content

    read_only = await reply_of(
        emu, "announcements setup", {"channel": emu.world.channel("read-only")}, user=admin, channel=general
    )
    assert read_only.ephemeral and "I can't post in" in read_only.content and "Send Messages" in read_only.content

    done = await reply_of(
        emu,
        "announcements setup",
        {"channel": announcements, "role": role, "reminders": "7d,1d,0"},
        user=admin,
        channel=general,
    )
    assert done.ephemeral and done.embeds[0]["title"] == "Milestone announcements are on"
    assert "7 days before, 1 day before and when it happens" in done.embeds[0]["description"]
    rows = query(live, "SELECT channel_id, role_id, reminders, status, configured_by FROM milestone_subscriptions")
    assert rows == [(announcements.id, role.id, "7d,1d,0", "active", admin.id)]

    status = await reply_of(emu, "announcements status", user=admin, channel=general)
    assert "✅ active" in status.embeds[0]["description"]
    assert any(f["name"] == "Next posts" for f in status.embeds[0]["fields"])


async def test_next_milestones_and_calendar_file_for_every_member(live: Live) -> None:
    emu = live.emu
    bob, general = emu.world.users["bob"], emu.world.channel("general")
    now = datetime.now(UTC)
    expected = CALENDAR.upcoming(now, 4)

    shown = await reply_of(emu, "milestones next", {"count": 4}, user=bob, channel=general)
    fields = shown.embeds[0]["fields"][:4]
    assert [f["name"].split(" · ")[0] for f in fields] == [m.title for m in expected]
    for field, milestone in zip(fields, expected, strict=True):
        assert ("projected" if milestone.is_projected else "official") in field["name"]
        if milestone.all_day:
            assert "<t:" not in field["value"] and str(milestone.local_date.year) in field["value"]
        else:
            stamp = int(milestone.at.timestamp())
            assert f"<t:{stamp}:F>" in field["value"] and f"<t:{stamp}:R>" in field["value"]

    file_reply = await reply_of(emu, "milestones calendar", user=bob, channel=general)
    assert file_reply.ephemeral and len(file_reply.attachments) == 1
    attachment = file_reply.attachments[0]
    assert attachment.filename.endswith(".ics")
    parsed = icalendar.Calendar.from_ical(attachment.data)
    events = [c for c in parsed.walk() if c.name == "VEVENT"]
    years = CALENDAR.active_match_years(now) or [CALENDAR.current_match_year(now)]
    assert len(events) == sum(len(CALENDAR.cycle(year)) for year in years)
    uids = {str(e["UID"]) for e in events}
    assert f"rol-deadline-{years[-1]}@cycle.img-pathway-bot.invalid" in uids


async def test_preview_is_marked_and_pings_nobody(live: Live) -> None:
    emu = live.emu
    admin, general = emu.world.users["dr_admin"], emu.world.channel("general")
    choices = await emu.autocomplete(
        "announcements preview", {"milestone": "rol deadline"}, user=admin, channel=general
    )
    assert choices and all("Rank order list (ROL) certification deadline" in c["name"] for c in choices)
    uid = choices[0]["value"]
    assert uid.startswith("rol-deadline-")

    preview = await reply_of(emu, "announcements preview", {"milestone": uid}, user=admin, channel=general)
    assert preview.ephemeral  # a look for the moderator only; it used to be posted in the channel
    embed = preview.embeds[0]
    assert embed["title"].startswith("🔍 Preview: Rank order list (ROL) certification deadline")
    assert "Preview: not posted to subscribers" in embed["footer"]["text"]
    assert any(f["name"] == "What to do now" for f in embed["fields"])
    assert preview.message is not None and preview.message.pings == []
    labels = [c.get("label") for row in preview.components for c in row.get("components", [])]
    assert any(label and label.startswith("Read: ") for label in labels)

    # An approximate milestone says so, instead of "projected: the official date may differ".
    rough = await emu.autocomplete(
        "announcements preview", {"milestone": "interview season winds"}, user=admin, channel=general
    )
    shown = await reply_of(emu, "announcements preview", {"milestone": rough[0]["value"]}, user=admin, channel=general)
    description = shown.embeds[0]["description"]
    assert (
        "(approximate)" in shown.embeds[0]["title"] and "〰️ **Approximate**: there is no official date" in description
    )
    assert "Projected" not in description
    shared = await reply_of(
        emu, "announcements preview", {"milestone": uid, "public": True}, user=admin, channel=general
    )
    assert not shared.ephemeral and shared.message is not None and shared.message.pings == []


async def test_event_dates_are_checked_and_zones_suggested(live: Live) -> None:
    emu = live.emu
    admin, bob, general = emu.world.users["dr_admin"], emu.world.users["bob"], emu.world.channel("general")
    zones = await emu.autocomplete(
        "event add",
        {"title": "x", "date": "2027-01-01", "time": "10:00", "timezone": "kolk"},
        user=admin,
        channel=general,
    )
    assert zones[0]["value"] == "Asia/Kolkata" and len(zones) <= 25

    async def add(**options: str) -> Reply:
        base = {"title": "Mock exam", "date": "2027-03-14", "time": "02:30", "timezone": "America/New_York"}
        return await reply_of(emu, "event add", base | options, user=admin, channel=general)

    assert "does not exist in America/New_York" in (await add()).content
    assert "happens twice in America/New_York" in (await add(date="2026-11-01", time="01:30")).content
    assert "has already passed" in (await add(date="2020-01-01", time="10:00")).content
    assert "Use HH:MM in 24-hour time" in (await add(time="25:00")).content
    assert "I don't know the time zone `Mars/Base`" in (await add(timezone="Mars/Base")).content
    # EST is UTC-5 all year: a July event in New York would be posted an hour late. Refused, with the city's zone.
    est = await add(date="2027-07-01", time="10:00", timezone="EST")
    assert est.ephemeral and "`EST` is an abbreviation" in est.content and "`America/New_York`?" in est.content
    fixed = await add(date="2027-07-01", time="10:00", timezone="Etc/GMT+5")
    assert "`Etc/GMT+5` is a fixed offset" in fixed.content
    assert "EST" not in [
        z["value"]
        for z in await emu.autocomplete(
            "event add",
            {"title": "x", "date": "2027-01-01", "time": "10:00", "timezone": "EST"},
            user=admin,
            channel=general,
        )
    ]
    refused = await reply_of(
        emu,
        "event add",
        {"title": "x", "date": "2027-01-01", "time": "10:00", "timezone": "UTC"},
        user=bob,
        channel=general,
        force=True,
    )
    assert "Manage Server" in refused.content
    assert query(live, "SELECT COUNT(*) FROM server_events") == [(0,)]


async def test_an_event_a_few_seconds_ahead_is_posted_once_pinging_only_the_role(live: Live) -> None:
    emu = live.emu
    admin, general = emu.world.users["dr_admin"], emu.world.channel("general")
    announcements = emu.world.channel("announcements")
    role = emu.world.guild("IMG Study Hall").role("Match 2027")
    sent_before, mark = live.bot.settled_sent(), live.bot.lines_so_far
    date, time, at = ahead(4)
    options = {
        "title": "Mock OET speaking exam",
        "date": date,
        "time": time,
        "timezone": "America/New_York",
        "description": "Bring headphones @everyone",
        "reminders": "0",
    }
    # Asked for: an event pings the announcement role only with ping: True, and the reply says so.
    added = await reply_of(emu, "event add", options | {"ping": True}, user=admin, channel=general)
    assert added.embeds[0]["title"] == "Event added: Mock OET speaking exam"
    assert f"<#{announcements.id}>" in added.embeds[0]["description"]  # the subscription's channel by default
    assert f"**Pings:** <@&{role.id}> with its reminder" in added.embeds[0]["description"]
    # The same event again (any case) is refused, naming the first: it would be announced twice.
    again = await reply_of(emu, "event add", options | {"title": "mock OET speaking exam"}, user=admin, channel=general)
    assert (
        again.ephemeral and "already has “Mock OET speaking exam”" in again.content and "/event edit" in again.content
    )

    posted = await emu.wait_for_message(announcements, titled("Mock OET speaking exam"), timeout=15)
    await live.bot.wait_for_output(r"announcements due .*: 1 posted", timeout=10)
    # Nothing in flight and no retry pending: a second copy could not come later than this.
    await live.bot.wait_settled(sent_at_least=sent_before + 1, after=mark)
    assert posted.created_at >= at - timedelta(seconds=1)
    embed = posted.embeds[0]
    assert embed["title"] == "📣 Starting now: Mock OET speaking exam"
    assert f"<t:{int(at.timestamp())}:F>" in embed["description"]
    assert posted.pings == [f"<@&{role.id}>"]  # the configured role, and never the @everyone in the text
    assert count_titled(emu, announcements, "Mock OET speaking exam") == 1
    rows = query(live, "SELECT status, late, message_id FROM deliveries WHERE target_kind = 'event'")
    assert rows == [("sent", 0, posted.id)]


async def test_pause_holds_the_servers_events_too_and_the_status_says_so(live: Live) -> None:
    emu = live.emu
    admin, general = emu.world.users["dr_admin"], emu.world.channel("general")
    announcements = emu.world.channel("announcements")
    owls = emu.world.guild("Night Owls Study Group")
    night_admin, lobby = emu.world.users["night_admin"], emu.world.channel("lobby", owls)
    paused = await reply_of(emu, "announcements pause", user=admin, channel=general)
    assert paused.ephemeral and "none of this server's events" in paused.content
    sent_before, mark = live.bot.settled_sent(), live.bot.lines_so_far
    date, time, _ = ahead(6, "UTC")
    base = {"date": date, "time": time, "timezone": "UTC", "reminders": "0"}
    held = await reply_of(
        emu, "event add", base | {"title": "Held hall quiz", "ping": True}, user=admin, channel=general
    )
    assert "Announcements are paused here" in held.embeds[0]["description"]
    status = await reply_of(emu, "announcements status", user=admin, channel=general)
    next_posts = next(f for f in status.embeds[0]["fields"] if f["name"] == "Next posts")
    assert next_posts["value"].startswith("None while paused")  # it used to list the event, which then went out
    # Another server's event at the same second: the runner's count for that instant shows the held one is not posted.
    await reply_of(emu, "event add", base | {"title": "Owls quiz"}, user=night_admin, channel=lobby)
    await emu.wait_for_message(lobby, titled("Owls quiz"), timeout=15)
    await live.bot.wait_for_output(r"announcements due .*: 1 posted", timeout=10, after=mark)
    await live.bot.wait_settled(sent_at_least=sent_before + 1, after=mark)
    assert count_titled(emu, announcements, "Held hall quiz") == 0
    resumed = await reply_of(emu, "announcements resume", user=admin, channel=general)
    assert resumed.embeds[0]["title"] == "Milestone announcements are on"
    assert count_titled(emu, announcements, "Held hall quiz") == 0  # what fell due while paused is skipped


async def test_broken_channel_permission_and_role_pause_one_server_and_tell_its_admin(live: Live) -> None:
    emu, world = live.emu, live.emu.world
    admin, night_admin = world.users["dr_admin"], world.users["night_admin"]
    hall, owls = world.guild("IMG Study Hall"), world.guild("Night Owls Study Group")
    general, lobby = world.channel("general"), world.channel("lobby", owls)
    cycle_dates = await emu.create_channel(hall, "cycle-dates")
    await reply_of(emu, "announcements setup", {"channel": cycle_dates}, user=admin, channel=general)
    await reply_of(emu, "announcements setup", {"channel": lobby}, user=night_admin, channel=lobby)

    date, time, _ = ahead(4, "UTC")
    for user, channel, title in ((admin, general, "Hall webinar"), (night_admin, lobby, "Owls webinar")):
        options = {"title": title, "date": date, "time": time, "timezone": "UTC", "reminders": "0"}
        assert (
            "Event added" in (await reply_of(emu, "event add", options, user=user, channel=channel)).embeds[0]["title"]
        )
    # An admin takes Send Messages away from the bot in #cycle-dates; the bot is not told (no gateway event).
    deny = Overwrite(world.bot.id, OverwriteType.MEMBER, deny=int(Perm.SEND_MESSAGES))
    cycle_dates.overwrites.append(deny)

    def dm_saying(text: str) -> Any:
        return lambda m: text in m.content

    await emu.wait_for_message(lobby, titled("Owls webinar"), timeout=15)  # the other server is unaffected
    told = await emu.wait_for_message(world.dm_channel_for(admin), dm_saying("I can no longer post in"), timeout=10)
    assert "IMG Study Hall" in told.content and "/announcements resume" in told.content and told.pings == []
    assert "Hall webinar" in told.content
    assert count_titled(emu, cycle_dates, "Hall webinar") == 0
    status = await reply_of(emu, "announcements status", user=admin, channel=general)
    assert "⏸️ Paused: I can't post in the channel" in status.embeds[0]["description"]

    cycle_dates.overwrites.remove(deny)  # fixed
    resumed = await reply_of(emu, "announcements resume", user=admin, channel=general)
    assert resumed.embeds[0]["title"] == "Milestone announcements are on"

    await emu.delete_channel(cycle_dates)
    gone = await emu.wait_for_message(world.dm_channel_for(admin), dm_saying("was deleted"), timeout=10)
    assert "/announcements setup channel:" in gone.content
    assert query(live, "SELECT status, paused_reason FROM milestone_subscriptions WHERE guild_id = ?", hall.id) == [
        ("paused", "channel-gone")
    ]

    role = hall.role("Match 2027")
    await reply_of(
        emu,
        "announcements setup",
        {"channel": world.channel("announcements"), "role": role},
        user=admin,
        channel=general,
    )
    await emu.delete_role(role)
    await emu.wait_for_message(world.dm_channel_for(admin), dm_saying("the role I pinged was deleted"), timeout=10)
    assert query(live, "SELECT paused_reason FROM milestone_subscriptions WHERE guild_id = ?", hall.id) == [
        ("role-gone",)
    ]
    assert query(live, "SELECT status FROM milestone_subscriptions WHERE guild_id = ?", owls.id) == [("active",)]
    assert live.bot.returncode is None


async def test_events_are_listed_and_removed(live: Live) -> None:
    emu = live.emu
    owls = emu.world.guild("Night Owls Study Group")
    night_admin, lobby = emu.world.users["night_admin"], emu.world.channel("lobby", owls)
    options = {"title": "Match Day watch party", "date": "2027-03-19", "time": "11:30", "timezone": "America/Chicago"}
    await reply_of(emu, "event add", options, user=night_admin, channel=lobby)
    listed = await reply_of(emu, "event list", user=night_admin, channel=lobby)
    assert [f["name"] for f in listed.embeds[0]["fields"]] == ["Match Day watch party"]
    choices = await emu.autocomplete("event remove", {"event": "watch"}, user=night_admin, channel=lobby)
    assert [c["name"] for c in choices] == ["Match Day watch party (2027-03-19 11:30 America/Chicago)"]
    removed = await reply_of(emu, "event remove", {"event": choices[0]["value"]}, user=night_admin, channel=lobby)
    assert "Removed “Match Day watch party”" in removed.content
    empty = (await reply_of(emu, "event list", user=night_admin, channel=lobby)).embeds[0]
    assert "fields" not in empty and "No upcoming events" in empty["description"]


async def test_mentions_in_an_event_title_are_neutralised_in_the_posted_headline(live: Live) -> None:
    emu = live.emu
    owls = emu.world.guild("Night Owls Study Group")
    night_admin, lobby = emu.world.users["night_admin"], emu.world.channel("lobby", owls)
    date, time, _ = ahead(3, "UTC")
    options = {"title": "@everyone <@123> <@&456> study night", "date": date, "time": time, "timezone": "UTC"}
    added = await reply_of(emu, "event add", options | {"reminders": "0"}, user=night_admin, channel=lobby)
    assert "Event added" in added.embeds[0]["title"]
    posted = await emu.wait_for_message(lobby, titled("study night"), timeout=15)
    shown = TextRenderer(emu.world).plain(posted.embeds[0]["title"])
    # It used to read "Starting now: @everyone @unknown-user @deleted-role study night".
    assert "@unknown-user" not in shown and "@deleted-role" not in shown
    assert "<@123>" in shown and "<@&456>" in shown and "@everyone" in shown  # shown as typed, as text
    assert posted.pings == []


async def test_an_edited_event_is_checked_like_a_new_one_and_announced_once_at_its_new_time(live: Live) -> None:
    emu = live.emu
    owls = emu.world.guild("Night Owls Study Group")
    night_admin, bob, lobby = emu.world.users["night_admin"], emu.world.users["bob"], emu.world.channel("lobby", owls)
    later = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%d")
    options = {"title": "Owls mock exam", "date": later, "time": "18:00", "timezone": "Africa/Lagos", "reminders": "0"}
    await reply_of(emu, "event add", options, user=night_admin, channel=lobby)
    choices = await emu.autocomplete("event edit", {"event": "owls mock"}, user=night_admin, channel=lobby)
    assert [c["name"] for c in choices] == [f"Owls mock exam ({later} 18:00 Africa/Lagos)"]
    ref = choices[0]["value"]

    refused = await reply_of(emu, "event edit", {"event": ref, "title": "x"}, user=bob, channel=lobby, force=True)
    assert refused.ephemeral and "Manage Server" in refused.content
    est = await reply_of(emu, "event edit", {"event": ref, "timezone": "EST"}, user=night_admin, channel=lobby)
    assert "`EST` is an abbreviation" in est.content and "`America/New_York`?" in est.content
    empty = await reply_of(emu, "event edit", {"event": ref}, user=night_admin, channel=lobby)
    assert empty.ephemeral and "Say what to change" in empty.content
    zones = await emu.autocomplete("event edit", {"event": ref, "timezone": "lago"}, user=night_admin, channel=lobby)
    assert zones[0]["value"] == "Africa/Lagos"

    date, time, at = ahead(3, "UTC")
    changes = {"event": ref, "title": "Owls mock OET exam", "date": date, "time": time, "timezone": "UTC"}
    mark = live.bot.lines_so_far
    edited = await reply_of(emu, "event edit", changes, user=night_admin, channel=lobby)
    embed = edited.embeds[0]
    assert edited.ephemeral and embed["title"] == "Event updated: Owls mock OET exam"
    assert "Changed: the title, the time and the time zone." in embed["description"]
    assert (
        f"<t:{int(at.timestamp())}:F>" in embed["description"]
        and "**Still to come:** when it happens" in embed["description"]
    )
    posted = await emu.wait_for_message(lobby, titled("Owls mock OET exam"), timeout=15)
    await live.bot.wait_settled(after=mark)  # nothing else in flight or waiting for a retry: the count is final
    assert posted.embeds[0]["title"] == "📣 Starting now: Owls mock OET exam"
    assert posted.created_at >= at - timedelta(seconds=1)
    assert count_titled(emu, lobby, "Owls mock") == 1
    rows = query(live, "SELECT COUNT(*) FROM deliveries WHERE target_kind = 'event' AND target_ref = ?", ref)
    assert rows == [(1,)]


async def test_the_nrmp_registration_deadline_is_a_milestone_in_next_calendar_and_announcements(live: Live) -> None:
    emu = live.emu
    admin, bob, general = emu.world.users["dr_admin"], emu.world.users["bob"], emu.world.channel("general")
    now = datetime.now(UTC)
    years = CALENDAR.active_match_years(now) or [CALENDAR.current_match_year(now)]

    # /milestones next: listed (as a date, all day, marked projected) whenever it is among the next ten.
    shown = await reply_of(emu, "milestones next", {"count": 10, "private": True}, user=bob, channel=general)
    expected = CALENDAR.upcoming(now, 10)
    names = [f["name"] for f in shown.embeds[0]["fields"][: len(expected)]]
    assert names == [
        f"{m.title} · Match {m.match_year} · {'projected' if m.is_projected else 'official'}" for m in expected
    ]
    for field, milestone in zip(shown.embeds[0]["fields"], expected, strict=False):
        if milestone.uid.startswith("nrmp-registration-deadline-"):
            assert field["name"].startswith("NRMP standard registration deadline · Match ")
            assert field["value"].startswith("Friday, January ") and field["value"].endswith("(all day)")

    # The .ics export: one all-day event per cycle in progress, on the last Friday of January.
    file_reply = await reply_of(emu, "milestones calendar", user=bob, channel=general)
    parsed = icalendar.Calendar.from_ical(file_reply.attachments[0].data)
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    for year in years:
        deadline = CALENDAR.get(year, MilestoneKind.NRMP_REGISTRATION_DEADLINE)
        assert deadline is not None
        event = events[f"nrmp-registration-deadline-{year}@cycle.img-pathway-bot.invalid"]
        start = event.decoded("DTSTART")
        assert start == deadline.local_date and start.month == 1 and start.weekday() == 4
        assert str(event["SUMMARY"]) == f"NRMP standard registration deadline, Match {year} (projected)"
        assert "late fee" in str(event["DESCRIPTION"])

    # Announced like the others: what subscribers would get, with its checklist and its entry one click away.
    choices = await emu.autocomplete(
        "announcements preview", {"milestone": "registration deadline"}, user=admin, channel=general
    )
    assert choices and all(c["name"].startswith("NRMP standard registration deadline (Match ") for c in choices)
    uid = choices[0]["value"]
    assert uid.startswith("nrmp-registration-deadline-")
    preview = await reply_of(emu, "announcements preview", {"milestone": uid}, user=admin, channel=general)
    assert preview.ephemeral  # a look for the moderator only; it used to be posted in the channel
    embed = preview.embeds[0]
    assert embed["title"].startswith("🔍 Preview: NRMP standard registration deadline (Match ")
    todo = next(f for f in embed["fields"] if f["name"] == "What to do now")["value"]
    assert "late fee" in todo and "rank order list deadline" in todo
    buttons = [c for row in preview.components for c in row.get("components", [])]
    assert [b.get("custom_id") for b in buttons] == ["kb:open:nrmp-registration"]
    assert str(buttons[0].get("label", "")).startswith("Read: ")
    assert preview.message is not None and preview.message.pings == []
