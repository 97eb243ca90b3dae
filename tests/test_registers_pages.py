"""Step 7's register pages: issue log, risks, SLA clocks and occurrences, allocations and milestones.

Pinned times. The demo: kickoff Monday 2024-07-08, goal deadline 2024-09-30;
售后部 classifies complaints daily before 10:00 (recurring), 技术部 answers
售后部 within 24 h (SLA), 产品部 plans every Friday. 王经理 is the
initiator (and 售后部's head), 张经理 售后部's liaison, 李工 技术部's
liaison, 刘主管 产品部's liaison.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_person
from tests.helpers import TZ, at, liaison_of, owner, pinned, signed_in
from xietong.collabs.models import (
    Collaboration,
    CollabType,
    DeadlineKind,
    MemberRole,
    Membership,
    SubGoal,
)
from xietong.meetings.models import Meeting, MeetingKind
from xietong.orgs.models import Department, Person
from xietong.tracking.actions.registers import (
    AllocationInput,
    IssueInput,
    RiskInput,
    do_save_allocation,
    do_save_issue,
    do_save_milestone,
    do_save_risk,
)
from xietong.tracking.actions.sla import do_answer_sla, do_open_sla_request, do_pause_sla, do_record_check
from xietong.tracking.models import (
    Allocation,
    IssueEntry,
    IssueStatus,
    Level,
    Milestone,
    Risk,
    RiskStatus,
    SlaRequest,
    SubGoalCheck,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
MONDAY = datetime(2024, 8, 12, 12, 0, tzinfo=TZ)


_pinned = pinned(MONDAY)


@pytest.fixture(autouse=True)
def _blank_registers(demo: Collaboration, request: pytest.FixtureRequest) -> None:
    """Start from empty registers: the demo's own (weeks of requests, checks, issues, risks) would blur the counts."""
    if request.node.name.startswith("test_the_demo"):
        return
    SlaRequest.objects.filter(collaboration=demo).delete()
    SubGoalCheck.objects.filter(subgoal__collaboration=demo).delete()
    IssueEntry.objects.filter(collaboration=demo).delete()
    Risk.objects.filter(collaboration=demo).delete()
    Meeting.objects.filter(collaboration=demo, kind=MeetingKind.ADHOC).delete()


def dept(name: str) -> Department:
    return Department.objects.get(name=name)


def liaison(collab: Collaboration, department: str) -> Client:
    return signed_in(liaison_of(collab, department))


def viewer(collab: Collaboration) -> Client:
    person = Person.objects.filter(username="viewer").first()
    if person is None:
        person = make_person("viewer")
        Membership.objects.create(collaboration=collab, person=person, role=MemberRole.VIEWER)
    return signed_in(person)


def outsider() -> Client:
    return signed_in(Person.objects.filter(username="stranger").first() or make_person("stranger"))


def page(collab: Collaboration, name: str, query: str = "") -> str:
    return f"/c/{collab.slug}/{name}/{query}"


def subgoal(collab: Collaboration, department: str, kind: str) -> SubGoal:
    return SubGoal.objects.get(collaboration=collab, department__name=department, deadline_kind=kind)


# --- the issue log


def issue_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "VIP 客户是否单设通道",
        "raised_by": "",
        "owner": "",
        "decision_needed": "",
        "decided_in": "",
        "resolution": "",
        "due_date": "",
        "status": "open",
    }
    data.update(changes)
    return data


