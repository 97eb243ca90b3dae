"""Step 2: participating departments, each with one liaison (对接负责人)."""

from __future__ import annotations

from django.db import transaction

from xietong.collabs.actions.common import Directory, bump_version, delete_row, save_row
from xietong.collabs.actions.nominations import do_nominate
from xietong.collabs.models import Collaboration, NominationRole, Participant
from xietong.orgs.actions import do_propose_head
from xietong.orgs.models import Department, Person


@transaction.atomic
def do_add_participant(
    collab: Collaboration,
    *,
    department: str,
    liaison: str = "",
    duties: str = "",
    role: str = "support",
    actor: Person | None = None,
) -> Participant:
    """Add a department (found or created by name) with its liaison; return the row.

    Raises ``ValueError`` when the department already takes part (P03 is
    never stored).
    """
    people = Directory()
    dept = people.department(department)
    assert dept is not None
    if Participant.objects.filter(collaboration=collab, department=dept).exists():
        raise ValueError(department)
    values = {"department": dept, "liaison": people.person(liaison, dept), "duties": duties, "role": role}
    participant = save_row(None, Participant, collab, values, actor=actor)
    do_nominate(collab, participant.liaison, NominationRole.LIAISON, by=actor)
    bump_version(collab)
    return participant


@transaction.atomic
def do_update_participant(
    participant: Participant,
    *,
    liaison: str,
    duties: str,
    role: str,
    head: str = "",
    actor: Person | None = None,
) -> Participant:
    """Change a department's liaison, duties and role; propose ``head`` as the department's head.

    The head is organisation data: this only records a ``HeadProposal`` for
    staff who manage people to confirm (``xietong.orgs.actions``).
    """
    people = Directory()
    department: Department = participant.department
    collab = participant.collaboration
    was_liaison = participant.liaison_id
    save_row(
        participant,
        Participant,
        collab,
        {"liaison": people.person(liaison, department), "duties": duties, "role": role},
        actor=actor,
    )
    if participant.liaison_id != was_liaison:  # a new liaison is asked; the one in place is not
        do_nominate(collab, participant.liaison, NominationRole.LIAISON, by=actor)
    current = department.head
    # The form sends the current head back unchanged: nothing to propose then.
    if head and not (current is not None and current.name == head):
        proposed = people.person(head, department)
        assert proposed is not None
        do_propose_head(department, proposed, proposed_by=actor, collaboration=collab)
    bump_version(participant.collaboration)
    return participant


@transaction.atomic
def do_remove_participant(participant: Participant, *, actor: Person | None = None) -> None:
    """Remove a department from the collaboration; its tasks stay (R05 reports them)."""
    delete_row(participant, participant.collaboration, actor=actor)
