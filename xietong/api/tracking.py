"""Step 7 over the API: progress updates of the rows and the weekly progress list (周进度清单).

Who may do what is the tracking page's rule, asked of the same access
layer: a row's progress is updated by its department's liaison or head, the
initiator or an administrator; everyone who sees the collaboration reads
the updates and the weekly list; the initiator and administrators publish a
week's list with their remarks.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from datetime import date
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration, find_department, participating
from xietong.api.converters import task_out
from xietong.api.errors import INVALID, NOT_FOUND, STALE_ROW, Conflict, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import (
    DepartmentKey,
    DepartmentRef,
    Line,
    LocalTime,
    Moment,
    PersonRef,
    TaskConflictOut,
    TaskOut,
    Text,
)
from xietong.collabs.access import get_task_for_user, reread
from xietong.collabs.actions.tasks import StaleWrite
from xietong.collabs.models import Task, TaskStatus
from xietong.orgs.roles import Action
from xietong.tracking.actions.progress import ProgressInput, do_report_progress
from xietong.tracking.actions.weekly import WeekNotStarted, do_publish_weekly_report
from xietong.tracking.models import ProgressUpdate, WeeklyReport
from xietong.tracking.sources import compile_for, current_week
from xietong.tracking.weekly import Group, IsoWeek, WeeklyList

router = Router(tags=["tracking"])


Since = Moment
WEEK_FORMAT = "ISO week, YYYY-Www (2024-W32)"


# --- schemas


class ProgressIn(Schema):
    version: int = Field(description="The row's version you read (GET /api/tasks/{id})")
    status: TaskStatus
    percent: int | None = Field(
        None, ge=0, le=100, description="0 to 100; omitted keeps the row's; done is always 100"
    )
    note: Text = Field("", description="What happened this week (进展说明)")
    next_step: Text = Field("", description="What comes next (下一步计划)")
    blocked_reason: Line = Field("", description="Required when the status is blocked")
    waiting_on: DepartmentKey | None = Field(
        None, description="A blocked row: the participating department it waits on (id or name)"
    )


class ProgressOut(Schema):
    id: int
    task: int = Field(description="The row's id")
    task_description: str
    department: DepartmentRef | None = Field(description="The department that reported")
    author: PersonRef | None
    created_at: LocalTime
    status: TaskStatus
    percent: int
    note: str
    next_step: str
    blocked_reason: str
    waiting_on: DepartmentRef | None


class ProgressCreatedOut(ProgressOut):
    row: TaskOut = Field(description="The row after the update, with its new version")


class LatestUpdateOut(Schema):
    at: LocalTime
    author: str
    status: TaskStatus
    percent: int
    note: str
    next_step: str


class BlockerOut(Schema):
    reason: str
    waiting_on: str = Field(description="The department the row waits on, or empty")
    since: date | None = Field(description="The day it became blocked (local)")
    working_days: int | None = Field(description="Working days blocked, on the Chinese statutory calendar")
    level: int = Field(description="Escalation: 0 none, 1 the initiator, 2 the department heads")


class WeeklyRowOut(Schema):
    task: int
    description: str
    department: str
    deadline: date | None
    status: TaskStatus = Field(description="The row's status as of the week")
    group: Group = Field(description="done, in_progress, overdue (derived), blocked or not_started")
    overdue: bool
    overdue_days: int
    percent: int
    update: LatestUpdateOut | None = Field(description="The latest update within the week")
    blocker: BlockerOut | None


class DepartmentWeekOut(Schema):
    name: str = Field(description="Empty for rows without a responsible department")
    participant: bool
    reported: bool = Field(
        description="已汇报: updated since the current reporting period began (the last weekly meeting)"
    )
    expected: bool = Field(description="Had to report: open rows, during execution")
    not_reported: bool = Field(description="未汇报: had to report and missed the last weekly meeting (T03)")
    pending: bool = Field(
        default=False, description="待汇报: reported for the last weekly meeting, not yet for the next"
    )
    exempt: bool = Field(
        default=False, description="A participant without open rows that did not report (无需汇报)"
    )
    last_report: LocalTime | None
    rows: list[WeeklyRowOut]


class StatusChangeOut(Schema):
    task: int
    description: str
    department: str
    before: TaskStatus | None = Field(
        description="The last reported status before the week; null: first report"
    )
    after: TaskStatus
    at: LocalTime


class RowRefOut(Schema):
    task: int
    description: str
    department: str
    day: date | None = Field(description="The day a new row was added, or an overdue row's deadline")


class TotalsOut(Schema):
    rows: int
    done: int
    in_progress: int
    overdue: int
    blocked: int
    not_started: int
    escalated: int
    departments: int = Field(description="Participants that must report (open rows) or reported")
    reported: int
    not_reported: int
    pending: int = Field(default=0, description="Participants still to report for the next weekly meeting")
    exempt: int = Field(
        default=0, description="Participants without open rows (无需汇报), not in departments"
    )


class WeeklyOut(Schema):
    week: str = Field(description=WEEK_FORMAT)
    starts: date
    ends: date
    as_of: LocalTime
    live: bool = Field(description="The week is not over: the table as it is now")
    escalation_working_days: int
    reporting_since: LocalTime | None = Field(
        default=None,
        description="When the current reporting period began (the kickoff or the last weekly meeting)",
    )
    report_due: LocalTime | None = Field(
        default=None, description="The next checkpoint: reports are due before it"
    )
    departments: list[DepartmentWeekOut]
    changes: list[StatusChangeOut]
    new_rows: list[RowRefOut]
    newly_overdue: list[RowRefOut]
    not_reported: list[str]
    totals: TotalsOut


class PublishedOut(Schema):
    week: str = Field(description=WEEK_FORMAT)
    remarks: str
    published_at: LocalTime
    published_by: PersonRef | None


class WeeklyWithPublishedOut(WeeklyOut):
    published: PublishedOut | None = Field(description="The week's published report, if any")


class WeeklyReportOut(PublishedOut):
    content: WeeklyOut = Field(description="The list as frozen when published")


class PublishIn(Schema):
    remarks: Annotated[Text, Field(description="The initiator's remarks (发起部门备注)")] = ""


# --- helpers


def _week(raw: str, path: str) -> IsoWeek:
    try:
        return IsoWeek.parse(raw)
    except ValueError:
        raise Invalid.at(path, _("应为 ISO 周次,如 2024-W32")) from None


def _person(person: Any) -> PersonRef | None:
    return PersonRef(id=person.pk, name=person.name) if person is not None else None


def _department(department: Any) -> DepartmentRef | None:
    return DepartmentRef(id=department.pk, name=department.name) if department is not None else None


def _update_out(update: ProgressUpdate) -> dict[str, Any]:
    return {
        "id": update.pk,
        "task": update.task_id,
        "task_description": update.task.description,
        "department": _department(update.department),
        "author": _person(update.author),
        "created_at": update.created_at,
        "status": TaskStatus(update.status),
        "percent": update.percent,
        "note": update.note,
        "next_step": update.next_step,
        "blocked_reason": update.blocked_reason,
        "waiting_on": _department(update.waiting_on),
    }


def _present_updates(updates: list[ProgressUpdate]) -> list[ProgressOut]:
    return [ProgressOut(**_update_out(u)) for u in updates]


def _published(report: WeeklyReport) -> dict[str, Any]:
    return {
        "week": str(IsoWeek(report.iso_year, report.iso_week)),
        "remarks": report.remarks,
        "published_at": report.published_at,
        "published_by": _person(report.published_by),
    }


def _weekly(weekly: WeeklyList) -> dict[str, Any]:
    return weekly.to_content()


def _present_reports(reports: list[WeeklyReport]) -> list[WeeklyReportOut]:
    return [WeeklyReportOut(**_published(r), content=r.content) for r in reports]


# --- endpoints


@router.post(
    "/tasks/{task_id}/progress",
    response=responses({201: ProgressCreatedOut, 409: TaskConflictOut}, NOT_FOUND, INVALID),
)
def report_progress(request: HttpRequest, task_id: int, payload: ProgressIn) -> Status[ProgressCreatedOut]:
    """Report progress on a row (its department's liaison or head, the initiator, administrators).

    The update is kept (the weekly list is compiled from updates) and
    changes the row's status and percent. `version` is the row's version
    you read: when the row has changed since, nothing is written and 409
    answers with the row as it is now. A row that becomes blocked starts its
    escalation clock now; `blocked_reason` is then required and `waiting_on`
    names the participating department it waits on.
    """
    task, _access = get_task_for_user(caller(request), task_id, Action.EDIT_DEPARTMENT_ROWS)
    blocked = payload.status == TaskStatus.BLOCKED
    if blocked and not payload.blocked_reason:
        raise Invalid.at("body.blocked_reason", _("阻塞的任务请写明原因(在等待哪个部门、什么事项)"))
    waiting_on = None
    if blocked and payload.waiting_on is not None:
        departments = participating(task.collaboration)
        departments.pop(task.department_id or 0, None)  # a row does not wait on its own department
        waiting_on = find_department(payload.waiting_on, departments, "body.waiting_on")
    percent = payload.percent if payload.percent is not None else task.percent
    data = ProgressInput(
        status=str(payload.status),
        percent=percent,
        note=payload.note,
        next_step=payload.next_step,
        blocked_reason=payload.blocked_reason if blocked else "",
        waiting_on=waiting_on,
    )
    try:
        update = do_report_progress(
            task, data, timezone.now(), version=payload.version, actor=caller(request)
        )
    except StaleWrite as stale:
        raise Conflict(str(STALE_ROW), task_out(_row(stale.current))) from None
    update = reread(
        ProgressUpdate.objects.select_related("task", "department", "author", "waiting_on"), update
    )
    return Status(201, ProgressCreatedOut(**_update_out(update), row=task_out(_row(task))))


def _row(task: Task) -> Task:
    """Return ``task`` as the API shows it, read again after an update (or a refused one)."""
    return reread(
        Task.objects.select_related("department", "collaboration").prefetch_related("collaborators"), task
    )


@router.get(
    "/collaborations/{slug}/progress",
    response=responses({200: list[ProgressOut]}, NOT_FOUND, INVALID),
)
@paginate(Pages, present=_present_updates)
def list_progress(
    request: HttpRequest, slug: str, since: Query[Since | None] = None
) -> QuerySet[ProgressUpdate]:
    """The collaboration's progress updates, oldest first (paged).

    `since` (ISO 8601; without an offset, the site's time zone) keeps the
    updates made at or after that moment: poll with the last `created_at`
    you saw.
    """
    collab, _access = collaboration(request, slug)
    rows = ProgressUpdate.objects.filter(collaboration=collab).select_related(
        "task", "department", "author", "waiting_on"
    )
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows.order_by("created_at", "id")


@router.get(
    "/collaborations/{slug}/weekly",
    response=responses({200: WeeklyWithPublishedOut}, NOT_FOUND, INVALID),
)
def get_weekly(request: HttpRequest, slug: str, week: Query[str | None] = None) -> WeeklyWithPublishedOut:
    """The weekly progress list (周进度清单) of an ISO week, compiled now (default: this week).

    Per department, rows grouped done / in progress / overdue / blocked / not
    started with the week's latest update; status changes since last week,
    new rows, rows that became overdue; the departments that have not
    reported in the week; totals. A week that is over is compiled as of its
    end from the updates; the current week from the table as it is now.
    `published` is the week's published report (remarks, when, who), if any.
    """
    collab, _access = collaboration(request, slug)
    iso = _week(week, "query.week") if week else current_week()
    weekly = compile_for(collab, iso)
    report = (
        WeeklyReport.objects.filter(collaboration=collab, iso_year=iso.year, iso_week=iso.week)
        .select_related("published_by")
        .defer("content")
        .first()
    )
    return WeeklyWithPublishedOut(
        **_weekly(weekly), published=PublishedOut(**_published(report)) if report else None
    )


@router.get(
    "/collaborations/{slug}/weekly-reports",
    response=responses({200: list[WeeklyReportOut]}, NOT_FOUND, INVALID),
)
@paginate(Pages, present=_present_reports)
def list_weekly_reports(request: HttpRequest, slug: str) -> QuerySet[WeeklyReport]:
    """The published weekly lists, newest week first, each as frozen when published (paged)."""
    collab, _access = collaboration(request, slug)
    return WeeklyReport.objects.filter(collaboration=collab).select_related("published_by")


@router.post(
    "/collaborations/{slug}/weekly/{week}/publish",
    response=responses({200: WeeklyReportOut, 201: WeeklyReportOut}, NOT_FOUND, INVALID),
)
def publish_weekly(request: HttpRequest, slug: str, week: str, payload: PublishIn) -> Status[WeeklyReportOut]:
    """Publish the week's list with remarks (the initiator, administrators): 201, then 200 to publish again.

    The list is compiled now and frozen as published; publishing the same
    week again replaces remarks and content, and the change history keeps
    the earlier version. A week that has not begun is 422.
    """
    collab, _access = collaboration(request, slug, Action.EDIT_COLLABORATION)
    iso = _week(week, "path.week")
    try:
        report, created = do_publish_weekly_report(
            collab, iso.year, iso.week, payload.remarks, timezone.now(), actor=caller(request)
        )
    except WeekNotStarted:
        raise Invalid.at("path.week", _("这一周还没有开始,不能发布周进度清单。")) from None
    body = WeeklyReportOut(**_published(report), content=report.content)
    return Status(201 if created else 200, body)
