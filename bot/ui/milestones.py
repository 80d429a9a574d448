"""Milestone announcements, server events and their admin views as embeds, within Discord's limits."""

from __future__ import annotations

import logging
from datetime import datetime

import discord
from discord.utils import format_dt

from bot.cycle import Milestone, MilestoneKind, MilestoneStatus
from bot.milestones.announcements import Announcement, spell_date, zone_label
from bot.milestones.models import Notice, PauseReason, PlannedDelivery, ServerEvent, Subscription, TargetKind
from bot.milestones.reminders import describe_offset, describe_reminders
from bot.milestones.service import CalendarFile, EventEdit, StatusReport
from bot.scheduling.delivery import DeliveryRecord, DeliveryStatus
from bot.text import quote_user_text, shorten
from bot.ui.channels import POSTING_PERMISSIONS, bold_list, set_reference_footer
from bot.ui.colours import BRAND_COLOUR, DANGER_COLOUR, EVENT_COLOUR, NOTICE_COLOUR
from bot.ui.embeds import DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, markdown_link

log = logging.getLogger(__name__)

PAUSED_EVENT = "its channel is gone or closed to me; `/event edit channel:` moves it"
TITLE_LIMIT = 256

_STATUS_LINES = {
    MilestoneStatus.OFFICIAL: "✅ **Official date**",
    MilestoneStatus.PROJECTED: "🔮 **Projected** from past cycles: the official date may differ. Check the source.",
}
APPROXIMATE_LINE = "〰️ **Approximate**: there is no official date for this; each program sets its own."
_HEADLINE_EMOJI = {"Preview": "🔍", "Reminder": "🕓", "Now": "📣", "Today": "📣", "Starting now": "📣"}


def _emoji(headline: str) -> str:
    prefix = headline.split(":", 1)[0]
    return _HEADLINE_EMOJI.get(prefix, "⏰")


def when_text(at: datetime, all_day: bool, local_text: str) -> str:
    """A moment as Discord timestamps (each reader's own zone) with the source zone's time; a date as a date."""
    if all_day:
        return f"{local_text} (all day, US Eastern time)"
    return f"{format_dt(at, 'F')} ({format_dt(at, 'R')})\n*{local_text}*"


def milestone_when(milestone: Milestone) -> str:
    if milestone.all_day:
        return f"{spell_date(milestone.local_date)} (all day)"
    return f"{format_dt(milestone.at, 'F')} ({format_dt(milestone.at, 'R')})"


def _bullets(lines: tuple[str, ...] | list[str]) -> str:
    text = ""
    for line in lines:
        candidate = f"{text}\n• {line}" if text else f"• {line}"
        if len(candidate) > FIELD_VALUE_LIMIT:
            break
        text = candidate
    return text


def announcement_embed(announcement: Announcement, *, sender: discord.abc.User | None = None) -> discord.Embed:
    """``sender``: the bot's user, whose avatar in the footer carries the reference of a scheduled post
    (``bot.ui.channels.set_reference_footer``); previews have no reference."""
    a = announcement
    colour = EVENT_COLOUR
    if a.kind is TargetKind.MILESTONE:
        colour = NOTICE_COLOUR if a.status is MilestoneStatus.PROJECTED else BRAND_COLOUR
    lines: list[str] = []
    if a.late_due_at is not None:
        lines.append(
            # Whatever made it late (the bot offline, Discord refusing for a while): it says when it was due.
            f"🕓 **Posted late:** this reminder was due {format_dt(a.late_due_at, 'f')} "
            f"({format_dt(a.late_due_at, 'R')})."
        )
    lines.append(f"**When:** {when_text(a.at, a.all_day, a.local_text)}")
    if a.approximate:
        lines.append(APPROXIMATE_LINE)
    elif a.status is not None:
        lines.append(_STATUS_LINES[a.status])
    if a.details:
        lines.append("")
        lines.append(a.details)
    embed = discord.Embed(
        title=shorten(f"{_emoji(a.headline)} {a.headline}", TITLE_LIMIT),
        description=shorten("\n".join(lines), DESCRIPTION_LIMIT),
        colour=colour,
    )
    if a.checklist:
        embed.add_field(name="What to do now", value=_bullets(a.checklist), inline=False)
    if a.kb_entry_title:
        embed.add_field(
            name="Read more",
            value=shorten(f"`/topic` **{a.kb_entry_title}**, or the button below.", FIELD_VALUE_LIMIT),
            inline=False,
        )
    if a.source_title and a.source_url:
        embed.add_field(
            name="Source", value=shorten(markdown_link(shorten(a.source_title, 200), a.source_url), 1024), inline=False
        )
    footer = [f"Match {a.match_year}" if a.match_year else "Server event"]
    if a.preview:
        footer.append("Preview: not posted to subscribers, nobody pinged")
    if a.reference:
        return set_reference_footer(embed, " · ".join(footer), a.reference, sender)
    embed.set_footer(text=" · ".join(footer))
    return embed


