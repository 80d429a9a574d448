"""Property tests over every option of /interview and /rank and every field of their forms, through the service.

The same properties as ``properties/test_commands.py`` (whose guard imports this module, so what it covers counts):
validation and the service succeed or raise a clear UserInputError; every screen built from the result fits Discord's
limits and never pings; what was accepted is what is stored and shown, and what was refused left nothing behind.
"""

from __future__ import annotations

import datetime as dt

import discord
from hypothesis import given
from hypothesis import strategies as st

from bot.interviews.models import Category
from bot.interviews.options import LOG_FUTURE, LOG_PAST, AnswerNote, LogEntry, PracticeOptions, RankNote, parse
from bot.interviews.service import InterviewService
from bot.ui import interviews as screens
from cogs.interviews import (
    AnswerNoteModal,
    CardState,
    LogEntryModal,
    PracticeButton,
    RankNoteModal,
    draft_screen,
    entry_view,
    log_view,
    note_view,
    notes_view,
    practice_view,
)
from tests.unit.nasty import FEW_EXAMPLES, PROPERTY_SETTINGS, bounded_text, nasty_text
from tests.unit.properties.conftest import App
from tests.unit.properties.test_commands import (
    MODAL_FIELDS,
    assert_fits_and_never_pings,
    covers,
    new_user,
    outcome,
    parsed,
)

MODAL_FIELDS.update(
    {
        "AnswerNoteModal": {"note"},
        "LogEntryModal": {"program", "date", "impression", "notes"},
        "RankNoteModal": {"note"},
    }
)

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def interviews(app: App) -> InterviewService:
    # discord.py loads the extension as a module object of its own, so its cog is not an instance of the class
    # imported here: the service is what counts.
    service = getattr(app.bot.get_cog("Interviews"), "service", None)
    assert isinstance(service, InterviewService)
    return service


def written(day: dt.date, style: int) -> str:
    """A date the way a member might type it."""
    return (
        day.isoformat(),
        f"{day.day} {MONTHS[day.month - 1]} {day.year}",
        f"{MONTHS[day.month - 1][:3]} {day.day}, {day.year}",
        f"{day:%d/%m/%Y}",
        f"{day.year}/{day.month}/{day.day}",
    )[style % 5]


def dates(today: dt.date) -> st.SearchStrategy[str]:
    near = st.dates(min_value=today - LOG_PAST - dt.timedelta(days=30), max_value=today + LOG_FUTURE + dt.timedelta(30))
    return st.one_of(
        st.builds(written, near, st.integers(min_value=0, max_value=4)),
        nasty_text(3).map(lambda t: t[:30]),
        st.sampled_from(["2027-02-30", "0000-01-01", "9999-12-31", "tomorrow", "١٥ يناير ٢٠٢٧"]),
    ).filter(lambda t: 1 <= len(t) <= 30)


_impressions = st.none() | st.integers(min_value=-(2**31), max_value=2**31) | st.sampled_from(["4", " 5 ", "3/5", "0"])


def test_the_modal_fields_listed_are_the_real_ones(app: App) -> None:
    service = interviews(app)
    question = service.bank.questions[0]
    entry = app.run(
        service.log_interview(new_user(), parse(LogEntry, service.log_context(), program="P", date="2027-01-15"))
    )
    for modal, name in (
        (AnswerNoteModal(question, user_id=1), "AnswerNoteModal"),
        (LogEntryModal(entry, 0, user_id=1), "LogEntryModal"),
        (RankNoteModal(entry, user_id=1), "RankNoteModal"),
    ):
        assert {c.custom_id for c in modal.children if isinstance(c, discord.ui.TextInput)} == MODAL_FIELDS[name]
        assert len(modal.title) <= 45  # the labels are checked by the emulator when the end-to-end tests open them


# -- /interview practice ---------------------------------------------------------------------------------------------


