"""The reminder sweep over the prepared database against one set-based SQL statement.

Group "sweep": ``test_sweep_product`` is the first full sweep (finding,
writing notifications, planning deliveries) and ``test_sweep_baseline`` the
single statement that finds the same task reminders (due soon and overdue
rows joined to their recipient), fetched whole. Group "sweep_steady": the
sweep every minute when everything is written already (nothing new)
against the same statement.

On a million tasks a first sweep takes minutes, so it runs once and what it
writes stays (the benchmark database is thrown away after the run): the
steady sweep then runs on it. ``peak_mb`` is how far the process's
resident memory rose during a timed call, sampled by a thread (tracemalloc
would slow the sweep several times); the baseline's is its fetched rows.

The URL configuration is imported before anything is timed (``_warm``): a
sweep reverses the task page's URL, and the first ``reverse`` of a process
imports every view and the API's schemas (seconds and tens of MB, once per
worker process, not per sweep).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from xietong.collabs.models import Task
from xietong.notify.models import Kind, Notification
from xietong.notify.outbox import sweep

NOW = timezone.now()  # one moment for every round, so each finds the same
ROUNDS = 3  # of the single statement and the steady sweep; the first sweep runs once


PAGE = os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Import the URL configuration, as a worker has long done before its sweeps."""
    reverse("collabs:task", args=["warm", 1])


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


def _rss() -> int:
    """The process's resident memory now, in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def _growth_mb(call: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``call``; return its result and how far the resident memory rose above where it started (MiB).

    Sampled every 20 ms by a thread: unlike the process's high-water mark,
    this does not depend on what ran before.
    """
    start, peak, done = _rss(), [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = call()
    finally:
        done.set()
        sampler.join()
    peak[0] = max(peak[0], _rss())
    return result, round(max(peak[0] - start, 0) / 2**20, 1)


class _Measured:
    """A callable for pytest-benchmark that keeps the largest memory growth of its calls."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.call, self.grown = call, 0.0

    def __call__(self) -> Any:
        result, grown = _growth_mb(self.call)
        self.grown = max(self.grown, grown)
        return result


def _extra(benchmark: Any, **info: object) -> None:
    benchmark.extra_info.update(tasks=Task.objects.count(), **info)


@pytest.mark.benchmark(group="sweep")
def test_sweep_baseline(benchmark: Any) -> None:
    measured = _Measured(_baseline)
    rows = benchmark.pedantic(measured, rounds=ROUNDS, iterations=1)
    _extra(benchmark, due=len(rows), peak_mb=measured.grown)


@pytest.mark.benchmark(group="sweep")
def test_sweep_product(benchmark: Any) -> None:
    _forget()
    measured = _Measured(lambda: sweep(NOW))
    first = benchmark.pedantic(measured, rounds=1, iterations=1)
    due = _task_reminders()
    assert first.written > 0 and due == len(_baseline())
    _extra(benchmark, due=due, peak_mb=measured.grown)


@pytest.mark.benchmark(group="sweep_steady")
def test_sweep_steady_baseline(benchmark: Any) -> None:
    measured = _Measured(_baseline)
    rows = benchmark.pedantic(measured, rounds=ROUNDS, iterations=1)
    _extra(benchmark, due=len(rows), peak_mb=measured.grown)


@pytest.mark.benchmark(group="sweep_steady")
def test_sweep_steady_product(benchmark: Any) -> None:
    if not _task_reminders():
        sweep(NOW)  # run alone: the first sweep writes everything
    measured = _Measured(lambda: sweep(NOW))
    result = benchmark.pedantic(measured, rounds=ROUNDS, iterations=1)
    assert (result.written, result.deliveries) == (0, 0)
    _extra(benchmark, due=result.due, peak_mb=measured.grown)
