"""The local Discord emulator: one aiohttp server on 127.0.0.1 with the REST API and the gateway, plus the actions
a test or a local-mode user performs (run a slash command, click, select, submit a modal, change the server).

    async with Emulator(World.default()) as emu:
        ... start the bot with emu.bot_env() ...
        await emu.wait_until_ready()
        ix = await emu.slash("ask", {"question": "what is soap"})
        reply = await ix.response()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from discord_emulator.commands import CHAT_INPUT, MESSAGE_COMMAND, CommandRegistry, RegisteredCommand
from discord_emulator.context_menus import message_command_data
from discord_emulator.contract import ContractChecker, Violation, short_path
from discord_emulator.faults import FaultInjector, RateLimiter, Stats, compile_route
from discord_emulator.gateway import BotNotConnected, Gateway
from discord_emulator.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Interaction,
    OptionBuilder,
    Reply,
    build_command_data,
    component_values_data,
    interaction_payload,
    modal_submit_components,
)
from discord_emulator.messages import MessageStore
from discord_emulator.models import Answer, InteractionError, Message
from discord_emulator.payloads import channel_payload, member_payload, message_payload, user_payload
from discord_emulator.permissions import ALL_PERMISSIONS, BOT_DEFAULT, Perm
from discord_emulator.rest import RequestRecord, RestApi
from discord_emulator.snowflake import SnowflakeFactory
from discord_emulator.world import Channel, ChannelType, Guild, Member, Role, User, World, make_bot_token

log = logging.getLogger(__name__)

REACTION_TIME = 0.1
"""Seconds from the bot receiving the answer that made a message (or opened a modal) to the earliest click or submit
on it: faster than a person, slow enough for the bot to have read that answer."""


@dataclass
class UnhandledRequest:
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {short_path(self.path)}"


@dataclass
class MessageEvent:
    kind: str  # MESSAGE_CREATE, MESSAGE_UPDATE, MESSAGE_DELETE
    message: Message


class Emulator:
    """A fake Discord for one bot application. See the module docstring for the shape of a test."""

    def __init__(
        self,
        world: World | None = None,
        *,
        contract_checks: bool = True,
        spec_path: Path | str | None = None,
        reject_invalid: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        interaction_deadline: float | None = 3.0,
        seed: int = 0,
        heartbeat_interval_ms: int = 41250,
        request_log_size: int = 5000,
    ) -> None:
        self.world = world or World.default()
        self.host = host
        self.port = port
        # Discord forgets an interaction not answered (or deferred) within 3 s of delivery: 10062 Unknown interaction.
        self.interaction_deadline = interaction_deadline
        # Discord answers 400 Invalid Form Body to requests that break its limits; False only records them.
        self.reject_invalid = reject_invalid
        self.ids = SnowflakeFactory()
        self.stats = Stats()
        self.faults = FaultInjector(seed)
        self.rate_limits = RateLimiter()
        self.contract = ContractChecker(spec_path, enabled=contract_checks)
        self.violations: list[Violation] = []
        self.unhandled: list[UnhandledRequest] = []
        self.requests: deque[RequestRecord] = deque(maxlen=request_log_size)
        self.store = MessageStore(self.world, self.ids)
        self.commands = CommandRegistry(self.world.application_id, self.ids)
        self.interactions: dict[int, Interaction] = {}
        self._by_token: dict[str, Interaction] = {}
        self.gateway = Gateway(self.world, self.stats, self.faults, heartbeat_interval_ms=heartbeat_interval_ms)
        self.rest = RestApi(self)
        self.connect_timeout = 20.0
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._subscribers: list[asyncio.Queue[MessageEvent]] = []
        self._request_waiters: list[asyncio.Event] = []
        self._request_count = 0
        self.store.listeners.append(self._fan_out)

    # ----- lifecycle ------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/{tail:.*}", self.rest.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await self._listen()
        self.gateway.url = self.gateway_url
        self.store.attachment_base = f"{self.base_url}/attachments"
        log.info("Discord emulator listening on %s (schema checks %s)", self.base_url, self.schema_status)

    async def _listen(self) -> None:
        assert self._runner is not None
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self._site = site
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    @property
    def token(self) -> str:
        return self.world.token

    @property
    def schema_status(self) -> str:
        return self.contract.schema_status

    def bot_env(self) -> dict[str, str]:
        """The environment a bot process needs to talk to this emulator instead of Discord."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
        }

    # ----- the first connection: a token reset, Discord out of reach ------------------------------------------

    async def reset_token(self) -> str:
        """The owner presses Reset Token in the Developer Portal: the old token is refused from now on (REST 401,
        IDENTIFY and RESUME closed with 4004) and the bot's open gateway sessions are closed with 4004
        (Authentication failed). Returns the new token."""
        old = self.world.token
        self.world.token = make_bot_token(self.world.bot.id)
        while self.world.token == old:  # the random part could repeat only in theory; a reset never keeps a token
            self.world.token = make_bot_token(self.world.bot.id)
        await self.gateway.close_abruptly(4004)
        log.info("emulator: the bot token was reset; open sessions closed with 4004")
        return self.world.token

    async def refuse_connections(self) -> None:
        """Discord out of reach: stop listening, so a new connection to the port is refused (ECONNREFUSED), as
        when the network or Discord is down. Connections already open stay open. ``accept_connections`` ends it."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
            log.info("emulator: refusing connections on port %d", self.port)

    async def accept_connections(self) -> None:
        """Listen again on the same port after ``refuse_connections``."""
        if self._site is None and self._runner is not None:
            await self._listen()
            log.info("emulator: accepting connections on port %d again", self.port)

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        try:
            attachment = self.store.uploads.get(int(request.match_info["attachment_id"]))
        except ValueError:
            attachment = None
        if attachment is None:
            return web.Response(status=404)
        return web.Response(body=attachment.data, content_type=attachment.content_type or "application/octet-stream")

    # ----- bookkeeping used by the REST layer ----------------------------------------------------------------

    def record_violation(self, method: str, path: str, field: str, message: str, *, source: str = "request") -> None:
        violation = Violation(method, short_path(path), field, message, source)
        self.violations.append(violation)
        log.warning("contract violation: %s", violation)

    def record_unhandled(self, method: str, path: str) -> None:
        self.unhandled.append(UnhandledRequest(method, path))
        log.warning("emulator: no handler for %s %s", method, path)

    def record_request(self, record: RequestRecord) -> None:
        self._request_count += 1
        record.seq = self._request_count
        self.requests.append(record)
        for event in self._request_waiters:
            event.set()

    def interaction_by_token(self, token: str) -> Interaction | None:
        return self._by_token.get(token)

    def _fan_out(self, kind: str, message: Message) -> None:
        for queue in self._subscribers:
            queue.put_nowait(MessageEvent(kind, message))

    async def publish_message(self, kind: str, message: Message) -> None:
        """Send MESSAGE_CREATE/UPDATE/DELETE for `message` over the gateway (intents permitting)."""
        if kind == "MESSAGE_DELETE":
            data: dict[str, Any] = {"id": str(message.id), "channel_id": str(message.channel_id)}
        else:
            referenced = self.store.get(message.reference_id) if message.reference_id else None
            data = message_payload(self.world, message, referenced=referenced)
        if message.guild_id is not None:
            data["guild_id"] = str(message.guild_id)
            guild = self.world.get_guild(message.guild_id)
            member = guild.member(message.author) if guild else None
            if member is not None and kind == "MESSAGE_CREATE" and message.webhook_id is None:
                data["member"] = member_payload(member, with_user=False)
        await self.gateway.dispatch(kind, data, guild_id=message.guild_id)

    # ----- observing the bot ----------------------------------------------------------------------------------

    @property
    def is_ready(self) -> bool:
        return self.gateway.is_ready

    async def wait_until_ready(self, timeout: float = 20.0, *, commands: bool = True) -> None:  # noqa: ASYNC109 - the public API takes timeout=
        """Wait until the bot has identified and received READY and its GUILD_CREATEs (or RESUMEd), and, with
        `commands`, until it has registered application commands (now or in an earlier run)."""
        try:
            await self.gateway.wait_ready(timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not connect to the emulator gateway within {timeout}s "
                f"({self.stats.gateway['connections']} connections, {self.stats.gateway['identify']} IDENTIFY, "
                f"unhandled: {[str(u) for u in self.unhandled[-5:]]})"
            ) from None
        if commands and self.commands.empty:
            try:
                async with asyncio.timeout(timeout):
                    await self.commands.changed.wait()
            except TimeoutError:
                raise TimeoutError(f"the bot connected but registered no commands within {timeout}s") from None

    @property
    def identify_count(self) -> int:
        return self.stats.gateway["identify"]

    async def wait_for_identify(self, timeout: float = 20.0, *, since: int | None = None) -> None:  # noqa: ASYNC109 - the public API takes timeout=
        """Wait for an IDENTIFY after `since` (an earlier `identify_count`; default: now) and the READY that
        follows, e.g. after a bot restart or a non-resumable session."""
        start = self.identify_count if since is None else since
        await self.gateway.wait_for(lambda: self.identify_count > start and self.gateway.is_ready, timeout)

    async def wait_for_resume(self, timeout: float = 20.0, *, since: int | None = None) -> None:  # noqa: ASYNC109 - the public API takes timeout=
        start = self.stats.gateway["resume"] if since is None else since
        await self.gateway.wait_for(lambda: self.stats.gateway["resume"] > start and self.gateway.is_ready, timeout)

    @property
    def open_connections(self) -> int:
        """HTTP and gateway connections the emulator still has open (from any client)."""
        server = self._runner.server if self._runner is not None else None
        return len(server.connections) if server is not None else 0

    async def wait_idle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - the public API takes timeout=
        """Wait until no client has a connection open and no request is being handled. Once the bot process has
        exited this is the moment from which nothing it sent can still change the world: every byte it wrote has
        been read (a connection is closed only after its data) and every request it made has been answered or
        dropped. Use it before counting duplicates instead of sleeping."""
        async with asyncio.timeout(timeout):
            while True:
                await self.rest.idle.wait()
                if self.open_connections == 0 and self.rest.in_flight == 0:
                    return
                # aiohttp has no event for a connection closing; it closes within a few loop turns of the peer.
                await asyncio.sleep(0.01)

    def messages_in(self, channel: Channel, *, include_ephemeral: bool = False) -> list[Message]:
        return self.store.in_channel(channel.id, include_ephemeral=include_ephemeral)

    def dms_with(self, user: User) -> list[Message]:
        channel = self.world.dm_channel_for(user)
        return self.store.in_channel(channel.id)

    async def wait_for_message(
        self,
        channel: Channel | None = None,
        predicate: Callable[[Message], bool] | None = None,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - the public API takes timeout=
        after: Message | None = None,
        include_ephemeral: bool = False,
    ) -> Message:
        """The first live message matching (in `channel`, if given, newer than `after`), waiting if needed."""

        def find() -> Message | None:
            if channel is not None:
                pool = self.store.in_channel(channel.id, include_ephemeral=include_ephemeral)
            else:
                pool = [
                    m for m in self.store.by_id.values() if not m.deleted and (include_ephemeral or not m.ephemeral)
                ]
            for message in pool:
                if message.loading or (after is not None and message.id <= after.id):
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        result: Message | None = None

        def check() -> bool:
            nonlocal result
            result = find()
            return result is not None

        try:
            async with asyncio.timeout(timeout):
                async with self.store.changed:
                    await self.store.changed.wait_for(check)
        except TimeoutError:
            where = f"#{channel.name}" if channel is not None and channel.name else "any channel"
            recent = [m.text[:80] for m in (self.messages_in(channel) if channel else [])][-3:]
            raise TimeoutError(f"no matching message in {where} within {timeout}s; latest: {recent}") from None
        assert result is not None
        return result

    async def wait_for_request(
        self,
        route: str,
        predicate: Callable[[RequestRecord], bool] | None = None,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - the public API takes timeout=
    ) -> RequestRecord:
        """Wait for a REST call the bot makes, e.g. 'POST /channels/{channel_id}/messages' (only new ones)."""
        method, pattern = compile_route(route)
        start = self._request_count
        event = asyncio.Event()
        self._request_waiters.append(event)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for record in list(self.requests):
                        if record.seq <= start:
                            continue
                        matched = method in ("*", record.method) and pattern.fullmatch(record.path)
                        if matched and (predicate is None or predicate(record)):
                            return record
                    event.clear()
                    await event.wait()
        finally:
            self._request_waiters.remove(event)

    async def subscribe(self) -> AsyncIterator[MessageEvent]:
        """Every message the bot creates, edits or deletes from now on (for local mode's terminal)."""
        queue: asyncio.Queue[MessageEvent] = asyncio.Queue()
        self._subscribers.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.remove(queue)

    def assert_clean(self) -> None:
        """Fail with a readable list if the bot broke a contract or called something not emulated."""
        problems = [str(v) for v in self.violations] + [f"not emulated: {u}" for u in self.unhandled]
        if problems:
            raise AssertionError("Discord contract problems:\n  " + "\n  ".join(problems))

    # ----- acting as a user: interactions ---------------------------------------------------------------------

    def _who_where(self, user: User | Member | None, channel: Channel | None) -> tuple[User, Channel, Guild | None]:
        who = user.user if isinstance(user, Member) else user
        where = channel or self.world.default_channel
        if who is None and where is not None and where.is_dm and where.recipient_id is not None:
            who = self.world.get_user(where.recipient_id)
        who = who or self.world.default_user
        if who is None or where is None:
            raise InteractionError("pass user= and channel= (this world has no defaults)")
        if where.deleted:
            raise InteractionError(f"#{where.name} has been deleted")
        if where.is_dm and where.recipient_id != who.id:
            raise InteractionError(f"{who.username} is not in this DM channel")
        guild = self.world.guild_of(where)
        if guild is not None and who.id not in guild.members:
            raise InteractionError(f"{who.username} is not a member of {guild.name!r}")
        return who, where, guild

    async def _deliver(self, ix: Interaction) -> Interaction:
        self.interactions[ix.id] = ix
        self._by_token[ix.token] = ix
        guild_id = ix.guild.id if ix.guild else None
        if self.gateway.session_for(guild_id) is None:
            try:
                await self.gateway.wait_for(
                    lambda: self.gateway.session_for(guild_id) is not None, self.connect_timeout
                )
            except TimeoutError:
                raise BotNotConnected(
                    "the bot has no gateway session; start it and await emu.wait_until_ready()"
                ) from None

        def delivered() -> None:
            ix.delivered_at = time.monotonic()

        payload = interaction_payload(self.world, ix)
        if ix.source_message is not None:
            payload["message"] = message_payload(self.world, ix.source_message)
        await self.gateway.dispatch(
            "INTERACTION_CREATE", payload, guild_id=guild_id, on_delivered=delivered, required=True
        )
        self.stats.gateway[f"interaction:{ix.type}"] += 1
        return ix

    def _command(
        self, name: str, guild: Guild | None, user: User, channel: Channel, force: bool, ctype: int = CHAT_INPUT
    ) -> RegisteredCommand:
        if guild is not None and not guild.bot_joined:
            raise InteractionError(f"the bot is not in {guild.name!r}, so its commands are not either")
        command = self.commands.find(name, guild.id if guild else None, ctype)
        if command is None:
            registered = self.commands.describe()
            message = f"/{name} was never registered by the bot (registered: {registered})"
            self.record_violation("INTERACTION", f"/{name}", "", message, source="interaction")
            raise InteractionError(message)
        if guild is None and not command.allowed_in_dm():
            raise InteractionError(f"/{name} is not available in DMs (contexts={command.contexts})")
        if guild is not None and command.contexts is not None and 0 not in command.contexts:
            raise InteractionError(f"/{name} is not available in servers (contexts={command.contexts})")
        if guild is not None and not force:
            perms = self.world.permissions_in(channel, user.id)
            if not perms & Perm.USE_APPLICATION_COMMANDS:
                raise InteractionError(f"{user.username} may not use application commands in #{channel.name}")
            needed = command.default_member_permissions
            if needed is not None:
                bits = int(needed)
                if perms != ALL_PERMISSIONS and (bits == 0 or perms & bits != bits):
                    raise InteractionError(
                        f"Discord hides /{name} from {user.username} (default_member_permissions={needed}); "
                        "pass force=True to test the bot's own check"
                    )
        return command

    async def slash(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        user: User | Member | None = None,
        channel: Channel | None = None,
        force: bool = False,
    ) -> Interaction:
        """Run a slash command as `user` in `channel`: "quiz start" for subcommands. Option values may be given
        as text (local mode) or as objects (User, Channel, Role); they are typed by the registered definition."""
        who, where, guild = self._who_where(user, channel)
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise InteractionError("empty command")
        registered = self._command(parts[0], guild, who, where, force)
        builder = OptionBuilder(self.world, guild, where, self.store)
        data = build_command_data(self.world, registered, parts[1:], dict(options or {}), builder)
        ix = Interaction(
            id=self.ids.next(),
            type=APPLICATION_COMMAND,
            user=who,
            channel=where,
            guild=guild,
            data=data,
            store=self.store,
            command=registered,
        )
        return await self._deliver(ix)

    async def autocomplete(
        self,
        command: str,
        options: dict[str, Any],
        *,
        focused: str | None = None,
        user: User | Member | None = None,
        channel: Channel | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the public API takes timeout=
    ) -> list[dict[str, Any]]:
        """What the bot suggests while the user types `options[focused]` (default: the last option given)."""
        who, where, guild = self._who_where(user, channel)
        parts = command.strip().lstrip("/").split()
        registered = self._command(parts[0], guild, who, where, True)
        if not options:
            raise InteractionError("autocomplete needs the option being typed")
        focus = focused or list(options)[-1]
        builder = OptionBuilder(self.world, guild, where, self.store)
        data = build_command_data(self.world, registered, parts[1:], dict(options), builder, focused=focus)
        ix = Interaction(
            id=self.ids.next(),
            type=AUTOCOMPLETE,
            user=who,
            channel=where,
            guild=guild,
            data=data,
            store=self.store,
            command=registered,
        )
        await self._deliver(ix)
        reply = await ix.response(timeout)
        return list(reply.choices or [])

    async def message_command(
        self, name: str, message: Message, *, user: User | Member | None = None, force: bool = False
    ) -> Interaction:
        """Run a message context-menu command (right-click a message → Apps → `name`) as `user`, on `message`, in
        its channel; the bot receives the message in the interaction's resolved data, content included, as Discord
        sends it to the command's app (discord_emulator/context_menus.py)."""
        channel = self.world.get_channel(message.channel_id)
        if channel is None or message.deleted:
            raise InteractionError("the message is gone")
        if message.ephemeral:
            raise InteractionError("an ephemeral message has no context menu")
        who, where, guild = self._who_where(user, channel)
        registered = self._command(name, guild, who, where, force, MESSAGE_COMMAND)
        ix = Interaction(
            id=self.ids.next(),
            type=APPLICATION_COMMAND,
            user=who,
            channel=where,
            guild=guild,
            data=message_command_data(self.world, registered, message),
            store=self.store,
            command=registered,
        )
        return await self._deliver(ix)

    def _source(self, target: Message | Reply | Interaction) -> tuple[Message, Interaction | None]:
        if isinstance(target, Reply):
            if target.message is None:
                raise InteractionError(f"this {target.kind} reply has no message to interact with")
            return target.message, target.interaction
        if isinstance(target, Interaction):
            reply = target.reply()
            if reply.message is None:
                raise InteractionError("the interaction has no message yet; await ix.response() first")
            return reply.message, target
        return target, None

    async def click(
        self,
        message: Message | Reply | Interaction,
        *,
        label: str | None = None,
        custom_id: str | None = None,
        user: User | Member | None = None,
    ) -> Interaction:
        """Click a button on a message the bot sent (found by label or custom_id)."""
        source, origin = self._source(message)
        if label is None and custom_id is None:
            raise InteractionError("click needs label= or custom_id=")
        button = source.find_component(label=label, custom_id=custom_id, types=frozenset({2}))
        if button.get("disabled"):
            raise InteractionError(f"button {button.get('label') or button.get('custom_id')!r} is disabled")
        if button.get("style") == 5 or not button.get("custom_id"):
            raise InteractionError("link buttons open a URL; they do not reach the bot")
        data = {"custom_id": button["custom_id"], "component_type": 2, "id": button.get("id")}
        return await self._component(source, origin, data, user)

    async def select(
        self,
        message: Message | Reply | Interaction,
        values: list[Any],
        *,
        custom_id: str | None = None,
        user: User | Member | None = None,
    ) -> Interaction:
        """Pick `values` in a select menu (string values or labels; users/roles/channels for entity selects)."""
        source, origin = self._source(message)
        selects = source.selects
        if custom_id is not None:
            selects = [s for s in selects if s.get("custom_id") == custom_id]
        if len(selects) != 1:
            ids = [s.get("custom_id") for s in source.selects]
            raise InteractionError(f"need exactly one select (custom_id=...); message {source.id} has {ids}")
        component = selects[0]
        if component.get("disabled"):
            raise InteractionError(f"select {component.get('custom_id')!r} is disabled")
        channel = self.world.get_channel(source.channel_id)
        guild = self.world.guild_of(channel) if channel else None
        assert channel is not None
        builder = OptionBuilder(self.world, guild, channel, self.store)
        picked, resolved = component_values_data(self.world, component, values, builder)
        data: dict[str, Any] = {
            "custom_id": component["custom_id"],
            "component_type": component.get("type", 3),
            "values": picked,
            "id": component.get("id"),
        }
        if resolved:
            data["resolved"] = resolved
        return await self._component(source, origin, data, user)

    async def _component(
        self, source: Message, origin: Interaction | None, data: dict[str, Any], user: User | Member | None
    ) -> Interaction:
        if source.deleted:
            raise InteractionError("the message has been deleted")
        if user is None and origin is not None and source.ephemeral:
            user = origin.user
        channel = self.world.get_channel(source.channel_id)
        who, where, guild = self._who_where(user, channel)
        if source.ephemeral and origin is not None and who.id != origin.user.id:
            raise InteractionError("only the user who received an ephemeral message can use its components")
        await self._seen_by_bot(source.answered, origin.answered if origin is not None else None)
        ix = Interaction(
            id=self.ids.next(),
            type=MESSAGE_COMPONENT,
            user=who,
            channel=where,
            guild=guild,
            data=data,
            store=self.store,
            source_message=source,
            parent=origin,
        )
        return await self._deliver(ix)

    async def submit_modal(
        self, opened: Reply | Interaction, values: dict[str, Any], *, user: User | Member | None = None
    ) -> Interaction:
        """Fill in and submit the modal the bot opened in answer to `opened`."""
        origin = opened.interaction if isinstance(opened, Reply) else opened
        modal = origin.modal
        if modal is None:
            raise InteractionError("the bot did not answer this interaction with a modal")
        components = modal_submit_components(modal, values)
        await self._seen_by_bot(origin.answered)
        who, where, guild = self._who_where(user or origin.user, origin.channel)
        ix = Interaction(
            id=self.ids.next(),
            type=MODAL_SUBMIT,
            user=who,
            channel=where,
            guild=guild,
            data={"custom_id": modal.custom_id, "components": components},
            store=self.store,
            source_message=origin.source_message,
            parent=origin,
        )
        return await self._deliver(ix)

    async def _seen_by_bot(self, *answers: Answer | None) -> None:
        """A member uses a message or a modal only once Discord has shown it, after the bot was told about it, and
        no faster than REACTION_TIME later. Without that a test's click could reach the bot (over the gateway) before
        the bot has read the answer that gave it the message's id, and discord.py drops a click on a message it keeps
        no view for without a word."""
        pending = [answer for answer in answers if answer is not None]
        # A dropped connection still marks its answer written; the timeout only guards against an emulator bug.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.connect_timeout):
                await asyncio.gather(*(answer.written.wait() for answer in pending))
        written = [answer.written_at for answer in pending if answer.written_at is not None]
        if written:
            # The bot's own reading of that answer gives no signal to wait for; a person is never this quick.
            await asyncio.sleep(max(0.0, max(written) + REACTION_TIME - time.monotonic()))

    def commands_for(self, channel: Channel | None = None) -> list[RegisteredCommand]:
        """The slash commands a user sees in `channel` (server commands first, then global ones)."""
        where = channel or self.world.default_channel
        guild = self.world.guild_of(where) if where else None
        return self.commands.available_in(guild.id if guild else None)

    # ----- acting as a user or admin: messages and server changes ---------------------------------------------

    async def send_message(self, user: User, channel: Channel, content: str) -> Message:
        """A user posts a plain message (MESSAGE_CREATE; content hidden without the Message Content intent)."""
        message = self.store.add_user_message(channel, user, content)
        await self.publish_message("MESSAGE_CREATE", message)
        await self.store.notify()
        return message

    async def add_member(self, guild: Guild, user: User, *, roles: list[Role] | None = None) -> Member:
        member = self.world.add_member(guild, user, roles=roles)
        await self.gateway.dispatch(
            "GUILD_MEMBER_ADD", {**member_payload(member), "guild_id": str(guild.id)}, guild_id=guild.id
        )
        return member

    async def remove_member(self, guild: Guild, user: User) -> None:
        if guild.members.pop(user.id, None) is None:
            raise KeyError(f"{user.username} is not in {guild.name!r}")
        await self.gateway.dispatch(
            "GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": user_payload(user)}, guild_id=guild.id
        )

    async def create_channel(
        self, guild: Guild, name: str, *, type: ChannelType = ChannelType.GUILD_TEXT, parent: Channel | None = None
    ) -> Channel:
        channel = self.world.add_channel(guild, name, type=type, parent=parent)
        await self.gateway.dispatch("CHANNEL_CREATE", channel_payload(self.world, channel), guild_id=guild.id)
        return channel

    async def update_channel(self, channel: Channel) -> None:
        """Tell the bot a channel changed (its name or permission overwrites, edited in ``world``): CHANNEL_UPDATE,
        or THREAD_UPDATE for a thread, as Discord sends when a moderator edits it."""
        event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
        await self.gateway.dispatch(event, channel_payload(self.world, channel), guild_id=channel.guild_id)

    async def delete_channel(self, channel: Channel) -> None:
        """Delete a channel (or thread); the bot gets CHANNEL_DELETE (THREAD_DELETE) and later 10003 for it."""
        channel.deleted = True
        if channel.is_thread:
            data = {
                "id": str(channel.id),
                "guild_id": str(channel.guild_id),
                "parent_id": str(channel.parent_id),
                "type": int(channel.type),
            }
            await self.gateway.dispatch("THREAD_DELETE", data, guild_id=channel.guild_id)
        else:
            await self.gateway.dispatch(
                "CHANNEL_DELETE", channel_payload(self.world, channel), guild_id=channel.guild_id
            )
            for thread in list(self.world.guilds[channel.guild_id or 0].channels.values()) if channel.guild_id else []:
                if thread.parent_id == channel.id and thread.is_thread:
                    thread.deleted = True

    async def delete_role(self, role: Role) -> None:
        guild = self.world.guilds[role.guild_id]
        guild.roles.pop(role.id, None)
        for member in guild.members.values():
            if role.id in member.roles:
                member.roles.remove(role.id)
        await self.gateway.dispatch(
            "GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(role.id)}, guild_id=guild.id
        )

    async def join_guild(self, guild: Guild) -> None:
        """The bot is invited to `guild` (built with world.add_guild(..., bot_joined=False)): GUILD_CREATE."""
        if guild.bot_joined and self.world.bot.id in guild.members:
            return
        guild.bot_joined = True
        if self.world.bot.id not in guild.members:
            self.world._add_bot_role(guild, int(BOT_DEFAULT))
        session = self.gateway.session_for(guild.id)
        await self.gateway.dispatch("GUILD_CREATE", self.gateway.guild_create(session, guild), guild_id=guild.id)

    async def leave_guild(self, guild: Guild) -> None:
        """The bot is kicked from (or leaves) `guild`: GUILD_DELETE without `unavailable`."""
        guild.bot_joined = False
        guild.members.pop(self.world.bot.id, None)
        for role in [r for r in guild.roles.values() if r.bot_id == self.world.bot.id]:
            guild.roles.pop(role.id, None)
        await self.gateway.dispatch("GUILD_DELETE", {"id": str(guild.id)}, guild_id=guild.id)
