"""Helpers the quiz tests share."""

from __future__ import annotations

from bot.knowledge.models import Stage
from bot.quiz.models import Question


def make_question(qid: str, topic: Stage, entry: str = "step-1") -> Question:
    """A valid question whose right answer is the first option ("Right"), about ``entry`` of the knowledge base."""
    return Question.model_validate(
        {
            "id": qid,
            "topic": topic.value,
            "entry": entry,
            "question": f"Which option is right for {qid}?",
            "options": ["Right", "Wrong one", "Wrong two", "Wrong three"],
            "answer": "Right",
            "explanation": "Because the first option is the right one here.",
            "source": "https://www.usmle.org/common-questions",
            "difficulty": "easy",
        }
    )
