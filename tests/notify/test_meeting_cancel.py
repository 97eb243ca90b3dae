"""取消会议: everyone the agenda reached gets one METHOD:CANCEL, and the meeting gets no more reminders.

Real receivers: mail through Django's SMTP backend to aiosmtpd, the robot
message through the product's HTTP client to a server on 127.0.0.1.
"""

from __future__ import annotations

import pytest
import time_machine
from icalendar import Calendar

from tests.api.conftest import as_person
from tests.helpers import at, owner
from tests.notify.conftest import make_robot
from tests.notify.servers import RobotServer, SmtpServer
from tests.notify.test_agenda_sending import (
    deliver,
    event_of,
    invitation,
    regular_and_risk_meetings,
    text_of,
    with_mailboxes,
)
from tests.test_meeting_page import kickoff_of, page_url, plan_kickoff, post_url
from xietong.collabs.models import Collaboration
from xietong.meetings.models import Meeting
from xietong.notify.models import Invitation, Kind, Notification, Transport
from xietong.notify.outbox import sweep
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db

# The kickoff of `plan_kickoff` is on 2024-07-08 10:00; its agenda goes out a week before.
SENT, CANCELLED = at(2024, 7, 1, 9, 0), at(2024, 7, 2, 9, 0)


@pytest.fixture
def planned(db: None) -> Collaboration:
    return plan_kickoff()


@pytest.fixture
def robot(planned: Collaboration, robot_server: RobotServer, local_robots: None) -> RobotServer:
    make_robot(planned, Transport.WECOM, robot_server.url())
    return robot_server


def cancel_url(collab: Collaboration, meeting: Meeting) -> str:
    return post_url(collab, meeting, "cancel/")


def assert_one_cancel_each(mails: list, people: list[Person], meeting: Meeting, sequence: int) -> None:
    """Each invitee got exactly one cancellation, naming them, of the meeting's one calendar event."""
    assert sorted(m.recipients[0] for m in mails) == sorted(p.email for p in people)
    for mail in mails:
        method, calendar = invitation(mail)
        event = event_of(calendar)
        assert method == "CANCEL" and event["method"] == "CANCEL"
        assert event["attendees"] == {mail.recipients[0]}
        assert event["uid"] == f"meeting-{meeting.pk}@127.0.0.1" and event["sequence"] == sequence
        assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
        assert "会议取消" in mail.subject


