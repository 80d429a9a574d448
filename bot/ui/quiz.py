"""Embeds for /quiz: questions, feedback, summaries, group standings and results, stats and leaderboards.

Pure functions from the quiz service's values to embeds, so every screen is built in one place and kept inside
Discord's limits. Names of members are what people typed themselves: they are escaped here, at the point of display.
The buttons are the cog's (``cogs/quiz/commands.py``), but for a group question's (``bot.ui.quiz_buttons``), which
the bot's poster sends too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import discord

from bot.quiz.options import LeaderboardPeriod
from bot.quiz.scoring import BASE_POINTS, MAX_POINTS
from bot.quiz.service import Leaderboard, LeaderboardRow, UserStats
from bot.quiz.sessions import (
    Feedback,
    GroupResults,
    PresentedQuestion,
    QuestionOutcome,
    SoloSummary,
    Standing,
)
from bot.text import neutralize_mentions, quote_user_text, shorten
from bot.ui.colours import BRAND_COLOUR, DANGER_COLOUR, NOTICE_COLOUR, RESULTS_COLOUR, SUCCESS_COLOUR
from bot.ui.embeds import DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, markdown_link

LETTERS = "ABCD"
BUTTON_LABEL_LIMIT = 80
NAME_LIMIT = 40
STANDINGS_SHOWN = 10


# Looks up a knowledge entry's title by id (the id itself when the entry is gone).
EntryTitles = Callable[[str], str]
Names = Mapping[int, str]


def option_label(index: int, option: str) -> str:
    """A button label: the letter and the whole option (options are at most 80 characters, labels too)."""
    return shorten(f"{LETTERS[index]}. {option}", BUTTON_LABEL_LIMIT)


def member_name(names: Names, member_id: int) -> str:
    """A member's display name, escaped: it can neither ping nor format the message it is shown in."""
    return quote_user_text(names.get(member_id) or "A member", NAME_LIMIT)


def relative_time(moment: dt.datetime) -> str:
    """A timestamp every reader's Discord shows in their own words and updates live: "in 20 seconds"."""
    return discord.utils.format_dt(moment, "R")


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _points(value: int) -> str:
    return _plural(value, "point")


def _percent(correct: int, total: int) -> int:
    return round(100 * correct / total) if total else 0


