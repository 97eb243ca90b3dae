"""Issue log, risk register (a trigger calls the risk meeting), allocations and rollout milestones."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.helpers import TZ
from xietong.collabs.models import Collaboration
from xietong.meetings.models import MeetingKind
from xietong.orgs.models import Department
from xietong.tracking.actions.closing import CollaborationClosed
from xietong.tracking.actions.registers import (
    AllocationInput,
    AllocationRefused,
    IssueInput,
    RiskInput,
    allocation_state,
    do_complete_milestone,
    do_mark_returned,
    do_save_allocation,
    do_save_issue,
    do_save_milestone,
    do_save_risk,
    do_trigger_risk,
)
from xietong.tracking.models import IssueStatus, Level, RiskStatus

pytestmark = pytest.mark.django_db


def dept(name: str) -> Department:
    return Department.objects.get(name=name)


def test_an_issue_is_logged_decided_in_a_meeting_and_closed_with_its_resolution(demo: Collaboration) -> None:
    issue = do_save_issue(
        demo,
        IssueInput(
            "VIP 客户是否单设通道", raised_by=dept("售后部"), owner=dept("产品部"), decision_needed="是否单设"
        ),
    )
    meeting = demo.meetings.filter(kind=MeetingKind.RECURRING).first()
    with pytest.raises(ValueError, match="how it was resolved"):
        IssueInput("VIP 客户是否单设通道", status=IssueStatus.CLOSED)
    closed = do_save_issue(
        demo,
        IssueInput(
            "VIP 客户是否单设通道",
            owner=dept("产品部"),
            decided_in=meeting,
            resolution="并入 A 类",
            status=IssueStatus.CLOSED,
        ),
        issue=issue,
    )
    assert (closed.status, closed.decided_in, closed.resolution) == (IssueStatus.CLOSED, meeting, "并入 A 类")


def test_a_triggered_risk_calls_an_ad_hoc_meeting_on_the_next_working_day(demo: Collaboration) -> None:
    risk = do_save_risk(
        demo,
        RiskInput(
            "工单系统改造延期",
            Level.MEDIUM,
            Level.HIGH,
            owner=dept("技术部"),
            response_plan="先用人工分派兜底",
            trigger="改造延期超过 3 个工作日",
        ),
    )
    # Friday 2024-09-27 evening: Sunday 09-29 is a make-up working day, so the meeting is then.
    meeting = do_trigger_risk(risk, datetime(2024, 9, 27, 18, tzinfo=TZ), actor=demo.owner)
    risk.refresh_from_db()
    assert risk.status == RiskStatus.TRIGGERED
    assert meeting.kind == MeetingKind.ADHOC and meeting.scheduled_at == datetime(2024, 9, 29, 10, tzinfo=TZ)
    agenda = list(meeting.agenda.values_list("title", flat=True))
    assert "工单系统改造延期" in agenda[0] and "先用人工分派兜底" in agenda[1]
    assert meeting.attendees.count() >= 5
    with pytest.raises(ValueError, match="not being watched"):
        do_trigger_risk(risk, datetime(2024, 9, 28, 9, tzinfo=TZ))


def test_an_allocation_is_reminded_before_its_return_date_and_overdue_after(demo: Collaboration) -> None:
    lent = do_save_allocation(
        demo,
        AllocationInput(
            "测试工程师 2 名", dept("技术部"), dept("售后部"), rule="按周结算", return_date=date(2024, 9, 13)
        ),
    )
    assert allocation_state(lent, date(2024, 9, 1)) == "lent"
    assert allocation_state(lent, date(2024, 9, 11)) == "due_soon"
    assert allocation_state(lent, date(2024, 9, 14)) == "overdue"
    returned = do_mark_returned(lent, datetime(2024, 9, 14, 9, tzinfo=TZ))
    assert allocation_state(returned, date(2024, 9, 20)) == "returned"
    with pytest.raises(AllocationRefused) as refused:
        AllocationInput("会议室", dept("技术部"), dept("技术部"))
    assert (refused.value.field, refused.value.message) == ("to_department", "提供部门与使用部门不能相同")
    with pytest.raises(AllocationRefused) as nameless:
        AllocationInput("  ", dept("技术部"), dept("售后部"))
    assert nameless.value.field == "resource"


def test_rollout_milestones_and_a_closed_collaboration_refusing_writes(demo: Collaboration) -> None:
    milestone = do_save_milestone(demo, "试点部门上线", date(2024, 8, 30))
    done = do_complete_milestone(milestone, datetime(2024, 8, 29, 17, tzinfo=TZ))
    assert done.done_at is not None
    Collaboration.objects.filter(pk=demo.pk).update(closed_at=datetime(2024, 10, 8, tzinfo=TZ))
    demo.refresh_from_db()
    with pytest.raises(CollaborationClosed):
        do_save_milestone(demo, "全员推广", date(2024, 9, 30))
