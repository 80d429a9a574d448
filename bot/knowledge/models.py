"""What a knowledge entry is, validated when the files are loaded."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from bot.db.timestamps import utc_now
from bot.source_urls import check_source_url

EntryId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]

# "Match 2027": the cycle whose Match Day falls in that year (the ERAS season of the same number feeds it).
CYCLE_PATTERN = r"^Match 20\d\d$"

# Discord allows 4,096 characters in an embed description; the rest of the 6,000 total is left for sources and title.
MAX_BODY_CHARS = 3000


class Stage(StrEnum):
    """Where on the road to residency an entry belongs, in the order an IMG meets them."""

    ELIGIBILITY = "eligibility"
    ECFMG = "ecfmg"
    USMLE = "usmle"
    USCE = "usce"
    DOCUMENTS = "documents"
    ERAS = "eras"
    PROGRAMS = "programs"
    INTERVIEWS = "interviews"
    RANKING = "ranking"
    MATCH_WEEK = "match-week"
    VISA = "visa"
    RESIDENCY = "residency"
    PLANNING = "planning"

    @property
    def label(self) -> str:
        return _STAGE_LABELS[self]

    @property
    def order(self) -> int:
        return list(Stage).index(self)


_STAGE_LABELS = {
    Stage.ELIGIBILITY: "School eligibility",
    Stage.ECFMG: "ECFMG certification",
    Stage.USMLE: "USMLE exams",
    Stage.USCE: "US clinical experience",
    Stage.DOCUMENTS: "Letters and documents",
    Stage.ERAS: "ERAS application",
    Stage.PROGRAMS: "Choosing programs",
    Stage.INTERVIEWS: "Interviews",
    Stage.RANKING: "NRMP and the rank list",
    Stage.MATCH_WEEK: "Match Week and SOAP",
    Stage.VISA: "Visas",
    Stage.RESIDENCY: "Starting residency",
    Stage.PLANNING: "Planning and well-being",
}


class Source(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        return check_source_url(value)


class EntryFrontMatter(BaseModel):
    """The front matter of one `data/knowledge/<id>.md` file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: EntryId
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=80)]
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=150)]
    aliases: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=30
    )
    tags: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=15
    )
    stage: Stage
    # The application cycle a time-sensitive entry is written for ("Match 2027"); `imgbot kb stale` lists entries
    # whose cycle has ended. An entry with no dates or figures that change from year to year has none.
    cycle: Annotated[str, StringConstraints(strip_whitespace=True, pattern=CYCLE_PATTERN)] | None = None
    reviewed: dt.date
    sources: list[Source] = Field(min_length=1, max_length=8)
    related: list[EntryId] = Field(default_factory=list, max_length=6)
    # How members actually ask about this topic, in their words: search matches a question against these as well
    # as against the entry's own text.
    questions: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]] = Field(
        default_factory=list, max_length=15
    )

    @field_validator("aliases", "tags", mode="before")
    @classmethod
    def _numbers_are_words(cls, values: object) -> object:
        # YAML reads `2027` or `250` as numbers; as aliases they are words a user types.
        if isinstance(values, list):
            return [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in values]
        return values

    @field_validator("aliases", "tags")
    @classmethod
    def _lowercase_unique(cls, values: list[str]) -> list[str]:
        lowered = [v.lower() for v in values]
        if len(set(lowered)) != len(lowered):
            raise ValueError("contains a duplicate")
        return lowered

    @field_validator("reviewed")
    @classmethod
    def _not_in_future(cls, value: dt.date) -> dt.date:
        if value > utc_now().date() + dt.timedelta(days=1):
            raise ValueError("the reviewed date is in the future")
        return value


def cycle_ends(cycle: str) -> dt.date:
    """The day an entry written for ``cycle`` ("Match 2027") goes out of date.

    That is when the next ERAS season opens, early June of the Match year: from then on members ask about the next
    cycle, and figures and dates written for this one (fees, signals, deadlines) may no longer hold.
    """
    return dt.date(int(cycle.split()[-1]), 6, 1)


class KnowledgeEntry(EntryFrontMatter):
    """A loaded entry: its front matter and its Markdown body."""

    def cycle_over(self, today: dt.date) -> bool:
        return self.cycle is not None and today >= cycle_ends(self.cycle)

    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=100, max_length=MAX_BODY_CHARS)]