@covers(("interview practice", "category"), ("interview practice", "minutes"))
@PROPERTY_SETTINGS
@given(
    st.none()
    | st.sampled_from([c.value for c in Category] + [c.label.upper() for c in Category] + ["all", "surgery"])
    | bounded_text(1, 100),
    st.none() | st.integers(min_value=-(2**53), max_value=2**53),
)
def test_interview_practice(app: App, category: str | None, minutes: int | None) -> None:
    values = {k: v for k, v in {"category": category, "minutes": minutes}.items() if v is not None}
    options = parsed(lambda: parse(PracticeOptions, **values))
    if options is None:
        assert minutes is not None and not 1 <= minutes <= 5
        return
    service = interviews(app)
    card = parsed(lambda: service.start_practice(options))
    if card is None:
        # Only a category the bank does not know is refused once the options are valid.
        assert options.category is not None
        return
    expected = service.bank.resolve(options.category)
    assert card.category is expected and (expected is None or card.question.category is expected)
    assert dt.timedelta(minutes=options.minutes) - (card.ends_at - service.now()) < dt.timedelta(seconds=5)
    for tips in (False, True):
        assert_fits_and_never_pings(embeds=[screens.practice_embed(card, tips=tips)], view=practice_view(card))
    following = service.next_card(card.category, card.minutes, card.seed, card.position)
    assert_fits_and_never_pings(embeds=[screens.practice_embed(following, tips=False)], view=practice_view(following))


def test_the_longest_practice_custom_ids_fit(app: App) -> None:
    """The longest category, a place far along the sequence, a timer in 2286 and the longest question id."""
    service = interviews(app)
    longest = max(service.bank, key=lambda q: len(q.id))
    card = service.next_card(max(Category, key=lambda c: len(c.value)), 5, 16**6 - 1, 999_998)
    card = service.same_card(
        card.category, 5, card.seed, card.position, dt.datetime(2286, 1, 1, tzinfo=dt.UTC), longest.id
    )
    assert_fits_and_never_pings(embeds=[screens.practice_embed(card, tips=True)], view=practice_view(card))


@FEW_EXAMPLES
@given(
    st.sampled_from([None, *Category]),
    st.integers(min_value=1, max_value=5),
    st.integers(min_value=0, max_value=16**6 - 1),
    st.integers(min_value=0, max_value=999_999),
    # Hypothesis takes naive bounds (timezones= makes the values aware).
    st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2280, 1, 1), timezones=st.just(dt.UTC)),  # noqa: DTZ001
)
def test_a_practice_cards_buttons_carry_its_whole_state(
    category: Category | None, minutes: int, seed: int, position: int, ends_at: dt.datetime
) -> None:
    """What a button writes into its custom_id is what its click reads back, to the second, after any restart."""
    state = CardState(category, minutes, seed, position, ends_at.replace(microsecond=0))
    for action, question_id in (("tips", "why-this-program"), ("next", None)):
        custom_id = PracticeButton(action, state, question_id).item.custom_id
        assert custom_id is not None
        match = PracticeButton.__discord_ui_compiled_template__.fullmatch(custom_id)
        assert match is not None and CardState.parse(match) == state and match["qid"] == question_id
    renamed = PracticeButton.__discord_ui_compiled_template__.fullmatch(f"iv:next:old-name:2:00ff00:3:{10**9}")
    assert renamed is not None and CardState.parse(renamed).category is None, "an unknown category goes on as mixed"


# -- notes -----------------------------------------------------------------------------------------------------------


@covers(("AnswerNoteModal", "note"))
@PROPERTY_SETTINGS
@given(bounded_text(1, 1000), st.sampled_from(range(20)))
def test_answer_note_modal(app: App, note: str, which: int) -> None:
    service = interviews(app)
    user = new_user()
    question = service.bank.questions[which * 6 % len(service.bank)]
    fields = parsed(lambda: parse(AnswerNote, note=note))
    saved = None if fields is None else outcome(app, lambda: service.save_note(user, question.id, fields))
    page = app.run(service.notes_page(user, 0))
    if saved is None:
        assert page.total == 0
        return
    assert fields is not None and saved.note == fields.note and page.items == (saved,)
    assert_fits_and_never_pings(content=screens.note_saved_text(saved))
    assert_fits_and_never_pings(embeds=[screens.notes_embed(page)], view=notes_view(page))
    for confirm in (False, True):
        assert_fits_and_never_pings(
            embeds=[screens.note_embed(saved, confirm_delete=confirm)], view=note_view(saved, 0, confirm=confirm)
        )


# -- /interview log and its form -------------------------------------------------------------------------------------


