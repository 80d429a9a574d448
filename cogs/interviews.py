"""/interview and /rank: practise questions alone, keep notes, log real interviews, and draft the rank order list.

Every reply is private (ephemeral): it is the member's own preparation, shared only if they share it. Buttons and
selects are DynamicItems whose state lives in the custom_id (a practice card's category, timer, order and place; a
page; an entry's id), so they keep working after a restart; a form (modal) does not survive one, the button that opens
it does. The service checks every id against the member who clicked, so a custom_id reaches only their own data.
Screens are drawn by ``bot.ui.interviews``; the rules live in ``bot.interviews``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.interviews.mock import DEFAULT_ROUND_MINUTES, MAX_ROUND_MINUTES, MIN_ROUND_MINUTES, Timing
from bot.interviews.mock_repository import MockRepository
from bot.interviews.mock_service import MockInterviewService
from bot.interviews.mock_timers import MockTimers
from bot.interviews.models import QUESTION_ID_CHARS, Category, InterviewQuestion
from bot.interviews.options import (
    MAX_LOG_NOTES_CHARS,
    MAX_MINUTES,
    MAX_NOTE_CHARS,
    MAX_PROGRAM_CHARS,
    MAX_RANK_NOTE_CHARS,
    AnswerNote,
    LogEntry,
    MockOptions,
    PracticeOptions,
    RankNote,
    parse,
)
from bot.interviews.repository import InterviewRepository, LoggedInterview, SavedNote
from bot.interviews.service import InterviewService, Page, PracticeCard, RankDraft
from bot.text import shorten
from bot.ui import interviews as screens
from bot.ui.errors import BaseModal, guarded
from bot.ui.interaction import HookInteraction, Interaction
from bot.validation import UserInputError
from cogs.interviews_mock import DiscordMockPoster, MockButton, SessionLocks, open_mock

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

FORM_TIMEOUT = 30 * 60
"""How long an opened form waits for its answer (a form does not survive a restart; the button that opens it does)."""
STATE = r"(?P<cat>[a-z-]{2,12}):(?P<minutes>[1-9]):(?P<seed>[0-9a-f]{6}):(?P<pos>[0-9]{1,6}):(?P<ends>[0-9]{1,11})"
"""A practice card in a custom_id: category (or ``all``), timer minutes, the sequence's seed, the place in it, and
when the timer ends (Unix seconds)."""
QID = rf"[a-z0-9-]{{3,{QUESTION_ID_CHARS}}}"


def service_of(interaction: Interaction) -> InterviewService:
    cog = interaction.client.get_cog("Interviews")
    if not isinstance(cog, InterviewsCog):
        raise UserInputError("Interview practice is not available right now. Please try again in a minute.")
    return cog.service


async def respond(interaction: Interaction, *, new: bool, **message: Any) -> None:
    """A new private message (commands, and buttons that open something new) or the same message redrawn."""
    if new:
        await interaction.response.send_message(ephemeral=True, **message)
    else:
        await interaction.response.edit_message(**message)


def button(
    custom_id: str, label: str, style: discord.ButtonStyle, *, disabled: bool = False, row: int | None = None
) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        custom_id=custom_id,
        label=shorten(label, screens.BUTTON_LABEL_LIMIT),
        style=style,
        disabled=disabled,
        row=row,
    )


# -- practice ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardState:
    """What a practice card's buttons carry."""

    category: Category | None
    minutes: int
    seed: int
    position: int
    ends_at: dt.datetime

    @classmethod
    def of(cls, card: PracticeCard) -> CardState:
        return cls(card.category, card.minutes, card.seed, card.position, card.ends_at)

    @classmethod
    def parse(cls, match: re.Match[str]) -> CardState:
        # A category renamed since the card was sent goes on as practice over every category (the tips still follow
        # the question id), rather than failing the click.
        category = next((c for c in Category if c.value == match["cat"]), None)
        ends_at = dt.datetime.fromtimestamp(int(match["ends"]), dt.UTC)
        return cls(category, int(match["minutes"]), int(match["seed"], 16), int(match["pos"]), ends_at)

    def encode(self) -> str:
        category = self.category.value if self.category is not None else "all"
        return f"{category}:{self.minutes}:{self.seed:06x}:{self.position}:{int(self.ends_at.timestamp())}"


class PracticeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"iv:(?P<action>tips|next):{STATE}(?::(?P<qid>{QID}))?",
):
    """**Tips** (adds what interviewers look for, keeping the timer) and **Next** (another question, a new timer)."""

    def __init__(self, action: str, state: CardState, question_id: str | None, *, disabled: bool = False) -> None:
        if action == "tips":
            item = button(
                f"iv:tips:{state.encode()}:{question_id}",
                "Tips shown" if disabled else "Tips",
                discord.ButtonStyle.secondary,
                disabled=disabled,
            )
        else:
            item = button(f"iv:next:{state.encode()}", "Next question", discord.ButtonStyle.primary)
        super().__init__(item)
        self.action, self.state, self.question_id = action, state, question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PracticeButton:
        return cls(match["action"], CardState.parse(match), match["qid"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        service = service_of(interaction)
        state = self.state
        if self.action == "next":
            card = service.next_card(state.category, state.minutes, state.seed, state.position)
            embed = screens.practice_embed(card, tips=False)
            await interaction.response.edit_message(embed=embed, view=practice_view(card))
            return
        card = service.same_card(
            state.category, state.minutes, state.seed, state.position, state.ends_at, self.question_id
        )
        await interaction.response.edit_message(
            embed=screens.practice_embed(card, tips=True), view=practice_view(card, tips_shown=True)
        )


class NoteAnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"iv:note:(?P<qid>{QID})"):
    """Opens the form that keeps a note on the answer just given."""

    def __init__(self, question_id: str) -> None:
        super().__init__(button(f"iv:note:{question_id}", "Note my answer", discord.ButtonStyle.success))
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> NoteAnswerButton:
        return cls(match["qid"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        question = service_of(interaction).question(self.question_id)
        await interaction.response.send_modal(AnswerNoteModal(question, user_id=interaction.user.id))


class AnswerNoteModal(BaseModal):
    def __init__(self, question: InterviewQuestion, *, user_id: int) -> None:
        super().__init__(
            title="Note my answer", form=f"iv:noteform:{question.id}", user_id=user_id, timeout=FORM_TIMEOUT
        )
        self.question_id = question.id
        self.note: discord.ui.TextInput[AnswerNoteModal] = discord.ui.TextInput(
            label="What to remember about your answer",
            custom_id="note",
            style=discord.TextStyle.paragraph,
            placeholder=shorten(f"{question.question} Example you used, what went well, what to change.", 100),
            min_length=1,
            max_length=MAX_NOTE_CHARS,
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: HookInteraction) -> None:
        fields = parse(AnswerNote, note=self.note.value)
        saved = await service_of(interaction).save_note(interaction.user.id, self.question_id, fields)
        await interaction.response.send_message(screens.note_saved_text(saved), ephemeral=True)


def practice_view(card: PracticeCard, *, tips_shown: bool = False) -> discord.ui.View:
    state = CardState.of(card)
    view = discord.ui.View(timeout=None)
    view.add_item(PracticeButton("tips", state, card.question.id, disabled=tips_shown))
    view.add_item(PracticeButton("next", state, None))
    view.add_item(NoteAnswerButton(card.question.id))
    return view


# -- lists: pages and picking one item -------------------------------------------------------------------------------

LISTS = r"iv:notes|iv:log|rk"
PAGE_LABELS = {"prev": "◀ Previous", "next": "Next ▶", "back": "Back to the list", "open": "See the whole list"}
PICK_PLACEHOLDERS = {
    "iv:notes": "Read or delete a note…",
    "iv:log": "Change or remove an interview…",
    "rk": "Pick a program to move or annotate…",
}
RANK_LABELS = {
    "up": "▲ Move up",
    "down": "▼ Move down",
    "note": "✎ Note",
    "export": "📄 Export as text",
    "open": "Open my rank draft",
}


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"(?P<list>{LISTS}):page:(?P<page>[0-9]{{1,4}}):(?P<tag>prev|next|back|open)",
):
    """Previous and next page of a list, "back to the list" from one of its items, and "open" from elsewhere."""

    def __init__(self, list_name: str, page: int, tag: str, *, disabled: bool = False) -> None:
        label = PAGE_LABELS[tag]
        super().__init__(
            button(f"{list_name}:page:{page}:{tag}", label, discord.ButtonStyle.secondary, disabled=disabled, row=2)
        )
        self.list_name, self.page, self.tag = list_name, page, tag

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PageButton:
        return cls(match["list"], int(match["page"]), match["tag"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        if self.list_name == "iv:notes":
            await show_notes(interaction, self.page, new=False)
        elif self.list_name == "iv:log":
            await show_log(interaction, self.page, new=False)
        else:
            await show_draft(interaction, self.page, None, new=False)


class PickSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]], template=rf"(?P<list>{LISTS}):pick:(?P<page>[0-9]{{1,4}})"
):
    """Picks one note, interview or draft entry of the page shown (the values are their ids)."""

    def __init__(self, list_name: str, page: int, options: list[discord.SelectOption] | None = None) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"{list_name}:pick:{page}",
                placeholder=PICK_PLACEHOLDERS[list_name],
                options=options or [discord.SelectOption(label="…", value="0")],
                row=0,
            )
        )
        self.list_name, self.page = list_name, page

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PickSelect:
        return cls(match["list"], int(match["page"]))

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        values = self.item.values
        if not values or not values[0].isdigit():
            raise UserInputError("Pick one item from the menu.")
        picked = int(values[0])
        if self.list_name == "iv:notes":
            await show_note(interaction, picked, self.page)
        elif self.list_name == "iv:log":
            await show_entry(interaction, picked, self.page)
        else:
            draft = await service_of(interaction).draft(interaction.user.id)
            await show_draft(interaction, draft.page_of(picked), picked, new=False)


