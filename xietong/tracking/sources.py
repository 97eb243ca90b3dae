"""Read what the weekly progress list is compiled from, in a constant number of queries.

Five queries whatever the size of the table or its history: the
collaboration's schedule (kickoff, goal deadline), its weekly meetings
(when reports are due), the participating departments (each with its
latest update by the end of the week), the rows (each with its last update
before the week and the start of the blocked run that update belongs to)
and the updates (the week's, plus those last ones). ``compile_for`` then
runs the pure ``compile_weekly`` on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DateTimeField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from xietong.collabs.models import Collaboration, Goal, Participant, Task, TaskStatus
from xietong.meetings.models import Channel, CommunicationRule, Frequency, Meeting, MeetingKind
from xietong.orgs.models import NAME_FIELDS, name_of
from xietong.rules.reporting import WeeklyMeeting
from xietong.tracking.models import ProgressUpdate
from xietong.tracking.weekly import (
    Execution,
    IsoWeek,
    TaskFacts,
    UpdateFacts,
    WeeklyList,
    compile_weekly,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class WeekSources:
    """The facts of one week, and each row's department (pages check who may update a row)."""

    week: IsoWeek
    row_departments: dict[int, int | None]  # each row's responsible department (its id), for permissions
    task_facts: list[TaskFacts]
    updates: list[UpdateFacts]
    departments: list[str]
    execution: Execution
    last_reports: dict[str, datetime]  # each participant's latest update by the end of the week


def company_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def current_week(now: datetime | None = None, tz: tzinfo | None = None) -> IsoWeek:
    """Return the ISO week ``now`` (default: the present moment) falls in, in the company's time zone."""
    moment = now or timezone.now()
    return IsoWeek.of(moment.astimezone(tz or company_tz()).date())


def _execution(collab: Collaboration) -> Execution:
    kickoff = Meeting.objects.filter(collaboration=OuterRef("pk"), kind=MeetingKind.KICKOFF).values(
        "scheduled_at"
    )[:1]
    deadline = Goal.objects.filter(collaboration=OuterRef("pk")).values("deadline")[:1]
    row = (
        Collaboration.objects.filter(pk=collab.pk)
        .annotate(kickoff_at=Subquery(kickoff), goal_deadline=Subquery(deadline))
        .values_list("kickoff_at", "goal_deadline")
        .first()
    )
    kickoff_at, goal_deadline = row if row is not None else (None, None)
    meetings = tuple(
        WeeklyMeeting(rrule, policy)
        for rrule, policy in CommunicationRule.objects.filter(
            collaboration=collab, channel=Channel.WEEKLY_MEETING, frequency=Frequency.RRULE
        )
        .exclude(rrule="")
        .order_by("pk")
        .values_list("rrule", "holiday_policy")
    )
    return Execution(
        kickoff=kickoff_at, deadline=goal_deadline, closed_at=collab.closed_at, meetings=meetings
    )


def _tasks(collab: Collaboration, start: datetime) -> list[Any]:
    """The rows as named tuples (``_TASK_COLUMNS``), each with its last update before ``start`` and that update's blocked run.

    Tuples, not model instances: a page reads every row of the table, and
    building hundreds of instances (three a row with the departments) costs
    more than the query.
    """
    earlier = ProgressUpdate.objects.filter(task=OuterRef("pk"), created_at__lt=start)
    last_unblocked = (
        earlier.exclude(status=TaskStatus.BLOCKED).order_by("-created_at", "-id").values("created_at")[:1]
    )
    run_start = (
        ProgressUpdate.objects.filter(
            task=OuterRef("pk"),
            created_at__lt=start,
            status=TaskStatus.BLOCKED,
            created_at__gt=Coalesce(OuterRef("last_unblocked"), Value(_EPOCH, output_field=DateTimeField())),
        )
        .order_by("created_at", "id")
        .values("created_at")[:1]
    )
    return list(
        Task.objects.filter(collaboration=collab)
        .annotate(
            prior_update=Subquery(earlier.order_by("-created_at", "-id").values("pk")[:1]),
            last_unblocked=Subquery(last_unblocked),
        )
        .annotate(run_start=Subquery(run_start))
        .values_list(*_TASK_COLUMNS, named=True)
    )