def test_the_issue_log_in_every_role(demo: Collaboration) -> None:
    tech, product = dept("技术部"), dept("产品部")
    issue = do_save_issue(demo, IssueInput("工单字段不全", raised_by=dept("售后部"), owner=tech))
    url = page(demo, "issues")
    # the initiator sees add and edit, and adds an issue for any department
    body = owner(demo).get(url).content.decode()
    assert "登记问题" in body and f"?edit={issue.pk}" in body
    response = owner(demo).post(url, issue_form(owner=product.pk))
    assert response.status_code == 302
    # 技术部's liaison edits the row 技术部 owns and adds one for 技术部
    tech_client = liaison(demo, "技术部")
    assert tech_client.get(url + f"?edit={issue.pk}").status_code == 200
    demo.refresh_from_db()
    saved = tech_client.post(
        url,
        issue_form(
            pk=issue.pk, version=demo.version, title="工单字段不全", owner=tech.pk, decision_needed="补字段"
        ),
    )
    assert saved.status_code == 302
    issue.refresh_from_db()
    assert issue.decision_needed == "补字段"
    assert tech_client.post(url, issue_form(title="接口超时", owner=tech.pk)).status_code == 302
    # ... but not one naming only other departments, nor give its row away
    assert tech_client.post(url, issue_form(owner=product.pk)).status_code == 403
    demo.refresh_from_db()
    give_away = issue_form(pk=issue.pk, version=demo.version, title="x", raised_by="", owner=product.pk)
    assert tech_client.post(url, give_away).status_code == 403
    # 产品部's liaison may not touch 技术部's row
    product_client = liaison(demo, "产品部")
    assert product_client.get(url + f"?edit={issue.pk}").status_code == 403
    assert product_client.post(url, issue_form(pk=issue.pk, owner=product.pk)).status_code == 403
    assert f"?edit={issue.pk}" not in product_client.get(url).content.decode()
    # only the initiator deletes
    assert tech_client.post(f"{url}{issue.pk}/delete/").status_code == 403
    # a viewer reads only; an outsider does not learn it exists
    reader = viewer(demo)
    assert reader.get(url).status_code == 200 and "登记问题" not in reader.get(url).content.decode()
    assert reader.post(url, issue_form(owner=tech.pk)).status_code == 403
    assert outsider().get(url).status_code == 404
    assert outsider().post(url, issue_form()).status_code == 404
    assert owner(demo).post(f"{url}{issue.pk}/delete/").status_code == 302
    assert not IssueEntry.objects.filter(pk=issue.pk).exists()


def test_issues_are_filtered_overdue_is_highlighted_and_decided_in_a_meeting(demo: Collaboration) -> None:
    meeting = Meeting.objects.filter(collaboration=demo).exclude(kind=MeetingKind.KICKOFF).first() or (
        Meeting.objects.filter(collaboration=demo).first()
    )
    assert meeting is not None
    late = do_save_issue(demo, IssueInput("投诉分类口径不一", due_date=date(2024, 8, 9)))
    later = do_save_issue(demo, IssueInput("短信模板审批", due_date=date(2024, 8, 20)))
    decided = do_save_issue(
        demo,
        IssueInput(
            "是否单设 VIP 通道",
            decided_in=meeting,
            resolution="并入 A 类",
            status=IssueStatus.CLOSED,
            due_date=date(2024, 8, 1),
        ),
    )
    client = owner(demo)
    body = client.get(page(demo, "issues")).content.decode()
    assert f'id="issue-{late.pk}" class="status-open overdue"' in body
    assert f'id="issue-{later.pk}" class="status-open"' in body
    assert f'id="issue-{decided.pk}" class="status-closed"' in body  # closed: never overdue
    assert f"/c/{demo.slug}/meetings/{meeting.pk}/" in body
    # the meeting select offers the collaboration's meetings
    assert f'<option value="{meeting.pk}"' in body
    overdue = client.get(page(demo, "issues", "?status=overdue")).content.decode()
    assert "投诉分类口径不一" in overdue and "短信模板审批" not in overdue
    closed = client.get(page(demo, "issues", "?status=closed"), headers=HTMX).content.decode()
    assert closed.startswith("\n<section") or "<section" in closed[:200]
    assert "是否单设 VIP 通道" in closed and "投诉分类口径不一" not in closed
    # a closed issue needs its resolution
    response = client.post(page(demo, "issues"), issue_form(status="closed"))
    assert response.status_code == 200 and "关闭问题前请写明解决方案" in response.content.decode()


