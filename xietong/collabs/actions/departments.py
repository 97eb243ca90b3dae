"""Step 2: participating departments, each with one liaison (对接负责人)."""

from __future__ import annotations

from django.db import transaction

from xietong.collabs.actions.common import Directory, bump_version
from xietong.collabs.models import Collaboration, Participant
from xietong.orgs.models import Department


@transaction.atomic
def do_add_participant(
    collab: Collaboration, *, department: str, liaison: str = "", duties: str = "", role: str = "support"
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
    last = Participant.objects.filter(collaboration=collab).order_by("-position").first()
    participant = Participant.objects.create(
        collaboration=collab,
        department=dept,
        liaison=people.person(liaison, dept),
        duties=duties,
        role=role,
        position=(last.position + 1) if last else 0,
    )
    bump_version(collab)
    return participant


@transaction.atomic
def do_update_participant(
    participant: Participant, *, liaison: str, duties: str, role: str, head: str = ""
) -> Participant:
    """Change a department's liaison, duties and role (and set its head if it has none)."""
    people = Directory()
    department: Department = participant.department
    participant.liaison = people.person(liaison, department)
    participant.duties = duties
    participant.role = role
    participant.save(update_fields=["liaison", "duties", "role"])
    if head and department.head_id is None:
        department.head = people.person(head, department)
        department.save(update_fields=["head"])
    bump_version(participant.collaboration)
    return participant


@transaction.atomic
def do_remove_participant(participant: Participant) -> None:
    """Remove a department from the collaboration; its tasks stay (R05 reports them)."""
    collab = participant.collaboration
    participant.delete()
    bump_version(collab)
