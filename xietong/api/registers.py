"""Step 7's registers over the API: issue log, risks, SLA requests, recurring occurrences,
compliance, allocations and rollout milestones (docs/registers.md).

Who may do what is the pages' rule, asked of the same access layer: an
issue or a risk is written by the initiator (and administrators) or by the
liaison / head of a department the row names, and must still name one of
their departments after the change; an SLA request is opened by the
requesting department's people and paused, resumed and answered by the
asked department's (the sub-goal's); an occurrence of a recurring sub-goal
is recorded by the sub-goal's department; allocations and milestones are
the initiator's. Rows carry the collaboration's ``version``: a PATCH with
a stale one is refused with 409 and the row as it is now.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration, find_department, participating
from xietong.api.errors import INVALID, NOT_FOUND, STALE_ROW, Conflict, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import (
    Day,
    DepartmentKey,
    DepartmentRef,
    Description,
    Line,
    LocalTime,
    Moment,
    Text,
    Title,
)
from xietong.collabs.access import Access, access_for
from xietong.collabs.actions.common import VersionConflict, check_version
from xietong.collabs.models import Collaboration, CollabType, DeadlineKind, SubGoal
from xietong.meetings.models import Meeting
from xietong.orgs.models import Department
from xietong.orgs.roles import Action
from xietong.rules.clock import context_for
from xietong.tracking.actions.registers import (
    AllocationInput,
    IssueInput,
    RiskInput,
    allocation_state,
    do_close_risk,
    do_complete_milestone,
    do_delete_allocation,
    do_delete_issue,
    do_delete_milestone,
    do_mark_returned,
    do_save_allocation,
    do_save_issue,
    do_save_milestone,
    do_save_risk,
    do_trigger_risk,
)
from xietong.tracking.actions.sla import (
    do_answer_sla,
    do_open_sla_request,
    do_pause_sla,
    do_record_check,
    do_resume_sla,
)
from xietong.tracking.boards import RequestView, SlaBoard, board_for, risk_level, risk_meetings
from xietong.tracking.models import (
    Allocation,
    IssueEntry,
    IssueStatus,
    Level,
    Milestone,
    Risk,
    RiskStatus,
    SlaPause,
    SlaRequest,
)
from xietong.tracking.sla import CheckState, ClockState, Rate

router = Router(tags=["registers"])


Reason = Annotated[str, Field(min_length=1, max_length=200)]


def _ref(d: Department | None) -> DepartmentRef | None:
    return DepartmentRef(id=d.pk, name=d.name) if d is not None else None


def _may_write_for(access: Access, *department_ids: int | None) -> bool:
    if access.can(Action.EDIT_COLLABORATION):
        return True
    return any(access.can(Action.EDIT_DEPARTMENT_ROWS, d) for d in department_ids if d is not None)


def _department(
    key: DepartmentKey | None, departments: dict[int, Department], path: str
) -> Department | None:
    return None if key is None else find_department(key, departments, path)


def _now() -> datetime:
    return context_for().now


# --- the issue log (问题跟踪表)


class MeetingRef(Schema):
    id: int
    title: str
    scheduled_at: LocalTime | None


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


def _issues() -> QuerySet[IssueEntry]:
    return IssueEntry.objects.select_related("collaboration", "raised_by", "owner", "decided_in")


def issue_out(issue: IssueEntry, today: date | None = None) -> IssueOut:
    today = today or context_for().today
    m = issue.decided_in
    return IssueOut(
        id=issue.pk,
        collaboration=issue.collaboration.slug,
        position=issue.position,
        title=issue.title,
        raised_by=_ref(issue.raised_by),
        owner=_ref(issue.owner),
        decision_needed=issue.decision_needed,
        decided_in=MeetingRef(id=m.pk, title=m.title, scheduled_at=m.scheduled_at) if m else None,
        resolution=issue.resolution,
        due_date=issue.due_date,
        status=IssueStatus(issue.status),
        overdue=issue.due_date is not None and issue.due_date < today and issue.status != IssueStatus.CLOSED,
        version=issue.collaboration.version,
    )


def _present_issues(rows: list[IssueEntry]) -> list[IssueOut]:
    today = context_for().today
    return [issue_out(i, today) for i in rows]


class IssueFilters(Schema):
    status: IssueStatus | None = None
    overdue: bool | None = None


def _issue_for(request: HttpRequest, issue_id: int) -> tuple[IssueEntry, Access]:
    issue = _issues().filter(pk=issue_id).first()
    if issue is None:
        raise Http404
    access = access_for(caller(request), issue.collaboration)
    if not access.sees_anything:
        raise Http404
    return issue, access


def _issue_input(collab: Collaboration, values: dict[str, Any], current: IssueEntry | None) -> IssueInput:
    departments = participating(collab)
    if current is not None:
        for known in (current.raised_by, current.owner):
            if known is not None:
                departments.setdefault(known.pk, known)

    def pick(name: str, default: Any) -> Any:
        if name in values and (values[name] is not None or name in ("due_date", "decided_in")):
            return values[name]
        return getattr(current, name) if current is not None else default

    raised_by = (
        _department(values.get("raised_by"), departments, "body.raised_by")
        if "raised_by" in values
        else (current.raised_by if current else None)
    )
    owner = (
        _department(values.get("owner"), departments, "body.owner")
        if "owner" in values
        else (current.owner if current else None)
    )
    meeting: Meeting | None
    if "decided_in" in values:
        meeting_id = values["decided_in"]
        meeting = None
        if meeting_id is not None:
            meeting = Meeting.objects.filter(collaboration=collab, pk=meeting_id).first()
            if meeting is None:
                raise Invalid.at("body.decided_in", _("不是本协作的会议"))
    else:
        meeting = current.decided_in if current else None
    status = pick("status", IssueStatus.OPEN)
    resolution = pick("resolution", "")
    if status == IssueStatus.CLOSED and not str(resolution).strip():
        raise Invalid.at("body.resolution", _("关闭问题前请写明解决方案"))
    return IssueInput(
        title=pick("title", ""),
        raised_by=raised_by,
        owner=owner,
        decision_needed=pick("decision_needed", ""),
        decided_in=meeting,
        resolution=resolution,
        due_date=pick("due_date", None),
        status=str(status),
    )


@router.get("/collaborations/{slug}/issues", response=responses({200: list[IssueOut]}, NOT_FOUND, INVALID))
@paginate(Pages, present=_present_issues)
def list_issues(request: HttpRequest, slug: str, filters: Query[IssueFilters]) -> QuerySet[IssueEntry]:
    """The issue log (问题跟踪表) in its order; filters `status`, `overdue=true|false` (as of today)."""
    collab, _access = collaboration(request, slug)
    rows = _issues().filter(collaboration=collab)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.overdue is not None:
        late = rows.filter(due_date__lt=context_for().today).exclude(status=IssueStatus.CLOSED)
        rows = late if filters.overdue else rows.exclude(pk__in=late.values("pk"))
    return rows


@router.post("/collaborations/{slug}/issues", response=responses({201: IssueOut}, NOT_FOUND, INVALID))
def create_issue(request: HttpRequest, slug: str, payload: IssueIn) -> Status[IssueOut]:
    """Log an issue (the initiator, or the liaison / head of its raising or owning department)."""
    collab, access = collaboration(request, slug)
    data = _issue_input(collab, payload.model_dump(), None)
    if not _may_write_for(access, getattr(data.raised_by, "pk", None), getattr(data.owner, "pk", None)):
        raise PermissionDenied
    issue = do_save_issue(collab, data, actor=caller(request))
    return Status(201, issue_out(get_object_or_404(_issues(), pk=issue.pk)))


@router.patch(
    "/issues/{issue_id}", response=responses({200: IssueOut, 409: IssueConflictOut}, NOT_FOUND, INVALID)
)
def update_issue(request: HttpRequest, issue_id: int, payload: IssuePatch) -> IssueOut:
    """Change the fields given; `version` is the collaboration's version you read (409 when stale)."""
    issue, access = _issue_for(request, issue_id)
    if not _may_write_for(access, issue.raised_by_id, issue.owner_id):
        raise PermissionDenied
    values = payload.model_dump(include=payload.model_fields_set - {"version"})
    data = _issue_input(issue.collaboration, values, issue)
    if not _may_write_for(access, getattr(data.raised_by, "pk", None), getattr(data.owner, "pk", None)):
        raise PermissionDenied
    try:
        with transaction.atomic():
            check_version(issue.collaboration, payload.version)
            do_save_issue(issue.collaboration, data, issue=issue, actor=caller(request))
    except VersionConflict:
        raise Conflict(str(STALE_ROW), issue_out(get_object_or_404(_issues(), pk=issue.pk))) from None
    return issue_out(get_object_or_404(_issues(), pk=issue.pk))


