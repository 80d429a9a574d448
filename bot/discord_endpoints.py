"""Pointing discord.py at another Discord: the local emulator in tests and local mode.

discord.py reads ``Route.BASE`` on every request (interaction callbacks and webhooks included) and uses
``DiscordWebSocket.DEFAULT_GATEWAY`` when it connects and after a non-resumable session, so these two class
attributes are all that needs to change. With the defaults nothing is touched.
"""

from __future__ import annotations

import logging

import discord.gateway
import discord.http
import yarl

from bot.config import DISCORD_API_BASE, DISCORD_GATEWAY_URL

log = logging.getLogger(__name__)


def use_endpoints(api_base: str, gateway_url: str) -> None:
    if api_base == DISCORD_API_BASE and gateway_url == DISCORD_GATEWAY_URL:
        return
    log.warning("using a non-Discord endpoint: REST %s, gateway %s", api_base, gateway_url)
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
