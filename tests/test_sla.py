"""SLA clocks of requests between departments, recurring sub-goal occurrences, compliance rates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import TZ, at
from xietong.collabs.models import Collaboration, SubGoal
from xietong.lib.slaclock import CALENDAR, WORKING
from xietong.orgs.models import Department
from xietong.tracking.actions.sla import (
    do_answer_sla,
    do_open_sla_request,
    do_pause_sla,
    do_record_check,
    do_resume_sla,
)
from xietong.tracking.sla import CheckState, ClockState, clock_of, compliance, due_times, occurrences


def test_a_24_hour_calendar_clock_over_a_weekend() -> None:
    start = at(2024, 9, 20, 17)  # Friday: 售后部 asks 技术部 for a technical conclusion
    running = clock_of(start, None, [], 24, CALENDAR, at(2024, 9, 21, 9), TZ)
    assert running.state == ClockState.RUNNING and running.deadline == at(2024, 9, 21, 17)
    assert clock_of(start, None, [], 24, CALENDAR, at(2024, 9, 21, 14), TZ).state == ClockState.AT_RISK
    assert clock_of(start, None, [], 24, CALENDAR, at(2024, 9, 23, 9), TZ).state == ClockState.BREACHED
    late = clock_of(start, at(2024, 9, 23, 10), [], 24, CALENDAR, at(2024, 9, 24, 9), TZ)
    assert late.state == ClockState.LATE and late.compliant is False


def test_the_same_request_on_working_hours_is_met_on_monday() -> None:
    start = at(2024, 9, 20, 17)
    met = clock_of(start, at(2024, 9, 23, 10), [], 24, WORKING, at(2024, 9, 24, 9), TZ)
    assert met.state == ClockState.MET and met.used == timedelta(hours=2) and met.compliant is True


def test_working_hours_across_the_holiday_and_the_make_up_workday() -> None:
    # Friday 09-27 17:00, 24 working hours: Fri 1 + Sun 09-29 (make-up) 9 + Mon 9, then 5 on Tue 10-08.
    clock = clock_of(at(2024, 9, 27, 17), None, [], 24, WORKING, at(2024, 10, 5, 12), TZ)
    assert clock.deadline == at(2024, 10, 8, 14)
    assert clock.state == ClockState.RUNNING and clock.used == timedelta(hours=19)


def test_a_pause_waiting_on_the_requester_is_not_counted_and_shows() -> None:
    start = at(2024, 9, 23, 10)
    paused = clock_of(start, None, [(at(2024, 9, 23, 12), None)], 8, CALENDAR, at(2024, 9, 23, 20), TZ)
    assert paused.state == ClockState.PAUSED and paused.used == timedelta(hours=2)
    resumed = clock_of(
        start,
        at(2024, 9, 23, 20),
        [(at(2024, 9, 23, 12), at(2024, 9, 23, 18))],
        8,
        CALENDAR,
        at(2024, 9, 24),
        TZ,
    )
    assert resumed.state == ClockState.MET and resumed.used == timedelta(hours=4)


def test_daily_before_ten_is_owed_on_working_days_only() -> None:
    due = due_times("FREQ=DAILY;BYHOUR=10;BYMINUTE=0", at(2024, 9, 27, 0), at(2024, 10, 9, 0))
    days = [d.date().isoformat() for d in due]
    # 09-28 Saturday off, 09-29 make-up Sunday on, 10-01..10-07 holiday, 10-08 back.
    assert days == ["2024-09-27", "2024-09-29", "2024-09-30", "2024-10-08"]
    assert all(d.hour == 10 for d in due)


def test_every_friday_is_due_at_the_end_of_friday_and_judged_met_or_missed() -> None:
    due = due_times("FREQ=WEEKLY;BYDAY=FR", at(2024, 7, 8, 0), at(2024, 7, 27, 0))
    assert [d.isoformat() for d in due] == [
        "2024-07-12T23:59:59+08:00",
        "2024-07-19T23:59:59+08:00",
        "2024-07-26T23:59:59+08:00",
    ]
    done = {due[0]: at(2024, 7, 12, 16), due[1]: at(2024, 7, 22, 9)}
    states = [o.state for o in occurrences(due, done, at(2024, 7, 26, 12))]
    assert states == [CheckState.MET, CheckState.MISSED, CheckState.PENDING]
    assert occurrences(due, done, at(2024, 7, 27, 1))[2].state == CheckState.MISSED


def test_compliance_per_department_and_per_week() -> None:
    rates = compliance(
        [
            ("技术部", at(2024, 8, 5, 10), True),
            ("技术部", at(2024, 8, 7, 10), False),
            ("技术部", at(2024, 8, 12, 10), True),
            ("技术部", at(2024, 8, 13, 10), None),  # still open: not counted
            ("售后部", at(2024, 8, 6, 10), True),
        ],
        TZ,
    )
    assert rates[("技术部", "2024-W32")].share == 0.5
    assert rates[("技术部", "2024-W33")].share == 1.0
    assert (rates[("技术部", "")].met, rates[("技术部", "")].decided) == (2, 3)
    assert rates[("售后部", "")].share == 1.0


# --- the writes, on the demo (售后部 asks 技术部: 24 h SLA)


@pytest.mark.django_db
def test_a_request_runs_pauses_resumes_and_is_answered(demo: Collaboration) -> None:
    subgoal = SubGoal.objects.get(collaboration=demo, description="技术部24小时内输出技术问题结论")
    after_sales = Department.objects.get(name="售后部")
    request = do_open_sla_request(subgoal, after_sales, "客户 A 的闪退问题需要技术结论", at(2024, 8, 12, 10))
    do_pause_sla(request, at(2024, 8, 12, 12), "等待售后部补充日志")
    with pytest.raises(ValueError, match="already paused"):
        do_pause_sla(request, at(2024, 8, 12, 13), "x")
    do_resume_sla(request, at(2024, 8, 12, 16))
    done = do_answer_sla(request, at(2024, 8, 13, 12), "已定位为兼容性缺陷,下周修复")
    pauses = [(p.started_at, p.ended_at) for p in done.pauses.all()]
    clock = clock_of(
        done.started_at,
        done.answered_at,
        pauses,
        float(subgoal.sla_hours or 0),
        CALENDAR,
        at(2024, 8, 14),
        TZ,
    )
    assert clock.state == ClockState.MET and clock.used == timedelta(hours=22)
    with pytest.raises(ValueError, match="has been answered"):
        do_pause_sla(done, at(2024, 8, 13, 13), "x")
    recurring = SubGoal.objects.get(collaboration=demo, description="售后部每日10点前完成投诉分类")
    with pytest.raises(ValueError, match="SLA time limit"):
        do_open_sla_request(recurring, after_sales, "x", at(2024, 8, 12, 10))


@pytest.mark.django_db
def test_a_recurring_occurrence_is_recorded_once_and_judged(demo: Collaboration) -> None:
    subgoal = SubGoal.objects.get(collaboration=demo, description="售后部每日10点前完成投诉分类")
    due = at(2024, 8, 12, 10)
    do_record_check(subgoal, due, at(2024, 8, 12, 9, 40))
    check = do_record_check(subgoal, due, at(2024, 8, 12, 10, 30), note="系统故障,晚了半小时")
    assert subgoal.checks.filter(due_at=due).count() == 1
    assert occurrences([due], {due: check.done_at}, at(2024, 8, 13))[0].state == CheckState.MISSED