def _paging(view: discord.ui.View, list_name: str, page: Page[Any]) -> None:
    if page.pages > 1:
        view.add_item(PageButton(list_name, max(page.page - 1, 0), "prev", disabled=page.page == 0))
        last = page.pages - 1
        view.add_item(PageButton(list_name, min(page.page + 1, last), "next", disabled=page.page >= last))


# -- saved notes -----------------------------------------------------------------------------------------------------


class NoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"iv:notes:(?P<action>show|del|delyes):(?P<id>[0-9]{1,18}):(?P<page>[0-9]{1,4})",
):
    def __init__(self, action: str, note_id: int, page: int, label: str, style: discord.ButtonStyle) -> None:
        super().__init__(button(f"iv:notes:{action}:{note_id}:{page}", label, style))
        self.action, self.note_id, self.page = action, note_id, page

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> NoteButton:
        # The label and style do not matter here: the click is handled, the message is redrawn by the callback.
        return cls(match["action"], int(match["id"]), int(match["page"]), "", discord.ButtonStyle.secondary)

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        if self.action == "show":
            await show_note(interaction, self.note_id, self.page)
        elif self.action == "del":
            await show_note(interaction, self.note_id, self.page, confirm=True)
        else:
            deleted = await service_of(interaction).delete_note(interaction.user.id, self.note_id)
            content = "🗑️ Deleted the note." if deleted else "That note was already deleted."
            await show_notes(interaction, self.page, new=False, content=content)


