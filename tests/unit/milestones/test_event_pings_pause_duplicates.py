"""Server events as a moderator expects them: no ping unless asked for (events added before the choice keep
pinging), held by ``/announcements pause`` like the milestones, never added twice, and replies that say so (the
announcer's own harness: real database, fake Discord, a test clock)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.db.connection import Connection, write_transaction
from bot.db.timestamps import to_db
from bot.milestones.models import ServerEvent, Status, TargetKind
from bot.milestones.service import EventEdit
from bot.ui import milestones as screens
from bot.validation import UserInputError
from tests.unit.milestones.test_announcer import ADMIN, Harness, database_path, harness

__all__ = ["database_path", "harness"]  # fixtures of the announcer's tests, used here as they are

GUILD, CHANNEL, ROLE = 7, 70, 700


async def add(
    h: Harness, at: datetime, *, title: str = "Mock exam", reminders: str = "0", ping: bool = False
) -> ServerEvent:
    return await h.service.add_event(
        GUILD, CHANNEL, title, f"{at:%Y-%m-%d}", f"{at:%H:%M:%S}", "UTC", None, reminders, ADMIN, ping=ping
    )


def pings(h: Harness) -> list[tuple[str, int | None]]:
    return [(post.announcement.headline, post.announcement.role_id) for post in h.discord.posts]


async def test_an_event_pings_the_role_only_when_added_with_ping(harness: Harness) -> None:
    h = harness
    await h.service.subscribe(GUILD, CHANNEL, ROLE, None, ADMIN)
    start = h.clock.now + timedelta(days=2)
    quiet = await add(h, start, title="Quiet mock")
    loud = await add(h, start, title="Loud mock", ping=True)
    assert (quiet.ping, loud.ping) == (False, True)
    h.clock.now = start
    await h.run()
    assert sorted(pings(h)) == [("Starting now: Loud mock", ROLE), ("Starting now: Quiet mock", None)]


async def test_an_event_added_before_the_choice_existed_keeps_pinging(harness: Harness, conn: Connection) -> None:
    h = harness
    await h.service.subscribe(GUILD, CHANNEL, ROLE, None, ADMIN)
    start = h.clock.now + timedelta(days=2)
    # As migration 0026 leaves an older row: no value given for ping, so its default.
    async with write_transaction(conn):
        await conn.execute(
            "INSERT INTO server_events (guild_id, channel_id, title, description, starts_at, zone, reminders, status, "
            "created_by, created_at, announce_from) VALUES (?, ?, 'Old webinar', '', ?, 'UTC', '0', 'active', ?, ?, ?)",
            (GUILD, CHANNEL, to_db(start), ADMIN, to_db(h.clock.now), to_db(h.clock.now)),
        )
    h.clock.now = start
    await h.run()
    assert pings(h) == [("Starting now: Old webinar", ROLE)]


async def test_ping_can_be_switched_by_edit(harness: Harness) -> None:
    h = harness
    await h.service.subscribe(GUILD, CHANNEL, ROLE, None, ADMIN)
    start = h.clock.now + timedelta(days=2)
    event = await add(h, start)
    edit = await h.service.edit_event(GUILD, event.id, ping=True)
    assert edit.changed == ("the ping",) and edit.event.ping
    h.clock.now = start
    await h.run()
    assert pings(h) == [("Starting now: Mock exam", ROLE)]


async def test_pause_holds_the_servers_events_and_resume_does_not_post_them_late(harness: Harness) -> None:
    h = harness
    await h.service.subscribe(GUILD, CHANNEL, ROLE, None, ADMIN)
    start = h.clock.now + timedelta(days=2)
    await add(h, start, title="Held mock")
    await h.service.pause(GUILD)
    report = await h.service.status(GUILD)
    assert [p for p in report.upcoming if p.kind is TargetKind.EVENT] == []  # "Next posts" shows none of them
    h.clock.now = start
    await h.run()
    assert h.discord.posts == []  # it used to be posted while paused, without the ping
    h.clock.now = start + timedelta(minutes=5)
    await h.service.resume(GUILD)
    await h.run()
    assert h.discord.posts == []  # what fell due while paused is skipped, as for milestones
    later = h.clock.now + timedelta(days=1)
    await add(h, later, title="After the pause", ping=True)
    h.clock.now = later
    await h.run()
    assert pings(h) == [("Starting now: After the pause", ROLE)]


async def test_a_broken_announcement_channel_does_not_hold_events_posted_elsewhere(harness: Harness) -> None:
    h = harness
    await h.service.subscribe(GUILD, CHANNEL + 1, ROLE, None, ADMIN)
    start = h.clock.now + timedelta(days=2)
    await add(h, start)
    await h.service.channel_deleted(GUILD, CHANNEL + 1)
    report = await h.service.status(GUILD)
    field = {f.name: f.value for f in screens.status_embed(report).fields}
    assert "Mock exam" in field["Still posted (server events only)"]
    h.clock.now = start
    await h.run()
    assert pings(h) == [("Starting now: Mock exam", None)]


async def test_the_same_event_twice_is_refused_naming_the_first(harness: Harness) -> None:
    h = harness
    start = h.clock.now + timedelta(days=2)
    first = await add(h, start, title="Mock OET  exam")
    with pytest.raises(UserInputError) as refused:
        await add(h, start, title="mock oet exam")
    said = str(refused.value)
    assert "“Mock OET exam”" in said and f"event #{first.id}" in said and "`/event edit`" in said
    other = await add(h, start + timedelta(hours=1), title="Mock OET exam")  # another time is another event
    with pytest.raises(UserInputError, match="would be announced twice"):
        await h.service.edit_event(GUILD, other.id, time_text=f"{start:%H:%M:%S}", date_text=f"{start:%Y-%m-%d}")
    assert len(await h.service.events(GUILD)) == 2
    h.clock.now = start
    await h.run()
    assert len(h.discord.posts) == 1


async def test_the_replies_say_who_is_pinged_and_what_pause_holds(harness: Harness) -> None:
    h = harness
    subscription = await h.service.subscribe(GUILD, CHANNEL, ROLE, None, ADMIN)
    event = await add(h, h.clock.now + timedelta(days=2), reminders="1d,0")
    quiet = screens.event_added_embed(event, ROLE).description or ""
    assert f"**Pings:** nobody. `/event edit ping: True` pings <@&{ROLE}> with each of its 2 reminders." in quiet
    loud = await h.service.edit_event(GUILD, event.id, ping=True)
    shown = screens.event_edited_embed(loud, ROLE, held=True).description or ""
    assert f"**Pings:** <@&{ROLE}> with each of its 2 reminders" in shown and "paused here" in shown
    no_role = screens.event_added_embed(loud.event, None).description or ""
    assert "no announcement role" in no_role
    await h.service.pause(GUILD)
    status = screens.status_embed(await h.service.status(GUILD))
    fields = {f.name: f.value for f in status.fields}
    assert fields["Next posts"].startswith("None while paused") and "server's events" in (fields["Next posts"] or "")
    assert "none of this server's events" in (status.description or "")
    assert subscription.role_id == ROLE


def test_an_edit_that_changes_nothing_says_so_and_no_new_time() -> None:
    event = ServerEvent(
        id=1,
        guild_id=GUILD,
        channel_id=CHANNEL,
        title="Mock exam",
        description="",
        starts_at=datetime.fromisoformat("2027-03-04T18:00:00+00:00"),
        zone="UTC",
        reminders=(timedelta(days=1), timedelta(0)),
        status=Status.ACTIVE,
        paused_reason=None,
        created_by=ADMIN,
        created_at=datetime.fromisoformat("2027-03-01T18:00:00+00:00"),
    )
    shown = screens.event_edited_embed(EventEdit(event, (), (), (timedelta(0),))).description or ""
    assert shown.startswith("Nothing changed") and "new time" not in shown and "Changed:" not in shown


async def test_reminders_none_is_explained_not_misread(harness: Harness) -> None:
    h = harness
    start = h.clock.now + timedelta(days=2)
    for typed in ("none", "None "):
        with pytest.raises(UserInputError, match="Give `0` to post it once when it starts"):
            await add(h, start, reminders=typed)
    event = await add(h, start)
    with pytest.raises(UserInputError, match="would never be posted"):
        await h.service.edit_event(GUILD, event.id, reminders="none")
