"""One meaning of "reported" (rules.reporting): rule T03, the weekly list and the reminder agree.

On the demo (kickoff Monday 2024-07-08, weekly meeting every Monday 10:00,
技术部's last report Friday 2024-08-02), at several moments around the
meetings of August, the three are asked the same question:

- T03 flags exactly the departments the weekly list shows as 未汇报;
- the weekly list's 已汇报 / 待汇报 / 未汇报 are ``rules.reporting``'s states;
- the day before a meeting, the reminder goes to exactly the departments
  that must report and are not 已汇报 (未汇报 and 待汇报 alike), and to none
  at other times.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from xietong.collabs.models import Collaboration, Task
from xietong.collabs.snapshots import load_snapshot
from xietong.notify.models import Kind
from xietong.notify.reminders import escalations, weekly_update_due
from xietong.rules.engine import Context, run_rules
from xietong.rules.reporting import ReportState, must_report, periods_at, weekly_meetings
from xietong.tracking.actions.progress import ProgressInput, do_report_progress
from xietong.tracking.sources import compile_for, current_week

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 8, day, hour, minute, tzinfo=TZ)


def t03(collab: Collaboration, now: datetime) -> set[str]:
    snapshot = load_snapshot(collab)
    report = run_rules(snapshot, Context(now=now, tz=TZ, escalation_working_days=2))
    return {str(f.params["department"]) for f in report.findings if f.rule == "T03"}


def states(collab: Collaboration, now: datetime) -> dict[str, ReportState]:
    """The state of each department that must report, straight from rules.reporting."""
    snapshot = load_snapshot(collab)
    assert snapshot.kickoff is not None and snapshot.kickoff.scheduled_at is not None
    periods = periods_at(snapshot.kickoff.scheduled_at, weekly_meetings(snapshot), now, TZ)
    assert periods is not None
    return {
        d.name: periods.state(d.last_report)
        for d in snapshot.departments
        if must_report(t.status for t in snapshot.tasks if d.name in t.departments)
    }


def reminded(now: datetime) -> set[str]:
    return {
        str(due.params["department"])
        for due in weekly_update_due(now)
        if due.kind == Kind.WEEKLY_UPDATE_DUE and due.recipient_id is None
    }


def judged_by_all(collab: Collaboration, now: datetime) -> dict[str, ReportState]:
    """Ask the rule, the list and the reminder at ``now``; check they agree; return the states."""
    expected = states(collab, now)
    late = {name for name, state in expected.items() if state == ReportState.LATE}
    not_reported = {name for name, state in expected.items() if state != ReportState.REPORTED}
    with time_machine.travel(now, tick=False):
        weekly = compile_for(collab, current_week(now), now)
    listed = {d.name: d for d in weekly.departments if d.expected}
    assert set(listed) == set(expected)
    for name, state in expected.items():
        shown = listed[name]
        assert (shown.reported, shown.pending, shown.not_reported) == (
            state == ReportState.REPORTED,
            state == ReportState.DUE,
            state == ReportState.LATE,
        ), name
    assert t03(collab, now) == late == set(weekly.not_reported)
    meeting_tomorrow = weekly.report_due is not None and weekly.report_due - now <= timedelta(hours=24)
    assert reminded(now) == (not_reported if meeting_tomorrow else set())
    return expected


def test_the_rule_the_list_and_the_reminder_agree_around_the_weekly_meetings(demo: Collaboration) -> None:
    # Sunday evening before the meeting of 12 August: 技术部 reported last on 2 August, before
    # the meeting of the 5th: still to report (待汇报), and reminded with everyone not yet reported.
    sunday = judged_by_all(demo, at(11, 20))
    assert sunday["技术部"] == ReportState.DUE
    assert ReportState.DUE in sunday.values()

    # Monday after the meeting: 技术部 missed it (未汇报, T03); the others reported for it.
    monday = judged_by_all(demo, at(12, 11))
    assert monday["技术部"] == ReportState.LATE
    assert {s for n, s in monday.items() if n != "技术部"} == {ReportState.DUE}

    # 技术部 reports on Tuesday: reported for this period, no longer flagged anywhere.
    task = Task.objects.filter(collaboration=demo, department__name="技术部").exclude(status="done").first()
    assert task is not None
    do_report_progress(task, ProgressInput("in_progress", 95, note="联调"), at(13, 9), actor=None)
    tuesday = judged_by_all(demo, at(13, 12))
    assert tuesday["技术部"] == ReportState.REPORTED

    # The Sunday before the next meeting: only those that did not report since the 12th are reminded.
    next_sunday = judged_by_all(demo, at(18, 12))
    assert next_sunday["技术部"] == ReportState.REPORTED
    assert any(state == ReportState.DUE for state in next_sunday.values())

    # After the meeting of the 19th: the silent ones are late, 技术部 is due for the 26th.
    after = judged_by_all(demo, at(19, 12))
    assert after["技术部"] == ReportState.DUE
    assert set(after.values()) == {ReportState.DUE, ReportState.LATE}


def test_the_rule_the_list_and_the_reminder_escalate_a_blocked_row_alike(demo: Collaboration) -> None:
    # A row blocked on Friday 16 August; limit 2 working days (Mon 19, Tue 20): level 1 from
    # Wednesday 21 (T02, the list, the reminder to the initiator), level 2 from Friday 23.
    task = Task.objects.filter(collaboration=demo, department__name="售后部").exclude(status="done").first()
    assert task is not None
    do_report_progress(
        task, ProgressInput("blocked", 40, blocked_reason="等待法务部审核"), at(16, 15), actor=None
    )
    for day, level in [(19, 0), (20, 0), (21, 1), (22, 1), (23, 2), (26, 2)]:
        now = at(day, 12)
        snapshot = load_snapshot(demo)
        path = f"tasks[{[t.key for t in snapshot.tasks].index(task.pk)}]"
        findings = run_rules(snapshot, Context(now=now, tz=TZ, escalation_working_days=2)).findings
        flagged = any(
            f.rule == "T02" and f.object == path and "工作日" in f.text("zh-hans") for f in findings
        )
        with time_machine.travel(now, tick=False):
            weekly = compile_for(demo, current_week(now), now)
        row = next(r for r in weekly.rows if r.task == task.pk)
        assert row.blocker is not None
        reminders = {due.params["level"] for due in escalations(now) if due.link.endswith(f"/{task.pk}/")}
        assert (flagged, row.blocker.level, reminders) == (level > 0, level, {level} if level else set()), day
