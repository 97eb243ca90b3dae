"""A collaboration and what steps 1, 2, 4 and 5 of the guide give it.

Rows may be incomplete (a task without a standard, a department without a
liaison): a collaboration is drafted step by step, and the rules report what
is still missing. What the database does enforce is what may never be true:
one row per department (so one liaison at most), one responsible department
per task, one goal per collaboration.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xietong.lib.numbers import plain
from xietong.rules import snapshot as s
from xietong.rules.tracking import is_overdue


class CollabType(models.TextChoices):
    PROJECT = s.CollabType.PROJECT, _("项目型")
    PROBLEM_SOLVING = s.CollabType.PROBLEM_SOLVING, _("问题解决型")
    RESOURCE_COORDINATION = s.CollabType.RESOURCE_COORDINATION, _("资源协调型")
    PROCESS_OPTIMIZATION = s.CollabType.PROCESS_OPTIMIZATION, _("流程优化型")


class Phase(models.TextChoices):
    """The eight steps of the guide, as the phase a collaboration is in."""

    INITIATING = "initiating", _("启动")
    PREPARING = "preparing", _("筹备")
    ALIGNING = "aligning", _("对齐")
    DETAILING = "detailing", _("细化")
    CONSENSUS = "consensus", _("共识")
    EXECUTING = "executing", _("执行")
    MONITORING = "monitoring", _("监控")
    CLOSING = "closing", _("收尾")
    CLOSED = "closed", _("已关闭")


class Visibility(models.TextChoices):
    PARTICIPANTS = "participants", _("仅参与者")
    COMPANY = "company", _("全公司可见")


class Collaboration(models.Model):
    slug = models.SlugField(_("标识"), max_length=120, unique=True, allow_unicode=True)
    title = models.CharField(_("协作名称"), max_length=200)
    type = models.CharField(_("协作类型"), max_length=32, choices=CollabType.choices, blank=True)
    background = models.TextField(_("协作背景"), blank=True)
    expected_outcome = models.TextField(_("预期成果"), blank=True)
    initiator_department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("发起部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="initiated_collaborations",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起部门负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_collaborations",
    )
    phase = models.CharField(_("阶段"), max_length=20, choices=Phase.choices, default=Phase.INITIATING)
    visibility = models.CharField(
        _("可见范围"), max_length=20, choices=Visibility.choices, default=Visibility.PARTICIPANTS
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # Problem-solving collaborations (问题解决型) have a time limit to resolve the problem.
    resolution_deadline = models.DateField(_("解决时限"), null=True, blank=True)
    # Process-optimisation collaborations (流程优化型): who owns the process, and what is optimised.
    process_owner = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("流程归属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_processes",
    )
    optimisation_target = models.TextField(_("优化目标"), blank=True)
    # Bumped by every write to the collaboration or its rows: the key for
    # optimistic concurrency and for caching its snapshot.
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("跨部门协作")
        verbose_name_plural = _("跨部门协作")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Goal(models.Model):
    collaboration = models.OneToOneField(
        Collaboration, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="goal"
    )
    statement = models.TextField(_("核心目标"), blank=True)
    deadline = models.DateField(_("目标截止日期"), null=True, blank=True)
    # Achievable and Relevant are not guessed from text: a person confirms
    # them with a written reason.
    achievable_reason = models.TextField(_("可实现性说明"), blank=True)
    relevant_reason = models.TextField(_("相关性说明"), blank=True)

    class Meta:
        verbose_name = _("核心目标")
        verbose_name_plural = _("核心目标")

    def __str__(self) -> str:
        return self.statement[:60]


class Direction(models.TextChoices):
    INCREASE = s.Direction.INCREASE, _("提升")
    DECREASE = s.Direction.DECREASE, _("降低")
    REACH = s.Direction.REACH, _("达到")


class Metric(models.Model):
    """A key result of the goal: what is measured and the number to reach."""

    goal = models.ForeignKey(
        Goal, verbose_name=_("核心目标"), on_delete=models.CASCADE, related_name="metrics"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    name = models.CharField(_("指标名称"), max_length=200)
    unit = models.CharField(_("单位"), max_length=40, blank=True)
    baseline = models.DecimalField(_("基线值"), null=True, blank=True, max_digits=20, decimal_places=4)
    target = models.DecimalField(_("目标值"), null=True, blank=True, max_digits=20, decimal_places=4)
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices, blank=True)
    scale_max = models.DecimalField(_("满分"), null=True, blank=True, max_digits=20, decimal_places=4)

    class Meta:
        verbose_name = _("目标指标")
        verbose_name_plural = _("目标指标")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["goal", "name"], name="metric_name_unique_per_goal")]

    def __str__(self) -> str:
        return self.name


class MetricReading(models.Model):
    """A measured value of a goal metric on a day: the metric's history."""

    metric = models.ForeignKey(
        Metric, verbose_name=_("指标"), on_delete=models.CASCADE, related_name="readings"
    )
    measured_on = models.DateField(_("测量日期"))
    value = models.DecimalField(_("数值"), max_digits=20, decimal_places=4)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("指标读数")
        verbose_name_plural = _("指标读数")
        ordering = ["measured_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "measured_on"], name="one_reading_per_metric_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.measured_on}: {plain(self.value)}"


