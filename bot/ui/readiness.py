"""What /readiness and /timeline show: embeds and texts built from the readiness domain's plain values.

Everything here is pure (no service calls, no interaction handling), so every screen can be checked for Discord's
limits on its own: field values stay under 1024 characters and whole embeds under 6000 by construction, with
``fit_embed`` as the last guard.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import discord

from bot.cycle import CycleCalendar, MilestoneKind, MilestoneStatus
from bot.readiness.assessment import Progress
from bot.readiness.models import (
    AreaChange,
    AreaResult,
    AreaStatus,
    AssessmentResult,
    OverallLevel,
    ReadinessHistory,
    SaveDiff,
    SavedResult,
    Trend,
)
from bot.readiness.options import TimelineOptions
from bot.readiness.planning import (
    ExamPlan,
    ExamPlanKind,
    add_months,
    first_open_year,
    format_day,
    format_month,
    local_today,
    max_plan_year,
    milestone,
)
from bot.readiness.service import SESSION_TTL
from bot.readiness.timeline import PlanItem, PlanStatus, TimelinePlan
from bot.text import neutralize_mentions, shorten
from bot.ui.colours import BRAND_COLOUR, DANGER_COLOUR, NOTICE_COLOUR, SUCCESS_COLOUR
from bot.ui.embeds import DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, FIELD_VALUE_LIMIT
from bot.ui.plural import plural

log = logging.getLogger(__name__)

MAX_FIELDS = 25
MAX_SELECT_OPTIONS = 25
FIELD_NAME_LIMIT = 256
BUTTON_LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100


LEVEL_COLOURS = {
    OverallLevel.ON_TRACK: SUCCESS_COLOUR,
    OverallLevel.NEEDS_WORK: NOTICE_COLOUR,
    OverallLevel.AT_RISK: DANGER_COLOUR,
}
STATUS_MARKS = {AreaStatus.RED_FLAG: "🚩", AreaStatus.NEEDS_WORK: "🟡", AreaStatus.READY: "✅"}
TREND_MARKS = {Trend.IMPROVED: "⬆️", Trend.WORSE: "⬇️", Trend.NEW: "🆕", Trend.GONE: "➖", Trend.SAME: "•"}

KEEP_DAYS = SESSION_TTL.days
PRIVATE_FOOTER = (
    f"Only you can see this. Dismissed it? /readiness start continues where you stopped (answers are kept "
    f"{KEEP_DAYS} days, then deleted)."
)
RESULT_FOOTER = (
    "Only you can see this. It is a self-check to plan your next steps, not a prediction of your Match. "
    "Pick an area in the menu for its details. “Track my progress” keeps only each area's level, never your "
    "answers, so the details close when you save."
)

TitleLookup = Callable[[str], str | None]
"""Knowledge entry id -> its title (None when the entry is missing)."""


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Last guard for Discord's 6000-character total: shorten the description, then drop trailing fields."""
    excess = len(embed) - EMBED_TOTAL_LIMIT
    if excess > 0 and embed.description:
        embed.description = shorten(embed.description, max(200, len(embed.description) - excess))
    while len(embed) > EMBED_TOTAL_LIMIT and embed.fields:
        log.warning("embed %r over the size limit; dropping field %r", embed.title, embed.fields[-1].name)
        embed.remove_field(len(embed.fields) - 1)
    return embed


def chunk_lines(lines: Sequence[str], limit: int = FIELD_VALUE_LIMIT) -> list[str]:
    """Join lines into blocks of at most ``limit`` characters, never splitting a line (long ones are shortened)."""
    blocks: list[str] = []
    current: list[str] = []
    size = 0
    for raw in lines:
        line = shorten(raw, limit)
        added = len(line) + (1 if current else 0)
        if current and size + added > limit:
            blocks.append("\n".join(current))
            current, size = [], 0
            added = len(line)
        current.append(line)
        size += added
    if current:
        blocks.append("\n".join(current))
    return blocks


# -- the assessment --------------------------------------------------------------------------------------------


