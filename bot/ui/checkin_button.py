"""The Check in button on a study group's scheduled prompt.

It lives here, outside the study-groups extension, because the bot's prompt sender (``bot.adapters.studygroup_posts``,
built in ``bot/app.py``) sends it: an extension that defined the button would leave the sender holding the old class
after a reload (discord.py registers a DynamicItem's class again whenever a message carrying it is sent). The click
is answered by the study-groups cog, found when it happens, so a reloaded cog answers with its new code.

Interactions are typed ``discord.Interaction[Any]``: ``bot.app`` imports this module through the sender, so it may
not name ``ImgBot`` (``bot/ui/interaction.py`` does).
"""

from __future__ import annotations

import re
from typing import Any, Protocol, runtime_checkable

import discord

from bot.ui.errors import guarded
from bot.validation import UserInputError

STUDY_GROUPS_COG = "Study groups"
"""The cog that answers the click (``StudyGroupsCog`` in cogs/studygroups/commands.py)."""


@runtime_checkable
class CheckInOpener(Protocol):
    async def open_check_in_form(self, interaction: discord.Interaction[Any], group_id: int) -> None:
        """Open the check-in form for that group, pre-filled with the clicker's check-in of today."""


class CheckInButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sg:checkin:(?P<group>[0-9]{1,20})"):
    """On a group's prompt: opens the check-in modal for that group."""

    def __init__(self, group_id: int) -> None:
        super().__init__(
            discord.ui.Button(custom_id=f"sg:checkin:{group_id}", label="Check in", style=discord.ButtonStyle.primary)
        )
        self.group_id = group_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> CheckInButton:
        return cls(int(match["group"]))

    @guarded
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        opener = interaction.client.get_cog(STUDY_GROUPS_COG)
        if not isinstance(opener, CheckInOpener):
            # Only while the study-groups extension is being reloaded (or failed to load).
            raise UserInputError("Study groups are not available right now. Please try again in a minute.")
        await opener.open_check_in_form(interaction, self.group_id)
