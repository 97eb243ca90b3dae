"""iCalendar (RFC 5545) files of meetings and regular meetings, built with the ``icalendar`` library.

Pure: the callers (``meetings.feeds``) read the database and hand over plain
entries; this module turns them into a calendar and never writes ``.ics``
text by hand (the library folds lines and escapes text).

- A meeting is one VEVENT: UID ``meeting-<pk>@<host>``, start and end with the
  project's time zone (``TZID`` and a ``VTIMEZONE``), the agenda numbered in
  the description with a link back to the meeting's page, the chair as
  ORGANIZER (at the site's sender address when they have none).
- Files offered for download and the subscription feed are ``METHOD:PUBLISH``:
  RFC 5546 3.2.1 allows no ATTENDEE there, so the attendees are named in the
  description. Only the invitations mailed (``METHOD:REQUEST`` / ``CANCEL``,
  ``invitation_calendar``) carry one ATTENDEE per invitee with an address.
- A regular meeting of the communication plan (例会) is one VEVENT with the
  rule's RRULE from its first occurrence, UNTIL at the end of the
  collaboration's window (the goal's deadline), EXDATE for the occurrences
  cancelled on days off, and an overriding VEVENT (same UID, RECURRENCE-ID =
  the planned time) for each occurrence moved to the next working day and for
  each occurrence already opened as a meeting. RECURRENCE-ID overrides rather
  than RDATE: Outlook keeps RDATE only when it pairs with an EXDATE on
  another day and strips its time, while every client (Outlook, Apple
  Calendar, Feishu, Google) reads overrides: it is how they export moved
  instances themselves (docs/calendar.md).
- ``SEQUENCE`` is the collaboration's version, which every change bumps, so an
  updated file replaces the event instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vDuration, vRecur

from xietong.lib.limits import clamp_moment
from xietong.lib.schedule import MAX_OCCURRENCES, Occurrence, day_off_name, has_time_of_day

PRODID = "-//Xietong//Xietong Meetings 1.0//ZH"
_UTC = ZoneInfo("UTC")
_ONE_DAY = timedelta(days=1)
# Parts of a rule that only make sense with a time of day (dropped for all-day series).
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")


@dataclass(frozen=True)
class Invitee:
    """A person on an invitation: the name shown, and the e-mail address calendars need (may be empty)."""

    name: str
    email: str = ""


@dataclass(frozen=True)
class MeetingEntry:
    """One meeting as a calendar shows it."""

    uid: str
    summary: str
    start: datetime
    minutes: int = 60
    location: str = ""
    agenda: tuple[str, ...] = ()
    url: str = ""
    organizer: Invitee | None = None
    attendees: tuple[Invitee, ...] = ()
    sequence: int = 0
    # Extra lines at the top of the description (the collaboration, a note).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeriesEntry:
    """A regular meeting (例会): its rule and its occurrences with days off applied.

    ``occurrences`` are those of ``lib.schedule`` within the window
    (cancelled ones included), ``until`` the window's end; ``opened`` are the
    occurrences already opened as meetings, by their real time (``at``).
    """

    uid: str
    summary: str
    rrule: str
    occurrences: tuple[Occurrence, ...]
    until: datetime
    minutes: int = 60
    location: str = ""
    url: str = ""
    organizer: Invitee | None = None
    attendees: tuple[Invitee, ...] = ()
    sequence: int = 0
    notes: tuple[str, ...] = ()
    opened: Mapping[datetime, MeetingEntry] = field(default_factory=dict)


def organizer_of(name: str, email: str, sender: str) -> Invitee:
    """Return the ORGANIZER of a calendar: ``name`` at ``email``, or at the site's ``sender`` when empty.

    RFC 5546 requires an ORGANIZER in every method; a chair without a mailbox
    is shown by name at the address the site sends from (``DEFAULT_FROM_EMAIL``,
    which may be written ``名称 <address>``).
    """
    if email:
        return Invitee(name, email)
    sender_name, address = parseaddr(sender)
    return Invitee(name or sender_name or _("协同"), address or sender)


def _address(person: Invitee, *, organizer: bool = False) -> vCalAddress:
    # The bare address: a sender written "名称 <address>" must not end up inside mailto:.
    email = parseaddr(person.email)[1] or person.email
    if organizer:
        return vCalAddress.new(email, cn=person.name)
    return vCalAddress.new(email, cn=person.name, role="REQ-PARTICIPANT", partstat="NEEDS-ACTION", rsvp=True)


def _description(
    notes: Iterable[str],
    agenda: Sequence[str],
    organizer: Invitee | None,
    attendees: Sequence[Invitee],
    url: str,
    *,
    invite: bool,
) -> str:
    """Return an event's description; without ``invite`` (PUBLISH, no ATTENDEE) it names every attendee."""
    parts: list[str] = [line for line in notes if line]
    if agenda:
        lines = [_("会议议程:")]
        lines += [f"{i}. {title}" for i, title in enumerate(agenda, start=1)]
        parts.append("\n".join(lines))
    if organizer is not None and not organizer.email:
        parts.append(_("主持人:%(name)s") % {"name": organizer.name})
    if not invite:
        if attendees:
            parts.append(_("参会人:%(names)s") % {"names": _("、").join(p.name for p in attendees)})
    elif unlisted := [person.name for person in attendees if not person.email]:
        parts.append(_("参会人(未登记邮箱):%(names)s") % {"names": _("、").join(unlisted)})
    if url:
        parts.append(_("详情:%(url)s") % {"url": url})
    return "\n\n".join(parts)


