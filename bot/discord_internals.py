"""Every place the bot touches discord.py's internals, in one module (../shared/STYLE.md, practice 14).

Each one is something discord.py offers no public way to do. tests/unit/test_discord_internals.py fails when a new
discord.py changes one of them (an attribute gone, a signature changed, a payload key no longer sent), and
pyproject.toml pins discord.py to the minor version that test passed on, so an upgrade is a deliberate step:
raise the pin, run that test.

- ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY``: pointing discord.py at another Discord (the emulator in
  tests and local mode).
- The ``INTERACTION_CREATE`` parser of the client's connection state: wrapped so every task an interaction starts
  carries its id in the log (bot/observability/context.py).
- ``HTTPClient``'s scheduled-event calls: creating, moving and listing a server's events by id. The public
  ``Guild.create_scheduled_event`` / ``ScheduledEvent.edit`` need the cached ``Guild`` and a fetched
  ``ScheduledEvent`` (one more request per move), and ``edit`` sends ``entity_type`` and ``channel_id`` as well, so
  they would not behave the same.
- ``Client._ready`` / ``Client._async_setup_hook``: making a bot that never logged in closable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl

from bot.config import DISCORD_API_BASE, DISCORD_GATEWAY_URL

log = logging.getLogger(__name__)

Parser = Callable[[Any], None]
"""One of discord.py's gateway event parsers: it takes the event's ``d`` payload."""


def use_endpoints(api_base: str, gateway_url: str) -> None:
    """Point discord.py at another Discord. It reads ``Route.BASE`` on every request (interaction callbacks and
    webhooks included) and ``DEFAULT_GATEWAY`` when it connects and after a non-resumable session, so these two class
    attributes are all that needs to change. With the defaults nothing is touched."""
    if api_base == DISCORD_API_BASE and gateway_url == DISCORD_GATEWAY_URL:
        return
    log.warning("using a non-Discord endpoint: REST %s, gateway %s", api_base, gateway_url)
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def wrap_interaction_parser(client: discord.Client, wrap: Callable[[Parser], Parser]) -> None:
    """Replace the client's ``INTERACTION_CREATE`` parser by ``wrap(parser)``. Done before the client connects: each
    gateway connection reads the same ``parsers`` dict of the client's connection state."""
    parsers = client._connection.parsers
    parsers["INTERACTION_CREATE"] = wrap(parsers["INTERACTION_CREATE"])


async def create_scheduled_event(
    http: discord.http.HTTPClient, guild_id: int, payload: Mapping[str, Any]
) -> Mapping[str, Any]:
    """POST /guilds/{guild_id}/scheduled-events with ``payload`` as its JSON body; Discord's event object."""
    return await http.create_guild_scheduled_event(guild_id, **payload)


async def edit_scheduled_event(
    http: discord.http.HTTPClient, guild_id: int, event_id: int, payload: Mapping[str, Any]
) -> Mapping[str, Any]:
    """PATCH /guilds/{guild_id}/scheduled-events/{event_id} with ``payload``; Discord's event object."""
    return await http.edit_scheduled_event(guild_id, event_id, **payload)


async def list_scheduled_events(http: discord.http.HTTPClient, guild_id: int) -> list[Mapping[str, Any]]:
    """GET /guilds/{guild_id}/scheduled-events, without the subscriber counts; Discord's event objects."""
    return list(await http.get_scheduled_events(guild_id, False))


async def make_closable(client: discord.Client) -> None:
    """``AutoShardedClient.close()`` needs the event queue that login (or ``async with bot``) creates in
    ``_async_setup_hook``; a bot that never logged in (one only prepared, in tests) has none: create it."""
    if client._ready is discord.utils.MISSING:
        await client._async_setup_hook()
