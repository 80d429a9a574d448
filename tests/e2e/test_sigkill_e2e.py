"""The bot killed with SIGKILL at random moments of a fan-out and restarted each time: every announcement is posted
exactly once in the end (the claim/nonce protocol and the start-up catch-up within the grace window), and every
check-in and setting the bot acknowledged before a kill is still in the database.

The kill moments are drawn from a seeded RNG as "when the N-th server has its announcement" plus a few
milliseconds, so they land anywhere in the send/record cycle. The seed is printed; rerun one with SOAK_SEED=<seed>.
The short variant runs in `make test`; the long one (20 kills, 200 servers) is marked soak (`make soak`).

A restart within a few seconds is saved by Discord's nonce memory alone: the retry with the same nonce returns the
message already made. Discord keeps nonces for "a few minutes", so halfway through, one restart comes after a longer
downtime (``DOWNTIME``): the bot's clock is moved on by it (the test clock hook) and the emulator forgets every nonce
it holds. The kill before that restart lands at the very moment a message is made, before its answer reaches the
bot, so at least one claim is posted and not recorded; only the bot's look-up in the channel's history can keep that
server from a second copy. Everything posted after that restart is more than two minutes after its time and says so:
the late count the run prints is checked message by message.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.scheduling import TEST_CLOCK_OFFSET_ENV
from bot.scheduling.delivery import DEFAULT_NONCE_TRUST
from bot.text import escape_markdown
from discord_emulator import Emulator, World
from discord_emulator.models import Message
from discord_emulator.rest import NONCE_MEMORY
from discord_emulator.world import Channel, User
from tests.e2e.conftest import bot_env
from tests.e2e.faultkit import (
    Subscribed,
    announcements_in,
    delivered_counts,
    exactly_once_problems,
    late_mark_problems,
    query,
    seed_announcements,
    sent_late,
)
from tests.e2e.harness import BotProcess

pytestmark = pytest.mark.asyncio(loop_scope="function")

TITLE = "Kill-proof mock exam"
DOWNTIME = timedelta(minutes=6)
"""The long downtime before one restart: past the emulator's nonce memory (Discord's "few minutes") and past the
bot's own trust in it, so the bot must look in the channel's history before sending a claim again."""
RECOVERED_FROM_HISTORY = "was posted before a crash"
"""What the bot logs when it finds a claimed delivery's message in the channel (bot/scheduling/delivery.py)."""
ZONES = ("Asia/Kolkata", "Africa/Lagos", "America/Chicago", "Europe/Berlin", "Asia/Manila", "America/Sao_Paulo")


@dataclass
class Acknowledged:
    """What the bot confirmed to users before each kill: the latest setting and check-in per user."""

    zones: dict[int, str] = field(default_factory=dict)
    checkins: dict[int, str] = field(default_factory=dict)


async def write_before_kill(emu: Emulator, life: int, users: list[User], room: Channel, acked: Acknowledged) -> None:
    """A /settings change and a /checkin (modal) by one member, remembered only once the bot confirmed them."""
    user = users[life % len(users)]
    zone = ZONES[life % len(ZONES)]
    changed = await (await emu.slash("settings", {"timezone": zone}, user=user, channel=room)).response(10)
    assert zone in changed.content, changed.content
    acked.zones[user.id] = zone
    opened = await (await emu.slash("checkin", user=user, channel=room)).response(10)
    assert opened.kind == "modal", opened
    studied = f"Life {life}: cardio block"
    receipt = await (await emu.submit_modal(opened, {"studied": studied, "questions": str(10 + life)})).response(10)
    assert receipt.embeds and "Check-in" in receipt.embeds[0]["title"], receipt
    acked.checkins[user.id] = studied


def assert_kept(database: Path, acked: Acknowledged, context: str) -> None:
    """Every setting and check-in the bot confirmed is in the database file (read while the bot is dead)."""
    zones = dict(query(database, "SELECT user_id, timezone FROM study_member_settings"))
    assert {u: zones.get(u) for u in acked.zones} == acked.zones, f"{context}: a confirmed setting was lost"
    # A member's latest write: one who changed zone may have check-ins on two local dates (the run can straddle a
    # midnight in one zone and not the other), and the older one must not stand for the latest.
    checkins = dict(query(database, "SELECT user_id, studied FROM study_checkins ORDER BY updated_at, id"))
    assert {u: checkins.get(u) for u in acked.checkins} == acked.checkins, f"{context}: a confirmed check-in was lost"


async def wait_delivered(emu: Emulator, subscribed: Subscribed, at_least: int, timeout: float) -> None:  # noqa: ASYNC109 - mirrors the emulator's API
    def enough() -> bool:
        return sum(1 for n in delivered_counts(emu, subscribed).values() if n) >= at_least

    async with asyncio.timeout(timeout):
        async with emu.store.changed:
            await emu.store.changed.wait_for(enough)


@dataclass
class CaughtInTheAct:
    """The kill that lands while a message is being made: the server and the message the bot never heard about."""

    guild_id: int = 0
    message_id: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)


