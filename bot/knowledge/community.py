"""Ask the community: when /ask has no reviewed answer, a member may post their question in the server's help channel
(with their name or anonymously, after seeing exactly what will be posted), and the asker or a moderator marks the
reply that answered it.

The rules live here, without Discord: which stage of the road a question belongs to (its forum tag), the text of a
post, which forum tags a server needs and which of them can still be added, who may mark an answer and which message
can be one, and how often a member may post (``COOLDOWN``). ``cogs/community.py`` is the Discord side (the buttons,
the posting, the **Mark as answer** context menu); ``bot/ui/community.py`` the screens.

What is kept (``community_questions``, migration 0024): the server, the help channel, the post (thread) and its first
message, the question as asked, its stage, the asker's id (also when they posted anonymously: never shown, kept so that
they can mark the answer and find the question in /mydata), when it was asked, and the answer once marked. The asker's
id is forgotten ``ASKER_KEPT`` after the question was asked, or at /mydata delete; the rest goes with the server's
other data when the bot is removed from the server (after its retention period, ``ServerEntriesRetention``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.db.timestamps import utc_now
from bot.knowledge.models import Stage
from bot.knowledge.search import SUGGESTION_MIN_SCORE
from bot.text import defuse_pings, remove_mentions, shorten
from bot.validation import UserInputError

if TYPE_CHECKING:
    from bot.knowledge.community_repository import CommunityRepository

log = logging.getLogger(__name__)

COOLDOWN = dt.timedelta(minutes=10)
"""A member posts at most one question a server in this long: enough to stop a flood, short enough for a second,
different question the same evening."""
ASKER_KEPT = dt.timedelta(days=90)
"""How long the asker's id stays with their question: a question is answered within days or not at all; after this
the question names nobody, and only moderators can still mark its answer."""
PENDING_KEPT = dt.timedelta(hours=1)
"""A question being posted is recorded before Discord is asked (so two presses cannot both pass the cooldown); one
whose post never came back (the bot stopped in between) is forgotten after this."""
MAX_QUESTION = 300
"""/ask's own limit on a question."""
TITLE_LIMIT = 100
"""Discord's limit on a thread's name (a forum post's title)."""
TAG_NAME_LIMIT = 20
"""Discord's limit on a forum tag's name."""
FORUM_TAG_LIMIT = 20
"""Tags a forum may have (the server's own included)."""

ANSWERED_TAG = "Answered"
OTHER_TAG = "Other questions"
"""The tag of a question that belongs to no stage the curated search recognised."""
STAGE_TAGS: dict[Stage, str] = {
    Stage.ELIGIBILITY: "Eligibility",
    Stage.ECFMG: "ECFMG",
    Stage.USMLE: "USMLE",
    Stage.USCE: "Clinical experience",
    Stage.DOCUMENTS: "Letters & documents",
    Stage.ERAS: "ERAS",
    Stage.PROGRAMS: "Choosing programs",
    Stage.INTERVIEWS: "Interviews",
    Stage.RANKING: "Rank list",
    Stage.MATCH_WEEK: "Match Week & SOAP",
    Stage.VISA: "Visas",
    Stage.RESIDENCY: "Residency",
    Stage.PLANNING: "Planning",
}
"""Each stage of the road as a forum tag (at most 20 characters): the stages' own labels are longer."""
NO_STAGE = "other"
"""The stage value of ``OTHER_TAG`` where a stage travels as text (a custom_id, the database)."""
ANSWERED_PREFIX = "✅ "
"""Before the name of an answered question's thread in a text channel (threads there have no tags)."""


# -- which stage a question belongs to --------------------------------------------------------------------------------


def question_stage(hits: Sequence[tuple[Stage, float]], min_score: float = SUGGESTION_MIN_SCORE) -> Stage | None:
    """The stage of the road a question is about, from the curated entries its search found (stage, score), best
    first: the stage whose entries scored most in all, counting only those close enough to be offered as
    suggestions; None when none is (the question is about something the curated base does not cover)."""
    totals: dict[Stage, float] = {}
    for stage, score in hits:
        if score >= min_score:
            totals[stage] = totals.get(stage, 0.0) + score
    if not totals:
        return None
    # Ties go to the stage of the better hit: dicts keep the order stages were first met in, best hit first.
    return max(totals, key=lambda stage: totals[stage])


