"""Ask the community's rules: the stage (forum tag) of a question, the post's text, the forum tags a server needs, who
may mark an answer and which message can be one, the cooldown, and what is kept (the help channel, the questions, the
asker's id forgotten after 90 days or at /mydata delete, everything gone with the server's data)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

import pytest

from bot.db.connection import Connection
from bot.knowledge.community import (
    ANSWERED_TAG,
    ASKER_KEPT,
    COOLDOWN,
    OTHER_TAG,
    PENDING_KEPT,
    STAGE_TAGS,
    TAG_NAME_LIMIT,
    CommunityAskers,
    CommunityQuestion,
    CommunityService,
    MarkChange,
    Marker,
    all_tags,
    answer_problem,
    answered_title,
    compose_post,
    cooldown_left,
    cooldown_text,
    entry_title,
    may_mark,
    parse_stage,
    plan_tags,
    question_stage,
    stage_value,
)
from bot.knowledge.community_repository import CommunityRepository
from bot.knowledge.models import Stage
from bot.knowledge.server_entries import ServerEntries, ServerEntriesRetention
from bot.knowledge.server_repository import ServerEntryRepository
from bot.privacy import PERSONAL_COLUMN
from bot.studygroups.reconcile import ServerStatus
from bot.text import would_ping
from bot.validation import UserInputError

GUILD, OTHER_GUILD = 1183440317201907712, 1190021588230107136
HELP, THREAD, MESSAGE, REPLY = 1183440317201907720, 1183440317201907801, 1183440317201907801, 1183440317201907855
ALICE, BOB, BOT = 402117894126911488, 511234987650123776, 889013374520442910
START = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@dataclass
class Clock:
    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now


def question(**changes: object) -> CommunityQuestion:
    values: dict[str, object] = {
        "id": 1,
        "guild_id": GUILD,
        "channel_id": HELP,
        "thread_id": THREAD,
        "message_id": MESSAGE,
        "question": "Does the NBME converter work for the new scale?",
        "stage": Stage.USMLE,
        "asked_by": ALICE,
        "anonymous": False,
        "asked_at": START,
    }
    values.update(changes)
    return CommunityQuestion(**values)  # type: ignore[arg-type]


# -- the stage ---------------------------------------------------------------------------------------------------------


def test_the_stage_is_the_one_whose_close_entries_scored_most() -> None:
    assert question_stage([(Stage.USMLE, 0.8), (Stage.ERAS, 0.5), (Stage.ERAS, 0.45)]) == Stage.ERAS
    assert question_stage([(Stage.USMLE, 0.8), (Stage.ERAS, 0.5)]) == Stage.USMLE
    # Hits too weak to be offered as suggestions say nothing about the question.
    assert question_stage([(Stage.VISA, 0.29), (Stage.VISA, 0.2)]) is None
    assert question_stage([]) is None
    # A tie goes to the stage of the better hit.
    assert question_stage([(Stage.VISA, 0.5), (Stage.ERAS, 0.5)]) == Stage.VISA


def test_every_stage_has_a_tag_discord_accepts_and_the_forum_has_room_for_all() -> None:
    assert set(STAGE_TAGS) == set(Stage)
    tags = all_tags()
    assert len(tags) == len(set(t.casefold() for t in tags)) <= 20
    assert all(1 <= len(tag) <= TAG_NAME_LIMIT for tag in tags)
    assert tags[-2:] == (OTHER_TAG, ANSWERED_TAG)


def test_a_stage_travels_as_text_and_back() -> None:
    for stage in [*Stage, None]:
        assert parse_stage(stage_value(stage)) == stage
    assert parse_stage("no-such-stage") is None


def test_the_tags_to_add_keep_the_servers_own_and_fit_the_forum() -> None:
    plan = plan_tags(["usmle", "Memes"], first=["ERAS"])
    assert plan.add[0] == "ERAS" and "USMLE" not in plan.add and not plan.no_room
    assert len(plan.add) == len(all_tags()) - 1
    # A forum with 17 tags of its own has room for 3: the one needed now first, then the rest in order.
    full = plan_tags([f"Tag {n}" for n in range(17)], first=[STAGE_TAGS[Stage.VISA]])
    assert full.add == (STAGE_TAGS[Stage.VISA], STAGE_TAGS[Stage.ELIGIBILITY], STAGE_TAGS[Stage.ECFMG])
    assert ANSWERED_TAG in full.no_room and len(full.add) + len(full.no_room) == len(all_tags())
    assert plan_tags(list(all_tags())) == plan_tags([t.upper() for t in all_tags()])
    assert plan_tags(list(all_tags())).add == ()


# -- the post ----------------------------------------------------------------------------------------------------------


def test_a_named_post_shows_the_member_and_breaks_every_ping() -> None:
    post = compose_post(
        "@everyone is <@&123456789012345678> right about <@123456789012345678>?",
        asker_mention=f"<@{ALICE}>",
        stage=Stage.ERAS,
    )
    assert post.tag == "ERAS"
    assert post.content.startswith(f"❓ **<@{ALICE}> asks the community** · ERAS\n> ")
    # The asker's own mention renders their name; nothing the member typed can ping (allowed_mentions is none too).
    assert not would_ping(post.content.replace(f"<@{ALICE}>", ""))
    assert not would_ping(post.title)
    assert "Mark as answer" in post.content


def test_an_anonymous_post_names_nobody() -> None:
    post = compose_post("Is a 6-month observership enough?", asker_mention=None, stage=None)
    assert post.content.startswith("❓ **A member asks the community** · Other questions\n> Is a 6-month")
    assert "<@" not in post.content and post.tag == OTHER_TAG
    assert post.title == "Is a 6-month observership enough?"


def test_titles_fit_a_thread_name() -> None:
    long = "word " * 80
    assert len(compose_post(long, asker_mention=None, stage=None).title) == 100
    assert answered_title("When is SOAP?") == "✅ When is SOAP?"
    assert answered_title(answered_title("When is SOAP?")) == "✅ When is SOAP?"
    assert len(answered_title("x" * 100)) == 100
    assert entry_title("  When is <@123456789012345678> SOAP?  ") == "When is SOAP?"
    assert len(entry_title(long)) <= 100


# -- who may mark ------------------------------------------------------------------------------------------------------


def test_the_asker_and_moderators_may_mark_and_nobody_else() -> None:
    asked = question()
    assert may_mark(asked, ALICE, moderator=False) == Marker.ASKER
    assert may_mark(asked, ALICE, moderator=True) == Marker.ASKER
    assert may_mark(asked, BOB, moderator=True) == Marker.MODERATOR
    assert may_mark(asked, BOB, moderator=False) is None
    # Posted anonymously: the asker still may (their id is kept privately).
    assert may_mark(question(anonymous=True), ALICE, moderator=False) == Marker.ASKER
    # Forgotten (90 days, or /mydata delete): nobody is the asker any more, not even an id of 0.
    assert may_mark(question(asked_by=0), 0, moderator=False) is None


def test_the_answer_is_a_members_reply() -> None:
    asked = question()
    assert answer_problem(asked, REPLY, BOB, BOT) is None
    assert answer_problem(asked, REPLY, ALICE, BOT) is None  # the asker found it themselves
    assert "question itself" in (answer_problem(asked, MESSAGE, ALICE, BOT) or "")
    assert "my own" in (answer_problem(asked, REPLY, BOT, BOT) or "")


def test_the_cooldown_counts_from_the_last_question() -> None:
    assert cooldown_left(None, START) == dt.timedelta(0)
    assert cooldown_left(START, START + COOLDOWN) == dt.timedelta(0)
    assert cooldown_left(START, START + dt.timedelta(minutes=3)) == COOLDOWN - dt.timedelta(minutes=3)
    text = cooldown_text(dt.timedelta(seconds=61))
    assert "every 10 minutes" in text and "in 2 minutes" in text
    assert "in 1 minute;" in cooldown_text(dt.timedelta(seconds=5))


# -- the service ------------------------------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(conn: Connection, clock: Clock) -> CommunityService:
    return CommunityService(CommunityRepository(conn), clock)


async def post(
    service: CommunityService, user: int, text: str, thread: int, *, guild: int = GUILD
) -> CommunityQuestion:
    reserved = await service.reserve(guild, HELP, user, text, Stage.USMLE, anonymous=False)
    return await service.posted(reserved, thread, thread)


async def test_the_help_channel_is_set_changed_and_cleared_per_server(service: CommunityService) -> None:
    assert await service.help_channel(GUILD) is None
    await service.set_help_channel(GUILD, HELP)
    await service.set_help_channel(GUILD, HELP + 1)
    assert await service.help_channel(GUILD) == HELP + 1 and await service.help_channel(OTHER_GUILD) is None
    await service.set_help_channel(GUILD, None)
    assert await service.help_channel(GUILD) is None


async def test_one_question_per_member_per_server_in_the_cooldown(service: CommunityService, clock: Clock) -> None:
    first = await post(service, ALICE, "When is SOAP?", THREAD)
    assert first.asked_by == ALICE and first.thread_id == THREAD and not first.answered
    with pytest.raises(UserInputError, match="every 10 minutes"):
        await service.reserve(GUILD, HELP, ALICE, "Another one?", None, anonymous=True)
    # Another member, and the same member in another server, are not held back.
    await post(service, BOB, "When is the Match?", THREAD + 1)
    await post(service, ALICE, "Night owls?", THREAD + 2, guild=OTHER_GUILD)
    clock.now = START + COOLDOWN + dt.timedelta(seconds=1)
    assert await service.wait_left(GUILD, ALICE) == dt.timedelta(0)
    await post(service, ALICE, "Another one?", THREAD + 3)


async def test_a_refused_post_gives_the_cooldown_back(service: CommunityService) -> None:
    reserved = await service.reserve(GUILD, HELP, ALICE, "When is SOAP?", None, anonymous=True)
    assert await service.wait_left(GUILD, ALICE) == COOLDOWN
    await service.cancel(reserved)
    assert await service.wait_left(GUILD, ALICE) == dt.timedelta(0)
    with pytest.raises(UserInputError, match="1 to 300"):
        await service.reserve(GUILD, HELP, ALICE, "x" * 301, None, anonymous=True)


async def test_marking_records_the_answer_and_a_later_mark_replaces_it(service: CommunityService, clock: Clock) -> None:
    asked = await post(service, ALICE, "When is SOAP?", THREAD)
    assert await service.in_thread(THREAD) == asked and await service.in_thread(THREAD + 9) is None
    clock.now = START + dt.timedelta(hours=5)
    first = clock.now
    marked = await service.mark_answer(asked.id, REPLY)
    assert marked.change is MarkChange.FIRST
    assert marked.question.answer_message_id == REPLY and marked.question.answered_at == first
    # The same reply again changes nothing, not even when it was marked: nothing is said twice.
    clock.now = START + dt.timedelta(hours=6)
    same = await service.mark_answer(asked.id, REPLY)
    assert same.change is MarkChange.SAME and same.question == marked.question
    again = await service.mark_answer(asked.id, REPLY + 1)
    assert again.change is MarkChange.CHANGED
    assert again.question.answer_message_id == REPLY + 1 and again.question.answered_at == clock.now


async def test_of_two_marks_at_once_only_one_is_the_first(service: CommunityService) -> None:
    asked = await post(service, ALICE, "When is SOAP?", THREAD)
    changes = await asyncio.gather(service.mark_answer(asked.id, REPLY), service.mark_answer(asked.id, REPLY))
    assert sorted(marked.change for marked in changes) == sorted([MarkChange.FIRST, MarkChange.SAME])


async def test_askers_are_forgotten_after_90_days_and_unfinished_posts_after_an_hour(
    service: CommunityService, clock: Clock
) -> None:
    asked = await post(service, ALICE, "When is SOAP?", THREAD)
    clock.now = START + dt.timedelta(minutes=11)
    await service.reserve(GUILD, HELP, ALICE, "Never posted", None, anonymous=True)
    clock.now = START + dt.timedelta(minutes=11) + PENDING_KEPT + dt.timedelta(seconds=1)
    report = await service.forget_old()
    assert (report.askers_forgotten, report.unfinished_removed) == (0, 1)
    clock.now = START + ASKER_KEPT + dt.timedelta(seconds=1)
    report = await service.forget_old()
    assert (report.askers_forgotten, report.unfinished_removed) == (1, 0)
    kept = await service.in_thread(THREAD)
    assert kept is not None and kept.asked_by == 0 and kept.question == asked.question
    assert may_mark(kept, ALICE, moderator=False) is None


async def test_mydata_exports_anonymous_questions_too_and_delete_unnames_them(
    service: CommunityService, conn: Connection
) -> None:
    source = CommunityAskers(CommunityRepository(conn))
    reserved = await service.reserve(GUILD, HELP, ALICE, "Asked without my name", Stage.VISA, anonymous=True)
    await service.posted(reserved, THREAD, MESSAGE)
    await service.mark_answer(reserved, REPLY)
    await post(service, BOB, "Bob's", THREAD + 1)
    [exported] = await source.export(ALICE)
    assert exported["question"] == "Asked without my name" and exported["posted_anonymously"] is True
    assert exported["thread_id"] == THREAD and exported["answer_message_id"] == REPLY
    assert await source.user_ids() == {ALICE, BOB}
    assert await source.delete(ALICE) == {"community_questions_unnamed": 1}
    assert await source.export(ALICE) == [] and await source.user_ids() == {BOB}
    kept = await service.in_thread(THREAD)
    assert kept is not None and kept.asked_by == 0  # the post stays the server's, naming nobody
    assert all(PERSONAL_COLUMN.search(column) for _, column in source.covers)


@dataclass
class Presence:
    listed: set[int]

    def server_status(self, guild_id: int) -> ServerStatus:
        return ServerStatus.AVAILABLE if guild_id in self.listed else ServerStatus.NOT_LISTED

    async def confirm_removed(self, guild_id: int) -> bool:
        return guild_id not in self.listed


async def test_community_data_goes_with_the_servers_data_after_its_retention(
    service: CommunityService, conn: Connection, clock: Clock
) -> None:
    entries = ServerEntries(ServerEntryRepository(conn), clock)

    async def seven_days(guild_id: int) -> int:
        return 7

    retention = ServerEntriesRetention(entries, Presence(listed={OTHER_GUILD}), seven_days)
    await service.set_help_channel(GUILD, HELP)
    await post(service, ALICE, "When is SOAP?", THREAD)
    await service.set_help_channel(OTHER_GUILD, HELP + 5)
    # Removed from the server (noticed at once): a server with no entries of its own has its clock started too.
    assert await entries.server_left(GUILD)
    clock.now = START + dt.timedelta(days=6)
    await retention.run()
    assert await service.in_thread(THREAD) is not None and await service.help_channel(GUILD) == HELP
    clock.now = START + dt.timedelta(days=7, seconds=1)
    report = await retention.run()
    assert report.servers_purged == 1
    assert await service.in_thread(THREAD) is None and await service.help_channel(GUILD) is None
    assert await service.help_channel(OTHER_GUILD) == HELP + 5
