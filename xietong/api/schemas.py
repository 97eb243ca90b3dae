"""What the API reads and writes: one schema per object, in and out.

Numbers go out as JSON numbers; dates as ``YYYY-MM-DD``; a department or a
person inside another object as ``{"id", "name"}``. Every editable object
carries a ``version``: a task its own, the rest (goal, departments,
sub-goals) the collaboration's, which every write to it or its rows bumps.
Text that a database could not store (NUL characters, lengths beyond a
column) is refused with 422 before any write.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from xietong.collabs.models import TaskStatus
from xietong.lib.limits import check_date
from xietong.tracking.models import IssueStatus, Level, RiskStatus
from xietong.tracking.sla import CheckState, ClockState


def _storable(value: str) -> str:
    """Refuse NUL characters: PostgreSQL cannot store them."""
    if "\x00" in value:
        raise ValueError(_("不能包含空字符 (NUL)"))
    return value


_Storable = AfterValidator(_storable)


def _limit(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Name = Annotated[str, _limit(100, 1), _Storable]  # a department or a person, as people write it
OptionalName = Annotated[str, _limit(100), _Storable]
Title = Annotated[str, _limit(200, 1), _Storable]
MetricName = Annotated[str, _limit(200, 1), _Storable]
Unit = Annotated[str, _limit(40), _Storable]
Line = Annotated[str, _limit(500), _Storable]  # a reason, a note, a blocked reason
Trigger = Annotated[str, _limit(200), _Storable]
Rule = Annotated[str, _limit(500), _Storable]
Description = Annotated[str, _limit(1000, 1), _Storable]
Text = Annotated[str, _limit(20_000), _Storable]  # background, a statement, duties, a standard
RequiredText = Annotated[str, _limit(20_000, 1), _Storable]
SearchText = Annotated[str, _limit(100), _Storable]  # a search or filter value in the query string
# A date a person enters: within the window of ``xietong.lib.limits`` (2000-01-01 to 20 years ahead).
Day = Annotated[date, AfterValidator(check_date)]
# Decimal columns are numeric(20, 4): refuse what they cannot hold.
Amount = Annotated[Decimal, Field(max_digits=20, decimal_places=4, allow_inf_nan=False)]
# A department named by its id (a number) or its name; a metric likewise.
DepartmentKey = int | Name
MetricKey = int | MetricName


# --- errors


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in the active language")


class ProblemOut(Schema):
    path: str = Field(description="Where: a charter path such as tasks[1].deadline, or body.version")
    reason: str


class InvalidOut(Schema):
    """422: the request was understood but is not acceptable; nothing was written."""

    detail: str
    path: str
    problems: list[ProblemOut]


# --- references


class DepartmentRef(Schema):
    id: int
    name: str


class PersonRef(Schema):
    id: int
    name: str


class MetricRef(Schema):
    id: int
    name: str


# --- the organisation


PersonSourceName = Literal["local", "ldap", "wecom", "dingtalk", "feishu", "oidc"]


class PersonOut(Schema):
    id: int
    username: str
    name: str
    department: DepartmentRef | None
    employee_number: str = Field(description="Empty when the person has none")
    source: PersonSourceName = Field(description="Where the account comes from")
    is_active: bool = Field(description="False: deactivated, cannot sign in")
    email: str | None = Field(
        description="Only for staff who manage people and the person themself; null for anyone else"
    )
    phone: str | None = Field(
        description="Mobile: only for staff who manage people and the person themself; null for anyone else"
    )


class PersonPatch(Schema):
    name: OptionalName | None = Field(None, description="The display name (姓名)")
    email: Annotated[str, _limit(254), _Storable] | None = None
    phone: Annotated[str, _limit(40), _Storable] | None = Field(None, description="Mobile (手机)")
    department: DepartmentKey | None = Field(None, description="Department id or name; must exist")
    no_department: bool = Field(False, description="True: the person belongs to no department")
    employee_number: Annotated[str, _limit(40), _Storable] | None = Field(
        None, description="Employee number (工号); empty clears it; unique when set"
    )


class DeactivateIn(Schema):
    reason: Annotated[str, _limit(500, 1), _Storable] = Field(description="Why (kept in the history)")


class ReactivateIn(Schema):
    reason: Annotated[str, _limit(500), _Storable] = ""


class MeOut(PersonOut):
    language: str = Field(description="The saved interface language; empty: the site default")
    is_admin: bool


class DepartmentOut(Schema):
    id: int
    name: str
    head: PersonRef | None
    parent_id: int | None = Field(description="The department above it in the tree; null at the top")
    source: str = Field(
        description="Where it comes from: local, or the directory that syncs it (ldap, wecom …)"
    )
    external_id: str = Field(description="The directory's own id; empty for a local department")


class HeadProposalRef(Schema):
    id: int
    person: PersonRef
    detail: str = Field(description="What the proposal waits for, in the caller's language")


class HeadProposalOut(Schema):
    id: int
    department: DepartmentRef
    person: PersonRef
    current_head: PersonRef | None = Field(description="The department's head now")
    proposed_by: PersonRef | None
    collaboration: str = Field(description="Title of the collaboration it was proposed in")
    created_at: datetime
    state: Literal["pending", "confirmed", "rejected"]
    decided_by: PersonRef | None
    decided_at: datetime | None


class HeadNamedOut(Schema):
    department: str
    person: str


class OrgChangesOut(Schema):
    departments_created: list[str]
    people_created: list[str]
    heads_proposed: list[HeadNamedOut] = Field(description="Waiting for staff who manage people to confirm")


class HeadProposalConflictOut(Schema):
    detail: str
    current: HeadProposalOut


class InvitationIn(Schema):
    name: Name = Field(description="The display name (姓名)")
    email: Annotated[str, _limit(254), _Storable] = Field("", description="E-mail: the invitation is mailed")
    phone: Annotated[str, _limit(40), _Storable] = Field(
        "", description="Mobile (手机); e-mail or mobile required"
    )
    department: DepartmentKey | None = Field(None, description="Department id or name; must exist")


class InvitationOut(Schema):
    id: int
    person: PersonOut
    created_by: PersonRef | None
    created_at: datetime
    expires_at: datetime
    sent_at: datetime | None = Field(
        description="When the mail was sent; null: not mailed (no e-mail, or it failed)"
    )
    accepted_at: datetime | None
    revoked_at: datetime | None
    state: Literal["pending", "accepted", "revoked", "expired"] = Field(
        description="expired is derived from expires_at"
    )


class InvitationIssuedOut(InvitationOut):
    link: str = Field(description="The one-time link, answered only now: never again")
    mailed: Literal["sent", "failed", "none"] = Field(
        description="sent; failed: the mail server refused or was unreachable; none: no e-mail"
    )


class InvitationConflictOut(Schema):
    detail: str
    current: InvitationOut


# --- tokens


class TokenIn(Schema):
    name: Name = Field(description='A name to recognise it by, e.g. "weekly report script"')


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The xt_<prefix>_ start of the token, to tell tokens apart; not a secret")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The whole token, shown this once: the server keeps only its SHA-256")


# --- collaborations


class CollaborationOut(Schema):
    slug: str
    title: str
    type: str = Field(
        description="project | problem_solving | resource_coordination | process_optimization, or empty"
    )
    phase: str
    visibility: str
    initiator_department: DepartmentRef | None
    owner: PersonRef | None
    score: int = Field(description="Health score 0-100, as on the pages and in `xietong check`")
    errors: int
    warnings: int
    version: int
    created_at: datetime
    updated_at: datetime


class CollaborationDetailOut(CollaborationOut):
    background: str
    expected_outcome: str
    roles: list[str] = Field(description="The caller's roles in this collaboration")


class FindingOut(Schema):
    rule: str
    severity: Literal["error", "warning", "info"]
    message: str
    object: str = Field(description="Path of the object the finding points at, e.g. tasks[3]")


class FindingsOut(Schema):
    today: date
    score: int
    findings: list[FindingOut]


class HistoryEntryOut(Schema):
    at: datetime
    actor: PersonRef | None
    change: Literal["create", "update", "delete"]
    object_type: str = Field(description="e.g. collabs.task")
    object_id: str
    object_repr: str
    before: dict[str, Any] | None = Field(
        description="Changed fields before (an update), the whole object (a deletion)"
    )
    after: dict[str, Any] | None
    reason: str


# --- goal and metrics


class MetricOut(Schema):
    id: int
    name: str
    unit: str
    baseline: float | None
    target: float | None
    direction: str = Field(description="increase | decrease | reach, or empty")
    scale_max: float | None


class GoalOut(Schema):
    version: int = Field(description="The collaboration's version: send it back with PUT")
    title: str
    background: str
    expected_outcome: str
    statement: str
    deadline: date | None
    achievable_reason: str
    relevant_reason: str
    metrics: list[MetricOut]


class MetricIn(Schema):
    id: int | None = Field(None, description="Id of an existing metric; none for a new one")
    name: MetricName
    unit: Unit = ""
    baseline: Amount | None = None
    target: Amount | None = None
    direction: Literal["increase", "decrease", "reach", ""] = ""
    scale_max: Amount | None = None


class GoalIn(Schema):
    version: int = Field(description="The collaboration's version you read; 409 when it has moved on")
    title: Title
    background: Text = ""
    expected_outcome: Text = ""
    statement: Text = ""
    deadline: Day | None = None
    achievable_reason: Text = ""
    relevant_reason: Text = ""
    metrics: list[MetricIn] = Field(description="Every metric: existing metrics not listed are removed")
    reason: Line = Field("", description="Why: recorded in the change history")


class GoalConflictOut(Schema):
    detail: str
    current: GoalOut


class ReadingOut(Schema):
    measured_on: date
    value: float
    note: str


class MetricReadingsOut(MetricOut):
    readings: list[ReadingOut]


class ReadingIn(Schema):
    measured_on: Day
    value: Amount
    note: Line = ""


# --- participating departments


class ParticipantOut(Schema):
    id: int
    department: DepartmentRef
    liaison: PersonRef | None
    head: PersonRef | None
    head_proposals: list[HeadProposalRef] = Field(
        default_factory=list,
        description="People proposed as the department's head, waiting for staff who manage people",
    )
    duties: str
    role: Literal["lead", "support"]
    version: int = Field(description="The collaboration's version")


class ParticipantIn(Schema):
    department: Name = Field(description="Department name; a department not yet known is created")
    liaison: OptionalName = Field(
        "",
        description="Liaison by exact login or name of one active person (422 when nobody or several match)",
    )
    liaison_id: int | None = Field(None, description="Liaison by person id (wins over `liaison`)")
    duties: Text = ""
    role: Literal["lead", "support"] = "support"


class ParticipantPatch(Schema):
    version: int | None = Field(
        None, description="The collaboration's version you read; when given and stale, 409"
    )
    liaison: OptionalName | None = Field(
        None,
        description="Liaison by exact login or name of one active person (422 when nobody or several "
        "match; an account is never created); empty clears it",
    )
    liaison_id: int | None = Field(None, description="Liaison by person id (wins over `liaison`)")
    duties: Text | None = None
    role: Literal["lead", "support"] | None = None
    head: OptionalName | None = Field(
        None,
        description="Propose a department head by exact login or name of one active person: it waits for "
        "staff who manage people (`head_proposals`), the head itself is organisation data",
    )
    head_id: int | None = Field(None, description="Propose a department head by person id (wins over `head`)")


class ParticipantConflictOut(Schema):
    detail: str
    current: ParticipantOut


# --- tasks (the responsibility table)


class TaskOut(Schema):
    id: int
    collaboration: str = Field(description="The collaboration's slug")
    position: int
    description: str
    department: DepartmentRef | None
    standard: str
    deadline: date | None
    collaborators: list[DepartmentRef]
    status: TaskStatus
    percent: int
    blocked_reason: str
    blocked_since: datetime | None
    overdue: bool = Field(description="Past its deadline and not done (derived for today, never stored)")
    assignee: PersonRef | None = Field(
        None, description="The person of the responsible department doing it (执行人)"
    )
    watchers: list[PersonRef] = Field([], description="People watching the row (关注人)")
    version: int = Field(description="This row's version: send it back with PATCH")
    updated_at: datetime


class TaskIn(Schema):
    description: RequiredText
    department: DepartmentKey | None = Field(
        None, description="Responsible department: id or name of a participating department"
    )
    standard: Text = ""
    deadline: Day | None = None
    collaborators: list[DepartmentKey] = Field(
        [], description="Collaborating departments: ids or names of participating departments"
    )
    status: TaskStatus = TaskStatus.NOT_STARTED
    blocked_reason: Line = ""
    assignee_id: int | None = Field(
        None,
        description="执行人: the id of a person of the responsible department (its members, head, liaison)",
    )
    reason: Line = Field("", description="Why: recorded in the change history")


class TaskPatch(Schema):
    version: int = Field(description="This row's version you read; 409 when it has moved on")
    description: RequiredText | None = None
    department: DepartmentKey | None = None
    standard: Text | None = None
    deadline: Day | None = None
    collaborators: list[DepartmentKey] | None = None
    status: TaskStatus | None = None
    blocked_reason: Line | None = None
    assignee_id: int | None = Field(
        None, description="执行人: a person of the responsible department; null gives the row to nobody"
    )
    reason: Line = ""


class TaskConflictOut(Schema):
    detail: str
    current: TaskOut


# --- sub-goals


class TimeLimitOut(Schema):
    kind: Literal["fixed", "recurring", "sla"]
    date: dt.date | None
    rrule: str
    hours: float | None
    trigger: str


class SubGoalOut(Schema):
    id: int
    position: int
    description: str
    department: DepartmentRef | None
    metric: MetricRef | None
    target: float | None
    unit: str
    time_limit: TimeLimitOut | None
    version: int = Field(description="The collaboration's version")


class TimeLimitIn(Schema):
    kind: Literal["fixed", "recurring", "sla"]
    date: Day | None = Field(None, description="fixed: the date")
    rrule: Rule = Field("", description="recurring: an RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=FR")
    hours: Amount | None = Field(None, description="sla: hours after the trigger, more than 0")
    trigger: Trigger = Field("", description="sla: the trigger")


class SubGoalIn(Schema):
    description: Description
    department: DepartmentKey | None = None
    metric: MetricKey | None = Field(None, description="The goal metric it supports: id or name")
    target: Amount | None = None
    unit: Unit = ""
    time_limit: TimeLimitIn | None = None


class SubGoalPatch(Schema):
    version: int | None = Field(
        None, description="The collaboration's version you read; when given and stale, 409"
    )
    description: Description | None = None
    department: DepartmentKey | None = None
    metric: MetricKey | None = None
    target: Amount | None = None
    unit: Unit | None = None
    time_limit: TimeLimitIn | None = None


class SubGoalConflictOut(Schema):
    detail: str
    current: SubGoalOut


# --- meetings (step 3) and the regular meetings of the communication plan (step 6)


def _moment(value: datetime) -> datetime:
    """Accept a time within the date window; one without an offset is read in the site's time zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=timezone.get_default_timezone())
    return check_date(value)