def stage_tag(stage: Stage | None) -> str:
    return STAGE_TAGS[stage] if stage is not None else OTHER_TAG


def stage_value(stage: Stage | None) -> str:
    return stage.value if stage is not None else NO_STAGE


def parse_stage(value: str) -> Stage | None:
    """A stage as ``stage_value`` wrote it; anything else (an older screen's) is no stage."""
    try:
        return Stage(value)
    except ValueError:
        return None


def all_tags() -> tuple[str, ...]:
    """Every tag a help forum gets: one per stage, "Other questions" and "Answered"."""
    return (*STAGE_TAGS.values(), OTHER_TAG, ANSWERED_TAG)


@dataclass(frozen=True)
class TagPlan:
    """What a forum needs: the tags to add now (in this order), and those that do not fit (the forum is full)."""

    add: tuple[str, ...]
    no_room: tuple[str, ...]


def plan_tags(existing: Sequence[str], first: Sequence[str] = (), limit: int = FORUM_TAG_LIMIT) -> TagPlan:
    """The tags of ``all_tags()`` a forum with tags ``existing`` lacks (names compared without case), ``first`` before
    the others, as many as fit under ``limit`` (the server's own tags stay: they count)."""
    have = {name.casefold() for name in existing}
    wanted = list(dict.fromkeys([*first, *all_tags()]))
    missing = [name for name in wanted if name.casefold() not in have]
    room = max(0, limit - len(have))
    return TagPlan(tuple(missing[:room]), tuple(missing[room:]))


# -- the post ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityPost:
    """What is posted: the thread's (or forum post's) title, its first message and its tag."""

    title: str
    content: str
    tag: str


def _one_line(text: str) -> str:
    return " ".join(text.split())


def post_title(question: str) -> str:
    """The thread's name: the question on one line, no pings (a name never renders one; broken all the same)."""
    return shorten(defuse_pings(_one_line(question)), TITLE_LIMIT) or "A question"


def compose_post(question: str, *, asker_mention: str | None, stage: Stage | None) -> CommunityPost:
    """The post of ``question``: named (``asker_mention``, e.g. ``<@123>``, which shows the member's name and, sent
    without allowed mentions, notifies nobody) or anonymous (None: nothing in it says who asked). Every ping the
    member typed is broken as everywhere the bot repeats what someone typed (``defuse_pings``)."""
    tag = stage_tag(stage)
    who = f"**{asker_mention} asks the community**" if asker_mention else "**A member asks the community**"
    quoted = "\n".join(f"> {line}" for line in defuse_pings(question).splitlines() if line.strip())
    content = (
        f"❓ {who} · {tag}\n{quoted}\n\n"
        "I have no reviewed answer to this one. If you know, reply in this thread; the asker or a moderator marks "
        "the reply that answered it (right-click it → **Apps** → **Mark as answer**)."
    )
    return CommunityPost(post_title(question), content, tag)


def answered_title(title: str) -> str:
    """A text channel's thread once answered: its name marked (a forum post gets the "Answered" tag instead)."""
    if title.startswith(ANSWERED_PREFIX):
        return title
    return shorten(ANSWERED_PREFIX + title, TITLE_LIMIT)


def entry_title(question: str) -> str:
    """The title a server entry made from the question starts with: the question on one line, without mentions (a
    title may not have any), within the form's 100 characters."""
    return shorten(_one_line(remove_mentions(question)), 100)


# -- who may mark an answer --------------------------------------------------------------------------------------------


class Marker(StrEnum):
    ASKER = "asker"
    MODERATOR = "moderator"


@dataclass(frozen=True)
class CommunityQuestion:
    id: int
    guild_id: int
    channel_id: int
    """The help channel it was posted in: a forum, or a text channel."""
    thread_id: int | None
    """The forum post, or the thread on the question's message; None while it is being posted."""
    message_id: int | None
    """The question's own message (a forum post's first message has the post's id)."""
    question: str
    stage: Stage | None
    asked_by: int
    """The asker, kept privately even when they posted anonymously; 0 once forgotten."""
    anonymous: bool
    asked_at: dt.datetime
    answer_message_id: int | None = None
    answered_at: dt.datetime | None = None

    @property
    def answered(self) -> bool:
        return self.answer_message_id is not None

    @property
    def tag(self) -> str:
        return stage_tag(self.stage)


