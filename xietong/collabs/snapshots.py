"""Read stored collaborations into the rules' snapshots: one query per section.

``load_snapshots`` reads any number of collaborations with the same eight
queries, so judging one collaboration of 10 or 10,000 tasks, or a list page
of 50 collaborations, costs the same round trips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db.models import F, OuterRef, Subquery

from xietong.collabs.models import Collaboration, Goal, Metric, Participant, SubGoal, Task
from xietong.meetings.models import CommunicationRule, Meeting, MeetingKind, MinutesConfirmation
from xietong.orgs.models import NAME_FIELDS, name_of
from xietong.rules import snapshot as s
from xietong.tracking.models import ProgressUpdate, Retrospective


def _names(prefix: str) -> tuple[str, ...]:
    """The values ``Person.name`` is made of, of the person at ``prefix`` (read as values, not a whole row)."""
    return tuple(f"{prefix}__{name}" for name in NAME_FIELDS)


def _name(parts: tuple[str | None, ...], known: dict[tuple[str | None, ...], str]) -> str:
    """Return ``Person.name`` of a person read as ``_names`` values ("" for none), once per person."""
    if parts not in known:
        known[parts] = name_of(*parts)
    return known[parts]


def _goals(ids: list[int]) -> dict[int, s.Goal]:
    metrics: dict[int, list[s.Metric]] = defaultdict(list)
    for m in Metric.objects.filter(goal__collaboration_id__in=ids):
        metrics[m.goal_id].append(
            s.Metric(
                name=m.name,
                unit=m.unit,
                baseline=m.baseline,
                target=m.target,
                direction=s.Direction(m.direction) if m.direction else None,
                scale_max=m.scale_max,
                key=m.pk,
            )
        )
    return {
        goal.collaboration_id: s.Goal(
            statement=goal.statement, deadline=goal.deadline, metrics=tuple(metrics[goal.pk])
        )
        for goal in Goal.objects.filter(collaboration_id__in=ids)
    }


def _departments(ids: list[int]) -> dict[int, list[s.Department]]:
    grouped: dict[int, list[s.Department]] = defaultdict(list)
    last_report = (
        ProgressUpdate.objects.filter(
            collaboration_id=OuterRef("collaboration_id"), department_id=OuterRef("department_id")
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    known: dict[tuple[str | None, ...], str] = {}
    rows = (
        Participant.objects.filter(collaboration_id__in=ids)
        .annotate(last_report=Subquery(last_report))
        .values_list(
            "pk",
            "collaboration_id",
            "department__name",
            "duties",
            "role",
            "last_report",
            *_names("liaison"),
            *_names("department__head"),
        )
    )
    width = len(NAME_FIELDS)
    for pk, collab_id, name, duties, role, last, *people in rows:
        liaison = _name(tuple(people[:width]), known)
        grouped[collab_id].append(
            s.Department(
                name=name,
                liaisons=(liaison,) if liaison else (),
                head=_name(tuple(people[width:]), known),
                duties=duties,
                role=role,
                last_report=last,
                key=pk,
            )
        )
    return grouped


def _tasks(ids: list[int]) -> dict[int, list[s.Task]]:
    # Values, not model instances: a collaboration's tasks by the thousand, each with its people.
    known: dict[tuple[str | None, ...], str] = {}
    collaborators: dict[int, list[str]] = defaultdict(list)
    links = Task.collaborators.through.objects.filter(task__collaboration_id__in=ids).order_by("id")
    for task_id, name in links.values_list("task_id", "department__name"):
        collaborators[task_id].append(name)
    watchers: dict[int, list[str]] = defaultdict(list)
    watching = Task.watchers.through.objects.filter(task__collaboration_id__in=ids).order_by("id")
    for task_id, *person in watching.values_list("task_id", *_names("person")):
        watchers[task_id].append(_name(tuple(person), known))
    grouped: dict[int, list[s.Task]] = defaultdict(list)
    rows = Task.objects.filter(collaboration_id__in=ids).values_list(
        "pk",
        "collaboration_id",
        "description",
        "department__name",
        "standard",
        "deadline",
        "status",
        "blocked_reason",
        "blocked_since",
        "escalated_at",
        "acceptance__accepted",
        *_names("assignee"),
    )
    for (
        pk,
        collab_id,
        description,
        department,
        standard,
        deadline,
        status,
        reason,
        since,
        escalated,
        accepted,
        *assignee,
    ) in rows:
        grouped[collab_id].append(
            s.Task(
                description=description,
                departments=(department,) if department is not None else (),
                standard=standard,
                deadline=deadline,
                collaborators=tuple(collaborators[pk]),
                status=s.TaskStatus(status),
                blocked_reason=reason,
                blocked_since=since,
                escalated_at=escalated,
                accepted=accepted,
                assignee=_name(tuple(assignee), known),
                watchers=tuple(watchers[pk]),
                key=pk,
            )
        )
    return grouped


def _subgoals(ids: list[int]) -> dict[int, list[s.SubGoal]]:
    grouped: dict[int, list[s.SubGoal]] = defaultdict(list)
    for g in SubGoal.objects.filter(collaboration_id__in=ids).select_related("department", "metric"):
        limit = None
        if g.deadline_kind:
            limit = s.TimeLimit(
                kind=s.DeadlineKind(g.deadline_kind),
                date=g.deadline_date,
                rrule=g.rrule,
                hours=g.sla_hours,
                trigger=g.sla_trigger,
            )
        grouped[g.collaboration_id].append(
            s.SubGoal(
                description=g.description,
                department=g.department.name if g.department else "",
                metric=g.metric.name if g.metric else "",
                target=g.target,
                unit=g.unit,
                time_limit=limit,
                key=g.pk,
            )
        )
    return grouped


def _kickoffs(ids: list[int]) -> dict[int, s.Kickoff]:
    confirmations: dict[int, dict[str, datetime]] = defaultdict(dict)
    # Only confirmations of the revision in force count; reopened minutes
    # (a correction was asked for) have none until they are issued again.
    rows = MinutesConfirmation.objects.filter(
        meeting__collaboration_id__in=ids,
        meeting__kind=MeetingKind.KICKOFF,
        meeting__minutes_reopened_at__isnull=True,
        revision=F("meeting__minutes_revision"),
    ).select_related("department", "proxy_by")
    proxies: dict[int, dict[str, s.ProxyConfirmation]] = defaultdict(dict)
    for c in rows:
        confirmations[c.meeting_id][c.department.name] = c.confirmed_at
        if c.by_proxy:  # 代确认: counts as confirmed; K04 says how many were, the charter who and why
            by = c.proxy_by.name if c.proxy_by else ""
            proxies[c.meeting_id][c.department.name] = s.ProxyConfirmation(by=by, reason=c.proxy_reason)
    return {
        m.collaboration_id: s.Kickoff(
            scheduled_at=m.scheduled_at,
            agenda_sent_at=m.agenda_sent_at,
            minutes_issued_at=m.minutes_issued_at,
            confirmations=confirmations[m.pk],
            key=m.pk,
            proxies=proxies[m.pk],
        )
        # A cancelled kickoff is no kickoff for K01–K04: it must be scheduled again.
        for m in Meeting.objects.filter(
            collaboration_id__in=ids, kind=MeetingKind.KICKOFF, cancelled_at__isnull=True
        )
    }


def _communication(ids: list[int]) -> dict[int, list[s.CommunicationRule]]:
    grouped: dict[int, list[s.CommunicationRule]] = defaultdict(list)
    for c in CommunicationRule.objects.filter(collaboration_id__in=ids):
        grouped[c.collaboration_id].append(
            s.CommunicationRule(
                scenario=s.Scenario(c.scenario) if c.scenario else None,
                channel=s.Channel(c.channel) if c.channel else None,
                frequency=s.FrequencyKind(c.frequency) if c.frequency else None,
                rrule=c.rrule,
                holiday_policy=c.holiday_policy,
                outputs=tuple(c.outputs),
                owner=c.owner,
                admin=c.admin,
                key=c.pk,
            )
        )
    return grouped


def load_snapshots(collabs: Sequence[Collaboration]) -> dict[int, s.Collab]:
    """Return the snapshots of stored collaborations, by primary key.

    The collaborations should come with ``initiator_department`` and
    ``owner`` selected (the access helpers do that).
    """
    ids = [c.pk for c in collabs]
    goals, departments, kickoffs = _goals(ids), _departments(ids), _kickoffs(ids)
    tasks, subgoals, communication = _tasks(ids), _subgoals(ids), _communication(ids)
    # Only closed collaborations are judged on their retrospective (A01): no query for open ones.
    closed = [c.pk for c in collabs if c.closed_at is not None]
    retrospectives = (
        set(
            Retrospective.objects.filter(collaboration_id__in=closed).values_list(
                "collaboration_id", flat=True
            )
        )
        if closed
        else set()
    )
    return {
        c.pk: s.Collab(
            title=c.title,
            type=s.CollabType(c.type) if c.type else None,
            background=c.background,
            expected_outcome=c.expected_outcome,
            initiator_department=c.initiator_department.name if c.initiator_department else "",
            initiator_owner=c.owner.name if c.owner else "",
            goal=goals.get(c.pk),
            departments=tuple(departments[c.pk]),
            kickoff=kickoffs.get(c.pk),
            tasks=tuple(tasks[c.pk]),
            subgoals=tuple(subgoals[c.pk]),
            communication=tuple(communication[c.pk]),
            closed_at=c.closed_at,
            has_retrospective=c.pk in retrospectives,
            reports_known=True,
            key=c.pk,
        )
        for c in collabs
    }


def load_snapshot(collab: Collaboration) -> s.Collab:
    """Return the snapshot of one stored collaboration."""
    return load_snapshots([collab])[collab.pk]
