"""Interview practice, the member's notes, their interview log and the rank draft built from it.

Practice keeps no state: a practice message's buttons carry the category, the timer, the sequence's seed and the
position in it (``PracticeCard``), and ``InterviewBank.draw`` gives the same question for them after a restart.
What a member keeps (notes, log entries, the draft's order and notes) is in the database, private to them: every
read and write names the member.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.cycle import CycleCalendar, Milestone, MilestoneKind, MilestoneStatus
from bot.db.timestamps import Clock, utc_now
from bot.interviews.bank import Draw, InterviewBank, UnknownCategoryError
from bot.interviews.models import Category, InterviewQuestion
from bot.interviews.options import AnswerNote, LogEntry, PracticeOptions, RankNote
from bot.interviews.repository import InterviewRepository, LoggedInterview, SavedNote
from bot.milestones.announcements import spell_date
from bot.validation import UserInputError

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_NOTES = 500
MAX_LOG_ENTRIES = 100
"""Far above what anyone interviews at in a season (and NRMP's 300-rank list is mostly unranked programs)."""
NOTES_PER_PAGE = 5
LOG_PER_PAGE = 10
DRAFT_PER_PAGE = 10
SEED_LIMIT = 16**6
"""Six hex digits in a custom_id: enough that two practice runs almost never share an order."""


@dataclass(frozen=True)
class PracticeCard:
    """One question on screen: what it is, where it sits in the sequence, and when its timer ends."""

    category: Category | None
    minutes: int
    seed: int
    draw: Draw
    ends_at: dt.datetime

    @property
    def question(self) -> InterviewQuestion:
        return self.draw.question

    @property
    def position(self) -> int:
        return self.draw.position

    @property
    def new_round(self) -> bool:
        """The first question of a second (or later) round: every question of the sequence was seen once."""
        return self.draw.position > 0 and self.draw.number == 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int
    """0-based, already clamped to the pages there are."""
    pages: int
    total: int


def _page(items: Sequence[T], page: int, per_page: int) -> Page[T]:
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(max(page, 0), pages - 1)
    return Page(tuple(items[page * per_page : (page + 1) * per_page]), page, pages, len(items))


@dataclass(frozen=True)
class RankDraft:
    """The member's interviews in draft order, and the rank order list deadline ahead (None past the last one the
    calendar knows)."""

    entries: tuple[LoggedInterview, ...]
    deadline: Milestone | None

    def position_of(self, entry_id: int) -> int | None:
        """0-based place of an entry in the draft."""
        return next((i for i, e in enumerate(self.entries) if e.id == entry_id), None)

    def page(self, page: int) -> Page[LoggedInterview]:
        return _page(self.entries, page, DRAFT_PER_PAGE)

    def page_of(self, entry_id: int) -> int:
        position = self.position_of(entry_id)
        return 0 if position is None else position // DRAFT_PER_PAGE


def draft_order(entries: Sequence[LoggedInterview]) -> list[LoggedInterview]:
    """The rank draft: entries the member placed, in their order; then the rest (new ones), best impression first,
    then earliest interview. Before any move the whole draft is "built from the log" by impression."""
    placed = sorted((e for e in entries if e.rank_position is not None), key=lambda e: (e.rank_position, e.id))
    unplaced = sorted(
        (e for e in entries if e.rank_position is None),
        key=lambda e: (-(e.impression or 0), e.date, e.id),
    )
    return placed + unplaced


def _program_key(program: str) -> str:
    return " ".join(program.casefold().split())


def _deadline_text(deadline: Milestone) -> str:
    status = "official" if deadline.status is MilestoneStatus.OFFICIAL else "projected from past cycles, may change"
    local = deadline.local_at
    clock = local.strftime("%I:%M %p").lstrip("0")
    return (
        f"Rank order list deadline, Match {deadline.match_year} ({status}): {spell_date(local.date())}, {clock} "
        f"US Eastern time ({deadline.at:%Y-%m-%d %H:%M} UTC)."
    )


def export_text(draft: RankDraft, now: dt.datetime) -> str:
    """The draft as a plain text file: what a member keeps, prints, or pastes next to NRMP's R3 while ranking."""
    lines = [
        "My rank draft (private)",
        f"Exported {now.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC from /rank draft.",
        "",
    ]
    if draft.deadline is not None:
        lines += [_deadline_text(draft.deadline), ""]
    if not draft.entries:
        lines.append("No interviews logged yet. Add them with /interview log.")
    for place, entry in enumerate(draft.entries, start=1):
        impression = f"impression {entry.impression}/5" if entry.impression else "no impression given"
        lines.append(f"{place}. {entry.program}  (interviewed {entry.date.isoformat()}, {impression})")
        if entry.rank_note:
            lines += [f"   Why here: {line}" for line in entry.rank_note.splitlines()]
        if entry.notes:
            lines += [f"   Notes: {line}" for line in entry.notes.splitlines()]
    lines += [
        "",
        "This is a draft for you alone. Only the list you enter and certify in NRMP's R3 system counts. Rank programs "
        "in the order you want them, not by where you think you will match.",
    ]
    return "\n".join(lines) + "\n"


class InterviewService:
    def __init__(
        self,
        bank: InterviewBank,
        repository: InterviewRepository,
        calendar: CycleCalendar,
        clock: Clock = utc_now,
    ) -> None:
        self.bank = bank
        self.repository = repository
        self.calendar = calendar
        self._clock = clock

    def now(self) -> dt.datetime:
        return self._clock().astimezone(dt.UTC)

    def today(self) -> dt.date:
        return self.now().date()

    # -- practice ------------------------------------------------------------------------------------------------

    def categories(self) -> tuple[tuple[Category, int], ...]:
        return tuple((c, self.bank.count(c)) for c in self.bank.categories())

    def _category(self, text: str | Category | None) -> Category | None:
        try:
            return self.bank.resolve(text)
        except UnknownCategoryError as exc:
            raise UserInputError(str(exc)) from exc

    def _card(self, category: Category | None, minutes: int, seed: int, position: int) -> PracticeCard:
        draw = self.bank.draw(category, seed, position)
        return PracticeCard(category, minutes, seed, draw, self.now() + dt.timedelta(minutes=minutes))

    def start_practice(self, options: PracticeOptions) -> PracticeCard:
        return self._card(self._category(options.category), options.minutes, secrets.randbelow(SEED_LIMIT), 0)

    def next_card(self, category: Category | None, minutes: int, seed: int, position: int) -> PracticeCard:
        """The question after ``position``, with a new timer."""
        return self._card(category, minutes, seed, position + 1)

    def same_card(
        self,
        category: Category | None,
        minutes: int,
        seed: int,
        position: int,
        ends_at: dt.datetime,
        question_id: str | None = None,
    ) -> PracticeCard:
        """The card on screen again (to add its tips), keeping its timer. ``question_id`` is the question the card
        shows: when the bank changed since it was sent, the sequence may now give another one at this place."""
        draw = self.bank.draw(category, seed, position)
        if question_id is not None and draw.question.id != question_id:
            draw = Draw(self.question(question_id), draw.position, draw.number, draw.total)
        return PracticeCard(category, minutes, seed, draw, ends_at)

    def question(self, question_id: str) -> InterviewQuestion:
        question = self.bank.get(question_id)
        if question is None:
            raise UserInputError(
                "That question is no longer in the practice bank. Press **Next** or run `/interview practice` again."
            )
        return question

    # -- notes on answers ----------------------------------------------------------------------------------------

    async def save_note(self, user_id: int, question_id: str, note: AnswerNote) -> SavedNote:
        question = self.question(question_id)
        if await self.repository.count_notes(user_id) >= MAX_NOTES:
            raise UserInputError(
                f"You have {MAX_NOTES} saved notes, the most I keep. Delete some in `/interview notes` first."
            )
        return await self.repository.add_note(user_id, question.id, question.question, note.note, self.now())

    async def notes_page(self, user_id: int, page: int) -> Page[SavedNote]:
        total = await self.repository.count_notes(user_id)
        pages = max(1, math.ceil(total / NOTES_PER_PAGE))
        page = min(max(page, 0), pages - 1)
        items = await self.repository.notes(user_id, offset=page * NOTES_PER_PAGE, limit=NOTES_PER_PAGE)
        return Page(tuple(items), page, pages, total)

    async def note(self, user_id: int, note_id: int) -> SavedNote:
        found = await self.repository.note(user_id, note_id)
        if found is None:
            raise UserInputError("That note is gone (it was deleted). Run `/interview notes` to see the ones you have.")
        return found

    async def delete_note(self, user_id: int, note_id: int) -> bool:
        return await self.repository.delete_note(user_id, note_id)

    # -- the interview log ---------------------------------------------------------------------------------------

    def log_context(self) -> dict[str, dt.date]:
        """The validation context of ``LogEntry`` (the date is checked against today)."""
        return {"today": self.today()}

    async def _refuse_duplicate(self, user_id: int, entry: LogEntry, except_id: int | None = None) -> None:
        key = _program_key(entry.program)
        for existing in await self.repository.entries(user_id):
            if existing.id != except_id and _program_key(existing.program) == key and existing.date == entry.date:
                raise UserInputError(
                    f"You already logged this interview on {entry.date.isoformat()}. "
                    "Change it in `/interview history` instead of adding it twice."
                )

    async def log_interview(self, user_id: int, entry: LogEntry) -> LoggedInterview:
        if await self.repository.count_entries(user_id) >= MAX_LOG_ENTRIES:
            raise UserInputError(
                f"Your log holds {MAX_LOG_ENTRIES} interviews, the most I keep. Remove old ones in "
                "`/interview history` first."
            )
        await self._refuse_duplicate(user_id, entry)
        entry_id = await self.repository.add_entry(
            user_id, entry.program, entry.date, entry.impression, entry.notes, self.now()
        )
        return await self.entry(user_id, entry_id)

    async def entry(self, user_id: int, entry_id: int) -> LoggedInterview:
        found = await self.repository.entry(user_id, entry_id)
        if found is None:
            raise UserInputError(
                "That interview is not in your log any more. Run `/interview history` to see the ones you have."
            )
        return found

    async def log_page(self, user_id: int, page: int) -> Page[LoggedInterview]:
        return _page(await self.repository.entries(user_id), page, LOG_PER_PAGE)

    async def edit_entry(self, user_id: int, entry_id: int, entry: LogEntry) -> LoggedInterview:
        await self.entry(user_id, entry_id)
        await self._refuse_duplicate(user_id, entry, except_id=entry_id)
        await self.repository.update_entry(
            user_id, entry_id, entry.program, entry.date, entry.impression, entry.notes, self.now()
        )
        return await self.entry(user_id, entry_id)

    async def remove_entry(self, user_id: int, entry_id: int) -> bool:
        return await self.repository.delete_entry(user_id, entry_id)

    # -- the rank draft ------------------------------------------------------------------------------------------

    def rol_deadline(self) -> Milestone | None:
        """The next rank order list deadline the calendar has (official or projected)."""
        upcoming = self.calendar.upcoming(self.now(), 1, kinds={MilestoneKind.ROL_DEADLINE})
        return upcoming[0] if upcoming else None

    async def draft(self, user_id: int) -> RankDraft:
        return RankDraft(tuple(draft_order(await self.repository.entries(user_id))), self.rol_deadline())

    async def move(self, user_id: int, entry_id: int, places: int) -> RankDraft:
        """Move an entry up (negative) or down (positive) in the draft; the whole order is stored from then on."""
        draft = await self.draft(user_id)
        position = draft.position_of(entry_id)
        if position is None:
            raise UserInputError("That interview is not in your log any more. Run `/rank draft` again.")
        order = list(draft.entries)
        target = min(max(position + places, 0), len(order) - 1)
        if target != position:
            order.insert(target, order.pop(position))
        await self.repository.set_rank_order(user_id, [e.id for e in order], self.now())
        return await self.draft(user_id)

    async def set_rank_note(self, user_id: int, entry_id: int, note: RankNote) -> RankDraft:
        if not await self.repository.set_rank_note(user_id, entry_id, note.note, self.now()):
            raise UserInputError("That interview is not in your log any more. Run `/rank draft` again.")
        return await self.draft(user_id)

    async def export(self, user_id: int) -> str:
        return export_text(await self.draft(user_id), self.now())
