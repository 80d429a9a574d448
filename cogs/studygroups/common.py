"""What the study-group modules share: the services an interaction reaches, its server, how names and times show."""

from __future__ import annotations

from discord import app_commands

from bot.studygroups.service import StudyGroupService
from bot.ui.interaction import Interaction


def studygroups_of(interaction: Interaction) -> StudyGroupService:
    return interaction.client.services.studygroups


def guild_id_of(interaction: Interaction) -> int:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id