def may_mark(question: CommunityQuestion, user_id: int, *, moderator: bool) -> Marker | None:
    """Who ``user_id`` marks as: the asker (while the question still names them), a moderator (Manage Server or
    Manage Threads, which the cog checks), or nobody (None: refused)."""
    if question.asked_by and user_id == question.asked_by:
        return Marker.ASKER
    if moderator:
        return Marker.MODERATOR
    return None


class MarkChange(StrEnum):
    """What a **Mark as answer** changed, which decides what is said about it and to whom."""

    FIRST = "first"
    """The question had no answer: said in the thread, and the asker is told (when someone else marked it)."""
    CHANGED = "changed"
    """A moderator (or the asker) picked another reply: said once in the thread; the asker was told already."""
    SAME = "same"
    """That reply is the answer already: nothing changes and nothing is posted."""


@dataclass(frozen=True)
class Marked:
    question: CommunityQuestion
    """The question as it is now."""
    change: MarkChange


ALREADY_MARKED = "That reply is already marked as the answer; nothing changed."


def mark_change(before: CommunityQuestion, message_id: int) -> MarkChange:
    if before.answer_message_id == message_id:
        return MarkChange.SAME
    return MarkChange.FIRST if before.answered_at is None else MarkChange.CHANGED


NOT_ALLOWED = (
    "Only the member who asked this question and the server's moderators (Manage Server or Manage Threads) can mark "
    "its answer. If a reply helped you, react to it or say thanks in the thread."
)
NOT_A_QUESTION = (
    "**Mark as answer** works in a thread of a question posted with **Ask the community** (from `/ask`). This "
    "message is not in one."
)


def answer_problem(question: CommunityQuestion, message_id: int, author_id: int, bot_id: int) -> str | None:
    """Why a message cannot be the answer (None when it can): the question itself, or one of the bot's own."""
    if message_id in (question.message_id, question.thread_id):
        return "That is the question itself. Mark the reply that answered it."
    if author_id == bot_id:
        return "That is one of my own messages. Mark the member's reply that answered the question."
    return None


# -- how often ---------------------------------------------------------------------------------------------------------


def cooldown_left(last_asked: dt.datetime | None, now: dt.datetime, cooldown: dt.timedelta = COOLDOWN) -> dt.timedelta:
    """How long a member still waits before posting again (zero: they may post now)."""
    if last_asked is None:
        return dt.timedelta(0)
    return max(dt.timedelta(0), last_asked + cooldown - now)


