"""Step 4: saving a row together with its assignee (the row's edit form names both)."""

from __future__ import annotations

from django.db import transaction

from xietong.collabs.actions.tasks import TaskInput, do_assign_task, do_save_task
from xietong.collabs.models import Collaboration, Task
from xietong.orgs.models import Person


@transaction.atomic
def save_with_assignee(
    collab: Collaboration,
    data: TaskInput,
    task: Task,
    assignee: Person | None,
    *,
    version: int | None = None,
    actor: Person | None = None,
) -> Task:
    """Save the row (``do_save_task``) and, when the form named another assignee, assign it; return the row.

    One transaction: an assignee outside the (possibly new) department raises
    ``NotAssignable`` and nothing of the edit is kept; a stale ``version``
    raises ``StaleWrite``. A row moved to another department has already
    dropped an assignee who is not of it: an unchanged choice is not
    assigned again.
    """
    before = task.assignee_id
    saved = do_save_task(collab, data, task=task, version=version, actor=actor)
    chosen = assignee.pk if assignee is not None else None
    if chosen != before and chosen != saved.assignee_id:
        saved = do_assign_task(saved, assignee, actor=actor)
    return saved