def question_embed(progress: Progress) -> discord.Embed:
    step = progress.step
    assert step is not None, "a complete assessment shows the result, not a question"
    lines = [step.prompt]
    shown = step.display(progress.answers)
    if shown is not None:
        lines.append(f"\nYour answer so far: **{shorten(shown, 200)}**.")
    embed = discord.Embed(title=step.title, description="\n".join(lines), colour=BRAND_COLOUR)
    embed.set_author(name=f"Readiness check · {progress.counter}")
    embed.set_footer(text=PRIVATE_FOOTER)
    return embed


def intro_text() -> str:
    return (
        "Short questions, one at a time, about three minutes. Answer as things stand today; at the end you get "
        "one next step for each area."
    )


def resume_embed(progress: Progress) -> discord.Embed:
    step = progress.step
    where = (
        f"You stopped at {progress.counter}: **{step.title}**"
        if step is not None
        else "You answered every question but have not seen your result yet"
    )
    return discord.Embed(
        title="Continue your readiness check?",
        description=(
            f"{where}.\n\nResume to continue with the answers you gave, or start over with an empty check. "
            f"Unfinished checks are deleted after {KEEP_DAYS} days."
        ),
        colour=BRAND_COLOUR,
    )


def cancel_confirm_embed() -> discord.Embed:
    return discord.Embed(
        title="Stop and delete your answers?",
        description=(
            "Your answers to this check will be deleted.\n\nOnly need a break? Just dismiss this message: "
            "/readiness start lets you continue later."
        ),
        colour=NOTICE_COLOUR,
    )


def cancelled_embed(removed: bool) -> discord.Embed:
    text = "Your answers were deleted." if removed else "There was nothing left to delete."
    return discord.Embed(
        title="Readiness check stopped",
        description=f"{text} Run /readiness start whenever you want to begin again.",
        colour=BRAND_COLOUR,
    )


def _count_line(result: AssessmentResult) -> str:
    parts = []
    if result.red_flags:
        parts.append(f"**{plural(len(result.red_flags), 'red flag')}**")
    if result.needs_work:
        parts.append(f"{len(result.needs_work)} need{'s' if len(result.needs_work) == 1 else ''} work")
    if result.ready:
        parts.append(f"{len(result.ready)} ready")
    return " · ".join(parts)


_LEVEL_TEXT = {
    OverallLevel.AT_RISK: (
        "Some areas could cost you interviews or your place in the Match. They are listed first, each with one "
        "step you can take now."
    ),
    OverallLevel.NEEDS_WORK: "You are on your way; several areas still need work. Start with the first one below.",
    OverallLevel.ON_TRACK: "You are on track. Keep going, and check the areas that still need work.",
}


def _level_text(result: AssessmentResult) -> str:
    """The level's explanation. "Fixed within one season" is said only of red flags that can be: a failed attempt or
    the graduation year stays (``lasting``), so for those the text says how to plan around them instead."""
    text = _LEVEL_TEXT[result.overall]
    lasting = [area for area in result.red_flags if area.lasting]
    if result.overall is not OverallLevel.AT_RISK:
        return text
    if not lasting:
        return f"{text} Many applicants fix red flags like these within one season."
    others = " The others can often be fixed within one season." if len(lasting) < len(result.red_flags) else ""
    return (
        f"{text} Some facts cannot change, such as a failed attempt or the year you graduated: choose programs whose "
        f"rules accept them, and explain them honestly.{others}"
    )


def area_field(area: AreaResult, title_of: TitleLookup, limit: int) -> tuple[str, str]:
    """One area as an embed field: finding, the one next step, and the /topic entry that explains it."""
    name = shorten(f"{STATUS_MARKS[area.status]} {area.status.label}: {area.area.label}", FIELD_NAME_LIMIT)
    title = title_of(area.entry_id)
    topic = f"📖 Read: **{title}** · `/topic name:{area.entry_id}`" if title else f"📖 `/topic name:{area.entry_id}`"
    value = f"{area.finding}\n**Next step:** {area.next_step}\n{topic}"
    return name, shorten(value, limit)


