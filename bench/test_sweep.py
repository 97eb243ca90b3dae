"""The reminder sweep over the prepared database against one set-based SQL statement.

Group "sweep": ``test_sweep_product`` is the first full sweep (finding,
writing notifications, planning deliveries; what it wrote is deleted
between rounds, so each round does the same work) and
``test_sweep_baseline`` the single statement that finds the same task
reminders (due soon and overdue rows joined to their recipient), fetched
whole. Group "sweep_steady": the sweep every minute when everything is
written already (nothing new) against the same statement. Every test runs
in the ``db`` transaction, rolled back at the end. ``peak_mb`` is the
tracemalloc peak of one untimed run.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from xietong.collabs.models import Task
from xietong.notify.models import Kind, Notification
from xietong.notify.outbox import sweep

pytestmark = pytest.mark.django_db
NOW = timezone.now()  # one moment for every round, so each finds the same
ROUNDS = 3

BASELINE = """
SELECT t.id, t.collaboration_id, t.deadline, COALESCE(p.liaison_id, d.head_id) AS recipient
FROM collabs_task t
JOIN collabs_collaboration c ON c.id = t.collaboration_id AND c.closed_at IS NULL
JOIN orgs_department d ON d.id = t.department_id
LEFT JOIN collabs_participant p
  ON p.collaboration_id = t.collaboration_id AND p.department_id = t.department_id AND p.liaison_id IS NOT NULL
WHERE t.status <> 'done' AND t.deadline <= %s AND COALESCE(p.liaison_id, d.head_id) IS NOT NULL
"""


def _forget() -> None:
    """Delete what a sweep at ``NOW`` wrote (in SQL: Django's cascade would load every row)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM notify_delivery WHERE notification_id IN "
            "(SELECT id FROM notify_notification WHERE created_at = %s)",
            [NOW],
        )
        cursor.execute("DELETE FROM notify_notification WHERE created_at = %s", [NOW])
        cursor.execute("DELETE FROM django_tasks_database_dbtaskresult")


def _task_reminders() -> int:
    """The personal due-soon and overdue reminders the sweep wrote."""
    return Notification.objects.filter(
        created_at=NOW, recipient__isnull=False, kind__in=[Kind.TASK_DUE_SOON, Kind.TASK_OVERDUE]
    ).count()


def _baseline() -> list[tuple[Any, ...]]:
    soon = timezone.localdate(NOW) + timedelta(days=settings.XIETONG_DUE_SOON_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(BASELINE, [soon])
        return cursor.fetchall()


def _peak_mb(call: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        call()
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 1)


def _extra(benchmark: Any, **info: object) -> None:
    benchmark.extra_info.update(tasks=Task.objects.count(), **info)


@pytest.mark.benchmark(group="sweep")
def test_sweep_product(benchmark: Any) -> None:
    _forget()
    peak = _peak_mb(lambda: sweep(NOW))
    due = _task_reminders()
    benchmark.pedantic(sweep, args=(NOW,), setup=_forget, rounds=ROUNDS, iterations=1)
    assert _task_reminders() == due == len(_baseline())
    _extra(benchmark, due=due, peak_mb=peak)


@pytest.mark.benchmark(group="sweep")
def test_sweep_baseline(benchmark: Any) -> None:
    rows = benchmark.pedantic(_baseline, rounds=ROUNDS, iterations=1)
    _extra(benchmark, due=len(rows), peak_mb=_peak_mb(_baseline))


@pytest.mark.benchmark(group="sweep_steady")
def test_sweep_steady_product(benchmark: Any) -> None:
    _forget()
    first = sweep(NOW)  # everything written: the rounds are the every-minute sweep, with nothing new
    peak = _peak_mb(lambda: sweep(NOW))
    results = []
    benchmark.pedantic(lambda: results.append(sweep(NOW)), rounds=ROUNDS, iterations=1)
    assert first.written > 0 and {(r.written, r.deliveries) for r in results} == {(0, 0)}
    _extra(benchmark, due=first.due, peak_mb=peak)


@pytest.mark.benchmark(group="sweep_steady")
def test_sweep_steady_baseline(benchmark: Any) -> None:
    rows = benchmark.pedantic(_baseline, rounds=ROUNDS, iterations=1)
    _extra(benchmark, due=len(rows), peak_mb=_peak_mb(_baseline))
