"""Writes of a meeting's preparation: time, chair, attendees, agenda, the agenda sent.

The kickoff (启动会) is chaired by the initiating department's head; its
attendees are, by default, every participating department's liaison and
head. Each ``do_*`` function is atomic and bumps the collaboration's
version. Permission is the caller's business (the access layer).

Sending the agenda delivers it (``notify.invitations``): a mail with the
agenda, the materials' links and a calendar invitation to each invitee, an
inbox notice, and a message to the group robots. Moving a meeting whose
agenda went out sends the update (same UID, next SEQUENCE) at once: the
invitees' calendars must not keep the old time. Cancelling a meeting
(``do_cancel_meeting``) sends its invitees ``METHOD:CANCEL`` (same UID,
next SEQUENCE); a cancelled meeting is not sent or edited any more, except
a cancelled kickoff, which scheduling again brings back (step 3 needs one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version, delete_row, next_position
from xietong.collabs.models import Collaboration
from xietong.collabs.presets import KICKOFF_AGENDA
from xietong.lib.limits import check_values
from xietong.meetings.models import AgendaItem, Meeting, MeetingKind
from xietong.meetings.reads import default_attendees
from xietong.notify import invitations
from xietong.notify.invitations import AlreadySending, NobodyInvited, NothingChanged
from xietong.orgs.models import Person
from xietong.rules.kickoff import AGENDA_LEAD


class MeetingCancelled(ValueError):
    """The meeting is cancelled: nothing is sent or changed any more."""

    def __init__(self, meeting: Meeting) -> None:
        super().__init__(str(_("会议已取消,不能再发送议程或修改;如需开会,请重新安排。")))
        self.meeting = meeting


class NotCancellable(ValueError):
    """The meeting cannot be cancelled: it is cancelled already, or its minutes were issued."""


def refuse_cancelled(meeting: Meeting) -> None:
    """Raise ``MeetingCancelled`` for a cancelled meeting."""
    if meeting.cancelled_at is not None:
        raise MeetingCancelled(meeting)


def kickoff_of(collab: Collaboration) -> Meeting | None:
    """Return the collaboration's kickoff meeting, if it has one."""
    return Meeting.objects.filter(collaboration=collab, kind=MeetingKind.KICKOFF).first()


def add_agenda(meeting: Meeting, titles: Iterable[str | Promise]) -> None:
    """Append ``titles`` to the meeting's agenda (in the active language)."""
    start = next_position(AgendaItem.objects.filter(meeting=meeting))
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, position=start + i, title=str(title)) for i, title in enumerate(titles)
    )


@transaction.atomic
def do_schedule_kickoff(
    collab: Collaboration,
    scheduled_at: datetime,
    *,
    location: str | None = None,
    duration_minutes: int | None = None,
    actor: Person | None = None,
) -> Meeting:
    """Set the kickoff's time (and place, length) and return the meeting.

    Creates the kickoff when the collaboration has none, chaired by its
    owner, with the default attendees and the guide's five agenda items; a
    kickoff without agenda (an imported one) gets the five items too.
    """
    check_values(Meeting, [("scheduled_at", scheduled_at), ("location", location)])
    meeting = kickoff_of(collab)
    moved = False
    with audited(meeting, actor=actor, collaboration=collab) as box:
        if meeting is None:
            meeting = Meeting.objects.create(
                collaboration=collab,
                kind=MeetingKind.KICKOFF,
                title=str(_("跨部门启动会")),
                scheduled_at=scheduled_at,
                chair=collab.owner,
                location=location or "",
                duration_minutes=duration_minutes or 60,
            )
            meeting.attendees.set(default_attendees(collab))
        else:
            before = _where_and_when(meeting)
            meeting.scheduled_at = scheduled_at
            if location is not None:
                meeting.location = location
            if duration_minutes is not None:
                meeting.duration_minutes = duration_minutes
            fields = ["scheduled_at", "location", "duration_minutes"]
            if meeting.cancelled_at is not None:
                # Rescheduling a cancelled kickoff: a new meeting for K01–K04, its agenda to send again.
                meeting.cancelled_at, meeting.cancelled_by, meeting.cancel_reason = None, None, ""
                meeting.agenda_sent_at, meeting.agenda_sent_to = None, []
                fields += [
                    "cancelled_at",
                    "cancelled_by",
                    "cancel_reason",
                    "agenda_sent_at",
                    "agenda_sent_to",
                ]
            meeting.save(update_fields=fields)
            moved = before != _where_and_when(meeting)
        box["obj"] = meeting
    if not AgendaItem.objects.filter(meeting=meeting).exists():
        add_agenda(meeting, KICKOFF_AGENDA)
    bump_version(collab)
    if moved:
        _send_update(meeting, actor)
    return meeting


def _where_and_when(meeting: Meeting) -> tuple[datetime | None, str, int]:
    return meeting.scheduled_at, meeting.location, meeting.duration_minutes


def _send_update(meeting: Meeting, actor: Person | None) -> None:
    """A meeting whose agenda went out was moved: its invitees get the update (same UID, next SEQUENCE)."""
    if (
        meeting.cancelled_at is not None
        or meeting.agenda_sent_at is None
        or invitations.last_invitation(meeting) is None
    ):
        return
    with suppress(NobodyInvited, NothingChanged, AlreadySending):  # nobody to tell, or told already
        invitations.send(meeting, timezone.now(), actor=actor)