def kill_as_a_message_is_made(emu: Emulator, bot: BotProcess, subscribed: Subscribed, threshold: int) -> CaughtInTheAct:
    """SIGKILL the bot from inside the emulator as it stores the announcement that brings the servers served to
    ``threshold`` (or the next one, if they are there already): Discord has made that message and the bot never gets
    the answer, so its claim is left unrecorded. The listener runs before the emulator answers the request."""
    caught = CaughtInTheAct()
    guild_of = {channel: guild for guild, channel in subscribed.channels.items()}

    def listener(kind: str, message: Message) -> None:
        if caught.done.is_set() or kind != "MESSAGE_CREATE" or message.channel_id not in guild_of:
            return
        # A moderator's title is posted markdown-escaped ("Kill\\-proof"), as announcements_in reads it too.
        if not any(escape_markdown(subscribed.title) in (e.get("title") or "") for e in message.embeds):
            return
        if sum(1 for n in delivered_counts(emu, subscribed).values() if n) < threshold or bot.pid is None:
            return
        os.kill(bot.pid, signal.SIGKILL)
        caught.guild_id, caught.message_id = guild_of[message.channel_id], message.id
        caught.done.set()
        emu.store.listeners.remove(listener)

    emu.store.listeners.append(listener)
    return caught


@dataclass
class LateMarks:
    """What the messages say about being late, against what the bot believed and what its rows record."""

    wrong: list[str] = field(default_factory=list)
    """Messages that say "late" when they were not, or do not when they were."""
    said_late: int = 0
    rows_late: int = 0
    row_differs: dict[int, tuple[bool, bool]] = field(default_factory=dict)
    """Servers whose row's late mark is not what their message says: guild id -> (row, message)."""


def late_marks(
    emu: Emulator, subscribed: Subscribed, database: Path, due: datetime, restarted_after_downtime: datetime
) -> LateMarks:
    """Each server's one announcement must say "late" exactly when the bot believed it more than two minutes after
    its time (by DOWNTIME more from the restart after the downtime on)."""
    sql = "SELECT guild_id, late FROM deliveries WHERE target_kind = 'event'"
    rows = {guild_id: bool(late) for guild_id, late in query(database, sql)}
    marks = LateMarks(rows_late=sum(rows.values()))
    for guild_id, channel_id in subscribed.channels.items():
        [message] = announcements_in(emu, channel_id, subscribed.title)
        believed = DOWNTIME if message.created_at >= restarted_after_downtime else timedelta(0)
        marks.wrong += late_mark_problems(message, due, f"server {guild_id}", believed=believed)
        marks.said_late += sent_late(message)
        if rows.get(guild_id, False) != sent_late(message):
            marks.row_differs[guild_id] = (rows.get(guild_id, False), sent_late(message))
    return marks


def found_in_history(output: str, database: Path) -> set[int]:
    """The servers whose claim the bot found already posted in the channel's history (its log says which)."""
    keys = set(re.findall(rf"delivery (\S+) {RECOVERED_FROM_HISTORY}", output))
    rows = query(database, "SELECT key, guild_id FROM deliveries WHERE target_kind = 'event'")
    return {guild_id for key, guild_id in rows if key in keys}


