"""The organisation: departments and the people in them."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    # Unique: charters and pages name departments. Two directory departments of the same
    # name get the parent's name added by the sync (docs/directory-sync.md, "Names").
    name = models.CharField(_("名称"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    # Where the department comes from and its id there (empty: made here); see PersonSource.
    source = models.CharField(_("来源"), max_length=10, default="local")
    external_id = models.CharField(_("外部标识"), max_length=200, blank=True)
    head = models.ForeignKey(
        "orgs.Person",
        verbose_name=_("部门负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="unique_department_external_id",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PersonSource(models.TextChoices):
    """Where a person's account comes from: made here, or a company directory."""

    LOCAL = "local", _("本地")
    LDAP = "ldap", _("LDAP")
    WECOM = "wecom", _("企业微信")
    DINGTALK = "dingtalk", _("钉钉")
    FEISHU = "feishu", _("飞书")
    OIDC = "oidc", _("OIDC")


# The columns ``Person.name`` is made of: pages that read people as values read these.
NAME_FIELDS = ("display_name", "first_name", "last_name", "username")


def name_of(
    display_name: str | None, first_name: str | None, last_name: str | None, username: str | None
) -> str:
    """``Person.name`` of a person read as the values of ``NAME_FIELDS`` ("" for no person)."""
    if username is None:  # a null foreign key: no person
        return ""
    return Person(
        display_name=display_name or "",
        first_name=first_name or "",
        last_name=last_name or "",
        username=username,
    ).name


class Person(AbstractUser):
    """A member of staff; also the login account.

    People named in an imported charter who have no account yet are created
    without a usable password: an administrator activates them later.
    """

    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    # Blank for most people; unique among those who have one (a constraint below).
    employee_number = models.CharField(_("工号"), max_length=40, blank=True)
    source = models.CharField(
        _("来源"), max_length=10, choices=PersonSource.choices, default=PersonSource.LOCAL
    )
    # Raised when the person signs out or is deactivated: part of the session hash, so every
    # other session ends (a password change ends them through the password's own hash).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    # Deactivated by the directory sync because they left the directory: the sync makes them
    # active again if they come back. Someone staff deactivated stays deactivated whatever
    # the directory says (a leaver whose entry lingers is not let back in overnight).
    directory_deactivated = models.BooleanField(default=False, editable=False)
    # The directory's own id of this person (empty: not from a directory); unique per source.
    external_id = models.CharField(_("外部标识"), max_length=200, blank=True)
    # The interface language this person chose; empty: the site's default.
    language = models.CharField(_("界面语言"), max_length=10, choices=settings.LANGUAGES, blank=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["display_name", "username"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee_number"],
                condition=~models.Q(employee_number=""),
                name="unique_employee_number",
                violation_error_message=_("工号已被他人使用"),
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="unique_person_external_id",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name people know this person by."""
        return self.display_name or self.get_full_name() or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Return Django's session hash, with ``session_epoch`` mixed in once it was raised.

        Epoch 0 gives Django's own hash, so sessions signed in before the epoch
        existed stay valid; raising the epoch (sign-out, deactivation,
        ``xietong/orgs/sessions.py``) ends every session signed in before.
        """
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        key_salt = "xietong.orgs.models.Person.get_session_auth_hash"
        value = f"{self.password}|{self.session_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class HeadProposalState(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已拒绝")


class HeadProposal(models.Model):
    """Someone proposed as a department's head, waiting for staff who manage people.

    A department's head holds the head role in every collaboration the
    department takes part in, so only organisation authority sets it: a
    charter import or a collaboration's owner may only propose (docs/security.md,
    "Organisation data").
    """

    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.CASCADE, related_name="head_proposals"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("提议的负责人"), on_delete=models.CASCADE, related_name="head_proposals"
    )
    proposed_by = models.ForeignKey(
        Person, verbose_name=_("提议人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where it was proposed (a charter import or the departments step); text is
    # kept too, so the page still says where after the collaboration is deleted.
    collaboration = models.ForeignKey(
        "collabs.Collaboration",
        verbose_name=_("协作"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    collaboration_title = models.CharField(_("协作名称"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("提议时间"), auto_now_add=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=HeadProposalState.choices, default=HeadProposalState.PENDING
    )
    decided_by = models.ForeignKey(
        Person, verbose_name=_("处理人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("负责人提议")
        verbose_name_plural = _("负责人提议")
        ordering = ["created_at", "id"]
        constraints = [
            # Proposing the same person twice while the first waits adds nothing.
            models.UniqueConstraint(
                fields=["department", "person"],
                condition=models.Q(state="pending"),
                name="one_pending_head_proposal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.department} ← {self.person}"


class InvitationState(models.TextChoices):
    """An account invitation's state; "expired" is derived from ``expires_at``, never stored."""

    PENDING = "pending", _("待接受")
    ACCEPTED = "accepted", _("已接受")
    REVOKED = "revoked", _("已撤销")
    EXPIRED = "expired", _("已过期")


class AccountInvitation(models.Model):
    """A one-time link that lets an invited person set their password and sign in.

    Only the SHA-256 of the link's token is stored: the link itself is shown
    once to who invited and mailed to the person. Resending gives the row a
    new token (the old link stops working); revoking or accepting ends it.
    """

    person = models.ForeignKey(
        Person, verbose_name=_("受邀人"), on_delete=models.CASCADE, related_name="account_invitations"
    )
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        Person, verbose_name=_("邀请人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"))
    sent_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("接受时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账号邀请")
        verbose_name_plural = _("账号邀请")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return str(self.person)

    def state(self, now: datetime | None = None) -> InvitationState:
        """Return the state at ``now`` (default: this moment)."""
        if self.accepted_at is not None:
            return InvitationState.ACCEPTED
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return InvitationState.EXPIRED
        return InvitationState.PENDING


class SyncState(models.TextChoices):
    RUNNING = "running", _("进行中")
    OK = "ok", _("成功")
    FAILED = "failed", _("失败")


class DirectorySync(models.Model):
    """One run of ``xietong sync_directory`` (or the worker's schedule): what it changed, or why it failed.

    At most one row is running at a time (a partial unique constraint): a
    second sync, in any process, is refused while one runs.
    """

    source = models.CharField(_("来源"), max_length=10, choices=PersonSource.choices)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    dry_run = models.BooleanField(_("试运行"), default=False)
    state = models.CharField(_("状态"), max_length=10, choices=SyncState.choices, default=SyncState.RUNNING)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    departments_created = models.PositiveIntegerField(_("新建部门"), default=0)
    departments_updated = models.PositiveIntegerField(_("更新部门"), default=0)
    departments_gone = models.PositiveIntegerField(_("目录中已无的部门"), default=0)
    people_created = models.PositiveIntegerField(_("新建人员"), default=0)
    people_updated = models.PositiveIntegerField(_("更新人员"), default=0)
    people_deactivated = models.PositiveIntegerField(_("停用人员"), default=0)
    heads_set = models.PositiveIntegerField(_("变更负责人"), default=0)
    # The difference, one line per change, cut at REPORT_LIMIT characters (sync.py).
    report = models.TextField(_("报告"), blank=True)

    class Meta:
        verbose_name = _("目录同步")
        verbose_name_plural = _("目录同步")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=models.Q(state="running"), name="one_directory_sync_running"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M}"
