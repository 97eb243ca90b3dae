"""The organisation: departments and people (any signed-in person may read them), and who you are.

A person's e-mail and mobile are answered only to staff who manage people
and to the person themself; anyone else reads them as null. Changing a
person (``/org/people/{id}``: edit, deactivate, reactivate) and the proposed
department heads (``/org/head-proposals``) and invitations (``/org/invitations``)
are for staff who manage people only: they confirm or reject what charters
and collaborations proposed, and invite people by a one-time link.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.errors import INVALID, NOT_FOUND, Conflict, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import (
    DeactivateIn,
    DepartmentKey,
    DepartmentOut,
    DepartmentRef,
    HeadProposalConflictOut,
    HeadProposalOut,
    InvitationConflictOut,
    InvitationIn,
    InvitationIssuedOut,
    InvitationOut,
    MeOut,
    PersonOut,
    PersonPatch,
    PersonRef,
    ReactivateIn,
    SearchText,
)
from xietong.orgs.actions import (
    PersonChanges,
    PersonRefused,
    ProposalRefused,
    do_confirm_head,
    do_deactivate_person,
    do_reactivate_person,
    do_reject_head,
    do_update_person,
    may_manage_org,
)
from xietong.orgs.invitations import (
    InvitationRefused,
    IssuedInvitation,
    NewPerson,
    do_invite_person,
    do_resend_invitation,
    do_revoke_invitation,
)
from xietong.orgs.models import AccountInvitation, Department, HeadProposal, Person

router = Router(tags=["organisation"])


def _department_ref(department: Department | None) -> DepartmentRef | None:
    return DepartmentRef(id=department.pk, name=department.name) if department else None


def _departments(rows: list[Department]) -> list[DepartmentOut]:
    return [
        DepartmentOut(
            id=d.pk,
            name=d.name,
            head=PersonRef(id=d.head.pk, name=d.head.name) if d.head else None,
            parent_id=d.parent_id,
            source=d.source,
            external_id=d.external_id,
        )
        for d in rows
    ]


def _person_out(p: Person, contact_visible: bool) -> PersonOut:
    """Return ``p`` as answered; e-mail and mobile only when ``contact_visible``."""
    return PersonOut(
        id=p.pk,
        username=p.username,
        name=p.name,
        department=_department_ref(p.department),
        employee_number=p.employee_number,
        source=p.source,  # type: ignore[arg-type]
        is_active=p.is_active,
        email=p.email if contact_visible else None,
        phone=p.phone if contact_visible else None,
    )


def _people(rows: list[Person]) -> list[PersonOut]:
    # ``contact_visible`` is annotated by ``list_people``: the page is presented without the request.
    return [_person_out(p, bool(getattr(p, "contact_visible", False))) for p in rows]


@router.get("/departments", response=responses({200: list[DepartmentOut]}, INVALID))
@paginate(Pages, present=_departments)
def list_departments(request: HttpRequest, q: Query[SearchText | None] = None) -> QuerySet[Department]:
    """Every department, by name; `q` finds names containing it."""
    rows = Department.objects.select_related("head").order_by("name", "id")
    return rows.filter(name__icontains=q) if q else rows


@router.get("/people", response=responses({200: list[PersonOut]}, INVALID))
@paginate(Pages, present=_people)
def list_people(
    request: HttpRequest, q: Query[SearchText | None] = None, include_deactivated: bool = False
) -> QuerySet[Person]:
    """Active people (`include_deactivated=true`: everyone), by name; `q` finds a name, username or
    department containing it, and for staff who manage people an e-mail, mobile or employee number too.

    `email` and `phone` are null except for staff who manage people and for the caller's own entry."""
    person = caller(request)
    staff = may_manage_org(person)
    rows = Person.objects.select_related("department").order_by("display_name", "id")
    if not include_deactivated:
        rows = rows.filter(is_active=True)
    if q:
        found = Q(display_name__icontains=q) | Q(username__icontains=q) | Q(department__name__icontains=q)
        if staff:  # searching by a hidden field would reveal it
            found |= Q(email__icontains=q) | Q(phone__icontains=q) | Q(employee_number__icontains=q)
        rows = rows.filter(found)
    visible = (
        Value(True)
        if staff
        else Case(When(pk=person.pk, then=Value(True)), default=Value(False), output_field=BooleanField())
    )
    return rows.annotate(contact_visible=visible)


