"""Read what step 8 shows, in a constant number of queries whatever the size.

The rows with their verdicts and the moment each was done (one query), the
latest metric readings (one), the retrospective (one), and the scorecards'
facts: SLA requests with their pauses (two), the progress updates' authors
and times (one), minutes revisions and confirmations (two). What closing
would leave open (``open_items``): minutes not confirmed (two more). The schedule
(kickoff, deadline) and the participating departments come from the
workspace's snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Max, OuterRef, Subquery

from xietong.collabs.models import Collaboration, MetricReading, Task, TaskStatus
from xietong.meetings.models import Meeting, MinutesConfirmation, MinutesRevision
from xietong.rules import snapshot as s
from xietong.rules.closing import has_final_reading
from xietong.rules.reporting import weekly_meetings
from xietong.tracking.models import Acceptance, ProgressUpdate, Retrospective, SlaRequest
from xietong.tracking.scorecards import ConfirmationFact, RowFact, Scorecard, SlaFact, scorecards
from xietong.tracking.weekly import Execution


def load_tasks(collab: Collaboration) -> list[Task]:
    """The rows in order, each with its department, verdict and ``done_at`` (last update with status done)."""
    done = (
        ProgressUpdate.objects.filter(task=OuterRef("pk"), status=TaskStatus.DONE)
        .order_by()
        .values("task")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    return list(
        Task.objects.filter(collaboration=collab)
        .select_related("department", "acceptance__department", "acceptance__decided_by")
        .annotate(last_done=Subquery(done))
    )


def done_at(task: Task) -> datetime | None:
    """When the row was done: its last done update, else its last change; None when not done."""
    if task.status != TaskStatus.DONE:
        return None
    return getattr(task, "last_done", None) or task.updated_at


def latest_readings(collab: Collaboration) -> list[tuple[int, date, Decimal]]:
    """``(metric id, measured_on, value)`` of the goal's readings (one query)."""
    return list(
        MetricReading.objects.filter(metric__goal__collaboration=collab).values_list(
            "metric_id", "measured_on", "value"
        )
    )


def retrospective_of(collab: Collaboration) -> Retrospective | None:
    return Retrospective.objects.filter(collaboration=collab).select_related("written_by").first()


def execution_of(collab: Collaboration, snapshot: s.Collab) -> Execution:
    kickoff = snapshot.kickoff.scheduled_at if snapshot.kickoff is not None else None
    deadline = snapshot.goal.deadline if snapshot.goal is not None else None
    return Execution(
        kickoff=kickoff, deadline=deadline, closed_at=collab.closed_at, meetings=weekly_meetings(snapshot)
    )


@dataclass(frozen=True)
class ScorecardFacts:
    sla: list[SlaFact]
    reports: list[tuple[str, datetime]]
    confirmations: list[ConfirmationFact]


def load_facts(collab: Collaboration) -> ScorecardFacts:
    """Read the SLA requests, progress updates and minutes confirmations (five queries)."""
    requests = (
        SlaRequest.objects.filter(collaboration=collab)
        .select_related("subgoal__department")
        .prefetch_related("pauses")
    )
    sla = [
        SlaFact(
            department=r.subgoal.department.name if r.subgoal.department else "",
            started_at=r.started_at,
            answered_at=r.answered_at,
            pauses=tuple((p.started_at, p.ended_at) for p in r.pauses.all()),
            hours=float(r.subgoal.sla_hours or 0),
            clock=r.subgoal.sla_clock,
        )
        for r in requests
        if r.subgoal.sla_hours
    ]
    reports = [
        (name or "", at)
        for name, at in ProgressUpdate.objects.filter(collaboration=collab)
        .order_by()
        .values_list("department__name", "created_at")
    ]
    issued = {
        (meeting, number): at
        for meeting, number, at in MinutesRevision.objects.filter(meeting__collaboration=collab).values_list(
            "meeting_id", "number", "issued_at"
        )
    }
    confirmations = []
    for meeting, revision, name, at in MinutesConfirmation.objects.filter(
        meeting__collaboration=collab
    ).values_list("meeting_id", "revision", "department__name", "confirmed_at"):
        issued_at = issued.get((meeting, revision))
        if issued_at is not None:
            confirmations.append(ConfirmationFact(name, issued_at, at))
    return ScorecardFacts(sla, reports, confirmations)


