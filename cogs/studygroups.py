"""Peer study groups: /studygroup (members), /studygroup-admin (Manage Channels), /checkin, /progress and
/settings; plus /privacy and /mydata, which cover every feature.

Managing groups sits in its own command, because ``default_permissions`` applies to a whole top-level command:
on /studygroup it would hide join and list from the members the groups are for. Personal screens are ephemeral.
Buttons are DynamicItems whose state is in the custom_id (the group id), so they keep working after a restart.
The rules live in ``bot.studygroups``; this module only turns its values into messages.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.privacy import PRIVACY_SECTIONS, PersonalData, describe_deletion
from bot.scheduling import DeliveryProblem, ProblemKind, TransientDeliveryError, delivery_reference
from bot.studygroups.dispatch import StudyGroupDispatcher
from bot.studygroups.models import (
    CheckIn,
    CheckInEntry,
    GroupCreateOptions,
    GroupEditOptions,
    MemberSettingsOptions,
    StudyGroup,
    format_hours,
    parse_with_clock,
)
from bot.studygroups.recap import WeeklyRecap
from bot.studygroups.schedule import Occurrence
from bot.studygroups.service import CheckInReceipt, MemberProgress, StudyGroupService
from bot.studygroups.streaks import StreakStatus
from bot.text import quote_user_text, shorten
from bot.ui.errors import BaseModal, guarded
from bot.validation import UserInputError
from cogs.milestones.messenger import Postable, missing_permissions

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]

COLOUR = discord.Colour(0x2E86C1)
CHECKIN_MODAL_TIMEOUT = 30 * 60
"""An opened check-in modal waits this long (a modal does not survive a restart; the button does)."""
MODAL_TEXT_LIMIT = 1000


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


def streak_line(streak: StreakStatus) -> str:
    days = "day" if streak.current == 1 else "days"
    line = f"🔥 Streak: **{streak.current} {days}** (longest {streak.longest})"
    if streak.grace_used_this_week:
        line += " · one missed day forgiven this week"
    return line


# -- the check-in ------------------------------------------------------------------------------------------------


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
        numbers.append(f"{receipt.check_in.questions} questions")
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


# -- /mydata delete ----------------------------------------------------------------------------------------------


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
        counts = await personal_data_of(interaction).delete(interaction.user.id)
        await interaction.response.edit_message(content=describe_deletion(counts), view=None)


# -- screens -----------------------------------------------------------------------------------------------------


def progress_embed(progress: MemberProgress) -> discord.Embed:
    embed = discord.Embed(title="Your study progress", description=streak_line(progress.streak), colour=COLOUR)
    week = progress.last7
    embed.add_field(
        name="Last 7 days",
        value=f"{sum(p.checked_in for p in week)} check-in days · {sum(p.questions for p in week)} questions · "
        f"{format_hours(sum(p.minutes for p in week))}",
        inline=False,
    )
    embed.add_field(
        name="All time in this server",
        value=f"{progress.days} days · {progress.questions} questions · {format_hours(progress.minutes)}",
        inline=False,
    )
    embed.add_field(name="Last 30 days", value=progress.chart.text, inline=False)
    footer = f"{progress.chart.legend} Days in {progress.zone}."
    if not progress.zone_is_set:
        footer += " Set your time zone with /settings timezone:."
    embed.set_footer(text=shorten(footer + " Only you can see this.", 2048))
    return embed


def privacy_embed() -> discord.Embed:
    embed = discord.Embed(title="Privacy: what this bot keeps about you", colour=COLOUR)
    for title, body in PRIVACY_SECTIONS:
        embed.add_field(name=title, value=body, inline=False)
    return embed


# -- scheduled prompts and recaps ---------------------------------------------------------------------------------


def prompt_embed(group: StudyGroup, occurrence: Occurrence, *, late: bool, nonce: str) -> discord.Embed:
    description = (
        "What did you get done today? Press **Check in** (or use `/checkin` here): a line about what you studied "
        "is enough, numbers are optional."
    )
    if late:
        description += "\n*Posted late: I was offline at the usual time.*"
    embed = discord.Embed(
        title=shorten(f"Check-in time: {group.name}", 256),
        description=description,
        colour=COLOUR,
        timestamp=occurrence.due_at,
    )
    embed.set_footer(text=f"{occurrence.local_date:%A %d %B} · ref {delivery_reference(nonce)}")
    return embed


def recap_embed(group: StudyGroup, recap: WeeklyRecap, *, late: bool, nonce: str) -> discord.Embed:
    week = recap.week
    embed = discord.Embed(
        title=shorten(f"Weekly recap: {group.name}", 256),
        description=f"{recap.summary()}\n{recap.line}" + ("\n*Posted late.*" if late else ""),
        colour=COLOUR,
    )
    if recap.average_percent is not None:
        embed.add_field(name="Average correct", value=f"{recap.average_percent}%", inline=True)
    lines = [
        f"<@{m.user_id}>: {m.days} {'day' if m.days == 1 else 'days'}"
        + (f", {m.questions} questions" if m.questions else "")
        for m in recap.members[:20]
    ]
    if lines:
        embed.add_field(name="Who showed up", value="\n".join(lines), inline=False)
    if recap.top_streaks:
        streaks = ", ".join(f"<@{s.user_id}> {s.days}" for s in recap.top_streaks[:5])
        embed.add_field(name="🔥 Streaks", value=streaks, inline=False)
    embed.set_footer(text=f"Week {week.monday:%d %b}–{week.sunday:%d %b} · ref {delivery_reference(nonce)}")
    return embed


class DiscordPromptSender:
    """The dispatcher's way to Discord; Discord's answers become the delivery machinery's terms."""

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    async def wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    def _channel(self, group: StudyGroup) -> Postable:
        guild = self.bot.get_guild(group.guild_id)
        if guild is None:
            raise DeliveryProblem(ProblemKind.SERVER_GONE, f"not in server {group.guild_id}")
        if guild.unavailable:
            raise TransientDeliveryError(f"server {group.guild_id} is unavailable")
        channel = guild.get_channel_or_thread(group.channel_id)
        if channel is None:
            raise DeliveryProblem(ProblemKind.CHANNEL_GONE, f"channel {group.channel_id} not found")
        if not isinstance(channel, Postable):
            raise DeliveryProblem(ProblemKind.NO_PERMISSION, f"channel {group.channel_id} is not a text channel")
        missing = missing_permissions(channel, guild.me)
        if missing:
            raise DeliveryProblem(ProblemKind.NO_PERMISSION, f"missing {', '.join(missing)} in {group.channel_id}")
        return channel

    async def _send(self, group: StudyGroup, nonce: str, **message: Any) -> int:
        channel = self._channel(group)
        try:
            sent = await channel.send(nonce=nonce, allowed_mentions=discord.AllowedMentions.none(), **message)
        except discord.NotFound as error:
            raise DeliveryProblem(ProblemKind.CHANNEL_GONE, f"{error.code} {error.text}") from error
        except discord.Forbidden as error:
            raise DeliveryProblem(ProblemKind.NO_PERMISSION, f"{error.code} {error.text}") from error
        except discord.DiscordServerError as error:
            raise TransientDeliveryError(f"Discord answered {error.status}") from error
        except discord.HTTPException as error:
            if error.status == 429:
                raise TransientDeliveryError("rate limited for too long") from error
            log.error("Discord rejected a study-group post to %s: %s %s", group.channel_id, error.status, error.text)
            raise DeliveryProblem(ProblemKind.REJECTED, f"{error.status} {error.code} {error.text}") from error
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise TransientDeliveryError(f"{type(error).__name__}: {error}") from error
        return sent.id

    async def post_prompt(self, group: StudyGroup, occurrence: Occurrence, *, late: bool, nonce: str) -> int:
        view = discord.ui.View(timeout=None)
        view.add_item(CheckInButton(group.id))
        return await self._send(group, nonce, embed=prompt_embed(group, occurrence, late=late, nonce=nonce), view=view)

    async def post_recap(self, group: StudyGroup, recap: WeeklyRecap, *, late: bool, nonce: str) -> int:
        return await self._send(group, nonce, embed=recap_embed(group, recap, late=late, nonce=nonce))


