"""Steps 3 and 6 over the API: meetings, their agenda, offers and needs, minutes, regular meetings.

Who may do what is the meeting pages' rule, asked of the same access layer:
the initiator and administrators prepare a meeting and write its minutes;
a department's liaison or head records what their department offers and
needs; each participating department's head confirms the issued minutes
or asks for a correction. Minutes that are issued or confirmed are not
edited: 403 with the reason, until a head's correction request reopens
them. Times recorded ("sent", "issued", "confirmed") are the server's now.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration, find_department, participating
from xietong.api.converters import task_out
from xietong.api.errors import INVALID, NOT_FOUND, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import (
    AgendaItemIn,
    AgendaItemOut,
    CancelMeetingIn,
    ConfirmationOut,
    ContributionIn,
    ContributionOut,
    CorrectionIn,
    CorrectionOut,
    DepartmentRef,
    DepartmentResponseIn,
    ErrorOut,
    KickoffIn,
    MaterialOut,
    MeetingDetailOut,
    MeetingOut,
    MinutesItemIn,
    MinutesItemOut,
    MinutesOut,
    MinutesStatusOut,
    MinutesSummaryIn,
    OccurrenceIn,
    OccurrenceOut,
    PersonRef,
    ProxyConfirmIn,
    ResolveIn,
    RevisionOut,
    SendAgendaIn,
    SubGoalOut,
    TaskOut,
)
from xietong.api.subgoals import subgoal_out
from xietong.collabs.access import Access, get_object_in, get_part_of, reread
from xietong.collabs.models import Collaboration, SubGoal, Task
from xietong.meetings.actions.contributions import (
    ContributionInput,
    do_delete_contribution,
    do_need_to_subgoal,
    do_need_to_task,
    do_save_contribution,
)
from xietong.meetings.actions.kickoff import (
    MeetingCancelled,
    NotCancellable,
    agenda_would_be_late,
    do_cancel_meeting,
    do_delete_agenda_item,
    do_save_agenda_item,
    do_schedule_kickoff,
    do_send_agenda,
    kickoff_of,
)
from xietong.meetings.actions.minutes import (
    ItemInput,
    MinutesClosed,
    MinutesState,
    ProxyRefused,
    do_confirm_minutes,
    do_delete_minutes_item,
    do_issue_minutes,
    do_proxy_confirm_minutes,
    do_request_correction,
    do_resolve_issue,
    do_save_minutes_item,
    do_save_minutes_summary,
    is_editable,
    minutes_state,
)
from xietong.meetings.actions.occurrences import (
    do_open_occurrence,
    is_series,
    series_occurrences,
    series_window,
)
from xietong.meetings.models import (
    AgendaItem,
    CommunicationRule,
    Contribution,
    ContributionKind,
    Material,
    Meeting,
    MeetingKind,
    MinutesConfirmation,
    MinutesCorrection,
    MinutesItem,
    MinutesItemKind,
    MinutesRevision,
)
from xietong.notify.invitations import AlreadySending, NobodyInvited, NothingChanged
from xietong.orgs.models import Department, Person
from xietong.orgs.roles import Action
from xietong.rules.clock import context_for

router = Router(tags=["meetings"])

# A request the meeting's state does not allow now (agenda late, nothing issued): 409 with the reason.
REFUSED: dict[int, Any] = {409: ErrorOut}

# --- reading


def _person(person: Person | None) -> PersonRef | None:
    return PersonRef(id=person.pk, name=person.name) if person is not None else None


def _department(department: Department | None) -> DepartmentRef | None:
    return DepartmentRef(id=department.pk, name=department.name) if department is not None else None


def _meetings() -> QuerySet[Meeting]:
    """Meetings with what a list shows: the kickoff without a time first, then by time."""
    return (
        Meeting.objects.select_related("chair")
        .prefetch_related("attendees")
        .order_by(F("scheduled_at").asc(nulls_first=True), "id")
    )


def _status(meeting: Meeting) -> dict[str, Any]:
    return {
        "state": str(minutes_state(meeting)),
        "revision": meeting.minutes_revision,
        "issued_at": meeting.minutes_issued_at,
        "reopened_at": meeting.minutes_reopened_at,
        "locked_at": meeting.minutes_locked_at,
    }


def _summary(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "kind": meeting.kind,
        "title": meeting.title or str(meeting.get_kind_display()),
        "scheduled_at": meeting.scheduled_at,
        "duration_minutes": meeting.duration_minutes,
        "location": meeting.location,
        "chair": _person(meeting.chair),
        "attendees": [_person(p) for p in meeting.attendees.all()],
        "series": meeting.series_id,
        "agenda_sent_at": meeting.agenda_sent_at,
        "agenda_sent_to": [str(name) for name in meeting.agenda_sent_to or []],
        "cancelled_at": meeting.cancelled_at,
        "cancel_reason": meeting.cancel_reason,
    }


def meeting_out(meeting: Meeting) -> MeetingOut:
    return MeetingOut(**_summary(meeting), minutes=MinutesStatusOut(**_status(meeting)))


def _present(meetings: list[Meeting]) -> list[MeetingOut]:
    return [meeting_out(m) for m in meetings]


def agenda_item_out(item: AgendaItem) -> AgendaItemOut:
    return AgendaItemOut(id=item.pk, position=item.position, title=item.title, notes=item.notes)


def contribution_out(c: Contribution) -> ContributionOut:
    return ContributionOut(
        id=c.pk,
        position=c.position,
        kind=c.kind,  # type: ignore[arg-type]
        department=DepartmentRef(id=c.department.pk, name=c.department.name),
        counterpart=_department(c.counterpart),
        text=c.text,
        task=c.task_id,
        subgoal=c.subgoal_id,
    )


def minutes_item_out(item: MinutesItem) -> MinutesItemOut:
    return MinutesItemOut(
        id=item.pk,
        position=item.position,
        kind=item.kind,  # type: ignore[arg-type]
        text=item.text,
        department=_department(item.department),
        standard=item.standard,
        deadline=item.deadline,
        task=item.task_id,
        resolved=item.resolved,
    )


def correction_out(c: MinutesCorrection) -> CorrectionOut:
    return CorrectionOut(
        id=c.pk,
        revision=c.revision,
        department=DepartmentRef(id=c.department.pk, name=c.department.name),
        requested_by=_person(c.requested_by),
        comment=c.comment,
        requested_at=c.requested_at,
    )


def _confirmation_out(c: MinutesConfirmation) -> ConfirmationOut:
    return ConfirmationOut(
        department=DepartmentRef(id=c.department.pk, name=c.department.name),
        confirmed_at=c.confirmed_at,
        confirmed_by=_person(c.confirmed_by),
        proxy_by=_person(c.proxy_by),
        proxy_reason=c.proxy_reason,
    )


def _minutes(meeting: Meeting, departments: Iterable[Department]) -> MinutesOut:
    """Return the minutes of ``meeting`` with their history: a fixed number of queries."""
    items = MinutesItem.objects.filter(meeting=meeting).select_related("department")
    confirmations = list(
        MinutesConfirmation.objects.filter(meeting=meeting).select_related(
            "department", "confirmed_by", "proxy_by"
        )
    )
    by_revision: dict[int, list[ConfirmationOut]] = {}
    for c in confirmations:
        by_revision.setdefault(c.revision, []).append(_confirmation_out(c))
    current = [c for c in confirmations if c.revision == meeting.minutes_revision]
    confirmed = {c.department_id for c in current}
    waiting = minutes_state(meeting) == MinutesState.ISSUED
    revisions = MinutesRevision.objects.filter(meeting=meeting).select_related("issued_by")
    corrections = MinutesCorrection.objects.filter(meeting=meeting).select_related(
        "department", "requested_by"
    )
    return MinutesOut(
        **_status(meeting),
        summary=meeting.minutes_summary,
        items=[minutes_item_out(i) for i in items],
        confirmations=[_confirmation_out(c) for c in current],
        awaiting=[
            DepartmentRef(id=d.pk, name=d.name) for d in departments if waiting and d.pk not in confirmed
        ],
        revisions=[
            RevisionOut(
                number=r.number,
                issued_at=r.issued_at,
                issued_by=_person(r.issued_by),
                content=r.content if isinstance(r.content, dict) else {},
                confirmations=by_revision.get(r.number, []),
            )
            for r in revisions
        ],
        corrections=[correction_out(c) for c in corrections],
    )


def meeting_detail(collab: Collaboration, meeting_id: int) -> MeetingDetailOut:
    """Return one meeting as it is now, whole: a fixed number of queries however much it holds."""
    meeting = get_object_in(collab, _meetings(), meeting_id)
    materials = Material.objects.filter(meeting=meeting).select_related("uploaded_by")
    contributions = Contribution.objects.filter(meeting=meeting).select_related("department", "counterpart")
    return MeetingDetailOut(
        **_summary(meeting),
        agenda=[agenda_item_out(a) for a in AgendaItem.objects.filter(meeting=meeting)],
        materials=[
            MaterialOut(
                id=m.pk,
                name=m.name,
                size=m.size,
                content_type=m.content_type,
                uploaded_at=m.uploaded_at,
                uploaded_by=_person(m.uploaded_by),
            )
            for m in materials
        ],
        contributions=[contribution_out(c) for c in contributions],
        minutes=_minutes(meeting, participating(collab).values()),
    )


# --- fetching through the access layer


def _open(request: HttpRequest, slug: str, meeting_id: int) -> tuple[Collaboration, Access, Meeting]:
    """Return the collaboration, the caller's access and its meeting ``meeting_id``, or raise 404."""
    collab, access = collaboration(request, slug)
    return collab, access, get_object_in(collab, Meeting.objects.all(), meeting_id)


