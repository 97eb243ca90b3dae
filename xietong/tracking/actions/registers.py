"""Writes of the registers kept during execution: issue log, risks, allocations, rollout milestones.

Each row is audited and bumps the collaboration's version; a closed
collaboration refuses them all. A risk whose trigger happens calls an
ad-hoc risk meeting (专项沟通会) with the risk and its response plan on
the agenda, as the communication plan's risk-warning scenario says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version, delete_row, save_row
from xietong.collabs.models import Collaboration
from xietong.lib.limits import check_input, check_values
from xietong.meetings.actions.kickoff import add_agenda
from xietong.meetings.models import Meeting, MeetingKind
from xietong.meetings.reads import default_attendees
from xietong.orgs.models import Department, Person
from xietong.tracking.actions.closing import check_open
from xietong.tracking.boards import risk_meeting_slot
from xietong.tracking.models import Allocation, IssueEntry, IssueStatus, Milestone, Risk, RiskStatus


@dataclass(frozen=True)
class IssueInput:
    title: str
    raised_by: Department | None = None
    owner: Department | None = None
    decision_needed: str = ""
    decided_in: Meeting | None = None
    resolution: str = ""
    due_date: date | None = None
    status: str = IssueStatus.OPEN

    def __post_init__(self) -> None:
        check_input(self, IssueEntry)
        if not self.title.strip():
            raise ValueError("an issue says what the problem is")
        if self.status == IssueStatus.CLOSED and not self.resolution.strip():
            raise ValueError("a closed issue says how it was resolved")


@transaction.atomic
def do_save_issue(
    collab: Collaboration, data: IssueInput, *, issue: IssueEntry | None = None, actor: Person | None = None
) -> IssueEntry:
    check_open(collab)
    if data.decided_in is not None and data.decided_in.collaboration_id != collab.pk:
        raise ValueError("the meeting belongs to another collaboration")
    values = {
        "title": data.title.strip(),
        "raised_by": data.raised_by,
        "owner": data.owner,
        "decision_needed": data.decision_needed.strip(),
        "decided_in": data.decided_in,
        "resolution": data.resolution.strip(),
        "due_date": data.due_date,
        "status": data.status,
    }
    issue = save_row(issue, IssueEntry, collab, values, actor=actor)
    bump_version(collab)
    return issue


@transaction.atomic
def do_delete_issue(issue: IssueEntry, *, actor: Person | None = None) -> None:
    check_open(issue.collaboration)
    delete_row(issue, issue.collaboration, actor=actor)


@dataclass(frozen=True)
class RiskInput:
    description: str
    probability: str
    impact: str
    owner: Department | None = None
    response_plan: str = ""
    trigger: str = ""

    def __post_init__(self) -> None:
        check_input(self, Risk)
        if not self.description.strip():
            raise ValueError("a risk says what may go wrong")


@transaction.atomic
def do_save_risk(
    collab: Collaboration, data: RiskInput, *, risk: Risk | None = None, actor: Person | None = None
) -> Risk:
    check_open(collab)
    values = {
        "description": data.description.strip(),
        "probability": data.probability,
        "impact": data.impact,
        "owner": data.owner,
        "response_plan": data.response_plan.strip(),
        "trigger": data.trigger.strip(),
    }
    risk = save_row(risk, Risk, collab, values, actor=actor)
    bump_version(collab)
    return risk


@transaction.atomic
def do_trigger_risk(risk: Risk, at: datetime, *, actor: Person | None = None) -> Meeting:
    """Mark a risk triggered and call the ad-hoc risk meeting (专项沟通会); return the meeting.

    The meeting is set for 10:00 of the next working day, chaired by the
    initiator, with everyone involved invited and the risk, its response
    plan and the decisions to take on the agenda. Raises ValueError for a
    risk already triggered or closed.
    """
    collab = risk.collaboration
    check_open(collab)
    if risk.status != RiskStatus.WATCHING:
        raise ValueError("the risk is not being watched")
    with audited(Risk.objects.get(pk=risk.pk), actor=actor, collaboration=collab):
        risk.status, risk.triggered_at = RiskStatus.TRIGGERED, at
        risk.save(update_fields=["status", "triggered_at"])
    meeting = Meeting.objects.create(
        collaboration=collab,
        kind=MeetingKind.ADHOC,
        title=_("风险专项沟通会:%(risk)s") % {"risk": risk.description[:80]},
        scheduled_at=risk_meeting_slot(at),
        chair=collab.owner,
    )
    meeting.attendees.set(default_attendees(collab))
    add_agenda(
        meeting,
        [
            _("风险情况通报:%(risk)s") % {"risk": risk.description[:150]},
            _("风险应对方案:%(plan)s") % {"plan": (risk.response_plan or "—")[:150]},
            _("确定应对措施、责任部门与时间节点"),
        ],
    )
    bump_version(collab)
    return meeting


@transaction.atomic
def do_close_risk(risk: Risk, *, actor: Person | None = None) -> Risk:
    check_open(risk.collaboration)
    with audited(Risk.objects.get(pk=risk.pk), actor=actor, collaboration=risk.collaboration):
        risk.status = RiskStatus.CLOSED
        risk.save(update_fields=["status"])
    bump_version(risk.collaboration)
    return risk


class AllocationRefused(ValueError):
    """The allocation is not allowed as given (``field`` names the input at fault); nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class AllocationInput:
    resource: str
    from_department: Department
    to_department: Department
    rule: str = ""
    responsibility: str = ""
    return_date: date | None = None

    def __post_init__(self) -> None:
        """Raise ``AllocationRefused`` for a nameless resource or a department lending to itself."""
        check_input(self, Allocation)
        if not self.resource.strip():
            raise AllocationRefused("resource", _("请填写资源"))
        if self.from_department.pk == self.to_department.pk:
            raise AllocationRefused("to_department", _("提供部门与使用部门不能相同"))