# -- the cog -----------------------------------------------------------------------------------------------------


class StudyGroupsCog(commands.Cog, name="Study groups"):
    """Study together: daily check-ins in a group's channel, streaks and progress."""

    studygroup = app_commands.Group(
        name="studygroup", description="Peer study groups: join one, see who is in it", guild_only=True
    )
    admin = app_commands.Group(
        name="studygroup-admin",
        description="Create, change or archive study groups (needs Manage Channels)",
        default_permissions=discord.Permissions(manage_channels=True),
        guild_only=True,
    )
    mydata = app_commands.Group(name="mydata", description="Everything this bot stores about you: export or delete")

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    @property
    def service(self) -> StudyGroupService:
        return self.bot.services.studygroups

    @property
    def dispatch(self) -> StudyGroupDispatcher:
        return self.bot.services.studygroup_dispatch

    async def cog_load(self) -> None:
        self.dispatch.attach(DiscordPromptSender(self.bot))

    # -- autocomplete ----------------------------------------------------------------------------------------

    async def group_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        groups = await self.service.group_choices(interaction.guild_id, str(current)[:100])
        return [app_commands.Choice(name=shorten(g.name, 100), value=str(g.id)) for g in groups]

    async def zone_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in self.service.zone_choices(str(current)[:100])]

    # -- managing groups -------------------------------------------------------------------------------------

    @admin.command(name="create", description="Start a study group that checks in daily in a channel")
    @app_commands.describe(
        name="The group's name, e.g. Step 2 CK evening crew",
        channel="Where prompts and weekly recaps are posted (one group per channel)",
        checkin_time="Daily prompt time, HH:MM on a 24-hour clock (default 20:00)",
        timezone="The group's time zone, e.g. Asia/Kolkata (default: yours, or UTC)",
        days="Prompt days, e.g. mon-fri or mon,wed,fri (default: every day)",
    )
    @app_commands.autocomplete(timezone=zone_autocomplete)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def create(
        self,
        interaction: Interaction,
        name: app_commands.Range[str, 1, 100],
        channel: discord.TextChannel | discord.Thread,
        checkin_time: app_commands.Range[str, 1, 20] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        days: app_commands.Range[str, 1, 60] | None = None,
    ) -> None:
        options = parse_with_clock(
            GroupCreateOptions,
            self.service.now(),
            name=name,
            channel_id=channel.id,
            checkin_time=checkin_time,
            timezone=timezone,
            days=days,
        )
        created = await self.service.create_group(guild_id_of(interaction), options, creator_id=interaction.user.id)
        await self.dispatch.reschedule()
        group = created.group
        lines = [
            f"Study group {shown(group.name)} created in <#{group.channel_id}>.",
            f"Prompts: {group.schedule.describe()}; the next one is {timestamp(created.next_prompt_at)}.",
        ]
        if created.zone_defaulted:
            lines.append(
                f"No time zone was given, so it uses {group.schedule.zone}. Change it with `/studygroup-admin edit`."
            )
        lines.append("Members join with `/studygroup join` and check in with `/checkin`.")
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @admin.command(name="edit", description="Change a study group's name, channel or schedule")
    @app_commands.describe(
        group="The group to change",
        name="A new name",
        channel="A new channel for prompts and recaps",
        checkin_time="A new prompt time, HH:MM on a 24-hour clock",
        timezone="A new time zone, e.g. Europe/Berlin",
        days="New prompt days, e.g. mon-fri",
    )
    @app_commands.autocomplete(group=group_autocomplete, timezone=zone_autocomplete)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def edit(
        self,
        interaction: Interaction,
        group: app_commands.Range[str, 1, 100],
        name: app_commands.Range[str, 1, 100] | None = None,
        channel: discord.TextChannel | discord.Thread | None = None,
        checkin_time: app_commands.Range[str, 1, 20] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        days: app_commands.Range[str, 1, 60] | None = None,
    ) -> None:
        options = parse_with_clock(
            GroupEditOptions,
            self.service.now(),
            name=name,
            channel_id=channel.id if channel else None,
            checkin_time=checkin_time,
            timezone=timezone,
            days=days,
        )
        updated = await self.service.edit_group(guild_id_of(interaction), group, options)
        await self.dispatch.reschedule()
        await interaction.response.send_message(
            f"{shown(updated.name)} now posts in <#{updated.channel_id}>, {updated.schedule.describe()}.",
            ephemeral=True,
        )

    @admin.command(name="archive", description="Close a study group; its history is kept")
    @app_commands.describe(group="The group to archive")
    @app_commands.autocomplete(group=group_autocomplete)
    @app_commands.checks.has_permissions(manage_channels=True)
    async def archive(self, interaction: Interaction, group: app_commands.Range[str, 1, 100]) -> None:
        archived = await self.service.archive_group(guild_id_of(interaction), group)
        await self.dispatch.reschedule()
        await interaction.response.send_message(
            f"{shown(archived.name)} is archived: no more prompts or check-ins; its history is kept.", ephemeral=True
        )

    # -- membership ------------------------------------------------------------------------------------------

    @studygroup.command(name="join", description="Join a study group of this server")
    @app_commands.describe(group="Start typing the group's name")
    @app_commands.autocomplete(group=group_autocomplete)
    async def join(self, interaction: Interaction, group: app_commands.Range[str, 1, 100]) -> None:
        result = await self.service.join(guild_id_of(interaction), interaction.user.id, group)
        name = shown(result.group.name)
        text = (
            f"You joined {name}. Prompts come in <#{result.group.channel_id}> "
            f"{result.group.schedule.describe()}; check in with `/checkin`."
            if result.joined
            else f"You are already in {name}."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @studygroup.command(name="leave", description="Leave a study group (your past check-ins stay yours)")
    @app_commands.describe(group="The group to leave")
    @app_commands.autocomplete(group=group_autocomplete)
    async def leave(self, interaction: Interaction, group: app_commands.Range[str, 1, 100]) -> None:
        left = await self.service.leave(guild_id_of(interaction), interaction.user.id, group)
        await interaction.response.send_message(
            f"You left {shown(left.name)}. Your past check-ins still count in `/progress`; "
            "`/mydata delete` removes them.",
            ephemeral=True,
        )

    @studygroup.command(name="list", description="The study groups of this server and how many are in each")
    async def list_groups(self, interaction: Interaction) -> None:
        summaries = await self.service.list_groups(guild_id_of(interaction), interaction.user.id)
        if not summaries:
            raise UserInputError(
                "This server has no study groups yet. Someone with Manage Channels can start one with "
                "`/studygroup-admin create`."
            )
        embed = discord.Embed(title="Study groups", colour=COLOUR)
        for summary in summaries[:25]:
            group = summary.group
            mine = " · you are in it" if summary.is_member else ""
            people = "member" if summary.members == 1 else "members"
            embed.add_field(
                name=shorten(group.name, 256),
                value=f"<#{group.channel_id}> · {summary.members} {people}{mine}\n{group.schedule.describe()}",
                inline=False,
            )
        embed.set_footer(text="Join one with /studygroup join.")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @studygroup.command(name="info", description="A group's members, schedule and this week so far")
    @app_commands.describe(group="Start typing the group's name")
    @app_commands.autocomplete(group=group_autocomplete)
    async def info(self, interaction: Interaction, group: app_commands.Range[str, 1, 100]) -> None:
        details = await self.service.info(guild_id_of(interaction), group)
        found = details.group
        embed = discord.Embed(title=shorten(found.name, 256), colour=COLOUR)
        embed.add_field(name="Channel", value=f"<#{found.channel_id}>", inline=True)
        embed.add_field(name="Prompts", value=found.schedule.describe(), inline=True)
        embed.add_field(
            name="Next prompt", value="archived" if not found.active else timestamp(details.next_prompt_at), inline=True
        )
        members = " ".join(f"<@{m}>" for m in details.member_ids[:40]) or "nobody yet"
        if len(details.member_ids) > 40:
            members += f" and {len(details.member_ids) - 40} more"
        embed.add_field(name=f"Members ({len(details.member_ids)})", value=members, inline=False)
        embed.add_field(name="This week so far", value=shorten(details.this_week.summary(), 1024), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # -- check-ins, progress, settings -----------------------------------------------------------------------

    @app_commands.command(name="checkin", description="Tell your study group what you studied today")
    @app_commands.describe(group="The group (default: this channel's group, or your only group)")
    @app_commands.autocomplete(group=group_autocomplete)
    @app_commands.guild_only()
    async def checkin(self, interaction: Interaction, group: app_commands.Range[str, 1, 100] | None = None) -> None:
        await open_check_in(interaction, group)

    @app_commands.command(name="progress", description="Your streak and the last 7 and 30 days (only you see it)")
    @app_commands.guild_only()
    async def progress(self, interaction: Interaction) -> None:
        progress = await self.service.progress(guild_id_of(interaction), interaction.user.id)
        await interaction.response.send_message(embed=progress_embed(progress), ephemeral=True)

    @app_commands.command(name="settings", description="Your time zone: which day a check-in counts for")
    @app_commands.describe(timezone="Your time zone, e.g. Asia/Kolkata (start typing a city or region)")
    @app_commands.autocomplete(timezone=zone_autocomplete)
    async def settings(self, interaction: Interaction, timezone: app_commands.Range[str, 1, 64]) -> None:
        # Streak reminders (nudge) are not offered yet: nothing delivers them, and a setting that does nothing
        # would mislead.
        options = parse_with_clock(MemberSettingsOptions, self.service.now(), timezone=timezone)
        saved = await self.service.update_settings(interaction.user.id, options)
        await interaction.response.send_message(
            f"Saved. Your time zone is **{saved.zone}**: check-ins from now on count for your day there.",
            ephemeral=True,
        )

    # -- privacy ---------------------------------------------------------------------------------------------

    @app_commands.command(name="privacy", description="What this bot keeps about you, why, and for how long")
    async def privacy(self, interaction: Interaction) -> None:
        await interaction.response.send_message(embed=privacy_embed(), ephemeral=True)

    @mydata.command(name="export", description="Everything this bot stores about you, as a file only you see")
    async def export(self, interaction: Interaction) -> None:
        data = await self.bot.services.personal_data.export_json(interaction.user.id)
        await interaction.response.send_message(
            "Here is everything I store about you. See `/privacy` for why.",
            file=discord.File(io.BytesIO(data), filename="my-data.json"),
            ephemeral=True,
        )

    @mydata.command(name="delete", description="Delete everything this bot stores about you (asks first)")
    async def delete(self, interaction: Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(DeleteDataButton("yes"))
        view.add_item(DeleteDataButton("no"))
        await interaction.response.send_message(
            "This deletes everything I store about you in every server: study-group check-ins and memberships, "
            "your settings, quiz answers, readiness results and votes. It cannot be undone. "
            "(`/mydata export` first if you want a copy.)",
            view=view,
            ephemeral=True,
        )


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(CheckInButton, DeleteDataButton)
    await bot.add_cog(StudyGroupsCog(bot))
