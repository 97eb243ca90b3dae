"""Notifications over the API: my inbox and preferences; a collaboration's group robots and deliveries.

The inbox and the preferences are the caller's own (someone else's
notification is 404). A collaboration's robots and deliveries are read by
who may view its deliveries (the initiator and administrators) and changed
by who may manage its robots, through the same access layer as the pages.
A robot's webhook address and signing secret are write-only: answers carry
``masked_url`` (the host) and ``has_secret``, never the values.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

import re
from datetime import time
from typing import Annotated, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import BeforeValidator, PlainSerializer, StringConstraints, WithJsonSchema

from xietong.api.auth import caller
from xietong.api.common import collaboration
from xietong.api.errors import INVALID, NOT_FOUND, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import LocalTime, Title, _Storable
from xietong.collabs.access import get_object_in, get_part_of, reread
from xietong.notify.actions import (
    PreferenceInput,
    RobotChange,
    RobotInput,
    do_add_robot,
    do_change_robot,
    do_delete_robot,
    do_mark_all_read,
    do_mark_read,
    do_resend,
    do_save_preference,
    webhook_problem,
)
from xietong.notify.messages import render
from xietong.notify.models import Delivery, DeliveryState, Kind, Notification, Preference, Robot, Transport
from xietong.notify.reads import delivery_row
from xietong.orgs.roles import Action

router = Router(tags=["notifications"])

RobotKind = Literal["wecom", "dingtalk", "feishu"]
WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), _Storable]
Secret = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), _Storable]


# --- my inbox


class NotificationOut(Schema):
    id: int
    kind: Kind
    collaboration: str | None = Field(description="The collaboration's slug")
    subject: str = Field(description="In the caller's language")
    body: str
    link: str = Field(description="The page it is about, relative to the site")
    created_at: LocalTime
    read_at: LocalTime | None
    unread: bool


class UnreadFilter(Schema):
    unread: bool | None = Field(None, description="true: only unread; false: only read")


class CountOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int = Field(description="How many notifications were marked read")


def _mine(request: HttpRequest) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=caller(request)).select_related("collaboration")


def notification_out(notification: Notification, language: str) -> NotificationOut:
    message = render(notification, language)
    collab = notification.collaboration
    return NotificationOut(
        id=notification.pk,
        kind=Kind(notification.kind),
        collaboration=collab.slug if collab is not None else None,
        subject=message.subject,
        body=message.body,
        link=notification.link,
        created_at=notification.created_at,
        read_at=notification.read_at,
        unread=notification.read_at is None,
    )


def _present(rows: list[Notification]) -> list[NotificationOut]:
    language = translation.get_language()
    return [notification_out(n, language) for n in rows]


@router.get("/notifications", response=responses({200: list[NotificationOut]}, INVALID))
@paginate(Pages, present=_present)
def list_notifications(request: HttpRequest, filters: Query[UnreadFilter]) -> QuerySet[Notification]:
    """My notifications, newest first, each in my language; `unread=true` keeps the unread ones."""
    rows = _mine(request)
    if filters.unread is not None:
        rows = rows.filter(read_at__isnull=filters.unread)
    return rows


@router.get("/notifications/unread-count", response=responses({200: CountOut}))
def unread_count(request: HttpRequest) -> CountOut:
    """How many of my notifications are unread."""
    return CountOut(unread=_mine(request).filter(read_at__isnull=True).count())


@router.post("/notifications/read-all", response=responses({200: MarkedOut}))
def read_all(request: HttpRequest) -> MarkedOut:
    """Mark all my notifications read."""
    return MarkedOut(marked=do_mark_all_read(caller(request)))


@router.post("/notifications/{notification_id}/read", response=responses({200: NotificationOut}, NOT_FOUND))
def read_one(request: HttpRequest, notification_id: int) -> NotificationOut:
    """Mark one of my notifications read (404 for anyone else's)."""
    if not do_mark_read(caller(request), notification_id):
        raise Http404
    return notification_out(_mine(request).get(pk=notification_id), translation.get_language())


# --- my preferences

_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?")


def _clock(value: object) -> object:
    """Read a wall-clock time ``HH:MM[:SS]``; an offset or fractions of a second are refused.

    Quiet hours are the site's local time: an offset would have to be
    dropped (or mean another hour than the one written), so it is refused.
    """
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _CLOCK.fullmatch(value):
        raise ValueError(_("应为本地时间 HH:MM 或 HH:MM:SS(不带时区)"))
    return time.fromisoformat(value)


# In the spec a plain pattern, not `format: time` (RFC 3339 requires an offset there).
ClockTime = Annotated[
    time,
    BeforeValidator(_clock),
    PlainSerializer(lambda value: value.strftime("%H:%M:%S"), return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": f"^{_CLOCK.pattern}$", "examples": ["22:00", "07:30:00"]},
        mode="validation",
    ),
    WithJsonSchema(
        {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"}, mode="serialization"
    ),
]


class PreferenceOut(Schema):
    email: bool = Field(description="Reminders also by mail (to `address`)")
    address: str = Field(description="My mailbox; empty: reminders reach the inbox only")
    muted_kinds: list[Kind] = Field(description="Reminders I do not receive")
    quiet_from: ClockTime | None = Field(description="No mail from (local time, HH:MM:SS) …")
    quiet_until: ClockTime | None = Field(description="… until; both or neither")


class PreferenceIn(Schema):
    email: bool = True
    muted_kinds: list[Kind] = Field(default_factory=list, max_length=len(Kind.values))
    quiet_from: ClockTime | None = Field(None, description="Local time HH:MM or HH:MM:SS, no offset")
    quiet_until: ClockTime | None = None


def preference_out(preference: Preference | None, address: str) -> PreferenceOut:
    if preference is None:
        return PreferenceOut(email=True, address=address, muted_kinds=[], quiet_from=None, quiet_until=None)
    return PreferenceOut(
        email=preference.email,
        address=address,
        muted_kinds=[Kind(k) for k in preference.muted_kinds if k in Kind.values],
        quiet_from=preference.quiet_from,
        quiet_until=preference.quiet_until,
    )


@router.get("/me/notification-preferences", response=responses({200: PreferenceOut}))
def get_preferences(request: HttpRequest) -> PreferenceOut:
    """What reminders I receive, whether by mail too, and my quiet hours."""
    person = caller(request)
    return preference_out(Preference.objects.filter(person=person).first(), person.email)


@router.put("/me/notification-preferences", response=responses({200: PreferenceOut}, INVALID))
def put_preferences(request: HttpRequest, payload: PreferenceIn) -> PreferenceOut:
    """Replace my preferences; quiet hours have both ends or none (22:00–08:00 spans midnight)."""
    person = caller(request)
    if (payload.quiet_from is None) != (payload.quiet_until is None):
        missing = "body.quiet_until" if payload.quiet_until is None else "body.quiet_from"
        raise Invalid.at(missing, _("免打扰时段请同时填写开始和结束时间,或都不填。"))
    if payload.quiet_from is not None and payload.quiet_from == payload.quiet_until:
        raise Invalid.at("body.quiet_until", _("免打扰的开始和结束时间不能相同。"))
    data = PreferenceInput(
        email=payload.email,
        muted_kinds=tuple(str(k) for k in payload.muted_kinds),
        quiet_from=payload.quiet_from,
        quiet_until=payload.quiet_until,
    )
    return preference_out(do_save_preference(person, data), person.email)


# --- a collaboration's group robots


class RobotOut(Schema):
    id: int
    kind: RobotKind
    name: str
    masked_url: str = Field(description="The webhook's host; the address itself is never answered")
    has_secret: bool = Field(description="Whether a signing secret is set (never its value)")
    kinds: list[Kind] = Field(description="Reminders it posts; empty: all")
    active: bool
    created_at: LocalTime


class RobotIn(Schema):
    kind: RobotKind
    name: Title
    webhook_url: WebhookUrl = Field(description="https:// (or http://) address of the group robot")
    secret: Secret = Field("", description="Signing secret (DingTalk, Feishu: recommended)")
    kinds: list[Kind] = Field(default_factory=list, max_length=len(Kind.values))
    active: bool = True


class RobotPatch(Schema):
    name: Title | None = None
    webhook_url: WebhookUrl | None = Field(None, description="A new address; absent keeps the stored one")
    secret: Secret | None = Field(None, description="A new secret; absent or empty keeps the stored one")
    clear_secret: bool = False
    kinds: list[Kind] | None = Field(None, max_length=len(Kind.values))
    active: bool | None = None


def robot_out(robot: Robot) -> RobotOut:
    return RobotOut(
        id=robot.pk,
        kind=robot.kind,  # type: ignore[arg-type]
        name=robot.name,
        masked_url=robot.masked_url,
        has_secret=bool(robot.secret),
        kinds=[Kind(k) for k in robot.kinds if k in Kind.values],
        active=robot.active,
        created_at=robot.created_at,
    )


def _check_url(url: str | None) -> None:
    if url and (problem := webhook_problem(url)):
        raise Invalid.at("body.webhook_url", problem)


def _robot(request: HttpRequest, slug: str, robot_id: int, action: Action) -> Robot:
    collab, _access = collaboration(request, slug, action)
    return get_object_in(collab, Robot.objects.all(), robot_id)


@router.get("/collaborations/{slug}/robots", response=responses({200: list[RobotOut]}, NOT_FOUND, INVALID))
@paginate(Pages, present=lambda rows: [robot_out(r) for r in rows])
def list_robots(request: HttpRequest, slug: str) -> QuerySet[Robot]:
    """The collaboration's group robots (the initiator and administrators)."""
    collab, _access = collaboration(request, slug, Action.VIEW_DELIVERIES)
    return Robot.objects.filter(collaboration=collab)


@router.post("/collaborations/{slug}/robots", response=responses({201: RobotOut}, NOT_FOUND, INVALID))
def create_robot(request: HttpRequest, slug: str, payload: RobotIn) -> Status[RobotOut]:
    """Add a group robot; its address and secret are kept and never answered again."""
    collab, _access = collaboration(request, slug, Action.MANAGE_ROBOTS)
    _check_url(payload.webhook_url)
    data = RobotInput(
        kind=payload.kind,
        name=payload.name,
        webhook_url=payload.webhook_url,
        secret=payload.secret,
        kinds=tuple(str(k) for k in payload.kinds),
        active=payload.active,
    )
    return Status(201, robot_out(do_add_robot(collab, data, actor=caller(request))))


@router.patch(
    "/collaborations/{slug}/robots/{robot_id}", response=responses({200: RobotOut}, NOT_FOUND, INVALID)
)
def update_robot(request: HttpRequest, slug: str, robot_id: int, payload: RobotPatch) -> RobotOut:
    """Change the fields given; a new `webhook_url` or `secret` replaces the stored one."""
    robot = _robot(request, slug, robot_id, Action.MANAGE_ROBOTS)
    _check_url(payload.webhook_url)
    change = RobotChange(
        name=payload.name,
        webhook_url=payload.webhook_url,
        secret=payload.secret,
        kinds=tuple(str(k) for k in payload.kinds) if payload.kinds is not None else None,
        active=payload.active,
        clear_secret=payload.clear_secret,
    )
    return robot_out(do_change_robot(robot, change, actor=caller(request)))


@router.delete("/collaborations/{slug}/robots/{robot_id}", response=responses({204: None}, NOT_FOUND))
def delete_robot(request: HttpRequest, slug: str, robot_id: int) -> Status[None]:
    """Delete a group robot (its unsent messages with it)."""
    robot = _robot(request, slug, robot_id, Action.MANAGE_ROBOTS)
    do_delete_robot(robot, actor=caller(request))
    return Status(204, None)


# --- a collaboration's deliveries


class DeliveryOut(Schema):
    id: int
    notification: int
    kind: Kind
    transport: Transport
    target: str = Field(description="The robot's group name, or the mailbox")
    robot: int | None
    state: DeliveryState
    attempts: int
    last_error: str = Field(description="HTTP status and the robot's error code and message, or SMTP's")
    answer: str = Field(description="What the server answered when it took the message (sent only)")
    next_attempt_at: LocalTime = Field(description="When it is (or was last) tried")
    sent_at: LocalTime | None
    created_at: LocalTime


class DeliveryFilter(Schema):
    state: DeliveryState | None = None


def delivery_out(delivery: Delivery) -> DeliveryOut:
    row = delivery_row(delivery)
    return DeliveryOut(
        id=delivery.pk,
        notification=delivery.notification_id,
        kind=Kind(delivery.notification.kind),
        transport=Transport(delivery.transport),
        target=row.target,
        robot=delivery.robot_id,
        state=DeliveryState(delivery.state),
        attempts=delivery.attempts,
        last_error=row.error,
        answer=delivery.answer,
        next_attempt_at=delivery.next_attempt_at,
        sent_at=delivery.sent_at,
        created_at=delivery.created_at,
    )


def _deliveries() -> QuerySet[Delivery]:
    return Delivery.objects.select_related("robot", "notification").order_by("-created_at", "-id")


@router.get(
    "/collaborations/{slug}/deliveries", response=responses({200: list[DeliveryOut]}, NOT_FOUND, INVALID)
)
@paginate(Pages, present=lambda rows: [delivery_out(d) for d in rows])
def list_deliveries(request: HttpRequest, slug: str, filters: Query[DeliveryFilter]) -> QuerySet[Delivery]:
    """The collaboration's deliveries by mail and robot, newest first; `state=failed` for the failed."""
    collab, _access = collaboration(request, slug, Action.VIEW_DELIVERIES)
    rows = _deliveries().filter(notification__collaboration=collab)
    return rows.filter(state=filters.state) if filters.state else rows


@router.post(
    "/collaborations/{slug}/deliveries/{delivery_id}/resend",
    response=responses({200: DeliveryOut}, NOT_FOUND, INVALID),
)
def resend_delivery(request: HttpRequest, slug: str, delivery_id: int) -> DeliveryOut:
    """Put a failed delivery back in the queue for a fresh round of attempts (422 unless failed)."""
    collab, _access = collaboration(request, slug, Action.MANAGE_ROBOTS)
    delivery = get_part_of(collab, "notification__collaboration", _deliveries(), delivery_id)
    if not do_resend(delivery, actor=caller(request)):
        raise Invalid.at("state", _("只有发送失败的投递可以重新发送。"))
    return delivery_out(reread(_deliveries(), delivery))
