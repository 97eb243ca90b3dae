"""The sweep: write what is due into the outbox, exactly once, and plan its deliveries.

Exactly once rests on the database, not on timing: a notification's key is
unique, so concurrent sweeps race on the unique index and the loser's
insert does nothing; the deliveries of a notification are planned by
whichever sweep locks it first (``planned`` is set in the same transaction,
and other sweeps skip locked rows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xietong.meetings.models import Binding
from xietong.notify import reminders
from xietong.notify.models import (
    Delivery,
    DeliveryState,
    Notification,
    Preference,
    Robot,
    Transport,
)
from xietong.notify.reminders import Due

BATCH = 500
# A delivery left "sending" this long belongs to a worker that died mid-send: it is tried again.
STUCK_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class SweepResult:
    due: int
    written: int
    deliveries: int
    rearmed: int


def _chunks(items: Sequence[str], size: int = BATCH) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _robots_by_collab(collab_ids: Iterable[int]) -> dict[int, list[Robot]]:
    robots: dict[int, list[Robot]] = defaultdict(list)
    for robot in Robot.objects.filter(collaboration_id__in=set(collab_ids), active=True):
        robots[robot.collaboration_id].append(robot)
    return robots


def _robots_for(robots: list[Robot], kind: str, binding: str) -> list[Robot]:
    """The robots that post a group reminder: the plan's binding, when it names a robot, decides the kind."""
    if binding in (Binding.INBOX, Binding.EMAIL):
        return []
    return [r for r in robots if r.posts(kind) and (not binding or r.kind == binding)]


def _wanted(dues: list[Due]) -> list[Due]:
    """Drop what nobody would receive: muted kinds, and group reminders of collaborations without robots."""
    muted = {
        person: set(kinds)
        for person, kinds in Preference.objects.filter(
            person_id__in={d.recipient_id for d in dues if d.recipient_id is not None}
        ).values_list("person_id", "muted_kinds")
    }
    robots = _robots_by_collab(d.collaboration_id for d in dues if d.recipient_id is None)
    return [
        d
        for d in dues
        if (d.recipient_id is not None and d.kind not in muted.get(d.recipient_id, ()))
        or (d.recipient_id is None and _robots_for(robots[d.collaboration_id], d.kind, d.binding))
    ]


def write(dues: Iterable[Due], now: datetime) -> int:
    """Insert the notifications not written yet; return how many this call inserted."""
    wanted = {d.key: d for d in dues}  # a finder may name an occasion twice: the key decides
    written = 0
    for keys in _chunks(sorted(wanted)):
        existing = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
        fresh = _wanted([wanted[k] for k in keys if k not in existing])
        Notification.objects.bulk_create(
            [
                Notification(
                    key=d.key,
                    kind=d.kind,
                    collaboration_id=d.collaboration_id,
                    recipient_id=d.recipient_id,
                    params=d.params,
                    link=d.link,
                    binding=d.binding,
                    created_at=now,
                )
                for d in fresh
            ],
            ignore_conflicts=True,  # another sweep wrote it meanwhile: the unique key keeps one
        )
        if fresh:
            # What this call inserted: a concurrent sweep's rows were planned when it committed
            # (before our insert could go past them), ours are planned only below, in ``plan``.
            written += Notification.objects.filter(key__in=[d.key for d in fresh], planned=False).count()
    return written


def after_quiet_hours(now: datetime, preference: Preference | None) -> datetime:
    """When a mail may go out: ``now``, or the end of the person's quiet hours (which may span midnight)."""
    if preference is None or preference.quiet_from is None or preference.quiet_until is None:
        return now
    tz = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    start, end = preference.quiet_from, preference.quiet_until
    clock = local.time()
    if start == end:
        return now
    quiet = start <= clock < end if start < end else (clock >= start or clock < end)
    if not quiet:
        return now
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz)


def _deliveries_of(
    notification: Notification,
    robots: dict[int, list[Robot]],
    preferences: dict[int, Preference],
    now: datetime,
) -> list[Delivery]:
    person = notification.recipient
    if person is None:
        assert notification.collaboration_id is not None
        return [
            Delivery(
                notification=notification,
                transport=robot.kind,
                target=f"robot:{robot.pk}",
                robot=robot,
                next_attempt_at=now,
                created_at=now,
            )
            for robot in _robots_for(
                robots[notification.collaboration_id], notification.kind, notification.binding
            )
        ]
    preference = preferences.get(person.pk)
    if not person.is_active or not person.email or (preference is not None and not preference.email):
        return []  # the inbox only
    return [
        Delivery(
            notification=notification,
            transport=Transport.EMAIL,
            target=f"email:{person.email}",
            next_attempt_at=after_quiet_hours(now, preference),
            created_at=now,
        )
    ]


def plan(now: datetime) -> list[int]:
    """Write the deliveries of notifications nobody planned yet; return the new deliveries' ids.

    Call inside a transaction: the notifications stay locked until it ends.
    """
    created: list[int] = []
    while True:
        batch = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(planned=False)
            .select_related("recipient")
            .order_by("id")[:BATCH]
        )
        if not batch:
            return created
        robots = _robots_by_collab(
            n.collaboration_id for n in batch if n.recipient_id is None and n.collaboration_id
        )
        preferences = {
            p.person_id: p for p in Preference.objects.filter(person_id__in={n.recipient_id for n in batch})
        }
        deliveries = [d for n in batch for d in _deliveries_of(n, robots, preferences, now)]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        Notification.objects.filter(pk__in=[n.pk for n in batch]).update(planned=True)
        created += list(
            Delivery.objects.filter(notification__in=batch, state=DeliveryState.PENDING).values_list(
                "pk", flat=True
            )
        )


def rearm_stuck(now: datetime) -> int:
    """Put back deliveries whose worker died mid-send (at least once beats never)."""
    return Delivery.objects.filter(state=DeliveryState.SENDING, next_attempt_at__lt=now - STUCK_AFTER).update(
        state=DeliveryState.PENDING, next_attempt_at=now
    )


def sweep(now: datetime | None = None) -> SweepResult:
    """Compute what is due at ``now``, write it, plan its deliveries and queue them."""
    from xietong.notify.tasks import queue_deliveries

    now = now or timezone.now()
    dues = reminders.due_at(now)
    with transaction.atomic():
        written = write(dues, now)
        planned = plan(now)
        rearmed = rearm_stuck(now)
        transaction.on_commit(lambda: queue_deliveries(planned))
    return SweepResult(due=len(dues), written=written, deliveries=len(planned), rearmed=rearmed)