@transaction.atomic
def do_set_meeting_place(
    meeting: Meeting, *, location: str, duration_minutes: int, actor: Person | None = None
) -> Meeting:
    """Change where and how long ``meeting`` is; its time stays (an occurrence's comes from the plan)."""
    check_values(Meeting, [("location", location)])
    refuse_cancelled(meeting)
    collab = meeting.collaboration
    before = _where_and_when(meeting)
    with audited(meeting, actor=actor, collaboration=collab):
        meeting.location, meeting.duration_minutes = location, duration_minutes
        meeting.save(update_fields=["location", "duration_minutes"])
    bump_version(collab)
    if before != _where_and_when(meeting):
        _send_update(meeting, actor)
    return meeting


@transaction.atomic
def do_set_attendees(meeting: Meeting, people: Sequence[Person], *, actor: Person | None = None) -> None:
    """Replace who is invited to ``meeting``."""
    collab = meeting.collaboration
    with audited(meeting, actor=actor, collaboration=collab):
        meeting.attendees.set(people)
    bump_version(collab)


@transaction.atomic
def do_save_agenda_item(
    meeting: Meeting,
    title: str,
    notes: str = "",
    *,
    item: AgendaItem | None = None,
    actor: Person | None = None,
) -> AgendaItem:
    """Add an item at the end of the agenda, or change ``item``; return it."""
    check_values(AgendaItem, [("title", title), ("notes", notes)])
    if item is not None and item.meeting_id != meeting.pk:
        raise ValueError("the agenda item belongs to another meeting")
    collab = meeting.collaboration
    with audited(item, actor=actor, collaboration=collab) as box:
        if item is None:
            item = AgendaItem.objects.create(
                meeting=meeting,
                position=next_position(AgendaItem.objects.filter(meeting=meeting)),
                title=title,
                notes=notes,
            )
        else:
            item.title, item.notes = title, notes
            item.save(update_fields=["title", "notes"])
        box["obj"] = item
    bump_version(collab)
    return item


@transaction.atomic
def do_delete_agenda_item(item: AgendaItem, *, actor: Person | None = None) -> None:
    delete_row(item, item.meeting.collaboration, actor=actor)


def agenda_would_be_late(meeting: Meeting, at: datetime) -> bool:
    """Return True when sending the agenda at ``at`` is less than 72 h before the meeting (K02)."""
    return meeting.scheduled_at is not None and meeting.scheduled_at - at < AGENDA_LEAD


@transaction.atomic
def do_send_agenda(
    meeting: Meeting, at: datetime, *, actor: Person | None = None, force: bool = False
) -> Meeting:
    """Send the agenda, the materials' links and the calendar invitation to the invitees at ``at``.

    Each invitee gets it once per sending (mail and inbox) and the group
    robots one message; the first sending is the one K02 judges, and sending
    again (an update: the agenda, time, place or invitees changed) keeps that
    time and adds whoever was not on the first list. Raises ValueError for a
    meeting without a time, ``NobodyInvited`` without invitees,
    ``NothingChanged`` when nothing changed since the last sending (unless
    ``force``), ``AlreadySending`` when a concurrent request sent it,
    ``MeetingCancelled`` for a cancelled meeting.
    """
    refuse_cancelled(meeting)
    if meeting.scheduled_at is None:
        raise ValueError("the meeting has no time yet")
    collab = meeting.collaboration
    with audited(meeting, actor=actor, collaboration=collab):
        invitation = invitations.send(meeting, at, actor=actor, force=force)
        names = [name for _pk, name, _email in invitation.content["attendees"]]
        if meeting.agenda_sent_at is None:
            meeting.agenda_sent_at = at
        meeting.agenda_sent_to = list(dict.fromkeys([*meeting.agenda_sent_to, *names]))
        meeting.save(update_fields=["agenda_sent_at", "agenda_sent_to"])
    bump_version(collab)
    return meeting


@transaction.atomic
def do_cancel_meeting(meeting: Meeting, reason: str, at: datetime, *, actor: Person | None = None) -> Meeting:
    """Cancel ``meeting`` at ``at`` for ``reason``; if its agenda went out, its invitees are told once.

    Each invitee of the last sending gets one ``METHOD:CANCEL`` mail (same
    UID, next SEQUENCE, STATUS:CANCELLED) and one inbox notice, the group
    robots one message. Raises ``NotCancellable`` for a meeting cancelled
    already or whose minutes were issued (it was held), ``AlreadySending``
    when a concurrent request cancelled it.
    """
    check_values(Meeting, [("cancel_reason", reason)])
    # Locked, so that two requests at once make one cancellation (the second sees the first).
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.cancelled_at is not None:
        raise NotCancellable(_("会议已于此前取消"))
    if locked.minutes_issued_at is not None:
        raise NotCancellable(_("会议纪要已发出,会议已召开,不能取消"))
    collab = meeting.collaboration
    with audited(meeting, actor=actor, collaboration=collab):
        meeting.cancelled_at, meeting.cancelled_by, meeting.cancel_reason = at, actor, reason
        meeting.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
        if meeting.agenda_sent_at is not None:
            invitations.cancel(meeting, at, reason, actor=actor)
    bump_version(collab)
    return meeting
