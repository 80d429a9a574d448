"""/mydates add, list, remove, calendar and share-in-recaps: a member's own exam, interview and deadline dates,
with reminders by DM (the feed ``bot.mydates.reminders``).

Every reply is private. The rules are in ``bot.mydates``; the screens in ``bot.ui.mydates``. Each command, once it
succeeded, also tells a member whose reminder DM Discord refused (once), which turns their reminders back on.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.mydates.models import KIND_CHOICES, MAX_TITLE, AddDateOptions, ShareOptions
from bot.mydates.service import MyDatesService
from bot.ui import mydates as screens
from bot.ui.interaction import Interaction
from bot.validation import UserInputError, parse_options, parse_options_with

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)


class MyDatesCog(commands.Cog, name="My dates"):
    """Your own exam, interview and deadline dates, with reminders by DM."""

    mydates = app_commands.Group(
        name="mydates", description="Your own exam, interview and deadline dates, with reminders by DM"
    )

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    @property
    def service(self) -> MyDatesService:
        return self.bot.services.mydates

    async def _notice(self, interaction: Interaction, text: str | None) -> str | None:
        """``text``, after the one-time notice that a reminder DM was refused (which resumes the reminders)."""
        return screens.with_notice(text, await self.service.take_pause(interaction.user.id))

    @mydates.command(name="add", description="Save an exam, interview or deadline of yours; reminders come by DM")
    @app_commands.describe(
        kind="What it is (custom: give it a title)",
        date="The date, YYYY-MM-DD, e.g. 2027-03-04",
        time="The time, HH:MM in 24-hour time, e.g. 08:30",
        timezone="The time zone of that time: start typing a city, e.g. Kolkata, Lagos, New York",
        title=f"A title, up to {MAX_TITLE} characters (needed for custom; for the others a detail, e.g. the program)",
        reminders="When to DM you before it, e.g. 7d,1d,2h (the default), 3d,12h, or none",
    )
    @app_commands.choices(kind=[app_commands.Choice(name=name, value=value) for name, value in KIND_CHOICES])
    async def add(
        self,
        interaction: Interaction,
        kind: str,
        date: app_commands.Range[str, 1, 10],
        time: app_commands.Range[str, 1, 8],
        timezone: app_commands.Range[str, 1, 64],
        title: app_commands.Range[str, 1, MAX_TITLE] | None = None,
        reminders: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        options = parse_options_with(
            AddDateOptions,
            {"now": self.service.now()},
            kind=kind,
            title=title,
            date=date,
            time=time,
            timezone=timezone,
            reminders=reminders,
        )
        added = await self.service.add(interaction.user.id, options)
        await interaction.response.send_message(
            content=await self._notice(interaction, None), embed=screens.added_embed(added), ephemeral=True
        )

    @add.autocomplete("timezone")
    async def timezone_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=zone, value=zone) for zone in self.service.zone_choices(current[:64])]

    @mydates.command(name="list", description="Your dates and their reminders, privately")
    async def list_(self, interaction: Interaction) -> None:
        dates = await self.service.dates(interaction.user.id)
        await interaction.response.send_message(
            content=await self._notice(interaction, None),
            embed=screens.dates_embed(dates, self.service.now()),
            ephemeral=True,
        )

    @mydates.command(name="remove", description="Remove one of your dates and its reminders")
    @app_commands.describe(date="Start typing its name, then pick it from the list")
    async def remove(self, interaction: Interaction, date: app_commands.Range[str, 1, 100]) -> None:
        removed = await self.service.remove(interaction.user.id, date)
        await interaction.response.send_message(
            await self._notice(interaction, screens.removed_text(removed)), ephemeral=True
        )

    @remove.autocomplete("date")
    async def date_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        choices = await self.service.choices(interaction.user.id, current[:100])
        return [app_commands.Choice(name=label, value=str(date_id)) for label, date_id in choices]

    @mydates.command(name="calendar", description="Your dates as a calendar file (.ics), privately")
    async def calendar(self, interaction: Interaction) -> None:
        file = await self.service.calendar(interaction.user.id)
        content = await self._notice(interaction, screens.calendar_text(file))
        if file.dates:
            attachment = discord.File(io.BytesIO(file.data), filename=file.filename)
            await interaction.response.send_message(content, file=attachment, ephemeral=True)
        else:
            await interaction.response.send_message(content, ephemeral=True)

    @mydates.command(
        name="share-in-recaps", description="Let this server's study-group recaps count your coming exams (opt-in)"
    )
    @app_commands.describe(
        share="on: weekly recaps here may count you among members with an exam in the next 14 days; off: never",
        named="Also show your name in that line (default: counted, not named)",
    )
    @app_commands.choices(share=[app_commands.Choice(name=value, value=value) for value in ("on", "off")])
    async def share_in_recaps(self, interaction: Interaction, share: str, named: bool | None = None) -> None:
        if interaction.guild_id is None:
            raise UserInputError(
                "Run this in the server whose study-group recaps may count you: it is set for each server."
            )
        options = parse_options(ShareOptions, share=share, named=named)
        sharing = await self.service.share(interaction.user.id, interaction.guild_id, options)
        await interaction.response.send_message(
            await self._notice(interaction, screens.sharing_text(sharing)), ephemeral=True
        )


async def setup(bot: ImgBot) -> None:
    await bot.add_cog(MyDatesCog(bot))
