"""/readiness and /timeline as the cog uses them: step through the assessment, evaluate, save, plan.

Each call takes the member's id and returns plain values; user mistakes raise ``UserInputError`` with a message to
show as is. The clock is injected, so tests and the emulator control "now": unit tests pass one; the end-to-end
tests, which run the real bot process, set ``IMGBOT_TEST_READINESS_NOW`` (``clock_from_env``; only against a local
emulator, ``bot.config.active_test_hooks``).

The assessment flow:

- ``start`` begins one (or returns the unfinished one, ``resumed=True``, so the cog can offer Resume / Start over;
  ``restart=True`` throws the old one away). ``pending`` tells whether there is one to resume.
- ``answer`` records the answer to the step shown and moves on; ``back`` goes to the previous step that applies;
  ``cancel`` forgets the assessment. A dismissed message leaves the state in the database: ``resume`` continues.
- When ``Progress.complete``, ``finish`` evaluates. The member may then ``save`` (opt-in): the overall level and
  each area's status are kept, the answers are not. ``history`` shows how areas changed between saves.
- Unfinished assessments untouched for ``SESSION_TTL`` are forgotten (``purge_stale``, also done lazily).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from bot.cycle import CycleCalendar
from bot.db.timestamps import Clock, utc_now
from bot.readiness.assessment import Progress, Questionnaire, Step, build_questionnaire, evaluate
from bot.readiness.models import Answers, AssessmentResult, ReadinessHistory, SavedResult
from bot.readiness.options import TimelineOptions
from bot.readiness.planning import count
from bot.readiness.repository import ReadinessRepository, StoredSession
from bot.readiness.specialties import SpecialtyTable
from bot.readiness.timeline import DEFAULT_UID_DOMAIN, TimelinePlan, plan_from_options, plan_to_ics
from bot.readiness.wording import QuestionnaireWords
from bot.scheduling.clock import OffsetClock
from bot.validation import UserInputError

log = logging.getLogger(__name__)

SESSION_TTL = dt.timedelta(days=30)
"""An unfinished assessment is kept this long after the last answer, then forgotten."""
KEEP_RESULTS = 50
"""Saved results kept per member (oldest dropped first): years of monthly check-ins."""

NO_ASSESSMENT = "You have no assessment in progress. Use /readiness to start one."


TEST_NOW_ENV = "IMGBOT_TEST_READINESS_NOW"
"""Test hook, set only by tests/e2e/test_readiness_e2e.py: an aware ISO 8601 instant that /readiness and /timeline
take as "now" when the service is built (time then runs on from it), so the end-to-end tests do not depend on the
real date. Read once, when the service is built, and logged at WARNING; never set it in production."""


def clock_from_env(environ: Mapping[str, str]) -> Clock:
    """The system clock, or one moved to ``IMGBOT_TEST_READINESS_NOW`` when that test hook is set."""
    raw = environ.get(TEST_NOW_ENV, "").strip()
    if not raw:
        return utc_now
    try:
        target = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{TEST_NOW_ENV} must be an ISO 8601 date and time, not {raw!r}") from None
    if target.tzinfo is None or target.utcoffset() is None:
        raise ValueError(f"{TEST_NOW_ENV} needs a time zone, e.g. 2026-12-06T15:00:00+00:00")
    log.warning(
        "%s=%s: /readiness and /timeline take that as now (a test hook; never set it in production)", TEST_NOW_ENV, raw
    )
    return OffsetClock(target - utc_now())


class ReadinessService:
    def __init__(
        self,
        repository: ReadinessRepository,
        specialties: SpecialtyTable,
        calendar: CycleCalendar,
        clock: Clock | None = None,
        *,
        words: QuestionnaireWords,
        uid_domain: str = DEFAULT_UID_DOMAIN,
    ) -> None:
        self._repo = repository
        self.specialties = specialties
        self.calendar = calendar
        self.words = words
        self._clock = clock or utc_now
        self._uid_domain = uid_domain

    def now(self) -> dt.datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return now.astimezone(dt.UTC)

    def questionnaire(self, now: dt.datetime | None = None) -> Questionnaire:
        return build_questionnaire(self.specialties, self.calendar, now or self.now(), self.words)

    # -- the assessment ------------------------------------------------------------------------------------------

    async def pending(self, user_id: int) -> Progress | None:
        """The unfinished assessment the member could resume, or None."""
        now = self.now()
        session = await self._live_session(user_id, now)
        if session is None or session.completed:
            return None
        return self._progress(session, now, resumed=True)

    async def start(self, user_id: int, *, restart: bool = False) -> Progress:
        now = self.now()
        session = await self._live_session(user_id, now)
        if session is not None and not session.completed and not restart:
            return self._progress(session, now, resumed=True)
        questionnaire = self.questionnaire(now)
        answers = Answers()
        first = questionnaire.first_open(answers)
        await self._store(user_id, answers, first.id if first else None, completed=False, started=now, now=now)
        log.info("readiness assessment started for user %s", user_id)
        return questionnaire.progress(answers, first)

    async def resume(self, user_id: int) -> Progress:
        progress = await self.pending(user_id)
        if progress is None:
            raise UserInputError(NO_ASSESSMENT)
        return progress

    async def answer(self, user_id: int, step_id: str, value: str | int) -> Progress:
        """Record the answer to the step currently shown. A click on an older message raises UserInputError."""
        now = self.now()
        session = await self._require(user_id, now)
        questionnaire = self.questionnaire(now)
        answers = self._answers(session, questionnaire)
        current = self._current_step(session, questionnaire, answers)
        if current is None or current.id != step_id:
            raise UserInputError(
                "That question is not the current one any more (perhaps it was answered in another message). "
                "Use /readiness to continue where you are."
            )
        answers = questionnaire.with_answer(answers, step_id, value)
        following = questionnaire.next_after(step_id, answers)
        await self._store(user_id, answers, following.id if following else None, False, session.started_at, now)
        return questionnaire.progress(answers, following)

    async def back(self, user_id: int) -> Progress:
        now = self.now()
        session = await self._require(user_id, now)
        questionnaire = self.questionnaire(now)
        answers = self._answers(session, questionnaire)
        current = self._current_step(session, questionnaire, answers)
        previous = questionnaire.previous_before(current.id if current else None, answers)
        if previous is None:
            raise UserInputError("This is the first question; there is nothing to go back to.")
        await self._store(user_id, answers, previous.id, False, session.started_at, now)
        return questionnaire.progress(answers, previous)

    async def cancel(self, user_id: int) -> bool:
        """Forget the member's assessment in progress; False when there was none."""
        removed = await self._repo.delete_session(user_id)
        if removed:
            log.info("readiness assessment cancelled by user %s", user_id)
        return removed

    async def finish(self, user_id: int) -> AssessmentResult:
        """Evaluate a fully answered assessment; it then waits for ``save`` (or is replaced by the next start)."""
        now = self.now()
        session = await self._require(user_id, now, allow_completed=True)
        questionnaire = self.questionnaire(now)
        answers = self._answers(session, questionnaire)
        missing = [s for s in questionnaire.applicable(answers) if getattr(answers, s.id) is None]
        if missing:
            raise UserInputError(f"Answer the remaining {count(len(missing), 'question')} first, then see your result.")
        await self._store(user_id, answers, None, True, session.started_at, now)
        return evaluate(answers, self.specialties, now, self.calendar)

    async def result(self, user_id: int) -> AssessmentResult:
        """The result of the finished assessment again (e.g. to redraw it), without changing anything."""
        now = self.now()
        session = await self._live_session(user_id, now)
        if session is None or not session.completed:
            raise UserInputError("Finish the assessment first: use /readiness.")
        return evaluate(self._answers(session, self.questionnaire(now)), self.specialties, now, self.calendar)

    async def save(self, user_id: int) -> SavedResult:
        """Keep the finished result for /readiness history (the member asked to track progress)."""
        now = self.now()
        session = await self._live_session(user_id, now)
        if session is None or not session.completed:
            raise UserInputError(
                "There is no finished assessment to save. Use /readiness, answer every question, then save."
            )
        result = evaluate(self._answers(session, self.questionnaire(now)), self.specialties, now, self.calendar)
        saved = await self._repo.add_result(user_id, now, result.overall, result.statuses(), keep=KEEP_RESULTS)
        await self._repo.delete_session(user_id)
        log.info("readiness result saved for user %s (%s)", user_id, result.overall.value)
        return saved

    async def history(self, user_id: int, limit: int = 10) -> ReadinessHistory:
        """Saved results (oldest first) and per-area changes between consecutive saves; empty when none."""
        return await self._repo.history(user_id, max(1, min(limit, KEEP_RESULTS)))

    async def purge_stale(self) -> int:
        """Forget unfinished assessments untouched for ``SESSION_TTL`` (30 days, as /privacy says); returns how
        many. Run daily and at start-up by the bot (``bot.privacy.RetentionSweep``); a member's own is also dropped
        lazily."""
        return await self._repo.delete_sessions_before(self.now() - SESSION_TTL)

    async def user_ids(self) -> set[int]:
        return await self._repo.user_ids()

    async def delete_user_data(self, user_id: int) -> int:
        return await self._repo.delete_user_data(user_id)

    async def export_user_data(self, user_id: int) -> dict[str, Any]:
        return await self._repo.export_user_data(user_id)

    # -- /timeline --------------------------------------------------------------------------------------------

    def timeline(
        self,
        match_year: int,
        step1: str | None = None,
        step2ck: str | None = None,
        usce_months: int | None = None,
    ) -> TimelinePlan:
        """Validate the /timeline options (UserInputError with a clear message) and plan."""
        now = self.now()
        options = TimelineOptions.parse(
            self.calendar, now, match_year=match_year, step1=step1, step2ck=step2ck, usce_months=usce_months
        )
        return plan_from_options(options, now, self.calendar)

    def timeline_ics(self, plan: TimelinePlan) -> bytes:
        return plan_to_ics(plan, uid_domain=self._uid_domain)

    # -- helpers -------------------------------------------------------------------------------------------------

    async def _live_session(self, user_id: int, now: dt.datetime) -> StoredSession | None:
        session = await self._repo.get_session(user_id)
        if session is not None and session.updated_at < now - SESSION_TTL:
            await self._repo.delete_session(user_id)
            return None
        return session

    async def _require(self, user_id: int, now: dt.datetime, *, allow_completed: bool = False) -> StoredSession:
        session = await self._live_session(user_id, now)
        if session is None:
            raise UserInputError(NO_ASSESSMENT)
        if session.completed and not allow_completed:
            # The member changes an answer after seeing the result: the assessment is open again.
            return StoredSession(
                session.user_id,
                session.answers,
                session.step_id,
                False,
                session.started_at,
                session.updated_at,
            )
        return session

    @staticmethod
    def _answers(session: StoredSession, questionnaire: Questionnaire) -> Answers:
        try:
            answers = Answers.model_validate(session.answers)
        except ValidationError:
            # Written by an older version with a different meaning: keep what still validates field by field.
            kept: dict[str, Any] = {}
            for name, value in session.answers.items():
                try:
                    Answers.model_validate({name: value})
                except ValidationError:
                    continue
                kept[name] = value
            log.warning("readiness answers of user %s partly invalid; kept %s", session.user_id, sorted(kept))
            answers = Answers.model_validate(kept)
        return questionnaire.prune(answers)

    @staticmethod
    def _current_step(session: StoredSession, questionnaire: Questionnaire, answers: Answers) -> Step | None:
        step = questionnaire.get(session.step_id) if session.step_id else None
        first_open = questionnaire.first_open(answers)
        if step is None or not step.applies(answers):
            return first_open
        # An earlier answer dropped when the answers were read back (a passed CK score below the passing score,
        # saved before that was checked) is asked again first; in the normal flow nothing earlier is open.
        if first_open is not None and questionnaire.position(first_open.id) < questionnaire.position(step.id):
            return first_open
        return step

    def _progress(self, session: StoredSession, now: dt.datetime, *, resumed: bool) -> Progress:
        questionnaire = self.questionnaire(now)
        answers = self._answers(session, questionnaire)
        return questionnaire.progress(answers, self._current_step(session, questionnaire, answers), resumed=resumed)

    async def _store(
        self,
        user_id: int,
        answers: Answers,
        step_id: str | None,
        completed: bool,
        started: dt.datetime,
        now: dt.datetime,
    ) -> None:
        await self._repo.put_session(
            user_id,
            answers.model_dump(mode="json", exclude_none=True),
            step_id,
            completed=completed,
            started_at=started,
            updated_at=now,
        )
