"""The first connection to Discord, end to end: `imgbot check` and `imgbot run` as processes against the emulator,
for each set-up mistake a new owner makes. A mistake ends in one line (`imgbot run: ...`) and a non-zero exit, never
a traceback; a Server Members intent the Developer Portal has off is survived unless MEMBERS_INTENT=true asked for
it; the token is never printed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from bot.preflight import PORTAL
from discord_emulator import Emulator, World
from discord_emulator.gateway import INTENT_GUILD_MEMBERS
from tests.e2e.conftest import bot_env
from tests.e2e.harness import BotProcess

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="function")]

WRONG_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhJkLm.not-the-token-of-this-bot-at-all-xyz"
"""Shaped like a real token (base64 id . timestamp . hmac), so only Discord's answer says it is wrong."""
START = 40.0
"""Seconds for a bot process to load the content, ask Discord, and connect (about 5 s here; the machine is shared)."""


def cli(emu: Emulator, database: Path, *args: str, name: str, **env: str) -> BotProcess:
    return BotProcess([sys.executable, "-m", "bot", *args], env=bot_env(emu, database, **env), name=name)


def run(emu: Emulator, database: Path, *, name: str = "imgbot-run", **env: str) -> BotProcess:
    return cli(emu, database, "run", name=name, **env)


async def finished(process: BotProcess, timeout: float = START) -> tuple[int, list[str]]:  # noqa: ASYNC109 - a bound
    await process.start()
    try:
        code = await process.wait_exit(timeout)
    finally:
        await process.stop()
    return code, [line for line in process.output.splitlines() if not line.startswith("--- start #")]


def the_one_line(process: BotProcess, lines: list[str], command: str = "imgbot run") -> str:
    """The failure's line: printed once, last, with no traceback anywhere."""
    assert "Traceback" not in process.output, process.output
    mine = [line for line in lines if line.startswith(f"{command}: ")]
    assert len(mine) == 1 and lines[-1] == mine[0], process.output
    return mine[0].removeprefix(f"{command}: ")


def never_printed(process: BotProcess, *tokens: str) -> None:
    for token in tokens:
        assert token not in process.output
        # Nor its secret parts on their own (a library could print one segment of it).
        assert all(part not in process.output for part in token.split(".")[1:] if len(part) > 5)


def member_intent_asked(emu: Emulator) -> bool:
    return bool(emu.gateway.identify_payloads[-1]["intents"] & INTENT_GUILD_MEMBERS)


# -- imgbot check ---------------------------------------------------------------------------------------------------


async def test_check_reports_a_working_setup(tmp_path: Path) -> None:
    world = World.default()
    async with Emulator(world) as emu:
        check = cli(emu, tmp_path / "bot.sqlite3", "check", name="check")
        code, lines = await finished(check)
        assert code == 0, check.output
        assert lines == [
            f"Bot: {world.bot.username} (user id {world.bot.id}), application {world.application_name!r} "
            f"(id {world.application_id}).",
            "Token: works.",
            f"Developer Portal: {PORTAL}/{world.application_id}/bot",
            "Server Members intent: on in the Developer Portal.",
            f"Servers: about {len(world.bot_guilds())}.",
            "imgbot run will start.",
        ]
        never_printed(check, emu.token)
        assert emu.stats.gateway["connections"] == 0  # a check never connects to the gateway