def test_an_issue_is_edited_in_place_with_htmx(demo: Collaboration) -> None:
    issue = do_save_issue(demo, IssueInput("工单字段不全", owner=dept("技术部")))
    client = liaison(demo, "技术部")
    form = client.get(page(demo, "issues", f"?edit={issue.pk}"), headers=HTMX)
    html = form.content.decode()
    assert 'id="issues-section"' in html and 'name="version"' in html and "<html" not in html
    demo.refresh_from_db()
    response = client.post(
        page(demo, "issues"),
        issue_form(pk=issue.pk, version=demo.version, title="工单字段不全(已补)", owner=dept("技术部").pk),
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and "已保存问题" in html and "hx-swap-oob" in html
    # a stale version writes nothing
    stale = client.post(
        page(demo, "issues"),
        issue_form(pk=issue.pk, version=1, title="覆盖", owner=dept("技术部").pk),
        headers=HTMX,
    )
    assert "这一行刚被他人修改" in stale.content.decode()
    issue.refresh_from_db()
    assert issue.title == "工单字段不全(已补)"


# --- the risk register


def test_triggering_a_risk_calls_the_meeting_and_links_to_it(demo: Collaboration) -> None:
    risk = do_save_risk(
        demo,
        RiskInput(
            "工单系统改造延期",
            Level.HIGH,
            Level.HIGH,
            owner=dept("技术部"),
            response_plan="先用人工分派兜底",
            trigger="改造延期超过 3 个工作日",
        ),
    )
    low = do_save_risk(demo, RiskInput("法务审核排期紧", Level.LOW, Level.MEDIUM, owner=dept("法务部")))
    url = page(demo, "risks")
    body = owner(demo).get(url).content.decode()
    assert "level-high" in body and "level-low" in body and "= 9" in body and "= 2" in body
    # 产品部's liaison may not trigger 技术部's risk; a viewer neither; an outsider sees nothing
    assert liaison(demo, "产品部").post(f"{url}{risk.pk}/trigger/").status_code == 403
    assert viewer(demo).post(f"{url}{risk.pk}/trigger/").status_code == 403
    assert outsider().post(f"{url}{risk.pk}/trigger/").status_code == 404
    # 技术部's liaison triggers it: the ad-hoc meeting on the next working day at 10:00
    response = liaison(demo, "技术部").post(f"{url}{risk.pk}/trigger/", headers=HTMX)
    meeting = Meeting.objects.get(collaboration=demo, kind=MeetingKind.ADHOC)
    assert meeting.scheduled_at == at(2024, 8, 13, 10)
    html = response.content.decode()
    assert f"/c/{demo.slug}/meetings/{meeting.pk}/" in html and "已触发风险" in html
    risk.refresh_from_db()
    assert risk.status == RiskStatus.TRIGGERED
    # the register keeps the link; no second trigger
    body = owner(demo).get(url).content.decode()
    assert f"/c/{demo.slug}/meetings/{meeting.pk}/" in body and f"{risk.pk}/trigger/" not in body
    # without JavaScript the trigger goes to the meeting
    plain = owner(demo).post(f"{url}{low.pk}/trigger/")
    second = Meeting.objects.filter(collaboration=demo, kind=MeetingKind.ADHOC).latest("pk")
    assert plain.status_code == 302 and plain["Location"] == f"/c/{demo.slug}/meetings/{second.pk}/"
    # close
    assert liaison(demo, "技术部").post(f"{url}{risk.pk}/close/").status_code == 302
    risk.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED


def test_a_risk_is_registered_by_its_department(demo: Collaboration) -> None:
    url = page(demo, "risks")
    form = {
        "description": "客服人手不足",
        "probability": "high",
        "impact": "medium",
        "owner": dept("售后部").pk,
    }
    assert liaison(demo, "售后部").post(url, form).status_code == 302
    assert liaison(demo, "技术部").post(url, form).status_code == 403
    assert viewer(demo).post(url, form).status_code == 403
    risk = Risk.objects.get(description="客服人手不足")
    demo.refresh_from_db()
    edit = {**form, "pk": risk.pk, "version": demo.version, "response_plan": "临时借调"}
    assert liaison(demo, "售后部").post(url, edit).status_code == 302
    risk.refresh_from_db()
    assert risk.response_plan == "临时借调"


# --- SLA clocks


def tech_sla(collab: Collaboration, clock: str = "working") -> SubGoal:
    goal = subgoal(collab, "技术部", DeadlineKind.SLA)
    goal.sla_clock = clock
    goal.save(update_fields=["sla_clock"])
    return goal


def request_row(html: str, pk: int) -> str:
    start = html.index(f'id="sla-request-{pk}"')
    return html[start : html.index("</tr>", start)]


def test_an_sla_request_over_national_day_and_the_make_up_sunday(demo: Collaboration) -> None:
    # Friday 2024-09-27 17:00, 24 working hours: Fri 1 + Sun 09-29 (make-up) 9 + Mon 9, then 5 on Tue 10-08.
    goal = tech_sla(demo)
    request = do_open_sla_request(goal, dept("售后部"), "投诉 #1024 的技术结论", at(2024, 9, 27, 17))
    with time_machine.travel(at(2024, 10, 5, 12), tick=False):
        row = request_row(owner(demo).get(page(demo, "sla")).content.decode(), request.pk)
    assert "19 / 24 小时" in row and "2024-10-08 14:00" in row and "计时中" in row
    with time_machine.travel(at(2024, 10, 8, 12), tick=False):
        row = request_row(owner(demo).get(page(demo, "sla")).content.decode(), request.pk)
    assert "22 / 24 小时" in row and "即将超时" in row
    with time_machine.travel(at(2024, 10, 8, 15), tick=False):
        row = request_row(owner(demo).get(page(demo, "sla")).content.decode(), request.pk)
    assert "已超时" in row


def test_an_sla_request_over_a_weekend_on_calendar_and_working_hours(demo: Collaboration) -> None:
    calendar = tech_sla(demo, "calendar")
    request = do_open_sla_request(calendar, dept("售后部"), "工单 #88", at(2024, 8, 9, 17))  # Friday
    row = request_row(owner(demo).get(page(demo, "sla")).content.decode(), request.pk)
    assert "已超时" in row and "2024-08-10 17:00" in row  # Saturday, in calendar hours
    tech_sla(demo, "working")
    row = request_row(owner(demo).get(page(demo, "sla")).content.decode(), request.pk)
    assert "计时中" in row and "4 / 24 小时" in row  # Friday 1 h + Monday 09:00-12:00


def test_who_opens_pauses_and_answers_an_sla_request(demo: Collaboration) -> None:
    goal = tech_sla(demo)
    url = page(demo, "sla")
    open_url = f"{url}subgoals/{goal.pk}/requests/"
    form = {"requester": dept("售后部").pk, "subject": "投诉 #2048 是否系统缺陷"}
    # the asked department does not request from itself; a viewer and an outsider cannot
    assert liaison(demo, "技术部").post(open_url, form).status_code == 403
    assert viewer(demo).post(open_url, form).status_code == 403
    assert outsider().post(open_url, form).status_code == 404
    # 产品部's liaison may not ask in 售后部's name (not a choice of theirs)
    assert liaison(demo, "产品部").post(open_url, form).status_code == 200
    assert not SlaRequest.objects.exists()
    # 售后部's liaison opens it
    response = liaison(demo, "售后部").post(open_url, form, headers=HTMX)
    assert response.status_code == 200 and "已登记请求" in response.content.decode()
    request = SlaRequest.objects.get()
    assert request.started_at == MONDAY and request.requester == dept("售后部")
    # only the asked department pauses, resumes, answers
    pause_url = f"{url}requests/{request.pk}/pause/"
    assert liaison(demo, "售后部").post(pause_url, {"reason": "等资料"}).status_code == 403
    assert viewer(demo).post(pause_url, {"reason": "等资料"}).status_code == 403
    tech = liaison(demo, "技术部")
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        assert tech.post(pause_url, {"reason": "等售后补充日志"}).status_code == 302
        row = request_row(tech.get(url).content.decode(), request.pk)
        assert "已暂停" in row and "等售后补充日志" in row and "恢复计时" in row
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        assert tech.post(f"{url}requests/{request.pk}/resume/").status_code == 302
    with time_machine.travel(MONDAY + timedelta(days=1, hours=1), tick=False):
        assert (
            tech.post(f"{url}requests/{request.pk}/answer/", {"answer": "系统缺陷,已修复"}).status_code == 302
        )
        row = request_row(tech.get(url).content.decode(), request.pk)
    # used: Mon 12:00-14:00 (2 h) + Tue 12:00-13:00 (1 h)
    assert "按时答复" in row and "3 / 24 小时" in row and "系统缺陷,已修复" in row


# --- recurring sub-goals and compliance


def test_a_recurring_sub_goal_shows_met_missed_and_pending_and_is_recorded(demo: Collaboration) -> None:
    daily = subgoal(demo, "售后部", DeadlineKind.RECURRING)
    do_record_check(daily, at(2024, 8, 9, 10), at(2024, 8, 9, 9, 30))  # Friday: on time
    do_record_check(daily, at(2024, 8, 8, 10), at(2024, 8, 8, 11))  # Thursday: late
    url = page(demo, "sla")
    html = owner(demo).get(url).content.decode()
    article = html[html.index(f'id="recurring-goal-{daily.pk}"') :]
    article = article[: article.index("</article>")]
    # the last two weeks and the next: Monday 07-29 … Monday 08-19, working days only
    assert "2024-07-29" in article and "2024-08-19" in article and "2024-08-10" not in article
    friday = article[article.index("2024-08-09") :][:300]
    thursday = article[article.index("2024-08-08") :][:300]
    today = article[article.index("2024-08-12") :][:300]
    tomorrow = article[article.index("2024-08-13") :][:300]
    assert "按时完成" in friday and "未按时完成" in thursday
    assert "未按时完成" in today  # due 10:00, not done by noon: missed
    assert "待完成" in tomorrow
    # 售后部's liaison records tomorrow's done now (early: met); 技术部's may not
    record = {"due_at": at(2024, 8, 13, 10).isoformat()}
    assert liaison(demo, "技术部").post(f"{url}subgoals/{daily.pk}/checks/", record).status_code == 403
    assert viewer(demo).post(f"{url}subgoals/{daily.pk}/checks/", record).status_code == 403
    assert liaison(demo, "售后部").post(f"{url}subgoals/{daily.pk}/checks/", record).status_code == 302
    check = SubGoalCheck.objects.get(subgoal=daily, due_at=at(2024, 8, 13, 10))
    assert check.done_at == MONDAY
    # a time that is not an occurrence is refused
    wrong = {"due_at": at(2024, 8, 13, 11).isoformat()}
    assert liaison(demo, "售后部").post(f"{url}subgoals/{daily.pk}/checks/", wrong).status_code == 404


def test_a_weekly_sub_goal_on_national_day_week(demo: Collaboration) -> None:
    friday = subgoal(demo, "产品部", DeadlineKind.RECURRING)
    with time_machine.travel(at(2024, 9, 30, 12), tick=False):
        html = owner(demo).get(page(demo, "sla")).content.decode()
    article = html[html.index(f'id="recurring-goal-{friday.pk}"') :]
    article = article[: article.index("</article>")]
    # Fridays 09-20 and 09-27 missed; 10-04 is in the holiday and the goal ends 09-30
    assert "2024-09-20" in article and "2024-09-27" in article and "2024-10-04" not in article
    assert article.count("未按时完成") == 2


def test_compliance_per_department_and_week(demo: Collaboration) -> None:
    goal = tech_sla(demo, "calendar")
    met = do_open_sla_request(goal, dept("售后部"), "A", at(2024, 8, 5, 9))
    do_answer_sla(met, at(2024, 8, 5, 20), "ok")  # W32: met
    late = do_open_sla_request(goal, dept("售后部"), "B", at(2024, 8, 6, 9))
    do_answer_sla(late, at(2024, 8, 7, 12), "late")  # W32: late
    do_open_sla_request(goal, dept("售后部"), "C", at(2024, 8, 10, 9))  # breached Sunday 08-11 09:00: W32
    paused = do_open_sla_request(goal, dept("售后部"), "D", at(2024, 8, 12, 9))  # open, within budget
    do_pause_sla(paused, at(2024, 8, 12, 10), "等资料")
    daily = subgoal(demo, "售后部", DeadlineKind.RECURRING)
    for day in (5, 6, 7, 8, 9):  # W32: three on time, two late
        done = at(2024, 8, day, 9) if day <= 7 else at(2024, 8, day, 11)
        do_record_check(daily, at(2024, 8, day, 10), done)
    html = owner(demo).get(page(demo, "sla")).content.decode()
    table = html[html.index("compliance-table") :]
    tech_row = table[table.index('<th scope="row">技术部</th>') :]
    tech_row = tech_row[: tech_row.index("</tr>")]
    cells = tech_row.split('<td class="rate">')[1:]
    assert len(cells) == 7  # six weeks and the total
    assert '33% <small class="muted">(1/3)</small>' in cells[4]  # 2024-W32
    assert cells[5].startswith("—")  # 2024-W33: the paused one is not decided yet
    assert "(1/3)" in cells[6]
    sales_row = table[table.index('<th scope="row">售后部</th>') :]
    sales_row = sales_row[: sales_row.index("</tr>")]
    sales = sales_row.split('<td class="rate">')[1:]
    # W31 (07-29 … 08-02): nothing recorded, all five missed; W32: 3 of 5; W33: today's 10:00 missed
    assert (
        "(0/5)" in sales[3] and '60% <small class="muted">(3/5)</small>' in sales[4] and "(0/1)" in sales[5]
    )
    assert "2024-W28" in table and "2024-W33" in table


# --- allocations and milestones


def as_type(collab: Collaboration, kind: str) -> Collaboration:
    collab.type = kind
    collab.save(update_fields=["type"])
    return collab


def test_allocations_of_a_resource_coordination(demo: Collaboration) -> None:
    as_type(demo, CollabType.RESOURCE_COORDINATION)
    lent = do_save_allocation(
        demo,
        AllocationInput(
            "借调工程师 2 名", dept("技术部"), dept("售后部"), "按工时", "售后部负责考勤", date(2024, 8, 9)
        ),
    )
    soon = do_save_allocation(
        demo, AllocationInput("会议室 A", dept("产品部"), dept("售后部"), return_date=date(2024, 8, 14))
    )
    url = page(demo, "resources")
    html = owner(demo).get(url).content.decode()
    assert f'id="allocation-{lent.pk}" class="state-overdue overdue"' in html
    assert f'id="allocation-{soon.pk}" class="state-due_soon"' in html
    assert "技术部 → 售后部" in html and "已归还" in html
    # only the initiator writes
    assert liaison(demo, "技术部").post(f"{url}allocations/{lent.pk}/returned/").status_code == 403
    assert viewer(demo).post(f"{url}allocations/", {"resource": "x"}).status_code == 403
    assert outsider().get(url).status_code == 404
    assert owner(demo).post(f"{url}allocations/{lent.pk}/returned/", headers=HTMX).status_code == 200
    lent.refresh_from_db()
    assert lent.returned_at == MONDAY
    form = {
        "resource": "预算 5 万",
        "from_department": dept("产品部").pk,
        "to_department": dept("售后部").pk,
        "rule": "",
        "responsibility": "",
        "return_date": "2024-09-30",
    }
    assert owner(demo).post(f"{url}allocations/", form).status_code == 302
    assert Allocation.objects.filter(resource="预算 5 万").exists()
    same = {**form, "to_department": dept("产品部").pk}
    assert "提供部门与使用部门不能相同" in owner(demo).post(f"{url}allocations/", same).content.decode()


def test_process_fields_and_milestones_of_a_process_optimisation(demo: Collaboration) -> None:
    as_type(demo, CollabType.PROCESS_OPTIMIZATION)
    done_late = do_save_milestone(demo, "试点上线", date(2024, 8, 1))
    pending_late = do_save_milestone(demo, "全面推行", date(2024, 8, 10))
    coming = do_save_milestone(demo, "复盘", date(2024, 9, 1))
    Milestone.objects.filter(pk=done_late.pk).update(done_at=at(2024, 8, 2, 10))
    url = page(demo, "resources")
    html = owner(demo).get(url).content.decode()
    assert f'id="milestone-{done_late.pk}" class="overdue"' in html and "延期完成" in html
    assert f'id="milestone-{pending_late.pk}" class="overdue"' in html
    assert f'id="milestone-{coming.pk}" class=""' in html
    form = {"process_owner": dept("售后部").pk, "optimisation_target": "投诉处理环节从 7 个减到 4 个"}
    assert liaison(demo, "售后部").post(f"{url}process/", form).status_code == 403
    assert owner(demo).post(f"{url}process/", form).status_code == 302
    demo.refresh_from_db()
    assert demo.process_owner == dept("售后部") and demo.optimisation_target.startswith("投诉处理环节")
    assert owner(demo).post(f"{url}milestones/{coming.pk}/done/").status_code == 302
    assert "按期完成" in owner(demo).get(url).content.decode()


def test_the_resources_page_of_another_type_says_what_it_is_for(demo: Collaboration) -> None:
    html = owner(demo).get(page(demo, "resources")).content.decode()
    assert "资源分配只用于资源协调型协作" in html and "添加资源分配" not in html
    assert owner(demo).post(page(demo, "resources", "allocations/"), {"resource": "x"}).status_code == 404


def test_a_closed_collaboration_is_read_only(demo: Collaboration) -> None:
    issue = do_save_issue(demo, IssueInput("工单字段不全", owner=dept("技术部")))
    Collaboration.objects.filter(pk=demo.pk).update(closed_at=MONDAY)
    client = owner(demo)
    assert client.get(page(demo, "issues")).status_code == 200
    assert "登记问题" not in client.get(page(demo, "issues")).content.decode()
    assert client.post(page(demo, "issues"), issue_form(pk=issue.pk)).status_code == 403
    goal = subgoal(demo, "技术部", DeadlineKind.SLA)
    assert client.post(page(demo, "sla", f"subgoals/{goal.pk}/requests/"), {}).status_code == 403


# --- constant queries


def _grow(collab: Collaboration, n: int) -> None:
    tech, sales = dept("技术部"), dept("售后部")
    goal = tech_sla(collab)
    daily = subgoal(collab, "售后部", DeadlineKind.RECURRING)
    meeting = Meeting.objects.filter(collaboration=collab).first()
    for i in range(n):
        do_save_issue(
            collab,
            IssueInput(
                f"问题 {i}", raised_by=sales, owner=tech, decided_in=meeting, due_date=date(2024, 8, 1)
            ),
        )
        do_save_risk(collab, RiskInput(f"风险 {i}", Level.HIGH, Level.LOW, owner=tech))
        request = do_open_sla_request(goal, sales, f"请求 {i}", at(2024, 8, 9, 9) + timedelta(minutes=i))
        do_pause_sla(request, at(2024, 8, 9, 11), "等资料")
        do_save_allocation(collab, AllocationInput(f"资源 {i}", tech, sales, return_date=date(2024, 8, 20)))
        do_save_milestone(collab, f"里程碑 {i}", date(2024, 9, 1))
    for risk in Risk.objects.filter(collaboration=collab, status=RiskStatus.WATCHING)[:2]:
        from xietong.tracking.actions.registers import do_trigger_risk

        do_trigger_risk(risk, at(2024, 8, 9, 9))
    for day in range(1, 10):
        if date(2024, 8, day).weekday() < 5:
            do_record_check(daily, at(2024, 8, day, 10), at(2024, 8, day, 9))


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("issues", ""),
        ("risks", ""),
        ("sla", ""),
        ("resources", CollabType.RESOURCE_COORDINATION),
        ("resources", CollabType.PROCESS_OPTIMIZATION),
    ],
)
def test_each_page_reads_a_constant_number_of_queries(demo: Collaboration, name: str, kind: str) -> None:
    if kind:
        as_type(demo, kind)
    client = owner(demo)
    url = page(demo, name)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _grow(demo, 2)
    small = count()
    _grow(demo, 12)
    assert count() == small


