"""Channels, threads and forum channels, as Discord serves them: a channel the bot can see (``GET /channels/{id}``),
forum posts, threads from a message or without one, editing a forum's tags and a thread's name, state and tags, each
with Discord's permission checks.

Routes:

- ``POST /channels/{id}/threads``: in a forum (type 15) a post, which is a public thread and its first message (the
  message gets the thread's id), needing Send Messages in the forum; ``applied_tags`` must be the forum's own (at most
  5), a moderated tag needs Manage Threads. In a text channel a thread without a message: Create Public Threads (type
  11) or Create Private Threads (type 12). The answer is 201 with the thread (and its ``message`` for a post).
- ``POST /channels/{id}/messages/{message_id}/threads``: a public thread on a message, with the message's id; Create
  Public Threads in the channel; one thread per message (160004).
- ``PATCH /channels/{id}``: a server channel's name, topic and, for a forum, ``available_tags`` (at most 20; a tag
  without an id is new; a tag left out is deleted and leaves the posts that carried it), needing Manage Channels; a
  thread's name, archived, locked, auto_archive_duration and ``applied_tags``, needing Manage Threads (only
  unarchiving an unlocked thread needs no more than Send Messages), as Discord's documentation states it. A thread's
  permissions are its parent's (``World.permissions_in``).

Every change reaches the bot as Discord sends it: THREAD_CREATE (``newly_created``) and the post's MESSAGE_CREATE,
THREAD_UPDATE, CHANNEL_UPDATE. A message sent to a forum itself is refused (50008) by the message route.

Not emulated: the ``thread`` field Discord adds to a message a thread was started from (and its MESSAGE_UPDATE), thread
members, and the per-thread counters (``message_count`` stays 0).
"""

from __future__ import annotations

import logging
from typing import Any

from discord_emulator.models import JsonDict
from discord_emulator.payloads import channel_payload
from discord_emulator.permissions import Perm
from discord_emulator.rest.core import AddRoute, Resource
from discord_emulator.rest.http import DiscordError, RestRequest, RestResponse, form_error, ok, require_content
from discord_emulator.world import Channel, ChannelType, ForumTag

log = logging.getLogger(__name__)

MAX_APPLIED_TAGS = 5
MAX_FORUM_TAGS = 20
MAX_TAG_NAME = 20
"""Discord's documented limit on a forum tag's name (the OpenAPI spec says 50; the client and the API stop at 20)."""
MAX_THREAD_NAME = 100
ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})

TEXT_PARENTS = frozenset({ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT})


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


def wrong_channel_type() -> DiscordError:
    return DiscordError(400, 50024, "Cannot execute action on this channel type")


