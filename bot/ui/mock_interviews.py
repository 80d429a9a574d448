"""Embeds for mock interview sessions (`/interview mock`): the session's public message in each phase, a member's part
in a round with the questions to ask, and the feedback a candidate received.

Members are named by mention inside embeds, which Discord shows as names and never turns into a ping (and every
message goes out with no mentions allowed). What members typed (feedback, a group's name) is made safe where it is
shown. The buttons and the form live with the cog (``cogs/interviews_mock.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord

from bot.interviews.mock import (
    BREAK_MINUTES,
    LOBBY_MINUTES,
    MAX_PARTICIPANTS,
    MIN_PARTICIPANTS,
    QUESTIONS_PER_ROUND,
    ROUNDS,
    Phase,
    Table,
)
from bot.interviews.mock_repository import Feedback
from bot.interviews.mock_service import Assignment, Role, SessionView
from bot.text import quote_user_text, shorten
from bot.ui.colours import ENDED_COLOUR, MOCK_COLOUR, SUCCESS_COLOUR
from bot.ui.embeds import DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT
from bot.ui.interviews import PRIVATE, TITLE_LIMIT, stars, user_paragraph

NOBODY_PINGED = "Nobody is pinged by this session."


def who(user_id: int) -> str:
    """A member as Discord shows a mention: their name, no ping (0: someone who deleted their data)."""
    return f"<@{user_id}>" if user_id else "a former member"


def _together(people: Sequence[int]) -> str:
    names = [who(p) for p in people]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _when(moment: dt.datetime | None) -> str:
    return "soon" if moment is None else discord.utils.format_dt(moment, "R")


def table_line(number: int, table: Table, round_: int) -> str:
    interviewers = table.interviewers(round_)
    verb = "interviews" if len(interviewers) == 1 else "interview"
    return f"**{number}.** {_together(interviewers)} {verb} {who(table.candidate(round_))}"


def _tables_text(tables: Sequence[Table], round_: int) -> str:
    lines = [table_line(n, t, round_) for n, t in enumerate(tables, start=1)]
    return shorten("\n".join(lines), FIELD_VALUE_LIMIT) or "Nobody is seated."


def _feedback_count(view: SessionView, round_: int) -> str:
    return f"{view.feedback_given(round_)} of {view.interviewers(round_)}"


def _title(view: SessionView, heading: str) -> str:
    return shorten(f"{heading} · {quote_user_text(view.group_name, 100)}", TITLE_LIMIT)


def session_embed(view: SessionView, *, ended_by: int | None = None) -> discord.Embed:
    """The session's public message for its phase."""
    state = view.state
    session = view.session
    if state.phase is Phase.LOBBY:
        embed = discord.Embed(title=_title(view, "🎤 Mock interviews"), colour=MOCK_COLOUR)
        embed.description = (
            f"Practise residency interviews in pairs: {ROUNDS} rounds of {session.minutes} minutes. In each round one "
            f"of you interviews with {QUESTIONS_PER_ROUND} questions from me, the other answers aloud; then the "
            "interviewer fills in a short feedback form that only the candidate reads, and the roles swap.\n\n"
            f"**Press Join** to take part. {who(session.started_by)} presses **Start** when everyone is in (at least "
            f"{MIN_PARTICIPANTS}). If it has not started, this session closes {_when(state.ends_at)}."
        )
        joined = " ".join(who(p) for p in view.participants) or "Nobody yet."
        embed.add_field(
            name=f"Joined ({len(view.participants)} of {MAX_PARTICIPANTS})",
            value=shorten(joined, FIELD_VALUE_LIMIT),
            inline=False,
        )
        embed.set_footer(text=f"For the members of this study group. {NOBODY_PINGED}")
        return embed
    if state.phase is Phase.ROUND:
        embed = discord.Embed(title=_title(view, f"🎤 Round {state.round} of {ROUNDS}"), colour=MOCK_COLOUR)
        embed.description = (
            f"⏱️ This round ends {_when(state.ends_at)}.\n\n"
            f"**Interviewers**: press **My questions** for your {QUESTIONS_PER_ROUND} questions and what to listen "
            "for. **Candidates**: answer aloud, as in a real interview.\n"
            f"When you have finished, interviewers press **Give feedback · round {state.round}**: it reaches the "
            "candidate privately."
        )
        embed.add_field(name=f"Round {state.round}", value=_tables_text(view.tables, state.round), inline=False)
        if state.round < ROUNDS:
            embed.set_footer(text=f"The roles swap in round {state.round + 1}. {NOBODY_PINGED}")
        else:
            embed.set_footer(text=NOBODY_PINGED)
        return embed
    if state.phase is Phase.BREAK:
        following = state.round + 1
        embed = discord.Embed(title=_title(view, f"⏸️ Round {state.round} is over"), colour=MOCK_COLOUR)
        embed.description = (
            f"Interviewers of round {state.round}: press **Give feedback · round {state.round}** now "
            f"(given so far: {_feedback_count(view, state.round)}).\n\n"
            f"⏱️ Round {following} starts {_when(state.ends_at)}, after a {BREAK_MINUTES}-minute break, and the roles "
            f"swap. Its interviewers can read their questions already with **My questions**."
        )
        embed.add_field(name=f"Round {following}", value=_tables_text(view.tables, following), inline=False)
        embed.set_footer(text=NOBODY_PINGED)
        return embed
    if state.phase is Phase.DONE:
        embed = discord.Embed(title=_title(view, "✅ Mock interviews finished"), colour=SUCCESS_COLOUR)
        given = ", ".join(f"round {r}: {_feedback_count(view, r)}" for r in range(1, ROUNDS + 1))
        embed.description = (
            "Both rounds are done. Well done, everyone!\n\n"
            "**Candidates**: press **My feedback** to read yours (only you can see it). **Interviewers** who have "
            f"not yet: press **Give feedback** for your round. Feedback given so far: {given}."
        )
        for round_ in range(1, ROUNDS + 1):
            embed.add_field(name=f"Round {round_}", value=_tables_text(view.tables, round_), inline=False)
        embed.set_footer(text=NOBODY_PINGED)
        return embed
    return _ended_embed(view, ended_by)


