"""The reminder sweep over the prepared database against one set-based SQL statement.

Group "sweep": ``test_sweep_product`` is the first full sweep (finding,
writing notifications, planning deliveries) and ``test_sweep_baseline`` the
single statement that finds the same task reminders (due soon and overdue
rows joined to their recipient), fetched whole. Group "sweep_steady": the
sweep every minute when everything is written already (nothing new)
against the same statement.

On a million tasks a first sweep takes minutes, so it runs once and what it
writes stays (the benchmark database is thrown away after the run): the
steady sweep then runs on it. ``peak_mb`` is how much the process's peak
resident memory grew during the timed sweep (tracemalloc would slow the
sweep several times); the baseline's is its fetched rows' growth.
"""

from __future__ import annotations

import resource
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from xietong.collabs.models import Task
from xietong.notify.models import Kind, Notification
from xietong.notify.outbox import sweep

NOW = timezone.now()  # one moment for every round, so each finds the same
ROUNDS = 3  # of the single statement and the steady sweep; the first sweep runs once


@pytest.fixture(autouse=True)
def _committed(django_db_blocker: Any) -> Iterator[None]:
    """Database access without the rolled-back transaction: the first sweep's rows stay for the steady one."""
    with django_db_blocker.unblock():
        yield


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


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _grown_mb(before: int) -> float:
    """How much the peak resident memory grew since ``before`` (MiB)."""
    return round((_peak_kb() - before) / 1024, 1)


def _extra(benchmark: Any, **info: object) -> None:
    benchmark.extra_info.update(tasks=Task.objects.count(), **info)


@pytest.mark.benchmark(group="sweep")
def test_sweep_baseline(benchmark: Any) -> None:
    before = _peak_kb()
    rows = benchmark.pedantic(_baseline, rounds=ROUNDS, iterations=1)
    _extra(benchmark, due=len(rows), peak_mb=_grown_mb(before))


@pytest.mark.benchmark(group="sweep")
def test_sweep_product(benchmark: Any) -> None:
    _forget()
    before = _peak_kb()
    first = benchmark.pedantic(sweep, args=(NOW,), rounds=1, iterations=1)
    grown = _grown_mb(before)
    due = _task_reminders()
    assert first.written > 0 and due == len(_baseline())
    _extra(benchmark, due=due, peak_mb=grown)


@pytest.mark.benchmark(group="sweep_steady")
def test_sweep_steady_baseline(benchmark: Any) -> None:
    before = _peak_kb()
    rows = benchmark.pedantic(_baseline, rounds=ROUNDS, iterations=1)
    _extra(benchmark, due=len(rows), peak_mb=_grown_mb(before))


@pytest.mark.benchmark(group="sweep_steady")
def test_sweep_steady_product(benchmark: Any) -> None:
    if not _task_reminders():
        sweep(NOW)  # run alone: the first sweep writes everything
    results: list[Any] = []
    before = _peak_kb()
    benchmark.pedantic(lambda: results.append(sweep(NOW)), rounds=ROUNDS, iterations=1)
    assert {(r.written, r.deliveries) for r in results} == {(0, 0)}
    _extra(benchmark, due=results[0].due, peak_mb=_grown_mb(before))
