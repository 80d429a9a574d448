"""Server events as members see them: what a moderator typed is posted safely."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.milestones.announcements import event_announcement
from bot.milestones.models import ServerEvent, Status
from bot.text import would_ping

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
