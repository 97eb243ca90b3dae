"""Meetings over the API: the kickoff, its agenda, offers and needs, minutes, regular meetings.

Times are pinned: "now" is what the API records as sent, issued, confirmed.
The demo (kickoff 2024-07-08, data as of 2024-08-12) holds a confirmed
kickoff, weekly meetings every Monday with their minutes (the one of
2024-08-05 still waits for 技术部 and 法务部), and the meeting of 2024-08-12
opened but not yet held.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiClient, Cast, as_person, person
from tests.helpers import TZ
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Participant, SubGoal, Task
from xietong.collabs.presets import KICKOFF_AGENDA
from xietong.meetings.actions.minutes import ISSUED_MESSAGE, LOCKED_MESSAGE
from xietong.meetings.models import (
    AgendaItem,
    CommunicationRule,
    Contribution,
    ContributionKind,
    Material,
    Meeting,
    MeetingKind,
    MinutesConfirmation,
    MinutesCorrection,
    MinutesItem,
    MinutesItemKind,
    MinutesRevision,
)
from xietong.orgs.models import Department, Person

pytestmark = pytest.mark.django_db
GOOD = Path(__file__).resolve().parent.parent / "charters" / "good.json"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[arg-type,misc]


def travel(*args: int) -> Any:
    return time_machine.travel(at(*args), tick=False)


def kickoff_of(collab: Collaboration) -> Meeting:
    return Meeting.objects.get(collaboration=collab, kind=MeetingKind.KICKOFF)


def weekly(collab: Collaboration, day: date) -> Meeting:
    return Meeting.objects.get(collaboration=collab, kind=MeetingKind.RECURRING, scheduled_at__date=day)


def meeting_url(meeting: Meeting, tail: str = "") -> str:
    return f"/api/collaborations/{meeting.collaboration.slug}/meetings/{meeting.pk}{tail}"


def heads(collab: Collaboration) -> list[tuple[str, Person]]:
    rows = Participant.objects.filter(collaboration=collab).select_related("department__head")
    return [(p.department.name, p.department.head) for p in rows if p.department.head is not None]


@pytest.fixture
def fresh(cast: Cast) -> Collaboration:
    """The guide's example without a kickoff, run by the demo's initiator (the same 王经理)."""
    data = json.loads(GOOD.read_text(encoding="utf-8"))
    data["kickoff"] = None
    collab = do_import_charter(parse_charter(data), slug="fresh")
    assert collab.owner == cast.initiator
    return collab


# --- reading


def test_the_list_holds_the_kickoff_and_the_weekly_meetings_in_time_order(cast: Cast) -> None:
    page = as_person(cast.liaison).get("/api/collaborations/demo/meetings").json()
    meetings = page["items"]
    # the kickoff, five weekly meetings and the ad-hoc meeting the demo's triggered risk called
    assert page["count"] == len(meetings) == 1 + 5 + 1
    assert [m["kind"] for m in meetings].count("adhoc") == 1
    kickoff = meetings[0]
    assert (kickoff["kind"], kickoff["scheduled_at"]) == ("kickoff", "2024-07-08T10:00:00+08:00")
    assert kickoff["chair"]["name"] == "王经理" and kickoff["duration_minutes"] == 120
    assert {"王经理", "李工", "赵总监"} <= {p["name"] for p in kickoff["attendees"]}
    assert kickoff["agenda_sent_at"] == "2024-07-04T17:00:00+08:00"
    assert kickoff["minutes"]["state"] == "confirmed" and kickoff["minutes"]["revision"] == 1
    assert kickoff["minutes"]["locked_at"] is not None
    weeklies = [m for m in meetings if m["kind"] == "recurring"]
    assert len(weeklies) == 5
    assert [m["scheduled_at"][:10] for m in weeklies] == [
        "2024-07-15",
        "2024-07-22",
        "2024-07-29",
        "2024-08-05",
        "2024-08-12",
    ]
    rule = CommunicationRule.objects.get(collaboration=cast.collab, channel="weekly_meeting")
    assert {m["series"] for m in weeklies} == {rule.pk}
    assert [m["minutes"]["state"] for m in weeklies] == [
        "confirmed",
        "confirmed",
        "confirmed",
        "issued",
        "draft",
    ]
    assert as_person(cast.outsider).get("/api/collaborations/demo/meetings").status_code == 404
    assert ApiClient().get("/api/collaborations/demo/meetings").status_code == 401


def test_one_meeting_holds_its_agenda_offers_and_needs_minutes_and_their_history(cast: Cast) -> None:
    kickoff = kickoff_of(cast.collab)
    Material.objects.create(
        meeting=kickoff,
        file="meetings/x.pdf",
        name="投诉数据分析.pdf",
        size=2048,
        content_type="application/pdf",
        uploaded_by=cast.initiator,
    )
    got = as_person(cast.viewer).get(meeting_url(kickoff)).json()
    assert len(got["agenda"]) == 5 and got["agenda"][0]["position"] == 0
    (material,) = got["materials"]
    assert (material["name"], material["size"], material["content_type"]) == (
        "投诉数据分析.pdf",
        2048,
        "application/pdf",
    )
    assert material["uploaded_by"]["name"] == "王经理" and "file" not in material
    needs = [c for c in got["contributions"] if c["kind"] == "need"]
    offers = [c for c in got["contributions"] if c["kind"] == "offer"]
    assert len(needs) == len(offers) == 4
    assert all(n["counterpart"] is not None for n in needs)
    assert all((n["task"] is None) != (n["subgoal"] is None) for n in needs)
    minutes = got["minutes"]
    assert minutes["summary"].startswith("启动会由发起部门负责人王经理主持")
    actions = [i for i in minutes["items"] if i["kind"] == "action"]
    assert actions and all(i["task"] and i["department"] and i["standard"] and i["deadline"] for i in actions)
    assert {c["department"]["name"] for c in minutes["confirmations"]} == {
        "售后部",
        "产品部",
        "技术部",
        "法务部",
    }
    assert minutes["awaiting"] == [] and minutes["corrections"] == []
    (revision,) = minutes["revisions"]
    assert revision["number"] == 1 and revision["issued_by"]["name"] == "王经理"
    assert len(revision["content"]["items"]) == len(minutes["items"])
    assert len(revision["confirmations"]) == 4


def test_minutes_waiting_for_heads_say_which(cast: Cast) -> None:
    waiting = as_person(cast.head).get(meeting_url(weekly(cast.collab, date(2024, 8, 5)))).json()
    assert waiting["minutes"]["state"] == "issued"
    assert [d["name"] for d in waiting["minutes"]["awaiting"]] == ["技术部", "法务部"]


def test_a_meeting_of_another_collaboration_or_none_is_404(cast: Cast, fresh: Collaboration) -> None:
    api = as_person(cast.initiator)
    demo_kickoff = kickoff_of(cast.collab)
    assert api.get(f"/api/collaborations/fresh/meetings/{demo_kickoff.pk}").status_code == 404
    assert api.get("/api/collaborations/demo/meetings/999999").status_code == 404
    assert as_person(cast.outsider).get(meeting_url(demo_kickoff)).status_code == 404


# --- the kickoff and its agenda


def test_the_initiator_schedules_the_kickoff_with_the_guides_five_items(
    cast: Cast, fresh: Collaboration
) -> None:
    url = "/api/collaborations/fresh/kickoff"
    body = {"scheduled_at": "2024-07-08T10:00:00+08:00", "location": "第一会议室"}
    assert as_person(cast.liaison).post(url, body).status_code == 403
    assert as_person(cast.outsider).post(url, body).status_code == 404
    created = as_person(cast.initiator).post(url, body)
    assert created.status_code == 201, created.content
    meeting = created.json()
    assert (meeting["kind"], meeting["location"], meeting["duration_minutes"]) == (
        "kickoff",
        "第一会议室",
        60,
    )
    assert meeting["chair"]["name"] == "王经理"
    assert [a["title"] for a in meeting["agenda"]] == [str(title) for title in KICKOFF_AGENDA]
    assert {"李工", "赵总监"} <= {p["name"] for p in meeting["attendees"]}
    # Moved: same meeting, a local time without an offset is read in Shanghai.
    moved = as_person(cast.initiator).post(url, {"scheduled_at": "2024-07-09T14:00", "duration_minutes": 90})
    assert moved.status_code == 200
    assert (moved.json()["id"], moved.json()["scheduled_at"]) == (meeting["id"], "2024-07-09T14:00:00+08:00")
    assert (moved.json()["location"], moved.json()["duration_minutes"]) == ("第一会议室", 90)
    too_far = as_person(cast.initiator).post(url, {"scheduled_at": "1999-12-31T10:00:00+08:00"})
    assert (too_far.status_code, too_far.json()["path"]) == (422, "body.scheduled_at")
    assert (
        as_person(cast.initiator)
        .post(url, {"scheduled_at": "2024-07-09T14:00", "duration_minutes": 0})
        .status_code
        == 422
    )


def test_agenda_items_are_added_changed_and_removed_by_the_initiator(cast: Cast) -> None:
    kickoff = kickoff_of(cast.collab)
    api = as_person(cast.initiator)
    added = api.post(meeting_url(kickoff, "/agenda-items"), {"title": "风险预案讨论", "notes": "法务部准备"})
    assert added.status_code == 201, added.content
    item = added.json()
    assert item["position"] == 5 and item["notes"] == "法务部准备"
    item_url = meeting_url(kickoff, f"/agenda-items/{item['id']}")
    changed = api.put(item_url, {"title": "风险应对方案讨论"})
    assert (changed.status_code, changed.json()["title"], changed.json()["notes"]) == (
        200,
        "风险应对方案讨论",
        "",
    )
    assert as_person(cast.liaison).put(item_url, {"title": "x"}).status_code == 403
    assert as_person(cast.viewer).delete(item_url).status_code == 403
    assert api.post(meeting_url(kickoff, "/agenda-items"), {"title": ""}).status_code == 422
    other = weekly(cast.collab, date(2024, 8, 12))
    assert api.put(meeting_url(other, f"/agenda-items/{item['id']}"), {"title": "x"}).status_code == 404
    assert api.delete(item_url).status_code == 204
    assert not AgendaItem.objects.filter(pk=item["id"]).exists()
    assert api.delete(item_url).status_code == 404


def test_a_late_agenda_asks_for_confirmation_first_k02(cast: Cast, fresh: Collaboration) -> None:
    api = as_person(cast.initiator)
    meeting_id = api.post(
        "/api/collaborations/fresh/kickoff", {"scheduled_at": "2024-07-08T10:00:00+08:00"}
    ).json()["id"]
    url = f"/api/collaborations/fresh/meetings/{meeting_id}/send-agenda"
    with travel(2024, 7, 6, 9):  # 49 hours before
        refused = api.post(url, {})
        assert refused.status_code == 409
        assert "K02" in refused.json()["detail"] and "72" in refused.json()["detail"]
        assert Meeting.objects.get(pk=meeting_id).agenda_sent_at is None
        assert as_person(cast.liaison).post(url, {"confirm_late": True}).status_code == 403
        sent = api.post(url, {"confirm_late": True})
    assert sent.status_code == 200, sent.content
    assert sent.json()["agenda_sent_at"] == "2024-07-06T09:00:00+08:00"
    assert {"王经理", "李工", "赵总监"} <= set(sent.json()["agenda_sent_to"])
    findings = api.get("/api/collaborations/fresh/findings", today="2024-07-07").json()["findings"]
    assert "K02" in {f["rule"] for f in findings}
    with travel(2024, 7, 7, 9):
        unchanged = api.post(url, {})  # nothing changed since: refused, nothing sent twice
        assert unchanged.status_code == 409 and "没有变化" in unchanged.json()["detail"]
        api.post(f"/api/collaborations/fresh/meetings/{meeting_id}/agenda-items", {"title": "风险预案"})
        again = api.post(url, {})  # sent again (an update): no question, the first time stays
    assert (again.status_code, again.json()["agenda_sent_at"]) == (200, "2024-07-06T09:00:00+08:00")


def test_an_agenda_sent_three_days_ahead_needs_no_confirmation(cast: Cast, fresh: Collaboration) -> None:
    api = as_person(cast.initiator)
    meeting_id = api.post(
        "/api/collaborations/fresh/kickoff", {"scheduled_at": "2024-07-08T10:00:00+08:00"}
    ).json()["id"]
    with travel(2024, 7, 4, 17):
        sent = api.post(
            f"/api/collaborations/fresh/meetings/{meeting_id}/send-agenda", {"confirm_late": False}
        )
    assert (sent.status_code, sent.json()["agenda_sent_at"]) == (200, "2024-07-04T17:00:00+08:00")
    findings = api.get("/api/collaborations/fresh/findings", today="2024-07-07").json()["findings"]
    assert "K02" not in {f["rule"] for f in findings}


def test_a_weekly_meetings_agenda_is_sent_without_the_kickoffs_72_hours(cast: Cast) -> None:
    meeting = weekly(cast.collab, date(2024, 8, 12))
    with travel(2024, 8, 12, 8):
        sent = as_person(cast.initiator).post(meeting_url(meeting, "/send-agenda"), {})
    assert (sent.status_code, sent.json()["agenda_sent_at"]) == (200, "2024-08-12T08:00:00+08:00")


# --- offers and needs


def test_a_department_records_its_offers_and_needs_and_a_need_becomes_a_task_or_sub_goal(cast: Cast) -> None:
    meeting = weekly(cast.collab, date(2024, 8, 12))
    url = meeting_url(meeting, "/contributions")
    liaison = as_person(cast.liaison)  # 技术部's
    need = {"kind": "need", "department": "技术部", "counterpart": "产品部", "text": "提供缺陷复现环境"}
    added = liaison.post(url, need)
    assert added.status_code == 201, added.content
    entry = added.json()
    assert (entry["department"]["name"], entry["counterpart"]["name"], entry["task"]) == (
        "技术部",
        "产品部",
        None,
    )
    assert liaison.post(url, {**need, "department": "产品部", "counterpart": "技术部"}).status_code == 403
    assert as_person(cast.viewer).post(url, need).status_code == 403
    mine = liaison.post(url, {**need, "counterpart": "技术部"})
    assert (mine.status_code, mine.json()["path"]) == (422, "body.counterpart")
    assert liaison.post(url, {**need, "department": "财务部"}).status_code == 422

    # The proposal is a row of the department asked: 产品部's people or the initiator make it.
    assert liaison.post(f"{url}/{entry['id']}/task").status_code == 403
    task = as_person(cast.initiator).post(f"{url}/{entry['id']}/task")
    assert task.status_code == 201, task.content
    row = task.json()
    assert (row["department"]["name"], [d["name"] for d in row["collaborators"]]) == ("产品部", ["技术部"])
    assert (row["standard"], row["deadline"]) == ("", None)  # R03 / R04 ask for them
    again = as_person(cast.initiator).post(f"{url}/{entry['id']}/task")
    assert (again.status_code, again.json()["id"]) == (200, row["id"])
    assert Task.objects.filter(collaboration=cast.collab, description="提供缺陷复现环境").count() == 1
    subgoal = as_person(cast.initiator).post(f"{url}/{entry['id']}/subgoal")
    assert subgoal.status_code == 201
    assert SubGoal.objects.get(pk=subgoal.json()["id"]).department.name == "产品部"  # type: ignore[union-attr]
    stored = Contribution.objects.get(pk=entry["id"])
    assert (stored.task_id, stored.subgoal_id) == (row["id"], subgoal.json()["id"])

    offer = as_person(cast.head).post(url, {"kind": "offer", "department": "技术部", "text": "开放日志查询"})
    assert offer.status_code == 201
    not_a_need = as_person(cast.initiator).post(f"{url}/{offer.json()['id']}/task")
    assert not_a_need.status_code == 409 and "需要的配合" in not_a_need.json()["detail"]
    product_offer = Contribution.objects.filter(
        meeting__collaboration=cast.collab, department__name="产品部"
    ).first()
    assert product_offer is not None
    assert (
        liaison.delete(meeting_url(product_offer.meeting, f"/contributions/{product_offer.pk}")).status_code
        == 403
    )
    assert liaison.delete(f"{url}/{offer.json()['id']}").status_code == 204
    assert liaison.delete(f"{url}/{entry['id']}").status_code == 204
    assert Task.objects.filter(pk=row["id"]).exists()  # the row it became stays


# --- minutes


def test_the_minutes_flow_issue_confirm_correct_reissue_lock(cast: Cast) -> None:
    meeting = weekly(cast.collab, date(2024, 8, 12))
    items_url = meeting_url(meeting, "/minutes/items")
    api = as_person(cast.initiator)
    with travel(2024, 8, 12, 9):
        decision = api.post(items_url, {"kind": "decision", "text": "工单看板每日 9:00 同步"})
        assert decision.status_code == 201, decision.content
        incomplete = api.post(items_url, {"kind": "action", "text": "上线自动分派规则"})
        assert incomplete.status_code == 422
        assert [p["path"] for p in incomplete.json()["problems"]] == [
            "body.department",
            "body.standard",
            "body.deadline",
        ]
        assert "行动项" in incomplete.json()["detail"]
        action = api.post(
            items_url,
            {
                "kind": "action",
                "text": "上线自动分派规则",
                "department": "技术部",
                "standard": "分派准确率 ≥ 95%",
                "deadline": "2024-08-23",
            },
        )
        assert action.status_code == 201, action.content
        task = Task.objects.get(pk=action.json()["task"])
        assert (task.department.name, task.standard) == ("技术部", "分派准确率 ≥ 95%")  # type: ignore[union-attr]
        assert as_person(cast.liaison).post(items_url, {"kind": "decision", "text": "x"}).status_code == 403
        summary = api.put(meeting_url(meeting, "/minutes/summary"), {"summary": "各部门汇报本周进展。"})
        assert (summary.status_code, summary.json()["minutes"]["summary"]) == (200, "各部门汇报本周进展。")
        early = api.post(meeting_url(meeting, "/minutes/issue"))
        assert early.status_code == 409 and "会议开始后" in early.json()["detail"]

    with travel(2024, 8, 12, 15):
        issued = api.post(meeting_url(meeting, "/minutes/issue"))
        assert issued.status_code == 200, issued.content
        minutes = issued.json()["minutes"]
        assert (minutes["state"], minutes["revision"]) == ("issued", 1)
        assert minutes["issued_at"] == "2024-08-12T15:00:00+08:00"
        assert [d["name"] for d in minutes["awaiting"]] == ["售后部", "产品部", "技术部", "法务部"]
        # Issued minutes change only through a correction: 403 with the reason, nothing written.
        closed = api.put(meeting_url(meeting, "/minutes/summary"), {"summary": "改"})
        assert (closed.status_code, closed.json()["detail"]) == (403, str(ISSUED_MESSAGE))
        assert api.post(items_url, {"kind": "decision", "text": "改"}).status_code == 403
        item_url = f"{items_url}/{decision.json()['id']}"
        assert api.delete(item_url).status_code == 403
        assert api.post(meeting_url(meeting, "/minutes/issue")).status_code == 403
        assert Meeting.objects.get(pk=meeting.pk).minutes_summary == "各部门汇报本周进展。"

    confirm_url = meeting_url(meeting, "/minutes/confirm")
    with travel(2024, 8, 12, 16):
        confirmed = as_person(cast.head).post(confirm_url, {"department": "技术部"})
        assert confirmed.status_code == 200, confirmed.content
        assert [c["department"]["name"] for c in confirmed.json()["minutes"]["confirmations"]] == ["技术部"]
        assert as_person(cast.head).post(confirm_url, {"department": "产品部"}).status_code == 403
        assert as_person(cast.liaison).post(confirm_url, {"department": "技术部"}).status_code == 403
        assert as_person(cast.admin).post(confirm_url, {"department": "技术部"}).status_code == 403
        assert as_person(cast.outsider).post(confirm_url, {"department": "技术部"}).status_code == 404
        unknown = as_person(cast.head).post(confirm_url, {"department": "财务部"})
        assert (unknown.status_code, unknown.json()["path"]) == (422, "body.department")

    corrections_url = meeting_url(meeting, "/minutes/corrections")
    with travel(2024, 8, 12, 17):
        blank = as_person(cast.head).post(corrections_url, {"department": "技术部", "comment": "  "})
        assert (blank.status_code, blank.json()["path"]) == (422, "body.comment")
        assert (
            as_person(cast.liaison)
            .post(corrections_url, {"department": "技术部", "comment": "x"})
            .status_code
            == 403
        )
        corrected = as_person(cast.head).post(
            corrections_url, {"department": "技术部", "comment": "自动分派规则截止日应为 8 月 30 日"}
        )
        assert corrected.status_code == 201, corrected.content
        minutes = corrected.json()["minutes"]
        assert minutes["state"] == "reopened" and minutes["awaiting"] == []
        (correction,) = minutes["corrections"]
        assert (correction["revision"], correction["department"]["name"]) == (1, "技术部")
        assert correction["requested_by"]["name"] == "赵总监"
        # Nothing to confirm while they are being corrected.
        being_corrected = as_person(cast.head).post(confirm_url, {"department": "技术部"})
        assert being_corrected.status_code == 409 and "正在更正" in being_corrected.json()["detail"]
        fixed = api.put(
            f"{items_url}/{action.json()['id']}",
            {
                "kind": "action",
                "text": "上线自动分派规则",
                "department": "技术部",
                "standard": "分派准确率 ≥ 95%",
                "deadline": "2024-08-30",
            },
        )
        assert (fixed.status_code, fixed.json()["deadline"]) == (200, "2024-08-30")
        assert Task.objects.get(pk=action.json()["task"]).deadline == date(2024, 8, 30)
        reissued = api.post(meeting_url(meeting, "/minutes/issue"))
    minutes = reissued.json()["minutes"]
    assert (minutes["state"], minutes["revision"]) == ("issued", 2)
    assert minutes["issued_at"] == "2024-08-12T15:00:00+08:00"  # K03 judges the first issue
    assert minutes["confirmations"] == [] and len(minutes["awaiting"]) == 4

    with travel(2024, 8, 13, 9):
        for name, head in heads(cast.collab):
            answer = as_person(head).post(confirm_url, {"department": name})
            assert answer.status_code == 200, (name, answer.content)
        locked = answer.json()["minutes"]
        assert (locked["state"], locked["awaiting"]) == ("confirmed", [])
        assert locked["locked_at"] == "2024-08-13T09:00:00+08:00"
        refused = api.put(f"{items_url}/{decision.json()['id']}", {"kind": "decision", "text": "改"})
        assert (refused.status_code, refused.json()["detail"]) == (403, str(LOCKED_MESSAGE))
    revisions = locked["revisions"]
    assert [r["number"] for r in revisions] == [1, 2]
    assert [c["department"]["name"] for c in revisions[0]["confirmations"]] == ["技术部"]
    assert len(revisions[1]["confirmations"]) == 4
    assert [i["deadline"] for i in revisions[0]["content"]["items"] if i["kind"] == "action"] == [
        "2024-08-23"
    ]
    assert [i["deadline"] for i in revisions[1]["content"]["items"] if i["kind"] == "action"] == [
        "2024-08-30"
    ]


def test_locked_minutes_are_refused_with_the_reason_and_left_alone(cast: Cast) -> None:
    kickoff = kickoff_of(cast.collab)
    before = kickoff.minutes_summary
    api = as_person(cast.initiator)
    refused = api.put(meeting_url(kickoff, "/minutes/summary"), {"summary": "改写"})
    assert (refused.status_code, refused.json()["detail"]) == (403, str(LOCKED_MESSAGE))
    item = MinutesItem.objects.filter(meeting=kickoff).first()
    assert item is not None
    assert api.delete(meeting_url(kickoff, f"/minutes/items/{item.pk}")).status_code == 403
    assert api.post(meeting_url(kickoff, "/minutes/issue")).status_code == 403
    kickoff.refresh_from_db()
    assert (kickoff.minutes_summary, kickoff.minutes_revision) == (before, 1)
    assert MinutesItem.objects.filter(pk=item.pk).exists()


def test_a_correction_reopens_confirmed_minutes(cast: Cast) -> None:
    kickoff = kickoff_of(cast.collab)
    with travel(2024, 8, 12, 9):
        answer = as_person(cast.head).post(
            meeting_url(kickoff, "/minutes/corrections"),
            {"department": "技术部", "comment": "漏记了技术部的人力需求"},
        )
    assert answer.status_code == 201
    assert answer.json()["minutes"]["state"] == "reopened"
    added = as_person(cast.initiator).post(
        meeting_url(kickoff, "/minutes/items"), {"kind": "decision", "text": "技术部增派 2 名工程师"}
    )
    assert added.status_code == 201
    findings = as_person(cast.initiator).get("/api/collaborations/demo/findings").json()["findings"]
    assert "K04" in {f["rule"] for f in findings}


def test_nothing_to_confirm_before_the_minutes_are_issued(cast: Cast) -> None:
    draft = weekly(cast.collab, date(2024, 8, 12))
    answer = as_person(cast.head).post(meeting_url(draft, "/minutes/confirm"), {"department": "技术部"})
    assert answer.status_code == 409 and "尚未发出" in answer.json()["detail"]
    correction = as_person(cast.head).post(
        meeting_url(draft, "/minutes/corrections"),
        {"department": cast.department("技术部").pk, "comment": "x"},
    )
    assert correction.status_code == 409
    assert not MinutesCorrection.objects.filter(meeting=draft).exists()


def test_open_issues_are_marked_resolved_even_in_locked_minutes(cast: Cast) -> None:
    week2 = weekly(cast.collab, date(2024, 7, 22))
    issue = MinutesItem.objects.get(meeting=week2, kind=MinutesItemKind.ISSUE)
    api = as_person(cast.initiator)
    url = meeting_url(week2, f"/minutes/items/{issue.pk}/resolve")
    answer = api.post(url, {"resolved": False})
    assert (answer.status_code, answer.json()["resolved"]) == (200, False)
    assert as_person(cast.liaison).post(url, {"resolved": True}).status_code == 403
    decision = MinutesItem.objects.filter(
        meeting__collaboration=cast.collab, kind=MinutesItemKind.DECISION
    ).first()
    assert decision is not None
    assert (
        api.post(meeting_url(decision.meeting, f"/minutes/items/{decision.pk}/resolve"), {}).status_code
        == 409
    )


# --- regular meetings of the communication plan


def test_occurrences_of_the_weekly_meeting_move_for_holidays_and_open_once(cast: Cast) -> None:
    rule = CommunicationRule.objects.get(collaboration=cast.collab, channel="weekly_meeting")
    url = f"/api/collaborations/demo/communication/{rule.pk}/occurrences"
    listed = as_person(cast.viewer).get(url).json()
    by_day = {o["planned"][:10]: o for o in listed}
    assert by_day["2024-08-12"]["meeting"] == weekly(cast.collab, date(2024, 8, 12)).pk
    assert by_day["2024-08-19"]["meeting"] is None
    # Monday 2024-09-16 is the Mid-Autumn holiday: the meeting moves to Wednesday 09-18.
    assert (by_day["2024-09-16"]["at"], by_day["2024-09-16"]["moved"]) == ("2024-09-18T10:00:00+08:00", True)

    api = as_person(cast.initiator)
    with travel(2024, 8, 16, 12):
        opened = api.post(url, {"at": "2024-08-19T10:00:00+08:00"})
    assert opened.status_code == 201, opened.content
    meeting = opened.json()
    assert (meeting["kind"], meeting["series"], meeting["minutes"]["state"]) == (
        "recurring",
        rule.pk,
        "draft",
    )
    titles = [a["title"] for a in meeting["agenda"]]
    assert titles[0].startswith("各部门汇报本周进展") and any("受阻任务" in t for t in titles)
    again = api.post(url, {"at": "2024-08-19T02:00:00Z"})  # the same moment, in UTC
    assert (again.status_code, again.json()["id"]) == (200, meeting["id"])
    not_one = api.post(url, {"at": "2024-08-20T10:00:00+08:00"})
    assert (not_one.status_code, not_one.json()["path"]) == (422, "body.at")
    assert api.post(url, {"at": "2024-09-16T10:00:00+08:00"}).status_code == 422
    assert api.post(url, {"at": "2024-09-18T10:00:00+08:00"}).status_code == 201
    assert as_person(cast.liaison).post(url, {"at": "2024-08-26T10:00:00+08:00"}).status_code == 403
    assert as_person(cast.outsider).get(url).status_code == 404
    im_group = CommunicationRule.objects.get(collaboration=cast.collab, channel="im_group")
    im_url = f"/api/collaborations/demo/communication/{im_group.pk}/occurrences"
    assert api.get(im_url).json() == []
    refused = api.post(im_url, {"at": "2024-08-19T10:00:00+08:00"})
    assert (refused.status_code, refused.json()["path"]) == (422, "path.rule_id")
    listed = api.get("/api/collaborations/demo/meetings").json()
    assert listed["count"] == 1 + 5 + 1 + 2


# --- constant query counts


def queries(api: ApiClient, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def _fill(meeting: Meeting, n: int, people: list[Person], departments: list[Department]) -> None:
    """Give ``meeting`` ``n`` of everything a meeting holds."""
    meeting.attendees.add(*people)
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, position=10 + i, title=f"议程 {i}") for i in range(n)
    )
    Material.objects.bulk_create(
        Material(
            meeting=meeting,
            file=f"m/{i}.pdf",
            name=f"{i}.pdf",
            size=i,
            content_type="application/pdf",
            uploaded_by=people[i % len(people)],
        )
        for i in range(n)
    )
    Contribution.objects.bulk_create(
        Contribution(
            meeting=meeting,
            position=10 + i,
            kind=ContributionKind.NEED,
            department=departments[i % 4],
            counterpart=departments[(i + 1) % 4],
            text=f"需要 {i}",
        )
        for i in range(n)
    )
    MinutesItem.objects.bulk_create(
        MinutesItem(
            meeting=meeting,
            position=10 + i,
            kind=MinutesItemKind.ISSUE,
            text=f"问题 {i}",
            department=departments[i % 4],
        )
        for i in range(n)
    )
    start = meeting.minutes_revision + 1
    MinutesRevision.objects.bulk_create(
        MinutesRevision(
            meeting=meeting,
            number=start + i,
            issued_at=at(2024, 8, 1),
            issued_by=people[0],
            content={"summary": str(i)},
        )
        for i in range(n)
    )
    MinutesConfirmation.objects.bulk_create(
        MinutesConfirmation(
            meeting=meeting,
            revision=start + i,
            department=d,
            confirmed_at=at(2024, 8, 2),
            confirmed_by=people[1],
        )
        for i in range(n)
        for d in departments
    )
    MinutesCorrection.objects.bulk_create(
        MinutesCorrection(
            meeting=meeting,
            revision=start + i,
            department=departments[0],
            requested_by=people[0],
            comment="改",
            requested_at=at(2024, 8, 3),
        )
        for i in range(n)
    )


def test_one_meeting_costs_the_same_queries_however_much_it_holds(cast: Cast) -> None:
    api = as_person(cast.viewer)
    api.get("/api/me")  # notes the token's first use, a write counted once
    small, large = weekly(cast.collab, date(2024, 7, 15)), weekly(cast.collab, date(2024, 7, 22))
    departments = list(Department.objects.filter(participations__collaboration=cast.collab))
    people = [person(f"p{i}") for i in range(20)]
    _fill(small, 2, people[:2], departments)
    _fill(large, 60, people, departments)
    assert queries(api, meeting_url(small)) == queries(api, meeting_url(large))
    detail = api.get(meeting_url(large)).json()
    assert len(detail["minutes"]["revisions"]) == 61 and len(detail["materials"]) == 60


def test_the_meeting_list_costs_the_same_queries_for_few_or_many(cast: Cast) -> None:
    api = as_person(cast.viewer)
    api.get("/api/me")
    few = queries(api, "/api/collaborations/demo/meetings")
    people = [person(f"p{i}") for i in range(10)]
    more = Meeting.objects.bulk_create(
        Meeting(
            collaboration=cast.collab,
            kind=MeetingKind.ADHOC,
            title=f"专项沟通会 {i}",
            scheduled_at=at(2024, 8, 1) + timedelta(hours=i),
            chair=people[i % 10],
        )
        for i in range(200)
    )
    Meeting.attendees.through.objects.bulk_create(
        Meeting.attendees.through(meeting_id=m.pk, person_id=p.pk) for m in more for p in people
    )
    assert queries(api, "/api/collaborations/demo/meetings?limit=500") == few
    page = api.get("/api/collaborations/demo/meetings", limit=500).json()
    assert page["count"] == 207 and all(
        len(m["attendees"]) == 10 for m in page["items"] if m["title"].startswith("专项沟通会 ")
    )