def _people(event: Event, organizer: Invitee | None, attendees: Sequence[Invitee], *, invite: bool) -> None:
    """Add the ORGANIZER, and with ``invite`` (iTIP REQUEST / CANCEL) one ATTENDEE per invitee with an address."""
    if organizer is not None and organizer.email:
        event.add("ORGANIZER", _address(organizer, organizer=True))
    if not invite:
        return  # METHOD:PUBLISH: no ATTENDEE (RFC 5546 3.2.1)
    for person in attendees:
        if person.email:
            event.add("ATTENDEE", _address(person))


def _event(
    *,
    uid: str,
    summary: str,
    start: date,
    end: date,
    stamp: datetime,
    sequence: int,
    location: str,
    description: str,
    url: str,
    recurrence_id: date | None = None,
) -> Event:
    event = Event()
    event.add("UID", uid)
    event.add("DTSTAMP", stamp.astimezone(_UTC))
    event.add("SEQUENCE", sequence)
    if recurrence_id is not None:
        event.add("RECURRENCE-ID", recurrence_id)
    event.add("DTSTART", start)
    event.add("DTEND", end)
    event.add("SUMMARY", summary)
    if location:
        event.add("LOCATION", location)
    if description:
        event.add("DESCRIPTION", description)
    if url:
        event.add("URL", url)
    return event


def meeting_event(
    entry: MeetingEntry,
    tz: ZoneInfo,
    stamp: datetime,
    *,
    uid: str | None = None,
    recurrence_id: date | None = None,
    all_day: bool = False,
    invite: bool = False,
) -> Event:
    """Return the VEVENT of one meeting (or, with ``uid`` and ``recurrence_id``, an occurrence of a series).

    Without ``invite`` it is for a PUBLISH calendar (no ATTENDEE); with it, for an iTIP invitation.
    """
    start_at = clamp_moment(entry.start).astimezone(tz)  # a time stored before the date window
    start: date
    end: date
    if all_day:
        start, end = start_at.date(), start_at.date() + _ONE_DAY
    else:
        start, end = start_at, start_at + timedelta(minutes=entry.minutes)
    event = _event(
        uid=uid or entry.uid,
        summary=entry.summary,
        start=start,
        end=end,
        stamp=stamp,
        sequence=entry.sequence,
        location=entry.location,
        description=_description(
            entry.notes, entry.agenda, entry.organizer, entry.attendees, entry.url, invite=invite
        ),
        url=entry.url,
        recurrence_id=recurrence_id,
    )
    _people(event, entry.organizer, entry.attendees, invite=invite)
    return event


def _rule_text(rrule: str) -> str | None:
    """Return the one RRULE of ``rrule`` without its ``RRULE:`` prefix, or None if it is more than that."""
    lines = [line.strip() for line in rrule.strip().splitlines() if line.strip()]
    if len(lines) != 1:
        return None
    line = lines[0]
    if line.upper().startswith("RRULE:"):
        line = line[len("RRULE:") :]
    return None if ":" in line else line


def _day_note(planned: datetime, at: datetime | None, *, all_day: bool) -> str:
    when = planned.strftime("%Y-%m-%d") if all_day else planned.strftime("%Y-%m-%d %H:%M")
    reason = day_off_name(planned.date())
    if at is None:
        return _("%(when)s 逢%(reason)s,当次取消") % {"when": when, "reason": reason}
    return _("原定 %(when)s 逢%(reason)s,顺延至本次") % {"when": when, "reason": reason}


