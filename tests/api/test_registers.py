"""Step 7's registers over the API: issues, risks, SLA requests, occurrences, compliance,
allocations and milestones, in every role and at pinned times.

``cast.head`` and ``cast.liaison`` are 技术部's; the demo's initiator is 售后部's head.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import Cast, as_person
from tests.helpers import TZ, at, liaison_of, pinned
from xietong.collabs.models import Collaboration, CollabType, DeadlineKind, SubGoal
from xietong.meetings.models import Meeting, MeetingKind
from xietong.tracking.actions.registers import IssueInput, RiskInput, do_save_issue, do_save_risk
from xietong.tracking.actions.sla import do_answer_sla, do_open_sla_request, do_pause_sla
from xietong.tracking.models import IssueEntry, Level, Risk, RiskStatus, SlaRequest, SubGoalCheck

pytestmark = pytest.mark.django_db
MONDAY = datetime(2024, 8, 12, 12, 0, tzinfo=TZ)


_pinned = pinned(MONDAY)


@pytest.fixture(autouse=True)
def _blank_registers(demo: Collaboration) -> None:
    """Start from empty registers: the demo's own (weeks of requests, checks, issues, risks) would blur the counts."""
    SlaRequest.objects.filter(collaboration=demo).delete()
    SubGoalCheck.objects.filter(subgoal__collaboration=demo).delete()
    IssueEntry.objects.filter(collaboration=demo).delete()
    Risk.objects.filter(collaboration=demo).delete()
    Meeting.objects.filter(collaboration=demo, kind=MeetingKind.ADHOC).delete()


def version(cast: Cast) -> int:
    cast.collab.refresh_from_db()
    return cast.collab.version


def base(cast: Cast) -> str:
    return f"/api/collaborations/{cast.collab.slug}"


# --- issues


def test_issues_in_every_role(cast: Cast) -> None:
    url = f"{base(cast)}/issues"
    body = {"title": "工单字段不全", "raised_by": "售后部", "owner": "技术部", "due_date": "2024-08-09"}
    created = as_person(cast.liaison).post(url, body)
    assert created.status_code == 201, created.content
    issue = created.json()
    assert issue["owner"]["name"] == "技术部" and issue["overdue"] is True and issue["status"] == "open"
    assert as_person(cast.head).post(url, {**body, "title": "另一个"}).status_code == 201
    # another department's liaison, a viewer: 403; an outsider: 404
    product = as_person(liaison_of(cast.collab, "产品部"))
    assert product.post(url, {"title": "x", "owner": "技术部"}).status_code == 403
    assert (
        product.patch(f"/api/issues/{issue['id']}", {"version": version(cast), "title": "y"}).status_code
        == 403
    )
    assert as_person(cast.viewer).post(url, body).status_code == 403
    assert as_person(cast.outsider).get(url).status_code == 404
    assert as_person(cast.outsider).patch(f"/api/issues/{issue['id']}", {"version": 1}).status_code == 404
    # a liaison may not give the row away
    away = {"version": version(cast), "raised_by": None, "owner": "产品部"}
    assert as_person(cast.liaison).patch(f"/api/issues/{issue['id']}", away).status_code == 403
    # decided in a meeting, closed with the resolution
    meeting = Meeting.objects.filter(collaboration=cast.collab).first()
    assert meeting is not None
    closing = {"version": version(cast), "decided_in": meeting.pk, "status": "closed"}
    refused = as_person(cast.liaison).patch(f"/api/issues/{issue['id']}", closing)
    assert refused.status_code == 422 and refused.json()["path"] == "body.resolution"
    closed = as_person(cast.liaison).patch(
        f"/api/issues/{issue['id']}", {**closing, "resolution": "补齐字段"}
    )
    assert closed.status_code == 200, closed.content
    assert closed.json()["decided_in"]["id"] == meeting.pk and closed.json()["overdue"] is False
    stale = as_person(cast.initiator).patch(f"/api/issues/{issue['id']}", {"version": 1, "title": "z"})
    assert stale.status_code == 409 and stale.json()["current"]["title"] == "工单字段不全"
    listed = as_person(cast.viewer).get(url, status="closed").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == issue["id"]
    assert as_person(cast.viewer).get(url, overdue="true").json()["count"] == 1
    # deleting is the initiator's
    assert as_person(cast.liaison).delete(f"/api/issues/{issue['id']}").status_code == 403
    assert as_person(cast.initiator).delete(f"/api/issues/{issue['id']}").status_code == 204