def minutes(delta: dt.timedelta) -> int:
    """Whole minutes, rounded up: "wait 1 minute" while any seconds are left."""
    return max(1, -(-int(delta.total_seconds()) // 60))


def cooldown_text(left: dt.timedelta) -> str:
    wait = minutes(left)
    return (
        f"You can post one question to the community every {minutes(COOLDOWN)} minutes. Try again in {wait} "
        f"minute{'s' if wait != 1 else ''}; meanwhile your last question's thread may already have replies."
    )


# -- the feature ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForgetReport:
    askers_forgotten: int
    unfinished_removed: int


class CommunityService:
    """The help channel of each server, and the questions posted to it."""

    def __init__(self, repository: CommunityRepository, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self._repo = repository
        self.clock = clock

    # -- the help channel ------------------------------------------------------------------------------------------

    async def help_channel(self, guild_id: int) -> int | None:
        return await self._repo.help_channel(guild_id)

    async def set_help_channel(self, guild_id: int, channel_id: int | None) -> None:
        """Set the server's help channel (None: none, and **Ask the community** says a moderator must set one)."""
        await self._repo.set_help_channel(guild_id, channel_id, self.clock())
        log.info("server %d %s its help channel", guild_id, "set" if channel_id else "cleared")

    # -- posting ---------------------------------------------------------------------------------------------------

    async def wait_left(self, guild_id: int, user_id: int) -> dt.timedelta:
        """How long the member still waits before posting in this server again (zero: not at all)."""
        return cooldown_left(await self._repo.last_asked(guild_id, user_id), self.clock())

    async def reserve(
        self, guild_id: int, channel_id: int, user_id: int, question: str, stage: Stage | None, *, anonymous: bool
    ) -> int:
        """Record the question before it is posted, unless the member posted within ``COOLDOWN`` (UserInputError then,
        saying how long to wait). One statement checks and records, so two presses at once cannot both pass."""
        text = question.strip()
        if not text or len(text) > MAX_QUESTION:
            raise UserInputError(f"A question for the community has 1 to {MAX_QUESTION} characters.")
        now = self.clock()
        reserved = await self._repo.reserve(
            guild_id, channel_id, user_id, text, stage_value(stage), anonymous, now, since=now - COOLDOWN
        )
        if reserved is None:
            raise UserInputError(cooldown_text(await self.wait_left(guild_id, user_id)))
        return reserved

    async def posted(self, question_id: int, thread_id: int, message_id: int) -> CommunityQuestion:
        """The question is on Discord: its post (thread) and first message."""
        question = await self._repo.posted(question_id, thread_id, message_id)
        if question is None:
            raise LookupError(f"community question {question_id} vanished while it was posted")
        log.info("server %d: a community question was posted (thread %d)", question.guild_id, thread_id)
        return question

    async def cancel(self, question_id: int) -> None:
        """Posting failed: the reservation goes, and with it the cooldown it started."""
        await self._repo.cancel(question_id)

    # -- answers ---------------------------------------------------------------------------------------------------

    async def in_thread(self, thread_id: int) -> CommunityQuestion | None:
        return await self._repo.by_thread(thread_id)

    async def mark_answer(self, question_id: int, message_id: int) -> Marked:
        """Record the reply that answered the question (marking another later replaces it), and what that changed:
        the first answer, another one, or nothing (that reply was the answer already)."""
        marked = await self._repo.mark_answer(question_id, message_id, self.clock())
        if marked is None:
            raise UserInputError("That question is no longer recorded (its server data was deleted).")
        before, after = marked
        return Marked(after, mark_change(before, message_id))

    # -- what is kept, and for how long --------------------------------------------------------------------------------

    async def forget_old(self) -> ForgetReport:
        """Forget the askers of questions asked more than ``ASKER_KEPT`` ago, and reservations whose post never
        came back. A worker of the scheduling runner (daily, and at start-up)."""
        now = self.clock()
        report = ForgetReport(
            await self._repo.forget_askers(before=now - ASKER_KEPT),
            await self._repo.remove_unfinished(before=now - PENDING_KEPT),
        )
        if report.askers_forgotten or report.unfinished_removed:
            log.info(
                "community questions: forgot the askers of %d, removed %d never posted",
                report.askers_forgotten,
                report.unfinished_removed,
            )
        return report


FORGET_JOB = "kb:community-forget"
FORGET_EVERY = dt.timedelta(days=1)
"""Askers are forgotten at most a day after ``ASKER_KEPT``, as the other periods /privacy states."""
FORGET_TIMEOUT = dt.timedelta(minutes=10)
"""Two indexed statements: well under a second; a run still going after this is stuck on the database."""


# -- /mydata ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommunityAskers:
    """A ``bot.privacy.PersonalDataSource``: the questions a member posted with **Ask the community** name them
    privately (also the anonymous ones). The posts belong to the server's channel, so /mydata delete removes the
    member's id from them (0) and leaves them there."""

    repository: CommunityRepository
    name: str = "community_questions"
    covers: frozenset[tuple[str, str]] = frozenset({("community_questions", "asked_by")})

    async def export(self, user_id: int) -> Any:
        return [
            {
                "server_id": question.guild_id,
                "channel_id": question.channel_id,
                "thread_id": question.thread_id,
                "question": question.question,
                "posted_anonymously": question.anonymous,
                "asked_at": question.asked_at.isoformat(timespec="seconds"),
                "answer_message_id": question.answer_message_id,
                "answered_at": question.answered_at.isoformat(timespec="seconds") if question.answered_at else None,
            }
            for question in await self.repository.asked_by(user_id)
        ]

    async def delete(self, user_id: int) -> dict[str, int]:
        return {"community_questions_unnamed": await self.repository.unname(user_id)}

    async def user_ids(self) -> set[int]:
        return await self.repository.user_ids()
