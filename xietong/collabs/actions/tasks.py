"""Step 4 and 7: rows of the responsibility table (部门职责分工表) and their status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.record import audited, record
from xietong.collabs.access import access_for
from xietong.collabs.actions.common import bump_version, delete_row, next_position
from xietong.collabs.models import Collaboration, MemberRole, Membership, Participant, Task, TaskStatus
from xietong.lib.limits import check_input
from xietong.notify.models import Kind, notify_once
from xietong.orgs.models import Department, Person


class StaleWrite(Exception):
    """The row changed since the person loaded it; ``current`` is how it is now."""

    def __init__(self, current: Task) -> None:
        self.current = current
        super().__init__(f"task {current.pk} is at version {current.version}")


@dataclass(frozen=True)
class Reported:
    """What a progress update says of a row beyond its status: percent done, the department waited on."""

    percent: int
    waiting_on: Department | None


@dataclass(frozen=True)
class TaskInput:
    description: str
    department: Department | None
    standard: str
    deadline: date | None
    collaborators: list[Department]
    status: str
    blocked_reason: str
    # A progress update's percent and waiting-on, written with the rest (None: left as they are).
    reported: Reported | None = None

    def __post_init__(self) -> None:
        check_input(self, Task)


@transaction.atomic
def do_save_task(
    collab: Collaboration,
    data: TaskInput,
    *,
    task: Task | None = None,
    version: int | None = None,
    actor: Person | None = None,
    reason: str = "",
    at: datetime | None = None,
) -> Task:
    """Create a row (``task`` None, appended at the end) or update one; return it.

    An update names the ``version`` the person edited; when the row has moved
    on since, nothing is written and ``StaleWrite`` carries the current row.
    ``at`` is when the change happened (default: now): a row that becomes
    blocked starts its escalation clock then.
    """
    if task is not None:
        current = Task.objects.select_for_update().get(pk=task.pk)
        if version is not None and current.version != version:
            raise StaleWrite(current)
        task = current
    with audited(task, actor=actor, collaboration=collab, reason=reason) as box:
        task = write_task(collab, task, data, at or timezone.now())
        box["obj"] = task
    bump_version(collab)
    return task


def write_task(collab: Collaboration, task: Task | None, data: TaskInput, at: datetime) -> Task:
    """Write ``data`` into a row (a new one when ``task`` is None) inside the caller's audited transaction.

    The one place a row's status rules live (blocked since, waiting on, done = 100 %),
    shared by the row's own form and bulk edit.
    """
    if task is None:
        task = Task(collaboration=collab, position=next_position(Task.objects.filter(collaboration=collab)))
    else:
        task.version = F("version") + 1
    was_blocked = task.status == TaskStatus.BLOCKED
    task.description = data.description
    new_department_id = data.department.pk if data.department else None
    # A row moved to another department drops the assignee chosen for the old one.
    moved = new_department_id != task.department_id
    if moved and task.assignee_id is not None and not assignee_fits(collab, new_department_id, task.assignee):
        task.assignee = None
    task.department = data.department
    task.standard = data.standard
    task.deadline = data.deadline
    task.status = data.status
    task.blocked_reason = data.blocked_reason if data.status == TaskStatus.BLOCKED else ""
    if data.status == TaskStatus.BLOCKED and not was_blocked:
        task.blocked_since, task.escalated_at = at, None
    elif data.status != TaskStatus.BLOCKED:
        task.blocked_since, task.escalated_at, task.waiting_on = None, None, None
    if data.reported is not None:
        task.percent = data.reported.percent
        task.waiting_on = data.reported.waiting_on if data.status == TaskStatus.BLOCKED else None
    if data.status == TaskStatus.DONE:
        task.percent = 100
    task.save()
    task.refresh_from_db()
    task.collaborators.set(data.collaborators)
    return task


@transaction.atomic
def do_delete_task(
    task: Task, *, actor: Person | None = None, reason: str = "", version: int | None = None
) -> None:
    """Delete a row; with ``version``, only the row as the person confirmed it (else ``StaleWrite``)."""
    if version is not None:
        current = Task.objects.select_for_update().get(pk=task.pk)
        if current.version != version:
            raise StaleWrite(current)
    delete_row(task, task.collaboration, actor=actor, reason=reason)


@transaction.atomic
def do_move_task(task: Task, offset: int, *, actor: Person | None = None) -> None:
    """Move a row ``offset`` places up (negative) or down, keeping positions 0..n-1."""
    rows = list(
        Task.objects.filter(collaboration_id=task.collaboration_id)
        .select_for_update()
        .order_by("position", "id")
        .only("id", "position")
    )
    index = next(i for i, row in enumerate(rows) if row.pk == task.pk)
    target = max(0, min(len(rows) - 1, index + offset))
    rows.insert(target, rows.pop(index))
    changed = [row for i, row in enumerate(rows) if row.position != i]
    for i, row in enumerate(rows):
        row.position = i
    Task.objects.bulk_update(changed, ["position"])
    bump_version(task.collaboration)


class NotAssignable(Exception):
    """The person is not of the row's responsible department (or the row has none)."""

    def __init__(self, person: Person) -> None:
        self.person = person
        super().__init__(f"person {person.pk} cannot be assigned this row")