async def sigkill_during_fan_out(tmp_path: Path, *, servers: int, kills: int, seed: int) -> None:
    assert DOWNTIME > NONCE_MEMORY and DOWNTIME > DEFAULT_NONCE_TRUST, "the downtime must outlast both memories"
    print(f"\nSIGKILL soak: {kills} kills during a fan-out to {servers} servers, seed {seed} (SOAK_SEED={seed})")
    rng = random.Random(seed)
    database = tmp_path / "bot.sqlite3"
    world = World.generate(servers, members_per_guild=5, seed=seed)
    home = world.bot_guilds()[0]
    room = home.channel("study-room")
    users = [m.user for m in home.members.values() if not m.user.bot and m.user.id != home.owner_id]
    now = datetime.now(UTC)
    due = (now + timedelta(seconds=4)).replace(microsecond=0)
    subscribed = await seed_announcements(database, world, due, now, title=TITLE, study_group_in=home.id)
    # Kill when this many servers have their announcement (distinct, so every life moves the fan-out on).
    thresholds = sorted(rng.sample(range(1, servers), kills))
    # The life that starts after the long downtime; the kill that ends the life before it is caught in the act.
    after_downtime = (kills + 1) // 2
    acked = Acknowledged()
    started = time.monotonic()
    async with Emulator(world, seed=seed, request_log_size=50000) as emu:
        emu.rate_limits.enable(global_per_second=50)
        bot = BotProcess(env=bot_env(emu, database, BACKUP_INTERVAL_HOURS="0"), name="sigkill", stop_timeout=30)
        context = f"seed {seed}"
        caught = CaughtInTheAct()
        missing_after_downtime: set[int] = set()
        restarted_after_downtime = datetime.max.replace(tzinfo=UTC)
        try:
            for life, threshold in enumerate(thresholds):
                if life + 1 == after_downtime:
                    served = sum(1 for n in delivered_counts(emu, subscribed).values() if n)
                    assert served < servers, f"{context}: everything was posted before the kill could land"
                    # Armed before the start: the bot's catch-up may reach the threshold at once. No /settings or
                    # /checkin in this life, since the kill may come before they are answered.
                    caught = kill_as_a_message_is_made(emu, bot, subscribed, threshold)
                identifies = emu.identify_count
                await bot.start()
                if life + 1 == after_downtime:
                    async with asyncio.timeout(60):
                        await caught.done.wait()
                else:
                    await emu.wait_for_identify(since=identifies, timeout=40)
                    await write_before_kill(emu, life, users, room, acked)
                    await wait_delivered(emu, subscribed, threshold, timeout=60)
                    # The kill moment, a few milliseconds on (anywhere in the send/record cycle): not a wait.
                    await asyncio.sleep(rng.uniform(0.0, 0.05))
                assert await bot.kill() == -9, f"{context}: the bot was not running at kill {life + 1}:\n{bot.tail()}"
                assert_kept(database, acked, f"{context}, right after kill {life + 1}")
                context = f"seed {seed}, after kill {life + 1} at {threshold} servers"
                if life + 1 == after_downtime:
                    # The dead bot's requests all answered: what is posted now stays so until the next start.
                    await emu.wait_idle(timeout=10)
                    missing_after_downtime = {c for c, n in delivered_counts(emu, subscribed).items() if not n}
                    emu.rest.messages.forget_nonces()
                    bot.env[TEST_CLOCK_OFFSET_ENV] = f"{DOWNTIME.total_seconds():.0f}"
                    restarted_after_downtime = datetime.now(UTC)
                    context += f" and a downtime of {DOWNTIME}"
            identifies = emu.identify_count
            # The last life posts at least what is still missing (and recovers what was posted but not recorded).
            missing, mark = sum(1 for n in delivered_counts(emu, subscribed).values() if not n), bot.lines_so_far
            await bot.start()
            await emu.wait_for_identify(since=identifies, timeout=40)
            await write_before_kill(emu, kills, users, room, acked)
            await wait_delivered(emu, subscribed, servers, timeout=90)
            # A copy sent twice could only come from a retry still in flight: wait until the bot has none.
            await bot.wait_settled(sent_at_least=missing, after=mark, timeout=60)
        finally:
            await bot.stop()
        assert bot.returncode == 0, f"{context}:\n{bot.tail()}"
        problems = exactly_once_problems(emu, subscribed, database)
        assert problems == [], f"{context}: {len(problems)} problems, e.g. {problems[:5]}"
        statuses = query(database, "SELECT status, COUNT(*) FROM deliveries WHERE target_kind = 'event' GROUP BY 1")
        assert statuses == [("sent", servers)], f"{context}: {statuses}"
        # The message made as the bot died was found in its channel after the downtime, not posted again.
        [[key]] = query(
            database, "SELECT key FROM deliveries WHERE target_kind = 'event' AND guild_id = ?", caught.guild_id
        )
        assert f"delivery {key} {RECOVERED_FROM_HISTORY} (message {caught.message_id})" in bot.output, context
        marks = late_marks(emu, subscribed, database, due, restarted_after_downtime)
        assert marks.wrong == [], f"{context}: {marks.wrong[:5]}"
        # Everything first posted after the downtime says it is late.
        assert marks.said_late >= len(missing_after_downtime), (marks.said_late, len(missing_after_downtime))
        # A row records what its message says. The one exception today: a claim whose message is found in the
        # channel's history keeps the mark decided when it was claimed (the look-up returns only the message id),
        # which differs when that message went out after the downtime, by the life that was then killed.
        history = found_in_history(bot.output, database)
        assert set(marks.row_differs) <= history, f"{context}: rows unlike their messages: {marks.row_differs}"
        emu.assert_clean()
    assert_kept(database, acked, context)
    print(
        f"SIGKILL soak: seed {seed}: {servers} servers, {kills} kills, all posted once; {marks.said_late} saying "
        f"late ({len(missing_after_downtime)} first posted after the {DOWNTIME} downtime), {marks.rows_late} rows "
        f"marked late ({len(marks.row_differs)} found in history keep their claim's mark); {len(history)} found in "
        f"the channel's history; in {time.monotonic() - started:.0f} s; {len(acked.checkins)} check-ins and "
        f"{len(acked.zones)} settings kept"
    )


def soak_seed(default: int) -> int:
    value = os.environ.get("SOAK_SEED")
    return int(value) if value else default


@pytest.mark.heavy  # six bot starts and a fan-out: never beside another heavy test (tests/conftest.py)
async def test_five_sigkills_during_a_fan_out_to_50_servers(tmp_path: Path) -> None:
    await sigkill_during_fan_out(tmp_path, servers=50, kills=5, seed=soak_seed(20260607))


@pytest.mark.soak
@pytest.mark.timeout(900)
@pytest.mark.heavy
async def test_twenty_sigkills_during_a_fan_out_to_200_servers(tmp_path: Path) -> None:
    await sigkill_during_fan_out(
        tmp_path, servers=200, kills=20, seed=soak_seed(random.SystemRandom().randrange(10**6))
    )