def announcement_content(announcement: Announcement) -> str | None:
    """The role mention, when there is a role to ping (the message's only possible ping)."""
    return f"<@&{announcement.role_id}>" if announcement.role_id is not None else None


def announcement_mentions(announcement: Announcement) -> discord.AllowedMentions:
    """Only the configured role may be pinged; never @everyone, @here or users."""
    roles: list[discord.Object] = [discord.Object(announcement.role_id)] if announcement.role_id is not None else []
    return discord.AllowedMentions(everyone=False, users=False, roles=roles, replied_user=False)


def next_embed(milestones: list[Milestone], now: datetime) -> discord.Embed:
    embed = discord.Embed(title="Coming up in the Match cycle", colour=BRAND_COLOUR)
    for milestone in milestones:
        mark = "official" if milestone.status is MilestoneStatus.OFFICIAL else "projected"
        embed.add_field(
            name=shorten(f"{milestone.title} · Match {milestone.match_year} · {mark}", 256),
            value=milestone_when(milestone),
            inline=False,
        )
    if not milestones:
        embed.description = "No milestones ahead in the calendar."
    embed.set_footer(text="Projected dates follow past cycles and may change. /milestones calendar gives an .ics file.")
    return embed


def _subscription_lines(subscription: Subscription) -> list[str]:
    role = f"<@&{subscription.role_id}>" if subscription.role_id else "nobody (no role set)"
    reminders = (
        describe_reminders(subscription.reminders)
        if subscription.reminders is not None
        else "each milestone's own, e.g. for the ROL deadline "
        + describe_reminders(MilestoneKind.ROL_DEADLINE.info.reminder_offsets)
    )
    return [f"**Channel:** <#{subscription.channel_id}>", f"**Pings:** {role}", f"**Reminders:** {reminders}"]


PAUSE_HELP = {
    PauseReason.BY_ADMIN: (
        "Paused by an admin: no milestones and none of this server's events are posted. `/announcements resume` "
        "starts them again."
    ),
    PauseReason.CHANNEL_GONE: "Paused: the channel was deleted. Pick another with `/announcements setup channel:`.",
    PauseReason.NO_PERMISSION: (
        f"Paused: I can't post in the channel. Give me {bold_list(POSTING_PERMISSIONS)} there, then run "
        "`/announcements resume`."
    ),
    PauseReason.ROLE_GONE: (
        "Paused: the role I pinged was deleted. Run `/announcements setup` again with another role (or none)."
    ),
    PauseReason.SERVER_GONE: "Paused: I was removed from the server.",
}


def setup_embed(subscription: Subscription, next_up: list[PlannedDelivery], warning: str | None) -> discord.Embed:
    embed = discord.Embed(
        title="Milestone announcements are on",
        description="\n".join(_subscription_lines(subscription)),
        colour=BRAND_COLOUR,
    )
    if next_up:
        embed.add_field(name="Next posts", value=_planned_lines(next_up), inline=False)
    if warning:
        embed.add_field(name="⚠️ Check this", value=shorten(warning, FIELD_VALUE_LIMIT), inline=False)
    embed.set_footer(text="/announcements preview shows what a post looks like. /announcements pause stops them.")
    return embed


def _planned_lines(planned: list[PlannedDelivery]) -> str:
    lines = []
    for item in planned:
        what = quote_user_text(item.title, 80) if item.kind is TargetKind.EVENT else item.title
        # Said per post: a server event pings only when it was added with ping: True.
        ping = f" · pings <@&{item.role_id}>" if item.role_id else ""
        lines.append(f"{format_dt(item.fire_at, 'f')}: {what} ({describe_offset(item.offset)}){ping}")
    return shorten("\n".join(lines), FIELD_VALUE_LIMIT)


def _record_line(record: DeliveryRecord) -> str:
    when = format_dt(record.finished_at or record.fire_at, "R")
    label = {
        DeliveryStatus.SENT: "posted late" if record.late else "posted",
        DeliveryStatus.SKIPPED: f"skipped ({record.reason})",
        DeliveryStatus.FAILED: f"failed ({(record.reason or '').split(':')[0]})",
        DeliveryStatus.CLAIMED: "being posted",
    }[record.status]
    what = record.target_ref if record.target_kind == "milestone" else f"event #{record.target_ref}"
    return f"{when}: {what} · {label}"


