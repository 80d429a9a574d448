"""bot/preflight.py: asking Discord who the token belongs to (against the emulator, in process), how long and how
often it tries while Discord is out of reach, and what `imgbot check` and `imgbot run` make of the answer."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import Settings
from bot.preflight import (
    GATEWAY_GUILD_MEMBERS,
    GATEWAY_GUILD_MEMBERS_LIMITED,
    BotIdentity,
    DiscordUnreachable,
    SetupProblem,
    TokenRefused,
    check_report,
    identify_bot,
    settings_for,
)
from discord_emulator import Emulator, World

PORTAL_PAGE = "https://discord.com/developers/applications/42/bot"


class FakeTime:
    """A clock that moves only when the code under test sleeps, so the retry schedule is exact and instant."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def identity(flags: int = GATEWAY_GUILD_MEMBERS_LIMITED, servers: int | None = 3) -> BotIdentity:
    return BotIdentity(42, "pathway", 42, "IMG Pathway", flags, servers)


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, database_path=tmp_path / "db.sqlite3", **values)  # type: ignore[arg-type]


# -- asking Discord -------------------------------------------------------------------------------------------------


async def test_the_bot_and_its_application_as_discord_describes_them() -> None:
    world = World.default()
    async with Emulator(world) as emu:
        found = await identify_bot(emu.api_base, emu.token)
    assert found == BotIdentity(
        user_id=world.bot.id,
        username=world.bot.username,
        application_id=world.application_id,
        application_name=world.application_name,
        flags=found.flags,
        approximate_guild_count=len(world.bot_guilds()),
    )
    assert found.members_intent_enabled
    assert found.portal_url == f"https://discord.com/developers/applications/{world.application_id}/bot"


async def test_while_discord_is_out_of_reach_it_tries_1_2_4_8_then_every_15_seconds_for_the_wait() -> None:
    time = FakeTime()
    async with Emulator(World.default()) as emu:
        await emu.refuse_connections()
        with pytest.raises(DiscordUnreachable) as failed:
            await identify_bot(emu.api_base, emu.token, wait=60, clock=time.clock, sleep=time.sleep)
    assert time.pauses == [1, 2, 4, 8, 15, 15, 15]
    assert str(failed.value).startswith(f"cannot reach Discord at {emu.api_base} (Cannot connect to host")
    assert "tried for 60 s" in str(failed.value)


async def test_no_wait_means_one_try() -> None:
    time = FakeTime()
    async with Emulator(World.default()) as emu:
        await emu.refuse_connections()
        with pytest.raises(DiscordUnreachable):
            await identify_bot(emu.api_base, emu.token, clock=time.clock, sleep=time.sleep)
    assert time.pauses == []


async def test_server_errors_are_tried_again_and_a_refused_token_is_not() -> None:
    time = FakeTime()
    async with Emulator(World.default()) as emu:
        emu.faults.error("GET /applications/@me", status=502, times=2)
        found = await identify_bot(emu.api_base, emu.token, wait=60, clock=time.clock, sleep=time.sleep)
        assert found.application_id == emu.world.application_id
        assert time.pauses == [1, 2]

        time.pauses.clear()
        with pytest.raises(TokenRefused) as refused:
            await identify_bot(emu.api_base, "MTIz.abc.def", wait=60, clock=time.clock, sleep=time.sleep)
        assert time.pauses == []
        assert str(refused.value).startswith("Discord refused the token (401 Unauthorized)")


@pytest.mark.parametrize(
    ("token", "said"),
    [("Bot MTIz.abc.def", "starts with 'Bot '"), ("MTIz.abc\n.def", "spaces or line breaks"), ("MTIz .abc", "spaces")],
)
async def test_a_token_that_cannot_be_one_is_refused_before_any_request(token: str, said: str) -> None:
    async with Emulator(World.default()) as emu:
        with pytest.raises(TokenRefused) as refused:
            await identify_bot(emu.api_base, token)
        assert not emu.requests
    assert said in str(refused.value)
    assert "abc" not in str(refused.value)


# -- the Server Members intent ----------------------------------------------------------------------------------------


