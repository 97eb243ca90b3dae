"""XSS payloads in every text field a person can fill are rendered escaped, everywhere.

A collaboration is imported with a payload in each field of the charter,
the fields the charter lacks are filled directly, and every page, htmx
fragment, dashboard data island and admin page that shows them is read.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client
from django.urls import reverse

from tests.conftest import WORKSPACE_PAGES
from tests.helpers import add_charter_people
from tests.test_security import inline_code
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Goal, Metric, MetricReading, Participant, SubGoal, Task
from xietong.meetings.models import AgendaItem, CommunicationRule, Meeting
from xietong.orgs.models import Department, Person

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS = "javascript:alert(1)"
ALL = SCRIPT + IMG + JS
HTMX = {"HTTP_HX_REQUEST": "true"}
# What must never reach a page unescaped.
FORBIDDEN = ("<script>alert(1)</script>", "<img src=x onerror")


def payload_charter() -> dict[str, object]:
    dept = [f"部门{i}{ALL}" for i in range(2)]
    person = [f"人{i}{ALL}" for i in range(4)]
    metric = f"指标{ALL}"
    return {
        "title": f"协作{ALL}",
        "type": "problem_solving",
        "background": f"背景{ALL}",
        "expected_outcome": f"成果{ALL}",
        "initiator": {"department": dept[0], "owner": person[0]},
        "goal": {
            "statement": f"2024年Q3末,实现80%的投诉在24小时内闭环{ALL}",
            "deadline": "2024-09-30",
            "metrics": [
                {"name": metric, "unit": IMG, "baseline": 45, "target": 80, "direction": "increase"},
            ],
        },
        "departments": [
            {
                "name": dept[0],
                "liaison": person[0],
                "head": person[2],
                "duties": f"职责{ALL}",
                "role": "lead",
            },
            {"name": dept[1], "liaison": person[1], "head": person[3], "duties": f"职责{ALL}"},
        ],
        "kickoff": {
            "scheduled_at": "2024-07-08T10:00:00+08:00",
            "agenda_sent_at": "2024-07-04T17:00:00+08:00",
            "minutes_issued_at": "2024-07-08T16:00:00+08:00",
            "confirmations": {dept[0]: "2024-07-08T17:00:00+08:00"},
        },
        "tasks": [
            {
                "description": f"任务{ALL}",
                "department": dept[i % 2],
                "standard": f"标准{ALL}",
                "deadline": "2024-07-12",
                "collaborators": [dept[(i + 1) % 2]],
                "status": status,
                "blocked_reason": f"阻塞{ALL}" if status == "blocked" else None,
            }
            for i, status in enumerate(["done", "in_progress", "blocked", "not_started"])
        ],
        "subgoals": [
            {
                "description": f"子目标{ALL}",
                "department": dept[0],
                "metric": metric,
                "target": 24,
                "unit": SCRIPT,
                "deadline": {"kind": "sla", "hours": 24, "trigger": f"触发{ALL}"},
            },
            {
                "description": f"每日子目标{ALL}",
                "department": dept[1],
                "metric": metric,
                "target": 100,
                "unit": IMG,
                "deadline": {"kind": "recurring", "rrule": "FREQ=DAILY;BYHOUR=10;BYMINUTE=0"},
            },
        ],
        "communication": [
            {
                "scenario": "progress_sync",
                "channel": "im_group",
                "frequency": "realtime",
                "outputs": [f"产出{ALL}", JS],
                "owner": f"负责{ALL}",
                "admin": f"管理{ALL}",
            },
        ],
    }


@pytest.fixture
def collab(db: None) -> Collaboration:
    stored = do_import_charter(parse_charter(add_charter_people(payload_charter())), slug="xss")
    # the fields a charter does not carry, as a person fills them in the pages
    Goal.objects.filter(collaboration=stored).update(
        achievable_reason=f"可实现{ALL}", relevant_reason=f"相关{ALL}"
    )
    metric = Metric.objects.get(goal__collaboration=stored)
    for day, value in [(date(2024, 7, 8), 45), (date(2024, 7, 15), 52)]:
        MetricReading.objects.create(metric=metric, measured_on=day, value=value, note=f"备注{ALL}")
    meeting = Meeting.objects.get(collaboration=stored)
    meeting.title = f"启动会{ALL}"
    meeting.save(update_fields=["title"])
    AgendaItem.objects.create(meeting=meeting, position=99, title=f"议程{ALL}", notes=f"说明{ALL}")
    return stored


def assert_escaped(url: str, html: str) -> None:
    lowered = html.lower()
    for raw in FORBIDDEN:
        assert raw not in lowered, f"{url}: unescaped {raw!r}"
    assert inline_code(html) == [], url


def pages_of(collab: Collaboration) -> list[str]:
    slug = collab.slug
    urls = ["/", "/new/", "/overview/", *(reverse(name, args=[slug]) for name in WORKSPACE_PAGES)]
    for task in Task.objects.filter(collaboration=collab):
        urls += [
            reverse("collabs:task", args=[slug, task.pk]),
            reverse("collabs:table", args=[slug]) + f"?edit={task.pk}",
        ]
    return urls


def admin_pages_of(collab: Collaboration) -> list[str]:
    objects: list[models.Model] = [
        collab,
        *Goal.objects.filter(collaboration=collab),
        *Metric.objects.filter(goal__collaboration=collab),
        *MetricReading.objects.filter(metric__goal__collaboration=collab),
        *Participant.objects.filter(collaboration=collab),
        *Task.objects.filter(collaboration=collab),
        *SubGoal.objects.filter(collaboration=collab),
        *Meeting.objects.filter(collaboration=collab),
        *AgendaItem.objects.filter(meeting__collaboration=collab),
        *CommunicationRule.objects.filter(collaboration=collab),
        *Department.objects.filter(name__contains="alert(1)"),
        *Person.objects.filter(display_name__contains="alert(1)"),
    ]
    urls = [reverse("admin:index")]
    for obj in objects:
        meta = obj._meta
        if type(obj) not in admin.site._registry:
            continue
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
    return sorted(set(urls))


def test_the_payloads_are_stored_as_typed(collab: Collaboration) -> None:
    assert collab.title == f"协作{ALL}"
    assert Task.objects.filter(collaboration=collab, blocked_reason=f"阻塞{ALL}").exists()
    assert SubGoal.objects.filter(collaboration=collab, sla_trigger=f"触发{ALL}").exists()
    assert CommunicationRule.objects.get(collaboration=collab).admin == f"管理{ALL}"
    assert Person.objects.filter(display_name=f"人0{ALL}").exists()


@pytest.mark.parametrize("who", ["admin", "owner", "liaison"])
def test_every_page_renders_the_payloads_escaped(collab: Collaboration, admin_user: Person, who: str) -> None:
    person = {
        "admin": admin_user,
        "owner": collab.owner,
        "liaison": Participant.objects.filter(collaboration=collab).order_by("id").last().liaison,  # type: ignore[union-attr]
    }[who]
    assert person is not None
    client = Client()
    client.force_login(person)
    shown = 0
    for url in pages_of(collab):
        for headers in ({}, HTMX):
            response = client.get(url, **headers)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert_escaped(url, html)
            shown += "alert(1)" in html
    assert shown > 10  # the payloads are on the pages, escaped


def test_htmx_fragments_render_the_payloads_escaped(collab: Collaboration, admin_user: Person) -> None:
    client = Client()
    client.force_login(admin_user)
    for task in Task.objects.filter(collaboration=collab):
        url = reverse("collabs:task_edit", args=[collab.slug, task.pk])
        response = client.get(url, **HTMX)
        assert response.status_code == 200, url
        assert_escaped(url, response.content.decode())
        assert "alert(1)" in response.content.decode()
    response = client.post(reverse("collabs:smart"), {"statement": f"2024年底前{ALL}提升效率"}, **HTMX)
    assert response.status_code == 200
    assert_escaped("smart", response.content.decode())


def test_the_dashboards_data_islands_are_escaped(collab: Collaboration, admin_user: Person) -> None:
    client = Client()
    client.force_login(admin_user)
    for url in [reverse("dashboards:dashboard", args=[collab.slug]), "/overview/"]:
        html = client.get(url).content.decode()
        assert 'type="application/json"' in html
        assert "\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E" in html, url
        assert_escaped(url, html)


def test_the_admin_renders_the_payloads_escaped(collab: Collaboration, admin_user: Person) -> None:
    client = Client()
    client.force_login(admin_user)
    urls = admin_pages_of(collab)
    assert len(urls) > 10
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(url, response.content.decode())


def test_every_payload_field_is_shown_somewhere(collab: Collaboration, admin_user: Person) -> None:
    """Keeps the tests above honest: each field's payload is on some page, escaped."""
    client = Client()
    client.force_login(admin_user)
    html = "".join(
        client.get(url, **headers).content.decode()
        for url in [*pages_of(collab), *admin_pages_of(collab)]
        for headers in ({}, HTMX)
    )
    escaped = (
        "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;javascript:alert(1)"
    )
    fields = ["协作", "背景", "成果", "闭环", "指标", "部门0", "部门1", "人0", "人1", "职责", "任务", "标准"]
    fields += ["阻塞", "子目标", "每日子目标", "触发", "产出", "负责", "管理", "可实现", "相关", "备注"]
    fields += ["启动会", "议程", "说明"]
    missing = [field for field in fields if field + escaped not in html]
    assert missing == []
    for unit in ["&lt;script&gt;alert(1)&lt;/script&gt;", "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"]:
        assert unit in html