def _may(access: Access, action: Action, department_id: int | None = None) -> None:
    if not access.can(action, department_id):
        raise PermissionDenied


def _closed(meeting: Meeting) -> Status[ErrorOut]:
    """403 with the reason: minutes issued or confirmed change only through a correction request."""
    return Status(403, ErrorOut(detail=str(MinutesClosed(meeting))))


def _now() -> datetime:
    """The moment recorded as "sent", "issued", "confirmed": the rule engine's now."""
    return context_for().now


# --- meetings


@router.get(
    "/collaborations/{slug}/meetings",
    response=responses({200: list[MeetingOut]}, NOT_FOUND, INVALID),
)
@paginate(Pages, present=_present)
def list_meetings(request: HttpRequest, slug: str) -> QuerySet[Meeting]:
    """The kickoff and the meetings opened from the communication plan, in time order."""
    collab, _access = collaboration(request, slug)
    return _meetings().filter(collaboration=collab)


@router.get(
    "/collaborations/{slug}/meetings/{meeting_id}",
    response=responses({200: MeetingDetailOut}, NOT_FOUND),
)
def get_meeting(request: HttpRequest, slug: str, meeting_id: int) -> MeetingDetailOut:
    """One meeting: agenda, materials, offers and needs, minutes with their revisions and confirmations."""
    collab, _access, meeting = _open(request, slug, meeting_id)
    return meeting_detail(collab, meeting.pk)