def _ended_embed(view: SessionView, ended_by: int | None) -> discord.Embed:
    state = view.state
    if not state.started:
        embed = discord.Embed(title=_title(view, "Mock interviews closed"), colour=ENDED_COLOUR)
        because = (
            f"{who(ended_by)} ended it before it began."
            if ended_by is not None
            else f"Nobody started it within {LOBBY_MINUTES} minutes, so it closed."
        )
        embed.description = f"{because} Start a new one any time with `/interview mock`."
        embed.set_footer(text=NOBODY_PINGED)
        return embed
    embed = discord.Embed(title=_title(view, "Mock interviews ended"), colour=ENDED_COLOUR)
    who_ended = f"{who(ended_by)} ended it" if ended_by is not None else "It ended"
    rounds = "round 1" if state.round == 1 else "both rounds"
    embed.description = (
        f"{who_ended} during round {state.round}. Feedback for {rounds} can still be given and read with the "
        "buttons below."
    )
    embed.set_footer(text=NOBODY_PINGED)
    return embed


def opened_text(view: SessionView, jump_url: str) -> str:
    return (
        f"🎤 Your mock interview session is open in <#{view.session.channel_id}>: {jump_url}\n"
        "Members of the group press **Join** there; press **Start** when everyone is in. Nobody was pinged: tell "
        "your group it is on, if you like."
    )


# -- private screens -------------------------------------------------------------------------------------------------


def _round_time(assignment: Assignment) -> str:
    state = assignment.session.state
    if assignment.running:
        return f"The round ends {_when(state.ends_at)}."
    if state.phase is Phase.BREAK:
        return f"Round {assignment.round} starts {_when(state.ends_at)}."
    return f"Round {assignment.round} is over."


def assignment_embed(assignment: Assignment) -> discord.Embed:
    """A member's part in a round: the questions to ask (interviewers) or who interviews them (the candidate)."""
    if assignment.role is Role.CANDIDATE:
        interviewers = assignment.interviewers
        verb = "interviews" if len(interviewers) == 1 else "interview"
        embed = discord.Embed(title=f"Round {assignment.round} · you are the candidate", colour=MOCK_COLOUR)
        embed.description = shorten(
            f"{_together(interviewers)} {verb} you. {_round_time(assignment)}\n\n"
            "Answer aloud, as in a real interview: short, honest, with a real example each time. Expect "
            f"{QUESTIONS_PER_ROUND} questions: about you, why this specialty or program, a question IMGs are often "
            "asked, a story from your experience (situation, task, action, result) and an ethics scenario.\n\n"
            "Your feedback reaches only you: press **My feedback** after the round.",
            DESCRIPTION_LIMIT,
        )
        embed.set_footer(text=PRIVATE)
        return embed
    partners = [p for p in assignment.interviewers if p != assignment.user_id]
    embed = discord.Embed(title=f"Round {assignment.round} · your questions", colour=MOCK_COLOUR)
    also = f" {_together(partners)} interviews with you: take turns asking." if partners else ""
    embed.description = shorten(
        f"You interview {who(assignment.candidate)}.{also} {_round_time(assignment)}\n\n"
        "Ask them in order, about two minutes each, and follow up where an answer stays vague. Note what you hear "
        f"for the feedback form (**Give feedback · round {assignment.round}**).",
        DESCRIPTION_LIMIT,
    )
    for number, question in enumerate(assignment.questions, start=1):
        embed.add_field(
            name=f"{number}. {question.category.short}",
            value=shorten(f"**{question.question}**\n*Listen for:* {question.look_for}", FIELD_VALUE_LIMIT),
            inline=False,
        )
    embed.set_footer(text=PRIVATE)
    return embed


def feedback_embed(feedback: Sequence[Feedback]) -> discord.Embed:
    """The feedback a candidate received in a session."""
    embed = discord.Embed(title="Your feedback from the mock interview", colour=MOCK_COLOUR)
    if not feedback:
        embed.description = "No feedback yet. Your interviewer fills in the form after your round; come back here then."
    else:
        embed.description = "What your interviewer noticed. Only you can read it."
    for item in feedback:
        lines = [
            f"From {who(item.author_id)}",
            f"Clarity {stars(item.clarity)} · Structure {stars(item.structure)} · Content {stars(item.content)}",
            f"**Strength:** {user_paragraph(item.strength, 400)}",
            f"**Suggestion:** {user_paragraph(item.suggestion, 400)}",
        ]
        embed.add_field(name=f"Round {item.round}", value=shorten("\n".join(lines), FIELD_VALUE_LIMIT), inline=False)
    embed.set_footer(text=f"{PRIVATE} It stays until you delete it with /mydata delete.")
    return embed


def feedback_saved_text(feedback: Feedback) -> str:
    return (
        f"✅ Saved your feedback for round {feedback.round}. Only your candidate can read it, with **My feedback**; "
        "press the button again to change it."
    )
