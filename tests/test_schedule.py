"""When regular meetings of the plan (例会) take place around Chinese statutory holidays (pure, no database)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tests.helpers import TZ
from xietong.lib.schedule import (
    KEEP,
    MAX_OCCURRENCES,
    POSTPONE,
    SKIP,
    Occurrence,
    day_off_name,
    has_time_of_day,
    occurrences,
    planned_times,
)

WEEKLY = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0"
DAILY = "FREQ=DAILY;BYHOUR=9;BYMINUTE=30"


def at(day: str, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=TZ)


def start_of(day: str) -> datetime:
    return at(day, 0, 0)


def end_of(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.max, tzinfo=TZ)


def held(found: list[Occurrence]) -> list[datetime]:
    return [o.at for o in found if o.at is not None]


# --- National Day 2024: 1-7 October off, Sunday 29 September and Saturday 12 October worked


def test_a_weekly_monday_meeting_moves_from_national_day_to_tuesday_with_postpone() -> None:
    found = occurrences(WEEKLY, start_of("2024-09-23"), end_of("2024-10-20"), POSTPONE)
    assert [o.planned for o in found] == [
        at("2024-09-23"),
        at("2024-09-30"),
        at("2024-10-07"),
        at("2024-10-14"),
    ]
    assert held(found) == [at("2024-09-23"), at("2024-09-30"), at("2024-10-08"), at("2024-10-14")]
    moved = found[2]
    assert moved.moved and not moved.cancelled
    assert (moved.planned, moved.at) == (at("2024-10-07"), at("2024-10-08"))
    assert not any(o.moved for o in found[:2] + found[3:])


def test_a_weekly_monday_meeting_is_gone_that_week_with_skip() -> None:
    found = occurrences(WEEKLY, start_of("2024-09-23"), end_of("2024-10-20"), SKIP)
    assert held(found) == [at("2024-09-23"), at("2024-09-30"), at("2024-10-14")]
    cancelled = [o for o in found if o.cancelled]
    assert [o.planned for o in cancelled] == [at("2024-10-07")]
    assert day_off_name(cancelled[0].planned.date()) == "国庆节"


def test_a_weekly_monday_meeting_keeps_its_day_with_keep() -> None:
    found = occurrences(WEEKLY, start_of("2024-09-23"), end_of("2024-10-20"), KEEP)
    assert held(found) == [at("2024-09-23"), at("2024-09-30"), at("2024-10-07"), at("2024-10-14")]
    assert not any(o.moved or o.cancelled for o in found)


def test_the_make_up_sunday_does_not_gain_a_weekly_monday_meeting() -> None:
    # Sunday 2024-09-29 is a working day (调休上班), but it is not a Monday.
    for policy in (POSTPONE, SKIP, KEEP):
        found = occurrences(WEEKLY, start_of("2024-09-26"), end_of("2024-10-03"), policy)
        assert date(2024, 9, 29) not in {o.at.date() for o in found if o.at is not None}
        assert held(found) == [at("2024-09-30")]


# --- Mid-Autumn 2024: 15-17 September off, Saturday 14 September worked


def test_mid_autumn_moves_a_monday_meeting_to_wednesday() -> None:
    found = occurrences(WEEKLY, start_of("2024-09-09"), end_of("2024-09-22"), POSTPONE)
    assert held(found) == [at("2024-09-09"), at("2024-09-18")]
    assert day_off_name(date(2024, 9, 16)) == "中秋"


# --- Spring Festival 2025: 28 January - 4 February off, 26 January and 8 February worked


def test_spring_festival_2025_moves_a_monday_meeting_past_the_holiday() -> None:
    found = occurrences(WEEKLY, start_of("2025-01-20"), end_of("2025-02-16"), POSTPONE)
    assert [o.planned for o in found] == [
        at("2025-01-20"),
        at("2025-01-27"),
        at("2025-02-03"),
        at("2025-02-10"),
    ]
    # 27 January is a Monday worked before the holiday; 3 February is in it.
    assert held(found) == [at("2025-01-20"), at("2025-01-27"), at("2025-02-05"), at("2025-02-10")]
    assert day_off_name(date(2025, 2, 3)) == "春节"


def test_spring_festival_2025_with_skip_cancels_one_week() -> None:
    found = occurrences(WEEKLY, start_of("2025-01-20"), end_of("2025-02-16"), SKIP)
    assert held(found) == [at("2025-01-20"), at("2025-01-27"), at("2025-02-10")]


# --- daily rules


def test_a_daily_meeting_is_not_held_twice_when_a_holiday_is_postponed() -> None:
    found = occurrences(DAILY, start_of("2024-09-27"), end_of("2024-10-14"), POSTPONE)
    days = [o.at.date() for o in found if o.at is not None]
    assert len(days) == len(set(days)), "a postponed daily meeting lands on a day that already has one"
    # 1-7 October cannot move to the 8th, which has its own meeting: cancelled.
    assert all(o.cancelled for o in found if date(2024, 10, 1) <= o.planned.date() <= date(2024, 10, 7))
    assert at("2024-10-08", 9, 30) in held(found)
    assert days == [
        date(2024, 9, 27),
        date(2024, 9, 29),
        date(2024, 9, 30),
        date(2024, 10, 8),
        date(2024, 10, 9),
        date(2024, 10, 10),
        date(2024, 10, 11),
        date(2024, 10, 12),
        date(2024, 10, 14),
    ]


def test_a_daily_meeting_with_skip_follows_the_working_days_make_up_days_included() -> None:
    found = occurrences(DAILY, start_of("2024-09-27"), end_of("2024-10-14"), SKIP)
    days = [o.at.date() for o in found if o.at is not None]
    assert date(2024, 9, 29) in days  # make-up Sunday: a working day
    assert date(2024, 10, 12) in days  # make-up Saturday
    assert date(2024, 9, 28) not in days  # an ordinary Saturday
    assert not any(date(2024, 10, 1) <= d <= date(2024, 10, 7) for d in days)
    cancelled = [o.planned.date() for o in found if o.cancelled]
    assert cancelled == [date(2024, 9, 28), *(date(2024, 10, d) for d in range(1, 8)), date(2024, 10, 13)]
    assert day_off_name(date(2024, 9, 28)) == "周末"


def test_a_daily_meeting_with_keep_runs_every_day() -> None:
    found = occurrences(DAILY, start_of("2024-09-27"), end_of("2024-10-14"), KEEP)
    assert len(held(found)) == 18
    assert not any(o.cancelled or o.moved for o in found)


# --- the rule itself


def test_a_rule_without_a_time_of_day_is_all_day() -> None:
    assert not has_time_of_day("FREQ=WEEKLY;BYDAY=FR")
    assert has_time_of_day(WEEKLY)
    assert has_time_of_day("freq=daily;byhour=10;byminute=0")
    found = occurrences("FREQ=WEEKLY;BYDAY=FR", at("2024-09-23", 15), end_of("2024-10-13"), POSTPONE)
    assert [o.planned for o in found] == [
        start_of("2024-09-27"),
        start_of("2024-10-04"),
        start_of("2024-10-11"),
    ]
    # Friday 4 October is in the holiday; the next working day is Tuesday 8 October.
    assert held(found) == [start_of("2024-09-27"), start_of("2024-10-08"), start_of("2024-10-11")]


def test_the_rule_is_read_in_shanghai_wall_time_whatever_zone_the_start_is_in() -> None:
    utc_start = datetime(2024, 9, 22, 16, 0, tzinfo=ZoneInfo("UTC"))  # 2024-09-23 00:00 in Shanghai
    found = planned_times(WEEKLY, utc_start.astimezone(TZ), end_of("2024-09-30"))
    assert found == [at("2024-09-23"), at("2024-09-30")]


def test_a_series_is_capped() -> None:
    found = planned_times("FREQ=DAILY", start_of("2024-01-01"), end_of("2030-12-31"))
    assert len(found) == MAX_OCCURRENCES


def test_an_unreadable_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="not a readable RRULE"):
        occurrences("EVERY MONDAY", start_of("2024-09-23"), end_of("2024-10-20"), POSTPONE)


def test_holiday_names_follow_the_language() -> None:
    with translation.override("en"):
        assert day_off_name(date(2024, 10, 7)) == "National Day"
        assert day_off_name(date(2025, 2, 3)) == "Spring Festival"
    assert day_off_name(date(2024, 10, 7)) == "国庆节"
