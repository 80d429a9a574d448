"""Study-group screens: /studygroup list and info, the check-in receipt, the scheduled prompts and weekly recaps,
/progress (private, another member's, shared) and the streak-nudge DM.

A DM has no server, so the check-in modal (which needs one) cannot open from it; the nudge's buttons are links to
the group's channel, where today's prompt has its Check in button and ``/checkin`` works.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from enum import Enum

import discord

from bot.scheduling import delivery_reference
from bot.studygroups.models import MemberSettings, StudyGroup, format_hours
from bot.studygroups.nudges import MemberNudge
from bot.studygroups.recap import ExamsAhead, WeeklyRecap
from bot.studygroups.schedule import Occurrence
from bot.studygroups.service import (
    CheckInReceipt,
    GroupInfo,
    GroupSummary,
    MemberProgress,
    ProgressAccess,
    ViewedProgress,
)
from bot.studygroups.streaks import NUDGE_LOCAL_TIME, StreakStatus
from bot.text import quote_user_text, shorten
from bot.ui.channels import set_reference_footer
from bot.ui.colours import GROUP_COLOUR, NUDGE_COLOUR
from bot.ui.embeds import author_name
from bot.ui.errors import shown_name
from bot.ui.plural import plural

log = logging.getLogger(__name__)

MAX_LINK_BUTTONS = 5
BUTTON_LABEL_LIMIT = 80
FOOTER_LIMIT = 2048
SHARED_GROUPS_SHOWN = 3
NUDGE_SERVERS_SHOWN = 10
"""Servers listed in a streak nudge; a member in more gets "…and N more" (one line each would pass Discord's limit)."""
DESCRIPTION_LIMIT = 4096


def streak_line(streak: StreakStatus) -> str:
    days = "day" if streak.current == 1 else "days"
    line = f"🔥 Streak: **{streak.current} {days}** (longest {streak.longest})"
    if streak.grace_used_this_week:
        line += " · one missed day forgiven this week"
    return line


# -- /progress -----------------------------------------------------------------------------------------------


class ProgressAudience(Enum):
    OWNER = "owner"
    """The member's own, privately: the only screen that names their time zone."""
    VIEWER = "viewer"
    """Someone else's, privately, to a group mate or a moderator (``/progress user:``)."""
    PUBLIC = "public"
    """The member's own, posted for the channel with the Share button."""


def progress_embed(
    progress: MemberProgress,
    audience: ProgressAudience = ProgressAudience.OWNER,
    *,
    name: str | None = None,
    why: str | None = None,
) -> discord.Embed:
    """Streak, the last 7 days, all-time totals and the 30-day chart. ``name``: the member's display name (shown on
    every screen but their own private one); ``why``: a line saying why a viewer may see it."""
    own = audience is ProgressAudience.OWNER
    description = streak_line(progress.streak) + (f"\n{why}" if why else "")
    embed = discord.Embed(
        title="Your study progress" if own else "Study progress", description=description, colour=GROUP_COLOUR
    )
    if not own:
        embed.set_author(name=author_name(name or ""))
    week = progress.last7
    embed.add_field(
        name="Last 7 days",
        value=f"{plural(sum(p.checked_in for p in week), 'check-in day')} · "
        f"{plural(sum(p.questions for p in week), 'question', grouped=True)} · "
        f"{format_hours(sum(p.minutes for p in week))}",
        inline=False,
    )
    embed.add_field(
        name="All time in this server",
        value=f"{plural(progress.days, 'day')} · {plural(progress.questions, 'question', grouped=True)} · "
        f"{format_hours(progress.minutes)}",
        inline=False,
    )
    embed.add_field(name="Last 30 days", value=progress.chart.text, inline=False)
    # A zone says roughly where someone lives: only the member's own private screen names it.
    if own:
        footer = f"{progress.chart.legend} Days in {progress.zone}."
        if not progress.zone_is_set:
            footer += " Set your time zone with /settings timezone:."
        footer += " Only you can see this."
    elif audience is ProgressAudience.VIEWER:
        footer = f"{progress.chart.legend} Days in their own time zone. Only you can see this."
    else:
        footer = f"{progress.chart.legend} Days in their own time zone. Shared with /progress."
    embed.set_footer(text=shorten(footer, FOOTER_LIMIT))
    return embed


def viewed_progress_embed(viewed: ViewedProgress, name: str) -> discord.Embed:
    """Another member's progress for the asker, saying why they may see it."""
    if viewed.access is ProgressAccess.GROUP_MATE:
        groups = ", ".join(shown_name(g.name) for g in viewed.shared_groups[:SHARED_GROUPS_SHOWN])
        more = len(viewed.shared_groups) - SHARED_GROUPS_SHOWN
        why = f"You are both in {groups}" + (f" and {more} more" if more > 0 else "") + "."
    elif viewed.access is ProgressAccess.MODERATOR:
        why = "Shown because you can manage this server."
    else:
        return progress_embed(viewed.progress)
    return progress_embed(viewed.progress, ProgressAudience.VIEWER, name=name, why=why)


# Said wherever /settings may run, a DM included: a server's "allow DMs" switch is only one way in.
HOW_DMS_REACH_YOU = (
    "I can only DM you if you allow direct messages from members of a server we share "
    "(Discord: User Settings › Privacy & Safety)."
)
REMINDERS_SWITCH_OFF = "If I can't reach you, I switch reminders off; `/settings` shows whether they are on."
NO_GROUP_YET = "You are not in a study group yet, so there is no streak to remind you of."


def settings_text(settings: MemberSettings) -> str:
    """/settings with no options: the member's time zone and reminders, and why reminders are off if the bot did it."""
    if settings.zone is None:
        zone = "not set: your days count in each group's time zone. Set yours with `/settings timezone:`."
    else:
        zone = f"**{settings.zone}**: your check-ins count for your day there."
    if settings.nudge:
        reminders = (
            f"**on**: when your streak would break tonight, I DM you once at {NUDGE_LOCAL_TIME:%H:%M} your time."
        )
    elif settings.nudges_stopped_at is not None:
        reminders = (
            f"**off**: I switched them off {discord.utils.format_dt(settings.nudges_stopped_at, 'D')} because I "
            f"could not DM you. {HOW_DMS_REACH_YOU} Then turn them on again with `/settings nudges: on`."
        )
    else:
        reminders = "**off**. Turn them on with `/settings nudges: on`."
    lines = ["Your settings, the same in every server:", f"- Time zone: {zone}", f"- Streak reminders: {reminders}"]
    if settings.nudge and not settings.in_a_group:
        lines.append(NO_GROUP_YET)
    return "\n".join(lines)


def settings_saved_text(saved: MemberSettings, *, zone_changed: bool, nudges_changed: bool) -> str:
    """The reply to /settings with options: what was saved."""
    lines = ["Saved."]
    if zone_changed:
        lines.append(f"Your time zone is **{saved.zone}**: check-ins from now on count for your day there.")
    if nudges_changed and saved.nudge:
        lines.append(
            f"Streak reminders are **on**: when your streak would break tonight, I DM you once at "
            f"{NUDGE_LOCAL_TIME:%H:%M} your time ({saved.zone}). {HOW_DMS_REACH_YOU} {REMINDERS_SWITCH_OFF}"
        )
        if not saved.in_a_group:
            lines.append(NO_GROUP_YET)
    elif nudges_changed:
        lines.append("Streak reminders are **off**.")
    return "\n".join(lines)


def channel_url(guild_id: int, channel_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}"


def nudge_embed(
    nudge: MemberNudge, server_name: Callable[[int], str], *, nonce: str, sender: discord.abc.User | None
) -> discord.Embed:
    """``server_name``: a server's shown name from its id (the bot's cache; a placeholder when not there).
    ``sender``: the bot's user, whose avatar in the footer carries the reference (``set_reference_footer``)."""
    lines = []
    for server in nudge.servers[:NUDGE_SERVERS_SHOWN]:
        days = "day" if server.streak.current == 1 else "days"
        lines.append(f"🔥 **{server.streak.current} {days}** in {quote_user_text(server_name(server.guild_id), 60)}")
    more = len(nudge.servers) - NUDGE_SERVERS_SHOWN
    if more > 0:
        lines.append(f"…and {more} more {'server' if more == 1 else 'servers'}")
    description = (
        "You asked me to remind you: check in before midnight (your time) to keep your streak going.\n"
        + "\n".join(lines)
        + "\n\nA line about what you studied today is enough. Use a button below to open your group's "
        "channel, then press **Check in** on today's prompt or type `/checkin`."
    )
    embed = discord.Embed(
        title="Your study streak needs today's check-in",
        description=shorten(description, DESCRIPTION_LIMIT),
        colour=NUDGE_COLOUR,
    )
    return set_reference_footer(
        embed, "Turn these reminders off with /settings nudges: off", delivery_reference(nonce), sender
    )


def nudge_view(nudge: MemberNudge) -> discord.ui.View:
    """Link buttons to the member's groups (at most five; no state, so nothing to keep after a restart)."""
    view = discord.ui.View(timeout=None)
    for server in nudge.servers:
        for group in server.groups:
            if len(view.children) >= MAX_LINK_BUTTONS:
                return view
            view.add_item(
                discord.ui.Button(
                    label=shorten(f"Check in: {group.name}", BUTTON_LABEL_LIMIT),
                    url=channel_url(group.guild_id, group.channel_id),
                    style=discord.ButtonStyle.link,
                )
            )
    return view


# -- groups: times, /studygroup list and info, the check-in receipt, scheduled posts -------------------------


def timestamp(moment: dt.datetime | None) -> str:
    return "none scheduled" if moment is None else f"<t:{int(moment.timestamp())}:F>"


def group_list_embed(summaries: Sequence[GroupSummary]) -> discord.Embed:
    """/studygroup list: the server's groups (25 at most, Discord's limit of fields), with their channel, members and
    schedule."""
    embed = discord.Embed(title="Study groups", colour=GROUP_COLOUR)
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
    return embed


def group_info_embed(details: GroupInfo) -> discord.Embed:
    """/studygroup info: a group's channel, schedule, next prompt, members and this week so far."""
    found = details.group
    embed = discord.Embed(title=shorten(found.name, 256), colour=GROUP_COLOUR)
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
    return embed


def receipt_embed(receipt: CheckInReceipt) -> discord.Embed:
    verb = "updated" if receipt.updated else "recorded"
    embed = discord.Embed(
        title=f"Check-in {verb} ✅",
        description=f"{shown_name(receipt.group.name)} · {receipt.check_in.local_date:%A %d %B}\n"
        + streak_line(receipt.streak),
        colour=GROUP_COLOUR,
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
        notes.append(f"You joined {shown_name(receipt.group.name)} by checking in.")
    if receipt.zone_is_default:
        notes.append(
            f"Your day was counted in the group's time zone ({receipt.zone}). Set your own with `/settings timezone:`."
        )
    if notes:
        embed.add_field(name="Note", value="\n".join(notes), inline=False)
    embed.set_footer(text="Only you can see this. Check in again today to change it.")
    return embed


def prompt_embed(
    group: StudyGroup, occurrence: Occurrence, *, late: bool, nonce: str, sender: discord.abc.User | None
) -> discord.Embed:
    description = (
        "What did you get done today? Press **Check in** (or use `/checkin` here): a line about what you studied "
        "is enough, numbers are optional."
    )
    if late:
        # Whatever made it late (the bot offline, Discord refusing for a while): it says when it was due.
        description += f"\n*Posted late: this was due {discord.utils.format_dt(occurrence.due_at, 't')}.*"
    embed = discord.Embed(
        title=shorten(f"Check-in time: {group.name}", 256),
        description=description,
        colour=GROUP_COLOUR,
        timestamp=occurrence.due_at,
    )
    return set_reference_footer(embed, f"{occurrence.local_date:%A %d %B}", delivery_reference(nonce), sender)


def exams_ahead_line(exams: ExamsAhead, limit: int = 10) -> str:
    """``3 members have an exam in the next 14 days. Good luck, <@1> and <@2>!`` (mentions show names; the recap is
    posted pinging nobody)."""
    who = "1 member has" if exams.members == 1 else f"{exams.members} members have"
    text = f"{who} an exam in the next {exams.days} days."
    if not exams.named:
        return f"{text} Good luck!"
    shown = [f"<@{user_id}>" for user_id in exams.named[:limit]]
    more = len(exams.named) - len(shown)
    if more > 0:
        shown.append(f"{more} more")
    names = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    return f"{text} Good luck, {names}!"


def recap_embed(
    group: StudyGroup, recap: WeeklyRecap, *, late: bool, nonce: str, sender: discord.abc.User | None
) -> discord.Embed:
    week = recap.week
    embed = discord.Embed(
        title=shorten(f"Weekly recap: {group.name}", 256),
        description=f"{recap.summary()}\n{recap.line}" + ("\n*Posted late.*" if late else ""),
        colour=GROUP_COLOUR,
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
    if recap.exams_ahead is not None:
        embed.add_field(name="📅 Exams ahead", value=exams_ahead_line(recap.exams_ahead), inline=False)
    week_text = f"Week {week.monday:%d %b}–{week.sunday:%d %b}"
    return set_reference_footer(embed, week_text, delivery_reference(nonce), sender)
