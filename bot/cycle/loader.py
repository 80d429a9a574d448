"""Loading ``data/cycles/match-YYYY.yaml``: the official (and reported) dates of one Match cycle per file.

A file looks like this (times are wall-clock times in ``timezone``; leave ``time`` out for a date-only milestone)::

    match_year: 2026
    milestones:
      - kind: rol-deadline
        date: 2026-03-04
        time: "21:00"            # quoted: unquoted 21:00 is a number in YAML 1.1
        timezone: America/New_York
        status: official         # only with a source on nrmp.org, aamc.org or ecfmg.org
        source:
          title: NRMP 2026 Main Residency Match calendar
          url: https://www.nrmp.org/...
        note: Also the late-registration deadline.

Every problem is reported with file, line and field, and all problems of all files are reported together.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bot.cycle.models import Milestone, MilestoneKind, MilestoneStatus, Source, local_to_utc
from bot.cycle.rules import MAX_MATCH_YEAR, MIN_MATCH_YEAR
from bot.cycle.words import KINDS_FILE
from bot.datafiles import DataFileError, DataProblem, YamlDocument, parse_yaml, validate_document
from bot.source_urls import check_source_url

log = logging.getLogger(__name__)

PRIMARY_DOMAINS = ("nrmp.org", "aamc.org", "ecfmg.org")
"""Only pages on these sites (or their subdomains) may back an ``official`` date."""

_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_FILE_RE = re.compile(r"^match-(\d{4})\.yaml$")


def _host_is_primary(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == domain or host.endswith("." + domain) for domain in PRIMARY_DOMAINS)


class SourceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=200)
    url: str

    @field_validator("url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        return check_source_url(value)


class MilestoneEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: MilestoneKind
    date: dt.date
    time: dt.time | None = None
    timezone: str
    status: MilestoneStatus
    source: SourceEntry
    note: str = ""

    @field_validator("kind", mode="before")
    @classmethod
    def _known_kind(cls, value: Any) -> Any:
        known = [kind.value for kind in MilestoneKind]
        if isinstance(value, str) and value not in known:
            close = difflib.get_close_matches(value, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"unknown milestone kind '{value}'{hint} Known kinds: {', '.join(known)}")
        return value

    @field_validator("date", mode="before")
    @classmethod
    def _plain_date(cls, value: Any) -> Any:
        # YAML turns 2026-03-04 into a date and 2026-03-04 21:00 into a datetime; only the former is meant here.
        if isinstance(value, dt.datetime):
            raise ValueError("write only the date (YYYY-MM-DD) here and the time in the 'time' field")
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"'{value}' is not a date in the form YYYY-MM-DD") from None
        raise ValueError("must be a date in the form YYYY-MM-DD")

    @field_validator("time", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, int):
            # PyYAML reads unquoted 21:00 as the base-60 number 1260, which pydantic would take as 00:21.
            raise ValueError('write the time in quotes, e.g. "21:00" (unquoted, YAML reads it as a number)')
        if isinstance(value, str) and (match := _TIME_RE.match(value)):
            return dt.time(int(match.group(1)), int(match.group(2)))
        raise ValueError('must be a 24-hour time in quotes, e.g. "09:00" or "21:00"')

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not an IANA time zone (e.g. America/New_York)") from None
        return value

    @field_validator("source")
    @classmethod
    def _official_needs_primary_source(cls, value: SourceEntry, info: ValidationInfo) -> SourceEntry:
        if info.data.get("status") is MilestoneStatus.OFFICIAL and not _host_is_primary(value.url):
            raise ValueError(
                "an official date needs a page on nrmp.org, aamc.org or ecfmg.org; "
                "cite one or mark the date 'projected'"
            )
        return value


class CycleFileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    match_year: int = Field(ge=MIN_MATCH_YEAR, le=MAX_MATCH_YEAR)
    milestones: list[MilestoneEntry]


@dataclass(frozen=True, slots=True)
class CycleFile:
    """The dated milestones one data file gives for one Match year (official or reported), already in UTC."""

    path: Path
    match_year: int
    milestones: tuple[Milestone, ...]


def cycle_window(match_year: int) -> tuple[dt.date, dt.date]:
    """First and last date a milestone of Match ``match_year`` may fall on: June 1 of Y-2 to July 31 of Y."""
    return dt.date(match_year - 2, 6, 1), dt.date(match_year, 7, 31)


def _build(doc: YamlDocument, model: CycleFileModel) -> CycleFile:
    problems: list[DataProblem] = []
    year = model.match_year
    name_match = _FILE_RE.match(doc.path.name)
    if name_match is None or int(name_match.group(1)) != year:
        problems.append(doc.problem(["match_year"], f"the file for Match {year} must be named match-{year}.yaml"))
    first, last = cycle_window(year)
    seen: dict[MilestoneKind, int] = {}
    milestones: list[Milestone] = []
    for index, entry in enumerate(model.milestones):
        if entry.kind in seen:
            earlier = doc.line_of(["milestones", seen[entry.kind], "kind"])
            problems.append(
                doc.problem(["milestones", index, "kind"], f"'{entry.kind}' is given twice (first on line {earlier})")
            )
            continue
        seen[entry.kind] = index
        if not first <= entry.date <= last:
            problems.append(
                doc.problem(
                    ["milestones", index, "date"],
                    f"{entry.date} is outside the Match {year} cycle ({first} to {last}); wrong match_year or typo?",
                )
            )
            continue
        try:
            at = local_to_utc(entry.date, entry.time, entry.timezone)
        except ValueError as exc:
            problems.append(doc.problem(["milestones", index, "time"], str(exc)))
            continue
        milestones.append(
            Milestone(
                kind=entry.kind,
                match_year=year,
                at=at,
                status=entry.status,
                source=Source(title=entry.source.title, url=entry.source.url),
                note=entry.note.strip(),
                all_day=entry.time is None,
                zone=entry.timezone,
            )
        )
    if problems:
        raise DataFileError(problems)
    return CycleFile(path=doc.path, match_year=year, milestones=tuple(milestones))


def load_cycle_file(path: Path, text: str | None = None) -> CycleFile:
    """Parse and check one cycle file; raises DataFileError naming file, line and field."""
    doc = parse_yaml(path, text)
    model = validate_document(doc, CycleFileModel)
    return _build(doc, model)


def load_cycle_files(paths: Iterable[Path]) -> list[CycleFile]:
    """Load several files, reporting the problems of all of them at once. Sorted by Match year."""
    problems: list[DataProblem] = []
    files: dict[int, CycleFile] = {}
    for path in sorted(paths):
        try:
            loaded = load_cycle_file(path)
        except DataFileError as exc:
            problems.extend(exc.problems)
            continue
        if loaded.match_year in files:
            other = files[loaded.match_year].path
            problems.append(DataProblem(path, None, "match_year", f"Match {loaded.match_year} is also in {other}"))
            continue
        files[loaded.match_year] = loaded
    if problems:
        raise DataFileError(problems)
    return [files[year] for year in sorted(files)]


def load_cycle_dir(directory: Path) -> list[CycleFile]:
    """Load every ``match-YYYY.yaml`` in ``directory`` (normally ``data/cycles``); the words file beside them
    (``milestone-kinds.yaml``) is ``words``' to load."""
    if not directory.is_dir():
        raise DataFileError([DataProblem(directory, None, "", "cycle data directory not found")])
    problems = [
        DataProblem(path, None, "", "cycle files must end in .yaml (this one would be ignored)")
        for path in sorted(directory.glob("*.yml"))
    ]
    files: list[CycleFile] = []
    try:
        files = load_cycle_files(path for path in directory.glob("*.yaml") if path.name != KINDS_FILE)
    except DataFileError as exc:
        problems.extend(exc.problems)
    if problems:
        raise DataFileError(problems)
    log.info("loaded %d cycle file(s) from %s: %s", len(files), directory, [f.match_year for f in files])
    return files
