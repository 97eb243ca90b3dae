"""A collaboration's change history (the audit log), for its initiator and administrators."""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from xietong.api.common import collaboration
from xietong.api.errors import INVALID, NOT_FOUND, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import HistoryEntryOut, PersonRef
from xietong.audit.models import AuditEntry
from xietong.orgs.roles import Action

router = Router(tags=["history"])


def _entries(rows: list[AuditEntry]) -> list[HistoryEntryOut]:
    return [
        HistoryEntryOut(
            at=e.at,
            actor=PersonRef(id=e.actor.pk, name=e.actor.name) if e.actor else None,
            change=e.change,  # type: ignore[arg-type]
            object_type=e.object_type,
            object_id=e.object_id,
            object_repr=e.object_repr,
            before=e.before,
            after=e.after,
            reason=e.reason,
        )
        for e in rows
    ]


@router.get(
    "/collaborations/{slug}/history", response=responses({200: list[HistoryEntryOut]}, NOT_FOUND, INVALID)
)
@paginate(Pages, present=_entries)
def list_history(request: HttpRequest, slug: str) -> QuerySet[AuditEntry]:
    """Every change, newest first: who, when, before and after, why (as the history page shows)."""
    collab, _access = collaboration(request, slug, Action.VIEW_AUDIT)
    return AuditEntry.objects.filter(collaboration=collab).select_related("actor")
