"""The options of the /quiz commands, validated before anything else looks at them.

Use with ``bot.validation.parse_options``: a bad value becomes a UserInputError whose message says how to fix it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

from bot.text import strip_invisible

MIN_QUESTIONS = 3
MAX_QUESTIONS = 20
DEFAULT_QUESTIONS = 5
MAX_REVIEW_QUESTIONS = 20


class QuizMode(StrEnum):
    SOLO = "solo"
    GROUP = "group"


class LeaderboardPeriod(StrEnum):
    WEEK = "week"
    ALL = "all"

    @property
    def label(self) -> str:
        return "the last 7 days" if self is LeaderboardPeriod.WEEK else "all time"


def _count(value: object, low: int, high: int, message: str) -> int:
    if isinstance(value, bool):
        raise ValueError(message)
    if isinstance(value, str):
        value = value.strip()
        if not value.isdecimal():
            raise ValueError(message)
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        raise ValueError(message)
    return value


class QuizStartOptions(BaseModel):
    """`/quiz start [topic:] [questions:] [mode:]`."""

    model_config = ConfigDict(frozen=True)

    topic: str | None = None
    questions: int = DEFAULT_QUESTIONS
    mode: QuizMode = QuizMode.SOLO

    @field_validator("topic", mode="before")
    @classmethod
    def _topic_text(cls, value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("Pick a topic from the list that appears as you type, for example `usmle`.")
        text = " ".join(strip_invisible(value).split())
        return text[:100] or None

    @field_validator("questions", mode="before")
    @classmethod
    def _question_count(cls, value: object) -> int:
        return _count(
            value,
            MIN_QUESTIONS,
            MAX_QUESTIONS,
            f"A quiz has {MIN_QUESTIONS} to {MAX_QUESTIONS} questions. Try `/quiz start questions: 10`.",
        )

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {m.value for m in QuizMode}:
            return value.strip().lower()
        if isinstance(value, QuizMode):
            return value
        raise ValueError(
            "The mode is `solo` (just you, privately) or `group` (everyone in the channel). "
            "Try `/quiz start mode: group`."
        )


class QuizReviewOptions(BaseModel):
    """`/quiz review [questions:]`."""

    model_config = ConfigDict(frozen=True)

    questions: int = 10

    @field_validator("questions", mode="before")
    @classmethod
    def _question_count(cls, value: object) -> int:
        return _count(
            value,
            1,
            MAX_REVIEW_QUESTIONS,
            f"A review has 1 to {MAX_REVIEW_QUESTIONS} questions. Try `/quiz review questions: 10`.",
        )


class LeaderboardOptions(BaseModel):
    """`/quiz leaderboard [period:]`."""

    model_config = ConfigDict(frozen=True)

    period: LeaderboardPeriod = LeaderboardPeriod.WEEK

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, value: object) -> object:
        if isinstance(value, LeaderboardPeriod):
            return value
        if isinstance(value, str) and value.strip().lower() in {p.value for p in LeaderboardPeriod}:
            return value.strip().lower()
        raise ValueError(
            "The period is `week` (the last 7 days) or `all` (all time). Try `/quiz leaderboard period: all`."
        )