class ChannelRoutes(Resource):
    """The channel, thread and forum routes of the REST API (see the module docstring)."""

    def register(self, add: AddRoute) -> None:
        add("GET", "/channels/{channel_id}", self.get_channel)
        add("POST", "/channels/{channel_id}/threads", self.create_thread)
        add("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.create_thread_from_message)
        add("PATCH", "/channels/{channel_id}", self.edit_channel)

    # ----- helpers --------------------------------------------------------------------------------------------

    def _bot_perms(self, channel: Channel) -> int:
        world = self.emu.world
        return world.permissions_in(channel, world.bot.id)

    def _name(self, body: JsonDict, *, required: bool) -> str | None:
        raw = body.get("name")
        if raw is None and not required:
            return None
        name = str(raw or "").strip()
        if not 1 <= len(name) <= MAX_THREAD_NAME:
            raise form_error([("name", f"Must be between 1 and {MAX_THREAD_NAME} in length.")])
        return name

    def _applied_tags(self, forum: Channel, raw: Any, field: str) -> list[int]:
        """The tags a post is given: the forum's own, at most five, moderated ones only with Manage Threads."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise form_error([(field, "Must be an array of tag ids.")])
        known = {tag.id: tag for tag in forum.available_tags}
        picked: list[int] = []
        for position, value in enumerate(raw):
            try:
                tag_id = int(value)
            except (TypeError, ValueError):
                raise form_error([(f"{field}[{position}]", "Value is not snowflake.")]) from None
            if tag_id not in known:
                raise form_error([(f"{field}[{position}]", "Unknown tag.")])
            if tag_id not in picked:
                picked.append(tag_id)
        if len(picked) > MAX_APPLIED_TAGS:
            raise form_error([(field, f"Must be {MAX_APPLIED_TAGS} or fewer in length.")])
        return picked

    def _moderated_change(self, forum: Channel, before: list[int], after: list[int]) -> bool:
        moderated = {tag.id for tag in forum.available_tags if tag.moderated}
        return bool(moderated & (set(before) ^ set(after)))

    async def _announce_thread(self, thread: Channel, event: str) -> JsonDict:
        payload = channel_payload(self.emu.world, thread)
        data = {**payload, "newly_created": True} if event == "THREAD_CREATE" else payload
        await self.emu.gateway.dispatch(event, data, guild_id=thread.guild_id)
        return payload

    # ----- a channel -------------------------------------------------------------------------------------------

    async def get_channel(self, req: RestRequest) -> RestResponse:
        return ok(channel_payload(self.emu.world, self.visible_channel(req)))

    # ----- creating threads -----------------------------------------------------------------------------------

    async def create_thread(self, req: RestRequest) -> RestResponse:
        channel = self.visible_channel(req)
        if channel.is_forum:
            return await self._create_post(req, channel)
        if channel.type not in TEXT_PARENTS:
            raise wrong_channel_type()
        body = req.json
        name = self._name(body, required=True)
        assert name is not None
        # Discord's default is a private thread (type 12), as when the API first had threads; discord.py says which.
        kind = int(body.get("type") or ChannelType.PRIVATE_THREAD)
        if channel.type == ChannelType.GUILD_ANNOUNCEMENT or kind == ChannelType.PUBLIC_THREAD:
            private, needed = False, Perm.CREATE_PUBLIC_THREADS
        elif kind == ChannelType.PRIVATE_THREAD:
            private, needed = True, Perm.CREATE_PRIVATE_THREADS
        else:
            raise form_error([("type", f"{kind} is not a thread type.")])
        if not self._bot_perms(channel) & needed:
            raise missing_permissions()
        thread = self.emu.world.add_thread(channel, name, owner=self.emu.world.bot, private=private)
        payload = await self._announce_thread(thread, "THREAD_CREATE")
        await self.emu.store.notify()
        return ok(payload, 201)

    async def _create_post(self, req: RestRequest, forum: Channel) -> RestResponse:
        """A forum post: a public thread and its first message, which carries the thread's id."""
        emu = self.emu
        world = emu.world
        body = req.json
        first = body.get("message")
        if not isinstance(first, dict):
            raise form_error([("message", "This field is required")])
        perms = self._bot_perms(forum)
        if not perms & Perm.SEND_MESSAGES:
            raise missing_permissions()
        if req.files and not perms & Perm.ATTACH_FILES:
            raise missing_permissions()
        require_content(first, req.files)
        name = self._name(body, required=True)
        assert name is not None
        tags = self._applied_tags(forum, body.get("applied_tags"), "applied_tags")
        if self._moderated_change(forum, [], tags) and not perms & Perm.MANAGE_THREADS:
            raise missing_permissions()
        thread = world.add_thread(forum, name, owner=world.bot)
        thread.applied_tags = tags
        message = emu.store.create(channel=thread, author=world.bot, body=first, files=req.files, message_id=thread.id)
        forum.last_message_id = thread.id
        payload = await self._announce_thread(thread, "THREAD_CREATE")
        await emu.publish_message("MESSAGE_CREATE", message)
        await emu.store.notify()
        return ok({**payload, "message": self.payload(message)}, 201)

    async def create_thread_from_message(self, req: RestRequest) -> RestResponse:
        """A public thread on a message, with the message's id (one per message)."""
        emu = self.emu
        channel = self.visible_channel(req)
        if channel.type not in TEXT_PARENTS:
            raise wrong_channel_type()
        message = self.channel_message(req, channel)
        if not self._bot_perms(channel) & Perm.CREATE_PUBLIC_THREADS:
            raise missing_permissions()
        if emu.world.get_channel(message.id) is not None:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        name = self._name(req.json, required=True)
        assert name is not None
        thread = emu.world.add_thread(channel, name, owner=emu.world.bot, thread_id=message.id)
        payload = await self._announce_thread(thread, "THREAD_CREATE")
        await emu.store.notify()
        return ok(payload, 201)

    # ----- editing channels and threads -----------------------------------------------------------------------

    async def edit_channel(self, req: RestRequest) -> RestResponse:
        channel = self.visible_channel(req)
        if channel.is_dm:
            raise wrong_channel_type()
        if channel.is_thread:
            return await self._edit_thread(req, channel)
        if not self._bot_perms(channel) & Perm.MANAGE_CHANNELS:
            raise missing_permissions()
        body = req.json
        name = self._name(body, required=False)
        if "available_tags" in body:
            if not channel.is_forum:
                raise form_error([("available_tags", "Only forum channels have tags.")])
            self._replace_tags(channel, body.get("available_tags"))
        if name is not None:
            channel.name = name
        if "topic" in body:
            channel.topic = None if body.get("topic") is None else str(body.get("topic"))
        payload = channel_payload(self.emu.world, channel)
        await self.emu.gateway.dispatch("CHANNEL_UPDATE", payload, guild_id=channel.guild_id)
        await self.emu.store.notify()
        return ok(payload)

    def _replace_tags(self, forum: Channel, raw: Any) -> None:
        """The forum's tags become the list given: known ids are kept (renamed as given), tags without an id are new,
        tags left out are deleted (and taken off every post)."""
        if not isinstance(raw, list):
            raise form_error([("available_tags", "Must be an array of tags.")])
        if len(raw) > MAX_FORUM_TAGS:
            raise form_error([("available_tags", f"Must be {MAX_FORUM_TAGS} or fewer in length.")])
        known = {tag.id: tag for tag in forum.available_tags}
        tags: list[ForumTag] = []
        for position, item in enumerate(raw):
            where = f"available_tags[{position}]"
            if not isinstance(item, dict):
                raise form_error([(where, "Must be a tag object.")])
            name = str(item.get("name") or "").strip()
            if not 1 <= len(name) <= MAX_TAG_NAME:
                raise form_error([(f"{where}.name", f"Must be between 1 and {MAX_TAG_NAME} in length.")])
            if name.casefold() in {tag.name.casefold() for tag in tags}:
                raise form_error([(f"{where}.name", "Tag names must be unique.")])
            raw_id = item.get("id")
            tag_id = int(raw_id) if raw_id not in (None, "", 0, "0") else None
            if tag_id is not None and tag_id not in known:
                raise form_error([(f"{where}.id", "Unknown tag.")])
            tag = ForumTag(
                tag_id if tag_id is not None else self.emu.ids.next(),
                name,
                bool(item.get("moderated")),
                item.get("emoji_name") or None,
            )
            tags.append(tag)
        forum.available_tags = tags
        kept = {tag.id for tag in tags}
        world = self.emu.world
        guild = world.guild_of(forum)
        for thread in guild.channels.values() if guild is not None else ():
            if thread.parent_id == forum.id and thread.applied_tags:
                thread.applied_tags = [tag_id for tag_id in thread.applied_tags if tag_id in kept]

    async def _edit_thread(self, req: RestRequest, thread: Channel) -> RestResponse:
        body = {key: value for key, value in req.json.items() if value is not None}
        perms = self._bot_perms(thread)
        unarchiving_only = set(body) <= {"archived"} and body.get("archived") is False and not thread.locked
        if unarchiving_only:
            if not perms & Perm.SEND_MESSAGES:
                raise missing_permissions()
        elif not perms & Perm.MANAGE_THREADS:
            raise missing_permissions()
        if thread.archived and body.get("archived") is not False:
            raise DiscordError(400, 50083, "Thread is archived")
        name = self._name(body, required=False)
        parent = self.emu.world.get_channel(thread.parent_id) if thread.parent_id else None
        tags = thread.applied_tags
        if "applied_tags" in body:
            if parent is None or not parent.is_forum:
                raise form_error([("applied_tags", "Only posts in a forum channel have tags.")])
            tags = self._applied_tags(parent, body["applied_tags"], "applied_tags")
        duration = body.get("auto_archive_duration")
        if duration is not None and duration not in ARCHIVE_DURATIONS:
            raise form_error([("auto_archive_duration", f"{duration} is not one of {sorted(ARCHIVE_DURATIONS)}.")])
        if name is not None:
            thread.name = name
        thread.applied_tags = list(tags)
        if "archived" in body:
            thread.archived = bool(body["archived"])
        if "locked" in body:
            thread.locked = bool(body["locked"])
        payload = await self._announce_thread(thread, "THREAD_UPDATE")
        await self.emu.store.notify()
        return ok(payload)
