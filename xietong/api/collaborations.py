"""Collaborations: the list a person may see, import of a whole charter, one summary, its findings."""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.charter import CHARTER_BODY, import_charter
from xietong.api.common import collaboration
from xietong.api.errors import INVALID, NOT_FOUND, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import (
    CollaborationDetailOut,
    CollaborationOut,
    DepartmentRef,
    FindingOut,
    FindingsOut,
    PersonRef,
)
from xietong.collabs.access import visible_collaborations
from xietong.collabs.judged import phase_of
from xietong.collabs.models import Collaboration, Phase
from xietong.collabs.snapshots import load_snapshots
from xietong.rules.clock import context_for
from xietong.rules.engine import Report, Severity, run_rules

router = Router(tags=["collaborations"])
EARLIEST_DAY = date(2000, 1, 1)


def _summary(collab: Collaboration, report: Report, phase: Phase) -> dict[str, Any]:
    department = collab.initiator_department
    owner = collab.owner
    return {
        "slug": collab.slug,
        "title": collab.title,
        "type": collab.type,
        "phase": phase,
        "visibility": collab.visibility,
        "initiator_department": DepartmentRef(id=department.pk, name=department.name) if department else None,
        "owner": PersonRef(id=owner.pk, name=owner.name) if owner else None,
        "score": report.score,
        "errors": sum(1 for f in report.findings if f.severity == Severity.ERROR),
        "warnings": sum(1 for f in report.findings if f.severity == Severity.WARNING),
        "version": collab.version,
        "created_at": collab.created_at,
        "updated_at": collab.updated_at,
    }


def judged(collabs: list[Collaboration]) -> Sequence[CollaborationOut]:
    """Return the summaries of a page of collaborations, judged with one read for the whole page."""
    snapshots = load_snapshots(collabs)
    ctx = context_for()
    return [
        CollaborationOut(**_summary(c, run_rules(snapshots[c.pk], ctx), phase_of(snapshots[c.pk], ctx)))
        for c in collabs
    ]


def detail(request: HttpRequest, slug: str) -> CollaborationDetailOut:
    collab, access = collaboration(request, slug)
    snapshot, ctx = load_snapshots([collab])[collab.pk], context_for()
    return CollaborationDetailOut(
        **_summary(collab, run_rules(snapshot, ctx), phase_of(snapshot, ctx)),
        background=collab.background,
        expected_outcome=collab.expected_outcome,
        roles=sorted(str(role) for role in access.roles),
    )


@router.get("/collaborations", response=responses({200: list[CollaborationOut]}, INVALID))
@paginate(Pages, present=judged)
def list_collaborations(request: HttpRequest) -> object:
    """The collaborations you may see, newest first, with their health scores."""
    return visible_collaborations(caller(request))


@router.post(
    "/collaborations",
    response=responses({201: CollaborationDetailOut}, INVALID),
    openapi_extra=CHARTER_BODY,
    summary="Import a whole charter",
)
def create_collaboration(request: HttpRequest, response: HttpResponse) -> Status[CollaborationDetailOut]:
    """Store a charter document (format v1) as a new collaboration, all or nothing.

    Refused with 422 when the document is malformed (the first offending
    path) or holds what cannot be stored (every problem listed). When the
    charter names someone else as its initiator, you join it as a member.
    """
    stored = import_charter(request)
    response["Location"] = iri_to_uri(f"/api/collaborations/{stored.slug}")
    return Status(201, detail(request, stored.slug))


@router.get("/collaborations/{slug}", response=responses({200: CollaborationDetailOut}, NOT_FOUND))
def get_collaboration(request: HttpRequest, slug: str) -> CollaborationDetailOut:
    """One collaboration: its summary, health score, version and your roles in it."""
    return detail(request, slug)


@router.get("/collaborations/{slug}/findings", response=responses({200: FindingsOut}, NOT_FOUND, INVALID))
def get_findings(request: HttpRequest, slug: str, today: Query[date | None] = None) -> FindingsOut:
    """The guide's rules applied to the collaboration: findings and health score.

    `today` (YYYY-MM-DD, from 2000-01-01 to five years ahead) judges as of that
    day, like `xietong check --today`.
    """
    collab, _access = collaboration(request, slug)
    if today is not None:
        # The rules count days up to "today": a far-away day costs time and says nothing.
        latest = context_for().today + timedelta(days=5 * 366)
        if not EARLIEST_DAY <= today <= latest:
            raise Invalid.at(
                "query.today",
                _("应在 %(earliest)s 与 %(latest)s 之间") % {"earliest": EARLIEST_DAY, "latest": latest},
            )
    ctx = context_for(today)
    report = run_rules(load_snapshots([collab])[collab.pk], ctx)
    return FindingsOut(
        today=ctx.today,
        score=report.score,
        findings=[FindingOut(**f.as_dict()) for f in report.findings],  # type: ignore[arg-type]
    )
