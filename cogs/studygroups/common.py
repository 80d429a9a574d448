"""What the study-group modules share: the services an interaction reaches, its server, how names and times show."""

from __future__ import annotations

import datetime as dt

from discord import app_commands

from bot.studygroups.service import StudyGroupService
from bot.text import quote_user_text
from bot.ui.interaction import Interaction
from bot.ui.studygroups import GROUP_COLOUR

COLOUR = GROUP_COLOUR


def studygroups_of(interaction: Interaction) -> StudyGroupService:
    return interaction.client.services.studygroups


def guild_id_of(interaction: Interaction) -> int:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id


def shown(name: str) -> str:
    return f"**{quote_user_text(name, 60)}**"


def timestamp(moment: dt.datetime | None) -> str:
    return "none scheduled" if moment is None else f"<t:{int(moment.timestamp())}:F>"
