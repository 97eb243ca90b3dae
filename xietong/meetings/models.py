"""Meetings (step 3) and the communication plan (step 6).

This holds what the charter carries about them (the kickoff's times and
confirmations, the plan's rules), so that an imported charter loses nothing
and the K and C rules judge stored collaborations too.
"""

from __future__ import annotations

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
    agenda_sent_at = models.DateTimeField(_("议程发送时间"), null=True, blank=True)
    minutes_issued_at = models.DateTimeField(_("纪要发出时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["scheduled_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collaboration"], condition=models.Q(kind="kickoff"), name="one_kickoff_per_collab"
            )
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


class MinutesConfirmation(models.Model):
    """A department head's confirmation of a meeting's minutes."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="confirmations"
    )
    department = models.ForeignKey("orgs.Department", verbose_name=_("部门"), on_delete=models.PROTECT)
    confirmed_at = models.DateTimeField(_("确认时间"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("纪要确认")
        verbose_name_plural = _("纪要确认")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "department"], name="one_confirmation_per_department")
        ]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.department}"


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

    class Meta:
        verbose_name = _("沟通机制")
        verbose_name_plural = _("沟通机制")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.get_scenario_display()} / {self.get_channel_display()}"
