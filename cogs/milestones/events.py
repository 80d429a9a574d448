"""/event add, edit, list, remove: a server's own dates (a mock exam, a webinar), announced like milestones.

Manage Server, declared and checked. Times are given in a time zone picked from the IANA list as you type; a time
that daylight-saving time skips or repeats gets a clear message instead of silently moving by an hour.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.announcements import DiscordMessenger
from bot.milestones.events import MAX_DESCRIPTION, MAX_TITLE
from bot.milestones.models import PauseReason, Subscription
from bot.milestones.service import MilestoneService
from bot.text import quote_user_text
from bot.ui import milestones as screens
from bot.ui.interaction import Interaction
from bot.ui.permissions import server_permissions_check
from bot.validation import UserInputError
from cogs.milestones.commands import explain, guild_of

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)


def event_id_of(value: str) -> int:
    """The event's id, as its autocomplete sends it."""
    try:
        return int(value)
    except ValueError:
        raise UserInputError("Pick the event from the list as you type.") from None


def role_and_hold(subscription: Subscription | None) -> tuple[int | None, bool]:
    """The announcement role an event may ping, and whether an admin paused the server's announcements (which holds
    its events too), for the replies of /event add and edit."""
    if subscription is None:
        return None, False
    return subscription.role_id, subscription.paused_reason is PauseReason.BY_ADMIN and not subscription.active


class EventsCog(commands.Cog, name="Events"):
    """A server's own dates, announced in its channel with reminders."""

    event = app_commands.Group(
        name="event",
        description="Your server's own dates (mock exams, webinars), announced with reminders (moderators)",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: ImgBot, messenger: DiscordMessenger) -> None:
        self.bot = bot
        self.messenger = messenger

    @property
    def service(self) -> MilestoneService:
        return self.bot.services.milestones

    @event.command(
        name="add", description="Add a date to announce here, with reminders before it (no ping unless ping: True)"
    )
    @app_commands.describe(
        title="What it is, e.g. “Mock OET speaking exam”",
        date="The date, YYYY-MM-DD, e.g. 2027-03-04",
        time="The time, HH:MM in 24-hour time (HH:MM:SS also works), e.g. 18:30",
        timezone="The time zone of that time: start typing a city, e.g. New York, Kolkata, Lagos",
        description="More details for the announcement (optional)",
        channel="Where to announce it (default: the milestone channel, else this channel)",
        reminders="When to post before it, e.g. 1d,1h,0 (0 = when it starts). Default: 1d,0",
        ping="True: ping the announcement role (e.g. @Match 2027) with each reminder. Default: no ping",
    )
    @server_permissions_check(manage_guild=True)
    async def add(
        self,
        interaction: Interaction,
        title: app_commands.Range[str, 1, MAX_TITLE],
        date: app_commands.Range[str, 1, 10],
        time: app_commands.Range[str, 1, 8],
        timezone: app_commands.Range[str, 1, 64],
        description: app_commands.Range[str, 1, MAX_DESCRIPTION] | None = None,
        channel: discord.TextChannel | None = None,
        reminders: app_commands.Range[str, 1, 100] | None = None,
        ping: bool = False,
    ) -> None:
        guild = guild_of(interaction)
        subscription = await self.service.subscription(guild.id)
        if channel is not None:
            channel_id = channel.id
        else:
            channel_id = subscription.channel_id if subscription is not None else (interaction.channel_id or 0)
        problem = self.messenger.target_problem(guild.id, channel_id, None)
        if problem is not None:
            raise UserInputError(explain(problem, f"<#{channel_id}>"))
        created = await self.service.add_event(
            guild.id, channel_id, title, date, time, timezone, description, reminders, interaction.user.id, ping=ping
        )
        role_id, held = role_and_hold(subscription)
        await interaction.response.send_message(
            embed=screens.event_added_embed(created, role_id, held=held), ephemeral=True
        )

    async def timezone_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=zone, value=zone) for zone in self.service.timezone_choices(current[:64])]

    async def event_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        choices = await self.service.event_choices(interaction.guild_id, current[:100])
        return [app_commands.Choice(name=label, value=str(event_id)) for label, event_id in choices]

    add.autocomplete("timezone")(timezone_autocomplete)

    @event.command(name="edit", description="Change one of this server's events; its reminders follow the new time")
    @app_commands.describe(
        event="Start typing its title",
        title="A new title",
        date="A new date, YYYY-MM-DD (the time and zone stay unless given)",
        time="A new time, HH:MM in 24-hour time (HH:MM:SS also works)",
        timezone="A new time zone: the same clock time there (start typing a city)",
        description="A new description; - removes it",
        channel="Where to announce it from now on",
        reminders="New reminders, e.g. 1d,1h,0 (0 = when it starts)",
        ping="True: ping the announcement role with each reminder; False: no ping",
    )
    @app_commands.autocomplete(event=event_autocomplete, timezone=timezone_autocomplete)
    @server_permissions_check(manage_guild=True)
    async def edit(
        self,
        interaction: Interaction,
        event: app_commands.Range[str, 1, 100],
        title: app_commands.Range[str, 1, MAX_TITLE] | None = None,
        date: app_commands.Range[str, 1, 10] | None = None,
        time: app_commands.Range[str, 1, 8] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        description: app_commands.Range[str, 1, MAX_DESCRIPTION] | None = None,
        channel: discord.TextChannel | None = None,
        reminders: app_commands.Range[str, 1, 100] | None = None,
        ping: bool | None = None,
    ) -> None:
        guild = guild_of(interaction)
        if channel is not None:
            problem = self.messenger.target_problem(guild.id, channel.id, None)
            if problem is not None:
                raise UserInputError(explain(problem, channel.mention))
        edited = await self.service.edit_event(
            guild.id,
            event_id_of(event),
            title=title,
            date_text=date,
            time_text=time,
            zone_text=timezone,
            description=description,
            channel_id=channel.id if channel is not None else None,
            reminders=reminders,
            ping=ping,
        )
        role_id, held = role_and_hold(await self.service.subscription(guild.id))
        await interaction.response.send_message(
            embed=screens.event_edited_embed(edited, role_id, held=held), ephemeral=True
        )

    @event.command(name="list", description="This server's upcoming events")
    @server_permissions_check(manage_guild=True)
    async def list_(self, interaction: Interaction) -> None:
        events = await self.service.events(guild_of(interaction).id)
        await interaction.response.send_message(embed=screens.events_embed(events), ephemeral=True)

    @event.command(name="remove", description="Cancel one of this server's events and its reminders")
    @app_commands.describe(event="Start typing its title")
    @server_permissions_check(manage_guild=True)
    async def remove(self, interaction: Interaction, event: app_commands.Range[str, 1, 100]) -> None:
        removed = await self.service.remove_event(guild_of(interaction).id, event_id_of(event))
        await interaction.response.send_message(
            f"Removed “{quote_user_text(removed.title, 100)}”: none of its reminders will be posted.",
            ephemeral=True,
        )

    remove.autocomplete("event")(event_autocomplete)
