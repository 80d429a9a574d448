"""The bot killed with SIGKILL at random moments of a fan-out and restarted each time: every announcement is posted
exactly once in the end (the claim/nonce protocol and the start-up catch-up within the grace window), and every
check-in and setting the bot acknowledged before a kill is still in the database.

The kill moments are drawn from a seeded RNG as "when the N-th server has its announcement" plus a few
milliseconds, so they land anywhere in the send/record cycle. The seed is printed; rerun one with SOAK_SEED=<seed>.
The short variant runs in `make test`; the long one (20 kills, 200 servers) is marked soak (`make soak`).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.sandbox import Emulator, World
from bot.sandbox.world import Channel, User
from tests.e2e.conftest import bot_env
from tests.e2e.faultkit import Subscribed, delivered_counts, exactly_once_problems, query, seed_announcements
from tests.e2e.harness import BotProcess

pytestmark = pytest.mark.asyncio(loop_scope="function")

TITLE = "Kill-proof mock exam"
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
    checkins = dict(query(database, "SELECT user_id, studied FROM study_checkins"))
    assert {u: checkins.get(u) for u in acked.checkins} == acked.checkins, f"{context}: a confirmed check-in was lost"


async def wait_delivered(emu: Emulator, subscribed: Subscribed, at_least: int, timeout: float) -> None:  # noqa: ASYNC109 - mirrors the emulator's API
    def enough() -> bool:
        return sum(1 for n in delivered_counts(emu, subscribed).values() if n) >= at_least

    async with asyncio.timeout(timeout):
        async with emu.store.changed:
            await emu.store.changed.wait_for(enough)


async def sigkill_during_fan_out(tmp_path: Path, *, servers: int, kills: int, seed: int) -> None:
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
    acked = Acknowledged()
    started = time.monotonic()
    async with Emulator(world, seed=seed, request_log_size=50000) as emu:
        emu.rate_limits.enable(global_per_second=50)
        bot = BotProcess(env=bot_env(emu, database, BACKUP_INTERVAL_HOURS="0"), name="sigkill", stop_timeout=30)
        context = f"seed {seed}"
        try:
            for life, threshold in enumerate(thresholds):
                identifies = emu.identify_count
                await bot.start()
                await emu.wait_for_identify(since=identifies, timeout=40)
                await write_before_kill(emu, life, users, room, acked)
                await wait_delivered(emu, subscribed, threshold, timeout=60)
                await asyncio.sleep(rng.uniform(0.0, 0.05))
                assert await bot.kill() == -9, f"{context}: the bot was not running at kill {life + 1}:\n{bot.tail()}"
                assert_kept(database, acked, f"{context}, right after kill {life + 1}")
                context = f"seed {seed}, after kill {life + 1} at {threshold} servers"
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
        emu.assert_clean()
    assert_kept(database, acked, context)
    late = query(database, "SELECT COUNT(*) FROM deliveries WHERE late = 1")[0][0]
    print(
        f"SIGKILL soak: seed {seed}: {servers} servers, {kills} kills, all posted once ({late} marked late) "
        f"in {time.monotonic() - started:.0f} s; {len(acked.checkins)} check-ins and {len(acked.zones)} settings kept"
    )


def soak_seed(default: int) -> int:
    value = os.environ.get("SOAK_SEED")
    return int(value) if value else default


async def test_five_sigkills_during_a_fan_out_to_50_servers(tmp_path: Path) -> None:
    await sigkill_during_fan_out(tmp_path, servers=50, kills=5, seed=soak_seed(20260607))


@pytest.mark.soak
@pytest.mark.timeout(900)
async def test_twenty_sigkills_during_a_fan_out_to_200_servers(tmp_path: Path) -> None:
    await sigkill_during_fan_out(
        tmp_path, servers=200, kills=20, seed=soak_seed(random.SystemRandom().randrange(10**6))
    )