def _local(value: datetime) -> datetime:
    """Give a stored moment in the site's time zone: a meeting at 10:00 reads 10:00+08:00."""
    return timezone.localtime(value) if value.tzinfo is not None else value


# A moment such as 2024-07-08T10:00:00+08:00; without an offset, the site's local time.
Moment = Annotated[datetime, AfterValidator(_moment)]
# A moment answered in the site's time zone.
LocalTime = Annotated[datetime, AfterValidator(_local)]
Place = Annotated[str, _limit(200), _Storable]
Minutes = Annotated[int, Field(ge=5, le=24 * 60)]
MinutesStateCode = Literal["draft", "issued", "reopened", "confirmed"]


class AgendaItemOut(Schema):
    id: int
    position: int
    title: str
    notes: str


class AgendaItemIn(Schema):
    title: Title
    notes: Text = ""


class MaterialOut(Schema):
    """A file sent with the agenda: its description only (the file itself is on the meeting's page)."""

    id: int
    name: str
    size: int = Field(description="Bytes")
    content_type: str
    uploaded_at: LocalTime
    uploaded_by: PersonRef | None


class ContributionOut(Schema):
    id: int
    position: int
    kind: Literal["offer", "need"] = Field(description="offer: support it can give; need: what it needs")
    department: DepartmentRef
    counterpart: DepartmentRef | None = Field(description="For a need: the department asked")
    text: str
    task: int | None = Field(description="Id of the task the need became, if any")
    subgoal: int | None = Field(description="Id of the sub-goal the need became, if any")


