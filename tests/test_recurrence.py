"""The recurrence picker's rules: picker -> RRULE -> picker, words, next dates."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tests.helpers import TZ
from xietong.lib.recurrence import (
    MAX_MONTHS,
    MAX_OCCURRENCES,
    Recurrence,
    describe,
    expand,
    from_rrule,
    is_readable,
    never_occurs,
    next_occurrences,
    occurs_within,
)
from xietong.rules.subgoals import is_valid_rrule


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


def wall(*args: int) -> datetime:
    """Return a naive wall-clock time: next_occurrences answers naive for naive."""
    return datetime(*args)  # type: ignore[arg-type]  # noqa: DTZ001


# (picker, RRULE): the guide's examples and the other shapes the picker writes
PAIRS = [
    (Recurrence("daily", hour=10, minute=0), "FREQ=DAILY;BYHOUR=10;BYMINUTE=0"),
    (Recurrence("daily"), "FREQ=DAILY"),
    (Recurrence("weekly", weekday=4), "FREQ=WEEKLY;BYDAY=FR"),
    (Recurrence("weekly", weekday=0, hour=10, minute=0), "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0"),
    (Recurrence("weekly", weekday=6, hour=18, minute=30), "FREQ=WEEKLY;BYDAY=SU;BYHOUR=18;BYMINUTE=30"),
    (Recurrence("monthly", monthday=1), "FREQ=MONTHLY;BYMONTHDAY=1"),
    (Recurrence("monthly", monthday=31, hour=9, minute=5), "FREQ=MONTHLY;BYMONTHDAY=31;BYHOUR=9;BYMINUTE=5"),
]


@pytest.mark.parametrize(("rec", "rrule"), PAIRS)
def test_it_writes_the_rrule_of_a_picker_choice(rec: Recurrence, rrule: str) -> None:
    assert rec.to_rrule() == rrule
    assert is_valid_rrule(rrule)


@pytest.mark.parametrize(("rec", "rrule"), PAIRS)
def test_it_reads_back_what_it_wrote(rec: Recurrence, rrule: str) -> None:
    assert from_rrule(rrule) == rec
    assert from_rrule(rec.to_rrule()) == rec


@pytest.mark.parametrize(
    "text",
    [
        "RRULE:FREQ=WEEKLY;BYDAY=FR",
        "freq=weekly;byday=fr",
        " FREQ=WEEKLY ; BYDAY=FR ",
        "FREQ=WEEKLY;BYDAY=FR;INTERVAL=1",
        "FREQ=WEEKLY;WKST=MO;BYDAY=FR",
    ],
)
def test_it_reads_equivalent_spellings_of_a_picker_rule(text: str) -> None:
    assert from_rrule(text) == Recurrence("weekly", weekday=4)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "not a rule",
        "FREQ=HOURLY",
        "FREQ=YEARLY;BYMONTH=1",
        "FREQ=WEEKLY",  # the day would come from the start date
        "FREQ=WEEKLY;BYDAY=MO,FR",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "FREQ=MONTHLY",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
        "FREQ=WEEKLY;BYDAY=FR;COUNT=3",
        "FREQ=WEEKLY;BYDAY=FR;UNTIL=20241231T000000Z",
        "FREQ=DAILY;BYHOUR=10",  # minutes would come from the start date
        "FREQ=DAILY;BYMINUTE=0",
        "FREQ=DAILY;BYHOUR=10,14;BYMINUTE=0",
        "FREQ=DAILY;BYHOUR=24;BYMINUTE=0",
        "FREQ=DAILY;BYDAY=MO",
        "FREQ=WEEKLY;BYDAY=FR;BYMONTHDAY=1",
        "FREQ=DAILY;BYSECOND=0",
        "FREQ=DAILY;FREQ=WEEKLY",
        "DTSTART:20240708T100000\nRRULE:FREQ=WEEKLY;BYDAY=MO",
        "FREQ=WEEKLY;BYDAY=XX",
    ],
)
def test_it_leaves_rules_beyond_the_picker_to_the_advanced_field(text: str) -> None:
    assert from_rrule(text) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"freq": "yearly"},
        {"freq": "weekly"},  # no weekday
        {"freq": "monthly"},  # no day of the month
        {"freq": "daily", "weekday": 1},
        {"freq": "weekly", "weekday": 7},
        {"freq": "weekly", "weekday": -1},
        {"freq": "monthly", "monthday": 0},
        {"freq": "monthly", "monthday": 32},
        {"freq": "daily", "hour": 10},
        {"freq": "daily", "minute": 30},
        {"freq": "daily", "hour": 24, "minute": 0},
        {"freq": "daily", "hour": 10, "minute": 60},
    ],
)
def test_it_refuses_a_choice_the_picker_cannot_mean(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Recurrence(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rrule", "deadline", "schedule"),
    [
        ("FREQ=DAILY;BYHOUR=10;BYMINUTE=0", "每日 10:00 前", "每日 10:00"),
        ("FREQ=WEEKLY;BYDAY=FR", "每周五前", "每周五"),
        ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0", "每周一 10:00 前", "每周一 10:00"),
        ("FREQ=MONTHLY;BYMONTHDAY=1", "每月 1 日前", "每月 1 日"),
        ("FREQ=MONTHLY;BYMONTHDAY=15;BYHOUR=17;BYMINUTE=30", "每月 15 日 17:30 前", "每月 15 日 17:30"),
        ("FREQ=DAILY", "每日", "每日"),
        ("FREQ=WEEKLY;BYDAY=SU", "每周日前", "每周日"),
    ],
)
def test_it_describes_a_rule_as_people_say_it(rrule: str, deadline: str, schedule: str) -> None:
    assert describe(rrule) == deadline
    assert describe(rrule, before=False) == schedule


def test_it_shows_other_rules_as_written() -> None:
    assert describe("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO") == "自定义周期:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
    assert describe("每周五") == "无法识别的周期规则:每周五"
    assert describe("") == "—"


def test_it_agrees_with_the_rules_on_what_is_readable() -> None:
    for text in [
        "FREQ=WEEKLY;BYDAY=FR",
        "RRULE:FREQ=DAILY",
        "FREQ=WEEKLY;BYDAY=MO,FR",
        "",
        "bogus",
        "BYDAY=FR",
    ]:
        assert is_readable(text) == is_valid_rrule(text), text


def test_it_lists_the_next_weekly_meetings() -> None:
    after = datetime(2024, 7, 8, 10, 0, tzinfo=TZ)  # the kickoff, itself a Monday 10:00
    assert next_occurrences("FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0", after, 3) == [
        datetime(2024, 7, 15, 10, 0, tzinfo=TZ),
        datetime(2024, 7, 22, 10, 0, tzinfo=TZ),
        datetime(2024, 7, 29, 10, 0, tzinfo=TZ),
    ]


def test_it_counts_a_time_later_the_same_day() -> None:
    after = datetime(2024, 7, 8, 9, 0, tzinfo=TZ)
    assert next_occurrences("FREQ=DAILY;BYHOUR=10;BYMINUTE=0", after, 2) == [
        datetime(2024, 7, 8, 10, 0, tzinfo=TZ),
        datetime(2024, 7, 9, 10, 0, tzinfo=TZ),
    ]


def test_it_reads_rules_in_the_local_wall_time() -> None:
    # 01:30 UTC is 09:30 in Shanghai: the 10:00 of that day is still ahead.
    after = datetime(2024, 7, 8, 1, 30, tzinfo=ZoneInfo("UTC")).astimezone(TZ)
    (first,) = next_occurrences("FREQ=DAILY;BYHOUR=10;BYMINUTE=0", after, 1)
    assert first == datetime(2024, 7, 8, 10, 0, tzinfo=TZ)


def test_it_puts_an_untimed_rule_at_the_start_of_its_days() -> None:
    after = wall(2024, 7, 8, 12, 0)  # naive in, naive out
    assert next_occurrences("FREQ=WEEKLY;BYDAY=FR", after, 2) == [
        wall(2024, 7, 12),
        wall(2024, 7, 19),
    ]
    assert next_occurrences("FREQ=MONTHLY;BYMONTHDAY=1", after, 1) == [wall(2024, 8, 1)]


def test_it_skips_months_without_the_day() -> None:
    after = wall(2024, 1, 31, 12, 0)
    assert next_occurrences("FREQ=MONTHLY;BYMONTHDAY=31", after, 2) == [
        wall(2024, 3, 31),
        wall(2024, 5, 31),
    ]


def test_it_refuses_an_unreadable_rule() -> None:
    with pytest.raises(ValueError):
        next_occurrences("bogus", wall(2024, 7, 8), 1)
    assert next_occurrences("FREQ=DAILY", wall(2024, 7, 8), 0) == []


def test_it_stops_at_the_end_of_a_counted_rule() -> None:
    rule = "DTSTART:20240708T100000\nRRULE:FREQ=WEEKLY;COUNT=2"
    assert next_occurrences(rule, wall(2024, 7, 1), 5) == [
        wall(2024, 7, 8, 10),
        wall(2024, 7, 15, 10),
    ]


# --- bounded searches (issue 15: a rule that never happens must cost no time)

NEVER = [
    "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=MINUTELY;BYMONTH=4;BYMONTHDAY=31",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
]


@pytest.mark.parametrize("rrule", NEVER)
def test_a_rule_that_never_occurs_is_answered_at_once(rrule: str) -> None:
    after = datetime(2026, 12, 6, 10, tzinfo=TZ)
    started = time.monotonic()
    assert next_occurrences(rrule, after, 3) == []
    assert not occurs_within(rrule, after)
    assert never_occurs(rrule, after)
    assert expand(rrule, after, after + timedelta(days=3650)) == []
    # dateutil alone searches to the year 9999: seconds for an hourly rule.
    assert time.monotonic() - started < 0.5


def test_a_rare_rule_is_still_found() -> None:
    after = datetime(2026, 12, 6, 10, tzinfo=TZ)
    leap = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"
    assert next_occurrences(leap, after, 1) == [datetime(2028, 2, 29, tzinfo=TZ)]
    assert occurs_within(leap, after) and not never_occurs(leap, after)
    # … but not past the two-year horizon
    assert not occurs_within(leap, datetime(2028, 3, 1, tzinfo=TZ))


def test_a_window_gives_every_occurrence_within_it_and_no_more() -> None:
    start = datetime(2024, 7, 1, 9, tzinfo=TZ)
    found = expand("FREQ=MONTHLY;BYMONTHDAY=31", start, datetime(2025, 7, 31, 23, tzinfo=TZ))
    assert [d.month for d in found] == [7, 8, 10, 12, 1, 3, 5, 7]
    assert len(expand("FREQ=DAILY", start, start + timedelta(days=3650), limit=10)) == 10
    # a daily rule over twenty-five years stops at the cap (MAX_OCCURRENCES) …
    assert len(expand("FREQ=DAILY", start, start + timedelta(days=9131))) == MAX_OCCURRENCES
    # … and a monthly one at MAX_MONTHS of calendar
    assert len(expand("FREQ=MONTHLY;BYMONTHDAY=1", start, start + timedelta(days=9131))) <= MAX_MONTHS


def test_a_set_with_a_rule_that_never_occurs_keeps_its_other_rules() -> None:
    rules = "RRULE:FREQ=WEEKLY;BYDAY=FR\nRRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"
    assert next_occurrences(rules, wall(2024, 7, 8, 12), 2) == [wall(2024, 7, 12), wall(2024, 7, 19)]


def test_empty_and_unreadable_rules_are_not_judged_as_never_occurring() -> None:
    now = datetime(2026, 12, 6, 10, tzinfo=TZ)
    assert not never_occurs("", now)
    assert not never_occurs("bogus", now)
    with pytest.raises(ValueError):
        occurs_within("bogus", now)