def test_the_pages_are_linked_from_one_another(demo: Collaboration) -> None:
    html = owner(demo).get(page(demo, "sla")).content.decode()
    for name in ("tracking", "issues", "risks", "sla"):
        assert f'href="/c/{demo.slug}/{name}/"' in html
    # the resources page serves resource coordination and process optimisation only (docs/design-system.md)
    assert f'href="/c/{demo.slug}/resources/"' not in html
    Collaboration.objects.filter(pk=demo.pk).update(type="resource_coordination")
    assert f'href="/c/{demo.slug}/resources/"' in owner(demo).get(page(demo, "sla")).content.decode()


# --- the working hours setting


def test_malformed_working_hours_refuse_to_start(tmp_path: Path) -> None:
    from tests.test_settings import _settings_in_fresh_process

    done = _settings_in_fresh_process(tmp_path, XIETONG_WORKING_HOURS="18:00-09:00")
    assert done.returncode != 0 and "XIETONG_WORKING_HOURS" in done.stderr


def test_working_hours_come_from_the_setting(demo: Collaboration, settings: Any) -> None:
    settings.XIETONG_WORKING_HOURS = "08:00-20:00"
    request = do_open_sla_request(tech_sla(demo), dept("售后部"), "工单 #88", at(2024, 8, 9, 17))  # Friday
    row = request_row(owner(demo).get(page(demo, "sla")).content.decode(), request.pk)
    assert "7 / 24 小时" in row  # Friday 17:00-20:00 and Monday 08:00-12:00


def test_the_demo_shows_weeks_of_registers(demo: Collaboration) -> None:
    client = owner(demo)
    sla = client.get(page(demo, "sla")).content.decode()
    assert "按时答复" in sla and "超时答复" in sla
    assert '75% <small class="muted">(3/4)</small>' in sla  # 技术部's SLA over the six weeks
    risks = client.get(page(demo, "risks")).content.decode()
    meeting = Meeting.objects.filter(collaboration=demo, kind=MeetingKind.ADHOC).first()
    assert meeting is not None and f"/c/{demo.slug}/meetings/{meeting.pk}/" in risks
    assert client.get(page(demo, "issues")).status_code == 200