@router.delete("/issues/{issue_id}", response=responses({204: None}, NOT_FOUND))
def delete_issue(request: HttpRequest, issue_id: int) -> Status[None]:
    """Delete an issue (the initiator and administrators)."""
    issue, access = _issue_for(request, issue_id)
    if not access.can(Action.EDIT_COLLABORATION):
        raise PermissionDenied
    do_delete_issue(issue, actor=caller(request))
    return Status(204, None)


# --- the risk register


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


def _risks() -> QuerySet[Risk]:
    return Risk.objects.select_related("collaboration", "owner")


def risk_out(risk: Risk, meetings: dict[int, int] | None = None) -> RiskOut:
    if meetings is None:
        meetings = risk_meetings(risk.collaboration, [risk])
    score, level = risk_level(risk.probability, risk.impact)
    return RiskOut(
        id=risk.pk,
        collaboration=risk.collaboration.slug,
        position=risk.position,
        description=risk.description,
        probability=Level(risk.probability),
        impact=Level(risk.impact),
        score=score,
        level=Level(level),
        owner=_ref(risk.owner),
        response_plan=risk.response_plan,
        trigger=risk.trigger,
        status=RiskStatus(risk.status),
        triggered_at=risk.triggered_at,
        meeting=meetings.get(risk.pk),
        version=risk.collaboration.version,
    )