@router.post(
    "/collaborations/{slug}/kickoff",
    response=responses({200: MeetingDetailOut, 201: MeetingDetailOut}, NOT_FOUND, INVALID),
)
def schedule_kickoff(request: HttpRequest, slug: str, payload: KickoffIn) -> Status[MeetingDetailOut]:
    """Set the kickoff's time (and place, length): 201 when it is created, 200 when it is moved.

    A new kickoff is chaired by the initiator, invites every department's
    liaison and head and gets the guide's five agenda items (initiator,
    administrators).
    """
    collab, _access = collaboration(request, slug, Action.EDIT_COLLABORATION)
    existed = kickoff_of(collab) is not None
    meeting = do_schedule_kickoff(
        collab,
        payload.scheduled_at,
        location=payload.location,
        duration_minutes=payload.duration_minutes,
        actor=caller(request),
    )
    return Status(200 if existed else 201, meeting_detail(collab, meeting.pk))


# --- the agenda


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/agenda-items",
    response=responses({201: AgendaItemOut}, NOT_FOUND, INVALID, REFUSED),
)
def add_agenda_item(
    request: HttpRequest, slug: str, meeting_id: int, payload: AgendaItemIn
) -> Status[AgendaItemOut]:
    """Add an item at the end of the agenda (initiator, administrators)."""
    _collab, access, meeting = _open(request, slug, meeting_id)
    _may(access, Action.EDIT_COLLABORATION)
    _not_cancelled(meeting)
    item = do_save_agenda_item(meeting, payload.title, payload.notes, actor=caller(request))
    return Status(201, agenda_item_out(item))


def _agenda_item(meeting: Meeting, item_id: int) -> AgendaItem:
    return get_part_of(meeting, "meeting", AgendaItem.objects.all(), item_id)


@router.put(
    "/collaborations/{slug}/meetings/{meeting_id}/agenda-items/{agenda_item_id}",
    response=responses({200: AgendaItemOut}, NOT_FOUND, INVALID, REFUSED),
)
def update_agenda_item(
    request: HttpRequest, slug: str, meeting_id: int, agenda_item_id: int, payload: AgendaItemIn
) -> AgendaItemOut:
    """Change an agenda item's title and notes (initiator, administrators)."""
    _collab, access, meeting = _open(request, slug, meeting_id)
    item = _agenda_item(meeting, agenda_item_id)
    _may(access, Action.EDIT_COLLABORATION)
    _not_cancelled(meeting)
    saved = do_save_agenda_item(meeting, payload.title, payload.notes, item=item, actor=caller(request))
    return agenda_item_out(saved)


