"""All curated content, loaded and validated together: what start-up and `imgbot kb validate` both use."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from bot.cycle import CycleCalendar, MilestoneKind
from bot.datafiles import DataFileError, DataProblem
from bot.db.timestamps import utc_now
from bot.interviews.bank import InterviewBank, load_interview_bank
from bot.knowledge.service import KnowledgeService
from bot.quiz.bank import QuestionBank, load_question_bank
from bot.readiness.assessment import build_questionnaire, load_questionnaire_words_from_data_dir
from bot.readiness.specialties import SpecialtyTable, load_specialties_from_data_dir
from bot.readiness.wording import QUESTIONNAIRE_FILE, QuestionnaireWords

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Content:
    knowledge: KnowledgeService
    calendar: CycleCalendar
    specialties: SpecialtyTable
    questionnaire_words: QuestionnaireWords
    quiz_bank: QuestionBank
    interview_bank: InterviewBank
    load_seconds: float


def load_content(data_dir: Path) -> Content:
    """Load every data file; raises DataFileError listing every problem (file, line, field) across all of them."""
    started = time.perf_counter()
    problems: list[DataProblem] = []
    knowledge: KnowledgeService | None = None
    calendar: CycleCalendar | None = None
    try:
        # The search index is built once everything is validated (below), beside whatever start-up does next.
        knowledge = KnowledgeService.load(data_dir, build_index_now=False)
    except DataFileError as exc:
        problems.extend(exc.problems)
    try:
        calendar = CycleCalendar.from_directory(data_dir / "cycles")
    except DataFileError as exc:
        problems.extend(exc.problems)
    specialties: SpecialtyTable | None = None
    try:
        specialties = load_specialties_from_data_dir(data_dir)
    except DataFileError as exc:
        problems.extend(exc.problems)
    questionnaire_words: QuestionnaireWords | None = None
    try:
        questionnaire_words = load_questionnaire_words_from_data_dir(data_dir)
    except DataFileError as exc:
        problems.extend(exc.problems)
    if questionnaire_words is not None and specialties is not None and calendar is not None:
        problems.extend(_questionnaire_problems(data_dir, questionnaire_words, specialties, calendar))
    interview_bank: InterviewBank | None = None
    try:
        interview_bank = load_interview_bank(data_dir / "interviews")
    except DataFileError as exc:
        problems.extend(exc.problems)
    quiz_bank: QuestionBank | None = None
    if knowledge is not None:
        # Checked only once the entries loaded, so one broken entry does not flood the report with "unknown entry".
        try:
            quiz_bank = load_question_bank(data_dir / "quizzes", {e.id for e in knowledge.knowledge.entries})
        except DataFileError as exc:
            problems.extend(exc.problems)
        # Every milestone points readers to an entry; a renamed entry must not leave it pointing nowhere.
        for kind in MilestoneKind:
            if kind.info.kb_entry not in knowledge.knowledge:
                problems.append(
                    DataProblem(
                        data_dir / "knowledge", None, f"milestone {kind.value}", f"entry {kind.info.kb_entry!r} missing"
                    )
                )
    if (
        problems
        or knowledge is None
        or calendar is None
        or specialties is None
        or questionnaire_words is None
        or quiz_bank is None
        or interview_bank is None
    ):
        raise DataFileError(problems)
    knowledge.search_index.start_building()
    elapsed = time.perf_counter() - started
    log.info("content loaded in %.0f ms", elapsed * 1000)
    return Content(
        knowledge=knowledge,
        calendar=calendar,
        specialties=specialties,
        questionnaire_words=questionnaire_words,
        quiz_bank=quiz_bank,
        interview_bank=interview_bank,
        load_seconds=elapsed,
    )


def _questionnaire_problems(
    data_dir: Path, words: QuestionnaireWords, specialties: SpecialtyTable, calendar: CycleCalendar
) -> list[DataProblem]:
    """Build the questionnaire once as it would be shown now: a text that fits the file's limits can still be too
    long for Discord once its placeholders are filled (a Match year, a specialty), and that must stop start-up."""
    try:
        build_questionnaire(specialties, calendar, utc_now(), words)
    except ValueError as exc:
        return [DataProblem(data_dir / QUESTIONNAIRE_FILE, None, "", f"the questions cannot be shown: {exc}")]
    return []
