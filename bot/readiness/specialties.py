"""Step 2 CK context by specialty (``data/readiness/specialties.yaml``): loading, checking, and the score bands.

The figures are NRMP Charting Outcomes means and medians of non-US IMGs for one Match cycle. They are context for
the self-assessment, never a cut-off: a score below them is "below the usual range" for the specialty, never a red
flag (pathway-facts.md, section 10). The data file explains how the bands are derived and why.

The same file holds the Step 2 CK passing-score history (``PassingScore``), which decides whether a score entered
as "passed" can be one: a score below the passing score of its period is questioned, not accepted.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from bot.datafiles import DataFileError, DataProblem, YamlDocument, parse_yaml, validate_document
from bot.db.timestamps import utc_now
from bot.readiness.planning import format_day
from bot.source_urls import check_source_url

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
        return check_source_url(value)


class _Stats(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mean: Score
    median: Score


class _PassMark(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    score: Score
    since: dt.date | None = None


class _PassingScore(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    marks: list[_PassMark] = Field(min_length=1, max_length=6)
    """Newest first; each mark applies to exams from its ``since`` until the next newer one. Only the oldest may
    leave ``since`` out (it then covers every exam before the next mark)."""
    sources: list[_Source] = Field(min_length=1, max_length=4)

    @model_validator(mode="after")
    def _history(self) -> _PassingScore:
        marks = self.marks
        if any(mark.since is None for mark in marks[:-1]):
            raise ValueError("only the oldest (last) mark may leave out 'since'")
        if len(marks) == 1 and marks[0].since is None:
            raise ValueError("the current passing score needs its 'since' date")
        for newer, older in pairwise(marks):
            if older.score >= newer.score:
                raise ValueError("list the marks newest first; each older score must be lower (it has only risen)")
            if older.since is not None and newer.since is not None and older.since >= newer.since:
                raise ValueError("list the marks newest first; each older 'since' must be earlier")
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
    def lower_mean(self) -> int:
        """The lower of the matched and unmatched means: below it a score is below both averages."""
        return min(self.matched.mean, self.unmatched.mean)

    @property
    def ready_from(self) -> int:
        """Scores from this up are at or above the matched non-US IMGs' mean."""
        return self.matched.mean

    def band(self, score: int) -> ScoreBand:
        """Where ``score`` sits against the means. Both bands below the matched mean are "below the usual range"
        for the specialty (needs work, never a red flag); they differ only in the next step suggested."""
        if score >= self.ready_from:
            return ScoreBand.AT_OR_ABOVE_MATCHED
        if score >= self.lower_mean:
            return ScoreBand.BELOW_MATCHED
        return ScoreBand.BELOW_BOTH


@dataclass(frozen=True, slots=True)
class PassMark:
    """One Step 2 CK passing score and the exams it applies to: taken from ``since`` to ``until`` (inclusive)."""

    score: int
    since: dt.date | None
    """None for the oldest mark known: it applies to every exam before ``until``."""
    until: dt.date | None
    """None for the current mark."""

    @property
    def key(self) -> str:
        """A stable answer value for this period (fits a button's custom_id): ``2025-07-01``, ``before-2022-07-01``."""
        if self.since is not None:
            return self.since.isoformat()
        assert self.until is not None
        return f"before-{(self.until + dt.timedelta(days=1)).isoformat()}"

    @property
    def period(self) -> str:
        """``from July 1, 2025``, ``from July 1, 2022 to June 30, 2025``, ``before July 1, 2022``."""
        if self.since is None:
            assert self.until is not None
            return f"before {format_day(self.until + dt.timedelta(days=1))}"
        if self.until is None:
            return f"from {format_day(self.since)}"
        return f"from {format_day(self.since)} to {format_day(self.until)}"


@dataclass(frozen=True)
class PassingScore:
    """The Step 2 CK passing-score history, newest first (218 from July 1, 2025; 214 from July 1, 2022; 209 before)."""

    marks: tuple[PassMark, ...]
    source_url: str

    @property
    def current(self) -> PassMark:
        return self.marks[0]

    @property
    def score(self) -> int:
        return self.current.score

    @property
    def since(self) -> dt.date:
        since = self.current.since
        assert since is not None, "the loader requires a date for the current passing score"
        return since

    @property
    def previous(self) -> int | None:
        return self.marks[1].score if len(self.marks) > 1 else None

    @property
    def lowest(self) -> int:
        return self.marks[-1].score

    def mark(self, key: str) -> PassMark | None:
        return next((m for m in self.marks if m.key == key), None)

    def problem(self, score: int, period: str | None = None) -> str | None:
        """Why ``score`` cannot be a passed Step 2 CK, or None when it can.

        Without ``period`` the score is measured against the lowest passing score of any period (the member is then
        asked when they took the exam if it is below today's); with it, against that period's passing score.
        """
        fix = (
            "Please check the score on your USMLE score report and type it again. If you have not passed Step 2 CK, "
            "go Back and choose “Failed, not passed yet”."
        )
        if period is None:
            if score >= self.lowest:
                return None
            history = ", ".join(f"{m.score} for exams {m.period}" for m in self.marks)
            return f"{score} is below the Step 2 CK passing score ({history}), so it cannot be a pass. {fix}"
        mark = self.mark(period)
        if mark is None:
            return "Please pick one of the options shown."
        if score >= mark.score:
            return None
        return (
            f"{score} is below {mark.score}, the Step 2 CK passing score for exams taken {mark.period}, so it cannot "
            f"be a pass. Check the date and the score on your USMLE score report (Back changes the score). If you "
            "have not passed Step 2 CK, go Back to that question and choose “Failed, not passed yet”."
        )


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


def _passing_score(parsed: _PassingScore) -> PassingScore:
    marks = []
    for index, mark in enumerate(parsed.marks):
        newer = parsed.marks[index - 1] if index else None
        until = newer.since - dt.timedelta(days=1) if newer is not None and newer.since is not None else None
        marks.append(PassMark(score=mark.score, since=mark.since, until=until))
    return PassingScore(marks=tuple(marks), source_url=parsed.sources[0].url)


def load_specialties(path: Path, *, today: dt.date | None = None) -> SpecialtyTable:
    """Read and check the specialty table; raises DataFileError naming file, line and field on any problem."""
    doc = parse_yaml(path)
    parsed = validate_document(doc, _SpecialtiesFile)
    problems = _duplicate_names(doc, parsed)
    today = today or utc_now().date()
    if parsed.reviewed > today + dt.timedelta(days=1):
        problems.append(doc.problem(["reviewed"], "the reviewed date is in the future"))
    for index, mark in enumerate(parsed.passing_score.marks):
        if mark.since is not None and mark.since > today + dt.timedelta(days=1):
            problems.append(doc.problem(["passing_score", "marks", index, "since"], "the date is in the future"))
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
        passing_score=_passing_score(parsed.passing_score),
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
