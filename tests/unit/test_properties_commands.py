"""Property tests over every slash command option and every modal field a person types, through the service layer.

For each typed option (text and numbers; users, channels and roles are picked by Discord) hypothesis sends what
people type at a bot: pings in disguise, other scripts, markdown, blanks, huge or negative numbers. Properties:

- validation and the service either succeed or raise UserInputError (a message saying how to fix it), nothing else;
- the reply the cog builds from the result (the same screen functions) fits Discord's limits, checked with the
  emulator's own contract code (bot/sandbox/contract.py) rather than a second copy of the limits;
- nothing typed comes back as a ping: no reply text, and no error message as the error path shows it, would ping.

``test_every_typed_option_and_modal_field_has_a_property_test`` walks the registered command tree and every modal,
and fails when a typed option or field has no property test here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import discord
import pytest
from discord import app_commands
from hypothesis import given
from hypothesis import strategies as st

from bot.app import ImgBot
from bot.content import Content
from bot.knowledge.options import AskOptions, TopicOptions
from bot.quiz.options import LeaderboardOptions, QuizReviewOptions, QuizStartOptions
from bot.readiness.assessment import StepKind
from bot.readiness.options import TimelineOptions
from bot.sandbox.contract import check_message_body
from bot.studygroups.models import (
    CheckInEntry,
    GroupCreateOptions,
    GroupEditOptions,
    MemberSettingsOptions,
    RetentionOptions,
    parse_with_clock,
)
from bot.text import would_ping
from bot.ui import milestones as milestone_screens
from bot.ui import quiz as quiz_screens
from bot.ui import readiness as readiness_screens
from bot.ui import studygroups as studygroup_screens
from bot.ui.embeds import entry_embed
from bot.ui.errors import BaseModal, describe_user_error
from bot.validation import UserInputError, parse_options
from cogs.knowledge import answer_view, no_answer_embed, suggestions_view
from cogs.milestones.events import event_id_of
from cogs.quiz import solo_view
from cogs.readiness import question_view, timeline_view
from cogs.studygroups.checkin import receipt_embed
from cogs.studygroups.progress import ShareProgressButton
from tests.conftest import make_settings
from tests.unit.nasty import FEW_EXAMPLES, PROPERTY_SETTINGS, bounded_text, nasty_text

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


# -- one prepared bot (database, services, cogs) per module; hypothesis examples run on its event loop ---------------


class App:
    def __init__(self, runner: asyncio.Runner, bot: ImgBot) -> None:
        self.runner, self.bot = runner, bot

    @property
    def services(self) -> Any:
        return self.bot.services

    def run(self, coroutine: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await coroutine

        return self.runner.run(wrapped())


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, content: Content) -> Iterator[App]:
    runner = asyncio.Runner()
    bot = ImgBot(make_settings(Path(tmp_path_factory.mktemp("props"))), content)
    runner.run(bot.prepare())
    try:
        yield App(runner, bot)
    finally:
        runner.run(bot.close())
        runner.close()


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
    modal = CheckInModal(group, None)
    assert {c.custom_id for c in modal.children if isinstance(c, discord.ui.TextInput)} == MODAL_FIELDS["CheckInModal"]


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
    if started is not None:
        assert_fits_and_never_pings(
            content=started.note,
            embeds=[quiz_screens.solo_question_embed(started.question, review=False)],
            view=solo_view(started.run_id, started.question, review=False),
        )
        app.run(quiz.stop_solo(user))


@covers(("quiz review", "questions"))
@FEW_EXAMPLES
@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_quiz_review(app: App, questions: int) -> None:
    options = parsed(lambda: parse_options(QuizReviewOptions, questions=questions))
    if options is not None:
        # A new member has nothing to review: a clear message, not a crash.
        user = new_user()
        outcome(
            app,
            lambda: app.services.quiz.start_review(
                user, guild_id=GUILD, channel_id=CHANNEL, questions=options.questions
            ),
        )


@covers(("quiz leaderboard", "period"))
@FEW_EXAMPLES
@given(st.sampled_from(["week", "all", "ALL", "month"]) | nasty_text(2))
def test_quiz_leaderboard(app: App, period: str) -> None:
    options = parsed(lambda: parse_options(LeaderboardOptions, period=period))
    if options is not None:
        board = app.run(app.services.quiz.leaderboard(GUILD, options.period, user_id=new_user()))
        assert_fits_and_never_pings(embeds=[quiz_screens.leaderboard_embed(board, {}, server="IMG Study Hall")])


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
            view=timeline_view(request, shared=shared_by is not None),
        )


@covers(("NumberModal", "answer"))
@PROPERTY_SETTINGS
@given(st.text(min_size=1, max_size=12) | nasty_text(3).map(lambda t: t[:12]).filter(bool))
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
    shown = answered or progress
    if shown.step is not None:
        assert_fits_and_never_pings(embeds=[readiness_screens.question_embed(shown)], view=question_view(shown))


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
    outcome(app, lambda: app.services.milestones.subscribe(guild, CHANNEL, None, reminders, 1))


_dates = st.sampled_from(["2030-03-04", "2027-02-30", "04/03/2030", "2030-3-4"]) | bounded_text(1, 10)
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
    removed = app.run(service.remove_event(GUILD, created.id))
    assert removed.id == created.id
    # The cog turns the typed event into an id; anything else is a clear message.
    outcome(app, lambda: service.remove_event(GUILD, created.id))


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
    service = app.services.studygroups
    guild, channel = next(_users), next(_users)
    now = service.now()
    options = parsed(
        lambda: parse_with_clock(
            GroupCreateOptions, now, name=name, channel_id=channel, checkin_time=checkin_time, timezone=zone, days=days
        )
    )
    group_ref: str = typed_group
    if options is not None:
        created = outcome(app, lambda: service.create_group(guild, options, creator_id=1))
        if created is not None:
            assert not would_ping(created.group.schedule.describe())
            group_ref = str(created.group.id) if typed_group.startswith("x") else created.group.name
    edit = parsed(
        lambda: parse_with_clock(GroupEditOptions, now, name=typed_group, checkin_time=checkin_time, days=days)
    )
    if edit is not None:
        outcome(app, lambda: service.edit_group(guild, group_ref, edit))
    user = new_user()
    outcome(app, lambda: service.join(guild, user, typed_group))
    outcome(app, lambda: service.info(guild, typed_group))
    outcome(app, lambda: service.todays_check_in(guild, user, group=typed_group, channel_id=channel))
    outcome(app, lambda: service.leave(guild, user, typed_group))
    assert len(app.run(service.group_choices(guild, typed_group[:100]))) <= 25
    outcome(app, lambda: service.archive_group(guild, typed_group))
    assert len(app.run(service.archived_group_choices(guild, typed_group[:100]))) <= 25
    outcome(app, lambda: service.unarchive_group(guild, typed_group))


@covers(("settings", "timezone"), ("settings", "nudges"), ("studygroup-retention set", "days"))
@PROPERTY_SETTINGS
@given(st.none() | _zones, st.none() | st.booleans(), st.integers(min_value=-(2**31), max_value=2**31))
def test_member_and_server_settings(app: App, zone: str | None, nudge: bool | None, days: int) -> None:
    service = app.services.studygroups
    now = service.now()
    options = parsed(lambda: parse_with_clock(MemberSettingsOptions, now, timezone=zone, nudge=nudge))
    if options is not None:
        saved = outcome(app, lambda: service.update_settings(new_user(), options))
        if saved is not None:
            assert saved.zone is None or not would_ping(saved.zone)
    retention = parsed(lambda: parse_with_clock(RetentionOptions, now, days=days))
    if retention is not None:
        kept = app.run(service.set_retention(GUILD, retention))
        assert 0 <= kept <= 365


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
    entry = parsed(
        lambda: parse_with_clock(
            CheckInEntry,
            now,
            studied=studied,
            questions=questions,
            percent_correct=percent,
            hours=hours,
            blockers=blockers[:1000],
        )
    )
    if entry is None:
        return
    receipt = outcome(app, lambda: service.check_in(guild, new_user(), entry, group=group.id))
    if receipt is not None:
        assert_fits_and_never_pings(embeds=[receipt_embed(receipt)])


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