NEXT_STEPS_SHOWN = 3
"""Next steps on the result itself: the most pressing areas (red flags first); every area is in the menu."""
CONTEXT_OPTION = "context"
"""The area menu's value for "About these numbers" (the context lines), beside the areas' own values."""
CONTEXT_TITLE = "About these numbers"
NEXT_STEP_LINE = 330
"""Characters of one next-step line (three fit a field of 1,024)."""


def next_steps(result: AssessmentResult) -> tuple[AreaResult, ...]:
    """The most pressing areas that are not ready, red flags first (the result's own order)."""
    return tuple(area for area in result.areas if area.status is not AreaStatus.READY)[:NEXT_STEPS_SHOWN]


def _next_steps_text(result: AssessmentResult) -> str:
    pressing = next_steps(result)
    if not pressing:
        return "Every area is ready. Keep going, and check again after anything changes."
    lines = [
        shorten(f"{number}. {STATUS_MARKS[area.status]} **{area.area.label}**: {area.next_step}", NEXT_STEP_LINE)
        for number, area in enumerate(pressing, start=1)
    ]
    return shorten("\n".join(lines), FIELD_VALUE_LIMIT)


def result_embed(result: AssessmentResult, title_of: TitleLookup, *, shown: str | None = None) -> discord.Embed:
    """The result: the overall level, the three most pressing next steps and, when picked in the menu (``shown``:
    an area's value or ``CONTEXT_OPTION``), one area's details. Every area is one pick away, so the screen stays
    short (about 1,500 characters with an area open)."""
    target = f" for Match {result.target_match}" if result.target_match else ""
    embed = discord.Embed(
        title=f"Your readiness{target}: {result.overall.label}",
        description=f"{_count_line(result)}\n\n{_level_text(result)}",
        colour=LEVEL_COLOURS[result.overall],
    )
    embed.add_field(name="Your next steps", value=_next_steps_text(result), inline=False)
    picked = next((area for area in result.areas if area.area.value == shown), None)
    if picked is not None:
        name, value = area_field(picked, title_of, FIELD_VALUE_LIMIT)
        embed.add_field(name=name, value=value, inline=False)
    elif shown == CONTEXT_OPTION and result.context:
        context = shorten("\n".join(f"• {line}" for line in result.context), FIELD_VALUE_LIMIT)
        embed.add_field(name=CONTEXT_TITLE, value=context, inline=False)
    embed.set_footer(text=RESULT_FOOTER)
    return fit_embed(embed)


def area_options(result: AssessmentResult, shown: str | None = None) -> list[tuple[str, str, str, bool]]:
    """The area menu: (label, value, description, default) for every area, then "About these numbers"."""
    options = [
        (
            shorten(f"{STATUS_MARKS[area.status]} {area.area.label}", 100),
            area.area.value,
            shorten(f"{area.status.label}: {area.finding}", 100),
            area.area.value == shown,
        )
        for area in result.areas
    ]
    if result.context:
        options.append((CONTEXT_TITLE, CONTEXT_OPTION, shorten(result.context[0], 100), shown == CONTEXT_OPTION))
    return options[:MAX_SELECT_OPTIONS]


def saved_text(saved: SavedResult, history: ReadinessHistory) -> str:
    """After **Track my progress**: a short confirmation instead of the whole result again. It says what was kept
    and why the details closed, without "deleted": members read that as losing their work."""
    return (
        f"{save_note(saved, history)}\nKept for /readiness history: **{saved.overall.label}** and each area's level "
        "only, not your answers, so the area details on this screen are closed. The topics below stay a click away."
    )


def topic_entries(result: AssessmentResult, limit: int = 5) -> list[str]:
    """The entries to offer as buttons: those of red flags, then of areas needing work, each once."""
    seen: list[str] = []
    for area in (*result.red_flags, *result.needs_work):
        if area.entry_id not in seen:
            seen.append(area.entry_id)
    return seen[:limit]


