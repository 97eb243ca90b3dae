"""Change requests (变更申请): deadlines, owners, standards and targets change only with a reason.

A request names what changes (a task's deadline, owner or standard; a
sub-goal's deadline, owner or target; a metric's target; the goal's
deadline), the new value and why. The initiator approves every request;
when a department's duties change, its head approves too: the new owner's
head for a change of owner, the responsible department's head for a
change of a task's delivery standard. The change is applied, with the
request's reason in the audit log, once every approval is in; one
rejection rejects it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.db import transaction

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version, save_row
from xietong.collabs.actions.tasks import TaskInput, do_save_task
from xietong.collabs.models import Collaboration, DeadlineKind, Goal, Metric, Participant, SubGoal, Task
from xietong.lib.limits import check_date
from xietong.orgs.models import Department, Person
from xietong.tracking.actions.closing import check_open
from xietong.tracking.models import ChangeField, ChangeRequest, ChangeStatus


class Approver(StrEnum):
    INITIATOR = "initiator"
    HEAD = "head"


@dataclass(frozen=True)
class Target:
    """What a request changes: one of task, sub-goal or metric, or none for the goal's deadline."""

    task: Task | None = None
    subgoal: SubGoal | None = None
    metric: Metric | None = None


# Which fields each kind of target may change.
_ALLOWED = {
    "task": {ChangeField.DEADLINE, ChangeField.OWNER, ChangeField.STANDARD},
    "subgoal": {ChangeField.DEADLINE, ChangeField.OWNER, ChangeField.TARGET},
    "metric": {ChangeField.TARGET},
    "goal": {ChangeField.DEADLINE},
}


def _kind(target: Target) -> str:
    return "task" if target.task else "subgoal" if target.subgoal else "metric" if target.metric else "goal"


def _parse(field: str, text: str, collab: Collaboration) -> date | Department | Decimal | str:
    """Return the new value as the database keeps it; ValueError with a reason for people otherwise."""
    text = text.strip()
    if not text:
        raise ValueError("the new value is empty")
    if field == ChangeField.DEADLINE:
        return check_date(date.fromisoformat(text))
    if field == ChangeField.TARGET:
        try:
            return Decimal(text)
        except InvalidOperation as error:
            raise ValueError(f"not a number: {text!r}") from error
    if field == ChangeField.OWNER:
        department = Department.objects.filter(name=text, participations__collaboration=collab).first()
        if department is None:
            raise ValueError(f"{text} is not a participating department")
        return department
    return text


def _current(field: str, target: Target, collab: Collaboration) -> str:
    row = target.task or target.subgoal
    if field == ChangeField.OWNER and row is not None:
        return row.department.name if row.department else ""
    if field == ChangeField.STANDARD and target.task is not None:
        return target.task.standard
    if field == ChangeField.TARGET:
        value = (target.metric or target.subgoal).target  # type: ignore[union-attr]
        return format(value.normalize(), "f") if value is not None else ""
    if target.task is not None:
        return target.task.deadline.isoformat() if target.task.deadline else ""
    if target.subgoal is not None:
        return target.subgoal.deadline_date.isoformat() if target.subgoal.deadline_date else ""
    goal = Goal.objects.filter(collaboration=collab).first()
    return goal.deadline.isoformat() if goal and goal.deadline else ""


def _head_department(field: str, target: Target, new: object) -> Department | None:
    """Return the department whose head must approve too, when its duties change."""
    if field == ChangeField.OWNER:
        assert isinstance(new, Department)
        return new
    if field == ChangeField.STANDARD and target.task is not None:
        return target.task.department
    return None


@transaction.atomic
def do_request_change(
    collab: Collaboration,
    field: str,
    target: Target,
    new_value: str,
    reason: str,
    at: datetime,
    *,
    actor: Person | None = None,
) -> ChangeRequest:
    """File a change request; nothing changes until it is approved. ValueError for a bad request."""
    check_open(collab)
    if not reason.strip():
        raise ValueError("a change request gives its reason")
    kind = _kind(target)
    if field not in _ALLOWED[kind]:
        raise ValueError(f"a {kind} has no {field} to change")
    row = target.task or target.subgoal or target.metric
    if row is not None and getattr(row, "collaboration_id", None) not in (None, collab.pk):
        raise ValueError("the row belongs to another collaboration")
    if (
        target.subgoal is not None
        and field == ChangeField.DEADLINE
        and target.subgoal.deadline_kind != DeadlineKind.FIXED
    ):
        raise ValueError("only a sub-goal with a fixed date has a deadline to move")
    new = _parse(field, new_value, collab)
    with audited(None, actor=actor, collaboration=collab, reason=reason) as box:
        request = ChangeRequest.objects.create(
            collaboration=collab,
            field=field,
            task=target.task,
            subgoal=target.subgoal,
            metric=target.metric,
            old_value=_current(field, target, collab),
            new_value=new.name if isinstance(new, Department) else str(new),
            reason=reason.strip(),
            requested_by=actor,
            requested_at=at,
            head_department=_head_department(field, target, new),
        )
        box["obj"] = request
    bump_version(collab)
    return request


