"""The organisation: departments and people (any signed-in person may read them), and who you are.

Proposed department heads (``/org/head-proposals``) are for staff who manage
people only: they confirm or reject what charters and collaborations proposed.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.pagination import paginate

from xietong.api.auth import caller
from xietong.api.errors import INVALID, NOT_FOUND, Conflict, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import (
    DepartmentOut,
    DepartmentRef,
    HeadProposalConflictOut,
    HeadProposalOut,
    MeOut,
    PersonOut,
    PersonRef,
    SearchText,
)
from xietong.orgs.actions import ProposalRefused, do_confirm_head, do_reject_head, may_manage_org
from xietong.orgs.models import Department, HeadProposal, Person

router = Router(tags=["organisation"])


def _department_ref(department: Department | None) -> DepartmentRef | None:
    return DepartmentRef(id=department.pk, name=department.name) if department else None


def _departments(rows: list[Department]) -> list[DepartmentOut]:
    return [
        DepartmentOut(
            id=d.pk, name=d.name, head=PersonRef(id=d.head.pk, name=d.head.name) if d.head else None
        )
        for d in rows
    ]


def _people(rows: list[Person]) -> list[PersonOut]:
    return [
        PersonOut(id=p.pk, username=p.username, name=p.name, department=_department_ref(p.department))
        for p in rows
    ]


@router.get("/departments", response=responses({200: list[DepartmentOut]}, INVALID))
@paginate(Pages, present=_departments)
def list_departments(request: HttpRequest, q: Query[SearchText | None] = None) -> QuerySet[Department]:
    """Every department, by name; `q` finds names containing it."""
    rows = Department.objects.select_related("head").order_by("name", "id")
    return rows.filter(name__icontains=q) if q else rows


@router.get("/people", response=responses({200: list[PersonOut]}, INVALID))
@paginate(Pages, present=_people)
def list_people(request: HttpRequest, q: Query[SearchText | None] = None) -> QuerySet[Person]:
    """Active people, by name; `q` finds a name, username or department containing it."""
    rows = Person.objects.filter(is_active=True).select_related("department").order_by("display_name", "id")
    if q:
        rows = rows.filter(
            Q(display_name__icontains=q) | Q(username__icontains=q) | Q(department__name__icontains=q)
        )
    return rows


@router.get("/me", response=responses({200: MeOut}))
def me(request: HttpRequest) -> MeOut:
    """The person this request acts for."""
    person = caller(request)
    return MeOut(
        id=person.pk,
        username=person.username,
        name=person.name,
        department=_department_ref(person.department),
        language=person.language,
        is_admin=person.is_superuser,
    )


# --- proposed department heads (staff who manage people)


def _person_ref(person: Person | None) -> PersonRef | None:
    return PersonRef(id=person.pk, name=person.name) if person else None


def _proposal_out(h: HeadProposal) -> HeadProposalOut:
    return HeadProposalOut(
        id=h.pk,
        department=DepartmentRef(id=h.department.pk, name=h.department.name),
        person=PersonRef(id=h.person.pk, name=h.person.name),
        current_head=_person_ref(h.department.head),
        proposed_by=_person_ref(h.proposed_by),
        collaboration=h.collaboration_title,
        created_at=h.created_at,
        state=h.state,  # type: ignore[arg-type]
        decided_by=_person_ref(h.decided_by),
        decided_at=h.decided_at,
    )


def _proposals(rows: list[HeadProposal]) -> list[HeadProposalOut]:
    return [_proposal_out(h) for h in rows]


def _proposal_rows() -> QuerySet[HeadProposal]:
    return HeadProposal.objects.select_related(
        "department", "department__head", "person", "proposed_by", "decided_by"
    )


def _staff(request: HttpRequest) -> Person:
    person = caller(request)
    if not may_manage_org(person):
        raise PermissionDenied
    return person


@router.get("/org/head-proposals", response=responses({200: list[HeadProposalOut]}, INVALID))
@paginate(Pages, present=_proposals)
def list_head_proposals(
    request: HttpRequest, state: Literal["pending", "confirmed", "rejected"] = "pending"
) -> QuerySet[HeadProposal]:
    """Proposed department heads, oldest first (`state`: pending by default). Staff who manage people only."""
    _staff(request)
    return _proposal_rows().filter(state=state).order_by("created_at", "id")


def _decide(request: HttpRequest, proposal_id: int, replace: bool | None) -> HeadProposalOut:
    actor = _staff(request)
    proposal = get_object_or_404(HeadProposal, pk=proposal_id)
    try:
        if replace is None:
            do_reject_head(proposal, actor=actor)
        else:
            do_confirm_head(proposal, actor=actor, replace=replace)
    except ProposalRefused as exc:
        raise Conflict(str(exc), _proposal_out(_proposal_rows().get(pk=proposal_id))) from None
    return _proposal_out(_proposal_rows().get(pk=proposal_id))


@router.post(
    "/org/head-proposals/{proposal_id}/confirm",
    response=responses({200: HeadProposalOut, 409: HeadProposalConflictOut}, NOT_FOUND),
)
def confirm_head_proposal(request: HttpRequest, proposal_id: int, replace: bool = False) -> HeadProposalOut:
    """Make the proposed person the department's head. A department that has another head is refused
    with 409 unless `replace=true`; so is a proposal already decided. Staff who manage people only."""
    return _decide(request, proposal_id, replace)


@router.post(
    "/org/head-proposals/{proposal_id}/reject",
    response=responses({200: HeadProposalOut, 409: HeadProposalConflictOut}, NOT_FOUND),
)
def reject_head_proposal(request: HttpRequest, proposal_id: int) -> HeadProposalOut:
    """Turn the proposal down; the department keeps its head. Staff who manage people only."""
    return _decide(request, proposal_id, None)
