"""Discord permission bits and the channel permission algorithm (base permissions, then overwrites)."""

from __future__ import annotations

import logging
from enum import IntFlag

log = logging.getLogger(__name__)


class Perm(IntFlag):
    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    MODERATE_MEMBERS = 1 << 40
    CREATE_EVENTS = 1 << 44
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50


ALL_PERMISSIONS = (1 << 53) - 1

# What a freshly created server grants @everyone, minus "Mention @everyone", which community servers switch off.
EVERYONE_DEFAULT = (
    Perm.CREATE_INSTANT_INVITE
    | Perm.ADD_REACTIONS
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CHANGE_NICKNAME
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.CREATE_PUBLIC_THREADS
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.SEND_POLLS
    | Perm.USE_EXTERNAL_APPS
)

# The permissions an admin ticks on the bot's invite link.
BOT_DEFAULT = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.MENTION_EVERYONE
    | Perm.MANAGE_ROLES
    | Perm.MANAGE_EVENTS
    | Perm.CREATE_EVENTS
)

MODERATOR = Perm.MANAGE_GUILD | Perm.MANAGE_CHANNELS | Perm.MANAGE_MESSAGES | Perm.MANAGE_EVENTS | Perm.MANAGE_THREADS

# Without Send Messages these are meaningless, and Discord strips them from the computed set.
_NEEDS_SEND = Perm.SEND_TTS_MESSAGES | Perm.MENTION_EVERYONE | Perm.ATTACH_FILES | Perm.EMBED_LINKS


def apply_overwrites(
    base: int,
    *,
    everyone: tuple[int, int] | None,
    roles: list[tuple[int, int]],
    member: tuple[int, int] | None,
) -> int:
    """Discord's order: @everyone overwrite, then all role overwrites together, then the member overwrite.

    Each pair is (allow, deny).
    """
    if base & Perm.ADMINISTRATOR:
        return ALL_PERMISSIONS
    perms = base
    if everyone is not None:
        perms &= ~everyone[1]
        perms |= everyone[0]
    allow = deny = 0
    for role_allow, role_deny in roles:
        allow |= role_allow
        deny |= role_deny
    perms &= ~deny
    perms |= allow
    if member is not None:
        perms &= ~member[1]
        perms |= member[0]
    if not perms & Perm.VIEW_CHANNEL:
        return 0
    if not perms & Perm.SEND_MESSAGES:
        perms &= ~_NEEDS_SEND
    return perms
