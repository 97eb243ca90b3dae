"""Step 2 over the API: a collaboration's participating departments, one liaison each."""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration
from xietong.api.errors import INVALID, NOT_FOUND, STALE_ROW, Conflict, Invalid, responses
from xietong.api.schemas import (
    DepartmentRef,
    HeadProposalRef,
    ParticipantConflictOut,
    ParticipantIn,
    ParticipantOut,
    ParticipantPatch,
    PersonRef,
)
from xietong.collabs.access import get_object_in, reread
from xietong.collabs.actions.common import PersonUnresolved, VersionConflict, check_version, resolve_person
from xietong.collabs.actions.departments import (
    do_add_participant,
    do_remove_participant,
    do_update_participant,
)
from xietong.collabs.models import Collaboration, Participant
from xietong.orgs.actions import proposed_message
from xietong.orgs.models import Department, HeadProposal, HeadProposalState, Person
from xietong.orgs.roles import Action

router = Router(tags=["departments"])


def _rows(collab: Collaboration) -> list[Participant]:
    pending = HeadProposal.objects.filter(state=HeadProposalState.PENDING).select_related(
        "person", "department"
    )
    return list(
        Participant.objects.filter(collaboration=collab)
        .select_related("department", "department__head", "liaison", "collaboration")
        .prefetch_related(Prefetch("department__head_proposals", queryset=pending, to_attr="pending_heads"))
    )


def participant_out(p: Participant) -> ParticipantOut:
    head = p.department.head
    # Proposed heads wait for staff who manage people; the head itself is organisation data.
    proposals: list[HeadProposal] = getattr(p.department, "pending_heads", [])
    return ParticipantOut(
        id=p.pk,
        department=DepartmentRef(id=p.department.pk, name=p.department.name),
        liaison=PersonRef(id=p.liaison.pk, name=p.liaison.name) if p.liaison else None,
        head=PersonRef(id=head.pk, name=head.name) if head else None,
        head_proposals=[
            HeadProposalRef(
                id=h.pk, person=PersonRef(id=h.person.pk, name=h.person.name), detail=proposed_message(h)
            )
            for h in proposals
        ],
        duties=p.duties,
        role=p.role,  # type: ignore[arg-type]
        version=p.collaboration.version,
    )


def _person(pk: int | None, text: str, department: Department | None, path: str) -> Person | None:
    """Return the active person named by id or by exact login / name; 422 at ``path`` otherwise.

    Nobody is ever created: an unknown or ambiguous name is the caller's to fix.
    """
    if pk is not None:
        person = Person.objects.filter(pk=pk, is_active=True).first()
        if person is None:
            raise Invalid.at(f"{path}_id", _("没有编号为 %(id)s 的在职人员") % {"id": pk})
        return person
    try:
        return resolve_person(text, department)
    except PersonUnresolved as unresolved:
        raise Invalid.at(path, unresolved.message()) from None


def _current(collab: Collaboration, pk: int) -> ParticipantOut:
    row = next((p for p in _rows(collab) if p.pk == pk), None)
    if row is None:
        raise Http404
    return participant_out(row)


@router.get("/collaborations/{slug}/departments", response=responses({200: list[ParticipantOut]}, NOT_FOUND))
def list_participants(request: HttpRequest, slug: str) -> list[ParticipantOut]:
    """The participating departments, each with its liaison, head and duties."""
    collab, _access = collaboration(request, slug)
    return [participant_out(p) for p in _rows(collab)]


@router.post(
    "/collaborations/{slug}/departments",
    response=responses({201: ParticipantOut}, NOT_FOUND, INVALID),
)
def add_participant(request: HttpRequest, slug: str, payload: ParticipantIn) -> Status[ParticipantOut]:
    """Add a department (initiator and administrators); its liaison by id, or by exact login or name.

    A liaison nobody or several people match is refused with 422: no account is created.
    """
    collab, _access = collaboration(request, slug, Action.EDIT_COLLABORATION)
    named = Department.objects.filter(name=payload.department).first()
    liaison = _person(payload.liaison_id, payload.liaison, named, "body.liaison")
    try:
        added = do_add_participant(
            collab,
            department=payload.department,
            liaison=liaison,
            duties=payload.duties,
            role=payload.role,
            actor=caller(request),
        )
    except ValueError:
        raise Invalid.at("body.department", _("该部门已在参与部门中(每个部门只列一次)")) from None
    return Status(201, _current(collab, added.pk))


@router.patch(
    "/collaborations/{slug}/departments/{participant_id}",
    response=responses({200: ParticipantOut, 409: ParticipantConflictOut}, NOT_FOUND, INVALID),
)
def update_participant(
    request: HttpRequest, slug: str, participant_id: int, payload: ParticipantPatch
) -> ParticipantOut:
    """Change a department's liaison, duties, role (initiator, administrators); `head` only proposes a head.

    The head is organisation data: a proposal waits in `head_proposals` for
    staff who manage people to confirm it.

    With `version` (the collaboration's), a stale write is refused with 409.
    """
    collab, _access = collaboration(request, slug, Action.EDIT_COLLABORATION)
    rows = Participant.objects.select_related("department", "department__head", "liaison", "collaboration")
    participant = get_object_in(collab, rows, participant_id)
    try:
        with transaction.atomic():
            # Locks the collaboration's row; what the PATCH does not name is read under the lock.
            check_version(collab, payload.version)
            participant = reread(rows, participant)
            department = participant.department
            liaison = participant.liaison
            if payload.liaison_id is not None or (
                payload.liaison is not None and payload.liaison not in _names(liaison)
            ):
                liaison = _person(payload.liaison_id, payload.liaison or "", department, "body.liaison")
            head = None
            if payload.head_id is not None or (payload.head and payload.head not in _names(department.head)):
                head = _person(payload.head_id, payload.head or "", department, "body.head")
            do_update_participant(
                participant,
                liaison=liaison,
                duties=payload.duties if payload.duties is not None else participant.duties,
                role=payload.role or participant.role,
                head=head,
                actor=caller(request),
            )
    except VersionConflict:
        raise Conflict(str(STALE_ROW), _current(collab, participant.pk)) from None
    return _current(collab, participant.pk)


def _names(person: Person | None) -> tuple[str, ...]:
    """The words that name ``person`` unchanged (their name and login): sent back, they change nothing."""
    return (person.name, person.username) if person is not None else ("",)


@router.delete(
    "/collaborations/{slug}/departments/{participant_id}",
    response=responses({204: None}, NOT_FOUND),
)
def remove_participant(request: HttpRequest, slug: str, participant_id: int) -> Status[None]:
    """Remove a department (initiator, administrators); its tasks stay, and R05 reports them."""
    collab, _access = collaboration(request, slug, Action.EDIT_COLLABORATION)
    participant = get_object_in(collab, Participant.objects.all(), participant_id)
    do_remove_participant(participant, actor=caller(request))
    return Status(204, None)
