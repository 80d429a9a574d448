"""Members: one member of a server, and giving or taking a role (with Discord's role hierarchy)."""

from __future__ import annotations

from discord_emulator.payloads import member_payload
from discord_emulator.permissions import Perm
from discord_emulator.rest.core import AddRoute, Resource
from discord_emulator.rest.http import DiscordError, RestRequest, RestResponse, ok, unknown


class MemberRoutes(Resource):
    """GET /guilds/{id}/members/{user_id}; PUT/DELETE /guilds/{id}/members/{user_id}/roles/{role_id}."""

    def register(self, add: AddRoute) -> None:
        add("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        add("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_member_role)
        add("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.remove_member_role)

    async def get_member(self, req: RestRequest) -> RestResponse:
        guild = self.joined_guild(req)
        member = guild.members.get(req.int_param("user_id"))
        if member is None:
            raise unknown("Member", 10007)
        return ok(member_payload(member))

    async def _member_role(self, req: RestRequest, add: bool) -> RestResponse:
        world = self.emu.world
        guild = self.joined_guild(req)
        member = guild.members.get(req.int_param("user_id"))
        if member is None:
            raise unknown("Member", 10007)
        role = guild.roles.get(req.int_param("role_id"))
        if role is None:
            raise unknown("Role", 10011)
        perms = world.base_permissions(guild, world.bot.id)
        if (
            not perms & Perm.MANAGE_ROLES
            or role.managed
            or role.is_everyone
            or role.position >= world.top_role_position(guild, world.bot.id)
        ):
            raise DiscordError(403, 50013, "Missing Permissions")
        changed = False
        if add and role.id not in member.roles:
            member.roles.append(role.id)
            changed = True
        elif not add and role.id in member.roles:
            member.roles.remove(role.id)
            changed = True
        if changed:
            await self.emu.gateway.dispatch(
                "GUILD_MEMBER_UPDATE", {**member_payload(member), "guild_id": str(guild.id)}, guild_id=guild.id
            )
        return ok()

    async def add_member_role(self, req: RestRequest) -> RestResponse:
        return await self._member_role(req, True)

    async def remove_member_role(self, req: RestRequest) -> RestResponse:
        return await self._member_role(req, False)
