"""The outbox: reminders the sweep found due, their deliveries, group robots and preferences.

A ``Notification`` is one reminder to one person (or, with no recipient, to
the collaboration's group robots) about one occasion; its ``key`` is unique,
so the sweep can run in any number of processes, or again after a long
stop, and never writes the same reminder twice. The in-app inbox is the
person's notifications; each push to a mailbox or robot is a ``Delivery``
with its own attempts, back-off and last error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from xietong.collabs.models import Collaboration
    from xietong.orgs.models import Person


class Kind(models.TextChoices):
    """The reminders the sweep sends (see ``reminders`` for when each is due)."""

    AGENDA_DUE = "agenda_due", _("启动会议程待发送")
    MINUTES_DUE = "minutes_due", _("会议纪要待输出")
    MINUTES_OVERDUE = "minutes_overdue", _("会议纪要已超时")
    CONFIRMATION_PENDING = "confirmation_pending", _("会议纪要待确认")
    WEEKLY_UPDATE_DUE = "weekly_update_due", _("周进度待更新")
    TASK_DUE_SOON = "task_due_soon", _("任务即将到期")
    TASK_OVERDUE = "task_overdue", _("任务已逾期")
    ESCALATION = "escalation", _("阻塞升级")
    SLA_AT_RISK = "sla_at_risk", _("时限请求即将超时")
    SLA_BREACHED = "sla_breached", _("时限请求已超时")
    OCCURRENCE_MISSED = "occurrence_missed", _("周期子目标未按时完成")
    # Not found by the sweep: written once when someone names a person to a role (collabs.Nomination).
    NOMINATED = "nominated", _("被指定角色")
    NOMINATION_DECLINED = "nomination_declined", _("指定被拒绝")
    # Not found by the sweep: written when the agenda is sent (an Invitation), once per invitee.
    MEETING_INVITATION = "meeting_invitation", _("会议邀请")
    MEETING_UPDATED = "meeting_updated", _("会议变更")
    MEETING_CANCELLED = "meeting_cancelled", _("会议取消")
    # Not found by the sweep: written when a row is assigned to someone, and by comments (xietong.discuss).
    TASK_ASSIGNED = "task_assigned", _("任务分配")
    MENTIONED = "mentioned", _("评论中提到我")
    COMMENTED = "commented", _("关注的事项有新评论")


class Notification(models.Model):
    # Unique by a constraint (Meta), not ``unique=True``: on PostgreSQL that would add a second,
    # LIKE-pattern index that nothing queries, paid on every insert (the sweep writes many).
    key = models.CharField(_("幂等键"), max_length=200)
    kind = models.CharField(_("提醒类型"), max_length=32, choices=Kind.choices)
    collaboration = models.ForeignKey(
        "collabs.Collaboration",
        verbose_name=_("协作"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # Empty: a message for the collaboration's group robots, not for one person.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notification_inbox (recipient, read_at) serves it
    )
    # Values for the message text, rendered in the reader's language when shown or sent.
    params = models.JSONField(_("参数"), default=dict, blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    # The communication plan's binding for this reminder ("wecom" …), if a row of the plan governs it.
    binding = models.CharField(_("通知方式"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    # Set once its deliveries are written (in the same transaction as by the sweep that did it).
    planned = models.BooleanField(_("已安排投递"), default=False)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox"),
            # The sweep plans unplanned notifications in id order, a batch at a time.
            models.Index(fields=["id"], name="notification_unplanned", condition=models.Q(planned=False)),
        ]
        constraints = [models.UniqueConstraint(fields=["key"], name="notification_key_once")]

    def __str__(self) -> str:
        return self.key


class InvitationMethod(models.TextChoices):
    """The iTIP method of a sending (RFC 5546): an invitation or update, or a cancellation."""

    REQUEST = "REQUEST", _("邀请")
    CANCEL = "CANCEL", _("取消")


class Invitation(models.Model):
    """One sending of a meeting's agenda and calendar invitation (发送议程), and what it said.

    ``sequence`` is the iCalendar SEQUENCE of the sending (0, 1, 2 … per
    meeting, unique: two clicks at once make one sending); ``fingerprint``
    is a digest of what was sent (time, place, agenda, materials, invitees),
    so the page offers "再次发送" only when something changed; ``content``
    keeps what the calendar part is built from when each mail goes out.
    """

    meeting = models.ForeignKey(
        "meetings.Meeting", verbose_name=_("会议"), on_delete=models.CASCADE, related_name="invitations"
    )
    sequence = models.PositiveIntegerField(_("序号"))
    method = models.CharField(
        _("方式"), max_length=10, choices=InvitationMethod.choices, default=InvitationMethod.REQUEST
    )
    fingerprint = models.CharField(_("内容摘要"), max_length=64)
    content = models.JSONField(_("邀请内容"), default=dict)
    # Who received it (person ids): a later sending cancels for those it no longer invites.
    invitees = models.JSONField(_("接收人"), default=list)
    sent_at = models.DateTimeField(_("发送时间"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发送人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("会议邀请")
        verbose_name_plural = _("会议邀请")
        ordering = ["meeting", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "sequence"], name="one_invitation_per_sequence")
        ]

    def __str__(self) -> str:
        return f"{self.meeting} #{self.sequence}"


class Transport(models.TextChoices):
    EMAIL = "email", _("邮件")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    FEISHU = "feishu", _("飞书群机器人")


ROBOT_TRANSPORTS = (Transport.WECOM, Transport.DINGTALK, Transport.FEISHU)


class Robot(models.Model):
    """A group robot (群机器人) of a collaboration's IM group.

    The webhook address carries the robot's key and the signing secret signs
    each request: both are kept server-side and never shown again after
    entry (pages show ``masked_url``; the API never returns them).
    """

    collaboration = models.ForeignKey(
        "collabs.Collaboration", verbose_name=_("协作"), on_delete=models.CASCADE, related_name="robots"
    )
    kind = models.CharField(
        _("机器人类型"),
        max_length=20,
        choices=[(t.value, t.label) for t in ROBOT_TRANSPORTS],
    )
    name = models.CharField(_("群名称"), max_length=200)
    webhook_url = models.CharField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True)
    # Reminder kinds posted to the group; empty: all of them.
    kinds = models.JSONField(_("推送的提醒"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")
        ordering = ["collaboration", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_url(self) -> str:
        """The webhook's host only: the rest of the address is the robot's key."""
        parts = urlsplit(self.webhook_url)
        return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "…"

    def posts(self, kind: str) -> bool:
        return self.active and (not self.kinds or kind in self.kinds)


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """One push of a notification to a mailbox or a group robot."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="deliveries"
    )
    transport = models.CharField(_("渠道"), max_length=20, choices=Transport.choices)
    # "email:<address>" or "robot:<id>": unique per notification, so a delivery is planned once.
    target = models.CharField(_("发送对象"), max_length=300)
    robot = models.ForeignKey(
        Robot, verbose_name=_("群机器人"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # Times a send cut short by a dead worker was put back (outbox.rearm_stuck): the server may
    # have taken the message before the worker died, so a delivery sent with this above 0 was
    # possibly received twice.
    rearmed = models.PositiveSmallIntegerField(_("中断后重发次数"), default=0, db_default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    last_error = models.TextField(_("最近错误"), blank=True)
    # What the server said when it took the message (SMTP reply, robot code): recorded with the send.
    answer = models.CharField(_("对方答复"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("投递")
        verbose_name_plural = _("投递")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "target"], name="delivery_once_per_target")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.notification.key} → {self.target}"

    @property
    def address(self) -> str:
        """The mailbox of an email delivery."""
        return self.target.removeprefix("email:")


class Preference(models.Model):
    """What reminders one person wants, where, and when not."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = models.BooleanField(_("同时发送邮件"), default=True)
    muted_kinds = models.JSONField(_("不接收的提醒"), default=list, blank=True)
    # Mail waits until the end of the quiet hours (the inbox shows the reminder at once).
    quiet_from = models.TimeField(_("免打扰开始"), null=True, blank=True)
    quiet_until = models.TimeField(_("免打扰结束"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return str(self.person)

    def wants(self, kind: str) -> bool:
        return kind not in self.muted_kinds


class WorkerBeat(models.Model):
    """A worker process's heartbeat: written after each sweep, shown to staff (one row per process).

    A row in the database rather than the cache: the local-memory cache is per
    process, and the staff page runs in the web server, not in the worker.
    ``restarts`` and ``last_exit`` come from ``xietong run``, which restarts a
    worker that died and tells the new one why it was started.
    """

    name = models.CharField(_("进程"), max_length=200, unique=True)  # "host:pid"
    started_at = models.DateTimeField(_("启动时间"))
    beat_at = models.DateTimeField(_("最近心跳"))
    sweeps = models.PositiveIntegerField(_("巡检次数"), default=0)
    sweep_ms = models.PositiveIntegerField(_("最近巡检耗时(毫秒)"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    restarts = models.PositiveIntegerField(_("重启次数"), default=0)
    last_exit = models.CharField(_("上次退出"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("后台进程心跳")
        verbose_name_plural = _("后台进程心跳")

    def __str__(self) -> str:
        return self.name


class RobotAddress(models.Model):
    """One webhook address's recent sends and block: the limits every robot at it shares.

    Rate limits belong to the address (the vendor's robot), not to a robot
    entry: two collaborations posting to one group, and every worker process,
    count against the same row. The row is locked (``select_for_update``)
    while a send is reserved, so the count holds across processes
    (``notify.limiter``). Only a digest of the address is kept: the address
    carries the robot's key.
    """

    digest = models.CharField(_("地址摘要"), max_length=64, unique=True)
    # Moments (epoch seconds) of the sends in the longest window, oldest first.
    sends = models.JSONField(_("最近发送"), default=list, blank=True)
    # The robot said "too fast" (or DingTalk's block): nothing is sent to it before this.
    blocked_until = models.DateTimeField(_("暂停至"), null=True, blank=True)

    class Meta:
        verbose_name = _("群机器人地址")
        verbose_name_plural = _("群机器人地址")

    def __str__(self) -> str:
        return self.digest[:12]


def notify_once(
    *,
    key: str,
    kind: str,
    collaboration: Collaboration | None,
    recipient: Person,
    params: dict[str, str],
    link: str,
) -> bool:
    """Put one notice to one person in the outbox, once ever (its key is unique); return whether it is new.

    For notices an action writes itself (a nomination, an assignment, a mention): the
    sweep plans its mail and robot posts like any reminder's. A person who muted the
    kind still finds it in the inbox, but gets no mail (written as planned already).
    """
    preference = Preference.objects.filter(person=recipient).first()
    _, created = Notification.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "collaboration": collaboration,
            "recipient": recipient,
            "params": params,
            "link": link,
            "planned": preference is not None and not preference.wants(kind),
        },
    )
    return created
