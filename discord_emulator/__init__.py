"""A local Discord: REST + gateway on 127.0.0.1 that a real, unmodified discord.py bot process connects to.

Used by the end-to-end tests, by local mode (a terminal instead of a Discord account) and by benchmarks.

    world = World.default()                       # or World.generate(guilds=2000, members_per_guild=100, seed=1)
    async with Emulator(world) as emu:            # emu.api_base, emu.gateway_url, emu.token, emu.bot_env()
        ...start the bot process with emu.bot_env()...
        await emu.wait_until_ready()
        ix = await emu.slash("quiz start", {"topic": "soap"}, user=world.users["alice"])
        reply = await ix.response()               # Reply: kind, ephemeral, content, embeds, components, modal...
        await emu.click(reply, label="Next")      # also select(), submit_modal(), autocomplete()
        emu.assert_clean()                        # emu.violations, emu.unhandled

Faults: emu.faults.rate_limit/error/slow/drop/gateway(...) (error and drop can strike after_effect=True: the request
took effect, the answer is lost), emu.rate_limits.enable(...), emu.gateway.close_abruptly(),
emu.gateway.send_reconnect(), emu.gateway.invalid_session(resumable=False).

Sharding as Discord: GET /gateway/bot recommends one shard per 1,000 servers, each shard session gets only its
servers, 4011 past 2,500 servers in a session, 4010 for a malformed shard (emu.gateway.ready_shards()). Before
counting what the bot did, stop it and await emu.wait_idle(): nothing it sent is still in flight.
"""

from discord_emulator.commands import RegisteredCommand
from discord_emulator.contract import ContractChecker, Violation
from discord_emulator.emulator import Emulator, MessageEvent, UnhandledRequest
from discord_emulator.faults import Fault, FaultInjector, RateLimiter, Stats
from discord_emulator.gateway import BotNotConnected
from discord_emulator.interactions import Interaction, Modal, ModalField, Reply
from discord_emulator.models import Attachment, InteractionError, Message
from discord_emulator.permissions import Perm
from discord_emulator.render import render_message, render_reply
from discord_emulator.rest import RequestRecord
from discord_emulator.world import Channel, ChannelType, Guild, Member, Overwrite, OverwriteType, Role, User, World

__all__ = [
    "Attachment",
    "BotNotConnected",
    "Channel",
    "ChannelType",
    "ContractChecker",
    "Emulator",
    "Fault",
    "FaultInjector",
    "Guild",
    "Interaction",
    "InteractionError",
    "Member",
    "Message",
    "MessageEvent",
    "Modal",
    "ModalField",
    "Overwrite",
    "OverwriteType",
    "Perm",
    "RateLimiter",
    "RegisteredCommand",
    "Reply",
    "RequestRecord",
    "Role",
    "Stats",
    "UnhandledRequest",
    "User",
    "Violation",
    "World",
    "render_message",
    "render_reply",
]
