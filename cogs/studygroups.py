"""Peer study groups: /studygroup (members), /studygroup-admin (Manage Channels), /studygroup-retention (Manage
Server), /checkin, /progress and /settings; streak nudges by DM; members leaving and coming back (the member
events, and a daily check with Discord for what happened while the bot was offline); plus /privacy and /mydata,
which cover every feature.

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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.privacy import PersonalData, describe_deletion, privacy_sections
from bot.scheduling import DeliveryProblem, ProblemKind, TransientDeliveryError, delivery_reference
from bot.scheduling.pacing import Pacer
from bot.studygroups.dispatch import StudyGroupDispatcher
from bot.studygroups.models import (
    DEFAULT_RETENTION_DAYS,
    MAX_RETENTION_DAYS,
    CheckIn,
    CheckInEntry,
    GroupCreateOptions,
    GroupEditOptions,
    MemberSettingsOptions,
    RetentionOptions,
    StudyGroup,
    format_hours,
    parse_with_clock,
)
from bot.studygroups.nudges import MemberNudge, NudgeDispatcher
from bot.studygroups.recap import WeeklyRecap
from bot.studygroups.reconcile import MAX_IDS_PER_LOOKUP, MemberLookupError, ServerStatus
from bot.studygroups.schedule import Occurrence
from bot.studygroups.service import CheckInReceipt, StudyGroupService
from bot.studygroups.streaks import NUDGE_LOCAL_TIME
from bot.text import quote_user_text, shorten
from bot.ui.cooldowns import per_user_cooldown
from bot.ui.delivery_errors import delivery_errors
from bot.ui.errors import BaseModal, guarded
from bot.ui.sharing import ensure_owner, share_button, share_in_channel
from bot.ui.studygroups import (
    GROUP_COLOUR,
    ProgressAudience,
    nudge_embed,
    nudge_view,
    progress_embed,
    settings_saved_text,
    settings_text,
    streak_line,
    viewed_progress_embed,
)
from bot.validation import UserInputError
from cogs.milestones.messenger import DiscordMessenger, Postable, missing_permissions

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]

COLOUR = GROUP_COLOUR
CHECKIN_MODAL_TIMEOUT = 30 * 60
"""An opened check-in modal waits this long (a modal does not survive a restart; the button does)."""
MODAL_TEXT_LIMIT = 1000
# Discord's JSON error codes that say a member or a server is gone, or that the bot has no access to a server.
UNKNOWN_GUILD, UNKNOWN_MEMBER, MISSING_ACCESS = 10004, 10007, 50001


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


# -- /progress and its Share button ------------------------------------------------------------------------------


class ShareProgressButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sg:share:(?P<owner>[0-9]{1,20})"):
    """Under a member's own /progress: posts their progress, as it is now, for the channel. Only theirs to press."""

    def __init__(self, owner_id: int) -> None:
        super().__init__(share_button(f"sg:share:{owner_id}"))
        self.owner_id = owner_id

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
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


def privacy_embed(retention_days: int | None = None) -> discord.Embed:
    embed = discord.Embed(title="Privacy: what this bot keeps about you", colour=COLOUR)
    for title, body in privacy_sections(retention_days):
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
        # Milestone announcements already know how to find a message of ours by the `ref` in its footer.
        self._messenger = DiscordMessenger(bot)

    async def wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def find_posted(self, guild_id: int, channel_id: int, reference: str, since: dt.datetime) -> int | None:
        return await self._messenger.find_posted(guild_id, channel_id, reference, since)

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
        with delivery_errors(f"a study-group post to {group.channel_id}"):
            sent = await channel.send(nonce=nonce, allowed_mentions=discord.AllowedMentions.none(), **message)
        return sent.id

    async def post_prompt(self, group: StudyGroup, occurrence: Occurrence, *, late: bool, nonce: str) -> int:
        view = discord.ui.View(timeout=None)
        view.add_item(CheckInButton(group.id))
        return await self._send(group, nonce, embed=prompt_embed(group, occurrence, late=late, nonce=nonce), view=view)

    async def post_recap(self, group: StudyGroup, recap: WeeklyRecap, *, late: bool, nonce: str) -> int:
        return await self._send(group, nonce, embed=recap_embed(group, recap, late=late, nonce=nonce))


