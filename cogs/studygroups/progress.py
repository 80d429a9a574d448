"""/progress for oneself, and its Share button."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.studygroups.service import StudyGroupService
from bot.ui.errors import guarded
from bot.ui.interaction import HookInteraction, Interaction
from bot.ui.sharing import ensure_owner, share_button, share_in_channel
from bot.ui.studygroups import ProgressAudience, progress_embed
from bot.validation import UserInputError
from cogs.studygroups.common import guild_id_of, studygroups_of

log = logging.getLogger(__name__)


class ShareProgressButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sg:share:(?P<owner>[0-9]{1,20})"):
    """Under a member's own /progress: posts their progress, as it is now, for the channel. Only theirs to press."""

    def __init__(self, owner_id: int) -> None:
        super().__init__(share_button(f"sg:share:{owner_id}"))
        self.owner_id = owner_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ShareProgressButton:
        return cls(int(match["owner"]))

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        ensure_owner(interaction, self.owner_id, "`/progress`")
        progress = await studygroups_of(interaction).progress(guild_id_of(interaction), self.owner_id)
        if progress.check_ins == 0:
            raise UserInputError("There is nothing to share yet: check in with `/checkin` first.")
        embed = progress_embed(progress, ProgressAudience.PUBLIC, name=interaction.user.display_name)
        await share_in_channel(interaction, embed)


async def send_own_progress(interaction: Interaction, service: StudyGroupService) -> None:
    progress = await service.progress(guild_id_of(interaction), interaction.user.id)
    view = discord.ui.View(timeout=None)
    # Nothing to share before the first check-in.
    if progress.check_ins:
        view.add_item(ShareProgressButton(interaction.user.id))
    await interaction.response.send_message(embed=progress_embed(progress), view=view, ephemeral=True)
