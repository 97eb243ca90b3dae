"""Step 7 (监控): tracking the responsibility table while it is carried out.

Rules T01 (overdue), T02 (blocked without reason or escalation) and T03
(a department that has not reported its progress this week).
Statuses are 未开始 / 进行中 / 已完成 / 阻塞; 逾期 is derived from the deadline.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from xietong.rules.engine import Context, Finding, Severity, rule
from xietong.rules.escalation import NONE, blocked_working_days, escalation_level
from xietong.rules.reporting import ReportState, must_report, periods_at, weekly_meetings
from xietong.rules.snapshot import Collab, TaskStatus
from xietong.rules.table import task_label

STATUS_NAMES: Mapping[str, str | Promise] = {
    TaskStatus.NOT_STARTED: _("未开始"),
    TaskStatus.IN_PROGRESS: _("进行中"),
    TaskStatus.DONE: _("已完成"),
    TaskStatus.BLOCKED: _("阻塞"),
}


# Made once: ngettext_lazy with a named number builds two classes per call.
OVERDUE_MESSAGE = ngettext_lazy(
    "任务「%(task)s」已逾期 %(days)s 天:时间节点为 %(deadline)s,当前状态为“%(status)s”",
    "任务「%(task)s」已逾期 %(days)s 天:时间节点为 %(deadline)s,当前状态为“%(status)s”",
    "days",
)


def is_overdue(deadline: date | None, status: str, today: date) -> bool:
    """逾期: the deadline has passed (deadline < today) and the task is not done; the deadline day is on time.

    The one definition: T01, the table, 我的任务 and 我的工作台 use it (a database
    filter states it as ``collabs.models.overdue_filter``, held equal by a test).
    """
    return deadline is not None and status != TaskStatus.DONE and deadline < today


@rule("T01", Severity.WARNING, _("任务逾期"))
def task_overdue(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each task whose deadline has passed (deadline < today) and that is not done.

    The deadline day itself is still on time. Days are calendar days in the
    context's time zone.
    """
    for i, task in enumerate(collab.tasks):
        if task.deadline is not None and is_overdue(task.deadline, task.status, ctx.today):
            yield task_overdue.finding(
                f"tasks[{i}]",
                OVERDUE_MESSAGE,
                task=task_label(i, task),
                days=(ctx.today - task.deadline).days,
                deadline=task.deadline.isoformat(),
                status=STATUS_NAMES[task.status],
            )


@rule("T02", Severity.WARNING, _("阻塞任务未说明原因或未及时升级"))
def blocked_task_unattended(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each blocked task without a reason, and each one blocked too long without escalation.

    Two separate findings on the same task when both hold. "Too long" is
    ``rules.escalation``'s level 1 (more than ``ctx.escalation_working_days``
    working days, counted as the weekly list and the reminders count them)
    while ``escalated_at`` is None. With the default of 2, a task blocked on
    Friday must be escalated by the end of Tuesday and is flagged from
    Wednesday. Only tasks still blocked are judged.
    """
    # Blocked tasks share few distinct start days; counting the calendar once
    # per day keeps the rule linear in tasks rather than in tasks x days blocked.
    counted: dict[date, int] = {}
    for i, task in enumerate(collab.tasks):
        if task.status != TaskStatus.BLOCKED:
            continue
        path = f"tasks[{i}]"
        if not task.blocked_reason:
            yield blocked_task_unattended.finding(
                path,
                _("任务「%(task)s」处于阻塞状态,但没有说明阻塞原因:请写明卡在哪里、需要哪个部门配合"),
                task=task_label(i, task),
            )
        if task.blocked_since is None or task.escalated_at is not None:
            continue
        since = task.blocked_since.astimezone(ctx.tz).date()
        blocked_days = counted.get(since)
        if blocked_days is None:
            blocked_days = counted[since] = blocked_working_days(since, ctx.today)
        if escalation_level(blocked_days, ctx.escalation_working_days) != NONE:
            yield blocked_task_unattended.finding(
                path,
                _(
                    "任务「%(task)s」自 %(since)s 起阻塞,已 %(days)s 个工作日,超过 %(limit)s 个工作日仍未升级:"
                    "请上报发起部门负责人协调解决"
                ),
                task=task_label(i, task),
                since=since.isoformat(),
                days=blocked_days,
                limit=ctx.escalation_working_days,
            )


def in_execution(collab: Collab, ctx: Context) -> bool:
    """Return True between the kickoff and the goal's deadline, while the collaboration is open."""
    kickoff = collab.kickoff
    if kickoff is None or kickoff.scheduled_at is None or ctx.now < kickoff.scheduled_at:
        return False
    if collab.closed_at is not None:
        return False
    deadline = collab.goal.deadline if collab.goal else None
    return deadline is None or ctx.today <= deadline


@rule("T03", Severity.INFO, _("部门本周未汇报进展"))
def department_not_reporting(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each participating department with open rows that missed its last report (``rules.reporting``).

    During execution only (after the kickoff, before the goal's deadline,
    while open). A department reports by updating any of its rows, before
    each weekly meeting (every week from the kickoff without one); it is
    flagged once a checkpoint passed without an update since the period
    before it began, until it reports. Departments whose rows are all done,
    or that have none, have nothing to report. Quiet on a charter file,
    which holds no reports.
    """
    if not collab.reports_known or not in_execution(collab, ctx):
        return
    assert collab.kickoff is not None and collab.kickoff.scheduled_at is not None
    periods = periods_at(collab.kickoff.scheduled_at, weekly_meetings(collab), ctx.now, ctx.tz)
    if periods is None:
        return
    statuses: dict[str, list[str]] = {}
    for task in collab.tasks:
        for name in task.departments:
            statuses.setdefault(name, []).append(task.status)
    for i, department in enumerate(collab.departments):
        # What "must report" and "late" mean is rules.reporting's, shared with the weekly list and the reminder.
        if not must_report(statuses.get(department.name, ())):
            continue
        if periods.state(department.last_report) != ReportState.LATE:
            continue
        if department.last_report is None:
            message = _(
                "%(department)s自启动会以来尚未汇报任务进展:请对接负责人更新本部门在部门职责分工表中的任务状态"
            )
        else:
            message = _("%(department)s本周尚未汇报任务进展(上次汇报:%(last)s):请对接负责人在周例会前更新")
        yield department_not_reporting.finding(
            f"departments[{i}]",
            message,
            department=department.name,
            last=department.last_report.astimezone(ctx.tz).date().isoformat()
            if department.last_report
            else "",
        )
