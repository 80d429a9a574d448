"""What is due when: planned deliveries from subscriptions, server events and the cycle calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.content import Content
from bot.cycle import MilestoneKind
from bot.milestones.announcements import announcement_for, milestone_announcement
from bot.milestones.models import APPROXIMATE_KINDS, ServerEvent, Status, Subscription, TargetKind, is_approximate
from bot.milestones.planner import milestone_by_uid, plan_events, plan_milestones

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def subscription(
    guild_id: int, reminders: tuple[timedelta, ...] | None = None, since: datetime = SINCE
) -> Subscription:
    return Subscription(
        guild_id=guild_id,
        channel_id=guild_id * 10,
        role_id=None,
        reminders=reminders,
        status=Status.ACTIVE,
        paused_reason=None,
        configured_by=1,
        active_since=since,
        created_at=since,
        updated_at=since,
    )


def test_default_reminders_follow_each_kind(content: Content) -> None:
    rol = content.calendar.get(2027, MilestoneKind.ROL_DEADLINE)
    assert rol is not None
    planned = plan_milestones([subscription(1)], content.calendar, rol.at - timedelta(days=8), rol.at + timedelta(1))
    offsets = sorted((p.offset for p in planned if p.target_ref == "rol-deadline-2027"), reverse=True)
    assert tuple(offsets) == rol.reminder_offsets


def test_custom_reminders_replace_the_defaults(content: Content) -> None:
    rol = content.calendar.get(2027, MilestoneKind.ROL_DEADLINE)
    assert rol is not None
    custom = (timedelta(days=2), timedelta(0))
    planned = plan_milestones(
        [subscription(1, custom)], content.calendar, rol.at - timedelta(days=8), rol.at + timedelta(1)
    )
    assert sorted(p.offset for p in planned if p.target_ref == "rol-deadline-2027") == [timedelta(0), timedelta(2)]


def test_nothing_due_before_a_subscription_began(content: Content) -> None:
    rol = content.calendar.get(2027, MilestoneKind.ROL_DEADLINE)
    assert rol is not None
    late_joiner = subscription(2, since=rol.at - timedelta(hours=12))
    planned = plan_milestones([late_joiner], content.calendar, rol.at - timedelta(days=8), rol.at + timedelta(1))
    assert sorted(p.offset for p in planned if p.target_ref == "rol-deadline-2027") == [
        timedelta(0),
        timedelta(hours=3),
    ]


def test_paused_subscriptions_get_nothing(content: Content) -> None:
    paused = subscription(3)
    object.__setattr__(paused, "status", Status.PAUSED)
    assert plan_milestones([paused], content.calendar, SINCE, SINCE + timedelta(days=400)) == []


def test_event_reminders_from_when_it_was_added() -> None:
    starts = datetime(2027, 1, 10, 18, tzinfo=UTC)
    event = ServerEvent(
        id=4,
        guild_id=7,
        channel_id=70,
        title="Webinar",
        description="",
        starts_at=starts,
        zone="UTC",
        reminders=(timedelta(days=1), timedelta(hours=1), timedelta(0)),
        status=Status.ACTIVE,
        paused_reason=None,
        created_by=1,
        created_at=starts - timedelta(hours=2),
    )
    planned = plan_events([event], {7: 123}, SINCE, starts + timedelta(days=1))
    assert [p.offset for p in planned] == [timedelta(hours=1), timedelta(0)]  # the 1-day one predates the event
    assert all(p.kind is TargetKind.EVENT and p.role_id == 123 for p in planned)
    assert announcement_for(planned[1], lambda _: None, late=False).headline == "Starting now: Webinar"


def test_milestone_ids_resolve(content: Content) -> None:
    match_day = milestone_by_uid(content.calendar, "match-day-2027")
    assert match_day is not None and match_day.kind is MilestoneKind.MATCH_DAY and match_day.match_year == 2027
    assert milestone_by_uid(content.calendar, "not-a-kind-2027") is None
    assert milestone_by_uid(content.calendar, "match-day-x") is None
    assert milestone_by_uid(content.calendar, "match-day-99999") is None


def test_all_day_milestones_are_dated_not_timed(content: Content) -> None:
    start = content.calendar.get(2027, MilestoneKind.RESIDENCY_START)
    assert start is not None and start.all_day
    announcement = milestone_announcement(start, lambda _: "Residency start")
    assert announcement.all_day and announcement.local_text == "Thursday, July 1, 2027"
    assert announcement.headline == "Today: Residency starts (Match 2027)"


def test_the_registration_deadline_is_announced_like_every_milestone(content: Content) -> None:
    deadline = content.calendar.get(2027, MilestoneKind.NRMP_REGISTRATION_DEADLINE)
    assert deadline is not None
    assert milestone_by_uid(content.calendar, "nrmp-registration-deadline-2027") == deadline
    # A week, a day and the day itself (00:00 ET on Friday, January 29, 2027), for every subscribed server.
    planned = plan_milestones(
        [subscription(1), subscription(2)],
        content.calendar,
        deadline.at - timedelta(days=8),
        deadline.at + timedelta(hours=1),
    )
    mine = [p for p in planned if p.target_ref == "nrmp-registration-deadline-2027"]
    assert sorted({p.offset for p in mine}, reverse=True) == [timedelta(days=7), timedelta(days=1), timedelta(0)]
    assert {p.guild_id for p in mine} == {1, 2} and len(mine) == 6
    assert deadline.at == datetime(2027, 1, 29, 5, 0, tzinfo=UTC)  # midnight EST
    announcement = announcement_for(next(p for p in mine if p.offset == timedelta(0)), lambda _: "NRMP", late=False)
    assert announcement.headline == "Today: NRMP standard registration deadline (Match 2027)"
    assert announcement.all_day and announcement.local_text == "Friday, January 29, 2027"
    assert announcement.kb_entry_id == "nrmp-registration" and announcement.kb_entry_title == "NRMP"
    assert any("late fee" in item for item in announcement.checklist)
    assert "projected" not in announcement.headline and announcement.status is not None
    assert announcement.status.value == "projected"
    week = announcement_for(next(p for p in mine if p.offset == timedelta(days=7)), lambda _: None, late=False)
    assert week.headline == "In 7 days: NRMP standard registration deadline (Match 2027)"


def test_approximate_milestones_are_announced_in_the_day_not_at_midnight(content: Content) -> None:
    # "Interview season winds down (approximate)" used to be posted at 00:00 US Eastern: the middle of the night
    # in the Americas. It is posted at 15:00 UTC on its date, and the post says the date is approximate.
    for kind in sorted(APPROXIMATE_KINDS):
        milestone = content.calendar.get(2027, kind)
        assert milestone is not None and milestone.all_day and is_approximate(milestone)
        day = milestone.local_date
        posted_at = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
        # Windows of the sweep that start after the anchoring midnight still find it.
        for start in (milestone.at - timedelta(days=2), milestone.at + timedelta(hours=1), posted_at):
            planned = plan_milestones([subscription(1)], content.calendar, start, posted_at + timedelta(minutes=1))
            mine = [p for p in planned if p.target_ref == milestone.uid]
            assert [(p.fire_at, p.offset) for p in mine] == [(posted_at, timedelta(0))]
        # Nothing at the midnight it is anchored at, nor until the afternoon.
        before = plan_milestones([subscription(1)], content.calendar, milestone.at, posted_at)
        assert [p for p in before if p.target_ref == milestone.uid] == []
        # A custom reminder a day before comes a day before that afternoon post; the key stays the reminder's.
        custom = plan_milestones(
            [subscription(2, (timedelta(days=1),))],
            content.calendar,
            posted_at - timedelta(days=2),
            posted_at,
        )
        assert [p.fire_at for p in custom if p.target_ref == milestone.uid] == [posted_at - timedelta(days=1)]
        announcement = milestone_announcement(milestone, lambda entry: entry)
        assert announcement.approximate and "(approximate)" in announcement.headline


def test_only_the_approximate_kinds_move_and_their_titles_say_so(content: Content) -> None:
    for kind in MilestoneKind:
        assert ("(approximate)" in content.calendar.words[kind].title) == (kind in APPROXIMATE_KINDS)
    residency = content.calendar.get(2027, MilestoneKind.RESIDENCY_START)
    assert residency is not None and residency.all_day and not is_approximate(residency)
    planned = plan_milestones(
        [subscription(1)], content.calendar, residency.at - timedelta(hours=1), residency.at + timedelta(hours=1)
    )
    assert [p.fire_at for p in planned if p.target_ref == residency.uid] == [residency.at]
