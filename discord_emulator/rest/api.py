"""The emulated REST API: one pipeline for every route, and the router that hands a request to its resource.

Every request goes through ``RestApi.handle``, so faults, rate limits, counters and contract checks apply to all
routes alike. Anything not emulated answers 404 ``{"message": "404: Not Found", "code": 0}`` and is recorded in
``emu.unhandled``. Responses always carry exactly ``Content-Type: application/json`` (discord.py compares with ==).

The routes themselves live one module per resource (``application``, ``users``, ``interactions``, ``messages``,
``channels``, ``guilds``, ``members``, ``scheduled_events``); each registers its routes here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from discord_emulator.faults import Fault
from discord_emulator.messages import UploadedFile
from discord_emulator.models import REQUEST_ANSWERED, Answer
from discord_emulator.rest.application import ApplicationRoutes
from discord_emulator.rest.channels import ChannelRoutes
from discord_emulator.rest.core import EmulatorCore
from discord_emulator.rest.guilds import GuildRoutes
from discord_emulator.rest.http import (
    DiscordError,
    Handler,
    RequestRecord,
    RestRequest,
    RestResponse,
    form_error,
)
from discord_emulator.rest.interactions import InteractionRoutes
from discord_emulator.rest.members import MemberRoutes
from discord_emulator.rest.messages import MessageRoutes
from discord_emulator.rest.scheduled_events import ScheduledEventRoutes
from discord_emulator.rest.users import UserRoutes

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
MAX_UPLOAD = 10 * 1024 * 1024


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


class RestApi:
    """The router and the pipeline. The resources' handlers are reached as attributes (``emu.rest.messages``)."""

    def __init__(self, emu: EmulatorCore) -> None:
        self.emu = emu
        self.routes: list[Route] = []
        # Requests being handled right now; `idle` is set when there are none (Emulator.wait_idle).
        self.in_flight = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self.application = ApplicationRoutes(emu)
        self.users = UserRoutes(emu)
        self.interactions = InteractionRoutes(emu)
        self.messages = MessageRoutes(emu)
        self.channels = ChannelRoutes(emu)
        self.guilds = GuildRoutes(emu)
        self.members = MemberRoutes(emu)
        self.scheduled_events = ScheduledEventRoutes(emu)
        for resource in (
            self.application,
            self.users,
            self.interactions,
            self.messages,
            self.channels,
            self.guilds,
            self.members,
            self.scheduled_events,
        ):
            resource.register(self.add)

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