_TASK_COLUMNS = (
    "pk",
    "description",
    "department_id",
    "department__name",
    "deadline",
    "status",
    "percent",
    "blocked_reason",
    "blocked_since",
    "waiting_on__name",
    "created_at",
    "prior_update",
    "run_start",
)
_UPDATE_COLUMNS = (
    "pk",
    "task_id",
    "department__name",
    "created_at",
    "status",
    "percent",
    "note",
    "next_step",
    "blocked_reason",
    "waiting_on__name",
    *(f"author__{name}" for name in NAME_FIELDS),
)


# A few authors write many updates: each name made once.
_name = lru_cache(maxsize=1024)(name_of)


def load_week(collab: Collaboration, week: IsoWeek, tz: tzinfo | None = None) -> WeekSources:
    """Read the facts ``compile_weekly`` needs for ``week`` (four queries, whatever the size)."""
    tz = tz or company_tz()
    start, end = week.start(tz), week.end(tz)
    execution = _execution(collab)
    latest = ProgressUpdate.objects.filter(
        collaboration=collab, department=OuterRef("department"), created_at__lt=end
    ).order_by("-created_at")
    participants = list(
        Participant.objects.filter(collaboration=collab)
        .annotate(last_report=Subquery(latest.values("created_at")[:1]))
        .values_list("department__name", "last_report")
    )
    departments = [name for name, _last in participants]
    last_reports = {name: last for name, last in participants if last is not None}
    tasks = _tasks(collab, start)
    run_starts = {t.prior_update: t.run_start for t in tasks if t.prior_update is not None}
    rows = (
        ProgressUpdate.objects.filter(collaboration=collab)
        .filter(Q(created_at__gte=start, created_at__lt=end) | Q(pk__in=list(run_starts)))
        .order_by("created_at", "id")
        .values_list(*_UPDATE_COLUMNS)
    )
    updates = [
        UpdateFacts(
            task=task,
            department=department or "",
            at=at,
            status=status,
            percent=percent,
            note=note,
            next_step=next_step,
            blocked_reason=reason,
            waiting_on=waiting_on or "",
            author=_name(*author),
            blocked_since=run_starts.get(pk),
        )
        for pk, task, department, at, status, percent, note, next_step, reason, waiting_on, *author in rows
    ]
    facts = [
        TaskFacts(
            key=t.pk,
            description=t.description,
            department=t.department__name or "",
            deadline=t.deadline,
            status=t.status,
            percent=t.percent,
            blocked_reason=t.blocked_reason,
            blocked_since=t.blocked_since,
            waiting_on=t.waiting_on__name or "",
            created_at=t.created_at,
        )
        for t in tasks
    ]
    row_departments = {t.pk: t.department_id for t in tasks}
    return WeekSources(week, row_departments, facts, updates, departments, execution, last_reports)


def compile_sources(sources: WeekSources, now: datetime, tz: tzinfo | None = None) -> WeeklyList:
    return compile_weekly(
        sources.task_facts,
        sources.updates,
        sources.week,
        now,
        tz=tz or company_tz(),
        departments=sources.departments,
        escalation_working_days=settings.XIETONG_ESCALATION_WORKING_DAYS,
        execution=sources.execution,
        last_reports=sources.last_reports,
    )


def compile_for(collab: Collaboration, week: IsoWeek, now: datetime | None = None) -> WeeklyList:
    """Return the weekly progress list of ``collab`` for ``week`` as of ``now`` (default: now)."""
    tz = company_tz()
    return compile_sources(load_week(collab, week, tz), now or timezone.now(), tz)


def weeks_of(execution: Execution, upto: IsoWeek, tz: tzinfo) -> list[IsoWeek]:
    """Return the weeks from the kickoff's (or ``upto`` alone) to ``upto``, newest first."""
    first = IsoWeek.of(execution.kickoff.astimezone(tz).date()) if execution.kickoff else upto
    weeks: list[IsoWeek] = []
    week = upto
    while week >= first and len(weeks) < 260:
        weeks.append(week)
        week = week.previous()
    return weeks
