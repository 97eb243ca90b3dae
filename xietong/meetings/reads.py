"""Reads the meeting actions and the charter import share (no writes, no imports of actions).

Kept apart from ``actions`` so that ``collabs.actions`` (the charter import)
can use them without an import cycle.
"""

from __future__ import annotations

from xietong.collabs.models import Collaboration, Participant
from xietong.meetings.models import Meeting, MinutesItem
from xietong.orgs.models import Person


def default_attendees(collab: Collaboration) -> list[Person]:
    """Return who a meeting of ``collab`` invites: its owner, the initiating department's head, then each
    department's liaison and head (what the meeting page says it invites)."""
    people: dict[int, Person] = {}
    initiator = collab.initiator_department
    for person in (collab.owner, initiator.head if initiator is not None else None):
        if person is not None:
            people.setdefault(person.pk, person)
    participants = Participant.objects.filter(collaboration=collab).select_related(
        "liaison", "department__head"
    )
    for participant in participants:
        for person in (participant.liaison, participant.department.head):
            if person is not None:
                people.setdefault(person.pk, person)
    return list(people.values())


def revision_content(meeting: Meeting) -> dict[str, object]:
    """Return the minutes as they are now, ready to archive as a revision."""
    items = MinutesItem.objects.filter(meeting=meeting).select_related("department")
    return {
        "summary": meeting.minutes_summary,
        "attendees": [p.display_name or p.username for p in meeting.attendees.all()],
        "items": [
            {
                "kind": item.kind,
                "text": item.text,
                "department": item.department.name if item.department else "",
                "standard": item.standard,
                "deadline": item.deadline.isoformat() if item.deadline else None,
                "task": item.task_id,
            }
            for item in items
        ],
    }