def _present_risks(rows: list[Risk]) -> list[RiskOut]:
    meetings = risk_meetings(rows[0].collaboration, rows) if rows else {}
    return [risk_out(r, meetings) for r in rows]


def _risk_for(request: HttpRequest, risk_id: int, *, write: bool = True) -> tuple[Risk, Access]:
    risk = _risks().filter(pk=risk_id).first()
    if risk is None:
        raise Http404
    access = access_for(caller(request), risk.collaboration)
    if not access.sees_anything:
        raise Http404
    if write and not _may_write_for(access, risk.owner_id):
        raise PermissionDenied
    return risk, access


@router.get("/collaborations/{slug}/risks", response=responses({200: list[RiskOut]}, NOT_FOUND, INVALID))
@paginate(Pages, present=_present_risks)
def list_risks(request: HttpRequest, slug: str, status: RiskStatus | None = None) -> QuerySet[Risk]:
    """The risk register in its order, with each risk's level; filter `status`."""
    collab, _access = collaboration(request, slug)
    rows = _risks().filter(collaboration=collab)
    return rows.filter(status=status) if status else rows


@router.post("/collaborations/{slug}/risks", response=responses({201: RiskOut}, NOT_FOUND, INVALID))
def create_risk(request: HttpRequest, slug: str, payload: RiskIn) -> Status[RiskOut]:
    """Register a risk (the initiator, or the liaison / head of its owning department)."""
    collab, access = collaboration(request, slug)
    owner = _department(payload.owner, participating(collab), "body.owner")
    if not _may_write_for(access, getattr(owner, "pk", None)):
        raise PermissionDenied
    data = RiskInput(
        payload.description,
        payload.probability,
        payload.impact,
        owner=owner,
        response_plan=payload.response_plan,
        trigger=payload.trigger,
    )
    risk = do_save_risk(collab, data, actor=caller(request))
    return Status(201, risk_out(get_object_or_404(_risks(), pk=risk.pk), {}))


