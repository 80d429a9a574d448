"""Servers: a server, its channels and roles, and the bot leaving it."""

from __future__ import annotations

from discord_emulator.payloads import channel_payload, guild_payload, role_payload
from discord_emulator.rest.core import AddRoute, Resource
from discord_emulator.rest.http import RestRequest, RestResponse, ok


class GuildRoutes(Resource):
    """GET /guilds/{id}, its channels and roles; DELETE /users/@me/guilds/{id} (leave)."""

    def register(self, add: AddRoute) -> None:
        add("GET", "/guilds/{guild_id}", self.get_guild)
        add("GET", "/guilds/{guild_id}/channels", self.list_guild_channels)
        add("GET", "/guilds/{guild_id}/roles", self.list_roles)
        add("DELETE", "/users/@me/guilds/{guild_id}", self.leave_guild)

    async def get_guild(self, req: RestRequest) -> RestResponse:
        guild = self.joined_guild(req)
        return ok(guild_payload(guild, with_counts=req.query.get("with_counts") in ("1", "true", "True")))

    async def list_guild_channels(self, req: RestRequest) -> RestResponse:
        guild = self.joined_guild(req)
        return ok([channel_payload(self.emu.world, c) for c in guild.live_channels()])

    async def list_roles(self, req: RestRequest) -> RestResponse:
        guild = self.joined_guild(req)
        return ok([role_payload(r) for r in guild.roles.values()])

    async def leave_guild(self, req: RestRequest) -> RestResponse:
        guild = self.joined_guild(req)
        await self.emu.leave_guild(guild)
        return ok()
