"""Property tests over the options of /interview mock and every field of its feedback form, through the service.

The same properties as ``properties/test_commands.py`` (whose guard imports this module, so what it covers counts):
validation and the service succeed or raise a clear UserInputError; every screen fits Discord's limits; what was
accepted is what is stored and shown, what was refused left nothing behind. Session screens name members by mention,
which in an embed never pings (and every message goes out with no mentions allowed): those of the session's members
are taken out before checking that nothing else in a screen, above all nothing typed, would ping.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

import discord
from hypothesis import given
from hypothesis import strategies as st

from bot.interviews.mock import MAX_ROUND_MINUTES, MIN_ROUND_MINUTES, Phase, State
from bot.interviews.mock_service import FeedbackTarget, MockInterviewService, SessionView
from bot.interviews.options import MockFeedback, MockOptions, parse
from bot.studygroups.models import GroupCreateOptions, parse_with_clock
from bot.text import would_ping
from bot.ui import mock_interviews as screens
from cogs.interviews_mock import MockButton, MockFeedbackModal, session_view
from discord_emulator.contract import check_message_body
from tests.unit.nasty import FEW_EXAMPLES, PROPERTY_SETTINGS, bounded_text, nasty_text
from tests.unit.properties.conftest import App
from tests.unit.properties.test_commands import MODAL_FIELDS, covers, outcome, parsed

MODAL_FIELDS["MockFeedbackModal"] = {"clarity", "structure", "content", "strength", "suggestion"}

_guilds = itertools.count(7_000_000_000_000_001)
_members = itertools.count(20_000)


def mock_service(app: App) -> MockInterviewService:
    service = getattr(app.bot.get_cog("Interviews"), "mock", None)
    assert isinstance(service, MockInterviewService)
    return service


def group_with(app: App, name: str, members: Sequence[int]) -> tuple[int, int, int]:
    """A study group in a server of its own: (server, channel, group id)."""
    guild = next(_guilds)
    channel = guild + 1
    groups = app.services.studygroups
    created = app.run(
        groups.create_group(
            guild, parse_with_clock(GroupCreateOptions, groups.now(), name=name, channel_id=channel), creator_id=1
        )
    )
    for member in members:
        app.run(groups.join(guild, member, created.group.id))
    return guild, channel, created.group.id


def assert_fits(members: Sequence[int], *, content: str | None = None, embeds: Sequence[discord.Embed] = ()) -> None:
    """Within Discord's limits, and nothing would ping but the mentions of the session's members."""
    body: dict[str, Any] = {"embeds": [e.to_dict() for e in embeds]}
    if content is not None:
        body["content"] = content
    problems = list(check_message_body(body))
    assert not problems, problems
    text = repr(body)
    for member in members:
        text = text.replace(f"<@{member}>", "")
    assert not would_ping(text), text


def assert_view_fits(view: SessionView, ended_by: int | None = None) -> None:
    assert_fits(
        [*view.participants, view.session.started_by, *([ended_by] if ended_by else [])],
        embeds=[screens.session_embed(view, ended_by=ended_by)],
    )
    buttons = session_view(view)
    if buttons is not None:
        problems = list(check_message_body({"content": "x", "components": buttons.to_components()}))
        assert not problems, problems


# -- /interview mock -------------------------------------------------------------------------------------------------


@covers(("interview mock", "group"), ("interview mock", "minutes"))
@PROPERTY_SETTINGS
@given(
    bounded_text(1, 100) | st.just("Interview crew") | st.just("<@123456789012345678> @everyone"),
    st.none() | st.sampled_from(["name", "id"]) | bounded_text(1, 100),
    st.none() | st.integers(min_value=-(2**53), max_value=2**53),
)
def test_interview_mock(app: App, name: str, group: str | None, minutes: int | None) -> None:
    service = mock_service(app)
    starter = next(_members)
    created = parsed(
        lambda: parse_with_clock(GroupCreateOptions, app.services.studygroups.now(), name=name, channel_id=1)
    )
    if created is None:
        return  # a group name /studygroup-admin create refuses: nothing to open a session for
    guild, channel, group_id = group_with(app, name, [starter])
    typed = {"name": name, "id": str(group_id)}.get(group or "", group)
    values = {k: v for k, v in {"group": typed, "minutes": minutes}.items() if v is not None}
    options = parsed(lambda: parse(MockOptions, **values))
    if options is None:
        assert minutes is not None and not MIN_ROUND_MINUTES <= minutes <= MAX_ROUND_MINUTES
        return
    view = outcome(app, lambda: service.open_session(guild, channel, starter, moderator=False, options=options))
    running = app.run(service.repository.running_in_channel(channel))
    if view is None:
        # Only a group the server does not have is refused here, and nothing was opened.
        assert options.group is not None and running is None
        return
    assert running == view.session and view.session.group_id == group_id
    assert view.session.minutes == options.minutes and view.participants == (starter,)
    assert_view_fits(view)
    assert_fits([], content=screens.opened_text(view, "https://discord.com/channels/1/2/3"))
    partner = next(_members)
    app.run(app.services.studygroups.join(guild, partner, group_id))
    app.run(service.join(view.session.id, partner))
    started = app.run(service.begin(view.session.id, starter, moderator=False))
    assert_view_fits(started)
    for member in (starter, partner):
        assert_fits(
            started.participants,
            embeds=[screens.assignment_embed(app.run(service.assignment(view.session.id, member)))],
        )
    ended = app.run(service.end(view.session.id, starter, moderator=False))
    assert_view_fits(ended, ended_by=starter)


# -- the feedback form -----------------------------------------------------------------------------------------------

_scores = st.sampled_from(["1", "5", " 3 ", "4/5", "0", "6", "-1", "٣", "3.5", ""]) | nasty_text(3).map(lambda t: t[:3])


def started_session(app: App) -> tuple[SessionView, int, int]:
    """A session in round 1: (its view, the interviewer, the candidate)."""
    service = mock_service(app)
    interviewer, candidate = next(_members), next(_members)
    guild, channel, _ = group_with(app, "Feedback crew", [interviewer, candidate])
    view = app.run(service.open_session(guild, channel, interviewer, moderator=False, options=MockOptions()))
    app.run(service.join(view.session.id, candidate))
    return app.run(service.begin(view.session.id, interviewer, moderator=False)), interviewer, candidate


def test_the_modal_fields_listed_are_the_real_ones(app: App) -> None:
    modal = MockFeedbackModal(FeedbackTarget(1, 1, 2, None), user_id=2)
    assert {c.custom_id for c in modal.children if isinstance(c, discord.ui.TextInput)} == MODAL_FIELDS[
        "MockFeedbackModal"
    ]
    assert len(modal.title) <= 45  # the labels are checked by the emulator when the end-to-end test opens it


@covers(
    ("MockFeedbackModal", "clarity"),
    ("MockFeedbackModal", "structure"),
    ("MockFeedbackModal", "content"),
    ("MockFeedbackModal", "strength"),
    ("MockFeedbackModal", "suggestion"),
)
@PROPERTY_SETTINGS
@given(_scores, _scores, _scores, bounded_text(0, 500), bounded_text(0, 500))
def test_mock_feedback_modal(
    app: App, clarity: str, structure: str, content: str, strength: str, suggestion: str
) -> None:
    service = mock_service(app)
    view, interviewer, candidate = started_session(app)
    session_id = view.session.id
    form = parsed(
        lambda: parse(
            MockFeedback,
            clarity=clarity,
            structure=structure,
            content=content,
            strength=strength,
            suggestion=suggestion,
        )
    )
    saved = None if form is None else outcome(app, lambda: service.give_feedback(session_id, 1, interviewer, form))
    received = app.run(service.feedback_received(session_id, candidate))
    if saved is None:
        assert received == ()
        return
    assert form is not None and received == (saved,)
    assert (saved.clarity, saved.structure, saved.content, saved.strength, saved.suggestion) == (
        form.clarity,
        form.structure,
        form.content,
        form.strength,
        form.suggestion,
    )
    assert all(1 <= score <= 5 for score in (saved.clarity, saved.structure, saved.content))
    assert_fits([interviewer], embeds=[screens.feedback_embed(received)])
    assert_fits([], content=screens.feedback_saved_text(saved))
    # The form opened again shows what was given, within Discord's limits for a field's default.
    again = MockFeedbackModal(app.run(service.feedback_target(session_id, 1, interviewer)), user_id=interviewer)
    assert again.strength.default == saved.strength and again.clarity.default == str(saved.clarity)


@FEW_EXAMPLES
@given(
    st.sampled_from(["join", "leave", "start", "end", "q", "fb1", "fb2", "mine"]),
    st.integers(min_value=1, max_value=10**18 - 1),
)
def test_a_session_buttons_carry_their_action_and_session(action: str, session_id: int) -> None:
    custom_id = MockButton(action, session_id).item.custom_id
    assert custom_id is not None and len(custom_id) <= 100
    match = MockButton.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match is not None and (match["action"], int(match["id"])) == (action, session_id)


def test_every_phase_has_its_buttons(app: App) -> None:
    view, interviewer, _ = started_session(app)
    labels = {
        State(Phase.LOBBY, 0, None): ["Join", "Leave", "Start", "End session"],
        State(Phase.ROUND, 1, None): ["My questions", "Give feedback · round 1", "My feedback", "End session"],
        State(Phase.BREAK, 1, None): ["My questions", "Give feedback · round 1", "My feedback", "End session"],
        State(Phase.ROUND, 2, None): [
            "My questions",
            "Give feedback · round 1",
            "Give feedback · round 2",
            "My feedback",
            "End session",
        ],
        State(Phase.DONE, 2, None): ["Give feedback · round 1", "Give feedback · round 2", "My feedback"],
        State(Phase.CANCELLED, 1, None): ["Give feedback · round 1", "My feedback"],
        State(Phase.CANCELLED, 0, None): [],
    }
    for state, expected in labels.items():
        shown = SessionView(
            dataclasses.replace(view.session, state=state),
            view.group_name,
            view.participants,
            view.tables,
            view.feedback,
        )
        buttons = session_view(shown)
        found = [] if buttons is None else [b.item.label for b in buttons.children if isinstance(b, MockButton)]
        assert found == expected, state
        assert_view_fits(shown)
    assert interviewer in view.participants
