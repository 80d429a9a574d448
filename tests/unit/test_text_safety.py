from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.knowledge.options import AskOptions
from bot.text import has_mention, neutralize_mentions, quote_user_text, remove_mentions, would_ping
from bot.validation import UserInputError, parse_options

PINGS = ["@everyone", "@here", "<@123456789012345678>", "<@!123456789012345678>", "<@&123456789012345678>"]


@pytest.mark.parametrize("ping", [*PINGS, "@\u200beveryone", "＠everyone", "<@&1234567890123456\u200b78>", "@HERE"])
def test_mentions_detected_and_neutralised(ping: str) -> None:
    text = f"hi {ping} when is soap"
    assert has_mention(text)
    safe = neutralize_mentions(text)
    assert not would_ping(safe)
    for original in PINGS:
        assert original.lower() not in safe.lower()
    assert "soap" in safe and not has_mention(remove_mentions(text))


@given(st.text(max_size=400))
def test_quoted_user_text_never_pings_and_fits(text: str) -> None:
    quoted = quote_user_text(text, 300)
    assert len(quoted) <= 600  # escaping at most doubles the shortened text
    assert not would_ping(quoted) and not would_ping(neutralize_mentions(text))


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("   ", "empty"),
        ("?!?! ... 🙂🙂", "not only symbols"),
        ("@everyone", "can't answer a mention"),
        ("<@&123456789012345678>", "can't answer a mention"),
        ("x" * 301, "under 300"),
    ],
)
def test_bad_questions_get_a_clear_message(question: str, message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        parse_options(AskOptions, question=question)


def test_mentions_are_removed_from_the_question() -> None:
    options = parse_options(AskOptions, question="@everyone what is   SOAP <@123456789012345678>")
    assert options.question == "what is SOAP"