# --- risks


def test_a_risk_is_triggered_and_calls_the_meeting(cast: Cast) -> None:
    url = f"{base(cast)}/risks"
    body = {
        "description": "工单系统改造延期",
        "probability": "high",
        "impact": "medium",
        "owner": "技术部",
        "response_plan": "先用人工分派兜底",
        "trigger": "延期超过 3 个工作日",
    }
    assert as_person(liaison_of(cast.collab, "产品部")).post(url, body).status_code == 403
    assert as_person(cast.viewer).post(url, body).status_code == 403
    created = as_person(cast.liaison).post(url, body)
    assert created.status_code == 201
    risk = created.json()
    assert (risk["score"], risk["level"], risk["meeting"]) == (6, "high", None)
    trigger = f"/api/risks/{risk['id']}/trigger"
    assert as_person(liaison_of(cast.collab, "产品部")).post(trigger).status_code == 403
    assert as_person(cast.viewer).post(trigger).status_code == 403
    assert as_person(cast.outsider).post(trigger).status_code == 404
    answer = as_person(cast.liaison).post(trigger)
    assert answer.status_code == 201, answer.content
    meeting = Meeting.objects.get(collaboration=cast.collab, kind=MeetingKind.ADHOC)
    assert answer.json()["meeting"]["id"] == meeting.pk
    assert answer.json()["url"] == f"/c/{cast.collab.slug}/meetings/{meeting.pk}/"
    assert answer.json()["meeting"]["scheduled_at"].startswith("2024-08-13T10:00:00")
    assert as_person(cast.liaison).post(trigger).status_code == 422  # already triggered
    listed = as_person(cast.viewer).get(url).json()["items"][0]
    assert listed["status"] == "triggered" and listed["meeting"] == meeting.pk
    patched = as_person(cast.initiator).patch(
        f"/api/risks/{risk['id']}", {"version": version(cast), "impact": "low"}
    )
    assert patched.status_code == 200 and patched.json()["level"] == "medium"
    assert (
        as_person(cast.liaison).post(f"/api/risks/{risk['id']}/close").json()["status"] == RiskStatus.CLOSED
    )


# --- SLA requests


def tech_sla(cast: Cast, clock: str = "working") -> SubGoal:
    goal = SubGoal.objects.get(
        collaboration=cast.collab, department__name="技术部", deadline_kind=DeadlineKind.SLA
    )
    goal.sla_clock = clock
    goal.save(update_fields=["sla_clock"])
    return goal


def test_sla_requests_in_every_role(cast: Cast) -> None:
    goal = tech_sla(cast)
    url = f"{base(cast)}/sla-requests"
    body = {"subgoal": goal.pk, "requester": "售后部", "subject": "投诉 #1024 的技术结论"}
    # 技术部 does not ask itself; 产品部 not in 售后部's name; a viewer never
    assert as_person(cast.liaison).post(url, {**body, "requester": "技术部"}).status_code == 422
    assert as_person(cast.liaison).post(url, body).status_code == 403
    assert as_person(liaison_of(cast.collab, "产品部")).post(url, body).status_code == 403
    assert as_person(cast.viewer).post(url, body).status_code == 403
    assert as_person(cast.outsider).post(url, body).status_code == 404
    created = as_person(liaison_of(cast.collab, "售后部")).post(
        url, {**body, "at": "2024-08-12T09:00:00+08:00"}
    )
    assert created.status_code == 201, created.content
    request = created.json()
    assert request["clock"]["state"] == "running" and request["clock"]["used_hours"] == 3
    assert request["clock_kind"] == "working" and request["department"]["name"] == "技术部"
    pause = f"/api/sla-requests/{request['id']}/pause"
    assert as_person(liaison_of(cast.collab, "售后部")).post(pause, {"reason": "x"}).status_code == 403
    assert as_person(cast.viewer).post(pause, {"reason": "x"}).status_code == 403
    paused = as_person(cast.liaison).post(pause, {"reason": "等售后补充日志"})
    assert paused.status_code == 200 and paused.json()["clock"]["state"] == "paused"
    assert as_person(cast.liaison).post(pause, {"reason": "again"}).status_code == 422
    with time_machine.travel(at(2024, 8, 13, 9), tick=False):
        resumed = as_person(cast.head).post(f"/api/sla-requests/{request['id']}/resume", {})
        assert resumed.json()["clock"]["state"] == "running"
    with time_machine.travel(at(2024, 8, 13, 10), tick=False):
        answered = as_person(cast.liaison).post(
            f"/api/sla-requests/{request['id']}/answer", {"answer": "缺陷已修复"}
        )
    assert answered.json()["clock"] == {
        **answered.json()["clock"],
        "state": "met",
        "used_hours": 4.0,
        "compliant": True,
    }
    assert as_person(cast.viewer).get(url, open="false").json()["count"] == 1
    assert as_person(cast.viewer).get(url, open="true").json()["count"] == 0
    future = as_person(liaison_of(cast.collab, "售后部")).post(
        url, {**body, "at": "2024-08-20T09:00:00+08:00"}
    )
    assert future.status_code == 422


