"""/quiz: knowledge quizzes, privately (solo, review) or for a whole channel (group), with stats and leaderboards.

The quiz service keeps every running quiz in the database; this cog is the glue. Buttons carry their state in the
custom_id (quiz run, question number, option) so they keep working after a restart. Each running group quiz has one
tracked timer task that closes its question at the deadline, posts the answer and the standings, and opens the next
question; the timers are rebuilt from the database when the cog loads.

How long a group question stays open is the ``QUIZ_GROUP_SECONDS`` setting; the pause between questions is a third
of that, at most 8 seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.quiz.options import LeaderboardOptions, QuizMode, QuizReviewOptions, QuizStartOptions
from bot.quiz.repository import RunMode
from bot.quiz.service import GroupClose, GroupOpen, QuizService, UserStats
from bot.quiz.sessions import GroupPhase, GroupResults, PresentedQuestion, SoloSummary
from bot.text import shorten
from bot.ui import quiz as screens
from bot.ui.cooldowns import per_user_cooldown
from bot.ui.errors import report_interaction_error
from bot.validation import UserInputError, parse_options
from cogs.knowledge import OpenEntryButton

if TYPE_CHECKING:
    from bot.app import ImgBot

log = logging.getLogger(__name__)

Interaction = discord.Interaction[Any]

# Between a group question's answer and the next question: time to read the explanation, not long enough to drift.
GROUP_PAUSE_MAX = dt.timedelta(seconds=8)
EXPIRY_CHECK_SECONDS = 60
# Display names seen in quiz interactions, so standings need no member lookups (most recent kept).
NAME_CACHE_SIZE = 5000
# Member lookups over REST for one leaderboard or standings message, at most.
MAX_NAME_FETCHES = 10
READ_BUTTONS = 4


def quiz_cog(interaction: Interaction) -> QuizCog:
    cog = cast("ImgBot", interaction.client).get_cog("Quiz")
    if not isinstance(cog, QuizCog):
        raise UserInputError("Quizzes are not available right now. Please try again in a minute.")
    return cog


async def guarded(interaction: Interaction, where: str, action: Callable[[], Awaitable[None]]) -> None:
    """Run a button's action with the shared error path (discord.py would only log a DynamicItem's errors)."""
    try:
        await action()
    except Exception as error:
        await report_interaction_error(interaction, error, where)


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
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SoloAnswerButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        index = int(match["index"])
        return cls(match["mode"] == "review", int(match["run"]), int(match["number"]), index, label or "ABCD"[index])

    async def callback(self, interaction: Interaction) -> None:
        await guarded(interaction, "button quiz:solo", lambda: quiz_cog(interaction).answer_solo(interaction, self))


class GroupAnswerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"quiz:group:(?P<run>[0-9]{1,18}):(?P<number>[0-9]{1,3}):(?P<index>[0-3])",
):
    """One option of a group question; every member's first click counts."""

    def __init__(
        self,
        run_id: int,
        number: int,
        index: int,
        label: str,
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.primary,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=shorten(label, screens.BUTTON_LABEL_LIMIT),
                style=style,
                custom_id=f"quiz:group:{run_id}:{number}:{index}",
                row=index,
                disabled=disabled,
            )
        )
        self.run_id, self.number, self.index = run_id, number, index

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> GroupAnswerButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        index = int(match["index"])
        return cls(int(match["run"]), int(match["number"]), index, label or "ABCD"[index])

    async def callback(self, interaction: Interaction) -> None:
        await guarded(interaction, "button quiz:group", lambda: quiz_cog(interaction).answer_group(interaction, self))


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
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ShareStatsButton:
        return cls()

    async def callback(self, interaction: Interaction) -> None:
        await guarded(interaction, "button quiz:share-stats", lambda: quiz_cog(interaction).share_stats(interaction))


def _read_buttons(view: discord.ui.View, entries: Iterable[str], titles: screens.EntryTitles, *, row: int) -> None:
    for entry in list(dict.fromkeys(entries))[:READ_BUTTONS]:
        item = OpenEntryButton(entry, f"Read: {titles(entry)}")
        item.item.row = row
        view.add_item(item)


