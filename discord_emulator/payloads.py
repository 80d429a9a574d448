"""JSON payloads shaped like Discord's, built from the world (checked against the OpenAPI spec's *Response schemas)."""

from __future__ import annotations

import base64
import hashlib
import logging
import urllib.parse
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from discord_emulator.models import Attachment, JsonDict, Message
from discord_emulator.snowflake import snowflake_time
from discord_emulator.world import Channel, ChannelType, ForumTag, Guild, Member, Role, ScheduledEvent, User, World

log = logging.getLogger(__name__)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def user_payload(user: User) -> JsonDict:
    payload: JsonDict = {
        "id": str(user.id),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": user.avatar,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }
    if user.bot:
        payload["bot"] = True
    return payload


def current_user_payload(user: User) -> JsonDict:
    """GET /users/@me: the bot's own account, with the private fields."""
    payload = user_payload(user)
    payload.update({"mfa_enabled": False, "locale": "en-US", "verified": True, "email": None, "premium_type": 0})
    return payload


def role_payload(role: Role) -> JsonDict:
    payload: JsonDict = {
        "id": str(role.id),
        "name": role.name,
        "permissions": str(role.permissions),
        "position": role.position,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "managed": role.managed,
        "mentionable": role.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if role.bot_id is not None:
        payload["tags"] = {"bot_id": str(role.bot_id)}
    return payload


def member_payload(member: Member, *, permissions: int | None = None, with_user: bool = True) -> JsonDict:
    payload: JsonDict = {
        "roles": [str(r) for r in member.roles],
        "nick": member.nick,
        "avatar": None,
        "banner": None,
        "joined_at": iso(member.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        payload["user"] = user_payload(member.user)
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def _overwrites(channel: Channel) -> list[JsonDict]:
    return [
        {"id": str(ow.id), "type": int(ow.type), "allow": str(ow.allow), "deny": str(ow.deny)}
        for ow in channel.overwrites
    ]


def channel_payload(world: World, channel: Channel, *, with_guild_id: bool = True) -> JsonDict:
    """A guild channel, thread or DM. Channels inside GUILD_CREATE carry no guild_id, as on Discord."""
    if channel.is_dm:
        recipient = world.get_user(channel.recipient_id or 0)
        return {
            "id": str(channel.id),
            "type": int(ChannelType.DM),
            "last_message_id": str(channel.last_message_id) if channel.last_message_id else None,
            "flags": 0,
            "recipients": [user_payload(recipient)] if recipient else [],
        }
    payload: JsonDict = {
        "id": str(channel.id),
        "type": int(channel.type),
        "name": channel.name,
        "flags": 0,
        "parent_id": str(channel.parent_id) if channel.parent_id else None,
        "last_message_id": str(channel.last_message_id) if channel.last_message_id else None,
        "rate_limit_per_user": channel.rate_limit_per_user,
    }
    if channel.is_thread:
        created = snowflake_time(channel.id)
        payload.update(
            {
                "owner_id": str(channel.owner_id or 0),
                "message_count": 0,
                "member_count": 1,
                "total_message_sent": 0,
                "thread_metadata": {
                    "archived": channel.archived,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": iso(created),
                    "locked": channel.locked,
                    "create_timestamp": iso(created),
                },
            }
        )
        parent = world.get_channel(channel.parent_id) if channel.parent_id else None
        if parent is not None and parent.is_forum:
            # A forum post: the tags it carries, in the order they were applied (order matters to clients).
            payload["applied_tags"] = [str(tag_id) for tag_id in channel.applied_tags]
    else:
        payload.update(
            {
                "position": channel.position,
                "permission_overwrites": _overwrites(channel),
                "nsfw": channel.nsfw,
            }
        )
        if channel.type != ChannelType.GUILD_CATEGORY:
            payload["topic"] = channel.topic
        if channel.is_forum:
            payload.update(
                {
                    "available_tags": [forum_tag_payload(tag) for tag in channel.available_tags],
                    "default_reaction_emoji": None,
                    "default_sort_order": None,
                    "default_forum_layout": 0,
                    "default_tag_setting": "match_some",
                    "default_auto_archive_duration": 1440,
                    "default_thread_rate_limit_per_user": 0,
                }
            )
    if with_guild_id or channel.is_thread:
        payload["guild_id"] = str(channel.guild_id)
    return payload


def forum_tag_payload(tag: ForumTag) -> JsonDict:
    return {
        "id": str(tag.id),
        "name": tag.name,
        "moderated": tag.moderated,
        "emoji_id": None,
        "emoji_name": tag.emoji_name,
    }


def guild_create_payload(
    world: World, guild: Guild, *, members: Iterable[Member] | None = None, large_threshold: int = 250
) -> JsonDict:
    """The GUILD_CREATE event: the whole server with `members` (default: all of them; the gateway passes what
    Discord would send the session, see `Gateway.guild_create`). `member_count` is always the real count, so a
    bot that was sent fewer members and wants them all asks with REQUEST_GUILD_MEMBERS, as on Discord.

    No `unavailable` key: discord.py treats `"unavailable": false` as an outage ending (on_guild_available) and
    only a GUILD_CREATE without it as a join (on_guild_join).
    """
    listed = guild.members.values() if members is None else members
    return {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": guild.description,
        "owner_id": str(guild.owner_id),
        "application_id": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": str(guild.system_channel_id) if guild.system_channel_id else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "features": [],
        "emojis": [],
        "stickers": [],
        "mfa_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": guild.preferred_locale,
        "nsfw_level": 0,
        "max_members": 500000,
        "vanity_url_code": None,
        "premium_progress_bar_enabled": False,
        "joined_at": iso(guild.joined_at),
        "large": len(guild.members) > large_threshold,
        "member_count": len(guild.members),
        "roles": [role_payload(r) for r in guild.roles.values()],
        "channels": [channel_payload(world, c, with_guild_id=False) for c in guild.live_channels()],
        "threads": [channel_payload(world, t) for t in guild.live_threads()],
        "members": [member_payload(m) for m in listed],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [scheduled_event_payload(world, e) for e in guild.scheduled_events.values()],
        "soundboard_sounds": [],
        "embedded_activities": [],
    }


def guild_payload(guild: Guild, *, with_counts: bool) -> JsonDict:
    """GET /guilds/{id}: the REST shape (no channels or members)."""
    payload: JsonDict = {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "description": guild.description,
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "features": [],
        "banner": None,
        "owner_id": str(guild.owner_id),
        "application_id": None,
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": str(guild.system_channel_id) if guild.system_channel_id else None,
        "system_channel_flags": 0,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 1,
        "roles": [role_payload(r) for r in guild.roles.values()],
        "default_message_notifications": 1,
        "mfa_level": 0,
        "explicit_content_filter": 2,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": guild.preferred_locale,
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "premium_progress_bar_enabled": False,
        "nsfw": False,
        "nsfw_level": 0,
        "emojis": [],
        "stickers": [],
        "incidents_data": None,
    }
    if with_counts:
        payload["approximate_member_count"] = len(guild.members)
        payload["approximate_presence_count"] = 0
    return payload


def scheduled_event_payload(world: World, event: ScheduledEvent) -> JsonDict:
    creator = world.get_user(event.creator_id) if event.creator_id else None
    payload: JsonDict = {
        "id": str(event.id),
        "guild_id": str(event.guild_id),
        "name": event.name,
        "description": event.description,
        "channel_id": str(event.channel_id) if event.channel_id else None,
        "creator_id": str(event.creator_id) if event.creator_id else None,
        "image": None,
        "scheduled_start_time": iso(event.scheduled_start_time),
        "scheduled_end_time": iso(event.scheduled_end_time),
        "status": event.status,
        "entity_type": event.entity_type,
        "entity_id": None,
        "recurrence_rule": None,
        "privacy_level": event.privacy_level,
        "guild_scheduled_event_exceptions": [],
        "entity_metadata": {"location": event.location} if event.location is not None else None,
        "user_count": 0,
    }
    if creator is not None:
        payload["creator"] = user_payload(creator)
    return payload


def attachment_payload(attachment: Attachment) -> JsonDict:
    payload: JsonDict = {
        "id": str(attachment.id),
        "filename": attachment.filename,
        "size": attachment.size,
        "url": attachment.url,
        "proxy_url": attachment.url,
    }
    if attachment.content_type:
        payload["content_type"] = attachment.content_type
    if attachment.description:
        payload["description"] = attachment.description
    return payload


def message_payload(world: World, message: Message, *, referenced: Message | None = None) -> JsonDict:
    mentions = [user_payload(u) for u in (world.get_user(uid) for uid in message.mention_user_ids) if u is not None]
    payload: JsonDict = {
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        "type": message.type,
        "content": message.content,
        "author": user_payload(message.author),
        "timestamp": iso(message.created_at),
        "edited_timestamp": iso(message.edited_at),
        "flags": message.flags,
        "tts": message.tts,
        "mention_everyone": message.mention_everyone,
        "mentions": mentions,
        "mention_roles": [str(r) for r in message.mention_role_ids],
        "attachments": [attachment_payload(a) for a in message.attachments],
        "embeds": [_embed_response(e) for e in message.embeds],
        "components": message.components,
        "pinned": False,
    }
    if message.nonce is not None:
        payload["nonce"] = message.nonce
    if message.webhook_id is not None:
        payload["webhook_id"] = str(message.webhook_id)
        payload["application_id"] = str(message.webhook_id)
    if message.interaction_metadata is not None:
        payload["interaction_metadata"] = message.interaction_metadata
    if message.reference_id is not None:
        payload["message_reference"] = {
            "type": 0,
            "channel_id": str(message.channel_id),
            "message_id": str(message.reference_id),
        }
        if message.guild_id is not None:
            payload["message_reference"]["guild_id"] = str(message.guild_id)
        payload["referenced_message"] = message_payload(world, referenced) if referenced else None
    if message.reactions:
        payload["reactions"] = [
            {
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": world.bot.id in users,
                "me_burst": False,
                "burst_me": False,
                "burst_colors": [],
                "burst_count": 0,
                "emoji": {"id": None, "name": emoji},
            }
            for emoji, users in message.reactions.items()
            if users
        ]
    return payload


def _embed_response(embed: JsonDict) -> JsonDict:
    # Discord fills in the type and drops nulls; discord.py sends "type": "rich" already.
    out = {k: v for k, v in embed.items() if v is not None}
    out.setdefault("type", "rich")
    for part in ("footer", "author"):
        # An icon is kept as it was sent (icon_url) and shown through Discord's media proxy (proxy_icon_url).
        icon = out[part].get("icon_url") if isinstance(out.get(part), dict) else None
        if isinstance(icon, str) and icon.startswith(("https://", "http://")):
            out[part] = {**out[part], "proxy_icon_url": _media_proxy_url(icon)}
    return out


def _media_proxy_url(url: str) -> str:
    """Discord's media proxy address of an external image, shaped as Discord shapes it (a signature, the query, the
    scheme, host and path); a URL's fragment is never part of it, since a fragment never reaches a server."""
    parts = urllib.parse.urlsplit(url)
    signature = base64.urlsafe_b64encode(hashlib.sha256(url.encode()).digest()).decode().rstrip("=")
    query = "/" + urllib.parse.quote(f"?{parts.query}", safe="") if parts.query else ""
    return f"https://images-ext-1.discordapp.net/external/{signature}{query}/{parts.scheme}/{parts.netloc}{parts.path}"


# Application flags that mirror the Developer Portal's privileged intent switches (the _LIMITED variants: a bot in
# fewer than 100 servers, not verified), keyed by the gateway intent each one allows.
GATEWAY_PRESENCE_LIMITED = 1 << 13
GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19
_INTENT_FLAGS = {
    1 << 8: GATEWAY_PRESENCE_LIMITED,
    1 << 1: GATEWAY_GUILD_MEMBERS_LIMITED,
    1 << 15: GATEWAY_MESSAGE_CONTENT_LIMITED,
}


def application_flags(world: World) -> int:
    """The application's ``flags`` as Discord reports them: one flag per privileged intent switched on in the portal
    (``world.privileged_intents``), so what GET /applications/@me says and what the gateway allows always agree."""
    flags = 0
    for intent, flag in _INTENT_FLAGS.items():
        if world.privileged_intents & intent:
            flags |= flag
    return flags


def application_payload(world: World) -> JsonDict:
    """GET /oauth2/applications/@me, with what appinfo.py reads and what PrivateApplicationResponse requires."""
    return {
        "id": str(world.application_id),
        "name": world.application_name,
        "icon": None,
        "description": "A study companion for International Medical Graduates.",
        "type": None,
        "bot": user_payload(world.bot),
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "a" * 64,
        "flags": application_flags(world),
        "flags_new": str(application_flags(world)),
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "owner": user_payload(world.application_owner),
        "approximate_guild_count": len(world.bot_guilds()),
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": None,
        "eligible_oauth2_scopes": ["bot", "applications.commands"],
        "summary": "",
        "tags": [],
        "integration_types_config": {"0": {}, "1": {}},
    }


def ready_payload(
    world: World, *, session_id: str, resume_url: str, shard: list[int] | None, guilds: list[Guild]
) -> JsonDict:
    payload: JsonDict = {
        "v": 10,
        "user": {**user_payload(world.bot), "verified": True, "mfa_enabled": False, "email": None},
        "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
        "session_id": session_id,
        "resume_gateway_url": resume_url,
        "application": {"id": str(world.application_id), "flags": application_flags(world)},
        "private_channels": [],
        "presences": [],
        "relationships": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["us-east", "us-central"],
        "session_type": "normal",
        "user_settings": {},
        "auth": {},
    }
    if shard is not None:
        payload["shard"] = shard
    return payload


def strip_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
