"""Step 1 over the API: the background, the goal and its metrics; metric readings."""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration
from xietong.api.errors import INVALID, NOT_FOUND, Conflict, Invalid, responses
from xietong.api.schemas import (
    GoalConflictOut,
    GoalIn,
    GoalOut,
    MetricOut,
    MetricReadingsOut,
    ReadingIn,
    ReadingOut,
)
from xietong.collabs.access import get_object_for_user
from xietong.collabs.actions import do_record_reading
from xietong.collabs.actions.common import VersionConflict
from xietong.collabs.actions.goal import GoalInput, MetricInput, do_save_goal
from xietong.collabs.models import Collaboration, Goal, Metric, MetricReading
from xietong.orgs.roles import Action

router = Router(tags=["goal"])


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def metric_out(metric: Metric) -> MetricOut:
    return MetricOut(
        id=metric.pk,
        name=metric.name,
        unit=metric.unit,
        baseline=_num(metric.baseline),
        target=_num(metric.target),
        direction=metric.direction,
        scale_max=_num(metric.scale_max),
    )


def goal_out(collab: Collaboration) -> GoalOut:
    """Return the goal section as it is stored now (the collaboration's version included)."""
    collab.refresh_from_db(fields=["version", "title", "background", "expected_outcome"])
    goal = Goal.objects.filter(collaboration=collab).first()
    metrics = Metric.objects.filter(goal__collaboration=collab)
    return GoalOut(
        version=collab.version,
        title=collab.title,
        background=collab.background,
        expected_outcome=collab.expected_outcome,
        statement=goal.statement if goal else "",
        deadline=goal.deadline if goal else None,
        achievable_reason=goal.achievable_reason if goal else "",
        relevant_reason=goal.relevant_reason if goal else "",
        metrics=[metric_out(m) for m in metrics],
    )


def _metric_inputs(collab: Collaboration, payload: GoalIn) -> list[MetricInput]:
    """Return the metrics to save: those given, in order, and the existing ones left out, removed."""
    existing = {m.pk: m for m in Metric.objects.filter(goal__collaboration=collab)}
    seen: set[str] = set()
    rows = []
    for i, m in enumerate(payload.metrics):
        if m.id is not None and m.id not in existing:
            raise Invalid.at(f"body.metrics[{i}].id", _("没有这个指标"))
        if m.name in seen:
            raise Invalid.at(f"body.metrics[{i}].name", _("指标名称重复:%(names)s") % {"names": m.name})
        seen.add(m.name)
        rows.append(
            MetricInput(
                id=m.id,
                name=m.name,
                unit=m.unit,
                baseline=m.baseline,
                target=m.target,
                direction=m.direction,
                scale_max=m.scale_max,
            )
        )
    given = {m.id for m in payload.metrics}
    gone = [MetricInput(id=pk, name=m.name, delete=True) for pk, m in existing.items() if pk not in given]
    return gone + rows


@router.get("/collaborations/{slug}/goal", response=responses({200: GoalOut}, NOT_FOUND))
def get_goal(request: HttpRequest, slug: str) -> GoalOut:
    """Background, expected outcome, the core goal and its metrics, with the collaboration's version."""
    collab, _access = collaboration(request, slug)
    return goal_out(collab)


@router.put(
    "/collaborations/{slug}/goal",
    response=responses({200: GoalOut, 409: GoalConflictOut}, NOT_FOUND, INVALID),
)
def put_goal(request: HttpRequest, slug: str, payload: GoalIn) -> GoalOut:
    """Replace the goal section (initiator and administrators).

    `version` is the collaboration's version you read: when it has moved on,
    nothing is written and 409 answers with the section as it is now.
    Metrics are matched by `id`; existing metrics not listed are removed.
    """
    collab, _access = collaboration(request, slug, Action.EDIT_COLLABORATION)
    data = GoalInput(
        title=payload.title,
        background=payload.background,
        expected_outcome=payload.expected_outcome,
        statement=payload.statement,
        deadline=payload.deadline,
        achievable_reason=payload.achievable_reason,
        relevant_reason=payload.relevant_reason,
    )
    try:
        do_save_goal(
            collab,
            data,
            _metric_inputs(collab, payload),
            actor=caller(request),
            reason=payload.reason,
            expected_version=payload.version,
        )
    except VersionConflict:
        raise Conflict(
            _("这份目标刚被他人修改:请刷新页面,在最新内容上重新修改。"), goal_out(collab)
        ) from None
    return goal_out(collab)


@router.get("/collaborations/{slug}/metrics", response=responses({200: list[MetricReadingsOut]}, NOT_FOUND))
def list_metrics(request: HttpRequest, slug: str) -> list[MetricReadingsOut]:
    """The goal's metrics with their readings over time (oldest first)."""
    collab, _access = collaboration(request, slug)
    metrics = Metric.objects.filter(goal__collaboration=collab).prefetch_related("readings")
    return [
        MetricReadingsOut(
            **metric_out(m).model_dump(),
            readings=[reading_out(r) for r in m.readings.all()],
        )
        for m in metrics
    ]


def reading_out(reading: MetricReading) -> ReadingOut:
    return ReadingOut(measured_on=reading.measured_on, value=float(reading.value), note=reading.note)


@router.post(
    "/metrics/{metric_id}/readings",
    response=responses({201: ReadingOut}, NOT_FOUND, INVALID),
)
def record_reading(request: HttpRequest, metric_id: int, payload: ReadingIn) -> Status[ReadingOut]:
    """Record (or correct) a metric's value on a day (initiator and administrators)."""
    metric, _access = get_object_for_user(
        Metric.objects.all(), caller(request), metric_id, Action.EDIT_COLLABORATION, via="goal__collaboration"
    )
    reading = do_record_reading(
        metric, payload.measured_on, payload.value, note=payload.note, actor=caller(request)
    )
    return Status(201, reading_out(reading))
