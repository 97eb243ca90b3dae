"""Step 8 (收尾): accept each deliverable, write the retrospective, close.

A collaboration closes only when every row of the table has been accepted
against its delivery standard and the retrospective is written (rule
A01): ``do_close_collaboration`` runs that rule first and refuses with its
findings. A closed collaboration is read-only; reopening it is an explicit
action of the initiator, recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version
from xietong.collabs.models import Collaboration, CollabType, Phase, Task
from xietong.collabs.snapshots import load_snapshot
from xietong.lib.limits import check_input, check_values
from xietong.orgs.models import Department, Person
from xietong.rules.engine import Context, Finding, run_rules
from xietong.tracking.models import Acceptance, Retrospective


class CloseRefused(Exception):
    """Closing now would break A01: ``findings`` say what is missing."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(f"{len(findings)} deliverable(s) or the retrospective missing")


class CollaborationClosed(Exception):
    """The collaboration is closed: it is read-only until the initiator reopens it."""


def check_open(collab: Collaboration) -> None:
    """Raise ``CollaborationClosed`` for a closed collaboration (writes call this first)."""
    if collab.closed_at is not None:
        raise CollaborationClosed(collab.slug)


@transaction.atomic
def do_accept_deliverable(
    task: Task,
    accepted: bool,
    at: datetime,
    *,
    department: Department | None = None,
    comment: str = "",
    actor: Person | None = None,
) -> Acceptance:
    """Record the verdict on ``task``'s deliverable (again: the new verdict replaces the old).

    ``department`` is the one that asked for the deliverable and judges it
    (by default the initiating department). A rejection says why.
    """
    collab = task.collaboration
    check_open(collab)
    if not accepted and not comment.strip():
        raise ValueError("a rejected deliverable says what falls short of the standard")
    current = Acceptance.objects.filter(task=task).first()
    with audited(current, actor=actor, collaboration=collab, reason=comment) as box:
        verdict = current or Acceptance(task=task)
        verdict.department = department or collab.initiator_department
        verdict.accepted = accepted
        verdict.comment = comment.strip()
        verdict.decided_by = actor
        verdict.decided_at = at
        verdict.save()
        box["obj"] = verdict
    bump_version(collab)
    return verdict


@dataclass(frozen=True)
class RetrospectiveInput:
    went_well: str
    problems: str
    improvements: str
    lessons: str = ""

    def __post_init__(self) -> None:
        check_input(self, Retrospective)
        if not (self.went_well.strip() and self.problems.strip() and self.improvements.strip()):
            raise ValueError("a retrospective says what went well, what went wrong and what to improve")


@transaction.atomic
def do_write_retrospective(
    collab: Collaboration, data: RetrospectiveInput, at: datetime, *, actor: Person | None = None
) -> Retrospective:
    """Write (or rewrite) the collaboration's retrospective."""
    check_open(collab)
    current = Retrospective.objects.filter(collaboration=collab).first()
    with audited(current, actor=actor, collaboration=collab) as box:
        retro = current or Retrospective(collaboration=collab)
        retro.went_well, retro.problems = data.went_well.strip(), data.problems.strip()
        retro.improvements, retro.lessons = data.improvements.strip(), data.lessons.strip()
        retro.written_by, retro.written_at = actor, at
        retro.save()
        box["obj"] = retro
    bump_version(collab)
    return retro


@transaction.atomic
def do_close_collaboration(
    collab: Collaboration, ctx: Context, *, actor: Person | None = None
) -> Collaboration:
    """Close ``collab`` at ``ctx.now`` when A01 allows it; raise ``CloseRefused`` otherwise."""
    collab = Collaboration.objects.select_for_update().get(pk=collab.pk)
    check_open(collab)
    collab.closed_at = ctx.now
    missing = run_rules(load_snapshot(collab), ctx, only=["A01"]).findings
    if missing:
        raise CloseRefused(list(missing))
    with audited(Collaboration.objects.get(pk=collab.pk), actor=actor, collaboration=collab) as box:
        collab.phase = Phase.CLOSED
        collab.save(update_fields=["closed_at", "phase"])
        box["obj"] = collab
    bump_version(collab)
    return collab


@transaction.atomic
def do_reopen_collaboration(
    collab: Collaboration, reason: str, *, actor: Person | None = None
) -> Collaboration:
    """Reopen a closed collaboration (a deliverable found wanting after all); the reason is kept."""
    if not reason.strip():
        raise ValueError("reopening a closed collaboration says why")
    collab = Collaboration.objects.select_for_update().get(pk=collab.pk)
    with audited(
        Collaboration.objects.get(pk=collab.pk), actor=actor, collaboration=collab, reason=reason
    ) as box:
        collab.closed_at = None
        collab.phase = Phase.CLOSING
        collab.save(update_fields=["closed_at", "phase"])
        box["obj"] = collab
    bump_version(collab)
    return collab


@transaction.atomic
def do_set_resolution_deadline(
    collab: Collaboration, deadline: date | None, *, actor: Person | None = None, reason: str = ""
) -> Collaboration:
    """Set (or clear) the time limit to resolve the problem of a problem-solving collaboration (问题解决型)."""
    check_values(Collaboration, [("resolution_deadline", deadline)])
    collab = Collaboration.objects.select_for_update().get(pk=collab.pk)
    check_open(collab)
    if collab.type != CollabType.PROBLEM_SOLVING:
        raise ValueError("only a problem-solving collaboration has a resolution time limit")
    with audited(
        Collaboration.objects.get(pk=collab.pk), actor=actor, collaboration=collab, reason=reason
    ) as box:
        collab.resolution_deadline = deadline
        collab.save(update_fields=["resolution_deadline"])
        box["obj"] = collab
    bump_version(collab)
    return collab
