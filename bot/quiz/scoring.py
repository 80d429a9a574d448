"""Points and rankings, as plain functions so that their rules can be tested on their own.

- Group quiz: a correct answer earns 500 points plus up to 500 more for speed, in proportion to the time left on the
  question's timer (rounded to a whole number). A wrong or missing answer earns 0.
- Solo quiz: a correct answer earns 500 points (the group base, with no speed part), but only the first time a user
  answers that question correctly; otherwise a bank of 150 questions could be farmed for points by repetition.
- Review quizzes earn no points: they are for learning, and repeat questions already answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TypeVar

BASE_POINTS = 500
SPEED_POINTS = 500
SOLO_POINTS = BASE_POINTS
MAX_POINTS = BASE_POINTS + SPEED_POINTS

T = TypeVar("T")


def remaining_fraction(opened_at: dt.datetime, now: dt.datetime, limit: dt.timedelta) -> float:
    """The share of the timer left at ``now``: 1.0 at the start (or before it), 0.0 at or after the deadline."""
    if limit <= dt.timedelta(0):
        raise ValueError("the time limit must be positive")
    left = (opened_at + limit - now) / limit
    return min(1.0, max(0.0, left))


def group_points(correct: bool, fraction_left: float) -> int:
    """Points for one answer in a group quiz; faster (a larger ``fraction_left``) never earns fewer."""
    if not correct:
        return 0
    fraction = min(1.0, max(0.0, fraction_left))
    return round(BASE_POINTS + SPEED_POINTS * fraction)


def accuracy(correct: int, total: int) -> float:
    """Share of correct answers, 0.0 when nothing was answered."""
    return correct / total if total else 0.0


def competition_ranks(items: Sequence[T], key: Callable[[T], tuple[int, ...]]) -> list[tuple[int, T]]:
    """Rank items already sorted best first: equal keys share a rank, and the next rank skips (1, 1, 3)."""
    ranked: list[tuple[int, T]] = []
    previous: tuple[int, ...] | None = None
    rank = 0
    for position, item in enumerate(items, start=1):
        current = key(item)
        if current != previous:
            rank = position
            previous = current
        ranked.append((rank, item))
    return ranked