def change_line(change: AreaChange) -> str:
    mark = TREND_MARKS[change.trend]
    label = change.area.label
    if change.trend is Trend.NEW:
        assert change.after is not None
        return f"{mark} **{label}**: {change.after.label} (new)"
    if change.trend is Trend.GONE:
        assert change.before is not None
        return f"{mark} **{label}**: no longer assessed (was {change.before.label})"
    assert change.before is not None and change.after is not None
    return f"{mark} **{label}**: {change.before.label} → {change.after.label}"


def diff_text(diff: SaveDiff) -> str:
    before, after = diff.before, diff.after
    head = (
        f"{discord.utils.format_dt(before.saved_at, 'D')} → {discord.utils.format_dt(after.saved_at, 'D')}: "
        f"**{before.overall.label}** → **{after.overall.label}**"
    )
    lines = [head, *(change_line(c) for c in diff.changed)]
    same = len(diff.changes) - len(diff.changed)
    if not diff.changed:
        lines.append("No area changed.")
    elif same:
        lines.append(f"{plural(same, 'area')} unchanged.")
    return "\n".join(chunk_lines(lines)[:1])


def save_note(saved: SavedResult, history: ReadinessHistory) -> str:
    """The message shown right after saving: when, and what changed since the save before."""
    note = f"✅ Saved {discord.utils.format_dt(saved.saved_at, 'f')}. "
    diff = history.diffs[-1] if history.diffs and history.diffs[-1].after.id == saved.id else None
    if diff is None:
        return note + "Save again after your next check, and /readiness history will show what changed."
    improved = sum(c.trend is Trend.IMPROVED for c in diff.changes)
    worse = sum(c.trend is Trend.WORSE for c in diff.changes)
    since = discord.utils.format_dt(diff.before.saved_at, "D")
    if not improved and not worse:
        return note + f"No area changed level since your save on {since}. See /readiness history."
    parts = [f"{plural(improved, 'area')} better"] if improved else []
    if worse:
        parts.append(f"{plural(worse, 'area')} worse")
    return note + f"Since your save on {since}: {' and '.join(parts)}. See /readiness history."


def _latest_lines(saved: SavedResult) -> list[str]:
    ordered = sorted(saved.statuses.items(), key=lambda item: (item[1].rank, item[0].order))
    return [f"{STATUS_MARKS[status]} {area.label}: {status.label}" for area, status in ordered]


def history_embed(history: ReadinessHistory, max_diffs: int = 6) -> discord.Embed:
    embed = discord.Embed(title="Your readiness over time", colour=BRAND_COLOUR)
    embed.set_footer(text="Only you can see this. Saved results keep each area's level, never your answers.")
    latest = history.latest
    if latest is None:
        embed.description = (
            "You have no saved results yet.\n\nRun /readiness start, answer the questions, and press "
            "**Track my progress** on your result. Save again after a later check to see what changed."
        )
        return embed
    first = history.saves[0]
    lines = [
        f"Latest save {discord.utils.format_dt(latest.saved_at, 'D')}: **{latest.overall.label}**.",
        f"{plural(len(history.saves), 'saved result')} since {discord.utils.format_dt(first.saved_at, 'D')}.",
    ]
    if not history.diffs:
        lines.append("Save again after your next check to see how each area changes.")
    embed.description = "\n".join(lines)
    embed.add_field(name="Now, area by area", value="\n".join(chunk_lines(_latest_lines(latest))[:1]), inline=False)
    for number, diff in enumerate(reversed(history.diffs[-max_diffs:])):
        name = "What changed last time" if number == 0 else "Earlier change"
        embed.add_field(name=name, value=diff_text(diff), inline=False)
    return fit_embed(embed)


def forget_confirm_embed(saves: int) -> discord.Embed:
    return discord.Embed(
        title="Delete your readiness data?",
        description=(
            f"This deletes your {plural(saves, 'saved result')} and any unfinished check. It cannot be undone."
        ),
        colour=NOTICE_COLOUR,
    )


# -- /timeline -------------------------------------------------------------------------------------------------

