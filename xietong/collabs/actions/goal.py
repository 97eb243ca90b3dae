"""Step 1: the background and the SMART core goal with its metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version, check_version
from xietong.collabs.models import Collaboration, Goal, Metric
from xietong.lib.limits import check_input
from xietong.orgs.models import Person


@dataclass(frozen=True)
class MetricInput:
    """One row of the metrics form: ``id`` None for a new metric."""

    id: int | None
    name: str
    unit: str = ""
    baseline: Decimal | None = None
    target: Decimal | None = None
    direction: str = ""
    scale_max: Decimal | None = None
    delete: bool = False

    def __post_init__(self) -> None:
        check_input(self, Metric)


@dataclass(frozen=True)
class GoalInput:
    title: str
    background: str
    expected_outcome: str
    statement: str
    deadline: date | None
    achievable_reason: str
    relevant_reason: str

    def __post_init__(self) -> None:
        check_input(self, Collaboration)
        check_input(self, Goal)


@transaction.atomic
def do_save_goal(
    collab: Collaboration,
    data: GoalInput,
    metrics: list[MetricInput],
    *,
    actor: Person | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Goal:
    """Save the background, the goal and its metrics (in the order given); return the goal.

    With ``expected_version``, raises ``VersionConflict`` (nothing written)
    when the collaboration changed since the person loaded it.
    """
    check_version(collab, expected_version)
    audit = partial(audited, actor=actor, collaboration=collab, reason=reason)
    with audit(collab):
        collab.title = data.title
        collab.background = data.background
        collab.expected_outcome = data.expected_outcome
        collab.save(update_fields=["title", "background", "expected_outcome", "updated_at"])
    goal = Goal.objects.filter(collaboration=collab).first()
    with audit(goal) as box:
        goal = goal or Goal(collaboration=collab)
        goal.statement = data.statement
        goal.deadline = data.deadline
        goal.achievable_reason = data.achievable_reason
        goal.relevant_reason = data.relevant_reason
        goal.save()
        box["obj"] = goal
    existing = {m.pk: m for m in Metric.objects.filter(goal=goal)}
    # Deleted first, so that a new row may take a deleted row's name.
    for row in metrics:
        if row.delete and row.id in existing:
            with audit(existing[row.id]) as box:
                existing.pop(row.id).delete()
                box["deleted"] = True
    kept = [m for m in metrics if not m.delete]
    # Two metrics may swap names in one save: park the renamed ones under
    # names nobody types first, so the unique (goal, name) never trips half-way.
    renamed = [r.id for r in kept if r.id in existing and existing[r.id].name != r.name]
    Metric.objects.filter(pk__in=renamed).update(
        name=Concat(Value("\u2063renaming-"), Cast("pk", CharField()))
    )
    for position, row in enumerate(kept):
        found = existing.get(row.id) if row.id is not None else None
        with audit(found) as box:
            metric = found or Metric(goal=goal)
            metric.name, metric.unit, metric.baseline = row.name, row.unit, row.baseline
            metric.target, metric.direction, metric.scale_max = row.target, row.direction, row.scale_max
            metric.position = position
            metric.save()
            box["obj"] = metric
    # Metrics the form did not mention keep their order, after the given ones.
    mentioned = {m.id for m in metrics}
    rest = sorted((m for pk, m in existing.items() if pk not in mentioned), key=lambda m: m.position)
    for offset, metric in enumerate(rest, start=len(kept)):
        metric.position = offset
    Metric.objects.bulk_update(rest, ["position"])
    bump_version(collab)
    return goal