def status_embed(report: StatusReport) -> discord.Embed:
    subscription = report.subscription
    if subscription is None:
        embed = discord.Embed(
            title="Milestone announcements are off",
            description="Turn them on with `/announcements setup channel: [role:] [reminders:]`.",
            colour=NOTICE_COLOUR,
        )
    else:
        lines = _subscription_lines(subscription)
        if subscription.active:
            lines.insert(0, "**State:** ✅ active")
        else:
            reason = subscription.paused_reason or PauseReason.BY_ADMIN
            lines.insert(0, f"**State:** ⏸️ {PAUSE_HELP[reason]}")
        embed = discord.Embed(
            title="Milestone announcements",
            description="\n".join(lines),
            colour=BRAND_COLOUR if subscription.active else DANGER_COLOUR,
        )
    if subscription is not None:
        embed.add_field(name="Discord scheduled events", value=_discord_events_line(report), inline=False)
    held = subscription is not None and not subscription.active and subscription.paused_reason is PauseReason.BY_ADMIN
    if held:
        embed.add_field(
            name="Next posts",
            value="None while paused: no milestones and none of this server's events. What falls due before "
            "`/announcements resume` is skipped, not posted late.",
            inline=False,
        )
    elif report.upcoming:
        # Paused for a broken channel or role, the server's events elsewhere still go out: say which posts these are.
        name = "Next posts" if subscription is None or subscription.active else "Still posted (server events only)"
        embed.add_field(name=name, value=_planned_lines(report.upcoming), inline=False)
    if report.recent:
        embed.add_field(
            name="Latest", value=shorten("\n".join(_record_line(r) for r in report.recent), 1024), inline=False
        )
    embed.set_footer(
        text=f"{report.events} upcoming server {'event' if report.events == 1 else 'events'} · /event list"
    )
    return embed


def _discord_events_line(report: StatusReport) -> str:
    setting = report.discord_events
    if setting is None or not setting.enabled:
        return "Off. `/announcements scheduled-events enabled:True` adds Match Week, SOAP and Match Day to Events."
    if setting.problem is not None:
        return (
            "⚠️ Stopped: I may not create events here. Give my role **Manage Events**, then run "
            "`/announcements scheduled-events enabled:True` again."
        )
    # Only events whose dates are known are created, so "they are in the Events tab" would claim too much.
    return "✅ On: I add Match Week, SOAP and Match Day to this server's Events tab when their dates are known."


def events_embed(events: list[ServerEvent]) -> discord.Embed:
    embed = discord.Embed(title="This server's events", colour=EVENT_COLOUR)
    for event in events[:25]:
        state = "" if event.active else f" · ⏸️ paused: {PAUSED_EVENT}"
        state = (" · pings the announcement role" if event.ping else " · no ping") + state
        embed.add_field(
            name=shorten(quote_user_text(event.title, 100), 256),
            value=shorten(
                f"{format_dt(event.starts_at, 'F')} ({format_dt(event.starts_at, 'R')}) in <#{event.channel_id}>\n"
                f"*{event.local_start:%Y-%m-%d %H:%M} {zone_label(event.zone)}* · reminders "
                f"{describe_reminders(event.reminders)}{state}",
                1024,
            ),
            inline=False,
        )
    if not events:
        embed.description = "No upcoming events. Add one with `/event add`."
    return embed


def event_ping_line(event: ServerEvent, role_id: int | None) -> str:
    """Whom the event's reminders ping, said plainly, with how to change it (``role_id``: the announcement role)."""
    count = len(event.reminders)
    posts = "its reminder" if count == 1 else f"each of its {count} reminders"
    if not event.reminders:
        return "**Pings:** nobody (it has no reminders)"
    if event.ping and role_id:
        return f"**Pings:** <@&{role_id}> with {posts}. `/event edit ping: False` stops that."
    if event.ping:
        return "**Pings:** nobody: this server has no announcement role (`/announcements setup role:` sets one)."
    if role_id:
        return f"**Pings:** nobody. `/event edit ping: True` pings <@&{role_id}> with {posts}."
    return "**Pings:** nobody"


HELD_EVENT = (
    "⏸️ Announcements are paused here: its reminders are not posted until `/announcements resume` "
    "(those due before then are skipped)."
)


