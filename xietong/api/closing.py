"""Step 8 and the change requests over the API: the same rules as the pages (closing.md).

Change requests are read by everyone who sees the collaboration and filed
by whoever may edit the row (the goal and its metrics: the initiator and
administrators); the initiator approves every request, the head of the
department whose duties change approves too. Deliverables are judged by
the initiating department (its initiator, administrators, or its head):
only a done row simply passes, one not done is accepted on a condition or
as an exception with a reason (422 otherwise). The retrospective, closing
and reopening are the initiator's. ``GET …/close`` lists what closing would
leave open; a refused close is 409 with A01's findings; a closed
collaboration answers 403 to every write but reopening.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from dataclasses import replace
from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration, participating
from xietong.api.errors import INVALID, NOT_FOUND, Conflict, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import DepartmentRef, FindingOut, Line, PersonRef, Text
from xietong.collabs.access import (
    find_object_in,
    find_part_of,
    get_object_for_user,
    get_task_for_user,
    reread,
)
from xietong.collabs.judged import phase_of
from xietong.collabs.models import Metric, SubGoal, Task
from xietong.collabs.snapshots import load_snapshot
from xietong.orgs.roles import Action, Role
from xietong.rules.clock import context_for
from xietong.rules.closing import closing_gaps
from xietong.tracking.actions.changes import (
    Approver,
    Target,
    approvals_needed,
    do_decide_change,
    do_request_change,
)
from xietong.tracking.actions.closing import (
    AcceptanceRefused,
    CloseRefused,
    RetrospectiveInput,
    do_accept_deliverable,
    do_close_collaboration,
    do_reopen_collaboration,
    do_write_retrospective,
)
from xietong.tracking.closing_sources import department_scorecards, latest_readings, load_tasks, open_items
from xietong.tracking.forms.changes import change_problem
from xietong.tracking.models import (
    Acceptance,
    ChangeField,
    ChangeRequest,
    ChangeStatus,
    Retrospective,
    Verdict,
)

router = Router(tags=["closing"])


# --- schemas


class ChangeObjectOut(Schema):
    kind: Literal["task", "subgoal", "metric", "goal"]
    id: int | None = Field(description="The row's id; null for the goal's deadline")
    label: str


class ChangeRequestOut(Schema):
    id: int
    field: ChangeField
    object: ChangeObjectOut
    old_value: str
    new_value: str
    reason: str
    requested_by: PersonRef | None
    requested_at: datetime
    status: ChangeStatus
    approvals_needed: list[Approver] = Field(description="Who still has to approve: initiator, head")
    initiator_decided_by: PersonRef | None
    initiator_decided_at: datetime | None
    head_department: DepartmentRef | None = Field(description="The department whose head approves too")
    head_decided_by: PersonRef | None
    head_decided_at: datetime | None
    decision_comment: str


class ChangeRequestIn(Schema):
    field: ChangeField
    task: int | None = Field(None, description="The row of the table to change")
    subgoal: int | None = Field(None, description="The sub-goal to change")
    metric: int | None = Field(None, description="The goal metric whose target changes")
    new_value: Line = Field(
        description="A date (YYYY-MM-DD), a participating department's name, a standard or a number"
    )
    reason: Text = Field(min_length=1, description="Why (变更原因), required")


class DecisionIn(Schema):
    as_: Approver = Field(alias="as", description="initiator, or head (of the department concerned)")
    approve: bool
    comment: Line = Field("", description="Required when rejecting")


class AcceptanceIn(Schema):
    verdict: Verdict | None = Field(
        None,
        description="passed (only a done row), conditional (有条件验收) or exception (例外), both with a "
        "reason, or rejected; when absent, `accepted` true means passed and false rejected",
    )
    accepted: bool | None = Field(None, description="The older form of `verdict`")
    reason: Text = Field(
        "", description="Required for conditional and exception: shown in the closing report"
    )
    comment: Text = Field("", description="Required when rejected: what falls short of the delivery standard")


class AcceptanceOut(Schema):
    task: int
    accepted: bool = Field(description="True for passed, conditional and exception")
    verdict: Verdict
    reason: str
    comment: str
    department: DepartmentRef | None = Field(description="The department that judged it (the initiating one)")
    decided_by: PersonRef | None
    decided_at: datetime


class RetrospectiveIn(Schema):
    went_well: Text = Field(min_length=1, description="做得好的")
    problems: Text = Field(min_length=1, description="存在的问题")
    improvements: Text = Field(min_length=1, description="改进措施")
    lessons: Text = Field("", description="可复用的经验")


class RetrospectiveOut(RetrospectiveIn):
    written_by: PersonRef | None
    written_at: datetime


class ClosingOut(Schema):
    slug: str
    closed_at: datetime | None
    phase: str


class CloseRefusedOut(Schema):
    detail: str
    findings: list[FindingOut] = Field(
        description="A01: the deliverables not accepted, the missing retrospective"
    )


class OpenTaskOut(Schema):
    id: int
    description: str
    department: str
    status: str
    verdict: Verdict | None = Field(description="The acceptance so far, if any")


class OpenMetricOut(Schema):
    id: int | None
    name: str
    last_measured_on: date | None


class OpenMinutesOut(Schema):
    meeting: int
    title: str
    scheduled_at: datetime | None
    reopened: bool = Field(description="A correction was asked for: being edited again")
    missing: list[str] = Field(description="Participating departments that have not confirmed")


class ClosingSummaryOut(Schema):
    closed_at: datetime | None
    findings: list[FindingOut] = Field(
        description="A01: why closing now would be refused (none: it may close)"
    )
    tasks_not_done: list[OpenTaskOut]
    metrics_without_final_reading: list[OpenMetricOut]
    minutes_not_confirmed: list[OpenMinutesOut]


class ReopenIn(Schema):
    reason: Text = Field(min_length=1, description="Why it is reopened, required")


class RatioOut(Schema):
    hits: int
    total: int
    percent: int | None


class QualifiedOut(Schema):
    task: str
    verdict: Verdict
    reason: str


class ScorecardOut(Schema):
    department: str
    on_time: RatioOut = Field(description="Rows done by their deadline / rows with a deadline")
    sla: RatioOut = Field(description="SLA requests answered in time / decided requests")
    reporting: RatioOut = Field(description="Weeks of execution with a progress update / weeks")
    confirmation_hours: float | None = Field(description="Median hours from minutes issued to confirmed")
    confirmations: int
    qualified: list[QualifiedOut] = Field(
        description="The department's deliverables accepted on a condition or as an exception, with the reason"
    )


# --- helpers


def _person(person: Any) -> PersonRef | None:
    return PersonRef(id=person.pk, name=person.name) if person is not None else None


def _department(department: Any) -> DepartmentRef | None:
    return DepartmentRef(id=department.pk, name=department.name) if department is not None else None


def _object(r: ChangeRequest) -> ChangeObjectOut:
    if r.task_id is not None:
        return ChangeObjectOut(kind="task", id=r.task_id, label=r.task.description if r.task else "")
    if r.subgoal_id is not None:
        return ChangeObjectOut(
            kind="subgoal", id=r.subgoal_id, label=r.subgoal.description if r.subgoal else ""
        )
    if r.metric_id is not None:
        return ChangeObjectOut(kind="metric", id=r.metric_id, label=r.metric.name if r.metric else "")
    return ChangeObjectOut(kind="goal", id=None, label=_("核心目标的截止日期"))


def change_out(r: ChangeRequest) -> ChangeRequestOut:
    needed = approvals_needed(r) if r.status == ChangeStatus.PENDING else set()
    return ChangeRequestOut(
        id=r.pk,
        field=ChangeField(r.field),
        object=_object(r),
        old_value=r.old_value,
        new_value=r.new_value,
        reason=r.reason,
        requested_by=_person(r.requested_by),
        requested_at=r.requested_at,
        status=ChangeStatus(r.status),
        approvals_needed=sorted(needed),
        initiator_decided_by=_person(r.initiator_decided_by),
        initiator_decided_at=r.initiator_decided_at,
        head_department=_department(r.head_department),
        head_decided_by=_person(r.head_decided_by),
        head_decided_at=r.head_decided_at,
        decision_comment=r.decision_comment,
    )


def _requests() -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.select_related(
        "task",
        "subgoal",
        "metric",
        "requested_by",
        "initiator_decided_by",
        "head_decided_by",
        "head_department",
    )


def _present(rows: list[ChangeRequest]) -> list[ChangeRequestOut]:
    return [change_out(r) for r in rows]


# --- change requests


@router.get(
    "/collaborations/{slug}/change-requests",
    response=responses({200: list[ChangeRequestOut]}, NOT_FOUND, INVALID),
)
@paginate(Pages, present=_present)
def list_change_requests(request: HttpRequest, slug: str) -> QuerySet[ChangeRequest]:
    """The change requests, pending first, then newest first."""
    collab, _access = collaboration(request, slug)
    pending_first = Case(
        When(status=ChangeStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        _requests()
        .filter(collaboration=collab)
        .annotate(pending_first=pending_first)
        .order_by("pending_first", "-requested_at", "-id")
    )


@router.post(
    "/collaborations/{slug}/change-requests",
    response=responses({201: ChangeRequestOut}, NOT_FOUND, INVALID),
)
def file_change_request(
    request: HttpRequest, slug: str, payload: ChangeRequestIn
) -> Status[ChangeRequestOut]:
    """File a request: nothing changes until it is approved (whoever may edit the row; the goal: the initiator)."""
    collab, access = collaboration(request, slug)
    given = [name for name in ("task", "subgoal", "metric") if getattr(payload, name) is not None]
    if len(given) > 1:
        raise Invalid.at("body", _("只能指定一个变更对象"))
    kind = given[0] if given else "goal"
    target, fixed, department_id = Target(), True, None
    if kind == "task":
        task = find_object_in(collab, Task.objects.select_related("department"), payload.task)
        if task is None:
            raise Invalid.at("body.task", _("不是本协作的任务"))
        target, department_id = Target(task=task), task.department_id
    elif kind == "subgoal":
        sub = find_object_in(collab, SubGoal.objects.select_related("department"), payload.subgoal)
        if sub is None:
            raise Invalid.at("body.subgoal", _("不是本协作的子目标"))
        target, department_id, fixed = Target(subgoal=sub), sub.department_id, sub.deadline_kind == "fixed"
    elif kind == "metric":
        metric = find_part_of(collab, "goal__collaboration", Metric.objects.all(), payload.metric)
        if metric is None:
            raise Invalid.at("body.metric", _("不是本协作的指标"))
        target = Target(metric=metric)
    if kind in ("task", "subgoal"):
        allowed = access.can(Action.EDIT_COLLABORATION) or access.can(
            Action.EDIT_DEPARTMENT_ROWS, department_id
        )
    else:
        allowed = access.can(Action.EDIT_COLLABORATION)
    if not allowed:
        raise PermissionDenied
    departments = [d.name for d in participating(collab).values()]
    value = payload.new_value.strip()
    if not value:
        raise Invalid.at("body.new_value", _("请填写新值"))
    problem = change_problem(kind, payload.field, value, departments, fixed=fixed)
    if problem is not None:
        raise Invalid.at(f"body.{problem[0]}", problem[1])
    if not payload.reason.strip():
        raise Invalid.at("body.reason", _("请写明变更原因"))
    filed = do_request_change(
        collab, payload.field, target, value, payload.reason, timezone.now(), actor=caller(request)
    )
    return Status(201, change_out(reread(_requests(), filed)))


@router.post(
    "/change-requests/{request_id}/decide",
    response=responses({200: ChangeRequestOut, 409: ChangeRequestOut}, NOT_FOUND, INVALID),
)
def decide_change_request(request: HttpRequest, request_id: int, payload: DecisionIn) -> ChangeRequestOut:
    """Approve or reject as the initiator, or as the head of the department concerned (`as`).

    Applied when every approval is in; one rejection rejects it. A request
    already decided, or without that approval pending, is 409 with the request as it is.
    """
    change, access = get_object_for_user(_requests(), caller(request), request_id)
    if payload.as_ == Approver.INITIATOR:
        allowed = access.can(Action.APPROVE_CHANGE)
    else:
        department = change.head_department_id
        allowed = (
            department is not None
            and access.can(Action.APPROVE_CHANGE, department)
            and Role.HEAD in access.department_roles.get(department, frozenset())
        )
    if not allowed:
        raise PermissionDenied
    if change.status != ChangeStatus.PENDING or payload.as_ not in approvals_needed(change):
        raise Conflict(_("这项申请已经处理过了"), change_out(change))
    if not payload.approve and not payload.comment.strip():
        raise Invalid.at("body.comment", _("驳回时请写明原因"))
    try:
        do_decide_change(
            change,
            payload.as_,
            payload.approve,
            timezone.now(),
            comment=payload.comment,
            actor=caller(request),
        )
    except ValueError:  # decided meanwhile
        raise Conflict(_("这项申请已经处理过了"), change_out(reread(_requests(), change))) from None
    return change_out(reread(_requests(), change))


# --- closing


def _acceptance_out(verdict: Acceptance) -> AcceptanceOut:
    return AcceptanceOut(
        task=verdict.task_id,
        accepted=verdict.accepted,
        verdict=Verdict(verdict.verdict),
        reason=verdict.reason,
        comment=verdict.comment,
        department=_department(verdict.department),
        decided_by=_person(verdict.decided_by),
        decided_at=verdict.decided_at,
    )


@router.post("/tasks/{task_id}/acceptance", response=responses({200: AcceptanceOut}, NOT_FOUND, INVALID))
def accept_deliverable(request: HttpRequest, task_id: int, payload: AcceptanceIn) -> AcceptanceOut:
    """Judge a row's deliverable against its delivery standard (the initiating department).

    Only a done row may simply pass; one not done is accepted `conditional`
    or as an `exception` with a `reason`, or `rejected` with a `comment`.
    Anything else is 422 with the reason, and nothing is written.
    """
    task, access = get_task_for_user(caller(request), task_id)
    collab = task.collaboration
    if not (access.can(Action.CLOSE) or access.can(Action.APPROVE_CHANGE, collab.initiator_department_id)):
        raise PermissionDenied
    if payload.verdict is not None:
        chosen = payload.verdict
    elif payload.accepted is not None:
        chosen = Verdict.PASSED if payload.accepted else Verdict.REJECTED
    else:
        raise Invalid.at("body.verdict", _("缺少此项"))
    try:
        verdict = do_accept_deliverable(
            task,
            chosen,
            timezone.now(),
            department=collab.initiator_department,
            reason=payload.reason,
            comment=payload.comment,
            actor=caller(request),
        )
    except AcceptanceRefused as refused:
        raise Invalid.at(f"body.{refused.field}", refused.message) from None
    return _acceptance_out(verdict)


def _retro_out(retro: Retrospective) -> RetrospectiveOut:
    return RetrospectiveOut(
        went_well=retro.went_well,
        problems=retro.problems,
        improvements=retro.improvements,
        lessons=retro.lessons,
        written_by=_person(retro.written_by),
        written_at=retro.written_at,
    )


@router.put(
    "/collaborations/{slug}/retrospective", response=responses({200: RetrospectiveOut}, NOT_FOUND, INVALID)
)
def put_retrospective(request: HttpRequest, slug: str, payload: RetrospectiveIn) -> RetrospectiveOut:
    """Write or rewrite the retrospective (复盘): the initiator, administrators."""
    collab, _access = collaboration(request, slug, Action.CLOSE)
    for name in ("went_well", "problems", "improvements"):
        if not getattr(payload, name).strip():
            raise Invalid.at(f"body.{name}", _("请填写"))
    retro = do_write_retrospective(
        collab, RetrospectiveInput(**payload.model_dump()), timezone.now(), actor=caller(request)
    )
    return _retro_out(retro)


def _closing_out(collab: Any) -> ClosingOut:
    # The phase is derived from what the collaboration holds (collabs.judged.phase_of), as everywhere.
    return ClosingOut(
        slug=collab.slug, closed_at=collab.closed_at, phase=phase_of(load_snapshot(collab), context_for())
    )


@router.post(
    "/collaborations/{slug}/close", response=responses({200: ClosingOut, 409: CloseRefusedOut}, NOT_FOUND)
)
def close_collaboration(request: HttpRequest, slug: str) -> Any:
    """Close it (the initiator, administrators): 409 with A01's findings while something is missing."""
    collab, _access = collaboration(request, slug, Action.CLOSE)
    try:
        closed = do_close_collaboration(collab, context_for(), actor=caller(request))
    except CloseRefused as refused:
        return Status(
            409,
            CloseRefusedOut(
                detail=_("尚有成果未通过验收或尚未复盘,暂不能关闭协作"),
                findings=[FindingOut(**f.as_dict()) for f in refused.findings],  # type: ignore[arg-type]
            ),
        )
    return _closing_out(closed)


