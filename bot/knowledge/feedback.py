"""Why a member marked an answer not helpful: a reason from a short list, and an optional note in their words.

Both are stored with the member's 👎 vote (``entry_votes``), so they go with it: /mydata export shows them, /mydata
delete removes them, and a vote changed to 👍 drops them (they explained a 👎 that no longer stands). They are kept
with the server the member gave them in, which is the only server whose moderators see them (never who gave them),
and forgotten ``REASONS_KEPT`` after they were last given, like unanswered questions.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

from bot.text import neutralize_mentions, strip_invisible

MAX_NOTE_CHARS = 300
"""What "Tell us more" accepts: a sentence or two, as a moderator reads it in /knowledge report."""

REASONS_KEPT = dt.timedelta(days=90)
"""A reason and its note are forgotten this long after the member last gave or changed them, as long as an unanswered
question is kept (``UNANSWERED_KEPT``; a test holds them equal); the vote itself stays until the member deletes it."""


class VoteReason(StrEnum):
    """The choices offered after 👎, in the order they are offered. The values are stored: never rename one."""

    WRONG = "wrong"
    UNANSWERED = "unanswered"
    HARD_TO_READ = "hard-to-read"
    NOT_MY_SITUATION = "not-my-situation"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _REASON_LABELS[self]


_REASON_LABELS = {
    VoteReason.WRONG: "Wrong or out of date",
    VoteReason.UNANSWERED: "Didn't answer my question",
    VoteReason.HARD_TO_READ: "Too long or hard to read",
    VoteReason.NOT_MY_SITUATION: "Missing my situation",
    VoteReason.OTHER: "Something else",
}


class VoteNote(BaseModel):
    """What a member typed under "Tell us more": one paragraph, no pings, at most ``MAX_NOTE_CHARS``.

    Blank (or only invisible characters) means "no note": submitting the form empty removes a note given before."""

    model_config = ConfigDict(frozen=True)

    text: str

    @field_validator("text")
    @classmethod
    def _clean(cls, value: str) -> str:
        # The limit is on what the member typed (the form's own limit, so the form never refuses); cleaning may
        # lengthen it a little (a defused ping gains a character, NFKC spells out some ligatures).
        typed = " ".join(value.split())
        if len(typed) > MAX_NOTE_CHARS:
            raise ValueError(f"Please keep it to {MAX_NOTE_CHARS} characters (this is {len(typed)}).")
        # Stored already neutralised, so no screen that ever shows it can ping (screens quote it safely as well), on
        # one line and without control characters, so `imgbot kb report` prints it as it is.
        visible = "".join(c for c in strip_invisible(value) if c.isspace() or unicodedata.category(c) != "Cc")
        return " ".join(neutralize_mentions(visible).split())


@dataclass(frozen=True)
class GivenReason:
    """One member's explained 👎, as the report reads it (never who gave it)."""

    entry_id: str
    guild_id: int | None
    reason: VoteReason | None
    note: str | None
    given_at: str


@dataclass(frozen=True)
class ReasonSummary:
    """An entry's explained 👎 in one server: how many for each reason, and the latest notes (newest first)."""

    entry_id: str
    guild_id: int | None
    counts: dict[VoteReason, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    explained: int = 0
    """Members who gave a reason or a note (either or both)."""


def summarise(given: Iterable[GivenReason], *, notes: int = 3) -> list[ReasonSummary]:
    """Group explained votes by server and entry, the most explained entries first; ``notes`` latest notes each."""
    groups: dict[tuple[int | None, str], list[GivenReason]] = {}
    for item in given:
        groups.setdefault((item.guild_id, item.entry_id), []).append(item)
    summaries = []
    for (guild_id, entry_id), items in groups.items():
        counted = Counter(item.reason for item in items if item.reason is not None)
        newest = sorted((item for item in items if item.note), key=lambda item: item.given_at, reverse=True)
        summaries.append(
            ReasonSummary(
                entry_id,
                guild_id,
                {reason: counted[reason] for reason in VoteReason if counted[reason]},
                tuple(item.note for item in newest[:notes] if item.note),
                len(items),
            )
        )
    return sorted(summaries, key=lambda s: (-s.explained, s.guild_id or 0, s.entry_id))