def test_an_sla_request_across_national_day_and_the_make_up_sunday(cast: Cast) -> None:
    goal = tech_sla(cast)
    request = do_open_sla_request(goal, cast.department("售后部"), "投诉 #1024", at(2024, 9, 27, 17))
    with time_machine.travel(at(2024, 10, 5, 12), tick=False):
        found = as_person(cast.viewer).get(f"{base(cast)}/sla-requests").json()["items"]
    clock = next(r for r in found if r["id"] == request.pk)["clock"]
    assert clock["state"] == "running" and clock["used_hours"] == 19
    assert clock["deadline"].startswith("2024-10-08T14:00:00")


def test_sla_requests_are_listed_in_constant_queries(cast: Cast) -> None:
    goal = tech_sla(cast)

    def grow(n: int) -> None:
        for i in range(n):
            r = do_open_sla_request(goal, cast.department("售后部"), f"请求 {i}", at(2024, 8, 9, 9))
            do_pause_sla(r, at(2024, 8, 9, 10), "等资料")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert as_person(cast.viewer).get(f"{base(cast)}/sla-requests").status_code == 200
        return len(queries)

    grow(2)
    small = count()
    grow(10)
    assert count() == small
    assert SlaRequest.objects.count() == 12


# --- recurring occurrences and compliance


def test_occurrences_are_recorded_by_their_department(cast: Cast) -> None:
    daily = SubGoal.objects.get(
        collaboration=cast.collab, department__name="售后部", deadline_kind=DeadlineKind.RECURRING
    )
    listed = as_person(cast.viewer).get(f"{base(cast)}/occurrences").json()
    today = next(o for o in listed if o["subgoal"] == daily.pk and o["due_at"].startswith("2024-08-12T10:00"))
    assert today["state"] == "missed"
    url = f"{base(cast)}/subgoals/{daily.pk}/checks"
    body = {"due_at": "2024-08-13T10:00:00+08:00"}
    assert as_person(cast.liaison).post(url, body).status_code == 403  # 技术部's
    assert as_person(cast.viewer).post(url, body).status_code == 403
    assert as_person(cast.outsider).post(url, body).status_code == 404
    done = as_person(liaison_of(cast.collab, "售后部")).post(url, body)
    assert done.status_code == 200 and done.json()["state"] == "met"
    late = as_person(liaison_of(cast.collab, "售后部")).post(
        url, {"due_at": "2024-08-09T10:00:00+08:00", "done_at": "2024-08-09T11:00:00+08:00"}
    )
    assert late.json()["state"] == "missed"
    wrong = as_person(liaison_of(cast.collab, "售后部")).post(
        url, {"due_at": "2024-08-10T10:00:00+08:00"}
    )  # a Saturday
    assert wrong.status_code == 422
    assert SubGoalCheck.objects.filter(subgoal=daily).count() == 2


