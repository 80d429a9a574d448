"""Making text that users typed safe to show again: no pings, no markdown tricks, within Discord's limits."""

from __future__ import annotations

import re
import unicodedata

# Characters that render as nothing (or as a blank) and so can hide a mention: soft hyphen, zero-width and joiner
# characters, bidirectional marks, embeddings and isolates (LRM, RLM, ALM, RLO...), invisible operators, Hangul and
# Khmer fillers, Mongolian selectors, the BOM and the invisible "tag" characters.
_ZERO_WIDTH = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufeff\uffa0\U000e0000-\U000e007f]"
)
# <@123>, <@!123>, <@&123>, <#123>, </cmd:123>, and @everyone / @here with any look-alike @ (full width, small).
_DISCORD_MENTION = re.compile(r"<(@[!&]?|#|/[^:>]{1,32}:)\d+>")
_AT_SIGNS = "@\uff20\ufe6b"
# No word boundary after the word: Discord pings @everyone inside "@everyone1" or "x@heretic" too.
_BROADCAST = re.compile(rf"[{_AT_SIGNS}](everyone|here)", re.IGNORECASE)
_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()-])")
_WORDS = re.compile(r"\w", re.UNICODE)


def strip_invisible(text: str) -> str:
    """Remove zero-width and direction-override characters that hide what a text really says."""
    return _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))


# What Discord itself turns into a ping, character for character (only the ASCII @ counts there).
_DISCORD_PING = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


def would_ping(text: str) -> bool:
    """True when Discord would render a mention from this exact text (if allowed_mentions permitted it)."""
    return bool(_DISCORD_PING.search(text))


def defuse_pings(text: str) -> str:
    """Break every ping Discord would render in this exact text, changing nothing else (channel links, emoji and
    formatting stay). For the bot's own messages that may quote what a user typed, e.g. an error message."""
    return _DISCORD_PING.sub(lambda m: m.group(0)[0] + "\u200b" + m.group(0)[1:], text)


def has_mention(text: str) -> bool:
    """True when the text holds a mention, also one hidden with invisible or look-alike characters."""
    # The raw text too: normalising can merge a ping's last letter with a combining mark that follows it
    # ("@here" + U+0301 becomes "@heré"), while Discord still pings on the unnormalised text.
    visible = strip_invisible(text)
    return would_ping(text) or bool(_DISCORD_MENTION.search(visible) or _BROADCAST.search(visible))


def remove_mentions(text: str) -> str:
    """Drop mention syntax entirely (used before searching: a ping is never part of a question)."""
    visible = strip_invisible(_DISCORD_PING.sub(" ", text))
    return _BROADCAST.sub(" ", _DISCORD_MENTION.sub(" ", visible))


def neutralize_mentions(text: str) -> str:
    """Keep the text readable but make sure no client would render a ping from it."""
    visible = strip_invisible(text)
    visible = _DISCORD_MENTION.sub(lambda m: m.group(0).replace("<", "<\u200b", 1), visible)
    return _BROADCAST.sub(lambda m: m.group(0)[0] + "\u200b" + m.group(1), visible)


def escape_markdown(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)


def quote_user_text(text: str, limit: int = 300) -> str:
    """User text ready to echo inside a bot message: one line, no pings, no formatting, shortened."""
    one_line = " ".join(neutralize_mentions(text).split())
    return escape_markdown(shorten(one_line, limit))


def has_words(text: str) -> bool:
    """True when the text has at least one letter or digit (not only punctuation, symbols or emoji)."""
    return bool(_WORDS.search(strip_invisible(text).replace("_", "")))


def shorten(text: str, limit: int, placeholder: str = "…") -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(placeholder))].rstrip() + placeholder
