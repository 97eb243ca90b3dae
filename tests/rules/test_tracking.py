"""T01-T02: overdue tasks, and blocked tasks that lack a reason or an escalation."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from xietong.charter.format import parse_charter
from xietong.rules.engine import Finding, run_rules
from xietong.rules.snapshot import TaskStatus

from .conftest import context, findings, where


def test_it_flags_a_task_past_its_deadline_that_is_not_done(good_charter: dict[str, Any]) -> None:
    found = findings(good_charter, "T01", now="2024-07-20T09:00:00+08:00")

    # tasks[2] was due 2024-07-19; tasks[0] was due earlier but is done.
    assert where(found) == [("T01", "warning", "tasks[2]")]
    text = found[0].text("zh-hans")
    assert "建立技术问题排查响应机制" in text
    assert "2024-07-19" in text


def test_it_flags_a_blocked_task_past_its_deadline(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][2].update(status="blocked", blocked_reason="等待供应商接口文档")

    assert where(findings(good_charter, "T01", now="2024-07-22T09:00:00+08:00")) == [
        ("T01", "warning", "tasks[2]")
    ]


def test_it_accepts_a_task_on_its_deadline_day(good_charter: dict[str, Any]) -> None:
    # The deadline is the last day on time, late in the evening included.
    assert findings(good_charter, "T01", now="2024-07-19T23:59:00+08:00") == []


def test_it_reads_today_in_the_context_time_zone(good_charter: dict[str, Any]) -> None:
    # 2024-07-19T17:00Z is already 2024-07-20 01:00 in Shanghai.
    assert where(findings(good_charter, "T01", now="2024-07-19T17:00:00+00:00")) == [
        ("T01", "warning", "tasks[2]")
    ]


def test_it_accepts_a_done_task_past_its_deadline(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][2]["status"] = "done"

    assert findings(good_charter, "T01", now="2024-07-20T09:00:00+08:00") == []


def test_it_flags_a_blocked_task_without_a_reason(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][1].update(status="blocked", blocked_reason=None)

    found = findings(good_charter, "T02")

    assert where(found) == [("T02", "warning", "tasks[1]")]
    assert "上线投诉工单闭环时长看板" in found[0].text("zh-hans")


def test_it_accepts_a_blocked_task_with_a_reason(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][1].update(status="blocked", blocked_reason="等待产品部确认看板口径")

    assert findings(good_charter, "T02") == []


def _blocked_since(
    charter: dict[str, Any],
    since: str,
    now: str,
    escalated_at: str | None = None,
    escalation_working_days: int = 2,
) -> list[Finding]:
    """Return T02 findings with tasks[1] blocked (with a reason) since ``since``.

    The charter format has no blocked_since / escalated_at (they come from
    progress updates in the database), so they are set on the snapshot.
    """
    charter["tasks"][1].update(status="blocked", blocked_reason="等待产品部确认看板口径")
    collab = parse_charter(charter)
    task = dataclasses.replace(
        collab.tasks[1],
        blocked_since=datetime.fromisoformat(since),
        escalated_at=datetime.fromisoformat(escalated_at) if escalated_at else None,
    )
    collab = dataclasses.replace(collab, tasks=(*collab.tasks[:1], task, *collab.tasks[2:]))
    ctx = context(now, escalation_working_days=escalation_working_days)
    return [f for f in run_rules(collab, ctx, only=["T02"]).findings]


def test_it_flags_a_task_blocked_over_two_working_days_without_escalation(
    good_charter: dict[str, Any],
) -> None:
    # Blocked Friday 2024-07-12: Monday and Tuesday are the two working days allowed.
    found = _blocked_since(good_charter, "2024-07-12T15:00:00+08:00", now="2024-07-17T09:00:00+08:00")

    assert where(found) == [("T02", "warning", "tasks[1]")]
    assert "2024-07-12" in found[0].text("zh-hans")


def test_it_allows_two_working_days_before_escalation(good_charter: dict[str, Any]) -> None:
    assert _blocked_since(good_charter, "2024-07-12T15:00:00+08:00", now="2024-07-16T18:00:00+08:00") == []


def test_it_does_not_count_the_national_day_holiday(good_charter: dict[str, Any]) -> None:
    # Blocked Monday 2024-09-30; 1-7 October are holidays, so 8 and 9 October
    # are the two working days allowed and 10 October is the first one over.
    since = "2024-09-30T15:00:00+08:00"

    assert _blocked_since(good_charter, since, now="2024-10-09T18:00:00+08:00") == []
    assert where(_blocked_since(good_charter, since, now="2024-10-10T09:00:00+08:00")) == [
        ("T02", "warning", "tasks[1]")
    ]


def test_it_counts_a_saturday_make_up_workday(good_charter: dict[str, Any]) -> None:
    # Blocked Friday 2024-10-11; Saturday 10-12 is a make-up workday (调休), so
    # Saturday and Monday are the two days allowed and Tuesday is over the limit.
    since = "2024-10-11T15:00:00+08:00"

    assert _blocked_since(good_charter, since, now="2024-10-14T18:00:00+08:00") == []
    assert where(_blocked_since(good_charter, since, now="2024-10-15T09:00:00+08:00")) == [
        ("T02", "warning", "tasks[1]")
    ]


def test_it_accepts_a_long_blocked_task_that_was_escalated(good_charter: dict[str, Any]) -> None:
    assert (
        _blocked_since(
            good_charter,
            "2024-07-01T09:00:00+08:00",
            now="2024-07-15T12:00:00+08:00",
            escalated_at="2024-07-03T09:00:00+08:00",
        )
        == []
    )


def test_it_uses_the_configured_escalation_limit(good_charter: dict[str, Any]) -> None:
    assert (
        _blocked_since(
            good_charter,
            "2024-07-12T15:00:00+08:00",
            now="2024-07-17T09:00:00+08:00",
            escalation_working_days=5,
        )
        == []
    )


def test_it_does_not_escalate_a_task_that_is_no_longer_blocked(good_charter: dict[str, Any]) -> None:
    collab = parse_charter(good_charter)
    task = dataclasses.replace(
        collab.tasks[1],
        status=TaskStatus.IN_PROGRESS,
        blocked_since=datetime.fromisoformat("2024-07-01T09:00:00+08:00"),
    )
    collab = dataclasses.replace(collab, tasks=(collab.tasks[0], task, *collab.tasks[2:]))

    assert run_rules(collab, context(), only=["T02"]).findings == ()


def _reporting(charter: dict[str, Any], **last_reports: str) -> Any:
    """The charter as stored: reports known, with each named department's last report time."""
    collab = parse_charter(charter)
    departments = tuple(
        dataclasses.replace(
            d, last_report=datetime.fromisoformat(last_reports[d.name]) if d.name in last_reports else None
        )
        for d in collab.departments
    )
    return dataclasses.replace(collab, departments=departments, reports_known=True)


