"""/setup (Manage Server, declared and checked): a private flow of four steps, then a summary.

1) milestone announcements (``/announcements setup``), 2) Discord scheduled events (``/announcements
scheduled-events``), 3) a first study group (``/studygroup-admin create``, which also needs Manage Channels), 4) the
help channel of Ask the community (``/knowledge settings``), then the server's settings and three commands members
can try first. Each step saves through the feature's own service, after
the feature's own checks (imported from its cog), so /setup never does more, or less, than the commands. Every
screen has Back and Cancel and shows the server's current settings, so running it again changes them.

A choice not saved yet rides in the custom_ids of the screen's buttons and menus (DynamicItems registered by the
package), so a screen keeps working after a restart; only the study group's form (a modal) does not survive one. A
refused study-group form shows every mistake at once with what was typed (``bot.ui.forms``), and its **Fix it** reads
what was typed back from that screen, so it works after a restart too.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.adapters.scheduled_events import PERMISSION_HELP, can_make_events
from bot.milestones.discord_event_plan import EventsSetting
from bot.milestones.models import Subscription
from bot.milestones.reminders import describe_reminders
from bot.onboarding.setup import OWN, ReminderChoice, choice_for, reminder_choices
from bot.services import Services
from bot.studygroups.models import MAX_GROUP_NAME, GroupCreateOptions, parse_form_with_clock
from bot.studygroups.service import GroupSummary
from bot.text import shorten
from bot.ui import onboarding as screens
from bot.ui.community import channel_status_lines, help_channel_line
from bot.ui.errors import BaseModal, guarded, user_message
from bot.ui.forms import FIX_LABEL, FormField, problems_text, typed_embed, typed_from_embeds
from bot.ui.help import catalog
from bot.ui.interaction import HookInteraction, Interaction
from bot.ui.onboarding import Notice
from bot.ui.permissions import has_server_permissions, server_permissions_check
from bot.validation import FormErrors, UserInputError
from cogs import community
from cogs.milestones.commands import check_role, events_reply, explain
from cogs.studygroups.commands import require_manages_channel, require_postable

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

GROUP_FIELDS = (
    FormField("name", "Name"),
    FormField("time", "Check-in time"),
    FormField("zone", "Time zone"),
    FormField("days", "Days"),
)
"""The study-group form's inputs as a refusal lists them (and **Fix it** reads them back)."""
GROUP_FORM_KEYS = {"checkin_time": "time", "timezone": "zone"}
"""``GroupCreateOptions`` field -> the form's input, where they differ."""
TYPED_TITLE = typed_embed((), {}, frozenset()).title
ANNOUNCEMENT_CHANNELS = [discord.ChannelType.text, discord.ChannelType.news]
"""What /announcements setup's ``channel:`` accepts (a text channel; announcement channels are text channels)."""
GROUP_CHANNELS = [
    discord.ChannelType.text,
    discord.ChannelType.news,
    discord.ChannelType.public_thread,
    discord.ChannelType.private_thread,
    discord.ChannelType.news_thread,
]
"""What /studygroup-admin create's ``channel:`` accepts (a text channel or a thread)."""
NOT_A_MODERATOR = "Only moderators (members with **Manage Server**) can set me up here. `/help` shows what you can do."


def bot_of(interaction: Interaction) -> ImgBot:
    return interaction.client


def services_of(interaction: Interaction) -> Services:
    return bot_of(interaction).services