@router.get("/collaborations/{slug}/close", response=responses({200: ClosingSummaryOut}, NOT_FOUND))
def closing_summary(request: HttpRequest, slug: str) -> ClosingSummaryOut:
    """What closing now would leave open, as the page shows before its final click (the initiator, administrators).

    `findings` are why closing would be refused (A01); the other lists do not
    stop the closing, they are what the person confirms leaving open.
    """
    collab, _access = collaboration(request, slug, Action.CLOSE)
    ctx = context_for()
    snapshot = load_snapshot(collab)
    tasks = load_tasks(collab)
    has_retro = Retrospective.objects.filter(collaboration=collab).exists()
    gaps = [] if collab.closed_at else list(closing_gaps(replace(snapshot, has_retrospective=has_retro)))
    found = open_items(collab, snapshot, tasks, latest_readings(collab), ctx.today)
    return ClosingSummaryOut(
        closed_at=collab.closed_at,
        findings=[FindingOut(**f.as_dict()) for f in gaps],  # type: ignore[arg-type]
        tasks_not_done=[
            OpenTaskOut(
                id=t.pk,
                description=t.description,
                department=t.department.name if t.department else "",
                status=t.status,
                verdict=Verdict(t.acceptance.verdict) if getattr(t, "acceptance", None) else None,
            )
            for t in found.tasks
        ],
        metrics_without_final_reading=[
            OpenMetricOut(id=m.key, name=m.name, last_measured_on=m.latest) for m in found.metrics
        ],
        minutes_not_confirmed=[
            OpenMinutesOut(
                meeting=m.meeting.pk,
                title=str(m.meeting),
                scheduled_at=m.meeting.scheduled_at,
                reopened=m.reopened,
                missing=list(m.missing),
            )
            for m in found.minutes
        ],
    )