def approvals_needed(request: ChangeRequest) -> set[Approver]:
    """Return who still has to approve ``request``."""
    needed = set()
    if request.initiator_decided_at is None:
        needed.add(Approver.INITIATOR)
    if request.head_department_id is not None and request.head_decided_at is None:
        needed.add(Approver.HEAD)
    return needed


@transaction.atomic
def do_decide_change(
    request: ChangeRequest,
    approver: Approver,
    approve: bool,
    at: datetime,
    *,
    comment: str = "",
    actor: Person | None = None,
) -> ChangeRequest:
    """Record one approval (or the rejection) of a pending request; apply it when fully approved.

    Who may act as ``approver`` is the caller's business (the access layer:
    ``Action.APPROVE_CHANGE`` anywhere for the initiator, for the
    department for its head). A rejection says why.
    """
    request = ChangeRequest.objects.select_for_update().select_related("collaboration").get(pk=request.pk)
    collab = request.collaboration
    check_open(collab)
    if request.status != ChangeStatus.PENDING:
        raise ValueError("the request has already been decided")
    if approver not in approvals_needed(request):
        raise ValueError(f"no {approver} approval is pending")
    if not approve and not comment.strip():
        raise ValueError("a rejection gives its reason")
    with audited(
        ChangeRequest.objects.get(pk=request.pk), actor=actor, collaboration=collab, reason=comment
    ) as box:
        if approver == Approver.INITIATOR:
            request.initiator_decided_by, request.initiator_decided_at = actor, at
        else:
            request.head_decided_by, request.head_decided_at = actor, at
        if comment.strip():
            request.decision_comment = "\n".join(filter(None, [request.decision_comment, comment.strip()]))
        if not approve:
            request.status = ChangeStatus.REJECTED
        elif not approvals_needed(request):
            request.status = ChangeStatus.APPROVED
        request.save()
        box["obj"] = request
    if request.status == ChangeStatus.APPROVED:
        _apply(request, actor)
    bump_version(collab)
    return request


def _apply(request: ChangeRequest, actor: Person | None) -> None:
    """Write the approved change, with the request's reason in the audit log."""
    collab = request.collaboration
    new = _parse(request.field, request.new_value, collab)
    reason = request.reason
    if request.task_id is not None:
        task = Task.objects.select_related("department").get(pk=request.task_id)
        values: dict[str, object] = {
            "description": task.description,
            "department": task.department,
            "standard": task.standard,
            "deadline": task.deadline,
        }
        values[{"owner": "department"}.get(request.field, request.field)] = new
        do_save_task(
            collab,
            TaskInput(
                collaborators=list(task.collaborators.all()),
                status=task.status,
                blocked_reason=task.blocked_reason,
                **values,  # type: ignore[arg-type]
            ),
            task=task,
            actor=actor,
            reason=reason,
        )
    elif request.subgoal_id is not None:
        subgoal = SubGoal.objects.get(pk=request.subgoal_id)
        column = {"owner": "department", "deadline": "deadline_date"}.get(request.field, request.field)
        save_row(subgoal, SubGoal, collab, {column: new}, actor=actor, reason=reason)
    elif request.metric_id is not None:
        metric = Metric.objects.get(pk=request.metric_id)
        with audited(metric, actor=actor, collaboration=collab, reason=reason):
            metric.target = new  # type: ignore[assignment]
            metric.save(update_fields=["target"])
    else:
        goal = Goal.objects.get(collaboration=collab)
        with audited(goal, actor=actor, collaboration=collab, reason=reason):
            goal.deadline = new  # type: ignore[assignment]
            goal.save(update_fields=["deadline"])


def head_may_decide(request: ChangeRequest, person: Person) -> bool:
    """Return True when ``person`` heads the department whose approval ``request`` waits for."""
    return (
        request.head_department_id is not None
        and Participant.objects.filter(
            collaboration_id=request.collaboration_id,
            department_id=request.head_department_id,
            department__head=person,
        ).exists()
    )
