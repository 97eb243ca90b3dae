"""Writes of a meeting's minutes (会议纪要): items, issue, confirmation, correction.

The life of minutes: a draft the chair's side writes (summary, decisions,
action items, open issues); issued (the first issue is what K03 judges);
confirmed by each participating department's head, and locked once all
have confirmed (K04 until then). A head who finds a mistake asks for a
correction with a comment: that reopens the minutes for editing, and the
next issue is a new revision that every head confirms again. Every issued
revision is kept whole, with the confirmations it received.

A head who cannot confirm in the product (confirmed by phone, away) may have
their confirmation recorded for them by the initiator or an administrator
(代确认, ``do_proxy_confirm_minutes``, with a reason); it counts as theirs
until they confirm in person, which replaces it.

An action item becomes a row of the responsibility table when it is
written, with its owner, standard and deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version, delete_row, next_position
from xietong.collabs.actions.tasks import TaskInput, do_save_task
from xietong.collabs.models import Participant, Task, TaskStatus
from xietong.lib.limits import check_input
from xietong.meetings.models import (
    PROXY_REASON_MAX,
    Meeting,
    MinutesConfirmation,
    MinutesCorrection,
    MinutesItem,
    MinutesItemKind,
    MinutesRevision,
)
from xietong.meetings.reads import revision_content
from xietong.orgs.models import Department, Person

# What a person reads when they try to change minutes that are not open.
LOCKED_MESSAGE = _("会议纪要已确认存档,不能再修改;如需更正,请由部门负责人提出更正申请。")
ISSUED_MESSAGE = _("会议纪要已发出,正在等待各部门负责人确认;如需修改,请由部门负责人提出更正申请。")


class MinutesState(StrEnum):
    DRAFT = "draft"  # never issued
    ISSUED = "issued"  # waiting for confirmations
    REOPENED = "reopened"  # a correction was asked for: being edited again
    CONFIRMED = "confirmed"  # every participating head confirmed: locked and archived


STATE_LABELS = {
    MinutesState.DRAFT: _("草稿"),
    MinutesState.ISSUED: _("已发出,待确认"),
    MinutesState.REOPENED: _("更正中"),
    MinutesState.CONFIRMED: _("已确认存档"),
}


def minutes_state(meeting: Meeting) -> MinutesState:
    if meeting.minutes_revision == 0:
        return MinutesState.DRAFT
    if meeting.minutes_reopened_at is not None:
        return MinutesState.REOPENED
    if meeting.minutes_locked_at is not None:
        return MinutesState.CONFIRMED
    return MinutesState.ISSUED


class MinutesClosed(Exception):
    """The minutes are issued or confirmed: they change only through a correction request."""

    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting
        self.state = minutes_state(meeting)
        super().__init__(str(LOCKED_MESSAGE if self.state == MinutesState.CONFIRMED else ISSUED_MESSAGE))


def is_editable(meeting: Meeting) -> bool:
    return minutes_state(meeting) in {MinutesState.DRAFT, MinutesState.REOPENED}


def _open_for_editing(meeting: Meeting) -> Meeting:
    """Lock the meeting's row and return it fresh; raise ``MinutesClosed`` when its minutes are not open."""
    current = Meeting.objects.select_for_update().select_related("collaboration").get(pk=meeting.pk)
    if not is_editable(current):
        raise MinutesClosed(current)
    return current


@dataclass(frozen=True)
class ItemInput:
    """A decision, an action item (owner, standard and deadline required) or an open issue."""

    kind: str
    text: str
    department: Department | None = None
    standard: str = ""
    deadline: date | None = None

    def __post_init__(self) -> None:
        check_input(self, MinutesItem)
        if not self.text.strip():
            raise ValueError("an item needs its text")
        if self.kind == MinutesItemKind.ACTION and (
            self.department is None or not self.standard.strip() or self.deadline is None
        ):
            raise ValueError("an action item needs an owner, a delivery standard and a deadline")


