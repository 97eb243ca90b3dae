"""Step 5 over the API: quantified department sub-goals with their time limits.

Who may change one is the sub-goal page's rule: its department's liaison or
head, the initiator or an administrator; a liaison may not give a sub-goal
to a department they do not answer for. A sub-goal carries the
collaboration's version: a PATCH that names it is refused with 409 when the
collaboration has moved on.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration, find_department, participating
from xietong.api.errors import INVALID, NOT_FOUND, STALE_ROW, Conflict, Invalid, responses
from xietong.api.schemas import (
    DepartmentRef,
    MetricKey,
    MetricRef,
    SubGoalConflictOut,
    SubGoalIn,
    SubGoalOut,
    SubGoalPatch,
    TimeLimitIn,
    TimeLimitOut,
)
from xietong.collabs.access import Access, find_part_of, get_subgoal_for_user, reread
from xietong.collabs.actions.common import VersionConflict, check_version
from xietong.collabs.actions.subgoals import SubGoalFields, do_delete_subgoal, do_save_subgoal
from xietong.collabs.models import Collaboration, DeadlineKind, Metric, SubGoal
from xietong.lib.recurrence import NEVER_OCCURS, occurs_within
from xietong.orgs.roles import Action
from xietong.rules.subgoals import is_valid_rrule

router = Router(tags=["subgoals"])


def _rows() -> QuerySet[SubGoal]:
    return SubGoal.objects.select_related("department", "metric", "collaboration")


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def subgoal_out(g: SubGoal) -> SubGoalOut:
    limit = None
    if g.deadline_kind:
        limit = TimeLimitOut(
            kind=g.deadline_kind,  # type: ignore[arg-type]
            date=g.deadline_date,
            rrule=g.rrule,
            hours=_num(g.sla_hours),
            trigger=g.sla_trigger,
        )
    return SubGoalOut(
        id=g.pk,
        position=g.position,
        description=g.description,
        department=DepartmentRef(id=g.department.pk, name=g.department.name) if g.department else None,
        metric=MetricRef(id=g.metric.pk, name=g.metric.name) if g.metric else None,
        target=_num(g.target),
        unit=g.unit,
        time_limit=limit,
        version=g.collaboration.version,
    )


def _metric(collab: Collaboration, key: MetricKey) -> int:
    def by_id(pk: int) -> Metric | None:
        return find_part_of(collab, "goal__collaboration", Metric.objects.all(), pk)

    found = (
        by_id(key)
        if isinstance(key, int)
        else Metric.objects.filter(goal__collaboration=collab, name=key).first()
        or (by_id(int(key)) if key.isdigit() and len(key) < 19 else None)
    )
    if found is None:
        raise Invalid.at("body.metric", _("核心目标中没有名为 %(name)s 的指标") % {"name": key})
    return found.pk


def _time_limit(limit: TimeLimitIn | None) -> dict[str, Any]:
    """Return the time-limit fields, refusing what the sub-goal form refuses."""
    if limit is None:
        return {"deadline_kind": ""}
    if limit.kind == DeadlineKind.FIXED and limit.date is None:
        raise Invalid.at("body.time_limit.date", _("选择固定日期时请填写完成日期"))
    if limit.kind == DeadlineKind.SLA:
        if limit.hours is None:
            raise Invalid.at("body.time_limit.hours", _("选择响应时限时请填写小时数,如 24"))
        if limit.hours <= 0:
            raise Invalid.at("body.time_limit.hours", _("响应时限须大于 0 小时"))
    if limit.kind == DeadlineKind.RECURRING and not is_valid_rrule(limit.rrule):
        raise Invalid.at("body.time_limit.rrule", _("无法识别该 RRULE,请检查写法,如 FREQ=WEEKLY;BYDAY=FR"))
    if limit.kind == DeadlineKind.RECURRING and not occurs_within(limit.rrule, timezone.localtime()):
        raise Invalid.at("body.time_limit.rrule", NEVER_OCCURS % {"rrule": limit.rrule})
    return {
        "deadline_kind": limit.kind,
        "deadline_date": limit.date,
        "rrule": limit.rrule,
        "sla_hours": limit.hours,
        "sla_trigger": limit.trigger,
    }


def _fields(
    collab: Collaboration, access: Access, values: dict[str, Any], current: SubGoal | None = None
) -> SubGoalFields:
    """Return the sub-goal to save from the given ``values`` over ``current``; raise 422 / 403."""
    departments = participating(collab)
    if current is not None and current.department is not None:
        departments.setdefault(current.department.pk, current.department)
    if "department" in values:
        key = values["department"]
        department = None if key is None else find_department(key, departments, "body.department")
    else:
        department = current.department if current else None
    if not access.can(Action.EDIT_DEPARTMENT_ROWS, department.pk if department else None):
        raise PermissionDenied  # a liaison giving the sub-goal to a department they do not answer for
    if "metric" in values:
        metric_id = None if values["metric"] is None else _metric(collab, values["metric"])
    else:
        metric_id = current.metric_id if current else None
    if "time_limit" in values:
        limit = values["time_limit"]
        time_limit = _time_limit(TimeLimitIn(**limit) if limit is not None else None)
    elif current is not None:
        time_limit = {
            "deadline_kind": current.deadline_kind,
            "deadline_date": current.deadline_date,
            "rrule": current.rrule,
            "sla_hours": current.sla_hours,
            "sla_trigger": current.sla_trigger,
        }
    else:
        time_limit = {"deadline_kind": ""}
    target = values.get("target", current.target if current else None)
    return SubGoalFields(
        description=values.get("description") or (current.description if current else ""),
        department=department,
        metric_id=metric_id,
        target=target,
        unit=values["unit"] if values.get("unit") is not None else (current.unit if current else ""),
        **time_limit,
    )


@router.get("/collaborations/{slug}/subgoals", response=responses({200: list[SubGoalOut]}, NOT_FOUND))
def list_subgoals(request: HttpRequest, slug: str) -> list[SubGoalOut]:
    """The department sub-goals, in their order."""
    collab, _access = collaboration(request, slug)
    return [subgoal_out(g) for g in _rows().filter(collaboration=collab)]


@router.post(
    "/collaborations/{slug}/subgoals",
    response=responses({201: SubGoalOut}, NOT_FOUND, INVALID),
)
def create_subgoal(request: HttpRequest, slug: str, payload: SubGoalIn) -> Status[SubGoalOut]:
    """Add a sub-goal (its department's liaison or head, the initiator, administrators)."""
    collab, access = collaboration(request, slug)
    fields = _fields(collab, access, payload.model_dump())
    saved = do_save_subgoal(collab, fields, actor=caller(request))
    return Status(201, subgoal_out(reread(_rows(), saved)))


@router.get("/subgoals/{subgoal_id}", response=responses({200: SubGoalOut}, NOT_FOUND))
def get_subgoal(request: HttpRequest, subgoal_id: int) -> SubGoalOut:
    """One sub-goal."""
    subgoal, _access = get_subgoal_for_user(caller(request), subgoal_id)
    return subgoal_out(subgoal)


@router.patch(
    "/subgoals/{subgoal_id}",
    response=responses({200: SubGoalOut, 409: SubGoalConflictOut}, NOT_FOUND, INVALID),
)
def update_subgoal(request: HttpRequest, subgoal_id: int, payload: SubGoalPatch) -> SubGoalOut:
    """Change the fields given; `null` clears the department, metric, target or time limit."""
    subgoal, access = get_subgoal_for_user(caller(request), subgoal_id, Action.EDIT_DEPARTMENT_ROWS)
    collab = subgoal.collaboration
    values = payload.model_dump(include=payload.model_fields_set - {"version"})
    try:
        with transaction.atomic():
            # Locks the collaboration's row: the fields not named are read
            # under the lock, so a concurrent PATCH of another field is kept.
            check_version(collab, payload.version)
            current = reread(_rows(), subgoal)
            fields = _fields(collab, access, values, current=current)
            do_save_subgoal(collab, fields, subgoal=current, actor=caller(request))
    except VersionConflict:
        raise Conflict(str(STALE_ROW), subgoal_out(reread(_rows(), subgoal))) from None
    return subgoal_out(reread(_rows(), subgoal))


@router.delete("/subgoals/{subgoal_id}", response=responses({204: None}, NOT_FOUND))
def delete_subgoal(request: HttpRequest, subgoal_id: int) -> Status[None]:
    """Delete a sub-goal (its department's liaison or head, the initiator, administrators)."""
    subgoal, _access = get_subgoal_for_user(caller(request), subgoal_id, Action.EDIT_DEPARTMENT_ROWS)
    do_delete_subgoal(subgoal, actor=caller(request))
    return Status(204, None)
