"""/readiness start, /readiness history and /timeline: the self-assessment, its saved progress, the backward plan.

Every screen is ephemeral (it is personal) except a timeline the member chooses to share. Buttons and selects are
DynamicItems: the assessment's state lives in the database and the timeline's options in the custom_id, so every
button keeps working after a restart. Screens are drawn by ``bot.ui.readiness``; the rules live in
``bot.readiness``.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.cycle import CycleCalendar
from bot.readiness.assessment import Progress, Step, StepKind
from bot.readiness.models import AssessmentResult
from bot.readiness.options import TimelineOptions, UnreachableMatchError
from bot.readiness.planning import Reach
from bot.readiness.service import ReadinessService
from bot.readiness.timeline import TimelinePlan
from bot.text import defuse_pings, shorten
from bot.ui import readiness as screens
from bot.ui.cooldowns import per_user_cooldown
from bot.ui.errors import BaseModal, guarded
from bot.ui.forms import FIX_LABEL, fix_button
from bot.ui.interaction import HookInteraction, Interaction
from bot.ui.knowledge_entry import OpenEntryButton
from bot.ui.sharing import SHARE_LABEL, share_in_channel
from bot.validation import UserInputError

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

ItemT = TypeVar("ItemT", bound=discord.ui.Item[Any])

TIMELINE_LABELS = {"ics": "📅 Add to my calendar (.ics)", "share": SHARE_LABEL}
"""Labels of the plan's buttons; the "plan" and "tight" buttons (offers of another Match) name their year."""
OWNER_PATTERN = r"(?::(?P<owner>\d{1,20}))?"
"""A shared plan's controls end with its owner's id, so they can tell the owner from everyone else who clicks."""
BUTTON_VALUE = re.compile(r"[A-Za-z0-9_-]{1,50}")
"""An answer a button can carry in its custom_id (AnswerButton's template); other answers go through a select."""
NUMBER_INPUT_LIMIT = 12
"""The number form's input takes this many characters: a refusal carries them in its Fix it button's custom_id."""
MODAL_TITLE = "Your readiness check"
MODAL_LABEL_LIMIT = 45
"""Discord's limit for a modal field's label (the question's title fits: the questionnaire keeps titles to 45)."""
NUMBER_MODAL_TIMEOUT = 30 * 60
"""How long an opened number modal waits for its answer (a modal does not survive a restart; the button does)."""


def readiness_of(interaction: Interaction) -> ReadinessService:
    return interaction.client.services.readiness


def entry_title(interaction: Interaction) -> screens.TitleLookup:
    knowledge = interaction.client.services.knowledge.knowledge

    def lookup(entry_id: str) -> str | None:
        entry = knowledge.get(entry_id)
        return entry.title if entry is not None else None

    return lookup


async def respond(interaction: Interaction, *, new: bool, **message: Any) -> None:
    """Send a new ephemeral message (slash commands) or redraw the message the button was on (components)."""
    if new:
        await interaction.response.send_message(ephemeral=True, **message)
    else:
        await interaction.response.edit_message(**message)


def button(custom_id: str, label: str, style: discord.ButtonStyle, *, row: int | None = None) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        custom_id=custom_id, label=shorten(label, screens.BUTTON_LABEL_LIMIT), style=style, row=row
    )


# -- the assessment: answering --------------------------------------------------------------------------------


class AnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"rd:ans:(?P<step>[a-z0-9_]{{1,40}}):(?P<value>{BUTTON_VALUE.pattern})",
):
    """One option of a choice question (five options or fewer), or "Keep" on a number question."""

    def __init__(self, step_id: str, value: str, label: str, style: discord.ButtonStyle) -> None:
        super().__init__(button(f"rd:ans:{step_id}:{value}", label, style))
        self.step_id = step_id
        self.value = value

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnswerButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["step"], match["value"], label or match["value"], discord.ButtonStyle.secondary)

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        progress = await readiness_of(interaction).answer(interaction.user.id, self.step_id, self.value)
        await show(interaction, progress, new=False)


class AnswerSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"rd:sel:(?P<step>[a-z0-9_]{1,40})"):
    """A choice question with more than five options."""

    def __init__(self, step: Step | None, step_id: str, current: str | None = None) -> None:
        options = [
            discord.SelectOption(
                label=shorten(choice.label, 100),
                value=choice.value,
                description=shorten(choice.description, 100) or None,
                default=choice.value == current,
            )
            for choice in (step.choices if step is not None else ())
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"rd:sel:{step_id}",
                placeholder="Choose the answer that fits you…",
                options=options or [discord.SelectOption(label="…", value="none")],
            )
        )
        self.step_id = step_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AnswerSelect:
        return cls(None, match["step"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        values = self.item.values
        if not values:
            raise UserInputError("Pick one answer from the menu.")
        progress = await readiness_of(interaction).answer(interaction.user.id, self.step_id, values[0])
        await show(interaction, progress, new=False)


class NumberButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"rd:num:(?P<step>[a-z0-9_]{1,40})"):
    """Opens the modal for a number question."""

    def __init__(self, step_id: str, label: str = "Type your answer") -> None:
        super().__init__(button(f"rd:num:{step_id}", label, discord.ButtonStyle.primary))
        self.step_id = step_id

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> NumberButton:
        return cls(match["step"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        step, current = await current_number_step(interaction, self.step_id)
        await interaction.response.send_modal(NumberModal(step, current, user_id=interaction.user.id))


class FixNumberButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"rd:fix:(?P<step>[a-z0-9_]{1,40}):(?P<typed>[\s\S]{0,12})",
):
    """On a refused number: opens the form again with what was typed, which rides in the custom_id (the input takes
    at most 12 characters)."""

    def __init__(self, step_id: str, typed: str) -> None:
        super().__init__(fix_button(f"rd:fix:{step_id}:{typed[:NUMBER_INPUT_LIMIT]}"))
        self.step_id = step_id
        self.typed = typed

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FixNumberButton:
        return cls(match["step"], match["typed"])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        step, _ = await current_number_step(interaction, self.step_id)
        await interaction.response.send_modal(
            NumberModal(step, self.typed or None, user_id=interaction.user.id, fixing=True)
        )


async def current_number_step(interaction: Interaction, step_id: str) -> tuple[Step, str | None]:
    """The member's current question and its answer so far, refused unless it is the number question ``step_id``."""
    progress = await readiness_of(interaction).resume(interaction.user.id)
    step = progress.step
    if step is None or step.id != step_id or step.kind is not StepKind.NUMBER:
        raise UserInputError(
            "That question is not the current one any more. Use /readiness start to continue where you are."
        )
    return step, progress.current_value


class NumberModal(BaseModal):
    """A number question's answer. ``fixing``: opened from a refusal's **Fix it**, whose message the answer replaces
    (with the next question, or the refusal again)."""

    def __init__(self, step: Step, current: str | None, *, user_id: int, fixing: bool = False) -> None:
        super().__init__(title=MODAL_TITLE, form=f"rd:modal:{step.id}", user_id=user_id, timeout=NUMBER_MODAL_TIMEOUT)
        self.step_id = step.id
        self.fixing = fixing
        # The field is labelled with the question ("Year you graduated"), not the rule: the range is in the refusal,
        # which repeats what was typed, and the placeholder shows an example.
        self.answer: discord.ui.TextInput[NumberModal] = discord.ui.TextInput(
            label=shorten(step.title, MODAL_LABEL_LIMIT),
            custom_id="answer",
            placeholder=step.placeholder or None,
            default=current,
            min_length=1,
            max_length=NUMBER_INPUT_LIMIT,
        )
        self.add_item(self.answer)

    async def on_submit(self, interaction: HookInteraction) -> None:
        try:
            progress = await readiness_of(interaction).answer(interaction.user.id, self.step_id, self.answer.value)
        except UserInputError as refused:
            # The question's own message stays as it was; the refusal offers the form again with what was typed.
            view = discord.ui.View(timeout=None)
            view.add_item(FixNumberButton(self.step_id, self.answer.value))
            text = shorten(f"{refused}\n\nPress **{FIX_LABEL}** to change what you typed.", 2000)
            await respond(
                interaction,
                new=not self.fixing,
                content=defuse_pings(text),
                embed=None,
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        await show(interaction, progress, new=False)


# -- the assessment: moving around -----------------------------------------------------------------------------


class FlowButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"rd:go:(?P<action>back|cancel|cancel-yes|resume|restart|save|history|keep|forget|forget-yes)",
):
    """Navigation that needs no state of its own: the member's assessment is in the database."""

    def __init__(self, action: str, label: str, style: discord.ButtonStyle, *, disabled: bool = False) -> None:
        item = button(f"rd:go:{action}", label, style)
        item.disabled = disabled
        super().__init__(item)
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> FlowButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(match["action"], label or match["action"], discord.ButtonStyle.secondary)

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        service = readiness_of(interaction)
        user_id = interaction.user.id
        action = self.action
        if action == "back":
            await show(interaction, await service.back(user_id), new=False)
        elif action == "resume":
            await show(interaction, await service.resume(user_id), new=False)
        elif action == "restart":
            progress = await service.start(user_id, restart=True)
            await show(interaction, progress, new=False, content=screens.intro_text())
        elif action == "cancel":
            view = discord.ui.View(timeout=None)
            view.add_item(FlowButton("cancel-yes", "Yes, delete my answers", discord.ButtonStyle.danger))
            view.add_item(FlowButton("resume", "No, continue", discord.ButtonStyle.secondary))
            await interaction.response.edit_message(content=None, embed=screens.cancel_confirm_embed(), view=view)
        elif action == "cancel-yes":
            removed = await service.cancel(user_id)
            await interaction.response.edit_message(content=None, embed=screens.cancelled_embed(removed), view=None)
        elif action == "save":
            await save_result(interaction)
        elif action in ("history", "keep"):
            # From the result a new message opens; "keep" redraws the history the member was looking at.
            await show_history(interaction, new=action == "history")
        elif action == "forget":
            history = await service.history(user_id)
            view = discord.ui.View(timeout=None)
            view.add_item(FlowButton("forget-yes", "Yes, delete everything", discord.ButtonStyle.danger))
            view.add_item(FlowButton("keep", "No, keep it", discord.ButtonStyle.secondary))
            embed = screens.forget_confirm_embed(len(history.saves))
            await interaction.response.edit_message(content=None, embed=embed, view=view)
        elif action == "forget-yes":
            await service.delete_user_data(user_id)
            await interaction.response.edit_message(
                content="Deleted. Nothing from /readiness is stored about you now.", embed=None, view=None
            )


def question_view(progress: Progress) -> discord.ui.View:
    step = progress.step
    assert step is not None
    view = discord.ui.View(timeout=None)
    current = progress.current_value
    if step.kind is StepKind.NUMBER:
        view.add_item(NumberButton(step.id, "Change my answer" if current else "Type your answer"))
        if current is not None:
            view.add_item(AnswerButton(step.id, current, f"Keep {current}", discord.ButtonStyle.success))
    elif len(step.choices) <= 5 and all(BUTTON_VALUE.fullmatch(c.value) for c in step.choices):
        for choice in step.choices:
            style = discord.ButtonStyle.success if choice.value == current else discord.ButtonStyle.primary
            view.add_item(AnswerButton(step.id, choice.value, choice.label, style))
    else:
        view.add_item(AnswerSelect(step, step.id, current))
        if current is not None and BUTTON_VALUE.fullmatch(current):
            # Picking the preselected option again may not reach the bot, so keeping it gets its own button.
            keep = AnswerButton(step.id, current, "Keep my answer", discord.ButtonStyle.success)
            keep.item.row = 1
            view.add_item(keep)
    back = FlowButton("back", "Back", discord.ButtonStyle.secondary, disabled=not progress.can_go_back)
    back.item.row = 1
    cancel = FlowButton("cancel", "Cancel", discord.ButtonStyle.secondary)
    cancel.item.row = 1
    view.add_item(back)
    view.add_item(cancel)
    return view


class AreaSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"rd:area"):
    """The result's area menu: redraws the result with the picked area's details (from the member's finished check,
    which is in the database until they save it or start again)."""

    def __init__(self, result: AssessmentResult | None = None, shown: str | None = None) -> None:
        options = [
            discord.SelectOption(label=label, value=value, description=description or None, default=default)
            for label, value, description, default in (screens.area_options(result, shown) if result else ())
        ]
        super().__init__(
            discord.ui.Select(
                custom_id="rd:area",
                placeholder="See an area in detail…",
                options=options or [discord.SelectOption(label="…", value="none")],
                row=2,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> AreaSelect:
        return cls()

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        values = self.item.values
        if not values:
            raise UserInputError("Pick an area from the menu.")
        try:
            result = await readiness_of(interaction).result(interaction.user.id)
        except UserInputError:
            raise UserInputError(STALE_RESULT) from None
        title_of = entry_title(interaction)
        await interaction.response.edit_message(
            embed=screens.result_embed(result, title_of, shown=values[0]),
            view=result_view(result, title_of, shown=values[0]),
        )


STALE_RESULT = (
    "This result is not stored any more: it was saved (which keeps only each area's level) or a new check was "
    "started. Run /readiness start for a new check, or /readiness history for your saved levels."
)


def result_view(
    result: AssessmentResult, title_of: screens.TitleLookup, *, saved: bool = False, shown: str | None = None
) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if saved:
        view.add_item(FlowButton("history", "See my progress", discord.ButtonStyle.primary))
    else:
        view.add_item(FlowButton("save", "Track my progress", discord.ButtonStyle.success))
        view.add_item(FlowButton("back", "Change an answer", discord.ButtonStyle.secondary))
        view.add_item(FlowButton("restart", "Start over", discord.ButtonStyle.secondary))
    for entry_id in screens.topic_entries(result):
        item = OpenEntryButton(entry_id, f"📖 {title_of(entry_id) or entry_id}")
        item.item.row = 1
        view.add_item(item)
    if not saved:
        # Saving deletes the answers the details come from, so the menu goes with them.
        view.add_item(AreaSelect(result, shown))
    return view


async def show(interaction: Interaction, progress: Progress, *, new: bool, content: str | None = None) -> None:
    """The next screen after any move: the question to answer, or the result once everything is answered."""
    if progress.complete:
        result = await readiness_of(interaction).finish(interaction.user.id)
        title_of = entry_title(interaction)
        await respond(
            interaction,
            new=new,
            content=content,
            embed=screens.result_embed(result, title_of),
            view=result_view(result, title_of),
        )
        return
    await respond(
        interaction, new=new, content=content, embed=screens.question_embed(progress), view=question_view(progress)
    )


async def save_result(interaction: Interaction) -> None:
    """Save, and say so in a few lines: the result was on screen a moment ago, and its details go with the answers."""
    service = readiness_of(interaction)
    result = await service.result(interaction.user.id)
    saved = await service.save(interaction.user.id)
    history = await service.history(interaction.user.id, limit=2)
    await interaction.response.edit_message(
        content=screens.saved_text(saved, history),
        embed=None,
        view=result_view(result, entry_title(interaction), saved=True),
    )


async def show_history(interaction: Interaction, *, new: bool) -> None:
    history = await readiness_of(interaction).history(interaction.user.id)
    view = discord.ui.View(timeout=None)
    if history.saves:
        view.add_item(FlowButton("forget", "Delete my saved results", discord.ButtonStyle.secondary))
    await respond(interaction, new=new, content=None, embed=screens.history_embed(history), view=view)


# -- /timeline ---------------------------------------------------------------------------------------------------


class TimelineButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"tl:(?P<action>ics|share|plan|tight):{screens.TimelineRequest.PATTERN}{OWNER_PATTERN}",
):
    """ "Add to my calendar" (.ics, privately), "Share in this channel", "Plan Match Y instead" (the earliest Match
    with both exam results on time, offered when the Match asked for is out of reach or tight) and "Plan Match Y
    (tight)" (an earlier reachable one); the options, and on a shared plan its owner, ride in the custom_id."""

    def __init__(self, action: str, request: screens.TimelineRequest, owner: int | None = None) -> None:
        style = discord.ButtonStyle.secondary if action in ("share", "tight") else discord.ButtonStyle.primary
        if action == "plan":
            label = f"Plan Match {request.match_year} instead"
        elif action == "tight":
            label = f"Plan Match {request.match_year} (tight)"
        else:
            label = TIMELINE_LABELS[action]
        suffix = "" if owner is None else f":{owner}"
        super().__init__(button(f"tl:{action}:{request.encode()}{suffix}", label, style))
        self.action = action
        self.request = request
        self.owner = owner

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> TimelineButton:
        request = screens.TimelineRequest.decode(match["year"], match["step1"], match["step2ck"], match["usce"])
        return cls(match["action"], request, int(match["owner"]) if match["owner"] else None)

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        service = readiness_of(interaction)
        # Planned again from today: a plan shared or downloaded next month shows next month's "now".
        plan = plan_for(service, self.request)
        if self.action == "ics":
            data = service.timeline_ics(plan)
            file = discord.File(io.BytesIO(data), filename=f"match-{plan.match_year}-plan.ics")
            owner_name = someone_elses(interaction, self.owner)
            await interaction.response.send_message(
                screens.ics_message(plan.match_year, owner_name=owner_name), file=file, ephemeral=True
            )
        elif self.action == "share":
            await share_timeline(interaction, service, plan, self.request)
        else:
            await send_timeline(interaction, service, plan, self.request, share=False)


class TimelinePhaseSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]], template=rf"tl:all:{screens.TimelineRequest.PATTERN}{OWNER_PATTERN}"
):
    """**Show all**: every date of the picked phase, privately, for whoever picks (also under a shared plan)."""

    def __init__(
        self,
        request: screens.TimelineRequest,
        plan: TimelinePlan | None = None,
        calendar: CycleCalendar | None = None,
        owner: int | None = None,
    ) -> None:
        options = [
            discord.SelectOption(label=label, value=value, description=description)
            for label, value, description in (
                screens.phase_options(plan, calendar) if plan is not None and calendar is not None else ()
            )
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"tl:all:{request.encode()}" + ("" if owner is None else f":{owner}"),
                placeholder="Show all: pick a phase…",
                options=options or [discord.SelectOption(label="…", value="none")],
                row=1,
            )
        )
        self.request = request
        self.owner = owner

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> TimelinePhaseSelect:
        request = screens.TimelineRequest.decode(match["year"], match["step1"], match["step2ck"], match["usce"])
        return cls(request, owner=int(match["owner"]) if match["owner"] else None)

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        values = self.item.values
        if not values:
            raise UserInputError("Pick a phase from the menu.")
        service = readiness_of(interaction)
        plan = plan_for(service, self.request)
        phase = next((p for p in screens.phases(plan, service.calendar) if p.key == values[0]), None)
        if phase is None:
            # Planned again from today: a phase can empty out as its dates pass.
            raise UserInputError("Nothing is left in that phase of the plan today. Run /timeline for a fresh plan.")
        await interaction.response.send_message(
            embed=screens.phase_embed(plan, service.calendar, phase, owner_name=someone_elses(interaction, self.owner)),
            ephemeral=True,
        )


