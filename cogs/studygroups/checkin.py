"""The check-in: the modal (pre-filled with today's), its receipt, and the **Fix it** button of a refused check-in
(``bot.ui.forms``). The Check in button on a group's prompt is ``bot.ui.checkin_button``: the bot's prompt sender
sends it, and the cog opens this modal for it."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.studygroups.models import CheckIn, CheckInEntry, StudyGroup, parse_form_with_clock
from bot.text import shorten
from bot.ui.errors import BaseModal, guarded
from bot.ui.forms import FormField, fix_button, problems_text, typed_embed, typed_from_message
from bot.ui.interaction import HookInteraction, Interaction
from bot.ui.studygroups import receipt_embed
from bot.validation import FormErrors
from cogs.studygroups.common import guild_id_of, studygroups_of

log = logging.getLogger(__name__)

CHECKIN_MODAL_TIMEOUT = 30 * 60
"""An opened check-in modal waits this long (a modal does not survive a restart; the button does)."""
MODAL_TEXT_LIMIT = 1000
NUMBER_LIMIT = 10


CHECKIN_FIELDS = (
    FormField("studied", "What you studied"),
    FormField("questions", "Questions done"),
    FormField("percent", "Percent correct"),
    FormField("hours", "Hours studied"),
    FormField("blockers", "Blockers"),
)
"""The modal's inputs as a refused check-in lists them (and ``Fix it`` reads them back)."""
FORM_KEYS = {"percent_correct": "percent"}
"""``CheckInEntry`` field -> modal input, where they differ (``minutes`` is already reported as ``hours``)."""


def typed_of(current: CheckIn | None) -> dict[str, str]:
    """Today's check-in as the modal's inputs show it (empty: a first check-in today)."""
    if current is None:
        return {}
    typed = {"studied": current.studied, "blockers": current.blockers or ""}
    if current.questions is not None:
        typed["questions"] = str(current.questions)
    if current.percent_correct is not None:
        typed["percent"] = str(current.percent_correct)
    if current.minutes is not None:
        typed["hours"] = f"{current.minutes / 60:g}"
    return typed


class CheckInModal(BaseModal):
    """What I studied (required), questions, percent correct, hours, blockers.

    Pre-filled with today's check-in, or with what was typed when a refused one is fixed (``typed``). ``fixing``:
    opened from a refusal's **Fix it**, whose message the answer then replaces (the check-in's own screen)."""

    def __init__(
        self,
        group: StudyGroup,
        current: CheckIn | None,
        *,
        user_id: int,
        typed: dict[str, str] | None = None,
        fixing: bool = False,
    ) -> None:
        title = shorten(f"Check in: {group.name}", 45)
        super().__init__(title=title, form=f"sg:modal:{group.id}", user_id=user_id, timeout=CHECKIN_MODAL_TIMEOUT)
        self.group_id = group.id
        self.fixing = fixing
        shown = typed_of(current) if typed is None else typed

        def default(key: str, limit: int) -> str | None:
            # A default longer than its input's max_length would make Discord refuse the whole modal.
            return shown.get(key, "")[:limit] or None

        self.studied: discord.ui.TextInput[CheckInModal] = discord.ui.TextInput(
            label="What did you study today?",
            custom_id="studied",
            style=discord.TextStyle.paragraph,
            placeholder="UWorld cardio block, First Aid renal chapter…",
            default=default("studied", MODAL_TEXT_LIMIT),
            max_length=MODAL_TEXT_LIMIT,
        )
        self.questions: discord.ui.TextInput[CheckInModal] = discord.ui.TextInput(
            label="Questions done (optional)",
            custom_id="questions",
            placeholder="40",
            required=False,
            default=default("questions", NUMBER_LIMIT),
            max_length=NUMBER_LIMIT,
        )
        self.percent: discord.ui.TextInput[CheckInModal] = discord.ui.TextInput(
            label="Percent correct (optional)",
            custom_id="percent",
            placeholder="72%",
            required=False,
            default=default("percent", NUMBER_LIMIT),
            max_length=NUMBER_LIMIT,
        )
        self.hours: discord.ui.TextInput[CheckInModal] = discord.ui.TextInput(
            label="Hours studied (optional)",
            custom_id="hours",
            placeholder="2.5 or 2:30",
            required=False,
            default=default("hours", NUMBER_LIMIT),
            max_length=NUMBER_LIMIT,
        )
        self.blockers: discord.ui.TextInput[CheckInModal] = discord.ui.TextInput(
            label="Anything blocking you? (optional)",
            custom_id="blockers",
            style=discord.TextStyle.paragraph,
            required=False,
            default=default("blockers", MODAL_TEXT_LIMIT),
            max_length=MODAL_TEXT_LIMIT,
        )
        for item in (self.studied, self.questions, self.percent, self.hours, self.blockers):
            self.add_item(item)

    def typed(self) -> dict[str, str]:
        return {
            "studied": self.studied.value,
            "questions": self.questions.value,
            "percent": self.percent.value,
            "hours": self.hours.value,
            "blockers": self.blockers.value,
        }

    async def on_submit(self, interaction: HookInteraction) -> None:
        service = studygroups_of(interaction)
        try:
            entry = parse_form_with_clock(
                CheckInEntry,
                service.now(),
                studied=self.studied.value,
                questions=self.questions.value,
                percent_correct=self.percent.value,
                hours=self.hours.value,
                blockers=self.blockers.value,
            )
        except FormErrors as refused:
            await self.refuse(interaction, refused)
            return
        receipt = await service.check_in(guild_id_of(interaction), interaction.user.id, entry, group=self.group_id)
        if self.fixing:
            await interaction.response.edit_message(content=None, embed=receipt_embed(receipt), view=None)
        else:
            await interaction.response.send_message(embed=receipt_embed(receipt), ephemeral=True)

    async def refuse(self, interaction: Interaction, refused: FormErrors) -> None:
        """Every problem at once, what was typed, and **Fix it** (a refusal being fixed is replaced, not added)."""
        wrong = frozenset(FORM_KEYS.get(name, name) for name in refused.fields)
        view = discord.ui.View(timeout=None)
        view.add_item(FixCheckInButton(self.group_id))
        message: dict[str, Any] = {
            "content": problems_text([text for _, text in refused.problems], what="Your check-in was not saved"),
            "embed": typed_embed(CHECKIN_FIELDS, self.typed(), wrong),
            "view": view,
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if self.fixing:
            await interaction.response.edit_message(**message)
        else:
            await interaction.response.send_message(ephemeral=True, **message)


async def open_check_in(interaction: Interaction, group: str | int | None) -> None:
    service = studygroups_of(interaction)
    target, current = await service.todays_check_in(
        guild_id_of(interaction), interaction.user.id, group=group, channel_id=interaction.channel_id
    )
    await interaction.response.send_modal(CheckInModal(target, current, user_id=interaction.user.id))


class FixCheckInButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sg:fix:(?P<group>[0-9]{1,20})"):
    """On a refused check-in: opens the form again with what was typed (read from the refusal itself)."""

    def __init__(self, group_id: int) -> None:
        super().__init__(fix_button(f"sg:fix:{group_id}"))
        self.group_id = group_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FixCheckInButton:
        return cls(int(match["group"]))

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        service = studygroups_of(interaction)
        target, _ = await service.todays_check_in(guild_id_of(interaction), interaction.user.id, group=self.group_id)
        typed = typed_from_message(interaction.message, CHECKIN_FIELDS)
        await interaction.response.send_modal(
            CheckInModal(target, None, user_id=interaction.user.id, typed=typed, fixing=True)
        )
