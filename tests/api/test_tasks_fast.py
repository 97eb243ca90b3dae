"""The task list is answered from tuples (xietong/api/tasks.py, ``_answered``): the same JSON as ``TaskOut``.

The schema's way (``task_out`` on model instances, validated, rendered by
the API's renderer) is the reference: every page, filter and offset of a
table holding everything a row can show (assignees named three ways,
watchers and collaborators in their order, rows without a department or a
deadline, blocked and overdue rows) must answer the same keys, in the same
order, with the same values, dates and nulls.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiClient, Cast, as_person
from xietong.api.converters import task_out
from xietong.api.renderers import RENDERER
from xietong.api.tasks import TaskFilters, _filtered, _rows
from xietong.collabs.actions.tasks import do_watch_task
from xietong.collabs.models import Task, TaskStatus
from xietong.orgs.models import Department, Person

pytestmark = pytest.mark.django_db

TODAY = "2024-08-12 12:00:00+08:00"  # some of the demo's deadlines have passed
URL = "/api/collaborations/demo/tasks"
# Dates and times with and without fractions of a second: the encoder writes them differently.
WHEN = datetime(2024, 8, 1, 9, 30, 15, 123456, tzinfo=UTC)
ROUND = datetime(2024, 8, 2, 10, 0, tzinfo=UTC)

QUERIES: list[dict[str, Any]] = [
    {},
    {"limit": 500},
    {"limit": 3},
    {"limit": 4, "offset": 3},
    {"limit": 5, "offset": 8},
    {"offset": 100},  # past the end: no rows, the count still
    {"department": "技术部"},
    {"status": "blocked"},
    {"status": "done"},
    {"overdue": "true"},
    {"overdue": "false", "limit": 2, "offset": 1},
    {"due_before": "2024-07-16"},
    {"department": "不存在的部门"},
]


def _person(username: str, **names: str) -> Person:
    return Person.objects.create_user(username, password="pw-" + username, **names)


def _dress(cast: Cast) -> None:
    """Give the demo's rows everything a row can show, written before anything is cached."""
    rows = list(Task.objects.filter(collaboration=cast.collab).order_by("position", "id"))
    assert len(rows) >= 10
    # Named by display name, by first and last name, by user name only; two share a display name.
    zhao = _person("zhao", display_name="赵六")
    first_last = _person("first-last", first_name="Wei", last_name="Chen")
    bare = _person("bare")
    zhao_too = _person("a-zhao", display_name="赵六")
    early = _person("early", display_name="Aaron")
    rows[0].assignee = zhao
    rows[1].assignee = first_last
    rows[2].assignee = bare
    rows[3].assignee = cast.liaison
    for row in rows[:4]:
        row.save(update_fields=["assignee"])
    # Watchers added out of their order (Person's ordering: display name, then user name).
    rows[0].watchers.add(zhao, early, zhao_too, first_last)
    rows[1].watchers.add(bare)
    rows[5].watchers.add(zhao_too, zhao)
    # Collaborators out of their order (Department's: by name).
    names = ["行政部", "A 部", "财务部"]
    departments = [Department.objects.get_or_create(name=name)[0] for name in names]
    rows[4].collaborators.set(departments)
    rows[6].collaborators.set(departments[:2])
    # A row of no department and no deadline; a blocked row; another blocked since a round second.
    Task.objects.filter(pk=rows[7].pk).update(department=None, deadline=None)
    Task.objects.filter(pk=rows[8].pk).update(
        status=TaskStatus.BLOCKED, blocked_reason="等待财务部确认预算", blocked_since=WHEN
    )
    Task.objects.filter(pk=rows[9].pk).update(
        status=TaskStatus.BLOCKED, blocked_reason="等待", blocked_since=ROUND, updated_at=ROUND
    )


def _reference(cast: Cast, query: dict[str, Any]) -> str:
    """The answer the schema's way: model instances, ``task_out``, the API's renderer."""
    filters = TaskFilters(**{k: v for k, v in query.items() if k not in ("limit", "offset")})
    rows = _filtered(_rows().filter(collaboration=cast.collab), filters)
    offset, limit = query.get("offset", 0), query.get("limit", 50)
    items = [task_out(t).model_dump() for t in rows[offset : offset + limit]]
    return str(RENDERER.render(None, {"items": items, "count": rows.count()}, response_status=200))


def _same_json(text: str | bytes) -> str:
    """JSON written again: keys in their order, ``true`` never ``1``; the spaces between items aside."""
    return json.dumps(json.loads(text), ensure_ascii=False)


@pytest.fixture
def dressed(cast: Cast) -> Cast:
    _dress(cast)
    return cast


