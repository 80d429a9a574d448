"""The buttons of a group quiz's question, and the Read buttons under a quiz's answers.

They live here, outside the quiz extension, because the bot's group-quiz poster (``bot.adapters.group_quiz``, built
in ``bot/app.py``) sends them as well as the cog: an extension that defined the button would leave the poster holding
the old class after a reload (discord.py registers a DynamicItem's class again whenever a message carrying it is
sent). The click is answered by the quiz cog, found when it happens, so a reloaded cog answers with its new code.

Interactions are typed ``discord.Interaction[Any]``: ``bot.app`` imports this module through the poster, so it may not
name ``ImgBot`` (``bot/ui/interaction.py`` does).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

import discord

from bot.quiz.sessions import PresentedQuestion
from bot.text import shorten
from bot.ui import quiz as screens
from bot.ui.errors import guarded
from bot.ui.knowledge_entry import OpenEntryButton
from bot.validation import UserInputError

QUIZ_COG = "Quiz"
"""The cog that answers the clicks (``QuizCog`` in cogs/quiz/commands.py)."""
READ_BUTTONS = 4


@runtime_checkable
class GroupAnswerTaker(Protocol):
    async def answer_group(self, interaction: discord.Interaction[Any], button: GroupAnswerButton) -> None:
        """Record the clicker's answer to the group question (only their first counts) and tell them privately."""


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
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> GroupAnswerButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        index = int(match["index"])
        return cls(int(match["run"]), int(match["number"]), index, label or "ABCD"[index])

    @guarded
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cog = interaction.client.get_cog(QUIZ_COG)
        if not isinstance(cog, GroupAnswerTaker):
            # Only while the quiz extension is being reloaded (or failed to load).
            raise UserInputError("Quizzes are not available right now. Please try again in a minute.")
        await cog.answer_group(interaction, self)


def read_buttons(view: discord.ui.View, entries: Iterable[str], titles: screens.EntryTitles, *, row: int) -> None:
    for entry in list(dict.fromkeys(entries))[:READ_BUTTONS]:
        item = OpenEntryButton(entry, f"Read: {titles(entry)}")
        item.item.row = row
        view.add_item(item)


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
