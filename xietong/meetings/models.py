"""Meetings (step 3) and the communication plan (step 6).

This holds what the charter carries about them (the kickoff's times and
confirmations, the plan's rules), so that an imported charter loses nothing
and the K and C rules judge stored collaborations too.
"""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xietong.rules import snapshot as s


class MeetingKind(models.TextChoices):
    KICKOFF = "kickoff", _("启动会")
    RECURRING = "recurring", _("例会")
    ADHOC = "adhoc", _("专项沟通会")


class Meeting(models.Model):
    collaboration = models.ForeignKey(
        "collabs.Collaboration", verbose_name=_("协作"), on_delete=models.CASCADE, related_name="meetings"
    )
    kind = models.CharField(
        _("会议类型"), max_length=20, choices=MeetingKind.choices, default=MeetingKind.KICKOFF
    )
    title = models.CharField(_("会议名称"), max_length=200, blank=True)
    scheduled_at = models.DateTimeField(_("会议时间"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("时长(分钟)"), default=60)
    location = models.CharField(_("地点"), max_length=200, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("主持人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chaired_meetings",
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("参会人"), blank=True, related_name="meetings_attended"
    )
    # An occurrence of a recurring meeting of the communication plan (例会).
    series = models.ForeignKey(
        "CommunicationRule",
        verbose_name=_("所属例会"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="occurrences",
    )
    agenda_sent_at = models.DateTimeField(_("议程发送时间"), null=True, blank=True)
    # Who the agenda went to, as their names read when it was sent.
    agenda_sent_to = models.JSONField(_("议程发送对象"), default=list, blank=True)
    minutes_summary = models.TextField(_("纪要概述"), blank=True)
    # The first issue of the minutes (K03 judges it); later issues after a
    # correction are revisions with their own times.
    minutes_issued_at = models.DateTimeField(_("纪要发出时间"), null=True, blank=True)
    minutes_revision = models.PositiveIntegerField(_("纪要版本"), default=0)
    minutes_reopened_at = models.DateTimeField(_("纪要重新打开时间"), null=True, blank=True)
    minutes_locked_at = models.DateTimeField(_("纪要确认归档时间"), null=True, blank=True)
    # A cancelled meeting (取消会议): no more sendings, edits or reminders; its invitees got METHOD:CANCEL.
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("取消人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(_("取消原因"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["scheduled_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collaboration"], condition=models.Q(kind="kickoff"), name="one_kickoff_per_collab"
            ),
            # Opening an occurrence twice (two clicks, two people) yields one meeting.
            models.UniqueConstraint(fields=["series", "scheduled_at"], name="one_meeting_per_occurrence"),
        ]
        indexes = [
            # A collaboration's kickoff, its meetings of one kind in time order (pages, snapshot, calendar).
            models.Index(fields=["collaboration", "kind", "scheduled_at"], name="meeting_collab_kind_time"),
            # The sweep: meetings held without minutes, and issued minutes not yet locked.
            models.Index(
                fields=["scheduled_at"],
                name="meeting_minutes_pending",
                condition=models.Q(minutes_issued_at__isnull=True),
            ),
            models.Index(
                fields=["minutes_issued_at"],
                name="meeting_minutes_unlocked",
                condition=models.Q(minutes_issued_at__isnull=False, minutes_locked_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title or str(self.get_kind_display())


class AgendaItem(models.Model):
    """An item of a meeting's agenda (the kickoff has the guide's five)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="agenda"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    title = models.CharField(_("议程"), max_length=200)
    notes = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("会议议程")
        verbose_name_plural = _("会议议程")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


# The longest reason a proxy confirmation (代确认) may give.
PROXY_REASON_MAX = 200


class MinutesConfirmation(models.Model):
    """A department head's confirmation of one revision of a meeting's minutes."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="confirmations"
    )
    revision = models.PositiveIntegerField(_("纪要版本"), default=1)
    department = models.ForeignKey("orgs.Department", verbose_name=_("部门"), on_delete=models.PROTECT)
    confirmed_at = models.DateTimeField(_("确认时间"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # 代确认: the initiator or an administrator recorded the head's confirmation for them
    # (confirmed by phone …); ``confirmed_by`` is then the head at that time. Empty: the head's own.
    proxy_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    proxy_reason = models.CharField(_("代确认理由"), max_length=PROXY_REASON_MAX, blank=True)

    class Meta:
        verbose_name = _("纪要确认")
        verbose_name_plural = _("纪要确认")
        ordering = ["confirmed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "revision", "department"], name="one_confirmation_per_department"
            ),
            # A proxy confirmation always says why.
            models.CheckConstraint(
                condition=models.Q(proxy_by__isnull=True) | ~models.Q(proxy_reason=""),
                name="proxy_confirmation_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.department}"

    @property
    def by_proxy(self) -> bool:
        """True for a confirmation recorded by someone else on the head's behalf (代确认)."""
        return bool(self.proxy_reason)


class Scenario(models.TextChoices):
    PROGRESS_SYNC = s.Scenario.PROGRESS_SYNC, _("进度同步")
    DECISION = s.Scenario.DECISION, _("问题决策")
    RISK_WARNING = s.Scenario.RISK_WARNING, _("风险预警")
    OTHER = s.Scenario.OTHER, _("其他")


class Channel(models.TextChoices):
    IM_GROUP = s.Channel.IM_GROUP, _("即时通讯群")
    WEEKLY_MEETING = s.Channel.WEEKLY_MEETING, _("周例会")
    ADHOC_MEETING = s.Channel.ADHOC_MEETING, _("专项沟通会")
    EMAIL = s.Channel.EMAIL, _("邮件")


class HolidayPolicy(models.TextChoices):
    """What a recurring meeting does on a statutory holiday (法定节假日)."""

    POSTPONE = "postpone", _("顺延至下一个工作日")
    SKIP = "skip", _("当次取消")
    KEEP = "keep", _("照常举行")


class Binding(models.TextChoices):
    """Where notifications about a row of the plan go (the channel's robot or mailbox)."""

    INBOX = "inbox", _("站内消息")
    EMAIL = "email", _("邮件")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    FEISHU = "feishu", _("飞书群机器人")


class Frequency(models.TextChoices):
    REALTIME = s.FrequencyKind.REALTIME, _("实时")
    ON_DEMAND = s.FrequencyKind.ON_DEMAND, _("按需")
    RRULE = s.FrequencyKind.RRULE, _("定期")


class CommunicationRule(models.Model):
    """A row of the communication plan: scenario, channel, frequency, outputs, owner."""

    collaboration = models.ForeignKey(
        "collabs.Collaboration",
        verbose_name=_("协作"),
        on_delete=models.CASCADE,
        related_name="communication_rules",
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    scenario = models.CharField(_("沟通场景"), max_length=20, choices=Scenario.choices, blank=True)
    channel = models.CharField(_("方式"), max_length=20, choices=Channel.choices, blank=True)
    frequency = models.CharField(_("频率"), max_length=20, choices=Frequency.choices, blank=True)
    rrule = models.CharField(_("周期规则"), max_length=500, blank=True)
    outputs = models.JSONField(_("输出物"), default=list, blank=True)
    # Owners are often roles rather than one person ("风险部门负责人"), so
    # they are kept as written.
    owner = models.CharField(_("责任人"), max_length=200, blank=True)
    admin = models.CharField(_("群管理员"), max_length=200, blank=True)
    # For IM groups: the group's name and the robot that notifications use.
    group_name = models.CharField(_("群名称"), max_length=200, blank=True)
    binding = models.CharField(
        _("通知渠道"), max_length=20, choices=Binding.choices, default=Binding.INBOX, blank=True
    )
    # For regular meetings (例会): where, how long, and what a holiday does.
    location = models.CharField(_("会议地点"), max_length=200, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("会议时长(分钟)"), default=60)
    holiday_policy = models.CharField(
        _("遇法定节假日"), max_length=10, choices=HolidayPolicy.choices, default=HolidayPolicy.POSTPONE
    )

    class Meta:
        verbose_name = _("沟通机制")
        verbose_name_plural = _("沟通机制")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.get_scenario_display()} / {self.get_channel_display()}"


def material_path(material: Material, filename: str) -> str:
    """Store uploads per meeting under a random name: the original name is a column, not a path."""
    return f"meetings/{material.meeting_id}/{uuid4().hex}{Path(filename).suffix.lower()}"


class Material(models.Model):
    """A file sent with a meeting's agenda (背景资料), stored under the data folder."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="materials"
    )
    file = models.FileField(_("文件"), upload_to=material_path, max_length=300)
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小(字节)"))
    content_type = models.CharField(_("类型"), max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会议资料")
        verbose_name_plural = _("会议资料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class ContributionKind(models.TextChoices):
    OFFER = "offer", _("可提供的支持")
    NEED = "need", _("需要的配合")


class Contribution(models.Model):
    """What a department can offer, or needs from another one, as said in a meeting.

    A need names the department it needs something from; turned into a task
    or a sub-goal proposal, it keeps a link to the row it became.
    """

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="contributions"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    kind = models.CharField(_("类别"), max_length=10, choices=ContributionKind.choices)
    department = models.ForeignKey(
        "orgs.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+"
    )
    counterpart = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("对方部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("内容"))
    task = models.ForeignKey(
        "collabs.Task",
        verbose_name=_("转为任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subgoal = models.ForeignKey(
        "collabs.SubGoal",
        verbose_name=_("转为子目标"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("支持与需求")
        verbose_name_plural = _("支持与需求")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.department}: {self.text[:40]}"


class MinutesItemKind(models.TextChoices):
    DECISION = "decision", _("决议")
    ACTION = "action", _("行动项")
    ISSUE = "issue", _("待决问题")


class MinutesItem(models.Model):
    """A decision, action item or open issue of a meeting's minutes.

    An action item becomes a row of the responsibility table when it is
    added; the item keeps what the meeting agreed (owner, standard,
    deadline) even when the task changes later.
    """

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="minutes_items"
    )
    position = models.PositiveIntegerField(_("顺序"), default=0)
    kind = models.CharField(_("类别"), max_length=10, choices=MinutesItemKind.choices)
    text = models.TextField(_("内容"))
    department = models.ForeignKey(
        "orgs.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    standard = models.TextField(_("交付标准"), blank=True)
    deadline = models.DateField(_("时间节点"), null=True, blank=True)
    task = models.ForeignKey(
        "collabs.Task",
        verbose_name=_("对应任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # An open issue is closed by a later meeting's decision (or by hand).
    resolved = models.BooleanField(_("已解决"), default=False)

    class Meta:
        verbose_name = _("纪要条目")
        verbose_name_plural = _("纪要条目")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class MinutesRevision(models.Model):
    """The minutes as issued: each issue (and each re-issue after a correction) is kept whole."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="minutes_revisions"
    )
    number = models.PositiveIntegerField(_("版本"))
    issued_at = models.DateTimeField(_("发出时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发出人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # {"summary": …, "items": [{"kind", "text", "department", "standard", "deadline"}], "attendees": […]}
    content = models.JSONField(_("纪要内容"), default=dict)

    class Meta:
        verbose_name = _("纪要版本")
        verbose_name_plural = _("纪要版本")
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["meeting", "number"], name="one_revision_number")]

    def __str__(self) -> str:
        return f"{self.meeting} v{self.number}"


class MinutesCorrection(models.Model):
    """A department head's request to correct issued minutes; it reopens them."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="minutes_corrections"
    )
    revision = models.PositiveIntegerField(_("纪要版本"))
    department = models.ForeignKey("orgs.Department", verbose_name=_("部门"), on_delete=models.PROTECT)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    comment = models.TextField(_("更正意见"))
    requested_at = models.DateTimeField(_("申请时间"))

    class Meta:
        verbose_name = _("纪要更正申请")
        verbose_name_plural = _("纪要更正申请")
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"{self.meeting} v{self.revision}: {self.department}"


class CalendarFeed(models.Model):
    """A person's calendar subscription: the feed URL is signed with this nonce.

    Resetting the nonce revokes every copy of the old URL at once.
    """

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    nonce = models.CharField(_("随机串"), max_length=64)
    created_at = models.DateTimeField(_("创建时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历订阅")
        verbose_name_plural = _("日历订阅")

    def __str__(self) -> str:
        return str(self.person)