def _task_input(data: ItemInput, task: Task | None) -> TaskInput:
    return TaskInput(
        description=data.text,
        department=data.department,
        standard=data.standard,
        deadline=data.deadline,
        collaborators=list(task.collaborators.all()) if task else [],
        status=task.status if task else TaskStatus.NOT_STARTED,
        blocked_reason=task.blocked_reason if task else "",
    )


@transaction.atomic
def do_save_minutes_item(
    meeting: Meeting, data: ItemInput, *, item: MinutesItem | None = None, actor: Person | None = None
) -> MinutesItem:
    """Add an item at the end of the minutes, or change ``item``; return it.

    An action item writes its row of the responsibility table (creating it
    the first time, updating owner, standard, deadline and text after);
    the row's status and progress are left alone. Raises ``MinutesClosed``
    unless the minutes are a draft or reopened.
    """
    meeting = _open_for_editing(meeting)
    if item is not None and item.meeting_id != meeting.pk:
        raise ValueError("the item belongs to another meeting")
    collab = meeting.collaboration
    task = item.task if item is not None else None
    if data.kind == MinutesItemKind.ACTION:
        task = do_save_task(
            collab, _task_input(data, task), task=task, actor=actor, reason=str(_("会议纪要行动项"))
        )
    with audited(item, actor=actor, collaboration=collab) as box:
        if item is None:
            item = MinutesItem(
                meeting=meeting, position=next_position(MinutesItem.objects.filter(meeting=meeting))
            )
        item.kind, item.text = data.kind, data.text
        item.department = data.department
        item.standard = data.standard if data.kind == MinutesItemKind.ACTION else ""
        item.deadline = data.deadline if data.kind == MinutesItemKind.ACTION else None
        item.task = task
        item.save()
        box["obj"] = item
    bump_version(collab)
    return item


@transaction.atomic
def do_delete_minutes_item(item: MinutesItem, *, actor: Person | None = None) -> None:
    """Remove an item from open minutes; an action item's task stays in the table (it may have begun)."""
    meeting = _open_for_editing(item.meeting)
    delete_row(item, meeting.collaboration, actor=actor)


@transaction.atomic
def do_save_minutes_summary(meeting: Meeting, summary: str, *, actor: Person | None = None) -> Meeting:
    """Write the minutes' summary (attendance, key points); only while they are open."""
    meeting = _open_for_editing(meeting)
    with audited(meeting, actor=actor, collaboration=meeting.collaboration):
        meeting.minutes_summary = summary
        meeting.save(update_fields=["minutes_summary"])
    bump_version(meeting.collaboration)
    return meeting


@transaction.atomic
def do_issue_minutes(meeting: Meeting, at: datetime, *, actor: Person | None = None) -> MinutesRevision:
    """Issue the minutes as a new revision and return it; heads then confirm it.

    The first issue sets ``minutes_issued_at`` (K03). Raises ValueError
    before the meeting has begun and ``MinutesClosed`` for minutes already
    issued and not reopened.
    """
    meeting = _open_for_editing(meeting)
    if meeting.scheduled_at is None or at < meeting.scheduled_at:
        raise ValueError("minutes are issued after the meeting has begun")
    collab = meeting.collaboration
    with audited(meeting, actor=actor, collaboration=collab):
        meeting.minutes_revision += 1
        if meeting.minutes_issued_at is None:
            meeting.minutes_issued_at = at
        meeting.minutes_reopened_at = None
        meeting.minutes_locked_at = None
        meeting.save(
            update_fields=[
                "minutes_revision",
                "minutes_issued_at",
                "minutes_reopened_at",
                "minutes_locked_at",
            ]
        )
    revision = MinutesRevision.objects.create(
        meeting=meeting,
        number=meeting.minutes_revision,
        issued_at=at,
        issued_by=actor,
        content=revision_content(meeting),
    )
    bump_version(collab)
    return revision


def participating_departments(meeting: Meeting) -> list[int]:
    """Return the ids of the departments whose heads confirm ``meeting``'s minutes."""
    return list(
        Participant.objects.filter(collaboration_id=meeting.collaboration_id).values_list(
            "department_id", flat=True
        )
    )


