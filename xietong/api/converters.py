"""Model -> output schema converters that several routers share.

A router that answers with another concern's object imports its converter
from here, never the other router, so routers stay independent of each other.
"""

from __future__ import annotations

from datetime import date

from xietong.api.schemas import DepartmentRef, PersonRef, TaskOut
from xietong.collabs.models import Task, TaskStatus
from xietong.rules.clock import context_for


def task_out(task: Task, today: date | None = None) -> TaskOut:
    """Return the row as the API shows it; ``overdue`` is judged on ``today`` (the clock's when None)."""
    today = today or context_for().today
    return TaskOut(
        id=task.pk,
        collaboration=task.collaboration.slug,
        position=task.position,
        description=task.description,
        department=DepartmentRef(id=task.department.pk, name=task.department.name)
        if task.department
        else None,
        standard=task.standard,
        deadline=task.deadline,
        collaborators=[DepartmentRef(id=d.pk, name=d.name) for d in task.collaborators.all()],
        status=TaskStatus(task.status),
        percent=task.percent,
        blocked_reason=task.blocked_reason,
        blocked_since=task.blocked_since,
        overdue=task.is_overdue(today),
        assignee=PersonRef(id=task.assignee.pk, name=task.assignee.name) if task.assignee else None,
        watchers=[PersonRef(id=p.pk, name=p.name) for p in task.watchers.all()],
        version=task.version,
        updated_at=task.updated_at,
    )