def test_cancelling_on_the_page_asks_first_then_tells_each_invitee_once(
    planned: Collaboration, smtp: SmtpServer, robot: RobotServer
) -> None:
    kickoff = kickoff_of(planned)
    people = with_mailboxes(kickoff)
    client = owner(planned)
    with time_machine.travel(SENT, tick=False):
        client.post(post_url(planned, kickoff, "agenda/send/"))
        deliver()
    sent = len(smtp.mails)
    assert sent == len(people) and len(robot.requests) == 1

    with time_machine.travel(CANCELLED, tick=False):
        page = client.get(page_url(planned)).content.decode()
        assert "取消会议" in page and cancel_url(planned, kickoff) in page
        confirm = client.get(cancel_url(planned, kickoff)).content.decode()
        assert "确认取消会议" in confirm and 'name="reason"' in confirm
        # Without the confirmation (or the reason): nothing happens.
        assert client.post(cancel_url(planned, kickoff), {"reason": "领导出差"}).status_code == 200
        missing = client.post(cancel_url(planned, kickoff), {"confirm": "1", "reason": ""})
        assert "取消会议须写明原因" in missing.content.decode()
        kickoff.refresh_from_db()
        assert kickoff.cancelled_at is None
        deliver()
        assert len(smtp.mails) == sent

        done = client.post(cancel_url(planned, kickoff), {"confirm": "1", "reason": "领导出差"})
        assert done.status_code == 302
        deliver()
        assert_one_cancel_each(smtp.mails[sent:], people, kickoff, sequence=1)
        assert all("领导出差" in text_of(m) for m in smtp.mails[sent:])
        for person in people:
            assert Notification.objects.filter(recipient=person, kind=Kind.MEETING_CANCELLED).count() == 1
        assert len(robot.requests) == 2 and "领导出差" in robot.requests[1].json()["markdown"]["content"]
        kickoff.refresh_from_db()
        assert kickoff.cancelled_at == CANCELLED and kickoff.cancel_reason == "领导出差"

        shown = client.get(page_url(planned)).content.decode()
        assert "已取消" in shown and "领导出差" in shown and "发送议程" not in shown.split("meeting-send")[1]
        # A repeat, on the page or through the API, and a send are refused; nobody gets a second mail.
        again = client.post(cancel_url(planned, kickoff), {"confirm": "1", "reason": "再取消"})
        assert again.status_code == 403 and "会议已取消" in again.content.decode()
        refused = client.post(post_url(planned, kickoff, "agenda/send/"))
        assert refused.status_code == 403 and "会议已取消" in refused.content.decode()
        summary = client.post(post_url(planned, kickoff, "minutes/summary/"), {"summary": "纪要"})
        assert summary.status_code == 403 and "会议已取消" in summary.content.decode()
        api = as_person(planned.owner)  # type: ignore[arg-type]
        twice = api.post(f"/api/collaborations/planned/meetings/{kickoff.pk}/cancel", {"reason": "x"})
        assert twice.status_code == 409
        deliver()
    assert len(smtp.mails) == sent + len(people) and len(robot.requests) == 2
    assert Invitation.objects.filter(meeting=kickoff).count() == 2

    # No reminders afterwards: no "agenda due", no "minutes due" once the time has passed.
    with time_machine.travel(at(2024, 7, 9, 12, 0), tick=False):
        sweep()
        deliver()
    assert not Notification.objects.filter(
        collaboration=planned, kind__in=[Kind.AGENDA_DUE, Kind.MINUTES_DUE, Kind.MINUTES_OVERDUE]
    ).exists()
    assert len(smtp.mails) == sent + len(people)

    # The .ics download says it is called off; the K rules ask for a new kickoff.
    ics = client.get(f"/c/planned/meetings/{kickoff.pk}.ics")
    assert str(Calendar.from_ical(ics.content).walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def test_cancelling_a_meeting_whose_agenda_was_not_sent_tells_nobody(
    planned: Collaboration, smtp: SmtpServer
) -> None:
    kickoff = kickoff_of(planned)
    with_mailboxes(kickoff)
    api = as_person(planned.owner)  # type: ignore[arg-type]
    with time_machine.travel(CANCELLED, tick=False):
        answer = api.post(f"/api/collaborations/planned/meetings/{kickoff.pk}/cancel", {"reason": "改期"})
        assert answer.status_code == 200, answer.content
        assert answer.json()["cancel_reason"] == "改期" and answer.json()["cancelled_at"]
        deliver()
    assert smtp.mails == []
    # The kickoff must be scheduled again: K01 says it has none; rescheduling brings it back.
    rescheduled = api.post(
        "/api/collaborations/planned/kickoff", {"scheduled_at": "2024-07-15T10:00:00+08:00"}
    )
    assert rescheduled.status_code == 200 and rescheduled.json()["cancelled_at"] is None


def test_only_editors_cancel_and_minutes_issued_are_not_cancelled(planned: Collaboration) -> None:
    kickoff = kickoff_of(planned)
    outsider = next(p for p in kickoff.attendees.all() if p.pk != planned.owner_id)
    api = as_person(outsider)
    answer = api.post(f"/api/collaborations/planned/meetings/{kickoff.pk}/cancel", {"reason": "x"})
    assert answer.status_code == 403
    Meeting.objects.filter(pk=kickoff.pk).update(minutes_issued_at=at(2024, 7, 8, 12, 0))
    owner_api = as_person(planned.owner)  # type: ignore[arg-type]
    refused = owner_api.post(f"/api/collaborations/planned/meetings/{kickoff.pk}/cancel", {"reason": "x"})
    assert refused.status_code == 409 and "纪要已发出" in refused.json()["detail"]
    kickoff.refresh_from_db()
    assert kickoff.cancelled_at is None


def test_the_api_cancels_a_regular_meeting_and_a_risk_meeting_once(
    demo: Collaboration, smtp: SmtpServer
) -> None:
    with time_machine.travel(at(2024, 8, 20, 9, 0), tick=False):
        occurrence, adhoc = regular_and_risk_meetings(demo)
        api = as_person(demo.owner)  # type: ignore[arg-type]
        for meeting in (occurrence, adhoc):
            people = [p for p in meeting.attendees.filter(is_active=True) if p.email]
            url = f"/api/collaborations/{demo.slug}/meetings/{meeting.pk}"
            assert api.post(f"{url}/send-agenda", {}).status_code == 200
            deliver()
            before = len(smtp.mails)
            answer = api.post(f"{url}/cancel", {"reason": "风险已解除"})
            assert answer.status_code == 200, answer.content
            again = api.post(f"{url}/cancel", {"reason": "风险已解除"})
            assert again.status_code == 409 and "已于此前取消" in again.json()["detail"]
            send = api.post(f"{url}/send-agenda", {})
            assert send.status_code == 409 and "会议已取消" in send.json()["detail"]
            minutes = api.put(f"{url}/minutes/summary", {"summary": "会议纪要"})
            assert minutes.status_code == 409 and "会议已取消" in minutes.json()["detail"]
            deliver()
            assert_one_cancel_each(smtp.mails[before:], people, meeting, sequence=1)
