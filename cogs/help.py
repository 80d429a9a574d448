"""/help [command]: what the bot does, one line per command, and one command in detail. Always private.

Everything shown is read from the registered slash commands (``bot.ui.help.catalog``), so a new command or a changed
description appears here without anyone remembering to. Moderators (their permissions, as Discord sends them with
the interaction) also see the commands Discord shows them; members see the members' commands.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.text import quote_user_text
from bot.ui import help as screens
from bot.ui.interaction import Interaction
from bot.validation import UserInputError

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)


def asker_permissions(interaction: Interaction) -> discord.Permissions | None:
    """The asker's permissions in this channel, or None in a DM (where only members' commands are listed)."""
    return interaction.permissions if interaction.guild_id is not None else None


class HelpCog(commands.Cog, name="Help"):
    """/help: the bot's commands, read from the command tree."""

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    def catalog(self) -> tuple[screens.CommandInfo, ...]:
        # Read at every use: cheap (a few dozen commands), and always what is registered now.
        return screens.catalog(self.bot.tree)

    def visible(self, interaction: Interaction) -> list[screens.CommandInfo]:
        permissions = asker_permissions(interaction)
        return [info for info in self.catalog() if screens.may_use(info, permissions)]

    @app_commands.command(name="help", description="What I can do: every command in one line, or one in detail")
    @app_commands.describe(command="A command to explain in detail, e.g. quiz start (start typing)")
    async def help(self, interaction: Interaction, command: app_commands.Range[str, 1, 100] | None = None) -> None:
        if command is None or not command.strip().lstrip("/").strip():
            embeds = screens.overview_embeds(
                self.catalog(), asker_permissions(interaction), in_server=interaction.guild_id is not None
            )
            await interaction.response.send_message(embeds=embeds, ephemeral=True)
            return
        await interaction.response.send_message(embed=self.details(command), ephemeral=True)

    def details(self, typed: str) -> discord.Embed:
        everything = self.catalog()
        wanted = " ".join(typed.casefold().lstrip("/").split())
        for info in everything:
            if info.name == wanted:
                return screens.details_embed(info)
        grouped = [info for info in everything if info.root == wanted and " " in info.name]
        if grouped:
            return screens.group_embed(wanted, grouped)
        near = screens.closest(everything, wanted)
        hint = f" Did you mean {', '.join(f'`/{name}`' for name in near)}?" if near else ""
        raise UserInputError(
            f"There is no command **/{quote_user_text(wanted, 60)}**.{hint} Start typing after `command:` and pick "
            "one, or run `/help` for the list."
        )

    @help.autocomplete("command")
    async def command_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = screens.choices(self.visible(interaction), str(current)[:100])
        return [app_commands.Choice(name=f"/{name}", value=name) for name in names]


async def setup(bot: ImgBot) -> None:
    await bot.add_cog(HelpCog(bot))
