"""Step 8 (收尾): accept each deliverable, write the retrospective, close.

A collaboration closes only when every row of the table has been accepted
against its delivery standard and the retrospective is written (rule
A01): ``do_close_collaboration`` asks that question first
(``rules.closing.closing_gaps``) and refuses with its findings. Only a done
row simply passes (通过验收); one not done is accepted on a condition
(有条件验收) or as an exception (例外) with a reason that the closing page
and the scorecards show. A closed collaboration is read-only; reopening it
is an explicit action of the initiator, recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version
from xietong.collabs.models import Collaboration, CollabType, Phase, Task, TaskStatus
from xietong.collabs.snapshots import load_snapshot
from xietong.lib.limits import check_input, check_values
from xietong.orgs.models import Department, Person
from xietong.rules.closing import closing_gaps
from xietong.rules.engine import Context, Finding
from xietong.tracking.models import QUALIFIED_VERDICTS, Acceptance, Retrospective, Verdict


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


class AcceptanceRefused(ValueError):
    """The verdict is not allowed as given (``field`` names the input at fault); nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(message)


def acceptance_problem(task: Task, verdict: Verdict, reason: str, comment: str) -> AcceptanceRefused | None:
    """Return why ``verdict`` may not be recorded on ``task`` as given, or None.

    Only a done row simply passes: one not done is accepted on a condition or
    as an exception, with the reason. A rejection says what falls short.
    The page's form and the API ask the same question through the action.
    """
    if verdict == Verdict.PASSED and task.status != TaskStatus.DONE:
        return AcceptanceRefused(
            "verdict",
            _(
                "任务「%(task)s」尚未完成(%(status)s),不能直接通过验收:"
                "请先完成任务,或选择有条件验收 / 例外并写明原因"
            )
            % {"task": task.description or task.pk, "status": TaskStatus(task.status).label},
        )
    if verdict in QUALIFIED_VERDICTS and not reason.strip():
        return AcceptanceRefused(
            "reason",
            _("%(verdict)s须写明原因,原因会写入收尾报告和部门评分卡") % {"verdict": Verdict(verdict).label},
        )
    if verdict == Verdict.REJECTED and not comment.strip():
        return AcceptanceRefused("comment", _("不通过验收时,请写明哪一项未达到交付标准"))
    return None


@transaction.atomic
def do_accept_deliverable(
    task: Task,
    verdict: Verdict,
    at: datetime,
    *,
    department: Department | None = None,
    reason: str = "",
    comment: str = "",
    actor: Person | None = None,
) -> Acceptance:
    """Record the verdict on ``task``'s deliverable (again: the new verdict replaces the old).

    ``department`` is the one that asked for the deliverable and judges it
    (by default the initiating department). Raises ``AcceptanceRefused``
    for a plain pass of a row not done, a conditional acceptance or an
    exception without its reason, a rejection without what falls short.
    """
    collab = task.collaboration
    check_open(collab)
    # The row as it is now, locked: a status changed meanwhile is judged, not the one the page showed.
    task = Task.objects.select_for_update().select_related("collaboration").get(pk=task.pk)
    problem = acceptance_problem(task, verdict, reason, comment)
    if problem is not None:
        raise problem
    current = Acceptance.objects.filter(task=task).first()
    with audited(current, actor=actor, collaboration=collab, reason=reason or comment) as box:
        accepted = current or Acceptance(task=task)
        accepted.department = department or collab.initiator_department
        accepted.verdict = verdict
        accepted.accepted = verdict != Verdict.REJECTED
        accepted.reason = reason.strip() if verdict in QUALIFIED_VERDICTS else ""
        accepted.comment = comment.strip()
        accepted.decided_by = actor
        accepted.decided_at = at
        accepted.save()
        box["obj"] = accepted
    bump_version(collab)
    return accepted


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
    # Loaded as of the closing (the snapshot reads the retrospective of closed
    # collaborations only); judged in words for one still open.
    collab.closed_at = ctx.now
    missing = list(closing_gaps(load_snapshot(collab)))
    if missing:
        collab.closed_at = None
        raise CloseRefused(missing)
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
