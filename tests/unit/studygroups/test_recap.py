"""The weekly recap's arithmetic, its ordering, who it names (only members who checked in), and its line."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.studygroups.charts import EMBED_FIELD_LIMIT, ChartMetric, daily_points, progress_chart
from bot.studygroups.models import CheckIn
from bot.studygroups.recap import LINES, MIN_STREAK_SHOWN, average_percent, build_recap, choose_line
from bot.studygroups.schedule import IsoWeek

WEEK = IsoWeek(2026, 48)  # Monday 23 - Sunday 29 November 2026
GROUP = 5
STAMP = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
ALICE, BOB, CAROL, DAN = 11, 22, 33, 44


def check_in(
    user_id: int,
    day: int,
    questions: int | None = None,
    minutes: int | None = None,
    percent: int | None = None,
    *,
    group_id: int = GROUP,
    month_day: int | None = None,
) -> CheckIn:
    local = dt.date(2026, 11, month_day) if month_day is not None else WEEK.monday + dt.timedelta(days=day)
    return CheckIn(
        group_id=group_id,
        guild_id=1,
        user_id=user_id,
        local_date=local,
        zone="Asia/Kolkata",
        studied="UWorld block",
        questions=questions,
        percent_correct=percent,
        minutes=minutes,
        blockers=None,
        created_at=STAMP,
        updated_at=STAMP,
    )


def test_recap_numbers() -> None:
    check_ins = [
        check_in(ALICE, 0, 40, 120, 70),
        check_in(ALICE, 1, 40, 90, 80),
        check_in(ALICE, 2, 20, None, None),
        check_in(BOB, 0, None, 30, None),
        check_in(BOB, 6, 10, 45, 50),
        check_in(CAROL, 3),
    ]
    recap = build_recap(GROUP, WEEK, check_ins, {ALICE: 9, BOB: 2, CAROL: 1})
    assert [(m.user_id, m.days, m.questions, m.minutes) for m in recap.members] == [
        (ALICE, 3, 100, 210),
        (BOB, 2, 10, 75),
        (CAROL, 1, 0, 0),
    ]
    assert recap.check_ins == 6 and recap.active_members == 3
    assert recap.questions == 110 and recap.minutes == 285 and recap.hours == 4.75
    # (70*40 + 80*40 + 50*10) / 90 = 72.2 -> 72
    assert recap.average_percent == 72
    assert [(s.user_id, s.days) for s in recap.top_streaks] == [
        (ALICE, 9),
        (BOB, 2),
    ]  # Carol's 1 is no streak
    assert recap.should_post
    assert recap.summary() == "3 members checked in 6 times: 110 questions, 4.8 h."


def test_members_who_did_not_check_in_are_never_named() -> None:
    # Dan has the longest streak in the server but did not check in with this group this week.
    check_ins = [
        check_in(ALICE, 0, 10),
        check_in(DAN, 0, 500, group_id=GROUP + 1),  # another group
        check_in(DAN, 0, 500, month_day=22),  # the week before
    ]
    recap = build_recap(GROUP, WEEK, check_ins, {ALICE: 3, DAN: 80, BOB: 40}, member_count=4)
    named = {m.user_id for m in recap.members} | {s.user_id for s in recap.top_streaks}
    assert named == {ALICE}
    assert recap.questions == 10 and recap.check_ins == 1
    assert recap.line in LINES["steady"]  # not "everyone", and Dan's 1000 questions do not make it "big"


def test_top_streaks_are_three_longest_with_ties_by_id() -> None:
    users = [101, 102, 103, 104, 105]
    check_ins = [check_in(u, 0) for u in users]
    streaks = {101: 5, 102: 12, 103: 5, 104: 30, 105: MIN_STREAK_SHOWN - 1}
    recap = build_recap(GROUP, WEEK, check_ins, streaks)
    assert [(s.user_id, s.days) for s in recap.top_streaks] == [(104, 30), (102, 12), (101, 5)]


def test_an_empty_week_is_not_posted() -> None:
    recap = build_recap(GROUP, WEEK, [], {})
    assert not recap.should_post
    assert (recap.members, recap.check_ins, recap.questions, recap.minutes) == ((), 0, 0, 0)
    assert recap.average_percent is None and recap.top_streaks == ()


def test_the_line_fits_the_week_and_is_deterministic() -> None:
    everyone = [check_in(ALICE, 0), check_in(BOB, 1)]
    assert build_recap(GROUP, WEEK, everyone, {}, member_count=2).line in LINES["everyone"]
    big = [check_in(ALICE, d, 100) for d in range(5)]
    assert build_recap(GROUP, WEEK, big, {}, member_count=3).line in LINES["big"]
    long_hours = [check_in(ALICE, d, None, 8 * 60) for d in range(5)]
    assert build_recap(GROUP, WEEK, long_hours, {}).line in LINES["big"]
    # The same group and week always get the same line; different weeks spread over the list.
    assert choose_line(GROUP, WEEK, "steady") == choose_line(GROUP, WEEK, "steady")
    chosen = {choose_line(GROUP, IsoWeek(2026, w), "steady") for w in range(1, 53)}
    assert len(chosen) == len(LINES["steady"])


def test_average_percent() -> None:
    assert average_percent([]) is None
    assert average_percent([check_in(ALICE, 0, None, None, 60), check_in(ALICE, 1, None, None, 71)]) == 66  # 65.5
    assert average_percent([check_in(ALICE, 0, 0, None, 90), check_in(BOB, 0, 10, None, 50)]) == 50


def test_summary_wording() -> None:
    one = build_recap(GROUP, WEEK, [check_in(ALICE, 0)], {})
    assert one.summary() == "1 member checked in once."
    hours_only = build_recap(GROUP, WEEK, [check_in(ALICE, 0, None, 30), check_in(BOB, 0, None, 120)], {})
    assert hours_only.summary() == "2 members checked in 2 times: 2.5 h."


entries = st.lists(
    st.tuples(
        st.sampled_from([ALICE, BOB, CAROL, DAN]),
        st.integers(min_value=-3, max_value=9),  # days outside the week are ignored
        st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)),
        st.one_of(st.none(), st.integers(min_value=0, max_value=1440)),
        st.sampled_from([GROUP, GROUP + 1]),
    ),
    max_size=40,
    unique_by=lambda e: (e[0], e[1], e[4]),  # the database keeps one check-in per member, day and group
)


@settings(max_examples=300, deadline=None)
@given(rows=entries, streak=st.integers(min_value=0, max_value=100))
def test_recap_arithmetic_adds_up(rows: list[tuple[int, int, int | None, int | None, int]], streak: int) -> None:
    check_ins = [check_in(u, d, q, m, group_id=g) for u, d, q, m, g in rows]
    streaks = {u: streak + u for u in (ALICE, BOB, CAROL, DAN)}
    recap = build_recap(GROUP, WEEK, check_ins, streaks)
    counted = [c for c in check_ins if c.group_id == GROUP and WEEK.monday <= c.local_date <= WEEK.sunday]
    assert recap.check_ins == len(counted) == sum(m.days for m in recap.members)
    assert recap.questions == sum(c.questions or 0 for c in counted) == sum(m.questions for m in recap.members)
    assert recap.minutes == sum(c.minutes or 0 for c in counted) == sum(m.minutes for m in recap.members)
    assert {m.user_id for m in recap.members} == {c.user_id for c in counted}
    assert {s.user_id for s in recap.top_streaks} <= {c.user_id for c in counted}
    assert len(recap.top_streaks) <= 3
    assert [m.days for m in recap.members] == sorted((m.days for m in recap.members), reverse=True)
    assert recap.should_post == bool(counted)


# -- the /progress chart -------------------------------------------------------------------------------------


def test_progress_chart_shape_and_scale() -> None:
    today = dt.date(2026, 11, 29)  # a Sunday
    check_ins = [
        check_in(ALICE, 0, 120),
        check_in(ALICE, 2, 30),
        check_in(ALICE, 6, 0),
        check_in(ALICE, 6, 60),
    ]
    check_ins.append(check_in(ALICE, 0, 10, month_day=5))
    last30 = daily_points(check_ins, today, 30)
    chart = progress_chart(last30[-7:], last30)
    assert chart.metric is ChartMetric.QUESTIONS and chart.peak == 120
    lines = chart.text.strip("`\n").split("\n")
    assert lines[0] == "7 days   █ · ▂ · · · ▄"  # 120, none, 30, none x3, 0 + 60 = 60 (half the peak)
    assert lines[1] == "         M T W T F S S"
    assert lines[2].startswith("30 days  ") and len(lines[2]) == len("30 days  ") + 30
    assert lines[2].count("·") == 30 - 4
    assert chart.legend == "Bars: questions per day (highest 120); · no check-in."
    assert len(chart.text) + len(chart.legend) < EMBED_FIELD_LIMIT


def test_progress_chart_without_numbers_shows_check_in_days() -> None:
    today = dt.date(2026, 11, 29)
    points = daily_points([check_in(ALICE, 5)], today, 30)
    chart = progress_chart(points[-7:], points)
    assert chart.metric is ChartMetric.CHECK_INS
    assert "· · · · · █ ·" in chart.text
    hours = daily_points([check_in(ALICE, 5, None, 90)], today, 30)
    hours_chart = progress_chart(hours[-7:], hours)
    assert hours_chart.metric is ChartMetric.HOURS and "1.5 h" in hours_chart.legend