def assignable_people(collab: Collaboration, department_id: int | None) -> QuerySet[Person]:
    """The active people a row of ``department_id`` may be assigned to: its members, head and liaison.

    One definition for the table's picker, the board, bulk edit, the API and imports.
    """
    if department_id is None:
        return Person.objects.none()
    liaisons = Participant.objects.filter(
        collaboration=collab, department_id=department_id, liaison__isnull=False
    ).values("liaison_id")
    return Person.objects.filter(
        Q(department_id=department_id) | Q(headed_departments__id=department_id) | Q(pk__in=liaisons),
        is_active=True,
    ).distinct()


def assignee_fits(collab: Collaboration, department_id: int | None, person: Person | None) -> bool:
    """Whether ``person`` may hold a row of ``department_id`` (nobody always fits)."""
    if person is None:
        return True
    return assignable_people(collab, department_id).filter(pk=person.pk).exists()


@transaction.atomic
def do_assign_task(
    task: Task,
    assignee: Person | None,
    *,
    actor: Person | None = None,
    version: int | None = None,
    reason: str = "",
) -> Task:
    """Give the row to ``assignee`` (None: to nobody); audited; the new assignee is told once.

    Raises ``NotAssignable`` for someone outside the row's department and
    ``StaleWrite`` when ``version`` is not the row's. Assigning the person
    who already holds it writes nothing.
    """
    current = Task.objects.select_for_update().select_related("collaboration").get(pk=task.pk)
    if version is not None and current.version != version:
        raise StaleWrite(current)
    if current.assignee_id == (assignee.pk if assignee else None):
        return current
    collab = current.collaboration
    if not assignee_fits(collab, current.department_id, assignee):
        assert assignee is not None
        raise NotAssignable(assignee)
    with audited(current, actor=actor, collaboration=collab, reason=reason):
        current.assignee = assignee
        current.version = F("version") + 1
        current.save(update_fields=["assignee", "version", "updated_at"])
        current.refresh_from_db()
    bump_version(collab)
    if assignee is not None:
        let_assignee_in(collab, assignee, actor)
        tell_assignee(current, assignee, actor)
    return current


def let_assignee_in(collab: Collaboration, assignee: Person, actor: Person | None) -> None:
    """Make the assignee a member (成员) when no role lets them see the collaboration; audited.

    A department's people may hold its rows without being its liaison or head: the
    row they are given must not answer them 404 (as an importer, store.py, is let in).
    """
    if access_for(assignee, collab).sees_anything:
        return
    membership = Membership.objects.create(collaboration=collab, person=assignee, role=MemberRole.MEMBER)
    record(membership, None, actor=actor, collaboration=collab, reason=_("执行人加入为成员"))


def tell_assignee(task: Task, assignee: Person, actor: Person | None) -> None:
    """The inbox notice (and, through the outbox, the mail) "a row was assigned to you"; not to oneself."""
    if actor is not None and actor.pk == assignee.pk:
        return
    collab = task.collaboration
    notify_once(
        key=f"task_assigned:t{task.pk}:p{assignee.pk}:v{task.version}",
        kind=Kind.TASK_ASSIGNED,
        collaboration=collab,
        recipient=assignee,
        params={
            "collab": collab.title,
            "task": task.description[:100],
            "who": actor.name if actor is not None else "",
            "deadline": task.deadline.isoformat() if task.deadline else "—",
        },
        link=reverse("collabs:table", args=[collab.slug]) + f"#task-{task.pk}",
    )


@transaction.atomic
def do_watch_task(task: Task, person: Person, watching: bool) -> bool:
    """Make ``person`` watch (关注) the row or stop watching it; return whether anything changed.

    Idempotent: watching a row one already watches writes nothing. Not audited
    (a person's own subscription, not a change to the row) and the row's
    version stays (a watcher never makes someone's open edit stale); the
    collaboration's version moves, so cached pages show the new count.
    """
    watched = task.watchers.filter(pk=person.pk).exists()
    if watched == watching:
        return False
    if watching:
        task.watchers.add(person)
    else:
        task.watchers.remove(person)
    bump_version(task.collaboration)
    return True
