"""The dashboard's fast path (issue 22): its Jinja2 parts show what the Django template showed.

The reference is the dashboard as it was, one Django template
(``tests/reference_templates/reference/dashboard_django.html``): the same
view renders it and the page of today for the same data, viewer, language
and moment, and the two pages are equal once whitespace, CSRF tokens and the
spelling of an entity (``&#39;`` or ``&#x27;``) are set aside.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.template import engines
from django.test import Client

from tests.helpers import signed_in
from tests.test_dashboards import CTX, PINNED, charter_with_tasks
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Metric
from xietong.dashboards import data, views
from xietong.dashboards.markup import timeline_rows
from xietong.orgs.models import Person
from xietong.rules import snapshot as s

pytestmark = pytest.mark.django_db

REFERENCE = Path(__file__).parent / "reference_templates"


def normalised(html: str) -> str:
    """The page without what may differ between equal renderings (the lead's comparison)."""
    html = re.sub(r"[A-Za-z0-9]{64}", "TOKEN", html)  # CSRF tokens
    html = html.replace("&#x27;", "'").replace("&#39;", "'").replace("&#34;", "&quot;")
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"> <", "><", html).strip()


@pytest.fixture
def reference(settings: Any) -> None:
    """Let the Django engine find the reference template."""
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], REFERENCE]},
        *settings.TEMPLATES[1:],
    ]


def both(
    client: Client, url: str, monkeypatch: pytest.MonkeyPatch, method: str = "get", **post: Any
) -> tuple[str, str]:
    """Return the page rendered by the reference template and by today's, normalised."""
    real = views.render_step
    pages = []
    for template in ("reference/dashboard_django.html", None):
        cache.clear()  # no part of one rendering served to the other
        monkeypatch.setattr(
            views,
            "render_step",
            lambda request, ws, name, *args, _t=template, **kwargs: real(
                request, ws, _t or name, *args, **kwargs
            ),
        )
        with time_machine.travel(PINNED, tick=False):
            response = client.post(url, post) if method == "post" else client.get(url)
        assert response.status_code == 200
        pages.append(normalised(response.content.decode()))
    monkeypatch.setattr(views, "render_step", real)
    return pages[0], pages[1]


def in_language(client: Client, language: str) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_demo_dashboard_is_the_reference_page(
    reference: None, demo: Collaboration, initiator: Person, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # readings, forecasts, findings of every severity and the initiator's reading form
    old, new = both(in_language(signed_in(initiator), language), f"/c/{demo.slug}/dashboard/", monkeypatch)
    assert 'class="reading-form"' in new and 'data-chart="metric"' in new
    assert new == old


def test_a_liaison_sees_the_reference_page(
    reference: None, demo: Collaboration, monkeypatch: pytest.MonkeyPatch
) -> None:
    liaison = Person.objects.get(display_name="李工")
    old, new = both(signed_in(liaison), f"/c/{demo.slug}/dashboard/", monkeypatch)
    assert 'class="reading-form"' not in new
    assert new == old


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_empty_collaboration_shows_the_reference_page(
    reference: None, admin_user: Person, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    do_import_charter(parse_charter({"title": "空协作"}), slug="empty")
    old, new = both(in_language(signed_in(admin_user), language), "/c/empty/dashboard/", monkeypatch)
    assert "还没有任务" in new or "No tasks yet" in new
    assert new == old


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_hostile_text_undated_rows_and_gaps_render_as_the_reference(
    reference: None, admin_user: Person, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    charter = charter_with_tasks(6)
    charter["tasks"][0]["description"] = "</script><script>alert('1')</script> & \"引号\""
    charter["tasks"][1]["department"] = None  # counted under "(未指定部门)", an R01 error
    charter["tasks"][2]["deadline"] = None
    charter["tasks"][3]["deadline"] = None  # two undated rows: the plural note
    charter["tasks"][4]["description"] = ""
    charter["goal"]["metrics"][0].pop("baseline")
    do_import_charter(parse_charter(charter), slug="gaps")
    old, new = both(in_language(signed_in(admin_user), language), "/c/gaps/dashboard/", monkeypatch)
    assert "<script>alert" not in new
    assert 'class="sev-heading sev-error"' in new
    assert new == old


def test_a_refused_reading_shows_the_reference_form_with_its_errors(
    reference: None, demo: Collaboration, initiator: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    metric = Metric.objects.filter(goal__collaboration=demo).first()
    assert metric is not None
    old, new = both(
        signed_in(initiator),
        f"/c/{demo.slug}/dashboard/readings/",
        monkeypatch,
        method="post",
        metric=metric.pk,
        measured_on="2024-08-13",  # the day after PINNED
        value="1",
    )
    assert "测量日期不能晚于今天" in new and 'reading-form" open' in new
    assert new == old


# --- the parts on their own


def test_the_timeline_rows_are_the_django_loops_markup() -> None:
    rows = [
        {
            "task": "<b>加粗</b> & 'quote' \"双引号\"",
            "department": "技术部 <x>",
            "start": "2024-07-01",
            "deadline": "2024-07-09",
            "state": "overdue",
            "state_name": "逾期",
            "color": "#f08c00",
        },
        {
            "task": "普通任务",
            "department": "(未指定部门)",
            "start": "2024-07-10",
            "deadline": "2024-07-10",
            "state": "done",
            "state_name": "Done",
            "color": "#2f9e44",
        },
    ]
    loop = engines["django"].from_string(
        """{% for row in rows %}
        <tr><th scope="row">{{ row.task }}</th><td>{{ row.department }}</td>
          <td class="nowrap">{{ row.start }}</td><td class="nowrap">{{ row.deadline }}</td>
          <td class="nowrap"><span class="swatch swatch-{{ row.state }}" aria-hidden="true"></span>{{ row.state_name }}</td></tr>
      {% endfor %}"""
    )
    assert normalised(str(timeline_rows(rows))) == normalised(loop.render({"rows": rows})).strip()
    assert str(timeline_rows([])) == ""


def _quadratic_starts(collab: s.Collab, anchor: date) -> dict[int, date]:
    """The timeline's start days as first written: every earlier deadline of the department scanned."""
    starts = {}
    for i, task in enumerate(collab.tasks):
        if task.deadline is None:
            continue
        department = data.department_of(task)
        earlier = [
            t.deadline
            for t in collab.tasks
            if t.deadline is not None and data.department_of(t) == department and t.deadline < task.deadline
        ]
        start = max(anchor, max(earlier) + timedelta(days=1)) if earlier else anchor
        starts[i] = min(start, task.deadline)
    return starts


def test_the_timeline_infers_the_starts_the_quadratic_scan_did() -> None:
    rng = random.Random(22)
    anchor = date(2024, 7, 1)
    tasks = tuple(
        s.Task(
            description=f"t{i}",
            departments=(rng.choice(["技术部", "售后部", "质量部"]),) if rng.random() > 0.1 else (),
            deadline=anchor + timedelta(days=rng.randint(-20, 90)) if rng.random() > 0.1 else None,
            status=rng.choice(list(s.TaskStatus)),
        )
        for i in range(300)
    )
    collab = s.Collab(title="t", tasks=tasks)
    rows = data.timeline(collab, CTX, fallback_start=anchor)["rows"]
    expected = _quadratic_starts(collab, anchor)
    by_task = {row["task"]: row["start"] for row in rows}
    assert by_task == {tasks[i].description: day.isoformat() for i, day in expected.items()}