@router.patch(
    "/risks/{risk_id}", response=responses({200: RiskOut, 409: RiskConflictOut}, NOT_FOUND, INVALID)
)
def update_risk(request: HttpRequest, risk_id: int, payload: RiskPatch) -> RiskOut:
    """Change the fields given; `version` is the collaboration's version you read (409 when stale)."""
    risk, access = _risk_for(request, risk_id)
    values = payload.model_dump(include=payload.model_fields_set - {"version"})
    departments = participating(risk.collaboration)
    if risk.owner is not None:
        departments.setdefault(risk.owner.pk, risk.owner)
    owner = _department(values.get("owner"), departments, "body.owner") if "owner" in values else risk.owner
    if not _may_write_for(access, getattr(owner, "pk", None)):
        raise PermissionDenied

    def pick(name: str) -> Any:
        value = values.get(name)
        return getattr(risk, name) if value is None else value

    data = RiskInput(
        pick("description"),
        pick("probability"),
        pick("impact"),
        owner=owner,
        response_plan=pick("response_plan"),
        trigger=pick("trigger"),
    )
    try:
        with transaction.atomic():
            check_version(risk.collaboration, payload.version)
            do_save_risk(risk.collaboration, data, risk=risk, actor=caller(request))
    except VersionConflict:
        raise Conflict(str(STALE_ROW), risk_out(get_object_or_404(_risks(), pk=risk.pk))) from None
    return risk_out(get_object_or_404(_risks(), pk=risk.pk))


@router.post("/risks/{risk_id}/trigger", response=responses({201: TriggeredOut}, NOT_FOUND, INVALID))
def trigger_risk(request: HttpRequest, risk_id: int) -> Status[TriggeredOut]:
    """The risk happened: mark it triggered and call the ad-hoc risk meeting (next working day 10:00)."""
    risk, _access = _risk_for(request, risk_id)
    try:
        meeting = do_trigger_risk(risk, _now(), actor=caller(request))
    except ValueError:
        raise Invalid.at("status", _("该风险已触发或已关闭。")) from None
    current = get_object_or_404(_risks(), pk=risk.pk)
    return Status(
        201,
        TriggeredOut(
            risk=risk_out(current, {risk.pk: meeting.pk}),
            meeting=MeetingRef(id=meeting.pk, title=meeting.title, scheduled_at=meeting.scheduled_at),
            url=reverse("meetings:meeting", args=[current.collaboration.slug, meeting.pk]),
        ),
    )


@router.post("/risks/{risk_id}/close", response=responses({200: RiskOut}, NOT_FOUND))
def close_risk(request: HttpRequest, risk_id: int) -> RiskOut:
    """Close a risk (the initiator, or the liaison / head of its owning department)."""
    risk, _access = _risk_for(request, risk_id)
    if risk.status != RiskStatus.CLOSED:
        do_close_risk(risk, actor=caller(request))
    return risk_out(get_object_or_404(_risks(), pk=risk.pk))


# --- SLA requests and their clocks


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


def _requests() -> QuerySet[SlaRequest]:
    return SlaRequest.objects.select_related(
        "collaboration", "subgoal", "subgoal__department", "requester"
    ).prefetch_related("pauses")


def sla_out(request: SlaRequest, now: datetime | None = None) -> SlaRequestOut:
    ctx = context_for()
    now = now or ctx.now
    subgoal = request.subgoal
    board = SlaBoard(request.collaboration, now, ctx.tz)
    view: RequestView = board.request_view(request, subgoal)
    clock = view.clock
    pauses: list[SlaPause] = list(view.pauses)
    return SlaRequestOut(
        id=request.pk,
        subgoal=subgoal.pk,
        subgoal_description=subgoal.description,
        department=_ref(subgoal.department),
        requester=_ref(request.requester),
        subject=request.subject,
        started_at=request.started_at,
        answered_at=request.answered_at,
        answer=request.answer,
        clock_kind="working" if subgoal.sla_clock == "working" else "calendar",
        pauses=[PauseOut(started_at=p.started_at, ended_at=p.ended_at, reason=p.reason) for p in pauses],
        clock=ClockOut(
            state=clock.state,
            used_hours=round(clock.used.total_seconds() / 3600, 2),
            budget_hours=round(clock.budget.total_seconds() / 3600, 2),
            deadline=clock.deadline,
            compliant=clock.compliant,
        ),
    )


def _present_requests(rows: list[SlaRequest]) -> list[SlaRequestOut]:
    now = context_for().now
    return [sla_out(r, now) for r in rows]