@router.delete(
    "/collaborations/{slug}/meetings/{meeting_id}/agenda-items/{agenda_item_id}",
    response=responses({204: None}, NOT_FOUND, REFUSED),
)
def delete_agenda_item(request: HttpRequest, slug: str, meeting_id: int, agenda_item_id: int) -> Status[None]:
    """Remove an item from the agenda (initiator, administrators)."""
    _collab, access, meeting = _open(request, slug, meeting_id)
    item = _agenda_item(meeting, agenda_item_id)
    _may(access, Action.EDIT_COLLABORATION)
    _not_cancelled(meeting)
    do_delete_agenda_item(item, actor=caller(request))
    return Status(204, None)


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/send-agenda",
    response=responses({200: MeetingDetailOut}, NOT_FOUND, INVALID, REFUSED),
)
def send_agenda(request: HttpRequest, slug: str, meeting_id: int, payload: SendAgendaIn) -> MeetingDetailOut:
    """Send the agenda, the materials' links and a calendar invitation to the attendees now (initiator, administrators).

    Each attendee gets one mail (with a `text/calendar; method=REQUEST` part)
    and one inbox notice, the group robots one message. The guide asks for
    the kickoff's 72 hours before the meeting (rule K02). Sending it later,
    for the first time, is refused with 409 and nothing recorded, unless
    `confirm_late` is true. A meeting without attendees, or one sent before
    whose agenda, time, place and attendees did not change since, is refused
    with 409. Sending again (an update) keeps the first time and adds whoever
    was not on the first list.
    """
    collab, access, meeting = _open(request, slug, meeting_id)
    _may(access, Action.EDIT_COLLABORATION)
    now = _now()
    _not_cancelled(meeting)
    if meeting.scheduled_at is None:
        raise HttpError(409, _("请先设定会议时间,再发送议程"))
    late = (
        meeting.kind == MeetingKind.KICKOFF
        and meeting.agenda_sent_at is None
        and agenda_would_be_late(meeting, now)
    )
    if late and not payload.confirm_late:
        raise HttpError(
            409,
            _(
                "距会议开始已不足 72 小时:按规则 K02,会议议程及背景资料应在会前 3 天发出,"
                "保证参会人员提前准备。仍要发送,请以 confirm_late: true 再次提交;"
                "发送时间将如实记录,K02 会提示议程发送过晚。"
            ),
        )
    try:
        do_send_agenda(meeting, now, actor=caller(request))
    except MeetingCancelled as error:
        raise HttpError(409, str(error)) from None
    except NobodyInvited:
        raise HttpError(409, _("尚未邀请参会人:请先选择参会人,再发送议程")) from None
    except (NothingChanged, AlreadySending):
        raise HttpError(409, _("议程、时间、地点和参会人自上次发送后没有变化,无需再次发送")) from None
    return meeting_detail(collab, meeting.pk)


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/cancel",
    response=responses({200: MeetingDetailOut}, NOT_FOUND, INVALID, REFUSED),
)
def cancel_meeting(
    request: HttpRequest, slug: str, meeting_id: int, payload: CancelMeetingIn
) -> MeetingDetailOut:
    """Cancel the meeting, with the reason (initiator, administrators).

    If its agenda was sent, everyone it invited gets one mail with a
    `text/calendar; method=CANCEL` part (same UID, next SEQUENCE) and one
    inbox notice, the group robots one message. A meeting cancelled already,
    or whose minutes were issued, is refused with 409. A cancelled meeting
    is not sent or edited any more and gets no reminders; a cancelled
    kickoff comes back when it is scheduled again.
    """
    collab, access, meeting = _open(request, slug, meeting_id)
    _may(access, Action.EDIT_COLLABORATION)
    try:
        do_cancel_meeting(meeting, payload.reason, _now(), actor=caller(request))
    except (NotCancellable, AlreadySending) as error:
        text = str(error) if isinstance(error, NotCancellable) else _("会议已于此前取消")
        raise HttpError(409, text) from None
    return meeting_detail(collab, meeting.pk)


def _minutes_not_cancelled(meeting: Meeting) -> None:
    """409 with the reason: a cancelled meeting has no minutes to write."""
    _not_cancelled(meeting)


def _not_cancelled(meeting: Meeting) -> None:
    """409 with the reason: a cancelled meeting is not sent or prepared any more."""
    if meeting.cancelled_at is not None:
        raise HttpError(409, str(MeetingCancelled(meeting)))


# --- offers and needs


