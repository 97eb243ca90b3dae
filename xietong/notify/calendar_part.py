"""The ``text/calendar`` part of an invitation's mail, built from the sending's snapshot.

Apart from ``invitations`` (which writes the sendings): the mail transport
attaches it, and importing ``invitations`` from there would close a cycle
(invitations -> outbox -> delivery -> transports).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from xietong.meetings.calendar import CANCEL, REQUEST, Invitee, MeetingEntry, invitation_calendar
from xietong.meetings.models import MeetingKind
from xietong.notify.models import Invitation, Kind, Notification

INVITATION_KINDS = (Kind.MEETING_INVITATION, Kind.MEETING_UPDATED, Kind.MEETING_CANCELLED)


def entry_of(invitation: Invitation, attendees: tuple[Invitee, ...] | None = None) -> MeetingEntry:
    """The calendar entry of a sending, in the active language (its summary and notes are words).

    ``attendees`` replaces the sending's invitees (a cancellation names the one it is sent to).
    """
    content = invitation.content
    kind = content.get("kind", "")
    title = content.get("title") or (str(MeetingKind(kind).label) if kind in MeetingKind.values else "")
    organizer = content.get("organizer") or ["", settings.DEFAULT_FROM_EMAIL]
    return MeetingEntry(
        uid=content["uid"],
        summary=f"{title} · {content.get('collab', '')}",
        start=datetime.fromisoformat(content["start"]),
        minutes=int(content.get("minutes", 60)),
        location=content.get("location", ""),
        agenda=tuple(title for title, _notes in content.get("agenda", [])),
        url=settings.SITE_URL + content.get("link", ""),
        organizer=Invitee(organizer[0], organizer[1]),
        attendees=attendees
        if attendees is not None
        else tuple(Invitee(name, email) for _pk, name, email in content.get("attendees", [])),
        sequence=invitation.sequence,
        notes=(_("跨部门协作:%(title)s") % {"title": content.get("collab", "")},),
    )


def calendar_of(notification: Notification) -> tuple[bytes, str] | None:
    """The ``text/calendar`` part of an invitation's mail and its method, in the active language.

    None for other notifications, or when the sending is gone (the meeting was deleted).
    """
    if notification.kind not in INVITATION_KINDS:
        return None
    invitation = Invitation.objects.filter(pk=notification.params.get("invitation")).first()
    if invitation is None:
        return None
    method = CANCEL if notification.params.get("method") == CANCEL else REQUEST
    person = notification.recipient
    only = (Invitee(person.name, person.email),) if method == CANCEL and person is not None else None
    entry = entry_of(invitation, only)
    return invitation_calendar(entry, ZoneInfo(settings.TIME_ZONE), invitation.sent_at, method), method