class DiscordNudgeSender:
    """Streak nudges by DM; Discord's answers become the delivery machinery's terms (403: the member does not
    accept DMs from the bot, and their nudges are turned off)."""

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    async def wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    def _server_name(self, guild_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        return guild.name if guild is not None else "a server"

    async def send_nudge(self, nudge: MemberNudge, *, nonce: str) -> int:
        # 403: the member does not accept DMs from the bot; 404: the user is gone.
        with delivery_errors(f"a streak nudge to user {nudge.user_id}"):
            channel = await self.bot.create_dm(discord.Object(nudge.user_id))
            sent = await channel.send(
                embed=nudge_embed(nudge, self._server_name, nonce=nonce),
                view=nudge_view(nudge),
                nonce=nonce,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        return sent.id

    async def find_nudge(self, user_id: int, reference: str) -> int | None:
        me = self.bot.user
        if me is None:
            return None
        marker = f"ref {reference}"
        # As for channel posts: a failed read raises, so an unconfirmed nudge is never sent a second time.
        with delivery_errors(f"reading the DM history of user {user_id}"):
            channel = await self.bot.create_dm(discord.Object(user_id))
            async for message in channel.history(limit=10):
                if message.author.id == me.id and any(marker in (e.footer.text or "") for e in message.embeds):
                    return message.id
        return None


class DiscordMemberDirectory:
    """Who is in a server, for ``MemberReconciler``: the gateway's member request by user ids first (no REST rate
    limit, up to 100 ids an answer, nothing cached), REST's GET member one id at a time only when the gateway does
    not answer."""

    REST_PER_SECOND = 5.0
    """The fallback asks one member per request: slow enough to stay far from the per-route and global limits."""

    def __init__(self, bot: ImgBot, *, rest_pacer: Pacer | None = None) -> None:
        self.bot = bot
        self.rest_pacer = rest_pacer or Pacer(self.REST_PER_SECOND, 1)

    async def wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    def server_status(self, guild_id: int) -> ServerStatus:
        # After ready discord.py lists every server the bot is in (READY names them all, available or not).
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return ServerStatus.NOT_LISTED
        return ServerStatus.UNAVAILABLE if guild.unavailable else ServerStatus.AVAILABLE

    async def confirm_removed(self, guild_id: int) -> bool:
        try:
            await self.bot.fetch_guild(guild_id)
        except discord.Forbidden as error:
            return error.code == MISSING_ACCESS
        except discord.NotFound as error:
            return error.code == UNKNOWN_GUILD
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning("could not ask Discord whether I am still in server %d: %s", guild_id, error)
            return False
        return False

    async def present_members(self, guild_id: int, user_ids: Sequence[int]) -> set[int]:
        guild = self.bot.get_guild(guild_id)
        if guild is None or guild.unavailable:
            raise MemberLookupError("the server is not available")
        if not self.bot.intents.members:
            # discord.py asks the gateway only with the members intent (MEMBERS_INTENT=false); REST needs none.
            return await self._fetch_each(guild, user_ids)
        try:
            found = await guild.query_members(user_ids=list(user_ids), limit=MAX_IDS_PER_LOOKUP, cache=False)
        except (TimeoutError, discord.ConnectionClosed, RuntimeError) as error:
            # RuntimeError: discord.py has no gateway connection for the server at the moment.
            log.warning("the gateway did not answer a member request for server %d (%r); asking REST", guild_id, error)
        else:
            return {member.id for member in found}
        return await self._fetch_each(guild, user_ids)

    async def _fetch_each(self, guild: discord.Guild, user_ids: Sequence[int]) -> set[int]:
        present = set()
        for user_id in user_ids:
            async with self.rest_pacer.slot():
                try:
                    await guild.fetch_member(user_id)
                except discord.NotFound as error:
                    if error.code == UNKNOWN_MEMBER:
                        continue
                    raise MemberLookupError(f"{error.status} {error.code} {error.text}") from error
                except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
                    raise MemberLookupError(f"{type(error).__name__}: {error}") from error
            present.add(user_id)
        return present


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
    # A command of its own: default_permissions applies to a whole top-level command, and /studygroup-admin is
    # declared for Manage Channels, while how long members' data is kept is a Manage Server decision.
    retention_group = app_commands.Group(
        name="studygroup-retention",
        description="How long study-group data of members who left is kept (needs Manage Server)",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    @property
    def service(self) -> StudyGroupService:
        return self.bot.services.studygroups

    @property
    def dispatch(self) -> StudyGroupDispatcher:
        return self.bot.services.studygroup_dispatch

    @property
    def nudges(self) -> NudgeDispatcher:
        return self.bot.services.studygroup_nudges

    async def cog_load(self) -> None:
        self.dispatch.attach(DiscordPromptSender(self.bot))
        self.nudges.attach(DiscordNudgeSender(self.bot))
        self.bot.services.studygroup_retention.reconciler.attach(DiscordMemberDirectory(self.bot))

    # -- members leaving and coming back ---------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        # The raw event: no member cache is kept (bot/app.py), and leaving is all that matters here.
        if payload.user.bot:
            return
        await self.service.member_left(payload.guild_id, payload.user.id)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if member.bot:
            return
        await self.service.member_returned(member.guild.id, member.id)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # Removed from the server (an outage is on_guild_unavailable instead): everyone's groups there end, with the
        # server's retention. Members still there get their groups back if the bot is added again (the daily check).
        await self.service.server_left(guild.id)

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
        checkin_time="Daily prompt time, HH:MM in 24-hour time (HH:MM:SS also works); default 20:00",
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
        checkin_time="A new prompt time, HH:MM in 24-hour time (HH:MM:SS also works), e.g. 07:30",
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
    @app_commands.describe(
        user="A member of one of your study groups (moderators: anyone here); only you see the answer",
    )
    @app_commands.guild_only()
    async def progress(self, interaction: Interaction, user: discord.User | None = None) -> None:
        # Progress is personal: the owner sees it privately and may share it (the button). Someone else's is shown,
        # privately, to members of one of their groups and to moderators (StudyGroupService.progress_for).
        if user is None or user.id == interaction.user.id:
            await send_own_progress(interaction, self.service)
            return
        viewed = await self.service.progress_for(
            guild_id_of(interaction),
            interaction.user.id,
            user.id,
            target_name=user.display_name,
            target_is_bot=user.bot,
            # Discord resolves the option to a Member only when they are in this server.
            target_in_server=isinstance(user, discord.Member),
            asker_manages_server=interaction.permissions.manage_guild,
        )
        await interaction.response.send_message(embed=viewed_progress_embed(viewed, user.display_name), ephemeral=True)

    @app_commands.command(
        name="settings", description="Your time zone and streak reminders by DM (no options: see them)"
    )
    @app_commands.describe(
        timezone="Your time zone, e.g. Asia/Kolkata (start typing a city or region)",
        nudges=f"on: a DM at {NUDGE_LOCAL_TIME:%H:%M} your time when your streak would break tonight",
    )
    @app_commands.autocomplete(timezone=zone_autocomplete)
    async def settings(
        self,
        interaction: Interaction,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        nudges: Literal["on", "off"] | None = None,
    ) -> None:
        if timezone is None and nudges is None:
            current = await self.service.settings(interaction.user.id)
            await interaction.response.send_message(settings_text(current), ephemeral=True)
            return
        options = parse_with_clock(
            MemberSettingsOptions,
            self.service.now(),
            timezone=timezone,
            nudge=None if nudges is None else nudges == "on",
        )
        saved = await self.service.update_settings(interaction.user.id, options)
        reply = settings_saved_text(saved, zone_changed=timezone is not None, nudges_changed=nudges is not None)
        await interaction.response.send_message(reply, ephemeral=True)

    # -- privacy ---------------------------------------------------------------------------------------------

    @app_commands.command(name="privacy", description="What this bot keeps about you, why, and for how long")
    async def privacy(self, interaction: Interaction) -> None:
        # In a server, the retention is that server's; in a DM only the default can be stated.
        days = None if interaction.guild_id is None else await self.service.retention_days(interaction.guild_id)
        await interaction.response.send_message(embed=privacy_embed(days), ephemeral=True)

    @retention_group.command(name="set", description="Days to keep study-group data of members who left")
    @app_commands.describe(
        days="0 to 365 (default 30); a member who comes back within this time keeps everything",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def set_retention(
        self, interaction: Interaction, days: app_commands.Range[int, 0, MAX_RETENTION_DAYS]
    ) -> None:
        options = parse_with_clock(RetentionOptions, self.service.now(), days=days)
        kept = await self.service.set_retention(guild_id_of(interaction), options)
        when = (
            "at the next hourly clean-up" if kept == 0 else f"{kept} {'day' if kept == 1 else 'days'} after they leave"
        )
        await interaction.response.send_message(
            f"Saved. Study-group data of members who leave this server is deleted {when}, unless they come back "
            "first. Members who already left follow the new period too. `/privacy` tells members.",
            ephemeral=True,
        )

    @retention_group.command(name="show", description="How long study-group data of members who left is kept here")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def show_retention(self, interaction: Interaction) -> None:
        days = await self.service.retention_days(guild_id_of(interaction))
        await interaction.response.send_message(
            f"Study-group data of members who leave this server is kept **{days} "
            f"{'day' if days == 1 else 'days'}** (the default is {DEFAULT_RETENTION_DAYS}). "
            "Change it with `/studygroup-retention set days:`.",
            ephemeral=True,
        )

    @mydata.command(name="export", description="Everything this bot stores about you, as a file only you see")
    @per_user_cooldown()
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
    bot.add_dynamic_items(CheckInButton, DeleteDataButton, ShareProgressButton)
    await bot.add_cog(StudyGroupsCog(bot))
