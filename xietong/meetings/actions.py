"""Writes of steps 3 and 6: the kickoff meeting and the communication plan.

Each ``do_*`` function is atomic and bumps the collaboration's version.
Permission is the caller's business (the access layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version, delete_row, save_row
from xietong.collabs.models import Collaboration
from xietong.collabs.presets import KICKOFF_AGENDA
from xietong.meetings.models import AgendaItem, CommunicationRule, Frequency, Meeting, MeetingKind
from xietong.orgs.models import Person


def kickoff_of(collab: Collaboration) -> Meeting | None:
    """Return the collaboration's kickoff meeting, if it has one."""
    return Meeting.objects.filter(collaboration=collab, kind=MeetingKind.KICKOFF).first()


def _ensure_agenda(meeting: Meeting) -> None:
    """Give a meeting without agenda the guide's five items ①-⑤ (in the active language)."""
    if not AgendaItem.objects.filter(meeting=meeting).exists():
        AgendaItem.objects.bulk_create(
            AgendaItem(meeting=meeting, position=i, title=str(title))
            for i, title in enumerate(KICKOFF_AGENDA)
        )


@transaction.atomic
def do_schedule_kickoff(
    collab: Collaboration, scheduled_at: datetime, *, actor: Person | None = None
) -> Meeting:
    """Set the kickoff's time and return the meeting.

    Creates the kickoff (with the guide's five agenda items) when the
    collaboration has none; a kickoff without agenda (an imported one) gets
    the five items too.
    """
    meeting = kickoff_of(collab)
    with audited(meeting, actor=actor, collaboration=collab) as box:
        if meeting is None:
            meeting = Meeting.objects.create(
                collaboration=collab,
                kind=MeetingKind.KICKOFF,
                title=str(_("跨部门启动会")),
                scheduled_at=scheduled_at,
            )
        else:
            meeting.scheduled_at = scheduled_at
            meeting.save(update_fields=["scheduled_at"])
        box["obj"] = meeting
    _ensure_agenda(meeting)
    bump_version(collab)
    return meeting


def _record(collab: Collaboration, field: str, at: datetime, actor: Person | None) -> Meeting:
    meeting = kickoff_of(collab)
    if meeting is None or meeting.scheduled_at is None:
        raise ValueError("the kickoff has no time yet")
    with audited(meeting, actor=actor, collaboration=collab):
        setattr(meeting, field, at)
        meeting.save(update_fields=[field])
    bump_version(collab)
    return meeting


@transaction.atomic
def do_record_agenda_sent(collab: Collaboration, at: datetime, *, actor: Person | None = None) -> Meeting:
    """Record when the kickoff's agenda and background went out (K02 judges it)."""
    return _record(collab, "agenda_sent_at", at, actor)


@transaction.atomic
def do_record_minutes_issued(collab: Collaboration, at: datetime, *, actor: Person | None = None) -> Meeting:
    """Record when the kickoff's minutes were issued (K03 judges it; K04 then waits for confirmations)."""
    return _record(collab, "minutes_issued_at", at, actor)


@dataclass(frozen=True)
class RuleFields:
    """The values of one row of the communication plan."""

    scenario: str
    channel: str
    frequency: str  # a Frequency, or "" when not agreed yet (C03)
    rrule: str
    outputs: tuple[str, ...]
    owner: str
    admin: str


@transaction.atomic
def do_save_communication_rule(
    collab: Collaboration,
    fields: RuleFields,
    *,
    rule: CommunicationRule | None = None,
    actor: Person | None = None,
) -> CommunicationRule:
    """Store ``fields`` as a new row of the plan (at the end), or into ``rule``; return it.

    The RRULE is kept only for a regular frequency, so a row switched to
    "按需" does not keep a stale schedule.
    """
    if rule is not None and rule.collaboration_id != collab.pk:
        raise ValueError("the rule belongs to another collaboration")
    values: dict[str, object] = {
        "scenario": fields.scenario,
        "channel": fields.channel,
        "frequency": fields.frequency,
        "rrule": fields.rrule if fields.frequency == Frequency.RRULE else "",
        "outputs": list(fields.outputs),
        "owner": fields.owner,
        "admin": fields.admin,
    }
    rule = save_row(rule, CommunicationRule, collab, values, actor=actor)
    bump_version(collab)
    return rule


@transaction.atomic
def do_delete_communication_rule(rule: CommunicationRule, *, actor: Person | None = None) -> None:
    """Remove a row of the plan; an uncovered standard scenario is then reported (C02)."""
    delete_row(rule, rule.collaboration, actor=actor)
