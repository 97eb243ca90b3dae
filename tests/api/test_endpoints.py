"""What the endpoints answer: collaborations, charters, sections, rows, the organisation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.encoding import iri_to_uri

from tests.api.conftest import ApiClient, Cast, as_person, person
from xietong.audit.models import AuditEntry
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Membership, Metric, MetricReading, SubGoal, Task
from xietong.orgs.models import Department

pytestmark = pytest.mark.django_db
GOOD = Path(__file__).resolve().parent.parent / "charters" / "good.json"


def charter(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOOD.read_text(encoding="utf-8"))
    data.update(changes)
    return data


def charter_with_tasks(n: int) -> dict[str, Any]:
    data = charter()
    base = data["tasks"]
    data["tasks"] = [dict(base[i % len(base)], description=f"任务 {i}") for i in range(n)]
    return data


def queries(api: ApiClient, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


# --- collaborations


def test_the_list_shows_what_you_may_see_with_scores(cast: Cast) -> None:
    page = as_person(cast.liaison).get("/api/collaborations").json()
    assert page["count"] == 1
    (item,) = page["items"]
    assert (item["slug"], item["title"], item["type"]) == ("demo", "客户投诉快速响应", "problem_solving")
    cast.collab.refresh_from_db()
    assert 0 <= item["score"] <= 100 and item["version"] == cast.collab.version
    assert as_person(cast.outsider).get("/api/collaborations").json() == {"items": [], "count": 0}


def test_the_list_is_paged(cast: Cast, initiator_api: ApiClient) -> None:
    for i in range(3):
        do_import_charter(parse_charter(charter(title=f"协作 {i}")), slug=f"c{i}")
    everything = as_person(cast.admin).get("/api/collaborations", limit=2, offset=1).json()
    assert everything["count"] == 4 and len(everything["items"]) == 2
    assert as_person(cast.admin).get("/api/collaborations", limit=501).status_code == 422
    assert as_person(cast.admin).get("/api/collaborations", limit=0).status_code == 422


def test_the_collaborations_list_costs_the_same_queries_for_1_or_5(cast: Cast) -> None:
    api = as_person(cast.admin)
    api.get("/api/me")  # notes the token's first use, a write counted once
    one = queries(api, "/api/collaborations")
    for i in range(4):
        do_import_charter(parse_charter(charter_with_tasks(20)), slug=f"more-{i}")
    assert queries(api, "/api/collaborations") == one


def test_one_collaboration_says_your_roles(cast: Cast) -> None:
    summary = as_person(cast.head).get("/api/collaborations/demo").json()
    assert summary["roles"] == ["head"]
    assert summary["expected_outcome"].startswith("投诉处理时长")


def test_findings_are_the_rule_engines_and_can_be_pinned_to_a_day(
    cast: Cast, initiator_api: ApiClient
) -> None:
    pinned = initiator_api.get("/api/collaborations/demo/findings", today="2024-08-12").json()
    assert pinned["today"] == "2024-08-12"
    assert {"rule": "T01", "severity": "warning"}.items() <= pinned["findings"][0].items()
    assert initiator_api.get("/api/collaborations/demo/findings", today="2024-02-30").status_code == 422
    far = initiator_api.get("/api/collaborations/demo/findings", today="9999-12-31")
    assert (far.status_code, far.json()["path"]) == (422, "query.today")


def test_findings_are_in_english_when_asked(cast: Cast) -> None:
    api = ApiClient(
        as_person(cast.initiator).headers["Authorization"].split()[1], **{"Accept-Language": "en"}
    )
    findings = api.get("/api/collaborations/demo/findings", today="2024-08-12").json()["findings"]
    assert "overdue" in findings[0]["message"]


def test_the_charter_round_trips(cast: Cast, initiator_api: ApiClient) -> None:
    exported = initiator_api.get("/api/collaborations/demo/charter").json()
    assert exported["departments"][2]["name"] == "技术部"
    exported["title"] = "客户投诉快速响应(复制)"
    created = initiator_api.post("/api/collaborations", exported)
    assert created.status_code == 201, created.content
    slug = created.json()["slug"]
    assert created["Location"] == iri_to_uri(f"/api/collaborations/{slug}")
    again = initiator_api.get(f"/api/collaborations/{slug}/charter").json()
    assert {**again, "title": None} == {**exported, "title": None}
    actor = AuditEntry.objects.filter(collaboration__slug=slug).values_list("actor", flat=True).first()
    assert actor == cast.initiator.pk


def test_a_bad_charter_is_422_with_the_path_and_nothing_is_stored(
    cast: Cast, initiator_api: ApiClient
) -> None:
    data = charter()
    data["tasks"][1]["deadline"] = "2024-02-30"
    before = Collaboration.objects.count()
    refused = initiator_api.post("/api/collaborations", data)
    assert refused.status_code == 422
    assert refused.json()["path"] == "tasks[1].deadline"
    assert "2024-02-30" in refused.json()["detail"]
    data = charter()
    data["departments"].append(dict(data["departments"][0]))
    data["tasks"][0]["department"] = ["技术部", "产品部"]
    refused = initiator_api.post("/api/collaborations", data)
    assert refused.status_code == 422
    assert [p["path"] for p in refused.json()["problems"]] == ["departments[4].name", "tasks[0].department"]
    unknown = initiator_api.post("/api/collaborations", charter(priority=1))
    assert (unknown.status_code, unknown.json()["path"]) == (422, "priority")
    broken = initiator_api.client.post(
        "/api/collaborations", "{oops", content_type="application/json", headers=initiator_api.headers
    )
    assert broken.status_code == 422
    nul = initiator_api.post("/api/collaborations", charter(background="a\x00b"))
    assert (nul.status_code, nul.json()["path"]) == (422, "background")
    assert Collaboration.objects.count() == before


def test_whoever_imports_a_charter_can_open_it(cast: Cast) -> None:
    api = as_person(cast.member)
    created = api.post("/api/collaborations", charter(title="别人发起的协作"))
    assert created.status_code == 201
    assert created.json()["roles"] == ["member"]
    assert Membership.objects.filter(person=cast.member, collaboration__slug=created.json()["slug"]).exists()


# --- goal and metrics


def test_the_goal_is_replaced_with_its_metrics(cast: Cast, initiator_api: ApiClient) -> None:
    url = "/api/collaborations/demo/goal"
    goal = initiator_api.get(url).json()
    kept = goal["metrics"][0]
    body = {
        **goal,
        "statement": "2024年Q3末,80%的投诉在24小时内闭环",
        "metrics": [
            kept,
            {"name": "一次解决率", "unit": "%", "baseline": 60, "target": 85.5, "direction": "increase"},
        ],
        "reason": "周例会决定",
    }
    saved = initiator_api.put(url, body)
    assert saved.status_code == 200, saved.content
    assert [m["name"] for m in saved.json()["metrics"]] == [kept["name"], "一次解决率"]
    assert saved.json()["metrics"][1]["target"] == 85.5
    assert Metric.objects.filter(goal__collaboration=cast.collab).count() == 2
    assert AuditEntry.objects.filter(reason="周例会决定", actor=cast.initiator).exists()
    duplicate = initiator_api.put(url, {**body, "version": saved.json()["version"], "metrics": [kept, kept]})
    assert (duplicate.status_code, duplicate.json()["path"]) == (422, "body.metrics[1].name")
    too_precise = {**body, "version": saved.json()["version"], "metrics": [{"name": "x", "target": 0.00001}]}
    assert initiator_api.put(url, too_precise).status_code == 422


def test_metrics_may_swap_names_in_one_put(cast: Cast, initiator_api: ApiClient) -> None:
    goal = initiator_api.get("/api/collaborations/demo/goal").json()
    first, second = goal["metrics"][0], goal["metrics"][1]
    swapped = [{**first, "name": second["name"]}, {**second, "name": first["name"]}, *goal["metrics"][2:]]
    saved = initiator_api.put("/api/collaborations/demo/goal", {**goal, "metrics": swapped})
    assert saved.status_code == 200
    names = [m["name"] for m in initiator_api.get("/api/collaborations/demo/goal").json()["metrics"]]
    assert names[:2] == [second["name"], first["name"]]


def test_metrics_come_with_their_readings_and_a_reading_is_recorded(
    cast: Cast, initiator_api: ApiClient
) -> None:
    metrics = initiator_api.get("/api/collaborations/demo/metrics").json()
    assert metrics[0]["readings"][0] == {"measured_on": "2024-07-08", "value": 45.0, "note": "周例会通报"}
    url = f"/api/metrics/{metrics[0]['id']}/readings"
    recorded = initiator_api.post(url, {"measured_on": "2024-08-19", "value": 70.5, "note": "周报"})
    assert recorded.status_code == 201
    assert (
        MetricReading.objects.filter(metric_id=metrics[0]["id"], measured_on="2024-08-19").get().note
        == "周报"
    )
    assert as_person(cast.liaison).post(url, {"measured_on": "2024-08-19", "value": 1}).status_code == 403
    assert as_person(cast.outsider).post(url, {"measured_on": "2024-08-19", "value": 1}).status_code == 404


# --- departments


def test_departments_are_added_changed_and_removed(cast: Cast, initiator_api: ApiClient) -> None:
    base = "/api/collaborations/demo/departments"
    person("钱会计"), person("孙财务")  # people are named, never created by the API (issue 18)
    added = initiator_api.post(base, {"department": "财务部", "liaison": "钱会计", "duties": "预算审核"})
    assert added.status_code == 201, added.content
    row = added.json()
    assert (row["department"]["name"], row["liaison"]["name"], row["role"]) == ("财务部", "钱会计", "support")
    twice = initiator_api.post(base, {"department": "财务部"})
    assert (twice.status_code, twice.json()["path"]) == (422, "body.department")
    changed = initiator_api.patch(f"{base}/{row['id']}", {"role": "lead", "head": "孙财务"})
    assert changed.status_code == 200
    # The head is organisation data: the owner only proposes it (tests/test_head_proposals.py).
    assert (changed.json()["role"], changed.json()["head"], changed.json()["liaison"]["name"]) == (
        "lead",
        None,
        "钱会计",
    )
    assert [h["person"]["name"] for h in changed.json()["head_proposals"]] == ["孙财务"]
    assert initiator_api.delete(f"{base}/{row['id']}").status_code == 204
    assert "财务部" not in [d["department"]["name"] for d in initiator_api.get(base).json()]
    assert initiator_api.delete(f"{base}/{row['id']}").status_code == 404


# --- tasks


def test_tasks_are_filtered_by_department_status_overdue_and_due_date(
    cast: Cast, initiator_api: ApiClient
) -> None:
    url = "/api/collaborations/demo/tasks"
    tech = cast.department("技术部")
    by_name = initiator_api.get(url, department="技术部").json()
    assert by_name["count"] == 3
    assert initiator_api.get(url, department=str(tech.pk)).json() == by_name
    assert {t["status"] for t in initiator_api.get(url, status="done").json()["items"]} == {"done"}
    with time_machine.travel("2024-08-12 12:00:00+08:00", tick=False):
        overdue = initiator_api.get(url, overdue="true").json()
        not_overdue = initiator_api.get(url, overdue="false").json()
    assert [t["description"] for t in overdue["items"]] == ["建立投诉工单系统自动分派规则"]
    assert overdue["items"][0]["overdue"] is True
    assert overdue["count"] + not_overdue["count"] == 10
    early = initiator_api.get(url, due_before="2024-07-16").json()["items"]
    assert early and all(t["deadline"] < "2024-07-16" for t in early)
    assert initiator_api.get(url, status="nonsense").status_code == 422
    assert initiator_api.get(url, due_before="yesterday").status_code == 422


def test_the_task_list_costs_the_same_queries_for_10_or_1000_tasks(cast: Cast) -> None:
    api = as_person(cast.admin)
    do_import_charter(parse_charter(charter_with_tasks(10)), slug="small")
    do_import_charter(parse_charter(charter_with_tasks(1000)), slug="large")
    api.get("/api/me")
    small = queries(api, "/api/collaborations/small/tasks?limit=500")
    large = queries(api, "/api/collaborations/large/tasks?limit=500")
    assert small == large
    page = api.get("/api/collaborations/large/tasks", limit=500, offset=900).json()
    assert (page["count"], len(page["items"])) == (1000, 100)
    assert api.get("/api/collaborations/large/tasks").json()["items"].__len__() == 50


def test_a_liaison_adds_and_edits_only_their_departments_rows(cast: Cast) -> None:
    liaison = as_person(cast.liaison)
    url = "/api/collaborations/demo/tasks"
    added = liaison.post(
        url, {"description": "排查工单分派", "department": "技术部", "deadline": "2024-08-30"}
    )
    assert added.status_code == 201, added.content
    row = added.json()
    assert (row["department"]["name"], row["status"], row["version"]) == ("技术部", "not_started", 1)
    assert liaison.post(url, {"description": "替产品部加一行", "department": "产品部"}).status_code == 403
    assert liaison.post(url, {"description": "没有部门的一行"}).status_code == 403
    moved = liaison.patch(f"/api/tasks/{row['id']}", {"version": row["version"], "department": "产品部"})
    assert moved.status_code == 403
    assert Task.objects.get(pk=row["id"]).department == cast.department("技术部")
    assert liaison.delete(f"/api/tasks/{row['id']}").status_code == 403


def test_a_task_patch_changes_only_what_it_names(cast: Cast, initiator_api: ApiClient) -> None:
    task = cast.task_of("技术部", 1)
    before = initiator_api.get(f"/api/tasks/{task.pk}").json()
    blocked = initiator_api.patch(
        f"/api/tasks/{task.pk}", {"version": before["version"], "status": "blocked"}
    )
    assert (blocked.status_code, blocked.json()["path"]) == (422, "body.blocked_reason")
    changed = initiator_api.patch(
        f"/api/tasks/{task.pk}",
        {
            "version": before["version"],
            "status": "blocked",
            "blocked_reason": "等产品部排期",
            "collaborators": ["产品部", cast.department("售后部").pk],
            "reason": "周会调整",
        },
    )
    assert changed.status_code == 200, changed.content
    after = changed.json()
    assert [d["name"] for d in after["collaborators"]] == ["产品部", "售后部"]
    assert after["blocked_since"] is not None and after["version"] == before["version"] + 1
    unchanged = {"description", "standard", "deadline", "department", "position"}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert AuditEntry.objects.filter(reason="周会调整", object_id=str(task.pk)).exists()
    cleared = initiator_api.patch(f"/api/tasks/{task.pk}", {"version": after["version"], "deadline": None})
    assert cleared.json()["deadline"] is None
    stranger = initiator_api.patch(
        f"/api/tasks/{task.pk}", {"version": cleared.json()["version"], "department": "市场部"}
    )
    assert (stranger.status_code, stranger.json()["path"]) == (422, "body.department")


def test_a_task_is_deleted_by_the_initiator(cast: Cast, initiator_api: ApiClient) -> None:
    task = cast.task_of("法务部")
    assert initiator_api.delete(f"/api/tasks/{task.pk}", reason="重复").status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()
    assert initiator_api.get(f"/api/tasks/{task.pk}").status_code == 404


# --- sub-goals


def test_subgoals_are_added_changed_and_deleted_by_their_department(cast: Cast) -> None:
    liaison = as_person(cast.liaison)
    url = "/api/collaborations/demo/subgoals"
    body = {
        "description": "技术部每周五前复盘工单",
        "department": "技术部",
        "metric": "平均处理时长",
        "target": 20,
        "unit": "小时",
        "time_limit": {"kind": "recurring", "rrule": "FREQ=WEEKLY;BYDAY=FR"},
    }
    added = liaison.post(url, body)
    assert added.status_code == 201, added.content
    row = added.json()
    assert (row["metric"]["name"], row["time_limit"]["kind"], row["target"]) == (
        "平均处理时长",
        "recurring",
        20.0,
    )
    assert liaison.post(url, {**body, "department": "产品部"}).status_code == 403
    bad_rule = liaison.post(url, {**body, "time_limit": {"kind": "recurring", "rrule": "EVERY FRIDAY"}})
    assert (bad_rule.status_code, bad_rule.json()["path"]) == (422, "body.time_limit.rrule")
    no_hours = liaison.post(url, {**body, "time_limit": {"kind": "sla", "hours": 0}})
    assert (no_hours.status_code, no_hours.json()["path"]) == (422, "body.time_limit.hours")
    unknown_metric = liaison.post(url, {**body, "metric": "不存在的指标"})
    assert (unknown_metric.status_code, unknown_metric.json()["path"]) == (422, "body.metric")
    sla = liaison.patch(
        f"/api/subgoals/{row['id']}", {"time_limit": {"kind": "sla", "hours": 24, "trigger": "接到工单"}}
    )
    assert sla.status_code == 200
    assert sla.json()["time_limit"] == {
        "kind": "sla",
        "date": None,
        "rrule": "",
        "hours": 24.0,
        "trigger": "接到工单",
    }
    assert sla.json()["description"] == body["description"]
    assert liaison.delete(f"/api/subgoals/{row['id']}").status_code == 204
    assert not SubGoal.objects.filter(pk=row["id"]).exists()
    others = SubGoal.objects.get(collaboration=cast.collab, department__name="产品部")
    assert liaison.patch(f"/api/subgoals/{others.pk}", {"unit": "份"}).status_code == 403
    assert as_person(cast.viewer).get(f"/api/subgoals/{others.pk}").status_code == 200


# --- the organisation


def test_departments_and_people_are_listed_and_searched(cast: Cast) -> None:
    api = as_person(cast.outsider)  # any signed-in person
    departments = api.get("/api/departments").json()
    assert [d["name"] for d in departments["items"]] == sorted(d["name"] for d in departments["items"])
    [tech] = api.get("/api/departments", q="技术").json()["items"]
    assert tech["head"]["name"] == "赵总监"
    assert (tech["parent_id"], tech["source"], tech["external_id"]) == (None, "local", "")
    child = Department.objects.create(
        name="技术部前端组", parent_id=tech["id"], source="wecom", external_id="7"
    )
    [row] = [d for d in api.get("/api/departments", q="前端组").json()["items"]]
    assert (row["id"], row["parent_id"], row["source"], row["external_id"]) == (
        child.pk,
        tech["id"],
        "wecom",
        "7",
    )
    found = api.get("/api/people", q="李").json()
    assert [p["name"] for p in found["items"]] == ["李工"]
    person("gone", is_active=False)
    assert api.get("/api/people", q="gone").json()["count"] == 0
    assert ApiClient().get("/api/people").status_code == 401


def test_text_a_database_cannot_store_is_422_not_a_server_error(cast: Cast, initiator_api: ApiClient) -> None:
    nul = initiator_api.post(
        "/api/collaborations/demo/tasks", {"description": "a\x00b", "department": "技术部"}
    )
    assert (nul.status_code, nul.json()["path"]) == (422, "body.description")
    assert initiator_api.get("/api/people", q="a\x00").status_code == 422
    assert initiator_api.get("/api/collaborations/a%00b").status_code == 404
    goal = initiator_api.get("/api/collaborations/demo/goal").json()
    too_long = initiator_api.put("/api/collaborations/demo/goal", {**goal, "title": "长" * 201})
    assert (too_long.status_code, too_long.json()["path"]) == (422, "body.title")
    assert initiator_api.get("/api/tasks/99999999999999999999").status_code in (404, 422)
