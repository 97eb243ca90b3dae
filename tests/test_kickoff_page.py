"""Step 3 page: the kickoff meeting's time, agenda, timings and confirmations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.test_views import charter_with_tasks, signed_in
from xietong.collabs.actions import do_import_charter
from xietong.collabs.charter import parse_charter
from xietong.collabs.models import Collaboration, Participant
from xietong.meetings.models import AgendaItem, Meeting
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIVE_ITEMS = [
    "协作背景与目标宣讲",
    "部门职责初步讨论",
    "时间节点与资源需求确认",
    "沟通机制约定",
    "形成会议纪要并邮件同步",
]


def url(collab: Collaboration) -> str:
    return f"/c/{collab.slug}/kickoff/"


def owner(collab: Collaboration) -> Client:
    assert collab.owner is not None
    return signed_in(collab.owner)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[arg-type,misc]


@pytest.fixture
def no_kickoff(db: None) -> Collaboration:
    """The guide's example before anyone has planned the kickoff."""
    data = charter_with_tasks(8)
    del data["kickoff"]
    return do_import_charter(parse_charter(data), slug="fresh")


@pytest.fixture
def before_kickoff() -> Iterator[None]:
    with time_machine.travel(at(2024, 7, 1, 9, 0), tick=False):
        yield


def kickoff_of(collab: Collaboration) -> Meeting:
    return Meeting.objects.get(collaboration=collab, kind="kickoff")


def test_it_shows_the_meeting_its_timings_and_confirmations(demo: Collaboration) -> None:
    response = owner(demo).get(url(demo))
    assert response.status_code == 200
    page = response.content.decode()
    assert "召开跨部门启动会" in page
    assert "2024-07-08 10:00" in page  # the meeting
    assert "2024-07-04 17:00" in page and "会前 89 小时" in page  # the agenda, in time
    assert "2024-07-08 16:30" in page and "会后 6 小时" in page  # the minutes
    for department, head in (
        ("售后部", "王经理"),
        ("产品部", "孙总监"),
        ("技术部", "赵总监"),
        ("法务部", "周总监"),
    ):
        assert department in page and head in page
    assert "后续版本" in page  # the one line on what comes later
    assert "启动会的安排符合指南" in page


def test_it_lists_the_stored_agenda(demo: Collaboration) -> None:
    meeting = kickoff_of(demo)
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, position=i, title=t) for i, t in enumerate(FIVE_ITEMS)
    )
    page = owner(demo).get(url(demo)).content.decode()
    agenda = page[page.index('<ol class="agenda"') :]
    positions = [agenda.index(title) for title in FIVE_ITEMS]
    assert positions == sorted(positions)


def test_it_shows_who_has_not_confirmed_yet(demo: Collaboration) -> None:
    kickoff_of(demo).confirmations.filter(department__name="法务部").delete()
    page = owner(demo).get(url(demo)).content.decode()
    assert "K04" in page
    assert "待确认:法务部" in page
    assert "尚未确认" in page


def test_it_is_404_for_an_outsider(demo: Collaboration, outsider: Person) -> None:
    client = signed_in(outsider)
    assert client.get(url(demo)).status_code == 404
    assert client.post(url(demo), {"do": "schedule", "scheduled_at": "2024-07-09T10:00"}).status_code == 404


def test_it_shows_a_liaison_the_meeting_but_forbids_changes(demo: Collaboration) -> None:
    participant = Participant.objects.get(collaboration=demo, department__name="技术部")
    assert participant.liaison is not None
    client = signed_in(participant.liaison)
    page = client.get(url(demo)).content.decode()
    assert "2024-07-08 10:00" in page and 'name="do"' not in page
    assert client.post(url(demo), {"do": "schedule", "scheduled_at": "2024-07-09T10:00"}).status_code == 403
    assert kickoff_of(demo).scheduled_at == at(2024, 7, 8, 10, 0)


@pytest.mark.usefixtures("before_kickoff")
def test_it_creates_the_kickoff_with_the_guides_five_items(no_kickoff: Collaboration) -> None:
    client = owner(no_kickoff)
    page = client.get(url(no_kickoff)).content.decode()
    assert "K01" in page and "尚未安排" in page
    response = client.post(url(no_kickoff), {"do": "schedule", "scheduled_at": "2024-07-08T10:00"})
    assert response.status_code == 302
    meeting = kickoff_of(no_kickoff)
    assert meeting.scheduled_at == at(2024, 7, 8, 10, 0)
    assert list(meeting.agenda.values_list("title", flat=True)) == FIVE_ITEMS
    page = client.get(url(no_kickoff)).content.decode()
    assert "K01" not in page and "K02" not in page  # more than 72 h remain to send the agenda