class ContributionIn(Schema):
    kind: Literal["offer", "need"]
    department: DepartmentKey = Field(description="The department that offers or needs: id or name")
    text: RequiredText
    counterpart: DepartmentKey | None = Field(None, description="For a need: the department asked")


class MinutesItemOut(Schema):
    id: int
    position: int
    kind: Literal["decision", "action", "issue"]
    text: str
    department: DepartmentRef | None = Field(description="An action item's owner")
    standard: str
    deadline: date | None
    task: int | None = Field(description="An action item's row of the responsibility table")
    resolved: bool = Field(description="An open issue settled since")


class MinutesItemIn(Schema):
    kind: Literal["decision", "action", "issue"]
    text: RequiredText
    department: DepartmentKey | None = Field(
        None, description="Responsible department (required for an action item): id or name"
    )
    standard: Text = Field("", description="Delivery standard (required for an action item)")
    deadline: Day | None = Field(None, description="Deadline (required for an action item)")


class ResolveIn(Schema):
    resolved: bool = True


class MinutesSummaryIn(Schema):
    summary: Text


class ConfirmationOut(Schema):
    department: DepartmentRef
    confirmed_at: LocalTime
    confirmed_by: PersonRef | None
    proxy_by: PersonRef | None = Field(
        None, description="代确认: who recorded this confirmation for the head (null: the head's own)"
    )
    proxy_reason: str = Field("", description="Why it was confirmed by proxy, e.g. confirmed by phone")