def someone_elses(interaction: Interaction, owner: int | None) -> str | None:
    """None when the member who clicked owns the plan; otherwise the owner's name as the shared post shows it ("" when
    unknown), so a shared plan never greets someone else with "Your plan"."""
    message = interaction.message
    if owner is None:
        # No owner in the custom_id: a private plan (only its owner can click it), or a plan shared before owners
        # were recorded, whose owner we cannot know.
        if message is None or message.flags.ephemeral:
            return None
    elif owner == interaction.user.id:
        return None
    author = message.embeds[0].author.name if message is not None and message.embeds else None
    return screens.sharer_name(author)


def plan_for(service: ReadinessService, request: screens.TimelineRequest) -> TimelinePlan:
    return service.timeline(request.match_year, request.step1, request.step2ck, request.usce_months)


def timeline_view(
    request: screens.TimelineRequest,
    plan: TimelinePlan,
    calendar: CycleCalendar,
    *,
    shared: bool,
    can_share: bool = True,
    owner: int | None = None,
) -> discord.ui.View:
    """Add to my calendar, Share (only on a private plan where there is a channel to share in: not in a DM), the
    earliest on-time Match when this one is tight (private only: it plans the same exams for whoever clicks), and
    the Show all menu. A shared plan's controls carry ``owner``, the member who shared it."""
    view = discord.ui.View(timeout=None)
    view.add_item(TimelineButton("ics", request, owner))
    if not shared and can_share:
        view.add_item(TimelineButton("share", request))
    earliest = plan.earliest_realistic_year
    if not shared and plan.reach is Reach.TIGHT and earliest is not None and earliest > plan.match_year:
        view.add_item(TimelineButton("plan", dataclasses.replace(request, match_year=earliest)))
    if screens.phase_options(plan, calendar):
        view.add_item(TimelinePhaseSelect(request, plan, calendar, owner))
    return view


