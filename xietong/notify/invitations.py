"""Sending a meeting's agenda: one invitation per invitee through the outbox, and one group message.

``send`` writes an ``Invitation`` (the sending: its SEQUENCE, a fingerprint
of what it says, the snapshot its calendar part is built from) and, in the
same transaction, one ``Notification`` per invitee (the inbox, and a mail
with the agenda, the materials' links and a ``text/calendar; method=REQUEST``
part) plus one for the collaboration's group robots. Keys name the meeting
and the sequence (``invite:m12:s3|45``): a sending reaches each person once,
and two clicks at once make one sending (the sequence is unique per
meeting). Deliveries are planned right away (``outbox.plan``) and queued
when the transaction commits, so nobody waits for the next sweep.

Invitees dropped since the previous sending get ``METHOD:CANCEL`` for their
copy; everyone keeps the meeting's UID, so calendars update the one event.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.collabs.nominations import unheard_pairs
from xietong.meetings.calendar import CANCEL, REQUEST
from xietong.meetings.models import AgendaItem, Material, Meeting, MeetingKind
from xietong.notify import outbox
from xietong.notify.models import Invitation, InvitationMethod, Kind, Notification, Preference, Robot
from xietong.orgs.models import Person

# What each sending is called in the outbox.
KINDS = {REQUEST: Kind.MEETING_INVITATION, CANCEL: Kind.MEETING_CANCELLED}


class NobodyInvited(ValueError):
    """The meeting has no invitee to send the agenda to."""


class NothingChanged(ValueError):
    """Neither the agenda, the time, the place nor the invitees changed since the last sending."""


class AlreadySending(ValueError):
    """Another request made this sending at the same moment."""


def meeting_link(meeting: Meeting) -> str:
    """The meeting's page: the kickoff's is step 3's."""
    if meeting.kind == MeetingKind.KICKOFF:
        return reverse("meetings:kickoff", args=[meeting.collaboration.slug])
    return reverse("meetings:meeting", args=[meeting.collaboration.slug, meeting.pk])


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "xietong"


def invitees(meeting: Meeting) -> list[Person]:
    """Who a sending reaches: the meeting's active attendees."""
    return list(meeting.attendees.filter(is_active=True).order_by("pk"))


def _organizer(meeting: Meeting) -> list[str]:
    """The chair (the collaboration's owner when none is set), at the site's sender address if they have none."""
    chair = meeting.chair or meeting.collaboration.owner
    name = chair.name if chair is not None else _("协同")
    email = chair.email if chair is not None and chair.email else settings.DEFAULT_FROM_EMAIL
    return [name, email]


def snapshot(meeting: Meeting, people: list[Person]) -> dict[str, Any]:
    """What a sending says: the meeting's time, place, agenda, materials and invitees (JSON)."""
    assert meeting.scheduled_at is not None
    collab = meeting.collaboration
    materials = Material.objects.filter(meeting=meeting).order_by("pk")
    return {
        "uid": f"meeting-{meeting.pk}@{_host()}",
        "collab": collab.title,
        "title": meeting.title,
        "kind": meeting.kind,
        "start": meeting.scheduled_at.astimezone(UTC).isoformat(),  # as stored, whatever zone it came in
        "minutes": meeting.duration_minutes,
        "location": meeting.location,
        "agenda": [[a.title, a.notes] for a in AgendaItem.objects.filter(meeting=meeting)],
        "materials": [
            [m.name, reverse("meetings:material", args=[collab.slug, meeting.pk, m.pk])] for m in materials
        ],
        "link": meeting_link(meeting),
        "organizer": _organizer(meeting),
        "attendees": [[p.pk, p.name, p.email] for p in people],
    }


