"""Step 7 over the API: progress updates, the weekly progress list, publishing it; pinned times.

The demo: kickoff Monday 2024-07-08, data as of Monday 2024-08-12 (2024-W33);
技术部 did not report in 2024-W32. ``cast.head`` and ``cast.liaison`` are 技术部's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiClient, Cast, as_person
from tests.helpers import TZ, pinned
from xietong.audit.models import AuditEntry
from xietong.collabs.models import Task, TaskStatus
from xietong.tracking.models import ProgressUpdate, WeeklyReport

pytestmark = pytest.mark.django_db
MONDAY = datetime(2024, 8, 12, 12, 0, tzinfo=TZ)


_pinned = pinned(MONDAY)


def tech_task(cast: Cast, description: str = "建立投诉工单系统自动分派规则") -> Task:
    return Task.objects.get(collaboration=cast.collab, description=description)


def report(api: ApiClient, task: Task, **body: object) -> object:
    task.refresh_from_db()
    return api.post(f"/api/tasks/{task.pk}/progress", {"version": task.version, **body})


# --- progress updates


def test_a_liaison_reports_progress_on_their_row(cast: Cast) -> None:
    task = tech_task(cast)
    version = task.version
    response = report(
        as_person(cast.liaison), task, status="done", percent=90, note="规则已上线", next_step="观察一周"
    )
    assert response.status_code == 201, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert (body["task"], body["status"], body["percent"], body["note"], body["next_step"]) == (
        task.pk,
        "done",
        100,
        "规则已上线",
        "观察一周",
    )
    assert body["department"]["name"] == "技术部" and body["author"]["name"] == cast.liaison.name
    assert body["created_at"] == "2024-08-12T12:00:00+08:00"
    assert (body["row"]["status"], body["row"]["percent"], body["row"]["version"]) == (
        "done",
        100,
        version + 1,
    )
    assert ProgressUpdate.objects.filter(task=task, created_at=MONDAY).count() == 1


def test_blocking_needs_a_reason_and_names_the_department_waited_on(cast: Cast) -> None:
    task = tech_task(cast)
    api = as_person(cast.liaison)
    missing = report(api, task, status="blocked", percent=40)
    assert missing.status_code == 422 and missing.json()["path"] == "body.blocked_reason"  # type: ignore[attr-defined]
    own = report(api, task, status="blocked", percent=40, blocked_reason="等", waiting_on="技术部")
    assert own.status_code == 422 and own.json()["path"] == "body.waiting_on"  # type: ignore[attr-defined]
    stranger = report(api, task, status="blocked", percent=40, blocked_reason="等", waiting_on="财务部")
    assert stranger.status_code == 422  # type: ignore[attr-defined]
    assert not ProgressUpdate.objects.filter(task=task, created_at=MONDAY).exists()

    done = report(
        api, task, status="blocked", percent=40, blocked_reason="等待产品部确认", waiting_on="产品部"
    )
    assert done.status_code == 201  # type: ignore[attr-defined]
    assert done.json()["waiting_on"]["name"] == "产品部"  # type: ignore[attr-defined]
    task.refresh_from_db()
    assert (task.blocked_since, task.waiting_on.name if task.waiting_on else None) == (MONDAY, "产品部")
    # Unblocking clears the clock and the department waited on.
    assert report(api, task, status="in_progress").status_code == 201  # type: ignore[attr-defined]
    task.refresh_from_db()
    assert (task.blocked_since, task.waiting_on, task.percent) == (None, None, 40)


def test_a_stale_version_is_409_with_the_row_as_it_is_now(cast: Cast) -> None:
    task = tech_task(cast)
    api = as_person(cast.liaison)
    old = task.version
    assert report(api, task, status="in_progress", percent=85).status_code == 201  # type: ignore[attr-defined]
    stale = api.post(f"/api/tasks/{task.pk}/progress", {"version": old, "status": "done"})
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == old + 1 and stale.json()["current"]["percent"] == 85
    assert ProgressUpdate.objects.filter(task=task, created_at=MONDAY).count() == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 201), ("initiator", 201), ("head", 201), ("member", 403), ("viewer", 403), ("outsider", 404)],
)
def test_who_may_report_on_a_技术部_row(cast: Cast, who: str, status: int) -> None:
    response = report(as_person(getattr(cast, who)), tech_task(cast), status="in_progress", percent=10)
    assert response.status_code == status  # type: ignore[attr-defined]


def test_a_liaison_may_not_report_on_another_departments_row(cast: Cast) -> None:
    row = Task.objects.get(collaboration=cast.collab, description="售后团队时效培训")
    assert report(as_person(cast.liaison), row, status="done").status_code == 403  # type: ignore[attr-defined]


def test_the_updates_are_listed_since_a_moment_in_pages(cast: Cast) -> None:
    api = as_person(cast.viewer)
    everything = api.get("/api/collaborations/demo/progress", limit=500).json()
    assert everything["count"] == ProgressUpdate.objects.filter(collaboration=cast.collab).count() > 40
    times = [item["created_at"] for item in everything["items"]]
    assert times == sorted(times)
    last_friday = api.get("/api/collaborations/demo/progress", since="2024-08-09T00:00:00").json()
    assert {item["department"]["name"] for item in last_friday["items"]} == {"售后部", "产品部", "法务部"}
    assert all(item["created_at"].startswith("2024-08-09") for item in last_friday["items"])
    assert api.get("/api/collaborations/demo/progress", since="soon").status_code == 422
    assert as_person(cast.outsider).get("/api/collaborations/demo/progress").status_code == 404


def _queries(api: ApiClient, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def test_lists_cost_the_same_queries_however_long(cast: Cast) -> None:
    api = as_person(cast.initiator)
    api.get("/api/me")  # the token's "last used" is noted once a minute: not in the counts
    before = {
        path: _queries(api, path)
        for path in (
            "/api/collaborations/demo/progress?limit=500",
            "/api/collaborations/demo/weekly?week=2024-W32",
            "/api/collaborations/demo/weekly-reports",
        )
    }
    rows = list(Task.objects.filter(collaboration=cast.collab).select_related("department"))
    ProgressUpdate.objects.bulk_create(
        ProgressUpdate(
            collaboration=cast.collab,
            task=row,
            department=row.department,
            created_at=MONDAY - timedelta(days=3, minutes=i),
            status=TaskStatus.IN_PROGRESS,
        )
        for i in range(20)
        for row in rows
    )
    for week in ("2024-W31", "2024-W32"):
        api.post(f"/api/collaborations/demo/weekly/{week}/publish", {"remarks": week})
    assert {path: _queries(api, path) for path in before} == before


# --- the weekly list


def test_the_weekly_list_of_a_past_week(cast: Cast) -> None:
    body = as_person(cast.viewer).get("/api/collaborations/demo/weekly", week="2024-W32").json()
    assert (body["week"], body["starts"], body["ends"], body["live"]) == (
        "2024-W32",
        "2024-08-05",
        "2024-08-11",
        False,
    )
    assert body["as_of"] == "2024-08-12T00:00:00+08:00"
    assert [d["name"] for d in body["departments"]] == ["售后部", "产品部", "技术部", "法务部"]
    tech = body["departments"][2]
    # Its last report (2 August) came before the meeting of 5 August: due by the next one, not late.
    assert (tech["reported"], tech["pending"], tech["not_reported"]) == (False, True, False)
    assert (body["reporting_since"], body["report_due"]) == (
        "2024-08-05T10:00:00+08:00",
        "2024-08-12T10:00:00+08:00",
    )
    assert [(r["description"], r["group"]) for r in tech["rows"]] == [
        ("上线投诉处理时效看板", "done"),
        ("修复 TOP3 高频产品缺陷", "in_progress"),
        ("建立投诉工单系统自动分派规则", "overdue"),
    ]
    assert body["not_reported"] == [] and body["totals"]["pending"] == 1
    assert [(c["description"], c["before"], c["after"]) for c in body["changes"]] == [
        ("输出产品优化方案(第一版)", "in_progress", "done")
    ]
    assert body["totals"]["overdue"] == 1 and body["published"] is None


def test_the_weekly_list_of_this_week_by_default(cast: Cast) -> None:
    body = as_person(cast.liaison).get("/api/collaborations/demo/weekly").json()
    assert (body["week"], body["live"]) == ("2024-W33", True)
    blocked = [r for d in body["departments"] for r in d["rows"] if r["group"] == "blocked"]
    assert [
        (r["blocker"]["reason"], r["blocker"]["working_days"], r["blocker"]["level"]) for r in blocked
    ] == [("等待产品部确认缺陷修复优先级", 1, 0)]


@pytest.mark.parametrize("week", ["2024-W54", "2024-32", "x" * 30, "1999-W01"])
def test_a_malformed_week_is_422(cast: Cast, week: str) -> None:
    response = as_person(cast.initiator).get("/api/collaborations/demo/weekly", week=week)
    assert response.status_code == 422 and response.json()["path"] == "query.week"


def test_the_initiator_publishes_a_week_then_publishes_it_again(cast: Cast) -> None:
    api = as_person(cast.initiator)
    first = api.post("/api/collaborations/demo/weekly/2024-W32/publish", {"remarks": "技术部请补交"})
    assert first.status_code == 201
    body = first.json()
    assert (body["week"], body["remarks"], body["published_by"]["name"]) == (
        "2024-W32",
        "技术部请补交",
        cast.initiator.name,
    )
    assert [d["name"] for d in body["content"]["departments"] if d["pending"]] == ["技术部"]
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        again = api.post("/api/collaborations/demo/weekly/2024-W32/publish", {"remarks": "已补交"})
    assert again.status_code == 200 and again.json()["remarks"] == "已补交"
    assert again.json()["published_at"] == "2024-08-12T13:00:00+08:00"
    assert WeeklyReport.objects.filter(collaboration=cast.collab).count() == 1
    history = AuditEntry.objects.filter(object_type="tracking.weeklyreport").order_by("id")
    assert [(e.change, (e.before or {}).get("remarks")) for e in history] == [
        ("create", None),
        ("update", "技术部请补交"),
    ]
    listed = as_person(cast.viewer).get("/api/collaborations/demo/weekly", week="2024-W32").json()
    assert listed["published"]["remarks"] == "已补交"
    reports = as_person(cast.viewer).get("/api/collaborations/demo/weekly-reports").json()
    assert reports["count"] == 1 and reports["items"][0]["content"]["week"] == "2024-W32"


def test_publishing_needs_the_initiator_and_a_week_that_has_begun(cast: Cast) -> None:
    path = "/api/collaborations/demo/weekly/2024-W32/publish"
    assert as_person(cast.liaison).post(path, {"remarks": ""}).status_code == 403
    assert as_person(cast.viewer).post(path, {"remarks": ""}).status_code == 403
    assert as_person(cast.outsider).post(path, {"remarks": ""}).status_code == 404
    future = as_person(cast.initiator).post("/api/collaborations/demo/weekly/2024-W34/publish", {})
    assert future.status_code == 422 and future.json()["path"] == "path.week"
    bad = as_person(cast.initiator).post("/api/collaborations/demo/weekly/W34/publish", {})
    assert bad.status_code == 422
    assert not WeeklyReport.objects.exists()