class RevisionOut(Schema):
    number: int
    issued_at: LocalTime
    issued_by: PersonRef | None
    content: dict[str, Any] = Field(description="The minutes as issued: summary, attendees, items")
    confirmations: list[ConfirmationOut]


class CorrectionOut(Schema):
    id: int
    revision: int
    department: DepartmentRef
    requested_by: PersonRef | None
    comment: str
    requested_at: LocalTime


class MinutesStatusOut(Schema):
    state: MinutesStateCode = Field(
        description="draft (never issued), issued (waiting for confirmations), "
        "reopened (a correction was asked for), confirmed (locked and archived)"
    )
    revision: int = Field(description="The current revision; 0 before the first issue")
    issued_at: LocalTime | None = Field(description="The first issue (rule K03 judges it)")
    reopened_at: LocalTime | None
    locked_at: LocalTime | None


class MinutesOut(MinutesStatusOut):
    summary: str
    items: list[MinutesItemOut]
    confirmations: list[ConfirmationOut] = Field(description="Of the current revision")
    awaiting: list[DepartmentRef] = Field(
        description="Participating departments whose head has not confirmed the issued revision (K04)"
    )
    revisions: list[RevisionOut]
    corrections: list[CorrectionOut]


class MeetingOut(Schema):
    id: int
    kind: Literal["kickoff", "recurring", "adhoc"]
    title: str
    scheduled_at: LocalTime | None
    duration_minutes: int
    location: str
    chair: PersonRef | None
    attendees: list[PersonRef]
    series: int | None = Field(description="A regular meeting's row of the communication plan")
    agenda_sent_at: LocalTime | None = Field(description="The first sending (rule K02 judges it)")
    agenda_sent_to: list[str]
    cancelled_at: LocalTime | None = Field(description="When the meeting was cancelled (取消会议)")
    cancel_reason: str
    minutes: MinutesStatusOut


