"""Discord misbehaving, against the real bot process: bursts of 429 (per route and global, with retry_after) and of
500/502/503 during a fan-out of announcements to 50 servers and during interactions (a command, a button, a modal,
a deferred command), and a gateway that drops the connection ten times and invalidates the session while commands
run and announcements fall due. Every announcement is posted once; every interaction gets one answer in time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.db.connection import open_database
from bot.db.timestamps import to_db
from discord_emulator import Emulator, Interaction, Reply, World
from discord_emulator.faults import Fault, FaultInjector
from discord_emulator.world import Channel, User
from tests.e2e.conftest import Live, running_bot
from tests.e2e.faultkit import (
    CALLBACK,
    SEND,
    delivered_counts,
    exactly_once_problems,
    prompt_problems,
    prompts_in,
    query,
    seed_announcements,
    seed_study_groups,
)

TITLE = "Faulty-day mock exam"
GET_MEMBER = "GET /guilds/{guild_id}/members/{user_id}"
EDIT_ORIGINAL = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original"


# ----- 1. a fan-out through 429 and 5xx bursts --------------------------------------------------------------------


@pytest.mark.asyncio(loop_scope="function")
@pytest.mark.alone  # the bot must start within its 8 s head start: not beside other bots starting (Makefile)
async def test_fan_out_through_429_and_5xx_bursts_posts_every_announcement_once(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    world = World.generate(50, members_per_guild=5, seed=3)
    now = datetime.now(UTC)
    due = (now + timedelta(seconds=8)).replace(microsecond=0)
    subscribed = await seed_announcements(database, world, due, now, title=TITLE)
    channels = sorted(subscribed.channel_ids)
    async with Emulator(world, seed=11, request_log_size=20000) as emu:
        emu.rate_limits.enable(global_per_second=50)
        faults = emu.faults
        # One server's send gets a 503, which discord.py does not retry: the delivery stays claimed, retried soon.
        faults.error(f"POST /channels/{channels[7]}/messages", status=503, times=1)
        # Another server's send fails three times in a row (discord.py's own retries, after 1 + 3 + 5 s).
        faults.error(f"POST /channels/{channels[31]}/messages", status=502, times=3)
        # Two servers' sends are made and then the answer is lost (a 503, a dropped connection): the claim stays and
        # the retry's nonce returns the message already posted.
        faults.error(f"POST /channels/{channels[12]}/messages", status=503, after_effect=True)
        faults.drop(f"POST /channels/{channels[40]}/messages")
        # Bursts at the start of the fan-out, then scattered faults until each pool runs dry.
        faults.rate_limit(SEND, retry_after=0.5, times=6)
        faults.rate_limit(SEND, retry_after=0.3, global_=True, times=2)
        faults.error(SEND, status=500, times=4)
        faults.error(SEND, status=502, times=4)
        faults.rate_limit(SEND, retry_after=0.2, probability=0.1, times=5)
        faults.error(SEND, status=502, probability=0.1, times=5)
        faults.error(SEND, status=500, probability=0.1, times=5)
        async with running_bot(emu, database, name="fanout-faults", BACKUP_INTERVAL_HOURS="0") as bot:
            assert datetime.now(UTC) < due, "the bot must be ready before the announcements are due"

            def all_in() -> bool:
                counts = delivered_counts(emu, subscribed)
                return all(counts[c] >= 1 for c in channels)

            async with asyncio.timeout((due - datetime.now(UTC)).total_seconds() + 45):
                async with emu.store.changed:
                    await emu.store.changed.wait_for(all_in)
            # A second copy could only come from a retry still in flight: wait until the bot has none.
            await bot.wait_settled(sent_at_least=len(channels))
            assert bot.running, bot.tail()
        stats = emu.stats
        assert stats.rate_limited[SEND] >= 13 and stats.server_errors[SEND] >= 16, stats.summary()
        assert all(f.exhausted for f in faults.rules if f.probability is None), "every burst was served"
        assert exactly_once_problems(emu, subscribed, database) == []
        assert query(database, "SELECT COUNT(*) FROM deliveries WHERE status != 'sent'") == [(0,)]
        assert "stays claimed and is retried" in bot.output  # the 503 server, posted on a retry
        assert stats.after_effect[SEND] == 2 and stats.dropped[SEND] == 1, stats.summary()
        assert stats.other["nonce_deduplicated"] >= 2, stats.summary()
        emu.assert_clean()


# ----- 1b. Discord made the message, then the answer was lost ------------------------------------------------------

GROUP = "Lost-answer crew"


@pytest.mark.asyncio(loop_scope="function")
@pytest.mark.alone  # the bot must start within its 12 s head start: not beside other bots starting (Makefile)
async def test_answers_lost_after_the_message_was_made_post_nothing_twice(tmp_path: Path) -> None:
    """The hard case for "exactly once": Discord creates the message and then answers 500/502/504 (discord.py retries
    those on its own) or 503, or the connection drops (the bot's delivery retries). Every retry carries the
    delivery's nonce, so Discord answers with the message it already made; announcements and study-group prompts
    each end up posted once, their rows `sent` with that message's id."""
    database = tmp_path / "bot.sqlite3"
    world = World.generate(20, members_per_guild=3, seed=8)
    now = datetime.now(UTC)
    # 12 s: 7 s was too little once, with both cores busy on a day the machine ran everything three times slower.
    due = (now + timedelta(seconds=12)).replace(microsecond=0)
    subscribed = await seed_announcements(database, world, due, now, title=TITLE)
    rooms = await seed_study_groups(database, world, due, now, name=GROUP)
    async with Emulator(world, seed=29, request_log_size=5000) as emu:
        faults = emu.faults
        for status in (500, 502, 504):
            faults.error(SEND, status=status, probability=0.2, times=4, after_effect=True)
        # Not retried by discord.py: the announcement and the prompt stay claimed and are sent again, same nonce.
        faults.error(f"POST /channels/{sorted(rooms.values())[3]}/messages", status=503, after_effect=True)
        faults.drop(f"POST /channels/{sorted(rooms.values())[11]}/messages")
        async with running_bot(emu, database, name="lost-answers", BACKUP_INTERVAL_HOURS="0") as bot:
            assert datetime.now(UTC) < due, "the bot must be ready before the messages are due"

            def all_in() -> bool:
                counts = delivered_counts(emu, subscribed)
                return all(counts[c] >= 1 for c in subscribed.channel_ids) and all(
                    prompts_in(emu, room, GROUP) for room in rooms.values()
                )

            async with asyncio.timeout((due - datetime.now(UTC)).total_seconds() + 30):
                async with emu.store.changed:
                    await emu.store.changed.wait_for(all_in)
            # A duplicate could only come from a retry still in flight: wait until the bot has none.
            await bot.wait_settled(sent_at_least=len(subscribed.channel_ids) + len(rooms))
            assert bot.running, bot.tail()
        stats = emu.stats
        assert stats.after_effect[SEND] >= 8, stats.summary()
        assert stats.other["nonce_deduplicated"] >= stats.after_effect[SEND], stats.summary()
        assert exactly_once_problems(emu, subscribed, database) == []
        assert prompt_problems(emu, rooms, database, GROUP) == []
        assert query(database, "SELECT COUNT(*) FROM deliveries WHERE status != 'sent'") == [(0,)]
        emu.assert_clean()


# ----- 2. interactions through the same bursts, one bot for the rest of the module ---------------------------------


async def seed_players(database: Path, world: World) -> None:
    """Quiz points for carol, who never uses the bot in these tests: /quiz leaderboard must look her name up over the
    API, so it defers first (the one deferred command path) and then fills in its reply."""
    guild = world.guild("IMG Study Hall")
    now = to_db(datetime.now(UTC))
    conn = await open_database(database)
    try:
        await conn.execute(
            "INSERT INTO quiz_answers (run_id, position, user_id, guild_id, question_id, topic, correct, points, "
            "answered_at) VALUES (NULL, 0, ?, ?, 'seeded', 'usmle', 1, 10, ?)",
            (world.users["carol"].id, guild.id, now),
        )
        await conn.execute(
            "INSERT INTO study_groups (guild_id, channel_id, name, name_key, checkin_time, timezone, weekdays, "
            "created_at, updated_at) VALUES (?, ?, 'Fault crew', 'fault crew', '03:00', 'UTC', 'sun', ?, ?)",
            (guild.id, world.channel("study-room").id, now, now),
        )
        await conn.commit()
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    """Like tests/e2e/conftest.py's, with a seeded database (so the contract checks after each test apply too)."""
    database = tmp_path_factory.mktemp("faults") / "bot.sqlite3"
    world = World.default()
    await seed_players(database, world)
    async with Emulator(world, seed=5) as emu, running_bot(emu, database, BACKUP_INTERVAL_HOURS="0") as bot:
        yield Live(emu, bot, database)
        assert bot.returncode is None, f"the bot died during the tests:\n{bot.tail()}"


@pytest.fixture
def faults_cleared(live: Live) -> Iterator[None]:
    live.emu.faults.clear()
    yield
    live.emu.faults.clear()


def one_answer(ix: Interaction) -> None:
    """Answered once, in time (the emulator records a late initial response as an error), and no second message."""
    assert ix.errors == [], ix.errors
    assert ix.callback_at is not None and ix.delivered_at is not None
    assert ix.callback_at - ix.delivered_at <= 3.0, f"{ix}: {ix.callback_at - ix.delivered_at:.2f} s"
    if ix.callback_type in (4, 5):
        assert len(ix.messages) == 1, [m.text for m in ix.messages]
    else:
        assert ix.followup_ids == []


async def ask(emu: Emulator, user: User, channel: Channel, question: str) -> tuple[Interaction, Reply]:
    ix = await emu.slash("ask", {"question": question}, user=user, channel=channel)
    return ix, await ix.response(10)


async def every_kind_of_interaction(emu: Emulator, round_: int) -> list[Interaction]:
    """/ask, its Helpful button, /checkin's modal and its submission, and /quiz leaderboard (deferred, then a
    reply edited in after a member lookup). Returns them all, answered."""
    world = emu.world
    alice, bob = world.users["alice"], world.users["bob"]
    general, room = world.channel("general"), world.channel("study-room")
    asked, answer = await ask(emu, alice, general, "what is the rank order list")
    assert answer.embeds, answer.content
    vote = await emu.click(answer, label="Helpful", user=bob)
    voted = await vote.response(10)
    assert voted.ephemeral and "👍" in voted.content
    opened_ix = await emu.slash("checkin", user=bob, channel=room)
    opened = await opened_ix.response(10)
    assert opened.kind == "modal", opened
    submitted = await emu.submit_modal(opened, {"studied": f"Fault round {round_}: renal", "questions": "20"})
    receipt = await submitted.response(10)
    assert receipt.ephemeral and receipt.embeds and "Check-in" in receipt.embeds[0]["title"]
    board_ix = await emu.slash("quiz leaderboard", {"period": "all"}, user=bob, channel=general)
    board = await board_ix.response(15)
    assert board.deferred and board.embeds and "**Carol**" in board.embeds[0]["description"], board
    return [asked, vote, opened_ix, submitted, board_ix]


FAULTS: dict[str, Callable[[FaultInjector], list[Fault]]] = {
    "429 on every route": lambda f: [f.rate_limit(r, retry_after=0.4, times=2) for r in (CALLBACK, EDIT_ORIGINAL)],
    "global 429": lambda f: [f.rate_limit(r, retry_after=0.3, global_=True, times=1) for r in (CALLBACK, GET_MEMBER)],
    "500": lambda f: [f.error(r, status=500, times=1) for r in (CALLBACK, EDIT_ORIGINAL, GET_MEMBER)],
    "502": lambda f: [f.error(r, status=502, times=1) for r in (CALLBACK, EDIT_ORIGINAL)],
}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("kind", list(FAULTS))
async def test_interactions_through_a_burst_each_get_one_answer_in_time(
    live: Live, faults_cleared: None, kind: str
) -> None:
    emu = live.emu
    rules = FAULTS[kind](emu.faults)
    before = emu.stats.total_429 + emu.stats.total_5xx
    answered = await every_kind_of_interaction(emu, list(FAULTS).index(kind))
    for ix in answered:
        one_answer(ix)
    assert emu.stats.total_429 + emu.stats.total_5xx > before
    assert all(rule.hits for rule in rules), [(r.description, r.hits) for r in rules]
    assert not [k for k in emu.stats.errors if "40060" in k or k.startswith("400 POST /interactions")]


async def retries_landed(emu: Emulator, since: int) -> None:
    """Wait until every request answered by a fault after `since` was made again (discord.py's retry, or the bot's
    error path answering the same interaction): a second answer would come from there."""
    records = [r for r in emu.requests if r.seq > since]
    for faulted in (r for r in records if r.status == 0 or r.status >= 500):
        if not any(r.seq > faulted.seq and r.path == faulted.path for r in emu.requests):
            await emu.wait_for_request(f"{faulted.method} {faulted.path}", timeout=15)


AFTER_EFFECT: dict[str, Callable[[FaultInjector], list[Fault]]] = {
    "callback made, answer 500": lambda f: [f.error(CALLBACK, status=500, times=2, after_effect=True)],
    "deferred reply made, answer 504": lambda f: [f.error(EDIT_ORIGINAL, status=504, times=1, after_effect=True)],
}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("kind", list(AFTER_EFFECT))
async def test_interactions_whose_answer_is_lost_after_the_effect_answer_once(
    live: Live, faults_cleared: None, kind: str
) -> None:
    """Discord acknowledged the callback (or filled in the deferred reply) and its answer was lost: discord.py's retry
    of a callback gets 40060 "already acknowledged", which must not turn into an error message or a second answer;
    the deferred reply is an edit of the placeholder, so its retry cannot post it twice (a followup's would)."""
    emu = live.emu
    rules = AFTER_EFFECT[kind](emu.faults)
    errors_before = live.bot.output.count(" ERROR ")
    since = emu.requests[-1].seq
    answered = await every_kind_of_interaction(emu, 10 + list(AFTER_EFFECT).index(kind))
    await retries_landed(emu, since)
    for ix in answered:
        one_answer(ix)
    assert all(rule.hits for rule in rules), [(r.description, r.hits) for r in rules]
    assert live.bot.output.count(" ERROR ") == errors_before, live.bot.tail()


@pytest.mark.asyncio(loop_scope="module")
async def test_concurrent_commands_through_a_burst(live: Live, faults_cleared: None) -> None:
    emu = live.emu
    alice, general = emu.world.users["alice"], emu.world.channel("general")
    emu.faults.rate_limit(CALLBACK, retry_after=0.3, times=4)
    emu.faults.rate_limit(CALLBACK, retry_after=0.2, global_=True, times=1)
    emu.faults.error(CALLBACK, status=500, times=2)
    emu.faults.error(CALLBACK, status=502, times=2)
    questions = ["what is soap", "when does eras open", "what is the match", "ecfmg certification", "step 2 ck"] * 2
    results = await asyncio.gather(*(ask(emu, alice, general, q) for q in questions))
    for ix, _ in results:
        one_answer(ix)
    assert all(rule.exhausted for rule in emu.faults.rules)


# ----- 3. the gateway drops, resumes and re-identifies while announcements fall due --------------------------------


async def add_event(emu: Emulator, title: str, seconds: float) -> datetime:
    at = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    options = {"title": title, "date": f"{at:%Y-%m-%d}", "time": f"{at:%H:%M:%S}", "timezone": "UTC", "reminders": "0"}
    reply = await (
        await emu.slash("event add", options, user=emu.world.users["dr_admin"], channel=emu.world.channel("general"))
    ).response(10)
    assert reply.embeds and reply.embeds[0]["title"] == f"Event added: {title}", reply.content
    return at


def posted(emu: Emulator, title: str) -> int:
    channel = emu.world.channel("general")
    return sum(1 for m in emu.messages_in(channel) if any(title in (e.get("title") or "") for e in m.embeds))


async def wait_posted(emu: Emulator, title: str, timeout: float) -> None:  # noqa: ASYNC109 - mirrors the emulator's API
    async with asyncio.timeout(timeout):
        async with emu.store.changed:
            await emu.store.changed.wait_for(lambda: posted(emu, title) >= 1)


@pytest.mark.asyncio(loop_scope="module")
async def test_ten_abrupt_closes_during_commands_lose_and_double_nothing(live: Live, faults_cleared: None) -> None:
    emu = live.emu
    alice, general = emu.world.users["alice"], emu.world.channel("general")
    identifies, resumes = emu.stats.gateway["identify"], emu.stats.gateway["resume"]
    closes = emu.stats.gateway["fault:close"]
    title = "Gateway storm webinar"
    sent_before, mark = live.bot.settled_sent(), live.bot.lines_so_far
    due = await add_event(emu, title, 3)
    start = asyncio.get_running_loop().time()
    asked = []
    for i in range(10):
        # The drops are spread over five seconds of real time so that the event falls due in the middle of them.
        await asyncio.sleep(max(0.0, start + 0.5 * i - asyncio.get_running_loop().time()))
        # Each drop hits a live connection (the previous one resumed), so there are ten of them: TCP cut (the bot
        # sees 1006), a close frame it may resume after, and once a drop right before an interaction is dispatched
        # (the interaction waits in the session and is replayed on RESUME).
        await emu.wait_until_ready(15)
        if i == 5:
            emu.faults.gateway("close", before_event="INTERACTION_CREATE")
        else:
            await emu.gateway.close_abruptly(None if i % 2 == 0 else 4000)
        ix, reply = await ask(emu, alice, general, "what is soap" if i % 2 else "when does eras open")
        assert reply.embeds or reply.content
        asked.append(ix)
    for ix in asked:
        one_answer(ix)
    # The last close frame may land after the last answer.
    await emu.gateway.wait_for(lambda: emu.stats.gateway["resume"] >= resumes + 10 and emu.gateway.is_ready, 15)
    assert emu.stats.gateway["fault:close"] == closes + 10
    assert emu.stats.gateway["resume"] == resumes + 10, dict(emu.stats.gateway)
    assert emu.stats.gateway["identify"] == identifies, "dropped connections are resumed, not re-identified"
    await wait_posted(emu, title, (due - datetime.now(UTC)).total_seconds() + 20)
    await live.bot.wait_settled(sent_at_least=sent_before + 1, after=mark)  # no retry left that could post again
    assert posted(emu, title) == 1


@pytest.mark.asyncio(loop_scope="module")
async def test_invalid_session_resumable_then_not_keeps_answering_and_posting(live: Live, faults_cleared: None) -> None:
    emu = live.emu
    alice, general = emu.world.users["alice"], emu.world.channel("general")
    first, second = "Resumed session mock", "New session mock"
    resumes, identifies = emu.stats.gateway["resume"], emu.stats.gateway["identify"]
    sent_before, mark = live.bot.settled_sent(), live.bot.lines_so_far
    due_first = await add_event(emu, first, 3)
    await emu.gateway.invalid_session(resumable=True)
    await emu.wait_for_resume(since=resumes, timeout=15)
    one_answer((await ask(emu, alice, general, "what is soap"))[0])

    # Not resumable: discord.py waits 5 s before it identifies again; the second event falls due in that gap.
    due_second = await add_event(emu, second, 3)
    await emu.gateway.invalid_session(resumable=False)
    await emu.wait_for_identify(since=identifies, timeout=30)
    one_answer((await ask(emu, alice, general, "when does eras open"))[0])
    await wait_posted(emu, first, (due_first - datetime.now(UTC)).total_seconds() + 20)
    await wait_posted(emu, second, (due_second - datetime.now(UTC)).total_seconds() + 20)
    await live.bot.wait_settled(sent_at_least=sent_before + 2, after=mark)
    assert (posted(emu, first), posted(emu, second)) == (1, 1)
    assert emu.stats.gateway["identify"] == identifies + 1
    rows = query(live.database, "SELECT status, late FROM deliveries WHERE target_kind = 'event' ORDER BY fire_at")
    assert rows and all(status == "sent" for status, _ in rows), rows
