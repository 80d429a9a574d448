"""The application: its identity, the gateway it connects to (and the shards Discord recommends), its commands."""

from __future__ import annotations

from discord_emulator.gateway import recommended_shards
from discord_emulator.payloads import application_payload
from discord_emulator.rest.core import AddRoute, Resource
from discord_emulator.rest.http import DiscordError, RestRequest, RestResponse, form_error, ok, unknown


class ApplicationRoutes(Resource):
    """GET /applications/@me, GET /gateway(/bot), and the global and per-server command routes."""

    def register(self, add: AddRoute) -> None:
        add("GET", "/oauth2/applications/@me", self.get_application)
        add("GET", "/applications/@me", self.get_application)
        add("GET", "/gateway", self.get_gateway, auth=False)
        add("GET", "/gateway/bot", self.get_gateway_bot)
        for scope in ("/applications/{application_id}", "/applications/{application_id}/guilds/{guild_id}"):
            add("GET", f"{scope}/commands", self.list_commands)
            add("PUT", f"{scope}/commands", self.put_commands)
            add("POST", f"{scope}/commands", self.upsert_command)
            add("GET", f"{scope}/commands/{{command_id}}", self.get_command)
            add("DELETE", f"{scope}/commands/{{command_id}}", self.delete_command)

    async def get_application(self, req: RestRequest) -> RestResponse:
        return ok(application_payload(self.emu.world))

    async def get_gateway(self, req: RestRequest) -> RestResponse:
        return ok({"url": self.emu.gateway_url})

    async def get_gateway_bot(self, req: RestRequest) -> RestResponse:
        gateway = self.emu.gateway
        return ok(
            {
                "url": self.emu.gateway_url,
                "shards": recommended_shards(len(self.emu.world.bot_guilds())),
                "session_start_limit": gateway.session_start_limit(),
            }
        )

    # ----- application commands -------------------------------------------------------------------------------

    def _check_app(self, req: RestRequest) -> None:
        if req.int_param("application_id") != self.emu.world.application_id:
            raise DiscordError(403, 50001, "Missing Access")

    def _command_scope(self, req: RestRequest) -> int | None:
        """None for the global commands, else the server (one the bot is in) whose commands they are."""
        self._check_app(req)
        if "guild_id" not in req.params:
            return None
        return self.joined_guild(req).id

    async def list_commands(self, req: RestRequest) -> RestResponse:
        scope = self._command_scope(req)
        return ok([c.payload() for c in self.emu.commands.in_scope(scope)])

    async def put_commands(self, req: RestRequest) -> RestResponse:
        scope = self._command_scope(req)
        if not isinstance(req.body, list):
            raise form_error([("(body)", "expected an array of commands")])
        registered = self.emu.commands.bulk_overwrite(scope, [c for c in req.body if isinstance(c, dict)])
        return ok([c.payload() for c in registered])

    async def upsert_command(self, req: RestRequest) -> RestResponse:
        scope = self._command_scope(req)
        current = [c.payload() for c in self.emu.commands.in_scope(scope)]
        new = req.json
        kept = [c for c in current if not (c["name"] == new.get("name") and c["type"] == (new.get("type") or 1))]
        defs = [{k: v for k, v in c.items() if k not in ("id", "application_id", "version", "guild_id")} for c in kept]
        registered = self.emu.commands.bulk_overwrite(scope, [*defs, new])
        created = next(c for c in registered if c.name == new.get("name"))
        return ok(created.payload(), 201)

    async def get_command(self, req: RestRequest) -> RestResponse:
        scope = self._command_scope(req)
        command = self.emu.commands.get(req.int_param("command_id"))
        if command is None or command.guild_id != scope:
            raise unknown("application command", 10063)
        return ok(command.payload())

    async def delete_command(self, req: RestRequest) -> RestResponse:
        self._command_scope(req)
        if not self.emu.commands.delete(req.int_param("command_id")):
            raise unknown("application command", 10063)
        return ok()
