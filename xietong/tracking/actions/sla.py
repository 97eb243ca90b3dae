"""Writes of SLA requests (a clock between departments) and recurring sub-goal occurrences."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version
from xietong.collabs.models import DeadlineKind, SubGoal
from xietong.lib.limits import check_values
from xietong.orgs.models import Department, Person
from xietong.tracking.actions.closing import check_open
from xietong.tracking.models import SlaPause, SlaRequest, SubGoalCheck


@transaction.atomic
def do_open_sla_request(
    subgoal: SubGoal, requester: Department | None, subject: str, at: datetime, *, actor: Person | None = None
) -> SlaRequest:
    """Start the clock of a request under an SLA sub-goal (e.g. 售后部 asks 技术部 for a conclusion)."""
    collab = subgoal.collaboration
    check_open(collab)
    if subgoal.deadline_kind != DeadlineKind.SLA or not subgoal.sla_hours:
        raise ValueError("only a sub-goal with an SLA time limit runs a clock")
    if not subject.strip():
        raise ValueError("say what is requested")
    check_values(SlaRequest, [("subject", subject), ("started_at", at)])
    with audited(None, actor=actor, collaboration=collab) as box:
        request = SlaRequest.objects.create(
            collaboration=collab,
            subgoal=subgoal,
            requester=requester,
            subject=subject.strip(),
            started_at=at,
            created_by=actor,
        )
        box["obj"] = request
    bump_version(collab)
    return request


def _locked(request: SlaRequest) -> SlaRequest:
    current = SlaRequest.objects.select_for_update().select_related("collaboration").get(pk=request.pk)
    check_open(current.collaboration)
    if current.answered_at is not None:
        raise ValueError("the request has been answered: its clock has stopped")
    return current


@transaction.atomic
def do_pause_sla(request: SlaRequest, at: datetime, reason: str, *, actor: Person | None = None) -> SlaPause:
    """Stop the clock while waiting on the requester (missing information, a decision)."""
    request = _locked(request)
    if request.pauses.filter(ended_at__isnull=True).exists():
        raise ValueError("the clock is already paused")
    if at < request.started_at:
        raise ValueError("a pause starts after the request")
    with audited(None, actor=actor, collaboration=request.collaboration, reason=reason) as box:
        pause = SlaPause.objects.create(request=request, started_at=at, reason=reason.strip()[:200])
        box["obj"] = pause
    bump_version(request.collaboration)
    return pause


@transaction.atomic
def do_resume_sla(request: SlaRequest, at: datetime, *, actor: Person | None = None) -> SlaPause:
    request = _locked(request)
    pause = request.pauses.filter(ended_at__isnull=True).first()
    if pause is None:
        raise ValueError("the clock is not paused")
    if at < pause.started_at:
        raise ValueError("the clock resumes after it was paused")
    with audited(pause, actor=actor, collaboration=request.collaboration):
        pause.ended_at = at
        pause.save(update_fields=["ended_at"])
    bump_version(request.collaboration)
    return pause


@transaction.atomic
def do_answer_sla(
    request: SlaRequest, at: datetime, answer: str, *, actor: Person | None = None
) -> SlaRequest:
    """Stop the clock with the answer; a running pause ends with it."""
    request = _locked(request)
    if at < request.started_at:
        raise ValueError("the answer comes after the request")
    request.pauses.filter(ended_at__isnull=True).update(ended_at=at)
    with audited(SlaRequest.objects.get(pk=request.pk), actor=actor, collaboration=request.collaboration):
        request.answered_at, request.answer = at, answer.strip()
        request.save(update_fields=["answered_at", "answer"])
    bump_version(request.collaboration)
    return request


@transaction.atomic
def do_record_check(
    subgoal: SubGoal,
    due_at: datetime,
    done_at: datetime | None,
    *,
    note: str = "",
    actor: Person | None = None,
) -> SubGoalCheck:
    """Record when one occurrence of a recurring sub-goal was done (None: not done, undo)."""
    collab = subgoal.collaboration
    check_open(collab)
    if subgoal.deadline_kind != DeadlineKind.RECURRING:
        raise ValueError("only a recurring sub-goal has occurrences")
    current = SubGoalCheck.objects.filter(subgoal=subgoal, due_at=due_at).first()
    with audited(current, actor=actor, collaboration=collab) as box:
        check = current or SubGoalCheck(subgoal=subgoal, due_at=due_at)
        check.done_at, check.note, check.recorded_by = done_at, note.strip()[:500], actor
        check.save()
        box["obj"] = check
    bump_version(collab)
    return check
