"""What a quiz question is, validated when `data/quizzes/*.yaml` is loaded.

A field that is wrong on its own (too long, missing, not a web address) is caught by the pydantic model; checks that
need more than one field or more than one file (the answer is one of the options, ids are unique across files, the
related entry exists) are done by the loader in ``bank.py`` so that every problem names the question it belongs to.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from bot.knowledge.models import EntryId, Stage
from bot.source_urls import check_source_url

# Discord limits: a button label holds 80 characters. The question and the explanation go into an embed, where the
# limits are far higher; these are kept short so that a quiz reads well on a phone.
MAX_QUESTION_CHARS = 250
MAX_OPTION_CHARS = 80
MAX_EXPLANATION_CHARS = 400
OPTIONS_PER_QUESTION = 4

QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]

# Options are shuffled for every quiz, so an option that refers to the others stops making sense.
_POSITIONAL_OPTION = re.compile(r"^(all|none|both|neither) of (the )?(above|these|them)\b", re.IGNORECASE)


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


def _clean(text: str) -> str:
    """Collapse the line breaks of YAML folded text and repeated spaces into single spaces."""
    return " ".join(text.split())


class Question(BaseModel):
    """One multiple-choice question: four options, one of them right, and where to read more."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: QuestionId
    topic: Stage
    entry: EntryId
    question: str = Field(min_length=10, max_length=MAX_QUESTION_CHARS)
    options: tuple[str, ...]
    answer: str
    explanation: str = Field(max_length=MAX_EXPLANATION_CHARS)
    source: str
    difficulty: Difficulty

    @field_validator("question", "answer", "explanation", "source", mode="before")
    @classmethod
    def _normalise_text(cls, value: object) -> object:
        return _clean(value) if isinstance(value, str) else value

    @field_validator("options", mode="before")
    @classmethod
    def _normalise_options(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            # YAML reads `2024` or `218` as a number; as an option it is text a button shows.
            return tuple(
                _clean(str(v)) if isinstance(v, str | int | float) and not isinstance(v, bool) else v for v in value
            )
        return value

    @field_validator("answer", mode="before")
    @classmethod
    def _answer_as_text(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("options")
    @classmethod
    def _four_short_options(cls, options: tuple[str, ...]) -> tuple[str, ...]:
        if len(options) != OPTIONS_PER_QUESTION:
            raise ValueError(f"needs exactly {OPTIONS_PER_QUESTION} options, found {len(options)}")
        for number, option in enumerate(options, start=1):
            if not option:
                raise ValueError(f"option {number} is empty")
            if len(option) > MAX_OPTION_CHARS:
                raise ValueError(
                    f"option {number} has {len(option)} characters; a Discord button holds {MAX_OPTION_CHARS}"
                )
            if _POSITIONAL_OPTION.match(option):
                raise ValueError(f"option {number} ({option!r}) cannot work: options are shuffled for every quiz")
        seen: dict[str, int] = {}
        for number, option in enumerate(options, start=1):
            key = option.casefold()
            if key in seen:
                raise ValueError(f"option {number} repeats option {seen[key]} ({option!r})")
            seen[key] = number
        return options

    @field_validator("answer")
    @classmethod
    def _answer_is_an_option(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            raise ValueError("is empty: copy the right option here")
        # `options` is validated first (field order); when it failed, its own error is reported instead.
        options: tuple[str, ...] | None = info.data.get("options")
        if options is not None and value not in options:
            near = [o for o in options if o.casefold() == value.casefold()]
            hint = f"; did you mean {near[0]!r}?" if near else " (copy it exactly)"
            raise ValueError(f"must be one of the options{hint}")
        return value

    @field_validator("explanation")
    @classmethod
    def _explanation_present(cls, value: str) -> str:
        if len(value) < 20:
            raise ValueError("is missing or too short: say in a sentence or two why the answer is right")
        return value

    @field_validator("source")
    @classmethod
    def _https_source(cls, value: str) -> str:
        return check_source_url(value)

    @property
    def correct_index(self) -> int:
        """Index of the answer in ``options`` as written in the file (not as shown in a quiz)."""
        return self.options.index(self.answer)
