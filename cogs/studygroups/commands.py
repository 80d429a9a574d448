"""The study-group commands: /studygroup, /studygroup-admin, /studygroup-retention, /checkin, /progress and
/settings."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.studygroups.dispatch import StudyGroupDispatcher
from bot.studygroups.models import (
    DEFAULT_RETENTION_DAYS,
    MAX_GROUP_NAME,
    MAX_RETENTION_DAYS,
    GroupCreateOptions,
    GroupEditOptions,
    MemberSettingsOptions,
    RetentionOptions,
    parse_with_clock,
)
from bot.studygroups.service import StudyGroupService
from bot.studygroups.streaks import NUDGE_LOCAL_TIME
from bot.text import shorten
from bot.ui.channels import Postable, missing_permissions
from bot.ui.errors import shown_name
from bot.ui.interaction import Interaction
from bot.ui.permissions import has_server_permissions, require_channel_permissions, server_permissions_check
from bot.ui.studygroups import (
    group_info_embed,
    group_list_embed,
    settings_saved_text,
    settings_text,
    timestamp,
    viewed_progress_embed,
)
from bot.validation import UserInputError
from cogs.studygroups.checkin import open_check_in
from cogs.studygroups.common import guild_id_of
from cogs.studygroups.progress import send_own_progress

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)


def require_postable(interaction: Interaction, channel_id: int) -> None:
    """Refuse a channel the bot could not post prompts in, before a group is bound to it (not at the first prompt)."""
    guild = interaction.guild
    channel = guild.get_channel_or_thread(channel_id) if guild is not None else None
    if guild is None or not isinstance(channel, Postable):
        raise UserInputError("Pick a text channel or thread of this server for the group's prompts.")
    missing = missing_permissions(channel, guild.me)
    if missing:
        raise UserInputError(
            f"I can't post prompts in <#{channel_id}>: I need **{', '.join(missing)}** there. Give my role these "
            "permissions in the channel's settings (or pick another channel), then run the command again."
        )


def require_manages_channel(interaction: Interaction, channel_id: int) -> None:
    """Refuse unless the moderator also manages the channel a group posts in.

    The command's check asked for Manage Channels for the whole server; a channel's own deny for them (a staff-only
    channel, say) still stands, so nobody binds prompts to a channel they were kept out of.
    """
    guild = interaction.guild
    channel = guild.get_channel_or_thread(channel_id) if guild is not None else None
    if channel is None or not isinstance(interaction.user, discord.Member):
        # A deleted channel has nothing left to protect; moving the group away from it is what fixes the group.
        return
    require_channel_permissions(interaction.user, channel, manage_channels=True)


class StudyGroupsCog(commands.Cog, name="Study groups"):
    """Study together: daily check-ins in a group's channel, streaks and progress."""

    studygroup = app_commands.Group(
        name="studygroup", description="Peer study groups: join one, see who is in it", guild_only=True
    )
    admin = app_commands.Group(
        name="studygroup-admin",
        description="Create, change or archive study groups (needs Manage Channels)",
        default_permissions=discord.Permissions(manage_channels=True),
        guild_only=True,
    )
    # A command of its own: default_permissions applies to a whole top-level command, and /studygroup-admin is
    # declared for Manage Channels, while how long members' data is kept is a Manage Server decision.
    retention_group = app_commands.Group(
        name="studygroup-retention",
        description="How long study-group data of members who left is kept (needs Manage Server)",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    @property
    def service(self) -> StudyGroupService:
        return self.bot.services.studygroups

    @property
    def dispatch(self) -> StudyGroupDispatcher:
        return self.bot.services.studygroup_dispatch

    # -- autocomplete ----------------------------------------------------------------------------------------

    async def group_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        groups = await self.service.group_choices(interaction.guild_id, str(current)[:100])
        return [app_commands.Choice(name=shorten(g.name, 100), value=str(g.id)) for g in groups]

    async def archived_group_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        groups = await self.service.archived_group_choices(interaction.guild_id, str(current)[:100])
        return [
            app_commands.Choice(
                name=shorten(f"{g.name} (archived {g.archived_at:%Y-%m-%d})" if g.archived_at else g.name, 100),
                value=str(g.id),
            )
            for g in groups
        ]

    async def zone_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in self.service.zone_choices(str(current)[:100])]

    # -- managing groups -------------------------------------------------------------------------------------

    @admin.command(name="create", description="Start a study group that checks in daily in a channel")
    @app_commands.describe(
        name=f"The group's name (at most {MAX_GROUP_NAME} characters), e.g. Step 2 CK evening crew",
        channel="Where prompts and weekly recaps are posted (one group per channel)",
        checkin_time="Daily prompt time, HH:MM in 24-hour time (HH:MM:SS also works); default 20:00",
        timezone="The group's time zone, e.g. Asia/Kolkata (default: yours, or UTC)",
        days="Prompt days, e.g. mon-fri or mon,wed,fri (default: every day)",
    )
    @app_commands.autocomplete(timezone=zone_autocomplete)
    @server_permissions_check(manage_channels=True)
    async def create(
        self,
        interaction: Interaction,
        name: app_commands.Range[str, 1, MAX_GROUP_NAME],
        channel: discord.TextChannel | discord.Thread,
        checkin_time: app_commands.Range[str, 1, 20] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        days: app_commands.Range[str, 1, 60] | None = None,
    ) -> None:
        require_manages_channel(interaction, channel.id)
        require_postable(interaction, channel.id)
        options = parse_with_clock(
            GroupCreateOptions,
            self.service.now(),
            name=name,
            channel_id=channel.id,
            checkin_time=checkin_time,
            timezone=timezone,
            days=days,
        )
        created = await self.service.create_group(guild_id_of(interaction), options, creator_id=interaction.user.id)
        await self.bot.services.runner.reschedule(self.dispatch)
        group = created.group
        lines = [
            f"Study group {shown_name(group.name)} created in <#{group.channel_id}>.",
            f"Prompts: {group.schedule.describe()}; the next one is {timestamp(created.next_prompt_at)}.",
        ]
        if created.zone_defaulted:
            lines.append(
                f"No time zone was given, so it uses {group.schedule.zone}. Change it with `/studygroup-admin edit`."
            )
        lines.append("Members join with `/studygroup join` and check in with `/checkin`.")
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @admin.command(name="edit", description="Change a study group's name, channel or schedule")
    @app_commands.describe(
        group="The group to change",
        name=f"A new name (at most {MAX_GROUP_NAME} characters)",
        channel="A new channel for prompts and recaps",
        checkin_time="A new prompt time, HH:MM in 24-hour time (HH:MM:SS also works), e.g. 07:30",
        timezone="A new time zone, e.g. Europe/Berlin",
        days="New prompt days, e.g. mon-fri",
    )
    @app_commands.autocomplete(group=group_autocomplete, timezone=zone_autocomplete)
    @server_permissions_check(manage_channels=True)
    async def edit(
        self,
        interaction: Interaction,
        group: app_commands.Range[str, 1, 100],
        name: app_commands.Range[str, 1, MAX_GROUP_NAME] | None = None,
        channel: discord.TextChannel | discord.Thread | None = None,
        checkin_time: app_commands.Range[str, 1, 20] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        days: app_commands.Range[str, 1, 60] | None = None,
    ) -> None:
        current = await self.service.resolve_group(guild_id_of(interaction), group)
        require_manages_channel(interaction, current.channel_id)
        if channel is not None:
            require_manages_channel(interaction, channel.id)
            require_postable(interaction, channel.id)
        options = parse_with_clock(
            GroupEditOptions,
            self.service.now(),
            name=name,
            channel_id=channel.id if channel else None,
            checkin_time=checkin_time,
            timezone=timezone,
            days=days,
        )
        edited = await self.service.edit_group(guild_id_of(interaction), current.id, options)
        await self.bot.services.runner.reschedule(self.dispatch)
        updated = edited.group
        text = f"{shown_name(updated.name)} now posts in <#{updated.channel_id}>, {updated.schedule.describe()}."
        if edited.today_done:
            # Said, because the new time later today would otherwise look like a prompt that never comes.
            text += (
                f" Today's prompt already went out (one a day), so the next one is {timestamp(edited.next_prompt_at)}."
            )
        else:
            text += f" The next prompt is {timestamp(edited.next_prompt_at)}."
        await interaction.response.send_message(text, ephemeral=True)

    @admin.command(name="archive", description="Close a study group; its history is kept")
    @app_commands.describe(group="The group to archive")
    @app_commands.autocomplete(group=group_autocomplete)
    @server_permissions_check(manage_channels=True)
    async def archive(self, interaction: Interaction, group: app_commands.Range[str, 1, 100]) -> None:
        # Archived groups too, so that archiving one twice says "already archived" rather than "closed".
        current = await self.service.resolve_group(guild_id_of(interaction), group, include_archived=True)
        require_manages_channel(interaction, current.channel_id)
        archived = await self.service.archive_group(guild_id_of(interaction), current.id)
        await self.bot.services.runner.reschedule(self.dispatch)
        await interaction.response.send_message(
            f"{shown_name(archived.name)} is archived: no more prompts or check-ins; its history is kept.",
            ephemeral=True,
        )

    @admin.command(name="unarchive", description="Bring back an archived study group, with its members and history")
    @app_commands.describe(
        group="The archived group (start typing its name)",
        channel="Where it posts from now on (default: its old channel)",
    )
    @app_commands.autocomplete(group=archived_group_autocomplete)
    @server_permissions_check(manage_channels=True)
    async def unarchive(
        self,
        interaction: Interaction,
        group: app_commands.Range[str, 1, 100],
        channel: discord.TextChannel | discord.Thread | None = None,
    ) -> None:
        current = await self.service.resolve_group(guild_id_of(interaction), group, include_archived=True)
        target = channel.id if channel is not None else current.channel_id
        if (
            channel is None
            and interaction.guild is not None
            and interaction.guild.get_channel_or_thread(target) is None
        ):
            raise UserInputError(
                f"{shown_name(current.name)}'s old channel is gone. Give `channel:` to bring it back somewhere else."
            )
        require_manages_channel(interaction, target)
        require_postable(interaction, target)
        restored = await self.service.unarchive_group(
            guild_id_of(interaction), current.id, channel_id=channel.id if channel is not None else None
        )
        await self.bot.services.runner.reschedule(self.dispatch)
        group_now = restored.group
        people = "member is" if restored.members == 1 else "members are"
        await interaction.response.send_message(
            f"{shown_name(group_now.name)} is back in <#{group_now.channel_id}>: {group_now.schedule.describe()}; "
            f"the next prompt is {timestamp(restored.next_prompt_at)}. Its {restored.members} {people} in it again, "
            "with their history; prompts missed while it was archived are not posted.",
            ephemeral=True,
        )

    # -- membership ------------------------------------------------------------------------------------------

    @studygroup.command(name="join", description="Join a study group of this server")
    @app_commands.describe(group="Start typing the group's name")
    @app_commands.autocomplete(group=group_autocomplete)
    async def join(self, interaction: Interaction, group: app_commands.Range[str, 1, 100]) -> None:
        result = await self.service.join(guild_id_of(interaction), interaction.user.id, group)
        name = shown_name(result.group.name)
        text = (
            f"You joined {name}. Prompts come in <#{result.group.channel_id}> "
            f"{result.group.schedule.describe()}; check in with `/checkin`."
            if result.joined
            else f"You are already in {name}."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @studygroup.command(name="leave", description="Leave a study group (your past check-ins stay yours)")
    @app_commands.describe(group="The group to leave")
    @app_commands.autocomplete(group=group_autocomplete)
    async def leave(self, interaction: Interaction, group: app_commands.Range[str, 1, 100]) -> None:
        left = await self.service.leave(guild_id_of(interaction), interaction.user.id, group)
        await interaction.response.send_message(
            f"You left {shown_name(left.name)}. Your past check-ins still count in `/progress`; "
            "`/mydata delete` removes them.",
            ephemeral=True,
        )

    @studygroup.command(name="list", description="The study groups of this server and how many are in each")
    async def list_groups(self, interaction: Interaction) -> None:
        summaries = await self.service.list_groups(guild_id_of(interaction), interaction.user.id)
        if not summaries:
            raise UserInputError(
                "This server has no study groups yet. Someone with Manage Channels can start one with "
                "`/studygroup-admin create`."
            )
        await interaction.response.send_message(embed=group_list_embed(summaries), ephemeral=True)

    @studygroup.command(name="info", description="A group's members, schedule and this week so far")
    @app_commands.describe(group="Start typing the group's name")
    @app_commands.autocomplete(group=group_autocomplete)
    async def info(self, interaction: Interaction, group: app_commands.Range[str, 1, 100]) -> None:
        details = await self.service.info(guild_id_of(interaction), group)
        await interaction.response.send_message(embed=group_info_embed(details), ephemeral=True)

    # -- check-ins, progress, settings -----------------------------------------------------------------------

    @app_commands.command(name="checkin", description="Tell your study group what you studied today")
    @app_commands.describe(group="The group (default: this channel's group, or your only group)")
    @app_commands.autocomplete(group=group_autocomplete)
    @app_commands.guild_only()
    async def checkin(self, interaction: Interaction, group: app_commands.Range[str, 1, 100] | None = None) -> None:
        await open_check_in(interaction, group)

    async def open_check_in_form(self, interaction: Interaction, group_id: int) -> None:
        """The Check in button on a group's prompt (``bot.ui.checkin_button``): the form for that group."""
        await open_check_in(interaction, group_id)

    @app_commands.command(name="progress", description="Your streak and the last 7 and 30 days (only you see it)")
    @app_commands.describe(
        user="A member of one of your study groups (moderators: anyone here); only you see the answer",
    )
    @app_commands.guild_only()
    async def progress(self, interaction: Interaction, user: discord.User | None = None) -> None:
        # Progress is personal: the owner sees it privately and may share it (the button). Someone else's is shown,
        # privately, to members of one of their groups and to moderators (StudyGroupService.progress_for).
        if user is None or user.id == interaction.user.id:
            await send_own_progress(interaction, self.service)
            return
        viewed = await self.service.progress_for(
            guild_id_of(interaction),
            interaction.user.id,
            user.id,
            target_name=user.display_name,
            target_is_bot=user.bot,
            # Discord resolves the option to a Member only when they are in this server.
            target_in_server=isinstance(user, discord.Member),
            asker_manages_server=has_server_permissions(interaction, manage_guild=True),
        )
        await interaction.response.send_message(embed=viewed_progress_embed(viewed, user.display_name), ephemeral=True)

    @app_commands.command(
        name="settings", description="Your time zone and streak reminders by DM (no options: see them)"
    )
    @app_commands.describe(
        timezone="Your time zone, e.g. Asia/Kolkata (start typing a city or region)",
        nudges=f"on: a DM at {NUDGE_LOCAL_TIME:%H:%M} your time when your streak would break tonight",
    )
    @app_commands.autocomplete(timezone=zone_autocomplete)
    async def settings(
        self,
        interaction: Interaction,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        nudges: Literal["on", "off"] | None = None,
    ) -> None:
        if timezone is None and nudges is None:
            current = await self.service.settings(interaction.user.id)
            await interaction.response.send_message(settings_text(current), ephemeral=True)
            return
        options = parse_with_clock(
            MemberSettingsOptions,
            self.service.now(),
            timezone=timezone,
            nudge=None if nudges is None else nudges == "on",
        )
        saved = await self.service.update_settings(interaction.user.id, options)
        reply = settings_saved_text(saved, zone_changed=timezone is not None, nudges_changed=nudges is not None)
        await interaction.response.send_message(reply, ephemeral=True)

    # -- retention -------------------------------------------------------------------------------------------

    @retention_group.command(name="set", description="Days to keep study-group data of members who left")
    @app_commands.describe(
        days="0 to 365 (default 30); a member who comes back within this time keeps everything",
    )
    @server_permissions_check(manage_guild=True)
    async def set_retention(
        self, interaction: Interaction, days: app_commands.Range[int, 0, MAX_RETENTION_DAYS]
    ) -> None:
        options = parse_with_clock(RetentionOptions, self.service.now(), days=days)
        kept = await self.service.set_retention(guild_id_of(interaction), options)
        when = (
            "at the next hourly clean-up" if kept == 0 else f"{kept} {'day' if kept == 1 else 'days'} after they leave"
        )
        await interaction.response.send_message(
            f"Saved. Study-group data of members who leave this server is deleted {when}, unless they come back "
            "first. Members who already left follow the new period too. `/privacy` tells members.",
            ephemeral=True,
        )

    @retention_group.command(name="show", description="How long study-group data of members who left is kept here")
    @server_permissions_check(manage_guild=True)
    async def show_retention(self, interaction: Interaction) -> None:
        days = await self.service.retention_days(guild_id_of(interaction))
        await interaction.response.send_message(
            f"Study-group data of members who leave this server is kept **{days} "
            f"{'day' if days == 1 else 'days'}** (the default is {DEFAULT_RETENTION_DAYS}). "
            "Change it with `/studygroup-retention set days:`.",
            ephemeral=True,
        )
