"""Messages in a channel: history, sending (with Discord's nonce memory), editing, deleting, typing, reactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from discord_emulator.models import Message
from discord_emulator.permissions import Perm
from discord_emulator.rest.core import AddRoute, EmulatorCore, Resource
from discord_emulator.rest.http import DiscordError, RestRequest, RestResponse, form_error, ok, require_content

NONCE_MEMORY = timedelta(minutes=5)


class MessageRoutes(Resource):
    """GET/POST /channels/{id}/messages, GET/PATCH/DELETE one message, typing, the bot's own reactions."""

    def __init__(self, emu: EmulatorCore) -> None:
        super().__init__(emu)
        # How long a message nonce sent with enforce_nonce is remembered: Discord says "the past few minutes".
        self.nonce_memory = NONCE_MEMORY
        # Nonces of messages made up to this moment are forgotten whatever their age (``forget_nonces``).
        self.nonces_forgotten_until: datetime | None = None

    def register(self, add: AddRoute) -> None:
        add("GET", "/channels/{channel_id}/messages", self.list_messages)
        add("POST", "/channels/{channel_id}/messages", self.create_message)
        add("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        add("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        add("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        add("POST", "/channels/{channel_id}/typing", self.typing)
        add("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", self.add_reaction)
        add("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", self.remove_reaction)

    def forget_nonces(self) -> None:
        """Discord's nonce memory runs out for every message made so far, as it has after a downtime longer than
        ``nonce_memory``; messages made from now on are remembered as usual. A test that restarts the bot with its
        clock moved past that downtime calls this, so only the bot's own history look-up can prevent a repost."""
        self.nonces_forgotten_until = datetime.now(UTC)

    def _remembers(self, message: Message) -> bool:
        if self.nonces_forgotten_until is not None and message.created_at <= self.nonces_forgotten_until:
            return False
        return datetime.now(UTC) - message.created_at <= self.nonce_memory

    def _shares_guild(self, user_id: int) -> bool:
        return any(user_id in g.members for g in self.emu.world.bot_guilds())

    async def list_messages(self, req: RestRequest) -> RestResponse:
        channel = self.visible_channel(req)
        if not self.emu.world.permissions_in(channel, self.emu.world.bot.id) & Perm.READ_MESSAGE_HISTORY:
            return ok([])
        messages = self.emu.store.in_channel(channel.id)
        limit = max(1, min(int(req.query.get("limit", "50")), 100))
        if "before" in req.query:
            messages = [m for m in messages if m.id < int(req.query["before"])]
        if "after" in req.query:
            messages = [m for m in messages if m.id > int(req.query["after"])][:limit]
        newest_first = list(reversed(messages))[:limit]
        return ok([self.payload(m) for m in newest_first])

    async def create_message(self, req: RestRequest) -> RestResponse:
        emu = self.emu
        channel = self.visible_channel(req, need_view=False)
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
                # A forum holds posts (POST /channels/{id}/threads, discord_emulator/rest/channels.py), never messages.
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
                return ok(self.payload(existing))
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
        return ok(self.payload(message))

    async def get_message(self, req: RestRequest) -> RestResponse:
        channel = self.visible_channel(req)
        return ok(self.payload(self.channel_message(req, channel)))

    async def edit_message(self, req: RestRequest) -> RestResponse:
        channel = self.visible_channel(req)
        message = self.channel_message(req, channel)
        if message.author.id != self.emu.world.bot.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        self.emu.store.edit(message, req.json, req.files)
        await self.emu.publish_message("MESSAGE_UPDATE", message)
        await self.emu.store.notify()
        return ok(self.payload(message))

    async def delete_message(self, req: RestRequest) -> RestResponse:
        channel = self.visible_channel(req)
        message = self.channel_message(req, channel)
        world = self.emu.world
        if message.author.id != world.bot.id and not world.permissions_in(channel, world.bot.id) & Perm.MANAGE_MESSAGES:
            raise DiscordError(403, 50013, "Missing Permissions")
        self.emu.store.delete(message)
        await self.emu.publish_message("MESSAGE_DELETE", message)
        await self.emu.store.notify()
        return ok()

    async def typing(self, req: RestRequest) -> RestResponse:
        self.visible_channel(req)
        return ok()

    async def add_reaction(self, req: RestRequest) -> RestResponse:
        channel = self.visible_channel(req)
        message = self.channel_message(req, channel)
        world = self.emu.world
        emoji = req.params["emoji_name"]
        if not message.reactions.get(emoji) and not world.permissions_in(channel, world.bot.id) & Perm.ADD_REACTIONS:
            raise DiscordError(403, 50013, "Missing Permissions")
        message.reactions.setdefault(emoji, set()).add(world.bot.id)
        await self.emu.store.notify()
        return ok()

    async def remove_reaction(self, req: RestRequest) -> RestResponse:
        channel = self.visible_channel(req)
        message = self.channel_message(req, channel)
        message.reactions.get(req.params["emoji_name"], set()).discard(self.emu.world.bot.id)
        await self.emu.store.notify()
        return ok()
