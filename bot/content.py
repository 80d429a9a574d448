"""All curated content, loaded and validated together: what start-up and `imgbot kb validate` both use."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from bot.cycle import CycleCalendar, MilestoneKind, load_cycle_dir
from bot.datafiles import DataFileError, DataProblem
from bot.knowledge.service import KnowledgeService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Content:
    knowledge: KnowledgeService
    calendar: CycleCalendar
    load_seconds: float


def load_content(data_dir: Path) -> Content:
    """Load every data file; raises DataFileError listing every problem (file, line, field) across all of them."""
    started = time.perf_counter()
    problems: list[DataProblem] = []
    knowledge: KnowledgeService | None = None
    calendar: CycleCalendar | None = None
    try:
        knowledge = KnowledgeService.load(data_dir)
    except DataFileError as exc:
        problems.extend(exc.problems)
    try:
        calendar = CycleCalendar(load_cycle_dir(data_dir / "cycles"))
    except DataFileError as exc:
        problems.extend(exc.problems)
    if knowledge is not None:
        # Every milestone points readers to an entry; a renamed entry must not leave it pointing nowhere.
        for kind in MilestoneKind:
            if kind.info.kb_entry not in knowledge.knowledge:
                problems.append(
                    DataProblem(
                        data_dir / "knowledge", None, f"milestone {kind.value}", f"entry {kind.info.kb_entry!r} missing"
                    )
                )
    if problems or knowledge is None or calendar is None:
        raise DataFileError(problems)
    elapsed = time.perf_counter() - started
    log.info("content loaded in %.0f ms", elapsed * 1000)
    return Content(knowledge=knowledge, calendar=calendar, load_seconds=elapsed)
