"""Step 3 page: the kickoff meeting's page, judged by K01-K04 at pinned times."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.helpers import add_charter_people, at, head_of, liaison_of, owner, signed_in
from tests.test_meeting_page import department, kickoff_of, post_url
from tests.test_views import charter_with_tasks
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration
from xietong.meetings.actions.kickoff import do_schedule_kickoff
from xietong.meetings.models import AgendaItem, Meeting
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
FIVE_ITEMS = [
    "协作背景与目标宣讲",
    "部门职责初步讨论",
    "时间节点与资源需求确认",
    "沟通机制约定",
    "形成会议纪要并邮件同步",
]
DEPARTMENTS = ("售后部", "产品部", "技术部", "法务部")


def url(collab: Collaboration) -> str:
    return f"/c/{collab.slug}/kickoff/"


@pytest.fixture
def no_kickoff(db: None) -> Collaboration:
    """The guide's example before anyone has planned the kickoff."""
    data = charter_with_tasks(8)
    del data["kickoff"]
    return do_import_charter(
        parse_charter(add_charter_people(data)), slug="fresh", org_authority=True
    )  # with its heads


@pytest.fixture
def before_kickoff() -> Iterator[None]:
    with time_machine.travel(at(2024, 7, 1, 9, 0), tick=False):
        yield


def rules_on(client: Client, collab: Collaboration) -> set[str]:
    """The K rules the step's page reports."""
    page = client.get(url(collab)).content.decode()
    return {rule for rule in ("K01", "K02", "K03", "K04") if f"<code>{rule}</code>" in page}


def test_it_shows_the_meeting_its_timings_and_confirmations(demo: Collaboration) -> None:
    response = owner(demo).get(url(demo))
    assert response.status_code == 200
    page = response.content.decode()
    assert "召开跨部门启动会" in page
    assert "2024-07-08 10:00" in page  # the meeting
    assert "2024-07-04 17:00" in page and "会前 89 小时" in page  # the agenda, in time
    assert "2024-07-08 16:30" in page and "会后 6 小时" in page  # the minutes
    for name, head in zip(DEPARTMENTS, ("王经理", "孙总监", "赵总监", "周总监"), strict=True):
        assert name in page and head in page
    assert "启动会的安排符合指南" in page
    agenda = page[page.index('id="meeting-agenda"') :]
    positions = [agenda.index(title) for title in FIVE_ITEMS]
    assert positions == sorted(positions)
    assert 'href="/c/demo/meetings/"' in page


def test_it_shows_who_has_not_confirmed_yet(demo: Collaboration) -> None:
    kickoff_of(demo).confirmations.filter(department__name="法务部").delete()
    page = owner(demo).get(url(demo)).content.decode()
    assert "<code>K04</code>" in page and "法务部" in page
    assert "尚未确认" in page


def test_it_shows_a_liaison_the_meeting_but_forbids_changes(demo: Collaboration) -> None:
    client = signed_in(liaison_of(demo, "技术部"))
    page = client.get(url(demo)).content.decode()
    assert "2024-07-08 10:00" in page and 'name="scheduled_at"' not in page
    response = client.post(url(demo), {"scheduled_at": "2024-07-09T10:00", "duration_minutes": "60"})
    assert response.status_code == 403
    assert kickoff_of(demo).scheduled_at == at(2024, 7, 8, 10, 0)


@pytest.mark.usefixtures("before_kickoff")
def test_it_creates_the_kickoff_with_the_guides_five_items(no_kickoff: Collaboration) -> None:
    client = owner(no_kickoff)
    page = client.get(url(no_kickoff)).content.decode()
    assert "<code>K01</code>" in page and 'name="scheduled_at"' in page
    assert not Meeting.objects.filter(collaboration=no_kickoff).exists()  # a GET creates nothing
    data = {"scheduled_at": "2024-07-08T10:00", "duration_minutes": "120", "location": "第一会议室"}
    response = client.post(url(no_kickoff), data)
    assert response.status_code == 302 and response["Location"] == url(no_kickoff)
    meeting = kickoff_of(no_kickoff)
    assert (meeting.scheduled_at, meeting.duration_minutes, meeting.location) == (
        at(2024, 7, 8, 10, 0),
        120,
        "第一会议室",
    )
    assert meeting.chair == no_kickoff.owner
    assert list(meeting.agenda.values_list("title", flat=True)) == FIVE_ITEMS
    assert rules_on(client, no_kickoff) == set()  # more than 72 h remain to send the agenda


@pytest.mark.usefixtures("before_kickoff")
def test_it_moves_the_meeting_without_doubling_the_agenda(demo: Collaboration) -> None:
    client = owner(demo)
    for day in (10, 11):
        data = {"scheduled_at": f"2024-07-{day}T14:30", "duration_minutes": "60"}
        assert client.post(url(demo), data).status_code == 302
    meeting = kickoff_of(demo)
    assert meeting.scheduled_at == at(2024, 7, 11, 14, 30)
    assert list(meeting.agenda.values_list("title", flat=True)) == FIVE_ITEMS
    assert Meeting.objects.filter(collaboration=demo, kind="kickoff").count() == 1


@pytest.mark.usefixtures("before_kickoff")
def test_it_refuses_a_missing_or_unreadable_time(no_kickoff: Collaboration) -> None:
    client = owner(no_kickoff)
    response = client.post(url(no_kickoff), {"scheduled_at": "next monday", "duration_minutes": "60"})
    assert response.status_code == 200
    assert "会议时间</a>:" in response.content.decode()
    response = client.post(url(no_kickoff), {"scheduled_at": "", "duration_minutes": "60"})
    assert "请填写会议时间" in response.content.decode()
    assert not Meeting.objects.filter(collaboration=no_kickoff).exists()


