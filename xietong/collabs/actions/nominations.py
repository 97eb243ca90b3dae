"""Being named to a role of a collaboration by someone else, and answering it.

Whoever imports a charter or edits the departments can name any colleague
as owner or liaison. So the colleague is asked once (a "nominated" notice
in the inbox and by mail, with nothing of the charter's text beyond the
collaboration's title and the department's name), and the sweep reminds
them of nothing in that collaboration until they accept or act in it
(``xietong.collabs.nominations``). Declining takes them out of the role and
tells the one who named them.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version
from xietong.collabs.models import (
    Collaboration,
    Nomination,
    NominationRole,
    NominationState,
    Participant,
)
from xietong.meetings.models import Meeting
from xietong.notify.models import Kind, notify_once
from xietong.orgs.models import Person


class AlreadyAnswered(Exception):
    """The nomination was accepted or declined before; nothing was written."""


def _department_of(nomination: Nomination) -> str:
    """The department the role is held for: the initiating one (owner), the liaison's row."""
    collab = nomination.collaboration
    if nomination.role == NominationRole.OWNER:
        return collab.initiator_department.name if collab.initiator_department else ""
    row = (
        Participant.objects.filter(collaboration=collab, liaison=nomination.person)
        .values_list("department__name", flat=True)
        .first()
    )
    return row or ""


def _params(nomination: Nomination, who: Person) -> dict[str, str]:
    # Only the title and the department's name come from what the nominator wrote: never
    # background, goal or duties (the notice must not carry someone else's message).
    return {
        "who": who.name,
        "collab": nomination.collaboration.title,
        "role": nomination.role,
        "department": _department_of(nomination),
    }


def do_nominate(
    collab: Collaboration, person: Person | None, role: NominationRole, *, by: Person | None
) -> Nomination | None:
    """Ask ``person`` to take ``role`` in ``collab``; return the nomination, or None when none is needed.

    Naming oneself needs no answer, and neither does the operator's naming
    (``by`` None: the demo, ``xietong import``). A pending or accepted
    nomination stays as it is; a declined one is asked again, without a
    second notice (one per collaboration, person and role, ever).
    """
    if person is None or by is None or person.pk == by.pk:
        return None
    nomination = Nomination.objects.filter(collaboration=collab, person=person, role=role).first()
    if nomination is not None and nomination.state != NominationState.DECLINED:
        return nomination
    with audited(nomination, actor=by, collaboration=collab) as box:
        if nomination is None:
            nomination = Nomination.objects.create(
                collaboration=collab, person=person, role=role, nominated_by=by
            )
        else:
            nomination.state, nomination.nominated_by, nomination.decided_at = (
                NominationState.PENDING,
                by,
                None,
            )
            nomination.save(update_fields=["state", "nominated_by", "decided_at"])
        box["obj"] = nomination
    notify_once(
        key=f"nominated:c{collab.pk}:p{person.pk}:{role}",
        kind=Kind.NOMINATED,
        collaboration=collab,
        recipient=person,
        params=_params(nomination, by),
        link=reverse("collabs:nomination", args=[nomination.pk]),
    )
    return nomination


def nominate_named(collab: Collaboration, *, by: Person | None) -> list[Nomination]:
    """Nominate the owner and liaisons that ``by`` named in ``collab`` (a charter import); return them."""
    named = [(collab.owner, NominationRole.OWNER)] + [
        (p.liaison, NominationRole.LIAISON)
        for p in Participant.objects.filter(collaboration=collab, liaison__isnull=False).select_related(
            "liaison"
        )
    ]
    made = [do_nominate(collab, person, role, by=by) for person, role in named]
    return [n for n in made if n is not None]


def _answer(nomination: Nomination, state: NominationState, actor: Person) -> None:
    if nomination.state != NominationState.PENDING:
        raise AlreadyAnswered
    with audited(nomination, actor=actor, collaboration=nomination.collaboration):
        nomination.state, nomination.decided_at = state, timezone.now()
        nomination.save(update_fields=["state", "decided_at"])


@transaction.atomic
def do_accept_nomination(nomination: Nomination, *, actor: Person) -> Nomination:
    """Accept a pending nomination: the collaboration's reminders now reach ``actor``."""
    nomination = Nomination.objects.select_for_update().select_related("collaboration").get(pk=nomination.pk)
    _answer(nomination, NominationState.ACCEPTED, actor)
    return nomination


@transaction.atomic
def do_decline_nomination(nomination: Nomination, *, actor: Person) -> Nomination:
    """Decline a pending nomination: ``actor`` leaves the role, and the one who named them is told.

    A liaison's row is left without one (P01 then shows it); a declined
    owner hands the collaboration back to whoever named them, and the
    meetings they would have chaired with it.
    """
    nomination = Nomination.objects.select_for_update().select_related("collaboration").get(pk=nomination.pk)
    department = _department_of(nomination)
    _answer(nomination, NominationState.DECLINED, actor)
    collab = nomination.collaboration
    if nomination.role == NominationRole.LIAISON:
        for row in Participant.objects.filter(collaboration=collab, liaison=actor):
            with audited(row, actor=actor, collaboration=collab):
                row.liaison = None
                row.save(update_fields=["liaison"])
    elif collab.owner_id == actor.pk:
        with audited(collab, actor=actor, collaboration=collab):
            collab.owner_id = nomination.nominated_by_id
            collab.save(update_fields=["owner"])
        for meeting in Meeting.objects.filter(collaboration=collab, chair=actor):
            with audited(meeting, actor=actor, collaboration=collab):
                meeting.chair_id = nomination.nominated_by_id
                meeting.save(update_fields=["chair"])
    bump_version(collab)
    if nomination.nominated_by is not None:
        assert nomination.decided_at is not None
        notify_once(
            key=f"nomination_declined:n{nomination.pk}:{nomination.decided_at:%Y%m%dT%H%M%S%f}",
            kind=Kind.NOMINATION_DECLINED,
            collaboration=collab,
            recipient=nomination.nominated_by,
            params={**_params(nomination, actor), "department": department},
            link=reverse("collabs:workspace", args=[collab.slug]),
        )
    return nomination
