"""What is waiting for a person: the home page's to-do list.

Built from the snapshots and reports the home page already has, plus one
query for the departments the person answers for, so it costs the same
whatever the number of rows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.collabs.models import Collaboration, Participant
from xietong.collabs.workspace import STEP_PAGES
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


def waiting_for(
    person: Person,
    collabs: Sequence[Collaboration],
    snapshots: dict[int, s.Collab],
    reports: dict[int, Report],
    ctx: Context,
) -> list[Waiting]:
    """Return what ``person`` should do next across ``collabs``, most urgent first."""
    liaison_of: dict[int, set[str]] = defaultdict(set)
    head_of: dict[int, set[str]] = defaultdict(set)
    rows = (
        Participant.objects.filter(collaboration__in=collabs)
        .filter(Q(liaison=person) | Q(department__head=person))
        .values_list("collaboration_id", "department__name", "liaison_id", "department__head_id")
    )
    for collab_id, name, liaison_id, head_id in rows:
        if liaison_id == person.pk:
            liaison_of[collab_id].add(name)
        if head_id == person.pk:
            head_of[collab_id].add(name)

    items: list[Waiting] = []
    for collab in collabs:
        snapshot, report = snapshots[collab.pk], reports[collab.pk]
        is_initiator = collab.owner_id == person.pk
        kickoff = snapshot.kickoff
        if kickoff and kickoff.minutes_issued_at:
            for name in sorted(head_of[collab.pk] - set(kickoff.confirmations)):
                items.append(
                    Waiting(
                        collab,
                        "confirm_minutes",
                        _("确认启动会会议纪要"),
                        name,
                        reverse("meetings:kickoff", args=[collab.slug]),
                    )
                )
        mine = liaison_of[collab.pk] | head_of[collab.pk]
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
