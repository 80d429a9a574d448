"""Who a message would notify, given its content, allowed_mentions and the author's permissions (Discord's rules)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from discord_emulator.permissions import Perm
from discord_emulator.world import Channel, Guild, World

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@!?(\d{15,21})>|<@&(\d{15,21})>|@(everyone|here)")


@dataclass
class MentionOutcome:
    users: list[int] = field(default_factory=list)
    roles: list[int] = field(default_factory=list)
    everyone: bool = False
    pings: list[str] = field(default_factory=list)


def allowed_mentions_problem(allowed: Any) -> str | None:
    """Discord rejects these combinations with 400 Invalid Form Body."""
    if not isinstance(allowed, dict):
        return None
    parse = allowed.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            return f"parse:[{kind!r}] and {kind}:[...] are mutually exclusive"
    return None


def resolve_mentions(
    world: World,
    channel: Channel,
    content: str,
    allowed: dict[str, Any] | None,
    *,
    author_id: int,
    replied_user_id: int | None = None,
) -> MentionOutcome:
    """Apply Discord's mention rules.

    With no allowed_mentions everything in the content is parsed (users, roles, @everyone/@here). Embeds never
    ping. Roles ping when mentionable or when the author has Mention Everyone; @everyone/@here need Mention
    Everyone. A reply pings its author unless allowed_mentions was given without replied_user=true.
    """
    outcome = MentionOutcome()
    guild: Guild | None = world.guild_of(channel)
    perms = world.permissions_in(channel, author_id)
    can_mention_everyone = bool(perms & Perm.MENTION_EVERYONE)
    if allowed is None:
        parse = {"users", "roles", "everyone"}
        users_allowed: set[int] = set()
        roles_allowed: set[int] = set()
        replied = True
    else:
        parse = {p for p in allowed.get("parse") or [] if isinstance(p, str)}
        users_allowed = {int(u) for u in allowed.get("users") or [] if u is not None}
        roles_allowed = {int(r) for r in allowed.get("roles") or [] if r is not None}
        replied = bool(allowed.get("replied_user", False))

    for match in _MENTION.finditer(content or ""):
        user_id, role_id, everyone = match.groups()
        if user_id is not None:
            uid = int(user_id)
            allowed_user = "users" in parse or uid in users_allowed
            if allowed_user and uid not in outcome.users and world.get_user(uid) is not None:
                outcome.users.append(uid)
        elif role_id is not None:
            rid = int(role_id)
            role = guild.roles.get(rid) if guild else None
            if role is None or rid in outcome.roles:
                continue
            if "roles" in parse or rid in roles_allowed:
                outcome.roles.append(rid)
        elif everyone is not None and "everyone" in parse and can_mention_everyone:
            outcome.everyone = True
            token = f"@{everyone}"
            if token not in outcome.pings:
                outcome.pings.append(token)

    if replied_user_id is not None and replied and replied_user_id not in outcome.users:
        outcome.users.append(replied_user_id)

    for uid in outcome.users:
        if uid == author_id:
            continue
        if _user_can_see(world, channel, uid):
            outcome.pings.append(f"<@{uid}>")
    for rid in outcome.roles:
        role = guild.roles[rid] if guild else None
        if role is not None and (role.mentionable or can_mention_everyone):
            outcome.pings.append(f"<@&{rid}>")
    return outcome


def _user_can_see(world: World, channel: Channel, user_id: int) -> bool:
    if channel.is_dm:
        return channel.recipient_id == user_id
    return bool(world.permissions_in(channel, user_id) & Perm.VIEW_CHANNEL)
