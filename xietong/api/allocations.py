"""Step 7's resource allocations (资源协调型) over the API: list, add, change, mark returned, delete.

Allocations are the initiator's, and only resource-coordination collaborations have them.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration, find_department, participating
from xietong.api.errors import INVALID, NOT_FOUND, STALE_ROW, Conflict, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.registers import RegisterRouter, check_type, site_now
from xietong.api.schemas import (
    AllocationConflictOut,
    AllocationIn,
    AllocationOut,
    AllocationPatch,
    DepartmentRef,
)
from xietong.collabs.access import get_object_for_user, reread
from xietong.collabs.actions.common import VersionConflict, check_version
from xietong.collabs.models import CollabType
from xietong.orgs.models import Department
from xietong.orgs.roles import Action
from xietong.rules.clock import context_for
from xietong.tracking.actions.registers import (
    AllocationInput,
    AllocationRefused,
    allocation_state,
    do_delete_allocation,
    do_mark_returned,
    do_save_allocation,
)
from xietong.tracking.models import Allocation

router = RegisterRouter()


def _allocations() -> QuerySet[Allocation]:
    return Allocation.objects.select_related("collaboration", "from_department", "to_department")


def allocation_out(a: Allocation, today: date | None = None) -> AllocationOut:
    """Return the allocation as the API shows it, its state as of ``today`` (default: the site's today)."""
    today = today or context_for().today
    return AllocationOut(
        id=a.pk,
        collaboration=a.collaboration.slug,
        position=a.position,
        resource=a.resource,
        from_department=DepartmentRef(id=a.from_department.pk, name=a.from_department.name),
        to_department=DepartmentRef(id=a.to_department.pk, name=a.to_department.name),
        rule=a.rule,
        responsibility=a.responsibility,
        return_date=a.return_date,
        returned_at=a.returned_at,
        state=allocation_state(a, today),  # type: ignore[arg-type]
        version=a.collaboration.version,
    )


def _present_allocations(rows: list[Allocation]) -> list[AllocationOut]:
    today = context_for().today
    return [allocation_out(a, today) for a in rows]


def _fresh(allocation: Allocation) -> AllocationOut:
    """Return the allocation as it is now (after a write)."""
    return allocation_out(reread(_allocations(), allocation))


def _initiators(request: HttpRequest, allocation_id: int) -> Allocation:
    """Return an allocation for its initiator (and administrators) to change; 404 / 403 for the rest."""
    allocation, _access = get_object_for_user(
        _allocations(), caller(request), allocation_id, Action.EDIT_COLLABORATION
    )
    return allocation


def _input(resource: str, giver: Department, taker: Department, **rest: Any) -> AllocationInput:
    """Return the action's input; the action's refusal (a department lending to itself) as 422."""
    try:
        return AllocationInput(resource, giver, taker, **rest)
    except AllocationRefused as refused:
        raise Invalid.at(f"body.{refused.field}", refused.message) from None


@router.get(
    "/collaborations/{slug}/allocations", response=responses({200: list[AllocationOut]}, NOT_FOUND, INVALID)
)
@paginate(Pages, present=_present_allocations)
def list_allocations(request: HttpRequest, slug: str) -> QuerySet[Allocation]:
    """A resource-coordination collaboration's allocations with their state."""
    collab, _access = collaboration(request, slug)
    return _allocations().filter(collaboration=collab)


@router.post(
    "/collaborations/{slug}/allocations", response=responses({201: AllocationOut}, NOT_FOUND, INVALID)
)
def create_allocation(request: HttpRequest, slug: str, payload: AllocationIn) -> Status[AllocationOut]:
    """Add an allocation (the initiator; resource-coordination collaborations only)."""
    collab, _access = collaboration(request, slug, Action.EDIT_COLLABORATION)
    check_type(collab, CollabType.RESOURCE_COORDINATION)
    departments = participating(collab)
    giver = find_department(payload.from_department, departments, "body.from_department")
    taker = find_department(payload.to_department, departments, "body.to_department")
    data = _input(
        payload.resource,
        giver,
        taker,
        rule=payload.rule,
        responsibility=payload.responsibility,
        return_date=payload.return_date,
    )
    allocation = do_save_allocation(collab, data, actor=caller(request))
    return Status(201, _fresh(allocation))


@router.patch(
    "/allocations/{allocation_id}",
    response=responses({200: AllocationOut, 409: AllocationConflictOut}, NOT_FOUND, INVALID),
)
def update_allocation(request: HttpRequest, allocation_id: int, payload: AllocationPatch) -> AllocationOut:
    """Change the fields given, or mark it returned (`returned`); 409 on a stale `version`."""
    allocation = _initiators(request, allocation_id)
    collab = allocation.collaboration
    values = payload.model_dump(include=payload.model_fields_set - {"version", "returned"})
    departments = participating(collab)
    departments.setdefault(allocation.from_department.pk, allocation.from_department)
    departments.setdefault(allocation.to_department.pk, allocation.to_department)
    giver = (
        find_department(values["from_department"], departments, "body.from_department")
        if values.get("from_department") is not None
        else allocation.from_department
    )
    taker = (
        find_department(values["to_department"], departments, "body.to_department")
        if values.get("to_department") is not None
        else allocation.to_department
    )

    def pick(name: str) -> Any:
        if name == "return_date" and name in values:
            return values[name]
        value = values.get(name)
        return getattr(allocation, name) if value is None else value

    data = _input(
        pick("resource"),
        giver,
        taker,
        rule=pick("rule"),
        responsibility=pick("responsibility"),
        return_date=pick("return_date"),
    )
    try:
        with transaction.atomic():
            check_version(collab, payload.version)
            if values:
                do_save_allocation(collab, data, allocation=allocation, actor=caller(request))
            if payload.returned is not None:
                do_mark_returned(allocation, site_now() if payload.returned else None, actor=caller(request))
    except VersionConflict:
        raise Conflict(str(STALE_ROW), _fresh(allocation)) from None
    return _fresh(allocation)


@router.delete("/allocations/{allocation_id}", response=responses({204: None}, NOT_FOUND))
def delete_allocation(request: HttpRequest, allocation_id: int) -> Status[None]:
    allocation = _initiators(request, allocation_id)
    do_delete_allocation(allocation, actor=caller(request))
    return Status(204, None)
