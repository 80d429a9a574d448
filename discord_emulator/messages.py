"""Message storage: create, edit and delete messages the way Discord does, and let tests wait for them."""

from __future__ import annotations

import asyncio
import copy
import logging
import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from discord_emulator.mentions import resolve_mentions
from discord_emulator.models import FLAG_EPHEMERAL, FLAG_LOADING, REQUEST_ANSWERED, Attachment, JsonDict, Message
from discord_emulator.snowflake import SnowflakeFactory
from discord_emulator.world import Channel, User, World

log = logging.getLogger(__name__)

# Flags a sender may set; the rest are Discord's to set.
_SETTABLE_FLAGS = (1 << 2) | (1 << 6) | (1 << 12) | (1 << 15)


@dataclass
class UploadedFile:
    """A `files[n]` part of a multipart/form-data body."""

    index: int
    filename: str
    data: bytes
    content_type: str | None = None


MessageListener = Callable[[str, Message], None]


def assign_component_ids(components: list[JsonDict]) -> list[JsonDict]:
    """Copy the components and number them depth-first from 1 where the sender gave no id, as Discord does."""
    result = copy.deepcopy(components)
    used: set[int] = set()

    def collect(items: list[JsonDict]) -> None:
        for item in items:
            if isinstance(item, dict):
                if isinstance(item.get("id"), int):
                    used.add(item["id"])
                for key in ("components",):
                    if isinstance(item.get(key), list):
                        collect(item[key])
                for key in ("accessory", "component"):
                    if isinstance(item.get(key), dict):
                        collect([item[key]])

    counter = 0

    def number(items: list[JsonDict]) -> None:
        nonlocal counter
        for item in items:
            if not isinstance(item, dict):
                continue
            if not isinstance(item.get("id"), int):
                counter += 1
                while counter in used:
                    counter += 1
                item["id"] = counter
            emoji = item.get("emoji")
            if isinstance(emoji, dict) and emoji.get("id") is None:
                # A unicode emoji has no id: Discord returns {"name": "👍"} without the null id clients send.
                item["emoji"] = {k: v for k, v in emoji.items() if k != "id" and v is not None}
            if isinstance(item.get("components"), list):
                number(item["components"])
            for key in ("accessory", "component"):
                if isinstance(item.get(key), dict):
                    number([item[key]])

    collect(result)
    number(result)
    return result


