"""Writes of the notification pages and API: the inbox, preferences, group robots, resending.

A person's inbox and preferences are their own (no collaboration, no audit
entry). Robots and resends belong to a collaboration: they are audited, and
refused once it is closed. A robot's webhook address and signing secret are
written here and never read back out: the audit entry holds the address's
host and whether a secret is set, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.models import AuditEntry, Change
from xietong.audit.record import record, state_of
from xietong.collabs.models import Collaboration
from xietong.lib import netguard
from xietong.notify import delivery as deliveries
from xietong.notify.models import (
    ROBOT_TRANSPORTS,
    Delivery,
    DeliveryState,
    Kind,
    Notification,
    Preference,
    Robot,
)
from xietong.notify.tasks import queue_deliveries
from xietong.orgs.models import Person
from xietong.tracking.actions.closing import check_open

# What the audit entry shows of a secret: that one is set, never its value.
SECRET_SET = "●●●●●●"


# --- the inbox


def do_mark_read(person: Person, pk: int, now: datetime | None = None) -> bool:
    """Mark one of ``person``'s notifications read; return False when it is not theirs."""
    mine = Notification.objects.filter(pk=pk, recipient=person)
    if not mine.exists():
        return False
    mine.filter(read_at__isnull=True).update(read_at=now or timezone.now())
    return True