async def send_unreachable(interaction: Interaction, error: UnreachableMatchError) -> None:
    """Why the Match asked for cannot be reached, privately, with buttons that plan the earliest Match with both
    results on time and, when there is one before it, the earliest tight one."""
    content = shorten(str(error), 2000)
    view = discord.ui.View(timeout=None)
    for action, year in (("plan", error.earliest), ("tight", error.tight)):
        if year is None:
            continue
        options = TimelineOptions.model_construct(
            match_year=year, step1=error.step1, step2ck=error.step2ck, usce_months=error.usce_months
        )
        view.add_item(TimelineButton(action, screens.TimelineRequest.from_options(options)))
    if not view.children:
        await interaction.response.send_message(content, ephemeral=True)
        return
    await interaction.response.send_message(content, view=view, ephemeral=True)


def can_share_here(interaction: Interaction) -> bool:
    """A DM has no channel for others: sharing there would only show the member their own plan again."""
    return interaction.guild_id is not None


async def send_timeline(
    interaction: Interaction,
    service: ReadinessService,
    plan: TimelinePlan,
    request: screens.TimelineRequest,
    *,
    share: bool,
) -> None:
    can_share = can_share_here(interaction)
    public = share and can_share
    shared_by = interaction.user.display_name if public else None
    await interaction.response.send_message(
        embed=screens.timeline_embed(plan, service.calendar, shared_by=shared_by),
        view=timeline_view(
            request,
            plan,
            service.calendar,
            shared=public,
            can_share=can_share,
            owner=interaction.user.id if public else None,
        ),
        ephemeral=not public,
    )


