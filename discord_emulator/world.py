"""The emulated Discord world: servers, channels, threads, roles, members and users, as plain dataclasses.

`World.default()` is the small, realistic world the tests and local mode use; `World.generate()` builds thousands of
servers quickly for benchmarks. Payload rendering lives in `payloads.py`; this module only holds state and the
permission rules that decide what the bot may do.
"""

from __future__ import annotations

import logging
import random
import secrets
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import IntEnum

from discord_emulator.permissions import (
    ALL_PERMISSIONS,
    BOT_DEFAULT,
    EVERYONE_DEFAULT,
    MODERATOR,
    Perm,
    apply_overwrites,
)
from discord_emulator.snowflake import SnowflakeFactory

log = logging.getLogger(__name__)


class ChannelType(IntEnum):
    GUILD_TEXT = 0
    DM = 1
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_FORUM = 15


THREAD_TYPES = frozenset({ChannelType.ANNOUNCEMENT_THREAD, ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD})


class OverwriteType(IntEnum):
    ROLE = 0
    MEMBER = 1


@dataclass(slots=True, eq=False)
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    # A user who turned off "Allow direct messages from server members": Discord answers 50007.
    accepts_dms: bool = True
    avatar: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    @property
    def display_name(self) -> str:
        return self.global_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.username} id={self.id}>"


@dataclass(slots=True, eq=False)
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    @property
    def is_everyone(self) -> bool:
        return self.id == self.guild_id

    @property
    def mention(self) -> str:
        return "@everyone" if self.is_everyone else f"<@&{self.id}>"

    def __repr__(self) -> str:
        return f"<Role {self.name} id={self.id}>"


@dataclass(slots=True)
class Overwrite:
    id: int
    type: OverwriteType
    allow: int = 0
    deny: int = 0


@dataclass(slots=True)
class ForumTag:
    """A tag of a forum channel (``available_tags``): a post carries up to five of them (``applied_tags``)."""

    id: int
    name: str
    moderated: bool = False
    """Only members with Manage Threads may apply or remove it."""
    emoji_name: str | None = None


@dataclass(slots=True, eq=False)
class Channel:
    id: int
    type: ChannelType
    name: str
    guild_id: int | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient_id: int | None = None
    owner_id: int | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    archived: bool = False
    # A channel the bot once knew (an id stored in its database) that an admin has since deleted.
    deleted: bool = False
    last_message_id: int | None = None
    locked: bool = False
    # A forum's tags, and the ids of those a post (a thread in a forum) carries (discord_emulator/rest/channels.py).
    available_tags: list[ForumTag] = field(default_factory=list)
    applied_tags: list[int] = field(default_factory=list)

    @property
    def is_forum(self) -> bool:
        return self.type == ChannelType.GUILD_FORUM

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def is_dm(self) -> bool:
        return self.type == ChannelType.DM

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def __repr__(self) -> str:
        return f"<Channel #{self.name} id={self.id} type={self.type.name}>"


@dataclass(slots=True, eq=False)
class Member:
    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"<Member {self.user.username} guild={self.guild_id}>"


@dataclass(slots=True, eq=False)
class ScheduledEvent:
    id: int
    guild_id: int
    name: str
    scheduled_start_time: datetime
    scheduled_end_time: datetime | None
    entity_type: int
    privacy_level: int = 2
    status: int = 1
    description: str | None = None
    channel_id: int | None = None
    location: str | None = None
    creator_id: int | None = None


@dataclass(slots=True, eq=False)
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    scheduled_events: dict[int, ScheduledEvent] = field(default_factory=dict)
    description: str | None = None
    preferred_locale: str = "en-US"
    # False for a server the bot has not been invited to (yet), or has left.
    bot_joined: bool = True
    joined_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    system_channel_id: int | None = None

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def channel(self, name: str) -> Channel:
        wanted = name.lstrip("#")
        for channel in self.channels.values():
            if channel.name == wanted and not channel.deleted:
                return channel
        for channel in self.channels.values():
            if channel.name == wanted:
                return channel
        raise KeyError(f"no channel #{wanted} in {self.name!r}")

    def role(self, name: str) -> Role:
        wanted = name.lstrip("@")
        for role in self.roles.values():
            if role.name.lstrip("@") == wanted:
                return role
        raise KeyError(f"no role {name!r} in {self.name!r}")

    def member(self, user: User | int) -> Member | None:
        return self.members.get(user if isinstance(user, int) else user.id)

    def live_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if not c.deleted and not c.is_thread]

    def live_threads(self) -> list[Channel]:
        return [c for c in self.channels.values() if not c.deleted and c.is_thread and not c.archived]

    def __repr__(self) -> str:
        return f"<Guild {self.name!r} id={self.id}>"


