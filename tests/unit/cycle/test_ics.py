"""The .ics export, parsed back with icalendar: events, stable UIDs, correct start times, RFC 5545 framing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from bot.cycle.calendar import CycleCalendar
from bot.cycle.ics import PRODID, CalendarItem, milestone_item, to_ics
from bot.cycle.models import Milestone, MilestoneKind

DOMAIN = "imgbot.example.org"
STAMP = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def parse(data: bytes) -> Calendar:
    parsed = Calendar.from_ical(data)
    assert isinstance(parsed, Calendar)
    return parsed


def by_uid(parsed: Calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in parsed.walk("VEVENT")}


def test_calendar_headers(calendar: CycleCalendar) -> None:
    parsed = parse(to_ics(calendar.cycle(2027), "Match 2027", DOMAIN, dtstamp=STAMP))
    assert str(parsed["PRODID"]) == PRODID
    assert str(parsed["VERSION"]) == "2.0"
    assert str(parsed["METHOD"]) == "PUBLISH"
    assert str(parsed["X-WR-CALNAME"]) == "Match 2027"


def test_one_event_per_milestone_with_stable_uids(calendar: CycleCalendar) -> None:
    milestones = calendar.cycle(2027)
    first = to_ics(milestones, "Match 2027", DOMAIN, dtstamp=STAMP)
    again = to_ics(milestones, "Match 2027", DOMAIN, dtstamp=STAMP)
    later = to_ics(calendar.cycle(2027), "Match 2027", DOMAIN, dtstamp=STAMP + timedelta(days=30))
    events = parse(first).walk("VEVENT")
    assert len(events) == len(milestones) == 19
    uids = [str(e["UID"]) for e in events]
    assert uids == [f"{m.kind.value}-2027@{DOMAIN}" for m in milestones]
    assert first == again
    assert [str(e["UID"]) for e in parse(later).walk("VEVENT")] == uids
    assert all(e.decoded("DTSTAMP") == STAMP for e in events)


def test_dtstart_dtend_and_summary(calendar: CycleCalendar) -> None:
    milestones = calendar.cycle(2027)
    events = by_uid(parse(to_ics(milestones, "Match 2027", DOMAIN, dtstamp=STAMP)))
    for milestone in milestones:
        event = events[f"{milestone.uid}@{DOMAIN}"]
        start = event.decoded("DTSTART")  # type: ignore[attr-defined]
        end = event.decoded("DTEND")  # type: ignore[attr-defined]
        if milestone.all_day:
            assert not isinstance(start, datetime) and start == milestone.local_date
            assert end == milestone.local_date + timedelta(days=1)
        else:
            assert isinstance(start, datetime) and start == milestone.at and start.utcoffset() == timedelta(0)
            assert end == milestone.at + milestone.kind.info.duration
        summary = str(event["SUMMARY"])  # type: ignore[index]
        assert summary.startswith(milestone.title) and "Match 2027" in summary
        # Everything of Match 2027 is projected except July 1, the NRMP's own rule.
        assert summary.endswith("(projected)") == (milestone.kind is not MilestoneKind.RESIDENCY_START)
    rol = events[f"rol-deadline-2027@{DOMAIN}"]
    assert rol.decoded("DTSTART") == datetime(2027, 3, 4, 2, 0, tzinfo=UTC)  # type: ignore[attr-defined]


def test_official_events_are_not_marked_projected(calendar: CycleCalendar) -> None:
    match_day = calendar.get(2026, MilestoneKind.MATCH_DAY)
    assert match_day is not None and not match_day.is_projected
    event = parse(to_ics([match_day], "Match 2026", DOMAIN, dtstamp=STAMP)).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Match Day: results released, Match 2026"
    assert "STATUS" not in event
    assert event.decoded("DTSTART") == datetime(2026, 3, 20, 16, 0, tzinfo=UTC)


def test_registration_deadline_is_an_all_day_projected_event_with_reminders(calendar: CycleCalendar) -> None:
    deadline = calendar.get(2027, MilestoneKind.NRMP_REGISTRATION_DEADLINE)
    assert deadline is not None
    event = parse(to_ics([deadline], "Match 2027", DOMAIN, dtstamp=STAMP)).walk("VEVENT")[0]
    assert str(event["UID"]) == f"nrmp-registration-deadline-2027@{DOMAIN}"
    assert str(event["SUMMARY"]) == "NRMP standard registration deadline, Match 2027 (projected)"
    assert event.decoded("DTSTART") == date(2027, 1, 29)
    assert event.decoded("DTEND") == date(2027, 1, 30)
    assert str(event["STATUS"]) == "TENTATIVE"
    description = str(event["DESCRIPTION"])
    assert "late fee" in description and "Friday, January 29, 2027" in description
    triggers = [alarm.decoded("TRIGGER") for alarm in event.walk("VALARM")]
    assert triggers == [-timedelta(days=7), -timedelta(days=1), timedelta(0)]


def test_description_carries_checklist_source_and_alarms(calendar: CycleCalendar) -> None:
    rol = calendar.get(2027, MilestoneKind.ROL_DEADLINE)
    assert rol is not None
    event = parse(to_ics([rol], "x", DOMAIN, dtstamp=STAMP)).walk("VEVENT")[0]
    description = str(event["DESCRIPTION"])
    assert description.startswith("What to do now:\n- Certify your rank order list")
    assert "Wednesday, March 3, 2027, 21:00 US Eastern time" in description
    assert "projected" in description
    assert rol.source.url in description
    assert str(event["URL"]) == rol.source.url
    assert str(event["STATUS"]) == "TENTATIVE"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    triggers = [alarm.decoded("TRIGGER") for alarm in event.walk("VALARM")]
    assert triggers == [-timedelta(days=7), -timedelta(days=1), -timedelta(hours=3), timedelta(0)]


def test_rfc5545_framing(calendar: CycleCalendar) -> None:
    data = to_ics([*calendar.cycle(2026), *calendar.cycle(2027)], "IMG Match calendar", DOMAIN, dtstamp=STAMP)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # no bare LF anywhere
    assert max(len(line) for line in lines) <= 75  # folded (octets, excluding CRLF)
    assert len(parse(data).walk("VEVENT")) == len(calendar.cycle(2026)) + len(calendar.cycle(2027))


def test_timeline_items_timed_all_day_and_unicode() -> None:
    items = [
        CalendarItem(
            uid="timeline-42-step-2-ck",
            title="Take USMLE Step 2 CK — sınav günü",
            start=date(2027, 1, 10),
            all_day=True,
            description="Book early: test centres fill up.",
        ),
        CalendarItem(
            uid="timeline-42-mock",
            title="Mock interview with mentor",
            start=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
            url="https://www.nrmp.org/",
            busy=True,
        ),
    ]
    parsed = parse(to_ics(items, "My plan", DOMAIN, dtstamp=STAMP))
    step, mock = parsed.walk("VEVENT")
    assert str(step["SUMMARY"]) == "Take USMLE Step 2 CK — sınav günü"
    assert step.decoded("DTSTART") == date(2027, 1, 10) and step.decoded("DTEND") == date(2027, 1, 11)
    assert mock.decoded("DTSTART") == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert mock.decoded("DTEND") == datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    assert str(mock["TRANSP"]) == "OPAQUE" and "VALARM" not in [c.name for c in mock.subcomponents]


def test_milestones_and_items_mix(calendar: CycleCalendar) -> None:
    rol = calendar.get(2027, MilestoneKind.ROL_DEADLINE)
    assert isinstance(rol, Milestone)
    own = CalendarItem(uid="timeline-7-rank", title="Finish my list", start=date(2027, 2, 20), all_day=True)
    uids = by_uid(parse(to_ics([rol, own], "Mixed", DOMAIN, dtstamp=STAMP)))
    assert set(uids) == {f"rol-deadline-2027@{DOMAIN}", f"timeline-7-rank@{DOMAIN}"}
    assert milestone_item(rol).uid == "rol-deadline-2027"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"uid": "has space", "start": datetime(2027, 1, 1, tzinfo=UTC)}, "uid"),
        ({"uid": "a@b", "start": datetime(2027, 1, 1, tzinfo=UTC)}, "uid"),
        ({"uid": "x", "start": datetime(2027, 1, 1)}, "timezone-aware"),  # noqa: DTZ001 (naive on purpose)
        ({"uid": "x", "start": datetime(2027, 1, 1, tzinfo=UTC), "all_day": True}, "all-day item needs a date"),
        ({"uid": "x", "start": date(2027, 1, 1), "all_day": True, "end": date(2027, 1, 1)}, "later date"),
        ({"uid": "x", "start": datetime(2027, 1, 2, tzinfo=UTC), "end": datetime(2027, 1, 1, tzinfo=UTC)}, "end"),
        ({"uid": "x", "start": datetime(2027, 1, 1, tzinfo=UTC), "alarms": (-timedelta(days=1),)}, "negative"),
    ],
)
def test_invalid_items_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CalendarItem(title="t", **kwargs)  # type: ignore[arg-type]


def test_duplicate_uids_and_bad_domain_are_refused() -> None:
    item = CalendarItem(uid="same", title="t", start=date(2027, 1, 1), all_day=True)
    with pytest.raises(ValueError, match="two events"):
        to_ics([item, item], "x", DOMAIN)
    with pytest.raises(ValueError, match="uid_domain"):
        to_ics([item], "x", "bad domain")
