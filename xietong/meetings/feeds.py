"""What the calendar files hold: meetings and regular meetings read from the database as calendar entries.

Reads only (writes are in ``actions.feeds``). Every function reads a fixed
number of queries whatever the number of collaborations, meetings,
attendees or agenda items, so a person's subscription feed costs the same
for two meetings or two thousand.

Links in a calendar leave the site, so they are built on ``SITE_URL``; its
host also names the events (``meeting-12@xietong.example.com``), which keeps
UIDs stable whatever address a client used to fetch the file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from icalendar import Event

from xietong.collabs.access import visible_collaborations
from xietong.collabs.models import Collaboration, Goal, MemberRole, Membership, Participant
from xietong.lib.recurrence import describe
from xietong.meetings.actions.occurrences import is_series, series_occurrences, window_from
from xietong.meetings.calendar import (
    Invitee,
    MeetingEntry,
    SeriesEntry,
    build_calendar,
    meeting_event,
    organizer_of,
    series_events,
)
from xietong.meetings.models import CalendarFeed, CommunicationRule, Meeting, MeetingKind
from xietong.orgs.models import Person

FEED_SALT = "xietong.calendar-feed"
# How often subscribed calendars are asked to fetch the feed again.
FEED_REFRESH = timedelta(hours=1)


def time_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "xietong"


def absolute(path: str) -> str:
    return settings.SITE_URL + path


# --- the subscription token


def feed_token(feed: CalendarFeed) -> str:
    """Return the secret part of ``feed``'s URL: the person and nonce, signed."""
    return signing.Signer(salt=FEED_SALT).sign(f"{feed.person_id}:{feed.nonce}")


def feed_for_token(token: str) -> CalendarFeed | None:
    """Return the subscription ``token`` opens, or None (forged, or reset since, or its person inactive)."""
    try:
        value = signing.Signer(salt=FEED_SALT).unsign(token)
    except signing.BadSignature:
        return None
    pk, _sep, nonce = value.partition(":")
    if not pk.isdigit() or not nonce:
        return None
    return (
        CalendarFeed.objects.select_related("person")
        .filter(person_id=int(pk), nonce=nonce, person__is_active=True)
        .first()
    )


def feed_url(feed: CalendarFeed) -> str:
    return absolute(reverse("meetings:feed", args=[feed_token(feed)]))


# --- whose meetings


def taking_part(person: Person) -> QuerySet[Collaboration]:
    """Return the collaborations ``person`` may see and takes part in, in one query.

    Taking part: the owner, a participating department's liaison or head, a
    member (not a mere viewer), or an attendee of one of its meetings.
    Seeing it is still required: an attendee whose access was taken away
    gets nothing.
    """
    if not person.is_active:
        return Collaboration.objects.none()
    part = (
        Q(owner=person)
        | Q(pk__in=Participant.objects.filter(liaison=person).values("collaboration_id"))
        | Q(pk__in=Participant.objects.filter(department__head=person).values("collaboration_id"))
        | Q(
            pk__in=Membership.objects.filter(person=person, role=MemberRole.MEMBER).values("collaboration_id")
        )
        | Q(pk__in=Meeting.objects.filter(attendees=person).values("collaboration_id"))
    )
    return (
        Collaboration.objects.filter(part)
        .filter(pk__in=visible_collaborations(person).values("pk"))
        .order_by("title", "pk")
    )


# --- reading collaborations' meetings


@dataclass(frozen=True)
class CollabMeetings:
    """One collaboration's meetings, its plan's rows and who its meetings invite."""

    collab: Collaboration
    window: tuple[datetime, datetime]
    invitees: tuple[Invitee, ...]
    rules: tuple[CommunicationRule, ...]
    meetings: tuple[Meeting, ...]


def invitee(person: Person) -> Invitee:
    return Invitee(person.name, person.email)


def organizer(person: Person | None) -> Invitee:
    """Return the ORGANIZER of an event: ``person``, at the site's sender address when they have none."""
    if person is None:
        return organizer_of("", "", settings.DEFAULT_FROM_EMAIL)
    return organizer_of(person.name, person.email, settings.DEFAULT_FROM_EMAIL)


def load_meetings(collabs: Sequence[Collaboration], *, rule: int | None = None) -> list[CollabMeetings]:
    """Return the meetings of ``collabs`` in six queries (``rule``: one regular meeting and its occurrences)."""
    ids = [c.pk for c in collabs]
    deadlines = dict(
        Goal.objects.filter(collaboration_id__in=ids).values_list("collaboration_id", "deadline")
    )
    invited: dict[int, dict[int, Person]] = defaultdict(dict)
    for c in collabs:
        if c.owner is not None:
            invited[c.pk][c.owner.pk] = c.owner
    participants = Participant.objects.filter(collaboration_id__in=ids).select_related(
        "liaison", "department__head"
    )
    for participant in participants:
        for person in (participant.liaison, participant.department.head):
            if person is not None:
                invited[participant.collaboration_id].setdefault(person.pk, person)
    rules: dict[int, list[CommunicationRule]] = defaultdict(list)
    rule_rows = CommunicationRule.objects.filter(collaboration_id__in=ids)
    if rule is not None:
        rule_rows = rule_rows.filter(pk=rule)
    for row in rule_rows:
        rules[row.collaboration_id].append(row)
    meetings: dict[int, list[Meeting]] = defaultdict(list)
    meeting_rows = (
        Meeting.objects.filter(collaboration_id__in=ids)
        .select_related("chair")
        .prefetch_related("attendees", "agenda")
    )
    for m in meeting_rows:
        meetings[m.collaboration_id].append(m)
    result = []
    for c in collabs:
        mine = meetings[c.pk]
        kickoff = next((m for m in mine if m.kind == MeetingKind.KICKOFF and m.scheduled_at), None)
        start = kickoff.scheduled_at if kickoff is not None and kickoff.scheduled_at else c.created_at
        if rule is not None:
            mine = [m for m in mine if m.series_id == rule]
        result.append(
            CollabMeetings(
                collab=c,
                window=window_from(start, deadlines.get(c.pk)),
                invitees=tuple(invitee(p) for p in invited[c.pk].values()),
                rules=tuple(rules[c.pk]),
                meetings=tuple(mine),
            )
        )
    return result