def _asked(request: HttpRequest, request_id: int) -> SlaRequest:
    found = _requests().filter(pk=request_id).first()
    if found is None:
        raise Http404
    access = access_for(caller(request), found.collaboration)
    if not access.sees_anything:
        raise Http404
    if not access.can(Action.EDIT_DEPARTMENT_ROWS, found.subgoal.department_id):
        raise PermissionDenied
    return found


def _fresh(found: SlaRequest) -> SlaRequestOut:
    return sla_out(get_object_or_404(_requests(), pk=found.pk))


@router.get(
    "/collaborations/{slug}/sla-requests", response=responses({200: list[SlaRequestOut]}, NOT_FOUND, INVALID)
)
@paginate(Pages, present=_present_requests)
def list_sla_requests(
    request: HttpRequest, slug: str, open: bool | None = None, subgoal: int | None = None
) -> QuerySet[SlaRequest]:
    """Requests between departments with their live clock, newest first; filters `open`, `subgoal`."""
    collab, _access = collaboration(request, slug)
    rows = _requests().filter(collaboration=collab)
    if open is not None:
        rows = rows.filter(answered_at__isnull=open)
    if subgoal is not None:
        rows = rows.filter(subgoal_id=subgoal)
    return rows


@router.post(
    "/collaborations/{slug}/sla-requests", response=responses({201: SlaRequestOut}, NOT_FOUND, INVALID)
)
def open_sla_request(request: HttpRequest, slug: str, payload: SlaRequestIn) -> Status[SlaRequestOut]:
    """Start a request's clock (the requesting department's liaison or head, the initiator)."""
    collab, access = collaboration(request, slug)
    subgoal = SubGoal.objects.filter(
        collaboration=collab, pk=payload.subgoal, deadline_kind=DeadlineKind.SLA
    ).first()
    if subgoal is None or not subgoal.sla_hours:
        raise Invalid.at("body.subgoal", _("不是本协作设有响应时限的子目标"))
    requester = find_department(payload.requester, participating(collab), "body.requester")
    if requester.pk == subgoal.department_id:
        raise Invalid.at("body.requester", _("提出部门不能是被请求的部门"))
    if not access.can(Action.EDIT_DEPARTMENT_ROWS, requester.pk):
        raise PermissionDenied
    at = payload.at or _now()
    if at > _now():
        raise Invalid.at("body.at", _("不能晚于现在"))
    created = do_open_sla_request(subgoal, requester, payload.subject, at, actor=caller(request))
    return Status(201, _fresh(created))


def _when(at: datetime | None) -> datetime:
    now = _now()
    if at is not None and at > now:
        raise Invalid.at("body.at", _("不能晚于现在"))
    return at or now


@router.post("/sla-requests/{request_id}/pause", response=responses({200: SlaRequestOut}, NOT_FOUND, INVALID))
def pause_sla(request: HttpRequest, request_id: int, payload: PauseIn) -> SlaRequestOut:
    """Stop the clock while waiting on the requester (the asked department's liaison or head)."""
    found = _asked(request, request_id)
    try:
        do_pause_sla(found, _when(payload.at), payload.reason, actor=caller(request))
    except ValueError:
        raise Invalid.at("state", _("该请求已答复或已暂停。")) from None
    return _fresh(found)


@router.post(
    "/sla-requests/{request_id}/resume", response=responses({200: SlaRequestOut}, NOT_FOUND, INVALID)
)
def resume_sla(request: HttpRequest, request_id: int, payload: ResumeIn) -> SlaRequestOut:
    found = _asked(request, request_id)
    try:
        do_resume_sla(found, _when(payload.at), actor=caller(request))
    except ValueError:
        raise Invalid.at("state", _("该请求已答复或未暂停。")) from None
    return _fresh(found)


@router.post(
    "/sla-requests/{request_id}/answer", response=responses({200: SlaRequestOut}, NOT_FOUND, INVALID)
)
def answer_sla(request: HttpRequest, request_id: int, payload: AnswerIn) -> SlaRequestOut:
    """Answer: the clock stops (a running pause ends with it)."""
    found = _asked(request, request_id)
    try:
        do_answer_sla(found, _when(payload.at), payload.answer, actor=caller(request))
    except ValueError:
        raise Invalid.at("state", _("该请求已答复。")) from None
    return _fresh(found)


