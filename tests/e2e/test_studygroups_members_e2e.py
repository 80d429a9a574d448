"""Members leaving and coming back, the server's retention, and streak nudges by DM, against the real bot process.

The nudge test needs a streak that breaks tonight: a check-in two days ago, none since. Days cannot be made in the
past through the real commands, so the first bot runs with the study groups' clock two days back
(``IMGBOT_TEST_CLOCK_OFFSET_SECONDS``, bot/scheduling/clock.py) while the members check in through the modal, and
the next bot runs on the real clock. "Evening" is reached by giving the members a time zone in which it is now
between 21:00 and 23:00, so the nudge is due at once, when the restarted bot catches up.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import zoneinfo
from pathlib import Path
from typing import Any

import pytest

from bot.privacy import PRIVACY_SECTIONS
from bot.scheduling import TEST_CLOCK_OFFSET_ENV
from bot.studygroups.streaks import NUDGE_LOCAL_TIME
from bot.zones import ZoneError, resolve_zone
from discord_emulator import Emulator, Reply, User, World
from discord_emulator.world import Channel
from tests.e2e.conftest import Live, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

# City zones covering every whole-hour offset from UTC-11 to UTC+14 in every season (Gambier and Abidjan have no
# daylight saving): at any moment one of them is in its evening.
CITY_ZONES = (
    "Pacific/Pago_Pago",
    "Pacific/Honolulu",
    "Pacific/Gambier",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Halifax",
    "America/Sao_Paulo",
    "America/Noronha",
    "Atlantic/Cape_Verde",
    "Africa/Abidjan",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Athens",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "Pacific/Noumea",
    "Pacific/Fiji",
    "Pacific/Tongatapu",
    "Pacific/Kiritimati",
)


def evening_zone(now: dt.datetime) -> str:
    """A zone where it is now between the nudge time and an hour later, so a nudge is due for an hour or more."""
    start = dt.datetime.combine(dt.date.min, NUDGE_LOCAL_TIME)
    for zone in CITY_ZONES:
        local = now.astimezone(zoneinfo.ZoneInfo(zone))
        wall = dt.datetime.combine(dt.date.min, local.time())
        if start + dt.timedelta(minutes=1) <= wall < start + dt.timedelta(hours=1, minutes=1):
            try:
                return resolve_zone(zone, now)
            except ZoneError:
                continue
    raise AssertionError(f"no zone in CITY_ZONES is in its evening at {now.isoformat()}")


def query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


async def run(
    emu: Emulator, command: str, options: dict[str, Any] | None = None, *, user: User, channel: Channel, **kw: Any
) -> Reply:
    return await (await emu.slash(command, options, user=user, channel=channel, **kw)).response()


async def check_in(emu: Emulator, user: User, channel: Channel, studied: str) -> Reply:
    opened = await run(emu, "checkin", user=user, channel=channel)
    assert opened.kind == "modal" and opened.modal is not None, opened
    return await (await emu.submit_modal(opened, {"studied": studied})).response()


def assert_contract_clean(emu: Emulator) -> None:
    problems = [str(v) for v in emu.violations] + [f"not emulated: {u}" for u in emu.unhandled]
    assert not problems, "Discord contract problems:\n  " + "\n  ".join(problems)


# -- members leaving and coming back (the module's shared bot) -----------------------------------------------


async def test_a_member_leaving_ends_their_groups_and_coming_back_cancels_the_deletion(live: Live) -> None:
    emu = live.emu
    world = emu.world
    admin, bob = world.users["dr_admin"], world.users["bob"]
    hall, study_room = world.guild("IMG Study Hall"), world.channel("study-room")
    created = await run(
        emu, "studygroup-admin create", {"name": "Leavers", "channel": study_room}, user=admin, channel=study_room
    )
    assert "created" in created.content, created.content
    receipt = await check_in(emu, bob, study_room, "Sketchy micro, bugs 1-20")
    assert receipt.embeds[0]["title"] == "Check-in recorded ✅"

    await emu.remove_member(hall, bob)
    await live.bot.wait_for_output(rf"a member left server {hall.id}; 1 study group memberships ended", timeout=15)
    assert query(live.database, "SELECT left_reason FROM study_group_members WHERE user_id = ?", bob.id) == [
        ("left_server",)
    ]
    assert query(live.database, "SELECT COUNT(*) FROM study_departures WHERE user_id = ?", bob.id) == [(1,)]
    info = await run(emu, "studygroup info", {"group": "Leavers"}, user=admin, channel=study_room)
    assert "Members (0)" in [f["name"] for f in info.embeds[0]["fields"]]
    # Their data waits for the retention period; nothing is deleted yet.
    assert query(live.database, "SELECT COUNT(*) FROM study_checkins WHERE user_id = ?", bob.id) == [(1,)]

    await emu.add_member(hall, bob)
    await live.bot.wait_for_output(
        rf"a member came back to server {hall.id}; deletion of their data cancelled, 1 memberships restored",
        timeout=15,
    )
    assert query(live.database, "SELECT COUNT(*) FROM study_departures WHERE user_id = ?", bob.id) == [(0,)]
    assert query(live.database, "SELECT left_at FROM study_group_members WHERE user_id = ?", bob.id) == [(None,)]
    info = await run(emu, "studygroup info", {"group": "Leavers"}, user=admin, channel=study_room)
    fields = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}
    assert fields["Members (1)"] == f"<@{bob.id}>"


async def test_retention_is_set_by_manage_server_only_and_privacy_states_it(live: Live) -> None:
    emu = live.emu
    world = emu.world
    admin, alice = world.users["dr_admin"], world.users["alice"]
    hall, general = world.guild("IMG Study Hall"), world.channel("general")

    # Hidden from members (default_permissions), and refused at run time if they get to it anyway.
    denied = await run(emu, "studygroup-retention set", {"days": 1}, user=alice, channel=general, force=True)
    assert denied.ephemeral and "Manage Server" in denied.content, denied.content
    assert query(live.database, "SELECT COUNT(*) FROM study_guild_settings") == [(0,)]

    shown = await run(emu, "studygroup-retention show", user=admin, channel=general)
    assert shown.ephemeral and "**30 days**" in shown.content
    saved = await run(emu, "studygroup-retention set", {"days": 7}, user=admin, channel=general)
    assert saved.ephemeral and "7 days after they leave" in saved.content, saved.content
    assert query(live.database, "SELECT retention_days FROM study_guild_settings WHERE guild_id = ?", hall.id) == [(7,)]

    privacy = await run(emu, "privacy", user=alice, channel=general)
    assert "deleted after 7 days (this server's setting)" in privacy.embeds[0]["description"]
    details = await (await emu.click(privacy, label="Details")).response()
    fields = {f["name"]: f["value"] for f in details.embeds[0]["fields"]}
    assert list(fields) == [title for title, _ in PRIVACY_SECTIONS]
    assert "this server's retention period: **7 days**" in fields["How long"]
    assert "Streak reminders" in fields["What I keep about you, and why"]


DM_HELP = (
    "I can only DM you if you allow direct messages from members of a server we share "
    "(Discord: User Settings › Privacy & Safety). If I can't reach you, I switch reminders off; `/settings` shows "
    "whether they are on."
)
NO_GROUP = "You are not in a study group yet, so there is no streak to remind you of."


async def test_settings_without_options_shows_them_and_nudges_need_a_zone(live: Live) -> None:
    emu = live.emu
    world = emu.world
    bob, general = world.users["bob"], world.channel("general")  # in a study group since the test above
    nothing = await run(emu, "settings", user=bob, channel=general)
    assert nothing.ephemeral and nothing.content.splitlines() == [
        "Your settings, the same in every server:",
        "- Time zone: not set: your days count in each group's time zone. Set yours with `/settings timezone:`.",
        "- Streak reminders: **off**. Turn them on with `/settings nudges: on`.",
    ]
    assert query(live.database, "SELECT COUNT(*) FROM study_member_settings WHERE user_id = ?", bob.id) == [(0,)]
    no_zone = await run(emu, "settings", {"nudges": "on"}, user=bob, channel=general)
    assert no_zone.ephemeral and "`/settings timezone: nudges: on`" in no_zone.content
    both = await run(emu, "settings", {"timezone": "Europe/Berlin", "nudges": "on"}, user=bob, channel=general)
    assert "Europe/Berlin" in both.content and "Streak reminders are **on**" in both.content
    assert DM_HELP in both.content and "this server's members" not in both.content and NO_GROUP not in both.content
    shown = await run(emu, "settings", user=bob, channel=general)
    assert "- Time zone: **Europe/Berlin**: your check-ins count for your day there." in shown.content.splitlines()
    assert (
        f"- Streak reminders: **on**: when your streak would break tonight, I DM you once at {NUDGE_LOCAL_TIME:%H:%M}"
        in shown.content
    )
    off = await run(emu, "settings", {"nudges": "off"}, user=bob, channel=general)
    assert "Streak reminders are **off**" in off.content
    assert query(live.database, "SELECT timezone, nudge FROM study_member_settings WHERE user_id = ?", bob.id) == [
        ("Europe/Berlin", 0)
    ]


async def test_settings_in_a_dm_for_a_member_of_no_study_group(live: Live) -> None:
    emu = live.emu
    night_admin = emu.world.users["night_admin"]  # in no study group anywhere
    dms = emu.world.dm_channel_for(night_admin)
    on = await run(emu, "settings", {"timezone": "Asia/Tokyo", "nudges": "on"}, user=night_admin, channel=dms)
    assert on.ephemeral and DM_HELP in on.content and on.content.endswith(NO_GROUP), on.content
    shown = await run(emu, "settings", user=night_admin, channel=dms)
    assert "**Asia/Tokyo**" in shown.content and "- Streak reminders: **on**" in shown.content
    assert shown.content.endswith(NO_GROUP)


# -- streak nudges, and the retention purge at start-up (bots of their own, restarted) ----------------------


async def test_a_nudge_dm_arrives_once_for_a_member_who_opted_in_and_whose_streak_is_at_risk(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    zone = evening_zone(dt.datetime.now(dt.UTC))
    async with Emulator(World.default()) as emu:
        world = emu.world
        admin, alice, bob, carol = (world.users[n] for n in ("dr_admin", "alice", "bob", "carol"))
        hall, general = world.guild("IMG Study Hall"), world.channel("general")
        alice_dms, bob_dms = world.dm_channel_for(alice), world.dm_channel_for(bob)

        # Two days ago: Alice and Carol ask for nudges, Bob does not; all three check in.
        async with running_bot(emu, database, **{TEST_CLOCK_OFFSET_ENV: str(-2 * 86400)}):
            created = await run(
                emu,
                "studygroup-admin create",
                {"name": "Evening crew", "channel": general},
                user=admin,
                channel=general,
            )
            assert "created" in created.content, created.content
            for user, nudges in ((alice, "on"), (bob, None), (carol, "on")):
                options = {"timezone": zone} | ({"nudges": nudges} if nudges else {})
                saved = await run(emu, "settings", options, user=user, channel=general)
                assert zone in saved.content, saved.content
                receipt = await check_in(emu, user, general, f"First Aid cardio ({user.username})")
                assert "Streak: **1 day**" in receipt.embeds[0]["description"]
        assert query(database, "SELECT DISTINCT local_date FROM study_checkins") == [
            ((dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).astimezone(zoneinfo.ZoneInfo(zone)).date().isoformat(),)
        ]

        # Today, in their evening, nobody has checked in since: the start-up catch-up sends the nudges.
        async with running_bot(emu, database) as bot:
            dm = await emu.wait_for_message(alice_dms, timeout=30)
            await bot.wait_for_output(r"streak nudges \(start-up\): 2 due, 1 sent, 1 failed", timeout=30)
            embed = dm.embeds[0]
            assert embed["title"] == "Your study streak needs today's check-in"
            assert "**1 day** in IMG Study Hall" in embed["description"]
            assert "/settings nudges: off" in embed["footer"]["text"]
            [button] = [c for row in dm.components for c in row["components"]]
            assert button["style"] == 5 and button["url"] == f"https://discord.com/channels/{hall.id}/{general.id}"
            assert button["label"] == "Check in: Evening crew"
            assert dm.pings == []
            # Bob did not ask; Carol does not accept DMs, so hers are now off instead of retried, and /settings
            # tells her why.
            assert emu.messages_in(bob_dms) == []
            assert query(database, "SELECT user_id, nudge FROM study_member_settings ORDER BY user_id") == sorted(
                [(alice.id, 1), (bob.id, 0), (carol.id, 0)]
            )
            shown = await run(emu, "settings", user=carol, channel=general)
            reminders = next(line for line in shown.content.splitlines() if line.startswith("- Streak reminders:"))
            assert reminders.startswith("- Streak reminders: **off**: I switched them off <t:"), reminders
            assert "because I could not DM you. I can only DM you if you allow direct messages" in reminders
            assert reminders.endswith("Then turn them on again with `/settings nudges: on`.")
            assert "switched them off" not in (await run(emu, "settings", user=bob, channel=general)).content
            assert sorted(
                query(database, "SELECT target_ref, status FROM deliveries WHERE target_kind = 'studygroup-nudge'")
            ) == sorted([(str(alice.id), "sent"), (str(carol.id), "failed")])

            # Bob leaves the server, and the server keeps leavers' data for 0 days.
            saved = await run(emu, "studygroup-retention set", {"days": 0}, user=admin, channel=general)
            assert "next hourly clean-up" in saved.content
            await emu.remove_member(hall, bob)
            await bot.wait_for_output(rf"a member left server {hall.id}; 1 study group memberships ended", timeout=15)

        # A restart the same evening: Alice's nudge is not sent again, and the start-up purge deletes Bob's data.
        async with running_bot(emu, database) as bot:
            await bot.wait_for_output(r"streak nudges \(start-up\): 1 due, 0 sent, 0 failed", timeout=30)
            await bot.wait_for_output(r"purged study-group data of 1 members who left", timeout=30)
            assert len(emu.messages_in(alice_dms)) == 1
            for table in ("study_checkins", "study_group_members", "study_member_settings", "study_departures"):
                assert query(database, f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", bob.id) == [(0,)], table
            assert query(database, "SELECT COUNT(*) FROM study_checkins WHERE user_id = ?", alice.id) == [(1,)]
        assert_contract_clean(emu)


# -- leaving, coming back, and removing the bot while it is offline (the member check after ready) ---------------


async def test_departures_returns_and_removals_while_the_bot_is_offline_are_noticed_after_start(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        world = emu.world
        admin, night_admin = world.users["dr_admin"], world.users["night_admin"]
        alice, bob, carol = world.users["alice"], world.users["bob"], world.users["carol"]
        hall, owls = world.guild("IMG Study Hall"), world.guild("Night Owls Study Group")
        general, lobby = world.channel("general"), world.channel("lobby")

        async with running_bot(emu, database) as bot:
            for guild_admin, channel in ((admin, general), (night_admin, lobby)):
                created = await run(
                    emu,
                    "studygroup-admin create",
                    {"name": "Crew", "channel": channel},
                    user=guild_admin,
                    channel=channel,
                )
                assert "created" in created.content, created.content
            for user in (alice, bob, carol):
                receipt = await check_in(emu, user, general, f"Pathoma ch. 3 ({user.username})")
                assert receipt.embeds[0]["title"] == "Check-in recorded ✅"
            joined = await run(emu, "studygroup join", {"group": "Crew"}, user=alice, channel=lobby)
            assert "You joined" in joined.content, joined.content
            # Carol leaves while the bot is online: the member event records it.
            await emu.remove_member(hall, carol)
            await bot.wait_for_output(rf"a member left server {hall.id}; 1 study group memberships ended", timeout=15)

        # The bot is down: Bob leaves the hall, Carol comes back, and the Night Owls remove the bot. The events go
        # to a session nobody resumes (the next bot identifies afresh), as with Discord.
        await emu.remove_member(hall, bob)
        await emu.add_member(hall, carol)
        await emu.leave_guild(owls)
        assert query(database, "SELECT COUNT(*) FROM study_departures WHERE user_id = ?", bob.id) == [(0,)]

        async with running_bot(emu, database) as bot:
            # The hall's three members in one request; two leavers: Bob, and Alice along with the Night Owls.
            await bot.wait_for_output(
                r"member check \(start-up\): 2 servers, 3 members asked about in 1 lookups, 2 left while I was "
                r"offline, 1 came back, 1 servers I am no longer in, 0 servers skipped",
                timeout=30,
            )
            # Answered by the gateway's member request (no REST fallback, no member list downloaded).
            assert "asking REST" not in bot.output
            assert query(database, "SELECT left_reason FROM study_group_members WHERE user_id = ?", bob.id) == [
                ("left_server",)
            ]
            assert sorted(query(database, "SELECT guild_id, user_id FROM study_departures")) == sorted(
                [(hall.id, bob.id), (owls.id, alice.id)]
            )
            # Carol has her group back; Bob's and Alice's (Night Owls) data waits for the retention period.
            assert query(
                database,
                "SELECT left_at FROM study_group_members WHERE user_id = ? AND guild_id = ?",
                carol.id,
                hall.id,
            ) == [(None,)]
            assert query(database, "SELECT COUNT(*) FROM study_checkins WHERE user_id = ?", bob.id) == [(1,)]
            info = await run(emu, "studygroup info", {"group": "Crew"}, user=admin, channel=general)
            fields = {f["name"]: f["value"] for f in info.embeds[0]["fields"]}
            assert fields["Members (2)"] == f"<@{alice.id}> <@{carol.id}>"
        assert_contract_clean(emu)


async def test_without_the_members_intent_the_member_check_asks_rest(tmp_path: Path) -> None:
    # MEMBERS_INTENT=false (a bot not yet approved for the privileged intent): no leave events and no gateway member
    # requests, so the check after start-up asks REST member by member.
    database = tmp_path / "bot.sqlite3"
    async with Emulator(World.default()) as emu:
        world = emu.world
        admin, alice, bob = world.users["dr_admin"], world.users["alice"], world.users["bob"]
        hall, general = world.guild("IMG Study Hall"), world.channel("general")
        async with running_bot(emu, database, MEMBERS_INTENT="false"):
            created = await run(
                emu, "studygroup-admin create", {"name": "Crew", "channel": general}, user=admin, channel=general
            )
            assert "created" in created.content, created.content
            for user in (alice, bob):
                receipt = await check_in(emu, user, general, f"Sketchy micro ({user.username})")
                assert receipt.embeds[0]["title"] == "Check-in recorded ✅"
        await emu.remove_member(hall, bob)

        async with running_bot(emu, database, MEMBERS_INTENT="false") as bot:
            await bot.wait_for_output(
                r"member check \(start-up\): 1 servers?, 2 members asked about in \d+ lookups?, 1 left while I was "
                r"offline",
                timeout=30,
            )
            assert any(r.route == "GET /guilds/{guild_id}/members/{user_id}" for r in emu.requests)
            assert query(database, "SELECT guild_id, user_id FROM study_departures") == [(hall.id, bob.id)]
        assert_contract_clean(emu)
