"""Being named to a role of a collaboration, over the API: my nominations, and my answer.

Only the person named sees and answers a nomination (anyone else's is 404).
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from xietong.api.auth import caller
from xietong.api.errors import INVALID, NOT_FOUND, Conflict, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import LocalTime, PersonRef
from xietong.collabs.access import get_nomination_for_user
from xietong.collabs.actions.nominations import (
    AlreadyAnswered,
    do_accept_nomination,
    do_decline_nomination,
)
from xietong.collabs.models import Nomination, NominationRole, NominationState

router = Router(tags=["nominations"])


class NominationOut(Schema):
    id: int
    collaboration: str = Field(description="The collaboration's slug")
    title: str = Field(description="The collaboration's title")
    role: NominationRole
    state: NominationState
    nominated_by: PersonRef | None
    created_at: LocalTime
    decided_at: LocalTime | None


class NominationConflictOut(Schema):
    detail: str
    current: NominationOut


def nomination_out(n: Nomination) -> NominationOut:
    by = n.nominated_by
    return NominationOut(
        id=n.pk,
        collaboration=n.collaboration.slug,
        title=n.collaboration.title,
        role=NominationRole(n.role),
        state=NominationState(n.state),
        nominated_by=PersonRef(id=by.pk, name=by.name) if by is not None else None,
        created_at=n.created_at,
        decided_at=n.decided_at,
    )


def _present(rows: list[Nomination]) -> list[NominationOut]:
    return [nomination_out(n) for n in rows]


@router.get("/nominations", response=responses({200: list[NominationOut]}, INVALID))
@paginate(Pages, present=_present)
def list_nominations(request: HttpRequest) -> QuerySet[Nomination]:
    """The roles others named me to, newest first, with my answer (``pending`` until I give one)."""
    return Nomination.objects.filter(person=caller(request)).select_related("collaboration", "nominated_by")


def _answer(request: HttpRequest, nomination_id: int, accept: bool) -> NominationOut:
    person = caller(request)
    nomination = get_nomination_for_user(person, nomination_id)
    try:
        if accept:
            do_accept_nomination(nomination, actor=person)
        else:
            do_decline_nomination(nomination, actor=person)
    except AlreadyAnswered:
        raise Conflict(_("这项指定已经答复过了。"), nomination_out(nomination)) from None
    return nomination_out(get_nomination_for_user(person, nomination_id))


ANSWERED = {200: NominationOut, 409: NominationConflictOut}


@router.post("/nominations/{nomination_id}/accept", response=responses(ANSWERED, NOT_FOUND))
def accept(request: HttpRequest, nomination_id: int) -> NominationOut:
    """Accept: the collaboration's reminders now reach me. 409 when already answered."""
    return _answer(request, nomination_id, accept=True)


@router.post("/nominations/{nomination_id}/decline", response=responses(ANSWERED, NOT_FOUND))
def decline(request: HttpRequest, nomination_id: int) -> NominationOut:
    """Decline: I leave the role, and whoever named me is told. 409 when already answered."""
    return _answer(request, nomination_id, accept=False)