# --- recurring sub-goals and compliance


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


def _rate(rate: Rate | None) -> RateOut | None:
    return None if rate is None else RateOut(met=rate.met, decided=rate.decided, share=rate.share)


@router.get(
    "/collaborations/{slug}/occurrences", response=responses({200: list[SubGoalOccurrenceOut]}, NOT_FOUND)
)
def list_occurrences(request: HttpRequest, slug: str) -> list[SubGoalOccurrenceOut]:
    """Occurrences of the recurring sub-goals in the last two weeks and the next one, judged."""
    collab, _access = collaboration(request, slug)
    ctx = context_for()
    board = board_for(collab, ctx.now, ctx.tz)
    return [
        SubGoalOccurrenceOut(
            subgoal=g.subgoal.pk,
            department=g.subgoal.department.name if g.subgoal.department else "",
            due_at=o.due_at,
            done_at=o.done_at,
            state=o.state,
        )
        for g in board.recurring_goals
        for o in g.occurrences
    ]


@router.post(
    "/collaborations/{slug}/subgoals/{subgoal_id}/checks",
    response=responses({200: SubGoalOccurrenceOut}, NOT_FOUND, INVALID),
)
def record_check(request: HttpRequest, slug: str, subgoal_id: int, payload: CheckIn) -> SubGoalOccurrenceOut:
    """Record an occurrence of a recurring sub-goal done (its department's liaison or head, the initiator)."""
    collab, access = collaboration(request, slug)
    subgoal = (
        SubGoal.objects.filter(collaboration=collab, pk=subgoal_id, deadline_kind=DeadlineKind.RECURRING)
        .select_related("collaboration", "department")
        .first()
    )
    if subgoal is None:
        raise Http404
    if not access.can(Action.EDIT_DEPARTMENT_ROWS, subgoal.department_id):
        raise PermissionDenied
    ctx = context_for()
    board = board_for(collab, ctx.now, ctx.tz)
    if not board.is_due_time(subgoal, payload.due_at):
        raise Invalid.at("body.due_at", _("不是该子目标近期应完成的时间"))
    done_at = _when(payload.done_at) if payload.done else None
    check = do_record_check(subgoal, payload.due_at, done_at, note=payload.note, actor=caller(request))
    if done_at is not None:
        state = CheckState.MET if done_at <= check.due_at else CheckState.MISSED
    else:
        state = CheckState.MISSED if ctx.now > check.due_at else CheckState.PENDING
    return SubGoalOccurrenceOut(
        subgoal=subgoal.pk,
        department=subgoal.department.name if subgoal.department else "",
        due_at=check.due_at,
        done_at=check.done_at,
        state=state,
    )


@router.get("/collaborations/{slug}/compliance", response=responses({200: ComplianceOut}, NOT_FOUND))
def get_compliance(request: HttpRequest, slug: str) -> ComplianceOut:
    """On-time rates per department and ISO week (the last six), for SLA requests and recurring duties.

    An SLA request counts in the week of its answer (or, still open, of its
    breached deadline); an occurrence in the week it was due. Undecided
    ones (open within the budget, pending) are not counted.
    """
    collab, _access = collaboration(request, slug)
    ctx = context_for()
    board = board_for(collab, ctx.now, ctx.tz)
    return ComplianceOut(
        weeks=board.weeks,
        rows=[
            ComplianceRowOut(
                department=row.department,
                kind=row.kind,  # type: ignore[arg-type]
                weeks={week: _rate(rate) for week, rate in zip(board.weeks, row.weeks, strict=True)},
                total=_rate(row.total),
            )
            for row in board.compliance_rows
        ],
    )


# --- allocations (资源协调型) and milestones (流程优化型): the initiator's


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


def _allocations() -> QuerySet[Allocation]:
    return Allocation.objects.select_related("collaboration", "from_department", "to_department")


def allocation_out(a: Allocation, today: date | None = None) -> AllocationOut:
    today = today or context_for().today
    return AllocationOut(
        id=a.pk,
        collaboration=a.collaboration.slug,
        position=a.position,
        resource=a.resource,
        from_department=DepartmentRef(id=a.from_department.pk, name=a.from_department.name),
        to_department=DepartmentRef(id=a.to_department.pk, name=a.to_department.name),
        rule=a.rule,
        responsibility=a.responsibility,
        return_date=a.return_date,
        returned_at=a.returned_at,
        state=allocation_state(a, today),  # type: ignore[arg-type]
        version=a.collaboration.version,
    )


