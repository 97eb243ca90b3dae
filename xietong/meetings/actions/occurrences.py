"""Regular meetings of the communication plan (例会) and their occurrences.

A row of the plan whose channel is a meeting and whose frequency is a rule
("every Monday 10:00") is a series. Its occurrences run from the kickoff (or
the collaboration's start) to the goal's deadline, moved or cancelled on
days off as the row says (``lib.schedule``). An occurrence becomes a
stored meeting when someone opens it: then it gets its attendees and an
agenda carried over from what is still open (unresolved issues and action
items of earlier meetings, blocked and overdue tasks), and minutes like the
kickoff's.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version
from xietong.collabs.models import Collaboration, Goal, Task, TaskStatus
from xietong.lib.recurrence import is_readable
from xietong.lib.schedule import Occurrence, occurrences
from xietong.meetings.actions.kickoff import add_agenda
from xietong.meetings.models import (
    Channel,
    CommunicationRule,
    Frequency,
    Meeting,
    MeetingKind,
    MinutesItem,
    MinutesItemKind,
)
from xietong.meetings.reads import default_attendees
from xietong.orgs.models import Person

MEETING_CHANNELS = (Channel.WEEKLY_MEETING, Channel.ADHOC_MEETING)
# A collaboration without a goal deadline shows its meetings for a year.
DEFAULT_SPAN = timedelta(days=366)
_AGENDA_TITLE_MAX = 200


def is_series(rule: CommunicationRule) -> bool:
    """Return True for a row of the plan that is a regular meeting with a readable schedule."""
    return rule.channel in MEETING_CHANNELS and rule.frequency == Frequency.RRULE and is_readable(rule.rrule)


def window_from(start: datetime, deadline: date | None) -> tuple[datetime, datetime]:
    """Return the span of regular meetings from ``start`` (kickoff or creation) to the goal's ``deadline``.

    Pure, so pages that already hold the kickoff and the deadline (the
    snapshot, the calendar feed) compute it without a query.
    """
    tz = timezone.get_current_timezone()
    until = datetime.combine(deadline, time.max, tzinfo=tz) if deadline is not None else start + DEFAULT_SPAN
    return start.astimezone(tz), until


def series_window(collab: Collaboration) -> tuple[datetime, datetime]:
    """Return the span a collaboration's regular meetings run in: kickoff (or start) to goal deadline."""
    kickoff = Meeting.objects.filter(collaboration=collab, kind=MeetingKind.KICKOFF).first()
    start = kickoff.scheduled_at if kickoff and kickoff.scheduled_at else collab.created_at
    goal = Goal.objects.filter(collaboration=collab).first()
    return window_from(start, goal.deadline if goal is not None else None)


def series_occurrences(rule: CommunicationRule, window: tuple[datetime, datetime]) -> list[Occurrence]:
    """Return the occurrences of a series within ``window`` (after its start, holidays applied)."""
    start, until = window
    return [o for o in occurrences(rule.rrule, start, until, rule.holiday_policy) if o.planned > start]


def _short(text: str) -> str:
    return text if len(text) <= _AGENDA_TITLE_MAX else text[: _AGENDA_TITLE_MAX - 1] + "…"


def carried_agenda(collab: Collaboration, before: datetime) -> list[str]:
    """Return what an occurrence at ``before`` carries over: what is still open, oldest first."""
    titles = [_("各部门汇报本周进展(对照部门职责分工表)")]
    today = before.astimezone(timezone.get_current_timezone()).date()
    earlier = MinutesItem.objects.filter(
        meeting__collaboration=collab, meeting__scheduled_at__lt=before
    ).select_related("department", "task")
    for item in earlier.filter(kind=MinutesItemKind.ISSUE, resolved=False):
        titles.append(_short(_("待决问题:%(text)s") % {"text": item.text}))
    for item in earlier.filter(kind=MinutesItemKind.ACTION).exclude(task__status=TaskStatus.DONE):
        owner = item.department.name if item.department else "—"
        titles.append(_short(_("未完成行动项:%(text)s(%(owner)s)") % {"text": item.text, "owner": owner}))
    open_tasks = (
        Task.objects.filter(collaboration=collab)
        .filter(Q(status=TaskStatus.BLOCKED) | Q(deadline__lt=today))
        .exclude(status=TaskStatus.DONE)
        .select_related("department")
    )
    for task in open_tasks:
        owner = task.department.name if task.department else "—"
        if task.status == TaskStatus.BLOCKED:
            text = _("受阻任务:%(text)s(%(owner)s,原因:%(reason)s)") % {
                "text": task.description,
                "owner": owner,
                "reason": task.blocked_reason or "—",
            }
        else:
            text = _("逾期任务:%(text)s(%(owner)s,截止 %(deadline)s)") % {
                "text": task.description,
                "owner": owner,
                "deadline": task.deadline.isoformat() if task.deadline else "—",
            }
        titles.append(_short(text))
    return titles


def occurrence_title(rule: CommunicationRule, at: datetime) -> str:
    local = at.astimezone(timezone.get_current_timezone())
    return _("%(channel)s(%(date)s)") % {
        "channel": rule.get_channel_display(),
        "date": local.date().isoformat(),
    }


@transaction.atomic
def do_open_occurrence(rule: CommunicationRule, at: datetime, *, actor: Person | None = None) -> Meeting:
    """Return the meeting of the series at ``at``, creating it with attendees and carried-over agenda.

    ``at`` must be when an occurrence really takes place (after holiday
    moves); raises ValueError otherwise. Opening the same occurrence twice,
    even at once from two requests, yields one meeting.
    """
    existing = Meeting.objects.filter(series=rule, scheduled_at=at).first()
    if existing is not None:
        return existing
    collab = rule.collaboration
    if not is_series(rule):
        raise ValueError("the row of the plan is not a regular meeting")
    if at not in {o.at for o in series_occurrences(rule, series_window(collab))}:
        raise ValueError(f"{at.isoformat()} is not an occurrence of the series")
    try:
        with transaction.atomic(), audited(None, actor=actor, collaboration=collab) as box:
            meeting = Meeting.objects.create(
                collaboration=collab,
                kind=MeetingKind.RECURRING,
                series=rule,
                title=occurrence_title(rule, at),
                scheduled_at=at,
                duration_minutes=rule.duration_minutes,
                location=rule.location,
                chair=collab.owner,
            )
            box["obj"] = meeting
    except IntegrityError:
        return Meeting.objects.get(series=rule, scheduled_at=at)
    meeting.attendees.set(default_attendees(collab))
    add_agenda(meeting, carried_agenda(collab, at))
    bump_version(collab)
    return meeting
