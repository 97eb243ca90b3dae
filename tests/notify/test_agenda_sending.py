"""发送议程 delivers: a mail with the agenda, the materials' links and a calendar invitation to each invitee,
an inbox notice each, one message to the group robots; updates, cancellations and refusals.

Real receivers: the mail goes through Django's SMTP backend to aiosmtpd, the
robot message through the product's HTTP client to a server on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from icalendar import Calendar

from tests.api.conftest import as_person
from tests.helpers import at, owner
from tests.notify.conftest import make_robot
from tests.notify.servers import Mail, RobotServer, SmtpServer
from tests.notify.test_run import Inbox
from tests.running import ROOT, answers, free_port, sqlite_pass_only, xietong_run
from tests.test_meeting_page import HTMX, kickoff_of, page_url, plan_kickoff, post_url
from xietong.collabs.models import Collaboration, Participant
from xietong.meetings.actions.kickoff import do_save_agenda_item
from xietong.meetings.actions.minutes import do_issue_minutes
from xietong.meetings.actions.occurrences import (
    do_open_occurrence,
    is_series,
    series_occurrences,
    series_window,
)
from xietong.meetings.models import CommunicationRule, Material, Meeting
from xietong.notify import tasks
from xietong.notify.models import Invitation, Kind, Notification, Transport
from xietong.notify.outbox import sweep
from xietong.orgs.models import Person
from xietong.tracking.actions.registers import do_trigger_risk
from xietong.tracking.models import Risk

pytestmark = pytest.mark.django_db


# --- helpers


def with_mailboxes(meeting: Meeting) -> list[Person]:
    """Give every invitee a mailbox (the imported charter's people have none); return them."""
    people = list(meeting.attendees.order_by("pk"))
    for person in people:
        person.email = f"p{person.pk}@example.com"
        person.save(update_fields=["email"])
    return people


def deliver() -> None:
    """Run what the worker runs for the deliveries just queued."""
    tasks.deliver_due.call(tasks.BATCH)


def calendar_part(mail: Mail) -> EmailMessage:
    parts = [p for p in mail.message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, mail.message
    part = parts[0]
    assert isinstance(part, EmailMessage)
    return part


def invitation(mail: Mail) -> tuple[str, Calendar]:
    """The mail's calendar part: its Content-Type method and the calendar it holds."""
    part = calendar_part(mail)
    return str(part.get_param("method")), Calendar.from_ical(part.get_content())


def event_of(calendar: Calendar) -> dict[str, object]:
    event = calendar.walk("VEVENT")[0]
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees] if attendees else []
    return {
        "method": str(calendar["METHOD"]),
        "uid": str(event["UID"]),
        "sequence": int(event["SEQUENCE"]),
        "start": event["DTSTART"].dt,
        "organizer": str(event["ORGANIZER"]),
        "attendees": {str(a).removeprefix("mailto:") for a in attendees},
        "rsvp": {a.params.get("RSVP") for a in attendees},
    }


def text_of(mail: Mail) -> str:
    return mail.part("text/plain")


@pytest.fixture
def week_before() -> Iterator[None]:
    with time_machine.travel(at(2024, 7, 1, 9, 0), tick=False):
        yield


@pytest.fixture
def planned(db: None) -> Collaboration:
    return plan_kickoff()


@pytest.fixture
def robot(planned: Collaboration, robot_server: RobotServer, local_robots: None) -> RobotServer:
    make_robot(planned, Transport.WECOM, robot_server.url())
    return robot_server


# --- sending


@pytest.mark.usefixtures("week_before")
def test_sending_on_the_page_mails_each_invitee_one_invitation_naming_them(
    planned: Collaboration, smtp: SmtpServer, robot: RobotServer
) -> None:
    kickoff = kickoff_of(planned)
    people = with_mailboxes(kickoff)
    Material.objects.create(
        meeting=kickoff,
        file="materials/brief.pdf",
        name="投诉数据简报.pdf",
        size=10,
        content_type="application/pdf",
    )
    response = owner(planned).post(post_url(planned, kickoff, "agenda/send/"), headers=HTMX)
    assert response.status_code == 200
    assert f"已发送会议议程、背景资料及日历邀请({len(people)} 位参会人)" in response.content.decode()
    deliver()

    assert sorted(r for m in smtp.mails for r in m.recipients) == sorted(p.email for p in people)
    material = Material.objects.get(meeting=kickoff)
    for mail in smtp.mails:
        method, calendar = invitation(mail)
        event = event_of(calendar)
        assert method == "REQUEST" and event["method"] == "REQUEST"
        assert mail.recipients[0] in event["attendees"]  # the invitee is named …
        assert event["attendees"] == {p.email for p in people}  # … among everyone invited
        assert event["rsvp"] == {"TRUE"}
        assert event["uid"] == f"meeting-{kickoff.pk}@127.0.0.1" and event["sequence"] == 0
        assert event["start"] == at(2024, 7, 8, 10, 0)
        assert event["organizer"] == f"mailto:{Person.objects.get(pk=planned.owner_id).email}"  # the chair
        text = text_of(mail)
        assert "会议议程:" in text and "1. " in text  # the agenda …
        assert (
            f"/c/planned/meetings/{kickoff.pk}/materials/{material.pk}/" in text
        )  # … and the materials' link
        assert "会议邀请" in mail.subject
    # The inbox: one notice each; the group: one message for the sending.
    for person in people:
        assert Notification.objects.filter(recipient=person, kind=Kind.MEETING_INVITATION).count() == 1
    assert len(robot.requests) == 1
    assert "会议议程" in robot.requests[0].json()["markdown"]["content"]
    kickoff.refresh_from_db()
    assert kickoff.agenda_sent_at == at(2024, 7, 1, 9, 0)


@pytest.mark.usefixtures("week_before")
def test_sending_again_without_a_change_is_refused_and_nothing_is_resent(
    planned: Collaboration, smtp: SmtpServer, robot: RobotServer
) -> None:
    kickoff = kickoff_of(planned)
    people = with_mailboxes(kickoff)
    client = owner(planned)
    client.post(post_url(planned, kickoff, "agenda/send/"))
    deliver()
    page = client.get(page_url(planned)).content.decode()
    assert "再次发送议程" not in page and "议程及日历邀请已发送" in page

    again = client.post(post_url(planned, kickoff, "agenda/send/"), headers=HTMX)
    assert "没有变化,无需再次发送" in again.content.decode()
    api = as_person(planned.owner)  # type: ignore[arg-type]
    refused = api.post(f"/api/collaborations/planned/meetings/{kickoff.pk}/send-agenda", {})
    assert refused.status_code == 409 and "没有变化" in refused.json()["detail"]
    deliver()
    assert len(smtp.mails) == len(people) and len(robot.requests) == 1
    assert Invitation.objects.filter(meeting=kickoff).count() == 1

    # A changed agenda offers "再次发送"; the update goes out with the next SEQUENCE.
    do_save_agenda_item(kickoff, "风险预案讨论", actor=planned.owner)
    assert "再次发送议程(已更新)" in client.get(page_url(planned)).content.decode()
    assert client.post(post_url(planned, kickoff, "agenda/send/")).status_code == 302
    deliver()
    updates = smtp.mails[len(people) :]
    assert len(updates) == len(people)
    assert {event_of(invitation(m)[1])["sequence"] for m in updates} == {1}
    assert all("风险预案讨论" in text_of(m) and "会议更新" in m.subject for m in updates)
    assert len(robot.requests) == 2


@pytest.mark.usefixtures("week_before")
def test_moving_the_meeting_sends_the_update_with_the_same_uid_and_the_next_sequence(
    planned: Collaboration, smtp: SmtpServer
) -> None:
    kickoff = kickoff_of(planned)
    people = with_mailboxes(kickoff)
    client = owner(planned)
    client.post(post_url(planned, kickoff, "agenda/send/"))
    deliver()
    first = {event_of(invitation(m)[1])["uid"] for m in smtp.mails}
    moved = {"scheduled_at": "2024-07-09T14:00", "duration_minutes": "90", "location": "总部 5 楼"}
    assert client.post(post_url(planned, kickoff, "details/"), moved).status_code == 302
    deliver()
    updates = smtp.mails[len(people) :]
    assert len(updates) == len(people)
    events = [event_of(invitation(m)[1]) for m in updates]
    assert {e["uid"] for e in events} == first
    assert {e["sequence"] for e in events} == {1}
    assert {e["method"] for e in events} == {"REQUEST"}
    assert {e["start"] for e in events} == {at(2024, 7, 9, 14, 0)}
    # What the invitees have is current: nothing more to send.
    assert "再次发送议程" not in client.get(page_url(planned)).content.decode()


@pytest.mark.usefixtures("week_before")
def test_sending_to_nobody_is_refused(planned: Collaboration, smtp: SmtpServer) -> None:
    kickoff = kickoff_of(planned)
    kickoff.attendees.clear()
    client = owner(planned)
    page = client.get(page_url(planned)).content.decode()
    assert "尚未邀请参会人:请先在“调整参会人”中选择参会人,再发送议程。" in page
    refused = client.post(post_url(planned, kickoff, "agenda/send/"), headers=HTMX)
    assert "尚未邀请参会人" in refused.content.decode()
    api = as_person(planned.owner)  # type: ignore[arg-type]
    answer = api.post(f"/api/collaborations/planned/meetings/{kickoff.pk}/send-agenda", {})
    assert answer.status_code == 409 and "尚未邀请参会人" in answer.json()["detail"]
    kickoff.refresh_from_db()
    assert kickoff.agenda_sent_at is None
    assert not Notification.objects.filter(collaboration=planned).exclude(kind=Kind.AGENDA_DUE).exists()
    deliver()
    assert smtp.mails == []


@pytest.mark.usefixtures("week_before")
def test_an_invitee_taken_off_the_list_gets_a_cancellation(planned: Collaboration, smtp: SmtpServer) -> None:
    kickoff = kickoff_of(planned)
    people = with_mailboxes(kickoff)
    client = owner(planned)
    client.post(post_url(planned, kickoff, "agenda/send/"))
    gone, kept = people[-1], people[:-1]
    client.post(post_url(planned, kickoff, "attendees/"), {"attendees": [p.pk for p in kept]})
    client.post(post_url(planned, kickoff, "agenda/send/"))
    deliver()
    to_gone = [m for m in smtp.mails if m.recipients == [gone.email]]
    assert len(to_gone) == 2
    method, calendar = invitation(to_gone[-1])
    event = event_of(calendar)
    assert (method, event["method"], event["sequence"]) == ("CANCEL", "CANCEL", 1)
    assert event["attendees"] == {gone.email}
    assert "会议取消" in to_gone[-1].subject
    updates = [m for m in smtp.mails if m.recipients != [gone.email]][len(kept) :]
    assert sorted(m.recipients[0] for m in updates) == sorted(p.email for p in kept)
    assert all(gone.email not in event_of(invitation(m)[1])["attendees"] for m in updates)


def regular_and_risk_meetings(demo: Collaboration) -> tuple[Meeting, Meeting]:
    """The demo's next weekly meeting after 2024-08-20 09:00 opened, and a watched risk triggered
    (an ad-hoc meeting); call at that time."""
    rule = next(r for r in CommunicationRule.objects.filter(collaboration=demo) if is_series(r))
    upcoming = next(
        o.at
        for o in series_occurrences(rule, series_window(demo))
        if o.at is not None and o.at > at(2024, 8, 20, 9, 0)
    )
    occurrence = do_open_occurrence(rule, upcoming, actor=demo.owner)
    risk = Risk.objects.filter(collaboration=demo, status="watching").first()
    assert risk is not None
    return occurrence, do_trigger_risk(risk, at(2024, 8, 20, 9, 0), actor=demo.owner)


def test_the_api_sends_a_regular_meetings_and_a_risk_meetings_agenda(
    demo: Collaboration, smtp: SmtpServer
) -> None:
    with time_machine.travel(at(2024, 8, 20, 9, 0), tick=False):
        occurrence, adhoc = regular_and_risk_meetings(demo)
        api = as_person(demo.owner)  # type: ignore[arg-type]
        for meeting in (occurrence, adhoc):
            people = [p for p in meeting.attendees.all() if p.email]
            assert people
            before = len(smtp.mails)
            sent = api.post(f"/api/collaborations/{demo.slug}/meetings/{meeting.pk}/send-agenda", {})
            assert sent.status_code == 200, sent.content
            deliver()
            mails = smtp.mails[before:]
            assert sorted(m.recipients[0] for m in mails) == sorted(p.email for p in people)
            for mail in mails:
                method, calendar = invitation(mail)
                event = event_of(calendar)
                assert method == "REQUEST" and mail.recipients[0] in event["attendees"]
                assert event["uid"] == f"meeting-{meeting.pk}@127.0.0.1"


def test_issued_minutes_reach_every_participating_head_with_the_confirm_link(
    demo: Collaboration, smtp: SmtpServer
) -> None:
    """The sweep tells each head of a participating department, by mail and in the inbox."""
    with time_machine.travel(at(2024, 8, 20, 9, 0), tick=False):
        rule = next(r for r in CommunicationRule.objects.filter(collaboration=demo) if is_series(r))
        held = next(
            o.at
            for o in series_occurrences(rule, series_window(demo))
            if o.at is not None and at(2024, 8, 13) < o.at < at(2024, 8, 20, 9, 0)
        )
        meeting = do_open_occurrence(rule, held, actor=demo.owner)
        do_issue_minutes(meeting, at(2024, 8, 20, 8, 0), actor=demo.owner)
        sweep()
        deliver()
    heads = {
        p.department.head
        for p in Participant.objects.filter(collaboration=demo).select_related("department__head")
        if p.department.head is not None
    }
    link = f"http://127.0.0.1:8000/c/{demo.slug}/meetings/{meeting.pk}/"
    confirming = [m for m in smtp.mails if "请确认会议纪要" in m.subject and link in text_of(m)]
    assert sorted(m.recipients[0] for m in confirming) == sorted(h.email for h in heads if h.email)
    for head in heads:
        notices = Notification.objects.filter(
            recipient=head, kind=Kind.CONFIRMATION_PENDING, key__startswith=f"confirm:m{meeting.pk}:"
        )
        assert notices.count() == 1 and notices[0].link == f"/c/{demo.slug}/meetings/{meeting.pk}/"


# --- end to end: `xietong run`, the API, a real SMTP server


@sqlite_pass_only
def test_run_sends_the_kickoff_invitation_through_the_api(tmp_path: Path) -> None:
    """A collaboration created, its kickoff scheduled and its agenda sent through the API of a running
    `xietong run`: each invitee receives exactly one mail with a METHOD:REQUEST calendar part naming them."""
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with xietong_run(tmp_path, XIETONG_EMAIL_HOST="127.0.0.1", XIETONG_EMAIL_PORT=str(smtp.port)) as run:
            run.wait_until(lambda: answers(f"{run.base}/accounts/login/"), 120)
            token = subprocess.run(
                [sys.executable, "-m", "xietong.cli", "api_token", "admin"],
                cwd=ROOT,
                env=run.env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()

            def call(path: str, body: dict[str, Any]) -> dict[str, Any]:
                request = urllib.request.Request(
                    run.base + urllib.parse.quote(path),
                    data=json.dumps(body).encode(),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                    method="POST",
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        answer: dict[str, Any] = json.loads(response.read())
                        return answer
                except urllib.error.HTTPError as error:
                    raise AssertionError(f"{path}: {error.code} {error.read().decode()}") from None

            # The demo's departments (their heads have mailboxes); nobody else named, so nobody is
            # waiting to accept a nomination.
            charter = {
                "title": "新品上市协同",
                "type": "problem_solving",
                "initiator": {"department": "售后部"},
                "goal": {"statement": "2030年Q1末,新品上市周期缩短至45天", "deadline": "2030-03-31"},
                "departments": [
                    {"name": "售后部", "duties": "收集上市反馈", "role": "lead"},
                    {"name": "产品部", "duties": "确定上市方案", "role": "support"},
                    {"name": "技术部", "duties": "系统支持", "role": "support"},
                ],
            }
            slug = call("/api/collaborations", charter)["slug"]
            start = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
            kickoff = call(f"/api/collaborations/{slug}/kickoff", {"scheduled_at": start.isoformat()})
            sent = call(f"/api/collaborations/{slug}/meetings/{kickoff['id']}/send-agenda", {})
            invitees = set(sent["agenda_sent_to"])
            assert len(invitees) == 3  # the three departments' heads (售后部's heads the initiating one)

            def invitations() -> list[tuple[list[str], Message]]:
                return [
                    (to, mail)
                    for to, mail in inbox.mails
                    if any(part.get_content_type() == "text/calendar" for part in mail.walk())
                ]

            run.wait_until(lambda: len(invitations()) >= len(invitees), 60)
            time.sleep(3)  # a few more sweeps: nothing is sent twice
            received = invitations()
            assert len(received) == len(invitees), run.log()
            recipients = [address for to, _mail in received for address in to]
            assert len(recipients) == len(set(recipients)) == len(invitees)
            for to, mail in received:
                part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
                assert part.get_param("method") == "REQUEST"
                event = event_of(Calendar.from_ical(part.get_payload(decode=True)))
                assert event["method"] == "REQUEST" and event["sequence"] == 0
                assert to[0] in event["attendees"]
                assert event["uid"] == f"meeting-{kickoff['id']}@127.0.0.1"
    finally:
        smtp.stop()