def _present_allocations(rows: list[Allocation]) -> list[AllocationOut]:
    today = context_for().today
    return [allocation_out(a, today) for a in rows]


def milestone_out(m: Milestone, today: date | None = None) -> MilestoneOut:
    ctx = context_for()
    today = today or ctx.today
    done_day = m.done_at.astimezone(ctx.tz).date() if m.done_at else None
    return MilestoneOut(
        id=m.pk,
        collaboration=m.collaboration.slug,
        position=m.position,
        name=m.name,
        due_date=m.due_date,
        done_at=m.done_at,
        late=done_day > m.due_date if done_day is not None else today > m.due_date,
        version=m.collaboration.version,
    )


def _present_milestones(rows: list[Milestone]) -> list[MilestoneOut]:
    today = context_for().today
    return [milestone_out(m, today) for m in rows]


def _of_type(collab: Collaboration, kind: str) -> None:
    if collab.type != kind:
        raise Invalid.at("type", _("这类协作没有此项:资源分配用于资源协调型,推行里程碑用于流程优化型"))


def _initiator_row(request: HttpRequest, row: Allocation | Milestone) -> None:
    access = access_for(caller(request), row.collaboration)
    if not access.sees_anything:
        raise Http404
    if not access.can(Action.EDIT_COLLABORATION):
        raise PermissionDenied


@router.get(
    "/collaborations/{slug}/allocations", response=responses({200: list[AllocationOut]}, NOT_FOUND, INVALID)
)
@paginate(Pages, present=_present_allocations)
def list_allocations(request: HttpRequest, slug: str) -> QuerySet[Allocation]:
    """A resource-coordination collaboration's allocations with their state."""
    collab, _access = collaboration(request, slug)
    return _allocations().filter(collaboration=collab)


@router.post(
    "/collaborations/{slug}/allocations", response=responses({201: AllocationOut}, NOT_FOUND, INVALID)
)
def create_allocation(request: HttpRequest, slug: str, payload: AllocationIn) -> Status[AllocationOut]:
    """Add an allocation (the initiator; resource-coordination collaborations only)."""
    collab, _access = collaboration(request, slug, Action.EDIT_COLLABORATION)
    _of_type(collab, CollabType.RESOURCE_COORDINATION)
    departments = participating(collab)
    giver = find_department(payload.from_department, departments, "body.from_department")
    taker = find_department(payload.to_department, departments, "body.to_department")
    if giver.pk == taker.pk:
        raise Invalid.at("body.to_department", _("提供部门与使用部门不能相同"))
    data = AllocationInput(
        payload.resource,
        giver,
        taker,
        rule=payload.rule,
        responsibility=payload.responsibility,
        return_date=payload.return_date,
    )
    allocation = do_save_allocation(collab, data, actor=caller(request))
    return Status(201, allocation_out(get_object_or_404(_allocations(), pk=allocation.pk)))


