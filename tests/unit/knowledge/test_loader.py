from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.content import load_content
from bot.datafiles import DataFileError
from bot.knowledge.loader import load_entry, load_knowledge_base
from bot.knowledge.search import KnowledgeSearch
from bot.knowledge.service import KnowledgeService
from tests.conftest import DATA_DIR

VALID = """\
---
id: {id}
title: USMLE Step 1
summary: The first licensing exam; pass/fail for exams since January 26, 2022.
aliases: [step one, s1]
tags: [usmle]
stage: usmle
reviewed: 2026-11-01
sources:
  - title: USMLE common questions
    url: https://www.usmle.org/common-questions
related: [{related}]
---
Step 1 is reported as pass or fail only. {filler}
"""


def write(directory: Path, entry_id: str, related: str = "", **replace: str) -> Path:
    text = VALID.format(id=entry_id, related=related, filler="Plan your study time well. " * 6)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = directory / f"{entry_id}.md"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(DataFileError) as info:
        load_knowledge_base(directory)
    return [str(p) for p in info.value.problems]


def test_valid_entries_load_in_stage_order(tmp_path: Path) -> None:
    write(tmp_path, "step-1", related="step-2-ck")
    write(tmp_path, "step-2-ck", related="step-1", **{"title: USMLE Step 1": "title: USMLE Step 2 CK"})
    kb = load_knowledge_base(tmp_path)
    assert [e.id for e in kb.entries] == ["step-1", "step-2-ck"]
    entry = kb.get("step-1")
    assert entry is not None and entry.aliases == ["step one", "s1"] and entry.sources[0].url.startswith("https://")
    assert entry.body.startswith("Step 1 is reported")


def test_missing_source_names_file_line_and_field(tmp_path: Path) -> None:
    original = "sources:\n  - title: USMLE common questions\n    url: https://www.usmle.org/common-questions\n"
    path = write(tmp_path, "step-1", **{original: "sources: []\n"})
    problems = problems_of(tmp_path)
    assert problems == [f"{path}:9: sources: List should have at least 1 item after validation, not 0"]


def test_bad_url_and_unknown_stage_reported_together(tmp_path: Path) -> None:
    path = write(tmp_path, "step-1", **{"stage: usmle": "stage: exams", "https://www.usmle.org": "www.usmle.org"})
    problems = problems_of(tmp_path)
    assert any(p.startswith(f"{path}:7: stage:") for p in problems)
    assert any(p.startswith(f"{path}:11: sources[0].url: must start with https://") for p in problems)


def test_a_typo_looking_source_host_names_file_line_and_field(tmp_path: Path) -> None:
    # https://ww.faimer.org/... was in the data: `imgbot kb validate` now stops it where it is written.
    path = write(tmp_path, "step-1", **{"https://www.usmle.org": "https://ww.usmle.org"})
    assert problems_of(tmp_path) == [
        f"{path}:11: sources[0].url: has the host `ww.usmle.org`, which looks like a typo of www.usmle.org"
    ]


def test_id_must_match_file_name(tmp_path: Path) -> None:
    path = tmp_path / "step-one.md"
    write(tmp_path, "step-1").rename(path)
    with pytest.raises(DataFileError, match=r"step-one.md:2: id: must match the file name"):
        load_entry(path)


def test_unknown_related_entry_points_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "step-1", related="step-9")
    assert problems_of(tmp_path) == [f"{path}:12: related[0]: unknown entry id 'step-9'"]


def test_invalid_yaml_reports_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "step-1", **{"tags: [usmle]": "tags: [usmle"})
    problems = problems_of(tmp_path)
    assert len(problems) == 1 and problems[0].startswith(f"{path}:") and "invalid YAML" in problems[0]


def test_missing_front_matter_and_too_long_body(tmp_path: Path) -> None:
    (tmp_path / "plain.md").write_text("Just text, no front matter.\n", encoding="utf-8")
    write(tmp_path, "step-1", **{"Plan your study time well. ": "x" * 700})
    problems = problems_of(tmp_path)
    assert any("plain.md:1: missing front matter" in p for p in problems)
    assert any("step-1.md:14: body: String should have at most 3000 characters" in p for p in problems)


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == [f"{tmp_path}: no knowledge entries (*.md) found"]


