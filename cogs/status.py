"""/status: the bot's health (uptime, shards and their latency, servers, jobs, deliveries, errors) for its owners only,
privately."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.observability.status import StatusReport, status_sections
from bot.text import escape_markdown, neutralize_mentions, shorten
from bot.ui.colours import BRAND_COLOUR, NOTICE_COLOUR
from bot.ui.interaction import Interaction
from bot.validation import UserInputError

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

NOT_AN_OWNER = (
    "Only the bot's owners can see its status. An owner is a Discord user id listed in the bot's OWNER_IDS setting."
)


class NotAnOwner(app_commands.CheckFailure, UserInputError):
    """A check failure (so discord.py routes it to the error handler) that reads as a user error (so the member is
    told why, not "You can't use this command here")."""


async def is_bot_owner(interaction: Interaction) -> bool:
    """The runtime check of owner-only commands: listed in OWNER_IDS, whatever their role in this server."""
    if interaction.user.id not in interaction.client.settings.owner_ids:
        log.info("refused /%s for a non-owner", interaction.command.qualified_name if interaction.command else "?")
        raise NotAnOwner(NOT_AN_OWNER)
    return True


def status_embed(report: StatusReport) -> discord.Embed:
    # Error times as Discord timestamps: each reader sees them in their own zone and format.
    sections = status_sections(report, lambda at: discord.utils.format_dt(at, "f"))
    healthy = report.running and not report.errors
    embed = discord.Embed(title="Bot status", colour=BRAND_COLOUR if healthy else NOTICE_COLOUR)
    for label, value in sections[0].rows:
        embed.add_field(name=label, value=shorten(value, 1024), inline=True)
    for section in sections[1:]:
        # Error summaries come from exception texts, which may quote what someone typed: never let them ping. Labels
        # are ours (and a timestamp's <t:…> must stay intact), so only values are escaped.
        lines = [f"{label}: {safe_text(value)}" if value else label for label, value in section.rows]
        embed.add_field(name=section.title, value=shorten("\n".join(lines), 1024), inline=False)
    embed.set_footer(text="Live figures from this process; deliveries from the database.")
    return embed


def safe_text(text: str) -> str:
    return neutralize_mentions(escape_markdown(text))


class StatusCog(commands.Cog):
    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: Interaction, command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu
    ) -> None:
        # One line per answered command; discord.py dispatches this from the command's own task, so the line
        # carries interaction=, command=, guild= and user=. The time counts from Discord creating the interaction.
        elapsed = dt.datetime.now(dt.UTC) - interaction.created_at
        log.info("/%s completed in %.0f ms", command.qualified_name, elapsed.total_seconds() * 1000)

    @app_commands.command(
        name="status", description="Bot health for its owners: uptime, shards and latency, jobs, errors"
    )
    @app_commands.guild_only()
    # Shown only to administrators, so members' command lists stay uncluttered; an owner who is not one here can
    # run it in a server they administer, or an admin can allow them in Server Settings > Integrations.
    @app_commands.default_permissions(administrator=True)
    # The check that decides: the owners, whatever their role here. Not has_permissions(administrator): an owner
    # would be told they lack a permission that does not matter, and an admin who is not an owner must be refused.
    @app_commands.check(is_bot_owner)
    async def status(self, interaction: Interaction) -> None:
        """Uptime, gateway shards and their latency, servers, scheduled jobs, deliveries of the last 24 hours and the
        last errors."""
        report = await self.bot.status_service.live_report()
        await interaction.response.send_message(embed=status_embed(report), ephemeral=True)


async def setup(bot: ImgBot) -> None:
    await bot.add_cog(StatusCog(bot))