def _t03(collab: Any, now: str) -> list[Finding]:
    return [f for f in run_rules(collab, context(now)).findings if f.rule == "T03"]


def test_t03_flags_departments_silent_for_a_week_after_the_kickoff(good_charter: dict[str, Any]) -> None:
    # The kickoff was 2024-07-08 10:00: the first reports are due a week later.
    stored = _reporting(good_charter, 售后部="2024-07-12T17:00:00+08:00", 技术部="2024-07-12T17:00:00+08:00")
    assert _t03(stored, "2024-07-15T09:00:00+08:00") == []
    found = _t03(stored, "2024-07-15T12:00:00+08:00")
    names = {f.params["department"] for f in found}
    assert names == {"产品部", "法务部"} - {
        d for d in ("产品部", "法务部") if not _has_open_rows(good_charter, d)
    }
    assert all(f.severity == "info" for f in found)
    assert "尚未汇报" in found[0].text("zh-hans")


def _has_open_rows(charter: dict[str, Any], department: str) -> bool:
    return any(t["department"] == department and t["status"] != "done" for t in charter["tasks"])


def test_t03_flags_a_department_that_missed_the_last_weekly_meeting(good_charter: dict[str, Any]) -> None:
    # The plan's weekly meeting is on Mondays at 10:00. A report on Monday
    # 22 July after the meeting counts for the meeting of the 29th, not yet
    # missed; the meeting of 5 August passes without one: late until it comes.
    everyone = {d["name"]: "2024-07-22T18:00:00+08:00" for d in good_charter["departments"]}
    stored = _reporting(good_charter, **everyone)
    assert _t03(stored, "2024-07-29T18:01:00+08:00") == []
    assert _t03(stored, "2024-08-05T09:59:00+08:00") == []
    late = _t03(stored, "2024-08-05T10:01:00+08:00")
    assert late and "上次汇报:2024-07-22" in late[0].text("zh-hans")


def test_t03_without_a_weekly_meeting_expects_a_report_every_week_from_the_kickoff(
    good_charter: dict[str, Any],
) -> None:
    good_charter["communication"] = [
        c for c in good_charter["communication"] if c.get("channel") != "weekly_meeting"
    ]
    everyone = {d["name"]: "2024-07-16T18:00:00+08:00" for d in good_charter["departments"]}
    stored = _reporting(good_charter, **everyone)
    # Kickoff Monday 8 July 10:00: reports due by the 15th, 22nd, 29th at 10:00.
    assert _t03(stored, "2024-07-29T09:59:00+08:00") == []
    assert _t03(stored, "2024-07-29T10:01:00+08:00")


def test_t03_is_quiet_outside_execution(good_charter: dict[str, Any]) -> None:
    stored = _reporting(good_charter)
    assert _t03(stored, "2024-07-05T12:00:00+08:00") == []  # before the kickoff
    assert _t03(stored, "2024-10-08T12:00:00+08:00") == []  # after the goal's deadline
    closed = dataclasses.replace(stored, closed_at=datetime.fromisoformat("2024-09-30T18:00:00+08:00"))
    assert _t03(closed, "2024-09-20T12:00:00+08:00") == []
    # A charter file holds no reports: nothing to judge.
    assert _t03(parse_charter(good_charter), "2024-08-20T12:00:00+08:00") == []


def test_t03_leaves_departments_with_every_row_done_alone(good_charter: dict[str, Any]) -> None:
    for task in good_charter["tasks"]:
        task["status"] = "done"
    assert _t03(_reporting(good_charter), "2024-08-20T12:00:00+08:00") == []