def _event_lines(event: ServerEvent, role_id: int | None, *, held: bool) -> list[str]:
    """When, where, reminders and pings of an event, for the replies of /event add and /event edit."""
    lines = [
        f"**When:** {format_dt(event.starts_at, 'F')} ({format_dt(event.starts_at, 'R')})",
        f"*{event.local_start:%Y-%m-%d %H:%M:%S} {event.zone}*",
        f"**Where:** <#{event.channel_id}>",
        f"**Reminders:** {describe_reminders(event.reminders)}",
        event_ping_line(event, role_id),
    ]
    return [*lines, HELD_EVENT] if held else lines


def event_added_embed(event: ServerEvent, role_id: int | None = None, *, held: bool = False) -> discord.Embed:
    """The reply to /event add; ``role_id``: the server's announcement role, ``held``: an admin paused announcements."""
    lines = _event_lines(event, role_id, held=held)
    embed = discord.Embed(
        title=shorten(f"Event added: {quote_user_text(event.title, 100)}", TITLE_LIMIT),
        description="\n".join(lines),
        colour=EVENT_COLOUR,
    )
    embed.set_footer(text=f"Event #{event.id} · /event edit to change it · /event remove to cancel it")
    return embed


def event_edited_embed(edit: EventEdit, role_id: int | None = None, *, held: bool = False) -> discord.Embed:
    """The reply to /event edit: the event as it is now, and which reminders are still to come."""
    event = edit.event
    changed = (
        ", ".join(edit.changed[:-1]) + f" and {edit.changed[-1]}" if len(edit.changed) > 1 else "".join(edit.changed)
    )
    lines = [
        f"Changed: {changed}." if changed else "Nothing changed: the event already was like this.",
        *_event_lines(event, role_id, held=held),
    ]
    # "At the new time" only when there is one: an edit that left the time alone must not suggest it moved.
    at_time = ", at the new time" if "the time" in edit.changed or "the time zone" in edit.changed else ""
    if edit.upcoming:
        lines.append(f"**Still to come:** {describe_reminders(edit.upcoming)}{at_time}.")
    else:
        lines.append("**Still to come:** none (their time has passed, or they were posted already).")
    if edit.posted:
        lines.append(f"Already posted, so not posted again: {describe_reminders(edit.posted)}.")
    if event.description:
        lines += ["", quote_user_text(event.description, 300)]
    embed = discord.Embed(
        title=shorten(f"Event updated: {quote_user_text(event.title, 100)}", TITLE_LIMIT),
        description=shorten("\n".join(lines), DESCRIPTION_LIMIT),
        colour=EVENT_COLOUR,
    )
    embed.set_footer(text=f"Event #{event.id} · /event edit to change it again · /event remove to cancel it")
    return embed


def calendar_message(file: CalendarFile) -> str:
    years = " and ".join(f"Match {y}" for y in file.years)
    events = "event" if file.events == 1 else "events"
    extra = f" and this server's {file.events} upcoming {events}" if file.events else ""
    return (
        f"The {years} cycle{extra} as a calendar file: open it, or import it into Google Calendar, Apple Calendar "
        "or Outlook. Projected dates are marked tentative; importing a newer file updates them."
    )


def notice_text(notice: Notice, server_name: str) -> str:
    """The DM to a server's admin: what stopped, why, and the one command that fixes it."""
    server = f"**{discord.utils.escape_markdown(server_name)}**"
    what = []
    if notice.subscription_paused:
        what.append("milestone announcements")
    if notice.events_paused:
        titles = ", ".join(f"“{quote_user_text(t, 60)}”" for t in notice.events_paused[:5])
        more = f" and {len(notice.events_paused) - 5} more" if len(notice.events_paused) > 5 else ""
        what.append(f"the event reminders for {titles}{more}")
    paused = " and ".join(what) or "announcements"
    channel = f"<#{notice.channel_id}>" if notice.channel_id else "the channel"
    if notice.reason is PauseReason.CHANNEL_GONE:
        why = f"the channel I posted in ({channel}) was deleted"
        fix = "Pick a new channel with `/announcements setup channel:`; `/event edit channel:` moves an event."
    elif notice.reason is PauseReason.NO_PERMISSION:
        why = f"I can no longer post in {channel}"
        fix = f"Give my role {bold_list(POSTING_PERMISSIONS)} in {channel}, then run `/announcements resume`."
    elif notice.reason is PauseReason.ROLE_GONE:
        why = "the role I pinged was deleted"
        fix = "Run `/announcements setup channel:` again with another role, or with none."
    else:
        why = "something changed in the server"
        fix = "Run `/announcements status` to see what to do."
    return f"I paused {paused} in {server}: {why}.\n{fix}\nNothing else changes; other servers are not affected."