def _contribution(meeting: Meeting, contribution_id: int) -> Contribution:
    rows = Contribution.objects.select_related("department", "counterpart", "task", "subgoal")
    return get_part_of(meeting, "meeting", rows, contribution_id)


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/contributions",
    response=responses({201: ContributionOut}, NOT_FOUND, INVALID),
)
def add_contribution(
    request: HttpRequest, slug: str, meeting_id: int, payload: ContributionIn
) -> Status[ContributionOut]:
    """Record what a department can offer, or needs from another (its liaison or head, the initiator)."""
    collab, access, meeting = _open(request, slug, meeting_id)
    departments = participating(collab)
    department = find_department(payload.department, departments, "body.department")
    _may(access, Action.EDIT_DEPARTMENT_ROWS, department.pk)
    counterpart = None
    if payload.counterpart is not None:
        counterpart = find_department(payload.counterpart, departments, "body.counterpart")
        if counterpart.pk == department.pk:
            raise Invalid.at("body.counterpart", _("部门不必向自己提出需要,请选择对方部门"))
    data = ContributionInput(
        kind=payload.kind, department=department, text=payload.text, counterpart=counterpart
    )
    saved = do_save_contribution(meeting, data, actor=caller(request))
    return Status(201, contribution_out(_contribution(meeting, saved.pk)))


@router.delete(
    "/collaborations/{slug}/meetings/{meeting_id}/contributions/{contribution_id}",
    response=responses({204: None}, NOT_FOUND),
)
def delete_contribution(
    request: HttpRequest, slug: str, meeting_id: int, contribution_id: int
) -> Status[None]:
    """Remove an offer or need; a task or sub-goal made from it stays (its department, the initiator)."""
    _collab, access, meeting = _open(request, slug, meeting_id)
    contribution = _contribution(meeting, contribution_id)
    _may(access, Action.EDIT_DEPARTMENT_ROWS, contribution.department_id)
    do_delete_contribution(contribution, actor=caller(request))
    return Status(204, None)


def _need(request: HttpRequest, slug: str, meeting_id: int, contribution_id: int) -> Contribution:
    """Return a need that the caller may turn into a proposal; 409 for an offer.

    The proposal is a row of the department asked, so it is made by those
    who may add that department's rows (as on the meeting page).
    """
    _collab, access, meeting = _open(request, slug, meeting_id)
    contribution = _contribution(meeting, contribution_id)
    _may(access, Action.EDIT_DEPARTMENT_ROWS, contribution.counterpart_id or contribution.department_id)
    if contribution.kind != ContributionKind.NEED:
        raise HttpError(409, _("只有“需要的配合”可以转为任务或子目标"))
    return contribution


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/contributions/{contribution_id}/task",
    response=responses({200: TaskOut, 201: TaskOut}, NOT_FOUND, REFUSED),
)
def need_to_task(request: HttpRequest, slug: str, meeting_id: int, contribution_id: int) -> Status[TaskOut]:
    """Make a need a row of the responsibility table: 201 the first time, then 200 with the same row.

    The department asked is responsible and the one in need collaborates;
    standard and deadline are left to the table (rules R03, R04 ask for them).
    Done by the department asked (its liaison or head), the initiator, administrators.
    """
    contribution = _need(request, slug, meeting_id, contribution_id)
    existed = contribution.task is not None
    task = do_need_to_task(contribution, actor=caller(request))
    row = reread(
        Task.objects.select_related("department", "collaboration").prefetch_related("collaborators"), task
    )
    return Status(200 if existed else 201, task_out(row))


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/contributions/{contribution_id}/subgoal",
    response=responses({200: SubGoalOut, 201: SubGoalOut}, NOT_FOUND, REFUSED),
)
def need_to_subgoal(
    request: HttpRequest, slug: str, meeting_id: int, contribution_id: int
) -> Status[SubGoalOut]:
    """Make a need a sub-goal proposal of the department asked: 201 the first time, then 200.

    Metric, target and time limit are left to be agreed (rules S01-S03 ask for them).
    Done by the department asked (its liaison or head), the initiator, administrators.
    """
    contribution = _need(request, slug, meeting_id, contribution_id)
    existed = contribution.subgoal is not None
    subgoal = do_need_to_subgoal(contribution, actor=caller(request))
    row = reread(SubGoal.objects.select_related("department", "metric", "collaboration"), subgoal)
    return Status(200 if existed else 201, subgoal_out(row))


# --- minutes


def _minutes_item(meeting: Meeting, item_id: int) -> MinutesItem:
    return get_part_of(meeting, "meeting", MinutesItem.objects.select_related("department", "task"), item_id)