_STATUS_WORDS = {
    PlanStatus.OFFICIAL: "official",
    PlanStatus.PROJECTED: "projected",
    PlanStatus.TARGET: "your target",
    PlanStatus.DONE: "done",
}
TIMELINE_FOOTER = (
    "official: published by NRMP, AAMC or ECFMG · projected: estimated from past cycles, may change · "
    "your target: counted back from the calendar, adjust it to your plan. Times are in your own time zone; "
    "dates without a time are US Eastern dates."
)


def item_when(item: PlanItem, today: dt.date) -> str:
    """A Discord timestamp for timed items; a plain date (never a timestamp) for all-day ones."""
    if item.at is None:
        return "Done"
    if not item.all_day:
        return discord.utils.format_dt(item.at, "F")
    day = item.day
    assert day is not None
    # A personal target moved to today reads as a date in the past to members east of New York: say "Now".
    if item.status is PlanStatus.TARGET and day <= today:
        return "**Now**"
    return f"**{format_day(day)}**"


def item_line(item: PlanItem, today: dt.date) -> str:
    if item.is_done:
        return f"✅ {item.title}"
    return f"• {item_when(item, today)} · {item.title} · *{_STATUS_WORDS[item.status]}*"


@dataclass(frozen=True)
class Phase:
    """One part of a plan, for **Show all**: ``key`` rides in the menu's values, so it never changes."""

    key: str
    name: str
    items: tuple[PlanItem, ...]


PHASE_NAMES = {
    "done": "Already done",
    "prepare": "Prepare your application",
    "apply": "Apply, interview and rank",
    "match": "Match Week and after",
}
NEXT_DATES = 5
"""Dates on the plan itself; the rest is one pick away in **Show all**."""


def phases(plan: TimelinePlan, calendar: CycleCalendar) -> list[Phase]:
    """The plan's non-empty phases, in order: done, before ERAS submission, until the rank list, then Match."""
    submission = milestone(calendar, plan.match_year, MilestoneKind.ERAS_SUBMISSION_OPENS).at
    rol = milestone(calendar, plan.match_year, MilestoneKind.ROL_DEADLINE).at
    grouped: dict[str, list[PlanItem]] = {key: [] for key in PHASE_NAMES}
    for item in plan.items:
        if item.at is None:
            key = "done"
        elif item.at < submission:
            key = "prepare"
        elif item.at <= rol:
            key = "apply"
        else:
            key = "match"
        grouped[key].append(item)
    return [Phase(key, PHASE_NAMES[key], tuple(items)) for key, items in grouped.items() if items]


SHARED_BY = "Shared by "
MAKE_YOUR_OWN = "Make your own with /timeline."


def sharer_name(author: str | None) -> str:
    """The sharer's name from a shared plan's author line (``Shared by Ana``); "" when it is not there."""
    if author is None or not author.startswith(SHARED_BY):
        return ""
    return author.removeprefix(SHARED_BY).strip()


def _whose(owner_name: str | None, own: str) -> str:
    """``own`` for the plan's owner (``owner_name`` None), else ``Ana's``, or ``This shared`` when unknown."""
    if owner_name is None:
        return own
    return f"{neutralize_mentions(owner_name)}'s" if owner_name else "This shared"


def _timeline_base(
    plan: TimelinePlan,
    calendar: CycleCalendar,
    shared_by: str | None,
    intro: str,
    owner_name: str | None = None,
) -> discord.Embed:
    """``owner_name`` is set when someone other than the plan's owner looks at it ("" when the owner is unknown)."""
    owner = "Plan" if shared_by and owner_name is None else f"{_whose(owner_name, 'Your')} plan"
    if owner_name is not None:
        # Someone else's plan: never "Your plan", and a pointer to make one of their own.
        intro = f"{MAKE_YOUR_OWN}\n{intro}"
    if shared_by:
        intro = f"{intro}\n{MAKE_YOUR_OWN}"
    lines = [intro]
    if plan.warnings:
        lines.append("\n**Please check:**")
        lines.extend(f"⚠️ {warning}" for warning in plan.warnings)
    embed = discord.Embed(
        title=shorten(f"{owner} for Match {plan.match_year}", 256),
        description=shorten("\n".join(lines), DESCRIPTION_LIMIT),
        colour=NOTICE_COLOUR if plan.warnings else BRAND_COLOUR,
    )
    if shared_by:
        # Author names render no markdown, so only pings need neutralising.
        embed.set_author(name=shorten(f"Shared by {neutralize_mentions(shared_by)}", 256))
    embed.set_footer(text=TIMELINE_FOOTER)
    return embed