def _check_can_respond(meeting: Meeting, department: Department) -> None:
    if minutes_state(meeting) not in {MinutesState.ISSUED, MinutesState.CONFIRMED}:
        raise ValueError("there are no issued minutes to respond to")
    if department.pk not in participating_departments(meeting):
        raise ValueError("the department does not take part in the collaboration")


@transaction.atomic
def do_confirm_minutes(
    meeting: Meeting, department: Department, at: datetime, *, actor: Person | None = None
) -> MinutesConfirmation:
    """Record ``department``'s confirmation of the current revision; lock the minutes once all confirmed.

    Confirming twice returns the first confirmation; confirming what was
    confirmed on the head's behalf (代确认) replaces it with the head's own
    (``_replace_proxy``). Raises ValueError when
    no revision is waiting (draft or reopened minutes) or the department
    does not take part.
    """
    meeting = Meeting.objects.select_for_update().select_related("collaboration").get(pk=meeting.pk)
    _check_can_respond(meeting, department)
    collab = meeting.collaboration
    confirmation = MinutesConfirmation.objects.filter(
        meeting=meeting, revision=meeting.minutes_revision, department=department
    ).first()
    if confirmation is not None:
        if confirmation.by_proxy:
            confirmation.meeting = meeting
            return _replace_proxy(confirmation, at, actor=actor)
        return confirmation
    with audited(None, actor=actor, collaboration=collab) as box:
        confirmation = MinutesConfirmation.objects.create(
            meeting=meeting,
            revision=meeting.minutes_revision,
            department=department,
            confirmed_at=at,
            confirmed_by=actor,
        )
        box["obj"] = confirmation
    _lock_if_all_confirmed(meeting, at, actor=actor)
    bump_version(collab)
    return confirmation


def _lock_if_all_confirmed(meeting: Meeting, at: datetime, *, actor: Person | None) -> None:
    """Lock the minutes once every participating department confirmed the revision in force."""
    confirmed = set(
        MinutesConfirmation.objects.filter(meeting=meeting, revision=meeting.minutes_revision).values_list(
            "department_id", flat=True
        )
    )
    if set(participating_departments(meeting)) <= confirmed:
        with audited(meeting, actor=actor, collaboration=meeting.collaboration):
            meeting.minutes_locked_at = at
            meeting.save(update_fields=["minutes_locked_at"])


def _replace_proxy(
    confirmation: MinutesConfirmation, at: datetime, *, actor: Person | None
) -> MinutesConfirmation:
    """The head confirms in person what was confirmed for them: their own confirmation replaces the proxy.

    The proxy (who, why, when) stays in the audit entry's "before".
    """
    collab = confirmation.meeting.collaboration
    with audited(confirmation, actor=actor, collaboration=collab, reason=str(_("本人确认,替代代确认"))):
        confirmation.confirmed_at = at
        confirmation.confirmed_by = actor
        confirmation.proxy_by = None
        confirmation.proxy_reason = ""
        confirmation.save(update_fields=["confirmed_at", "confirmed_by", "proxy_by", "proxy_reason"])
    bump_version(collab)
    return confirmation


