"""/privacy's summary and its Details button, and the confirmation buttons of /mydata delete."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.privacy import BackupPolicy, describe_deletion
from bot.ui.errors import guarded
from bot.ui.interaction import HookInteraction, Interaction
from bot.ui.privacy import DETAILS_LABEL, privacy_details_embed, privacy_summary_embed
from cogs.studygroups.common import personal_data_of, studygroups_of

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
        personal = personal_data_of(interaction)
        counts = await personal.delete(interaction.user.id)
        await interaction.response.edit_message(content=describe_deletion(counts, personal.backups), view=None)


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
    guild_id = interaction.guild_id
    days = None if guild_id is None else await studygroups_of(interaction).retention_days(guild_id)
    return days, personal_data_of(interaction).backups


async def send_privacy(interaction: Interaction) -> None:
    """/privacy: the summary, with **Details** for the whole text."""
    days, backups = await privacy_settings(interaction)
    view = discord.ui.View(timeout=None)
    view.add_item(PrivacyDetailsButton())
    await interaction.response.send_message(embed=privacy_summary_embed(days, backups), view=view, ephemeral=True)
