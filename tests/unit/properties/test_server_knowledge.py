"""Property tests over the entry form of /knowledge add and edit, the entry option of /knowledge edit and remove, and
/ask and /topic in a server with its own entries, through the service.

The same properties as ``properties/test_commands.py`` (whose guard imports this module, so what it covers counts):
validation and the service succeed or raise a clear UserInputError (a refused form names every field it refuses);
every screen built from the result fits Discord's limits and never pings; what was accepted is what is stored, shown
and found again, and what was refused left nothing behind; a refusal's **Fix it** gets back exactly what was typed.
"""

from __future__ import annotations

import dataclasses
import itertools

import discord
from hypothesis import given
from hypothesis import strategies as st

from bot.knowledge.options import AskOptions
from bot.knowledge.server_entries import (
    MAX_ALIAS_CHARS,
    MAX_ALIASES,
    MAX_ANSWER_CHARS,
    MAX_TITLE_CHARS,
    ServerEntries,
    ServerEntry,
    ServerEntryForm,
    terms_of,
)
from bot.text import defuse_pings
from bot.ui.embeds import DESCRIPTION_LIMIT, entry_embed
from bot.ui.forms import problems_text
from bot.ui.server_knowledge import (
    list_embed,
    remove_question,
    saved_text,
    server_entry_embed,
    typed_embeds,
    typed_from,
    typed_of,
)
from bot.validation import FormErrors, parse_form, parse_options
from cogs.knowledge import answer_view, suggestions_view
from cogs.server_knowledge import FixEntryButton, ServerEntryModal
from discord_emulator.contract import check_message_body
from tests.unit.nasty import FEW_EXAMPLES, PROPERTY_SETTINGS, bounded_text, nasty_text
from tests.unit.properties.conftest import App
from tests.unit.properties.test_commands import (
    MODAL_FIELDS,
    assert_fits_and_never_pings,
    covers,
    new_user,
    outcome,
    parsed,
    user_error_is_clear,
)

MODAL_FIELDS.update({"ServerEntryModal": {"title", "aliases", "answer", "link"}})
FORM_KEYS = ("title", "aliases", "answer", "link")

_guilds = itertools.count(700_000_000_000_000_001)


def new_guild() -> int:
    """A server of its own per example: entries of one never meet another's title or limit."""
    return next(_guilds)


def entries(app: App) -> ServerEntries:
    service = app.services.server_entries
    assert isinstance(service, ServerEntries)
    return service


def unnamed(entry: ServerEntry) -> ServerEntry:
    """The entry as shown once its authors deleted their data: the screen without the authors' mentions, which
    render as names and notify nobody in an embed, so that everything left is what was typed."""
    return dataclasses.replace(entry, created_by=0, updated_by=0)


def assert_entry_screens_fit(entry: ServerEntry, question: str | None = None) -> None:
    embed = server_entry_embed(entry, question)
    assert not list(check_message_body({"embeds": [embed.to_dict()]}))
    assert_fits_and_never_pings(embeds=[server_entry_embed(unnamed(entry), question)])


def test_the_modal_fields_listed_are_the_real_ones() -> None:
    longest = 2**64 - 1
    for modal in (
        ServerEntryModal(None, {}, user_id=1),
        ServerEntryModal(longest, {"title": "x" * 500, "answer": "y" * 5000}, user_id=longest, fixing=True),
    ):
        assert len(modal.custom_id) <= 100
        assert {c.custom_id for c in modal.children if isinstance(c, discord.ui.TextInput)} == MODAL_FIELDS[
            "ServerEntryModal"
        ]
        assert len(modal.title) <= 45
        # A default longer than its input would make Discord refuse the whole form.
        for item in modal.children:
            if isinstance(item, discord.ui.TextInput) and item.default:
                assert item.max_length is not None and len(item.default) <= item.max_length


# -- the entry form --------------------------------------------------------------------------------------------------


def aliases_text() -> st.SearchStrategy[str]:
    names = st.one_of(nasty_text(2), st.sampled_from(["study hall", "voice room", "Study Hall", "x" * 61, " , ,"]))
    return st.one_of(
        st.just(""),
        st.sampled_from(["study hall, voice room", "Study Hall, study hall,, SH", "a,b,c,d,e,f,g,h"]),
        st.lists(names, max_size=20).map(", ".join).map(lambda t: t[:300]),
    )


def links() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.sampled_from(["https://example.org/study-hall", " https://www.ecfmg.org/certification/?a=1&b=2 "]),
        st.sampled_from(
            [
                "https://example.org/?b=<@123>",
                "http://example.org",
                "https://medium.com/@heredia/notes",
                "https://ww.example.org",
                "example.org",
                "https://example.org/a b",
            ]
        ),
        bounded_text(1, 500),
    )