class ParticipantRole(models.TextChoices):
    LEAD = "lead", _("牵头")
    SUPPORT = "support", _("配合")


class Participant(models.Model):
    """A participating department and its one liaison (对接负责人)."""

    collaboration = models.ForeignKey(
        Collaboration, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="participants"
    )
    department = models.ForeignKey(
        "orgs.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="participations"
    )
    # One column, so a department can never have two liaisons (P02); empty
    # while the department has not named one yet (P01).
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("对接负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="liaison_for",
    )
    duties = models.TextField(_("职责概要"), blank=True)
    role = models.CharField(
        _("角色"), max_length=10, choices=ParticipantRole.choices, default=ParticipantRole.SUPPORT
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("参与部门")
        verbose_name_plural = _("参与部门")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collaboration", "department"], name="department_once_per_collab")
        ]

    def __str__(self) -> str:
        return f"{self.collaboration}: {self.department}"


class TaskStatus(models.TextChoices):
    NOT_STARTED = s.TaskStatus.NOT_STARTED, _("未开始")
    IN_PROGRESS = s.TaskStatus.IN_PROGRESS, _("进行中")
    DONE = s.TaskStatus.DONE, _("已完成")
    BLOCKED = s.TaskStatus.BLOCKED, _("阻塞")


class Task(models.Model):
    """A row of the responsibility table (部门职责分工表).

    "Overdue" is not stored: it is derived from the deadline and the status
    whenever it is shown, so it can never be stale.
    """

    collaboration = models.ForeignKey(
        Collaboration, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="tasks"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    description = models.TextField(_("任务描述"), blank=True)
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_tasks",
    )
    standard = models.TextField(_("交付标准"), blank=True)
    deadline = models.DateField(_("时间节点"), null=True, blank=True)
    collaborators = models.ManyToManyField(
        "orgs.Department", verbose_name=_("协作方"), blank=True, related_name="collaborating_tasks"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED
    )
    percent = models.PositiveSmallIntegerField(_("完成百分比"), default=0)
    blocked_reason = models.TextField(_("阻塞原因"), blank=True)
    blocked_since = models.DateTimeField(_("阻塞开始时间"), null=True, blank=True)
    # The department a blocked task waits on (escalation goes to its head too).
    waiting_on = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("等待哪个部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    # The one person of the responsible department doing the row (负责人), chosen by its liaison;
    # the department stays the row's owner in the guide's sense (R01).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("执行人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tasks",
    )
    # People told of the row's comments and changes besides its assignee (关注人).
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("关注人"), blank=True, related_name="watched_tasks"
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("职责分工任务")
        verbose_name_plural = _("职责分工任务")
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["collaboration", "status", "deadline"], name="task_status_deadline"),
            # The reminder sweep: open rows by deadline, blocked rows by when they were blocked.
            models.Index(fields=["deadline"], name="task_open_deadline", condition=~models.Q(status="done")),
            models.Index(
                fields=["blocked_since"], name="task_blocked_since", condition=models.Q(status="blocked")
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="task_percent_at_most_100")
        ]

    def __str__(self) -> str:
        return self.description[:60]

    def is_overdue(self, today: date) -> bool:
        return is_overdue(self.deadline, self.status, today)


def overdue_filter(today: date) -> models.Q:
    """``rules.tracking.is_overdue`` as a database filter on tasks (a test holds the two equal)."""
    return models.Q(deadline__lt=today) & ~models.Q(status=TaskStatus.DONE)


class DeadlineKind(models.TextChoices):
    FIXED = s.DeadlineKind.FIXED, _("固定日期")
    RECURRING = s.DeadlineKind.RECURRING, _("周期性")
    SLA = s.DeadlineKind.SLA, _("响应时限(SLA)")


class SlaClock(models.TextChoices):
    """How an SLA sub-goal's hours are counted."""

    CALENDAR = "calendar", _("自然小时")
    WORKING = "working", _("工作小时")


