"""The milestone words file (data/cycles/milestone-kinds.yaml): loaded, checked against the kinds in code, and given
to every milestone the calendar hands out; a broken file stops start-up and `kb validate` with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import Content, load_content
from bot.cycle import KINDS_FILE, CycleCalendar, MilestoneKind, load_milestone_words
from bot.cycle.loader import load_cycle_dir
from bot.cycle.rules import project
from bot.datafiles import DataFileError
from tests.conftest import DATA_DIR
from tests.unit.cli.test_commands import imgbot

K = MilestoneKind
SHIPPED = DATA_DIR / "cycles" / KINDS_FILE
SHIPPED_TEXT = SHIPPED.read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first occurrence of ``needle``; asserts it is there so a stale needle fails loudly."""
    assert needle in text, needle
    return text[: text.index(needle)].count("\n") + 1


def broken(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    """The shipped file with one change, written to ``tmp_path``; returns its path and text."""
    assert old in SHIPPED_TEXT, old
    text = SHIPPED_TEXT.replace(old, new, 1)
    path = tmp_path / KINDS_FILE
    path.write_text(text, encoding="utf-8")
    return path, text


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DataFileError) as info:
        load_milestone_words(path)
    return [str(p) for p in info.value.problems]


def test_every_kind_has_its_words_and_every_milestone_carries_them(content: Content) -> None:
    words = load_milestone_words(SHIPPED)
    assert list(words) == list(MilestoneKind)
    assert content.calendar.words == words
    for year in (2026, 2027, 2028):
        for milestone in content.calendar.cycle(year):
            assert milestone.title == words[milestone.kind].title
            assert milestone.checklist == words[milestone.kind].checklist
    assert words[K.ROL_DEADLINE].title == "Rank order list (ROL) certification deadline"
    # The four SOAP rounds share one checklist through a YAML anchor.
    assert (
        len({words[kind].checklist for kind in (K.SOAP_ROUND_1, K.SOAP_ROUND_2, K.SOAP_ROUND_3, K.SOAP_ROUND_4)}) == 1
    )


def test_a_milestone_straight_from_the_rules_has_no_words_and_says_where_to_get_them() -> None:
    milestone = project(2027, K.MATCH_DAY)
    assert milestone is not None
    with pytest.raises(LookupError, match="match-day-2027 has no words: take milestones from a CycleCalendar"):
        _ = milestone.title


def test_unknown_kind_names_line_field_and_the_nearest_kind(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "  match-day:\n", "  match-dya:\n")
    assert problems_of(path) == [
        f"{path}:{line_of(text, 'match-dya')}: kinds.match-dya: unknown milestone kind 'match-dya'; "
        "did you mean 'match-day'?",
        f"{path}:{line_of(text, 'kinds:')}: kinds: no words for milestone kind(s): match-day",
    ]


def test_a_checklist_item_without_a_full_stop_and_a_missing_title(tmp_path: Path) -> None:
    path, text = broken(tmp_path, "Check R3 for offers as soon as the round starts.", "Check R3 for offers")
    text = text.replace("    title: Residency starts\n", "")
    path.write_text(text, encoding="utf-8")
    found = problems_of(path)
    # The shared checklist (an anchor, then three aliases) is reported for each round, at that round's checklist line.
    for number in (1, 2, 3, 4):
        line = line_of(text, f"  soap-round-{number}:") + 2
        assert found[number - 1] == (
            f"{path}:{line}: kinds.soap-round-{number}.checklist: each item is a sentence ending with a full stop: "
            "'Check R3 for offers'"
        )
    assert found[4] == f"{path}:{line_of(text, '  residency-start:')}: kinds.residency-start.title: Field required"


def test_a_long_title_and_a_five_item_checklist(tmp_path: Path) -> None:
    title = "SOAP ends " + "x" * 100
    path, text = broken(tmp_path, "title: SOAP ends\n", f"title: {title}\n")
    long_list = "      - Get your ERAS token from ECFMG through your MyIntealth account.\n"
    text = text.replace(long_list, long_list * 3)
    path.write_text(text, encoding="utf-8")
    found = problems_of(path)
    line = line_of(text, "    checklist:")
    assert found[0].startswith(f"{path}:{line}: kinds.eras-season-opens.checklist: List should have at most 4")
    assert found[1].startswith(f"{path}:{line_of(text, title)}: kinds.soap-ends.title: String should have at most 100")


def test_a_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    assert problems_of(tmp_path / KINDS_FILE) == [f"{tmp_path / KINDS_FILE}: milestone words file not found"]
    path, _ = broken(tmp_path, "  soap-ends:\n", "  soap-ends: [\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:") and "invalid YAML" in problem


def test_the_calendar_reports_the_cycle_files_and_the_words_file_together(tmp_path: Path) -> None:
    (tmp_path / "match-2027.yaml").symlink_to(DATA_DIR / "cycles" / "match-2027.yaml")
    (tmp_path / "match-2030.yml").write_text("match_year: 2030\n", encoding="utf-8")
    broken(tmp_path, "  match-day:\n", "  match-dya:\n")
    with pytest.raises(DataFileError) as info:
        CycleCalendar.from_directory(tmp_path)
    text = str(info.value)
    assert f"{tmp_path / 'match-2030.yml'}: cycle files must end in .yaml" in text
    assert f"{tmp_path / KINDS_FILE}:" in text and "unknown milestone kind 'match-dya'" in text
    # The words file is not taken for a cycle file, and a calendar needs words for every kind.
    (tmp_path / "match-2030.yml").unlink()
    assert [f.match_year for f in load_cycle_dir(tmp_path)] == [2027]
    with pytest.raises(ValueError, match="no words for milestone kind"):
        CycleCalendar(load_cycle_dir(tmp_path), {})


def data_dir_with(tmp_path: Path, kinds_text: str) -> Path:
    """A data directory that is the shipped one except for the milestone words file."""
    data = tmp_path / "data"
    (data / "cycles").mkdir(parents=True)
    for item in DATA_DIR.iterdir():
        if item.name != "cycles":
            (data / item.name).symlink_to(item)
    for item in (DATA_DIR / "cycles").iterdir():
        if item.name != KINDS_FILE:
            (data / "cycles" / item.name).symlink_to(item)
    (data / "cycles" / KINDS_FILE).write_text(kinds_text, encoding="utf-8")
    return data


def test_a_broken_words_file_stops_start_up_and_kb_validate(tmp_path: Path) -> None:
    text = SHIPPED_TEXT.replace("  match-day:\n", "  match-dya:\n")
    data = data_dir_with(tmp_path, text)
    expected = f"{data / 'cycles' / KINDS_FILE}:{line_of(text, 'match-dya')}: kinds.match-dya: unknown milestone kind"
    with pytest.raises(DataFileError) as info:
        load_content(data)
    assert expected in str(info.value)
    done = imgbot("kb", "validate", env_extra={"DATA_DIR": str(data)})
    assert done.returncode == 1
    assert expected in done.stderr
