"""Step 2: participating departments, each with one liaison (对接负责人)."""

from __future__ import annotations

from django.db import transaction

from xietong.audit.record import audited
from xietong.collabs.actions.common import Directory, bump_version, delete_row, save_row
from xietong.collabs.models import Collaboration, Participant
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
    """Change a department's liaison, duties and role (and set its head if it has none)."""
    people = Directory()
    department: Department = participant.department
    collab = participant.collaboration
    save_row(
        participant,
        Participant,
        collab,
        {"liaison": people.person(liaison, department), "duties": duties, "role": role},
        actor=actor,
    )
    if head and department.head_id is None:
        with audited(department, actor=actor, collaboration=collab):
            department.head = people.person(head, department)
            department.save(update_fields=["head"])
    bump_version(participant.collaboration)
    return participant


@transaction.atomic
def do_remove_participant(participant: Participant, *, actor: Person | None = None) -> None:
    """Remove a department from the collaboration; its tasks stay (R05 reports them)."""
    delete_row(participant, participant.collaboration, actor=actor)
