"""The demo's registers: SLA requests, recurring checks, issues, risks and a change request.

Laid out from the kickoff week by week up to ``as_of`` through the actions,
so the demo shows weeks of tracking the way people would have recorded it:
售后部 asking 技术部 for technical conclusions (most within 24 hours, one
late, one paused waiting for logs), 售后部's daily classification (one
morning missed), the issue log, two risks (one triggered), and a deadline
moved through an approved change request.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from xietong.collabs.models import Collaboration, DeadlineKind, SubGoal, Task
from xietong.meetings.models import Meeting, MeetingKind
from xietong.orgs.models import Department
from xietong.tracking.actions.changes import Approver, Target, do_decide_change, do_request_change
from xietong.tracking.actions.registers import (
    IssueInput,
    RiskInput,
    do_save_issue,
    do_save_risk,
    do_trigger_risk,
)
from xietong.tracking.actions.sla import (
    do_answer_sla,
    do_open_sla_request,
    do_pause_sla,
    do_resume_sla,
)
from xietong.tracking.models import ChangeField, IssueStatus, Level, SubGoalCheck
from xietong.tracking.sla import due_times

# (weekday offset in the week, hour asked, hours to the answer, paused hours or 0)
_REQUESTS = [(0, 15, 20, 0), (2, 10, 6, 0), (3, 16, 30, 0), (1, 11, 26, 8)]
_SUBJECTS = ["客户反馈 App 闪退", "工单附件无法上传", "退款进度查询超时", "短信验证码收不到"]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _sla_requests(
    collab: Collaboration, kickoff: date, as_of: date, departments: dict[str, Department]
) -> None:
    subgoal = SubGoal.objects.filter(
        collaboration=collab, deadline_kind=DeadlineKind.SLA, department__name="技术部"
    ).first()
    if subgoal is None:
        return
    monday, week = kickoff + timedelta(weeks=1), 0
    while monday + timedelta(days=4) < as_of:
        offset, hour, answer_after, paused = _REQUESTS[week % len(_REQUESTS)]
        start = _at(monday + timedelta(days=offset), hour)
        request = do_open_sla_request(
            subgoal, departments["售后部"], f"{_SUBJECTS[week % len(_SUBJECTS)]}:需技术部给出排查结论", start
        )
        if paused:
            do_pause_sla(request, start + timedelta(hours=2), "等待售后部补充客户日志")
            do_resume_sla(request, start + timedelta(hours=2 + paused))
        do_answer_sla(request, start + timedelta(hours=answer_after), "已给出结论并同步售后部")
        monday, week = monday + timedelta(weeks=1), week + 1


def _daily_checks(collab: Collaboration, kickoff: date, as_of: date) -> None:
    subgoal = SubGoal.objects.filter(
        collaboration=collab, deadline_kind=DeadlineKind.RECURRING, department__name="售后部"
    ).first()
    if subgoal is None:
        return
    # History, written in one statement: weeks of mornings would cost a write each.
    checks = []
    for i, due in enumerate(due_times(subgoal.rrule, _at(kickoff, 0), _at(as_of, 0))):
        late = i % 9 == 4  # now and then a morning is missed
        done = due + (timedelta(minutes=40) if late else -timedelta(minutes=25))
        checks.append(
            SubGoalCheck(subgoal=subgoal, due_at=due, done_at=done, note="系统故障,分类延后" if late else "")
        )
    SubGoalCheck.objects.bulk_create(checks)


def _issues_and_risks(
    collab: Collaboration, kickoff: date, as_of: date, departments: dict[str, Department]
) -> None:
    decided_in = (
        Meeting.objects.filter(
            collaboration=collab, kind=MeetingKind.RECURRING, scheduled_at__lt=_at(as_of, 0)
        )
        .order_by("scheduled_at")
        .first()
    )
    do_save_issue(
        collab,
        IssueInput(
            "VIP 客户投诉是否单独设立 2 小时响应通道",
            raised_by=departments["售后部"],
            owner=departments["产品部"],
            decision_needed="是否为 VIP 客户单设通道及所需人力",
            decided_in=decided_in,
            resolution="并入 A 类投诉处理,不单设通道",
            due_date=kickoff + timedelta(weeks=4),
            status=IssueStatus.CLOSED,
        ),
    )
    do_save_issue(
        collab,
        IssueInput(
            "缺陷修复优先级与版本排期冲突",
            raised_by=departments["技术部"],
            owner=departments["产品部"],
            decision_needed="TOP3 缺陷是否插入当前版本",
            due_date=as_of + timedelta(days=3),
        ),
    )
    do_save_risk(
        collab,
        RiskInput(
            "投诉量在促销季激增,超出售后部处理能力",
            Level.MEDIUM,
            Level.HIGH,
            owner=departments["售后部"],
            response_plan="启用外包客服分流 B、C 类投诉;技术部提供自动回复模板",
            trigger="单日投诉量超过 300 件",
        ),
    )
    blocked = do_save_risk(
        collab,
        RiskInput(
            "缺陷修复延期导致同类投诉持续",
            Level.HIGH,
            Level.MEDIUM,
            owner=departments["技术部"],
            response_plan="先发布临时规避方案,客服统一答复口径",
            trigger="TOP3 缺陷修复阻塞超过 3 个工作日",
        ),
    )
    do_trigger_risk(blocked, _at(as_of - timedelta(days=4), 9), actor=collab.owner)


def _deadline_change(collab: Collaboration, as_of: date) -> None:
    task = Task.objects.filter(collaboration=collab, description="售后团队时效培训").first()
    if task is None or task.deadline is None:
        return
    asked = _at(task.deadline - timedelta(days=3), 10)
    if asked.date() >= as_of:
        return
    request = do_request_change(
        collab,
        ChangeField.DEADLINE,
        Target(task=task),
        (task.deadline + timedelta(days=7)).isoformat(),
        "促销季排班紧张,培训顺延一周",
        asked,
        actor=task.department.head if task.department else None,
    )
    do_decide_change(request, Approver.INITIATOR, True, asked + timedelta(hours=3), actor=collab.owner)


def add_demo_registers(collab: Collaboration, kickoff: date, as_of: date) -> None:
    departments = {d.name: d for d in Department.objects.filter(participations__collaboration=collab)}
    _sla_requests(collab, kickoff, as_of, departments)
    _daily_checks(collab, kickoff, as_of)
    _issues_and_risks(collab, kickoff, as_of, departments)
    _deadline_change(collab, as_of)
