"""Onboarding screens: the welcome a server gets when the bot joins, /setup's four steps and its summary.

Plain values in (a subscription, the Discord-events setting, the study groups, what the member picked but has not
saved), embeds out, each inside Discord's limits by construction. The buttons and menus are the cog's
(``cogs.onboarding``), because pressing them calls the features' services.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.milestones.discord_event_plan import EventsSetting
from bot.milestones.models import PauseReason, Subscription
from bot.milestones.reminders import describe_reminders
from bot.onboarding.setup import STEPS, ReminderChoice, Step, current_choice
from bot.studygroups.service import GroupSummary
from bot.text import quote_user_text, shorten
from bot.ui.colours import BRAND_COLOUR, NOTICE_COLOUR
from bot.ui.embeds import DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT
from bot.ui.milestones import PAUSE_HELP

log = logging.getLogger(__name__)

GROUPS_SHOWN = 5
"""Study groups listed on a screen; a server with more gets "and N more" (``/studygroup list`` has them all)."""

FIRST_COMMANDS = ("ask", "readiness start", "timeline")
"""What /setup's summary suggests members try first (their descriptions come from the registered commands)."""

STEP_TITLES = {
    Step.ANNOUNCEMENTS: "Milestone announcements",
    Step.EVENTS: "Discord scheduled events",
    Step.STUDY_GROUP: "A first study group",
    Step.HELP_CHANNEL: "Ask the community",
}


@dataclass(frozen=True, slots=True)
class Notice:
    """A line at the top of a screen: what the last press did, or why it was refused and what to grant."""

    text: str
    problem: bool = False
    """A refusal: nothing was saved, and the text says what to grant or fix."""
    title: str | None = None
    """The field's name; by default "✅ Saved", or "⚠️ Not saved" for a refusal."""

    def field(self) -> tuple[str, str]:
        title = self.title or ("⚠️ Not saved" if self.problem else "✅ Saved")
        return title, shorten(self.text, FIELD_VALUE_LIMIT)


# -- the welcome -----------------------------------------------------------------------------------------------


def welcome_embed(bot_name: str) -> discord.Embed:
    """What the bot does, in four lines, for everyone in the server's first channel."""
    name = quote_user_text(bot_name, 80)
    lines = [
        f"Hello! I'm **{name}**, a companion for International Medical Graduates on the road to a US residency.",
        "• `/ask` answers pathway questions (ECFMG, USMLE, ERAS, the Match, visas) from a curated, sourced "
        "knowledge base.",
        "• Match-cycle dates announced on time, quizzes, a readiness check with a backward timeline, and study "
        "groups with daily check-ins.",
        "• `/help` lists every command. **Moderators:** press **Set up** (or run `/setup`) to choose where "
        "announcements go.",
    ]
    return discord.Embed(title="Thanks for adding me!", description="\n".join(lines), colour=BRAND_COLOUR)


# -- /setup ------------------------------------------------------------------------------------------------------


def _step_embed(step: Step, lines: Sequence[str], notice: Notice | None) -> discord.Embed:
    embed = discord.Embed(
        title=f"Setup · step {int(step)} of {STEPS}: {STEP_TITLES[step]}",
        description=shorten("\n".join(lines), DESCRIPTION_LIMIT),
        colour=NOTICE_COLOUR if notice is not None and notice.problem else BRAND_COLOUR,
    )
    if notice is not None:
        name, value = notice.field()
        embed.add_field(name=name, value=value, inline=False)
    embed.set_footer(text="Only you see this. Back and Cancel keep what you saved in earlier steps.")
    return embed


def role_text(role_id: int | None) -> str:
    return f"<@&{role_id}>" if role_id else "nobody"


def subscription_text(subscription: Subscription | None) -> str:
    """One line: where milestone announcements go now, whom they ping, when, and whether they are paused."""
    if subscription is None:
        return "off (not set up yet)"
    reminders = (
        describe_reminders(subscription.reminders) if subscription.reminders is not None else "each milestone's own"
    )
    line = f"in <#{subscription.channel_id}>, pinging {role_text(subscription.role_id)}, reminders: {reminders}"
    if not subscription.active:
        line += f". ⏸️ {PAUSE_HELP[subscription.paused_reason or PauseReason.BY_ADMIN]}"
    return line


def announcements_step_embed(
    subscription: Subscription | None,
    channel_id: int | None,
    role_id: int | None,
    reminders: ReminderChoice,
    notice: Notice | None = None,
) -> discord.Embed:
    picked = f"<#{channel_id}>" if channel_id else "no channel yet"
    lines = [
        "I post every milestone of the Match cycle (ERAS opening, the rank list deadline, Match Week, SOAP…) in one "
        "channel, with reminders before each. Only the role you pick is ever pinged.",
        "",
        f"**Now:** {subscription_text(subscription)}",
        f"**Your choice:** {picked} · pinging {role_text(role_id)} · reminders: {reminders.label}",
        "",
        "Pick a channel (and a role to ping, if you like), then **Save and continue**."
        + (" **Keep as is** leaves it unchanged." if subscription is not None else " **Skip** leaves it off."),
    ]
    return _step_embed(Step.ANNOUNCEMENTS, lines, notice)


