"""The demo is the guide's own example, alive at whatever day it is loaded."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import AS_OF
from xietong.charter.demo import default_kickoff, load_demo
from xietong.collabs.models import Collaboration, MetricReading, Participant, Task, TaskStatus
from xietong.collabs.snapshots import load_snapshot
from xietong.rules.clock import context_for
from xietong.rules.engine import Severity, run_rules
from xietong.rules.smart import analyze

pytestmark = pytest.mark.django_db


def test_at_the_guides_dates_the_goal_is_2024_q3(demo: Collaboration) -> None:
    goal = demo.goal
    assert goal.deadline == date(2024, 9, 30)
    assert "2024年Q3末" in goal.statement
    # the statement itself says the same as the stored deadline
    assert analyze(goal.statement, today=date(2024, 7, 1)).deadline == date(2024, 9, 30)


def test_the_demo_has_the_guides_departments_and_one_liaison_each(demo: Collaboration) -> None:
    rows = Participant.objects.filter(collaboration=demo).select_related("department", "liaison")
    assert {p.department.name for p in rows} == {"售后部", "产品部", "技术部", "法务部"}
    assert all(p.liaison is not None for p in rows)


def test_the_demo_has_weeks_of_readings_moving_toward_target(demo: Collaboration) -> None:
    readings = list(MetricReading.objects.filter(metric__name="24小时内闭环率").order_by("measured_on"))
    assert len(readings) == 6  # weekly from 07-08 to 08-12
    assert readings[0].value == 45
    assert readings[0].value < readings[-1].value < 80


def test_the_demo_is_realistic_not_perfect(demo: Collaboration) -> None:
    report = run_rules(load_snapshot(demo), context_for(AS_OF))
    assert not report.has_errors
    # One row left overdue; 技术部 has not reported this week.
    assert [(f.rule, f.params["department"]) for f in report.findings if f.rule != "T01"] == [
        ("T03", "技术部")
    ]
    assert len([f for f in report.findings if f.rule == "T01"]) == 1
    statuses = set(Task.objects.filter(collaboration=demo).values_list("status", flat=True))
    assert {TaskStatus.DONE, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED} <= statuses
    assert all(f.severity != Severity.ERROR for f in report.findings)


def test_by_default_the_demo_is_in_mid_execution_today() -> None:
    today = date(2026, 11, 27)
    stored = load_demo(today=today)
    assert default_kickoff(today) == date(2026, 10, 19)
    assert stored.goal.deadline == date(2026, 12, 31)
    assert "2026年Q4末" in stored.goal.statement
    deadlines = Task.objects.filter(collaboration=stored).values_list("deadline", flat=True)
    assert max(d for d in deadlines if d is not None) == stored.goal.deadline