async def test_a_wrong_token_fails_the_check_and_the_start_in_one_line(tmp_path: Path) -> None:
    async with Emulator(World.default()) as emu:
        database = tmp_path / "bot.sqlite3"
        check = cli(emu, database, "check", name="check", DISCORD_TOKEN=WRONG_TOKEN)
        code, lines = await finished(check)
        assert code == 1, check.output
        assert lines[0].startswith("Token: does not work. Discord refused the token (401 Unauthorized)")
        assert lines[-1] == "imgbot run will not start."

        # --verbose prints the traceback of a failure: the token is not in it either.
        bot = BotProcess(
            [sys.executable, "-m", "bot", "--verbose", "run"],
            env=bot_env(emu, database, DISCORD_TOKEN=WRONG_TOKEN, LOG_LEVEL="WARNING"),
            name="run-verbose",
        )
        await bot.start()
        assert await bot.wait_exit(START) == 1
        never_printed(bot, WRONG_TOKEN)

        bot = run(emu, database, DISCORD_TOKEN=WRONG_TOKEN, LOG_LEVEL="ERROR")
        code, lines = await finished(bot)
        assert code == 1
        line = the_one_line(bot, lines)
        assert line.startswith("Discord refused the token (401 Unauthorized): DISCORD_TOKEN is wrong")
        assert f"Open {PORTAL}, pick the bot's application, press Bot > Reset Token" in line
        assert lines == [f"imgbot run: {line}"]  # nothing else: no log line, no traceback
        # imgbot sync asks Discord first too: the same line.
        sync = cli(emu, database, "sync", name="sync", DISCORD_TOKEN=WRONG_TOKEN, LOG_LEVEL="ERROR")
        code, lines = await finished(sync)
        assert code == 1
        assert the_one_line(sync, lines, "imgbot sync") == line
        for process in (check, bot, sync):
            never_printed(process, WRONG_TOKEN)
        assert emu.stats.gateway["connections"] == 0


# -- Discord out of reach -------------------------------------------------------------------------------------------


async def test_unreachable_discord_fails_the_check_and_the_start_after_the_retries(tmp_path: Path) -> None:
    async with Emulator(World.default()) as emu:
        database = tmp_path / "bot.sqlite3"
        await emu.refuse_connections()
        check = cli(emu, database, "check", name="check")
        code, lines = await finished(check)
        assert code == 1, check.output
        assert lines[0].startswith(f"Discord: cannot reach Discord at {emu.api_base} (Cannot connect to host")
        assert lines[-1] == "imgbot run will not start while Discord cannot be reached (it tries for 60 s first)."

        bot = run(emu, database, LOG_LEVEL="WARNING", DISCORD_CONNECT_RETRY_SECONDS="3")
        await bot.start()
        began = time.monotonic()
        assert await bot.wait_exit(START) == 1
        waited = time.monotonic() - began
        lines = [line for line in bot.output.splitlines() if not line.startswith("--- start #")]
        line = the_one_line(bot, lines)
        assert line.startswith(f"cannot reach Discord at {emu.api_base} (Cannot connect to host")
        assert "tried for 3 s: check this machine's network connection" in line
        # Tries after 1 s and 2 s more (the 3 s are up then), each said as it waits.
        retries = [entry for entry in lines if "Discord cannot be reached" in entry]
        assert [r.split("trying again in ")[1].split(" s")[0] for r in retries] == ["1", "2"], bot.output
        assert waited >= 3.0
        for process in (check, bot):
            never_printed(process, emu.token)


async def test_unreachable_discord_is_one_line_for_sync_and_invite_too(tmp_path: Path) -> None:
    async with Emulator(World.default()) as emu:
        database = tmp_path / "bot.sqlite3"
        await emu.refuse_connections()
        for args in (("sync",), ("invite",)):
            command = cli(emu, database, *args, name=args[0], LOG_LEVEL="INFO")
            code, lines = await finished(command)
            assert code == 1, command.output
            line = the_one_line(command, lines, f"imgbot {args[0]}")
            assert line.startswith(f"cannot reach Discord at {emu.api_base} (Cannot connect to host"), line
            assert line.endswith("check this machine's network connection (and DISCORD_API_BASE, if it was changed)")
            never_printed(command, emu.token)
        assert not database.exists(), "imgbot sync opens the database only once Discord has answered"


async def test_sync_registers_the_commands_and_says_only_that(tmp_path: Path) -> None:
    async with Emulator(World.default()) as emu:
        database = tmp_path / "bot.sqlite3"
        # LOG_LEVEL=INFO, the default: the loaders' INFO lines and discord.py's voice warnings are not the answer.
        sync = cli(emu, database, "sync", name="sync", LOG_LEVEL="INFO")
        code, lines = await finished(sync)
        assert code == 0, sync.output
        registered = len(emu.commands.in_scope(None))
        assert registered > 10
        # The one warning is the emulator's doing: DISCORD_API_BASE points away from Discord, which is worth saying.
        said = [line for line in lines if "WARNING bot.discord_internals: using a non-Discord endpoint" not in line]
        assert sorted(said) == sorted(
            [
                f"imgbot keeps the registration in the database {database}.",
                f"Registered {registered} slash commands with Discord, in every server the bot is in.",
            ]
        ), sync.output
        guild = emu.world.guild("IMG Study Hall").id
        to_one = cli(emu, database, "sync", "--guild", str(guild), name="sync-guild", LOG_LEVEL="INFO")
        code, lines = await finished(to_one)
        assert code == 0, to_one.output
        assert (
            f"Registered {len(emu.commands.in_scope(guild))} slash commands with Discord, in server {guild} only."
            in lines
        )


