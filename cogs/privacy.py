"""/privacy (what the bot keeps about a member, why and for how long; a Details button for the whole text) and
/mydata (export it, or delete it after a confirmation). They cover every feature, so they are an extension of their
own; the rules and the data live in ``bot.privacy``.
"""

from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.privacy import BackupPolicy, describe_deletion
from bot.ui.cooldowns import per_user_cooldown
from bot.ui.errors import guarded
from bot.ui.interaction import HookInteraction, Interaction
from bot.ui.privacy import DETAILS_LABEL, privacy_details_embed, privacy_summary_embed

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)


class DeleteDataButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"mydata:delete:(?P<answer>yes|no)"):
    """The confirmation of /mydata delete; it acts on whoever clicks (the message is theirs alone)."""

    def __init__(self, answer: str) -> None:
        yes = answer == "yes"
        super().__init__(
            discord.ui.Button(
                custom_id=f"mydata:delete:{answer}",
                label="Delete everything" if yes else "Keep my data",
                style=discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
            )
        )
        self.answer = answer

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DeleteDataButton:
        return cls(match["answer"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        if self.answer != "yes":
            await interaction.response.edit_message(content="Nothing was deleted.", view=None)
            return
        # Deleting goes through every feature's tables and the deletion ledger: it may take longer than the 3 s
        # Discord gives an answer, so the press is acknowledged first and the prompt becomes the result after.
        await interaction.response.defer(ephemeral=True)
        personal = interaction.client.services.personal_data
        counts = await personal.delete(interaction.user.id)
        await interaction.edit_original_response(content=describe_deletion(counts, personal.backups), view=None)


class PrivacyDetailsButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"privacy:details"):
    """Under /privacy's summary: the whole text, privately, for this server's retention (or a DM's default)."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(custom_id="privacy:details", label=DETAILS_LABEL, style=discord.ButtonStyle.secondary)
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PrivacyDetailsButton:
        return cls()

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        days, backups = await privacy_settings(interaction)
        await interaction.response.send_message(embed=privacy_details_embed(days, backups), ephemeral=True)


async def privacy_settings(interaction: Interaction) -> tuple[int | None, BackupPolicy]:
    """What /privacy depends on: the server's study-group retention (None in a DM, where only the default can be
    stated) and the bot's backup settings."""
    services = interaction.client.services
    guild_id = interaction.guild_id
    days = None if guild_id is None else await services.studygroups.retention_days(guild_id)
    return days, services.personal_data.backups


async def send_privacy(interaction: Interaction) -> None:
    """/privacy: the summary, with **Details** for the whole text."""
    days, backups = await privacy_settings(interaction)
    view = discord.ui.View(timeout=None)
    view.add_item(PrivacyDetailsButton())
    await interaction.response.send_message(embed=privacy_summary_embed(days, backups), view=view, ephemeral=True)


class PrivacyCog(commands.Cog, name="Your data"):
    """What the bot keeps about you: read why, take a copy, or delete it."""

    mydata = app_commands.Group(name="mydata", description="Everything this bot stores about you: export or delete")

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    @app_commands.command(name="privacy", description="What this bot keeps about you, why, and for how long")
    async def privacy(self, interaction: Interaction) -> None:
        await send_privacy(interaction)

    @mydata.command(name="export", description="Everything this bot stores about you, as a file only you see")
    @per_user_cooldown()
    async def export(self, interaction: Interaction) -> None:
        # Every feature's data is read and written out first: acknowledged before, as deleting is.
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.bot.services.personal_data.export_json(interaction.user.id)
        await interaction.followup.send(
            "Here is everything I store about you. See `/privacy` for why.",
            file=discord.File(io.BytesIO(data), filename="my-data.json"),
            ephemeral=True,
        )

    @mydata.command(name="delete", description="Delete everything this bot stores about you (asks first)")
    async def delete(self, interaction: Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(DeleteDataButton("yes"))
        view.add_item(DeleteDataButton("no"))
        await interaction.response.send_message(
            "This deletes everything I store about you in every server: study-group check-ins and memberships, "
            "your settings, quiz answers, readiness results, interview notes and log, votes and your own dates "
            "(/mydates); questions you asked the community and server records (server entries, settings you made as "
            "a moderator) stay, no longer naming you. It cannot be undone. "
            "(`/mydata export` first if you want a copy.)",
            view=view,
            ephemeral=True,
        )


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(DeleteDataButton, PrivacyDetailsButton)
    await bot.add_cog(PrivacyCog(bot))