def _bar(correct: int, total: int, width: int = 10) -> str:
    filled = round(width * correct / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def _joined_lines(lines: Sequence[str], limit: int = FIELD_VALUE_LIMIT, more: str = "…and {n} more") -> str:
    """Lines joined with newlines, cut at a whole line (saying how many were left out) to fit ``limit``."""
    out: list[str] = []
    for position, line in enumerate(lines):
        rest = len(lines) - position
        tail = f"\n{more.format(n=rest)}" if rest > 1 else ""
        if len("\n".join([*out, line])) + len(tail) > limit:
            out.append(more.format(n=rest))
            break
        out.append(line)
    return shorten("\n".join(out), limit)


# -- solo ----------------------------------------------------------------------------------------------------------


def solo_question_embed(question: PresentedQuestion, *, review: bool) -> discord.Embed:
    kind = "Review" if review else "Question"
    embed = discord.Embed(
        title=f"{kind} {question.number} of {question.total}",
        description=f"**{question.text}**\n\nPick your answer below.",
        colour=BRAND_COLOUR,
    )
    tip = "Wrong answers come back at the end of the review." if review else "End early with /quiz stop."
    embed.set_footer(text=f"{question.topic.label} · {question.difficulty.value} · {tip}")
    return embed


def feedback_embed(feedback: Feedback, *, points: int, review: bool, titles: EntryTitles) -> discord.Embed:
    """Right after a solo answer: right or wrong, the right answer, why, and where to read more."""
    chosen = f"{LETTERS[feedback.chosen_index]}. {feedback.chosen_option}"
    right = f"{LETTERS[feedback.correct_index]}. {feedback.correct_option}"
    if feedback.correct:
        lines = [f"You chose **{chosen}**. That's right."]
    else:
        lines = [f"You chose {chosen}.", f"The right answer is **{right}**."]
    lines += [
        "",
        feedback.explanation,
        "",
        f"Read more: **{titles(feedback.entry)}** · {markdown_link('source', feedback.source)}",
    ]
    embed = discord.Embed(
        title="✅ Correct!" if feedback.correct else "❌ Not quite",
        description=shorten("\n".join(lines), DESCRIPTION_LIMIT),
        colour=SUCCESS_COLOUR if feedback.correct else DANGER_COLOUR,
    )
    if review:
        embed.set_footer(text="Reviews earn no points: they are for practice.")
    elif points:
        embed.set_footer(text=f"+{_points(points)}")
    elif feedback.correct:
        embed.set_footer(text="No points this time: you have answered this question correctly before.")
    return embed


def _weak_lines(summary: SoloSummary, titles: EntryTitles) -> list[str]:
    lines = []
    for topic in summary.weakest:
        reads = ", ".join(titles(entry) for entry in topic.entries)
        line = f"**{topic.topic.label}**: {topic.correct} of {topic.total} right"
        lines.append(f"{line} · read: {reads}" if reads else line)
    return lines


def solo_summary_embed(summary: SoloSummary, titles: EntryTitles, *, stopped: bool = False) -> discord.Embed:
    """The end of a solo quiz or review: the score, the weakest topics and the entries to read."""
    if summary.review:
        title = "Review stopped" if stopped else "Review complete"
        description = (
            f"You cleared **{len(summary.cleared)} of {_plural(summary.planned, 'question')}** "
            f"({summary.correct} of {_plural(summary.answered, 'answer')} right)."
        )
        if not summary.answered:
            description = "You stopped before answering a question. They stay in `/quiz review` for next time."
        elif summary.still_wrong:
            description += (
                f"\n{_plural(len(summary.still_wrong), 'question')} still need practice: they stay in `/quiz review`."
            )
    else:
        title = "Quiz stopped" if stopped else "Quiz complete"
        description = (
            f"You got **{summary.correct} of {summary.answered}** right (**{summary.percent}%**)."
            if summary.answered
            else "You stopped before answering a question."
        )
        if stopped and summary.answered < summary.planned:
            description += f"\nYou answered {summary.answered} of the {summary.planned} questions."
    embed = discord.Embed(title=title, description=description, colour=RESULTS_COLOUR)
    weak = _weak_lines(summary, titles)
    if weak:
        embed.add_field(name="Weakest topics: read these next", value=_joined_lines(weak), inline=False)
    elif summary.answered and summary.correct == summary.answered:
        embed.add_field(name="Weakest topics", value="None: every answer was right. Well done!", inline=False)
    embed.set_footer(text="Your progress: /quiz stats · Practise your mistakes: /quiz review · New quiz: /quiz start")
    return embed


# -- group ---------------------------------------------------------------------------------------------------------


def group_intro_embed(
    *, starter: str, total: int, topic: str | None, seconds: int, note: str | None = None
) -> discord.Embed:
    rules = [
        f"Started by **{quote_user_text(starter, NAME_LIMIT)}**. Everyone in this channel can play.",
        "",
        f"• Each question is open for **{seconds} seconds**.",
        "• Tap the answer you think is right. Your first tap counts.",
        f"• A right answer earns {BASE_POINTS} points, up to {MAX_POINTS} if you are quick.",
        "• The answer and the standings come after every question.",
        "• The starter or a moderator can end the quiz with `/quiz stop`.",
    ]
    if note:
        rules += ["", note]
    return discord.Embed(
        title=f"Group quiz: {total} questions on {topic or 'every topic'}",
        description="\n".join(rules),
        colour=BRAND_COLOUR,
    )


def group_question_embed(question: PresentedQuestion, deadline: dt.datetime) -> discord.Embed:
    embed = discord.Embed(
        title=f"Question {question.number} of {question.total}",
        description=f"**{question.text}**\n\n⏱ Time is up {relative_time(deadline)}.",
        colour=BRAND_COLOUR,
    )
    embed.set_footer(
        text=f"{question.topic.label} · {question.difficulty.value} · First answer counts · Faster earns more"
    )
    return embed


def group_closed_question_embed(question: PresentedQuestion, *, stopped: bool = False) -> discord.Embed:
    """The question message once time is up (its buttons show the right answer in green), or once the quiz was
    stopped or ended (no buttons, and no countdown left running in the members' clients)."""
    embed = discord.Embed(
        title=f"Question {question.number} of {question.total}: {'the quiz ended' if stopped else 'time is up'}",
        description=f"**{question.text}**",
        colour=NOTICE_COLOUR,
    )
    embed.set_footer(text=f"{question.topic.label} · {question.difficulty.value}")
    return embed


def standings_lines(standings: Sequence[Standing], names: Names, limit: int = STANDINGS_SHOWN) -> list[str]:
    medals = {1: "🥇", 2: "🥈", 3: "🥉"}
    lines = []
    for standing in standings[:limit]:
        marker = medals.get(standing.rank, f"**{standing.rank}.**") if standing.points else f"**{standing.rank}.**"
        lines.append(
            f"{marker} {member_name(names, standing.member_id)}: {_points(standing.points)} "
            f"({standing.correct}/{standing.answered} right)"
        )
    if len(standings) > limit:
        lines.append(f"…and {len(standings) - limit} more")
    return lines


def group_outcome_embed(
    outcome: QuestionOutcome, names: Names, titles: EntryTitles, *, next_at: dt.datetime | None
) -> discord.Embed:
    """After a group question: the right answer, why, who got it (fastest first), the standings."""
    right = f"{LETTERS[outcome.correct_index]}. {outcome.correct_option}"
    lines = [
        f"✅ The answer is **{right}**.",
        "",
        outcome.explanation,
        "",
        f"Read more: **{titles(outcome.entry)}** · {markdown_link('source', outcome.source)}",
    ]
    if next_at is not None:
        lines += ["", f"Next question {relative_time(next_at)}."]
    embed = discord.Embed(
        title=f"Question {outcome.question.number} of {outcome.question.total}: the answer",
        description=shorten("\n".join(lines), DESCRIPTION_LIMIT),
        colour=SUCCESS_COLOUR,
    )
    winners = [a for a in outcome.answers if a.correct]
    wrong = len(outcome.answers) - len(winners)
    if not outcome.answers:
        got_it = "Nobody answered this one."
    elif not winners:
        got_it = f"Nobody got this one right ({_plural(wrong, 'wrong answer')})."
    else:
        lines = [f"{member_name(names, a.member_id)} +{a.points:,}" for a in winners]
        got_it = _joined_lines(lines + ([f"and {_plural(wrong, 'wrong answer')}"] if wrong else []))
    embed.add_field(name="Who got it right (fastest first)", value=got_it, inline=False)
    if outcome.standings and not outcome.finished:
        embed.add_field(name="Standings", value=_joined_lines(standings_lines(outcome.standings, names)), inline=False)
    return embed


def group_results_embed(
    results: GroupResults,
    names: Names,
    *,
    stopped_by: str | None = None,
    abandoned: bool = False,
    ended_because: str | None = None,
) -> discord.Embed:
    """The end of a group quiz: the winner(s) and the final standings (``ended_because``: why the bot ended it)."""
    lines: list[str] = []
    if ended_because is not None:
        lines.append(f"This quiz ended after {results.asked} of {results.planned} questions. {ended_because}")
    elif stopped_by is not None:
        lines.append(
            f"Stopped by **{quote_user_text(stopped_by, NAME_LIMIT)}** after {results.asked} of {results.planned} "
            "questions. Answers to an open question were not scored."
        )
    elif abandoned:
        lines.append(f"This quiz ended because it went quiet, after {results.asked} of {results.planned} questions.")
    elif results.ended_early:
        lines.append(
            f"Nobody answered two questions in a row, so the quiz ended after {results.asked} of "
            f"{results.planned} questions."
        )
    winners = [member_name(names, member) for member in results.winners]
    if len(winners) == 1:
        lines.append(f"🏆 **{winners[0]}** wins with {_points(results.standings[0].points)}!")
    elif winners:
        lines.append(f"🏆 Shared first place: {', '.join(f'**{w}**' for w in winners)}!")
    elif results.standings:
        lines.append("Nobody scored this time. The next quiz is yours!")
    else:
        lines.append("Nobody answered this time.")
    embed = discord.Embed(title="🏁 Final results", description="\n".join(lines), colour=RESULTS_COLOUR)
    if results.standings:
        embed.add_field(name="Standings", value=_joined_lines(standings_lines(results.standings, names)), inline=False)
    embed.set_footer(text="Thanks for playing! See your progress with /quiz stats · /quiz leaderboard")
    return embed


# -- stats and leaderboard -----------------------------------------------------------------------------------------


def stats_embed(stats: UserStats, name: str, titles: EntryTitles, *, scope: str, shared: bool = False) -> discord.Embed:
    """Per-topic accuracy, the weakest topics and what waits in review; ``scope`` says where the answers count."""
    embed = discord.Embed(title="Quiz stats", colour=BRAND_COLOUR)
    # Author names render no markdown; only pings need neutralising.
    embed.set_author(name=shorten(" ".join(neutralize_mentions(name).split()) or "A member", 256))
    if not stats.answered:
        embed.description = "No quiz answers yet. Start one with `/quiz start`."
        embed.set_footer(text=scope)
        return embed
    lines = [
        f"**{stats.correct}** of **{stats.answered}** answers right (**{_percent(stats.correct, stats.answered)}%**)."
    ]
    if stats.review_answered:
        lines.append(
            f"Reviews: {stats.review_correct} of {_plural(stats.review_answered, 'answer')} right (practice, not "
            "counted above nor on the leaderboard)."
        )
    if stats.review_pending and not shared:
        lines.append(f"To practise again: {_plural(stats.review_pending, 'question')} in `/quiz review`.")
    embed.description = "\n".join(lines)
    topic_lines = [
        f"`{_bar(t.correct, t.answered)}` {_percent(t.correct, t.answered)}% · {t.topic.label} "
        f"({t.correct}/{t.answered})"
        for t in stats.topics
    ]
    embed.add_field(name="By topic", value=_joined_lines(topic_lines), inline=False)
    if stats.weakest:
        weak = []
        for t in stats.weakest:
            line = f"**{t.topic.label}**: {_percent(t.correct, t.answered)}%"
            if t.review_entries and not shared:
                line += " · read: " + ", ".join(titles(e) for e in t.review_entries[:3])
            weak.append(line)
        embed.add_field(name="Weakest topics", value=_joined_lines(weak), inline=False)
    embed.set_footer(text=scope)
    return embed


def _leader_line(row: LeaderboardRow, names: Names) -> str:
    medals = {1: "🥇", 2: "🥈", 3: "🥉"}
    marker = medals.get(row.rank, f"**{row.rank}.**")
    return f"{marker} **{member_name(names, row.user_id)}**: {_points(row.points)} ({row.correct}/{row.answered} right)"


def leaderboard_embed(board: Leaderboard, names: Names, *, server: str) -> discord.Embed:
    embed = discord.Embed(
        title=f"Quiz leaderboard: {board.period.label}",
        colour=RESULTS_COLOUR,
    )
    if not board.rows:
        when = "in the last 7 days" if board.period is LeaderboardPeriod.WEEK else "yet"
        embed.description = f"Nobody in this server has scored {when}. Be the first: `/quiz start`."
    else:
        lines = [_leader_line(row, names) for row in board.rows]
        if board.you is not None and board.you not in board.rows:
            lines += ["", f"You: {_leader_line(board.you, names)}"]
        embed.description = _joined_lines(lines, DESCRIPTION_LIMIT)
    period = "Rolling 7 days, " if board.period is LeaderboardPeriod.WEEK else ""
    counted = "points and answers from solo and group quizzes (not reviews)"
    embed.set_footer(text=shorten(f"{server} · {period}{counted} · /quiz start", 2048))
    return embed
