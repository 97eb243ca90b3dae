"""Realistic data in bulk for benchmarks: ``xietong bench-data``.

Each generated collaboration looks like one a company runs: a goal with two
metrics, eight departments out of a shared pool (each with its liaison and
its head), a held kickoff with confirmed minutes, the standard communication
plan, one sub-goal per department (fixed, recurring and SLA deadlines),
``tasks_per`` rows of the responsibility table with deadlines spread around
today and the statuses such tables really have (done, in progress, overdue,
blocked and waiting on another department), and the progress updates behind
those statuses. Calls append: running it twice gives twice the data.

The big tables (tasks, their collaborators, progress updates) go in with
PostgreSQL's COPY; everything else, and everything on SQLite, with
``bulk_create`` in batches. Memory stays bounded by the batch, whatever the
total.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from xietong.collabs.actions.collaborations import standard_communication
from xietong.collabs.models import (
    Collaboration,
    CollabType,
    DeadlineKind,
    Direction,
    Goal,
    Metric,
    Participant,
    ParticipantRole,
    Phase,
    SubGoal,
    Task,
    TaskStatus,
    Visibility,
)
from xietong.meetings.models import CommunicationRule, Meeting, MeetingKind, MinutesConfirmation
from xietong.orgs.models import Department, Person
from xietong.tracking.models import ProgressUpdate

SLUG_PREFIX = "bench-"
POOL_SIZE = 24  # departments shared by every generated collaboration
STAFF_PER_DEPARTMENT = 3
INITIATOR = "bench"  # the login of every generated collaboration's initiator
# Collaborations written per transaction: bounds memory and keeps progress visible.
CHUNK = 25
DEPARTMENT_NAMES = (
    "市场部",
    "销售部",
    "产品部",
    "技术部",
    "运营部",
    "客服部",
    "财务部",
    "法务部",
    "人力资源部",
    "采购部",
    "供应链部",
    "质量部",
    "行政部",
    "风控部",
    "数据部",
    "设计部",
    "品牌部",
    "渠道部",
    "安全部",
    "审计部",
    "投资部",
    "研发中心",
    "生产部",
    "物流部",
)
TASK_VERBS = ("完成", "评审", "上线", "整理", "测试", "交付", "确认", "发布")
TASK_OBJECTS = (
    "需求文档",
    "接口联调",
    "培训材料",
    "数据报表",
    "合同条款",
    "物料清单",
    "验收报告",
    "推广方案",
)


@dataclass(frozen=True)
class Plan:
    collaborations: int
    tasks_per: int
    departments_per: int = 8
    seed: int = 0


@dataclass(frozen=True)
class Directory:
    departments: list[Department]
    staff: dict[int, list[Person]]  # by department id
    initiator: Person


def directory() -> Directory:
    """Return the shared pool of departments and people, creating what is missing (idempotent)."""
    names = DEPARTMENT_NAMES[:POOL_SIZE]
    existing = {d.name: d for d in Department.objects.filter(name__in=names)}
    Department.objects.bulk_create([Department(name=n) for n in names if n not in existing])
    departments = list(Department.objects.filter(name__in=names).order_by("pk"))
    logins = {f"bench-{d.pk}-{i}": d for d in departments for i in range(STAFF_PER_DEPARTMENT)}
    known = set(Person.objects.filter(username__in=logins).values_list("username", flat=True))
    new_people = [
        Person(username=login, display_name=f"{dept.name}{login.rsplit('-', 1)[1]}号", department=dept)
        for login, dept in logins.items()
        if login not in known
    ]
    for person in new_people:
        person.set_unusable_password()
    Person.objects.bulk_create(new_people)
    staff: dict[int, list[Person]] = {d.pk: [] for d in departments}
    for person in Person.objects.filter(username__in=logins).order_by("username"):
        assert person.department_id is not None
        staff[person.department_id].append(person)
    heads = [d for d in departments if d.head_id is None]
    for dept in heads:
        dept.head = staff[dept.pk][0]
    Department.objects.bulk_update(heads, ["head"])
    initiator, created = Person.objects.get_or_create(
        username=INITIATOR, defaults={"display_name": "基准发起人", "department": departments[0]}
    )
    if created:
        initiator.set_unusable_password()
        initiator.save(update_fields=["password"])
    return Directory(departments, staff, initiator)


def insert(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> None:
    """Insert ``rows`` (attribute name -> value, every row the same names) fast.

    COPY on PostgreSQL, ``bulk_create`` in batches elsewhere. The values go
    in as they are: no defaults, no ``auto_now``, so rows name every column
    that has no database default.
    """
    if connection.vendor != "postgresql":
        batch: list[models.Model] = []
        for row in rows:
            batch.append(model(**row))
            if len(batch) == 2000:
                model._default_manager.bulk_create(batch)
                batch = []
        model._default_manager.bulk_create(batch)
        return
    table = connection.ops.quote_name(model._meta.db_table)
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    names = list(first)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(fields[n].column) for n in names)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write_row(tuple(first.values()))
        for row in rows:
            copy.write_row(tuple(row.values()))


def _status(rng: random.Random, deadline: date, today: date) -> TaskStatus:
    """The mix real tables have: past rows mostly done, some overdue; future rows under way."""
    roll = rng.random()
    if deadline < today:
        weights = ((0.70, TaskStatus.DONE), (0.85, TaskStatus.IN_PROGRESS), (0.95, TaskStatus.NOT_STARTED))
    else:
        weights = ((0.20, TaskStatus.DONE), (0.60, TaskStatus.IN_PROGRESS), (0.95, TaskStatus.NOT_STARTED))
    for bound, status in weights:
        if roll < bound:
            return status
    return TaskStatus.BLOCKED


class Generator:
    """Writes the collaborations of a ``Plan`` chunk by chunk."""

    def __init__(self, plan: Plan, today: date, now: datetime) -> None:
        self.plan = plan
        self.today = today
        self.now = now
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.rng = random.Random(plan.seed)
        self.dir = directory()
        self.first = Collaboration.objects.filter(slug__startswith=SLUG_PREFIX).count() + 1

    def run(self, progress: Callable[[int], None]) -> int:
        done = 0
        while done < self.plan.collaborations:
            size = min(CHUNK, self.plan.collaborations - done)
            with transaction.atomic():
                self._chunk(self.first + done, size)
            done += size
            progress(done)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        return done

    def _moment(self, day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour), self.tz)

    def _chunk(self, first: int, size: int) -> None:
        rng, today = self.rng, self.today
        types = list(CollabType)
        collabs = Collaboration.objects.bulk_create(
            [
                Collaboration(
                    slug=f"{SLUG_PREFIX}{n:06d}",
                    title=f"基准协作 {n:06d}",
                    type=types[n % len(types)],
                    background=f"第 {n} 个基准协作:跨部门推进的真实规模数据。",
                    expected_outcome="按期交付并完成验收",
                    initiator_department=self.dir.departments[n % POOL_SIZE],
                    owner=self.dir.initiator,
                    phase=Phase.EXECUTING,
                    visibility=Visibility.COMPANY,
                )
                for n in range(first, first + size)
            ]
        )
        ids = [c.pk for c in collabs]
        # Objects from bulk_create may lack their pk on old databases: read them back by slug.
        if any(pk is None for pk in ids):
            slugs = [c.slug for c in collabs]
            collabs = list(Collaboration.objects.filter(slug__in=slugs).order_by("slug"))
        goals = Goal.objects.bulk_create(
            [
                Goal(
                    collaboration=c,
                    statement=f"在 {(today + timedelta(days=60)).isoformat()} 前将交付周期缩短 30%",
                    deadline=today + timedelta(days=60),
                    achievable_reason="已有试点数据",
                    relevant_reason="支撑年度目标",
                )
                for c in collabs
            ]
        )
        Metric.objects.bulk_create(
            [
                Metric(
                    goal=g,
                    position=i,
                    name=name,
                    unit=unit,
                    baseline=Decimal(base),
                    target=Decimal(target),
                    direction=direction,
                )
                for g in goals
                for i, (name, unit, base, target, direction) in enumerate(
                    (
                        ("交付周期", "天", "30", "21", Direction.DECREASE),
                        ("客户满意度", "分", "80", "90", Direction.INCREASE),
                    )
                )
            ]
        )
        chosen: dict[int, list[Department]] = {
            c.pk: rng.sample(self.dir.departments, self.plan.departments_per) for c in collabs
        }
        Participant.objects.bulk_create(
            [
                Participant(
                    collaboration=c,
                    department=d,
                    liaison=self.dir.staff[d.pk][1 + i % (STAFF_PER_DEPARTMENT - 1)],
                    duties=f"{d.name}负责本部门交付",
                    role=ParticipantRole.LEAD if i == 0 else ParticipantRole.SUPPORT,
                    position=i,
                )
                for c in collabs
                for i, d in enumerate(chosen[c.pk])
            ]
        )
        self._meetings(collabs, chosen)
        self._subgoals(collabs, chosen)
        self._tasks(collabs, chosen)

    def _meetings(self, collabs: Sequence[Collaboration], chosen: dict[int, list[Department]]) -> None:
        kickoff_day = self.today - timedelta(days=30)
        kickoffs = Meeting.objects.bulk_create(
            [
                Meeting(
                    collaboration=c,
                    kind=MeetingKind.KICKOFF,
                    title="启动会",
                    scheduled_at=self._moment(kickoff_day),
                    location="3 楼会议室",
                    chair=self.dir.initiator,
                    agenda_sent_at=self._moment(kickoff_day - timedelta(days=4)),
                    minutes_summary="各部门确认职责分工与时间节点。",
                    minutes_issued_at=self._moment(kickoff_day, 17),
                    minutes_revision=1,
                )
                for c in collabs
            ]
        )
        MinutesConfirmation.objects.bulk_create(
            [
                MinutesConfirmation(
                    meeting=m,
                    revision=1,
                    department=d,
                    confirmed_at=self._moment(kickoff_day + timedelta(days=1), 9),
                    confirmed_by=d.head,
                )
                for m in kickoffs
                for d in chosen[m.collaboration_id]
            ]
        )
        CommunicationRule.objects.bulk_create([rule for c in collabs for rule in standard_communication(c)])

    def _subgoals(self, collabs: Sequence[Collaboration], chosen: dict[int, list[Department]]) -> None:
        rows = []
        for c in collabs:
            for i, d in enumerate(chosen[c.pk]):
                kind = (DeadlineKind.FIXED, DeadlineKind.RECURRING, DeadlineKind.SLA)[i % 3]
                rows.append(
                    SubGoal(
                        collaboration=c,
                        position=i,
                        description=f"{d.name}完成本部门指标",
                        department=d,
                        target=Decimal(95),
                        unit="%",
                        deadline_kind=kind,
                        deadline_date=self.today + timedelta(days=30) if kind == DeadlineKind.FIXED else None,
                        rrule="FREQ=WEEKLY;BYDAY=FR" if kind == DeadlineKind.RECURRING else "",
                        sla_hours=Decimal(24) if kind == DeadlineKind.SLA else None,
                        sla_trigger="收到工单后" if kind == DeadlineKind.SLA else "",
                    )
                )
        SubGoal.objects.bulk_create(rows)

    def _tasks(self, collabs: Sequence[Collaboration], chosen: dict[int, list[Department]]) -> None:
        rng, today, now = self.rng, self.today, self.now
        # (collaboration id, position) -> (status, department, waiting on) for the updates below.
        facts: dict[tuple[int, int], tuple[TaskStatus, Department, Department | None]] = {}

        def rows() -> Iterable[dict[str, Any]]:
            for c in collabs:
                depts = chosen[c.pk]
                for position in range(self.plan.tasks_per):
                    dept = depts[position % len(depts)]
                    deadline = today + timedelta(days=rng.randint(-60, 60))
                    status = _status(rng, deadline, today)
                    blocked = status == TaskStatus.BLOCKED
                    waiting = depts[(position + 1) % len(depts)] if blocked else None
                    facts[(c.pk, position)] = (status, dept, waiting)
                    yield {
                        "collaboration_id": c.pk,
                        "position": position,
                        "description": f"{rng.choice(TASK_VERBS)}{rng.choice(TASK_OBJECTS)}(第 {position + 1} 项)",
                        "department_id": dept.pk,
                        "standard": "经评审通过并归档",
                        "deadline": deadline,
                        "status": status.value,
                        "percent": {TaskStatus.DONE: 100, TaskStatus.NOT_STARTED: 0}.get(status, 50),
                        "blocked_reason": "等待对方部门提供数据" if blocked else "",
                        "blocked_since": now - timedelta(days=rng.randint(1, 10)) if blocked else None,
                        "waiting_on_id": waiting.pk if waiting else None,
                        "escalated_at": None,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }

        insert(Task, rows())
        ids = dict(
            ((cid, pos), pk)
            for pk, cid, pos in Task.objects.filter(collaboration__in=collabs).values_list(
                "pk", "collaboration_id", "position"
            )
        )
        through = Task.collaborators.through
        insert(
            through,
            (
                {"task_id": ids[key], "department_id": chosen[key[0]][(key[1] + 2) % len(chosen[key[0]])].pk}
                for key in ids
                if key[1] % 3 == 0
            ),
        )
        insert(
            ProgressUpdate,
            (
                {
                    "collaboration_id": key[0],
                    "task_id": ids[key],
                    "department_id": dept.pk,
                    "author_id": self.dir.staff[dept.pk][1].pk,
                    "created_at": now - timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 8)),
                    "status": status.value,
                    "percent": {TaskStatus.DONE: 100}.get(status, 50),
                    "note": "按计划推进",
                    "next_step": "继续推进" if status != TaskStatus.DONE else "",
                    "blocked_reason": "等待对方部门提供数据" if status == TaskStatus.BLOCKED else "",
                    "waiting_on_id": waiting.pk if waiting else None,
                }
                for key, (status, dept, waiting) in facts.items()
                if status != TaskStatus.NOT_STARTED
            ),
        )


def generate(plan: Plan, progress: Callable[[int], None], *, today: date | None = None) -> int:
    """Append the plan's collaborations; return how many were written."""
    now = timezone.now()
    day = today or timezone.localdate(now)
    return Generator(plan, day, now).run(progress)
