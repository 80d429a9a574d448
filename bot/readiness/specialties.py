"""Step 2 CK context by specialty (``data/readiness/specialties.yaml``): loading, checking, and the score bands.

The figures are NRMP Charting Outcomes means and medians of non-US IMGs for one Match cycle. They are context for
the self-assessment, never a cut-off; the data file explains how the bands are derived and why.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from bot.datafiles import DataFileError, DataProblem, YamlDocument, parse_yaml, validate_document

log = logging.getLogger(__name__)

SPECIALTIES_FILE = Path("readiness") / "specialties.yaml"
"""Where the file lives under the data directory."""

# The assessment offers every specialty plus "other" and "not decided" in one select menu of at most 25 options.
MAX_SPECIALTIES = 23
RESERVED_IDS = frozenset({"other", "undecided"})

# The three-digit USMLE scale runs to 300; nothing below the old 194 Step 1 pass mark belongs in an average table.
Score = Annotated[int, Field(ge=150, le=300)]
SpecialtyId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=40)]


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]
    url: str

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or any(ch.isspace() for ch in value):
            raise ValueError("must be a full https:// address")
        return value


class _Stats(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mean: Score
    median: Score


class _PassingScore(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    score: Score
    since: dt.date
    previous: Score
    sources: list[_Source] = Field(min_length=1, max_length=4)

    @model_validator(mode="after")
    def _raised(self) -> _PassingScore:
        if self.previous >= self.score:
            raise ValueError("previous must be lower than score (the passing score has only been raised)")
        return self


class _Specialty(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: SpecialtyId
    # Shown as a select option label (at most 100 characters on Discord), with room for a suffix.
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=60)]
    aliases: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=12
    )
    matched: _Stats
    unmatched: _Stats
    match_rate: float = Field(ge=0, le=100)
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_IDS:
            raise ValueError(f"'{value}' is reserved for the assessment's own answers; choose another id")
        return value

    @field_validator("aliases", mode="before")
    @classmethod
    def _numbers_are_words(cls, values: object) -> object:
        if isinstance(values, list):
            return [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in values]
        return values

    @field_validator("aliases")
    @classmethod
    def _lowercase(cls, values: list[str]) -> list[str]:
        return [v.lower() for v in values]


class _SpecialtiesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cycle: Annotated[str, StringConstraints(pattern=r"^Match (19|20)\d{2}$")]
    applicants: Literal["non-US IMGs"]
    reviewed: dt.date
    source: _Source
    passing_score: _PassingScore
    specialties: list[_Specialty] = Field(min_length=1, max_length=MAX_SPECIALTIES)


class ScoreBand(StrEnum):
    """Where a Step 2 CK score sits against a specialty's Charting Outcomes means."""

    AT_OR_ABOVE_MATCHED = "at-or-above-matched"
    BELOW_MATCHED = "below-matched"
    BELOW_BOTH = "below-both"


@dataclass(frozen=True, slots=True)
class ScoreStats:
    mean: int
    median: int


@dataclass(frozen=True, slots=True)
class Specialty:
    id: str
    name: str
    aliases: tuple[str, ...]
    matched: ScoreStats
    unmatched: ScoreStats
    match_rate: float
    note: str = ""

    @property
    def red_flag_below(self) -> int:
        """Scores below this are "below the usual range": the lower of the matched and unmatched means."""
        return min(self.matched.mean, self.unmatched.mean)

    @property
    def ready_from(self) -> int:
        """Scores from this up are at or above the matched non-US IMGs' mean."""
        return self.matched.mean

    def band(self, score: int) -> ScoreBand:
        if score >= self.ready_from:
            return ScoreBand.AT_OR_ABOVE_MATCHED
        if score >= self.red_flag_below:
            return ScoreBand.BELOW_MATCHED
        return ScoreBand.BELOW_BOTH


@dataclass(frozen=True, slots=True)
class PassingScore:
    score: int
    since: dt.date
    previous: int
    source_url: str