class MessageStore:
    def __init__(self, world: World, ids: SnowflakeFactory) -> None:
        self.world = world
        self.ids = ids
        self.by_id: dict[int, Message] = {}
        self.by_channel: dict[int, list[Message]] = {}
        self._nonces: dict[tuple[int, str], int] = {}
        self.listeners: list[MessageListener] = []
        # Every stored file by attachment id, so the emulator can serve attachment URLs.
        self.uploads: dict[int, Attachment] = {}
        self.changed = asyncio.Condition()
        self.attachment_base = "http://127.0.0.1:0/attachments"

    # ----- queries --------------------------------------------------------------------------------------------

    def get(self, message_id: int) -> Message | None:
        return self.by_id.get(message_id)

    def in_channel(
        self, channel_id: int, *, include_ephemeral: bool = False, include_deleted: bool = False
    ) -> list[Message]:
        return [
            m
            for m in self.by_channel.get(channel_id, [])
            if (include_ephemeral or not m.ephemeral) and (include_deleted or not m.deleted)
        ]

    def by_nonce(self, channel_id: int, nonce: str) -> Message | None:
        message_id = self._nonces.get((channel_id, nonce))
        return self.by_id.get(message_id) if message_id is not None else None

    # ----- changes --------------------------------------------------------------------------------------------

    def _emit(self, kind: str, message: Message) -> None:
        for listener in list(self.listeners):
            try:
                listener(kind, message)
            except Exception:
                log.exception("message listener failed for %s", kind)

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    def build_attachments(
        self,
        channel_id: int,
        declared: list[Any] | None,
        files: list[UploadedFile],
        existing: list[Attachment] | None = None,
    ) -> list[Attachment]:
        """Match `files[n]` parts to the body's `attachments` entries (by id n), keep listed existing ones."""
        by_index = {f.index: f for f in files}
        out: list[Attachment] = []
        old = {a.id: a for a in existing or []}
        used: set[int] = set()
        for entry in declared or []:
            if not isinstance(entry, dict):
                continue
            raw_id = entry.get("id")
            try:
                ref = int(raw_id) if raw_id is not None else None
            except (TypeError, ValueError):
                ref = None
            if ref is not None and ref in old:
                out.append(old[ref])
                continue
            upload = by_index.get(ref) if ref is not None else None
            if upload is None:
                continue
            used.add(upload.index)
            out.append(self._new_attachment(channel_id, upload, entry.get("filename"), entry.get("description")))
        for upload in files:
            if upload.index not in used:
                out.append(self._new_attachment(channel_id, upload, None, None))
        return out

    def _new_attachment(self, channel_id: int, upload: UploadedFile, filename: Any, description: Any) -> Attachment:
        attachment_id = self.ids.next()
        name = str(filename or upload.filename)
        content_type = upload.content_type
        if not content_type or content_type == "application/octet-stream":
            content_type = mimetypes.guess_type(name)[0] or content_type
        url = f"{self.attachment_base}/{channel_id}/{attachment_id}/{name}"
        attachment = Attachment(
            attachment_id, name, upload.data, url, content_type, description if description else None
        )
        self.uploads[attachment_id] = attachment
        return attachment

    def create(
        self,
        *,
        channel: Channel,
        author: User,
        body: JsonDict,
        files: list[UploadedFile] | None = None,
        type: int = 0,
        extra_flags: int = 0,
        interaction: tuple[int, int, User, str | None] | None = None,
        interaction_metadata: JsonDict | None = None,
        webhook_id: int | None = None,
        reference_id: int | None = None,
        message_id: int | None = None,
    ) -> Message:
        """Store a new message. `interaction` is (interaction id, interaction type, user, command name);
        `message_id` an id Discord gives it otherwise (a forum post's first message has the post's id)."""
        flags = (int(body.get("flags") or 0) & _SETTABLE_FLAGS) | extra_flags
        message = Message(
            id=message_id if message_id is not None else self.ids.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            type=type,
            flags=flags,
            tts=bool(body.get("tts")),
            nonce=body.get("nonce"),
            webhook_id=webhook_id,
            reference_id=reference_id,
        )
        if interaction is not None:
            message.interaction_id, message.interaction_type, message.interaction_user, message.command_name = (
                interaction
            )
            message.interaction_metadata = interaction_metadata
        self._fill(message, body, files or [], first=True)
        message.answered = REQUEST_ANSWERED.get()
        self.by_id[message.id] = message
        self.by_channel.setdefault(channel.id, []).append(message)
        channel.last_message_id = message.id
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[(channel.id, str(nonce))] = message.id
        self._emit("MESSAGE_CREATE", message)
        return message

    def _fill(self, message: Message, body: JsonDict, files: list[UploadedFile], *, first: bool) -> None:
        if "content" in body:
            message.content = str(body.get("content") or "")
        if "embeds" in body:
            message.embeds = [copy.deepcopy(e) for e in body.get("embeds") or [] if isinstance(e, dict)]
        elif "embed" in body and isinstance(body.get("embed"), dict):
            message.embeds = [copy.deepcopy(body["embed"])]
        if "components" in body:
            message.components = assign_component_ids(list(body.get("components") or []))
        if "attachments" in body or files:
            message.attachments = self.build_attachments(
                message.channel_id, body.get("attachments"), files, None if first else message.attachments
            )
        if "flags" in body and not first:
            keep = message.flags & ~_SETTABLE_FLAGS
            message.flags = (
                keep
                | (int(body.get("flags") or 0) & _SETTABLE_FLAGS & ~FLAG_EPHEMERAL)
                | (message.flags & FLAG_EPHEMERAL)
            )
        if first or "allowed_mentions" in body or message.loading:
            self._mentions(message, body)

    def _mentions(self, message: Message, body: JsonDict) -> None:
        channel = self.world.get_channel(message.channel_id)
        if channel is None:
            return
        allowed = body.get("allowed_mentions") if "allowed_mentions" in body else None
        message.allowed_mentions = copy.deepcopy(allowed) if isinstance(allowed, dict) else None
        replied_user: int | None = None
        if message.reference_id is not None:
            referenced = self.by_id.get(message.reference_id)
            if referenced is not None and not referenced.author.bot:
                replied_user = referenced.author.id
        outcome = resolve_mentions(
            self.world,
            channel,
            message.content,
            message.allowed_mentions,
            author_id=self.world.bot.id if message.author.bot else message.author.id,
            replied_user_id=replied_user,
        )
        message.mention_user_ids = outcome.users
        message.mention_role_ids = outcome.roles
        message.mention_everyone = outcome.everyone
        # An ephemeral message is shown to one user and notifies nobody; a loading placeholder has no content yet.
        message.pings = [] if message.ephemeral or message.loading else outcome.pings

    def edit(self, message: Message, body: JsonDict, files: list[UploadedFile] | None = None) -> Message:
        was_loading = message.loading
        if was_loading:
            # The deferred "is thinking..." placeholder becomes the real message; its mentions ping now.
            message.flags &= ~FLAG_LOADING
            message.created_at = datetime.now(UTC)
            self._fill(message, body, files or [], first=True)
        else:
            message.edited_at = datetime.now(UTC)
            self._fill(message, body, files or [], first=False)
        message.edits += 1
        message.answered = REQUEST_ANSWERED.get()
        self._emit("MESSAGE_UPDATE", message)
        return message

    def delete(self, message: Message) -> None:
        message.deleted = True
        self._emit("MESSAGE_DELETE", message)

    def add_user_message(self, channel: Channel, author: User, content: str) -> Message:
        return self.create(channel=channel, author=author, body={"content": content})
