"""Users: the bot itself, any user it can see, and the DM channel with one."""

from __future__ import annotations

from discord_emulator.payloads import channel_payload, current_user_payload, user_payload
from discord_emulator.rest.core import AddRoute, Resource
from discord_emulator.rest.http import RestRequest, RestResponse, form_error, ok, unknown


class UserRoutes(Resource):
    """GET /users/@me, GET /users/{id}, POST /users/@me/channels (open a DM)."""

    def register(self, add: AddRoute) -> None:
        add("GET", "/users/@me", self.get_me)
        add("GET", "/users/{user_id}", self.get_user)
        add("POST", "/users/@me/channels", self.create_dm)

    async def get_me(self, req: RestRequest) -> RestResponse:
        return ok(current_user_payload(self.emu.world.bot))

    async def get_user(self, req: RestRequest) -> RestResponse:
        user = self.emu.world.get_user(req.int_param("user_id"))
        if user is None:
            raise unknown("User", 10013)
        return ok(user_payload(user))

    async def create_dm(self, req: RestRequest) -> RestResponse:
        raw = req.json.get("recipient_id")
        try:
            user = self.emu.world.get_user(int(raw)) if raw is not None else None
        except (TypeError, ValueError):
            user = None
        if user is None:
            raise form_error([("recipient_id", "Unknown user")])
        return ok(channel_payload(self.emu.world, self.emu.world.dm_channel_for(user)))