async def test_the_bot_waits_for_discord_to_come_back_and_stops_on_a_token_reset(tmp_path: Path) -> None:
    async with Emulator(World.default()) as emu:
        await emu.refuse_connections()
        bot = run(emu, tmp_path / "bot.sqlite3", LOG_LEVEL="INFO")
        await bot.start()
        try:
            await bot.wait_for_output(r"Discord cannot be reached .*; trying again in 2 s", timeout=START)
            await emu.accept_connections()
            await emu.wait_until_ready(timeout=START)
            old = emu.token

            # Bot > Reset Token in the Developer Portal while the bot runs: Discord closes its session with 4004.
            await emu.reset_token()
            code = await bot.wait_exit(START)
        finally:
            await bot.stop()
        assert code == 1, bot.tail()
        lines = bot.output.splitlines()
        line = the_one_line(bot, lines)
        assert line == (
            "Discord's gateway refused the token (close code 4004, Authentication failed): it was reset or revoked. "
            f"Open {PORTAL}/{emu.world.application_id}/bot, press Reset Token, put the new token in .env as "
            "DISCORD_TOKEN, and start the bot again"
        )
        never_printed(bot, old, emu.token)


# -- the Server Members intent --------------------------------------------------------------------------------------


def intent_off() -> World:
    world = World.default()
    world.privileged_intents &= ~INTENT_GUILD_MEMBERS  # "Server Members Intent" off in the Developer Portal
    return world


async def test_with_the_intent_off_the_bot_starts_without_it_and_says_how_to_switch_it_on(tmp_path: Path) -> None:
    async with Emulator(intent_off()) as emu:
        database = tmp_path / "bot.sqlite3"
        portal = f"{PORTAL}/{emu.world.application_id}/bot"
        check = cli(emu, database, "check", name="check")
        code, lines = await finished(check)
        assert code == 0, check.output
        assert lines[3].startswith("Server Members intent: off in the Developer Portal, so the bot starts without it")
        assert "noticed by the daily member check" in lines[3]
        assert lines[4] == f'To change: open {portal} and switch on "Server Members Intent" (under Privileged ' + (
            "Gateway Intents) and save."
        )
        assert lines[-1] == "imgbot run will start."

        bot = run(emu, database, LOG_LEVEL="WARNING")
        await bot.start()
        try:
            await emu.wait_until_ready(timeout=START)
            warning = await bot.wait_for_output(r"running without the privileged Server Members intent: (.*)")
            assert not member_intent_asked(emu)
            assert emu.stats.gateway["identify"] == 1  # decided before connecting: no refused IDENTIFY first
        finally:
            assert await bot.stop() == 0, bot.tail()
        assert warning[1].startswith("it is off in the Developer Portal. Until it is on, members who leave")
        assert f"To switch it on, open {portal}, switch on " in warning[1]
        assert "Traceback" not in bot.output
        # The bot never uses voice: discord.py's warnings about its missing voice libraries are switched off.
        assert "voice will NOT be supported" not in bot.output
        for process in (check, bot):
            never_printed(process, emu.token)


async def test_with_the_intent_off_but_required_the_check_and_the_start_fail(tmp_path: Path) -> None:
    async with Emulator(intent_off()) as emu:
        database = tmp_path / "bot.sqlite3"
        check = cli(emu, database, "check", name="check", MEMBERS_INTENT="true")
        code, lines = await finished(check)
        assert code == 1, check.output
        assert lines[3] == "Server Members intent: off in the Developer Portal, but MEMBERS_INTENT=true requires it."
        assert lines[-1] == "imgbot run will not start."

        bot = run(emu, database, LOG_LEVEL="ERROR", MEMBERS_INTENT="true")
        code, lines = await finished(bot)
        assert code == 1
        line = the_one_line(bot, lines)
        assert line.startswith(
            "MEMBERS_INTENT=true asks for the privileged Server Members intent, but the Developer Portal has it "
            f"off. Open {PORTAL}/{emu.world.application_id}/bot and switch on"
        )
        assert "or remove MEMBERS_INTENT from .env, and the bot starts without it" in line
        assert lines == [f"imgbot run: {line}"]
        assert emu.stats.gateway["connections"] == 0
        never_printed(bot, emu.token)


