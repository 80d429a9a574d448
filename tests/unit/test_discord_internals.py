"""The discord.py internals the bot relies on (bot/discord_internals.py), checked against the installed discord.py.

A failure here after raising discord.py's pin in pyproject.toml means the new version changed one of them: adapt
bot/discord_internals.py before upgrading. Nothing here reaches the network: requests stop at discord.py's
``HTTPClient.request`` and the gateway connection at ``ws_connect``.
"""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import discord
import discord.gateway
import discord.http
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from bot.adapters.scheduled_events import DiscordEventGateway
from bot.config import DISCORD_API_BASE, DISCORD_GATEWAY_URL
from bot.cycle import MilestoneKind
from bot.discord_internals import make_closable, use_endpoints, wrap_interaction_parser
from bot.milestones.discord_event_plan import EventPlan
from bot.observability.context import current, with_interaction_context

if TYPE_CHECKING:
    from bot.app import ImgBot

EMULATOR_API = "http://127.0.0.1:9/api/v10"
EMULATOR_GATEWAY = "ws://127.0.0.1:9/gateway"


@pytest.fixture
def restored_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """use_endpoints changes two class attributes for the whole process: put them back after the test."""
    websocket = discord.gateway.DiscordWebSocket
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(websocket, "DEFAULT_GATEWAY", websocket.DEFAULT_GATEWAY)


class Refused(Exception):
    """Stops the gateway connection once its URL is known."""


@pytest.mark.usefixtures("restored_endpoints")
async def test_every_request_and_the_gateway_connection_follow_the_endpoints() -> None:
    use_endpoints(EMULATOR_API + "/", EMULATOR_GATEWAY)

    assert discord.http.Route("GET", "/gateway/bot").url == f"{EMULATOR_API}/gateway/bot"

    connected_to: list[str] = []

    async def ws_connect(url: str) -> None:
        connected_to.append(url)
        raise Refused

    client = SimpleNamespace(http=SimpleNamespace(ws_connect=ws_connect))
    with pytest.raises(Refused):
        await discord.gateway.DiscordWebSocket.from_client(cast("discord.Client", client))
    assert yarl.URL(connected_to[0]).with_query(None) == yarl.URL(EMULATOR_GATEWAY)


def test_a_session_discord_will_not_resume_and_a_shard_launch_go_back_to_the_default_gateway() -> None:
    # Both read the class attribute at the time, so use_endpoints covers them too (no behaviour to drive without a
    # gateway: the source says which attribute they read).
    assert "self.DEFAULT_GATEWAY" in inspect.getsource(discord.gateway.DiscordWebSocket.received_message)
    assert "DiscordWebSocket.DEFAULT_GATEWAY" in inspect.getsource(discord.AutoShardedClient.launch_shards)


@pytest.mark.usefixtures("restored_endpoints")
def test_discords_own_endpoints_are_discord_pys_defaults_and_left_alone() -> None:
    # The bot's defaults (bot/config.py) are discord.py's: a real bot changes nothing, whatever the API version.
    assert discord.http.Route.BASE == DISCORD_API_BASE
    assert yarl.URL(DISCORD_GATEWAY_URL) == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    use_endpoints(DISCORD_API_BASE, DISCORD_GATEWAY_URL)
    assert discord.http.Route.BASE == DISCORD_API_BASE
    assert yarl.URL(DISCORD_GATEWAY_URL) == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


def dm_command(name: str) -> dict[str, Any]:
    """An INTERACTION_CREATE payload: ``/name`` used in a DM."""
    user = {"id": "30", "username": "someone", "discriminator": "0", "global_name": None, "avatar": None}
    return {
        "id": "1000",
        "application_id": "20",
        "type": 2,
        "token": "interaction-token",
        "version": 1,
        "channel_id": "40",
        "channel": {"id": "40", "type": 1},
        "user": user,
        "data": {"id": "50", "name": name, "type": 1},
        "locale": "en-US",
        "app_permissions": "0",
        "entitlements": [],
        "attachment_size_limit": 10_485_760,
        "authorizing_integration_owners": {},
        "context": 1,
    }


