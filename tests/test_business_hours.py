"""The business-hour calendar behind SLA clocks, on fixed dates: weekends, holidays, DST, lunch breaks,
spans that run to midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from modules.aftersales.services.business_hours import Calendar, holiday_dates

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
DE_OFFICE = Calendar.build("Europe/Berlin", WEEKDAYS, "DE")


def berlin(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def test_friday_evening_plus_an_hour_is_monday_morning() -> None:
    due = DE_OFFICE.add_minutes(berlin(2026, 3, 6, 17, 30), 60)
    assert due == berlin(2026, 3, 9, 9, 30) and due.tzinfo == UTC
    assert DE_OFFICE.minutes_between(berlin(2026, 3, 6, 17, 30), due) == 60


def test_christmas_holidays_and_the_weekend_are_skipped() -> None:
    # 24 Dec 2026 is a Thursday and a working day in Germany; the 25th (Fri) and 26th (Sat) are holidays.
    assert DE_OFFICE.add_minutes(berlin(2026, 12, 24, 17, 30), 60) == berlin(2026, 12, 28, 9, 30)
    assert DE_OFFICE.minutes_between(berlin(2026, 12, 24, 9, 0), berlin(2026, 12, 29, 9, 0)) == 2 * 9 * 60
    no_holidays = Calendar.build("Europe/Berlin", WEEKDAYS)
    assert no_holidays.add_minutes(berlin(2026, 12, 24, 17, 30), 60) == berlin(2026, 12, 25, 9, 30)


def test_a_subdivision_adds_its_own_holidays() -> None:
    # Epiphany (6 Jan 2026, a Tuesday) is a holiday in Bavaria, not in Berlin.
    bavaria = Calendar.build("Europe/Berlin", WEEKDAYS, "DE", "BY")
    berlin_state = Calendar.build("Europe/Berlin", WEEKDAYS, "DE", "BE")
    start = berlin(2026, 1, 5, 17, 0)
    assert bavaria.add_minutes(start, 120) == berlin(2026, 1, 7, 10, 0)
    assert berlin_state.add_minutes(start, 120) == berlin(2026, 1, 6, 10, 0)


def test_holidays_are_cached_per_country_and_year() -> None:
    holiday_dates.cache_clear()
    DE_OFFICE.add_minutes(berlin(2026, 12, 24, 17, 30), 60)
    DE_OFFICE.add_minutes(berlin(2026, 12, 23, 17, 30), 600)
    info = holiday_dates.cache_info()
    assert info.misses == 1 and info.hits > 0


def test_dst_spring_forward_and_fall_back_in_berlin() -> None:
    # Clocks go 02:00 -> 03:00 on Sunday 29 March 2026 and 03:00 -> 02:00 on Sunday 25 October 2026.
    always = Calendar.build("Europe/Berlin", {d: [["00:00", "24:00"]] for d in
                                              ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    assert always.minutes_between(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0)) == 23 * 60
    assert always.minutes_between(berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 26, 0, 0)) == 25 * 60
    # Office hours keep their wall-clock times across the change: the UTC offset moves by an hour.
    due = DE_OFFICE.add_minutes(berlin(2026, 3, 27, 17, 30), 60)
    assert due == datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
    friday = datetime(2026, 3, 27, 16, 30, tzinfo=UTC)  # 17:30 CET
    assert DE_OFFICE.add_minutes(friday, 9 * 60 + 30) == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)  # 18:00 CEST
    assert DE_OFFICE.add_minutes(friday, 9 * 60 + 31) == datetime(2026, 3, 31, 7, 1, tzinfo=UTC)


def test_several_spans_a_day_and_spans_to_midnight() -> None:
    lunch = Calendar.build("UTC", {"mon": [["13:00", "18:00"], ["09:00", "12:00"]]})
    monday = datetime(2026, 3, 2, 11, 30, tzinfo=UTC)
    assert lunch.add_minutes(monday, 60) == datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
    assert lunch.add_minutes(monday, 6 * 60) == datetime(2026, 3, 9, 9, 30, tzinfo=UTC)  # next Monday
    assert lunch.minutes_between(datetime(2026, 3, 2, 8, tzinfo=UTC), datetime(2026, 3, 2, 20, tzinfo=UTC)) == 480
    night = Calendar.build("UTC", {"mon": [["22:00", "24:00"]], "tue": [["00:00", "02:00"]]})
    assert night.add_minutes(datetime(2026, 3, 2, 23, tzinfo=UTC), 120) == datetime(2026, 3, 3, 1, tzinfo=UTC)
    assert night.add_minutes(datetime(2026, 3, 2, 12, tzinfo=UTC), 240) == datetime(2026, 3, 3, 2, tzinfo=UTC)


def test_overlapping_spans_count_once_and_an_instant_inside_a_span_starts_there() -> None:
    overlap = Calendar.build("UTC", {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]})
    assert overlap.minutes_between(datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)) == 240
    assert overlap.add_minutes(datetime(2026, 3, 2, 10, tzinfo=UTC), 30) == datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


def test_empty_hours_mean_around_the_clock_and_between_can_be_negative() -> None:
    always = Calendar.build("Asia/Tokyo", {})
    start = datetime(2026, 5, 2, 10, 7, 13, tzinfo=UTC)
    assert always.always_open and always.add_minutes(start, 90) == start + timedelta(minutes=90)
    assert DE_OFFICE.minutes_between(berlin(2026, 3, 9, 10, 0), berlin(2026, 3, 6, 17, 0)) == -120
    assert DE_OFFICE.add_minutes(berlin(2026, 3, 7, 12, 0), 0) == berlin(2026, 3, 9, 9, 0)
    # Negative amounts go back in business time: Monday 09:30 minus an hour is Friday 17:30.
    assert DE_OFFICE.add_minutes(berlin(2026, 3, 9, 9, 30), -60) == berlin(2026, 3, 6, 17, 30)
    assert DE_OFFICE.add_minutes(berlin(2026, 12, 28, 9, 30), -60) == berlin(2026, 12, 24, 17, 30)
    # Around the clock except holidays: 1 May 2026 is a Friday and a German holiday.
    always_but_holidays = Calendar.build("UTC", {}, "DE")
    assert always_but_holidays.add_minutes(datetime(2026, 4, 30, 23, tzinfo=UTC), 120) == \
        datetime(2026, 5, 2, 1, tzinfo=UTC)


def test_timezones_other_than_the_servers() -> None:
    new_york = Calendar.build("America/New_York", WEEKDAYS)
    # Friday 17:30 in New York is 22:30 UTC; Monday 09:30 there is 14:30 UTC (EDT since 8 March 2026).
    assert new_york.add_minutes(datetime(2026, 3, 13, 21, 30, tzinfo=UTC), 60) == \
        datetime(2026, 3, 16, 13, 30, tzinfo=UTC)


def test_a_calendar_without_any_business_time_fails_loudly() -> None:
    closed = Calendar("UTC", ((),) * 7)
    with pytest.raises(ValueError, match="no business time"):
        closed.add_minutes(datetime(2026, 3, 2, tzinfo=UTC), 1)