@pytest.mark.usefixtures("before_kickoff")
def test_it_answers_htmx_with_the_section_and_plain_posts_with_redirects(no_kickoff: Collaboration) -> None:
    client = owner(no_kickoff)
    data = {"scheduled_at": "2024-07-08T10:00", "duration_minutes": "60"}
    response = client.post(url(no_kickoff), data, headers=HTMX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#meeting-section"
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="meeting-section"') and "<html" not in body
    assert "2024-07-08 10:00" in body and "已保存启动会时间" in body
    assert 'id="ws-head" hx-swap-oob="true"' in body  # the step bar and score come along
    invalid = client.post(url(no_kickoff), {"scheduled_at": ""}, headers=HTMX)
    assert invalid.status_code == 200 and "请填写会议时间" in invalid.content.decode()


# --- K01-K04 as the meeting is prepared, held, minuted and confirmed


def test_k02_follows_the_sending_of_the_agenda(no_kickoff: Collaboration) -> None:
    client = owner(no_kickoff)
    with time_machine.travel(at(2024, 7, 1, 9, 0), tick=False):
        do_schedule_kickoff(no_kickoff, at(2024, 7, 8, 10, 0))
        assert rules_on(client, no_kickoff) == set()
    with time_machine.travel(at(2024, 7, 5, 11, 0), tick=False):  # 71 h before: too late now
        assert rules_on(client, no_kickoff) == {"K02"}
        meeting = kickoff_of(no_kickoff)
        client.post(post_url(no_kickoff, meeting, "agenda/send/"), {"confirm": "1"})
        assert rules_on(client, no_kickoff) == {"K02"}  # sent, but late: it stays


def test_k03_and_k04_appear_and_disappear_as_minutes_are_issued_and_confirmed(
    no_kickoff: Collaboration,
) -> None:
    client = owner(no_kickoff)
    with time_machine.travel(at(2024, 7, 1, 9, 0), tick=False):
        do_schedule_kickoff(no_kickoff, at(2024, 7, 8, 10, 0))
        meeting = kickoff_of(no_kickoff)
        client.post(post_url(no_kickoff, meeting, "agenda/send/"))
    with time_machine.travel(at(2024, 7, 8, 12, 0), tick=False):  # held, minutes not due yet
        assert rules_on(client, no_kickoff) == set()
    with time_machine.travel(at(2024, 7, 9, 11, 0), tick=False):  # 25 h after: K03
        assert rules_on(client, no_kickoff) == {"K03"}
        page = client.get(url(no_kickoff)).content.decode()
        assert "已超过会后 24 小时" in page and "现在是会后 25 小时" in page
        assert (
            client.post(post_url(no_kickoff, meeting, "minutes/issue/"), {"confirm": "1"}).status_code == 302
        )
        # issued late: K03 stays and says when; every head must now confirm: K04
        assert rules_on(client, no_kickoff) == {"K03", "K04"}
        assert "会后 25 小时" in client.get(url(no_kickoff)).content.decode()
    for i, name in enumerate(DEPARTMENTS):
        with time_machine.travel(at(2024, 7, 9, 14, i), tick=False):
            head = signed_in(head_of(name))
            data = {"department": department(name).pk}
            assert head.post(post_url(no_kickoff, meeting, "minutes/confirm/"), data).status_code == 302
            expected = {"K03"} if i == len(DEPARTMENTS) - 1 else {"K03", "K04"}
            assert rules_on(client, no_kickoff) == expected, name
    meeting.refresh_from_db()
    assert meeting.minutes_locked_at == at(2024, 7, 9, 14, 3)


def test_minutes_issued_within_24_hours_raise_no_k03(no_kickoff: Collaboration) -> None:
    client = owner(no_kickoff)
    with time_machine.travel(at(2024, 7, 1, 9, 0), tick=False):
        do_schedule_kickoff(no_kickoff, at(2024, 7, 8, 10, 0))
        meeting = kickoff_of(no_kickoff)
        client.post(post_url(no_kickoff, meeting, "agenda/send/"))
        # before the meeting the minutes cannot be issued
        early = client.post(post_url(no_kickoff, meeting, "minutes/issue/"), {"confirm": "1"})
        assert early.status_code == 200 and "会议开始后才能发出会议纪要" in early.content.decode()
        assert kickoff_of(no_kickoff).minutes_revision == 0
    with time_machine.travel(at(2024, 7, 8, 15, 0), tick=False):
        assert (
            client.post(post_url(no_kickoff, meeting, "minutes/issue/"), {"confirm": "1"}).status_code == 302
        )
        page = client.get(url(no_kickoff)).content.decode()
        assert "会后 5 小时" in page
    with time_machine.travel(at(2024, 7, 10, 9, 0), tick=False):
        assert rules_on(client, no_kickoff) == {"K04"}


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


def test_it_costs_the_same_queries_without_a_kickoff(admin_user: Person) -> None:
    counts = []
    for n in (10, 1000):
        data = charter_with_tasks(n)
        del data["kickoff"]
        collab = do_import_charter(parse_charter(data), slug=f"none-{n}")
        counts.append(_queries(signed_in(admin_user), url(collab)))
    assert counts[0] == counts[1]