@router.patch(
    "/allocations/{allocation_id}",
    response=responses({200: AllocationOut, 409: AllocationConflictOut}, NOT_FOUND, INVALID),
)
def update_allocation(request: HttpRequest, allocation_id: int, payload: AllocationPatch) -> AllocationOut:
    """Change the fields given, or mark it returned (`returned`); 409 on a stale `version`."""
    allocation = get_object_or_404(_allocations(), pk=allocation_id)
    _initiator_row(request, allocation)
    collab = allocation.collaboration
    values = payload.model_dump(include=payload.model_fields_set - {"version", "returned"})
    departments = participating(collab)
    departments.setdefault(allocation.from_department.pk, allocation.from_department)
    departments.setdefault(allocation.to_department.pk, allocation.to_department)
    giver = (
        find_department(values["from_department"], departments, "body.from_department")
        if values.get("from_department") is not None
        else allocation.from_department
    )
    taker = (
        find_department(values["to_department"], departments, "body.to_department")
        if values.get("to_department") is not None
        else allocation.to_department
    )
    if giver.pk == taker.pk:
        raise Invalid.at("body.to_department", _("提供部门与使用部门不能相同"))

    def pick(name: str) -> Any:
        if name == "return_date" and name in values:
            return values[name]
        value = values.get(name)
        return getattr(allocation, name) if value is None else value

    data = AllocationInput(
        pick("resource"),
        giver,
        taker,
        rule=pick("rule"),
        responsibility=pick("responsibility"),
        return_date=pick("return_date"),
    )
    try:
        with transaction.atomic():
            check_version(collab, payload.version)
            if values:
                do_save_allocation(collab, data, allocation=allocation, actor=caller(request))
            if payload.returned is not None:
                do_mark_returned(allocation, _now() if payload.returned else None, actor=caller(request))
    except VersionConflict:
        raise Conflict(
            str(STALE_ROW), allocation_out(get_object_or_404(_allocations(), pk=allocation.pk))
        ) from None
    return allocation_out(get_object_or_404(_allocations(), pk=allocation.pk))


@router.delete("/allocations/{allocation_id}", response=responses({204: None}, NOT_FOUND))
def delete_allocation(request: HttpRequest, allocation_id: int) -> Status[None]:
    allocation = get_object_or_404(_allocations(), pk=allocation_id)
    _initiator_row(request, allocation)
    do_delete_allocation(allocation, actor=caller(request))
    return Status(204, None)


def _milestones() -> QuerySet[Milestone]:
    return Milestone.objects.select_related("collaboration")


@router.get(
    "/collaborations/{slug}/milestones", response=responses({200: list[MilestoneOut]}, NOT_FOUND, INVALID)
)
@paginate(Pages, present=_present_milestones)
def list_milestones(request: HttpRequest, slug: str) -> QuerySet[Milestone]:
    """A process optimisation's rollout timetable (推行时间表)."""
    collab, _access = collaboration(request, slug)
    return _milestones().filter(collaboration=collab)


@router.post("/collaborations/{slug}/milestones", response=responses({201: MilestoneOut}, NOT_FOUND, INVALID))
def create_milestone(request: HttpRequest, slug: str, payload: MilestoneIn) -> Status[MilestoneOut]:
    """Add a milestone (the initiator; process-optimisation collaborations only)."""
    collab, _access = collaboration(request, slug, Action.EDIT_COLLABORATION)
    _of_type(collab, CollabType.PROCESS_OPTIMIZATION)
    milestone = do_save_milestone(collab, payload.name, payload.due_date, actor=caller(request))
    return Status(201, milestone_out(get_object_or_404(_milestones(), pk=milestone.pk)))


@router.patch(
    "/milestones/{milestone_id}",
    response=responses({200: MilestoneOut, 409: MilestoneConflictOut}, NOT_FOUND, INVALID),
)
def update_milestone(request: HttpRequest, milestone_id: int, payload: MilestonePatch) -> MilestoneOut:
    """Rename, move or complete (`done`) a milestone; 409 on a stale `version`."""
    milestone = get_object_or_404(_milestones(), pk=milestone_id)
    _initiator_row(request, milestone)
    collab = milestone.collaboration
    try:
        with transaction.atomic():
            check_version(collab, payload.version)
            if payload.name is not None or payload.due_date is not None:
                do_save_milestone(
                    collab,
                    payload.name or milestone.name,
                    payload.due_date or milestone.due_date,
                    milestone=milestone,
                    actor=caller(request),
                )
            if payload.done is not None:
                do_complete_milestone(milestone, _now() if payload.done else None, actor=caller(request))
    except VersionConflict:
        raise Conflict(
            str(STALE_ROW), milestone_out(get_object_or_404(_milestones(), pk=milestone.pk))
        ) from None
    return milestone_out(get_object_or_404(_milestones(), pk=milestone.pk))


@router.delete("/milestones/{milestone_id}", response=responses({204: None}, NOT_FOUND))
def delete_milestone(request: HttpRequest, milestone_id: int) -> Status[None]:
    milestone = get_object_or_404(_milestones(), pk=milestone_id)
    _initiator_row(request, milestone)
    do_delete_milestone(milestone, actor=caller(request))
    return Status(204, None)
