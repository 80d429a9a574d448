"""/privacy's screen and the confirmation buttons of /mydata delete."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.privacy import DEFAULT_BACKUPS, BackupPolicy, describe_deletion, privacy_sections
from bot.ui.errors import guarded
from cogs.studygroups.common import COLOUR, Interaction, personal_data_of

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
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
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


def privacy_embed(retention_days: int | None = None, backups: BackupPolicy = DEFAULT_BACKUPS) -> discord.Embed:
    """/privacy: ``retention_days`` is the server's study-group retention (None in a DM), ``backups`` the bot's
    backup settings (how long backups keep what a member deleted)."""
    embed = discord.Embed(title="Privacy: what this bot keeps about you", colour=COLOUR)
    for title, body in privacy_sections(retention_days, backups):
        embed.add_field(name=title, value=body, inline=False)
    return embed
