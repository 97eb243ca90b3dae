"""Every calendar the product writes, read as real clients read it (RFC 5545 / RFC 5546).

Each file is parsed by three independent parsers, ``icalendar``, ``vobject``
(with its validation) and ``ical`` (strict pydantic models), which must agree
on what it says; then the iTIP rules of its method are checked:

- downloads and the subscription feed are ``METHOD:PUBLISH``: every event
  has an ORGANIZER (the site's sender when the chair has no mailbox) and no
  ATTENDEE (RFC 5546 3.2.1);
- invitations mailed are ``METHOD:REQUEST`` with the ORGANIZER and at least
  one ATTENDEE (3.2.2); an update keeps the UID and raises SEQUENCE;
- cancellations are ``METHOD:CANCEL`` with the ORGANIZER, the ATTENDEE told,
  SEQUENCE and ``STATUS:CANCELLED`` (3.2.5).

The mails go through Django's SMTP backend to a real aiosmtpd receiver.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
import time_machine
import vobject
from django.test import Client
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.helpers import at, owner, signed_in
from tests.notify.servers import Mail, SmtpServer, smtp, smtp_server
from tests.test_meeting_page import kickoff_of, plan_kickoff, post_url
from xietong.collabs.models import Collaboration, Goal, Participant
from xietong.meetings.models import CommunicationRule, Meeting, MeetingKind
from xietong.notify import tasks
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db
__all__ = ["smtp", "smtp_server"]  # the receiver's fixtures

# RFC 5545 3.3.6 dur-value: ("+" / "-") "P" (dur-date / dur-time / dur-week)
DURATION = re.compile(r"^[+-]?P(\d+W|(\d+D)?(T(\d+H(\d+M(\d+S)?)?|\d+M(\d+S)?|\d+S))?)$")


@dataclass(frozen=True)
class Seen:
    """What one event says, as one parser read it."""

    uid: str
    organizer: str
    attendees: tuple[str, ...]
    sequence: int
    status: str
    recurrence: bool


def _address(value: object) -> str:
    return str(value).lower().removeprefix("mailto:")


def by_icalendar(text: str) -> tuple[str, list[Seen]]:
    calendar = Calendar.from_ical(text)
    seen = []
    for event in calendar.walk("VEVENT"):
        attendees = event.get("ATTENDEE", [])
        attendees = attendees if isinstance(attendees, list) else [attendees]
        seen.append(
            Seen(
                uid=str(event["UID"]),
                organizer=_address(event.get("ORGANIZER", "")),
                attendees=tuple(sorted(_address(a) for a in attendees)),
                sequence=int(event.get("SEQUENCE", 0)),
                status=str(event.get("STATUS", "")),
                recurrence="RECURRENCE-ID" in event,
            )
        )
    return str(calendar["METHOD"]), seen


def by_vobject(text: str) -> tuple[str, list[Seen]]:
    calendar = vobject.readOne(text, validate=True)
    calendar.validate(raiseException=True)
    seen = []
    for event in calendar.contents.get("vevent", []):
        props = event.contents
        seen.append(
            Seen(
                uid=props["uid"][0].value,
                organizer=_address(props["organizer"][0].value) if "organizer" in props else "",
                attendees=tuple(sorted(_address(a.value) for a in props.get("attendee", []))),
                sequence=int(props["sequence"][0].value) if "sequence" in props else 0,
                status=props["status"][0].value if "status" in props else "",
                recurrence="recurrence-id" in props,
            )
        )
    return calendar.contents["method"][0].value, seen


def by_ical(text: str) -> tuple[str, list[Seen]]:
    calendar = IcsCalendarStream.calendar_from_ics(text)
    seen = [
        Seen(
            uid=event.uid,
            organizer=_address(event.organizer.uri) if event.organizer else "",
            attendees=tuple(sorted(_address(a.uri) for a in event.attendees)),
            sequence=event.sequence or 0,
            status=str(event.status.value) if event.status else "",
            recurrence=event.recurrence_id is not None,
        )
        for event in calendar.events
    ]
    return calendar.method or "", seen


def read(body: bytes) -> tuple[str, list[Seen]]:
    """The method and events of ``body``, which all three parsers must read alike."""
    text = body.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n")), "lines folded at 75 octets"
    first = by_icalendar(text)
    assert by_vobject(text) == first, "vobject reads it otherwise"
    assert by_ical(text) == first, "ical reads it otherwise"
    method, events = first
    assert events, "a calendar with no event"
    for line in text.split("\r\n"):
        if line.startswith(("X-PUBLISHED-TTL", "REFRESH-INTERVAL")):
            value = line.split(":", 1)[1]
            assert DURATION.match(value), f"{line!r} is no RFC 5545 duration"
    return method, events


def check_publish(body: bytes, sender: str = "") -> list[Seen]:
    method, events = read(body)
    assert method == "PUBLISH"
    for event in events:
        assert event.organizer, f"{event.uid}: PUBLISH needs an ORGANIZER (RFC 5546 3.2.1)"
        assert event.attendees == (), f"{event.uid}: PUBLISH carries no ATTENDEE (RFC 5546 3.2.1)"
    if sender:
        assert {e.organizer for e in events} == {sender}
    return events


def check_request(body: bytes) -> Seen:
    method, events = read(body)
    assert method == "REQUEST"
    (event,) = events
    assert event.organizer and event.attendees, "REQUEST: ORGANIZER and ATTENDEEs (RFC 5546 3.2.2)"
    assert event.status != "CANCELLED"
    return event


def check_cancel(body: bytes) -> Seen:
    method, events = read(body)
    assert method == "CANCEL"
    (event,) = events
    assert event.organizer and event.attendees, "CANCEL: ORGANIZER and the ATTENDEEs told (RFC 5546 3.2.5)"
    assert event.status == "CANCELLED" and event.sequence > 0
    return event


# --- what is offered for download and subscription


def with_mailboxes(collab: Collaboration) -> Person:
    """The owner and 技术部's liaison get mailboxes, 技术部's head none; return the liaison."""
    Person.objects.filter(username="赵总监").update(email="")
    assert collab.owner is not None
    Person.objects.filter(pk=collab.owner.pk).update(email="wang@example.com")
    liaison = Participant.objects.get(collaboration=collab, department__name="技术部").liaison
    assert liaison is not None
    Person.objects.filter(pk=liaison.pk).update(email="li@example.com")
    Goal.objects.filter(collaboration=collab).update(deadline=date(2024, 10, 31))
    return Person.objects.get(pk=liaison.pk)


def test_a_meeting_download_is_a_publish_with_its_chair_and_no_attendee(demo: Collaboration) -> None:
    with_mailboxes(demo)
    meeting = Meeting.objects.get(collaboration=demo, kind=MeetingKind.KICKOFF)
    body = owner(demo).get(f"/c/{demo.slug}/meetings/{meeting.pk}.ics").content
    (event,) = check_publish(body, sender="wang@example.com")
    assert event.sequence == Collaboration.objects.get(pk=demo.pk).version


def test_a_chair_without_a_mailbox_is_replaced_by_the_sites_sender(
    demo: Collaboration, settings: SettingsWrapper
) -> None:
    settings.DEFAULT_FROM_EMAIL = "协同平台 <noreply@xietong.test>"
    Person.objects.update(email="")
    meeting = Meeting.objects.get(collaboration=demo, kind=MeetingKind.KICKOFF)
    body = owner(demo).get(f"/c/{demo.slug}/meetings/{meeting.pk}.ics").content
    check_publish(body, sender="noreply@xietong.test")
    assert "ORGANIZER;CN=" in body.decode()  # the chair, by name
    rule = CommunicationRule.objects.get(collaboration=demo, scenario="decision")
    body = owner(demo).get(f"/c/{demo.slug}/communication/{rule.pk}.ics").content
    check_publish(body, sender="noreply@xietong.test")


def test_the_regular_meeting_series_is_a_publish(demo: Collaboration) -> None:
    liaison = with_mailboxes(demo)
    rule = CommunicationRule.objects.get(collaboration=demo, scenario="decision")
    body = signed_in(liaison).get(f"/c/{demo.slug}/communication/{rule.pk}.ics").content
    events = check_publish(body)
    assert any(e.recurrence for e in events), "moved and opened occurrences are overrides"
    assert len({e.uid for e in events}) == 1


def test_the_subscription_feed_is_a_publish_with_a_duration_ttl(demo: Collaboration) -> None:
    liaison = with_mailboxes(demo)
    client = signed_in(liaison)
    feed = urlsplit(client.get("/calendar/").context["feed_url"]).path
    body = Client().get(feed).content
    events = check_publish(body)
    assert len({e.uid for e in events}) >= 2  # the kickoff and the weekly meeting at least
    text = body.decode()
    assert "X-PUBLISHED-TTL:PT1H\r\n" in text and "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in text


# --- what is mailed


@pytest.fixture
def planned(db: None) -> Collaboration:
    return plan_kickoff()


@pytest.fixture
def week_before() -> Iterator[None]:
    with time_machine.travel(at(2024, 7, 1, 9, 0), tick=False):
        yield


def deliver() -> None:
    tasks.deliver_due.call(tasks.BATCH)


def calendar_of(mail: Mail) -> tuple[str, bytes]:
    """The mail's one ``text/calendar`` part: the method its Content-Type names, and its bytes."""
    parts = [p for p in mail.message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    part = parts[0]
    assert isinstance(part, EmailMessage)
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return str(part.get_param("method")), payload


@pytest.mark.usefixtures("week_before")
def test_invitations_updates_and_cancellations_follow_itip(planned: Collaboration, smtp: SmtpServer) -> None:
    kickoff = kickoff_of(planned)
    people = list(kickoff.attendees.order_by("pk"))
    for person in people:
        person.email = f"p{person.pk}@example.com"
        person.save(update_fields=["email"])
    client = owner(planned)
    client.post(post_url(planned, kickoff, "agenda/send/"))
    deliver()
    assert len(smtp.mails) == len(people)
    for mail in smtp.mails:
        method, body = calendar_of(mail)
        event = check_request(body)
        assert method == "REQUEST" and event.sequence == 0
        assert set(event.attendees) == {p.email for p in people}
    uid = event.uid

    # Moved: the same UID, the next SEQUENCE, still a REQUEST.
    moved = {"scheduled_at": "2024-07-09T14:00", "duration_minutes": "90", "location": "总部 5 楼"}
    client.post(post_url(planned, kickoff, "details/"), moved)
    deliver()
    updates = smtp.mails[len(people) :]
    assert len(updates) == len(people)
    for mail in updates:
        method, body = calendar_of(mail)
        event = check_request(body)
        assert (method, event.uid, event.sequence) == ("REQUEST", uid, 1)

    # Called off: a CANCEL of the same UID to each invitee, naming them.
    sent = len(smtp.mails)
    client.post(post_url(planned, kickoff, "cancel/"), {"confirm": "1", "reason": "领导出差"})
    deliver()
    cancels = smtp.mails[sent:]
    assert len(cancels) == len(people)
    for mail in cancels:
        method, body = calendar_of(mail)
        event = check_cancel(body)
        assert (method, event.uid, event.sequence) == ("CANCEL", uid, 2)
        assert event.attendees == (mail.recipients[0],)


@pytest.mark.usefixtures("week_before")
def test_an_invitation_from_a_chair_without_a_mailbox_names_the_sites_sender(
    planned: Collaboration, smtp: SmtpServer, settings: SettingsWrapper
) -> None:
    settings.DEFAULT_FROM_EMAIL = "协同平台 <noreply@xietong.test>"
    kickoff = kickoff_of(planned)
    chair = kickoff.chair or planned.owner
    assert chair is not None
    people = [p for p in kickoff.attendees.order_by("pk") if p.pk != chair.pk]
    for person in people:
        person.email = f"p{person.pk}@example.com"
        person.save(update_fields=["email"])
    Person.objects.filter(pk=chair.pk).update(email="")
    owner(planned).post(post_url(planned, kickoff, "agenda/send/"))
    deliver()
    assert len(smtp.mails) == len(people)
    for mail in smtp.mails:
        _method, body = calendar_of(mail)
        event = check_request(body)
        assert event.organizer == "noreply@xietong.test"
        assert f"CN={chair.name}" in body.decode().replace("\r\n ", "")
