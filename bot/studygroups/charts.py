"""Compact text charts of a member's last 7 and 30 days, to sit in one embed field (pure).

::

    7 days   ▃ ▅ · █ ▂ ▆ ▁
             F S S M T W T
    30 days  ▁▃▅·█▂▆▁▁▃▅·█▂▆▁▁▃▅·█▂▆▁▁▃▅·█▂

A bar is a day with a check-in, as tall as that day's questions (or hours, when no questions were logged in
the period; every check-in is a full bar when neither was); ``·`` is a day without one. The oldest day is on
the left, today on the right. Everything is inside a code block so the columns line up on every client.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.studygroups.models import CheckIn, format_hours

log = logging.getLogger(__name__)

BARS = "▁▂▃▄▅▆▇█"
NO_CHECK_IN = "·"
EMBED_FIELD_LIMIT = 1024
_DAY_LETTERS = "MTWTFSS"


class ChartMetric(StrEnum):
    QUESTIONS = "questions"
    HOURS = "hours"
    CHECK_INS = "check-ins"


@dataclass(frozen=True)
class DayPoint:
    day: dt.date
    checked_in: bool
    questions: int
    minutes: int


@dataclass(frozen=True)
class ProgressChart:
    text: str
    """The chart, a code block ready for an embed field value."""
    legend: str
    """One line saying what a bar means, e.g. ``Bars: questions per day (highest 120); · no check-in.``"""
    metric: ChartMetric
    peak: int
    """The highest day over 30 days, in questions or minutes (0 for CHECK_INS)."""


def daily_points(check_ins: Iterable[CheckIn], today: dt.date, days: int) -> tuple[DayPoint, ...]:
    """One point per local day for the ``days`` days ending ``today`` (all groups of the day added up)."""
    first = today - dt.timedelta(days=days - 1)
    totals: dict[dt.date, tuple[int, int]] = {}
    for c in check_ins:
        if first <= c.local_date <= today:
            questions, minutes = totals.get(c.local_date, (0, 0))
            totals[c.local_date] = (questions + (c.questions or 0), minutes + (c.minutes or 0))
    points = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        questions, minutes = totals.get(day, (0, 0))
        points.append(DayPoint(day, day in totals, questions, minutes))
    return tuple(points)


def choose_metric(points: Sequence[DayPoint]) -> ChartMetric:
    if any(p.questions for p in points):
        return ChartMetric.QUESTIONS
    if any(p.minutes for p in points):
        return ChartMetric.HOURS
    return ChartMetric.CHECK_INS


def _value(point: DayPoint, metric: ChartMetric) -> int:
    if metric is ChartMetric.QUESTIONS:
        return point.questions
    if metric is ChartMetric.HOURS:
        return point.minutes
    return 1 if point.checked_in else 0


def sparkline(points: Sequence[DayPoint], metric: ChartMetric, peak: int) -> str:
    """One character a day: ``·`` without a check-in, else a bar scaled to ``peak`` (at least ``▁``)."""
    chars = []
    for point in points:
        if not point.checked_in:
            chars.append(NO_CHECK_IN)
            continue
        value = _value(point, metric)
        level = len(BARS) if peak <= 0 else max(1, math.ceil(value / peak * len(BARS)))
        chars.append(BARS[min(level, len(BARS)) - 1])
    return "".join(chars)


def progress_chart(last7: Sequence[DayPoint], last30: Sequence[DayPoint]) -> ProgressChart:
    """Both charts on one scale (the busiest of the 30 days), in a code block."""
    metric = choose_metric(last30)
    peak = max((_value(p, metric) for p in last30), default=0) if metric is not ChartMetric.CHECK_INS else 0
    week = " ".join(sparkline(last7, metric, peak))
    letters = " ".join(_DAY_LETTERS[p.day.weekday()] for p in last7)
    month = sparkline(last30, metric, peak)
    text = f"```\n7 days   {week}\n         {letters}\n30 days  {month}\n```"
    if metric is ChartMetric.QUESTIONS:
        legend = f"Bars: questions per day (highest {peak:,}); {NO_CHECK_IN} no check-in."
    elif metric is ChartMetric.HOURS:
        legend = f"Bars: study time per day (highest {format_hours(peak)}); {NO_CHECK_IN} no check-in."
    else:
        legend = f"Bars: days with a check-in; {NO_CHECK_IN} no check-in."
    return ProgressChart(text, legend, metric, peak)
