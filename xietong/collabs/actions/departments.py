"""Step 2: participating departments, each with one liaison (对接负责人)."""

from __future__ import annotations

from django.db import transaction

from xietong.collabs.actions.common import Directory, bump_version, delete_row, save_row
from xietong.collabs.actions.nominations import do_nominate
from xietong.collabs.models import Collaboration, NominationRole, Participant, PendingPerson, PendingRole
from xietong.orgs.actions import do_propose_head
from xietong.orgs.models import Department, Person


@transaction.atomic
def do_add_participant(
    collab: Collaboration,
    *,
    department: str,
    liaison: Person | None = None,
    duties: str = "",
    role: str = "support",
    head: Person | None = None,
    actor: Person | None = None,
) -> Participant:
    """Add a department (found or created by name) with its liaison; return the row.

    ``head`` is only proposed as the department's head (``do_propose_head``).

    The liaison is a person already found (``resolve_person``, the picker) or
    invited: no account is ever made from a typed name here. Raises
    ``ValueError`` when the department already takes part (P03 is never
    stored).
    """
    people = Directory()
    dept = people.department(department)
    assert dept is not None
    if Participant.objects.filter(collaboration=collab, department=dept).exists():
        raise ValueError(department)
    values = {"department": dept, "liaison": liaison, "duties": duties, "role": role}
    participant = save_row(None, Participant, collab, values, actor=actor)
    if liaison is not None:
        _settle_pending(collab, dept, PendingRole.LIAISON, actor)
    if head is not None and head.pk != dept.head_id:
        do_propose_head(dept, head, proposed_by=actor, collaboration=collab)
    do_nominate(collab, participant.liaison, NominationRole.LIAISON, by=actor)
    bump_version(collab)
    return participant


@transaction.atomic
def do_update_participant(
    participant: Participant,
    *,
    liaison: Person | None,
    duties: str,
    role: str,
    head: Person | None = None,
    actor: Person | None = None,
) -> Participant:
    """Change a department's liaison, duties and role; propose ``head`` as the department's head.

    The head is organisation data: this only records a ``HeadProposal`` for
    staff who manage people to confirm (``xietong.orgs.actions``). A liaison
    or head given here replaces the name waiting as 待邀请 for that place.
    """
    department: Department = participant.department
    collab = participant.collaboration
    was_liaison = participant.liaison_id
    save_row(
        participant,
        Participant,
        collab,
        {"liaison": liaison, "duties": duties, "role": role},
        actor=actor,
    )
    if participant.liaison_id != was_liaison:  # a new liaison is asked; the one in place is not
        do_nominate(collab, participant.liaison, NominationRole.LIAISON, by=actor)
    if liaison is not None:
        _settle_pending(collab, department, PendingRole.LIAISON, actor)
    # The form sends the current head back unchanged: nothing to propose then.
    if head is not None and head.pk != department.head_id:
        do_propose_head(department, head, proposed_by=actor, collaboration=collab)
        _settle_pending(collab, department, PendingRole.HEAD, actor)
    bump_version(participant.collaboration)
    return participant


@transaction.atomic
def do_remove_participant(participant: Participant, *, actor: Person | None = None) -> None:
    """Remove a department from the collaboration; its tasks stay (R05 reports them)."""
    delete_row(participant, participant.collaboration, actor=actor)


def _settle_pending(
    collab: Collaboration, department: Department | None, role: str, actor: Person | None
) -> None:
    """Drop the 待邀请 name of this place: someone was chosen for it."""
    for pending in PendingPerson.objects.filter(collaboration=collab, department=department, role=role):
        delete_row(pending, collab, actor=actor)