def timeline_embed(plan: TimelinePlan, calendar: CycleCalendar, *, shared_by: str | None = None) -> discord.Embed:
    """The plan on a phone: the next five dates (and what is done), then **Show all** for each phase."""
    match_day = milestone(calendar, plan.match_year, MilestoneKind.MATCH_DAY)
    intro = (
        f"Counted back from Match Day ({discord.utils.format_dt(match_day.at, 'D')}) to today. "
        "**Add to my calendar** gives you every date with a note on what to do."
    )
    embed = _timeline_base(plan, calendar, shared_by, intro)
    today = local_today(plan.generated_at)
    ahead = [item for item in plan.items if not item.is_done]
    if ahead:
        shown = ahead[:NEXT_DATES]
        embed.add_field(
            name=f"Next {plural(len(shown), 'date')}",
            value=chunk_lines([item_line(item, today) for item in shown])[0],
            inline=False,
        )
    done = [item for item in plan.items if item.is_done]
    if done:
        embed.add_field(name="Already done", value=shorten(" · ".join(item.title for item in done), 300), inline=False)
    more = len(ahead) - NEXT_DATES
    if more > 0:
        embed.add_field(
            name="Show all",
            value=f"{plural(more, 'more date')}: pick a phase in the **Show all** menu below.",
            inline=False,
        )
    return fit_embed(embed)


def phase_embed(
    plan: TimelinePlan,
    calendar: CycleCalendar,
    phase: Phase,
    *,
    shared_by: str | None = None,
    owner_name: str | None = None,
) -> discord.Embed:
    """Every date of one phase (what **Show all** opens); ``owner_name`` as in ``_timeline_base``."""
    intro = f"**{phase.name}**: {plural(len(phase.items), 'item')}."
    embed = _timeline_base(plan, calendar, shared_by, intro, owner_name)
    today = local_today(plan.generated_at)
    for number, block in enumerate(chunk_lines([item_line(item, today) for item in phase.items])):
        if len(embed.fields) >= MAX_FIELDS:
            break
        embed.add_field(name=phase.name if number == 0 else f"{phase.name} (continued)", value=block, inline=False)
    return fit_embed(embed)


def phase_options(plan: TimelinePlan, calendar: CycleCalendar) -> list[tuple[str, str, str]]:
    """**Show all**'s menu: (label, value, description) per phase: how many dates, from when."""
    options = []
    for phase in phases(plan, calendar):
        dated = [item for item in phase.items if item.at is not None]
        if not dated:
            description = plural(len(phase.items), "item")
        else:
            first, last = dated[0], dated[-1]
            span = f"{_short_day(first)} to {_short_day(last)}" if len(dated) > 1 else _short_day(first)
            description = f"{plural(len(dated), 'date')}, {span}"
        options.append((f"Show all: {phase.name}", phase.key, shorten(description, 100)))
    return options


def _short_day(item: PlanItem) -> str:
    day = item.day
    assert day is not None
    return f"{day:%b} {day.day}, {day.year}"


def ics_message(match_year: int, *, owner_name: str | None = None) -> str:
    """``owner_name`` is set when someone other than the plan's owner asked ("" when the owner is unknown)."""
    text = (
        f"{_whose(owner_name, 'Your')} Match {match_year} plan as a calendar file. Import it once:\n"
        "• **Google Calendar** (computer): Settings → Import & export → Import\n"
        "• **Apple Calendar**: open the file, or File → Import\n"
        "• **Outlook**: Add calendar → Upload from file\n"
        "Importing a newer plan later updates the same events instead of adding copies."
    )
    return text if owner_name is None else f"{text}\n{MAKE_YOUR_OWN}"