class MeetingDetailOut(MeetingOut):
    agenda: list[AgendaItemOut]
    materials: list[MaterialOut]
    contributions: list[ContributionOut]
    minutes: MinutesOut


class KickoffIn(Schema):
    scheduled_at: Moment
    location: Place | None = Field(None, description="Left as it is when not given")
    duration_minutes: Minutes | None = Field(None, description="5 to 1440; 60 for a new kickoff")


class SendAgendaIn(Schema):
    confirm_late: bool = Field(
        False, description="Send even though fewer than 72 hours remain before the meeting (K02)"
    )


class CancelMeetingIn(Schema):
    reason: Annotated[str, _limit(500, 1), _Storable] = Field(
        description="Why the meeting is cancelled (told to the invitees)"
    )


class DepartmentResponseIn(Schema):
    department: DepartmentKey = Field(description="The participating department you answer for: id or name")


class CorrectionIn(DepartmentResponseIn):
    comment: RequiredText = Field(description="What is wrong in the minutes")


class ProxyConfirmIn(DepartmentResponseIn):
    reason: Annotated[str, _limit(200, 1), _Storable] = Field(
        description="Why the head's confirmation is recorded for them (代确认), e.g. 已电话确认; at most 200 characters"
    )


class OccurrenceIn(Schema):
    at: Moment = Field(description="When the occurrence takes place (after any move for a holiday)")