def guild_of(interaction: Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild


def require_manager(interaction: Interaction) -> discord.Guild:
    """Checked at every press, not only when /setup opened: a button is pressed later, perhaps by someone else (the
    welcome's is public), perhaps after the permission was taken away."""
    guild = guild_of(interaction)
    if not has_server_permissions(interaction, manage_guild=True):
        raise UserInputError(NOT_A_MODERATOR)
    return guild


def button(
    custom_id: str, label: str, style: discord.ButtonStyle, *, row: int, disabled: bool = False
) -> discord.ui.Button[Any]:
    return discord.ui.Button(custom_id=custom_id, label=label, style=style, row=row, disabled=disabled)


# -- what the server has now ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerSettings:
    subscription: Subscription | None
    events: EventsSetting | None
    groups: tuple[GroupSummary, ...]


async def current_settings(interaction: Interaction) -> ServerSettings:
    services = services_of(interaction)
    guild_id = guild_of(interaction).id
    report = await services.milestones.status(guild_id, count=1)
    groups = await services.studygroups.list_groups(guild_id)
    return ServerSettings(report.subscription, report.discord_events, groups)


# -- the screens -----------------------------------------------------------------------------------------------------

Screen = tuple[discord.Embed, discord.ui.View]


def nav_row(view: discord.ui.View, back: str | None, row: int = 4) -> None:
    """Back (to ``back``, disabled on the first step) and Cancel, on every screen."""
    view.add_item(SetupButton("go:" + (back or "1"), "Back", discord.ButtonStyle.secondary, row=row, disabled=not back))
    view.add_item(SetupButton("cancel", "Cancel", discord.ButtonStyle.secondary, row=row))


async def announcements_screen(
    interaction: Interaction,
    *,
    channel_id: int | None = None,
    role_id: int | None = None,
    reminders: str | None = None,
    notice: Notice | None = None,
    from_saved: bool = False,
) -> Screen:
    """Step 1. ``from_saved``: start from the server's current choices (opening the step, or coming Back)."""
    subscription = (await current_settings(interaction)).subscription
    current = subscription.reminders if subscription is not None else None
    if from_saved:
        channel_id = subscription.channel_id if subscription is not None else None
        role_id = subscription.role_id if subscription is not None else None
        reminders = screens.reminders_of(subscription).key
    choice = choice_for(reminders or OWN, current)
    view = discord.ui.View(timeout=None)
    view.add_item(AnnouncementChannelSelect(channel_id, role_id, choice.key))
    view.add_item(AnnouncementRoleSelect(channel_id, role_id, choice.key))
    view.add_item(AnnouncementRemindersSelect(channel_id, role_id, choice.key, reminder_choices(current)))
    view.add_item(AnnouncementSaveButton(channel_id, role_id, choice.key))
    keep = "Keep as is" if subscription is not None else "Skip"
    view.add_item(SetupButton("go:2", keep, discord.ButtonStyle.secondary, row=3))
    nav_row(view, None)
    return screens.announcements_step_embed(subscription, channel_id, role_id, choice, notice), view


async def events_screen(interaction: Interaction, notice: Notice | None = None) -> Screen:
    """Step 2: Discord scheduled events on or off (needs announcements)."""
    settings = await current_settings(interaction)
    view = discord.ui.View(timeout=None)
    if settings.subscription is None:
        view.add_item(SetupButton("go:3", "Continue", discord.ButtonStyle.primary, row=0))
    elif settings.events is not None and settings.events.enabled and settings.events.problem is None:
        view.add_item(SetupButton("go:3", "Keep them on", discord.ButtonStyle.primary, row=0))
        view.add_item(SetupButton("e:off", "Turn off", discord.ButtonStyle.secondary, row=0))
    else:
        view.add_item(SetupButton("e:on", "Turn on", discord.ButtonStyle.success, row=0))
        view.add_item(SetupButton("go:3", "Leave off", discord.ButtonStyle.secondary, row=0))
    nav_row(view, "1")
    return screens.events_step_embed(settings.subscription, settings.events, notice), view


def may_create_groups(interaction: Interaction) -> bool:
    # /studygroup-admin create's own permission: /setup does not let anyone do more than the feature's command.
    return has_server_permissions(interaction, manage_channels=True)


async def group_screen(
    interaction: Interaction, channel_id: int | None = None, notice: Notice | None = None, *, fixing: bool = False
) -> Screen:
    """Step 3: an optional first study group: its channel here, its name, time, zone and days in a form.

    ``fixing``: a refused form's screen, whose form button is **Fix it** (the form filled with what was typed)."""
    settings = await current_settings(interaction)
    may_create = may_create_groups(interaction)
    view = discord.ui.View(timeout=None)
    if may_create:
        view.add_item(GroupChannelSelect(channel_id))
        view.add_item(GroupFormButton(channel_id, label=FIX_LABEL if fixing else None))
    view.add_item(SetupButton("go:4", "Next", discord.ButtonStyle.primary, row=1))
    nav_row(view, "2")
    embed = screens.group_step_embed(settings.groups, channel_id, may_create=may_create, notice=notice)
    return embed, view


async def help_screen(interaction: Interaction, notice: Notice | None = None) -> Screen:
    """Step 4: Ask the community's help channel, picked and saved as /knowledge settings does it."""
    guild = guild_of(interaction)
    channel_id = await services_of(interaction).community.help_channel(guild.id)
    check = await community.current_check(interaction)
    view = discord.ui.View(timeout=None)
    view.add_item(HelpChannelStepSelect(channel_id))
    view.add_item(SetupButton("h:off", "Turn off", discord.ButtonStyle.secondary, row=1, disabled=channel_id is None))
    view.add_item(SetupButton("done", "Finish", discord.ButtonStyle.primary, row=1))
    nav_row(view, "3")
    return screens.help_step_embed(channel_status_lines(check), notice), view


def first_commands(interaction: Interaction) -> list[tuple[str, str]]:
    """The summary's suggestions, described as the registered commands describe themselves."""
    described = {info.name: info.description for info in catalog(bot_of(interaction).tree)}
    return [(name, described[name]) for name in screens.FIRST_COMMANDS if name in described]


async def summary_screen(interaction: Interaction, notice: Notice | None = None) -> Screen:
    settings = await current_settings(interaction)
    view = discord.ui.View(timeout=None)
    nav_row(view, "4", row=0)
    embed = screens.summary_embed(
        settings.subscription,
        settings.events,
        settings.groups,
        first_commands(interaction),
        notice,
        help_channel=help_channel_line(await community.current_check(interaction)),
    )
    return embed, view


async def redraw(interaction: Interaction, screen: Screen) -> None:
    embed, view = screen
    await interaction.response.edit_message(content=None, embed=embed, view=view)


# -- the buttons and menus -------------------------------------------------------------------------------------------


class SetupButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"su:(?P<action>start|cancel|done|go:[1234]|e:on|e:off|h:off)",
):
    """Moving between the steps, Cancel, the events step's choice, the help channel's Turn off, and the welcome's
    Set up."""

    def __init__(
        self, action: str, label: str, style: discord.ButtonStyle, *, row: int = 0, disabled: bool = False
    ) -> None:
        super().__init__(button(f"su:{action}", label, style, row=row, disabled=disabled))
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SetupButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["action"], label or match["action"], discord.ButtonStyle.secondary)

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        guild = require_manager(interaction)
        action = self.action
        if action == "start":
            # From the welcome (a public message): the flow opens privately, as a new message.
            embed, view = await announcements_screen(interaction, from_saved=True)
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
        elif action == "cancel":
            await interaction.response.edit_message(content=screens.CANCELLED, embed=None, view=None)
        elif action == "go:1":
            await redraw(interaction, await announcements_screen(interaction, from_saved=True))
        elif action == "go:2":
            await redraw(interaction, await events_screen(interaction))
        elif action == "go:3":
            await redraw(interaction, await group_screen(interaction))
        elif action == "go:4":
            await redraw(interaction, await help_screen(interaction))
        elif action == "h:off":
            await redraw(
                interaction, await help_screen(interaction, await community.save_help_channel(interaction, None))
            )
        elif action == "done":
            await redraw(interaction, await summary_screen(interaction))
        elif action in ("e:on", "e:off"):
            await switch_events(interaction, guild, enabled=action == "e:on")


