"""Forum channels, forum posts, threads and channel edits in the emulator, checked at the REST level as Discord
answers them (permissions, shapes, limits), and the interaction data of a message context-menu command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from discord_emulator import Emulator, World
from discord_emulator.commands import MESSAGE_COMMAND, RegisteredCommand
from discord_emulator.context_menus import message_command_data
from discord_emulator.messages import MessageStore
from discord_emulator.payloads import channel_payload
from discord_emulator.permissions import Perm
from discord_emulator.snowflake import SnowflakeFactory
from discord_emulator.world import Channel, ChannelType, Overwrite, OverwriteType


class Api:
    """The bot's side of the REST API, by hand: what discord.py sends for each call."""

    def __init__(self, emu: Emulator, session: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.session = session

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bot {self.emu.token}"}
        async with self.session.request(method, self.emu.api_base + path, json=body, headers=headers) as response:
            data = await response.json() if response.content_type == "application/json" else None
            return response.status, data


@pytest_asyncio.fixture
async def api() -> AsyncIterator[Api]:
    world = World.default()
    hall = world.guild("IMG Study Hall")
    forum = world.add_channel(hall, "help-forum", type=ChannelType.GUILD_FORUM)
    world.add_forum_tag(forum, "USMLE")
    world.add_forum_tag(forum, "Staff pick", moderated=True)
    async with Emulator(world) as emu, aiohttp.ClientSession() as session:
        yield Api(emu, session)


def forum(api: Api) -> Channel:
    return api.emu.world.channel("help-forum")


def grant_bot(api: Api, channel: Channel, perms: Perm) -> None:
    world = api.emu.world
    guild = world.guild_of(channel)
    assert guild is not None
    channel.overwrites.append(Overwrite(world.bot_role(guild).id, OverwriteType.ROLE, allow=int(perms)))


def deny_bot(api: Api, channel: Channel, perms: Perm) -> None:
    channel.overwrites.append(Overwrite(api.emu.world.bot.id, OverwriteType.MEMBER, deny=int(perms)))


def post_body(name: str = "When is Step 2 CK?", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "auto_archive_duration": 1440,
        "type": 11,
        "message": {"content": "Asked anonymously: when is Step 2 CK?", "allowed_mentions": {"parse": []}},
        **extra,
    }


async def test_a_forum_channel_has_its_tags_in_its_payload(api: Api) -> None:
    payload = channel_payload(api.emu.world, forum(api))
    assert payload["type"] == 15
    assert [tag["name"] for tag in payload["available_tags"]] == ["USMLE", "Staff pick"]
    assert payload["available_tags"][1]["moderated"] is True
    assert not api.emu.contract.check_schema("GuildChannelResponse", payload)


async def test_a_forum_post_is_a_thread_whose_first_message_has_its_id(api: Api) -> None:
    usmle = forum(api).available_tags[0]
    status, data = await api.call("POST", f"/channels/{forum(api).id}/threads", post_body(applied_tags=[str(usmle.id)]))
    assert status == 201, data
    thread = api.emu.world.get_channel(int(data["id"]))
    assert thread is not None and thread.parent_id == forum(api).id and thread.type == ChannelType.PUBLIC_THREAD
    assert data["applied_tags"] == [str(usmle.id)] and thread.applied_tags == [usmle.id]
    assert data["owner_id"] == str(api.emu.world.bot.id)
    assert data["message"]["id"] == data["id"] and data["message"]["channel_id"] == data["id"]
    [first] = api.emu.messages_in(thread)
    assert first.content == "Asked anonymously: when is Step 2 CK?"
    assert forum(api).last_message_id == thread.id
    api.emu.assert_clean()


async def test_a_forum_post_needs_send_messages_and_known_tags(api: Api) -> None:
    deny_bot(api, forum(api), Perm.SEND_MESSAGES)
    status, data = await api.call("POST", f"/channels/{forum(api).id}/threads", post_body())
    assert (status, data["code"]) == (403, 50013)
    forum(api).overwrites.clear()
    status, data = await api.call("POST", f"/channels/{forum(api).id}/threads", post_body(applied_tags=["12345"]))
    assert (status, data["code"]) == (400, 50035)
    assert "applied_tags" in data["errors"]


async def test_a_moderated_tag_needs_manage_threads(api: Api) -> None:
    staff = forum(api).available_tags[1]
    body = post_body(applied_tags=[str(staff.id)])
    status, _ = await api.call("POST", f"/channels/{forum(api).id}/threads", body)
    assert status == 403
    grant_bot(api, forum(api), Perm.MANAGE_THREADS)
    status, _ = await api.call("POST", f"/channels/{forum(api).id}/threads", body)
    assert status == 201


async def test_a_message_cannot_be_sent_to_a_forum_itself(api: Api) -> None:
    status, data = await api.call("POST", f"/channels/{forum(api).id}/messages", {"content": "hello"})
    assert (status, data["code"]) == (400, 50008)


async def test_a_forum_posts_first_message_is_held_to_a_bots_limits(api: Api) -> None:
    body = post_body()
    body["message"]["content"] = "x" * 2001
    status, _ = await api.call("POST", f"/channels/{forum(api).id}/threads", body)
    assert status == 400
    assert any(v.field == "message.content" for v in api.emu.violations)


async def test_editing_a_forums_tags_needs_manage_channels(api: Api) -> None:
    existing = [{"id": str(t.id), "name": t.name, "moderated": t.moderated} for t in forum(api).available_tags]
    body = {"available_tags": [*existing, {"name": "Answered", "moderated": False, "emoji_name": "✅"}]}
    status, data = await api.call("PATCH", f"/channels/{forum(api).id}", body)
    assert (status, data["code"]) == (403, 50013)
    grant_bot(api, forum(api), Perm.MANAGE_CHANNELS)
    status, data = await api.call("PATCH", f"/channels/{forum(api).id}", body)
    assert status == 200, data
    assert [tag["name"] for tag in data["available_tags"]] == ["USMLE", "Staff pick", "Answered"]
    assert data["available_tags"][0]["id"] == existing[0]["id"]  # kept, not re-created
    assert [tag.name for tag in forum(api).available_tags] == ["USMLE", "Staff pick", "Answered"]


async def test_forum_tags_are_at_most_twenty_of_at_most_twenty_characters(api: Api) -> None:
    grant_bot(api, forum(api), Perm.MANAGE_CHANNELS)
    too_many = {"available_tags": [{"name": f"Tag {n}"} for n in range(21)]}
    status, _ = await api.call("PATCH", f"/channels/{forum(api).id}", too_many)
    assert status == 400
    long_name = {"available_tags": [{"name": "A name of twenty-one!"}]}
    status, _ = await api.call("PATCH", f"/channels/{forum(api).id}", long_name)
    assert status == 400
    assert any(v.field == "available_tags[0].name" for v in api.emu.violations)


async def test_a_removed_tag_leaves_the_posts_that_carried_it(api: Api) -> None:
    usmle, staff = forum(api).available_tags
    grant_bot(api, forum(api), Perm.MANAGE_CHANNELS | Perm.MANAGE_THREADS)
    _, post = await api.call("POST", f"/channels/{forum(api).id}/threads", post_body(applied_tags=[str(usmle.id)]))
    status, _ = await api.call(
        "PATCH", f"/channels/{forum(api).id}", {"available_tags": [{"id": str(staff.id), "name": "Staff"}]}
    )
    assert status == 200
    thread = api.emu.world.get_channel(int(post["id"]))
    assert thread is not None and thread.applied_tags == []


async def test_a_posts_tags_change_with_manage_threads(api: Api) -> None:
    usmle, staff = forum(api).available_tags
    _, post = await api.call("POST", f"/channels/{forum(api).id}/threads", post_body(applied_tags=[str(usmle.id)]))
    path = f"/channels/{post['id']}"
    status, data = await api.call("PATCH", path, {"applied_tags": [str(usmle.id), str(staff.id)]})
    assert (status, data["code"]) == (403, 50013)
    grant_bot(api, forum(api), Perm.MANAGE_THREADS)
    status, data = await api.call("PATCH", path, {"applied_tags": [str(usmle.id), str(staff.id)]})
    assert status == 200, data
    assert data["applied_tags"] == [str(usmle.id), str(staff.id)]
    too_many = [str(usmle.id)] * 6
    status, _ = await api.call("PATCH", path, {"applied_tags": too_many})
    assert status == 200  # the same tag six times is one tag
    status, _ = await api.call("PATCH", path, {"applied_tags": ["1"]})
    assert status == 400


async def test_a_thread_is_renamed_with_manage_threads_and_unarchived_with_send_messages(api: Api) -> None:
    thread = api.emu.world.channel("USMLE Step 1 prep")
    status, _ = await api.call("PATCH", f"/channels/{thread.id}", {"name": "✅ USMLE Step 1 prep"})
    assert status == 403
    thread.archived = True
    status, _ = await api.call("PATCH", f"/channels/{thread.id}", {"archived": False})
    assert status == 200 and not thread.archived
    grant_bot(api, api.emu.world.channel("study-room"), Perm.MANAGE_THREADS)
    status, data = await api.call("PATCH", f"/channels/{thread.id}", {"name": "✅ USMLE Step 1 prep"})
    assert status == 200 and data["name"] == "✅ USMLE Step 1 prep" and thread.name == "✅ USMLE Step 1 prep"
    status, _ = await api.call("PATCH", f"/channels/{thread.id}", {"applied_tags": []})
    assert status == 400  # a thread outside a forum has no tags
    thread.archived = True
    status, data = await api.call("PATCH", f"/channels/{thread.id}", {"name": "Step 1"})
    assert (status, data["code"]) == (400, 50083)


async def test_a_thread_on_a_message_has_its_id_and_needs_create_public_threads(api: Api) -> None:
    general = api.emu.world.channel("general")
    _, message = await api.call("POST", f"/channels/{general.id}/messages", {"content": "A question"})
    path = f"/channels/{general.id}/messages/{message['id']}/threads"
    body = {"name": "A question", "auto_archive_duration": 1440}
    deny_bot(api, general, Perm.CREATE_PUBLIC_THREADS)
    status, data = await api.call("POST", path, body)
    assert (status, data["code"]) == (403, 50013)
    general.overwrites.clear()
    status, data = await api.call("POST", path, body)
    assert status == 201, data
    assert data["id"] == message["id"] and data["parent_id"] == str(general.id) and data["type"] == 11
    assert "applied_tags" not in data
    status, data = await api.call("POST", path, body)
    assert (status, data["code"]) == (400, 160004)
    thread_id = message["id"]
    status, _ = await api.call("POST", f"/channels/{thread_id}/messages", {"content": "An answer"})
    assert status == 200
    assert api.emu.contract.schema_status.startswith("active"), api.emu.contract.schema_status
    api.emu.assert_clean()


async def test_sending_in_a_thread_needs_send_messages_in_threads(api: Api) -> None:
    thread = api.emu.world.channel("USMLE Step 1 prep")
    deny_bot(api, api.emu.world.channel("study-room"), Perm.SEND_MESSAGES_IN_THREADS)
    status, data = await api.call("POST", f"/channels/{thread.id}/messages", {"content": "hi"})
    assert (status, data["code"]) == (403, 50013)


async def test_threads_without_a_message_by_type(api: Api) -> None:
    general = api.emu.world.channel("general")
    status, data = await api.call(
        "POST", f"/channels/{general.id}/threads", {"name": "Private", "type": 12, "auto_archive_duration": 60}
    )
    assert status == 403  # the bot's role has no Create Private Threads
    status, data = await api.call(
        "POST", f"/channels/{general.id}/threads", {"name": "Open", "type": 11, "auto_archive_duration": 60}
    )
    assert status == 201 and data["type"] == 11
    thread = api.emu.world.get_channel(int(data["id"]))
    status, data = await api.call("POST", f"/channels/{data['id']}/threads", {"name": "Nested", "type": 11})
    assert thread is not None and (status, data["code"]) == (400, 50024)


def test_a_message_command_carries_its_target_message_whole() -> None:
    world = World.default()
    general = world.channel("general")
    command = RegisteredCommand(1, world.application_id, None, "Mark as answer", MESSAGE_COMMAND, "")
    store = MessageStore(world, SnowflakeFactory())
    message = store.add_user_message(general, world.users["bob"], "Step 2 CK opens in May.")
    data = message_command_data(world, command, message)
    assert data["type"] == MESSAGE_COMMAND and data["target_id"] == str(message.id) and "guild_id" not in data
    resolved = data["resolved"]["messages"][str(message.id)]
    assert resolved["content"] == "Step 2 CK opens in May." and resolved["author"]["id"] == str(world.users["bob"].id)
    chat = RegisteredCommand(2, world.application_id, None, "ask", 1, "Ask")
    with pytest.raises(ValueError, match="not a message command"):
        message_command_data(world, chat, message)
