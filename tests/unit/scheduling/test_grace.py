"""The grace-window policy for deliveries missed while the bot was down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.scheduling.grace import SkipReason, triage_missed

NOW = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)
GRACE = timedelta(hours=6)


@dataclass(frozen=True)
class Item:
    group_key: str
    fire_at: datetime
    name: str = ""


def test_late_within_the_window_is_posted() -> None:
    item = Item("m:1:rol-deadline-2027", NOW - timedelta(hours=5, minutes=59))
    result = triage_missed([item], NOW, GRACE)
    assert result.late == [item] and result.skipped == []


def test_exactly_at_the_edge_is_still_posted() -> None:
    item = Item("g", NOW - GRACE)
    assert triage_missed([item], NOW, GRACE).late == [item]


def test_beyond_the_window_is_skipped() -> None:
    item = Item("g", NOW - GRACE - timedelta(seconds=1))
    result = triage_missed([item], NOW, GRACE)
    assert result.late == [] and result.skipped == [(item, SkipReason.BEYOND_GRACE)]


def test_only_the_latest_reminder_of_an_occurrence_after_a_long_outage() -> None:
    week = Item("m:1:rol", NOW - timedelta(days=7), "7d")
    day = Item("m:1:rol", NOW - timedelta(days=1), "1d")
    hours = Item("m:1:rol", NOW - timedelta(hours=3), "3h")
    other_server = Item("m:2:rol", NOW - timedelta(hours=3), "3h, other server")
    result = triage_missed([hours, week, other_server, day], NOW, GRACE)
    assert sorted(i.name for i in result.late) == ["3h", "3h, other server"]
    assert {(i.name, r) for i, r in result.skipped} == {("7d", SkipReason.SUPERSEDED), ("1d", SkipReason.SUPERSEDED)}


def test_latest_beyond_the_window_means_nothing_is_posted() -> None:
    old = [Item("g", NOW - timedelta(days=3)), Item("g", NOW - timedelta(days=2))]
    result = triage_missed(old, NOW, GRACE)
    assert result.late == []
    assert sorted(r for _, r in result.skipped) == [SkipReason.BEYOND_GRACE, SkipReason.SUPERSEDED]


def test_a_reminder_older_than_one_already_delivered_is_superseded() -> None:
    stale = Item("g", NOW - timedelta(hours=2))
    result = triage_missed([stale], NOW, GRACE, delivered_latest={"g": NOW - timedelta(hours=1)})
    assert result.late == [] and result.skipped == [(stale, SkipReason.SUPERSEDED)]


def test_a_reminder_due_in_the_future_is_not_missed() -> None:
    with pytest.raises(ValueError, match="after now"):
        triage_missed([Item("g", NOW + timedelta(seconds=1))], NOW, GRACE)


items = st.lists(
    st.builds(
        Item,
        group_key=st.sampled_from(["a", "b", "c"]),
        fire_at=st.integers(min_value=0, max_value=3 * 24 * 3600).map(lambda s: NOW - timedelta(seconds=s)),
    ),
    max_size=30,
)


@given(items)
def test_every_item_is_decided_and_no_occurrence_is_posted_twice(missed: list[Item]) -> None:
    result = triage_missed(missed, NOW, GRACE)
    assert len(result.late) + len(result.skipped) == len(missed)
    assert len({i.group_key for i in result.late}) == len(result.late)
    for item in result.late:
        assert NOW - item.fire_at <= GRACE
        assert item.fire_at == max(i.fire_at for i in missed if i.group_key == item.group_key)
