"""/quiz: knowledge quizzes, privately (solo, review) or for a whole channel (group), with stats and leaderboards.

The quiz service keeps every running quiz in the database; this package is the glue: ``commands`` holds the commands
and their buttons (state in the custom_id: quiz run, question number, option, so they keep working after a restart),
a group question's buttons are ``bot.ui.quiz_buttons``, and how a group quiz's timers (``bot.quiz.group_timers``, on
the bot's one scheduler) post is ``bot.adapters.group_quiz``, built in ``bot/app.py``.

How long a group question stays open is the ``QUIZ_GROUP_SECONDS`` setting; the pause between questions is a third
of that, at most 8 seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.ui.quiz_buttons import GroupAnswerButton
from cogs.quiz.commands import QuizCog, ShareStatsButton, SoloAnswerButton, solo_view

if TYPE_CHECKING:
    from bot.app import ImgBot

__all__ = ["QuizCog", "setup", "solo_view"]


async def setup(bot: ImgBot) -> None:
    bot.add_dynamic_items(SoloAnswerButton, GroupAnswerButton, ShareStatsButton)
    await bot.add_cog(QuizCog(bot))
