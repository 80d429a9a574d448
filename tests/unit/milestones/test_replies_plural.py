"""Counts in the announcement replies read as English: "1 event", "3 events", never "event(s)"."""

from __future__ import annotations

import pytest

from bot.milestones.service import CalendarFile, DiscordEventsChange
from bot.ui.milestones import calendar_message
from cogs.milestones.commands import events_reply


@pytest.mark.parametrize(
    ("made", "said"),
    [
        (0, "I won't add Match Week, SOAP or Match Day events here any more."),
        (1, "The event I already added stays; delete it in the Events tab if you want it gone."),
        (3, "The 3 events I already added stay; delete them in the Events tab if you want them gone."),
    ],
)
def test_switching_events_off_counts_the_events_kept(made: int, said: str) -> None:
    reply = events_reply(DiscordEventsChange(enabled=False, changed=True, planned=[], made=made))
    assert said in reply and "(s)" not in reply
    assert ("already added" in reply) == (made > 0)


@pytest.mark.parametrize(
    ("events", "said"), [(0, "cycle as a calendar"), (1, " 1 upcoming event as"), (2, " 2 upcoming events as")]
)
def test_calendar_message_counts_the_server_events(events: int, said: str) -> None:
    message = calendar_message(CalendarFile("cycle.ics", b"", (2027,), events))
    assert said in message and "(s)" not in message


@pytest.mark.parametrize("enabled", [True, False])
def test_switching_to_the_state_it_is_in_says_already(enabled: bool) -> None:
    # Switching on twice used to say "Switched on" again.
    reply = events_reply(DiscordEventsChange(enabled=enabled, changed=False, planned=[], made=0))
    assert reply.startswith("Already on." if enabled else "Already off:")
    first = events_reply(DiscordEventsChange(enabled=enabled, changed=True, planned=[], made=0))
    assert not first.startswith("Already")