def test_an_explicit_true_is_told_apart_from_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not settings(tmp_path).members_intent_required
    assert settings(tmp_path).members_intent
    assert settings(tmp_path, members_intent=True).members_intent_required
    assert not settings(tmp_path, members_intent=False).members_intent_required
    monkeypatch.setenv("MEMBERS_INTENT", "true")
    assert settings(tmp_path).members_intent_required
    env_file = tmp_path / ".env"
    env_file.write_text("MEMBERS_INTENT=true\n", encoding="utf-8")
    monkeypatch.delenv("MEMBERS_INTENT")
    assert Settings(_env_file=env_file).members_intent_required  # type: ignore[call-arg]


@pytest.mark.parametrize("flag", [GATEWAY_GUILD_MEMBERS, GATEWAY_GUILD_MEMBERS_LIMITED])
def test_either_flag_means_the_intent_is_on(tmp_path: Path, flag: int) -> None:
    chosen = settings(tmp_path, members_intent=True)
    assert settings_for(chosen, identity(flag)) is chosen


def test_off_in_the_portal_runs_without_it_and_says_how_to_switch_it_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.preflight"):
        chosen = settings_for(settings(tmp_path), identity(flags=0))
    assert not chosen.members_intent
    (warning,) = caplog.messages
    assert warning.startswith("running without the privileged Server Members intent: it is off in the Developer")
    assert f"To switch it on, open {PORTAL_PAGE}, switch on" in warning


def test_off_in_the_portal_but_required_is_a_setup_problem(tmp_path: Path) -> None:
    with pytest.raises(SetupProblem) as problem:
        settings_for(settings(tmp_path, members_intent=True), identity(flags=0))
    assert str(problem.value).startswith(
        "MEMBERS_INTENT=true asks for the privileged Server Members intent, but the Developer Portal has it off. "
        f"Open {PORTAL_PAGE} and switch on"
    )


def test_not_asked_for_is_left_alone(tmp_path: Path) -> None:
    chosen = settings(tmp_path, members_intent=False)
    assert settings_for(chosen, identity(flags=0)) is chosen


# -- imgbot check's report ----------------------------------------------------------------------------------------


def test_the_check_report_for_each_intent_case(tmp_path: Path) -> None:
    on = check_report(settings(tmp_path), identity(), None)
    assert on.will_start and on.lines == [
        "Bot: pathway (user id 42), application 'IMG Pathway' (id 42).",
        "Token: works.",
        f"Developer Portal: {PORTAL_PAGE}",
        "Server Members intent: on in the Developer Portal.",
        "Servers: about 3.",
        "imgbot run will start.",
    ]
    fallback = check_report(settings(tmp_path), identity(flags=0, servers=0), None)
    assert fallback.will_start
    assert fallback.lines[3].startswith("Server Members intent: off in the Developer Portal, so the bot starts")
    assert fallback.lines[4].startswith(f"To change: open {PORTAL_PAGE} and switch on")
    assert fallback.lines[5] == "Servers: none yet. Invite the bot with the link `imgbot invite` prints."
    required = check_report(settings(tmp_path, members_intent=True), identity(flags=0), None)
    assert not required.will_start and required.lines[-1] == "imgbot run will not start."
    unasked = check_report(settings(tmp_path, members_intent=False), identity(flags=0, servers=None), None)
    assert unasked.will_start
    assert unasked.lines[3].startswith("Server Members intent: not asked for (MEMBERS_INTENT=false; off in the")
    assert unasked.lines[4] == "Servers: Discord did not say."


def test_the_check_report_when_discord_could_not_be_asked(tmp_path: Path) -> None:
    waiting = settings(tmp_path, discord_connect_retry_seconds=90)
    report = check_report(waiting, None, DiscordUnreachable("cannot reach Discord at X (refused)"))
    assert not report.will_start
    assert report.lines == [
        "Discord: cannot reach Discord at X (refused).",
        "imgbot run will not start while Discord cannot be reached (it tries for 90 s first).",
    ]
    report = check_report(waiting, None, TokenRefused("Discord refused the token"))
    assert report.lines == ["Token: does not work. Discord refused the token.", "imgbot run will not start."]
