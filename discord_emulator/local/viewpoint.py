"""Who the person trying the bot is, and where: one member (switched with ``as``) in one channel (``in``)."""

from __future__ import annotations

from discord_emulator.local.console import ConsoleError, find_channel, find_user
from discord_emulator.permissions import ALL_PERMISSIONS, Perm
from discord_emulator.world import Channel, ChannelType, Guild, User, World


def local_owner_ids(world: World) -> list[int]:
    """The bot's owners in local mode (its OWNER_IDS): the owner of the server local mode starts in (dr_admin in
    the default world), who plays the person running the bot, so owner-only commands such as /status can be tried."""
    channel = world.default_channel
    guild = world.guild_of(channel) if channel is not None else None
    return [guild.owner_id] if guild is not None else []


class Viewpoint:
    """The member local mode acts as and the channel it acts in; each switch answers with the line to print."""

    def __init__(self, world: World) -> None:
        assert world.default_user is not None and world.default_channel is not None
        self.world = world
        self.user: User = world.default_user
        self.channel: Channel = world.default_channel

    @property
    def guild(self) -> Guild | None:
        return self.world.guild_of(self.channel)

    def where(self, channel: Channel | None = None) -> str:
        channel = channel or self.channel
        if channel.is_dm:
            return "a DM with the bot"
        guild = self.world.guild_of(channel)
        return f'#{channel.name} of "{guild.name}"' if guild else f"#{channel.name}"

    def switch_user(self, who: str) -> str:
        user = find_user(self.world, who, self.guild)
        if user.bot:
            raise ConsoleError("you can be anyone but the bot")
        self.user = user
        if self.channel.is_dm:
            self.channel = self.world.dm_channel_for(user)
        return f"You are now {user.username} in {self.where()}{self.describe_user(user)}."

    def describe_user(self, user: User) -> str:
        """` — server owner; roles: Moderators; can Manage Server` (empty for an ordinary member)."""
        guild = self.guild
        if guild is None:
            return ""
        member = guild.member(user)
        roles = [guild.roles[r].name for r in (member.roles if member else []) if r in guild.roles]
        extra = []
        if user.id == guild.owner_id:
            extra.append("server owner")
        if user.id in local_owner_ids(self.world):
            extra.append("the bot's owner (OWNER_IDS)")
        if roles:
            extra.append("roles: " + ", ".join(roles))
        perms = self.world.base_permissions(guild, user.id)
        if perms == ALL_PERMISSIONS or perms & Perm.MANAGE_GUILD:
            extra.append("can Manage Server")
        return f" — {'; '.join(extra)}" if extra else ""

    def switch_channel(self, where: str) -> str:
        if where.strip().lower() in ("dm", "dms", "@me", "direct message"):
            self.channel = self.world.dm_channel_for(self.user)
            return f"You are now {self.user.username} in a DM with the bot."
        guild = self.guild or self.world.guild()
        channel = find_channel(self.world, where, guild)
        if channel.type == ChannelType.GUILD_CATEGORY:
            raise ConsoleError(f"{channel.name} is a category, not a channel you can talk in")
        target = self.world.guild_of(channel)
        if target is not None and target.member(self.user) is None:
            members = ", ".join(
                self.world.get_user(m).username  # type: ignore[union-attr]
                for m in target.members
                if self.world.get_user(m) and not self.world.get_user(m).bot  # type: ignore[union-attr]
            )
            raise ConsoleError(f"{self.user.username} is not in {target.name}; members there: {members}")
        if not self.world.permissions_in(channel, self.user.id) & Perm.VIEW_CHANNEL:
            raise ConsoleError(f"{self.user.username} cannot see #{channel.name}")
        self.channel = channel
        return f"You are now {self.user.username} in {self.where()}."
