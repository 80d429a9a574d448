"""What the REST layer needs from the emulator, and the base of every resource's routes.

The routes see the emulator through ``EmulatorCore``, a protocol naming exactly what they use (the world, the
message store, the gateway, the counters, the bookkeeping), so this package never imports ``emulator.py``, which
builds it: the emulator depends on the REST layer and not the other way round.
"""

from __future__ import annotations

from typing import Protocol

from discord_emulator.commands import CommandRegistry
from discord_emulator.contract import ContractChecker
from discord_emulator.faults import FaultInjector, RateLimiter, Stats
from discord_emulator.gateway import Gateway
from discord_emulator.interactions import Interaction
from discord_emulator.messages import MessageStore
from discord_emulator.models import JsonDict, Message
from discord_emulator.payloads import message_payload
from discord_emulator.permissions import Perm
from discord_emulator.rest.http import DiscordError, Handler, RequestRecord, RestRequest, unknown
from discord_emulator.snowflake import SnowflakeFactory
from discord_emulator.world import Channel, Guild, World


class EmulatorCore(Protocol):
    """The emulator as its REST routes use it (``Emulator`` is the one implementation)."""

    world: World
    ids: SnowflakeFactory
    store: MessageStore
    commands: CommandRegistry
    interactions: dict[int, Interaction]
    gateway: Gateway
    stats: Stats
    faults: FaultInjector
    rate_limits: RateLimiter
    contract: ContractChecker
    reject_invalid: bool
    interaction_deadline: float | None

    @property
    def token(self) -> str: ...

    @property
    def gateway_url(self) -> str: ...

    def record_violation(
        self, method: str, path: str, field: str, message: str, *, source: str = "request"
    ) -> None: ...

    def record_unhandled(self, method: str, path: str) -> None: ...

    def record_request(self, record: RequestRecord) -> None: ...

    def interaction_by_token(self, token: str) -> Interaction | None: ...

    async def publish_message(self, kind: str, message: Message) -> None: ...

    async def leave_guild(self, guild: Guild) -> None: ...


class AddRoute(Protocol):
    """``RestApi.add``: a route's method, path template (``{name}`` for a parameter), handler, and whether it needs
    the bot's token (the interaction and webhook routes are authorised by their token in the path instead)."""

    def __call__(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None: ...


class Resource:
    """One resource's routes, and the look-ups they share: a server the bot is in, a channel it can see, a message
    in that channel, a message as the bot is sent it."""

    def __init__(self, emu: EmulatorCore) -> None:
        self.emu = emu

    def register(self, add: AddRoute) -> None:
        raise NotImplementedError

    def joined_guild(self, req: RestRequest) -> Guild:
        guild = self.emu.world.get_guild(req.int_param("guild_id"))
        if guild is None:
            raise unknown("Guild", 10004)
        if not guild.bot_joined:
            raise DiscordError(403, 50001, "Missing Access")
        return guild

    def visible_channel(self, req: RestRequest, *, need_view: bool = True) -> Channel:
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

    def channel_message(self, req: RestRequest, channel: Channel) -> Message:
        message = self.emu.store.get(req.int_param("message_id"))
        if message is None or message.deleted or message.channel_id != channel.id or message.ephemeral:
            raise unknown("Message", 10008)
        return message

    def payload(self, message: Message) -> JsonDict:
        referenced = self.emu.store.get(message.reference_id) if message.reference_id else None
        return message_payload(self.emu.world, message, referenced=referenced)