@transaction.atomic
def do_save_allocation(
    collab: Collaboration,
    data: AllocationInput,
    *,
    allocation: Allocation | None = None,
    actor: Person | None = None,
) -> Allocation:
    check_open(collab)
    values = {
        "resource": data.resource.strip(),
        "from_department": data.from_department,
        "to_department": data.to_department,
        "rule": data.rule.strip(),
        "responsibility": data.responsibility.strip(),
        "return_date": data.return_date,
    }
    allocation = save_row(allocation, Allocation, collab, values, actor=actor)
    bump_version(collab)
    return allocation


@transaction.atomic
def do_mark_returned(
    allocation: Allocation, at: datetime | None, *, actor: Person | None = None
) -> Allocation:
    """Record that the resource came back at ``at`` (None: not returned after all)."""
    check_open(allocation.collaboration)
    allocation = save_row(allocation, Allocation, allocation.collaboration, {"returned_at": at}, actor=actor)
    bump_version(allocation.collaboration)
    return allocation


def allocation_state(allocation: Allocation, today: date, remind_days: int = 3) -> str:
    """Return "returned", "overdue" (past its return date), "due_soon" (within ``remind_days``) or "lent"."""
    if allocation.returned_at is not None:
        return "returned"
    if allocation.return_date is None:
        return "lent"
    if allocation.return_date < today:
        return "overdue"
    if allocation.return_date - today <= timedelta(days=remind_days):
        return "due_soon"
    return "lent"


@transaction.atomic
def do_save_milestone(
    collab: Collaboration,
    name: str,
    due_date: date,
    *,
    milestone: Milestone | None = None,
    actor: Person | None = None,
) -> Milestone:
    check_values(Milestone, [("name", name), ("due_date", due_date)])
    check_open(collab)
    if not name.strip():
        raise ValueError("a milestone has a name")
    milestone = save_row(
        milestone, Milestone, collab, {"name": name.strip(), "due_date": due_date}, actor=actor
    )
    bump_version(collab)
    return milestone


@transaction.atomic
def do_complete_milestone(
    milestone: Milestone, at: datetime | None, *, actor: Person | None = None
) -> Milestone:
    check_open(milestone.collaboration)
    milestone = save_row(milestone, Milestone, milestone.collaboration, {"done_at": at}, actor=actor)
    bump_version(milestone.collaboration)
    return milestone


@transaction.atomic
def do_set_process_fields(
    collab: Collaboration,
    process_owner: Department | None,
    optimisation_target: str,
    *,
    actor: Person | None = None,
) -> Collaboration:
    """Set a process optimisation's owning department (流程归属部门) and optimisation target (优化目标)."""
    check_open(collab)
    with audited(Collaboration.objects.get(pk=collab.pk), actor=actor, collaboration=collab) as box:
        collab.process_owner, collab.optimisation_target = process_owner, optimisation_target.strip()
        collab.save(update_fields=["process_owner", "optimisation_target", "updated_at"])
        box["obj"] = collab
    bump_version(collab)
    return collab


@transaction.atomic
def do_delete_allocation(allocation: Allocation, *, actor: Person | None = None) -> None:
    check_open(allocation.collaboration)
    delete_row(allocation, allocation.collaboration, actor=actor)


@transaction.atomic
def do_delete_milestone(milestone: Milestone, *, actor: Person | None = None) -> None:
    check_open(milestone.collaboration)
    delete_row(milestone, milestone.collaboration, actor=actor)
