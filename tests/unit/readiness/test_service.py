"""ReadinessService against a real temporary SQLite database: step through, back, cancel, resume, save, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from bot.cycle import CycleCalendar
from bot.db.connection import Connection
from bot.readiness.assessment import Progress, load_questionnaire_words_from_data_dir
from bot.readiness.models import Area, AreaStatus, OverallLevel, Trend
from bot.readiness.options import UnreachableMatchError
from bot.readiness.repository import ReadinessRepository
from bot.readiness.service import TEST_NOW_ENV, ReadinessService, clock_from_env
from bot.readiness.specialties import load_specialties_from_data_dir
from bot.validation import UserInputError
from tests.conftest import REPO_ROOT

DATA_DIR = REPO_ROOT / "data"
START = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
ALICE, BOB = 1001, 2002


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def service(conn: Connection, calendar: CycleCalendar, clock: Clock) -> ReadinessService:
    specialties, words = load_specialties_from_data_dir(DATA_DIR), load_questionnaire_words_from_data_dir(DATA_DIR)
    return ReadinessService(ReadinessRepository(conn), specialties, calendar, clock, words=words)


# Raw answers as the cog sends them (option values, or the text typed in a modal).
AT_RISK = {
    "target_match": "2028",
    "step1": "passed",
    "step2ck": "passed",
    "step2ck_score": "236",
    "specialty": "internal-medicine",
    "pathway": "not-applied",
    "oet": "booked",
    "graduation_year": "2023",
    "usce_months": "0",
    "us_letters": "0",
    "personal_statement": "draft",
    "consistency": "not-checked",
    "visa": "h1b",
    "step3": "not-taken",
    "mentor": "no",
}


async def answer_all(service: ReadinessService, user: int, answers: dict[str, str]) -> Progress:
    progress = await service.start(user)
    seen = []
    total = progress.total
    while progress.step is not None:
        seen.append(progress.step.id)
        progress = await service.answer(user, progress.step.id, answers[progress.step.id])
        # "question 4 of 12": the count stays the same whatever follow-ups the answers open.
        assert progress.total == total, (seen, progress.total, total)
    assert progress.complete
    return progress


async def test_full_run_save_and_history(service: ReadinessService, clock: Clock) -> None:
    progress = await service.start(ALICE)
    assert progress.step is not None and progress.step.id == "target_match"
    assert (progress.number, progress.can_go_back, progress.resumed) == (1, False, False)
    done = await answer_all(service, ALICE, AT_RISK)
    # 12 main questions; the follow-ups asked here (CK score, OET, Step 3) share their question's number.
    assert done.total == 12 and done.number == 13

    result = await service.finish(ALICE)
    assert result.overall is OverallLevel.AT_RISK
    statuses = result.statuses()
    # No US clinical experience needs work; it is no red flag (not a formal requirement of ECFMG or the NRMP).
    assert statuses[Area.USCE] is AreaStatus.NEEDS_WORK
    assert statuses[Area.VISA] is AreaStatus.RED_FLAG
    # 236 in Internal Medicine: below the usual range (matched non-US IMGs averaged about 249), never a red flag.
    assert statuses[Area.SCORE] is AreaStatus.NEEDS_WORK
    assert result.red_flags == (result.areas[0],) and result.areas[1].status is AreaStatus.NEEDS_WORK
    assert await service.pending(ALICE) is None, "a finished assessment is offered for saving, not resuming"
    assert (await service.result(ALICE)).overall is OverallLevel.AT_RISK

    first = await service.save(ALICE)
    assert first.overall is OverallLevel.AT_RISK and first.statuses == statuses
    with pytest.raises(UserInputError, match="no finished assessment"):
        await service.save(ALICE)

    # A month later: hands-on experience, letters and a J-1 plan.
    clock.advance(timedelta(days=30))
    better = {**AT_RISK, "usce_months": "4", "usce_kind": "hands-on", "us_letters": "3", "visa": "j1"}
    await answer_all(service, ALICE, better)
    await service.finish(ALICE)
    await service.save(ALICE)

    history = await service.history(ALICE)
    # The CK score below the usual range is no red flag, so without the others the member only needs work.
    assert [s.overall for s in history.saves] == [OverallLevel.AT_RISK, OverallLevel.NEEDS_WORK]
    assert history.latest is not None and history.latest.saved_at == START + timedelta(days=30)
    [diff] = history.diffs
    trends = {change.area: change.trend for change in diff.changes}
    assert trends[Area.USCE] is Trend.IMPROVED
    assert trends[Area.LETTERS] is Trend.IMPROVED
    assert trends[Area.VISA] is Trend.IMPROVED
    assert trends[Area.SCORE] is Trend.SAME
    assert {c.area for c in diff.changed} == {Area.USCE, Area.LETTERS, Area.VISA}
    assert (await service.history(BOB)).saves == ()


async def test_back_keeps_answers_and_reopens_follow_ups(service: ReadinessService) -> None:
    await service.start(ALICE)
    await service.answer(ALICE, "target_match", "2029")
    step = await service.answer(ALICE, "step1", "passed")
    assert step.step is not None and step.step.id == "step2ck"
    back = await service.back(ALICE)
    assert back.step is not None and back.step.id == "step1" and back.current_value == "passed"
    assert back.can_go_back
    forward = await service.answer(ALICE, "step1", "passed")
    after_ck = await service.answer(ALICE, forward.step.id if forward.step else "", "passed")
    assert after_ck.step is not None and after_ck.step.id == "step2ck_score"
    await service.answer(ALICE, "step2ck_score", "250")
    # Going back to CK and changing it drops the score question and its answer.
    await service.back(ALICE)
    ck = await service.back(ALICE)
    assert ck.step is not None and ck.step.id == "step2ck"
    following = await service.answer(ALICE, "step2ck", "preparing")
    assert following.step is not None and following.step.id == "specialty"
    assert following.answers.step2ck_score is None
    await service.back(ALICE)
    await service.back(ALICE)
    await service.back(ALICE)
    with pytest.raises(UserInputError, match="first question"):
        await service.back(ALICE)


async def test_dismissed_assessment_resumes_and_restart_discards(service: ReadinessService, clock: Clock) -> None:
    assert await service.pending(ALICE) is None
    with pytest.raises(UserInputError, match="no assessment in progress"):
        await service.resume(ALICE)
    await service.start(ALICE)
    await service.answer(ALICE, "target_match", "2028")
    await service.answer(ALICE, "step1", "scheduled")
    # The member dismissed the message; an hour later they come back.
    clock.advance(timedelta(hours=1))
    pending = await service.pending(ALICE)
    assert pending is not None and pending.resumed and pending.step is not None and pending.step.id == "step2ck"
    again = await service.start(ALICE)
    assert again.resumed and again.step is not None and again.step.id == "step2ck" and again.number == 3
    fresh = await service.start(ALICE, restart=True)
    assert not fresh.resumed and fresh.step is not None and fresh.step.id == "target_match"
    assert fresh.answers.step1 is None
    # Untouched for more than 30 days: forgotten.
    await service.answer(ALICE, "target_match", "2028")
    clock.advance(timedelta(days=31))
    assert await service.pending(ALICE) is None


async def test_cancel_forgets(service: ReadinessService) -> None:
    await service.start(ALICE)
    await service.answer(ALICE, "target_match", "2028")
    assert await service.cancel(ALICE) is True
    assert await service.pending(ALICE) is None
    assert await service.cancel(ALICE) is False
    with pytest.raises(UserInputError, match="no assessment in progress"):
        await service.answer(ALICE, "step1", "passed")


async def test_stale_and_invalid_answers_change_nothing(service: ReadinessService) -> None:
    await service.start(ALICE)
    await service.answer(ALICE, "target_match", "2028")
    with pytest.raises(UserInputError, match="not the current one"):
        await service.answer(ALICE, "target_match", "2029")
    with pytest.raises(UserInputError, match="pick one of the options"):
        await service.answer(ALICE, "step1", "perhaps")
    pending = await service.pending(ALICE)
    assert pending is not None and pending.step is not None and pending.step.id == "step1"
    assert pending.answers.target_match == 2028 and pending.answers.step1 is None
    # Questions that apply so far: 17 minus five follow-ups not opened yet, minus the one answered.
    with pytest.raises(UserInputError, match="remaining 11 questions"):
        await service.finish(ALICE)


async def test_a_passed_score_below_the_passing_score_is_questioned_and_not_stored(
    service: ReadinessService, conn: Connection
) -> None:
    await service.start(ALICE)
    await service.answer(ALICE, "target_match", "2028")
    await service.answer(ALICE, "step1", "passed")
    await service.answer(ALICE, "step2ck", "passed")
    with pytest.raises(UserInputError, match=r"^150 is below the Step 2 CK passing score \(218 for exams from July 1"):
        await service.answer(ALICE, "step2ck_score", "150")
    pending = await service.pending(ALICE)
    assert pending is not None and pending.step is not None and pending.step.id == "step2ck_score"
    assert pending.answers.step2ck_score is None, "a refused score is not kept"
    # 216 may be a pass from before July 2025: the exam date is asked, and "since July 2025" is refused.
    asked = await service.answer(ALICE, "step2ck_score", "216")
    assert asked.step is not None and asked.step.id == "step2ck_period"
    with pytest.raises(UserInputError, match=r"^216 is below 218, the Step 2 CK passing score for exams taken from"):
        await service.answer(ALICE, "step2ck_period", "2025-07-01")
    following = await service.answer(ALICE, "step2ck_period", "2022-07-01")
    assert following.step is not None and following.step.id == "specialty"
    # The honest alternative the message offers: mark Step 2 CK as not passed; the score and date are dropped.
    await service.back(ALICE)
    await service.back(ALICE)
    ck = await service.back(ALICE)
    assert ck.step is not None and ck.step.id == "step2ck"
    failed = await service.answer(ALICE, "step2ck", "failed")
    assert (failed.answers.step2ck_score, failed.answers.step2ck_period) == (None, None)


async def test_a_stored_score_below_the_passing_score_is_asked_again(
    service: ReadinessService, conn: Connection
) -> None:
    # Saved by a version that did not check it: the member is asked for the score again instead of judged on it.
    repo = ReadinessRepository(conn)
    stored = {"target_match": 2028, "step1": "passed", "step2ck": "passed", "step2ck_score": 150}
    await repo.put_session(ALICE, stored, "specialty", completed=False, started_at=START, updated_at=START)
    pending = await service.pending(ALICE)
    assert pending is not None and pending.step is not None and pending.step.id == "step2ck_score"
    assert pending.answers.step2ck_score is None


def test_the_end_to_end_clock_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    assert clock_from_env({})().tzinfo is not None
    moved = clock_from_env({TEST_NOW_ENV: "2026-12-06T15:00:00+00:00"})
    assert abs(moved() - datetime(2026, 12, 6, 15, 0, tzinfo=UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError, match="needs a time zone"):
        clock_from_env({TEST_NOW_ENV: "2026-12-06T15:00:00"})
    with pytest.raises(ValueError, match="ISO 8601"):
        clock_from_env({TEST_NOW_ENV: "next tuesday"})


async def test_answers_from_an_older_version_keep_what_still_fits(service: ReadinessService, conn: Connection) -> None:
    repo = ReadinessRepository(conn)
    stored = {"target_match": 2028, "step1": "passed", "step2ck": "retired-status", "removed_question": "x"}
    await repo.put_session(ALICE, stored, "step2ck", completed=False, started_at=START, updated_at=START)
    pending = await service.pending(ALICE)
    assert pending is not None and pending.step is not None and pending.step.id == "step2ck"
    assert (pending.answers.target_match, pending.answers.step1, pending.answers.step2ck) == (2028, "passed", None)


async def test_members_are_kept_apart(service: ReadinessService) -> None:
    await answer_all(service, ALICE, AT_RISK)
    await service.start(BOB)
    await service.answer(BOB, "target_match", "2030")
    assert (await service.finish(ALICE)).target_match == 2028
    bob = await service.pending(BOB)
    assert bob is not None and bob.answers.target_match == 2030


async def test_export_and_delete_user_data(service: ReadinessService, conn: Connection) -> None:
    await answer_all(service, ALICE, AT_RISK)
    await service.finish(ALICE)
    await service.save(ALICE)
    await service.start(ALICE)
    await service.answer(ALICE, "target_match", "2029")
    await answer_all(service, BOB, AT_RISK)

    exported = await service.export_user_data(ALICE)
    assert exported["readiness_in_progress"]["answers"] == {"target_match": 2029}
    [saved] = exported["readiness_saved_results"]
    assert saved["overall"] == "at_risk" and saved["areas"]["visa"] == "red_flag"
    assert saved["saved_at"] == START.isoformat()

    removed = await service.delete_user_data(ALICE)
    assert removed == 1 + 1 + len(saved["areas"])
    assert await service.export_user_data(ALICE) == {"readiness_in_progress": None, "readiness_saved_results": []}
    async with conn.execute("SELECT COUNT(*) FROM readiness_result_areas") as cursor:
        row = await cursor.fetchone()
    assert row is not None and row[0] == 0
    # Bob answered everything but has not seen his result yet: resuming takes him to "See my result".
    bob = await service.pending(BOB)
    assert bob is not None and bob.complete
    assert (await service.finish(BOB)).overall is OverallLevel.AT_RISK


async def test_saved_results_are_capped_per_member(conn: Connection) -> None:
    repo = ReadinessRepository(conn)
    for day in range(4):
        await repo.add_result(
            ALICE, START + timedelta(days=day), OverallLevel.NEEDS_WORK, {Area.USCE: AreaStatus.NEEDS_WORK}, keep=2
        )
    await repo.add_result(BOB, START, OverallLevel.ON_TRACK, {Area.USCE: AreaStatus.READY}, keep=2)
    kept = await repo.results(ALICE)
    assert [r.saved_at for r in kept] == [START + timedelta(days=2), START + timedelta(days=3)]
    assert len(await repo.results(BOB)) == 1
    async with conn.execute("SELECT COUNT(*) FROM readiness_result_areas") as cursor:
        row = await cursor.fetchone()
    assert row is not None and row[0] == 3


async def test_purge_stale(service: ReadinessService, clock: Clock) -> None:
    await service.start(ALICE)
    clock.advance(timedelta(days=20))
    await service.start(BOB)
    clock.advance(timedelta(days=15))
    assert await service.purge_stale() == 1
    assert await service.pending(ALICE) is None and await service.pending(BOB) is not None


async def test_timeline_through_the_service(service: ReadinessService) -> None:
    with pytest.raises(UserInputError, match=r"^Match 1999 is in the past\. .*Match 2027\.$"):
        service.timeline(1999)
    with pytest.raises(UserInputError, match=r"^Plan at most 6 years ahead: try 2027–2032\.$"):
        service.timeline(2099)
    plan = service.timeline(2029, step1="done", step2ck="2028-05", usce_months=1)
    assert plan.match_year == 2029 and plan.warnings == ()
    # Match 2027 with no exam passed: refused with the earliest realistic Match, not planned after the Match.
    with pytest.raises(UnreachableMatchError, match=r"^Match 2027 is not reachable any more\.") as caught:
        service.timeline(2027)
    assert caught.value.earliest == 2029 and "**Match 2029**" in str(caught.value)
    parsed = Calendar.from_ical(service.timeline_ics(plan))
    assert len(parsed.walk("VEVENT")) == sum(1 for item in plan.items if item.at is not None)
