"""Being named in someone else's collaboration: asked once, no reminders until answered, no links.

An ordinary user imports a charter (over the API) naming two colleagues as
owner and liaison. Before nominations, the colleagues at once received the
sweep's reminders, carrying text the importer wrote, links included.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.api.conftest import as_person, person
from tests.helpers import TZ
from tests.notify.conftest import make_robot
from tests.notify.servers import RobotServer, SmtpServer
from xietong.audit.models import AuditEntry
from xietong.collabs.models import Collaboration, Nomination, NominationRole, NominationState, Participant
from xietong.notify.delivery import deliver, due_deliveries
from xietong.notify.messages import defang, markdown_text
from xietong.notify.models import Kind, Notification, Transport
from xietong.notify.outbox import sweep
from xietong.orgs.models import Person

NOW = datetime(2024, 8, 12, 8, 0, tzinfo=TZ)
LINKED_TASK = (
    "核对报价 http://evil.example.com/pay 与 [点我领奖](https://evil.example.com/x) <http://evil.example.com>"
)
BACKGROUND = "请立即登录 http://phish.example.com 重新验证账号"


def charter(owner: str, liaison: str) -> dict[str, Any]:
    return {
        "title": "渠道价格协同",
        "type": "resource_coordination",
        "background": BACKGROUND,
        "expected_outcome": "价格一致",
        "initiator": {"department": "销售部", "owner": owner},
        "departments": [
            {"name": "销售部", "duties": "牵头", "role": "lead"},
            {"name": "市场部", "liaison": liaison, "duties": BACKGROUND, "role": "support"},
        ],
        # Held a week ago without minutes: the chair (the owner) is reminded (a streamed finder).
        "kickoff": {"scheduled_at": "2024-08-05T10:00:00+08:00"},
        # Overdue: the liaison is reminded (the finder the sweep writes in SQL).
        "tasks": [
            {
                "description": LINKED_TASK,
                "department": "市场部",
                "deadline": "2024-08-01",
                "status": "in_progress",
            }
        ],
    }


class People:
    def __init__(self) -> None:
        self.importer = person("李四", email="li@example.com")
        self.owner = person("王芳", email="wang@example.com")
        self.liaison = person("张伟", email="zhang@example.com")


@pytest.fixture
def people(db: None) -> People:
    return People()


def imported(people: People) -> Collaboration:
    answer = as_person(people.importer).post("/api/collaborations", charter("王芳", "张伟"))
    assert answer.status_code == 201, answer.content
    return Collaboration.objects.get(slug=answer.json()["slug"])


def notices(who: Person) -> list[str]:
    return sorted(Notification.objects.filter(recipient=who).values_list("kind", flat=True))


def send_all() -> None:
    sweep(NOW)
    for pk in due_deliveries(NOW):
        deliver(pk, NOW)


def nomination(collab: Collaboration, who: Person) -> Nomination:
    return Nomination.objects.get(collaboration=collab, person=who)


@pytest.mark.django_db
def test_it_asks_the_named_colleagues_once_and_reminds_them_of_nothing_until_they_answer(
    people: People, smtp: SmtpServer
) -> None:
    collab = imported(people)
    assert {(n.person, n.role, n.state) for n in collab.nominations.all()} == {
        (people.owner, NominationRole.OWNER, NominationState.PENDING),
        (people.liaison, NominationRole.LIAISON, NominationState.PENDING),
    }
    send_all()
    send_all()  # a second sweep writes and sends nothing more
    assert notices(people.owner) == notices(people.liaison) == [Kind.NOMINATED]
    mails = {mail.recipients[0]: mail for mail in smtp.mails}
    assert sorted(mails) == ["wang@example.com", "zhang@example.com"]
    mail = mails["zhang@example.com"]
    assert mail.subject.strip() == "【渠道价格协同】李四 将您设为市场部对接负责人"
    link = f"/nominations/{nomination(collab, people.liaison).pk}/"
    for part in (mail.part("text/plain"), mail.part("text/html")):
        assert link in part
        # Nothing the importer wrote but the title and the department's name.
        assert "phish" not in part and "evil" not in part and "价格一致" not in part
    inbox = Client()
    inbox.force_login(people.liaison)
    page = inbox.get("/notifications/").content.decode()
    assert f'<a href="{link}">接受 / 拒绝</a>' in page


@pytest.mark.django_db
def test_it_reminds_them_once_they_accept(people: People, smtp: SmtpServer) -> None:
    collab = imported(people)
    send_all()
    answer = as_person(people.liaison).post(
        f"/api/nominations/{nomination(collab, people.liaison).pk}/accept"
    )
    assert answer.status_code == 200 and answer.json()["state"] == "accepted"
    send_all()
    assert notices(people.liaison) == sorted([Kind.NOMINATED, Kind.TASK_OVERDUE])
    assert notices(people.owner) == [Kind.NOMINATED]  # still unanswered
    again = as_person(people.liaison).post(
        f"/api/nominations/{nomination(collab, people.liaison).pk}/decline"
    )
    assert again.status_code == 409 and again.json()["current"]["state"] == "accepted"


@pytest.mark.django_db
def test_acting_in_the_collaboration_counts_as_accepting(people: People, smtp: SmtpServer) -> None:
    collab = imported(people)
    task = collab.tasks.get()
    liaison = as_person(people.liaison)
    version = liaison.get(f"/api/tasks/{task.pk}").json()["version"]
    answer = liaison.patch(f"/api/tasks/{task.pk}", {"standard": "按渠道逐一核对", "version": version})
    assert answer.status_code == 200, answer.content
    send_all()
    assert Kind.TASK_OVERDUE in notices(people.liaison)


@pytest.mark.django_db
def test_declining_removes_the_liaison_and_tells_the_importer(people: People, smtp: SmtpServer) -> None:
    collab = imported(people)
    pk = nomination(collab, people.liaison).pk
    answer = as_person(people.liaison).post(f"/api/nominations/{pk}/decline")
    assert answer.status_code == 200 and answer.json()["state"] == "declined"
    row = Participant.objects.get(collaboration=collab, department__name="市场部")
    assert row.liaison is None  # P01 now reports the missing liaison
    assert AuditEntry.objects.filter(
        collaboration=collab, actor=people.liaison, object_type="collabs.participant"
    ).exists()
    told = Notification.objects.get(recipient=people.importer, kind=Kind.NOMINATION_DECLINED)
    assert told.params["who"] == "张伟"
    send_all()
    assert notices(people.liaison) == [Kind.NOMINATED]


@pytest.mark.django_db
def test_a_declining_owner_hands_the_collaboration_back_to_the_importer(
    people: People, smtp: SmtpServer
) -> None:
    collab = imported(people)
    page = Client()
    page.force_login(people.owner)
    url = f"/nominations/{nomination(collab, people.owner).pk}/"
    assert "接受" in page.get(url).content.decode()
    stranger = Client()
    stranger.force_login(people.liaison)
    assert stranger.get(url).status_code == 404  # only the person named answers
    assert page.post(url, {"answer": "decline"}).status_code == 302
    collab.refresh_from_db()
    assert collab.owner == people.importer
    assert collab.meetings.get().chair == people.importer
    send_all()
    assert notices(people.owner) == [Kind.NOMINATED]
    assert Kind.MINUTES_OVERDUE in notices(people.importer)


@pytest.mark.django_db
def test_naming_oneself_needs_no_answer(people: People) -> None:
    answer = as_person(people.importer).post("/api/collaborations", charter("李四", "李四"))
    assert answer.status_code == 201
    assert not Nomination.objects.exists()
    send_all()
    assert Kind.NOMINATED not in notices(people.importer)
    assert Kind.MINUTES_OVERDUE in notices(people.importer)


@pytest.mark.django_db
def test_naming_a_liaison_on_the_departments_api_asks_them(people: People) -> None:
    importer = as_person(people.importer)
    slug = importer.post("/api/collaborations", charter("李四", "张伟")).json()["slug"]
    collab = Collaboration.objects.get(slug=slug)
    named = person("赵六", email="zhao@example.com")  # named by the API, never created by it (issue 18)
    answer = importer.post(
        f"/api/collaborations/{slug}/departments", {"department": "财务部", "liaison": "赵六"}
    )
    assert answer.status_code == 201, answer.content
    assert nomination(collab, named).state == NominationState.PENDING
    assert notices(named) == [Kind.NOMINATED]
    mine = as_person(named).get("/api/nominations").json()
    assert [(n["title"], n["role"], n["state"]) for n in mine["items"]] == [
        ("渠道价格协同", "liaison", "pending")
    ]
    assert as_person(people.liaison).get("/api/nominations").json()["count"] == 1


@pytest.mark.django_db
def test_links_in_peoples_text_arrive_defanged_in_mail_and_robot_markdown(
    people: People, smtp: SmtpServer, robot_server: RobotServer, settings: SettingsWrapper
) -> None:
    settings.XIETONG_ROBOT_ALLOWED_HOSTS = ["127.0.0.1"]
    collab = imported(people)
    make_robot(collab, Transport.WECOM, robot_server.url())
    nomination(collab, people.liaison).delete()  # as if they had accepted
    send_all()
    mail = next(m for m in smtp.mails if m.subject.endswith("任务已逾期"))
    text, html = mail.part("text/plain"), mail.part("text/html")
    for part in (text, html):
        assert "http[:]//evil[.]example[.]com/pay" in part
        assert "http://evil" not in part and "https://evil" not in part
    own = f"{settings.SITE_URL}/c/{collab.slug}/table/{collab.tasks.get().pk}/"
    # The product's own links only: the task's, and the reminder's unsubscribe link (RFC 8058).
    hrefs = re.findall(r'<a href="([^"]*)"', html)
    assert html.count("<a ") == len(hrefs) == 2 and own in hrefs
    assert all(h.startswith(f"{settings.SITE_URL}/") for h in hrefs)
    assert any("/notifications/unsubscribe/" in h for h in hrefs)
    (posted,) = [
        r.json()["markdown"]["content"]
        for r in robot_server.requests
        if "任务已逾期" in r.json()["markdown"]["content"]
    ]
    assert "http［:］//evil［.］example［.］com/pay" in posted
    assert "<" not in posted and "［点我领奖］" in posted
    assert posted.count("](") == 1 and posted.rstrip().endswith(f"]({own})")


def test_defang_keeps_text_readable_and_never_a_link() -> None:
    assert defang("见 https://a.example.cn/x?y=1 或 www.evil.com") == (
        "见 https[:]//a[.]example[.]cn/x?y=1 或 www[.]evil[.]com"
    )
    assert defang("版本 1.2,预算 3.5 万") == "版本 1.2,预算 3.5 万"
    assert markdown_text("[a](javascript:x) ![i](http://x.io/i.png) <b>") == (
        "［a］(javascript:x) !［i］(http［:］//x［.］io/i［.］png) ‹b›"
    )