@router.post("/collaborations/{slug}/reopen", response=responses({200: ClosingOut}, NOT_FOUND, INVALID))
def reopen_collaboration(request: HttpRequest, slug: str, payload: ReopenIn) -> ClosingOut:
    """Reopen a closed collaboration with a reason (the initiator, administrators)."""
    collab, _access = collaboration(request, slug, Action.REOPEN)
    if not payload.reason.strip():
        raise Invalid.at("body.reason", _("请写明重新打开的原因"))
    if collab.closed_at is None:
        return _closing_out(collab)
    return _closing_out(do_reopen_collaboration(collab, payload.reason, actor=caller(request)))


@router.get("/collaborations/{slug}/scorecards", response=responses({200: list[ScorecardOut]}, NOT_FOUND))
def get_scorecards(request: HttpRequest, slug: str) -> list[ScorecardOut]:
    """Each participating department's scorecard (definitions in closing.md)."""
    collab, _access = collaboration(request, slug)
    ctx = context_for()
    cards = department_scorecards(collab, load_snapshot(collab), load_tasks(collab), ctx.now, ctx.tz)
    return [
        ScorecardOut(
            department=c.department,
            on_time=RatioOut(hits=c.on_time.hits, total=c.on_time.total, percent=c.on_time.percent),
            sla=RatioOut(hits=c.sla.hits, total=c.sla.total, percent=c.sla.percent),
            reporting=RatioOut(hits=c.reporting.hits, total=c.reporting.total, percent=c.reporting.percent),
            confirmation_hours=c.confirmation_hours,
            confirmations=c.confirmations,
            qualified=[
                QualifiedOut(task=q.task, verdict=Verdict(q.verdict), reason=q.reason) for q in c.qualified
            ],
        )
        for c in cards
    ]
