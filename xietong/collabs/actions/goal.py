"""Step 1: the background and the SMART core goal with its metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from xietong.collabs.actions.common import bump_version
from xietong.collabs.models import Collaboration, Goal, Metric


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


@dataclass(frozen=True)
class GoalInput:
    title: str
    background: str
    expected_outcome: str
    statement: str
    deadline: date | None
    achievable_reason: str
    relevant_reason: str


@transaction.atomic
def do_save_goal(collab: Collaboration, data: GoalInput, metrics: list[MetricInput]) -> Goal:
    """Save the background, the goal and its metrics (in the order given); return the goal."""
    collab.title = data.title
    collab.background = data.background
    collab.expected_outcome = data.expected_outcome
    collab.save(update_fields=["title", "background", "expected_outcome", "updated_at"])
    goal, _created = Goal.objects.get_or_create(collaboration=collab)
    goal.statement = data.statement
    goal.deadline = data.deadline
    goal.achievable_reason = data.achievable_reason
    goal.relevant_reason = data.relevant_reason
    goal.save()
    existing = {m.pk: m for m in Metric.objects.filter(goal=goal)}
    doomed = [m.id for m in metrics if m.delete and m.id in existing]
    # Deleted first, so that a new row may take a deleted row's name.
    Metric.objects.filter(pk__in=doomed).delete()
    position = 0
    for row in metrics:
        if row.delete:
            continue
        metric = existing.get(row.id) if row.id is not None else None
        metric = metric or Metric(goal=goal)
        metric.name, metric.unit, metric.baseline, metric.target = (
            row.name,
            row.unit,
            row.baseline,
            row.target,
        )
        metric.direction, metric.scale_max, metric.position = row.direction, row.scale_max, position
        metric.save()
        position += 1
    bump_version(collab)
    return goal
