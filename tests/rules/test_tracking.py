"""T01-T02: overdue tasks, and blocked tasks that lack a reason or an escalation."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from xietong.collabs.charter import parse_charter
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