def make_bot_token(bot_id: int) -> str:
    """A token shaped like Discord's: base64(user id).timestamp.hmac."""
    head = urlsafe_b64encode(str(bot_id).encode()).decode().rstrip("=")
    return f"{head}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"


_WORLD_EPOCH = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

_FIRST_NAMES = (
    "amina", "rahul", "chen", "fatima", "diego", "olu", "priya", "sara", "yusuf", "mei", "ivan", "lucia",
    "kwame", "nadia", "arjun", "leila", "tomas", "zainab", "hiro", "ana", "omar", "grace", "ravi", "sofia",
)  # fmt: skip


class World:
    """Everything the emulator knows about: the bot application, servers, channels, roles, users, DMs."""

    def __init__(
        self,
        *,
        bot_name: str = "IMG Pathway Bot",
        bot_username: str = "img-pathway-bot",
        token: str | None = None,
        start: datetime = _WORLD_EPOCH,
    ) -> None:
        self.ids = SnowflakeFactory(start=start)
        self.guilds: dict[int, Guild] = {}
        self.users: dict[str, User] = {}
        self._users_by_id: dict[int, User] = {}
        self._channels_by_id: dict[int, Channel] = {}
        self._dm_by_user: dict[int, Channel] = {}
        self.application_owner = self.add_user("app_owner", "App Owner")
        self.bot = self.add_user(bot_username, None, bot=True)
        self.application_id = self.bot.id
        self.application_name = bot_name
        self.token = token or make_bot_token(self.bot.id)
        # Privileged intents switched on in the Developer Portal; asking for others closes the gateway with 4014.
        self.privileged_intents = (1 << 1) | (1 << 8) | (1 << 15)
        self.default_user: User | None = None
        self.default_channel: Channel | None = None

    # ----- building -------------------------------------------------------------------------------------------

    def add_user(
        self, username: str, global_name: str | None = None, *, bot: bool = False, accepts_dms: bool = True
    ) -> User:
        if username in self.users:
            raise ValueError(f"user {username!r} already exists")
        user = User(self.ids.next(), username, global_name, bot=bot, accepts_dms=accepts_dms)
        self.users[username] = user
        self._users_by_id[user.id] = user
        return user

    def add_guild(
        self, name: str, owner: User, *, bot_joined: bool = True, bot_permissions: int = BOT_DEFAULT
    ) -> Guild:
        """A server with its @everyone role, the bot's managed role (when joined) and the owner as a member."""
        guild_id = self.ids.next()
        guild = Guild(guild_id, name, owner.id, bot_joined=bot_joined)
        guild.roles[guild_id] = Role(guild_id, guild_id, "@everyone", permissions=int(EVERYONE_DEFAULT))
        self.guilds[guild_id] = guild
        self.add_member(guild, owner)
        if bot_joined:
            self._add_bot_role(guild, bot_permissions)
        return guild

    def _add_bot_role(self, guild: Guild, permissions: int) -> None:
        role = self.add_role(guild, self.application_name, permissions=permissions, managed=True, position=10)
        role.bot_id = self.bot.id
        self.add_member(guild, self.bot, roles=[role])

    def add_role(
        self,
        guild: Guild,
        name: str,
        *,
        permissions: int = 0,
        mentionable: bool = False,
        hoist: bool = False,
        color: int = 0,
        managed: bool = False,
        position: int | None = None,
    ) -> Role:
        pos = position if position is not None else len(guild.roles)
        role = Role(self.ids.next(), guild.id, name, int(permissions), pos, color, hoist, mentionable, managed)
        guild.roles[role.id] = role
        return role

    def add_channel(
        self,
        guild: Guild,
        name: str,
        *,
        type: ChannelType = ChannelType.GUILD_TEXT,
        parent: Channel | None = None,
        topic: str | None = None,
        overwrites: list[Overwrite] | None = None,
    ) -> Channel:
        if type in THREAD_TYPES:
            raise ValueError("use add_thread for threads")
        position = sum(1 for c in guild.channels.values() if not c.is_thread)
        channel = Channel(
            self.ids.next(),
            type,
            name,
            guild_id=guild.id,
            position=position,
            parent_id=parent.id if parent else None,
            topic=topic,
            overwrites=list(overwrites or []),
        )
        guild.channels[channel.id] = channel
        self._channels_by_id[channel.id] = channel
        return channel

    def add_forum_tag(self, forum: Channel, name: str, *, moderated: bool = False) -> ForumTag:
        """A tag a moderator added to a forum in its settings."""
        if not forum.is_forum:
            raise ValueError("only forum channels have tags")
        tag = ForumTag(self.ids.next(), name, moderated)
        forum.available_tags.append(tag)
        return tag

    def add_thread(
        self,
        parent: Channel,
        name: str,
        *,
        owner: User | None = None,
        thread_id: int | None = None,
        private: bool = False,
    ) -> Channel:
        """A thread in ``parent``; ``thread_id`` the id Discord gives it otherwise (a thread started from a message
        has the message's id)."""
        if parent.guild_id is None:
            raise ValueError("threads live in server channels")
        guild = self.guilds[parent.guild_id]
        kind = (
            ChannelType.ANNOUNCEMENT_THREAD
            if parent.type == ChannelType.GUILD_ANNOUNCEMENT
            else ChannelType.PRIVATE_THREAD
            if private
            else ChannelType.PUBLIC_THREAD
        )
        thread = Channel(
            thread_id if thread_id is not None else self.ids.next(),
            kind,
            name,
            guild_id=guild.id,
            parent_id=parent.id,
            owner_id=(owner or self.get_user(guild.owner_id) or self.bot).id,
        )
        guild.channels[thread.id] = thread
        self._channels_by_id[thread.id] = thread
        return thread

    def add_member(
        self, guild: Guild, user: User, *, roles: list[Role] | None = None, nick: str | None = None
    ) -> Member:
        member = Member(user, guild.id, [r.id for r in roles or []], nick)
        guild.members[user.id] = member
        return member

    def dm_channel_for(self, user: User) -> Channel:
        """The DM channel between the bot and `user`, created on first use (POST /users/@me/channels)."""
        channel = self._dm_by_user.get(user.id)
        if channel is None:
            channel = Channel(self.ids.next(), ChannelType.DM, "", recipient_id=user.id)
            self._dm_by_user[user.id] = channel
            self._channels_by_id[channel.id] = channel
        return channel

    # ----- lookups --------------------------------------------------------------------------------------------

    def guild(self, key: str | int | None = None) -> Guild:
        """A server by name or id; the first server when no key is given."""
        if key is None:
            return next(iter(self.guilds.values()))
        if isinstance(key, int):
            return self.guilds[key]
        for guild in self.guilds.values():
            if guild.name == key:
                return guild
        raise KeyError(f"no server named {key!r}")

    def user(self, key: str | int) -> User:
        if isinstance(key, int):
            return self._users_by_id[key]
        return self.users[key.lstrip("@")]

    def channel(self, name: str, guild: Guild | str | int | None = None) -> Channel:
        """A channel or thread by name, in `guild` (default: the first server, then any server)."""
        if guild is not None:
            return (guild if isinstance(guild, Guild) else self.guild(guild)).channel(name)
        for candidate in self.guilds.values():
            try:
                return candidate.channel(name)
            except KeyError:
                continue
        raise KeyError(f"no channel #{name.lstrip('#')} in any server")

    def role(self, name: str, guild: Guild | str | int | None = None) -> Role:
        return (guild if isinstance(guild, Guild) else self.guild(guild)).role(name)

    def get_user(self, user_id: int) -> User | None:
        return self._users_by_id.get(user_id)

    def get_channel(self, channel_id: int) -> Channel | None:
        return self._channels_by_id.get(channel_id)

    def get_guild(self, guild_id: int) -> Guild | None:
        return self.guilds.get(guild_id)

    def bot_guilds(self) -> list[Guild]:
        return [g for g in self.guilds.values() if g.bot_joined]

    def bot_role(self, guild: Guild) -> Role:
        """The managed role Discord gives the bot when it joins a server."""
        for role in guild.roles.values():
            if role.bot_id == self.bot.id:
                return role
        raise KeyError(f"the bot has no role in {guild.name!r}")

    def guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id is not None else None

    # ----- permissions ----------------------------------------------------------------------------------------

    def base_permissions(self, guild: Guild, user_id: int) -> int:
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        perms = guild.everyone.permissions
        for role_id in member.roles:
            role = guild.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        return ALL_PERMISSIONS if perms & Perm.ADMINISTRATOR else perms

    def permissions_in(self, channel: Channel, user_id: int) -> int:
        """The permissions `user_id` has in `channel`, as Discord computes them."""
        if channel.is_dm:
            return int(
                Perm.VIEW_CHANNEL
                | Perm.SEND_MESSAGES
                | Perm.EMBED_LINKS
                | Perm.ATTACH_FILES
                | Perm.READ_MESSAGE_HISTORY
                | Perm.ADD_REACTIONS
                | Perm.USE_EXTERNAL_EMOJIS
                | Perm.MENTION_EVERYONE
            )
        guild = self.guild_of(channel)
        if guild is None:
            return 0
        # Threads inherit everything from their parent channel.
        target = self._channels_by_id.get(channel.parent_id) if channel.is_thread and channel.parent_id else channel
        if target is None:
            return 0
        base = self.base_permissions(guild, user_id)
        if base == ALL_PERMISSIONS:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        role_ids = set(member.roles) if member else set()
        everyone: tuple[int, int] | None = None
        roles: list[tuple[int, int]] = []
        mine: tuple[int, int] | None = None
        for ow in target.overwrites:
            if ow.type == OverwriteType.ROLE and ow.id == guild.id:
                everyone = (ow.allow, ow.deny)
            elif ow.type == OverwriteType.ROLE and ow.id in role_ids:
                roles.append((ow.allow, ow.deny))
            elif ow.type == OverwriteType.MEMBER and ow.id == user_id:
                mine = (ow.allow, ow.deny)
        return apply_overwrites(base, everyone=everyone, roles=roles, member=mine)

    def can_send(self, channel: Channel, user_id: int) -> tuple[bool, bool]:
        """(can see the channel, can send in it)."""
        perms = self.permissions_in(channel, user_id)
        visible = bool(perms & Perm.VIEW_CHANNEL)
        needed = Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES
        return visible, visible and bool(perms & needed)

    def top_role_position(self, guild: Guild, user_id: int) -> int:
        member = guild.members.get(user_id)
        if member is None:
            return -1
        return max((guild.roles[r].position for r in member.roles if r in guild.roles), default=0)

    # ----- ready-made worlds ----------------------------------------------------------------------------------

    @classmethod
    def default(cls) -> World:
        """One study server with an admin, two ordinary members and awkward channels, plus a second server.

        IMG Study Hall: owner dr_admin (also a Moderator); alice and bob with no extra permissions; carol, who
        does not accept DMs. #general, #announcements (an announcement channel), #study-room with the thread
        "USMLE Step 1 prep", #read-only (the bot may read but not send) and #old-resources (deleted, so the
        bot gets 10003 Unknown Channel). Roles: @everyone, Moderators (Manage Server, Manage Channels),
        Match 2027 (not mentionable by members; the bot pings it through Mention Everyone).
        Night Owls Study Group: owner night_admin, alice and bob, channels #lobby and #late-night-qbank.
        """
        world = cls()
        admin = world.add_user("dr_admin", "Dr. Admin")
        alice = world.add_user("alice", "Alice")
        bob = world.add_user("bob", "Bob")
        carol = world.add_user("carol", "Carol", accepts_dms=False)
        night_admin = world.add_user("night_admin", "Night Owl Admin")

        hall = world.add_guild("IMG Study Hall", admin)
        hall.description = "Study together for USMLE, OET and the Match."
        moderators = world.add_role(hall, "Moderators", permissions=MODERATOR, hoist=True, color=0x2ECC71)
        match_role = world.add_role(hall, "Match 2027", color=0x3498DB)
        hall.members[admin.id].roles.append(moderators.id)
        world.add_member(hall, alice, roles=[match_role])
        world.add_member(hall, bob)
        world.add_member(hall, carol)
        category = world.add_channel(hall, "Study Hall", type=ChannelType.GUILD_CATEGORY)
        general = world.add_channel(hall, "general", parent=category, topic="Say hello, ask anything.")
        hall.system_channel_id = general.id
        world.add_channel(
            hall,
            "announcements",
            type=ChannelType.GUILD_ANNOUNCEMENT,
            parent=category,
            topic="Cycle dates and server news.",
            overwrites=[
                Overwrite(hall.id, OverwriteType.ROLE, deny=int(Perm.SEND_MESSAGES)),
                # Admins let the bot's role post here, or the @everyone deny would silence it too.
                Overwrite(world.bot_role(hall).id, OverwriteType.ROLE, allow=int(Perm.SEND_MESSAGES)),
            ],
        )
        study_room = world.add_channel(hall, "study-room", parent=category, topic="Quiz each other.")
        world.add_thread(study_room, "USMLE Step 1 prep", owner=alice)
        world.add_channel(
            hall,
            "read-only",
            parent=category,
            overwrites=[Overwrite(world.bot.id, OverwriteType.MEMBER, deny=int(Perm.SEND_MESSAGES))],
        )
        old = world.add_channel(hall, "old-resources", parent=category)
        old.deleted = True

        owls = world.add_guild("Night Owls Study Group", night_admin)
        owl_mods = world.add_role(owls, "Owl Mods", permissions=MODERATOR)
        owls.members[night_admin.id].roles.append(owl_mods.id)
        world.add_member(owls, alice)
        world.add_member(owls, bob)
        lobby = world.add_channel(owls, "lobby")
        owls.system_channel_id = lobby.id
        world.add_channel(owls, "late-night-qbank")

        world.default_user = alice
        world.default_channel = general
        return world

    @classmethod
    def generate(cls, guilds: int = 2000, members_per_guild: int = 100, *, seed: int = 0) -> World:
        """Many servers, each with roles, channels and members, built directly for speed (benchmarks).

        Every server has @everyone, Moderators, the bot's role, #general, #announcements, #study-room and
        `members_per_guild` members (the owner and the bot included); users are distinct per server. Servers are
        created a random minute or less apart, as real ones are spread over time, so that the shard rule
        `(guild_id >> 22) % count` spreads them evenly.
        """
        rng = random.Random(seed)
        world = cls(start=_WORLD_EPOCH - timedelta(days=rng.randrange(0, 400)))
        ids = world.ids
        bot = world.bot
        everyone_perms = int(EVERYONE_DEFAULT)
        users_by_name = world.users
        users_by_id = world._users_by_id
        channels_by_id = world._channels_by_id
        names = _FIRST_NAMES
        n_names = len(names)
        humans = max(members_per_guild - 1, 1)
        for g in range(guilds):
            joined = _WORLD_EPOCH + timedelta(minutes=g)
            ids.advance(rng.randrange(1, 60_000))
            owner_id = ids.next()
            owner = User(owner_id, f"{names[g % n_names]}_admin{g}", None)
            users_by_name[owner.username] = owner
            users_by_id[owner_id] = owner
            gid = ids.next()
            guild = Guild(gid, f"Study Group {g + 1}", owner_id, joined_at=joined)
            roles = guild.roles
            roles[gid] = Role(gid, gid, "@everyone", everyone_perms)
            mod_id = ids.next()
            roles[mod_id] = Role(mod_id, gid, "Moderators", int(MODERATOR), 1)
            bot_role_id = ids.next()
            roles[bot_role_id] = Role(bot_role_id, gid, world.application_name, int(BOT_DEFAULT), 10, managed=True)
            roles[bot_role_id].bot_id = bot.id
            channels = guild.channels
            for position, (cname, ctype) in enumerate(
                (
                    ("general", ChannelType.GUILD_TEXT),
                    ("announcements", ChannelType.GUILD_ANNOUNCEMENT),
                    ("study-room", ChannelType.GUILD_TEXT),
                )
            ):
                cid = ids.next()
                channel = Channel(cid, ctype, cname, gid, position)
                channels[cid] = channel
                channels_by_id[cid] = channel
            guild.system_channel_id = next(iter(channels))
            members = guild.members
            members[owner_id] = Member(owner, gid, [mod_id], None, joined)
            members[bot.id] = Member(bot, gid, [bot_role_id], None, joined)
            for i in range(1, humans):
                uid = ids.next()
                user = User(uid, f"{names[(g + i) % n_names]}{g}_{i}", None)
                users_by_name[user.username] = user
                users_by_id[uid] = user
                members[uid] = Member(user, gid, [], None, joined)
            world.guilds[gid] = guild
        if world.guilds:
            first = next(iter(world.guilds.values()))
            world.default_channel = next(iter(first.channels.values()))
            world.default_user = next(
                (m.user for m in first.members.values() if m.user.id not in (first.owner_id, bot.id)), None
            )
        return world