def _item_input(
    collab: Collaboration, payload: MinutesItemIn, current: MinutesItem | None = None
) -> ItemInput:
    """Return the item to save; 422 naming what an action item lacks (owner, standard, deadline)."""
    departments = participating(collab)
    if current is not None and current.department is not None:
        departments.setdefault(current.department.pk, current.department)
    department = (
        None
        if payload.department is None
        else find_department(payload.department, departments, "body.department")
    )
    if payload.kind == MinutesItemKind.ACTION:
        problems = []
        if department is None:
            problems.append(("body.department", _("行动项须指定责任部门")))
        if not payload.standard:
            problems.append(("body.standard", _("行动项须写明交付标准")))
        if payload.deadline is None:
            problems.append(("body.deadline", _("行动项须写明完成时间")))
        if problems:
            raise Invalid(problems)
    return ItemInput(
        kind=payload.kind,
        text=payload.text,
        department=department,
        standard=payload.standard,
        deadline=payload.deadline,
    )


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/minutes/items",
    response=responses({201: MinutesItemOut}, NOT_FOUND, INVALID, REFUSED),
)
def add_minutes_item(
    request: HttpRequest, slug: str, meeting_id: int, payload: MinutesItemIn
) -> Status[MinutesItemOut] | Status[ErrorOut]:
    """Add a decision, an action item or an open issue to the minutes (initiator, administrators).

    An action item needs its responsible department, delivery standard and
    deadline (422 otherwise) and becomes a row of the responsibility table.
    403 with the reason while the minutes are issued or confirmed.
    """
    collab, access, meeting = _open(request, slug, meeting_id)
    _may(access, Action.EDIT_COLLABORATION)
    _minutes_not_cancelled(meeting)
    if not is_editable(meeting):
        return _closed(meeting)
    data = _item_input(collab, payload)
    try:
        item = do_save_minutes_item(meeting, data, actor=caller(request))
    except MinutesClosed as closed:
        return _closed(closed.meeting)
    return Status(201, minutes_item_out(_minutes_item(meeting, item.pk)))


@router.put(
    "/collaborations/{slug}/meetings/{meeting_id}/minutes/items/{minutes_item_id}",
    response=responses({200: MinutesItemOut}, NOT_FOUND, INVALID, REFUSED),
)
def update_minutes_item(
    request: HttpRequest, slug: str, meeting_id: int, minutes_item_id: int, payload: MinutesItemIn
) -> Status[MinutesItemOut] | Status[ErrorOut]:
    """Replace an item of open minutes (initiator, administrators); an action item updates its task."""
    collab, access, meeting = _open(request, slug, meeting_id)
    item = _minutes_item(meeting, minutes_item_id)
    _may(access, Action.EDIT_COLLABORATION)
    _minutes_not_cancelled(meeting)
    if not is_editable(meeting):
        return _closed(meeting)
    data = _item_input(collab, payload, current=item)
    try:
        saved = do_save_minutes_item(meeting, data, item=item, actor=caller(request))
    except MinutesClosed as closed:
        return _closed(closed.meeting)
    return Status(200, minutes_item_out(_minutes_item(meeting, saved.pk)))


@router.delete(
    "/collaborations/{slug}/meetings/{meeting_id}/minutes/items/{minutes_item_id}",
    response=responses({204: None}, NOT_FOUND, REFUSED),
)
def delete_minutes_item(
    request: HttpRequest, slug: str, meeting_id: int, minutes_item_id: int
) -> Status[None] | Status[ErrorOut]:
    """Remove an item of open minutes; an action item's task stays in the table (initiator, administrators)."""
    _collab, access, meeting = _open(request, slug, meeting_id)
    item = _minutes_item(meeting, minutes_item_id)
    _may(access, Action.EDIT_COLLABORATION)
    _minutes_not_cancelled(meeting)
    if not is_editable(meeting):
        return _closed(meeting)
    try:
        do_delete_minutes_item(item, actor=caller(request))
    except MinutesClosed as closed:
        return _closed(closed.meeting)
    return Status(204, None)


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/minutes/items/{minutes_item_id}/resolve",
    response=responses({200: MinutesItemOut}, NOT_FOUND, INVALID, REFUSED),
)
def resolve_issue(
    request: HttpRequest, slug: str, meeting_id: int, minutes_item_id: int, payload: ResolveIn
) -> MinutesItemOut:
    """Mark an open issue settled (or not), even in confirmed minutes (initiator, administrators).

    Unresolved issues are carried over to the agenda of the next regular meeting.
    """
    _collab, access, meeting = _open(request, slug, meeting_id)
    item = _minutes_item(meeting, minutes_item_id)
    _may(access, Action.EDIT_COLLABORATION)
    if item.kind != MinutesItemKind.ISSUE:
        raise HttpError(409, _("只有待决问题可以标记为已解决"))
    do_resolve_issue(item, payload.resolved, actor=caller(request))
    return minutes_item_out(_minutes_item(meeting, item.pk))


