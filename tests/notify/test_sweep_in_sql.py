"""The reminders the sweep finds and writes in SQL equal the guide's rules computed in Python.

Escalations: ``rules.escalation.escalated_runs`` (a count and level per run of
blocker days, for SQL to compare timestamps with) against ``blocked_working_days``
and ``escalation_level`` day by day, across the 2024 National Day holiday and its
make-up working days; then ``reminders.escalation_rows`` and what ``sweep`` writes
against the reminders a plain Python walk over the blocked rows derives (recipients
named twice, heads missing, rows blocked at local midnight or in the future, closed
collaborations). Task deadlines: ``reminders.task_deadline_rows`` against
``rules.tracking.is_overdue`` and the liaison-else-head rule, row by row.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.helpers import TZ, at, person
from xietong.collabs.models import Collaboration, Participant, Task, TaskStatus
from xietong.notify import reminders
from xietong.notify.models import Kind, Notification, Preference, Robot, Transport
from xietong.notify.outbox import sweep
from xietong.notify.reminders import Due, People
from xietong.orgs.models import Department, Person
from xietong.rules.escalation import HEADS, NONE, blocked_working_days, escalated_runs, escalation_level
from xietong.rules.tracking import is_overdue


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("limit", [1, 2, 3])
@pytest.mark.parametrize(
    "today",
    [date(2024, 9, 30), date(2024, 10, 8), date(2024, 10, 9), date(2024, 10, 12), date(2024, 10, 14)],
)
def test_the_runs_give_each_blocker_day_its_working_days_and_level(
    today: date, limit: int, sparse: bool
) -> None:
    first = today - timedelta(days=45)
    blocked_on = [first + timedelta(days=i) for i in range(0, 48, 3 if sparse else 1)]  # two after today
    runs = escalated_runs(blocked_on, today, limit)
    assert runs == sorted(runs, key=lambda r: r.since)
    for a, b in itertools.pairwise(runs):
        assert a.until <= b.since and a.days > b.days  # apart, one count each
    for offset in range(46):  # every day of the span: the days between given ones too
        day = first + timedelta(days=offset)
        days = blocked_working_days(day, today)
        level = escalation_level(days, limit)
        held = [r for r in runs if r.since <= day < r.until]
        if day in blocked_on:
            assert [(r.days, r.level) for r in held] == ([] if level == NONE else [(days, level)]), day
        elif held:  # between two given days of one run: the same count
            assert [(r.days, r.level) for r in held] == [(days, level)], day


def test_no_run_from_a_day_after_today_nor_without_a_blocker() -> None:
    assert escalated_runs([date(2024, 10, 15)], date(2024, 10, 14), 2) == []
    assert escalated_runs([date(2024, 10, 14)], date(2024, 10, 14), 0) == []  # 0 days is never beyond 0
    assert escalated_runs([], date(2024, 10, 14), 2) == []


def test_a_row_blocked_for_years_makes_one_run() -> None:
    """Runs follow the days rows became blocked, not the calendar: a CASE of a few branches."""
    (run,) = escalated_runs([date(2022, 8, 11)], date(2024, 12, 6), 2)
    assert (run.since, run.until, run.level) == (date(2022, 8, 11), date(2022, 8, 12), HEADS)
    assert run.days == blocked_working_days(date(2022, 8, 11), date(2024, 12, 6))


def _params(task: Task) -> dict[str, Any]:
    return {
        "collab": task.collaboration.title,
        "task": task.description[:200],
        "department": task.department.name if task.department else "",
        "deadline": task.deadline.isoformat() if task.deadline else "",
    }


def _link(task: Task) -> str:
    return reverse("collabs:task", args=[task.collaboration.slug, task.pk])


def _fan_out(recipients: list[int | None], **due: Any) -> list[Due]:
    people = list(dict.fromkeys(r for r in recipients if r is not None))
    return [Due(recipient_id=p, **due) for p in [*people, None]]


def expected_escalations(now: datetime) -> list[Due]:
    """The guide's escalations walked in Python, blocked row by blocked row (the sweep's former way)."""
    today = now.astimezone(TZ).date()
    limit = settings.XIETONG_ESCALATION_WORKING_DAYS
    dues = []
    for task in Task.objects.filter(
        status=TaskStatus.BLOCKED, blocked_since__isnull=False, collaboration__closed_at__isnull=True
    ).select_related("collaboration", "department", "waiting_on"):
        assert task.blocked_since is not None
        days = blocked_working_days(task.blocked_since.astimezone(TZ).date(), today)
        level = escalation_level(days, limit)
        if level == NONE:
            continue
        heads = [task.department.head_id if task.department else None]
        heads.append(task.waiting_on.head_id if task.waiting_on else None)
        dues += _fan_out(
            [task.collaboration.owner_id, *(heads if level == HEADS else [])],
            kind=Kind.ESCALATION,
            occasion=f"escalation:t{task.pk}:{task.blocked_since:%Y%m%dT%H%M%S}:L{level}",
            collaboration_id=task.collaboration_id,
            link=_link(task),
            params={
                **_params(task),
                "level": level,
                "days": days,
                "reason": task.blocked_reason[:200],
                "waiting_on": task.waiting_on.name if task.waiting_on else "",
            },
        )
    return dues


def expected_task_deadlines(now: datetime) -> list[Due]:
    """Open rows due within the warning or overdue (``rules.tracking.is_overdue``), to the liaison else the head."""
    today = now.astimezone(TZ).date()
    soon = today + timedelta(days=settings.XIETONG_DUE_SOON_DAYS)
    rows = Task.objects.filter(
        collaboration__closed_at__isnull=True, department__isnull=False, deadline__isnull=False
    ).select_related("collaboration", "department")
    people = People.load(Collaboration.objects.values_list("pk", flat=True))
    dues = []
    for task in rows:
        assert task.deadline is not None
        if task.status == TaskStatus.DONE or task.deadline > soon:
            continue
        kind = Kind.TASK_OVERDUE if is_overdue(task.deadline, task.status, today) else Kind.TASK_DUE_SOON
        dues += _fan_out(
            [people.liaison(task.collaboration_id, task.department_id)],
            kind=kind,
            occasion=f"{kind}:t{task.pk}:{task.deadline:%Y%m%d}",
            collaboration_id=task.collaboration_id,
            link=_link(task),
            params=_params(task),
        )
    return dues


def _seen(dues: list[Due]) -> set[tuple[Any, ...]]:
    return {
        (d.key, d.kind, d.collaboration_id, d.recipient_id, d.link, json.dumps(d.params, sort_keys=True))
        for d in dues
    }


def _written(kinds: Sequence[str]) -> set[tuple[Any, ...]]:
    return {
        (n.key, n.kind, n.collaboration_id, n.recipient_id, n.link, json.dumps(n.params, sort_keys=True))
        for n in Notification.objects.filter(kind__in=kinds)
    }


@pytest.fixture
def blocked(db: None) -> dict[str, Person]:
    """Blocked rows around the 2024 National Day holiday, with the edge cases of the recipients."""
    owner, h1, h2, liaison = person("owner"), person("head-a"), person("head-b"), person("liaison-a")
    a = Department.objects.create(name="A 部", head=h1)
    b = Department.objects.create(name="B 部", head=h2)
    c = Department.objects.create(name="C 部", head=owner)  # the initiator heads it: reminded once
    d = Department.objects.create(name="D 部")  # no head
    launch = Collaboration.objects.create(slug="launch", title="新品上市协同", owner=owner)
    orphan = Collaboration.objects.create(slug="orphan", title="无发起人")  # no owner
    closed = Collaboration.objects.create(
        slug="closed", title="已关闭", owner=owner, closed_at=at(2024, 9, 1)
    )
    Participant.objects.create(collaboration=launch, department=a, liaison=liaison)
    Participant.objects.create(collaboration=launch, department=b)
    Participant.objects.create(collaboration=launch, department=c)
    Participant.objects.create(collaboration=launch, department=d)

    def task(collab: Collaboration, dept: Department | None, since: datetime | None, **extra: Any) -> None:
        extra.setdefault("status", TaskStatus.BLOCKED)
        Task.objects.create(
            collaboration=collab,
            department=dept,
            description=f"任务 {dept.name if dept else '无部门'} " + "长" * 250,
            blocked_since=since,
            blocked_reason="等待数据" if since else "",
            **extra,
        )

    task(launch, a, at(2024, 9, 27, 9, 0, 59, 750_000), waiting_on=b)  # Friday before the holiday
    task(launch, b, at(2024, 9, 30), waiting_on=a)  # local midnight exactly
    task(launch, b, at(2024, 9, 29, 23, 59, 59), waiting_on=c)  # a make-up working Sunday
    task(launch, c, at(2024, 9, 20, 18), waiting_on=c)  # the owner heads both: once
    task(launch, d, at(2024, 9, 10), deadline=date(2024, 10, 1))  # no head, waits on nobody
    task(launch, a, at(2024, 10, 8, 8))  # blocked today
    task(launch, a, at(2024, 12, 1))  # in the future
    task(launch, a, at(2024, 9, 1), status=TaskStatus.IN_PROGRESS)  # unblocked: not escalated
    task(launch, a, None)  # since unknown
    task(orphan, a, at(2024, 9, 18), waiting_on=a)
    task(closed, a, at(2024, 9, 2), waiting_on=b)
    # Deadlines (open rows due within two days, or past), for the task reminders.
    for dept, deadline, status in [
        (a, date(2024, 10, 7), TaskStatus.IN_PROGRESS),  # overdue, to the liaison
        (b, date(2024, 10, 8), TaskStatus.NOT_STARTED),  # today: due soon, to the head
        (b, date(2024, 10, 10), TaskStatus.IN_PROGRESS),  # in two days
        (b, date(2024, 10, 11), TaskStatus.IN_PROGRESS),  # in three: not yet
        (a, date(2024, 9, 1), TaskStatus.DONE),  # done: never
        (d, date(2024, 9, 30), TaskStatus.NOT_STARTED),  # nobody but the group
        (None, date(2024, 9, 30), TaskStatus.NOT_STARTED),  # no department: no reminder
    ]:
        Task.objects.create(
            collaboration=launch, department=dept, description="交付", deadline=deadline, status=status
        )
    task(closed, a, None, status=TaskStatus.IN_PROGRESS, deadline=date(2024, 9, 2))
    return {"owner": owner, "head-a": h1, "head-b": h2, "liaison": liaison}


NOWS = [
    at(2024, 9, 30, 10),
    at(2024, 10, 8, 10),
    at(2024, 10, 9, 23, 59),
    at(2024, 10, 12, 10),  # a make-up working Saturday
    at(2024, 10, 14, 0, 1),
]


@pytest.mark.parametrize("limit", [1, 2])
@pytest.mark.parametrize("now", NOWS)
def test_escalation_rows_equal_the_rules_walked_in_python(
    blocked: dict[str, Person], now: datetime, limit: int, settings: SettingsWrapper
) -> None:
    settings.XIETONG_ESCALATION_WORKING_DAYS = limit
    expected = expected_escalations(now)
    assert _seen(list(reminders.escalations(now))) == _seen(expected)
    assert len(expected) > 3


def test_both_levels_and_every_role_are_exercised(blocked: dict[str, Person]) -> None:
    dues = list(reminders.escalations(at(2024, 10, 12, 10)))
    assert {d.params["level"] for d in dues} == {1, 2}
    assert {d.recipient_id for d in dues} == {None, *(p.pk for k, p in blocked.items() if k != "liaison")}


@pytest.mark.parametrize("now", NOWS)
def test_task_deadline_rows_equal_the_rules_walked_in_python(
    blocked: dict[str, Person], now: datetime
) -> None:
    expected = expected_task_deadlines(now)
    assert _seen(list(reminders.task_deadlines(now))) == _seen(expected)


def test_the_sweep_writes_what_the_rules_find_once(blocked: dict[str, Person]) -> None:
    """Personal reminders (a muted kind left out) and the group's where a robot posts the kind."""
    now = at(2024, 10, 12, 10)
    launch = Collaboration.objects.get(slug="launch")
    Robot.objects.create(
        collaboration=launch, kind=Transport.WECOM, name="群", webhook_url="https://wecom.example.com/hook"
    )
    Preference.objects.create(person=blocked["head-b"], muted_kinds=[Kind.ESCALATION])
    expected = [
        d
        for d in expected_escalations(now) + expected_task_deadlines(now)
        if (d.recipient_id is None and d.collaboration_id == launch.pk)
        or (
            d.recipient_id is not None
            and not (d.recipient_id == blocked["head-b"].pk and d.kind == Kind.ESCALATION)
        )
    ]
    kinds = [Kind.ESCALATION, Kind.TASK_DUE_SOON, Kind.TASK_OVERDUE]
    result = sweep(now)
    assert not result.failed
    assert _written(kinds) == _seen(expected)
    assert result.due == len(reminders.due_at(now))
    again = sweep(now)
    assert again.written == 0 and again.due == result.due
    assert _written(kinds) == _seen(expected)