class ProxyRefused(Exception):
    """A proxy confirmation (代确认) that cannot be recorded; the message says why."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


def check_proxy_reason(reason: str) -> str:
    """Return ``reason`` stripped, or raise ``ProxyRefused`` when it is empty or too long."""
    reason = reason.strip()
    if not reason:
        raise ProxyRefused(str(_("请填写代确认理由,例如“已电话确认”")), "reason")
    if len(reason) > PROXY_REASON_MAX:
        raise ProxyRefused(
            str(_("代确认理由不能超过 %(limit)s 个字")) % {"limit": PROXY_REASON_MAX}, "reason"
        )
    return reason


@transaction.atomic
def do_proxy_confirm_minutes(
    meeting: Meeting, department: Department, reason: str, at: datetime, *, actor: Person
) -> MinutesConfirmation:
    """Record ``department``'s confirmation for its head (代确认) by ``actor``, with ``reason``; return it.

    The confirmation is the head's (``confirmed_by`` is the department's head
    now), marked with who recorded it and why; it counts like the head's own
    (the minutes lock once all confirmed, K04 counts it) until the head
    confirms in person, which replaces it. The caller checks ``actor`` may
    (``Action.PROXY_CONFIRM_MINUTES``). Raises ``ProxyRefused`` without a
    reason or with one too long, for a department without a head (nobody to
    confirm for), one already confirmed, and minutes not waiting for
    confirmation (a draft, reopened or already locked).
    """
    reason = check_proxy_reason(reason)
    meeting = Meeting.objects.select_for_update().select_related("collaboration").get(pk=meeting.pk)
    if minutes_state(meeting) != MinutesState.ISSUED:
        raise ProxyRefused(str(_("会议纪要当前不在待确认状态,不能代确认。")))
    if department.pk not in participating_departments(meeting):
        raise ProxyRefused(str(_("%(name)s 不是参与部门") % {"name": department.name}), "department")
    head = Department.objects.select_related("head").get(pk=department.pk).head
    if head is None:
        raise ProxyRefused(
            str(_("%(name)s 尚未设置部门负责人,无法代确认:请先由组织管理员设置部门负责人。"))
            % {"name": department.name}
        )
    if MinutesConfirmation.objects.filter(
        meeting=meeting, revision=meeting.minutes_revision, department=department
    ).exists():
        raise ProxyRefused(str(_("%(name)s 已确认本版纪要,无需代确认。")) % {"name": department.name})
    collab = meeting.collaboration
    with audited(None, actor=actor, collaboration=collab, reason=reason) as box:
        confirmation = MinutesConfirmation.objects.create(
            meeting=meeting,
            revision=meeting.minutes_revision,
            department=department,
            confirmed_at=at,
            confirmed_by=head,
            proxy_by=actor,
            proxy_reason=reason,
        )
        box["obj"] = confirmation
    _lock_if_all_confirmed(meeting, at, actor=actor)
    bump_version(collab)
    return confirmation


@transaction.atomic
def do_request_correction(
    meeting: Meeting, department: Department, comment: str, at: datetime, *, actor: Person | None = None
) -> MinutesCorrection:
    """Ask for a correction of the issued (or confirmed) minutes; reopen them for editing.

    The revision and its confirmations stay in the history; the next issue
    is a new revision that every head confirms again. Raises ValueError
    without a comment, for minutes not issued, or for a department that does
    not take part.
    """
    if not comment.strip():
        raise ValueError("a correction request says what is wrong")
    meeting = Meeting.objects.select_for_update().select_related("collaboration").get(pk=meeting.pk)
    _check_can_respond(meeting, department)
    collab = meeting.collaboration
    with audited(None, actor=actor, collaboration=collab, reason=comment) as box:
        correction = MinutesCorrection.objects.create(
            meeting=meeting,
            revision=meeting.minutes_revision,
            department=department,
            requested_by=actor,
            comment=comment.strip(),
            requested_at=at,
        )
        box["obj"] = correction
    with audited(meeting, actor=actor, collaboration=collab, reason=comment):
        meeting.minutes_reopened_at = at
        meeting.minutes_locked_at = None
        meeting.save(update_fields=["minutes_reopened_at", "minutes_locked_at"])
    bump_version(collab)
    return correction


@transaction.atomic
def do_resolve_issue(item: MinutesItem, resolved: bool, *, actor: Person | None = None) -> MinutesItem:
    """Mark an open issue resolved (or not): a state tracked after the minutes, allowed when locked."""
    if item.kind != MinutesItemKind.ISSUE:
        raise ValueError("only open issues are resolved")
    collab = item.meeting.collaboration
    with audited(item, actor=actor, collaboration=collab):
        item.resolved = resolved
        item.save(update_fields=["resolved"])
    bump_version(collab)
    return item