@router.put(
    "/collaborations/{slug}/meetings/{meeting_id}/minutes/summary",
    response=responses({200: MeetingDetailOut}, NOT_FOUND, INVALID, REFUSED),
)
def save_minutes_summary(
    request: HttpRequest, slug: str, meeting_id: int, payload: MinutesSummaryIn
) -> Status[MeetingDetailOut] | Status[ErrorOut]:
    """Write the minutes' summary while they are open (initiator, administrators)."""
    collab, access, meeting = _open(request, slug, meeting_id)
    _may(access, Action.EDIT_COLLABORATION)
    _minutes_not_cancelled(meeting)
    if not is_editable(meeting):
        return _closed(meeting)
    try:
        do_save_minutes_summary(meeting, payload.summary, actor=caller(request))
    except MinutesClosed as closed:
        return _closed(closed.meeting)
    return Status(200, meeting_detail(collab, meeting.pk))


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/minutes/issue",
    response=responses({200: MeetingDetailOut}, NOT_FOUND, REFUSED),
)
def issue_minutes(
    request: HttpRequest, slug: str, meeting_id: int
) -> Status[MeetingDetailOut] | Status[ErrorOut]:
    """Issue the minutes now, as a new revision that every participating head confirms.

    The first issue is what rule K03 judges (within 24 hours of the
    meeting). 409 before the meeting has begun; 403 when they are already
    issued and not reopened (initiator, administrators).
    """
    collab, access, meeting = _open(request, slug, meeting_id)
    _may(access, Action.EDIT_COLLABORATION)
    _minutes_not_cancelled(meeting)
    if not is_editable(meeting):
        return _closed(meeting)
    now = _now()
    if meeting.scheduled_at is None or now < meeting.scheduled_at:
        raise HttpError(409, _("会议开始后才能发出会议纪要"))
    try:
        do_issue_minutes(meeting, now, actor=caller(request))
    except MinutesClosed as closed:
        return _closed(closed.meeting)
    return Status(200, meeting_detail(collab, meeting.pk))


def _check_waiting(meeting: Meeting) -> None:
    """Raise 409 unless issued minutes wait for an answer (the same words as the meeting page)."""
    state = minutes_state(meeting)
    if state == MinutesState.DRAFT:
        raise HttpError(409, _("会议纪要尚未发出,发出后才能确认或申请更正。"))
    if state == MinutesState.REOPENED:
        raise HttpError(409, _("会议纪要正在更正,重新发出后请再次确认。"))


def _left(department: Department) -> Invalid:
    """The department stopped taking part while the request was on its way."""
    return Invalid.at("body.department", _("%(name)s 不是参与部门") % {"name": department.name})


def _responding(
    request: HttpRequest, slug: str, meeting_id: int, payload: DepartmentResponseIn
) -> tuple[Collaboration, Meeting, Department]:
    """Return the meeting and the department the caller answers for as its head; 422 / 403 / 409."""
    collab, access, meeting = _open(request, slug, meeting_id)
    department = find_department(payload.department, participating(collab), "body.department")
    _may(access, Action.CONFIRM_MINUTES, department.pk)
    _check_waiting(meeting)
    return collab, meeting, department


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/minutes/confirm",
    response=responses({200: MeetingDetailOut}, NOT_FOUND, INVALID, REFUSED),
)
def confirm_minutes(
    request: HttpRequest, slug: str, meeting_id: int, payload: DepartmentResponseIn
) -> MeetingDetailOut:
    """Confirm the issued revision for your department (its head); once all have, the minutes lock.

    Confirming twice keeps the first confirmation; confirming what was
    confirmed on your behalf (代确认) replaces it with your own. 409 when
    nothing is issued (a draft, or minutes reopened for a correction).
    """
    collab, meeting, department = _responding(request, slug, meeting_id, payload)
    try:
        do_confirm_minutes(meeting, department, _now(), actor=caller(request))
    except ValueError:  # reopened meanwhile
        meeting.refresh_from_db()
        _check_waiting(meeting)
        raise _left(department) from None
    return meeting_detail(collab, meeting.pk)


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/minutes/proxy-confirm",
    response=responses({200: MeetingDetailOut}, NOT_FOUND, INVALID, REFUSED),
)
def proxy_confirm_minutes(
    request: HttpRequest, slug: str, meeting_id: int, payload: ProxyConfirmIn
) -> MeetingDetailOut:
    """代确认: record a department head's confirmation for them, with a reason (initiator, administrators).

    The confirmation is the head's (`confirmed_by`), marked with `proxy_by`
    and `proxy_reason`; it counts like their own (K04, locking) until the
    head confirms in person, which replaces it. 409 when nothing waits for
    confirmation, the department is confirmed already or has no head;
    422 without a reason or with one over 200 characters.
    """
    collab, access, meeting = _open(request, slug, meeting_id)
    _may(access, Action.PROXY_CONFIRM_MINUTES)
    department = find_department(payload.department, participating(collab), "body.department")
    _check_waiting(meeting)
    try:
        do_proxy_confirm_minutes(meeting, department, payload.reason, _now(), actor=caller(request))
    except ProxyRefused as refused:
        if refused.field is not None:
            raise Invalid.at(f"body.{refused.field}", str(refused)) from None
        raise HttpError(409, str(refused)) from None
    return meeting_detail(collab, meeting.pk)