def department_scorecards(
    collab: Collaboration, snapshot: s.Collab, tasks: list[Task], now: datetime, tz: ZoneInfo
) -> list[Scorecard]:
    """Return the scorecard of each participating department (``tasks`` from ``load_tasks``)."""
    facts = load_facts(collab)
    rows = [_row_fact(t) for t in tasks]
    return scorecards(
        [d.name for d in snapshot.departments],
        rows,
        facts.sla,
        facts.reports,
        facts.confirmations,
        execution_of(collab, snapshot),
        now,
        tz,
    )


def _row_fact(task: Task) -> RowFact:
    verdict: Acceptance | None = getattr(task, "acceptance", None)
    return RowFact(
        task.department.name if task.department else "",
        task.deadline,
        done_at(task),
        task=task.description,
        verdict=verdict.verdict if verdict is not None else "",
        reason=verdict.reason if verdict is not None else "",
    )


@dataclass(frozen=True)
class OpenMetric:
    name: str
    key: int | None
    latest: date | None  # when it was last measured; None: never


@dataclass(frozen=True)
class OpenMinutes:
    meeting: Meeting
    missing: tuple[str, ...]  # the participating departments that have not confirmed the revision in force
    reopened: bool  # a correction was asked for: nobody can confirm until it is issued again


@dataclass(frozen=True)
class OpenItems:
    """What is still open when a collaboration is about to close (shown before the final click)."""

    tasks: list[Task]  # rows not done
    metrics: list[OpenMetric]  # goal metrics without a final reading (rules.closing.has_final_reading)
    minutes: list[OpenMinutes]  # issued minutes not confirmed by every participating department

    @property
    def count(self) -> int:
        return len(self.tasks) + len(self.metrics) + len(self.minutes)


def open_items(
    collab: Collaboration,
    snapshot: s.Collab,
    tasks: list[Task],
    readings: list[tuple[int, date, Decimal]],
    today: date,
) -> OpenItems:
    """Return what closing now would leave open (``tasks`` from ``load_tasks``, ``readings`` from ``latest_readings``)."""
    latest: dict[int, date] = {}
    for metric, measured_on, _value in readings:
        if metric not in latest or measured_on > latest[metric]:
            latest[metric] = measured_on
    goal = snapshot.goal
    metrics = [
        OpenMetric(m.name, m.key, latest.get(m.key) if m.key is not None else None)
        for m in (goal.metrics if goal is not None else ())
        if not has_final_reading(
            latest.get(m.key) if m.key is not None else None, goal.deadline if goal else None, today
        )
    ]
    meetings = list(
        Meeting.objects.filter(
            collaboration=collab, minutes_revision__gt=0, minutes_locked_at__isnull=True
        ).order_by("scheduled_at", "id")
    )
    confirmed: dict[int, set[str]] = {m.pk: set() for m in meetings}
    revision_of = {m.pk: m.minutes_revision for m in meetings}
    if meetings:
        for meeting, revision, name in MinutesConfirmation.objects.filter(meeting__in=meetings).values_list(
            "meeting_id", "revision", "department__name"
        ):
            if revision == revision_of[meeting]:
                confirmed[meeting].add(name)
    names = [d.name for d in snapshot.departments if d.name]
    minutes = [
        OpenMinutes(
            m,
            tuple(n for n in names if n not in confirmed[m.pk])
            if m.minutes_reopened_at is None
            else tuple(names),
            m.minutes_reopened_at is not None,
        )
        for m in meetings
        if m.minutes_reopened_at is not None or not confirmed[m.pk].issuperset(names)
    ]
    return OpenItems([t for t in tasks if t.status != TaskStatus.DONE], metrics, minutes)
