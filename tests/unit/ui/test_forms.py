"""A refused form's screen: every problem listed, and what was typed read back exactly for Fix it."""

from __future__ import annotations

import discord

from bot.text import would_ping
from bot.ui.forms import FormField, problems_text, typed_embed, typed_from_embeds
from cogs.studygroups.checkin import CHECKIN_FIELDS

FIELDS = (FormField("studied", "What you studied"), FormField("questions", "Questions done"))


def test_what_was_typed_comes_back_exactly_after_a_round_trip_through_discord() -> None:
    typed = {
        "studied": "**Cardio** <@123> @everyone\n\nline two  ",
        "questions": "forty",
        "percent": "",
        "hours": "1:30",
        "blockers": "x" * 1000,
    }
    embed = typed_embed(CHECKIN_FIELDS, typed, frozenset({"questions"}))
    names = [field.name for field in embed.fields]
    assert names == ["What you studied", "⚠️ Questions done", "Hours studied", "Blockers"]
    assert len(embed) <= 6000
    assert not any(would_ping(field.value or "") for field in embed.fields), "shown without pinging"
    # Discord hands the embed back as JSON with the click.
    returned = discord.Embed.from_dict(embed.to_dict())
    assert typed_from_embeds([returned], CHECKIN_FIELDS) == {k: v for k, v in typed.items() if v}


def test_a_text_of_pings_is_shortened_to_fit_a_field() -> None:
    embed = typed_embed(FIELDS, {"studied": "@here" * 200}, frozenset())
    assert len(embed.fields[0].value or "") == 1024 and not would_ping(embed.fields[0].value or "")


def test_nothing_typed_and_no_message_read_as_empty() -> None:
    embed = typed_embed(FIELDS, {"studied": "  "}, frozenset({"studied"}))
    assert not embed.fields and embed.description == "Every field was empty."
    assert typed_from_embeds([embed], FIELDS) == {}
    assert typed_from_embeds([], FIELDS) == {}


def test_problems_are_listed_together_without_pinging() -> None:
    one = problems_text(["Hours: a number from 0 to 24."])
    assert one.startswith("**Nothing was saved.** Please fix this:\n• Hours")
    many = problems_text(["`<@123>` is not a number.", "Percent correct: 0 to 100."], what="Not saved")
    assert many.startswith("**Not saved.** Please fix these 2 things:") and "<@123>" not in many
    assert many.endswith("Press **Fix it** to open the form again with what you typed.")
    assert len(problems_text(["x" * 3000])) == 2000
