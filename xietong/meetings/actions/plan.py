"""Writes of step 6: the rows of the communication plan (沟通机制).

Each ``do_*`` function is atomic and bumps the collaboration's version.
Permission is the caller's business (the access layer).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from xietong.collabs.actions.common import bump_version, delete_row, save_row
from xietong.collabs.models import Collaboration
from xietong.lib.limits import check_input
from xietong.lib.recurrence import never_occurs
from xietong.meetings.models import Binding, CommunicationRule, Frequency, HolidayPolicy
from xietong.orgs.models import Person


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
    group_name: str = ""
    binding: str = Binding.INBOX
    location: str = ""
    duration_minutes: int = 60
    holiday_policy: str = HolidayPolicy.POSTPONE

    def __post_init__(self) -> None:
        check_input(self, CommunicationRule)


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
    if fields.frequency == Frequency.RRULE and never_occurs(fields.rrule, timezone.localtime()):
        # The form and the API say so to people; this guards every other caller.
        raise ValueError(f"the rule {fields.rrule!r} does not occur within two years")
    values: dict[str, object] = {
        "scenario": fields.scenario,
        "channel": fields.channel,
        "frequency": fields.frequency,
        "rrule": fields.rrule if fields.frequency == Frequency.RRULE else "",
        "outputs": list(fields.outputs),
        "owner": fields.owner,
        "admin": fields.admin,
        "group_name": fields.group_name,
        "binding": fields.binding,
        "location": fields.location,
        "duration_minutes": fields.duration_minutes,
        "holiday_policy": fields.holiday_policy,
    }
    rule = save_row(rule, CommunicationRule, collab, values, actor=actor)
    bump_version(collab)
    return rule


@transaction.atomic
def do_delete_communication_rule(rule: CommunicationRule, *, actor: Person | None = None) -> None:
    """Remove a row of the plan; an uncovered standard scenario is then reported (C02)."""
    delete_row(rule, rule.collaboration, actor=actor)
