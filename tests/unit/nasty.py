"""Hypothesis strategies for what users type at the bot: pings in every disguise, every script, markdown, blanks.

Shared by tests/unit/properties/. Also a small deterministic list (NASTY_SAMPLES) for the end-to-end
sample, so the emulator tests need no random generation.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Bounded so the whole property suite stays well under a minute on two busy cores.
PROPERTY_SETTINGS = settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
FEW_EXAMPLES = settings(
    deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

SNOWFLAKE = "123456789012345678"
INVISIBLES = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u200e",
    "\u200f",
    "\u202e",
    "\u2066",
    "\u061c",
    "\u00ad",
]
AT_SIGNS = ["@", "\uff20", "\ufe6b"]
SCRIPTS = [
    "مرحبا متى يفتح ERAS",  # Arabic (right to left)
    "שלום מתי",  # Hebrew
    "नमस्ते स्टेप 1",  # Devanagari
    "你好 什么时候",  # Chinese
    "こんにちは",  # Japanese
    "привет когда",  # Cyrillic
    "สวัสดี",  # Thai
    "Ελληνικά",  # Greek
    "ERAS 🩺👩🏽‍⚕️🇳🇬",  # emoji with ZWJ sequences and flags
    "Z̸̢͎a̴͠l̷g̶o̵",  # combining marks
]
MARKDOWN = [
    "**bold**",
    "__u__",
    "~~s~~",
    "`code`",
    "```py\nx\n```",
    "||spoiler||",
    "> quote",
    "# Title",
    "[a](https://x.y)",
    "\\",
    "-# small",
]
BLANKS = [" ", "\n", "\t", "\u00a0", "\u3000", "\r\n"]


def ping_words() -> st.SearchStrategy[str]:
    """@everyone and @here, any case, any look-alike at sign."""
    word = st.sampled_from(["everyone", "here", "EVERYONE", "Here", "everyone1", "heretic"])
    return st.builds(lambda at, w: at + w, st.sampled_from(AT_SIGNS), word)


def id_mentions() -> st.SearchStrategy[str]:
    """<@id>, <@!id>, <@&id> with real-looking snowflakes, also in full-width digits or brackets."""
    ids = st.one_of(st.just(SNOWFLAKE), st.integers(min_value=1, max_value=2**64).map(str))
    kind = st.sampled_from(["@", "@!", "@&"])
    plain = st.builds(lambda k, i: f"<{k}{i}>", kind, ids)
    wide = st.builds(
        lambda k, i: f"\uff1c{k}{i.translate(str.maketrans('0123456789', '０１２３４５６７８９'))}\uff1e", kind, ids
    )
    return st.one_of(plain, wide)


def _hide(text: str, positions: list[int], chars: list[str]) -> str:
    out = list(text)
    for position, char in sorted(zip(positions, chars, strict=False), reverse=True):
        out.insert(position % (len(out) + 1), char)
    return "".join(out)


def ping_tokens(*, trailing_marks: bool = True) -> st.SearchStrategy[str]:
    """One ping, possibly with invisible characters slipped inside it or (trailing_marks) a combining mark after it;
    a mark after a look-alike ping can make it no ping at all, so those are not always mentions."""
    base = st.one_of(ping_words(), id_mentions())
    hidden = st.builds(
        _hide,
        base,
        st.lists(st.integers(min_value=0, max_value=40), max_size=3),
        st.lists(st.sampled_from(INVISIBLES), max_size=3),
    )
    trailing_mark = st.builds(lambda p, m: p + m, base, st.sampled_from(["\u0301", "\u0338", "\u20e3"]))
    return st.one_of(base, hidden, trailing_mark) if trailing_marks else st.one_of(base, hidden)


def with_invisibles(text: str) -> str:
    return "\u200b".join(text) if len(text) < 40 else text


def nasty_text(max_pieces: int = 8) -> st.SearchStrategy[str]:
    """Text built from pieces that break naive code: pings, scripts, markdown, blanks, invisibles, anything."""
    piece = st.one_of(
        ping_tokens(),
        st.sampled_from(SCRIPTS),
        st.sampled_from(MARKDOWN),
        st.sampled_from(BLANKS),
        st.sampled_from(INVISIBLES),
        st.text(max_size=20),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
        st.sampled_from(["soap", "step 2 ck", "ERAS", "2027-05", "done", "12:30", "mon-fri", "Asia/Kolkata"]),
    )
    return st.lists(piece, max_size=max_pieces).map("".join)


def bounded_text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """What Discord would accept for a string option with these lengths (it checks min/max, nothing else)."""
    return st.one_of(
        nasty_text().map(lambda t: t[:max_size]),
        st.text(min_size=min_size, max_size=max_size),
        st.sampled_from(["x" * max_size, " " * max_size, "@" * max_size]),
    ).filter(lambda t: min_size <= len(t) <= max_size)


# -- a deterministic sample for the end-to-end tests ---------------------------------------------------------------

NASTY_SAMPLES: tuple[str, ...] = (
    "@everyone",
    "@here what is SOAP",
    "\uff20everyone",
    "@\u200beveryone",
    "@everyone1",
    "<@&{role}> <@{user}> <@!{user}>",
    "\u202e@everyone\u202c \u2066@here\u2069",
    "@\u061chere",
    "مرحبا @everyone متى يفتح ERAS",
    "你好 <@{user}>",
    "```\n@here\n```",
    "**bold** ||spoiler|| > quote # title",
    "   ",
    "\u200b\u200d\u2060\ufeff",
    "🩺👩🏽‍⚕️🇳🇬",
    "Z̸̢͎a̴͠l̷g̶o̵",
    "-1",
    "99999999999999999999",
    "2027-13",
    "25:61",
    "Mars/Olympus_Mons",
    "'; DROP TABLE users; --",
    "x" * 100,
)
