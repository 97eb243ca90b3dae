"""Background tasks on Django's Tasks API (django-tasks, the backport of Django 6's ``django.tasks``)."""

from __future__ import annotations

from collections.abc import Iterable

from django_tasks import task

from xietong.notify import delivery


@task()
def deliver_task(pk: int) -> str:
    """Send one delivery; a passing failure queues the next attempt after its back-off."""
    outcome = delivery.deliver(pk)
    if outcome.retry_at is not None:
        deliver_task.using(run_after=outcome.retry_at).enqueue(pk)
    return str(outcome.state or "skipped")


def queue_deliveries(pks: Iterable[int]) -> None:
    for pk in pks:
        deliver_task.enqueue(pk)
