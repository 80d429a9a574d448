"""Faults and recovery with the real fixture bot: 429s, 5xx bursts, slow routes, rate limits, dropped gateway
connections, RECONNECT, INVALID_SESSION, the 3-second rule, and bot restarts. One bot serves the module."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import aiohttp
import pytest

from discord_emulator import Emulator, InteractionError, World
from discord_emulator.faults import FaultInjector, RateLimiter, compile_route
from tests.e2e.harness import BotProcess
from tests.emulator.conftest import fixture_bot_process

bot_test = pytest.mark.asyncio(loop_scope="module")
Shared = tuple[Emulator, BotProcess]
SEND = "POST /channels/{channel_id}/messages"


@pytest.fixture
def fresh(shared: Shared) -> Iterator[Shared]:
    emu, bot = shared
    emu.faults.clear()
    emu.rate_limits.disable()
    emu.violations.clear()
    yield emu, bot
    emu.faults.clear()
    emu.rate_limits.disable()
    assert bot.running, bot.tail()
    own = [str(v) for v in emu.violations if v.source in ("response", "emulator")]
    assert own == [], own


async def announce(emu: Emulator, text: str) -> str:
    reply = await (await emu.slash("announce", {"text": text})).response(15.0)
    return reply.content


# ----- unit checks of the fault machinery ---------------------------------------------------------------------


def test_route_patterns_accept_templates_and_regexes() -> None:
    method, pattern = compile_route("POST /channels/{channel_id}/messages")
    assert method == "POST" and pattern.fullmatch("/channels/123/messages")
    assert not pattern.fullmatch("/channels/123/messages/456")
    method, pattern = compile_route(r"/channels/\d+/messages")
    assert method == "*" and pattern.fullmatch("/channels/9/messages")


def test_probabilistic_faults_are_reproducible_with_a_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = FaultInjector(seed)
        faults.error("GET /users/@me", status=502, times=None, probability=0.3)
        return [faults.pick("GET", "/users/@me")[1] is not None for _ in range(50)]

    assert pattern(4) == pattern(4)
    assert 5 < sum(pattern(4)) < 25


def test_rate_limiter_counts_down_and_then_limits() -> None:
    limiter = RateLimiter()
    limiter.enable(global_per_second=100, channel_messages=(2, 5.0))
    first = limiter.check("POST", SEND, "1")
    assert first.allowed and first.headers["X-RateLimit-Remaining"] == "1"
    assert float(first.headers["X-RateLimit-Reset-After"]) > 4.9
    assert limiter.check("POST", SEND, "1").allowed
    third = limiter.check("POST", SEND, "1")
    assert not third.allowed and third.retry_after > 4.9
    assert limiter.check("POST", SEND, "2").allowed, "buckets are per channel"


# ----- faults after the request took effect (the answer is lost, the message exists) ---------------------------


async def post_message(emu: Emulator, channel_id: int, nonce: str) -> tuple[int, dict[str, object] | None]:
    """One raw send with `nonce` and enforce_nonce, as discord.py makes it: (status, body); status 0 when the
    emulator closed the connection without answering."""
    body = {"content": "Match Day is March 20", "nonce": nonce, "enforce_nonce": True}
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as session:
        try:
            async with session.post(
                f"{emu.api_base}/channels/{channel_id}/messages", json=body, headers=headers
            ) as response:
                return response.status, await response.json()
        except aiohttp.ServerDisconnectedError:
            return 0, None


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [500, 502, 504, 0])
async def test_a_fault_after_the_effect_loses_the_answer_but_keeps_the_message(status: int) -> None:
    async with Emulator(World.default()) as emu:
        general = emu.world.channel("general")
        if status:
            emu.faults.error(SEND, status=status, after_effect=True)
        else:
            emu.faults.drop(SEND)
        got, body = await post_message(emu, general.id, "n-after-effect")
        assert got == status
        if status:
            assert body == {"message": "Internal Server Error", "code": 0}
        [stored] = emu.messages_in(general)
        assert stored.nonce == "n-after-effect"
        # The client's retry carries the same nonce: Discord answers with the message it already made.
        got, body = await post_message(emu, general.id, "n-after-effect")
        assert got == 200 and body is not None and body["id"] == str(stored.id)
        assert len(emu.messages_in(general)) == 1
        assert emu.stats.other["nonce_deduplicated"] == 1
        assert emu.stats.after_effect[SEND] == 1
        assert (emu.stats.dropped[SEND], emu.stats.server_errors[SEND]) == ((0, 1) if status else (1, 0))
        assert [r.status for r in emu.requests if r.route == SEND] == [status, 200]


@pytest.mark.asyncio
async def test_a_fault_before_the_effect_creates_nothing_and_nonces_are_forgotten_after_a_while() -> None:
    async with Emulator(World.default()) as emu:
        general = emu.world.channel("general")
        emu.faults.error(SEND, status=500)
        emu.faults.drop(SEND, after_effect=False)
        assert (await post_message(emu, general.id, "n-before"))[0] == 500
        assert (await post_message(emu, general.id, "n-before"))[0] == 0
        assert emu.messages_in(general) == []
        assert (await post_message(emu, general.id, "n-before"))[0] == 200
        assert (await post_message(emu, general.id, "n-before"))[0] == 200
        assert len(emu.messages_in(general)) == 1
        # Discord remembers a nonce for a few minutes only; past that, the same nonce makes a new message.
        emu.rest.messages.nonce_memory = timedelta(0)
        assert (await post_message(emu, general.id, "n-before"))[0] == 200
        assert len(emu.messages_in(general)) == 2


@pytest.mark.asyncio
async def test_forget_nonces_forgets_what_was_made_so_far_and_remembers_what_comes_after() -> None:
    """What a restart after a long downtime meets: the nonces of earlier messages are forgotten, later ones are not."""
    async with Emulator(World.default()) as emu:
        general = emu.world.channel("general")
        _, first = await post_message(emu, general.id, "n-old")
        emu.rest.messages.forget_nonces()
        _, again = await post_message(emu, general.id, "n-old")
        assert first is not None and again is not None and again["id"] != first["id"]
        _, new = await post_message(emu, general.id, "n-new")
        _, repeated = await post_message(emu, general.id, "n-new")
        assert new is not None and repeated is not None and repeated["id"] == new["id"]
        assert len(emu.messages_in(general)) == 3 and emu.stats.other["nonce_deduplicated"] == 1


# ----- with the bot -------------------------------------------------------------------------------------------


@bot_test
async def test_429_with_retry_after_is_retried(fresh: Shared) -> None:
    emu, bot = fresh
    emu.faults.rate_limit(SEND, retry_after=0.3)
    emu.faults.rate_limit("POST /interactions/{interaction_id}/{interaction_token}/callback", retry_after=0.2)
    assert (await announce(emu, "after a 429")).startswith("posted")
    assert sum(emu.stats.rate_limited.values()) >= 2
    await bot.wait_for_output(r"We are being rate limited\. POST .*/messages responded with 429")


@bot_test
async def test_global_rate_limit_is_retried(fresh: Shared) -> None:
    emu, bot = fresh
    emu.faults.rate_limit(SEND, retry_after=0.2, global_=True)
    assert (await announce(emu, "after a global 429")).startswith("posted")
    await bot.wait_for_output("Global rate limit has been hit")


@bot_test
async def test_500_burst_is_retried(fresh: Shared) -> None:
    emu, _ = fresh
    emu.faults.error(SEND, status=500, times=1)
    emu.faults.error(SEND, status=502, times=1)
    assert (await announce(emu, "after a 5xx burst")).startswith("posted")
    assert emu.stats.server_errors[SEND] >= 2


@bot_test
async def test_lost_answer_after_the_message_was_made_is_retried_into_the_same_message(fresh: Shared) -> None:
    emu, _ = fresh
    emu.faults.error(SEND, status=502, after_effect=True)
    deduplicated = emu.stats.other["nonce_deduplicated"]
    reply = await announce(emu, "after a lost answer")
    # discord.py retried the 502 with the same nonce and got the message the first attempt had made.
    first, second = reply.removeprefix("posted ").split()
    assert first == second
    assert [m.id for m in emu.messages_in(emu.world.channel("general")) if m.content == "after a lost answer"] == [
        int(first)
    ]
    assert emu.stats.other["nonce_deduplicated"] == deduplicated + 2
    assert emu.stats.after_effect[SEND] == 1


@bot_test
async def test_slow_route(fresh: Shared) -> None:
    emu, _ = fresh
    emu.faults.slow(SEND, 0.3)
    started = time.monotonic()
    assert (await announce(emu, "slowly")).startswith("posted")
    assert time.monotonic() - started >= 0.6


@bot_test
async def test_discord_rate_limits_make_the_bot_pace_itself(fresh: Shared) -> None:
    emu, _ = fresh
    limited = emu.stats.rate_limited[SEND]
    emu.rate_limits.enable(global_per_second=50, channel_messages=(3, 1.0))
    started = time.monotonic()
    for i in range(3):
        assert (await announce(emu, f"paced {i}")).startswith("posted")
    # Six sends into a 3-per-second bucket: discord.py read the headers and waited instead of hitting 429.
    assert emu.stats.rate_limited[SEND] == limited
    assert time.monotonic() - started >= 0.9


@bot_test
async def test_exceeding_the_global_limit_gets_a_global_429(fresh: Shared) -> None:
    emu, _ = fresh
    before = emu.stats.rate_limited[SEND]
    emu.rate_limits.enable(global_per_second=3, channel_messages=(50, 1.0))
    for i in range(2):
        assert (await announce(emu, f"busy {i}")).startswith("posted")
    assert emu.stats.rate_limited[SEND] > before


@bot_test
async def test_initial_response_after_three_seconds_is_unknown_interaction(fresh: Shared) -> None:
    emu, _ = fresh
    emu.interaction_deadline = 0.1
    try:
        ix = await emu.slash("sleepy")
        with pytest.raises(InteractionError, match="past Discord's 3 s limit"):
            await ix.response()
    finally:
        emu.interaction_deadline = 3.0
    assert any("defer first" in v.message for v in emu.violations)


@bot_test
async def test_abrupt_gateway_close_then_resume(fresh: Shared) -> None:
    emu, _ = fresh
    identifies, resumes = emu.identify_count, emu.stats.gateway["resume"]
    # No close frame at all (the bot sees 1006); the interaction waits in the session and is replayed on RESUME.
    await emu.gateway.close_abruptly()
    ix = await emu.slash("echo", {"text": "still here"})
    assert (await ix.response(10)).content == "still here"
    assert emu.stats.gateway["resume"] == resumes + 1
    await emu.gateway.close_abruptly(code=4000)
    await emu.wait_for_resume(since=resumes + 1)
    assert (await (await emu.slash("echo", {"text": "and here"})).response(10)).content == "and here"
    assert emu.identify_count == identifies, "a dropped connection is resumed, not re-identified"


@bot_test
async def test_reconnect_opcode_then_resume(fresh: Shared) -> None:
    emu, _ = fresh
    resumes = emu.stats.gateway["resume"]
    await emu.gateway.send_reconnect()
    await emu.wait_for_resume(since=resumes)
    assert emu.stats.gateway["resume"] == resumes + 1
    assert (await (await emu.slash("echo", {"text": "reconnected"})).response()).content == "reconnected"


@bot_test
async def test_gateway_drop_right_before_an_interaction_is_replayed(fresh: Shared) -> None:
    emu, _ = fresh
    emu.faults.gateway("close", before_event="INTERACTION_CREATE")
    ix = await emu.slash("echo", {"text": "replayed"})
    assert (await ix.response(10)).content == "replayed"
    assert emu.stats.gateway["replayed"] >= 1


@bot_test
async def test_resumable_invalid_session(fresh: Shared) -> None:
    emu, _ = fresh
    resumes = emu.stats.gateway["resume"]
    await emu.gateway.invalid_session(resumable=True)
    await emu.wait_for_resume(since=resumes)
    assert (await (await emu.slash("echo", {"text": "resumed"})).response()).content == "resumed"


@bot_test
async def test_invalid_session_not_resumable_reidentifies(fresh: Shared) -> None:
    emu, _ = fresh
    identifies = emu.stats.gateway["identify"]
    await emu.gateway.invalid_session(resumable=False)
    # discord.py sleeps 5 s before a non-initial IDENTIFY (Client.before_identify_hook).
    await emu.wait_until_ready(timeout=20)
    assert emu.stats.gateway["identify"] == identifies + 1
    assert (await (await emu.slash("echo", {"text": "new session"})).response()).content == "new session"


@bot_test
async def test_commands_survive_a_bot_restart(fresh: Shared) -> None:
    emu, bot = fresh
    before = {c.name: c.id for c in emu.commands.all()}
    await bot.stop()
    assert bot.returncode == 0, bot.tail()
    identifies = emu.identify_count
    await bot.start()
    await emu.wait_for_identify(timeout=30, since=identifies)
    assert {c.name: c.id for c in emu.commands.all()} == before
    assert (await (await emu.slash("echo", {"text": "restarted"})).response()).content == "restarted"
    await bot.kill()
    assert bot.returncode == -9
    identifies = emu.identify_count
    await bot.start()
    await emu.wait_for_identify(timeout=30, since=identifies)
    assert (await (await emu.slash("echo", {"text": "after a kill"})).response()).content == "after a kill"


@pytest.mark.asyncio
async def test_privileged_intent_not_enabled_in_the_portal_stops_the_bot() -> None:
    world = World.default()
    world.privileged_intents = 0
    async with Emulator(world) as emu:
        bot = fixture_bot_process(emu, "no-intents-bot")
        await bot.start()
        try:
            code = await bot.wait_exit(timeout=30)
        finally:
            await bot.stop()
        assert code != 0
        assert "PrivilegedIntentsRequired" in bot.output
        assert not emu.is_ready
