"""The working-day calendar: Chinese statutory holidays and make-up workdays (调休)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from xietong.lib.workdays import add_working_days, is_workday, working_days_between


@pytest.mark.parametrize("day", [date(2024, 10, d) for d in range(1, 8)])
def test_it_treats_the_national_day_week_as_holidays(day: date) -> None:
    assert not is_workday(day)


def test_it_treats_make_up_weekend_days_as_workdays() -> None:
    assert date(2024, 9, 29).weekday() == 6  # a Sunday
    assert is_workday(date(2024, 9, 29))
    assert date(2024, 10, 12).weekday() == 5  # a Saturday
    assert is_workday(date(2024, 10, 12))


def test_it_treats_ordinary_days_by_the_week() -> None:
    assert is_workday(date(2024, 7, 15))  # Monday
    assert not is_workday(date(2024, 7, 13))  # Saturday
    assert not is_workday(date(2024, 7, 14))  # Sunday


def test_it_falls_back_to_monday_to_friday_outside_the_published_years() -> None:
    # 2099 has no published arrangement: 1 January 2099 is a Thursday, worked.
    assert is_workday(date(2099, 1, 1))
    assert not is_workday(date(2099, 1, 3))  # Saturday
    assert is_workday(date(1999, 10, 1))  # Friday, before the library's first year


def test_it_adds_working_days_across_the_national_day_holiday() -> None:
    assert add_working_days(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert add_working_days(date(2024, 9, 27), 1) == date(2024, 9, 29)  # the Sunday make-up day
    assert add_working_days(date(2024, 10, 11), 1) == date(2024, 10, 12)  # the Saturday make-up day
    assert add_working_days(date(2024, 10, 11), 2) == date(2024, 10, 14)


def test_it_adds_zero_and_negative_working_days() -> None:
    assert add_working_days(date(2024, 10, 3), 0) == date(2024, 10, 3)
    assert add_working_days(date(2024, 10, 8), -1) == date(2024, 9, 30)
    assert add_working_days(date(2024, 10, 8), -2) == date(2024, 9, 29)


def test_it_counts_working_days_after_start_up_to_end() -> None:
    assert working_days_between(date(2024, 7, 12), date(2024, 7, 15)) == 1  # Friday to Monday
    assert working_days_between(date(2024, 7, 15), date(2024, 7, 15)) == 0
    # 29 Sep (make-up) to 12 Oct: 30 Sep, 8-11 Oct and Saturday 12 Oct.
    assert working_days_between(date(2024, 9, 29), date(2024, 10, 12)) == 6
    assert working_days_between(date(2024, 10, 12), date(2024, 9, 29)) == -6


def test_it_agrees_with_itself_when_adding_and_counting() -> None:
    start = date(2024, 9, 20)
    for n in range(15):
        assert working_days_between(start, add_working_days(start, n)) == n


def test_it_refuses_a_datetime_whose_local_day_is_ambiguous() -> None:
    with pytest.raises(TypeError):
        is_workday(datetime(2024, 10, 8, 9, 0))  # noqa: DTZ001
