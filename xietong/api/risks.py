"""Step 7's risk register over the API: list, register, change, trigger (an ad-hoc risk meeting), close.

A risk is written by the initiator (and administrators) or by the liaison /
head of its owning department, and must still be owned by one of their
departments after the change.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration, participating
from xietong.api.errors import INVALID, NOT_FOUND, STALE_ROW, Conflict, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.registers import RegisterRouter, department_ref, may_write_for, optional_department, site_now
from xietong.api.schemas import MeetingRef, RiskConflictOut, RiskIn, RiskOut, RiskPatch, TriggeredOut
from xietong.collabs.access import Access, get_object_for_user, reread
from xietong.collabs.actions.common import VersionConflict, check_version
from xietong.orgs.roles import Action
from xietong.tracking.actions.registers import RiskInput, do_close_risk, do_save_risk, do_trigger_risk
from xietong.tracking.boards import risk_level, risk_meetings
from xietong.tracking.models import Level, Risk, RiskStatus

router = RegisterRouter()


def _risks() -> QuerySet[Risk]:
    return Risk.objects.select_related("collaboration", "owner")


def risk_out(risk: Risk, meetings: dict[int, int] | None = None) -> RiskOut:
    """Return the risk as the API shows it; ``meetings`` maps risks to the meeting their trigger called."""
    if meetings is None:
        meetings = risk_meetings(risk.collaboration, [risk])
    score, level = risk_level(risk.probability, risk.impact)
    return RiskOut(
        id=risk.pk,
        collaboration=risk.collaboration.slug,
        position=risk.position,
        description=risk.description,
        probability=Level(risk.probability),
        impact=Level(risk.impact),
        score=score,
        level=Level(level),
        owner=department_ref(risk.owner),
        response_plan=risk.response_plan,
        trigger=risk.trigger,
        status=RiskStatus(risk.status),
        triggered_at=risk.triggered_at,
        meeting=meetings.get(risk.pk),
        version=risk.collaboration.version,
    )


def _present_risks(rows: list[Risk]) -> list[RiskOut]:
    meetings = risk_meetings(rows[0].collaboration, rows) if rows else {}
    return [risk_out(r, meetings) for r in rows]


def _writable_risk(request: HttpRequest, risk_id: int) -> tuple[Risk, Access]:
    """Return a risk the caller may write (its owning department's, any for the initiator) and their access.

    404 when they may not see it, 403 when they may not write it.
    """
    return get_object_for_user(
        _risks(), caller(request), risk_id, Action.EDIT_DEPARTMENT_ROWS, department=lambda r: r.owner_id
    )


@router.get("/collaborations/{slug}/risks", response=responses({200: list[RiskOut]}, NOT_FOUND, INVALID))
@paginate(Pages, present=_present_risks)
def list_risks(request: HttpRequest, slug: str, status: RiskStatus | None = None) -> QuerySet[Risk]:
    """The risk register in its order, with each risk's level; filter `status`."""
    collab, _access = collaboration(request, slug)
    rows = _risks().filter(collaboration=collab)
    return rows.filter(status=status) if status else rows


@router.post("/collaborations/{slug}/risks", response=responses({201: RiskOut}, NOT_FOUND, INVALID))
def create_risk(request: HttpRequest, slug: str, payload: RiskIn) -> Status[RiskOut]:
    """Register a risk (the initiator, or the liaison / head of its owning department)."""
    collab, access = collaboration(request, slug)
    owner = optional_department(payload.owner, participating(collab), "body.owner")
    if not may_write_for(access, getattr(owner, "pk", None)):
        raise PermissionDenied
    data = RiskInput(
        payload.description,
        payload.probability,
        payload.impact,
        owner=owner,
        response_plan=payload.response_plan,
        trigger=payload.trigger,
    )
    risk = do_save_risk(collab, data, actor=caller(request))
    return Status(201, risk_out(reread(_risks(), risk), {}))


@router.patch(
    "/risks/{risk_id}", response=responses({200: RiskOut, 409: RiskConflictOut}, NOT_FOUND, INVALID)
)
def update_risk(request: HttpRequest, risk_id: int, payload: RiskPatch) -> RiskOut:
    """Change the fields given; `version` is the collaboration's version you read (409 when stale)."""
    risk, access = _writable_risk(request, risk_id)
    values = payload.model_dump(include=payload.model_fields_set - {"version"})
    departments = participating(risk.collaboration)
    if risk.owner is not None:
        departments.setdefault(risk.owner.pk, risk.owner)
    owner = (
        optional_department(values.get("owner"), departments, "body.owner")
        if "owner" in values
        else risk.owner
    )
    if not may_write_for(access, getattr(owner, "pk", None)):
        raise PermissionDenied

    def pick(name: str) -> Any:
        value = values.get(name)
        return getattr(risk, name) if value is None else value

    data = RiskInput(
        pick("description"),
        pick("probability"),
        pick("impact"),
        owner=owner,
        response_plan=pick("response_plan"),
        trigger=pick("trigger"),
    )
    try:
        with transaction.atomic():
            check_version(risk.collaboration, payload.version)
            do_save_risk(risk.collaboration, data, risk=risk, actor=caller(request))
    except VersionConflict:
        raise Conflict(str(STALE_ROW), risk_out(reread(_risks(), risk))) from None
    return risk_out(reread(_risks(), risk))


@router.post("/risks/{risk_id}/trigger", response=responses({201: TriggeredOut}, NOT_FOUND, INVALID))
def trigger_risk(request: HttpRequest, risk_id: int) -> Status[TriggeredOut]:
    """The risk happened: mark it triggered and call the ad-hoc risk meeting (next working day 10:00)."""
    risk, _access = _writable_risk(request, risk_id)
    try:
        meeting = do_trigger_risk(risk, site_now(), actor=caller(request))
    except ValueError:
        raise Invalid.at("status", _("该风险已触发或已关闭。")) from None
    current = reread(_risks(), risk)
    return Status(
        201,
        TriggeredOut(
            risk=risk_out(current, {risk.pk: meeting.pk}),
            meeting=MeetingRef(id=meeting.pk, title=meeting.title, scheduled_at=meeting.scheduled_at),
            url=reverse("meetings:meeting", args=[current.collaboration.slug, meeting.pk]),
        ),
    )


@router.post("/risks/{risk_id}/close", response=responses({200: RiskOut}, NOT_FOUND))
def close_risk(request: HttpRequest, risk_id: int) -> RiskOut:
    """Close a risk (the initiator, or the liaison / head of its owning department)."""
    risk, _access = _writable_risk(request, risk_id)
    if risk.status != RiskStatus.CLOSED:
        do_close_risk(risk, actor=caller(request))
    return risk_out(reread(_risks(), risk))
