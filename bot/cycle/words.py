"""Loading ``data/cycles/milestone-kinds.yaml``: the title and checklist an applicant reads for each milestone kind.

The words are curated content, edited like the knowledge base; which kinds exist, their dates, reminders and
knowledge entries are rules and stay in code (``models``, ``rules``). The file must give words for every kind the
code knows and may name no other, so a milestone is never shown without a title. A file looks like this::

    kinds:
      rol-deadline:
        title: Rank order list (ROL) certification deadline
        checklist:
          - Certify your rank order list before the deadline.
          - If you changed your list after certifying it, certify it again.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from bot.cycle.models import KindWords, MilestoneKind
from bot.datafiles import DataFileError, DataProblem, parse_yaml, validate_document

log = logging.getLogger(__name__)

KINDS_FILE = "milestone-kinds.yaml"
"""The words file's name inside the cycles directory (``data/cycles``), next to the ``match-YYYY.yaml`` files."""

MAX_TITLE = 100
"""A title names a Discord scheduled event, whose name may be at most 100 characters."""
MAX_ITEM = 120
"""A checklist item is one short sentence; the announcement embed lists them as bullets."""

MilestoneWords = Mapping[MilestoneKind, KindWords]
"""The words of every milestone kind, as loaded from the file."""

_Item = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ITEM)]


class _KindEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    checklist: list[_Item] = Field(min_length=2, max_length=4)

    @field_validator("title")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if value != value.strip() or "\n" in value:
            raise ValueError("write the title on one line, without leading or trailing spaces")
        return value

    @field_validator("checklist")
    @classmethod
    def _sentences(cls, items: list[str]) -> list[str]:
        for item in items:
            if not item.endswith("."):
                raise ValueError(f"each item is a sentence ending with a full stop: {item!r}")
        return items


class _KindsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: dict[str, _KindEntry]


def load_milestone_words(path: Path) -> MilestoneWords:
    """Read and check the words file; raises DataFileError naming file, line and field on any problem."""
    if not path.is_file():
        raise DataFileError([DataProblem(path, None, "", "milestone words file not found")])
    doc = parse_yaml(path)
    parsed = validate_document(doc, _KindsFile)
    known = [kind.value for kind in MilestoneKind]
    problems = []
    for name in parsed.kinds:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(doc.problem(["kinds", name], f"unknown milestone kind '{name}'{hint}"))
    missing = [value for value in known if value not in parsed.kinds]
    if missing:
        problems.append(doc.problem(["kinds"], f"no words for milestone kind(s): {', '.join(missing)}"))
    if problems:
        raise DataFileError(problems)
    words = {
        kind: KindWords(title=parsed.kinds[kind.value].title, checklist=tuple(parsed.kinds[kind.value].checklist))
        for kind in MilestoneKind
    }
    log.info("loaded the words of %d milestone kinds from %s", len(words), path)
    return words
