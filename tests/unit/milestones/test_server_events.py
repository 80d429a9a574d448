"""Server events: what a moderator typed is posted safely, and /event edit moves the announcements with the event
without ever posting a reminder twice (the announcer's own harness: real database, fake Discord, a test clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.milestones.announcements import event_announcement
from bot.milestones.models import ServerEvent, Status
from bot.text import would_ping
from bot.validation import UserInputError
from tests.unit.milestones.test_announcer import ADMIN, Harness, database_path, harness

__all__ = ["database_path", "harness"]  # fixtures of the announcer's tests, used here as they are

START = datetime(2027, 3, 4, 18, 0, tzinfo=UTC)


def event(title: str, description: str = "") -> ServerEvent:
    return ServerEvent(
        id=7,
        guild_id=1,
        channel_id=2,
        title=title,
        description=description,
        starts_at=START,
        zone="America/New_York",
        reminders=(timedelta(days=1), timedelta(0)),
        status=Status.ACTIVE,
        paused_reason=None,
        created_by=3,
        created_at=START - timedelta(days=10),
    )


def test_mentions_in_an_event_title_are_neutralised_like_its_description() -> None:
    # The headline used to carry <@123> as typed: Discord rendered it "@unknown-user" in the posted embed's title.
    typed = "@everyone <@123> <@&456> mock exam"
    announcement = event_announcement(event(typed, typed), offset=timedelta(days=1))
    assert announcement.headline.startswith("In 1 day: ")
    for text in (announcement.headline, announcement.title, announcement.details):
        assert not would_ping(text)
        assert "<@123>" not in text and "<@&456>" not in text
        assert "mock exam" in text
    assert announcement.title == announcement.details  # one helper for both


def test_an_ordinary_title_is_posted_as_typed() -> None:
    assert event_announcement(event("Mock OET speaking exam")).headline == "Starting now: Mock OET speaking exam"


# -- /event edit: the announcements follow the new time, and nothing is posted twice ---------------------------------

GUILD, CHANNEL, OTHER_CHANNEL = 7, 70, 71


def utc_text(moment: datetime) -> tuple[str, str]:
    """(date, time) as a moderator would type them for a UTC event."""
    return f"{moment:%Y-%m-%d}", f"{moment:%H:%M:%S}"


async def add(h: Harness, at: datetime, reminders: str = "1d,0", title: str = "Mock exam") -> ServerEvent:
    date, time = utc_text(at)
    return await h.service.add_event(GUILD, CHANNEL, title, date, time, "UTC", "Bring water.", reminders, ADMIN)


def headlines(h: Harness) -> list[str]:
    return [post.announcement.headline for post in h.discord.posts]


async def test_a_moved_event_is_announced_at_its_new_time_and_no_reminder_twice(harness: Harness) -> None:
    h = harness
    start = h.clock.now + timedelta(days=2)
    event = await add(h, start)
    h.clock.now = start - timedelta(days=1)
    await h.run()
    assert headlines(h) == ["In 1 day: Mock exam"]

    # Half an hour later it is moved one hour later: its "1 day before" would now fall due again in 30 minutes.
    h.clock.now += timedelta(minutes=30)
    date, time = utc_text(start + timedelta(hours=1))
    edit = await h.service.edit_event(GUILD, event.id, date_text=date, time_text=time)
    assert edit.changed == ("the time",) and edit.event.starts_at == start + timedelta(hours=1)
    assert edit.posted == (timedelta(days=1),) and edit.upcoming == (timedelta(0),)
    for moment in (start - timedelta(days=1) + timedelta(hours=1), start, start + timedelta(hours=1)):
        h.clock.now = moment
        await h.run()
    assert headlines(h) == ["In 1 day: Mock exam", "Starting now: Mock exam"]
    assert h.discord.posts[-1].announcement.at == start + timedelta(hours=1)  # at the new time, never the old one
    upcoming = await h.service.planner.upcoming_for(GUILD, h.clock.now - timedelta(hours=2), 5)
    assert [p.offset for p in upcoming if p.target_ref == str(event.id)] == [timedelta(0)]


async def test_a_reminder_whose_new_time_has_passed_is_not_posted_late(harness: Harness) -> None:
    h = harness
    event = await add(h, h.clock.now + timedelta(days=3))
    h.clock.now += timedelta(hours=2)
    # Moved to 23 hours from now: "1 day before" is an hour ago (after the event was added, within the grace
    # window), but it was never due: the event was three days away then.
    date, time = utc_text(h.clock.now + timedelta(hours=23))
    edit = await h.service.edit_event(GUILD, event.id, date_text=date, time_text=time)
    assert edit.upcoming == (timedelta(0),) and edit.posted == ()
    await h.run()
    assert h.discord.posts == []
    h.clock.now += timedelta(hours=23)
    await h.run()
    assert headlines(h) == ["Starting now: Mock exam"]


async def test_new_text_is_posted_and_what_was_posted_is_not_repeated(harness: Harness) -> None:
    h = harness
    start = h.clock.now + timedelta(days=2)
    event = await add(h, start)
    h.clock.now = start - timedelta(days=1)
    await h.run()
    edit = await h.service.edit_event(GUILD, event.id, title="Mock OET exam", description="-")
    assert edit.changed == ("the title", "the description") and edit.event.description == ""
    await h.run()
    h.clock.now = start
    await h.run()
    assert headlines(h) == ["In 1 day: Mock exam", "Starting now: Mock OET exam"]
    assert h.discord.posts[-1].announcement.details == ""


async def test_a_zone_alone_keeps_the_clock_time_and_the_edit_is_checked_like_add(harness: Harness) -> None:
    h = harness
    start = (h.clock.now + timedelta(days=10)).replace(hour=18, minute=30, second=0, microsecond=0)
    event = await add(h, start)
    moved = (await h.service.edit_event(GUILD, event.id, zone_text="Asia/Kolkata")).event
    assert (moved.zone, f"{moved.local_start:%H:%M}") == ("Asia/Kolkata", "18:30")
    assert moved.starts_at == start - timedelta(hours=5, minutes=30)
    refusals = [
        ({"zone_text": "EST"}, "`EST` is an abbreviation"),
        ({"date_text": "2020-01-01"}, "has already passed"),
        ({"time_text": "25:00"}, "Use HH:MM in 24-hour time"),
        ({"reminders": "7x"}, "not a reminder I understand"),
        ({"title": "   "}, "Give the event a title"),
        ({}, "Say what to change"),
    ]
    for options, said in refusals:
        with pytest.raises(UserInputError, match=said):
            await h.service.edit_event(GUILD, event.id, **options)
    with pytest.raises(UserInputError, match="no such event"):
        await h.service.edit_event(GUILD + 1, event.id, title="Elsewhere")
    h.clock.now = moved.starts_at
    with pytest.raises(UserInputError, match="already started"):
        await h.service.edit_event(GUILD, event.id, title="Too late")


async def test_a_new_channel_resumes_an_event_paused_for_its_old_one(harness: Harness) -> None:
    h = harness
    start = h.clock.now + timedelta(days=2)
    event = await add(h, start, reminders="0")
    await h.service.channel_deleted(GUILD, CHANNEL)
    paused = await h.service.repository.event(GUILD, event.id)
    assert paused is not None and not paused.active
    edit = await h.service.edit_event(GUILD, event.id, channel_id=OTHER_CHANNEL)
    assert edit.event.active and edit.event.channel_id == OTHER_CHANNEL
    assert edit.changed == ("the channel", "its pause")
    h.clock.now = start
    await h.run()
    assert [(p.channel_id, p.announcement.headline) for p in h.discord.posts] == [
        (OTHER_CHANNEL, "Starting now: Mock exam")
    ]
