"""Background tasks on Django's Tasks API (django-tasks, the backport of Django 6's ``django.tasks``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django_tasks import task

from xietong.notify import delivery
from xietong.notify.models import Delivery

BATCH = 500


@task()
def deliver_task(pk: int) -> str:
    """Send one delivery; a passing failure queues the next attempt after its back-off."""
    outcome = delivery.deliver(pk)
    if outcome.retry_at is not None:
        deliver_task.using(run_after=outcome.retry_at).enqueue(pk)
    return str(outcome.state or "skipped")


def queue_deliveries(pks: Iterable[int]) -> None:
    """Queue a task per delivery, to run when it may go out (after a person's quiet hours, say)."""
    now = timezone.now()
    ids = list(pks)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        for pk, at in Delivery.objects.filter(pk__in=chunk).values_list("pk", "next_attempt_at"):
            (deliver_task.using(run_after=at) if at > now else deliver_task).enqueue(pk)