@router.post(
    "/collaborations/{slug}/meetings/{meeting_id}/minutes/corrections",
    response=responses({201: MeetingDetailOut}, NOT_FOUND, INVALID, REFUSED),
)
def request_correction(
    request: HttpRequest, slug: str, meeting_id: int, payload: CorrectionIn
) -> Status[MeetingDetailOut]:
    """Ask for a correction of the issued minutes for your department (its head), with a comment.

    The minutes reopen for editing; the revision and its confirmations stay
    in the history, and the next issue is a new revision every head confirms again.
    """
    collab, meeting, department = _responding(request, slug, meeting_id, payload)
    try:
        do_request_correction(meeting, department, payload.comment, _now(), actor=caller(request))
    except ValueError:  # reopened meanwhile
        meeting.refresh_from_db()
        _check_waiting(meeting)
        raise _left(department) from None
    return Status(201, meeting_detail(collab, meeting.pk))


# --- regular meetings of the communication plan


def _rule(request: HttpRequest, slug: str, rule_id: int) -> tuple[Collaboration, Access, CommunicationRule]:
    collab, access = collaboration(request, slug)
    return collab, access, get_object_in(collab, CommunicationRule.objects.all(), rule_id)


@router.get(
    "/collaborations/{slug}/communication/{rule_id}/occurrences",
    response=responses({200: list[OccurrenceOut]}, NOT_FOUND),
)
def list_occurrences(request: HttpRequest, slug: str, rule_id: int) -> list[OccurrenceOut]:
    """When a regular meeting of the plan takes place, from the kickoff to the goal's deadline.

    Occurrences on a statutory holiday are moved or cancelled as the row of
    the plan says; `meeting` is the stored meeting once opened. Empty for a
    row that is not a regular meeting with a schedule.
    """
    collab, _access, rule = _rule(request, slug, rule_id)
    if not is_series(rule):
        return []
    opened = dict(
        Meeting.objects.filter(series=rule)
        .exclude(scheduled_at=None)
        .values_list("scheduled_at", "pk")
        .order_by("scheduled_at")
    )
    return [
        OccurrenceOut(
            planned=o.planned,
            at=o.at,
            moved=o.moved,
            meeting=opened.get(o.at) if o.at is not None else None,
        )
        for o in series_occurrences(rule, series_window(collab))
    ]


@router.post(
    "/collaborations/{slug}/communication/{rule_id}/occurrences",
    response=responses({200: MeetingDetailOut, 201: MeetingDetailOut}, NOT_FOUND, INVALID),
)
def open_occurrence(
    request: HttpRequest, slug: str, rule_id: int, payload: OccurrenceIn
) -> Status[MeetingDetailOut]:
    """Open an occurrence of a regular meeting as a meeting: 201 the first time, then 200 with the same.

    It gets the default attendees and an agenda carried over from what is
    still open (unresolved issues and action items, blocked and overdue
    tasks). 422 when `at` is not an occurrence (initiator, administrators).
    """
    collab, access, rule = _rule(request, slug, rule_id)
    _may(access, Action.EDIT_COLLABORATION)
    existed = Meeting.objects.filter(series=rule, scheduled_at=payload.at).exists()
    try:
        meeting = do_open_occurrence(rule, payload.at, actor=caller(request))
    except ValueError:
        if not is_series(rule):
            raise Invalid.at("path.rule_id", _("这一行沟通机制不是定期召开的会议,没有例会场次")) from None
        raise Invalid.at(
            "body.at", _("该时间不是这一例会的场次,请从场次列表中选择(节假日顺延后的时间)")
        ) from None
    return Status(200 if existed else 201, meeting_detail(collab, meeting.pk))
