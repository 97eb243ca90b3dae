"""Steps 7 (监控) and 8 (收尾): what happens while a collaboration is carried out and closed.

Progress updates on the responsibility table, the weekly progress list
(周进度清单), the issue log (问题跟踪表), the risk register with its
response plans (风险应对方案), SLA requests between departments and the
occurrences of recurring sub-goals, change requests, and the closing:
acceptance of each deliverable and the retrospective. The type-specific
parts (allocations of a resource-coordination collaboration, the rollout
milestones of a process optimisation) live here too.

Overdue is never stored: it is derived from a deadline and a status when
shown, so it cannot go stale.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from xietong.collabs.models import TaskStatus

_COLLAB = "collabs.Collaboration"
_DEPARTMENT = "orgs.Department"


def _person(verbose: StrOrPromise, related: str = "+") -> Any:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related,
    )


class ProgressUpdate(models.Model):
    """A liaison's update of one row of the table: the weekly list is compiled from these."""

    collaboration = models.ForeignKey(
        _COLLAB, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="progress_updates"
    )
    task = models.ForeignKey(
        "collabs.Task", verbose_name=_("任务"), on_delete=models.CASCADE, related_name="updates"
    )
    # The responsible department when the update was made: who reported (T03).
    department = models.ForeignKey(
        _DEPARTMENT,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author = _person(_("更新人"))
    created_at = models.DateTimeField(_("更新时间"))
    status = models.CharField(_("状态"), max_length=20, choices=TaskStatus.choices)
    percent = models.PositiveSmallIntegerField(_("完成百分比"), default=0)
    note = models.TextField(_("进展说明"), blank=True)
    next_step = models.TextField(_("下一步计划"), blank=True)
    blocked_reason = models.TextField(_("阻塞原因"), blank=True)
    waiting_on = models.ForeignKey(
        _DEPARTMENT,
        verbose_name=_("等待哪个部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("进度更新")
        verbose_name_plural = _("进度更新")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The weekly list and the progress API: one collaboration's updates in a week, newest first.
            models.Index(fields=["collaboration", "created_at"], name="update_collab_time"),
            # Each row's last update before a week (the weekly list's subqueries, the table's percent).
            models.Index(fields=["task", "created_at"], name="update_task_time"),
        ]

    def __str__(self) -> str:
        return f"{self.task}: {self.get_status_display()}"


class WeeklyReport(models.Model):
    """A published weekly progress list (周进度清单) of one ISO week, frozen as published."""

    collaboration = models.ForeignKey(
        _COLLAB, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="weekly_reports"
    )
    iso_year = models.PositiveSmallIntegerField(_("年"))
    iso_week = models.PositiveSmallIntegerField(_("周"))
    remarks = models.TextField(_("发起部门备注"), blank=True)
    content = models.JSONField(_("清单内容"), default=dict)
    published_at = models.DateTimeField(_("发布时间"))
    published_by = _person(_("发布人"))

    class Meta:
        verbose_name = _("周进度清单")
        verbose_name_plural = _("周进度清单")
        ordering = ["-iso_year", "-iso_week"]
        constraints = [
            models.UniqueConstraint(
                fields=["collaboration", "iso_year", "iso_week"], name="one_report_per_week"
            )
        ]

    def __str__(self) -> str:
        return f"{self.collaboration} {self.iso_year}-W{self.iso_week:02d}"


class IssueStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    DECIDED = "decided", _("已决策")
    CLOSED = "closed", _("已关闭")


class IssueEntry(models.Model):
    """A row of the issue log (问题跟踪表)."""

    collaboration = models.ForeignKey(
        _COLLAB, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="issues"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    title = models.TextField(_("问题"))
    raised_by = models.ForeignKey(
        _DEPARTMENT,
        verbose_name=_("提出部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        _DEPARTMENT,
        verbose_name=_("负责部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_needed = models.TextField(_("需要的决策"), blank=True)
    decided_in = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("决策会议"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.TextField(_("解决方案"), blank=True)
    due_date = models.DateField(_("期限"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("问题跟踪")
        verbose_name_plural = _("问题跟踪表")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title[:60]


class Level(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


class RiskStatus(models.TextChoices):
    WATCHING = "watching", _("监控中")
    TRIGGERED = "triggered", _("已触发")
    CLOSED = "closed", _("已关闭")


class Risk(models.Model):
    """A row of the risk register, with its response plan (风险应对方案) and trigger."""

    collaboration = models.ForeignKey(
        _COLLAB, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="risks"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    description = models.TextField(_("风险描述"))
    probability = models.CharField(_("发生概率"), max_length=10, choices=Level.choices, default=Level.MEDIUM)
    impact = models.CharField(_("影响程度"), max_length=10, choices=Level.choices, default=Level.MEDIUM)
    owner = models.ForeignKey(
        _DEPARTMENT,
        verbose_name=_("负责部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    response_plan = models.TextField(_("风险应对方案"), blank=True)
    # What calls an ad-hoc risk meeting (专项沟通会) when it happens.
    trigger = models.TextField(_("触发条件"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=RiskStatus.choices, default=RiskStatus.WATCHING
    )
    triggered_at = models.DateTimeField(_("触发时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("风险")
        verbose_name_plural = _("风险登记表")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description[:60]


class SlaRequest(models.Model):
    """A request between departments under an SLA sub-goal: it starts a clock.

    E.g. 售后部 asks 技术部 for a technical conclusion within 24 hours. The
    clock counts calendar or working hours as the sub-goal says; time spent
    waiting on the requester is paused (``SlaPause``).
    """

    collaboration = models.ForeignKey(
        _COLLAB, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="sla_requests"
    )
    subgoal = models.ForeignKey(
        "collabs.SubGoal", verbose_name=_("子目标"), on_delete=models.CASCADE, related_name="sla_requests"
    )
    requester = models.ForeignKey(
        _DEPARTMENT,
        verbose_name=_("提出部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject = models.TextField(_("请求内容"))
    started_at = models.DateTimeField(_("开始时间"))
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answer = models.TextField(_("答复"), blank=True)
    created_by = _person(_("登记人"))

    class Meta:
        verbose_name = _("时限请求")
        verbose_name_plural = _("时限请求")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["collaboration", "answered_at"], name="sla_open"),
            # The sweep's clocks still running, across every collaboration: only the open ones are indexed.
            models.Index(
                fields=["started_at"], name="sla_unanswered", condition=models.Q(answered_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.subject[:60]


class SlaPause(models.Model):
    """A span during which an SLA clock stood still (waiting on the requester)."""

    request = models.ForeignKey(
        SlaRequest, verbose_name=_("时限请求"), on_delete=models.CASCADE, related_name="pauses"
    )
    started_at = models.DateTimeField(_("暂停时间"))
    ended_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    reason = models.CharField(_("暂停原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("计时暂停")
        verbose_name_plural = _("计时暂停")
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.request}: {self.started_at:%Y-%m-%d %H:%M}"


class SubGoalCheck(models.Model):
    """One occurrence of a recurring sub-goal (每日10点前, 每周五) and when it was done.

    Met when done by its time, missed when done late or not done once the
    time has passed; pending before.
    """

    subgoal = models.ForeignKey(
        "collabs.SubGoal", verbose_name=_("子目标"), on_delete=models.CASCADE, related_name="checks"
    )
    due_at = models.DateTimeField(_("应完成时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    recorded_by = _person(_("记录人"))

    class Meta:
        verbose_name = _("周期子目标记录")
        verbose_name_plural = _("周期子目标记录")
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["subgoal", "due_at"], name="one_check_per_occurrence")]

    def __str__(self) -> str:
        return f"{self.subgoal}: {self.due_at:%Y-%m-%d %H:%M}"


class ChangeField(models.TextChoices):
    DEADLINE = "deadline", _("时间节点")
    OWNER = "owner", _("责任部门")
    STANDARD = "standard", _("交付标准")
    TARGET = "target", _("目标值")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class ChangeRequest(models.Model):
    """A request to change a deadline, owner, standard or target, with its reason and approvals.

    Approved by the initiator, and by the head of the department whose
    duties change (a new owner) when there is one; applied when approved.
    """

    collaboration = models.ForeignKey(
        _COLLAB, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="change_requests"
    )
    field = models.CharField(_("变更内容"), max_length=10, choices=ChangeField.choices)
    task = models.ForeignKey(
        "collabs.Task",
        verbose_name=_("任务"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    subgoal = models.ForeignKey(
        "collabs.SubGoal",
        verbose_name=_("子目标"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    metric = models.ForeignKey(
        "collabs.Metric",
        verbose_name=_("指标"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # Neither task, sub-goal nor metric: the goal's own deadline.
    old_value = models.CharField(_("原值"), max_length=500, blank=True)
    new_value = models.CharField(_("新值"), max_length=500)
    reason = models.TextField(_("变更原因"))
    requested_by = _person(_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    initiator_decided_by = _person(_("发起部门审批人"))
    initiator_decided_at = models.DateTimeField(_("发起部门审批时间"), null=True, blank=True)
    head_department = models.ForeignKey(
        _DEPARTMENT,
        verbose_name=_("需审批的部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    head_decided_by = _person(_("部门负责人审批人"))
    head_decided_at = models.DateTimeField(_("部门负责人审批时间"), null=True, blank=True)
    decision_comment = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("变更申请")
        verbose_name_plural = _("变更申请")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.old_value} → {self.new_value}"


class Verdict(models.TextChoices):
    """How a deliverable was judged. Only a done row may simply pass; anything else says why."""

    PASSED = "passed", _("通过验收")
    # Accepted although the row is not done or falls short, on a stated condition.
    CONDITIONAL = "conditional", _("有条件验收")
    # Accepted as an exception (the task was dropped, overtaken, no longer needed), with the reason.
    EXCEPTION = "exception", _("例外")
    REJECTED = "rejected", _("不通过")


# The verdicts that accept a deliverable only with a reason (shown in the closing report and scorecards).
QUALIFIED_VERDICTS = (Verdict.CONDITIONAL, Verdict.EXCEPTION)


class Acceptance(models.Model):
    """The verdict on one deliverable (a row of the table) against its delivery standard.

    ``accepted`` is true for every verdict but a rejection (A01 counts it);
    ``verdict`` says how, and a conditional acceptance or an exception
    carries its ``reason`` (the database refuses one without).
    """

    task = models.OneToOneField(
        "collabs.Task", verbose_name=_("任务"), on_delete=models.CASCADE, related_name="acceptance"
    )
    department = models.ForeignKey(
        _DEPARTMENT,
        verbose_name=_("验收部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted = models.BooleanField(_("通过验收"))
    verdict = models.CharField(_("验收结论"), max_length=20, choices=Verdict.choices, default=Verdict.PASSED)
    reason = models.TextField(_("有条件验收或例外的原因"), blank=True)
    comment = models.TextField(_("验收意见"), blank=True)
    decided_by = _person(_("验收人"))
    decided_at = models.DateTimeField(_("验收时间"))

    class Meta:
        verbose_name = _("成果验收")
        verbose_name_plural = _("成果验收")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accepted=True, verdict__in=["passed", "conditional", "exception"])
                | models.Q(accepted=False, verdict="rejected"),
                name="acceptance_verdict_matches_accepted",
            ),
            models.CheckConstraint(
                condition=~models.Q(verdict__in=["conditional", "exception"], reason=""),
                name="acceptance_qualified_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task}: {self.accepted}"


class Retrospective(models.Model):
    """The closing retrospective (复盘): reusable lessons for the next collaboration of the same type."""

    collaboration = models.OneToOneField(
        _COLLAB, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="retrospective"
    )
    went_well = models.TextField(_("做得好的"), blank=True)
    problems = models.TextField(_("存在的问题"), blank=True)
    improvements = models.TextField(_("改进措施"), blank=True)
    lessons = models.TextField(_("可复用的经验"), blank=True)
    written_by = _person(_("填写人"))
    written_at = models.DateTimeField(_("填写时间"))

    class Meta:
        verbose_name = _("复盘")
        verbose_name_plural = _("复盘")

    def __str__(self) -> str:
        return str(self.collaboration)


class Allocation(models.Model):
    """A resource lent between departments in a resource-coordination collaboration (资源协调型)."""

    collaboration = models.ForeignKey(
        _COLLAB, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="allocations"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    resource = models.CharField(_("资源"), max_length=200)
    from_department = models.ForeignKey(
        _DEPARTMENT, verbose_name=_("提供部门"), on_delete=models.PROTECT, related_name="+"
    )
    to_department = models.ForeignKey(
        _DEPARTMENT, verbose_name=_("使用部门"), on_delete=models.PROTECT, related_name="+"
    )
    rule = models.TextField(_("分配规则"), blank=True)
    responsibility = models.TextField(_("使用责任"), blank=True)
    return_date = models.DateField(_("归还日期"), null=True, blank=True)
    returned_at = models.DateTimeField(_("归还时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("资源分配")
        verbose_name_plural = _("资源分配")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.resource


class Milestone(models.Model):
    """A step of a process optimisation's rollout timetable (流程优化型)."""

    collaboration = models.ForeignKey(
        _COLLAB, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="milestones"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    name = models.CharField(_("里程碑"), max_length=200)
    due_date = models.DateField(_("计划日期"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推行里程碑")
        verbose_name_plural = _("推行里程碑")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name
