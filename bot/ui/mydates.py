"""/mydates screens, the reminder DM, and the Discord side of the reminders feed (``DiscordReminderSender``).

Every time is a Discord timestamp (``<t:…:F>`` and ``<t:…:R>``), shown in each reader's own zone; the zone the member
gave is shown beside it so they can check the date they typed. Titles are the member's own text: quoted (no pings,
no formatting) wherever they are shown.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import discord

from bot.milestones.reminders import describe_duration
from bot.mydates.models import EXAMS_AHEAD_DAYS, AddedDate, DmPause, MyDate, Sharing
from bot.mydates.reminders import PlannedReminder
from bot.mydates.service import CalendarFile
from bot.scheduling import delivery_reference
from bot.text import quote_user_text, shorten
from bot.ui import channels
from bot.ui.colours import MYDATES_COLOUR
from bot.ui.delivery_errors import delivery_errors
from bot.ui.embeds import DESCRIPTION_LIMIT

log = logging.getLogger(__name__)

NAME_LIMIT = 80
DM_HELP = (
    "I can only DM you if you allow direct messages from members of a server we share (User Settings › "
    "Privacy & Safety, or that server's Privacy Settings)."
)


def stamp(moment: dt.datetime, style: str) -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


def shown_name(date: MyDate, limit: int = NAME_LIMIT) -> str:
    return quote_user_text(date.name, limit)


def local_text(date: MyDate) -> str:
    return f"{date.local_start:%Y-%m-%d %H:%M} {date.zone}"


# -- /mydates add, list, remove, calendar ------------------------------------------------------------------------


def added_embed(added: AddedDate) -> discord.Embed:
    date = added.date
    embed = discord.Embed(
        title=shorten(f"Saved: {date.kind.emoji} {shown_name(date)}", 256),
        description=f"{stamp(date.starts_at, 'F')} ({stamp(date.starts_at, 'R')})\nYou gave: {local_text(date)}",
        colour=MYDATES_COLOUR,
    )
    if added.upcoming:
        text = (
            f"By DM, {added.describe_upcoming()}. Adding a date with reminders is how you ask me for these DMs "
            f"(`reminders: none` adds a date without any). {DM_HELP}"
        )
    elif not date.reminders:
        text = "None: you asked for no reminders. The date is in `/mydates list` and `/mydates calendar`."
    else:
        text = "None: every reminder you asked for would already have passed."
    if added.upcoming and added.passed:
        text += f"\nAlready passed, so not sent: {added.describe_passed()}."
    embed.add_field(name="Reminders", value=text, inline=False)
    embed.set_footer(text="/mydates list shows your dates · /mydates remove cancels one and its reminders")
    return embed


def date_line(date: MyDate, now: dt.datetime) -> str:
    name = f"{date.kind.emoji} **{shown_name(date)}**"
    if date.passed(now):
        return f"{name} · {stamp(date.starts_at, 'f')} · passed"
    reminders = f"🔔 {date.reminders_text()}" if date.reminders else "🔕 no reminders"
    return f"{name} · {stamp(date.starts_at, 'F')} ({stamp(date.starts_at, 'R')}) · {reminders}"


def dates_embed(dates: Sequence[MyDate], now: dt.datetime) -> discord.Embed:
    """Upcoming dates first (soonest first), then those passed (kept a while): as many as fit, then a count."""
    embed = discord.Embed(title="Your dates", colour=MYDATES_COLOUR)
    if not dates:
        embed.description = (
            "No dates yet. Add your exam, interview or deadline with `/mydates add`, and I will remind you by DM."
        )
        return embed
    ordered = [d for d in dates if not d.passed(now)] + [d for d in dates if d.passed(now)]
    lines = [date_line(date, now) for date in ordered]
    shown: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        after = len(lines) - index - 1
        # Room is kept for the "…and N more" line that would follow this one.
        room = len(_more(after)) + 1 if after else 0
        if used + len(line) + room > DESCRIPTION_LIMIT:
            shown.append(_more(len(lines) - index))
            break
        shown.append(line)
        used += len(line) + 1
    embed.description = "\n".join(shown)
    embed.set_footer(text="Times show in your own time zone · reminders come by DM · only you can see this")
    return embed


def _more(count: int) -> str:
    return f"…and {count} more: `/mydates calendar` has them all."


def removed_text(date: MyDate) -> str:
    reminders = " and its reminders" if date.reminders else ""
    return f"Removed **{shown_name(date)}** ({local_text(date)}){reminders}."


def calendar_text(file: CalendarFile) -> str:
    if not file.dates:
        return "You have no dates yet, so the calendar is empty. Add one with `/mydates add`."
    count = "1 date" if file.dates == 1 else f"{file.dates} dates"
    return (
        f"Your {count} as a calendar file: open it, or import it in Google Calendar, Apple Calendar or Outlook. "
        "Importing a newer file updates the events instead of duplicating them. Only you can see this."
    )


def pause_notice(pause: DmPause) -> str:
    """Told once, the next time the member uses /mydates after a reminder DM was refused."""
    return (
        f"⚠️ On {stamp(pause.paused_at, 'f')} I could not DM you a reminder ({quote_user_text(pause.about, 100)}): "
        "Discord says you do not accept direct messages from me. I paused your reminders; they are back on now "
        f"that you used /mydates. {DM_HELP} If I still cannot reach you, I will pause them again and tell you here."
    )


def with_notice(text: str | None, pause: DmPause | None) -> str | None:
    if pause is None:
        return text
    return pause_notice(pause) if not text else f"{pause_notice(pause)}\n\n{text}"


def sharing_text(sharing: Sharing | None) -> str:
    if sharing is None:
        return (
            "Done: study-group weekly recaps in this server do not count you. (They never did unless you turned "
            "this on.)"
        )
    named = "and name you" if sharing.named else "without naming you (`named: True` to be named)"
    return (
        "Done: in this server, study-group weekly recaps count you among members with an exam (Step 2 CK or OET) "
        f"in the next {EXAMS_AHEAD_DAYS} days, {named}. Only groups you are in, and only the count and the names of "
        "members who chose to be named; never the date. `/mydates share-in-recaps share: off` stops it."
    )


# -- the reminder DM ---------------------------------------------------------------------------------------------


def reminder_embed(
    reminder: PlannedReminder, *, late: bool, nonce: str, sender: discord.abc.User | None = None
) -> discord.Embed:
    date = reminder.date
    when = "now" if reminder.offset <= dt.timedelta(0) else f"in {describe_duration(reminder.offset)}"
    description = (
        f"**{shown_name(date)}** is {stamp(date.starts_at, 'R')}: {stamp(date.starts_at, 'F')}.\n"
        f"You gave: {local_text(date)}."
    )
    if late:
        # Whatever made it late (the bot offline, Discord refusing for a while): it says when it was due.
        description += f"\n*Sent late: this reminder was due {stamp(reminder.fire_at, 'f')}.*"
    embed = discord.Embed(
        title=shorten(f"{date.kind.emoji} {shown_name(date)}: {when}", 256),
        description=description,
        colour=MYDATES_COLOUR,
        timestamp=date.starts_at,
    )
    # The reference rides in the footer icon's URL, where the bot looks for it after a crash (bot/ui/channels.py).
    return channels.set_reference_footer(
        embed, "Your reminder from /mydates · /mydates remove cancels a date", delivery_reference(nonce), sender
    )


class DiscordReminderSender:
    """Reminders by DM (``bot.mydates.reminders.ReminderSender``); Discord's answers become the delivery machinery's
    terms: 403 (50007, the member does not accept DMs from the bot) and 404 (the user is gone) are problems that
    pause the member's reminders, a 5xx or a long 429 a retry."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def send_reminder(self, reminder: PlannedReminder, *, late: bool, nonce: str) -> int:
        user_id = reminder.date.user_id
        with delivery_errors(f"a date reminder to user {user_id}"):
            channel = await self.client.create_dm(discord.Object(user_id))
            sent = await channel.send(
                embed=reminder_embed(reminder, late=late, nonce=nonce, sender=self.client.user),
                nonce=nonce,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        return sent.id

    async def find_reminder(self, user_id: int, reference: str, since: dt.datetime) -> int | None:
        me = self.client.user
        if me is None:
            return None
        # As for streak nudges: a failed read raises, so an unconfirmed reminder is never sent a second time.
        with delivery_errors(f"opening the DMs with user {user_id}"):
            channel = await self.client.create_dm(discord.Object(user_id))
        return await channels.search_history(channel, me, reference, since, f"the DMs with user {user_id}")
