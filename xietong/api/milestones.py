"""Step 7's rollout timetable (推行时间表, 流程优化型) over the API: list, add, change, complete, delete.

Milestones are the initiator's, and only process-optimisation collaborations have them.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from datetime import date

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration
from xietong.api.errors import INVALID, NOT_FOUND, STALE_ROW, Conflict, responses
from xietong.api.pagination import Pages
from xietong.api.registers import RegisterRouter, check_type, site_now
from xietong.api.schemas import MilestoneConflictOut, MilestoneIn, MilestoneOut, MilestonePatch
from xietong.collabs.access import get_object_for_user, reread
from xietong.collabs.actions.common import VersionConflict, check_version
from xietong.collabs.models import CollabType
from xietong.orgs.roles import Action
from xietong.rules.clock import context_for
from xietong.tracking.actions.registers import (
    do_complete_milestone,
    do_delete_milestone,
    do_save_milestone,
)
from xietong.tracking.models import Milestone

router = RegisterRouter()


def milestone_out(m: Milestone, today: date | None = None) -> MilestoneOut:
    """Return the milestone as the API shows it; ``late`` as of ``today`` (default: the site's today)."""
    ctx = context_for()
    today = today or ctx.today
    done_day = m.done_at.astimezone(ctx.tz).date() if m.done_at else None
    return MilestoneOut(
        id=m.pk,
        collaboration=m.collaboration.slug,
        position=m.position,
        name=m.name,
        due_date=m.due_date,
        done_at=m.done_at,
        late=done_day > m.due_date if done_day is not None else today > m.due_date,
        version=m.collaboration.version,
    )


def _present_milestones(rows: list[Milestone]) -> list[MilestoneOut]:
    today = context_for().today
    return [milestone_out(m, today) for m in rows]


def _milestones() -> QuerySet[Milestone]:
    return Milestone.objects.select_related("collaboration")


def _fresh(milestone: Milestone) -> MilestoneOut:
    """Return the milestone as it is now (after a write)."""
    return milestone_out(reread(_milestones(), milestone))


def _initiators(request: HttpRequest, milestone_id: int) -> Milestone:
    """Return a milestone for its initiator (and administrators) to change; 404 / 403 for the rest."""
    milestone, _access = get_object_for_user(
        _milestones(), caller(request), milestone_id, Action.EDIT_COLLABORATION
    )
    return milestone


@router.get(
    "/collaborations/{slug}/milestones", response=responses({200: list[MilestoneOut]}, NOT_FOUND, INVALID)
)
@paginate(Pages, present=_present_milestones)
def list_milestones(request: HttpRequest, slug: str) -> QuerySet[Milestone]:
    """A process optimisation's rollout timetable (推行时间表)."""
    collab, _access = collaboration(request, slug)
    return _milestones().filter(collaboration=collab)


@router.post("/collaborations/{slug}/milestones", response=responses({201: MilestoneOut}, NOT_FOUND, INVALID))
def create_milestone(request: HttpRequest, slug: str, payload: MilestoneIn) -> Status[MilestoneOut]:
    """Add a milestone (the initiator; process-optimisation collaborations only)."""
    collab, _access = collaboration(request, slug, Action.EDIT_COLLABORATION)
    check_type(collab, CollabType.PROCESS_OPTIMIZATION)
    milestone = do_save_milestone(collab, payload.name, payload.due_date, actor=caller(request))
    return Status(201, _fresh(milestone))


@router.patch(
    "/milestones/{milestone_id}",
    response=responses({200: MilestoneOut, 409: MilestoneConflictOut}, NOT_FOUND, INVALID),
)
def update_milestone(request: HttpRequest, milestone_id: int, payload: MilestonePatch) -> MilestoneOut:
    """Rename, move or complete (`done`) a milestone; 409 on a stale `version`."""
    milestone = _initiators(request, milestone_id)
    collab = milestone.collaboration
    try:
        with transaction.atomic():
            check_version(collab, payload.version)
            if payload.name is not None or payload.due_date is not None:
                do_save_milestone(
                    collab,
                    payload.name or milestone.name,
                    payload.due_date or milestone.due_date,
                    milestone=milestone,
                    actor=caller(request),
                )
            if payload.done is not None:
                do_complete_milestone(milestone, site_now() if payload.done else None, actor=caller(request))
    except VersionConflict:
        raise Conflict(str(STALE_ROW), _fresh(milestone)) from None
    return _fresh(milestone)


@router.delete("/milestones/{milestone_id}", response=responses({204: None}, NOT_FOUND))
def delete_milestone(request: HttpRequest, milestone_id: int) -> Status[None]:
    milestone = _initiators(request, milestone_id)
    do_delete_milestone(milestone, actor=caller(request))
    return Status(204, None)