def notes_view(page: Page[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if page.items:
        options = [
            discord.SelectOption(
                label=screens.note_option_label(note),
                value=str(note.id),
                description=screens.note_option_description(note) or None,
            )
            for note in page.items
        ]
        view.add_item(PickSelect("iv:notes", page.page, options))
    _paging(view, "iv:notes", page)
    return view


async def show_notes(interaction: Interaction, page: int, *, new: bool, content: str | None = None) -> None:
    notes = await service_of(interaction).notes_page(interaction.user.id, page)
    await respond(interaction, new=new, content=content, embed=screens.notes_embed(notes), view=notes_view(notes))


def note_view(note: SavedNote, page: int, *, confirm: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if confirm:
        view.add_item(NoteButton("delyes", note.id, page, "Yes, delete it", discord.ButtonStyle.danger))
        view.add_item(NoteButton("show", note.id, page, "No, keep it", discord.ButtonStyle.secondary))
    else:
        view.add_item(NoteButton("del", note.id, page, "Delete this note", discord.ButtonStyle.danger))
        view.add_item(PageButton("iv:notes", page, "back"))
    return view


async def show_note(interaction: Interaction, note_id: int, page: int, *, confirm: bool = False) -> None:
    note = await service_of(interaction).note(interaction.user.id, note_id)
    embed = screens.note_embed(note, confirm_delete=confirm)
    await interaction.response.edit_message(content=None, embed=embed, view=note_view(note, page, confirm=confirm))


# -- the interview log -----------------------------------------------------------------------------------------------


class LogEntryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"iv:log:(?P<action>show|edit|rm|rmyes):(?P<id>[0-9]{1,18}):(?P<page>[0-9]{1,4})",
):
    def __init__(self, action: str, entry_id: int, page: int, label: str, style: discord.ButtonStyle) -> None:
        super().__init__(button(f"iv:log:{action}:{entry_id}:{page}", label, style))
        self.action, self.entry_id, self.page = action, entry_id, page

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> LogEntryButton:
        return cls(match["action"], int(match["id"]), int(match["page"]), "", discord.ButtonStyle.secondary)

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        service = service_of(interaction)
        if self.action == "show":
            await show_entry(interaction, self.entry_id, self.page)
        elif self.action == "edit":
            entry = await service.entry(interaction.user.id, self.entry_id)
            await interaction.response.send_modal(LogEntryModal(entry, self.page, user_id=interaction.user.id))
        elif self.action == "rm":
            await show_entry(interaction, self.entry_id, self.page, confirm=True)
        else:
            removed = await service.remove_entry(interaction.user.id, self.entry_id)
            content = "🗑️ Removed the interview from your log." if removed else "That interview was already removed."
            await show_log(interaction, self.page, new=False, content=content)


class LogEntryModal(BaseModal):
    """Changes one interview of the log: the same fields as `/interview log`, filled in."""

    def __init__(self, entry: LoggedInterview, page: int, *, user_id: int) -> None:
        super().__init__(
            title="Change this interview", form=f"iv:logform:{entry.id}", user_id=user_id, timeout=FORM_TIMEOUT
        )
        self.entry_id, self.page = entry.id, page
        self.program: discord.ui.TextInput[LogEntryModal] = discord.ui.TextInput(
            label="Program", custom_id="program", default=entry.program, max_length=MAX_PROGRAM_CHARS
        )
        self.date: discord.ui.TextInput[LogEntryModal] = discord.ui.TextInput(
            label="Interview day (year-month-day)", custom_id="date", default=entry.date.isoformat(), max_length=30
        )
        self.impression: discord.ui.TextInput[LogEntryModal] = discord.ui.TextInput(
            label="Impression from 1 (poor fit) to 5 (excellent)",
            custom_id="impression",
            default=str(entry.impression) if entry.impression else None,
            required=False,
            max_length=3,
        )
        self.notes: discord.ui.TextInput[LogEntryModal] = discord.ui.TextInput(
            label="Notes",
            custom_id="notes",
            style=discord.TextStyle.paragraph,
            default=entry.notes,
            required=False,
            max_length=MAX_LOG_NOTES_CHARS,
        )
        for field in (self.program, self.date, self.impression, self.notes):
            self.add_item(field)

    async def on_submit(self, interaction: HookInteraction) -> None:
        service = service_of(interaction)
        fields = parse(
            LogEntry,
            service.log_context(),
            program=self.program.value,
            date=self.date.value,
            impression=self.impression.value,
            notes=self.notes.value,
        )
        await service.edit_entry(interaction.user.id, self.entry_id, fields)
        await show_entry(interaction, self.entry_id, self.page, content="✅ Saved your changes.")


def log_view(page: Page[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if page.items:
        options = [
            discord.SelectOption(
                label=screens.entry_option_label(entry),
                value=str(entry.id),
                description=screens.entry_option_description(entry),
            )
            for entry in page.items
        ]
        view.add_item(PickSelect("iv:log", page.page, options))
    _paging(view, "iv:log", page)
    return view


async def show_log(interaction: Interaction, page: int, *, new: bool, content: str | None = None) -> None:
    entries = await service_of(interaction).log_page(interaction.user.id, page)
    await respond(interaction, new=new, content=content, embed=screens.log_embed(entries), view=log_view(entries))


def entry_view(entry: LoggedInterview, page: int, *, confirm: bool = False) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if confirm:
        view.add_item(LogEntryButton("rmyes", entry.id, page, "Yes, remove it", discord.ButtonStyle.danger))
        view.add_item(LogEntryButton("show", entry.id, page, "No, keep it", discord.ButtonStyle.secondary))
    else:
        view.add_item(LogEntryButton("edit", entry.id, page, "Change", discord.ButtonStyle.primary))
        view.add_item(LogEntryButton("rm", entry.id, page, "Remove", discord.ButtonStyle.danger))
        view.add_item(PageButton("iv:log", page, "back"))
    return view


async def show_entry(
    interaction: Interaction, entry_id: int, page: int, *, confirm: bool = False, content: str | None = None
) -> None:
    entry = await service_of(interaction).entry(interaction.user.id, entry_id)
    embed = screens.entry_embed(entry, confirm_remove=confirm)
    await interaction.response.edit_message(content=content, embed=embed, view=entry_view(entry, page, confirm=confirm))


# -- the rank draft --------------------------------------------------------------------------------------------------


class RankButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"rk:(?P<action>up|down|note):(?P<id>[0-9]{1,18})"
):
    """Moves the picked program up or down, or opens the form for its note."""

    def __init__(self, action: str, entry_id: int, *, disabled: bool = False) -> None:
        style = discord.ButtonStyle.secondary if action == "note" else discord.ButtonStyle.primary
        super().__init__(button(f"rk:{action}:{entry_id}", RANK_LABELS[action], style, disabled=disabled, row=1))
        self.action, self.entry_id = action, entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RankButton:
        return cls(match["action"], int(match["id"]))

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        service = service_of(interaction)
        if self.action == "note":
            entry = await service.entry(interaction.user.id, self.entry_id)
            await interaction.response.send_modal(RankNoteModal(entry, user_id=interaction.user.id))
            return
        draft = await service.move(interaction.user.id, self.entry_id, -1 if self.action == "up" else 1)
        await show_draft(interaction, draft.page_of(self.entry_id), self.entry_id, new=False)


class RankMiscButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"rk:(?P<action>export|open)"):
    """Export the draft as a text file (a new private message), or open the draft (from `/interview log`)."""

    def __init__(self, action: str) -> None:
        super().__init__(button(f"rk:{action}", RANK_LABELS[action], discord.ButtonStyle.secondary, row=1))
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RankMiscButton:
        return cls(match["action"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        if self.action == "open":
            await show_draft(interaction, 0, None, new=True)
            return
        await send_export(interaction)


class RankNoteModal(BaseModal):
    """The draft's note on one program: why it sits where it does (empty clears it)."""

    def __init__(self, entry: LoggedInterview, *, user_id: int) -> None:
        super().__init__(title="Why this place?", form=f"rk:noteform:{entry.id}", user_id=user_id, timeout=FORM_TIMEOUT)
        self.entry_id = entry.id
        self.note: discord.ui.TextInput[RankNoteModal] = discord.ui.TextInput(
            label=shorten(f"Note on {entry.program}", 45),
            custom_id="note",
            style=discord.TextStyle.paragraph,
            default=entry.rank_note,
            placeholder="e.g. J-1 only; great teaching; near family. Leave empty to clear.",
            required=False,
            max_length=MAX_RANK_NOTE_CHARS,
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: HookInteraction) -> None:
        fields = parse(RankNote, note=self.note.value)
        draft = await service_of(interaction).set_rank_note(interaction.user.id, self.entry_id, fields)
        await show_draft(interaction, draft.page_of(self.entry_id), self.entry_id, new=False)


def draft_screen(draft: RankDraft, page: int, selected: int | None) -> tuple[discord.Embed, discord.ui.View]:
    """One page of the draft, with ``selected`` (or the page's first program) the one the buttons act on."""
    shown = draft.page(page)
    if selected is None or draft.position_of(selected) is None:
        selected = shown.items[0].id if shown.items else None
    view = discord.ui.View(timeout=None)
    if shown.items and selected is not None:
        options = [
            discord.SelectOption(
                label=screens.entry_option_label(entry),
                value=str(entry.id),
                description=screens.entry_option_description(entry),
                default=entry.id == selected,
            )
            for entry in shown.items
        ]
        view.add_item(PickSelect("rk", shown.page, options))
        position = draft.position_of(selected)
        view.add_item(RankButton("up", selected, disabled=position == 0))
        view.add_item(RankButton("down", selected, disabled=position == len(draft.entries) - 1))
        view.add_item(RankButton("note", selected))
        view.add_item(RankMiscButton("export"))
    _paging(view, "rk", shown)
    return screens.draft_embed(draft, shown.page, selected), view


async def show_draft(
    interaction: Interaction, page: int, selected: int | None, *, new: bool, content: str | None = None
) -> None:
    draft = await service_of(interaction).draft(interaction.user.id)
    embed, view = draft_screen(draft, page, selected)
    await respond(interaction, new=new, content=content, embed=embed, view=view)


async def send_export(interaction: Interaction) -> None:
    service = service_of(interaction)
    draft = await service.draft(interaction.user.id)
    text = await service.export(interaction.user.id)
    file = discord.File(io.BytesIO(text.encode("utf-8")), filename="rank-draft.txt")
    await interaction.response.send_message(screens.export_message(draft), file=file, ephemeral=True)


# -- the cog ---------------------------------------------------------------------------------------------------------


class InterviewsCog(commands.Cog, name="Interviews"):
    """Interview season: practice questions with a timer and tips, notes, a log of interviews, a rank draft, and mock
    interview sessions in study groups."""

    interview = app_commands.Group(
        name="interview", description="Interview season: practise questions, keep notes, log your interviews"
    )
    rank = app_commands.Group(name="rank", description="Your private rank draft, built from your interview log")

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot
        self.service = InterviewService(bot.content.interview_bank, InterviewRepository(bot.db), bot.content.calendar)
        # Real minutes, unless an end-to-end test against the emulator shortens them (IMGBOT_TEST_MOCK_MINUTE_SECONDS).
        timing = Timing.from_hooks(bot.test_hooks)
        if timing != Timing():
            log.warning("mock interview sessions run on test time: a minute lasts %s", timing.minute)
        self.mock = MockInterviewService(
            MockRepository(bot.db), bot.services.studygroups, bot.content.interview_bank, timing
        )
        self.mock_timers = MockTimers(self.mock, bot.services.runner.scheduler, DiscordMockPoster(bot))
        self.mock_locks = SessionLocks()

    async def cog_load(self) -> None:
        # Sessions that were running when the bot stopped get their timers back (the scheduler starts right after
        # the cogs load and runs what is already due at once).
        await self.mock_timers.resume()

    # -- /interview practice -----------------------------------------------------------------------------------------

    @interview.command(name="practice", description="Practise one interview question privately, with a timer and tips")
    @app_commands.describe(
        category="Which kind of question (start typing); leave empty for every kind",
        minutes=f"The timer: 1 to {MAX_MINUTES} minutes (default 2)",
    )
    async def practice(
        self,
        interaction: Interaction,
        category: app_commands.Range[str, 1, 100] | None = None,
        minutes: app_commands.Range[int, 1, MAX_MINUTES] | None = None,
    ) -> None:
        values: dict[str, Any] = {"category": category, "minutes": minutes}
        options = parse(PracticeOptions, **{k: v for k, v in values.items() if v is not None})
        card = self.service.start_practice(options)
        await interaction.response.send_message(
            embed=screens.practice_embed(card, tips=False), view=practice_view(card), ephemeral=True
        )

    @practice.autocomplete("category")
    async def category_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        typed = " ".join(current.casefold().replace("-", " ").split())[:100]
        choices = [app_commands.Choice(name=screens.category_choice_name(None, len(self.service.bank)), value="all")]
        choices += [
            app_commands.Choice(name=screens.category_choice_name(category, count), value=category.value)
            for category, count in self.service.categories()
        ]
        return [c for c in choices if typed in c.name.casefold() or typed in c.value.replace("-", " ")][:25]

    # -- /interview notes --------------------------------------------------------------------------------------------

    @interview.command(name="notes", description="Your saved notes on practice answers: read or delete them")
    async def notes(self, interaction: Interaction) -> None:
        await show_notes(interaction, 0, new=True)

    # -- /interview log and /interview history -----------------------------------------------------------------------

    @interview.command(name="log", description="Add an interview to your private log, with how it felt")
    @app_commands.describe(
        program="The program, e.g. Mercy Hospital Internal Medicine",
        date="The interview day, year-month-day: e.g. 2027-01-15",
        impression="How it felt: 1 (poor fit) to 5 (excellent fit)",
        notes="Anything to remember: people, visa, schedule, how you felt",
    )
    @app_commands.choices(
        impression=[
            app_commands.Choice(name="5: excellent fit", value=5),
            app_commands.Choice(name="4: good fit", value=4),
            app_commands.Choice(name="3: not sure", value=3),
            app_commands.Choice(name="2: some worries", value=2),
            app_commands.Choice(name="1: poor fit", value=1),
        ]
    )
    async def log_interview(
        self,
        interaction: Interaction,
        program: app_commands.Range[str, 1, MAX_PROGRAM_CHARS],
        date: app_commands.Range[str, 1, 30],
        impression: int | None = None,
        notes: app_commands.Range[str, 1, MAX_LOG_NOTES_CHARS] | None = None,
    ) -> None:
        fields = parse(
            LogEntry, self.service.log_context(), program=program, date=date, impression=impression, notes=notes
        )
        entry = await self.service.log_interview(interaction.user.id, fields)
        size = (await self.service.log_page(interaction.user.id, 0)).total
        view = discord.ui.View(timeout=None)
        view.add_item(RankMiscButton("open"))
        view.add_item(PageButton("iv:log", 0, "open"))
        await interaction.response.send_message(screens.logged_text(entry, size), view=view, ephemeral=True)

    @interview.command(name="history", description="Your interview log: change or remove interviews")
    async def history(self, interaction: Interaction) -> None:
        await show_log(interaction, 0, new=True)

    # -- /interview mock ---------------------------------------------------------------------------------------------

    @interview.command(
        name="mock", description="Mock interviews in your study group's channel: pairs, questions, feedback"
    )
    @app_commands.describe(
        group="The study group (default: this channel's group, or your only group)",
        minutes=f"Length of each of the two rounds: {MIN_ROUND_MINUTES} to {MAX_ROUND_MINUTES} minutes "
        f"(default {DEFAULT_ROUND_MINUTES})",
    )
    async def mock_session(
        self,
        interaction: Interaction,
        group: app_commands.Range[str, 1, 100] | None = None,
        minutes: app_commands.Range[int, MIN_ROUND_MINUTES, MAX_ROUND_MINUTES] | None = None,
    ) -> None:
        values: dict[str, Any] = {"group": group, "minutes": minutes}
        await open_mock(interaction, parse(MockOptions, **{k: v for k, v in values.items() if v is not None}))

    @mock_session.autocomplete("group")
    async def group_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        groups = await self.bot.services.studygroups.group_choices(interaction.guild_id, str(current)[:100])
        return [app_commands.Choice(name=shorten(g.name, 100), value=str(g.id)) for g in groups]

    # -- /rank draft -------------------------------------------------------------------------------------------------

    @rank.command(name="draft", description="Order the programs you interviewed at, privately, and export the list")
    async def draft(self, interaction: Interaction) -> None:
        await show_draft(interaction, 0, None, new=True)


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(
        PracticeButton,
        NoteAnswerButton,
        PageButton,
        PickSelect,
        NoteButton,
        LogEntryButton,
        RankButton,
        RankMiscButton,
        MockButton,
    )
    await bot.add_cog(InterviewsCog(bot))