class OccurrenceOut(Schema):
    planned: LocalTime = Field(description="When the plan's rule puts it")
    at: LocalTime | None = Field(description="When it takes place; null: cancelled for a day off")
    moved: bool
    meeting: int | None = Field(description="The stored meeting, once opened")


# --- step 7's registers: api/issues.py, risks.py, sla.py, allocations.py, milestones.py

# Why an SLA request's clock is paused.
Reason = Annotated[str, Field(min_length=1, max_length=200)]


class MeetingRef(Schema):
    id: int
    title: str
    scheduled_at: LocalTime | None


# --- step 7: the issue log (问题跟踪表)


class IssueFilters(Schema):
    status: IssueStatus | None = None
    overdue: bool | None = None


class IssueOut(Schema):
    id: int
    collaboration: str
    position: int
    title: str
    raised_by: DepartmentRef | None
    owner: DepartmentRef | None
    decision_needed: str
    decided_in: MeetingRef | None = Field(description="The meeting that decided it")
    resolution: str
    due_date: date | None
    status: IssueStatus
    overdue: bool = Field(description="Past its due date and not closed, as of today")
    version: int = Field(description="The collaboration's version: send it back with a PATCH")


class IssueIn(Schema):
    title: Description
    raised_by: DepartmentKey | None = Field(None, description="A participating department (id or name)")
    owner: DepartmentKey | None = Field(None, description="A participating department (id or name)")
    decision_needed: Text = ""
    decided_in: int | None = Field(None, description="The id of a meeting of this collaboration")
    resolution: Text = ""
    due_date: Day | None = None
    status: IssueStatus = IssueStatus.OPEN


class IssuePatch(Schema):
    version: int
    title: Description | None = None
    raised_by: DepartmentKey | None = None
    owner: DepartmentKey | None = None
    decision_needed: Text | None = None
    decided_in: int | None = None
    resolution: Text | None = None
    due_date: Day | None = None
    status: IssueStatus | None = None


class IssueConflictOut(Schema):
    detail: str
    current: IssueOut


# --- step 7: the risk register


class RiskOut(Schema):
    id: int
    collaboration: str
    position: int
    description: str
    probability: Level
    impact: Level
    score: int = Field(description="Probability × impact, 1 (low × low) to 9 (high × high)")
    level: Level = Field(description="high from 6, medium from 3, else low")
    owner: DepartmentRef | None
    response_plan: str = Field(description="风险应对方案")
    trigger: str = Field(description="What calls an ad-hoc risk meeting when it happens")
    status: RiskStatus
    triggered_at: LocalTime | None
    meeting: int | None = Field(description="The ad-hoc risk meeting the trigger called")
    version: int


class RiskIn(Schema):
    description: Description
    probability: Level = Level.MEDIUM
    impact: Level = Level.MEDIUM
    owner: DepartmentKey | None = None
    response_plan: Text = ""
    trigger: Line = ""


class RiskPatch(Schema):
    version: int
    description: Description | None = None
    probability: Level | None = None
    impact: Level | None = None
    owner: DepartmentKey | None = None
    response_plan: Text | None = None
    trigger: Line | None = None


class RiskConflictOut(Schema):
    detail: str
    current: RiskOut


class TriggeredOut(Schema):
    risk: RiskOut
    meeting: MeetingRef
    url: str = Field(description="The meeting's page")


