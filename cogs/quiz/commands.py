"""/quiz: the commands and their buttons (a group question's buttons are ``bot.ui.quiz_buttons``: the bot's poster
sends them too).

Buttons carry their state in the custom_id (quiz run, question number, option) so they keep working after a restart.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.quiz.group_timers import GroupQuizTimers
from bot.quiz.options import LeaderboardOptions, QuizMode, QuizReviewOptions, QuizStartOptions
from bot.quiz.service import QuizService, UserStats
from bot.quiz.sessions import PresentedQuestion, SoloSummary
from bot.text import shorten
from bot.ui import quiz as screens
from bot.ui.cooldowns import per_user_cooldown
from bot.ui.errors import guarded
from bot.ui.interaction import HookInteraction, Interaction
from bot.ui.permissions import has_server_permissions, require_member_can_send_here
from bot.ui.quiz_buttons import GroupAnswerButton, read_buttons
from bot.validation import UserInputError, parse_options

if TYPE_CHECKING:
    from bot.adapters.group_quiz import DiscordGroupQuizPoster, MemberNames
    from bot.app import ImgBot

log = logging.getLogger(__name__)


def quiz_cog(interaction: Interaction) -> QuizCog:
    cog = interaction.client.get_cog("Quiz")
    if not isinstance(cog, QuizCog):
        raise UserInputError("Quizzes are not available right now. Please try again in a minute.")
    return cog


# -- buttons that keep working after a restart (their state lives in the custom_id) --------------------------------


class SoloAnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"quiz:(?P<mode>solo|review):(?P<run>[0-9]{1,18}):(?P<number>[0-9]{1,3}):(?P<index>[0-3])",
):
    """One option of a private quiz's question; the answer redraws the same (ephemeral) message."""

    def __init__(self, review: bool, run_id: int, number: int, index: int, label: str) -> None:
        mode = "review" if review else "solo"
        super().__init__(
            discord.ui.Button(
                label=shorten(label, screens.BUTTON_LABEL_LIMIT),
                style=discord.ButtonStyle.secondary,
                custom_id=f"quiz:{mode}:{run_id}:{number}:{index}",
                row=index,
            )
        )
        self.review, self.run_id, self.number, self.index = review, run_id, number, index

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SoloAnswerButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        index = int(match["index"])
        return cls(match["mode"] == "review", int(match["run"]), int(match["number"]), index, label or "ABCD"[index])

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        await quiz_cog(interaction).answer_solo(interaction, self)


class ShareStatsButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"quiz:share-stats"):
    """Posts the clicker's own stats in the channel, for everyone: sharing is their choice, never the default."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Share in this channel", style=discord.ButtonStyle.secondary, custom_id="quiz:share-stats"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: HookInteraction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ShareStatsButton:
        return cls()

    @guarded
    async def callback(self, interaction: Interaction) -> None:
        await quiz_cog(interaction).share_stats(interaction)


def solo_view(run_id: int, question: PresentedQuestion, *, review: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for index, option in enumerate(question.options):
        view.add_item(SoloAnswerButton(review, run_id, question.number, index, screens.option_label(index, option)))
    return view


# -- the cog -------------------------------------------------------------------------------------------------------


class QuizCog(commands.Cog, name="Quiz"):
    """Knowledge quizzes: solo, review and group, with stats and a leaderboard per server."""

    quiz = app_commands.Group(name="quiz", description="Quizzes on the road to US residency: alone or with your server")

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot
        self.poster: DiscordGroupQuizPoster = bot.adapters.quiz
        self.names: MemberNames = self.poster.names

    @property
    def service(self) -> QuizService:
        return self.bot.services.quiz

    @property
    def timers(self) -> GroupQuizTimers:
        return self.bot.services.quiz_timers

    def remember_name(self, interaction: Interaction) -> None:
        self.names.remember(interaction)

    async def display_names(self, guild_id: int | None, member_ids: Iterable[int]) -> dict[int, str]:
        return await self.names.display_names(guild_id, member_ids)

    def entry_title(self, entry_id: str) -> str:
        return self.poster.entry_title(entry_id)

    # -- /quiz start -------------------------------------------------------------------------------------------------

    @quiz.command(name="start", description="Start a quiz: just you (private) or a group quiz for this channel")
    @app_commands.describe(
        topic="A step of the pathway (start typing); leave empty for every topic",
        questions="How many questions: 3 to 20 (default 5)",
        mode="solo: just you, privately (default) · group: everyone in this channel, timed",
    )
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="solo: just you, privately", value="solo"),
            app_commands.Choice(name="group: everyone in this channel, timed", value="group"),
        ]
    )
    @per_user_cooldown()
    async def start(
        self,
        interaction: Interaction,
        topic: app_commands.Range[str, 1, 100] | None = None,
        questions: int | None = None,
        mode: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"topic": topic, "questions": questions, "mode": mode}
        options = parse_options(QuizStartOptions, **{k: v for k, v in values.items() if v is not None})
        self.remember_name(interaction)
        if options.mode is QuizMode.GROUP:
            await self._start_group(interaction, options)
            return
        started = await self.service.start_solo(
            interaction.user.id, guild_id=interaction.guild_id, channel_id=interaction.channel_id or 0, options=options
        )
        await interaction.response.send_message(
            content=started.note,
            embed=screens.solo_question_embed(started.question, review=False),
            view=solo_view(started.run_id, started.question, review=False),
            ephemeral=True,
        )

    @start.autocomplete("topic")
    async def topic_autocomplete(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        typed = " ".join(current.casefold().replace("-", " ").split())[:100]
        choices = [app_commands.Choice(name="Every topic (mixed)", value="mixed")] + [
            app_commands.Choice(name=f"{t.label} ({t.questions} questions)", value=t.topic.value)
            for t in self.service.topics()
        ]
        return [c for c in choices if typed in c.name.casefold() or typed in c.value.replace("-", " ")][:25]

    async def _start_group(self, interaction: Interaction, options: QuizStartOptions) -> None:
        if interaction.guild_id is None or interaction.channel_id is None:
            raise UserInputError(
                "A group quiz runs in a server channel, for everyone there. Here in direct messages, "
                "play a private quiz instead: `/quiz start` (mode: solo)."
            )
        # The bot posts about 40 messages here for the member: only where they may post themselves.
        require_member_can_send_here(interaction, "start a group quiz")
        perms = interaction.app_permissions
        can_send = (
            perms.send_messages_in_threads if isinstance(interaction.channel, discord.Thread) else perms.send_messages
        )
        if not (perms.view_channel and can_send and perms.embed_links):
            raise UserInputError(
                "I can't post in this channel (I need View Channel, Send Messages and Embed Links here), so a group "
                "quiz can't run. Try another channel, or ask a moderator to give me those permissions."
            )
        opened = await self.service.start_group(
            interaction.guild_id, interaction.channel_id, interaction.user.id, options
        )
        try:
            # The service accepted the topic, so it resolves: a stage, or None for a mixed quiz.
            stage = self.service.bank.resolve_topic(options.topic)
            await interaction.response.send_message(
                embed=screens.group_intro_embed(
                    starter=interaction.user.display_name,
                    total=opened.question.total,
                    topic=stage.label if stage is not None else None,
                    seconds=round(self.service.group_question_time.total_seconds()),
                    note=opened.note,
                )
            )
        finally:
            # After the introduction (so it comes first), and even if that failed: the quiz runs in the database.
            self.timers.started(interaction.guild_id, opened)

    # -- answering ---------------------------------------------------------------------------------------------------

    async def answer_solo(self, interaction: Interaction, button: SoloAnswerButton) -> None:
        step = await self.service.answer_solo(
            interaction.user.id, button.index, number=button.number, run_id=button.run_id
        )
        embeds = [
            screens.feedback_embed(step.feedback, points=step.points, review=button.review, titles=self.entry_title)
        ]
        if step.next_question is not None:
            embeds.append(screens.solo_question_embed(step.next_question, review=button.review))
            view = solo_view(button.run_id, step.next_question, review=button.review)
            read_buttons(view, [step.feedback.entry], self.entry_title, row=4)
        else:
            assert step.summary is not None
            embeds.append(screens.solo_summary_embed(step.summary, self.entry_title))
            view = discord.ui.View(timeout=None)
            entries = [e for topic in step.summary.weakest for e in topic.entries] or [step.feedback.entry]
            read_buttons(view, entries, self.entry_title, row=0)
        await interaction.response.edit_message(content=None, embeds=embeds, view=view)

    async def answer_group(self, interaction: Interaction, button: GroupAnswerButton) -> None:
        if interaction.channel_id is None:
            raise UserInputError("That quiz is no longer running.")
        self.remember_name(interaction)
        receipt = await self.service.answer_group(
            interaction.channel_id, interaction.user.id, button.index, number=button.number, run_id=button.run_id
        )
        chosen = screens.option_label(receipt.chosen_index, receipt.chosen_option)
        if receipt.accepted:
            message = f"Answer recorded: **{chosen}**. The right answer appears when time is up."
        else:
            message = f"You already answered **{chosen}**. Only your first answer counts."
        await interaction.response.send_message(message, ephemeral=True)

    # -- /quiz stop --------------------------------------------------------------------------------------------------

    @quiz.command(
        name="stop", description="Stop your private quiz, or this channel's group quiz (starter or moderator)"
    )
    async def stop(self, interaction: Interaction) -> None:
        summary: SoloSummary | None = None
        try:
            summary = await self.service.stop_solo(interaction.user.id)
        except UserInputError:
            summary = None
        channel_id = interaction.channel_id
        if summary is not None:
            embed = screens.solo_summary_embed(summary, self.entry_title, stopped=True)
            content = None
            if channel_id is not None and self.timers.running(channel_id):
                content = "The group quiz in this channel is still running. Run `/quiz stop` again to end it too."
            await interaction.response.send_message(content=content, embed=embed, ephemeral=True)
            return
        if interaction.guild_id is None or channel_id is None:
            raise UserInputError("You have no quiz running. Start one with `/quiz start`.")
        try:
            results = await self.service.stop_group(
                channel_id, interaction.user.id, can_manage=has_server_permissions(interaction, manage_guild=True)
            )
        except UserInputError as exc:
            if self.timers.running(channel_id):
                raise  # a group quiz runs here: the service's reason stands (only the starter or a moderator)
            raise UserInputError(
                "You have no quiz running, and there is no group quiz in this channel. Start one with `/quiz start`."
            ) from exc
        self.timers.stopped(channel_id)
        people = [s.member_id for s in results.standings]
        await self._defer_for_names(interaction, people)
        names = await self.display_names(interaction.guild_id, people)
        await self._send(
            interaction, embed=screens.group_results_embed(results, names, stopped_by=interaction.user.display_name)
        )
        await self.poster.clear_question(channel_id)

    # -- /quiz review ------------------------------------------------------------------------------------------------

    @quiz.command(name="review", description="Practise the questions you got wrong until you get them right")
    @app_commands.describe(questions="How many questions this round: 1 to 20 (default 10)")
    @per_user_cooldown()
    async def review(self, interaction: Interaction, questions: int | None = None) -> None:
        options = parse_options(QuizReviewOptions, **({} if questions is None else {"questions": questions}))
        started = await self.service.start_review(
            interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id or 0,
            questions=options.questions,
        )
        await interaction.response.send_message(
            content=started.note,
            embed=screens.solo_question_embed(started.question, review=True),
            view=solo_view(started.run_id, started.question, review=True),
            ephemeral=True,
        )

    # -- /quiz stats -------------------------------------------------------------------------------------------------

    @quiz.command(name="stats", description="Your accuracy per topic and your weakest topics (only you see it)")
    @app_commands.describe(user="Moderators only: see a member's stats in this server (only you see them)")
    async def stats(self, interaction: Interaction, user: discord.User | None = None) -> None:
        # Stats are personal learning data: they are shown to their owner, privately. Sharing is the owner's
        # choice (the Share button); a moderator (Manage Server) may look at a member's answers in this server only.
        if user is not None and user.id != interaction.user.id:
            if interaction.guild_id is None or not has_server_permissions(interaction, manage_guild=True):
                raise UserInputError(
                    "Quiz stats are private: you can see your own with `/quiz stats`. "
                    "Only moderators (Manage Server) can look at another member's stats."
                )
            member_stats = await self.service.stats(user.id, interaction.guild_id)
            embed = screens.stats_embed(
                member_stats,
                user.display_name,
                self.entry_title,
                scope="Answers in this server only. Only you can see this.",
            )
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return
        own = await self.service.stats(interaction.user.id)
        embed = screens.stats_embed(
            own,
            interaction.user.display_name,
            self.entry_title,
            scope="All your quizzes, in every server and in DMs. Only you can see this.",
        )
        view = discord.ui.View(timeout=None)
        if interaction.guild_id is not None and own.answered:
            view.add_item(ShareStatsButton())
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def share_stats(self, interaction: Interaction) -> None:
        own: UserStats = await self.service.stats(interaction.user.id)
        name = interaction.user.display_name
        embed = screens.stats_embed(
            own, name, self.entry_title, scope=f"Shared by {name} with /quiz stats", shared=True
        )
        await interaction.response.send_message(embed=embed)

    # -- /quiz leaderboard -------------------------------------------------------------------------------------------

    @quiz.command(name="leaderboard", description="This server's top quiz players, this week or of all time")
    @app_commands.describe(period="week: the last 7 days (default) · all: all time")
    @app_commands.choices(
        period=[
            app_commands.Choice(name="week: the last 7 days", value="week"),
            app_commands.Choice(name="all: all time", value="all"),
        ]
    )
    @per_user_cooldown()
    async def leaderboard(self, interaction: Interaction, period: str | None = None) -> None:
        if interaction.guild_id is None:
            raise UserInputError("Leaderboards belong to a server: run `/quiz leaderboard` in a server channel.")
        options = parse_options(LeaderboardOptions, **({} if period is None else {"period": period}))
        self.remember_name(interaction)
        board = await self.service.leaderboard(interaction.guild_id, options.period, user_id=interaction.user.id)
        people = [r.user_id for r in board.rows] + ([board.you.user_id] if board.you else [])
        await self._defer_for_names(interaction, people)
        names = await self.display_names(interaction.guild_id, people)
        server = interaction.guild.name if interaction.guild is not None else "This server"
        await self._send(interaction, embed=screens.leaderboard_embed(board, names, server=server))

    async def _defer_for_names(self, interaction: Interaction, member_ids: Iterable[int]) -> None:
        """Defer (Discord shows "thinking…") when names must be looked up over the API: it waits only 3 seconds."""
        guild = interaction.guild
        unknown = [
            m
            for m in member_ids
            if not self.names.known(interaction.guild_id, m) and (guild is None or guild.get_member(m) is None)
        ]
        if unknown and not interaction.response.is_done():
            await interaction.response.defer()

    async def _send(self, interaction: Interaction, *, embed: discord.Embed) -> None:
        if interaction.response.is_done():
            # Fills the "thinking…" placeholder by editing it: a followup would do the same the first time, but
            # discord.py retries a followup whose answer was lost (5xx) and the retry posts a second message.
            await interaction.edit_original_response(embed=embed)
        else:
            await interaction.response.send_message(embed=embed)
