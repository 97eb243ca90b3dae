"""The indexes the pages and the sweep need: PostgreSQL's plans use them, not a scan of the table.

A database of 200 collaborations is filled (20,000 progress updates and
tasks, 10,000 audit entries, 20,000 notifications), analysed, and the
queries the pages and the sweep really issue are captured and explained:
each must reach its big table through an index. SQLite plans differently
and is not checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xietong.audit.models import AuditEntry, Change
from xietong.collabs.models import Collaboration, Task, TaskStatus
from xietong.collabs.snapshots import load_snapshot
from xietong.meetings.models import Meeting, MeetingKind
from xietong.notify.models import Kind, Notification
from xietong.notify.reminders import task_deadline_rows
from xietong.orgs.models import Department, Person
from xietong.tracking.models import ProgressUpdate
from xietong.tracking.sources import load_week
from xietong.tracking.weekly import IsoWeek

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are checked on PostgreSQL"),
]

COLLABS, TASKS_PER, UPDATES_PER, AUDIT_PER, PEOPLE = 200, 100, 100, 50, 200
MEETINGS_PER = 50
BIG = 10_000  # rows of the one long-running collaboration
NOW = datetime(2024, 8, 12, 4, tzinfo=UTC)
INDEX_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}


def _fill() -> tuple[Collaboration, Person]:
    """Fill the tables; return one collaboration in the middle and one person."""
    dept = Department.objects.create(name="技术部")
    people = Person.objects.bulk_create(Person(username=f"ix{i}", password="!") for i in range(PEOPLE))
    collabs = Collaboration.objects.bulk_create(
        Collaboration(slug=f"ix{i}", title=f"协作{i}", owner=people[i % PEOPLE]) for i in range(COLLABS)
    )
    # Most rows are done or far off, as in a company's history: the sweep's open, due rows are few.
    statuses = [TaskStatus.DONE] * 8 + [TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED]
    tasks = Task.objects.bulk_create(
        Task(
            collaboration=c,
            position=i,
            description=f"任务{i}",
            department=dept,
            deadline=date(2023, 1, 1) + timedelta(days=(i * 7 + c.pk) % 730),
            status=statuses[i % len(statuses)],
        )
        for c in collabs
        for i in range(TASKS_PER)
    )
    by_collab: dict[int, list[Task]] = {}
    for t in tasks:
        by_collab.setdefault(t.collaboration_id, []).append(t)
    ProgressUpdate.objects.bulk_create(
        (
            ProgressUpdate(
                collaboration=c,
                task=by_collab[c.pk][i % TASKS_PER],
                department=dept,
                created_at=NOW - timedelta(hours=6 * i + c.pk % 6),
                status=TaskStatus.IN_PROGRESS,
                percent=50,
            )
            for c in collabs
            for i in range(UPDATES_PER)
        ),
        batch_size=5000,
    )
    AuditEntry.objects.bulk_create(
        (
            AuditEntry(
                collaboration=c,
                change=Change.UPDATE,
                object_type="task",
                object_id=str(i),
                object_repr="任务",
            )
            for c in collabs
            for i in range(AUDIT_PER)
        ),
        batch_size=5000,
    )
    # A kickoff and a year of weekly meetings each.
    Meeting.objects.bulk_create(
        (
            Meeting(
                collaboration=c,
                kind=MeetingKind.RECURRING if week else MeetingKind.KICKOFF,
                scheduled_at=NOW - timedelta(weeks=week),
            )
            for c in collabs
            for week in range(MEETINGS_PER)
        ),
        batch_size=5000,
    )
    Notification.objects.bulk_create(
        (
            Notification(
                key=f"ix-{i}",
                kind=Kind.TASK_OVERDUE,
                collaboration=collabs[i % COLLABS],
                recipient=people[i % PEOPLE],
                created_at=NOW - timedelta(minutes=i),
                read_at=NOW if i % 3 else None,
                planned=True,
            )
            for i in range(COLLABS * UPDATES_PER)
        ),
        batch_size=5000,
    )
    # One long-running collaboration with a long history: where a page must not sort it all.
    big = collabs[COLLABS // 2]
    ProgressUpdate.objects.bulk_create(
        (
            ProgressUpdate(
                collaboration=big,
                task=by_collab[big.pk][i % TASKS_PER],
                department=dept,
                created_at=NOW - timedelta(hours=2 * i + 1),
                status=TaskStatus.IN_PROGRESS,
            )
            for i in range(BIG)
        ),
        batch_size=5000,
    )
    AuditEntry.objects.bulk_create(
        (
            AuditEntry(
                collaboration=big,
                change=Change.UPDATE,
                object_type="task",
                object_id=str(i),
                object_repr="任务",
            )
            for i in range(BIG)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return big, people[PEOPLE // 2]


@pytest.fixture(scope="module")
def filled(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[Collaboration, Person]]:
    """Fill once for the module, in a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _fill()
        transaction.set_rollback(True)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _plan(sql: str) -> list[dict[str, Any]]:
    """The nodes of the plan PostgreSQL chooses for ``sql`` (complete SQL, parameters inlined)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        (raw,) = cursor.fetchone()
    document = json.loads(raw) if isinstance(raw, str) else raw
    return list(_nodes(document[0]["Plan"]))


def _assert_indexed(sql: str, table: str, index: str | None = None) -> None:
    plan = _plan(sql)
    on_table = [n for n in plan if n.get("Relation Name") == table]
    assert on_table, f"{table} not read by:\n{sql}"
    assert not any(n["Node Type"] == "Seq Scan" for n in on_table), json.dumps(plan, indent=1)[:3000]
    used = {n.get("Index Name") for n in plan if n["Node Type"] in INDEX_SCANS}
    if index is not None:
        assert index in used, f"{index} not in {used}:\n{sql}"


def _captured(table: str, run: Any) -> list[str]:
    """The statements ``run()`` issues that read ``table``."""
    with CaptureQueriesContext(connection) as captured:
        run()
    found = [q["sql"] for q in captured if f'FROM "{table}"' in q["sql"] and q["sql"].startswith("SELECT")]
    assert found, f"no query on {table}"
    return found


def _index_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [name])
        return cursor.fetchone() is not None


def test_the_weekly_list_reads_one_collaborations_updates_by_index(
    filled: tuple[Collaboration, Person],
) -> None:
    collab, _person = filled
    week = IsoWeek.of(NOW.date())
    statements = _captured("tracking_progressupdate", lambda: load_week(collab, week))
    for sql in statements:
        _assert_indexed(sql, "tracking_progressupdate")
    # The week's updates of one collaboration: (collaboration, created_at).
    week_sql = next(s for s in statements if s.startswith('SELECT "tracking_progressupdate"'))
    _assert_indexed(week_sql, "tracking_progressupdate", "update_collab_time")
    # Each row's last update before the week: (task, created_at), inside the rows' query.
    rows_sql = next(
        s for s in _captured("collabs_task", lambda: load_week(collab, week)) if "prior_update" in s
    )
    _assert_indexed(rows_sql, "tracking_progressupdate", "update_task_time")


def test_the_snapshot_reads_one_collaborations_tasks_by_index(filled: tuple[Collaboration, Person]) -> None:
    collab, _person = filled
    for sql in _captured("collabs_task", lambda: load_snapshot(collab)):
        _assert_indexed(sql, "collabs_task")


def test_the_history_reads_one_collaborations_entries_by_index(filled: tuple[Collaboration, Person]) -> None:
    collab, _person = filled
    collab.owner = Person.objects.create_user("ix-owner", password="pw")
    collab.save(update_fields=["owner"])
    client = Client()
    client.force_login(collab.owner)
    url = reverse("collabs:history", args=[collab.slug])
    statements = _captured("audit_auditentry", lambda: client.get(url))
    page = next(s for s in statements if "LIMIT" in s)
    # Either index is a good plan: (collaboration, at, id), or at backwards filtered by the
    # collaboration when it holds a large share of the rows (as here); never a Seq Scan.
    _assert_indexed(page, "audit_auditentry")


def test_a_persons_inbox_is_read_by_index(filled: tuple[Collaboration, Person]) -> None:
    _collab, person = filled
    client = Client()
    client.force_login(person)
    for sql in _captured("notify_notification", lambda: client.get(reverse("notify:inbox"))):
        _assert_indexed(sql, "notify_notification")


def _sql(queryset: Any) -> str:
    """A queryset's SQL with its parameters inlined, as PostgreSQL receives it."""
    sql, params = queryset.query.sql_with_params()
    return str(connection.ops.compose_sql(sql, params))  # type: ignore[attr-defined]  # PostgreSQL's


def test_the_kickoff_of_a_collaboration_is_found_by_index(filled: tuple[Collaboration, Person]) -> None:
    collab, _person = filled
    kickoff = Meeting.objects.filter(collaboration=collab, kind=MeetingKind.KICKOFF)
    _assert_indexed(_sql(kickoff), "meetings_meeting")


def test_the_sweep_finds_due_tasks_by_index(filled: tuple[Collaboration, Person]) -> None:
    # A missing index fails here: dropping it must not go unnoticed (an xfail would hide it).
    assert _index_exists("task_open_deadline"), "collabs_task has no partial index task_open_deadline"
    _assert_indexed(_sql(task_deadline_rows(NOW)), "collabs_task", "task_open_deadline")
