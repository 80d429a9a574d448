"""The emulated REST API: routing, body parsing, auth, faults, rate limits, contract checks and the handlers.

Every request goes through one pipeline (`RestApi.handle`) so faults, rate limits, counters and validation apply to
all routes alike. Anything not emulated answers 404 `{"message": "404: Not Found", "code": 0}` and is recorded in
`emu.unhandled`. Responses always carry exactly `Content-Type: application/json` (discord.py compares with ==).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from discord_emulator.faults import Fault
from discord_emulator.gateway import recommended_shards
from discord_emulator.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Interaction,
    interaction_metadata,
)
from discord_emulator.interactions import parse_modal as parse_modal_data
from discord_emulator.messages import UploadedFile, assign_component_ids
from discord_emulator.models import FLAG_EPHEMERAL, FLAG_LOADING, REQUEST_ANSWERED, Answer, JsonDict, Message
from discord_emulator.payloads import (
    application_payload,
    channel_payload,
    current_user_payload,
    guild_payload,
    member_payload,
    message_payload,
    role_payload,
    scheduled_event_payload,
    user_payload,
)
from discord_emulator.permissions import Perm
from discord_emulator.world import Channel, Guild, ScheduledEvent

if TYPE_CHECKING:
    from discord_emulator.emulator import Emulator

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
MAX_UPLOAD = 10 * 1024 * 1024
NONCE_MEMORY = timedelta(minutes=5)


class DiscordError(Exception):
    """An error answer in Discord's shape: {"message", "code"} (+ "errors" for Invalid Form Body)."""

    def __init__(self, status: int, code: int, message: str, errors: JsonDict | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JsonDict:
        body: JsonDict = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def unknown(what: str, code: int) -> DiscordError:
    return DiscordError(404, code, f"Unknown {what}")


def form_error(problems: list[tuple[str, str]]) -> DiscordError:
    """400 Invalid Form Body with Discord's nested `errors` tree, so discord.py prints 'In content: ...'."""
    errors: JsonDict = {}
    for field_path, message in problems:
        node = errors
        for part in re.findall(r"[^.\[\]]+", field_path) or ["_root"]:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_INVALID", "message": message})
    return DiscordError(400, 50035, "Invalid Form Body", errors)


@dataclass
class RestRequest:
    method: str
    path: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    files: list[UploadedFile]
    headers: dict[str, str]
    # When the request reached the emulator, before it parsed and checked the body: the emulator's own work on a
    # request never counts against the bot (interaction deadline, callback latency).
    received_at: float = 0.0

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            raise DiscordError(400, 50035, f"Invalid Form Body: {name} is not a snowflake") from None

    @property
    def json(self) -> JsonDict:
        return self.body if isinstance(self.body, dict) else {}


@dataclass
class RestResponse:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # No answer at all: the connection is closed instead (a "drop" fault). Recorded with status 0.
    dropped: bool = False
    # A "malformed" fault's answer: not what the route returns, on purpose, so the contract check leaves it alone.
    injected: bool = False


@dataclass
class RequestRecord:
    """One request the bot made, as seen by the emulator (for waiting on it and for debugging)."""

    method: str
    path: str
    route: str
    status: int
    body: Any
    at: float
    seq: int = 0


Handler = Callable[[RestRequest], Awaitable[RestResponse]]


@dataclass
class Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler
    auth: bool = True

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


def _compile(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{([a-z_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(pattern)


def ok(body: Any = None, status: int = 200) -> RestResponse:
    return RestResponse(status if body is not None else 204, body)


class RestApi:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.routes: list[Route] = []
        # How long a message nonce sent with enforce_nonce is remembered: Discord says "the past few minutes".
        self.nonce_memory = NONCE_MEMORY
        # Nonces of messages made up to this moment are forgotten whatever their age (``forget_nonces``).
        self.nonces_forgotten_until: datetime | None = None
        # Requests being handled right now; `idle` is set when there are none (Emulator.wait_idle).
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self._register()

    def forget_nonces(self) -> None:
        """Discord's nonce memory runs out for every message made so far, as it has after a downtime longer than
        ``nonce_memory``; messages made from now on are remembered as usual. A test that restarts the bot with its
        clock moved past that downtime calls this, so only the bot's own history look-up can prevent a repost."""
        self.nonces_forgotten_until = datetime.now(UTC)

    def _remembers(self, message: Message) -> bool:
        if self.nonces_forgotten_until is not None and message.created_at <= self.nonces_forgotten_until:
            return False
        return datetime.now(UTC) - message.created_at <= self.nonce_memory

    # ----- routing --------------------------------------------------------------------------------------------

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        self.routes.append(Route(method, template, _compile(template), handler, auth))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            if route.method != method:
                continue
            m = route.regex.fullmatch(path)
            if m is not None:
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        return None, {}

    def _register(self) -> None:
        a = self.add
        a("GET", "/users/@me", self.get_me)
        a("POST", "/users/@me/channels", self.create_dm)
        a("GET", "/users/{user_id}", self.get_user)
        a("GET", "/oauth2/applications/@me", self.get_application)
        a("GET", "/applications/@me", self.get_application)
        a("GET", "/gateway", self.get_gateway, auth=False)
        a("GET", "/gateway/bot", self.get_gateway_bot)
        a("GET", "/applications/{application_id}/commands", self.list_commands)
        a("PUT", "/applications/{application_id}/commands", self.put_commands)
        a("POST", "/applications/{application_id}/commands", self.upsert_command)
        a("GET", "/applications/{application_id}/commands/{command_id}", self.get_command)
        a("DELETE", "/applications/{application_id}/commands/{command_id}", self.delete_command)
        a("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self.list_commands)
        a("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self.put_commands)
        a("POST", "/applications/{application_id}/guilds/{guild_id}/commands", self.upsert_command)
        a("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self.get_command)
        a("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self.delete_command)
        a("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self.interaction_callback, auth=False)
        a("POST", "/webhooks/{webhook_id}/{webhook_token}", self.execute_webhook, auth=False)
        for method, handler in (
            ("GET", self.get_webhook_message),
            ("PATCH", self.edit_webhook_message),
            ("DELETE", self.delete_webhook_message),
        ):
            a(method, "/webhooks/{webhook_id}/{webhook_token}/messages/@original", handler, auth=False)
            a(method, "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", handler, auth=False)
        a("GET", "/channels/{channel_id}", self.get_channel)
        a("GET", "/channels/{channel_id}/messages", self.list_messages)
        a("POST", "/channels/{channel_id}/messages", self.create_message)
        a("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        a("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        a("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        a("POST", "/channels/{channel_id}/typing", self.typing)
        a("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", self.add_reaction)
        a("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", self.remove_reaction)
        a("GET", "/guilds/{guild_id}", self.get_guild)
        a("GET", "/guilds/{guild_id}/channels", self.list_guild_channels)
        a("GET", "/guilds/{guild_id}/roles", self.list_roles)
        a("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member)
        a("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_member_role)
        a("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.remove_member_role)
        a("GET", "/guilds/{guild_id}/scheduled-events", self.list_events)
        a("POST", "/guilds/{guild_id}/scheduled-events", self.create_event)
        a("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.get_event)
        a("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.edit_event)
        a("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}", self.delete_event)
        a("DELETE", "/users/@me/guilds/{guild_id}", self.leave_guild)

    # ----- the pipeline ---------------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.idle.clear()
        answered = Answer()
        token = REQUEST_ANSWERED.set(answered)
        try:
            response = await self._handle(request)
            # Written here, not by aiohttp after the handler returns, so that `answered` (and Message.answered)
            # means the bot has been sent the answer, e.g. the id of a message whose buttons a test clicks next.
            with contextlib.suppress(ConnectionError):
                await response.prepare(request)
                await response.write_eof()
            return response
        finally:
            REQUEST_ANSWERED.reset(token)
            answered.mark_written()
            self.in_flight -= 1
            if self.in_flight == 0:
                self.idle.set()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        received_at = time.monotonic()
        emu = self.emu
        method = request.method
        if not request.path.startswith(API_PREFIX):
            emu.record_unhandled(method, request.path)
            return _respond(RestResponse(404, {"message": "404: Not Found", "code": 0}))
        path = request.path[len(API_PREFIX) :]
        route, params = self.match(method, path)
        route_key = route.key if route else f"{method} {path}"
        emu.stats.requests[route_key] += 1
        response: RestResponse
        body: Any = None
        try:
            body, files = await _parse_body(request)
            response = await self._process(request, method, path, route, params, body, files, received_at)
        except DiscordError as err:
            response = RestResponse(err.status, err.body())
        except Exception as exc:
            # An emulator bug, not a Discord answer: report it loudly instead of letting discord.py retry a 500.
            log.exception("emulator failed on %s %s", method, path)
            emu.record_violation(method, path, "", f"emulator error: {type(exc).__name__}: {exc}", source="emulator")
            response = RestResponse(400, {"message": f"emulator error: {exc}", "code": 0})
        if response.dropped:
            emu.record_request(RequestRecord(method, path, route_key, 0, body, time.monotonic()))
            # The response below is never written: aiohttp finds the transport closing and lets the request go.
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=204)
        if response.status >= 400 and response.status != 429:
            emu.stats.errors[f"{response.status} {route_key}"] += 1
        emu.record_request(RequestRecord(method, path, route_key, response.status, body, time.monotonic()))
        if route is not None and 200 <= response.status < 300 and response.body is not None and not response.injected:
            for fld, message in emu.contract.check_response(
                method, route.template, path, response.status, response.body
            ):
                emu.record_violation(method, path, fld, message, source="response")
        return _respond(response)

    async def _process(
        self,
        request: web.Request,
        method: str,
        path: str,
        route: Route | None,
        params: dict[str, str],
        body: Any,
        files: list[UploadedFile],
        received_at: float,
    ) -> RestResponse:
        emu = self.emu
        route_key = route.key if route else f"{method} {path}"
        delay, fault = emu.faults.pick(method, path)
        if delay:
            emu.stats.delayed[route_key] += 1
            await asyncio.sleep(delay)
            # An injected delay stands for a slow network or Discord, so it does count.
            received_at = time.monotonic()
        if fault is not None and fault.after_effect:
            # A refusal (403, 404, 400...) is lost with the answer like a success would be.
            with contextlib.suppress(DiscordError):
                await self._carry_out(request, method, path, route, params, body, files, received_at)
            emu.stats.after_effect[route_key] += 1
            return self._fault_answer(fault, route_key)
        if fault is not None:
            return self._fault_answer(fault, route_key)
        return await self._carry_out(request, method, path, route, params, body, files, received_at)

    def _fault_answer(self, fault: Fault, route_key: str) -> RestResponse:
        emu = self.emu
        if fault.kind == "rate_limit":
            emu.stats.rate_limited[route_key] += 1
            return _rate_limited(fault.retry_after, global_=fault.global_)
        if fault.kind == "drop":
            emu.stats.dropped[route_key] += 1
            return RestResponse(0, dropped=True)
        if fault.kind == "malformed":
            emu.stats.other["malformed"] += 1
            return RestResponse(200, {"message": "upstream connect error", "code": 0}, injected=True)
        emu.stats.server_errors[route_key] += 1
        if fault.status >= 500:
            return RestResponse(fault.status, {"message": "Internal Server Error", "code": 0})
        return RestResponse(fault.status, {"message": f"{fault.status}: injected", "code": 0})

    async def _carry_out(
        self,
        request: web.Request,
        method: str,
        path: str,
        route: Route | None,
        params: dict[str, str],
        body: Any,
        files: list[UploadedFile],
        received_at: float,
    ) -> RestResponse:
        """Rate limits, auth, contract checks and the route's handler: everything after the faults."""
        emu = self.emu
        route_key = route.key if route else f"{method} {path}"
        major = "+".join(params[k] for k in ("channel_id", "guild_id", "webhook_id", "webhook_token") if k in params)
        decision = emu.rate_limits.check(method, route_key, major)
        if not decision.allowed:
            emu.stats.rate_limited[route_key] += 1
            limited = _rate_limited(decision.retry_after, global_=decision.global_, scope=decision.scope)
            limited.headers.update(decision.headers)
            return limited
        if route is None:
            emu.record_unhandled(method, path)
            return RestResponse(404, {"message": "404: Not Found", "code": 0})
        if route.auth and request.headers.get("Authorization") != f"Bot {emu.token}":
            return RestResponse(401, {"message": "401: Unauthorized", "code": 0})
        if body is not None:
            problems = emu.contract.check_request(method, route.template, path, body)
            for fld, message in problems:
                emu.record_violation(method, path, fld, message, source="request")
            if problems and emu.reject_invalid:
                raise form_error(problems)
        query = {k: v for k, v in request.query.items()}
        headers = {k: v for k, v in request.headers.items()}
        response = await route.handler(
            RestRequest(method, path, route.template, params, query, body, files, headers, received_at)
        )
        response.headers.update(decision.headers)
        return response

    # ----- helpers --------------------------------------------------------------------------------------------

    def _check_app(self, req: RestRequest) -> None:
        if req.int_param("application_id") != self.emu.world.application_id:
            raise DiscordError(403, 50001, "Missing Access")

    def _guild(self, req: RestRequest) -> Guild:
        guild = self.emu.world.get_guild(req.int_param("guild_id"))
        if guild is None:
            raise unknown("Guild", 10004)
        if not guild.bot_joined:
            raise DiscordError(403, 50001, "Missing Access")
        return guild

    def _channel(self, req: RestRequest, *, need_view: bool = True) -> Channel:
        channel = self.emu.world.get_channel(req.int_param("channel_id"))
        if channel is None or channel.deleted:
            raise unknown("Channel", 10003)
        if channel.guild_id is not None:
            guild = self.emu.world.get_guild(channel.guild_id)
            if guild is None or not guild.bot_joined:
                raise DiscordError(403, 50001, "Missing Access")
        if need_view and not self.emu.world.permissions_in(channel, self.emu.world.bot.id) & Perm.VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        return channel

    def _channel_message(self, req: RestRequest, channel: Channel) -> Message:
        message = self.emu.store.get(req.int_param("message_id"))
        if message is None or message.deleted or message.channel_id != channel.id or message.ephemeral:
            raise unknown("Message", 10008)
        return message

    def _payload(self, message: Message) -> JsonDict:
        referenced = self.emu.store.get(message.reference_id) if message.reference_id else None
        return message_payload(self.emu.world, message, referenced=referenced)

    def _shares_guild(self, user_id: int) -> bool:
        return any(user_id in g.members for g in self.emu.world.bot_guilds())

    # ----- login ----------------------------------------------------------------------------------------------

    async def get_me(self, req: RestRequest) -> RestResponse:
        return ok(current_user_payload(self.emu.world.bot))

    async def get_user(self, req: RestRequest) -> RestResponse:
        user = self.emu.world.get_user(req.int_param("user_id"))
        if user is None:
            raise unknown("User", 10013)
        return ok(user_payload(user))

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

    def _command_scope(self, req: RestRequest) -> int | None:
        self._check_app(req)
        if "guild_id" not in req.params:
            return None
        guild = self.emu.world.get_guild(req.int_param("guild_id"))
        if guild is None:
            raise unknown("Guild", 10004)
        if not guild.bot_joined:
            raise DiscordError(403, 50001, "Missing Access")
        return guild.id

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

    # ----- interactions and webhooks --------------------------------------------------------------------------

    async def interaction_callback(self, req: RestRequest) -> RestResponse:
        emu = self.emu
        ix = emu.interactions.get(req.int_param("interaction_id"))
        if ix is None or ix.token != req.params["interaction_token"]:
            raise unknown("interaction", 10062)
        if ix.callback_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        ix.callback_at = req.received_at
        ix.answered = REQUEST_ANSWERED.get()
        if emu.interaction_deadline is not None and ix.delivered_at is not None:
            elapsed = req.received_at - ix.delivered_at
            if elapsed > emu.interaction_deadline:
                emu.record_violation(
                    req.method,
                    req.path,
                    "",
                    f"initial response {elapsed:.1f}s after the interaction > {emu.interaction_deadline}s; defer first",
                    source="interaction",
                )
                ix.errors.append(f"the bot answered {elapsed:.1f}s after delivery, past Discord's 3 s limit")
                await emu.store.notify()
                raise unknown("interaction", 10062)
        body = req.json
        ctype = body.get("type")
        raw_data = body.get("data")
        data: JsonDict = raw_data if isinstance(raw_data, dict) else {}
        allowed = {
            APPLICATION_COMMAND: {4, 5, 9},
            AUTOCOMPLETE: {8},
            MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
            MODAL_SUBMIT: {4, 5, 6, 7},
        }[ix.type]
        if ctype not in allowed or (ctype in (6, 7) and ix.source_message is None):
            problem = f"callback type {ctype} is not valid for interaction type {ix.type}"
            emu.record_violation(req.method, req.path, "type", problem, source="interaction")
            raise form_error([("type", problem)])
        message: Message | None = None
        resource: JsonDict | None = None
        flags = int(data.get("flags") or 0)
        interaction_ref = (ix.id, ix.type, ix.user, ix.command_name)
        metadata = interaction_metadata(ix)
        if ctype == 4:
            require_content(data, req.files)
            message = emu.store.create(
                channel=ix.channel,
                author=emu.world.bot,
                body=data,
                files=req.files,
                type=20 if ix.type == APPLICATION_COMMAND else 19,
                interaction=interaction_ref,
                interaction_metadata=metadata,
                webhook_id=emu.world.application_id,
            )
            ix.original_id = message.id
            resource = {"type": 4, "message": self._payload(message)}
        elif ctype == 5:
            message = emu.store.create(
                channel=ix.channel,
                author=emu.world.bot,
                body={"content": "", "flags": flags & FLAG_EPHEMERAL},
                type=20 if ix.type == APPLICATION_COMMAND else 19,
                extra_flags=FLAG_LOADING,
                interaction=interaction_ref,
                interaction_metadata=metadata,
                webhook_id=emu.world.application_id,
            )
            ix.original_id = message.id
        elif ctype == 6:
            assert ix.source_message is not None
            ix.original_id = ix.source_message.id
        elif ctype == 7:
            assert ix.source_message is not None
            message = emu.store.edit(ix.source_message, data, req.files)
            ix.original_id = message.id
            resource = {"type": 7, "message": self._payload(message)}
        elif ctype == 8:
            ix.choices = list(data.get("choices") or [])
        elif ctype == 9:
            data = {**data, "components": assign_component_ids(list(data.get("components") or []))}
            ix.modal = parse_modal_data(data)
        ix.callback_type = ctype
        ix.callback_flags = flags
        if message is not None and not message.ephemeral:
            await emu.publish_message("MESSAGE_CREATE" if ctype in (4, 5) else "MESSAGE_UPDATE", message)
        await emu.store.notify()
        # Without ?with_response=true Discord answers 204; discord.py 2.7 always asks for the body.
        if ctype == 8 or req.query.get("with_response") not in ("1", "true", "True"):
            return ok()
        interaction: JsonDict = {"id": str(ix.id), "type": ix.type}
        if ix.original_id is not None:
            target = emu.store.get(ix.original_id)
            interaction["response_message_id"] = str(ix.original_id)
            interaction["response_message_loading"] = ctype == 5
            interaction["response_message_ephemeral"] = bool(target and target.ephemeral)
        out: JsonDict = {"interaction": interaction}
        if resource is not None:
            out["resource"] = resource
        return ok(out)

    def _webhook_interaction(self, req: RestRequest) -> Interaction:
        ix = self.emu.interaction_by_token(req.params["webhook_token"])
        if ix is None or req.int_param("webhook_id") != self.emu.world.application_id:
            raise unknown("Webhook", 10015)
        return ix

    async def execute_webhook(self, req: RestRequest) -> RestResponse:
        """A followup. The first followup after a defer replaces the 'thinking' placeholder (and keeps its
        visibility), as Discord does."""
        emu = self.emu
        ix = self._webhook_interaction(req)
        if not ix.responded:
            raise unknown("Webhook", 10015)
        body = req.json
        require_content(body, req.files)
        original = ix.original
        if ix.callback_type == 5 and original is not None and original.loading:
            message = emu.store.edit(original, {k: v for k, v in body.items() if k != "flags"}, req.files)
            event = "MESSAGE_UPDATE"
        else:
            message = emu.store.create(
                channel=ix.channel,
                author=emu.world.bot,
                body=body,
                files=req.files,
                type=19 if ix.original_id else 20,
                interaction=(ix.id, ix.type, ix.user, ix.command_name),
                interaction_metadata=interaction_metadata(ix, ix.original_id),
                webhook_id=emu.world.application_id,
                reference_id=ix.original_id if ix.original_id and ix.callback_type in (4, 5) else None,
            )
            event = "MESSAGE_CREATE"
        ix.followup_ids.append(message.id)
        if not message.ephemeral:
            await emu.publish_message(event, message)
        await emu.store.notify()
        if req.query.get("wait") in ("0", "false", "False"):
            return ok()
        return ok(self._payload(message))

    def _webhook_target(self, req: RestRequest, ix: Interaction) -> Message:
        if "message_id" in req.params:
            message_id = req.int_param("message_id")
            if message_id != ix.original_id and message_id not in ix.followup_ids:
                raise unknown("Message", 10008)
        else:
            if ix.original_id is None:
                raise unknown("Message", 10008)
            message_id = ix.original_id
        message = self.emu.store.get(message_id)
        if message is None or message.deleted:
            raise unknown("Message", 10008)
        return message

    async def get_webhook_message(self, req: RestRequest) -> RestResponse:
        ix = self._webhook_interaction(req)
        return ok(self._payload(self._webhook_target(req, ix)))

    async def edit_webhook_message(self, req: RestRequest) -> RestResponse:
        ix = self._webhook_interaction(req)
        message = self._webhook_target(req, ix)
        was_loading = message.loading
        self.emu.store.edit(message, req.json, req.files)
        if not message.ephemeral:
            await self.emu.publish_message("MESSAGE_UPDATE", message)
        if was_loading:
            self.emu.stats.other["deferred_resolved"] += 1
        await self.emu.store.notify()
        return ok(self._payload(message))

    async def delete_webhook_message(self, req: RestRequest) -> RestResponse:
        ix = self._webhook_interaction(req)
        message = self._webhook_target(req, ix)
        self.emu.store.delete(message)
        if not message.ephemeral:
            await self.emu.publish_message("MESSAGE_DELETE", message)
        await self.emu.store.notify()
        return ok()

    # ----- channels and messages ------------------------------------------------------------------------------

    async def get_channel(self, req: RestRequest) -> RestResponse:
        return ok(channel_payload(self.emu.world, self._channel(req)))

    async def list_messages(self, req: RestRequest) -> RestResponse:
        channel = self._channel(req)
        if not self.emu.world.permissions_in(channel, self.emu.world.bot.id) & Perm.READ_MESSAGE_HISTORY:
            return ok([])
        messages = self.emu.store.in_channel(channel.id)
        limit = max(1, min(int(req.query.get("limit", "50")), 100))
        if "before" in req.query:
            messages = [m for m in messages if m.id < int(req.query["before"])]
        if "after" in req.query:
            messages = [m for m in messages if m.id > int(req.query["after"])][:limit]
        newest_first = list(reversed(messages))[:limit]
        return ok([self._payload(m) for m in newest_first])

    async def create_message(self, req: RestRequest) -> RestResponse:
        emu = self.emu
        channel = self._channel(req, need_view=False)
        world = emu.world
        if channel.is_dm:
            recipient = world.get_user(channel.recipient_id or 0)
            if recipient is None or not recipient.accepts_dms or not self._shares_guild(recipient.id):
                raise DiscordError(403, 50007, "Cannot send messages to this user")
        else:
            visible, can_send = world.can_send(channel, world.bot.id)
            if not visible:
                raise DiscordError(403, 50001, "Missing Access")
            if channel.is_forum:
                # A forum holds posts (POST /channels/{id}/threads, discord_emulator/threads.py), never messages.
                raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
            if not can_send:
                raise DiscordError(403, 50013, "Missing Permissions")
            perms = world.permissions_in(channel, world.bot.id)
            if req.files and not perms & Perm.ATTACH_FILES:
                raise DiscordError(403, 50013, "Missing Permissions")
        body = req.json
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            existing = emu.store.by_nonce(channel.id, str(nonce))
            if existing is not None and self._remembers(existing):
                emu.stats.other["nonce_deduplicated"] += 1
                return ok(self._payload(existing))
        require_content(body, req.files)
        reference_id: int | None = None
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id") is not None:
            referenced = emu.store.get(int(ref["message_id"]))
            if referenced is None or referenced.deleted or referenced.channel_id != channel.id:
                if ref.get("fail_if_not_exists", True):
                    raise form_error([("message_reference", "Unknown message")])
            else:
                reference_id = referenced.id
        message = emu.store.create(
            channel=channel,
            author=world.bot,
            body=body,
            files=req.files,
            type=19 if reference_id else 0,
            reference_id=reference_id,
        )
        await emu.publish_message("MESSAGE_CREATE", message)
        await emu.store.notify()
        return ok(self._payload(message))

    async def get_message(self, req: RestRequest) -> RestResponse:
        channel = self._channel(req)
        return ok(self._payload(self._channel_message(req, channel)))

    async def edit_message(self, req: RestRequest) -> RestResponse:
        channel = self._channel(req)
        message = self._channel_message(req, channel)
        if message.author.id != self.emu.world.bot.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        self.emu.store.edit(message, req.json, req.files)
        await self.emu.publish_message("MESSAGE_UPDATE", message)
        await self.emu.store.notify()
        return ok(self._payload(message))

    async def delete_message(self, req: RestRequest) -> RestResponse:
        channel = self._channel(req)
        message = self._channel_message(req, channel)
        world = self.emu.world
        if message.author.id != world.bot.id and not world.permissions_in(channel, world.bot.id) & Perm.MANAGE_MESSAGES:
            raise DiscordError(403, 50013, "Missing Permissions")
        self.emu.store.delete(message)
        await self.emu.publish_message("MESSAGE_DELETE", message)
        await self.emu.store.notify()
        return ok()

    async def typing(self, req: RestRequest) -> RestResponse:
        self._channel(req)
        return ok()

    async def add_reaction(self, req: RestRequest) -> RestResponse:
        channel = self._channel(req)
        message = self._channel_message(req, channel)
        world = self.emu.world
        emoji = req.params["emoji_name"]
        if not message.reactions.get(emoji) and not world.permissions_in(channel, world.bot.id) & Perm.ADD_REACTIONS:
            raise DiscordError(403, 50013, "Missing Permissions")
        message.reactions.setdefault(emoji, set()).add(world.bot.id)
        await self.emu.store.notify()
        return ok()

    async def remove_reaction(self, req: RestRequest) -> RestResponse:
        channel = self._channel(req)
        message = self._channel_message(req, channel)
        message.reactions.get(req.params["emoji_name"], set()).discard(self.emu.world.bot.id)
        await self.emu.store.notify()
        return ok()

    # ----- servers, members, roles, DMs ------------------------------------------------------------------------

    async def get_guild(self, req: RestRequest) -> RestResponse:
        guild = self._guild(req)
        return ok(guild_payload(guild, with_counts=req.query.get("with_counts") in ("1", "true", "True")))

    async def list_guild_channels(self, req: RestRequest) -> RestResponse:
        guild = self._guild(req)
        return ok([channel_payload(self.emu.world, c) for c in guild.live_channels()])

    async def list_roles(self, req: RestRequest) -> RestResponse:
        guild = self._guild(req)
        return ok([role_payload(r) for r in guild.roles.values()])

    async def get_member(self, req: RestRequest) -> RestResponse:
        guild = self._guild(req)
        member = guild.members.get(req.int_param("user_id"))
        if member is None:
            raise unknown("Member", 10007)
        return ok(member_payload(member))

    async def _member_role(self, req: RestRequest, add: bool) -> RestResponse:
        world = self.emu.world
        guild = self._guild(req)
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

    async def create_dm(self, req: RestRequest) -> RestResponse:
        raw = req.json.get("recipient_id")
        try:
            user = self.emu.world.get_user(int(raw)) if raw is not None else None
        except (TypeError, ValueError):
            user = None
        if user is None:
            raise form_error([("recipient_id", "Unknown user")])
        return ok(channel_payload(self.emu.world, self.emu.world.dm_channel_for(user)))

    async def leave_guild(self, req: RestRequest) -> RestResponse:
        guild = self._guild(req)
        await self.emu.leave_guild(guild)
        return ok()

    # ----- scheduled events -----------------------------------------------------------------------------------

    def _event_permission(self, guild: Guild, event: ScheduledEvent | None = None) -> None:
        """Create Events lets the bot create events and edit or delete its own; anyone's need Manage Events."""
        world = self.emu.world
        perms = world.base_permissions(guild, world.bot.id)
        own = event is None or event.creator_id == world.bot.id
        if not perms & Perm.MANAGE_EVENTS and not (own and perms & Perm.CREATE_EVENTS):
            raise DiscordError(403, 50013, "Missing Permissions")

    def _event(self, req: RestRequest, guild: Guild) -> ScheduledEvent:
        event = guild.scheduled_events.get(req.int_param("guild_scheduled_event_id"))
        if event is None:
            raise unknown("Guild Scheduled Event", 10070)
        return event

    async def list_events(self, req: RestRequest) -> RestResponse:
        guild = self._guild(req)
        return ok([scheduled_event_payload(self.emu.world, e) for e in guild.scheduled_events.values()])

    async def get_event(self, req: RestRequest) -> RestResponse:
        guild = self._guild(req)
        return ok(scheduled_event_payload(self.emu.world, self._event(req, guild)))

    def _event_fields(self, guild: Guild, body: JsonDict, event: ScheduledEvent | None) -> JsonDict:
        problems: list[tuple[str, str]] = []
        now = datetime.now(UTC)
        values: JsonDict = {}
        for key in ("scheduled_start_time", "scheduled_end_time"):
            if body.get(key) is not None:
                try:
                    moment = datetime.fromisoformat(str(body[key]).replace("Z", "+00:00"))
                except ValueError:
                    problems.append((key, "Invalid ISO8601 timestamp"))
                    continue
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                values[key] = moment
        start = values.get("scheduled_start_time", event.scheduled_start_time if event else None)
        end = values.get("scheduled_end_time", event.scheduled_end_time if event else None)
        entity_type = int(body.get("entity_type") or (event.entity_type if event else 0))
        if start is None:
            problems.append(("scheduled_start_time", "This field is required"))
        elif "scheduled_start_time" in values and start < now:
            problems.append(("scheduled_start_time", "Cannot schedule event in the past."))
        if end is not None and start is not None and end <= start:
            problems.append(("scheduled_end_time", "Cannot schedule event to end before starting."))
        location = (
            (body.get("entity_metadata") or {}).get("location")
            if isinstance(body.get("entity_metadata"), dict)
            else None
        )
        if entity_type == 3:
            if end is None:
                problems.append(("scheduled_end_time", "External events require an end time."))
            if not location and not (event and event.location):
                problems.append(("entity_metadata.location", "External events require a location."))
        elif entity_type in (1, 2):
            channel_id = body.get("channel_id") or (event.channel_id if event else None)
            channel = self.emu.world.get_channel(int(channel_id)) if channel_id else None
            if channel is None or channel.guild_id != guild.id:
                problems.append(("channel_id", "Stage and voice events need a channel in this server."))
        elif event is None:
            problems.append(("entity_type", f"{entity_type} is not a valid entity type"))
        if event is None and body.get("privacy_level") != 2:
            problems.append(("privacy_level", "must be 2 (GUILD_ONLY)"))
        if (event is None or "name" in body) and not str(body.get("name") or "").strip():
            problems.append(("name", "This field is required"))
        if problems:
            for fld, message in problems:
                self.emu.record_violation(
                    "POST" if event is None else "PATCH", f"/guilds/{guild.id}/scheduled-events", fld, message
                )
            raise form_error(problems)
        values["entity_type"] = entity_type
        values["location"] = location
        return values

    async def create_event(self, req: RestRequest) -> RestResponse:
        guild = self._guild(req)
        self._event_permission(guild)
        body = req.json
        values = self._event_fields(guild, body, None)
        event = ScheduledEvent(
            id=self.emu.ids.next(),
            guild_id=guild.id,
            name=str(body.get("name") or ""),
            scheduled_start_time=values["scheduled_start_time"],
            scheduled_end_time=values.get("scheduled_end_time"),
            entity_type=values["entity_type"],
            privacy_level=int(body.get("privacy_level") or 2),
            description=body.get("description"),
            channel_id=int(body["channel_id"]) if body.get("channel_id") else None,
            location=values.get("location"),
            creator_id=self.emu.world.bot.id,
        )
        guild.scheduled_events[event.id] = event
        payload = scheduled_event_payload(self.emu.world, event)
        await self.emu.gateway.dispatch("GUILD_SCHEDULED_EVENT_CREATE", payload, guild_id=guild.id)
        await self.emu.store.notify()
        return ok(payload)

    async def edit_event(self, req: RestRequest) -> RestResponse:
        guild = self._guild(req)
        event = self._event(req, guild)
        self._event_permission(guild, event)
        body = req.json
        values = self._event_fields(guild, body, event)
        if "name" in body:
            event.name = str(body["name"])
        if "description" in body:
            event.description = body["description"]
        if "status" in body:
            event.status = int(body["status"])
        for key in ("scheduled_start_time", "scheduled_end_time"):
            if key in values:
                setattr(event, key, values[key])
        if values.get("location"):
            event.location = values["location"]
        event.entity_type = values["entity_type"]
        payload = scheduled_event_payload(self.emu.world, event)
        await self.emu.gateway.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", payload, guild_id=guild.id)
        await self.emu.store.notify()
        return ok(payload)

    async def delete_event(self, req: RestRequest) -> RestResponse:
        guild = self._guild(req)
        event = self._event(req, guild)
        self._event_permission(guild, event)
        payload = scheduled_event_payload(self.emu.world, event)
        del guild.scheduled_events[event.id]
        await self.emu.gateway.dispatch("GUILD_SCHEDULED_EVENT_DELETE", payload, guild_id=guild.id)
        await self.emu.store.notify()
        return ok()


# ----- body parsing and responses -----------------------------------------------------------------------------


async def _parse_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    if request.method in ("GET", "HEAD") or not request.body_exists:
        return None, []
    ctype = request.content_type
    if ctype.startswith("multipart/"):
        body: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            data = await part.read(decode=False)
            if name == "payload_json":
                body = _loads(bytes(data))
            else:
                m = re.fullmatch(r"files\[(\d+)\]", name) or re.fullmatch(r"file(\d*)", name)
                if m is None:
                    continue
                if len(data) > MAX_UPLOAD:
                    raise DiscordError(413, 40005, "Request entity too large")
                index = int(m.group(1) or 0)
                files.append(
                    UploadedFile(index, part.filename or f"file{index}", bytes(data), part.headers.get("Content-Type"))
                )
        return body, files
    raw = await request.read()
    if not raw:
        return None, []
    return _loads(raw), []


def require_content(body: JsonDict, files: list[UploadedFile]) -> None:
    keys = ("content", "embeds", "components", "sticker_ids", "poll", "attachments")
    if not files and not any(body.get(k) for k in keys):
        raise DiscordError(400, 50006, "Cannot send an empty message")


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise DiscordError(400, 50109, "The request body contains invalid JSON.") from None


def _rate_limited(retry_after: float, *, global_: bool = False, scope: str = "user") -> RestResponse:
    body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": global_}
    headers = {
        "Retry-After": str(max(1, int(retry_after + 0.999))),
        "X-RateLimit-Scope": "global" if global_ else scope,
    }
    if global_:
        headers["X-RateLimit-Global"] = "true"
    else:
        headers.update(
            {
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Bucket": "c9a7b8ad4f6e1f2a3b4c5d6e7f8a9b0c",
            }
        )
    return RestResponse(429, body, headers)


def _respond(response: RestResponse) -> web.Response:
    # Discord sits behind Google's front end; discord.py retries a 429 only when this header is present.
    headers = {"Via": "1.1 google", **response.headers}
    if response.body is None:
        return web.Response(status=response.status if response.status != 200 else 204, headers=headers)
    headers["Content-Type"] = "application/json"
    return web.Response(status=response.status, body=json.dumps(response.body).encode(), headers=headers)