@dataclass(frozen=True)
class SpecialtyTable:
    """Every specialty of the data file, in file order, with the cycle and source the figures belong to."""

    cycle: str
    applicants: str
    reviewed: dt.date
    source_title: str
    source_url: str
    passing_score: PassingScore
    specialties: tuple[Specialty, ...]
    _lookup: dict[str, Specialty] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, Specialty] = {}
        for specialty in self.specialties:
            for key in (specialty.id, _normal(specialty.name), *(_normal(a) for a in specialty.aliases)):
                lookup.setdefault(key, specialty)
        object.__setattr__(self, "_lookup", lookup)

    def __iter__(self) -> Iterator[Specialty]:
        return iter(self.specialties)

    def __len__(self) -> int:
        return len(self.specialties)

    def __contains__(self, specialty_id: object) -> bool:
        return any(s.id == specialty_id for s in self.specialties)

    def get(self, specialty_id: str) -> Specialty | None:
        return next((s for s in self.specialties if s.id == specialty_id), None)

    def find(self, text: str) -> Specialty | None:
        """Resolve an id, a name or an alias as a user might type it ("IM", "peds", "ob gyn")."""
        return self._lookup.get(text.strip().lower()) or self._lookup.get(_normal(text))

    @property
    def matched_mean_range(self) -> tuple[int, int]:
        """The lowest and highest matched mean across specialties, for "scores differ by specialty" context."""
        means = [s.matched.mean for s in self.specialties]
        return min(means), max(means)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _duplicate_names(doc: YamlDocument, parsed: _SpecialtiesFile) -> list[DataProblem]:
    """Ids, names and aliases must each point to one specialty, or "peds" could mean two things."""
    problems: list[DataProblem] = []
    owner: dict[str, tuple[int, str]] = {}
    for index, specialty in enumerate(parsed.specialties):
        here: list[int | str] = ["specialties", index]
        names: list[tuple[list[int | str], str]] = [
            ([*here, "id"], specialty.id),
            ([*here, "name"], _normal(specialty.name)),
        ]
        names.extend(([*here, "aliases", n], _normal(a)) for n, a in enumerate(specialty.aliases))
        own: set[str] = set()
        for loc, key in names:
            if not key:
                problems.append(doc.problem(loc, "must contain letters or digits"))
                continue
            if key in own:
                if "aliases" in loc:
                    problems.append(doc.problem(loc, f"'{key}' repeats this specialty's own id, name or alias"))
                continue
            own.add(key)
            earlier = owner.get(key)
            if earlier is not None:
                problems.append(doc.problem(loc, f"'{key}' is already used by specialty '{earlier[1]}'"))
            else:
                owner[key] = (index, specialty.id)
    return problems


def load_specialties(path: Path, *, today: dt.date | None = None) -> SpecialtyTable:
    """Read and check the specialty table; raises DataFileError naming file, line and field on any problem."""
    doc = parse_yaml(path)
    parsed = validate_document(doc, _SpecialtiesFile)
    problems = _duplicate_names(doc, parsed)
    today = today or dt.datetime.now(dt.UTC).date()
    if parsed.reviewed > today + dt.timedelta(days=1):
        problems.append(doc.problem(["reviewed"], "the reviewed date is in the future"))
    if parsed.passing_score.since > today + dt.timedelta(days=1):
        problems.append(doc.problem(["passing_score", "since"], "the date is in the future"))
    cycle_year = int(parsed.cycle.split()[1])
    if parsed.reviewed.year < cycle_year - 1:
        problems.append(doc.problem(["reviewed"], f"reviewed before the {parsed.cycle} cycle began; check the date"))
    if problems:
        raise DataFileError(problems)
    table = SpecialtyTable(
        cycle=parsed.cycle,
        applicants=parsed.applicants,
        reviewed=parsed.reviewed,
        source_title=parsed.source.title,
        source_url=parsed.source.url,
        passing_score=PassingScore(
            score=parsed.passing_score.score,
            since=parsed.passing_score.since,
            previous=parsed.passing_score.previous,
            source_url=parsed.passing_score.sources[0].url,
        ),
        specialties=tuple(
            Specialty(
                id=s.id,
                name=s.name,
                aliases=tuple(s.aliases),
                matched=ScoreStats(s.matched.mean, s.matched.median),
                unmatched=ScoreStats(s.unmatched.mean, s.unmatched.median),
                match_rate=s.match_rate,
                note=s.note,
            )
            for s in parsed.specialties
        ),
    )
    log.info("loaded %d specialties (%s) from %s", len(table), table.cycle, path)
    return table


def load_specialties_from_data_dir(data_dir: Path, *, today: dt.date | None = None) -> SpecialtyTable:
    """``load_specialties(data_dir / "readiness/specialties.yaml")``; a missing file is a DataFileError too."""
    path = data_dir / SPECIALTIES_FILE
    if not path.is_file():
        raise DataFileError([DataProblem(path, None, "", "specialty score file not found")])
    return load_specialties(path, today=today)
