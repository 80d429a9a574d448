"""Projection rules: the date of every recurring milestone of Match year Y, from the pattern of past cycles.

These rules are the only place the pattern lives. They reproduce every official date we hold:

- Match Day is the third Friday of March at 12:00 ET (Mar 17 2023, Mar 15 2024, Mar 21 2025, Mar 20 2026).
- Match Week starts the Monday before (Match Day - 4 days) at 10:00 ET, when applicants learn whether they
  matched; SOAP's List of Unfilled Programs and applications open the same Monday at 11:00 ET.
- SOAP offer rounds are on the Thursday of Match Week at 9:00, 12:00, 15:00 and 18:00 ET; SOAP ends 21:00 ET.
- The rank order list certification deadline is the Wednesday 16 days before Match Day at 21:00 ET
  (Mar 1 2023, Feb 28 2024, Mar 5 2025, Mar 4 2026). It is also the last day to register late.
- Ranking opens on the first weekday (Mon-Fri) on or after February 1 at 12:00 ET. This is an approximation of
  "early February" that fits all four known openings: Wed Feb 1 2023, Thu Feb 1 2024, Mon Feb 3 2025 (Feb 1 was a
  Saturday) and Mon Feb 2 2026 (Feb 1 was a Sunday). No fixed offset from Match Day fits them (44 to 46 days).
- NRMP applicant registration opens Sept 15 of Y-1 at 12:00 ET.
- The NRMP standard registration deadline is the last Friday of January of Y (Fri Jan 31 2025, Fri Jan 30 2026;
  Fri Jan 29 2027 reported, not Jan 31, a Sunday); a late fee applies after it. No published time was found, so it
  is a date (all day), like residency start.
- The ERAS season opens the first Wednesday of June of Y-1 at 9:00 ET (June 4 2025, June 3 2026); applicants may
  submit from the first Wednesday of September (Sept 3 2025) and programs start reviewing three weeks later
  (Sept 24 2025), both at 9:00 ET. The season ends May 31 of Y at 17:00 ET.
- Interview season runs roughly from Oct 1 of Y-1 to Jan 31 of Y (dates only: programs set their own days).
- Residency starts July 1 of Y (a date: anchored at 00:00 ET, see ``Milestone``).

Everything a rule produces is ``projected`` and cites the pattern page it was drawn from, with one exception:
residency start. July 1 is not a pattern but the NRMP's own standing rule (matched applicants must be able to start
training on July 1 of the Match year, nrmp.org), so it is ``official`` for every Match year alike, and no data file
repeats it. An official date in ``data/cycles/match-Y.yaml`` replaces a projection (see ``calendar``). Kinds with no
pattern (the ERAS token release, the ECFMG Pathways window) exist only when a data file gives them.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta

from bot.cycle.models import NRMP_ZONE, Milestone, MilestoneKind, MilestoneStatus, Source, local_to_utc

log = logging.getLogger(__name__)

MIN_MATCH_YEAR = 2000
MAX_MATCH_YEAR = 2200
"""Projections are refused outside this range: the pattern is recent, and nothing sensible lies beyond it."""

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)

AAMC_ERAS_TIMELINE = Source(
    title="AAMC ERAS timeline (pattern of past seasons)",
    url="https://students-residents.aamc.org/applying-residencies-eras/publication-chapters/eras-timeline",
)
NRMP_REGISTRATION = Source(
    title="NRMP IMG Welcome Newsletter: registration opens Sept 15 at 12 p.m. ET (pattern)",
    url="https://www.nrmp.org/search/R+program/?category_name=eligibility-requirements",
)
NRMP_REGISTRATION_DEADLINE = Source(
    title="NRMP Main Residency Match registration (standard deadline: pattern of past cycles)",
    url="https://www.nrmp.org/search/R+program/page/6/?category_name=registration",
)
NRMP_RANKING = Source(
    title="NRMP February 2024 Illuminator: ranking and ROL deadline (pattern of past cycles)",
    url="https://www.nrmp.org/about/news/2024/02/february-2024-illuminator/",
)
NRMP_MATCH_WEEK = Source(
    title="NRMP Match Week (pattern of past cycles)",
    url="https://www.nrmp.org/medical-schools/match-week-for-schools/",
)
NRMP_SOAP = Source(
    title="NRMP SOAP: Match Week schedule (pattern of past cycles)",
    url="https://www.nrmp.org/residency-applicants/soap/",
)
NRMP_INTERVIEWS = Source(
    title="NRMP Match Week 2026 release: interviews run through fall and early winter",
    url=(
        "https://www.prnewswire.com/news-releases/"
        "nrmp-anticipates-exciting-2026-match-week-as-residency-applicants-and-programs-prepare-for-match-day-302708601.html"
    ),
)
NRMP_RESIDENCY_START = Source(
    title="NRMP: applicants must be able to start training on July 1 of the Match year",
    url="https://www.nrmp.org/residency/us-allopathic-senior/",
)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) ``weekday`` (Monday=0) of a month, e.g. the third Friday of March."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def last_weekday(year: int, month: int, weekday: int) -> date:
    """The last ``weekday`` (Monday=0) of a month, e.g. the last Friday of January."""
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def first_weekday_on_or_after(day: date) -> date:
    """``day`` itself if it is Monday-Friday, else the following Monday."""
    return day + timedelta(days=7 - day.weekday() if day.weekday() >= SATURDAY else 0)


def match_day(match_year: int) -> date:
    """Match Day of Match ``match_year``: the third Friday of March."""
    return nth_weekday(match_year, 3, FRIDAY, 3)


def eras_submission_day(match_year: int) -> date:
    """First Wednesday of September of the year before the Match."""
    return nth_weekday(match_year - 1, 9, WEDNESDAY, 1)


@dataclass(frozen=True, slots=True)
class _Rule:
    day: Callable[[int], date]
    at: time | None
    source: Source
    note: str
    status: MilestoneStatus = MilestoneStatus.PROJECTED
    """``official`` only for a date a primary source states for every year (residency start on July 1)."""


def _match_week(offset_days: int) -> Callable[[int], date]:
    return lambda year: match_day(year) + timedelta(days=offset_days)


_ERAS_NOTE = "Based on past ERAS seasons; check the AAMC ERAS timeline for the official date."
_NRMP_NOTE = "Based on past Match cycles; check the NRMP Match calendar for the official date."
_SOAP_NOTE = (
    "Based on the SOAP schedule used since 2023 (four offer rounds on Thursday); check the NRMP Match Week "
    "schedule for the official times."
)

RULES: Mapping[MilestoneKind, _Rule] = {
    MilestoneKind.ERAS_SEASON_OPENS: _Rule(
        day=lambda year: nth_weekday(year - 1, 6, WEDNESDAY, 1),
        at=time(9, 0),
        source=AAMC_ERAS_TIMELINE,
        note=_ERAS_NOTE,
    ),
    MilestoneKind.ERAS_SUBMISSION_OPENS: _Rule(
        day=eras_submission_day,
        at=time(9, 0),
        source=AAMC_ERAS_TIMELINE,
        note=_ERAS_NOTE,
    ),
    MilestoneKind.NRMP_REGISTRATION_OPENS: _Rule(
        day=lambda year: date(year - 1, 9, 15),
        at=time(12, 0),
        source=NRMP_REGISTRATION,
        note=_NRMP_NOTE,
    ),
    MilestoneKind.ERAS_PROGRAM_REVIEW: _Rule(
        day=lambda year: eras_submission_day(year) + timedelta(weeks=3),
        at=time(9, 0),
        source=AAMC_ERAS_TIMELINE,
        note=_ERAS_NOTE,
    ),
    MilestoneKind.INTERVIEW_SEASON_BEGINS: _Rule(
        day=lambda year: date(year - 1, 10, 1),
        at=None,
        source=NRMP_INTERVIEWS,
        note="Approximate: interviews run roughly October to January, and each program sets its own dates.",
    ),
    MilestoneKind.NRMP_REGISTRATION_DEADLINE: _Rule(
        day=lambda year: last_weekday(year, 1, FRIDAY),
        at=None,
        source=NRMP_REGISTRATION_DEADLINE,
        note=(
            "The standard deadline has been the last Friday of January (January 31, 2025; January 30, 2026). After "
            "it you can still register, with a late fee, until the rank order list deadline. " + _NRMP_NOTE
        ),
    ),
    MilestoneKind.INTERVIEW_SEASON_ENDS: _Rule(
        day=lambda year: date(year, 1, 31),
        at=None,
        source=NRMP_INTERVIEWS,
        note="Approximate: interviews run roughly October to January, and each program sets its own dates.",
    ),
    MilestoneKind.RANKING_OPENS: _Rule(
        day=lambda year: first_weekday_on_or_after(date(year, 2, 1)),
        at=time(12, 0),
        source=NRMP_RANKING,
        note="Ranking has opened in early February (the first weekday on or after Feb 1). " + _NRMP_NOTE,
    ),
    MilestoneKind.ROL_DEADLINE: _Rule(
        day=_match_week(-16),
        at=time(21, 0),
        source=NRMP_RANKING,
        note="The deadline has been the Wednesday 16 days before Match Day, 9 p.m. ET. " + _NRMP_NOTE,
    ),
    MilestoneKind.MATCH_WEEK: _Rule(day=_match_week(-4), at=time(10, 0), source=NRMP_MATCH_WEEK, note=_NRMP_NOTE),
    MilestoneKind.SOAP_OPENS: _Rule(day=_match_week(-4), at=time(11, 0), source=NRMP_SOAP, note=_SOAP_NOTE),
    MilestoneKind.SOAP_ROUND_1: _Rule(day=_match_week(-1), at=time(9, 0), source=NRMP_SOAP, note=_SOAP_NOTE),
    MilestoneKind.SOAP_ROUND_2: _Rule(day=_match_week(-1), at=time(12, 0), source=NRMP_SOAP, note=_SOAP_NOTE),
    MilestoneKind.SOAP_ROUND_3: _Rule(day=_match_week(-1), at=time(15, 0), source=NRMP_SOAP, note=_SOAP_NOTE),
    MilestoneKind.SOAP_ROUND_4: _Rule(day=_match_week(-1), at=time(18, 0), source=NRMP_SOAP, note=_SOAP_NOTE),
    MilestoneKind.SOAP_ENDS: _Rule(day=_match_week(-1), at=time(21, 0), source=NRMP_SOAP, note=_SOAP_NOTE),
    MilestoneKind.MATCH_DAY: _Rule(
        day=match_day,
        at=time(12, 0),
        source=NRMP_MATCH_WEEK,
        note="Match Day has been the third Friday of March, results at 12 p.m. ET. " + _NRMP_NOTE,
    ),
    MilestoneKind.ERAS_SEASON_ENDS: _Rule(
        day=lambda year: date(year, 5, 31),
        at=time(17, 0),
        source=AAMC_ERAS_TIMELINE,
        note=_ERAS_NOTE,
    ),
    MilestoneKind.RESIDENCY_START: _Rule(
        day=lambda year: date(year, 7, 1),
        at=None,
        source=NRMP_RESIDENCY_START,
        note="Training starts on July 1 of the Match year (an NRMP rule). Ask your program when orientation begins.",
        status=MilestoneStatus.OFFICIAL,
    ),
}

PROJECTED_KINDS: frozenset[MilestoneKind] = frozenset(RULES)
"""Kinds the rules give a date for (projected, or official for residency start); the others (ERAS token, Pathways
window) come only from data files."""


def _check_year(match_year: int) -> None:
    if not MIN_MATCH_YEAR <= match_year <= MAX_MATCH_YEAR:
        raise ValueError(f"Match year {match_year} is outside {MIN_MATCH_YEAR}-{MAX_MATCH_YEAR}")


def project(match_year: int, kind: MilestoneKind) -> Milestone | None:
    """The milestone ``kind`` of Match ``match_year`` as the rules give it (projected, except residency start), or
    None for kinds that have no pattern."""
    _check_year(match_year)
    rule = RULES.get(kind)
    if rule is None:
        return None
    return Milestone(
        kind=kind,
        match_year=match_year,
        at=local_to_utc(rule.day(match_year), rule.at, NRMP_ZONE),
        status=rule.status,
        source=rule.source,
        note=rule.note,
        all_day=rule.at is None,
        zone=NRMP_ZONE,
    )


def project_cycle(match_year: int) -> list[Milestone]:
    """Every projectable milestone of Match ``match_year``, in chronological order."""
    _check_year(match_year)
    milestones = [m for kind in RULES if (m := project(match_year, kind)) is not None]
    return sorted(milestones, key=lambda m: (m.at, m.kind.order))