def fingerprint(content: dict[str, Any]) -> str:
    """A digest of what a sending says (the sequence and the moment of sending left out)."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def last_invitation(meeting: Meeting) -> Invitation | None:
    return Invitation.objects.filter(meeting=meeting).order_by("-sequence").first()


def changed_since_sent(meeting: Meeting, last: Invitation | None = None) -> bool:
    """True when the meeting was sent and its agenda, time, place or invitees changed since."""
    last = last if last is not None else last_invitation(meeting)
    if last is None or meeting.scheduled_at is None:
        return False
    return fingerprint(snapshot(meeting, invitees(meeting))) != last.fingerprint


def _params(invitation: Invitation, method: str) -> dict[str, Any]:
    content = invitation.content
    start = datetime.fromisoformat(content["start"]).astimezone(ZoneInfo(settings.TIME_ZONE))
    return {
        "collab": content["collab"],
        "meeting": content["title"],
        "meeting_kind": content["kind"],
        "when": start.strftime("%Y-%m-%d %H:%M"),
        "location": content["location"] or "—",
        "agenda": [title for title, _notes in content["agenda"]],
        "materials": content["materials"],
        "invitation": invitation.pk,
        "method": method,
    }


def _write(
    invitation: Invitation,
    kind: Kind,
    method: str,
    people: list[Person],
    *,
    group: bool,
    reason: str | None = None,
) -> list[Notification]:
    meeting = invitation.meeting
    muted = {
        pk
        for pk, kinds in Preference.objects.filter(person__in=people).values_list("person_id", "muted_kinds")
        if kind in kinds
    }
    # Named to a role by someone else and not answered yet: no mail about the collaboration (the
    # agenda is someone's text), but the inbox shows the invitation.
    muted |= {pk for _c, pk in unheard_pairs([meeting.collaboration_id], [p.pk for p in people])}
    occasion = f"invite:m{meeting.pk}:s{invitation.sequence}"
    params, link = _params(invitation, method), invitation.content["link"]
    if reason is not None:
        params["reason"] = reason  # the whole meeting is cancelled (not only someone's place in it)
    rows = [
        Notification(
            key=f"{occasion}|{person.pk}",
            kind=kind,
            collaboration_id=meeting.collaboration_id,
            recipient=person,
            params=params,
            link=link,
            created_at=invitation.sent_at,
            # Muted or unheard: in the inbox all the same, but no mail (planned, with no delivery).
            planned=person.pk in muted,
        )
        for person in people
    ]
    robots = Robot.objects.filter(collaboration_id=meeting.collaboration_id, active=True)
    if group and any(robot.posts(kind) for robot in robots):
        rows.append(
            Notification(
                key=f"{occasion}|group",
                kind=kind,
                collaboration_id=meeting.collaboration_id,
                params=params,
                link=link,
                created_at=invitation.sent_at,
            )
        )
    return Notification.objects.bulk_create(rows)


@transaction.atomic
def send(meeting: Meeting, at: datetime, *, actor: Person | None = None, force: bool = False) -> Invitation:
    """Send the meeting's agenda and invitation to its invitees now; return the sending.

    The first sending is an invitation, later ones an update (SEQUENCE + 1);
    people invited before and not any more get a cancellation. Raises
    ``NobodyInvited`` for a meeting without invitees, ``NothingChanged`` when
    the last sending said the same (unless ``force``), ``AlreadySending``
    when a concurrent request made this sending, ValueError without a time.
    """
    if meeting.scheduled_at is None:
        raise ValueError("the meeting has no time yet")
    people = invitees(meeting)
    if not people:
        raise NobodyInvited
    last = last_invitation(meeting)
    content = snapshot(meeting, people)
    digest = fingerprint(content)
    if last is not None and last.fingerprint == digest and not force:
        raise NothingChanged
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                meeting=meeting,
                sequence=0 if last is None else last.sequence + 1,
                method=InvitationMethod.REQUEST,
                fingerprint=digest,
                content=content,
                invitees=[p.pk for p in people],
                sent_at=at,
                sent_by=actor,
            )
    except IntegrityError:
        raise AlreadySending from None
    kind = Kind.MEETING_INVITATION if last is None else Kind.MEETING_UPDATED
    _write(invitation, kind, REQUEST, people, group=True)
    if last is not None:
        dropped = set(last.invitees) - {p.pk for p in people}
        if dropped:
            gone = list(Person.objects.filter(pk__in=dropped, is_active=True).order_by("pk"))
            _write(invitation, Kind.MEETING_CANCELLED, CANCEL, gone, group=False)
    _deliver_on_commit()
    return invitation


def cancel(meeting: Meeting, at: datetime, reason: str, *, actor: Person | None = None) -> Invitation | None:
    """Tell everyone the last sending invited that the meeting is cancelled; return the cancellation.

    One more sending (same UID, SEQUENCE + 1, ``METHOD:CANCEL``): each of
    the last sending's invitees gets one mail and one inbox notice, the
    group robots one message. None when the agenda was never sent (nobody
    has it in their calendar). Raises ``AlreadySending`` when a concurrent
    request made this sending (the sequence is unique per meeting).
    """
    last = last_invitation(meeting)
    if last is None or last.method == InvitationMethod.CANCEL:
        return None
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                meeting=meeting,
                sequence=last.sequence + 1,
                method=InvitationMethod.CANCEL,
                fingerprint=last.fingerprint,
                content=last.content,
                invitees=last.invitees,
                sent_at=at,
                sent_by=actor,
            )
    except IntegrityError:
        raise AlreadySending from None
    people = list(Person.objects.filter(pk__in=last.invitees, is_active=True).order_by("pk"))
    _write(invitation, Kind.MEETING_CANCELLED, CANCEL, people, group=True, reason=reason or "—")
    _deliver_on_commit()
    return invitation


def _deliver_on_commit() -> None:
    """Plan the new notifications' deliveries now and queue them once the sending is committed."""
    from xietong.notify.tasks import queue_planned

    planned = outbox.plan(timezone.now())
    transaction.on_commit(lambda: queue_planned(planned.by_time))
