"""CycleCalendar: shipped data, official dates overriding projections, "which cycle is now", upcoming, the loader."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cycle.calendar import CycleCalendar
from bot.cycle.loader import load_cycle_dir, load_cycle_file
from bot.cycle.models import KIND_INFO, MilestoneKind, MilestoneStatus
from bot.cycle.words import KINDS_FILE, load_milestone_words
from bot.datafiles import DataFileError
from tests.conftest import REPO_ROOT

K = MilestoneKind
DATA_DIR = REPO_ROOT / "data" / "cycles"
ET = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def shipped() -> CycleCalendar:
    return CycleCalendar.from_directory(DATA_DIR)


def calendar_of(directory: Path) -> CycleCalendar:
    """The cycle files written to ``directory``, worded by the shipped words file."""
    return CycleCalendar(load_cycle_dir(directory), load_milestone_words(DATA_DIR / KINDS_FILE))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def write(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


NRMP_URL = "https://www.nrmp.org/match-calendar/"


def one_milestone(year: int, kind: str, day: str, at: str, url: str = NRMP_URL) -> str:
    """A cycle file with one official, timed milestone in US Eastern time."""
    return (
        f"match_year: {year}\n"
        "milestones:\n"
        f"  - kind: {kind}\n"
        f"    date: {day}\n"
        f'    time: "{at}"\n'
        "    timezone: America/New_York\n"
        "    status: official\n"
        "    source:\n"
        "      title: Official calendar\n"
        f"      url: {url}\n"
    )


# --- shipped data ---------------------------------------------------------------------------------------------


def test_shipped_files_load_and_agree_with_the_rules(shipped: CycleCalendar) -> None:
    assert shipped.years_with_data == (2026, 2027)
    # Every date published for Match 2026 is exactly what the rules project: the rules reproduce the facts.
    assert shipped.differences_from_rules() == []


def test_match_2026_official_dates(shipped: CycleCalendar) -> None:
    expected = {
        K.ERAS_SEASON_OPENS: datetime(2025, 6, 4, 9, 0, tzinfo=ET),
        K.ERAS_SUBMISSION_OPENS: datetime(2025, 9, 3, 9, 0, tzinfo=ET),
        K.NRMP_REGISTRATION_OPENS: datetime(2025, 9, 15, 12, 0, tzinfo=ET),
        K.ERAS_PROGRAM_REVIEW: datetime(2025, 9, 24, 9, 0, tzinfo=ET),
        K.MATCH_WEEK: datetime(2026, 3, 16, 10, 0, tzinfo=ET),
        K.MATCH_DAY: datetime(2026, 3, 20, 12, 0, tzinfo=ET),
        K.ERAS_SEASON_ENDS: datetime(2026, 5, 31, 17, 0, tzinfo=ET),
    }
    for kind, at in expected.items():
        milestone = shipped.get(2026, kind)
        assert milestone is not None
        assert (milestone.at, milestone.status) == (at, MilestoneStatus.OFFICIAL), kind
        assert milestone.source.url.startswith(
            ("https://students-residents.aamc.org/", "https://www.nrmp.org/", "https://nrmp.org/")
        )
    pathways = shipped.get(2026, K.PATHWAYS_OPENS)
    assert pathways is not None and pathways.all_day and pathways.local_date == date(2025, 8, 19)
    # No primary source for these, so they stay projected even though the rule gives the reported dates.
    rol = shipped.get(2026, K.ROL_DEADLINE)
    assert rol is not None and rol.status is MilestoneStatus.PROJECTED
    assert rol.local_at == datetime(2026, 3, 4, 21, 0, tzinfo=ET)


def test_match_2027_is_projected_except_the_nrmp_july_1_rule(shipped: CycleCalendar) -> None:
    cycle = shipped.cycle(2027)
    assert cycle and all(m.status is MilestoneStatus.PROJECTED for m in cycle if m.kind is not K.RESIDENCY_START)
    assert shipped.get(2027, K.ERAS_TOKEN_AVAILABLE) is None
    assert shipped.get(2027, K.PATHWAYS_DEADLINE) is None
    # Reported by secondary sources only (pathway-facts.md section 10): projected, by the last-Friday rule.
    deadline = shipped.get(2027, K.NRMP_REGISTRATION_DEADLINE)
    assert deadline is not None and deadline.status is MilestoneStatus.PROJECTED
    assert deadline.all_day and deadline.local_date == date(2027, 1, 29)


def test_residency_start_reads_the_same_in_every_cycle(shipped: CycleCalendar) -> None:
    # July 1 is the NRMP's standing rule: one representation (official, all day, same source and note) for a
    # cycle with a data file (2026, 2027) and one without (2028).
    starts = [shipped.get(year, K.RESIDENCY_START) for year in (2026, 2027, 2028)]
    assert all(m is not None for m in starts)
    for year, start in zip((2026, 2027, 2028), starts, strict=True):
        assert start is not None
        assert start.status is MilestoneStatus.OFFICIAL and start.all_day
        assert start.local_date == date(year, 7, 1) and start.local_at.hour == 0
        assert start.source.url == "https://www.nrmp.org/residency/us-allopathic-senior/"
    assert len({(m.source, m.note, m.zone) for m in starts if m is not None}) == 1


def test_registration_deadline_is_official_only_when_a_data_file_says_so(tmp_path: Path) -> None:
    write(
        tmp_path,
        "match-2028.yaml",
        """\
        match_year: 2028
        milestones:
          - kind: nrmp-registration-deadline
            date: 2028-01-28
            timezone: America/New_York
            status: official
            source:
              title: NRMP 2028 Main Residency Match calendar
              url: https://www.nrmp.org/match-calendar/
        """,
    )
    calendar = calendar_of(tmp_path)
    deadline = calendar.get(2028, K.NRMP_REGISTRATION_DEADLINE)
    assert deadline is not None and deadline.status is MilestoneStatus.OFFICIAL
    assert calendar.differences_from_rules() == []  # the last Friday of January 2028


def test_kind_metadata_is_complete(shipped: CycleCalendar) -> None:
    assert set(KIND_INFO) == set(MilestoneKind) == set(shipped.words)
    for kind, info in KIND_INFO.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", kind.value)
        assert 2 <= len(shipped.words[kind].checklist) <= 4, kind
        assert all(item.endswith(".") and len(item) <= 120 for item in shipped.words[kind].checklist), kind
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", info.kb_entry), kind
        assert info.reminder_offsets and all(offset >= timedelta(0) for offset in info.reminder_offsets), kind
        assert timedelta(0) in info.reminder_offsets, kind  # every milestone is announced when it happens
    assert KIND_INFO[K.ROL_DEADLINE].kb_entry == "rol-deadline"
    assert timedelta(days=7) in KIND_INFO[K.ROL_DEADLINE].reminder_offsets


def test_every_kind_links_to_a_knowledge_entry_that_exists() -> None:
    knowledge = DATA_DIR.parent / "knowledge"
    entries = {path.stem for path in knowledge.glob("*.md")}
    if not entries:
        pytest.skip("the knowledge base (data/knowledge/*.md) has not been written yet")
    missing = {kind.value: info.kb_entry for kind, info in KIND_INFO.items() if info.kb_entry not in entries}
    assert missing == {}


# --- official overrides projected -------------------------------------------------------------------------------


def test_official_date_overrides_projection(tmp_path: Path) -> None:
    write(tmp_path, "match-2028.yaml", one_milestone(2028, "rol-deadline", "2028-02-29", "21:00"))
    calendar = calendar_of(tmp_path)
    rol = calendar.get(2028, K.ROL_DEADLINE)
    assert rol is not None
    assert rol.status is MilestoneStatus.OFFICIAL
    assert rol.at == datetime(2028, 3, 1, 2, 0, tzinfo=UTC)
    assert rol.source.url == NRMP_URL
    cycle = calendar.cycle(2028)
    assert [m.kind for m in cycle].count(K.ROL_DEADLINE) == 1
    assert all(
        m.status is MilestoneStatus.PROJECTED for m in cycle if m.kind not in (K.ROL_DEADLINE, K.RESIDENCY_START)
    )
    [(given_rol, projected_rol)] = calendar.differences_from_rules()
    assert given_rol == rol and projected_rol.local_at.date() == date(2028, 3, 1)
    assert given_rol.title == projected_rol.title == rol.title  # both worded, like every milestone the calendar gives


def test_reported_projected_date_from_a_file_overrides_the_rule(tmp_path: Path) -> None:
    write(
        tmp_path,
        "match-2028.yaml",
        """
        match_year: 2028
        milestones:
          - kind: match-day
            date: 2028-03-24
            time: "12:00"
            timezone: America/New_York
            status: projected
            source:
              title: A residency blog
              url: https://example.com/match-2028
            note: Reported by a blog; not on nrmp.org yet.
        """,
    )
    calendar = calendar_of(tmp_path)
    match_day = calendar.get(2028, K.MATCH_DAY)
    assert match_day is not None and match_day.is_projected
    assert match_day.local_date == date(2028, 3, 24)
    assert match_day.note == "Reported by a blog; not on nrmp.org yet."


def test_official_time_before_dst_converts_with_the_winter_offset(tmp_path: Path) -> None:
    # A hypothetical early Match Week in EST: 10:00 ET must become 15:00 UTC, not 14:00.
    write(tmp_path, "match-2030.yaml", one_milestone(2030, "match-week", "2030-03-04", "10:00"))
    match_week = calendar_of(tmp_path).get(2030, K.MATCH_WEEK)
    assert match_week is not None and match_week.at == datetime(2030, 3, 4, 15, 0, tzinfo=UTC)


def test_cycle_is_sorted_and_has_each_kind_once(shipped: CycleCalendar) -> None:
    for year in (2026, 2027, 2028):
        cycle = shipped.cycle(year)
        assert cycle == sorted(cycle, key=lambda m: (m.at, m.kind.order))
        assert len({m.kind for m in cycle}) == len(cycle)
        assert all(m.at.tzinfo is UTC for m in cycle)


# --- which cycle is now --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "current", "active"),
    [
        ("2026-11-22T12:00:00", 2027, [2027]),  # interview season of Match 2027
        ("2027-03-20T12:00:00", 2027, [2027]),  # the day after Match Day 2027
        ("2027-06-10T12:00:00", 2028, [2027, 2028]),  # ERAS 2028 opened June 2; residency start 2027 ahead
        ("2027-07-02T12:00:00", 2028, [2028]),  # Match 2027 is over
        ("2027-06-02T12:59:59", 2027, [2027]),  # one second before ERAS 2028 opens (9:00 EDT)
        ("2027-06-02T13:00:00", 2028, [2027, 2028]),
    ],
)
def test_current_and_active_match_years(shipped: CycleCalendar, now: str, current: int, active: list[int]) -> None:
    assert shipped.current_match_year(utc(now)) == current
    assert shipped.active_match_years(utc(now)) == active


def test_official_season_opening_moves_the_cycle_boundary(tmp_path: Path) -> None:
    aamc = "https://students-residents.aamc.org/eras-timeline"
    write(tmp_path, "match-2029.yaml", one_milestone(2029, "eras-season-opens", "2028-06-14", "09:00", aamc))
    calendar = calendar_of(tmp_path)
    assert calendar.current_match_year(utc("2028-06-10T00:00:00")) == 2028  # the rule alone would say 2029
    assert calendar.current_match_year(utc("2028-06-14T13:00:00")) == 2029


def test_naive_now_is_refused(shipped: CycleCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        shipped.current_match_year(datetime(2026, 11, 22))  # noqa: DTZ001 (naive on purpose)
    with pytest.raises(ValueError, match="timezone-aware"):
        shipped.upcoming(datetime(2026, 11, 22))  # noqa: DTZ001 (naive on purpose)


# --- upcoming, between, reminders -----------------------------------------------------------------------------


def test_upcoming_in_interview_season(shipped: CycleCalendar) -> None:
    upcoming = shipped.upcoming(utc("2026-11-22T12:00:00"), count=5)
    assert [m.uid for m in upcoming] == [
        "nrmp-registration-deadline-2027",
        "interview-season-ends-2027",
        "ranking-opens-2027",
        "rol-deadline-2027",
        "match-week-2027",
    ]
    # An all-day deadline stays upcoming until its day starts in New York (Fri Jan 29, 2027, 00:00 EST).
    assert shipped.upcoming(utc("2027-01-29T04:59:00"), count=1)[0].uid == "nrmp-registration-deadline-2027"
    assert shipped.upcoming(utc("2027-01-29T05:01:00"), count=1)[0].uid == "interview-season-ends-2027"


def test_upcoming_merges_overlapping_cycles(shipped: CycleCalendar) -> None:
    upcoming = shipped.upcoming(utc("2027-06-10T12:00:00"), count=3)
    assert [m.uid for m in upcoming] == [
        "residency-start-2027",
        "eras-submission-opens-2028",
        "nrmp-registration-opens-2028",
    ]


def test_upcoming_filters_by_kind_across_years(shipped: CycleCalendar) -> None:
    rols = shipped.upcoming(utc("2026-11-22T12:00:00"), count=3, kinds={K.ROL_DEADLINE})
    assert [m.uid for m in rols] == ["rol-deadline-2027", "rol-deadline-2028", "rol-deadline-2029"]
    # Kinds with no rule exist only in data files; asking for them must end, not scan every year.
    assert shipped.upcoming(utc("2026-11-22T12:00:00"), count=3, kinds={K.ERAS_TOKEN_AVAILABLE}) == []
    assert shipped.upcoming(utc("2026-11-22T12:00:00"), count=0) == []


def test_a_milestone_is_upcoming_until_its_instant(shipped: CycleCalendar) -> None:
    rol = shipped.get(2027, K.ROL_DEADLINE)
    assert rol is not None
    assert shipped.upcoming(rol.at, count=1) == [rol]
    assert shipped.upcoming(rol.at + timedelta(seconds=1), count=1)[0].kind is K.MATCH_WEEK


# Hypothesis takes naive bounds (timezones= makes the values aware).
nows = st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2095, 12, 31), timezones=st.just(UTC))  # noqa: DTZ001


@settings(deadline=None, max_examples=60)
@given(now=nows, count=st.integers(min_value=1, max_value=40))
def test_upcoming_skips_nothing(shipped: CycleCalendar, now: datetime, count: int) -> None:
    everything = sorted(
        (m for year in range(now.year - 1, now.year + 6) for m in shipped.cycle(year) if m.at >= now),
        key=lambda m: (m.at, m.kind.order, m.match_year),
    )
    assert shipped.upcoming(now, count=count) == everything[:count]


def test_between_and_reminders(shipped: CycleCalendar) -> None:
    rol = shipped.get(2027, K.ROL_DEADLINE)
    assert rol is not None
    window = shipped.between(utc("2027-03-01T00:00:00"), utc("2027-03-16T00:00:00"))
    assert [m.kind for m in window] == [K.ROL_DEADLINE, K.MATCH_WEEK, K.SOAP_OPENS]
    reminders = [
        r
        for r in shipped.reminders_between(utc("2027-02-20T00:00:00"), utc("2027-03-05T00:00:00"))
        if r.milestone == rol
    ]
    assert [r.fire_at for r in reminders] == [
        rol.at - timedelta(days=7),
        rol.at - timedelta(days=1),
        rol.at - timedelta(hours=3),
        rol.at,
    ]
    assert [r.key for r in reminders] == [
        "rol-deadline-2027:7d:20270304T0200Z",
        "rol-deadline-2027:1d:20270304T0200Z",
        "rol-deadline-2027:3h:20270304T0200Z",
        "rol-deadline-2027:0:20270304T0200Z",
    ]


def test_the_same_shipped_calendar_gives_equal_results_each_time(shipped: CycleCalendar) -> None:
    assert shipped.cycle(2027) == CycleCalendar.from_directory(DATA_DIR).cycle(2027)
    assert shipped.cycle(2027) is not shipped.cycle(2027)  # callers get their own list


# --- loader errors: file, line and field ---------------------------------------------------------------------

VALID_ENTRY = one_milestone(2028, "match-day", "2028-03-17", "12:00")


def problems_of(path: Path) -> list[tuple[int | None, str, str]]:
    with pytest.raises(DataFileError) as info:
        load_cycle_file(path)
    for problem in info.value.problems:
        assert problem.path == path
    return [(p.line, p.field, p.message) for p in info.value.problems]


def test_valid_file_loads(tmp_path: Path) -> None:
    loaded = load_cycle_file(write(tmp_path, "match-2028.yaml", VALID_ENTRY))
    assert loaded.match_year == 2028 and [m.kind for m in loaded.milestones] == [K.MATCH_DAY]


def test_unknown_kind_names_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "match-2028.yaml", VALID_ENTRY.replace("kind: match-day", "kind: match-dya"))
    [(line, field, message)] = problems_of(path)
    assert (line, field) == (3, "milestones[0].kind")
    assert "unknown milestone kind 'match-dya'" in message and "did you mean 'match-day'" in message


def test_bad_zone(tmp_path: Path) -> None:
    path = write(tmp_path, "match-2028.yaml", VALID_ENTRY.replace("America/New_York", "US/Eastern Time"))
    [(line, field, message)] = problems_of(path)
    assert (line, field) == (6, "milestones[0].timezone")
    assert "IANA" in message


def test_date_outside_the_cycle_window(tmp_path: Path) -> None:
    path = write(tmp_path, "match-2028.yaml", VALID_ENTRY.replace("date: 2028-03-17", "date: 2028-08-01"))
    [(line, field, message)] = problems_of(path)
    assert (line, field) == (4, "milestones[0].date")
    assert "outside the Match 2028 cycle (2026-06-01 to 2028-07-31)" in message


def test_duplicate_kind_points_at_both_lines(tmp_path: Path) -> None:
    body = VALID_ENTRY + VALID_ENTRY.split("milestones:\n", 1)[1]
    [(line, field, message)] = problems_of(write(tmp_path, "match-2028.yaml", body))
    assert (line, field) == (11, "milestones[1].kind")
    assert "given twice (first on line 3)" in message


def test_missing_source(tmp_path: Path) -> None:
    body = VALID_ENTRY.split("    source:")[0]
    [(line, field, message)] = problems_of(write(tmp_path, "match-2028.yaml", body))
    assert (line, field, message) == (3, "milestones[0].source", "Field required")


def test_official_needs_a_primary_source(tmp_path: Path) -> None:
    body = VALID_ENTRY.replace(NRMP_URL, "https://www.some-blog.com/match-2028")
    [(line, field, message)] = problems_of(write(tmp_path, "match-2028.yaml", body))
    assert (line, field) == (8, "milestones[0].source")
    assert "nrmp.org, aamc.org or ecfmg.org" in message
    # The same date marked projected is fine: it is a reported date, shown as projected.
    assert load_cycle_file(write(tmp_path, "match-2028.yaml", body.replace("official", "projected")))


def test_unquoted_time_is_caught_not_misread(tmp_path: Path) -> None:
    # PyYAML reads 21:00 as the number 1260; taken as seconds it would silently become 00:21.
    body = VALID_ENTRY.replace('time: "12:00"', "time: 21:00")
    [(line, field, message)] = problems_of(write(tmp_path, "match-2028.yaml", body))
    assert (line, field) == (5, "milestones[0].time")
    assert "quotes" in message


def test_time_skipped_by_dst(tmp_path: Path) -> None:
    body = VALID_ENTRY.replace("date: 2028-03-17", "date: 2028-03-12").replace('"12:00"', '"02:30"')
    [(line, field, message)] = problems_of(write(tmp_path, "match-2028.yaml", body))
    assert (line, field) == (5, "milestones[0].time")
    assert "does not exist" in message


def test_file_name_must_match_the_year(tmp_path: Path) -> None:
    [(line, field, message)] = problems_of(write(tmp_path, "match-2029.yaml", VALID_ENTRY))
    assert (line, field) == (1, "match_year")
    assert "match-2028.yaml" in message


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    body = VALID_ENTRY.replace("    status: official", "    status: [official")
    [(line, field, message)] = problems_of(write(tmp_path, "match-2028.yaml", body))
    assert line is not None and line >= 7 and field == ""
    assert message.startswith("invalid YAML")


def test_directory_reports_every_problem_of_every_file(tmp_path: Path) -> None:
    write(tmp_path, "match-2028.yaml", VALID_ENTRY.replace("kind: match-day", "kind: nope"))
    write(tmp_path, "match-2029.yaml", VALID_ENTRY.replace("2028", "2029").replace("America/New_York", "Mars/Base"))
    write(tmp_path, "match-2030.yml", VALID_ENTRY)
    with pytest.raises(DataFileError) as info:
        load_cycle_dir(tmp_path)
    text = str(info.value)
    assert f"{tmp_path / 'match-2028.yaml'}:3: milestones[0].kind: unknown milestone kind 'nope'" in text
    assert f"{tmp_path / 'match-2029.yaml'}:6: milestones[0].timezone:" in text
    assert f"{tmp_path / 'match-2030.yml'}: cycle files must end in .yaml" in text


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="not found"):
        load_cycle_dir(tmp_path / "nowhere")
