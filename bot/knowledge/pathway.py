"""The ordered road from school eligibility to residency (`data/pathway.yaml`), for /pathway."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.datafiles import DataFileError, parse_yaml, validate_document
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import EntryId, KnowledgeEntry


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry: EntryId
    step: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=90)]


class _PathwayFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # One Discord select menu holds at most 25 options.
    steps: list[_Step] = Field(min_length=1, max_length=25)


@dataclass(frozen=True)
class PathwayStep:
    number: int
    label: str
    entry: KnowledgeEntry


def load_pathway(path: Path, knowledge: KnowledgeBase) -> tuple[PathwayStep, ...]:
    doc = parse_yaml(path)
    parsed = validate_document(doc, _PathwayFile)
    problems = []
    steps = []
    seen: set[str] = set()
    for index, step in enumerate(parsed.steps):
        entry = knowledge.get(step.entry)
        if entry is None:
            problems.append(doc.problem(["steps", index, "entry"], f"unknown entry id {step.entry!r}"))
        elif step.entry in seen:
            problems.append(doc.problem(["steps", index, "entry"], f"{step.entry!r} is listed twice"))
        else:
            seen.add(step.entry)
            steps.append(PathwayStep(index + 1, step.step, entry))
    if problems:
        raise DataFileError(problems)
    return tuple(steps)