def meeting_summary(meeting: Meeting, collab: Collaboration) -> str:
    return f"{meeting.title or meeting.get_kind_display()} · {collab.title}"


def meeting_entry(meeting: Meeting, collab: Collaboration) -> MeetingEntry:
    """Return a stored meeting (with ``scheduled_at``) as a calendar entry."""
    assert meeting.scheduled_at is not None
    return MeetingEntry(
        uid=f"meeting-{meeting.pk}@{site_host()}",
        summary=meeting_summary(meeting, collab),
        start=meeting.scheduled_at,
        minutes=meeting.duration_minutes,
        location=meeting.location,
        agenda=tuple(item.title for item in meeting.agenda.all()),
        url=absolute(reverse("meetings:meeting", args=[collab.slug, meeting.pk])),
        organizer=organizer(meeting.chair or collab.owner),
        attendees=tuple(invitee(p) for p in meeting.attendees.all()),
        sequence=collab.version,
        notes=(_("跨部门协作:%(title)s") % {"title": collab.title},),
    )


def series_summary(rule: CommunicationRule, collab: Collaboration) -> str:
    return f"{rule.get_channel_display()} · {collab.title}"


def series_entry(rule: CommunicationRule, data: CollabMeetings) -> SeriesEntry | None:
    """Return a row of the plan as a regular meeting, or None when it is not one."""
    if not is_series(rule):
        return None
    collab = data.collab
    notes = [
        _("跨部门协作:%(title)s") % {"title": collab.title},
        _("频率:%(when)s") % {"when": describe(rule.rrule, before=False)},
        _("遇法定节假日:%(policy)s") % {"policy": rule.get_holiday_policy_display()},
    ]
    if rule.outputs:
        notes.append(_("输出物:%(outputs)s") % {"outputs": _("、").join(rule.outputs)})
    if rule.owner:
        notes.append(_("责任人:%(owner)s") % {"owner": rule.owner})
    return SeriesEntry(
        uid=f"series-{rule.pk}@{site_host()}",
        summary=series_summary(rule, collab),
        rrule=rule.rrule,
        occurrences=tuple(series_occurrences(rule, data.window)),
        until=data.window[1],
        minutes=rule.duration_minutes,
        location=rule.location,
        url=absolute(reverse("meetings:communication", args=[collab.slug])) + f"#rule-{rule.pk}",
        organizer=organizer(collab.owner),
        attendees=data.invitees,
        sequence=collab.version,
        notes=tuple(notes),
        opened={
            m.scheduled_at: meeting_entry(m, collab)
            for m in data.meetings
            if m.series_id == rule.pk and m.scheduled_at is not None
        },
    )


def collab_events(data: CollabMeetings, stamp: datetime) -> list[Event]:
    """Return the VEVENTs of one collaboration: its regular meetings, then its other meetings.

    A meeting opened from an occurrence is written inside its series (an
    override of that occurrence); one whose time no longer matches an
    occurrence stands alone.
    """
    tz = time_zone()
    events: list[Event] = []
    inside: set[int] = set()
    for rule in data.rules:
        entry = series_entry(rule, data)
        if entry is None:
            continue
        events += series_events(entry, tz, stamp)
        held = {o.at for o in entry.occurrences if o.at is not None}
        inside |= {m.pk for m in data.meetings if m.series_id == rule.pk and m.scheduled_at in held}
    for meeting in data.meetings:
        if meeting.scheduled_at is not None and meeting.pk not in inside:
            events.append(meeting_event(meeting_entry(meeting, data.collab), tz, stamp))
    return events


def calendar_bytes(
    name: str, events: Iterable[Event], *, uid: str | None = None, feed: bool = False
) -> bytes:
    return build_calendar(name, events, time_zone(), uid=uid, refresh=FEED_REFRESH if feed else None)


def person_feed(person: Person, stamp: datetime) -> bytes:
    """Return ``person``'s subscription calendar: every meeting of the collaborations they take part in."""
    collabs = list(taking_part(person).select_related("owner"))
    events = [event for data in load_meetings(collabs) for event in collab_events(data, stamp)]
    name = _("协同会议 · %(name)s") % {"name": person.name}
    return calendar_bytes(name, events, uid=f"feed-{person.pk}@{site_host()}", feed=True)