@covers(
    ("ServerEntryModal", "title"),
    ("ServerEntryModal", "aliases"),
    ("ServerEntryModal", "answer"),
    ("ServerEntryModal", "link"),
)
@PROPERTY_SETTINGS
@given(
    st.one_of(bounded_text(1, MAX_TITLE_CHARS), st.sampled_from(["Study hall hours", "SOAP tips"])),
    aliases_text(),
    st.one_of(bounded_text(1, MAX_ANSWER_CHARS), st.sampled_from(["Every evening 8-11 p.m. in #study-hall."])),
    links(),
)
def test_entry_form(app: App, title: str, aliases: str, answer: str, link: str) -> None:
    typed = {"title": title, "aliases": aliases, "answer": answer, "link": link}
    service, guild, user = entries(app), new_guild(), new_user()
    try:
        form = parse_form(ServerEntryForm, **typed)
    except FormErrors as refused:
        refusal_round_trips(refused, typed)
        assert app.run(service.entries(guild)) == []
        return
    # What the form accepts fits the database's and Discord's limits.
    assert 1 <= len(form.title) <= MAX_TITLE_CHARS and 1 <= len(form.answer) <= MAX_ANSWER_CHARS
    assert len(form.aliases) <= MAX_ALIASES and all(1 <= len(a) <= MAX_ALIAS_CHARS for a in form.aliases)
    assert form.link is None or form.link == link.strip()  # shown as typed
    entry = outcome(app, lambda: service.add(guild, user, form))
    assert entry is not None, "an accepted form is saved in a server with room"
    assert (entry.title, entry.aliases, entry.answer, entry.link) == (form.title, form.aliases, form.answer, form.link)
    assert entry.created_by == entry.updated_by == user
    assert_entry_screens_fit(entry)
    assert_fits_and_never_pings(content=saved_text(entry, added=True, total=1))
    assert_fits_and_never_pings(content=remove_question(entry), embeds=[server_entry_embed(unnamed(entry))])
    assert_fits_and_never_pings(embeds=[list_embed([unnamed(entry)], 0)])
    # Found again: by its id (as /topic's list gives it), by its title typed, by a question that is its title.
    assert app.run(service.find(guild, entry.choice_value)) == entry
    if terms_of(entry.title):
        assert entry.id in [h.entry_id for h in app.run(service.search(guild, entry.title))]
    found = app.run(service.find(guild, entry.title))
    assert found is None or found.id == entry.id
    # The edit form opens with what is stored, within each input's length, and saves it unchanged.
    shown = typed_of(entry)
    modal = ServerEntryModal(entry.id, shown, user_id=user)
    assert {c.custom_id: c.default or "" for c in modal.children if isinstance(c, discord.ui.TextInput)} == shown
    again = parse_form(ServerEntryForm, **shown)
    assert again == form
    # A second entry of the same title is refused on its title, and nothing is added.
    duplicate = outcome(app, lambda: service.add(guild, user, form))
    assert duplicate is None and len(app.run(service.entries(guild))) == 1


def refusal_round_trips(refused: FormErrors, typed: dict[str, str]) -> None:
    """The refusal names only the form's fields, says it clearly, fits, never pings, and Fix it reads back what was
    typed (all of it, but for an answer of so many pings that showing them broken passes 4,096 characters)."""
    user_error_is_clear(refused)
    assert refused.fields <= set(FORM_KEYS) and refused.problems
    view = discord.ui.View(timeout=None)
    view.add_item(FixEntryButton(None))
    embeds = typed_embeds(typed, refused.fields)
    assert_fits_and_never_pings(content=problems_text([text for _, text in refused.problems]), embeds=embeds, view=view)
    filled = {key: value for key, value in typed.items() if value.strip()}
    if len(defuse_pings(typed["answer"])) > DESCRIPTION_LIMIT:
        filled.pop("answer", None)
        assert typed_from(embeds).get("answer", "") in typed["answer"]
        return
    assert {k: v for k, v in typed_from(embeds).items() if k != "answer" or "answer" in filled} == filled


# -- /knowledge edit and remove: the entry option --------------------------------------------------------------------


@covers(("knowledge edit", "entry"), ("knowledge remove", "entry"))
@FEW_EXAMPLES
@given(bounded_text(1, 100))
def test_entry_option(app: App, typed: str) -> None:
    service, guild = entries(app), new_guild()
    entry = app.run(
        service.add(guild, new_user(), parse_form(ServerEntryForm, title="Study hall hours", answer="Evenings."))
    )
    choices = app.run(service.choices(guild, typed[:100]))
    assert len(choices) <= 25
    picked = outcome(app, lambda: service.resolve(guild, typed))
    if picked is not None:
        assert picked == entry
    # Whatever was typed, another server's entry is never reached.
    other = new_guild()
    assert outcome(app, lambda: service.resolve(other, str(entry.id))) is None
    assert outcome(app, lambda: service.resolve(other, typed)) is None


# -- /ask and /topic in a server with its own entries ----------------------------------------------------------------


@FEW_EXAMPLES
@given(bounded_text(1, 300), st.lists(nasty_text(4), min_size=1, max_size=4))
def test_ask_in_a_server_with_its_own_entries(app: App, question: str, titles: list[str]) -> None:
    options = parsed(lambda: parse_options(AskOptions, question=question))
    service, guild = entries(app), new_guild()
    for title in [*titles, "Study hall hours"]:
        form = parsed(lambda t=title: parse_form(ServerEntryForm, title=t[:100] or "x", answer=f"About {t}"))
        if form is not None:
            outcome(app, lambda f=form: service.add(guild, new_user(), f))
    if options is None:
        return
    hits = app.run(service.search(guild, options.question))
    assert len(hits) <= 3 and all(0 < h.score <= 1 for h in hits)
    knowledge = app.services.knowledge
    answer = knowledge.answer(options.question)
    if answer.entry is not None:
        assert_fits_and_never_pings(
            embeds=[entry_embed(answer.entry, question=options.question)],
            view=answer_view(knowledge, answer.entry, answer.offered, hits),
        )
    elif hits:
        own = app.run(service.entry(guild, hits[0].entry_id))
        assert_entry_screens_fit(own, options.question)
        assert_fits_and_never_pings(view=suggestions_view(answer.suggestions, hits[1:]))
    for entry_id, title in app.run(service.choices(guild, question[:100])):
        assert app.run(service.entry(guild, entry_id)).title == title
