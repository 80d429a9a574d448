"""Server events: date, time and zone validation, daylight-saving time in the server's zone, zone suggestions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.milestones.events import find_zone, parse_event_when, suggest_zones
from bot.validation import UserInputError

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def test_a_normal_time_becomes_utc() -> None:
    when = parse_event_when("2027-03-04", "18:30", "Asia/Kolkata", NOW)
    assert when.zone == "Asia/Kolkata"
    assert when.starts_at == datetime(2027, 3, 4, 13, 0, tzinfo=UTC)


def test_seconds_are_accepted() -> None:
    when = parse_event_when("2026-10-01", "12:00:05", "UTC", NOW)
    assert when.starts_at == NOW + timedelta(seconds=5)


def test_zone_is_matched_without_case_or_underscores() -> None:
    assert find_zone("america/new york", NOW) == "America/New_York"
    assert parse_event_when("2027-01-10", "09:00", "asia/kolkata", NOW).zone == "Asia/Kolkata"


def test_summer_and_winter_offsets_in_the_same_zone() -> None:
    winter = parse_event_when("2027-01-10", "09:00", "America/New_York", NOW).starts_at
    summer = parse_event_when("2027-07-10", "09:00", "America/New_York", NOW).starts_at
    assert (winter.hour, summer.hour) == (14, 13)


def test_time_skipped_by_daylight_saving_is_refused_clearly() -> None:
    with pytest.raises(UserInputError) as caught:
        parse_event_when("2027-03-14", "02:30", "America/New_York", NOW)
    text = str(caught.value)
    assert "2027-03-14 02:30 does not exist in America/New_York" in text
    assert "jump forward by 1 hour" in text


def test_time_repeated_by_daylight_saving_is_refused_clearly() -> None:
    with pytest.raises(UserInputError) as caught:
        parse_event_when("2026-11-01", "01:30", "America/New_York", NOW)
    text = str(caught.value)
    assert "happens twice in America/New_York" in text and "go back by 1 hour" in text


def test_southern_hemisphere_and_half_hour_shifts() -> None:
    # Sydney springs forward on the first Sunday of October; Lord Howe Island moves by 30 minutes.
    with pytest.raises(UserInputError, match="does not exist in Australia/Sydney"):
        parse_event_when("2026-10-04", "02:15", "Australia/Sydney", NOW)
    with pytest.raises(UserInputError, match="jump forward by 30 minutes"):
        parse_event_when("2026-10-04", "02:10", "Australia/Lord_Howe", NOW)
    # The hour just after the change is fine.
    assert parse_event_when("2026-10-04", "03:00", "Australia/Sydney", NOW).starts_at.hour == 16


@pytest.mark.parametrize(
    ("date", "time", "zone", "message"),
    [
        ("04/03/2027", "18:30", "UTC", "Use YYYY-MM-DD"),
        ("2027-02-30", "18:30", "UTC", "is not a real date"),
        ("2027-03-04", "6pm", "UTC", "Use HH:MM in 24-hour time"),
        ("2027-03-04", "24:00", "UTC", "Use HH:MM in 24-hour time"),
        ("2027-03-04", "18:30", "Mars/Olympus", "I don't know the time zone"),
        ("2026-09-30", "18:30", "UTC", "has already passed"),
        ("2026-10-01", "11:59", "UTC", "has already passed"),
        ("2029-01-01", "10:00", "UTC", "more than two years ahead"),
    ],
)
def test_bad_dates_are_explained(date: str, time: str, zone: str, message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        parse_event_when(date, time, zone, NOW)


def test_zone_suggestions_match_what_was_typed() -> None:
    assert suggest_zones("kolk", NOW)[0] == "Asia/Kolkata"
    assert suggest_zones("new york", NOW)[0] == "America/New_York"
    assert "America/New_York" in suggest_zones("york", NOW)
    lagos = suggest_zones("LAG", NOW)
    assert "Africa/Lagos" in lagos
    assert all(len(found) <= 25 for found in (suggest_zones("a", NOW), suggest_zones("", NOW)))
    assert len(suggest_zones("a", NOW)) == 25
    assert suggest_zones("", NOW)[0] == "Asia/Kolkata"  # the popular zones, as for study groups
    assert suggest_zones("zzzz-not-a-zone", NOW) == []


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("EST", "America/New_York"),
        ("est", "America/New_York"),
        ("PST", "America/Los_Angeles"),
        ("CET", "Europe/Berlin"),
        ("IST", "Asia/Kolkata"),
        ("Etc/GMT+5", "America/Chicago"),  # UTC-5 in July: Chicago's summer time, among the places at that offset
        ("EST5EDT", "America/New_York"),
    ],
)
def test_abbreviations_and_fixed_offsets_are_refused_with_a_suggestion(typed: str, suggested: str) -> None:
    # EST used to be accepted as UTC-5 all year: a July event in New York was posted an hour late.
    with pytest.raises(UserInputError) as caught:
        parse_event_when("2027-07-01", "10:00", typed, NOW.replace(month=7))
    text = str(caught.value)
    assert f"`{suggested}`" in text
    assert "daylight saving time" in text and "Did you mean" in text


def test_an_abbreviation_suggests_the_city_not_the_zone_tzdata_links_it_to() -> None:
    # tzdata links EST to America/Panama: nobody typing EST means Panama.
    with pytest.raises(UserInputError) as caught:
        find_zone("EST", NOW)
    assert "`America/New_York`?" in str(caught.value) and "Panama" not in str(caught.value)


def test_an_old_alias_becomes_the_canonical_zone() -> None:
    assert find_zone("US/Eastern", NOW) == "America/New_York"
    assert find_zone("Asia/Calcutta", NOW) == "Asia/Kolkata"
    assert parse_event_when("2027-07-01", "10:00", "US/Eastern", NOW).starts_at == datetime(2027, 7, 1, 14, tzinfo=UTC)