def test_compliance_per_department_and_week(cast: Cast) -> None:
    goal = tech_sla(cast, "calendar")
    ok = do_open_sla_request(goal, cast.department("售后部"), "A", at(2024, 8, 5, 9))
    do_answer_sla(ok, at(2024, 8, 5, 10), "ok")
    slow = do_open_sla_request(goal, cast.department("售后部"), "B", at(2024, 8, 6, 9))
    do_answer_sla(slow, at(2024, 8, 8, 9), "slow")
    body = as_person(cast.viewer).get(f"{base(cast)}/compliance").json()
    assert body["weeks"] == ["2024-W28", "2024-W29", "2024-W30", "2024-W31", "2024-W32", "2024-W33"]
    tech = next(r for r in body["rows"] if r["department"] == "技术部" and r["kind"] == "sla")
    assert tech["weeks"]["2024-W32"] == {"met": 1, "decided": 2, "share": 0.5}
    assert tech["weeks"]["2024-W33"] is None and tech["total"]["decided"] == 2
    sales = next(r for r in body["rows"] if r["department"] == "售后部" and r["kind"] == "recurring")
    assert sales["weeks"]["2024-W32"] == {"met": 0, "decided": 5, "share": 0.0}


# --- allocations and milestones


def test_allocations_are_the_initiators(cast: Cast) -> None:
    url = f"{base(cast)}/allocations"
    body = {
        "resource": "借调工程师 2 名",
        "from_department": "技术部",
        "to_department": "售后部",
        "return_date": "2024-08-09",
    }
    assert as_person(cast.initiator).post(url, body).status_code == 422  # not a resource coordination
    cast.collab.type = CollabType.RESOURCE_COORDINATION
    cast.collab.save(update_fields=["type"])
    assert as_person(cast.liaison).post(url, body).status_code == 403
    assert as_person(cast.viewer).post(url, body).status_code == 403
    assert as_person(cast.outsider).get(url).status_code == 404
    created = as_person(cast.initiator).post(url, body)
    assert created.status_code == 201 and created.json()["state"] == "overdue"
    pk = created.json()["id"]
    assert (
        as_person(cast.liaison)
        .patch(f"/api/allocations/{pk}", {"version": version(cast), "returned": True})
        .status_code
        == 403
    )
    returned = as_person(cast.initiator).patch(
        f"/api/allocations/{pk}", {"version": version(cast), "returned": True}
    )
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    moved = as_person(cast.initiator).patch(
        f"/api/allocations/{pk}", {"version": version(cast), "returned": False, "return_date": "2024-08-14"}
    )
    assert moved.json()["state"] == "due_soon"
    assert (
        as_person(cast.initiator).patch(f"/api/allocations/{pk}", {"version": 1, "rule": "x"}).status_code
        == 409
    )
    assert as_person(cast.viewer).get(url).json()["count"] == 1
    assert as_person(cast.initiator).delete(f"/api/allocations/{pk}").status_code == 204


def test_milestones_are_the_initiators(cast: Cast) -> None:
    cast.collab.type = CollabType.PROCESS_OPTIMIZATION
    cast.collab.save(update_fields=["type"])
    url = f"{base(cast)}/milestones"
    assert (
        as_person(cast.liaison).post(url, {"name": "试点上线", "due_date": "2024-08-01"}).status_code == 403
    )
    created = as_person(cast.initiator).post(url, {"name": "试点上线", "due_date": "2024-08-01"})
    assert created.status_code == 201 and created.json()["late"] is True
    pk = created.json()["id"]
    done = as_person(cast.initiator).patch(
        f"/api/milestones/{pk}", {"version": version(cast), "done": True, "due_date": "2024-08-31"}
    )
    assert done.status_code == 200 and done.json()["late"] is False and done.json()["done_at"]
    assert as_person(cast.viewer).get(url).json()["items"][0]["name"] == "试点上线"
    assert as_person(cast.initiator).delete(f"/api/milestones/{pk}").status_code == 204


def test_a_closed_collaboration_refuses_register_writes(cast: Cast) -> None:
    issue = do_save_issue(cast.collab, IssueInput("工单字段不全", owner=cast.department("技术部")))
    risk = do_save_risk(
        cast.collab, RiskInput("延期", Level.HIGH, Level.HIGH, owner=cast.department("技术部"))
    )
    cast.collab.closed_at = MONDAY
    cast.collab.save(update_fields=["closed_at"])
    assert (
        as_person(cast.initiator)
        .patch(f"/api/issues/{issue.pk}", {"version": version(cast), "title": "x"})
        .status_code
        == 403
    )
    assert as_person(cast.initiator).post(f"/api/risks/{risk.pk}/trigger").status_code == 403
    assert as_person(cast.viewer).get(f"{base(cast)}/issues").status_code == 200