class SubGoal(models.Model):
    """A quantified department sub-goal that supports a goal metric."""

    collaboration = models.ForeignKey(
        Collaboration, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="subgoals"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    description = models.TextField(_("子目标"), blank=True)
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subgoals",
    )
    metric = models.ForeignKey(
        Metric,
        verbose_name=_("支撑指标"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subgoals",
    )
    target = models.DecimalField(_("目标值"), null=True, blank=True, max_digits=20, decimal_places=4)
    unit = models.CharField(_("单位"), max_length=40, blank=True)
    # The time limit (完成时限): a fixed date, a recurring RFC 5545 RRULE, or
    # an SLA in hours after a trigger. Empty kind = no time limit yet (S03).
    deadline_kind = models.CharField(_("时限类型"), max_length=10, choices=DeadlineKind.choices, blank=True)
    deadline_date = models.DateField(_("完成日期"), null=True, blank=True)
    rrule = models.CharField(_("周期规则"), max_length=500, blank=True)
    sla_hours = models.DecimalField(
        _("响应时限(小时)"), null=True, blank=True, max_digits=20, decimal_places=4
    )
    sla_trigger = models.CharField(_("触发条件"), max_length=200, blank=True)
    sla_clock = models.CharField(
        _("计时方式"), max_length=10, choices=SlaClock.choices, default=SlaClock.CALENDAR, blank=True
    )
    # A recurring time limit owes nothing before the sub-goal existed (null for rows older than it).
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, null=True)

    class Meta:
        verbose_name = _("部门子目标")
        verbose_name_plural = _("部门子目标")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description[:60]


class MemberRole(models.TextChoices):
    MEMBER = "member", _("成员")
    VIEWER = "viewer", _("查看者")


class Membership(models.Model):
    """Someone given access to a collaboration beyond the roles its rows give."""

    collaboration = models.ForeignKey(
        Collaboration, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="memberships"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER)

    class Meta:
        verbose_name = _("协作成员")
        verbose_name_plural = _("协作成员")
        constraints = [
            models.UniqueConstraint(fields=["collaboration", "person"], name="one_membership_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.collaboration}"


class NominationRole(models.TextChoices):
    """The roles someone can be named to by another person (the reminders go to them)."""

    OWNER = "owner", _("发起部门负责人")
    LIAISON = "liaison", _("对接负责人")


class NominationState(models.TextChoices):
    PENDING = "pending", _("待答复")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已拒绝")


class Nomination(models.Model):
    """Someone named to a role of a collaboration by another person, and their answer.

    Until they accept (or act in the collaboration) the sweep sends them no
    reminders about it, so naming a colleague cannot turn the product into a
    mailer in their name. Being named by oneself, or by the operator (the
    demo, ``xietong import``), needs no answer and leaves no row.
    """

    collaboration = models.ForeignKey(
        Collaboration, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="nominations"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="nominations"
    )
    role = models.CharField(_("角色"), max_length=10, choices=NominationRole.choices)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=NominationState.choices, default=NominationState.PENDING
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("角色指定")
        verbose_name_plural = _("角色指定")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Also the index the sweep reads by (collaboration, person).
            models.UniqueConstraint(
                fields=["collaboration", "person", "role"], name="one_nomination_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.collaboration} ({self.role})"


class PendingRole(models.TextChoices):
    """Where a name that matched nobody was given: the person goes there once invited."""

    OWNER = "owner", _("发起部门负责人")
    LIAISON = "liaison", _("对接负责人")
    HEAD = "head", _("部门负责人")


class PendingPerson(models.Model):
    """A person named (by a charter or workbook import) who has no account yet: 待邀请.

    Free text never creates an account: the name is kept here, with the
    department and the place it was given, until someone who may edit the
    collaboration's departments invites them (``do_invite_pending``), which
    puts the invited person where they were named.
    """

    collaboration = models.ForeignKey(
        Collaboration, verbose_name=_("协作"), on_delete=models.CASCADE, related_name="pending_people"
    )
    name = models.CharField(_("姓名"), max_length=150)
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    role = models.CharField(_("角色"), max_length=10, choices=PendingRole.choices)
    # Contacts the source carried, to prefill the invitation (the charter format v1 carries none yet).
    email = models.EmailField(_("电子邮箱"), blank=True)
    phone = models.CharField(_("手机"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("待邀请人员")
        verbose_name_plural = _("待邀请人员")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collaboration", "department", "role"], name="one_pending_person_per_place"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.role}) @ {self.collaboration}"


class SavedView(models.Model):
    """A person's named filter and sort of a table (保存的筛选): the query string of its URL.

    ``collaboration`` empty: a view of 我的任务 (a person's rows across collaborations).
    """

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="saved_views"
    )
    collaboration = models.ForeignKey(
        Collaboration,
        verbose_name=_("协作"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    name = models.CharField(_("名称"), max_length=60)
    query = models.CharField(_("筛选条件"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保存的筛选")
        verbose_name_plural = _("保存的筛选")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "collaboration", "name"], name="one_saved_view_per_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
