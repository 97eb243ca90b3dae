"""Department scorecards (部门评分卡): the definitions, without a database."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from tests.helpers import TZ
from xietong.rules.reporting import WeeklyMeeting
from xietong.tracking.scorecards import (
    ConfirmationFact,
    RowFact,
    SlaFact,
    confirmation_hours,
    on_time,
    punctuality,
    reporting_periods,
    scorecards,
    sla_rate,
)
from xietong.tracking.weekly import Execution

KICKOFF = datetime(2024, 7, 8, 10, tzinfo=TZ)  # Monday, week 2024-W28


def at(day: int, month: int = 7, hour: int = 12) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=TZ)


def test_on_time_compares_local_days_and_counts_undone_rows_as_late() -> None:
    rows = [
        RowFact(
            "技术部", date(2024, 7, 20), at(20, hour=23)
        ),  # the deadline day itself, late evening: on time
        RowFact(
            "技术部", date(2024, 7, 20), datetime(2024, 7, 20, 16, 30, tzinfo=ZoneInfo("UTC"))
        ),  # 00:30 on the 21st
        RowFact("技术部", date(2024, 7, 20), None),  # not done
        RowFact("技术部", None, at(1)),  # no deadline: not counted
    ]
    ratio = on_time(rows, TZ)
    assert (ratio.hits, ratio.total, ratio.percent) == (1, 3, 33)
    assert on_time([], TZ).share is None


def test_sla_rate_counts_decided_requests_only() -> None:
    now = at(31)
    requests = [
        SlaFact("技术部", at(1, hour=9), at(1, hour=20), (), 24, "calendar"),  # met
        SlaFact("技术部", at(2, hour=9), at(4, hour=9), (), 24, "calendar"),  # late
        SlaFact(
            "技术部", at(3, hour=9), at(4, hour=20), ((at(3, hour=10), at(4, hour=10)),), 24, "calendar"
        ),  # paused: met
        SlaFact("技术部", at(31, hour=9), None, (), 24, "calendar"),  # still running: undecided
        SlaFact("技术部", at(20, hour=9), None, (), 24, "calendar"),  # open past its budget: breached
    ]
    ratio = sla_rate(requests, now, TZ)
    assert (ratio.hits, ratio.total) == (2, 4)


def test_reporting_periods_run_from_the_kickoff_to_each_checkpoint_and_stop_at_the_deadline() -> None:
    # Without a weekly meeting: a period a week long from the kickoff (Monday 8 July 10:00).
    execution = Execution(kickoff=KICKOFF, deadline=date(2024, 8, 4))
    periods = reporting_periods(execution, at(31, month=8), TZ)
    assert periods == [
        (KICKOFF, datetime(2024, 7, 15, 10, tzinfo=TZ)),
        (datetime(2024, 7, 15, 10, tzinfo=TZ), datetime(2024, 7, 22, 10, tzinfo=TZ)),
        (datetime(2024, 7, 22, 10, tzinfo=TZ), datetime(2024, 7, 29, 10, tzinfo=TZ)),
    ]
    assert reporting_periods(Execution(), at(31), TZ) == []
    # With a weekly meeting on Wednesdays at 15:00, before the deadline: the last period is open.
    weekly = Execution(
        kickoff=KICKOFF, meetings=(WeeklyMeeting("FREQ=WEEKLY;BYDAY=WE;BYHOUR=15;BYMINUTE=0"),)
    )
    periods = reporting_periods(weekly, at(25), TZ)
    assert periods == [
        (KICKOFF, datetime(2024, 7, 10, 15, tzinfo=TZ)),
        (datetime(2024, 7, 10, 15, tzinfo=TZ), datetime(2024, 7, 17, 15, tzinfo=TZ)),
        (datetime(2024, 7, 17, 15, tzinfo=TZ), datetime(2024, 7, 24, 15, tzinfo=TZ)),
        (datetime(2024, 7, 24, 15, tzinfo=TZ), None),
    ]


def test_punctuality_counts_the_unfinished_period_only_once_reported() -> None:
    execution = Execution(kickoff=KICKOFF)
    now = at(24)  # Wednesday: the period from Monday 22 July is unfinished
    periods = reporting_periods(execution, now, TZ)
    reports = [at(9), at(9, hour=15)]  # the first period, twice
    ratio = punctuality(reports, periods)
    assert (ratio.hits, ratio.total) == (1, 2)
    reports.append(at(23))  # the current period: now counted
    ratio = punctuality(reports, periods)
    assert (ratio.hits, ratio.total) == (2, 3)


def test_confirmation_speed_is_the_median_in_hours() -> None:
    facts = [
        ConfirmationFact("技术部", at(8, hour=10), at(8, hour=12)),
        ConfirmationFact("技术部", at(8, hour=10), at(9, hour=10)),
        ConfirmationFact("技术部", at(8, hour=10), at(8, hour=15)),
    ]
    assert confirmation_hours(facts) == (5.0, 3)
    assert confirmation_hours([]) == (None, 0)


def test_scorecards_one_per_department_in_order_and_closing_ends_the_weeks() -> None:
    execution = Execution(kickoff=KICKOFF, deadline=date(2024, 9, 30), closed_at=at(24))  # closed in week 30
    cards = scorecards(
        ["售后部", "技术部", "售后部"],
        [RowFact("技术部", date(2024, 7, 20), at(19))],
        [SlaFact("技术部", at(1, hour=9), at(1, hour=10), (), 24, "calendar")],
        [("技术部", at(16)), ("售后部", at(23))],
        [ConfirmationFact("售后部", at(8, hour=10), at(8, hour=14, month=7))],
        execution,
        at(30, month=9),
        TZ,
    )
    assert [c.department for c in cards] == ["售后部", "技术部"]
    after_sales, tech = cards
    assert after_sales.on_time.total == 0 and after_sales.confirmation_hours == 4.0
    # Periods from the kickoff: to 15 July (nobody reported), to 22 July (技术部 did), then the one
    # cut short by the closing, which counts only for who reported in it (售后部).
    assert (after_sales.reporting.hits, after_sales.reporting.total) == (1, 3)
    assert (tech.reporting.hits, tech.reporting.total) == (1, 2)
    assert tech.on_time.percent == 100 and tech.sla.percent == 100 and tech.confirmation_hours is None
