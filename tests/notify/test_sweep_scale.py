"""The sweep streams: its memory does not grow with the number of due rows.

Rows are made in bulk (overdue, to a liaison), swept at 1,000 and at 5,000
due tasks; the tracemalloc peak of the sweep stays about the same, while a
sweep that loaded every row would grow fivefold.
"""

from __future__ import annotations

import tracemalloc
from datetime import date, datetime

import pytest

from tests.helpers import TZ
from xietong.collabs.models import Collaboration, Participant, Task, TaskStatus
from xietong.notify.models import Delivery, Notification
from xietong.notify.outbox import sweep
from xietong.orgs.models import Department, Person

NOW = datetime(2024, 8, 12, 8, tzinfo=TZ)


def _rows(collab: Collaboration, department: Department, count: int) -> None:
    Task.objects.bulk_create(
        [
            Task(
                collaboration=collab,
                department=department,
                description=f"任务 {n}",
                deadline=date(2024, 8, 1),
                status=TaskStatus.IN_PROGRESS,
                position=n,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )


def _peak() -> tuple[int, float]:
    tracemalloc.start()
    result = sweep(NOW)
    _size, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result.written, peak


@pytest.mark.django_db
def test_the_sweep_memory_does_not_grow_with_the_due_rows() -> None:
    liaison = Person.objects.create(username="liaison", email="liaison@example.com")
    department = Department.objects.create(name="技术部")
    collab = Collaboration.objects.create(slug="scale", title="规模测试")
    Participant.objects.create(collaboration=collab, department=department, liaison=liaison)

    _rows(collab, department, 1000)
    small_written, small = _peak()
    Delivery.objects.all().delete()
    Notification.objects.all().delete()
    _rows(collab, department, 4000)
    large_written, large = _peak()

    assert (small_written, large_written) == (1000, 5000)
    assert Delivery.objects.count() == 5000
    assert large < 2 * small, (small, large)  # a row-by-row load would be about 5x