def series_events(entry: SeriesEntry, tz: ZoneInfo, stamp: datetime) -> list[Event]:
    """Return the VEVENTs of a regular meeting: the recurring one, then its moved and opened occurrences.

    Empty when the series has no occurrence in its window. A rule that is not
    one plain RRULE (several lines, a DTSTART of its own) is written as one
    event per occurrence instead, which every client reads the same way.
    """
    if not entry.occurrences:
        return []
    all_day = not has_time_of_day(entry.rrule)
    local = [
        Occurrence(o.planned.astimezone(tz), o.at.astimezone(tz) if o.at is not None else None)
        for o in entry.occurrences
    ]
    opened = {at.astimezone(tz): meeting for at, meeting in entry.opened.items()}

    def value(moment: datetime) -> date:
        return moment.date() if all_day else moment

    description = _description(entry.notes, (), entry.organizer, entry.attendees, entry.url, invite=False)

    def instance(o: Occurrence, *, uid: str, recurrence_id: date | None) -> Event:
        assert o.at is not None
        meeting = opened.get(o.at)
        if meeting is not None:
            return meeting_event(meeting, tz, stamp, uid=uid, recurrence_id=recurrence_id, all_day=all_day)
        start = value(o.at)
        end = start + _ONE_DAY if all_day else o.at + timedelta(minutes=entry.minutes)
        notes = (_day_note(o.planned, o.at, all_day=all_day),) if o.moved else ()
        event = _event(
            uid=uid,
            summary=entry.summary + (_("(顺延)") if o.moved else ""),
            start=start,
            end=end,
            stamp=stamp,
            sequence=entry.sequence,
            location=entry.location,
            description="\n\n".join([*notes, description]) if notes else description,
            url=entry.url,
            recurrence_id=recurrence_id,
        )
        _people(event, entry.organizer, entry.attendees, invite=False)
        return event

    text = _rule_text(entry.rrule)
    if text is None:
        return [
            instance(o, uid=f"{o.planned.strftime('%Y%m%dT%H%M')}-{entry.uid}", recurrence_id=None)
            for o in local
            if o.at is not None
        ]

    first = local[0].planned
    rule = vRecur.from_ical(text)
    cut_short = "COUNT" in rule or "UNTIL" in rule or len(local) >= MAX_OCCURRENCES
    for part in ("COUNT", "UNTIL", *(_TIME_PARTS if all_day else ())):
        rule.pop(part, None)
    # A timed DTSTART with a TZID needs UNTIL in UTC (RFC 5545 3.3.10).
    last = local[-1].planned if cut_short else entry.until.astimezone(tz)
    rule["UNTIL"] = last.date() if all_day else last.astimezone(_UTC)

    master = _event(
        uid=entry.uid,
        summary=entry.summary,
        start=value(first),
        end=first.date() + _ONE_DAY if all_day else first + timedelta(minutes=entry.minutes),
        stamp=stamp,
        sequence=entry.sequence,
        location=entry.location,
        description=description,
        url=entry.url,
    )
    master.add("RRULE", rule)
    cancelled = [value(o.planned) for o in local if o.cancelled]
    if cancelled:
        # One multi-valued EXDATE in DTSTART's zone: what Outlook itself writes.
        master.add("EXDATE", cancelled)
    _people(master, entry.organizer, entry.attendees, invite=False)
    events = [master]
    for o in local:
        if o.at is not None and (o.moved or o.at in opened):
            events.append(instance(o, uid=entry.uid, recurrence_id=value(o.planned)))
    return events


def build_calendar(
    name: str,
    events: Iterable[Event],
    tz: ZoneInfo,
    *,
    uid: str | None = None,
    refresh: timedelta | None = None,
) -> bytes:
    """Return the bytes of a METHOD:PUBLISH calendar holding ``events`` and the VTIMEZONE they use.

    ``refresh`` (for subscription feeds) tells clients how often to fetch it again. The
    events are PUBLISH events (``meeting_event`` / ``series_events`` without ``invite``),
    each with an ORGANIZER (``organizer_of``).
    """
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", name)
    calendar.add("X-WR-TIMEZONE", tz.key)
    if uid:
        calendar.add("UID", uid)
    if refresh is not None:
        calendar.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})
        # An X- property has no type of its own: without vDuration the library writes "1:00:00".
        calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    starts: list[date] = []
    for event in events:
        calendar.add_component(event)
        start = event.get("DTSTART")
        if start is not None:
            moment = start.dt
            starts.append(moment.date() if isinstance(moment, datetime) else moment)
    if starts:
        # The VTIMEZONE covers the events' years only (Shanghai's daylight
        # time of 1986-1991 need not travel in every file).
        calendar.add_missing_timezones(first_date=min(starts).replace(month=1, day=1))
    return calendar.to_ical()


REQUEST, CANCEL = "REQUEST", "CANCEL"


def invitation_calendar(entry: MeetingEntry, tz: ZoneInfo, stamp: datetime, method: str = REQUEST) -> bytes:
    """Return the bytes of an iTIP invitation (RFC 5546) of one meeting: METHOD:REQUEST or METHOD:CANCEL.

    What a mail carries as its ``text/calendar; method=…`` part: one VEVENT
    with the meeting's UID (the same in every sending, so an update replaces
    the event and a cancellation removes it), the sending's SEQUENCE, the
    ORGANIZER (required by iTIP: ``entry.organizer`` must have an address)
    and one ATTENDEE per invitee with RSVP=TRUE. Unlike ``build_calendar``
    it names no calendar (it is no feed) and says whether the event stands.
    """
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"not an invitation method: {method}")
    if entry.organizer is None or not entry.organizer.email:
        raise ValueError("an invitation needs an organizer with an address")
    event = meeting_event(entry, tz, stamp, invite=True)
    event.add("STATUS", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("TRANSP", "OPAQUE")
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    calendar.add_component(event)
    start = clamp_moment(entry.start).astimezone(tz)
    calendar.add_missing_timezones(first_date=start.date().replace(month=1, day=1))
    return calendar.to_ical()