async def test_the_interaction_parser_starts_the_commands_task_inside_the_wrapper() -> None:
    bot = commands.Bot(command_prefix=commands.when_mentioned, intents=discord.Intents.none(), help_command=None)
    seen: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()

    @bot.tree.command(name="ping", description="ping")
    async def ping(interaction: discord.Interaction) -> None:
        seen.set_result(dict(current()))

    original = bot._connection.parsers["INTERACTION_CREATE"]
    wrap_interaction_parser(bot, with_interaction_context)
    wrapped = bot._connection.parsers["INTERACTION_CREATE"]
    assert wrapped is not original
    async with bot:  # the event loop discord.py's tasks need, without logging in
        wrapped(dm_command("ping"))
        # The command's task was created inside the parser, so it runs with the interaction's fields bound.
        fields = await asyncio.wait_for(seen, timeout=5)  # it runs on the next turns of the loop; 5 s is generous
    assert fields["interaction"] == "1000" and fields["command"] == "/ping" and fields["user"] == "30"


def test_each_gateway_connection_reads_the_clients_parsers() -> None:
    # Not a copy: a parser replaced in the client's dict before connecting is the one each connection calls.
    assert "ws._discord_parsers = client._connection.parsers" in inspect.getsource(
        discord.gateway.DiscordWebSocket.from_client
    )


class Requests:
    """discord.py's ``HTTPClient.request``, stopped there: what would have been sent."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.sent: list[tuple[discord.http.Route, dict[str, Any]]] = []

    async def __call__(self, route: discord.http.Route, **kwargs: Any) -> Any:
        self.sent.append((route, kwargs))
        return self.answer


def gateway_with(requests: Requests) -> DiscordEventGateway:
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    http.request = requests  # type: ignore[method-assign]
    return DiscordEventGateway(cast("ImgBot", SimpleNamespace(http=http, user=SimpleNamespace(id=20))))


PLAN = EventPlan(
    uid="match-day-2027",
    match_year=2027,
    kind=MilestoneKind.MATCH_DAY,
    name="Match Day: results released",
    description="Results at 1 pm ET.",
    location="https://www.nrmp.org/",
    start=datetime(2027, 3, 19, 17, tzinfo=UTC),
    end=datetime(2027, 3, 19, 18, tzinfo=UTC),
    projected=False,
)
SENT_FIELDS = {
    "name": PLAN.name,
    "description": PLAN.description,
    "scheduled_start_time": "2027-03-19T17:00:00+00:00",
    "scheduled_end_time": "2027-03-19T18:00:00+00:00",
    "entity_metadata": {"location": PLAN.location},
}


async def test_creating_an_event_sends_every_field() -> None:
    requests = Requests({"id": "70"})
    assert await gateway_with(requests).create(60, PLAN) == 70
    [(route, kwargs)] = requests.sent
    assert (route.method, route.url) == ("POST", f"{discord.http.Route.BASE}/guilds/60/scheduled-events")
    # discord.py drops keys it does not know: each one the bot sends must reach Discord.
    assert kwargs["json"] == {**SENT_FIELDS, "entity_type": 3, "privacy_level": 2}


async def test_moving_an_event_sends_every_field() -> None:
    requests = Requests({"id": "70"})
    await gateway_with(requests).edit(60, 70, PLAN)
    [(route, kwargs)] = requests.sent
    assert (route.method, route.url) == ("PATCH", f"{discord.http.Route.BASE}/guilds/60/scheduled-events/70")
    assert kwargs["json"] == SENT_FIELDS


async def test_listing_events_asks_without_the_subscriber_counts() -> None:
    requests = Requests([{"id": "70", "name": PLAN.name, "creator_id": "20"}, {"id": "71", "name": "other"}])
    assert await gateway_with(requests).find(60, PLAN.name) == 70
    [(route, kwargs)] = requests.sent
    assert (route.method, route.url) == ("GET", f"{discord.http.Route.BASE}/guilds/60/scheduled-events")
    assert kwargs["params"] == {"with_user_count": 0}


async def test_a_bot_that_never_logged_in_is_made_closable() -> None:
    bot = commands.AutoShardedBot(
        command_prefix=commands.when_mentioned, intents=discord.Intents.none(), help_command=None
    )
    assert bot._ready is discord.utils.MISSING  # what make_closable looks at
    await make_closable(bot)
    assert isinstance(bot._ready, asyncio.Event)
    await bot.close()
    assert bot.is_closed()


def test_app_commands_are_what_the_bot_uses() -> None:
    # The tree the parser hands commands to (ConnectionState._command_tree) is the bot's own.
    bot = commands.Bot(command_prefix=commands.when_mentioned, intents=discord.Intents.none(), help_command=None)
    assert isinstance(bot.tree, app_commands.CommandTree)
    assert bot._connection._command_tree is bot.tree