@router.get("/me", response=responses({200: MeOut}))
def me(request: HttpRequest) -> MeOut:
    """The person this request acts for."""
    person = caller(request)
    return MeOut(
        **_person_out(person, contact_visible=True).model_dump(),
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


# --- people: edit, deactivate, reactivate (staff who manage people)


def _target(person_id: int) -> Person:
    return get_object_or_404(Person.objects.select_related("department"), pk=person_id)


def _find_department(key: DepartmentKey) -> Department:
    """Return the department named by id or name; 422 at ``body.department`` when there is none."""
    found = Department.objects.filter(pk=key) if isinstance(key, int) else Department.objects.filter(name=key)
    department = found.first()
    if department is None:
        raise Invalid.at("body.department", _("没有这个部门"))
    return department


def _refused(exc: PersonRefused) -> Invalid:
    return Invalid.at(f"body.{exc.field}" if exc.field else "body", str(exc))


@router.patch("/org/people/{person_id}", response=responses({200: PersonOut}, NOT_FOUND, INVALID))
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> PersonOut:
    """Change a person's name, e-mail, mobile, department or employee number; what is not given stays.
    Recorded in the history. Staff who manage people only; a taken employee number or a malformed
    e-mail is 422 and nothing is written."""
    actor = _staff(request)
    person = _target(person_id)
    if payload.no_department:
        department = None
    elif payload.department is not None:
        department = _find_department(payload.department)
    else:
        department = person.department
    changes = PersonChanges(
        display_name=payload.name if payload.name is not None else person.display_name,
        email=payload.email if payload.email is not None else person.email,
        phone=payload.phone if payload.phone is not None else person.phone,
        department=department,
        employee_number=payload.employee_number
        if payload.employee_number is not None
        else person.employee_number,
    )
    try:
        person = do_update_person(person, changes, actor=actor)
    except PersonRefused as exc:
        raise _refused(exc) from None
    return _person_out(_target(person_id), contact_visible=True)


@router.post("/org/people/{person_id}/deactivate", response=responses({200: PersonOut}, NOT_FOUND, INVALID))
def deactivate_person(request: HttpRequest, person_id: int, payload: DeactivateIn) -> PersonOut:
    """Deactivate a person: they cannot sign in, their sessions and API tokens stop working; nothing is
    deleted. The reason is kept in the history. Deactivating oneself is 422. Staff who manage people only."""
    actor = _staff(request)
    person = _target(person_id)
    try:
        do_deactivate_person(person, actor=actor, reason=payload.reason)
    except PersonRefused as exc:
        raise _refused(exc) from None
    return _person_out(_target(person_id), contact_visible=True)


@router.post("/org/people/{person_id}/reactivate", response=responses({200: PersonOut}, NOT_FOUND, INVALID))
def reactivate_person(request: HttpRequest, person_id: int, payload: ReactivateIn) -> PersonOut:
    """Let a deactivated person sign in again. Staff who manage people only."""
    actor = _staff(request)
    do_reactivate_person(_target(person_id), actor=actor, reason=payload.reason)
    return _person_out(_target(person_id), contact_visible=True)


# --- invitations (staff who manage people)


def _invitation_out(i: AccountInvitation) -> InvitationOut:
    return InvitationOut(
        id=i.pk,
        person=_person_out(i.person, contact_visible=True),
        created_by=_person_ref(i.created_by),
        created_at=i.created_at,
        expires_at=i.expires_at,
        sent_at=i.sent_at,
        accepted_at=i.accepted_at,
        revoked_at=i.revoked_at,
        state=i.state().value,  # type: ignore[arg-type]
    )


def _invitations(rows: list[AccountInvitation]) -> list[InvitationOut]:
    return [_invitation_out(i) for i in rows]


def _invitation_rows() -> QuerySet[AccountInvitation]:
    return AccountInvitation.objects.select_related("person", "person__department", "created_by")


def _issued_out(issued: IssuedInvitation) -> InvitationIssuedOut:
    current = _invitation_out(_invitation_rows().get(pk=issued.invitation.pk))
    return InvitationIssuedOut(**current.model_dump(), link=issued.link, mailed=issued.mailed.value)


@router.get("/org/invitations", response=responses({200: list[InvitationOut]}, INVALID))
@paginate(Pages, present=_invitations)
def list_invitations(request: HttpRequest) -> QuerySet[AccountInvitation]:
    """Invitations neither accepted nor revoked, the newest first, with their `state` (pending or
    expired: an expired one may be resent). Links are never answered here. Staff who manage people only."""
    _staff(request)
    return (
        _invitation_rows()
        .filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .order_by("-created_at", "-id")
    )


@router.post("/org/invitations", response=responses({201: InvitationIssuedOut}, INVALID))
def create_invitation(request: HttpRequest, payload: InvitationIn) -> Status[InvitationIssuedOut]:
    """Create a person (no password yet) and a one-time invitation link valid 7 days, mailed when an
    e-mail is given; `link` is answered this once, to paste into an IM chat. An e-mail or mobile that
    already belongs to someone is 422 at its field, as is giving neither. Staff who manage people only."""
    actor = _staff(request)
    department = _find_department(payload.department) if payload.department is not None else None
    new = NewPerson(
        display_name=payload.name, email=payload.email, phone=payload.phone, department=department
    )
    try:
        issued = do_invite_person(new, actor=actor)
    except PersonRefused as exc:
        field = {"display_name": "name"}.get(exc.field, exc.field)
        raise Invalid.at(f"body.{field}" if field else "body", str(exc)) from None
    return Status(201, _issued_out(issued))


def _change_invitation(request: HttpRequest, invitation_id: int, resend: bool) -> InvitationOut:
    actor = _staff(request)
    invitation = get_object_or_404(AccountInvitation, pk=invitation_id)
    try:
        if resend:
            return _issued_out(do_resend_invitation(invitation, actor=actor))
        do_revoke_invitation(invitation, actor=actor)
    except InvitationRefused as exc:
        raise Conflict(str(exc), _invitation_out(_invitation_rows().get(pk=invitation_id))) from None
    return _invitation_out(_invitation_rows().get(pk=invitation_id))


@router.post(
    "/org/invitations/{invitation_id}/resend",
    response=responses({200: InvitationIssuedOut, 409: InvitationConflictOut}, NOT_FOUND),
)
def resend_invitation(request: HttpRequest, invitation_id: int) -> InvitationOut:
    """Give the invitation a new link valid 7 days (the old link stops working; a revoked one is pending
    again) and mail it; `link` is answered this once. An accepted invitation, or a deactivated person,
    is 409. Staff who manage people only."""
    return _change_invitation(request, invitation_id, resend=True)


@router.post(
    "/org/invitations/{invitation_id}/revoke",
    response=responses({200: InvitationOut, 409: InvitationConflictOut}, NOT_FOUND),
)
def revoke_invitation(request: HttpRequest, invitation_id: int) -> InvitationOut:
    """Make the invitation's link stop working (revoking twice keeps the first time). An accepted
    invitation is 409: deactivate the person instead. Staff who manage people only."""
    return _change_invitation(request, invitation_id, resend=False)