def do_mark_all_read(person: Person, now: datetime | None = None) -> int:
    """Mark all of ``person``'s unread notifications read; return how many were."""
    return Notification.objects.filter(recipient=person, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


# --- preferences


@dataclass(frozen=True)
class PreferenceInput:
    email: bool = True
    muted_kinds: tuple[str, ...] = ()
    quiet_from: time | None = None
    quiet_until: time | None = None

    def __post_init__(self) -> None:
        if (self.quiet_from is None) != (self.quiet_until is None):
            raise ValueError("quiet hours have both ends or none")
        unknown = set(self.muted_kinds) - set(Kind.values)
        if unknown:
            raise ValueError(f"unknown reminder kinds: {sorted(unknown)}")


@transaction.atomic
def do_save_preference(person: Person, data: PreferenceInput) -> Preference:
    """Create or update ``person``'s preference (muted kinds in the order of ``Kind``)."""
    muted = [k for k in Kind.values if k in data.muted_kinds]
    preference, _created = Preference.objects.update_or_create(
        person=person,
        defaults={
            "email": data.email,
            "muted_kinds": muted,
            "quiet_from": data.quiet_from,
            "quiet_until": data.quiet_until,
        },
    )
    return preference


@transaction.atomic
def do_mute_kind(person: Person, kind: str, *, muted: bool = True) -> Preference:
    """Stop (or, ``muted=False``, resume) ``kind`` for ``person``, keeping the rest of their preferences.

    The unsubscribe link of a reminder mail writes here: the same muted kinds
    the preferences page shows. The row is locked, so a save on that page at
    the same moment is not overwritten with a stale list.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown reminder kind: {kind}")
    Preference.objects.get_or_create(person=person)
    preference = Preference.objects.select_for_update().get(person=person)
    before = set(preference.muted_kinds)
    chosen = (before | {kind}) if muted else (before - {kind})
    preference.muted_kinds = [k for k in Kind.values if k in chosen]
    preference.save(update_fields=["muted_kinds"])
    return preference


# --- group robots


def webhook_problem(url: str) -> str | None:
    """Return why ``url`` cannot be a robot's webhook address (in the active language), or None.

    Besides its form, the host is resolved: one that is or resolves to a
    loopback, private, link-local, multicast or reserved address is refused
    unless allow-listed (``lib/netguard``); one that does not resolve is
    accepted and checked again at each send.
    """
    if any(c.isspace() for c in url) or "\x00" in url:
        return _("地址中不能有空白字符。")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return _("不是有效的网址。")
    if parts.scheme not in ("https", "http"):
        return _("请以 https:// 或 http:// 开头。")
    if not parts.hostname:
        return _("网址缺少主机名。")
    if parts.username or parts.password:
        return _("网址中不能包含用户名或密码。")
    try:
        netguard.checked_addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except netguard.BlockedAddress:
        return _(
            "这个地址指向本机、内网或保留地址,不能用作机器人地址。"
            "内网机器人网关请由管理员加入 XIETONG_ROBOT_ALLOWED_HOSTS。"
        )
    except netguard.UnresolvedHost:
        # Accepted: the worker's network may know names this one does not (or DNS is down a
        # moment); the sender checks again right before it connects and refuses it then.
        pass
    return None


@dataclass(frozen=True)
class RobotInput:
    kind: str
    name: str
    webhook_url: str
    secret: str = ""
    kinds: tuple[str, ...] = ()
    active: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ROBOT_TRANSPORTS:
            raise ValueError(f"not a robot kind: {self.kind}")
        if not self.name.strip():
            raise ValueError("a robot has its group's name")
        if webhook_problem(self.webhook_url) is not None:
            raise ValueError("not a webhook address")


@dataclass(frozen=True)
class RobotChange:
    """What changes of a robot; None (or an empty address / secret): keep what is stored."""

    name: str | None = None
    webhook_url: str | None = None
    secret: str | None = None
    kinds: tuple[str, ...] | None = None
    active: bool | None = None
    clear_secret: bool = False


def _redacted(robot: Robot) -> Robot:
    """A stand-in of ``robot`` for the audit record: the address's host, whether a secret is set."""
    return Robot(
        pk=robot.pk,
        collaboration_id=robot.collaboration_id,
        kind=robot.kind,
        name=robot.name,
        webhook_url=robot.masked_url,
        secret=SECRET_SET if robot.secret else "",
        kinds=list(robot.kinds),
        active=robot.active,
        created_by_id=robot.created_by_id,
        created_at=robot.created_at,
    )


def _kinds(kinds: tuple[str, ...]) -> list[str]:
    """The chosen kinds in the order of ``Kind``; all of them chosen is stored as empty (all)."""
    chosen = [k for k in Kind.values if k in kinds]
    return [] if len(chosen) == len(Kind.values) else chosen


@transaction.atomic
def do_add_robot(collab: Collaboration, data: RobotInput, *, actor: Person | None) -> Robot:
    check_open(collab)
    robot = Robot.objects.create(
        collaboration=collab,
        kind=data.kind,
        name=data.name.strip(),
        webhook_url=data.webhook_url.strip(),
        secret=data.secret.strip(),
        kinds=_kinds(data.kinds),
        active=data.active,
        created_by=actor,
    )
    record(_redacted(robot), None, actor=actor, collaboration=collab, reason=_("添加群机器人"))
    return robot


@transaction.atomic
def do_change_robot(robot: Robot, change: RobotChange, *, actor: Person | None) -> Robot:
    """Apply ``change`` to ``robot``: empty write-only fields keep the stored address and secret."""
    collab = robot.collaboration
    check_open(collab)
    before = state_of(_redacted(robot))
    replaced: list[str] = []
    if change.name is not None and change.name.strip():
        robot.name = change.name.strip()
    if change.webhook_url:
        if webhook_problem(change.webhook_url) is not None:
            raise ValueError("not a webhook address")
        if change.webhook_url.strip() != robot.webhook_url:
            replaced.append(_("更换了 Webhook 地址"))
        robot.webhook_url = change.webhook_url.strip()
    if change.clear_secret and robot.secret:
        robot.secret = ""
        replaced.append(_("清除了加签密钥"))
    elif change.secret and change.secret.strip():
        if change.secret.strip() != robot.secret:
            replaced.append(_("更换了加签密钥"))
        robot.secret = change.secret.strip()
    if change.kinds is not None:
        robot.kinds = _kinds(change.kinds)
    if change.active is not None:
        robot.active = change.active
    robot.save(update_fields=["name", "webhook_url", "secret", "kinds", "active"])
    after = _redacted(robot)
    reason = ";".join(replaced)
    entry = record(after, before, actor=actor, collaboration=collab, reason=reason)
    if entry is None and reason:
        # Same host, a secret set before and after: the entry still says a write-only value was replaced.
        _record_replacement(after, actor, collab, reason)
    return robot


def _record_replacement(robot: Robot, actor: Person | None, collab: Collaboration, reason: str) -> None:
    AuditEntry.objects.create(
        collaboration_id=collab.pk,
        actor_id=getattr(actor, "pk", None),
        change=Change.UPDATE,
        object_type=robot._meta.label_lower,
        object_id=str(robot.pk),
        object_repr=str(robot)[:200],
        before={},
        after={},
        reason=reason,
    )


def audit_robot_saved(robot: Robot, before: Robot | None, *, actor: Person | None) -> None:
    """Audit a robot written outside ``do_*`` (the admin): created, or changed from ``before``.

    Like the actions, the entry holds the host and whether a secret is set,
    and says when the address or the secret was replaced.
    """
    collab = robot.collaboration
    after = _redacted(robot)
    if before is None:
        record(after, None, actor=actor, collaboration=collab, reason=_("添加群机器人"))
        return
    replaced = []
    if robot.webhook_url != before.webhook_url:
        replaced.append(_("更换了 Webhook 地址"))
    if robot.secret != before.secret:
        replaced.append(_("清除了加签密钥") if not robot.secret else _("更换了加签密钥"))
    reason = ";".join(replaced)
    entry = record(after, state_of(_redacted(before)), actor=actor, collaboration=collab, reason=reason)
    if entry is None and reason:
        _record_replacement(after, actor, collab, reason)


@transaction.atomic
def do_delete_robot(robot: Robot, *, actor: Person | None, check: bool = True) -> None:
    """Delete ``robot`` (its deliveries go with it: they could not be sent any more).

    ``check=False`` (the admin) deletes it from a closed collaboration too.
    """
    collab = robot.collaboration
    if check:
        check_open(collab)
    stand_in = _redacted(robot)
    before = state_of(stand_in)
    robot.delete()
    record(stand_in, before, actor=actor, collaboration=collab, reason=_("删除群机器人"), deleted=True)


# --- resending


@transaction.atomic
def do_resend(delivery: Delivery, *, actor: Person | None, now: datetime | None = None) -> bool:
    """Put a failed delivery back in the queue; return False when it is not failed (any more)."""
    if delivery.state != DeliveryState.FAILED:
        return False
    collab = delivery.notification.collaboration
    if collab is not None:
        check_open(collab)
    before = state_of(delivery)
    deliveries.resend(delivery, now)
    delivery.refresh_from_db(fields=["state", "attempts", "next_attempt_at"])
    if delivery.state != DeliveryState.PENDING:
        return False
    record(delivery, before, actor=actor, collaboration=collab, reason=_("重新发送"))
    pk = delivery.pk
    transaction.on_commit(lambda: queue_deliveries([pk]))
    return True
