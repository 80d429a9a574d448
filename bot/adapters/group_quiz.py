"""How a group quiz's timers (``bot.quiz.group_timers``) post, and the display names quizzes show.

Built in ``bot/app.py`` with the services (the timers are given the poster), and used by the cog for names. The
buttons it sends are ``bot.ui.quiz_buttons``, the classes the quiz extension registers, whichever copy of the
extension is loaded.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import discord

from bot.quiz.service import GroupClose, GroupOpen
from bot.quiz.sessions import GroupResults, PresentedQuestion
from bot.ui import quiz as screens
from bot.ui.colours import RESULTS_COLOUR
from bot.ui.delivery_errors import delivery_errors
from bot.ui.quiz_buttons import group_closed_view, group_view, read_buttons

log = logging.getLogger(__name__)

# Display names seen in quiz interactions, so standings need no member lookups (most recent kept).
NAME_CACHE_SIZE = 5000
# Member lookups over REST for one leaderboard or standings message, at most.
MAX_NAME_FETCHES = 10


class MemberNames:
    """Display names seen in quiz interactions, so standings need no member lookups (most recent kept)."""

    def __init__(self, bot: discord.Client) -> None:
        self.bot = bot
        self._names: OrderedDict[tuple[int | None, int], str] = OrderedDict()

    def remember(self, interaction: discord.Interaction[Any]) -> None:
        key = (interaction.guild_id, interaction.user.id)
        self._names[key] = interaction.user.display_name
        self._names.move_to_end(key)
        while len(self._names) > NAME_CACHE_SIZE:
            self._names.popitem(last=False)

    def known(self, guild_id: int | None, member_id: int) -> bool:
        return (guild_id, member_id) in self._names

    async def display_names(self, guild_id: int | None, member_ids: Iterable[int]) -> dict[int, str]:
        """Display names (unescaped; the embeds escape them): seen in interactions, cached, or fetched (a few)."""
        guild = self.bot.get_guild(guild_id) if guild_id is not None else None
        names: dict[int, str] = {}
        fetches = 0
        for member_id in dict.fromkeys(member_ids):
            cached = self._names.get((guild_id, member_id))
            member = guild.get_member(member_id) if guild is not None and cached is None else None
            if cached is not None:
                names[member_id] = cached
            elif member is not None:
                names[member_id] = member.display_name
            elif guild is not None and fetches < MAX_NAME_FETCHES:
                fetches += 1
                try:
                    names[member_id] = (await guild.fetch_member(member_id)).display_name
                except discord.NotFound:
                    names[member_id] = "Former member"
                except discord.HTTPException:
                    log.warning("could not look up a member's name in guild %s", guild_id, exc_info=True)
        return names


class DiscordGroupQuizPoster:
    """How the group-quiz timers (``bot.quiz.group_timers``) post: questions with their buttons, answers and
    standings, the closed question redrawn with its answer."""

    def __init__(self, bot: discord.Client, names: MemberNames, titles: Callable[[str], str | None]) -> None:
        self.bot = bot
        self.names = names
        self.titles = titles
        """A knowledge entry's title by its id (None if there is no such entry)."""
        self._question_messages: dict[int, tuple[discord.Message, PresentedQuestion]] = {}
        """Channel -> its open question's message and question, to redraw it when the question closes or the quiz
        ends."""

    def entry_title(self, entry_id: str) -> str:
        title = self.titles(entry_id)
        return title if title is not None else entry_id

    async def _channel(self, channel_id: int, guild_id: int | None) -> discord.PartialMessageable:
        await self.bot.wait_until_ready()
        return self.bot.get_partial_messageable(channel_id, guild_id=guild_id)

    async def post_question(self, guild_id: int | None, opened: GroupOpen) -> None:
        channel = await self._channel(opened.channel_id, guild_id)
        with delivery_errors(f"group quiz {opened.run_id}'s question {opened.question.number}"):
            message = await channel.send(
                embed=screens.group_question_embed(opened.question, opened.deadline),
                view=group_view(opened.run_id, opened.question),
                # Tried again after a 5xx or a timeout (discord.py's retries, then the timers'): if Discord had made
                # the message, the nonce returns it instead of a second one.
                nonce=f"gq{opened.run_id}q{opened.question.number}",
            )
        self._question_messages[opened.channel_id] = (message, opened.question)

    async def clear_question(self, channel_id: int, closed: GroupClose | None = None) -> None:
        """Show the closed question with its answer, or, when the quiz was stopped or ended, the question without
        its buttons and without its "time is up in N seconds" countdown (which clients would keep running)."""
        shown = self._question_messages.pop(channel_id, None)
        if shown is None:
            return  # posted before a restart: its buttons now answer "closed", which is true
        message, question = shown
        try:
            if closed is None:
                await message.edit(embed=screens.group_closed_question_embed(question, stopped=True), view=None)
            else:
                outcome = closed.outcome
                await message.edit(
                    embed=screens.group_closed_question_embed(outcome.question),
                    view=group_closed_view(closed.run_id, outcome.question, outcome.correct_index),
                )
        except discord.HTTPException:
            log.warning("could not update the question message %d", message.id, exc_info=True)

    async def post_outcome(self, guild_id: int | None, closed: GroupClose, next_at: dt.datetime | None) -> None:
        channel = await self._channel(closed.channel_id, guild_id)  # after a restart, names need the guild cache
        await self.clear_question(closed.channel_id, closed)
        outcome = closed.outcome
        people = [a.member_id for a in outcome.answers] + [s.member_id for s in outcome.standings]
        names = await self.names.display_names(guild_id, people)
        embeds = [screens.group_outcome_embed(outcome, names, self.entry_title, next_at=next_at)]
        if closed.results is not None:
            embeds.append(screens.group_results_embed(closed.results, names))
        view = discord.ui.View(timeout=None)
        read_buttons(view, [outcome.entry], self.entry_title, row=0)
        with delivery_errors(f"group quiz {closed.run_id}'s answer {outcome.question.number}"):
            await channel.send(embeds=embeds, view=view, nonce=f"gq{closed.run_id}a{outcome.question.number}")

    async def post_ended(
        self, channel_id: int, guild_id: int | None, results: GroupResults | None, reason: str
    ) -> None:
        channel = await self._channel(channel_id, guild_id)
        await self.clear_question(channel_id)
        if results is None:
            embed = discord.Embed(title="🏁 Quiz ended", description=reason, colour=RESULTS_COLOUR)
        else:
            names = await self.names.display_names(guild_id, [s.member_id for s in results.standings])
            embed = screens.group_results_embed(results, names, ended_because=reason)
        with delivery_errors(f"the end of the group quiz in channel {channel_id}"):
            await channel.send(embed=embed)

    async def post_abandoned(self, channel_id: int, guild_id: int | None, results: GroupResults) -> None:
        channel = await self._channel(channel_id, guild_id)
        await self.clear_question(channel_id)
        names = await self.names.display_names(guild_id, [s.member_id for s in results.standings])
        await channel.send(embed=screens.group_results_embed(results, names, abandoned=True))
