"""What an interview practice question is, validated when `data/interviews/*.yaml` is loaded.

A field that is wrong on its own (too long, missing, not a web address, a date in the future) is caught by the
pydantic model; checks across questions and files (ids and questions unique, every category has questions) are done
by the loader in ``bank.py``, so that every problem names the file, the line, the field and the question.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from bot.db.timestamps import utc_now

MAX_QUESTION_CHARS = 300
MAX_TIP_CHARS = 500
MIN_TIP_CHARS = 40
MAX_PITFALL_CHARS = 250
MAX_PITFALLS = 4
QUESTION_ID_CHARS = 48
"""Short enough that a practice button's custom_id (question id, category, timer, order) fits Discord's 100."""

QuestionId = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=3, max_length=QUESTION_ID_CHARS)
]


class Category(StrEnum):
    """The kinds of question a residency interview asks, in the order an interview usually meets them."""

    ABOUT_YOU = "about-you"
    SPECIALTY = "specialty"
    PROGRAM = "program"
    IMG = "img"
    BEHAVIOURAL = "behavioural"
    ETHICS = "ethics"
    ASK_PROGRAMS = "ask-programs"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def short(self) -> str:
        """A few words, for a title."""
        return _SHORT[self]

    @property
    def blurb(self) -> str:
        """One line on what the category practises, for the category list and the question card."""
        return _BLURBS[self]


_LABELS = {
    Category.ABOUT_YOU: "Tell me about yourself",
    Category.SPECIALTY: "Why this specialty",
    Category.PROGRAM: "Why this program",
    Category.IMG: "IMG questions: gaps, graduation year, visa, US experience, exam attempts",
    Category.BEHAVIOURAL: "Behavioural: tell me about a time (situation, task, action, result)",
    Category.ETHICS: "Ethics and professionalism scenarios",
    Category.ASK_PROGRAMS: "Questions to ask programs",
}
_SHORT = {
    Category.ABOUT_YOU: "Tell me about yourself",
    Category.SPECIALTY: "Why this specialty",
    Category.PROGRAM: "Why this program",
    Category.IMG: "IMG questions",
    Category.BEHAVIOURAL: "Behavioural questions",
    Category.ETHICS: "Ethics and professionalism",
    Category.ASK_PROGRAMS: "Questions to ask programs",
}
_BLURBS = {
    Category.ABOUT_YOU: "Your short story: who you are, your path, and why you are here today.",
    Category.SPECIALTY: "Why you chose this field, with real moments that show it.",
    Category.PROGRAM: "What you know about this program and why it fits you.",
    Category.IMG: "Questions IMGs often get. Answer honestly and briefly, then show you are ready now.",
    Category.BEHAVIOURAL: "Tell one real story: the situation, your task, what you did, the result, what you learned.",
    Category.ETHICS: "Think aloud: the patient first, the facts, the options, who you would ask, what you would do.",
    Category.ASK_PROGRAMS: "Questions you ask at the end. Good ones show interest and help you rank later.",
}


def _clean(text: str) -> str:
    """Collapse the line breaks of YAML folded text and repeated spaces into single spaces."""
    return " ".join(text.split())


class InterviewQuestion(BaseModel):
    """One practice question with the coaching a member reads after answering aloud."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: QuestionId
    category: Category
    question: str = Field(min_length=10, max_length=MAX_QUESTION_CHARS)
    look_for: str = Field(min_length=MIN_TIP_CHARS, max_length=MAX_TIP_CHARS)
    """What interviewers look for in an answer (for questions to ask: what a good question shows)."""
    structure: str = Field(min_length=MIN_TIP_CHARS, max_length=MAX_TIP_CHARS)
    """How to build the answer."""
    pitfalls: tuple[Annotated[str, StringConstraints(min_length=10, max_length=MAX_PITFALL_CHARS)], ...] = Field(
        min_length=1, max_length=MAX_PITFALLS
    )
    source: str
    reviewed: dt.date

    @field_validator("question", "look_for", "structure", "source", mode="before")
    @classmethod
    def _normalise_text(cls, value: object) -> object:
        return _clean(value) if isinstance(value, str) else value

    @field_validator("pitfalls", mode="before")
    @classmethod
    def _normalise_pitfalls(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(_clean(v) if isinstance(v, str) else v for v in value)
        return value

    @field_validator("source")
    @classmethod
    def _https_source(cls, value: str) -> str:
        if not value:
            raise ValueError("is missing: give the https address the advice comes from")
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or "." not in parts.hostname or " " in value:
            raise ValueError("must be a full https:// address")
        return value

    @field_validator("reviewed")
    @classmethod
    def _not_in_future(cls, value: dt.date) -> dt.date:
        # A day of slack: whoever edits the file may be ahead of UTC.
        if value > utc_now().date() + dt.timedelta(days=1):
            raise ValueError("the reviewed date is in the future")
        return value
