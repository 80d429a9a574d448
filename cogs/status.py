"""/status: the bot's health (uptime, latency, servers, jobs, deliveries, errors) for its owners only, privately."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.observability.status import StatusReport, status_sections
from bot.text import escape_markdown, neutralize_mentions, shorten
from bot.ui.embeds import BRAND_COLOUR, NOTICE_COLOUR
from bot.validation import UserInputError

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]

NOT_AN_OWNER = (
    "Only the bot's owners can see its status. An owner is a Discord user id listed in the bot's OWNER_IDS setting."
)


def status_embed(report: StatusReport) -> discord.Embed:
    sections = status_sections(report)
    healthy = report.running and not report.errors
    embed = discord.Embed(title="Bot status", colour=BRAND_COLOUR if healthy else NOTICE_COLOUR)
    for label, value in sections[0].rows:
        embed.add_field(name=label, value=shorten(value, 1024), inline=True)
    for section in sections[1:]:
        # Error summaries come from exception texts, which may quote what someone typed: never let them ping.
        rows = [f"{label}: {value}" if value else label for label, value in section.rows]
        lines = [neutralize_mentions(escape_markdown(row)) for row in rows]
        embed.add_field(name=section.title, value=shorten("\n".join(lines), 1024), inline=False)
    embed.set_footer(text="Live figures from this process; deliveries from the database.")
    return embed


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

    @app_commands.command(name="status", description="Bot health for its owners: uptime, latency, jobs, errors")
    @app_commands.guild_only()
    # Hidden from everyone but administrators; the owner check below is the one that decides.
    @app_commands.default_permissions(administrator=True)
    @app_commands.checks.has_permissions(administrator=True)
    async def status(self, interaction: Interaction) -> None:
        """Uptime, gateway latency, servers, scheduled jobs, deliveries of the last 24 hours and the last errors."""
        if interaction.user.id not in self.bot.settings.owner_ids:
            log.info("refused /status for a non-owner")
            raise UserInputError(NOT_AN_OWNER)
        report = await self.bot.status_service.live_report()
        await interaction.response.send_message(embed=status_embed(report), ephemeral=True)


async def setup(bot: ImgBot) -> None:
    await bot.add_cog(StatusCog(bot))