def events_line(subscription: Subscription | None, setting: EventsSetting | None) -> str:
    if subscription is None:
        return "off (announcements come first)"
    if setting is None or not setting.enabled:
        return "off"
    if setting.problem is not None:
        return "⚠️ stopped: I may not create events here (my role needs **Manage Events**)"
    return "on"


def events_step_embed(
    subscription: Subscription | None, setting: EventsSetting | None, notice: Notice | None = None
) -> discord.Embed:
    lines = [
        "I can also add Match Week, SOAP and Match Day to this server's **Events** tab (Discord scheduled events), "
        "once each, and move a projected date when the official one is published. My role needs **Manage Events**.",
        "",
        f"**Now:** {events_line(subscription, setting)}",
    ]
    if subscription is None:
        lines += [
            "",
            "This needs milestone announcements (step 1). Go **Back** to set them up, or **Continue** without.",
        ]
    return _step_embed(Step.EVENTS, lines, notice)


def group_line(summary: GroupSummary) -> str:
    group = summary.group
    people = "member" if summary.members == 1 else "members"
    return (
        f"**{quote_user_text(group.name, 60)}** in <#{group.channel_id}>, {group.schedule.describe()}, "
        f"{summary.members} {people}"
    )


def groups_text(groups: Sequence[GroupSummary]) -> str:
    if not groups:
        return "no study groups yet"
    lines = [f"• {group_line(g)}" for g in groups[:GROUPS_SHOWN]]
    if len(groups) > GROUPS_SHOWN:
        lines.append(f"…and {len(groups) - GROUPS_SHOWN} more (`/studygroup list`)")
    return "\n".join(lines)


def group_step_embed(
    groups: Sequence[GroupSummary],
    channel_id: int | None,
    *,
    may_create: bool,
    notice: Notice | None = None,
) -> discord.Embed:
    lines = [
        "A study group gets a daily check-in prompt in its channel; members check in with `/checkin`, keep a streak "
        "and see it with `/progress`. Optional.",
        "",
        f"**Now:** {groups_text(groups)}",
        "",
    ]
    if not may_create:
        lines.append(
            "Creating a study group needs the **Manage Channels** permission, which you don't have here. Someone "
            "who has it can run `/studygroup-admin create`. **Next** goes on."
        )
    else:
        picked = f"<#{channel_id}>" if channel_id else "no channel yet"
        lines += [
            f"**Channel for a new group:** {picked}",
            "Pick its channel, then **Name, time and days…** to create it. Change an existing group with "
            "`/studygroup-admin edit`. **Next** skips this.",
        ]
    return _step_embed(Step.STUDY_GROUP, lines, notice)


def help_step_embed(status: Sequence[str], notice: Notice | None = None) -> discord.Embed:
    """Step 4: the help channel of **Ask the community** (``status``: the channel and what works there, as
    /knowledge settings shows it)."""
    lines = [
        "When `/ask` has no reviewed answer, members may post their question in a help channel, with their name or "
        "anonymously, and mark the reply that answers it. A forum works best (posts tagged by stage); a text channel "
        "gets a thread per question. Optional.",
        "",
        *status,
        "",
        "Pick the channel below (it is saved at once), **Turn off** to have none, **Finish** for the summary.",
    ]
    return _step_embed(Step.HELP_CHANNEL, lines, notice)


def summary_embed(
    subscription: Subscription | None,
    setting: EventsSetting | None,
    groups: Sequence[GroupSummary],
    first_commands: Sequence[tuple[str, str]],
    notice: Notice | None = None,
    help_channel: str | None = None,
) -> discord.Embed:
    """The end of /setup: every setting as it is now (``help_channel``: Ask the community's, in a line), and what
    members can try first."""
    embed = discord.Embed(
        title="Setup done: here is how this server is set up",
        colour=BRAND_COLOUR,
        description="Members can use every command already; `/setup` changes any of this later.",
    )
    if notice is not None:
        name, value = notice.field()
        embed.add_field(name=name, value=value, inline=False)
    embed.add_field(
        name="Milestone announcements", value=shorten(subscription_text(subscription), FIELD_VALUE_LIMIT), inline=False
    )
    embed.add_field(name="Discord scheduled events", value=events_line(subscription, setting), inline=False)
    embed.add_field(name="Study groups", value=shorten(groups_text(groups), FIELD_VALUE_LIMIT), inline=False)
    if help_channel is not None:
        embed.add_field(name="Ask the community", value=shorten(help_channel, FIELD_VALUE_LIMIT), inline=False)
    tries = "\n".join(f"`/{name}`: {description}" for name, description in first_commands)
    embed.add_field(name="Three commands members can try first", value=shorten(tries, FIELD_VALUE_LIMIT), inline=False)
    embed.set_footer(text="/help lists every command; moderators see theirs too.")
    return embed


CANCELLED = (
    "Setup closed. A step you saved with its button stays saved; nothing else changed. Run `/setup` again any time "
    "to see or change the settings."
)


def reminder_option_label(choice: ReminderChoice) -> str:
    return shorten(choice.label, 100)


def reminders_of(subscription: Subscription | None) -> ReminderChoice:
    return current_choice(subscription.reminders if subscription is not None else None)
