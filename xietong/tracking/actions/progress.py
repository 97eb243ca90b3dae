"""Progress updates: a liaison reports on a row of the table (status, percent, note, next step, blocker).

The update is kept as a row of its own (the weekly progress list and T03
read them) and writes the task's status, percent and waiting-on through the
table's own action in one audited write, so the row's version, audit trail
and blocked clock behave as in step 4.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from xietong.collabs.actions.tasks import Reported, StaleWrite, TaskInput, do_save_task
from xietong.collabs.models import Task, TaskStatus
from xietong.lib.limits import check_input
from xietong.orgs.models import Department, Person
from xietong.tracking.actions.closing import check_open
from xietong.tracking.models import ProgressUpdate


@dataclass(frozen=True)
class ProgressInput:
    status: str  # a TaskStatus
    percent: int
    note: str = ""
    next_step: str = ""
    blocked_reason: str = ""
    waiting_on: Department | None = None

    def __post_init__(self) -> None:
        check_input(self, ProgressUpdate)
        if not 0 <= self.percent <= 100:
            raise ValueError("percent is 0 to 100")
        if self.status == TaskStatus.BLOCKED and not self.blocked_reason.strip():
            raise ValueError("a blocked task says what it is blocked on")


@transaction.atomic
def do_report_progress(
    task: Task,
    data: ProgressInput,
    at: datetime,
    *,
    version: int | None = None,
    actor: Person | None = None,
) -> ProgressUpdate:
    """Record an update of ``task`` made at ``at`` and apply it to the row; return the update.

    ``version`` is the row's version the person saw (``StaleWrite`` when it
    moved on, as for any edit of the table). A row that becomes blocked
    starts its escalation clock at ``at``, the update's time.
    """
    collab = task.collaboration
    check_open(collab)
    blocked = data.status == TaskStatus.BLOCKED
    percent = 100 if data.status == TaskStatus.DONE else data.percent
    waiting_on = data.waiting_on if blocked else None
    # The row as it is now (locked): the update changes its status, percent
    # and waiting-on, never what someone else just wrote to its other columns.
    current = Task.objects.select_for_update().get(pk=task.pk)
    if version is not None and current.version != version:
        raise StaleWrite(current)
    saved = do_save_task(
        collab,
        TaskInput(
            description=current.description,
            department=current.department,
            standard=current.standard,
            deadline=current.deadline,
            collaborators=list(current.collaborators.all()),
            status=data.status,
            blocked_reason=data.blocked_reason if blocked else "",
            reported=Reported(percent, waiting_on),
        ),
        task=current,
        version=version,
        actor=actor,
        at=at,
    )
    return ProgressUpdate.objects.create(
        collaboration=collab,
        task=saved,
        department=saved.department,
        author=actor,
        created_at=at,
        status=data.status,
        percent=percent,
        note=data.note,
        next_step=data.next_step,
        blocked_reason=data.blocked_reason if blocked else "",
        waiting_on=waiting_on,
    )