async def share_timeline(
    interaction: Interaction, service: ReadinessService, plan: TimelinePlan, request: screens.TimelineRequest
) -> None:
    """Share once, like /progress: the private plan loses its Share button in the answer to the click, and the
    public post carries a nonce made from the private message, so a double click or a retry posts one plan."""
    if not can_share_here(interaction):
        raise UserInputError("There is no channel to share in here: run /timeline share: True in a server channel.")
    embed = screens.timeline_embed(plan, service.calendar, shared_by=interaction.user.display_name)
    await share_in_channel(
        interaction,
        embed,
        view=timeline_view(request, plan, service.calendar, shared=True, owner=interaction.user.id),
        keep=timeline_view(request, plan, service.calendar, shared=True),
    )


# -- the cog -------------------------------------------------------------------------------------------------------


class ReadinessCog(commands.Cog, name="Readiness"):
    """How ready am I for the Match, what changed since last time, and what happens when."""

    # A group, so typing /readiness shows "start" and "history" side by side with their descriptions.
    readiness = app_commands.Group(
        name="readiness", description="Check how ready you are for the Match, area by area (only you see it)"
    )

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot

    @property
    def service(self) -> ReadinessService:
        return self.bot.services.readiness

    @readiness.command(
        name="start", description="Short questions, one at a time, then one next step for each area (only you see it)"
    )
    @per_user_cooldown()
    async def start(self, interaction: Interaction) -> None:
        user_id = interaction.user.id
        pending = await self.service.pending(user_id)
        if pending is not None:
            view = discord.ui.View(timeout=None)
            view.add_item(FlowButton("resume", "Resume", discord.ButtonStyle.primary))
            view.add_item(FlowButton("restart", "Start over", discord.ButtonStyle.secondary))
            await interaction.response.send_message(embed=screens.resume_embed(pending), view=view, ephemeral=True)
            return
        try:
            result = await self.service.result(user_id)
        except UserInputError:
            result = None
        if result is not None:
            # Finished but not saved (the message was dismissed): show it again rather than lose it.
            title_of = entry_title(interaction)
            await interaction.response.send_message(
                "Here is the result of your last check. Save it, change an answer, or start over.",
                embed=screens.result_embed(result, title_of),
                view=result_view(result, title_of),
                ephemeral=True,
            )
            return
        progress = await self.service.start(user_id)
        await show(interaction, progress, new=True, content=screens.intro_text())

    @readiness.command(name="history", description="How each area changed between the results you saved")
    async def history(self, interaction: Interaction) -> None:
        await show_history(interaction, new=True)

    @app_commands.command(
        name="timeline", description="Your plan counted back from your target Match: exams, ERAS, interviews, ranking"
    )
    @app_commands.describe(
        match_year="The Match you aim for (Match Day in March, residency from July 1), e.g. 2028",
        step1="Step 1: done, or the month you plan to take it as YYYY-MM (e.g. 2027-05)",
        step2ck="Step 2 CK: done, or the month you plan to take it as YYYY-MM (e.g. 2027-09)",
        usce_months="Months of US clinical experience you have already done (0 to 60)",
        share="Post the plan in this channel for everyone (default: only you see it)",
    )
    @per_user_cooldown()
    async def timeline(
        self,
        interaction: Interaction,
        match_year: int,
        step1: app_commands.Range[str, 1, 20] | None = None,
        step2ck: app_commands.Range[str, 1, 20] | None = None,
        usce_months: app_commands.Range[int, 0, 60] | None = None,
        share: bool = False,
    ) -> None:
        try:
            plan = self.service.timeline(match_year, step1, step2ck, usce_months)
        except UnreachableMatchError as error:
            # Not a plan whose exam dates fall after the Match: say so, and offer the earliest realistic Match.
            await send_unreachable(interaction, error)
            return
        options = TimelineOptions.parse(
            self.service.calendar,
            plan.generated_at,
            match_year=match_year,
            step1=step1,
            step2ck=step2ck,
            usce_months=usce_months,
        )
        await send_timeline(interaction, self.service, plan, screens.TimelineRequest.from_options(options), share=share)

    @timeline.autocomplete("match_year")
    async def match_year_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[int]]:
        choices = screens.year_choices(self.service.calendar, self.service.now(), str(current))
        return [app_commands.Choice(name=label, value=year) for label, year in choices]

    @timeline.autocomplete("step1")
    @timeline.autocomplete("step2ck")
    async def exam_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=label, value=value)
            for label, value in screens.exam_choices(self.service.now(), str(current))
        ]


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(
        AnswerButton,
        AnswerSelect,
        NumberButton,
        FixNumberButton,
        FlowButton,
        AreaSelect,
        TimelineButton,
        TimelinePhaseSelect,
    )
    await bot.add_cog(ReadinessCog(bot))