@covers(
    ("interview log", "program"), ("interview log", "date"), ("interview log", "impression"), ("interview log", "notes")
)
@PROPERTY_SETTINGS
@given(st.data())
def test_interview_log(app: App, data: st.DataObject) -> None:
    service = interviews(app)
    program = data.draw(bounded_text(1, 100) | st.sampled_from(["Mercy Hospital Internal Medicine", "IM – Riverside"]))
    date = data.draw(dates(service.today()))
    impression = data.draw(_impressions)
    notes = data.draw(st.none() | bounded_text(1, 1000))
    user = new_user()
    fields = parsed(
        lambda: parse(LogEntry, service.log_context(), program=program, date=date, impression=impression, notes=notes)
    )
    logged = None if fields is None else outcome(app, lambda: service.log_interview(user, fields))
    page = app.run(service.log_page(user, 0))
    if logged is None:
        assert page.total == 0
        return
    assert fields is not None
    assert (logged.program, logged.date, logged.impression, logged.notes) == (
        fields.program,
        fields.date,
        fields.impression,
        fields.notes,
    )
    assert abs((logged.date - service.today()).days) <= max(LOG_PAST.days, LOG_FUTURE.days)
    assert_fits_and_never_pings(content=screens.logged_text(logged, page.total))
    assert_fits_and_never_pings(embeds=[screens.log_embed(page)], view=log_view(page))
    for confirm in (False, True):
        assert_fits_and_never_pings(
            embeds=[screens.entry_embed(logged, confirm_remove=confirm)], view=entry_view(logged, 0, confirm=confirm)
        )
    embed, view = draft_screen(app.run(service.draft(user)), 0, None)
    assert_fits_and_never_pings(embeds=[embed], view=view)


@covers(
    ("LogEntryModal", "program"), ("LogEntryModal", "date"), ("LogEntryModal", "impression"), ("LogEntryModal", "notes")
)
@FEW_EXAMPLES
@given(st.data())
def test_log_entry_modal(app: App, data: st.DataObject) -> None:
    service = interviews(app)
    user = new_user()
    before = app.run(
        service.log_interview(
            user, parse(LogEntry, service.log_context(), program="Before IM", date=service.today().isoformat())
        )
    )
    program = data.draw(bounded_text(1, 100))
    date = data.draw(dates(service.today()))
    impression = data.draw(st.just("") | _impressions.map(lambda v: "" if v is None else str(v)[:3]))
    notes = data.draw(st.just("") | bounded_text(1, 1000))
    fields = parsed(
        lambda: parse(LogEntry, service.log_context(), program=program, date=date, impression=impression, notes=notes)
    )
    after = None if fields is None else outcome(app, lambda: service.edit_entry(user, before.id, fields))
    stored = app.run(service.entry(user, before.id))
    if after is None:
        assert (stored.program, stored.date, stored.impression, stored.notes) == (
            before.program,
            before.date,
            before.impression,
            before.notes,
        )
        return
    assert fields is not None and (stored.program, stored.date, stored.impression, stored.notes) == (
        fields.program,
        fields.date,
        fields.impression,
        fields.notes,
    )
    assert_fits_and_never_pings(embeds=[screens.entry_embed(stored)], view=entry_view(stored, 0))


# -- /rank draft's note ----------------------------------------------------------------------------------------------


@covers(("RankNoteModal", "note"))
@FEW_EXAMPLES
@given(st.just("") | bounded_text(1, 300))
def test_rank_note_modal(app: App, note: str) -> None:
    service = interviews(app)
    user = new_user()
    for number in range(12):
        app.run(
            service.log_interview(
                user,
                parse(
                    LogEntry,
                    service.log_context(),
                    program=f"Program {number} <@123456789012345678>"[:11],
                    date=(service.today() + dt.timedelta(days=number)).isoformat(),
                    impression=number % 5 + 1,
                ),
            )
        )
    last = app.run(service.draft(user)).entries[-1]
    fields = parsed(lambda: parse(RankNote, note=note))
    draft = None if fields is None else outcome(app, lambda: service.set_rank_note(user, last.id, fields))
    stored = app.run(service.entry(user, last.id))
    if draft is None:
        assert stored.rank_note is None
        return
    assert fields is not None and stored.rank_note == fields.note
    for page in (0, 1):
        embed, view = draft_screen(draft, page, last.id)
        assert_fits_and_never_pings(embeds=[embed], view=view)
    text = app.run(service.export(user))
    assert (fields.note is None) == ("Why here:" not in text)
