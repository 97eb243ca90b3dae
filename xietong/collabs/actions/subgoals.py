"""Department sub-goals (step 5): add, change and remove one, atomically."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from xietong.collabs.actions.common import bump_version, delete_row, save_row
from xietong.collabs.models import Collaboration, DeadlineKind, Metric, SubGoal
from xietong.lib.limits import check_input
from xietong.lib.recurrence import never_occurs
from xietong.orgs.models import Department, Person


@dataclass(frozen=True)
class SubGoalFields:
    """The values of one sub-goal as a form or an API call submits them."""

    description: str
    department: Department | None
    metric_id: int | None
    target: Decimal | None
    unit: str
    deadline_kind: str  # a DeadlineKind, or "" for no time limit yet (S03)
    deadline_date: date | None = None
    rrule: str = ""
    sla_hours: Decimal | None = None
    sla_trigger: str = ""

    def __post_init__(self) -> None:
        check_input(self, SubGoal)


def _time_limit(fields: SubGoalFields) -> dict[str, object]:
    """Return the time-limit columns, keeping only those of the chosen kind.

    A sub-goal switched from an SLA to a fixed date must not keep its old
    hours: the rules and the exports read whichever columns are filled.
    """
    kind = fields.deadline_kind
    return {
        "deadline_kind": kind,
        "deadline_date": fields.deadline_date if kind == DeadlineKind.FIXED else None,
        "rrule": fields.rrule if kind == DeadlineKind.RECURRING else "",
        "sla_hours": fields.sla_hours if kind == DeadlineKind.SLA else None,
        "sla_trigger": fields.sla_trigger if kind == DeadlineKind.SLA else "",
    }


@transaction.atomic
def do_save_subgoal(
    collab: Collaboration,
    fields: SubGoalFields,
    *,
    subgoal: SubGoal | None = None,
    actor: Person | None = None,
) -> SubGoal:
    """Store ``fields`` as a new sub-goal of ``collab`` (at the end), or into ``subgoal``; return it.

    Raises ValueError when ``subgoal`` belongs to another collaboration or
    the metric is not one of ``collab``'s goal metrics. Permission is the
    caller's business (``get_subgoal_for_user`` / ``Access.can``).
    """
    if subgoal is not None and subgoal.collaboration_id != collab.pk:
        raise ValueError("the sub-goal belongs to another collaboration")
    metric = None
    if fields.metric_id is not None:
        metric = Metric.objects.filter(pk=fields.metric_id, goal__collaboration=collab).first()
        if metric is None:
            raise ValueError(f"metric {fields.metric_id} is not a metric of {collab.slug}")
    if fields.deadline_kind == DeadlineKind.RECURRING and never_occurs(fields.rrule, timezone.localtime()):
        # The form and the API say so to people; this guards every other caller.
        raise ValueError(f"the rule {fields.rrule!r} does not occur within two years")
    values: dict[str, object] = {
        "description": fields.description,
        "department": fields.department,
        "metric": metric,
        "target": fields.target,
        "unit": fields.unit,
        **_time_limit(fields),
    }
    subgoal = save_row(subgoal, SubGoal, collab, values, actor=actor)
    bump_version(collab)
    return subgoal


@transaction.atomic
def do_delete_subgoal(subgoal: SubGoal, *, actor: Person | None = None) -> None:
    """Remove a sub-goal; the goal metric it supported may then be reported (G06)."""
    delete_row(subgoal, subgoal.collaboration, actor=actor)