@time_machine.travel(TODAY, tick=False)
def test_every_page_and_filter_answers_what_the_schema_answers(dressed: Cast) -> None:
    api = as_person(dressed.initiator)
    for query in QUERIES:
        response = api.get(URL, **query)
        assert response.status_code == 200, (query, response.content)
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert _same_json(response.content) == _same_json(_reference(dressed, query)), query
    # The table held what the test means to compare.
    everything = api.get(URL, limit=500).json()["items"]
    assert {t["assignee"]["name"] for t in everything if t["assignee"]} >= {"赵六", "Wei Chen", "bare"}
    # By display name (none first), then user name.
    watchers = [(w["name"], Person.objects.get(pk=w["id"]).username) for w in everything[0]["watchers"]]
    assert watchers == [("Wei Chen", "first-last"), ("Aaron", "early"), ("赵六", "a-zhao"), ("赵六", "zhao")]
    assert [d["name"] for d in everything[4]["collaborators"]] == ["A 部", "行政部", "财务部"]
    assert everything[7]["department"] is None and everything[7]["deadline"] is None
    assert everything[8]["blocked_since"] == "2024-08-01T09:30:15.123Z"
    assert everything[9]["updated_at"] == "2024-08-02T10:00:00Z"
    assert any(t["overdue"] for t in everything) and not all(t["overdue"] for t in everything)


@time_machine.travel(TODAY, tick=False)
def test_the_answer_is_the_renderers_json_without_its_spaces(dressed: Cast) -> None:
    """orjson writes what the renderer writes: the same text once the spaces after , and : are gone."""
    answer = as_person(dressed.initiator).get(URL, limit=500).content
    reference = json.loads(_reference(dressed, {"limit": 500}))
    assert answer.decode() == json.dumps(reference, ensure_ascii=False, separators=(",", ":"))


@time_machine.travel(TODAY, tick=False)
def test_a_cached_page_is_the_same_page_and_a_write_shows_at_once(dressed: Cast) -> None:
    api = as_person(dressed.initiator)
    first = api.get(URL, limit=500).content
    with CaptureQueriesContext(connection) as cached:
        again = api.get(URL, limit=500).content
    assert again == first
    assert not [q for q in cached if "collabs_task" in q["sql"]]  # answered from the cache
    row = Task.objects.filter(collaboration=dressed.collab).order_by("position", "id")[2]
    do_watch_task(row, dressed.viewer, True)  # bumps the collaboration's version
    after = api.get(URL, limit=500).json()["items"][2]
    assert dressed.viewer.name in [w["name"] for w in after["watchers"]]
    assert _same_json(api.get(URL, limit=500).content) == _same_json(_reference(dressed, {"limit": 500}))


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}})
@time_machine.travel(TODAY, tick=False)
def test_without_a_cache_the_rows_cost_the_same_queries_at_any_size(dressed: Cast) -> None:
    """Cold, as in ``make bench``: the access check once, the rows, their links and people, the count."""
    api = as_person(dressed.initiator)
    api.get("/api/me")

    def count(**query: Any) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(URL, **query).status_code == 200
        return len(captured)

    few, many = count(limit=2), count(limit=500)
    assert few == many
    # Each row's collaborators and watchers are read by the page's query, never a list of ids.
    with CaptureQueriesContext(connection) as captured:
        api.get(URL, limit=500)
    links = [q["sql"] for q in captured if "_task_collaborators" in q["sql"] or "_task_watchers" in q["sql"]]
    assert len(links) == 2 and all("LIMIT" in q for q in links)


def test_the_access_check_runs_on_every_request_cached_or_not(dressed: Cast) -> None:
    api = as_person(dressed.initiator)
    assert api.get(URL).status_code == 200  # now cached
    assert as_person(dressed.outsider).get(URL).status_code == 404
    assert ApiClient().get(URL).status_code == 401
    assert Client().get(URL).status_code == 401


def test_the_spec_still_documents_a_page_of_task_rows() -> None:
    spec = json.loads(Client().get("/api/openapi.json").content)
    operation = spec["paths"]["/api/collaborations/{slug}/tasks"]["get"]
    assert [p["name"] for p in operation["parameters"]] == [
        "slug",
        "department",
        "status",
        "overdue",
        "due_before",
        "limit",
        "offset",
    ]
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["default"], limit["schema"]["maximum"]) == (50, 500)
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/PagedTaskOut"}
    paged = spec["components"]["schemas"]["PagedTaskOut"]
    assert paged["required"] == ["items", "count"]
    assert paged["properties"]["items"]["items"] == {"$ref": "#/components/schemas/TaskOut"}
    assert list(spec["components"]["schemas"]["TaskOut"]["properties"]) == [
        "id",
        "collaboration",
        "position",
        "description",
        "department",
        "standard",
        "deadline",
        "collaborators",
        "status",
        "percent",
        "blocked_reason",
        "blocked_since",
        "overdue",
        "assignee",
        "watchers",
        "version",
        "updated_at",
    ]
    assert {"401", "404", "422"} <= set(operation["responses"])


def test_the_ids_of_a_page_in_another_collaboration_never_leak(dressed: Cast) -> None:
    """Rows of a slug the caller may see only: a page of the demo names only the demo's rows."""
    ids = set(Task.objects.filter(collaboration=dressed.collab).values_list("id", flat=True))
    items = as_person(dressed.initiator).get(URL, limit=500).json()["items"]
    assert {t["id"] for t in items} == ids
    assert {t["collaboration"] for t in items} == {"demo"}
