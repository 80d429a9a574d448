"""Property tests over every slash command option and every modal field a person types, through the service layer.

For each typed option (text and numbers; users, channels and roles are picked by Discord) hypothesis sends what
people type at a bot: pings in disguise, other scripts, markdown, blanks, huge or negative numbers. Properties:

- validation and the service either succeed or raise UserInputError (a message saying how to fix it), nothing else;
- the reply the cog builds from the result (the same screen functions) fits Discord's limits, checked with the
  emulator's own contract code (discord_emulator/contract.py) rather than a second copy of the limits;
- nothing typed comes back as a ping: no reply text, and no error message as the error path shows it, would ping;
- the outcome is the one the input asks for: what was accepted is what is stored and shown (a quiz of the size asked,
  the group as created or edited, the settings and check-in as typed), what was refused left nothing behind, and
  a refusal is refused again the same way.

``test_every_typed_option_and_modal_field_has_a_property_test`` walks the registered command tree and every modal,
and fails when a typed option or field has no property test here.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import re
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import discord
import pytest
from discord import app_commands
from hypothesis import given
from hypothesis import strategies as st

from bot.knowledge.feedback import MAX_NOTE_CHARS, VoteReason
from bot.knowledge.options import AskOptions, TopicOptions
from bot.milestones.reminders import format_reminders, parse_reminders
from bot.mydates.models import KIND_CHOICES, AddDateOptions, DmPause, ShareOptions
from bot.mydates.reminders import PlannedReminder
from bot.quiz.options import LeaderboardOptions, LeaderboardPeriod, QuizReviewOptions, QuizStartOptions
from bot.readiness.assessment import Step, StepKind
from bot.readiness.options import TimelineOptions
from bot.studygroups.models import (
    MAX_RETENTION_DAYS,
    CheckInEntry,
    GroupCreateOptions,
    GroupEditOptions,
    MemberSettingsOptions,
    RetentionOptions,
    StudyGroup,
    parse_form_with_clock,
    parse_with_clock,
)
from bot.studygroups.repository import name_key
from bot.text import defuse_pings, has_words, would_ping
from bot.ui import milestones as milestone_screens
from bot.ui import mydates as mydates_screens
from bot.ui import quiz as quiz_screens
from bot.ui import readiness as readiness_screens
from bot.ui import studygroups as studygroup_screens
from bot.ui.embeds import entry_embed
from bot.ui.errors import BaseModal, describe_user_error
from bot.ui.forms import problems_text, typed_embed, typed_from_embeds
from bot.ui.help import overview_embeds
from bot.ui.knowledge_feedback import note_noted
from bot.ui.knowledge_report import KnowledgeReport, report_embed
from bot.validation import FormErrors, UserInputError, parse_options, parse_options_with
from cogs.help import HelpCog
from cogs.knowledge import VoteNoteModal, answer_view, no_answer_embed, suggestions_view
from cogs.milestones.events import event_id_of
from cogs.onboarding.flow import GroupModal
from cogs.quiz import solo_view
from cogs.readiness import FixNumberButton, question_view, timeline_view
from cogs.studygroups.checkin import CHECKIN_FIELDS, FixCheckInButton
from cogs.studygroups.progress import ShareProgressButton
from discord_emulator.contract import check_message_body
from tests.unit.nasty import FEW_EXAMPLES, PROPERTY_SETTINGS, bounded_text, nasty_text
from tests.unit.properties.conftest import App

T = TypeVar("T")
GUILD, CHANNEL = 900_000_000_000_000_001, 900_000_000_000_000_002
TYPED = {discord.AppCommandOptionType.string, discord.AppCommandOptionType.integer, discord.AppCommandOptionType.number}

COVERED: set[tuple[str, str]] = set()
"""(command, option) and (modal, field) pairs with a property test below."""


def covers(*pairs: tuple[str, str]) -> Callable[[T], T]:
    COVERED.update(pairs)
    return lambda test: test


_users = itertools.count(10_000)


def new_user() -> int:
    return next(_users)


# -- the properties every reply must have ----------------------------------------------------------------------------


def assert_fits_and_never_pings(
    *,
    content: str | None = None,
    embeds: list[discord.Embed] = (),
    view: discord.ui.View | None = None,  # type: ignore[assignment]
) -> None:
    body: dict[str, Any] = {"embeds": [e.to_dict() for e in embeds]}
    if content is not None:
        body["content"] = content
    if view is not None:
        body["components"] = view.to_components()
    problems = list(check_message_body(body))
    assert not problems, problems
    for text in texts_of(body):
        assert not would_ping(text), text


def texts_of(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("url", "icon_url", "custom_id"):
                yield from texts_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts_of(item)


def user_error_is_clear(error: UserInputError) -> None:
    message = describe_user_error(error)
    assert message is not None and message.strip()
    assert len(message) <= 2000
    assert not would_ping(message), message


def outcome(app: App, call: Callable[[], Awaitable[T]]) -> T | None:
    """Run a service call: its result, or None after checking a UserInputError is a clear message. Anything else
    fails the test."""
    try:
        return app.run(call())
    except UserInputError as error:
        user_error_is_clear(error)
        return None


def parsed(call: Callable[[], T]) -> T | None:
    try:
        return call()
    except UserInputError as error:
        user_error_is_clear(error)
        return None


# -- the guard -------------------------------------------------------------------------------------------------------


def test_every_typed_option_and_modal_field_has_a_property_test(app: App) -> None:
    # A feature may keep its property tests in a module of its own (properties/test_<feature>.py); importing it
    # registers what it covers and its modals' fields here.
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        importlib.import_module(f"tests.unit.properties.{path.stem}")
    typed = {
        (command.qualified_name, parameter.name)
        for command in app.bot.tree.walk_commands()
        if isinstance(command, app_commands.Command)
        for parameter in command.parameters
        if parameter.type in TYPED
    }
    fields = set()
    for modal in BaseModal.__subclasses__():
        fields.update((modal.__name__, name) for name in MODAL_FIELDS.get(modal.__name__, {"?"}))
    missing = sorted((typed | fields) - COVERED)
    assert not missing, f"typed options or modal fields without a property test: {missing}"
    assert {m.__name__ for m in BaseModal.__subclasses__()} <= set(MODAL_FIELDS), "a new modal needs its fields listed"


MODAL_FIELDS = {
    "CheckInModal": {"studied", "questions", "percent", "hours", "blockers"},
    "NumberModal": {"answer"},
    "GroupModal": {"name", "time", "zone", "days"},
    "VoteNoteModal": {"note"},
}


def test_modal_fields_listed_here_are_the_real_ones(app: App) -> None:
    from cogs.studygroups.checkin import CheckInModal

    group = app.run(
        app.services.studygroups.create_group(
            GUILD + 1,
            parse_with_clock(GroupCreateOptions, app.services.studygroups.now(), name="Guard", channel_id=CHANNEL + 1),
            creator_id=1,
        )
    ).group
    modal = CheckInModal(group, None, user_id=1)
    assert {c.custom_id for c in modal.children if isinstance(c, discord.ui.TextInput)} == MODAL_FIELDS["CheckInModal"]
    setup_form = GroupModal(CHANNEL, {}, user_id=1)
    assert {c.custom_id for c in setup_form.children if isinstance(c, discord.ui.TextInput)} == MODAL_FIELDS[
        "GroupModal"
    ]
    note_form = VoteNoteModal("soap", None, user_id=1)
    assert {c.custom_id for c in note_form.children if isinstance(c, discord.ui.TextInput)} == MODAL_FIELDS[
        "VoteNoteModal"
    ]


def test_cooldowns_guard_exactly_the_commands_their_policy_names(app: App) -> None:
    guarded = {
        command.qualified_name
        for command in app.bot.tree.walk_commands()
        if isinstance(command, app_commands.Command)
        and any("per_user_cooldown" in getattr(check, "__qualname__", "") for check in command.checks)
    }
    assert guarded == set(app.services.cooldowns.limits)


# -- /ask, /topic ----------------------------------------------------------------------------------------------------


@covers(("ask", "question"))
@PROPERTY_SETTINGS
@given(bounded_text(1, 300), st.booleans())
def test_ask(app: App, question: str, private: bool) -> None:
    options = parsed(lambda: parse_options(AskOptions, question=question, private=private))
    if options is None:
        return
    service = app.services.knowledge
    answer = service.answer(options.question)
    if answer.entry is None:
        assert_fits_and_never_pings(
            embeds=[no_answer_embed(options.question, answer)], view=suggestions_view(answer.suggestions)
        )
    else:
        assert_fits_and_never_pings(
            embeds=[entry_embed(answer.entry, question=options.question)], view=answer_view(service, answer.entry)
        )


@covers(("topic", "name"))
@PROPERTY_SETTINGS
@given(bounded_text(1, 100))
def test_topic(app: App, name: str) -> None:
    options = parsed(lambda: parse_options(TopicOptions, name=name))
    service = app.services.knowledge
    assert len(service.autocomplete(name[:100], limit=25)) <= 25
    if options is None:
        return
    entry = service.topic(options.name)
    if entry is not None:
        assert_fits_and_never_pings(embeds=[entry_embed(entry)], view=answer_view(service, entry))


@covers(("VoteNoteModal", "note"))
@PROPERTY_SETTINGS
@given(
    st.one_of(bounded_text(0, MAX_NOTE_CHARS), st.text(min_size=MAX_NOTE_CHARS + 1, max_size=MAX_NOTE_CHARS + 40)),
    st.sampled_from([None, *VoteReason]),
)
def test_vote_note_modal(app: App, typed: str, reason: VoteReason | None) -> None:
    service = app.services.knowledge
    user, now = new_user(), dt.datetime.now(dt.UTC)
    app.run(service.vote("soap", user, False, now))
    if reason is not None:
        app.run(service.explain_vote("soap", user, GUILD, reason.value, now))
    note = outcome(app, lambda: service.note_vote("soap", user, GUILD, typed, now))
    stored = app.run(service.member_vote("soap", user))
    assert stored is not None and not stored.helpful and stored.reason == reason
    if note is None:
        # Refused only when more was typed than the form lets anyone type; nothing was kept, and again the same way.
        assert len(typed) > MAX_NOTE_CHARS and stored.note is None
        assert outcome(app, lambda: service.note_vote("soap", user, GUILD, typed, now)) is None
        return
    # Whatever the form accepts is kept, as the member sees it: one line, no pings; blank keeps nothing.
    assert stored.note == (note or None)
    assert not would_ping(note) and "\n" not in note
    assert note or not has_words(typed), "a note with words is never dropped"
    assert_fits_and_never_pings(content=note_noted(note, in_server=True))
    # This server's report quotes it safely, within Discord's limits.
    reasons = app.run(service.vote_reasons(GUILD))
    report = KnowledgeReport(app.run(service.question_groups(GUILD)), app.run(service.vote_tallies()), reasons, [])
    assert_fits_and_never_pings(embeds=[report_embed(report, lambda entry_id: entry_id)])
    if note:
        assert note in next(r for r in reasons if r.entry_id == "soap").notes


# -- /quiz -----------------------------------------------------------------------------------------------------------


@covers(("quiz start", "topic"), ("quiz start", "questions"), ("quiz start", "mode"))
@PROPERTY_SETTINGS
@given(
    st.none() | bounded_text(1, 100),
    st.none() | st.integers(min_value=-(2**53), max_value=2**53),
    st.none() | st.sampled_from(["solo", "group", "SOLO", " group ", "party"]) | nasty_text(2),
)
def test_quiz_start(app: App, topic: str | None, questions: int | None, mode: str | None) -> None:
    values = {k: v for k, v in {"topic": topic, "questions": questions, "mode": mode}.items() if v is not None}
    options = parsed(lambda: parse_options(QuizStartOptions, **values))
    if options is None:
        return
    quiz = app.services.quiz
    user = new_user()
    started = outcome(app, lambda: quiz.start_solo(user, guild_id=GUILD, channel_id=CHANNEL, options=options))
    if started is None:
        # Only a topic the bank does not know is refused once the options are valid; nothing was started.
        assert options.topic is not None and app.run(quiz.current_solo(user)) is None
        return
    assert_fits_and_never_pings(
        content=started.note,
        embeds=[quiz_screens.solo_question_embed(started.question, review=False)],
        view=solo_view(started.run_id, started.question, review=False),
    )
    # The quiz asked for, or all the topic has (and the note says so); it is the member's running quiz.
    question = started.question
    assert question.number == 1 and 1 <= question.total <= options.questions
    assert (started.note is not None) == (question.total < options.questions)
    topic = quiz.bank.resolve_topic(options.topic)
    if topic is not None:
        assert question.topic is topic
    assert app.run(quiz.current_solo(user)) == question
    app.run(quiz.stop_solo(user))
    assert app.run(quiz.current_solo(user)) is None


@covers(("quiz review", "questions"))
@FEW_EXAMPLES
@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_quiz_review(app: App, questions: int) -> None:
    options = parsed(lambda: parse_options(QuizReviewOptions, questions=questions))
    if options is not None:
        # A new member has nothing to review: a clear message saying so, and no quiz started.
        user = new_user()
        quiz = app.services.quiz
        with pytest.raises(UserInputError, match="You have nothing to review") as refused:
            app.run(quiz.start_review(user, guild_id=GUILD, channel_id=CHANNEL, questions=options.questions))
        user_error_is_clear(refused.value)
        assert app.run(quiz.current_solo(user)) is None


@covers(("quiz leaderboard", "period"))
@FEW_EXAMPLES
@given(st.sampled_from(["week", "all", "ALL", "month"]) | nasty_text(2))
def test_quiz_leaderboard(app: App, period: str) -> None:
    options = parsed(lambda: parse_options(LeaderboardOptions, period=period))
    if options is not None:
        board = app.run(app.services.quiz.leaderboard(GUILD, options.period, user_id=new_user()))
        assert_fits_and_never_pings(embeds=[quiz_screens.leaderboard_embed(board, {}, server="IMG Study Hall")])
        # The period asked for; a member who never played has no row of their own.
        assert board.period == options.period and board.you is None
        assert (board.since is None) == (options.period is not LeaderboardPeriod.WEEK)


# -- /timeline and the readiness number modal ------------------------------------------------------------------------


@covers(("timeline", "match_year"), ("timeline", "step1"), ("timeline", "step2ck"), ("timeline", "usce_months"))
@PROPERTY_SETTINGS
@given(
    st.one_of(st.integers(min_value=2020, max_value=2040), st.integers(min_value=-(2**53), max_value=2**53)),
    st.none() | bounded_text(1, 20) | st.sampled_from(["done", "2027-05", "2031-1", "1999-12"]),
    st.none() | bounded_text(1, 20) | st.sampled_from(["passed", "2028-02", "2027-13"]),
    st.none() | st.integers(min_value=0, max_value=60),
)
def test_timeline(app: App, match_year: int, step1: str | None, step2ck: str | None, usce: int | None) -> None:
    service = app.services.readiness

    def plan_and_options() -> tuple[Any, TimelineOptions]:
        plan = service.timeline(match_year, step1, step2ck, usce)
        options = TimelineOptions.parse(
            service.calendar, plan.generated_at, match_year=match_year, step1=step1, step2ck=step2ck, usce_months=usce
        )
        return plan, options

    result = parsed(plan_and_options)
    if result is None:
        return
    plan, options = result
    request = readiness_screens.TimelineRequest.from_options(options)
    for shared_by in (None, "Dr @everyone <@123456789012345678>"):
        assert_fits_and_never_pings(
            embeds=[readiness_screens.timeline_embed(plan, service.calendar, shared_by=shared_by)],
            view=timeline_view(request, plan, service.calendar, shared=shared_by is not None),
        )
    for phase in readiness_screens.phases(plan, service.calendar):
        assert_fits_and_never_pings(embeds=[readiness_screens.phase_embed(plan, service.calendar, phase)])


@covers(("NumberModal", "answer"))
@PROPERTY_SETTINGS
@given(
    st.text(min_size=1, max_size=12)
    | nasty_text(3).map(lambda t: t[:12]).filter(bool)
    | st.integers(min_value=-50, max_value=400).map(str)
    | st.sampled_from(["245", " 260 ", "2,45", "٢٤٥", "250.0", "1e2", "+240"])
)
def test_readiness_number_modal(app: App, typed: str) -> None:
    service = app.services.readiness
    user = new_user()
    progress = app.run(service.start(user))
    # Walk to the first number question with the first choice of each choice question.
    for _ in range(30):
        step = progress.step
        if step is None or step.kind is StepKind.NUMBER:
            break
        progress = app.run(service.answer(user, step.id, step.choices[0].value))
    step = progress.step
    assert step is not None and step.kind is StepKind.NUMBER
    answered = outcome(app, lambda: service.answer(user, step.id, typed))
    if answered is None:
        # Refused: the Fix it button carries what was typed in its custom_id, and must still fit one.
        view = discord.ui.View(timeout=None)
        view.add_item(FixNumberButton(step.id, typed))
        assert_fits_and_never_pings(view=view)
        button = view.children[0]
        assert isinstance(button, FixNumberButton) and FixNumberButton.__discord_ui_compiled_template__.fullmatch(
            button.custom_id
        )
    shown = answered or progress
    if shown.step is not None:
        assert_fits_and_never_pings(embeds=[readiness_screens.question_embed(shown)], view=question_view(shown))
    number = whole_number(typed)
    stored = app.run(service.pending(user))
    assert stored is not None
    if answered is None:
        # Refused: the member is still on that question, with nothing recorded for it. Only a whole number in the
        # step's range may be refused by the answers' own checks (a passed score below the passing one).
        assert stored.step is not None and stored.step.id == step.id and getattr(stored.answers, step.id) is None
        assert number is None or not step.minimum <= number <= step.maximum or step.id.endswith("_score"), typed
    else:
        # Accepted: exactly the number typed, in range, is what is stored, and the assessment moved on.
        assert number is not None and step.minimum <= number <= step.maximum, typed
        assert getattr(stored.answers, step.id) == number
        assert step_id(stored.step) == step_id(answered.step) != step.id


def step_id(step: Step | None) -> str | None:
    return None if step is None else step.id


def whole_number(typed: str) -> int | None:
    """What a member means by ``typed`` when it is plainly a whole number (README: ``3,000`` groups thousands,
    ``250.0`` is 250); ``3.000`` is refused as ambiguous, and exponents or two decimal marks are not numbers."""
    text = typed.strip()
    if re.fullmatch(r"[+-]?[1-9]\d{0,2}(,\d{3})+", text):
        text = text.replace(",", "")
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", text) or re.fullmatch(r"[+-]?[1-9]\d{0,2}\.\d{3}", text):
        return None
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else None


# -- /milestones, /announcements, /event -----------------------------------------------------------------------------


@covers(("milestones next", "count"))
@FEW_EXAMPLES
@given(st.integers(min_value=1, max_value=10))
def test_milestones_next(app: App, count: int) -> None:
    now = dt.datetime.now(dt.UTC)
    embed = milestone_screens.next_embed(app.services.milestones.next_milestones(now, count), now)
    assert_fits_and_never_pings(embeds=[embed])


@covers(("announcements preview", "milestone"))
@PROPERTY_SETTINGS
@given(bounded_text(1, 100))
def test_announcements_preview(app: App, milestone: str) -> None:
    service = app.services.milestones
    announcement = parsed(lambda: service.preview(milestone))
    choices = service.milestone_choices(milestone[:100], dt.datetime.now(dt.UTC))
    assert len(choices) <= 25 and all(1 <= len(label) <= 100 for label, _ in choices)
    if announcement is not None:
        assert_fits_and_never_pings(embeds=[milestone_screens.announcement_embed(announcement)])


@covers(("announcements setup", "reminders"))
@PROPERTY_SETTINGS
@given(st.none() | bounded_text(1, 100) | st.sampled_from(["7d,1d,0", "1w", "0", "2h,30m", "400d", "1d,1d"]))
def test_announcements_setup_reminders(app: App, reminders: str | None) -> None:
    guild = next(_users)
    service = app.services.milestones
    subscribed = outcome(app, lambda: service.subscribe(guild, CHANNEL, None, reminders, 1))
    stored = app.run(service.subscription(guild))
    if subscribed is None:
        assert stored is None, "a refused setup stores nothing"
        return
    assert stored == subscribed and subscribed.active and subscribed.channel_id == CHANNEL
    if reminders is None or not reminders.strip():
        assert subscribed.reminders is None  # each milestone's own reminders
    else:
        # The offsets typed, earliest reminder first, each one at most once.
        offsets = subscribed.reminders
        assert offsets and list(offsets) == sorted(set(offsets), reverse=True), offsets
        # What /announcements status shows of them reads back as the same reminders.
        assert parse_reminders(format_reminders(offsets)) == offsets


# Days ahead of today (what a member would pick), dates too far or malformed, and anything.
_future_dates = st.integers(min_value=1, max_value=800).map(
    lambda d: f"{dt.datetime.now(dt.UTC).date() + dt.timedelta(days=d)}"
)
_dates = _future_dates | st.sampled_from(["2030-03-04", "2027-02-30", "04/03/2030", "2030-3-4"]) | bounded_text(1, 10)
_times = st.sampled_from(["18:30", "25:00", "2:30 AM", "18:30:59", "02:30"]) | bounded_text(1, 8)
_zones = st.sampled_from(["Asia/Kolkata", "America/New_York", "UTC", "EST", "+05:30", "India"]) | bounded_text(1, 64)


@covers(
    ("event add", "title"),
    ("event add", "date"),
    ("event add", "time"),
    ("event add", "timezone"),
    ("event add", "description"),
    ("event add", "reminders"),
    ("event remove", "event"),
)
@PROPERTY_SETTINGS
@given(
    bounded_text(1, 100), _dates, _times, _zones, st.none() | bounded_text(1, 1000), st.none() | bounded_text(1, 100)
)
def test_event_add_and_remove(
    app: App, title: str, date: str, time: str, zone: str, description: str | None, reminders: str | None
) -> None:
    service = app.services.milestones
    created = outcome(
        app, lambda: service.add_event(GUILD, CHANNEL, title, date, time, zone, description, reminders, 1)
    )
    assert len(service.timezone_choices(zone[:64])) <= 25
    if created is None:
        return
    assert_fits_and_never_pings(embeds=[milestone_screens.event_added_embed(created)])
    events = app.run(service.events(GUILD))
    assert_fits_and_never_pings(embeds=[milestone_screens.events_embed(events)])
    # Stored as added: upcoming, in the channel given, under the title typed (tidied, never empty).
    assert [e for e in events if e.id == created.id] == [created]
    assert created.channel_id == CHANNEL and created.title.strip() and created.starts_at > created.created_at
    removed = app.run(service.remove_event(GUILD, created.id))
    assert removed.id == created.id
    assert created.id not in {e.id for e in app.run(service.events(GUILD))}
    # Removing it again is a clear message, not a second removal.
    with pytest.raises(UserInputError) as again:
        app.run(service.remove_event(GUILD, created.id))
    user_error_is_clear(again.value)


@covers(
    ("event edit", "event"),
    ("event edit", "title"),
    ("event edit", "date"),
    ("event edit", "time"),
    ("event edit", "timezone"),
    ("event edit", "description"),
    ("event edit", "reminders"),
)
@PROPERTY_SETTINGS
@given(
    bounded_text(1, 100),
    st.none() | bounded_text(1, 100),
    st.none() | _dates,
    st.none() | _times,
    st.none() | _zones,
    st.none() | bounded_text(1, 1000),
    st.none() | bounded_text(1, 100),
)
def test_event_edit(
    app: App,
    typed_event: str,
    title: str | None,
    date: str | None,
    time: str | None,
    zone: str | None,
    description: str | None,
    reminders: str | None,
) -> None:
    service = app.services.milestones
    day = (service.clock() + dt.timedelta(days=30)).date().isoformat()
    created = app.run(service.add_event(GUILD, CHANNEL, "Mock exam", day, "18:30", "Asia/Kolkata", None, None, 1))
    # The cog turns the typed event into an id (anything else is a clear message), then the service edits it.
    typed_id = parsed(lambda: event_id_of(typed_event))
    if typed_id is not None:
        outcome(app, lambda: service.edit_event(GUILD, typed_id, title=title))
    edited = outcome(
        app,
        lambda: service.edit_event(
            GUILD,
            created.id,
            title=title,
            date_text=date,
            time_text=time,
            zone_text=zone,
            description=description,
            reminders=reminders,
        ),
    )
    if edited is not None:
        assert_fits_and_never_pings(embeds=[milestone_screens.event_edited_embed(edited)])
        assert not would_ping(edited.event.zone)
    app.run(service.remove_event(GUILD, created.id))


# -- study groups ----------------------------------------------------------------------------------------------------

_clock_times = st.sampled_from(["20:00", "8pm", "24:00", "07:5", "19:30:00"]) | bounded_text(1, 20)
_days = st.sampled_from(["mon-fri", "mon,wed,fri", "sun-sat", "weekdays", "funday"]) | bounded_text(1, 60)


@covers(
    ("studygroup-admin create", "name"),
    ("studygroup-admin create", "checkin_time"),
    ("studygroup-admin create", "timezone"),
    ("studygroup-admin create", "days"),
    ("studygroup-admin edit", "group"),
    ("studygroup-admin edit", "name"),
    ("studygroup-admin edit", "checkin_time"),
    ("studygroup-admin edit", "timezone"),
    ("studygroup-admin edit", "days"),
    ("studygroup-admin archive", "group"),
    ("studygroup-admin unarchive", "group"),
    ("studygroup join", "group"),
    ("studygroup leave", "group"),
    ("studygroup info", "group"),
    ("checkin", "group"),
)
@PROPERTY_SETTINGS
@given(
    bounded_text(1, 100),
    st.none() | _clock_times,
    st.none() | _zones,
    st.none() | _days,
    bounded_text(1, 100),
)
def test_study_group_commands(
    app: App, name: str, checkin_time: str | None, zone: str | None, days: str | None, typed_group: str
) -> None:
    study_group_commands(app, name, checkin_time, zone, days, typed_group)


@covers(("GroupModal", "name"), ("GroupModal", "time"), ("GroupModal", "zone"), ("GroupModal", "days"))
@PROPERTY_SETTINGS
@given(
    bounded_text(1, 50),
    st.sampled_from(["", " "]) | _clock_times,
    st.sampled_from(["", " "]) | _zones,
    st.sampled_from(["", " "]) | _days,
)
def test_setup_group_form(app: App, name: str, checkin_time: str, zone: str, days: str) -> None:
    # /setup's study-group form hands its fields to /studygroup-admin create's checks, an empty field meaning "not
    # given": what the form sends must be what the command would do with the same options.
    form = GroupModal(CHANNEL, {"name": name, "time": checkin_time, "zone": zone, "days": days}, user_id=1)
    typed = {c.custom_id: c.default for c in form.children if isinstance(c, discord.ui.TextInput)}
    assert typed == {"name": name, "time": checkin_time, "zone": zone, "days": days}
    study_group_commands(
        app, name, checkin_time.strip() or None, zone.strip() or None, days.strip() or None, typed_group=name
    )


@covers(("help", "command"))
@PROPERTY_SETTINGS
@given(bounded_text(1, 100) | st.sampled_from(["ask", "/quiz start", "QUIZ", "studygroup-admin create", " / "]))
def test_help_command(app: App, command: str) -> None:
    helper = HelpCog(app.bot)
    catalog = helper.catalog()
    assert catalog, "the command tree is loaded"
    names = {info.name for info in catalog}
    try:
        embed = helper.details(command)
    except UserInputError as error:
        user_error_is_clear(error)
        # Refused only when the typed text names no command and no group of commands.
        wanted = " ".join(command.casefold().lstrip("/").split())
        assert wanted not in names and not any(name.startswith(f"{wanted} ") for name in names), command
        return
    assert_fits_and_never_pings(embeds=[embed])
    for moderator in (False, True):
        permissions = discord.Permissions(manage_guild=True) if moderator else discord.Permissions.none()
        assert_fits_and_never_pings(embeds=overview_embeds(catalog, permissions, in_server=True))


# Options as a moderator types them when nothing is wrong: the test above mostly meets refusals (a random name,
# time, zone and days are rarely all valid), this one the groups they make, found by name (any case and spacing) or
# by id (a name starting with "x" is used as the id, as autocomplete sends it).
_words = st.sampled_from(["Night", "owls", "Step 2", "CK", "crew", "xray", "evening", "Rénal", "早上", "  early  "])
_well_formed_names = st.lists(_words, min_size=1, max_size=4).map(" ".join).filter(lambda n: n.strip())


@PROPERTY_SETTINGS
@given(
    _well_formed_names,
    st.none() | st.times().map(lambda t: f"{t:%H:%M}"),
    st.none() | st.sampled_from(["Asia/Kolkata", "America/New_York", "UTC", "Africa/Lagos"]),
    st.none() | st.sampled_from(["mon-fri", "mon,wed,fri", "sun-sat", "sat,sun"]),
    _well_formed_names | _well_formed_names.map(str.upper),
)
def test_study_group_commands_with_well_formed_options(
    app: App, name: str, checkin_time: str | None, zone: str | None, days: str | None, typed_group: str
) -> None:
    study_group_commands(app, name, checkin_time, zone, days, typed_group)


def study_group_commands(
    app: App, name: str, checkin_time: str | None, zone: str | None, days: str | None, typed_group: str
) -> None:
    service = app.services.studygroups
    guild, channel = next(_users), next(_users)
    now = service.now()
    options = parsed(
        lambda: parse_with_clock(
            GroupCreateOptions, now, name=name, channel_id=channel, checkin_time=checkin_time, timezone=zone, days=days
        )
    )
    group: StudyGroup | None = None
    group_ref: str = typed_group
    if options is not None:
        # A new server and channel: valid options always make the group, exactly as given.
        created = outcome(app, lambda: service.create_group(guild, options, creator_id=1))
        assert created is not None
        group = created.group
        assert not would_ping(group.schedule.describe())
        assert (group.guild_id, group.channel_id, group.name) == (guild, channel, options.name)
        assert (group.schedule.local_time, group.schedule.weekdays) == (options.checkin_time, options.days)
        assert created.zone_defaulted == (options.timezone is None)
        assert options.timezone is None or group.schedule.zone == options.timezone
        assert app.run(service.get_group(group.id)) == group
        group_ref = str(group.id) if typed_group.startswith("x") else group.name
    edit = parsed(
        lambda: parse_with_clock(GroupEditOptions, now, name=typed_group, checkin_time=checkin_time, days=days)
    )
    if edit is not None:
        change = outcome(app, lambda: service.edit_group(guild, group_ref, edit))
        edited = None if change is None else change.group
        # The group is found by its id or its name; with no group here there is nothing to edit.
        assert (edited is None) == (group is None)
        if edited is not None and group is not None:
            assert edited.id == group.id and edited.name == (edit.name or group.name)
            assert edited.schedule.local_time == (edit.checkin_time or group.schedule.local_time)
            assert edited.schedule.weekdays == (edit.days or group.schedule.weekdays)
            assert app.run(service.get_group(group.id)) == edited
            group = edited
    # What the typed text names: the group, by its id or its name (spacing and case aside), or nothing.
    named = group if group is not None and names_group(typed_group, group) else None
    user = new_user()
    joined = outcome(app, lambda: service.join(guild, user, typed_group))
    assert (joined is None) == (named is None)
    info = outcome(app, lambda: service.info(guild, typed_group))
    assert (info is None) == (named is None)
    todays = outcome(app, lambda: service.todays_check_in(guild, user, group=typed_group, channel_id=channel))
    assert (todays is None) == (named is None)
    if named is not None:
        assert joined is not None and joined.joined and joined.group.id == named.id
        assert info is not None and info.group.id == named.id and user in info.member_ids
        assert todays is not None and todays[0].id == named.id and todays[1] is None  # no check-in yet today
    left = outcome(app, lambda: service.leave(guild, user, typed_group))
    assert (left is None) == (named is None)
    if named is not None:
        assert user not in app.run(service.info(guild, str(named.id))).member_ids
    choices = app.run(service.group_choices(guild, typed_group[:100]))
    assert len(choices) <= 25
    if group is not None:
        assert (group in choices) == (name_key(typed_group[:100]) in name_key(group.name))
    archived = outcome(app, lambda: service.archive_group(guild, typed_group))
    assert (archived is None) == (named is None)
    if archived is not None:
        # Closed, kept: no longer offered, joined or archived again.
        assert not archived.active and archived not in app.run(service.group_choices(guild, ""))
        assert outcome(app, lambda: service.join(guild, new_user(), typed_group)) is None
        assert outcome(app, lambda: service.archive_group(guild, typed_group)) is None
        assert len(app.run(service.archived_group_choices(guild, typed_group[:100]))) <= 25
        # Archived groups come back, members and history kept, by the same reference.
        unarchived = outcome(app, lambda: service.unarchive_group(guild, typed_group))
        assert unarchived is not None and unarchived.group.active and unarchived.group.id == archived.id


def names_group(typed: str, group: StudyGroup) -> bool:
    """Whether ``/studygroup ... group: typed`` names ``group``: its id (what autocomplete sends) or its name."""
    text = typed.strip()
    return (text.isascii() and text.isdigit() and int(text) == group.id) or name_key(text) == name_key(group.name)


@covers(("settings", "timezone"), ("settings", "nudges"), ("studygroup-retention set", "days"))
@PROPERTY_SETTINGS
@given(st.none() | _zones, st.none() | st.booleans(), st.integers(min_value=-(2**31), max_value=2**31))
def test_member_and_server_settings(app: App, zone: str | None, nudge: bool | None, days: int) -> None:
    service = app.services.studygroups
    now = service.now()
    options = parsed(lambda: parse_with_clock(MemberSettingsOptions, now, timezone=zone, nudge=nudge))
    if options is not None:
        user = new_user()
        saved = outcome(app, lambda: service.update_settings(user, options))
        stored = app.run(service.settings(user))
        if saved is None:
            # Refused only when asking for nudges without a zone to send them in; nothing was saved.
            assert options.nudge and options.timezone is None and (stored.zone, stored.nudge) == (None, False)
        else:
            assert saved.zone is None or not would_ping(saved.zone)
            assert (saved.zone, saved.nudge) == (options.timezone, bool(options.nudge))
            assert (stored.zone, stored.nudge) == (saved.zone, saved.nudge)
    retention = parsed(lambda: parse_with_clock(RetentionOptions, now, days=days))
    # Any whole number of days from 0 to a year is accepted as typed; anything else is refused.
    assert (retention is not None) == (0 <= days <= MAX_RETENTION_DAYS)
    if retention is not None:
        kept = app.run(service.set_retention(GUILD, retention))
        assert kept == days and app.run(service.retention_days(GUILD)) == days


_numbers = st.sampled_from(["40", "72%", "2.5", "2:30", "-1", "1e9", "NaN", "٣٠", "１０"]) | bounded_text(1, 10)


@covers(
    ("CheckInModal", "studied"),
    ("CheckInModal", "questions"),
    ("CheckInModal", "percent"),
    ("CheckInModal", "hours"),
    ("CheckInModal", "blockers"),
)
@PROPERTY_SETTINGS
@given(bounded_text(1, 1000), st.just("") | _numbers, st.just("") | _numbers, st.just("") | _numbers, nasty_text())
def test_checkin_modal(app: App, studied: str, questions: str, percent: str, hours: str, blockers: str) -> None:
    service = app.services.studygroups
    now = service.now()
    guild, channel = next(_users), next(_users)
    group = app.run(
        service.create_group(
            guild, parse_with_clock(GroupCreateOptions, now, name="Evening crew", channel_id=channel), creator_id=1
        )
    ).group
    typed = {
        "studied": studied,
        "questions": questions,
        "percent": percent,
        "hours": hours,
        "blockers": blockers[:1000],
    }
    try:
        entry = parse_form_with_clock(
            CheckInEntry,
            now,
            studied=studied,
            questions=questions,
            percent_correct=percent,
            hours=hours,
            blockers=blockers[:1000],
        )
    except FormErrors as refused:
        # The refusal lists every problem and what was typed, within Discord's limits and pinging nobody; Fix it
        # gets back what the form is filled with again (all of it, unless pings made a field too long to show).
        user_error_is_clear(refused)
        view = discord.ui.View(timeout=None)
        view.add_item(FixCheckInButton(group.id))
        embed = typed_embed(CHECKIN_FIELDS, typed, frozenset(refused.fields))
        content = problems_text([text for _, text in refused.problems])
        assert_fits_and_never_pings(content=content, embeds=[embed], view=view)
        back = typed_from_embeds([discord.Embed.from_dict(embed.to_dict())], CHECKIN_FIELDS)
        for key, value in typed.items():
            if value.strip() and len(defuse_pings(value)) <= 1024:
                assert back[key] == value, key
        return
    user = new_user()
    receipt = outcome(app, lambda: service.check_in(guild, user, entry, group=group.id))
    assert receipt is not None, "a valid entry for an open group is always recorded"
    assert_fits_and_never_pings(embeds=[studygroup_screens.receipt_embed(receipt)])
    # Recorded as typed, as today's check-in in that group (which the member joined by checking in).
    stored = receipt.check_in
    typed = (entry.studied, entry.questions, entry.percent_correct, entry.minutes, entry.blockers)
    assert (stored.studied, stored.questions, stored.percent_correct, stored.minutes, stored.blockers) == typed
    assert receipt.group.id == group.id and receipt.joined and not receipt.updated
    assert app.run(service.todays_check_in(guild, user, group=group.id)) == (receipt.group, stored)


# /progress user: takes a member Discord picks (not typed, so the guard above does not ask for it); what is shown
# of them is their display name, which they type: on every /progress screen it fits and never pings.
@FEW_EXAMPLES
@given(nasty_text(), st.booleans())
def test_progress_screens_show_any_display_name_safely(app: App, name: str, moderator: bool) -> None:
    service = app.services.studygroups
    now = service.now()
    guild, channel, asker, member = next(_users), next(_users), new_user(), new_user()
    group = app.run(
        service.create_group(
            guild, parse_with_clock(GroupCreateOptions, now, name="Evening crew", channel_id=channel), creator_id=1
        )
    ).group
    entry = parse_with_clock(CheckInEntry, now, studied="Renal", questions="40", hours="1:30")
    app.run(service.check_in(guild, member, entry, group=group.id))
    if not moderator:
        app.run(service.join(guild, asker, str(group.id)))
    viewed = app.run(service.progress_for(guild, asker, member, target_name=name, asker_manages_server=moderator))
    assert_fits_and_never_pings(embeds=[studygroup_screens.viewed_progress_embed(viewed, name)])
    own = app.run(service.progress(guild, member))
    shared = studygroup_screens.progress_embed(own, studygroup_screens.ProgressAudience.PUBLIC, name=name)
    view = discord.ui.View(timeout=None)
    view.add_item(ShareProgressButton(member))
    assert_fits_and_never_pings(embeds=[studygroup_screens.progress_embed(own)], view=view)
    assert_fits_and_never_pings(embeds=[shared])
    for refused in (
        lambda: service.progress_for(guild, asker, member, target_name=name, target_is_bot=True),
        lambda: service.progress_for(guild, asker, new_user(), target_name=name, asker_manages_server=True),
    ):
        with pytest.raises(UserInputError) as error:
            app.run(refused())
        user_error_is_clear(error.value)


# -- /mydates --------------------------------------------------------------------------------------------------------

_kinds = st.sampled_from([value for _, value in KIND_CHOICES] + ["Interview", "exam"]) | bounded_text(1, 20)
_my_reminders = st.sampled_from(["7d,1d,2h", "none", "0", "90d", "91d", "1d,1d", "2h,30m", " "]) | bounded_text(1, 100)


@covers(
    ("mydates add", "kind"),
    ("mydates add", "date"),
    ("mydates add", "time"),
    ("mydates add", "timezone"),
    ("mydates add", "title"),
    ("mydates add", "reminders"),
    ("mydates remove", "date"),
    ("mydates share-in-recaps", "share"),
)
@PROPERTY_SETTINGS
@given(
    _kinds,
    _dates,
    _times,
    _zones,
    st.none() | bounded_text(1, 80) | st.sampled_from(["Mayo <@123456789012345678>", "@everyone OET"]),
    st.none() | _my_reminders,
    bounded_text(1, 100),
    st.sampled_from(["on", "off"]) | bounded_text(1, 10),
    st.none() | st.booleans(),
)
def test_mydates(
    app: App,
    kind: str,
    date: str,
    time: str,
    zone: str,
    title: str | None,
    reminders: str | None,
    typed_date: str,
    share: str,
    named: bool | None,
) -> None:
    service = app.services.mydates
    now = service.now()
    user = new_user()
    assert len(service.zone_choices(zone[:64])) <= 25
    options = parsed(
        lambda: parse_options_with(
            AddDateOptions,
            {"now": now},
            kind=kind,
            title=title,
            date=date,
            time=time,
            timezone=zone,
            reminders=reminders,
        )
    )
    # Typed text that is neither a saved date's id nor its name removes nothing, with a message saying so.
    assert outcome(app, lambda: service.remove(user, typed_date)) is None
    if options is not None:
        added = outcome(app, lambda: service.add(user, options))
        assert added is not None, "valid options for a date ahead are always saved"
        # Saved as typed: the kind, the tidied title, the instant in the zone given, the reminders asked for.
        saved = added.date
        assert (saved.kind, saved.title, saved.zone) == (options.kind, options.title, options.timezone)
        assert saved.starts_at == options.starts_at > now and saved.reminders == options.reminders
        assert set(added.upcoming) | set(added.passed) == set(saved.reminders)
        assert app.run(service.dates(user)) == (saved,)
        assert_fits_and_never_pings(embeds=[mydates_screens.added_embed(added)])
        assert_fits_and_never_pings(embeds=[mydates_screens.dates_embed((saved,), now)])
        for offset in saved.reminders:
            reminder = PlannedReminder(saved, offset)
            for late in (False, True):
                embed = mydates_screens.reminder_embed(reminder, late=late, nonce="n" * 25)
                assert_fits_and_never_pings(embeds=[embed])
        assert_fits_and_never_pings(content=mydates_screens.pause_notice(DmPause(user, now, saved.name)))
        choices = app.run(service.choices(user, typed_date[:100]))
        assert all(1 <= len(label) <= 100 for label, _ in choices)
        assert [date_id for _, date_id in app.run(service.choices(user, ""))] == [saved.id]
        calendar = app.run(service.calendar(user))
        assert calendar.dates == 1 and calendar.data.startswith(b"BEGIN:VCALENDAR")
        # Removed by what autocomplete sends (its id): gone, and removing it again is refused.
        removed = app.run(service.remove(user, str(saved.id)))
        assert removed == saved and app.run(service.dates(user)) == ()
        assert_fits_and_never_pings(content=mydates_screens.removed_text(removed))
        assert outcome(app, lambda: service.remove(user, str(saved.id))) is None
    sharing_options = parsed(lambda: parse_options(ShareOptions, share=share, named=named))
    assert (sharing_options is not None) == (share.strip().lower() in ("on", "off"))
    if sharing_options is not None:
        sharing = app.run(service.share(user, GUILD, sharing_options))
        assert (sharing is not None) == sharing_options.share
        assert sharing is None or sharing.named == bool(named)
        assert_fits_and_never_pings(content=mydates_screens.sharing_text(sharing))