def solo_view(run_id: int, question: PresentedQuestion, *, review: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for index, option in enumerate(question.options):
        view.add_item(SoloAnswerButton(review, run_id, question.number, index, screens.option_label(index, option)))
    return view


def group_view(run_id: int, question: PresentedQuestion) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for index, option in enumerate(question.options):
        view.add_item(GroupAnswerButton(run_id, question.number, index, screens.option_label(index, option)))
    return view


def group_closed_view(run_id: int, question: PresentedQuestion, correct_index: int) -> discord.ui.View:
    """The question's buttons, disabled, with the right answer in green (colour is not the only cue: ✅ too)."""
    view = discord.ui.View(timeout=None)
    for index, option in enumerate(question.options):
        right = index == correct_index
        label = screens.option_label(index, option)
        view.add_item(
            GroupAnswerButton(
                run_id,
                question.number,
                index,
                f"✅ {label}" if right else label,
                style=discord.ButtonStyle.success if right else discord.ButtonStyle.secondary,
                disabled=True,
            )
        )
    return view


# -- the cog -------------------------------------------------------------------------------------------------------


class QuizCog(commands.Cog, name="Quiz"):
    """Knowledge quizzes: solo, review and group, with stats and a leaderboard per server."""

    quiz = app_commands.Group(name="quiz", description="Quizzes on the road to US residency: alone or with your server")

    def __init__(self, bot: ImgBot) -> None:
        self.bot = bot
        self.pause = min(GROUP_PAUSE_MAX, self.service.group_question_time / 3)
        self._timers: dict[int, asyncio.Task[None]] = {}
        self._question_messages: dict[int, discord.Message] = {}
        self._names: OrderedDict[tuple[int | None, int], str] = OrderedDict()

    @property
    def service(self) -> QuizService:
        return self.bot.services.quiz

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    async def cog_load(self) -> None:
        # A restart mid-quiz: the database knows every running group quiz; each gets its timer back.
        for status in await self.service.running_group_quizzes():
            is_open = status.phase is GroupPhase.OPEN
            log.info(
                "resuming group quiz %d in channel %d at question %d of %d (%s)",
                status.run_id,
                status.channel_id,
                status.number,
                status.total,
                status.phase,
            )
            self._start_timer(
                status.run_id,
                status.channel_id,
                status.guild_id,
                number=status.number if is_open else None,
                deadline=status.deadline if is_open else None,
            )
        self.expiry_check.start()

    async def cog_unload(self) -> None:
        self.expiry_check.cancel()
        pending = [t for t in (self.expiry_check.get_task(), *self._timers.values()) if t is not None]
        for task in pending:
            task.cancel()
        # Wait for them, so none touches the database after the bot closes it.
        await asyncio.gather(*pending, return_exceptions=True)
        self._timers.clear()

    # -- names -------------------------------------------------------------------------------------------------------

    def remember_name(self, interaction: Interaction) -> None:
        key = (interaction.guild_id, interaction.user.id)
        self._names[key] = interaction.user.display_name
        self._names.move_to_end(key)
        while len(self._names) > NAME_CACHE_SIZE:
            self._names.popitem(last=False)

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

    def entry_title(self, entry_id: str) -> str:
        entry = self.bot.services.knowledge.knowledge.get(entry_id)
        return entry.title if entry is not None else entry_id

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
            self._start_timer(opened.run_id, opened.channel_id, interaction.guild_id, first=opened)

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
            _read_buttons(view, [step.feedback.entry], self.entry_title, row=4)
        else:
            assert step.summary is not None
            embeds.append(screens.solo_summary_embed(step.summary, self.entry_title))
            view = discord.ui.View(timeout=None)
            entries = [e for topic in step.summary.weakest for e in topic.entries] or [step.feedback.entry]
            _read_buttons(view, entries, self.entry_title, row=0)
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

    # -- group timers ------------------------------------------------------------------------------------------------

    def _start_timer(
        self,
        run_id: int,
        channel_id: int,
        guild_id: int | None,
        *,
        first: GroupOpen | None = None,
        number: int | None = None,
        deadline: dt.datetime | None = None,
    ) -> None:
        previous = self._timers.pop(channel_id, None)
        if previous is not None and not previous.done():
            log.warning("replacing the timer of channel %d, which was still running", channel_id)
            previous.cancel()
        task = asyncio.create_task(
            self._run_group(run_id, channel_id, guild_id, first=first, number=number, deadline=deadline),
            name=f"quiz-group-{run_id}",
        )
        self._timers[channel_id] = task
        task.add_done_callback(lambda t: self._timer_done(channel_id, t))

    def _timer_done(self, channel_id: int, task: asyncio.Task[None]) -> None:
        if self._timers.get(channel_id) is task:
            del self._timers[channel_id]
        if not task.cancelled() and task.exception() is not None:
            # The quiz stays in the database; /quiz stop or the abandoned-quiz check ends it.
            log.error("group quiz timer %s failed", task.get_name(), exc_info=task.exception())

    def _stop_timer(self, channel_id: int) -> None:
        task = self._timers.pop(channel_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _run_group(
        self,
        run_id: int,
        channel_id: int,
        guild_id: int | None,
        *,
        first: GroupOpen | None,
        number: int | None,
        deadline: dt.datetime | None,
    ) -> None:
        """Drive one group quiz: close each question at its deadline, post the answer, open the next question."""
        if first is not None:
            if not await self._post_question(guild_id, first):
                return
            number, deadline = first.question.number, first.deadline
        while True:
            if number is None or deadline is None:
                try:
                    opened = await self.service.open_next_group_question(channel_id)
                except UserInputError:
                    return  # stopped or expired in the meantime
                if opened.run_id != run_id or not await self._post_question(guild_id, opened):
                    return
                number, deadline = opened.question.number, opened.deadline
            # A deadline that passed while the bot was down is in the past: the question closes at once.
            await discord.utils.sleep_until(deadline)
            closed = await self.service.close_group_question(channel_id, number=number)
            if closed is None or closed.run_id != run_id:
                return
            next_at = None if closed.results is not None else dt.datetime.now(dt.UTC) + self.pause
            await self._post_outcome(guild_id, closed, next_at)
            if next_at is None:
                log.info("group quiz %d in channel %d finished", run_id, channel_id)
                return
            number = deadline = None
            await discord.utils.sleep_until(next_at)

    async def _channel(self, channel_id: int, guild_id: int | None) -> discord.PartialMessageable:
        await self.bot.wait_until_ready()
        return self.bot.get_partial_messageable(channel_id, guild_id=guild_id)

    async def _post_question(self, guild_id: int | None, opened: GroupOpen) -> bool:
        channel = await self._channel(opened.channel_id, guild_id)
        try:
            message = await channel.send(
                embed=screens.group_question_embed(opened.question, opened.deadline),
                view=group_view(opened.run_id, opened.question),
                # discord.py retries a 5xx on its own; if Discord had made the message, the nonce returns it.
                nonce=f"gq{opened.run_id}q{opened.question.number}",
            )
        except (discord.Forbidden, discord.NotFound):
            log.warning("cannot post in channel %d any more; stopping group quiz %d", opened.channel_id, opened.run_id)
            with contextlib.suppress(UserInputError):
                await self.service.stop_group(opened.channel_id, 0, can_manage=True)
            return False
        self._question_messages[opened.channel_id] = message
        return True

    async def _close_question_message(self, channel_id: int, closed: GroupClose | None = None) -> None:
        """Show the closed question with its answer (or just without buttons, when the quiz was stopped)."""
        message = self._question_messages.pop(channel_id, None)
        if message is None:
            return  # posted before a restart: its buttons now answer "closed", which is true
        try:
            if closed is None:
                await message.edit(view=None)
            else:
                outcome = closed.outcome
                await message.edit(
                    embed=screens.group_closed_question_embed(outcome.question),
                    view=group_closed_view(closed.run_id, outcome.question, outcome.correct_index),
                )
        except discord.HTTPException:
            log.warning("could not update the question message %d", message.id, exc_info=True)

    async def _post_outcome(self, guild_id: int | None, closed: GroupClose, next_at: dt.datetime | None) -> None:
        channel = await self._channel(closed.channel_id, guild_id)  # after a restart, names need the guild cache
        await self._close_question_message(closed.channel_id, closed)
        outcome = closed.outcome
        people = [a.member_id for a in outcome.answers] + [s.member_id for s in outcome.standings]
        names = await self.display_names(guild_id, people)
        embeds = [screens.group_outcome_embed(outcome, names, self.entry_title, next_at=next_at)]
        if closed.results is not None:
            embeds.append(screens.group_results_embed(closed.results, names))
        view = discord.ui.View(timeout=None)
        _read_buttons(view, [outcome.entry], self.entry_title, row=0)
        try:
            await channel.send(embeds=embeds, view=view, nonce=f"gq{closed.run_id}a{outcome.question.number}")
        except (discord.Forbidden, discord.NotFound):
            log.warning("cannot post in channel %d any more; stopping group quiz %d", closed.channel_id, closed.run_id)
            self._stop_timer(closed.channel_id)
            with contextlib.suppress(UserInputError):
                await self.service.stop_group(closed.channel_id, 0, can_manage=True)

    @tasks.loop(seconds=EXPIRY_CHECK_SECONDS)
    async def expiry_check(self) -> None:
        """End quizzes nobody touched for a long time, and tell a group channel why its quiz ended."""
        try:
            ended = await self.service.expire_abandoned()
        except Exception:
            # The loop must keep running: one bad pass is logged and the next one tries again.
            log.exception("checking for abandoned quizzes failed")
            return
        for quiz in ended:
            if quiz.mode is RunMode.GROUP and quiz.group_results is not None:
                try:
                    await self._announce_abandoned(quiz.channel_id, quiz.guild_id, quiz.group_results)
                except Exception:
                    log.exception("could not announce the end of abandoned group quiz %d", quiz.run_id)

    async def _announce_abandoned(self, channel_id: int, guild_id: int | None, results: GroupResults) -> None:
        self._stop_timer(channel_id)
        channel = await self._channel(channel_id, guild_id)
        await self._close_question_message(channel_id)
        names = await self.display_names(guild_id, [s.member_id for s in results.standings])
        await channel.send(embed=screens.group_results_embed(results, names, abandoned=True))

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
            if channel_id is not None and channel_id in self._timers:
                content = "The group quiz in this channel is still running. Run `/quiz stop` again to end it too."
            await interaction.response.send_message(content=content, embed=embed, ephemeral=True)
            return
        if interaction.guild_id is None or channel_id is None:
            raise UserInputError("You have no quiz running. Start one with `/quiz start`.")
        try:
            results = await self.service.stop_group(
                channel_id, interaction.user.id, can_manage=interaction.permissions.manage_guild
            )
        except UserInputError as exc:
            if channel_id in self._timers:
                raise  # a group quiz runs here: the service's reason stands (only the starter or a moderator)
            raise UserInputError(
                "You have no quiz running, and there is no group quiz in this channel. Start one with `/quiz start`."
            ) from exc
        self._stop_timer(channel_id)
        people = [s.member_id for s in results.standings]
        await self._defer_for_names(interaction, people)
        names = await self.display_names(interaction.guild_id, people)
        await self._send(
            interaction, embed=screens.group_results_embed(results, names, stopped_by=interaction.user.display_name)
        )
        await self._close_question_message(channel_id)

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
            if interaction.guild_id is None or not interaction.permissions.manage_guild:
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
            if (interaction.guild_id, m) not in self._names and (guild is None or guild.get_member(m) is None)
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


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(SoloAnswerButton, GroupAnswerButton, ShareStatsButton)
    await bot.add_cog(QuizCog(bot))
