"""Step 7's time limits over the API: SLA requests between departments and their clocks,
occurrences of recurring sub-goals, and the on-time compliance of both.

An SLA request is opened by the requesting department's people and paused,
resumed and answered by the asked department's (the sub-goal's); an
occurrence of a recurring sub-goal is recorded by the sub-goal's department.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration, find_department, participating
from xietong.api.errors import INVALID, NOT_FOUND, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.registers import RegisterRouter, department_ref, site_now
from xietong.api.schemas import (
    AnswerIn,
    CheckIn,
    ClockOut,
    ComplianceOut,
    ComplianceRowOut,
    PauseIn,
    PauseOut,
    RateOut,
    ResumeIn,
    SlaRequestIn,
    SlaRequestOut,
    SubGoalOccurrenceOut,
)
from xietong.collabs.access import find_object_in, get_object_for_user, get_object_in, reread
from xietong.collabs.models import DeadlineKind, SubGoal
from xietong.orgs.roles import Action
from xietong.rules.clock import context_for
from xietong.tracking.actions.sla import (
    do_answer_sla,
    do_open_sla_request,
    do_pause_sla,
    do_record_check,
    do_resume_sla,
)
from xietong.tracking.boards import RequestView, SlaBoard, board_for
from xietong.tracking.models import SlaPause, SlaRequest
from xietong.tracking.sla import CheckState, Rate

router = RegisterRouter()


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
        department=department_ref(subgoal.department),
        requester=department_ref(request.requester),
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
    """Return a request the caller answers for (the asked department's people, the initiator); 404 / 403."""
    found, _access = get_object_for_user(
        _requests(),
        caller(request),
        request_id,
        Action.EDIT_DEPARTMENT_ROWS,
        department=lambda r: r.subgoal.department_id,
    )
    return found


def _fresh(found: SlaRequest) -> SlaRequestOut:
    return sla_out(reread(_requests(), found))


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
    # A body field: not found is 422, not 404.
    subgoal = find_object_in(collab, SubGoal.objects.filter(deadline_kind=DeadlineKind.SLA), payload.subgoal)
    if subgoal is None or not subgoal.sla_hours:
        raise Invalid.at("body.subgoal", _("不是本协作设有响应时限的子目标"))
    requester = find_department(payload.requester, participating(collab), "body.requester")
    if requester.pk == subgoal.department_id:
        raise Invalid.at("body.requester", _("提出部门不能是被请求的部门"))
    if not access.can(Action.EDIT_DEPARTMENT_ROWS, requester.pk):
        raise PermissionDenied
    at = payload.at or site_now()
    if at > site_now():
        raise Invalid.at("body.at", _("不能晚于现在"))
    created = do_open_sla_request(subgoal, requester, payload.subject, at, actor=caller(request))
    return Status(201, _fresh(created))


def _when(at: datetime | None) -> datetime:
    """Return ``at`` (default now); 422 for a moment in the future."""
    moment = site_now()
    if at is not None and at > moment:
        raise Invalid.at("body.at", _("不能晚于现在"))
    return at or moment


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
    recurring = SubGoal.objects.filter(deadline_kind=DeadlineKind.RECURRING)
    subgoal = get_object_in(collab, recurring.select_related("collaboration", "department"), subgoal_id)
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
