"""Properties of bot/text.py: whatever a user types, echoing it back never pings and stays within its limit.

The strategies live in tests/unit/nasty.py and are shared with the command property tests.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text import (
    defuse_pings,
    escape_markdown,
    has_mention,
    neutralize_mentions,
    quote_user_text,
    remove_mentions,
    shorten,
    strip_invisible,
    would_ping,
)
from tests.unit.nasty import PROPERTY_SETTINGS, nasty_text, ping_tokens


@PROPERTY_SETTINGS
@given(nasty_text())
def test_neutralized_text_never_pings(text: str) -> None:
    safe = neutralize_mentions(text)
    assert not would_ping(safe), (text, safe)
    assert neutralize_mentions(safe) == safe  # idempotent: quoting twice changes nothing more


@PROPERTY_SETTINGS
@given(nasty_text(), st.integers(min_value=1, max_value=400))
def test_quoted_text_never_pings_is_one_line_and_bounded(text: str, limit: int) -> None:
    quoted = quote_user_text(text, limit)
    assert not would_ping(quoted), (text, quoted)
    assert "\n" not in quoted and "\r" not in quoted
    # Shortened to `limit` before escaping; each escape adds one backslash, so at most twice the limit.
    assert len(quoted) <= 2 * limit


@PROPERTY_SETTINGS
@given(nasty_text())
def test_everything_discord_would_ping_is_detected_and_removable(text: str) -> None:
    if would_ping(text):
        assert has_mention(text)
    removed = remove_mentions(text)
    assert not has_mention(removed) and not would_ping(removed)


@PROPERTY_SETTINGS
@given(st.text(max_size=60), ping_tokens(trailing_marks=False), st.text(max_size=60))
def test_a_ping_hidden_anywhere_is_found(before: str, ping: str, after: str) -> None:
    text = before + ping + after
    assert has_mention(text), text
    assert not would_ping(neutralize_mentions(text))
    assert not would_ping(quote_user_text(text, 500))


@PROPERTY_SETTINGS
@given(nasty_text())
def test_defused_text_never_pings_and_keeps_everything_else(text: str) -> None:
    defused = defuse_pings(text)
    assert not would_ping(defused)
    assert defused.replace("\u200b", "") == text.replace("\u200b", "")
    if not would_ping(text):
        assert defused == text


@PROPERTY_SETTINGS
@given(nasty_text())
def test_text_without_mentions_is_shown_as_typed(text: str) -> None:
    if not has_mention(text):
        assert neutralize_mentions(text) == strip_invisible(text)


@PROPERTY_SETTINGS
@given(st.text(max_size=300), st.integers(min_value=0, max_value=300))
def test_shorten_respects_the_limit(text: str, limit: int) -> None:
    short = shorten(text, limit)
    assert len(short) <= max(limit, 1)
    if len(text) <= limit:
        assert short == text


@pytest.mark.parametrize(
    "text",
    [
        "@everyone1",  # Discord pings @everyone as a prefix of a longer word
        "x@heretic",
        "@here_now",
        "@\u061ceveryone",  # Arabic letter mark
        "@\u2066everyone\u2069",  # directional isolate
        "@\U000e0041everyone",  # invisible tag character
        "\ufe6beveryone",  # small commercial at
        "\uff1c@123456789012345678\uff1e",  # fullwidth angle brackets
        "<@\uff11\uff12\uff13>",  # fullwidth digits
        "@here\u0301",  # a combining mark that normalisation would merge into the ping's last letter
    ],
)
def test_holes_found_by_the_properties_stay_closed(text: str) -> None:
    assert has_mention(text)
    assert not would_ping(neutralize_mentions(text))
    assert not would_ping(quote_user_text(text))
    assert not would_ping(escape_markdown(neutralize_mentions(text)))