async def switched_off_while_running(emu: Emulator, bot: BotProcess) -> int:
    """Start the bot with the intent on, switch it off in the portal, and make the bot IDENTIFY again (a session
    Discord will not resume): the new IDENTIFY still asks for the intent and is closed with 4014."""
    await bot.start()
    await emu.wait_until_ready(timeout=START)
    assert member_intent_asked(emu)
    identifies = emu.identify_count
    emu.world.privileged_intents &= ~INTENT_GUILD_MEMBERS
    await emu.gateway.invalid_session(resumable=False)
    return identifies


async def test_an_intent_refused_at_the_gateway_later_is_survived_by_running_without_it(tmp_path: Path) -> None:
    async with Emulator(World.default()) as emu:
        # DEBUG: every library's log of the login, two IDENTIFYs and a restart; the token is in none of them.
        bot = run(emu, tmp_path / "bot.sqlite3", LOG_LEVEL="DEBUG")
        try:
            identifies = await switched_off_while_running(emu, bot)
            warning = await bot.wait_for_output(r"running without the privileged Server Members intent: (.*)", START)
            # The refused IDENTIFY, then the new bot's.
            await emu.wait_for_identify(timeout=START, since=identifies + 1)
            assert not member_intent_asked(emu)
            reply = await (await emu.slash("ask", {"question": "what is soap"})).response(15)
            assert "SOAP" in reply.text
        finally:
            assert await bot.stop() == 0, bot.tail()
        assert warning[1].startswith("Discord's gateway refused it (close code 4014). Until it is on, members who")
        assert "Traceback" not in bot.output
        never_printed(bot, emu.token)


async def test_an_intent_refused_at_the_gateway_stops_the_bot_when_required(tmp_path: Path) -> None:
    async with Emulator(World.default()) as emu:
        bot = run(emu, tmp_path / "bot.sqlite3", LOG_LEVEL="WARNING", MEMBERS_INTENT="true")
        try:
            await switched_off_while_running(emu, bot)
            code = await bot.wait_exit(START)
        finally:
            await bot.stop()
        assert code == 1
        line = the_one_line(bot, bot.output.splitlines())
        assert line.startswith(
            "MEMBERS_INTENT=true asks for the privileged Server Members intent, but Discord's gateway refused it "
            f"(close code 4014). Open {PORTAL}/{emu.world.application_id}/bot and switch on"
        )
        never_printed(bot, emu.token)


# -- imgbot invite --------------------------------------------------------------------------------------------------


async def test_invite_asks_discord_for_the_client_id_or_takes_it_offline(tmp_path: Path) -> None:
    async with Emulator(World.default()) as emu:
        database = tmp_path / "bot.sqlite3"
        invite = cli(emu, database, "invite", name="invite")
        code, lines = await finished(invite)
        assert code == 0, invite.output
        assert lines[0].startswith(
            f"https://discord.com/oauth2/authorize?client_id={emu.world.application_id}"
            "&scope=bot+applications.commands&permissions="
        )
        never_printed(invite, emu.token)

        await emu.refuse_connections()  # offline: the id is given, Discord is not asked
        offline = cli(emu, database, "invite", "--client-id", "123456789012345678", name="invite", DISCORD_TOKEN="")
        code, lines = await finished(offline)
        assert code == 0, offline.output
        assert lines[0].startswith("https://discord.com/oauth2/authorize?client_id=123456789012345678&scope=")

        nothing = cli(emu, database, "invite", name="invite", DISCORD_TOKEN="")
        code, lines = await finished(nothing)
        assert code == 2
        assert lines == [
            "imgbot invite needs DISCORD_TOKEN (in the environment or .env): the bot's token from the Developer "
            f"Portal ({PORTAL}, the bot's application, Bot > Reset Token), or --client-id ID (the Application ID "
            "on the application's General Information page)."
        ]
