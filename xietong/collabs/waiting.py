"""What is waiting for a person: the home page's to-do list.

Built from the snapshots and reports the home page already has, plus one
query for the departments the person answers for and, for department
heads, two for the minutes waiting for their confirmation, so it costs the
same whatever the number of rows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import F, Q
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.collabs.models import Collaboration, Participant
from xietong.collabs.workspace import STEP_PAGES
from xietong.meetings.models import Meeting, MeetingKind, MinutesConfirmation
from xietong.orgs.models import Person
from xietong.rules import snapshot as s
from xietong.rules.engine import Context, Finding, Report, Severity
from xietong.rules.steps import step_of

# Tasks due within this many days show up as "report progress".
DUE_SOON_DAYS = 7
_ROW = re.compile(r"^(tasks|subgoals|departments)\[(\d+)\]")


@dataclass(frozen=True)
class Waiting:
    collab: Collaboration
    kind: str  # confirm_minutes | report_progress | fix_finding
    label: str | Promise
    detail: str
    url: str
    severity: str = ""


def _department_of(snapshot: s.Collab, finding: Finding) -> str | None:
    """Return the department a row finding belongs to, or None for whole-collaboration findings."""
    match = _ROW.match(finding.object)
    if not match:
        return None
    section, index = match.group(1), int(match.group(2))
    if section == "tasks" and index < len(snapshot.tasks):
        departments = snapshot.tasks[index].departments
        return departments[0] if departments else None
    if section == "subgoals" and index < len(snapshot.subgoals):
        return snapshot.subgoals[index].department or None
    if section == "departments" and index < len(snapshot.departments):
        return snapshot.departments[index].name
    return None


def _minutes_to_confirm(head_of: dict[int, dict[int, str]]) -> list[tuple[Meeting, str]]:
    """Return (meeting, department name) for each issued revision that a department in ``head_of`` has not confirmed.

    Only the revision in force counts: minutes reopened for a correction
    wait for their next issue, and a confirmation of an earlier revision
    does not confirm the current one.
    """
    if not any(head_of.values()):
        return []
    meetings = list(
        Meeting.objects.filter(
            collaboration_id__in=[c for c, heads in head_of.items() if heads],
            minutes_revision__gt=0,
            minutes_reopened_at__isnull=True,
        ).order_by("scheduled_at", "id")
    )
    confirmed = set(
        MinutesConfirmation.objects.filter(
            meeting__in=meetings, revision=F("meeting__minutes_revision")
        ).values_list("meeting_id", "department_id")
    )
    return [
        (meeting, name)
        for meeting in meetings
        for department_id, name in sorted(head_of[meeting.collaboration_id].items(), key=lambda d: d[1])
        if (meeting.pk, department_id) not in confirmed
    ]


def _confirm_item(collab: Collaboration, meeting: Meeting, department: str) -> Waiting:
    """Return the to-do of confirming ``meeting``'s minutes, pointing at its confirmation table."""
    if meeting.kind == MeetingKind.KICKOFF:
        url = reverse("meetings:kickoff", args=[collab.slug])
        return Waiting(
            collab, "confirm_minutes", _("确认启动会会议纪要"), department, url + "#meeting-confirmations"
        )
    url = reverse("meetings:meeting", args=[collab.slug, meeting.pk])
    return Waiting(
        collab,
        "confirm_minutes",
        _("确认会议纪要"),
        f"{meeting.title or meeting.get_kind_display()} · {department}",
        url + "#meeting-confirmations",
    )


def waiting_for(
    person: Person,
    collabs: Sequence[Collaboration],
    snapshots: dict[int, s.Collab],
    reports: dict[int, Report],
    ctx: Context,
) -> list[Waiting]:
    """Return what ``person`` should do next across ``collabs``, most urgent first."""
    liaison_of: dict[int, set[str]] = defaultdict(set)
    head_of: dict[int, dict[int, str]] = defaultdict(dict)
    rows = (
        Participant.objects.filter(collaboration__in=collabs)
        .filter(Q(liaison=person) | Q(department__head=person))
        .values_list(
            "collaboration_id", "department_id", "department__name", "liaison_id", "department__head_id"
        )
    )
    for collab_id, department_id, name, liaison_id, head_id in rows:
        if liaison_id == person.pk:
            liaison_of[collab_id].add(name)
        if head_id == person.pk:
            head_of[collab_id][department_id] = name

    items: list[Waiting] = []
    by_id = {c.pk: c for c in collabs}
    to_confirm = _minutes_to_confirm(head_of)
    # the kickoff first, then the other meetings in the order they were held
    to_confirm.sort(key=lambda pair: pair[0].kind != MeetingKind.KICKOFF)
    for meeting, name in to_confirm:
        items.append(_confirm_item(by_id[meeting.collaboration_id], meeting, name))
    for collab in collabs:
        snapshot, report = snapshots[collab.pk], reports[collab.pk]
        is_initiator = collab.owner_id == person.pk
        mine = liaison_of[collab.pk] | set(head_of[collab.pk].values())
        for task in snapshot.tasks:
            if not task.departments or task.departments[0] not in liaison_of[collab.pk]:
                continue
            if task.status == s.TaskStatus.DONE or task.deadline is None:
                continue
            if (task.deadline - ctx.today).days <= DUE_SOON_DAYS or task.status == s.TaskStatus.BLOCKED:
                items.append(
                    Waiting(
                        collab,
                        "report_progress",
                        _("更新任务进度"),
                        task.description,
                        reverse("collabs:table", args=[collab.slug]) + f"#task-{task.key}",
                    )
                )
        for finding in report.findings:
            if finding.severity == Severity.INFO:
                continue
            department = _department_of(snapshot, finding)
            if is_initiator or (department is not None and department in mine):
                step = step_of(finding.rule).number
                items.append(
                    Waiting(
                        collab,
                        "fix_finding",
                        finding.rule,
                        finding.text(),
                        reverse(STEP_PAGES[step], args=[collab.slug]),
                        str(finding.severity),
                    )
                )
    order = {"confirm_minutes": 0, "fix_finding": 1, "report_progress": 2}
    items.sort(key=lambda w: (order[w.kind], w.severity != "error"))
    return items
