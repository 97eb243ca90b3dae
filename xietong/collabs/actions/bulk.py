"""Step 4: many rows of the responsibility table at once: a bulk edit, and rows pasted from Excel.

Both are all-or-nothing: one transaction, and any refusal (a row the person
may not edit, a row changed since they saw it, an assignee who does not
belong to a row's department) writes nothing at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version
from xietong.collabs.actions.tasks import (
    TaskInput,
    assignee_fits,
    do_save_task,
    let_assignee_in,
    tell_assignee,
    write_task,
)
from xietong.collabs.models import Collaboration, Task, TaskStatus
from xietong.lib.limits import check_values
from xietong.orgs.models import Department, Person

# What a bulk edit may touch at most: a selection of a very long table is still one page's rows.
MAX_ROWS = 500


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = _Unchanged()


@dataclass(frozen=True)
class BulkChanges:
    """What to set on every selected row; ``UNCHANGED`` (or None for the department) leaves it."""

    status: str | None = None
    blocked_reason: str = ""
    deadline: date | _Unchanged | None = UNCHANGED
    # A person, None for nobody, or UNCHANGED.
    assignee: Person | _Unchanged | None = UNCHANGED
    department: Department | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in TaskStatus.values:
            raise ValueError(f"unknown status {self.status!r}")
        # The table's rule for blocked rows: a reason is required (the form says so first).
        if self.status == TaskStatus.BLOCKED and not self.blocked_reason.strip():
            raise ValueError("a blocked row needs a reason")
        check_values(Task, [("blocked_reason", self.blocked_reason)])
        if isinstance(self.deadline, date):
            check_values(Task, [("deadline", self.deadline)])

    @property
    def empty(self) -> bool:
        return (
            self.status is None
            and self.deadline is UNCHANGED
            and self.assignee is UNCHANGED
            and self.department is None
        )


class BulkRefused(Exception):
    """Nothing was written: ``rows`` (numbered as the table numbers them) are why."""

    def __init__(self, reason: str, rows: Sequence[Task] = ()) -> None:
        self.reason = reason
        self.rows = list(rows)
        super().__init__(reason)


class BulkStale(Exception):
    """Nothing was written: ``rows`` changed since the person saw them (as they are now)."""

    def __init__(self, rows: Sequence[Task]) -> None:
        self.rows = list(rows)
        super().__init__(f"tasks {[t.pk for t in rows]} changed")


# Why a bulk edit is refused (the page words them; the action names the rows).
NOT_FOUND = "not_found"
NOT_ALLOWED = "not_allowed"
NOT_ASSIGNABLE = "not_assignable"
NOTHING = "nothing"
TOO_MANY = "too_many"


@transaction.atomic
def do_bulk_edit(
    collab: Collaboration,
    task_ids: Sequence[int],
    changes: BulkChanges,
    *,
    actor: Person | None,
    reason: str,
    may_edit: Callable[[int | None], bool],
    versions: Mapping[int, int] | None = None,
    at: datetime | None = None,
) -> list[Task]:
    """Apply ``changes`` to the rows ``task_ids`` of ``collab``, all of them or none; return them.

    ``may_edit(department_id)`` is the person's permission
    (``Access.can(Action.EDIT_DEPARTMENT_ROWS, …)``): they must be allowed
    to edit every row as it is and, when the department changes, under the
    new department too; otherwise ``BulkRefused`` names the rows.
    ``versions`` are the rows as the person saw them: a row changed since
    raises ``BulkStale`` with the rows as they are now. An assignee must
    belong to every row's (new) department (``assignee_fits``). Each row's
    change is audited as its own entry, all with the same ``reason`` (the
    audit log records one object per entry); rows given a new assignee tell
    them once (``tell_assignee``).
    """
    if changes.empty:
        raise BulkRefused(NOTHING)
    ids = sorted(set(task_ids))
    if not ids:
        raise BulkRefused(NOTHING)
    if len(ids) > MAX_ROWS:
        raise BulkRefused(TOO_MANY)
    rows = list(
        # Only the rows are locked (PostgreSQL locks no nullable side of a join).
        Task.objects.select_for_update(of=("self",))
        .filter(collaboration=collab, pk__in=ids)
        .select_related("department", "assignee")
        .prefetch_related("collaborators")
        .order_by("position", "id")
    )
    if len(rows) != len(ids):
        raise BulkRefused(NOT_FOUND)
    refused = [
        t
        for t in rows
        if not may_edit(t.department_id)
        or (changes.department is not None and not may_edit(changes.department.pk))
    ]
    if refused:
        raise BulkRefused(NOT_ALLOWED, refused)
    if versions is not None:
        stale = [t for t in rows if versions.get(t.pk) != t.version]
        if stale:
            raise BulkStale(stale)
    new_assignee = changes.assignee
    if isinstance(new_assignee, Person):
        departments = {changes.department.pk if changes.department else t.department_id for t in rows}
        misfits = {d for d in departments if not assignee_fits(collab, d, new_assignee)}
        if misfits:
            target = changes.department.pk if changes.department else None
            raise BulkRefused(NOT_ASSIGNABLE, [t for t in rows if (target or t.department_id) in misfits])
    moment = at or timezone.now()
    saved, assigned = [], []
    for task in rows:
        with audited(task, actor=actor, collaboration=collab, reason=reason) as box:
            task = write_task(collab, task, _input_of(task, changes), moment)
            if not isinstance(new_assignee, _Unchanged) and task.assignee_id != (
                new_assignee.pk if new_assignee else None
            ):
                task.assignee = new_assignee
                task.save(update_fields=["assignee"])
                assigned.append(task)
            box["obj"] = task
        task.collaboration = collab  # read by tell_assignee: no query per row
        saved.append(task)
    bump_version(collab)
    if isinstance(new_assignee, Person):
        if assigned:
            let_assignee_in(collab, new_assignee, actor)
        # Only rows that changed hands: someone who already held a row is not told again.
        for task in assigned:
            tell_assignee(task, new_assignee, actor)
    return saved


def _input_of(task: Task, changes: BulkChanges) -> TaskInput:
    """The row as it is, with ``changes`` applied (the same write as the row's own form)."""
    department = changes.department if changes.department is not None else task.department
    status = changes.status or task.status
    if changes.status == TaskStatus.BLOCKED:
        blocked_reason = changes.blocked_reason.strip()
    else:
        blocked_reason = task.blocked_reason
    return TaskInput(
        description=task.description,
        department=department,
        standard=task.standard,
        deadline=task.deadline if isinstance(changes.deadline, _Unchanged) else changes.deadline,
        # A row moved to a department that collaborated on it: that department now answers for it.
        collaborators=[d for d in task.collaborators.all() if d != department],
        status=status,
        blocked_reason=blocked_reason,
    )


@transaction.atomic
def do_add_tasks(collab: Collaboration, rows: Sequence[TaskInput], *, actor: Person | None) -> list[Task]:
    """Append ``rows`` to the table in their order, all or none (a paste from Excel); return them."""
    return [do_save_task(collab, data, actor=actor) for data in rows]
