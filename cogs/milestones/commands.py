"""/milestones (everyone) and /announcements (Manage Server): the cycle's dates, and posting them in a server.

Two top-level groups on purpose: Discord applies a command's default permissions to the whole top-level command,
so /milestones next and /milestones calendar (for every member) cannot live in a group that is hidden from
members, and the admin commands are declared (hidden) and checked at run time like every admin command here.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.announcements import read_more_view
from bot.adapters.scheduled_events import PERMISSION_HELP, can_make_events
from bot.milestones.models import PauseReason
from bot.milestones.pausing import REASON_FOR_PROBLEM
from bot.milestones.service import MAX_NEXT, DiscordEventsChange, MilestoneService
from bot.scheduling.delivery import DeliveryProblem, ProblemKind
from bot.text import quote_user_text, shorten
from bot.ui import milestones as screens
from bot.ui.cooldowns import per_user_cooldown
from bot.ui.interaction import Interaction
from bot.ui.permissions import server_permissions_check
from bot.validation import UserInputError

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)


def service_of(interaction: Interaction) -> MilestoneService:
    return interaction.client.services.milestones


def guild_of(interaction: Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild


def explain(problem: DeliveryProblem, channel: str) -> str:
    if problem.kind is ProblemKind.NO_PERMISSION:
        return (
            f"I can't post in {channel}: give my role **View Channel**, **Send Messages** and **Embed Links** there "
            "(channel settings > Permissions), then try again."
        )
    if problem.kind is ProblemKind.CHANNEL_GONE:
        return f"{channel} no longer exists. Pick another channel."
    if problem.kind is ProblemKind.ROLE_GONE:
        return "That role no longer exists. Pick another role, or none."
    return "I can't post there right now. Try again in a moment."


def check_role(role: discord.Role, me: discord.Member) -> str | None:
    """Refuse roles that must never be pinged; a warning (not a refusal) when the ping would not work."""
    if role.is_default():
        raise UserInputError("I never ping @everyone. Create a role for applicants (e.g. “Match 2027”) and pick it.")
    if role.managed:
        raise UserInputError(f"**{role.name}** belongs to a bot or an integration. Pick a role members can have.")
    if not role.mentionable and not me.guild_permissions.mention_everyone:
        return (
            f"**{role.name}** is not mentionable, so the ping will not notify anyone. Turn on “Allow anyone to "
            "@mention this role” in its settings, or give me **Mention @everyone, @here and All Roles**."
        )
    return None


def events_reply(change: DiscordEventsChange) -> str:
    """The reply to /announcements scheduled-events: what will be in the Events tab, or that nothing new will; "already
    on" or "already off" when the command changed nothing."""
    if not change.enabled:
        if change.made == 1:
            kept = " The event I already added stays; delete it in the Events tab if you want it gone."
        elif change.made:
            kept = (
                f" The {change.made} events I already added stay; delete them in the Events tab if you want them gone."
            )
        else:
            kept = ""
        if not change.changed:
            return f"Already off: I don't add Match Week, SOAP or Match Day events here.{kept}"
        return f"I won't add Match Week, SOAP or Match Day events here any more.{kept}"
    opening = "Switched on." if change.changed else "Already on."
    if not change.planned:
        return f"{opening} Nothing is ahead right now; I'll add the next cycle's events when its dates are known."
    lines = [
        f"- {plan.name}: {discord.utils.format_dt(plan.start, 'F')}{' (projected date)' if plan.projected else ''}"
        for plan in change.planned
    ]
    doing = "I'm adding" if change.changed else "I add"
    return shorten(
        f"{opening} {doing} these to this server's Events tab, once each (events already there are kept, "
        "and a projected date is moved when the official one is published):\n" + "\n".join(lines),
        2000,
    )