def year_choices(calendar: CycleCalendar, now: dt.datetime, typed: str, limit: int = 6) -> list[tuple[str, int]]:
    """(label, year) for the next Match cycles a member can still enter, filtered by what they typed."""
    first = first_open_year(calendar, now)
    last = min(first + limit - 1, max_plan_year(now))
    wanted = typed.strip().lower().removeprefix("match").strip()
    out: list[tuple[str, int]] = []
    for year in range(first, last + 1):
        if wanted and not str(year).startswith(wanted):
            continue
        submission = milestone(calendar, year, MilestoneKind.ERAS_SUBMISSION_OPENS)
        match_day = milestone(calendar, year, MilestoneKind.MATCH_DAY)
        applying = (
            # Not "applications already in": members read that as "I have already applied".
            "too late for new applicants"
            if submission.at <= now
            else f"apply from {format_month(submission.local_date)}"
        )
        projected = "" if submission.status is MilestoneStatus.OFFICIAL else " (dates projected)"
        label = f"Match {year}: {applying}, Match Day {format_month(match_day.local_date)}{projected}"
        out.append((shorten(label, 100), year))
    return out


def exam_choices(now: dt.datetime, typed: str, months: int = 24) -> list[tuple[str, str]]:
    """(label, value) suggestions for step1/step2ck: "done", then the coming months as YYYY-MM."""
    today = local_today(now).replace(day=1)
    options = [("done (I have passed it)", "done")]
    for offset in range(months):
        month = add_months(today, offset)
        options.append((f"{month:%Y-%m} ({format_month(month)})", f"{month:%Y-%m}"))
    wanted = typed.strip().lower()
    if wanted:
        options = [o for o in options if wanted in o[0].lower()]
    return options[:25]


# -- the timeline options inside a custom_id (so the buttons work after a restart) -----------------------------

_EXAM_CODE = re.compile(r"^(-|d|\d{6})$")


def _exam_code(plan: ExamPlan) -> str:
    if plan.kind is ExamPlanKind.DONE:
        return "d"
    if plan.kind is ExamPlanKind.PLANNED:
        assert plan.month is not None
        return f"{plan.month:%Y%m}"
    return "-"


def _exam_text(code: str) -> str | None:
    if code == "d":
        return "done"
    if code == "-":
        return None
    return f"{code[:4]}-{code[4:]}"


@dataclass(frozen=True, slots=True)
class TimelineRequest:
    """/timeline's options in a form that fits a custom_id: ``2027:d:202705:3`` (``-`` for "not given")."""

    match_year: int
    step1: str | None = None
    step2ck: str | None = None
    usce_months: int | None = None

    PATTERN = r"(?P<year>\d{1,4}):(?P<step1>-|d|\d{6}):(?P<step2ck>-|d|\d{6}):(?P<usce>-|\d{1,2})"

    @classmethod
    def from_options(cls, options: TimelineOptions) -> TimelineRequest:
        return cls(
            options.match_year,
            _exam_text(_exam_code(options.step1)),
            _exam_text(_exam_code(options.step2ck)),
            options.usce_months,
        )

    def encode(self) -> str:
        step1 = self._code(self.step1)
        step2ck = self._code(self.step2ck)
        usce = "-" if self.usce_months is None else str(self.usce_months)
        return f"{self.match_year}:{step1}:{step2ck}:{usce}"

    @classmethod
    def decode(cls, year: str, step1: str, step2ck: str, usce: str) -> TimelineRequest:
        return cls(int(year), _exam_text(step1), _exam_text(step2ck), None if usce == "-" else int(usce))

    @staticmethod
    def _code(text: str | None) -> str:
        if text is None:
            return "-"
        if text == "done":
            return "d"
        code = text.replace("-", "")
        if not _EXAM_CODE.match(code):
            raise ValueError(f"not a normalised exam month: {text!r}")
        return code
