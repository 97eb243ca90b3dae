"""The per-collaboration cache: repeated reads are cheap, a write shows at once, viewers stay apart."""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests.helpers import signed_in
from xietong.collabs.judged import report_of, snapshot_of
from xietong.collabs.models import Collaboration, Participant, Task
from xietong.orgs.models import Person
from xietong.rules.clock import context_for


def _get(client: Client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def _liaison(collab: Collaboration, department: str) -> Person:
    participant = Participant.objects.select_related("liaison").get(
        collaboration=collab, department__name=department
    )
    assert participant.liaison is not None
    return participant.liaison


def test_a_second_read_is_cheaper_and_shows_the_same_page(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    for name in ("collabs:table", "tracking:tracking", "dashboards:dashboard"):
        url = reverse(name, args=[demo.slug])
        first, cold = _get(client, url)
        second, warm = _get(client, url)
        assert warm < cold, name
        # The same page but for the CSRF token, which is each response's own.
        strip = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')
        assert strip.sub("", first) == strip.sub("", second)


def test_a_write_shows_on_the_next_read(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    url = reverse("collabs:table", args=[demo.slug])
    _get(client, url)
    task = Task.objects.filter(collaboration=demo).order_by("position").first()
    assert task is not None
    response = client.post(
        reverse("collabs:task_edit", args=[demo.slug, task.pk]),
        {
            f"t{task.pk}-description": "改过的任务描述",
            f"t{task.pk}-department": task.department_id,
            f"t{task.pk}-standard": task.standard,
            f"t{task.pk}-deadline": task.deadline.isoformat() if task.deadline else "",
            f"t{task.pk}-status": task.status,
            f"t{task.pk}-blocked_reason": task.blocked_reason,
            f"t{task.pk}-version": task.version,
        },
    )
    assert response.status_code in (200, 302)
    page, _ = _get(client, url)
    assert "改过的任务描述" in page
    api = client.get(f"/api/collaborations/{demo.slug}/tasks?limit=500").json()
    assert "改过的任务描述" in [row["description"] for row in api["items"]]


def test_viewers_with_other_roles_get_their_own_actions(demo: Collaboration) -> None:
    assert demo.owner is not None
    url = reverse("collabs:table", args=[demo.slug])
    initiator_page, _ = _get(signed_in(demo.owner), url)
    liaison = _liaison(demo, "技术部")
    liaison_page, _ = _get(signed_in(liaison), url)
    # Only the initiator arranges rows; the liaison edits only 技术部's rows.
    assert initiator_page.count("task_move") or "↑" in initiator_page
    assert "↑" not in liaison_page
    own = Task.objects.filter(collaboration=demo, department__name="技术部").count()
    assert liaison_page.count("?edit=") == own
    assert initiator_page.count("?edit=") == Task.objects.filter(collaboration=demo).count()


def test_forms_in_a_cached_part_carry_the_viewers_own_token(demo: Collaboration) -> None:
    assert demo.owner is not None
    url = reverse("collabs:table", args=[demo.slug])
    first = Client(enforce_csrf_checks=True)
    first.force_login(demo.owner)
    first.get(url)  # fills the cache with this viewer's page
    second = Client(enforce_csrf_checks=True)
    second.force_login(demo.owner)
    page = second.get(url).content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert len(tokens) == 1
    task = Task.objects.filter(collaboration=demo).order_by("position").last()
    assert task is not None
    response = second.post(
        reverse("collabs:task_move", args=[demo.slug, task.pk]),
        {"direction": "up", "csrfmiddlewaretoken": tokens.pop()},
    )
    assert response.status_code == 302  # accepted: a foreign token would be refused with 403


def test_a_cached_report_speaks_the_readers_language(demo: Collaboration) -> None:
    ctx = context_for()
    report = report_of(demo, snapshot_of(demo), ctx)
    cached = report_of(demo, snapshot_of(demo), ctx)
    assert cached is not report  # read back from the cache (pickled), not the same object
    assert [f.rule for f in cached.findings] == [f.rule for f in report.findings]
    with translation.override("en"):
        english = [f.text() for f in cached.findings]
    with translation.override("zh-hans"):
        chinese = [f.text() for f in cached.findings]
    assert english and english != chinese
    assert all(re.search(r"[A-Za-z]{3,}", text) for text in english)


def test_a_long_api_query_is_cached_under_a_short_key(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    query = "department=" + "0" * 100 + "&due_before=2000-01-01&limit=50&offset=2147483647&overdue=true"
    query += "&status=not_started"
    # Cache keys over 250 characters warn (memcached refuses them); the suite turns the warning into an error.
    for _ in range(2):
        response = client.get(f"/api/collaborations/{demo.slug}/tasks?{query}")
        assert response.status_code == 200
        assert response.json() == {"items": [], "count": 0}
