"""The weekly list (周进度清单) in Jinja2 shows what its Django templates showed (issue 22).

``tests/weekly_django/`` keeps the list's Django templates as they were;
each page is rendered with them in front of the product's templates, and
with the product's own (the Jinja2 list), for the same data and viewer,
and the two are compared after normalising whitespace, the CSRF token and
the apostrophe's escape (``&#x27;`` in Django, ``&#39;`` in Jinja2).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.cache import cache
from django.template.defaultfilters import date as date_filter
from django.test import Client, override_settings

from tests.helpers import TZ, liaison_of, owner_of, pinned, signed_in
from xietong.collabs.models import Collaboration, Task
from xietong.lib.jinja import local_date
from xietong.orgs.models import Department, Person
from xietong.tracking.actions.progress import ProgressInput, do_report_progress
from xietong.tracking.actions.weekly import do_publish_weekly_report
from xietong.tracking.templatetags.jinja_globals import translated_status_names
from xietong.tracking.weekly import STATUS_NAMES

pytestmark = pytest.mark.django_db
MONDAY = datetime(2024, 8, 12, 12, 0, tzinfo=TZ)  # the demo's "today", in week 2024-W33
HTMX = {"HX-Request": "true"}
DJANGO_LIST = Path(__file__).parent / "weekly_django"

_pinned = pinned(MONDAY)


def _django_templates() -> list[dict[str, Any]]:
    templates: list[dict[str, Any]] = copy.deepcopy(settings.TEMPLATES)
    django_engine = next(t for t in templates if t["BACKEND"].endswith("DjangoTemplates"))
    django_engine["DIRS"] = [DJANGO_LIST, *django_engine["DIRS"]]
    return templates


def normalised(html: bytes) -> str:
    text = re.sub(r"[A-Za-z0-9]{64}", "TOKEN", html.decode())
    text = text.replace("&#x27;", "&#39;")
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"> <", "><", text)


def both(get: Callable[[], bytes]) -> tuple[str, str]:
    """Return the page as the Django templates render it and as the Jinja2 list does."""
    cache.clear()  # the list is a cached part: each rendering its own
    with override_settings(TEMPLATES=_django_templates()):
        before = get()
    cache.clear()
    return normalised(before), normalised(get())


def _get(client: Client, path: str, **headers: str) -> Callable[[], bytes]:
    def get() -> bytes:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        return response.content

    return get


def _task(collab: Collaboration, description: str) -> Task:
    return Task.objects.get(collaboration=collab, description=description)


def _busy_week(demo: Collaboration) -> None:
    """A week with every part a row shows: a note on two lines, a block waiting on another department,
    a new row without a department that just became overdue."""
    liaison = liaison_of(demo, "技术部")
    task = _task(demo, "建立投诉工单系统自动分派规则")
    do_report_progress(
        task,
        ProgressInput(status="in_progress", percent=60, note="规则草案\n已评审 <b>", next_step="上线 & 观察"),
        MONDAY - timedelta(hours=1),
        version=task.version,
        actor=liaison,
    )
    blocked = _task(demo, "修复 TOP3 高频产品缺陷")
    do_report_progress(
        blocked,
        ProgressInput(
            status="blocked",
            percent=30,
            blocked_reason="等产品部确认缺陷清单",
            waiting_on=Department.objects.get(name="产品部"),
        ),
        MONDAY - timedelta(hours=2),
        version=blocked.version,
        actor=liaison,
    )
    Task.objects.create(
        collaboration=demo, description="", department=None, deadline=date(2024, 8, 11), position=99
    )


@pytest.mark.parametrize("week", ["", "?week=2024-W33", "?week=2024-W32", "?week=2024-W28", "?week=2024-W40"])
@pytest.mark.parametrize("who", ["initiator", "liaison"])
def test_the_page_shows_what_the_django_templates_showed(demo: Collaboration, who: str, week: str) -> None:
    _busy_week(demo)
    person = owner_of(demo) if who == "initiator" else liaison_of(demo, "技术部")
    before, after = both(_get(signed_in(person), f"/c/{demo.slug}/tracking/{week}"))
    assert 'class="department-week"' in after
    assert before == after


def test_the_busy_week_shows_every_part_of_a_row(demo: Collaboration) -> None:
    _busy_week(demo)
    page = _get(signed_in(owner_of(demo)), f"/c/{demo.slug}/tracking/")().decode()
    for part in (
        "等待:产品部",
        "escalation level-",
        'class="late"',
        "规则草案<br>已评审 &lt;b&gt;",
        "上线 &amp; 观察",
    ):
        assert part in page
    for part in ("新增任务", "转为逾期", "未指定责任部门", "阻塞 ·", 'class="overdue"'):
        assert part in page


def test_in_english_too(demo: Collaboration) -> None:
    _busy_week(demo)
    person = owner_of(demo)
    Person.objects.filter(pk=person.pk).update(language="en")
    before, after = both(_get(signed_in(person), f"/c/{demo.slug}/tracking/"))
    assert "Update progress" in after and "No update this week" in after
    assert before == after


def test_a_row_with_its_form_open_and_a_row_alone(demo: Collaboration) -> None:
    _busy_week(demo)
    client = signed_in(liaison_of(demo, "技术部"))
    task = _task(demo, "建立投诉工单系统自动分派规则")
    page = f"/c/{demo.slug}/tracking/"
    before, after = both(_get(client, f"{page}?edit={task.pk}"))
    assert 'class="editing"' in after and before == after
    before, after = both(_get(client, f"{page}?row={task.pk}", **HTMX))
    assert after.startswith(f'<tr id="task-{task.pk}"') and before == after
    # The row alone is the row of the page.
    assert after.strip() in normalised(_get(client, page)())


def test_a_stale_save_shows_the_form_on_the_page_without_javascript(demo: Collaboration) -> None:
    client = signed_in(liaison_of(demo, "技术部"))
    task = _task(demo, "建立投诉工单系统自动分派规则")
    data = {"status": "in_progress", "percent": 50, "note": "x", "version": task.version - 1}
    response = client.post(f"/c/{demo.slug}/tracking/progress/{task.pk}/", data)
    body = response.content.decode()
    assert response.status_code == 200 and 'class="editing"' in body and 'role="alert"' in body
    assert body.count('<tr id="task-') == Task.objects.filter(collaboration=demo).count()


def test_a_published_list_shows_what_the_django_templates_showed(demo: Collaboration) -> None:
    _busy_week(demo)
    do_publish_weekly_report(demo, 2024, 32, "备注", MONDAY, actor=owner_of(demo))
    before, after = both(_get(signed_in(owner_of(demo)), f"/c/{demo.slug}/tracking/weekly/2024-W32/"))
    assert 'class="department-week"' in after and before == after


MOMENTS = [
    date(2024, 8, 5),
    date(1, 1, 1),
    datetime(2024, 8, 11, 17, 5, tzinfo=TZ),
    datetime(2024, 12, 31, 23, 59, tzinfo=UTC),
    datetime(2024, 8, 11, 23, 30, tzinfo=ZoneInfo("America/New_York")),
]


@pytest.mark.parametrize("value", MOMENTS)
@pytest.mark.parametrize("fmt", ["Y-m-d", "m-d", "m-d H:i", "Y-m-d H:i", "D, j M Y"])
def test_local_date_formats_as_djangos_date_filter_in_a_template(value: date, fmt: str) -> None:
    from django.template import Context, Template

    if not isinstance(value, datetime) and ("H" in fmt or "i" in fmt):
        return  # a day has no time: Django's filter fails on these
    expected = Template("{{ value|date:fmt }}").render(Context({"value": value, "fmt": fmt}))
    assert local_date(value, fmt) == expected
    assert local_date(None, fmt) == "" == date_filter(None, fmt)


def test_status_names_are_the_rows_own() -> None:
    names = translated_status_names()
    assert names == {status: str(name) for status, name in STATUS_NAMES.items()}
    assert names["unknown"] == "unknown"
