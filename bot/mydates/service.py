"""/mydates as the cog sees it: plain values in and out, no discord.

Adding, listing and removing a member's own dates, the .ics of them, the per-server opt-in for weekly recaps, the
pause of a member whose DMs are closed (and telling them once), the exams line of a recap, and forgetting dates a
while after they passed. The reminders themselves are the feed ``bot.mydates.reminders.MyDateReminders``; after a
change that moves them, ``on_change`` re-arms its timers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.cycle import CalendarItem, to_ics
from bot.mydates.models import (
    EXAMS_AHEAD_DAYS,
    FORGET_AFTER,
    MAX_DATES,
    AddDateOptions,
    AddedDate,
    DmPause,
    MyDate,
    ShareOptions,
    Sharing,
)
from bot.mydates.repository import MyDatesRepository
from bot.studygroups.recap import ExamsAhead
from bot.text import shorten
from bot.validation import UserInputError
from bot.zones import zone_choices

log = logging.getLogger(__name__)

UID_DOMAIN = "mydates.img-pathway-bot.invalid"
PURGE_JOB = "mydates:forget-passed"
PURGE_EVERY = dt.timedelta(days=1)
PURGE_TIMEOUT = dt.timedelta(minutes=10)
"""Two indexed deletes take well under a second; a run still going after this is stuck on the database."""
CHOICES = 25
"""Discord shows at most 25 autocomplete choices."""


@dataclass(frozen=True, slots=True)
class CalendarFile:
    filename: str
    data: bytes
    dates: int


def _no_change() -> Awaitable[None]:
    async def nothing() -> None:
        return None

    return nothing()


class MyDatesService:
    def __init__(
        self,
        repository: MyDatesRepository,
        *,
        clock: Callable[[], dt.datetime],
        on_change: Callable[[], Awaitable[None]] = _no_change,
    ) -> None:
        self.repository = repository
        self.clock = clock
        self._on_change = on_change

    def now(self) -> dt.datetime:
        return self.clock()

    # -- dates -------------------------------------------------------------------------------------------------------

    async def add(self, user_id: int, options: AddDateOptions) -> AddedDate:
        """Save a validated date (``parse_options_with(AddDateOptions, {"now": service.now()}, ...)``)."""
        now = self.clock()
        starts_at = options.starts_at
        if starts_at <= now:
            # Validated against the clock a moment ago; a date a few seconds ahead may have passed since.
            raise UserInputError("That time has just passed. Give a date and time still ahead.")
        added = await self.repository.add(
            user_id, options.kind, options.title, starts_at, options.timezone, options.reminders, now, limit=MAX_DATES
        )
        if added is None:
            raise UserInputError(
                f"You already have {MAX_DATES} dates saved, the most I keep. Remove one with `/mydates remove` "
                "first (dates are also forgotten 30 days after they pass)."
            )
        upcoming = tuple(offset for offset in added.reminders if starts_at - offset >= now)
        passed = tuple(offset for offset in added.reminders if starts_at - offset < now)
        log.info("a member added a date (%s) with %d reminder(s) ahead", added.kind.value, len(upcoming))
        if upcoming:
            await self._on_change()
        return AddedDate(added, upcoming, passed)

    async def dates(self, user_id: int) -> tuple[MyDate, ...]:
        """The member's dates, soonest first (those passed within ``FORGET_AFTER`` too)."""
        return tuple(await self.repository.of_user(user_id))

    async def remove(self, user_id: int, ref: str) -> MyDate:
        """Remove one of the member's dates: ``ref`` is its id (what autocomplete sends) or its name as typed."""
        date = await self._resolve(user_id, ref)
        removed = await self.repository.remove(user_id, date.id)
        if removed is None:
            raise UserInputError("That date is already gone. `/mydates list` shows the ones you have.")
        log.info("a member removed a date (%s)", removed.kind.value)
        await self._on_change()
        return removed

    async def _resolve(self, user_id: int, ref: str) -> MyDate:
        text = " ".join(ref.split())
        mine = await self.repository.of_user(user_id)
        if text.isdecimal():
            found = [date for date in mine if date.id == int(text)]
        else:
            folded = text.casefold()
            found = [date for date in mine if date.name.casefold() == folded] if folded else []
        if len(found) == 1:
            return found[0]
        if not mine:
            raise UserInputError("You have no dates saved. Add one with `/mydates add`.")
        if found:
            raise UserInputError("Several of your dates have that name: pick the one you mean from the list.")
        raise UserInputError("You have no date by that name. Pick it from the list as you type.")

    async def choices(self, user_id: int, typed: str) -> list[tuple[str, int]]:
        """Autocomplete for /mydates remove: ``(label, id)`` of the member's dates matching what is typed."""
        needle = " ".join(typed.split()).casefold()
        found = []
        for date in await self.repository.of_user(user_id):
            label = f"{date.name} · {date.local_start:%Y-%m-%d %H:%M} ({date.zone})"
            if not needle or needle in label.casefold():
                found.append((shorten(label, 100), date.id))
        return found[:CHOICES]

    def zone_choices(self, typed: str) -> tuple[str, ...]:
        """The same suggestions as /settings and /studygroup-admin create."""
        return zone_choices(typed, self.clock())

    async def calendar(self, user_id: int) -> CalendarFile:
        """The member's dates as an .ics file, each with its reminders as alarms. Stable UIDs: importing a newer file
        updates the events instead of duplicating them."""
        dates = await self.repository.of_user(user_id)
        items = [
            CalendarItem(
                uid=f"mydate-{date.user_id}-{date.id}",
                title=date.name,
                start=date.starts_at,
                description=f"{date.kind.label}, {date.local_start:%Y-%m-%d %H:%M} ({date.zone}). Saved with /mydates.",
                alarms=date.reminders,
                busy=True,
            )
            for date in dates
        ]
        data = to_ics(items, "My dates", UID_DOMAIN, dtstamp=self.clock())
        return CalendarFile(filename="my-dates.ics", data=data, dates=len(dates))

    # -- DMs closed: a pause, told once ------------------------------------------------------------------------------

    async def take_pause(self, user_id: int) -> DmPause | None:
        """The member used /mydates: end a pause of their reminders, returning it so they are told (once)."""
        pause = await self.repository.take_pause(user_id)
        if pause is not None:
            # Nothing to re-arm: a pause never removed a timer, it only made the feed skip that member's reminders.
            log.info("a member whose reminder DMs were refused used /mydates: told, and reminders resumed")
        return pause

    # -- weekly recaps -----------------------------------------------------------------------------------------------

    async def share(self, user_id: int, guild_id: int, options: ShareOptions) -> Sharing | None:
        await self.repository.set_sharing(user_id, guild_id, options.share, options.named, self.clock())
        return await self.repository.sharing(user_id, guild_id)

    async def exams_ahead(self, guild_id: int, member_ids: Sequence[int], at: dt.datetime) -> ExamsAhead | None:
        """For a study group's weekly recap due ``at``: its members who opted in for this server and have an exam
        in the next ``EXAMS_AHEAD_DAYS`` days; None when there are none."""
        found = await self.repository.exams_of(
            guild_id, tuple(member_ids), at, at + dt.timedelta(days=EXAMS_AHEAD_DAYS)
        )
        if not found:
            return None
        named = tuple(user_id for user_id in member_ids if found.get(user_id))
        return ExamsAhead(members=len(found), named=named, days=EXAMS_AHEAD_DAYS)

    # -- forgetting --------------------------------------------------------------------------------------------------

    async def forget_passed(self) -> tuple[int, int]:
        """Forget dates passed more than ``FORGET_AFTER`` ago and the records of their reminders (a worker, daily)."""
        dates, records = await self.repository.forget_passed(self.clock() - FORGET_AFTER)
        if dates or records:
            log.info(
                "forgot %d date(s) passed over %d days ago and %d reminder record(s)", dates, FORGET_AFTER.days, records
            )
        return dates, records