def test_cycle_names_a_match_year(tmp_path: Path) -> None:
    write(tmp_path, "step-1", **{"stage: usmle": "stage: usmle\ncycle: 2027 season"})
    assert any("cycle" in p and "step-1.md:8" in p for p in problems_of(tmp_path))


def test_an_entry_is_stale_once_the_next_eras_season_opens(tmp_path: Path) -> None:
    write(tmp_path, "step-1", **{"stage: usmle": "stage: usmle\ncycle: Match 2027"})
    write(tmp_path, "step-2-ck", **{"title: USMLE Step 1": "title: USMLE Step 2 CK"})
    knowledge = load_knowledge_base(tmp_path)
    entry = knowledge.get("step-1")
    assert entry is not None
    assert not entry.cycle_over(dt.date(2027, 5, 31))
    assert entry.cycle_over(dt.date(2027, 6, 1))
    service = KnowledgeService(knowledge, KnowledgeSearch(knowledge), (), None)
    assert service.stale(dt.date(2027, 5, 31)) == []
    assert [e.id for e in service.stale(dt.date(2027, 6, 1))] == ["step-1"]
    # With days, entries not reviewed since then are listed too (both were reviewed on 2026-11-01).
    assert [e.id for e in service.stale(dt.date(2026, 12, 1), days=20)] == ["step-1", "step-2-ck"]


def test_questions_are_limited(tmp_path: Path) -> None:
    many = "questions: [" + ", ".join(f"'q{i} about step 1'" for i in range(16)) + "]"
    write(tmp_path, "step-1", **{"stage: usmle": "stage: usmle\n" + many})
    assert any("questions" in p for p in problems_of(tmp_path))


def test_search_runs_on_words_alone_when_the_meaning_signal_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import bot.knowledge.semantic as semantic

    def broken(*_: object) -> None:
        raise OSError("model file missing")

    monkeypatch.setattr(semantic, "SemanticIndex", broken)
    write(tmp_path, "step-1")
    search = KnowledgeSearch(load_knowledge_base(tmp_path))
    result = search.search("is step one pass fail")
    assert result.answered and result.hits[0].entry.id == "step-1"
    assert search.semantic is None
    assert "runs on words alone" in caplog.text


def test_a_word_index_that_cannot_be_built_is_logged_and_fails_every_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> None:
        raise ValueError("bad index")

    monkeypatch.setattr(KnowledgeSearch, "_build", broken)
    write(tmp_path, "step-1")
    search = KnowledgeSearch(load_knowledge_base(tmp_path), semantic=False)
    with pytest.raises(RuntimeError, match="could not be built"):
        search.search("step 1")
    assert "could not be built" in caplog.text


def test_a_deferred_index_is_built_when_started_or_at_the_first_search(tmp_path: Path) -> None:
    """Start-up validates all content before the index starts building (bot/content.py); nothing waits forever for
    an index nobody started: the first search starts it."""
    write(tmp_path, "step-1")
    knowledge = load_knowledge_base(tmp_path)
    deferred = KnowledgeSearch(knowledge, semantic=False, build_now=False)
    assert deferred._builder.ident is None  # not started
    assert deferred.search("is step one pass fail").hits[0].entry.id == "step-1"
    started = KnowledgeSearch(knowledge, semantic=False, build_now=False)
    started.start_building()
    started.start_building()  # a second call changes nothing
    started.wait_until_ready()
    assert started.search("is step one pass fail").hits[0].entry.id == "step-1"


def test_loading_all_content_starts_building_the_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start-up builds the index once content is validated. A fresh load with the build recorded, not the shared
    fixture: any search before this test would have started the build of the fixture's index by itself."""
    started: list[KnowledgeSearch] = []
    monkeypatch.setattr(KnowledgeSearch, "start_building", lambda self: started.append(self))
    loaded = load_content(DATA_DIR)
    assert started == [loaded.knowledge.search_index]