# --- step 7: SLA requests and their clocks


class PauseOut(Schema):
    started_at: LocalTime
    ended_at: LocalTime | None
    reason: str


class ClockOut(Schema):
    state: ClockState = Field(description="running, at_risk (80 % used), paused, breached, met or late")
    used_hours: float
    budget_hours: float
    deadline: LocalTime = Field(description="When the budget runs out (if it resumed now, when paused)")
    compliant: bool | None = Field(
        description="Decided: met (true) or late / breached (false); null while open"
    )


class SlaRequestOut(Schema):
    id: int
    subgoal: int
    subgoal_description: str
    department: DepartmentRef | None = Field(description="The asked department (the sub-goal's)")
    requester: DepartmentRef | None
    subject: str
    started_at: LocalTime
    answered_at: LocalTime | None
    answer: str
    clock_kind: Literal["calendar", "working"]
    pauses: list[PauseOut]
    clock: ClockOut


class SlaRequestIn(Schema):
    subgoal: int = Field(description="An SLA sub-goal of this collaboration")
    requester: DepartmentKey = Field(description="The requesting department (id or name)")
    subject: Description
    at: Moment | None = Field(None, description="When the request was made; default now")


class PauseIn(Schema):
    reason: Reason
    at: Moment | None = None


class ResumeIn(Schema):
    at: Moment | None = None


class AnswerIn(Schema):
    answer: Text
    at: Moment | None = None


# --- step 7: recurring sub-goals and compliance


class SubGoalOccurrenceOut(Schema):
    subgoal: int
    department: str
    due_at: LocalTime
    done_at: LocalTime | None
    state: CheckState = Field(description="met, missed or pending")


class CheckIn(Schema):
    due_at: Moment = Field(description="The occurrence's due time, as listed by GET …/occurrences")
    done: bool = Field(True, description="false: not done after all (undo)")
    done_at: Moment | None = Field(None, description="When it was done; default now")
    note: Line = ""


class RateOut(Schema):
    met: int
    decided: int
    share: float | None = Field(description="met / decided, 0 to 1")


class ComplianceRowOut(Schema):
    department: str
    kind: Literal["sla", "recurring"]
    weeks: dict[str, RateOut | None] = Field(description="By ISO week (2024-W32); null: nothing decided")
    total: RateOut | None = Field(description="Over the weeks shown")


class ComplianceOut(Schema):
    weeks: list[str]
    rows: list[ComplianceRowOut]


# --- step 7: allocations (资源协调型) and rollout milestones (流程优化型)


class AllocationOut(Schema):
    id: int
    collaboration: str
    position: int
    resource: str
    from_department: DepartmentRef
    to_department: DepartmentRef
    rule: str
    responsibility: str
    return_date: date | None
    returned_at: LocalTime | None
    state: Literal["lent", "due_soon", "overdue", "returned"] = Field(
        description="due_soon: within 3 days of the return date; overdue: past it and not returned"
    )
    version: int


class AllocationIn(Schema):
    resource: Title
    from_department: DepartmentKey
    to_department: DepartmentKey
    rule: Text = ""
    responsibility: Text = ""
    return_date: Day | None = None


class AllocationPatch(Schema):
    version: int
    resource: Title | None = None
    from_department: DepartmentKey | None = None
    to_department: DepartmentKey | None = None
    rule: Text | None = None
    responsibility: Text | None = None
    return_date: Day | None = None
    returned: bool | None = Field(None, description="true: returned now; false: not returned")


class AllocationConflictOut(Schema):
    detail: str
    current: AllocationOut


class MilestoneOut(Schema):
    id: int
    collaboration: str
    position: int
    name: str
    due_date: date
    done_at: LocalTime | None
    late: bool = Field(description="Done after its date, or not done and past it")
    version: int


class MilestoneIn(Schema):
    name: Title
    due_date: Day


class MilestonePatch(Schema):
    version: int
    name: Title | None = None
    due_date: Day | None = None
    done: bool | None = Field(None, description="true: done now; false: not done")


class MilestoneConflictOut(Schema):
    detail: str
    current: MilestoneOut
