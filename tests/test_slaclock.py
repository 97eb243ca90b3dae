"""SLA clocks across a weekend, a statutory holiday and a make-up workday (2024 National Day)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import TZ, at
from xietong.lib.slaclock import CALENDAR, WORKING, WorkingDay, deadline_of, elapsed


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def test_calendar_hours_count_every_hour() -> None:
    assert elapsed(at(2024, 9, 27, 17), at(2024, 9, 30, 17), clock=CALENDAR, tz=TZ) == hours(72)
    assert deadline_of(at(2024, 9, 27, 17), 24, clock=CALENDAR, tz=TZ) == at(2024, 9, 28, 17)


def test_working_hours_skip_the_weekend() -> None:
    # Friday 2024-09-20 17:00 to Monday 09-23 10:00: one hour on Friday, one on Monday.
    assert elapsed(at(2024, 9, 20, 17), at(2024, 9, 23, 10), clock=WORKING, tz=TZ) == hours(2)


def test_working_hours_across_the_make_up_sunday_and_the_national_day_holiday() -> None:
    """Sunday 09-29 is a make-up workday (调休上班); 10-01 to 10-07 are off."""
    start = at(2024, 9, 27, 17)  # Friday
    # Friday 1 h + Sunday 9 h + Monday 9 h + Tuesday 10-08 1 h
    assert elapsed(start, at(2024, 10, 8, 10), clock=WORKING, tz=TZ) == hours(20)
    # 24 working hours: 19 by Monday 18:00, the other 5 on Tuesday 10-08 after the holiday.
    assert deadline_of(start, 24, clock=WORKING, tz=TZ) == at(2024, 10, 8, 14)


def test_a_pause_waiting_on_the_requester_stops_both_clocks() -> None:
    pause = [(at(2024, 9, 23, 12), at(2024, 9, 23, 15))]
    for clock in (CALENDAR, WORKING):
        assert elapsed(at(2024, 9, 23, 10), at(2024, 9, 23, 17), pauses=pause, clock=clock, tz=TZ) == hours(4)
    assert deadline_of(at(2024, 9, 23, 10), 24, pauses=pause, clock=CALENDAR, tz=TZ) == at(2024, 9, 24, 13)
    # 8 working hours from Monday 10:00 with 3 paused: 5 on Monday (10-12, 15-18), 3 on Tuesday.
    assert deadline_of(at(2024, 9, 23, 10), 8, pauses=pause, clock=WORKING, tz=TZ) == at(2024, 9, 24, 12)


def test_a_request_made_outside_working_hours_starts_counting_next_morning() -> None:
    assert elapsed(at(2024, 9, 23, 20), at(2024, 9, 24, 10), clock=WORKING, tz=TZ) == hours(1)
    assert deadline_of(at(2024, 9, 23, 20), 2, clock=WORKING, tz=TZ) == at(2024, 9, 24, 11)


def test_the_working_day_is_configurable_and_checked() -> None:
    day = WorkingDay.parse("08:30-17:30")
    assert elapsed(at(2024, 9, 23, 8), at(2024, 9, 23, 9), clock=WORKING, tz=TZ, day=day) == hours(0.5)
    for bad in ("9-18", "18:00-09:00", "morning"):
        with pytest.raises(ValueError):
            WorkingDay.parse(bad)


def test_no_time_passes_backwards() -> None:
    assert elapsed(at(2024, 9, 23, 10), at(2024, 9, 23, 9), tz=TZ) == timedelta(0)
