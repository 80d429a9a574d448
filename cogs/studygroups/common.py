"""What the study-group modules share: the services an interaction reaches, its server, how names and times show."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands

from bot.privacy import PersonalData
from bot.studygroups.service import StudyGroupService
from bot.text import quote_user_text
from bot.ui.studygroups import GROUP_COLOUR

if TYPE_CHECKING:
    from bot.app import ImgBot

Interaction = discord.Interaction[Any]

COLOUR = GROUP_COLOUR


def studygroups_of(interaction: Interaction) -> StudyGroupService:
    return cast("ImgBot", interaction.client).services.studygroups


def personal_data_of(interaction: Interaction) -> PersonalData:
    return cast("ImgBot", interaction.client).services.personal_data


def guild_id_of(interaction: Interaction) -> int:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id


def shown(name: str) -> str:
    return f"**{quote_user_text(name, 60)}**"


def timestamp(moment: dt.datetime | None) -> str:
    return "none scheduled" if moment is None else f"<t:{int(moment.timestamp())}:F>"
