"""The ordered road from school eligibility to residency (`data/pathway.yaml`), for /pathway.

The road is a few stages (eight today), each with its steps; every step opens one knowledge entry. /pathway lists
the stages and its menu opens a stage's steps, so neither the list nor a menu grows long on a phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.datafiles import DataFileError, parse_yaml, validate_document
from bot.knowledge.loader import KnowledgeBase
from bot.knowledge.models import EntryId, KnowledgeEntry

MAX_STAGES = 25
"""One Discord select menu holds at most 25 options: the stages are one menu."""
MAX_STEPS_PER_STAGE = 5
"""A stage's steps are buttons on one row, which holds five."""

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=90)]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry: EntryId
    step: Label


class _Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Label
    steps: list[_Step] = Field(min_length=1, max_length=MAX_STEPS_PER_STAGE)


class _PathwayFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stages: list[_Stage] = Field(min_length=1, max_length=MAX_STAGES)


@dataclass(frozen=True)
class PathwayStep:
    number: int
    """1, 2, 3... along the whole road."""
    label: str
    entry: KnowledgeEntry


@dataclass(frozen=True)
class PathwayStage:
    number: int
    label: str
    steps: tuple[PathwayStep, ...]


def load_pathway(path: Path, knowledge: KnowledgeBase) -> tuple[PathwayStage, ...]:
    """The stages of ``path``, each step's entry looked up; DataFileError naming every unknown or repeated entry."""
    doc = parse_yaml(path)
    parsed = validate_document(doc, _PathwayFile)
    problems = []
    stages = []
    seen: set[str] = set()
    number = 0
    for stage_index, stage in enumerate(parsed.stages):
        steps = []
        for index, step in enumerate(stage.steps):
            where: list[int | str] = ["stages", stage_index, "steps", index, "entry"]
            entry = knowledge.get(step.entry)
            if entry is None:
                problems.append(doc.problem(where, f"unknown entry id {step.entry!r}"))
            elif step.entry in seen:
                problems.append(doc.problem(where, f"{step.entry!r} is listed twice"))
            else:
                seen.add(step.entry)
                number += 1
                steps.append(PathwayStep(number, step.step, entry))
        stages.append(PathwayStage(stage_index + 1, stage.stage, tuple(steps)))
    if problems:
        raise DataFileError(problems)
    return tuple(stages)


def steps_of(stages: tuple[PathwayStage, ...]) -> tuple[PathwayStep, ...]:
    """Every step of the road, in order."""
    return tuple(step for stage in stages for step in stage.steps)
