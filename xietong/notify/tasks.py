"""Background tasks on Django's Tasks API (django-tasks, the backport of Django 6's ``django.tasks``).

The sweep does not queue one task per delivery: it queues ``deliver_due``
tasks, one per ``BATCH`` deliveries it planned (and, for mail held back by
quiet hours, to run when they end). Each such task sends due deliveries
until it has handled ``BATCH`` of them or none is left; a delivery is
claimed before it is sent (``delivery.deliver``), so tasks running side by
side in several workers never send one twice. A single delivery (a retry
after its back-off, a resend from the pages) still has its own task.

A task queued while a request is handled carries that request's id
(``request_id``, ``xietong.lib.requestlog``) and binds it while it runs, so
the worker's log lines for what the request queued carry the same id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.utils import timezone
from django_tasks import task

from xietong.lib import requestlog
from xietong.notify import delivery
from xietong.notify.models import Delivery

BATCH = 500


def _follow_up(pk: int, outcome: delivery.Outcome) -> None:
    """A passing failure or a rate limit: queue the next attempt for when it may go out."""
    if outcome.retry_at is not None:
        deliver_task.using(run_after=outcome.retry_at).enqueue(pk, **_traced())


def _traced() -> dict[str, str]:
    """The current request's id as a task's keyword (none outside a request: older tasks have none)."""
    request_id = requestlog.current()
    return {"request_id": request_id} if request_id else {}


@task()
def deliver_task(pk: int, request_id: str = "") -> str:
    """Send one delivery; a passing failure queues the next attempt after its back-off."""
    with requestlog.bound(request_id):
        outcome = delivery.deliver(pk)
        _follow_up(pk, outcome)
    return str(outcome.state or "skipped")


@task()
def deliver_due(limit: int = BATCH, request_id: str = "") -> int:
    """Send due deliveries until ``limit`` were handled here or none is due; return how many were.

    Deliveries another task claimed meanwhile are skipped (not counted), and
    the due ones are read again, so tasks side by side share the work.
    """
    with requestlog.bound(request_id):
        return _deliver_due(limit)


def _deliver_due(limit: int) -> int:
    handled = 0
    while handled < limit:
        pks = delivery.due_deliveries(timezone.now(), limit - handled)
        if not pks:
            break
        claimed = 0
        for pk in pks:
            outcome = delivery.deliver(pk)
            _follow_up(pk, outcome)
            claimed += outcome.state is not None
        if not claimed:
            break  # all taken by others: they finish them
        handled += claimed
    return handled


def queue_planned(by_time: Mapping[datetime, int]) -> None:
    """Queue ``deliver_due`` tasks for deliveries just planned: one per ``BATCH``, at the time they may go."""
    now = timezone.now()
    for at, count in sorted(by_time.items()):
        queued = deliver_due.using(run_after=at) if at > now else deliver_due
        for _ in range(-(-count // BATCH)):
            queued.enqueue(BATCH, **_traced())


def queue_deliveries(pks: Iterable[int]) -> None:
    """Queue a task per delivery (a few: a resend), to run when it may go out."""
    now = timezone.now()
    ids = list(pks)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        for pk, at in Delivery.objects.filter(pk__in=chunk).values_list("pk", "next_attempt_at"):
            (deliver_task.using(run_after=at) if at > now else deliver_task).enqueue(pk, **_traced())
