"""Change requests: nothing changes before approval; approvals by the initiator and the affected head."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.helpers import TZ
from xietong.audit.models import AuditEntry
from xietong.collabs.models import Collaboration, Goal, Metric, SubGoal, Task
from xietong.orgs.models import Department
from xietong.tracking.actions.changes import (
    Approver,
    Target,
    approvals_needed,
    do_decide_change,
    do_request_change,
    head_may_decide,
)
from xietong.tracking.models import ChangeField, ChangeStatus

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 8, 12, 11, tzinfo=TZ)


def task_of(demo: Collaboration, description: str) -> Task:
    return Task.objects.select_related("department").get(collaboration=demo, description=description)


def test_a_deadline_change_waits_for_the_initiator_and_is_applied_with_its_reason(
    demo: Collaboration,
) -> None:
    task = task_of(demo, "修复 TOP3 高频产品缺陷")
    before = task.deadline
    request = do_request_change(
        demo, ChangeField.DEADLINE, Target(task=task), "2024-08-26", "等待产品部确认优先级,顺延两周", NOW
    )
    assert request.old_value == before.isoformat() and approvals_needed(request) == {Approver.INITIATOR}
    task.refresh_from_db()
    assert task.deadline == before  # nothing changes before approval
    decided = do_decide_change(request, Approver.INITIATOR, True, NOW, actor=demo.owner)
    assert decided.status == ChangeStatus.APPROVED
    task.refresh_from_db()
    assert task.deadline == date(2024, 8, 26)
    entry = AuditEntry.objects.filter(object_type="collabs.task", object_id=str(task.pk)).latest("id")
    assert entry.reason == "等待产品部确认优先级,顺延两周"
    assert entry.after == {"deadline": "2024-08-26"}


def test_a_new_owner_needs_its_head_as_well(demo: Collaboration) -> None:
    task = task_of(demo, "售后团队时效培训")
    request = do_request_change(
        demo, ChangeField.OWNER, Target(task=task), "产品部", "培训内容以产品知识为主", NOW
    )
    product = Department.objects.get(name="产品部")
    assert request.head_department == product
    assert approvals_needed(request) == {Approver.INITIATOR, Approver.HEAD}
    assert product.head is not None and head_may_decide(request, product.head)
    assert task.department is not None and task.department.head is not None
    assert not head_may_decide(request, task.department.head)
    do_decide_change(request, Approver.INITIATOR, True, NOW, actor=demo.owner)
    task.refresh_from_db()
    assert task.department.name == "售后部"  # the head has not approved yet
    do_decide_change(request, Approver.HEAD, True, NOW, actor=product.head)
    task.refresh_from_db()
    assert task.department.name == "产品部"


def test_one_rejection_rejects_and_changes_nothing(demo: Collaboration) -> None:
    task = task_of(demo, "上线投诉处理时效看板")
    request = do_request_change(
        demo, ChangeField.STANDARD, Target(task=task), "只展示闭环率", "简化范围", NOW
    )
    with pytest.raises(ValueError, match="rejection gives its reason"):
        do_decide_change(request, Approver.HEAD, False, NOW)
    assert task.department is not None
    do_decide_change(
        request, Approver.HEAD, False, NOW, comment="平均处理时长是核心指标", actor=task.department.head
    )
    request.refresh_from_db()
    assert request.status == ChangeStatus.REJECTED
    with pytest.raises(ValueError, match="already been decided"):
        do_decide_change(request, Approver.INITIATOR, True, NOW)
    task.refresh_from_db()
    assert task.standard.startswith("看板展示")


def test_targets_of_metrics_and_sub_goals_and_the_goal_deadline(demo: Collaboration) -> None:
    metric = Metric.objects.get(goal__collaboration=demo, name="24小时内闭环率")
    subgoal = SubGoal.objects.get(collaboration=demo, description="售后部每日10点前完成投诉分类")
    changes = [
        (ChangeField.TARGET, Target(metric=metric), "85"),
        (ChangeField.TARGET, Target(subgoal=subgoal), "95"),
        (ChangeField.DEADLINE, Target(), "2024-10-31"),
    ]
    for field, target, value in changes:
        request = do_request_change(demo, field, target, value, "管理层调整", NOW)
        do_decide_change(request, Approver.INITIATOR, True, NOW, actor=demo.owner)
    metric.refresh_from_db()
    subgoal.refresh_from_db()
    assert (metric.target, subgoal.target) == (Decimal("85"), Decimal("95"))
    assert Goal.objects.get(collaboration=demo).deadline == date(2024, 10, 31)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (ChangeField.DEADLINE, "2024-02-30", "day is out of range"),
        (ChangeField.OWNER, "财务部", "not a participating department"),
        (ChangeField.TARGET, "85", "has no target"),
        (ChangeField.DEADLINE, " ", "empty"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(
    demo: Collaboration, field: str, value: str, message: str
) -> None:
    task = task_of(demo, "上线投诉处理时效看板")
    with pytest.raises(ValueError, match=message):
        do_request_change(demo, field, Target(task=task), value, "原因", NOW)
    with pytest.raises(ValueError, match="gives its reason"):
        do_request_change(demo, ChangeField.DEADLINE, Target(task=task), "2024-09-01", "  ", NOW)
    recurring = SubGoal.objects.get(collaboration=demo, description="售后部每日10点前完成投诉分类")
    with pytest.raises(ValueError, match="fixed date"):
        do_request_change(demo, ChangeField.DEADLINE, Target(subgoal=recurring), "2024-09-01", "原因", NOW)