class MilestonesCog(commands.Cog, name="Milestones"):
    """The Match cycle's milestones, announced in each server on time."""

    milestones = app_commands.Group(
        name="milestones", description="Dates of the Match cycle: what comes next, and a calendar file"
    )
    announcements = app_commands.Group(
        name="announcements",
        description="Post every milestone of the Match cycle in this server, on time (moderators)",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot
        self.messenger = bot.adapters.messenger

    @property
    def service(self) -> MilestoneService:
        return self.bot.services.milestones

    # -- for everyone ------------------------------------------------------------------------------------------------

    @milestones.command(name="next", description="The coming milestones of the Match cycle, official or projected")
    @app_commands.describe(
        count=f"How many (1-{MAX_NEXT}, default 5)", private="Show them only to you (default: the channel sees them)"
    )
    async def next_(
        self, interaction: Interaction, count: app_commands.Range[int, 1, MAX_NEXT] = 5, private: bool = False
    ) -> None:
        now = dt.datetime.now(dt.UTC)
        embed = screens.next_embed(self.service.next_milestones(now, count), now)
        if interaction.guild_id is not None:
            events = [e for e in await self.service.events(interaction.guild_id) if e.active][:3]
            if events:
                embed.add_field(
                    name="This server's events",
                    value=shorten(
                        "\n".join(
                            f"{discord.utils.format_dt(e.starts_at, 'f')}: {quote_user_text(e.title, 80)}"
                            for e in events
                        ),
                        1024,
                    ),
                    inline=False,
                )
        await interaction.response.send_message(embed=embed, ephemeral=private)

    @milestones.command(name="calendar", description="The Match cycle's milestones as a calendar file (.ics)")
    @per_user_cooldown()
    async def calendar(self, interaction: Interaction) -> None:
        file = await self.service.calendar_file(dt.datetime.now(dt.UTC), interaction.guild_id)
        await interaction.response.send_message(
            screens.calendar_message(file),
            file=discord.File(io.BytesIO(file.data), filename=file.filename),
            ephemeral=True,
        )

    # -- for moderators ----------------------------------------------------------------------------------------------

    @announcements.command(name="setup", description="Post every milestone in a channel, with reminders before each")
    @app_commands.describe(
        channel="Where to post the announcements",
        role="The role to ping with each post (optional; nobody else is ever pinged)",
        reminders="When to post before each milestone, e.g. 7d,1d,0 (0 = at the time). Default: each one's own",
    )
    @server_permissions_check(manage_guild=True)
    async def setup_(
        self,
        interaction: Interaction,
        channel: discord.TextChannel,
        role: discord.Role | None = None,
        reminders: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild = guild_of(interaction)
        problem = self.messenger.target_problem(guild.id, channel.id, None)
        if problem is not None:
            raise UserInputError(explain(problem, channel.mention))
        warning = check_role(role, guild.me) if role is not None else None
        subscription = await self.service.subscribe(
            guild.id, channel.id, role.id if role else None, reminders, interaction.user.id
        )
        report = await self.service.status(guild.id, count=3)
        await interaction.response.send_message(
            embed=screens.setup_embed(subscription, report.upcoming, warning), ephemeral=True
        )

    @announcements.command(name="status", description="Where announcements go, what comes next, what was posted")
    @server_permissions_check(manage_guild=True)
    async def status(self, interaction: Interaction) -> None:
        report = await self.service.status(guild_of(interaction).id, count=5)
        await interaction.response.send_message(embed=screens.status_embed(report), ephemeral=True)

    @announcements.command(
        name="pause", description="Stop posting milestones and this server's events (/event) until resumed"
    )
    @server_permissions_check(manage_guild=True)
    async def pause(self, interaction: Interaction) -> None:
        await self.service.pause(guild_of(interaction).id)
        await interaction.response.send_message(
            "Paused: I post no milestones and none of this server's events (`/event`) until "
            "`/announcements resume`. What falls due in between is skipped, not posted late.",
            ephemeral=True,
        )

    @announcements.command(name="resume", description="Start posting milestones and this server's events again")
    @server_permissions_check(manage_guild=True)
    async def resume(self, interaction: Interaction) -> None:
        guild = guild_of(interaction)
        subscription = await self.service.subscription(guild.id)
        if subscription is not None and not subscription.active:
            problem = self.messenger.target_problem(guild.id, subscription.channel_id, subscription.role_id)
            if problem is not None:
                reason = REASON_FOR_PROBLEM.get(problem.kind, PauseReason.NO_PERMISSION)
                raise UserInputError(f"Not yet: {screens.PAUSE_HELP[reason].removeprefix('Paused: ')}")
        subscription = await self.service.resume(guild.id)
        report = await self.service.status(guild.id, count=3)
        await interaction.response.send_message(
            embed=screens.setup_embed(subscription, report.upcoming, None), ephemeral=True
        )

    @announcements.command(
        name="preview", description="Show you privately how a milestone's announcement looks (no ping)"
    )
    @app_commands.describe(
        milestone="Start typing: ROL deadline, Match Day, SOAP…",
        public="Post it in this channel for everyone, marked as a preview (default: only you see it)",
    )
    @server_permissions_check(manage_guild=True)
    async def preview(
        self, interaction: Interaction, milestone: app_commands.Range[str, 1, 100], public: bool = False
    ) -> None:
        announcement = self.service.preview(milestone)
        kwargs: dict[str, Any] = {"embed": screens.announcement_embed(announcement)}
        view = read_more_view(announcement)
        if view is not None:
            kwargs["view"] = view
        # Private unless asked: a moderator checking a post should not post it to the whole channel.
        await interaction.response.send_message(**kwargs, ephemeral=not public)

    @announcements.command(
        name="scheduled-events", description="Also add Match Week, SOAP and Match Day to this server's Events tab"
    )
    @app_commands.describe(enabled="True: add them (once each); False: add no new ones (existing events stay)")
    @server_permissions_check(manage_guild=True)
    async def scheduled_events(self, interaction: Interaction, enabled: bool) -> None:
        guild = guild_of(interaction)
        if enabled and not can_make_events(guild.me):
            raise UserInputError(f"I can't add events to this server yet. {PERMISSION_HELP}")
        change = await self.service.set_discord_events(guild.id, enabled)
        await interaction.response.send_message(events_reply(change), ephemeral=True)

    @preview.autocomplete("milestone")
    async def preview_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        choices = self.service.milestone_choices(current[:100], dt.datetime.now(dt.UTC))
        return [app_commands.Choice(name=label, value=uid) for label, uid in choices]

    # -- the server changed under us ---------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        notice = await self.service.channel_deleted(channel.guild.id, channel.id)
        if notice is not None:
            self.service.notify_later([notice])

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        notice = await self.service.role_deleted(role.guild.id, role.id)
        if notice is not None:
            self.service.notify_later([notice])

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.service.server_left(guild.id)
