"""The check-in: the modal (pre-filled with today's), its receipt, and the Check in button on a group's prompt."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.studygroups.models import CheckIn, CheckInEntry, StudyGroup, format_hours, parse_with_clock
from bot.studygroups.service import CheckInReceipt
from bot.text import shorten
from bot.ui.errors import BaseModal, guarded
from bot.ui.plural import plural
from bot.ui.studygroups import streak_line
from cogs.studygroups.common import COLOUR, Interaction, guild_id_of, shown, studygroups_of

log = logging.getLogger(__name__)

CHECKIN_MODAL_TIMEOUT = 30 * 60
"""An opened check-in modal waits this long (a modal does not survive a restart; the button does)."""
MODAL_TEXT_LIMIT = 1000


class CheckInModal(BaseModal):
    """What I studied (required), questions, percent correct, hours, blockers; pre-filled with today's."""

    def __init__(self, group: StudyGroup, current: CheckIn | None) -> None:
        title = shorten(f"Check in: {group.name}", 45)
        super().__init__(title=title, custom_id=f"sg:modal:{group.id}", timeout=CHECKIN_MODAL_TIMEOUT)
        self.group_id = group.id
        self.studied: discord.ui.TextInput[CheckInModal] = discord.ui.TextInput(
            label="What did you study today?",
            custom_id="studied",
            style=discord.TextStyle.paragraph,
            placeholder="UWorld cardio block, First Aid renal chapter…",
            default=current.studied if current else None,
            max_length=MODAL_TEXT_LIMIT,
        )
        self.questions: discord.ui.TextInput[CheckInModal] = discord.ui.TextInput(
            label="Questions done (optional)",
            custom_id="questions",
            placeholder="40",
            required=False,
            default=None if current is None or current.questions is None else str(current.questions),
            max_length=10,
        )
        self.percent: discord.ui.TextInput[CheckInModal] = discord.ui.TextInput(
            label="Percent correct (optional)",
            custom_id="percent",
            placeholder="72%",
            required=False,
            default=None if current is None or current.percent_correct is None else str(current.percent_correct),
            max_length=10,
        )
        self.hours: discord.ui.TextInput[CheckInModal] = discord.ui.TextInput(
            label="Hours studied (optional)",
            custom_id="hours",
            placeholder="2.5 or 2:30",
            required=False,
            default=None if current is None or current.minutes is None else f"{current.minutes / 60:g}",
            max_length=10,
        )
        self.blockers: discord.ui.TextInput[CheckInModal] = discord.ui.TextInput(
            label="Anything blocking you? (optional)",
            custom_id="blockers",
            style=discord.TextStyle.paragraph,
            required=False,
            default=current.blockers if current else None,
            max_length=MODAL_TEXT_LIMIT,
        )
        for item in (self.studied, self.questions, self.percent, self.hours, self.blockers):
            self.add_item(item)

    async def on_submit(self, interaction: Interaction) -> None:
        service = studygroups_of(interaction)
        entry = parse_with_clock(
            CheckInEntry,
            service.now(),
            studied=self.studied.value,
            questions=self.questions.value,
            percent_correct=self.percent.value,
            hours=self.hours.value,
            blockers=self.blockers.value,
        )
        receipt = await service.check_in(guild_id_of(interaction), interaction.user.id, entry, group=self.group_id)
        await interaction.response.send_message(embed=receipt_embed(receipt), ephemeral=True)


def receipt_embed(receipt: CheckInReceipt) -> discord.Embed:
    verb = "updated" if receipt.updated else "recorded"
    embed = discord.Embed(
        title=f"Check-in {verb} ✅",
        description=f"{shown(receipt.group.name)} · {receipt.check_in.local_date:%A %d %B}\n"
        + streak_line(receipt.streak),
        colour=COLOUR,
    )
    numbers = []
    if receipt.check_in.questions is not None:
        numbers.append(plural(receipt.check_in.questions, "question", grouped=True))
    if receipt.check_in.percent_correct is not None:
        numbers.append(f"{receipt.check_in.percent_correct}% correct")
    if receipt.check_in.minutes is not None:
        numbers.append(format_hours(receipt.check_in.minutes))
    if numbers:
        embed.add_field(name="Today", value=" · ".join(numbers), inline=False)
    notes = []
    if receipt.joined:
        notes.append(f"You joined {shown(receipt.group.name)} by checking in.")
    if receipt.zone_is_default:
        notes.append(
            f"Your day was counted in the group's time zone ({receipt.zone}). Set your own with `/settings timezone:`."
        )
    if notes:
        embed.add_field(name="Note", value="\n".join(notes), inline=False)
    embed.set_footer(text="Only you can see this. Check in again today to change it.")
    return embed


async def open_check_in(interaction: Interaction, group: str | int | None) -> None:
    service = studygroups_of(interaction)
    target, current = await service.todays_check_in(
        guild_id_of(interaction), interaction.user.id, group=group, channel_id=interaction.channel_id
    )
    await interaction.response.send_modal(CheckInModal(target, current))


class CheckInButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sg:checkin:(?P<group>[0-9]{1,20})"):
    """On a group's prompt: opens the check-in modal for that group."""

    def __init__(self, group_id: int) -> None:
        super().__init__(
            discord.ui.Button(custom_id=f"sg:checkin:{group_id}", label="Check in", style=discord.ButtonStyle.primary)
        )
        self.group_id = group_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> CheckInButton:
        return cls(int(match["group"]))

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        await open_check_in(interaction, self.group_id)