async def switch_events(interaction: Interaction, guild: discord.Guild, *, enabled: bool) -> None:
    """/announcements scheduled-events, from step 2: the same check, the same service, the same reply."""
    if enabled and not can_make_events(guild.me):
        notice = Notice(f"I can't add events to this server yet. {PERMISSION_HELP}", problem=True)
        await redraw(interaction, await events_screen(interaction, notice))
        return
    change = await services_of(interaction).milestones.set_discord_events(guild.id, enabled)
    await redraw(interaction, await group_screen(interaction, notice=Notice(events_reply(change))))


def _id(text: str) -> int | None:
    return int(text) or None


class AnnouncementChannelSelect(
    discord.ui.DynamicItem[discord.ui.ChannelSelect[Any]],
    template=r"su:a:ch:(?P<role>[0-9]{1,20}):(?P<rem>[a-z])",
):
    """Step 1's channel; the role and reminders picked so far ride in the custom_id."""

    def __init__(self, channel_id: int | None, role_id: int | None, reminders: str) -> None:
        super().__init__(
            discord.ui.ChannelSelect(
                custom_id=f"su:a:ch:{role_id or 0}:{reminders}",
                channel_types=ANNOUNCEMENT_CHANNELS,
                placeholder="The channel for announcements…",
                default_values=[discord.Object(channel_id)] if channel_id else [],
                row=0,
            )
        )
        self.role_id = role_id
        self.reminders = reminders

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnnouncementChannelSelect:
        return cls(None, _id(match["role"]), match["rem"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        guild = require_manager(interaction)
        picked = self.item.values[0].id if self.item.values else None
        notice = None
        if picked is not None:
            # The same check as /announcements setup, at once rather than at Save.
            problem = bot_of(interaction).adapters.messenger.target_problem(guild.id, picked, None)
            if problem is not None:
                notice = Notice(explain(problem, f"<#{picked}>"), problem=True)
                picked = None
        screen = await announcements_screen(
            interaction, channel_id=picked, role_id=self.role_id, reminders=self.reminders, notice=notice
        )
        await redraw(interaction, screen)


class AnnouncementRoleSelect(
    discord.ui.DynamicItem[discord.ui.RoleSelect[Any]],
    template=r"su:a:ro:(?P<channel>[0-9]{1,20}):(?P<rem>[a-z])",
):
    """Step 1's role to ping (none: clear the menu)."""

    def __init__(self, channel_id: int | None, role_id: int | None, reminders: str) -> None:
        super().__init__(
            discord.ui.RoleSelect(
                custom_id=f"su:a:ro:{channel_id or 0}:{reminders}",
                placeholder="A role to ping with each post (optional)…",
                min_values=0,
                default_values=[discord.Object(role_id)] if role_id else [],
                row=1,
            )
        )
        self.channel_id = channel_id
        self.reminders = reminders

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnnouncementRoleSelect:
        return cls(_id(match["channel"]), None, match["rem"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        guild = require_manager(interaction)
        role = self.item.values[0] if self.item.values else None
        notice = None
        if role is not None:
            try:
                warning = check_role(role, guild.me)
            except UserInputError as refused:
                notice, role = Notice(user_message(refused), problem=True), None
            else:
                notice = Notice(warning, title="⚠️ Check this") if warning else None
        screen = await announcements_screen(
            interaction,
            channel_id=self.channel_id,
            role_id=role.id if role is not None else None,
            reminders=self.reminders,
            notice=notice,
        )
        await redraw(interaction, screen)


class AnnouncementRemindersSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"su:a:re:(?P<channel>[0-9]{1,20}):(?P<role>[0-9]{1,20})",
):
    """Step 1's reminders: presets (``/announcements setup reminders:`` takes any list)."""

    def __init__(
        self, channel_id: int | None, role_id: int | None, reminders: str, choices: tuple[ReminderChoice, ...] = ()
    ) -> None:
        options = [
            discord.SelectOption(
                label=screens.reminder_option_label(choice), value=choice.key, default=choice.key == reminders
            )
            for choice in choices
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"su:a:re:{channel_id or 0}:{role_id or 0}",
                placeholder="When to post before each milestone…",
                options=options or [discord.SelectOption(label="…", value=OWN)],
                row=2,
            )
        )
        self.channel_id = channel_id
        self.role_id = role_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnnouncementRemindersSelect:
        return cls(_id(match["channel"]), _id(match["role"]), OWN)

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        require_manager(interaction)
        picked = self.item.values[0] if self.item.values else OWN
        screen = await announcements_screen(
            interaction, channel_id=self.channel_id, role_id=self.role_id, reminders=picked
        )
        await redraw(interaction, screen)


class AnnouncementSaveButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"su:a:save:(?P<channel>[0-9]{1,20}):(?P<role>[0-9]{1,20}):(?P<rem>[a-z])",
):
    """Step 1's Save and continue: /announcements setup with what was picked."""

    def __init__(self, channel_id: int | None, role_id: int | None, reminders: str) -> None:
        super().__init__(
            button(
                f"su:a:save:{channel_id or 0}:{role_id or 0}:{reminders}",
                "Save and continue",
                discord.ButtonStyle.success,
                row=3,
                disabled=channel_id is None,
            )
        )
        self.channel_id = channel_id
        self.role_id = role_id
        self.reminders = reminders

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnnouncementSaveButton:
        return cls(_id(match["channel"]), _id(match["role"]), match["rem"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        guild = require_manager(interaction)
        try:
            notice = await self.save(interaction, guild)
        except UserInputError as refused:
            screen = await announcements_screen(
                interaction,
                channel_id=self.channel_id,
                role_id=self.role_id,
                reminders=self.reminders,
                notice=Notice(user_message(refused), problem=True),
            )
            await redraw(interaction, screen)
            return
        await redraw(interaction, await events_screen(interaction, notice))

    async def save(self, interaction: Interaction, guild: discord.Guild) -> Notice:
        """The checks of /announcements setup, then its service call; what to tell, for the next screen."""
        if self.channel_id is None:
            raise UserInputError("Pick a channel for the announcements first.")
        problem = bot_of(interaction).adapters.messenger.target_problem(guild.id, self.channel_id, None)
        if problem is not None:
            raise UserInputError(explain(problem, f"<#{self.channel_id}>"))
        warning = None
        if self.role_id is not None:
            role = guild.get_role(self.role_id)
            if role is None:
                raise UserInputError("That role no longer exists. Pick another role, or none.")
            warning = check_role(role, guild.me)
        service = services_of(interaction).milestones
        existing = await service.subscription(guild.id)
        choice = choice_for(self.reminders, existing.reminders if existing is not None else None)
        saved = await service.subscribe(guild.id, self.channel_id, self.role_id, choice.reminders, interaction.user.id)
        reminders = describe_reminders(saved.reminders) if saved.reminders is not None else "each milestone's own"
        text = (
            f"Milestone announcements go to <#{saved.channel_id}>, pinging {screens.role_text(saved.role_id)}; "
            f"reminders: {reminders}."
        )
        if warning:
            text += f"\n⚠️ {warning}"
        return Notice(text)


class GroupChannelSelect(discord.ui.DynamicItem[discord.ui.ChannelSelect[Any]], template=r"su:g:ch"):
    """Step 3's channel for a new study group (checked at once, as /studygroup-admin create checks it)."""

    def __init__(self, channel_id: int | None) -> None:
        super().__init__(
            discord.ui.ChannelSelect(
                custom_id="su:g:ch",
                channel_types=GROUP_CHANNELS,
                placeholder="The new group's channel (one group per channel)…",
                default_values=[discord.Object(channel_id)] if channel_id else [],
                row=0,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> GroupChannelSelect:
        return cls(None)

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        require_manager(interaction)
        picked = self.item.values[0].id if self.item.values else None
        notice = None
        if picked is not None and may_create_groups(interaction):
            try:
                require_manages_channel(interaction, picked)
                require_postable(interaction, picked)
            except UserInputError as refused:
                notice, picked = Notice(user_message(refused), problem=True), None
        await redraw(interaction, await group_screen(interaction, picked, notice))


class GroupFormButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"su:g:form:(?P<channel>[0-9]{1,20})"):
    """Opens the form for the new group's name, time, zone and days; on a refused form's screen it is **Fix it**, and
    the form opens filled with what was typed (read from that screen, so nothing is kept in memory)."""

    def __init__(self, channel_id: int | None, *, label: str | None = None) -> None:
        super().__init__(
            button(
                f"su:g:form:{channel_id or 0}",
                label or "Name, time and days…",
                discord.ButtonStyle.success,
                row=1,
                disabled=channel_id is None,
            )
        )
        self.channel_id = channel_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> GroupFormButton:
        return cls(_id(match["channel"]))

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        require_manager(interaction)
        if not may_create_groups(interaction):
            raise UserInputError("Creating a study group needs the **Manage Channels** permission.")
        if self.channel_id is None:
            raise UserInputError("Pick the group's channel first.")
        typed = typed_on_screen(interaction.message)
        await interaction.response.send_modal(GroupModal(self.channel_id, typed, user_id=interaction.user.id))


def typed_on_screen(message: discord.Message | None) -> dict[str, str]:
    """What a refused study-group form showed as typed on the step's screen (nothing on a fresh screen)."""
    shown = [embed for embed in (message.embeds if message is not None else []) if embed.title == TYPED_TITLE]
    return typed_from_embeds(shown, GROUP_FIELDS)


class GroupModal(BaseModal):
    """The new group's name, check-in time, time zone and days, as /studygroup-admin create takes them."""

    def __init__(self, channel_id: int, typed: dict[str, str], *, user_id: int) -> None:
        super().__init__(title="A first study group", form=f"su:g:modal:{channel_id}", user_id=user_id)
        self.channel_id = channel_id
        self.name: discord.ui.TextInput[GroupModal] = discord.ui.TextInput(
            label="Name",
            custom_id="name",
            placeholder="e.g. Step 2 CK evening crew",
            default=typed.get("name"),
            max_length=MAX_GROUP_NAME,
        )
        self.time: discord.ui.TextInput[GroupModal] = discord.ui.TextInput(
            label="Daily check-in time (24-hour, HH:MM)",
            custom_id="time",
            placeholder="20:00",
            default=typed.get("time", "20:00"),
            max_length=20,
            required=False,
        )
        self.zone: discord.ui.TextInput[GroupModal] = discord.ui.TextInput(
            label="Time zone",
            custom_id="zone",
            placeholder="e.g. Asia/Kolkata (empty: your own zone, or UTC)",
            default=typed.get("zone"),
            max_length=64,
            required=False,
        )
        self.days: discord.ui.TextInput[GroupModal] = discord.ui.TextInput(
            label="Days",
            custom_id="days",
            placeholder="mon-fri, or mon,wed,fri (empty: every day)",
            default=typed.get("days"),
            max_length=60,
            required=False,
        )
        for field in (self.name, self.time, self.zone, self.days):
            self.add_item(field)

    def typed(self) -> dict[str, str]:
        return {"name": self.name.value, "time": self.time.value, "zone": self.zone.value, "days": self.days.value}

    async def on_submit(self, interaction: HookInteraction) -> None:
        guild = require_manager(interaction)
        if not may_create_groups(interaction):
            raise UserInputError("Creating a study group needs the **Manage Channels** permission.")
        try:
            notice = await self.create(interaction, guild)
        except UserInputError as refused:
            await self.refuse(interaction, refused)
            return
        await redraw(interaction, await help_screen(interaction, notice))

    async def refuse(self, interaction: Interaction, refused: UserInputError) -> None:
        """The step again, with every problem at once, what was typed and **Fix it** (as /checkin does it): the form
        closes on submit, and Discord cannot answer a form with another form."""
        if isinstance(refused, FormErrors):
            problems = [text for _, text in refused.problems]
            wrong = frozenset(GROUP_FORM_KEYS.get(name, name) for name in refused.fields)
        else:
            # A refusal of the whole form (the name or channel already taken, a permission): one problem.
            problems, wrong = [user_message(refused)], frozenset()
        notice = Notice(problems_text(problems, what="The group was not created"), problem=True)
        embed, view = await group_screen(interaction, self.channel_id, notice, fixing=True)
        await interaction.response.edit_message(
            content=None,
            embeds=[embed, typed_embed(GROUP_FIELDS, self.typed(), wrong)],
            view=view,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def create(self, interaction: Interaction, guild: discord.Guild) -> Notice:
        """/studygroup-admin create's checks and service call."""
        require_manages_channel(interaction, self.channel_id)
        require_postable(interaction, self.channel_id)
        services = services_of(interaction)
        options = parse_form_with_clock(
            GroupCreateOptions,
            services.studygroups.now(),
            name=self.name.value,
            channel_id=self.channel_id,
            checkin_time=self.time.value.strip() or None,
            timezone=self.zone.value.strip() or None,
            days=self.days.value.strip() or None,
        )
        created = await services.studygroups.create_group(guild.id, options, creator_id=interaction.user.id)
        await services.runner.reschedule(services.studygroup_dispatch)
        group = created.group
        text = (
            f"Study group **{shorten(group.name, 60)}** created in <#{group.channel_id}>: prompts "
            f"{group.schedule.describe()}. Members join with `/studygroup join`."
        )
        if created.zone_defaulted:
            text += f" No time zone was given, so it uses {group.schedule.zone}."
        return Notice(text)


class HelpChannelStepSelect(discord.ui.DynamicItem[discord.ui.ChannelSelect[Any]], template=r"su:h:ch"):
    """Step 4's help channel: saved at once, after the checks of /knowledge settings (cogs/community.py)."""

    def __init__(self, channel_id: int | None) -> None:
        super().__init__(
            discord.ui.ChannelSelect(
                custom_id="su:h:ch",
                channel_types=community.HELP_CHANNEL_TYPES,
                placeholder="The help channel (a forum or a text channel)…",
                default_values=[discord.Object(channel_id)] if channel_id else [],
                row=0,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> HelpChannelStepSelect:
        return cls(None)

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        require_manager(interaction)
        picked = self.item.values[0].id if self.item.values else None
        try:
            notice = await community.save_help_channel(interaction, picked)
        except UserInputError as refused:
            notice = Notice(user_message(refused), problem=True)
        await redraw(interaction, await help_screen(interaction, notice))


class SetupCog(commands.Cog, name="Setup"):
    """/setup: the server's settings, step by step."""

    NAME = "Setup"

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    @app_commands.command(name="setup", description="Set me up for this server, step by step (moderators)")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @server_permissions_check(manage_guild=True)
    async def setup_command(self, interaction: Interaction) -> None:
        embed, view = await announcements_screen(interaction, from_saved=True)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


SETUP_ITEMS = (
    SetupButton,
    AnnouncementChannelSelect,
    AnnouncementRoleSelect,
    AnnouncementRemindersSelect,
    AnnouncementSaveButton,
    GroupChannelSelect,
    GroupFormButton,
    HelpChannelStepSelect,
)
"""Every button and menu of the flow: registered with the bot, so they answer after a restart."""
