"""Starting a collaboration from one of the guide's four templates."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from xietong.audit.record import record
from xietong.collabs.actions.common import Directory, free_slug
from xietong.collabs.models import Collaboration, Goal, Participant, ParticipantRole
from xietong.collabs.presets import COMMUNICATION, KICKOFF_AGENDA, PRESETS
from xietong.meetings.models import AgendaItem, CommunicationRule, Meeting, MeetingKind
from xietong.orgs.models import Person


@transaction.atomic
def do_create_collaboration(
    *, title: str, type: str, initiator_department: str, departments: list[str], owner: Person
) -> Collaboration:
    """Create a collaboration prefilled from its type's template and return it.

    The initiating department takes part as the lead; the kickoff meeting is
    created unscheduled with the guide's agenda; the communication plan gets
    the guide's three standard rows.
    """
    preset = PRESETS[type]
    people = Directory()
    lead = people.department(initiator_department)
    collab = Collaboration.objects.create(
        slug=free_slug(title), title=title, type=type, initiator_department=lead, owner=owner
    )
    record(
        collab,
        None,
        actor=owner,
        collaboration=collab,
        reason=_("按%(type)s模板发起") % {"type": collab.get_type_display()},
    )
    Goal.objects.create(collaboration=collab)
    duties = {str(name): str(text) for name, text in preset.departments}
    names = list(dict.fromkeys([initiator_department, *departments]))  # once each, lead first
    Participant.objects.bulk_create(
        Participant(
            collaboration=collab,
            department=people.department(name),
            role=ParticipantRole.LEAD if name == initiator_department else ParticipantRole.SUPPORT,
            duties=duties.get(name, ""),
            position=i,
        )
        for i, name in enumerate(names)
    )
    kickoff = Meeting.objects.create(collaboration=collab, kind=MeetingKind.KICKOFF, title=_("跨部门启动会"))
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=kickoff, position=i, title=str(item))
        for i, item in enumerate((*KICKOFF_AGENDA, *preset.agenda_extra))
    )
    CommunicationRule.objects.bulk_create(standard_communication(collab))
    return collab


def standard_communication(collab: Collaboration) -> list[CommunicationRule]:
    """The guide's three communication rules for ``collab`` (unsaved), in the active language."""
    return [
        CommunicationRule(
            collaboration=collab,
            position=i,
            scenario=rule.scenario,
            channel=rule.channel,
            frequency=rule.frequency,
            rrule=rule.rrule,
            outputs=[str(o) for o in rule.outputs],
            owner=str(rule.owner),
        )
        for i, rule in enumerate(COMMUNICATION)
    ]