@pytest.mark.usefixtures("before_kickoff")
def test_it_moves_the_meeting_without_doubling_the_agenda(demo: Collaboration) -> None:
    client = owner(demo)
    assert client.post(url(demo), {"do": "schedule", "scheduled_at": "2024-07-10T14:30"}).status_code == 302
    assert client.post(url(demo), {"do": "schedule", "scheduled_at": "2024-07-11T14:30"}).status_code == 302
    meeting = kickoff_of(demo)
    assert meeting.scheduled_at == at(2024, 7, 11, 14, 30)
    # an imported kickoff without agenda gets the five items once
    assert list(meeting.agenda.values_list("title", flat=True)) == FIVE_ITEMS
    assert Meeting.objects.filter(collaboration=demo, kind="kickoff").count() == 1


@pytest.mark.usefixtures("before_kickoff")
def test_it_records_the_agenda_and_then_the_minutes(no_kickoff: Collaboration) -> None:
    client = owner(no_kickoff)
    client.post(url(no_kickoff), {"do": "schedule", "scheduled_at": "2024-07-08T10:00"})
    assert client.post(url(no_kickoff), {"do": "agenda_sent"}).status_code == 302
    assert kickoff_of(no_kickoff).agenda_sent_at == at(2024, 7, 1, 9, 0)
    page = client.get(url(no_kickoff)).content.decode()
    assert "会前 169 小时" in page
    assert 'value="agenda_sent"' not in page  # recorded once
    # minutes cannot go out before the meeting
    response = client.post(url(no_kickoff), {"do": "minutes_issued"})
    assert response.status_code == 200
    assert "启动会尚未召开" in response.content.decode()
    assert kickoff_of(no_kickoff).minutes_issued_at is None
    with time_machine.travel(at(2024, 7, 8, 15, 0), tick=False):
        assert 'value="minutes_issued"' in client.get(url(no_kickoff)).content.decode()
        assert client.post(url(no_kickoff), {"do": "minutes_issued"}).status_code == 302
        assert kickoff_of(no_kickoff).minutes_issued_at == at(2024, 7, 8, 15, 0)
        page = client.get(url(no_kickoff)).content.decode()
        assert "会后 5 小时" in page
        assert "K03" not in page
        assert "K04" in page  # now the heads must confirm


@pytest.mark.usefixtures("before_kickoff")
def test_it_refuses_what_makes_no_sense_yet(no_kickoff: Collaboration) -> None:
    client = owner(no_kickoff)
    response = client.post(url(no_kickoff), {"do": "agenda_sent"})
    assert response.status_code == 200
    assert "请先设定会议时间" in response.content.decode()
    response = client.post(url(no_kickoff), {"do": "schedule", "scheduled_at": "next monday"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "会议时间</a>:" in page
    response = client.post(url(no_kickoff), {"do": "schedule", "scheduled_at": ""})
    assert "请填写会议时间" in response.content.decode()
    assert not Meeting.objects.filter(collaboration=no_kickoff).exists()


@pytest.mark.usefixtures("before_kickoff")
def test_it_answers_htmx_with_the_section_and_plain_posts_with_redirects(no_kickoff: Collaboration) -> None:
    client = owner(no_kickoff)
    response = client.post(
        url(no_kickoff), {"do": "schedule", "scheduled_at": "2024-07-08T10:00"}, headers=HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="kickoff-section"') and "<html" not in body
    assert "2024-07-08 10:00" in body and "已保存启动会时间" in body
    invalid = client.post(url(no_kickoff), {"do": "minutes_issued"}, headers=HTMX)
    assert invalid.status_code == 200 and "启动会尚未召开" in invalid.content.decode()
    plain = client.post(url(no_kickoff), {"do": "agenda_sent"})
    assert plain.status_code == 302 and plain["Location"] == url(no_kickoff)


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_it_costs_the_same_queries_for_10_or_1000_tasks(admin_user: Person) -> None:
    small = do_import_charter(parse_charter(charter_with_tasks(10)), slug="small")
    large = do_import_charter(parse_charter(charter_with_tasks(1000)), slug="large")
    for collab in (small, large):  # with the agenda stored, as a planned kickoff has it
        AgendaItem.objects.bulk_create(
            AgendaItem(meeting=kickoff_of(collab), position=i, title=t) for i, t in enumerate(FIVE_ITEMS)
        )
    client = signed_in(admin_user)
    assert _queries(client, url(small)) == _queries(client, url(large))
