"""Step 7's issue log (问题跟踪表) over the API: list, log, change, delete.

An issue is written by the initiator (and administrators) or by the
liaison / head of its raising or owning department, and must still name one
of their departments after the change; only the initiator deletes.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration, participating
from xietong.api.errors import INVALID, NOT_FOUND, STALE_ROW, Conflict, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.registers import RegisterRouter, department_ref, may_write_for, optional_department
from xietong.api.schemas import IssueConflictOut, IssueFilters, IssueIn, IssueOut, IssuePatch, MeetingRef
from xietong.collabs.access import find_object_in, get_object_for_user, reread
from xietong.collabs.actions.common import VersionConflict, check_version
from xietong.collabs.models import Collaboration
from xietong.meetings.models import Meeting
from xietong.orgs.roles import Action
from xietong.rules.clock import context_for
from xietong.tracking.actions.registers import IssueInput, do_delete_issue, do_save_issue
from xietong.tracking.models import IssueEntry, IssueStatus

router = RegisterRouter()


def _issues() -> QuerySet[IssueEntry]:
    return IssueEntry.objects.select_related("collaboration", "raised_by", "owner", "decided_in")


def issue_out(issue: IssueEntry, today: date | None = None) -> IssueOut:
    """Return the issue as the API shows it; ``overdue`` as of ``today`` (default: the site's today)."""
    today = today or context_for().today
    m = issue.decided_in
    return IssueOut(
        id=issue.pk,
        collaboration=issue.collaboration.slug,
        position=issue.position,
        title=issue.title,
        raised_by=department_ref(issue.raised_by),
        owner=department_ref(issue.owner),
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


def _fresh(issue: IssueEntry) -> IssueOut:
    """Return the issue as it is now (after a write)."""
    return issue_out(reread(_issues(), issue))


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
        optional_department(values.get("raised_by"), departments, "body.raised_by")
        if "raised_by" in values
        else (current.raised_by if current else None)
    )
    owner = (
        optional_department(values.get("owner"), departments, "body.owner")
        if "owner" in values
        else (current.owner if current else None)
    )
    meeting: Meeting | None
    if "decided_in" in values:
        meeting_id = values["decided_in"]
        meeting = None
        if meeting_id is not None:
            meeting = find_object_in(collab, Meeting.objects.all(), meeting_id)
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
    if not may_write_for(access, getattr(data.raised_by, "pk", None), getattr(data.owner, "pk", None)):
        raise PermissionDenied
    issue = do_save_issue(collab, data, actor=caller(request))
    return Status(201, _fresh(issue))


@router.patch(
    "/issues/{issue_id}", response=responses({200: IssueOut, 409: IssueConflictOut}, NOT_FOUND, INVALID)
)
def update_issue(request: HttpRequest, issue_id: int, payload: IssuePatch) -> IssueOut:
    """Change the fields given; `version` is the collaboration's version you read (409 when stale)."""
    issue, access = get_object_for_user(_issues(), caller(request), issue_id)
    if not may_write_for(access, issue.raised_by_id, issue.owner_id):
        raise PermissionDenied
    values = payload.model_dump(include=payload.model_fields_set - {"version"})
    data = _issue_input(issue.collaboration, values, issue)
    if not may_write_for(access, getattr(data.raised_by, "pk", None), getattr(data.owner, "pk", None)):
        raise PermissionDenied
    try:
        with transaction.atomic():
            check_version(issue.collaboration, payload.version)
            do_save_issue(issue.collaboration, data, issue=issue, actor=caller(request))
    except VersionConflict:
        raise Conflict(str(STALE_ROW), _fresh(issue)) from None
    return _fresh(issue)


@router.delete("/issues/{issue_id}", response=responses({204: None}, NOT_FOUND))
def delete_issue(request: HttpRequest, issue_id: int) -> Status[None]:
    """Delete an issue (the initiator and administrators)."""
    issue, _access = get_object_for_user(_issues(), caller(request), issue_id, Action.EDIT_COLLABORATION)
    do_delete_issue(issue, actor=caller(request))
    return Status(204, None)
