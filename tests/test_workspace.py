"""The workspace pages of steps 1, 2 and 4, the home page's to-do list and starting a collaboration."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import time_machine

from tests.conftest import make_person
from tests.helpers import liaison_of, signed_in
from xietong.collabs.models import Collaboration, Metric, Participant, Task, TaskStatus
from xietong.meetings.models import AgendaItem, CommunicationRule, Meeting
from xietong.orgs.models import Department

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def task_form(prefix: str, **values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "description": "",
        "department": "",
        "standard": "",
        "deadline": "",
        "status": "not_started",
        "blocked_reason": "",
    }
    base.update(values)
    return {f"{prefix}-{key}": value for key, value in base.items()}


# --- starting a collaboration


def test_a_newcomer_starts_a_collaboration_from_a_template() -> None:
    person = make_person("newcomer")
    client = signed_in(person)
    response = client.post(
        "/new/",
        {
            "title": "审批流程简化",
            "type": "process_optimization",
            "initiator_department": "综合管理部",
            "departments": "信息技术部\n财务部、法务部",
        },
    )
    collab = Collaboration.objects.get(title="审批流程简化")
    assert response.status_code == 302
    assert unquote(response["Location"]) == f"/c/{collab.slug}/goal/"
    assert collab.owner == person
    participants = list(Participant.objects.filter(collaboration=collab).select_related("department"))
    assert [p.department.name for p in participants] == ["综合管理部", "信息技术部", "财务部", "法务部"]
    assert participants[0].role == "lead"
    kickoff = Meeting.objects.get(collaboration=collab, kind="kickoff")
    agenda = list(AgendaItem.objects.filter(meeting=kickoff).values_list("title", flat=True))
    assert agenda[:5] == [
        "协作背景与目标宣讲",
        "部门职责初步讨论",
        "时间节点与资源需求确认",
        "沟通机制约定",
        "形成会议纪要并邮件同步",
    ]
    assert len(agenda) == 6  # plus what a process optimisation must settle
    scenarios = set(CommunicationRule.objects.filter(collaboration=collab).values_list("scenario", flat=True))
    assert scenarios == {"progress_sync", "decision", "risk_warning"}


def test_changing_the_type_offers_that_templates_departments() -> None:
    client = signed_in(make_person("newcomer"))
    text = client.get("/new/", {"type": "problem_solving"}, **HTMX).content.decode()
    assert text.split("\n") == ["售后部", "产品部", "技术部", "法务部"]


def test_a_title_is_required_to_start() -> None:
    client = signed_in(make_person("newcomer"))
    response = client.post("/new/", {"title": "", "type": "project", "initiator_department": "研发部"})
    assert response.status_code == 200
    assert not Collaboration.objects.exists()


# --- step 1


def test_the_goal_page_reports_a_vague_goal_and_accepts_proposals(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    form = {
        "title": demo.title,
        "statement": "尽快提升效率",
        "metrics-TOTAL_FORMS": "1",
        "metrics-INITIAL_FORMS": "0",
        "save": "1",
    }
    demo.goal.metrics.all().delete()
    client.post(f"/c/{demo.slug}/goal/", form)
    page = client.get(f"/c/{demo.slug}/goal/").content.decode()
    assert "<code>G01</code>" in page

    proposal = client.post(
        f"/c/{demo.slug}/goal/",
        {**form, "statement": "2024年Q3末,实现80%的投诉在24小时内闭环", "apply_smart": "1"},
    ).content.decode()
    assert 'value="2024-09-30"' in proposal  # proposed, not yet saved
    assert not Metric.objects.filter(goal__collaboration=demo).exists()


def test_saving_the_goal_stores_metrics_in_the_order_given(demo: Collaboration) -> None:
    assert demo.owner is not None
    existing = list(Metric.objects.filter(goal__collaboration=demo))
    form: dict[str, object] = {
        "title": demo.title,
        "statement": "2024年Q3末,80%投诉24小时内闭环",
        "deadline": "2024-09-30",
        "metrics-INITIAL_FORMS": str(len(existing)),
    }
    rows = [{"id": m.pk, "name": m.name, "target": m.target} for m in reversed(existing)]  # reversed
    rows[0]["DELETE"] = "on"
    rows.append({"name": "新指标", "unit": "%", "baseline": "10", "target": "20", "direction": "increase"})
    for i, row in enumerate(rows):
        form |= {f"metrics-{i}-{key}": value for key, value in row.items()}
    form["metrics-TOTAL_FORMS"] = str(len(rows))
    response = signed_in(demo.owner).post(f"/c/{demo.slug}/goal/", form)
    assert response.status_code == 302
    stored = list(Metric.objects.filter(goal__collaboration=demo).values_list("name", flat=True))
    assert stored == [existing[1].name, existing[0].name, "新指标"]


def test_two_metrics_with_one_name_are_refused(demo: Collaboration) -> None:
    assert demo.owner is not None
    before = Metric.objects.count()
    page = (
        signed_in(demo.owner)
        .post(
            f"/c/{demo.slug}/goal/",
            {
                "title": demo.title,
                "metrics-TOTAL_FORMS": "2",
                "metrics-INITIAL_FORMS": "0",
                "metrics-0-name": "闭环率",
                "metrics-1-name": "闭环率",
            },
        )
        .content.decode()
    )
    assert "指标名称重复" in page
    assert Metric.objects.count() == before


def test_only_the_initiator_changes_the_goal(demo: Collaboration) -> None:
    liaison = liaison_of(demo, "技术部")
    response = signed_in(liaison).post(f"/c/{demo.slug}/goal/", {"title": "x"})
    assert response.status_code == 403
    assert signed_in(liaison).get(f"/c/{demo.slug}/goal/").status_code == 200


def test_the_smart_fragment_analyses_as_the_person_types() -> None:
    client = signed_in(make_person("someone"))
    fragment = client.post("/smart/", {"statement": "从48小时缩短至24小时"}, **HTMX).content.decode()
    assert "48 → 24" in fragment
    assert "<code>G04</code>" in fragment
    # A relative change with no baseline proposes no target: it says the change and asks for today's value.
    change = client.post("/smart/", {"statement": "2027年底前销售额提升20%"}, **HTMX).content.decode()
    assert "相对变化 +20%" in change and "没有基线" in change
    points = client.post("/smart/", {"statement": "2027年底前合格率提高15个百分点"}, **HTMX).content.decode()
    assert "相对变化 +15 个百分点" in points


# --- step 2


def test_the_initiator_adds_a_department_with_its_liaison(demo: Collaboration) -> None:
    assert demo.owner is not None
    make_person("钱会计")  # people are picked from the directory, never created from a typed name
    client = signed_in(demo.owner)
    client.post(
        f"/c/{demo.slug}/departments/",
        {
            "add": "1",
            "new-department": "财务部",
            "new-liaison": "钱会计",
            "new-role": "support",
            "new-duties": "费用核算",
        },
    )
    added = Participant.objects.select_related("liaison").get(collaboration=demo, department__name="财务部")
    assert added.liaison is not None and added.liaison.name == "钱会计"
    page = client.post(
        f"/c/{demo.slug}/departments/", {"add": "1", "new-department": "财务部", "new-role": "support"}
    ).content.decode()
    assert "每个部门只列一次" in page
    assert Participant.objects.filter(collaboration=demo, department__name="财务部").count() == 1


def test_changing_a_liaison_replaces_the_one_liaison(demo: Collaboration) -> None:
    assert demo.owner is not None
    row = Participant.objects.get(collaboration=demo, department__name="技术部")
    make_person("周工")
    signed_in(demo.owner).post(
        f"/c/{demo.slug}/departments/",
        {
            "participant": row.pk,
            f"p{row.pk}-liaison": "周工",
            f"p{row.pk}-role": "support",
            f"p{row.pk}-duties": "x",
        },
    )
    row.refresh_from_db()
    assert row.liaison is not None and row.liaison.name == "周工"


def test_removing_a_department_by_htmx_redirects_the_page(demo: Collaboration) -> None:
    assert demo.owner is not None
    row = Participant.objects.get(collaboration=demo, department__name="法务部")
    response = signed_in(demo.owner).post(f"/c/{demo.slug}/departments/{row.pk}/delete/", **HTMX)
    assert response["HX-Redirect"] == f"/c/{demo.slug}/departments/"
    assert not Participant.objects.filter(pk=row.pk).exists()


# --- step 4


def test_a_row_without_a_department_shows_r01_in_place(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    fragment = client.post(
        f"/c/{demo.slug}/table/new/",
        task_form("new", description="整理投诉话术库", standard="话术库文档"),
        **HTMX,
    ).content.decode()
    task = Task.objects.get(collaboration=demo, description="整理投诉话术库")
    assert f'id="task-{task.pk}"' in fragment
    assert "<code>R01</code>" in fragment
    assert 'hx-swap-oob="true"' in fragment  # step bar and score refreshed
    # table rows parse only inside a table: the out-of-band row comes in a <template>
    assert '<template>\n  <tbody hx-swap-oob="beforeend:#task-rows">' in fragment
    assert 'id="task-rows-empty"' not in fragment  # the table was not empty: no placeholder to remove
    assert task.position == Task.objects.filter(collaboration=demo).count() - 1


def test_a_liaison_edits_their_departments_rows_only(demo: Collaboration) -> None:
    liaison = liaison_of(demo, "技术部")
    tech = Department.objects.get(name="技术部")
    own = Task.objects.filter(collaboration=demo, department=tech).first()
    other = Task.objects.filter(collaboration=demo, department__name="产品部").first()
    assert own is not None and other is not None
    client = signed_in(liaison)
    ok = client.post(
        f"/c/{demo.slug}/table/{own.pk}/edit/",
        task_form(
            f"t{own.pk}",
            description=own.description,
            department=tech.pk,
            standard=own.standard,
            deadline="2024-07-22",
            status="done",
            version=own.version,
        ),
        **HTMX,
    )
    assert ok.status_code == 200
    own.refresh_from_db()
    assert (own.status, own.version) == (TaskStatus.DONE, 2)
    forbidden = client.post(
        f"/c/{demo.slug}/table/{other.pk}/edit/",
        task_form(f"t{other.pk}", description="x", status="done", version=other.version),
        **HTMX,
    )
    assert forbidden.status_code == 403
    moved_away = client.post(
        f"/c/{demo.slug}/table/new/",
        task_form("new", description="替产品部加任务", department=Department.objects.get(name="产品部").pk),
        **HTMX,
    )
    assert moved_away.status_code == 403
    assert not Task.objects.filter(description="替产品部加任务").exists()


def test_a_stale_edit_is_refused_and_shows_the_current_row(demo: Collaboration) -> None:
    assert demo.owner is not None
    task = Task.objects.filter(collaboration=demo).first()
    assert task is not None
    client = signed_in(demo.owner)
    first = task_form(f"t{task.pk}", description="第一人的修改", status="in_progress", version=task.version)
    second = task_form(f"t{task.pk}", description="第二人的修改", status="in_progress", version=task.version)
    client.post(f"/c/{demo.slug}/table/{task.pk}/edit/", first, **HTMX)
    page = client.post(f"/c/{demo.slug}/table/{task.pk}/edit/", second, **HTMX).content.decode()
    task.refresh_from_db()
    assert task.description == "第一人的修改"
    assert "刚被他人修改" in page and "第一人的修改" in page


def test_blocking_a_task_needs_a_reason_and_starts_its_clock(demo: Collaboration) -> None:
    assert demo.owner is not None
    task = Task.objects.filter(collaboration=demo, status=TaskStatus.DONE).first()
    assert task is not None
    client = signed_in(demo.owner)
    url = f"/c/{demo.slug}/table/{task.pk}/edit/"
    page = client.post(
        url, task_form(f"t{task.pk}", description="x", status="blocked", version=task.version), **HTMX
    ).content.decode()
    assert "阻塞的任务请写明原因" in page
    client.post(
        url,
        task_form(
            f"t{task.pk}",
            description="x",
            status="blocked",
            blocked_reason="等待法务部审核",
            version=task.version,
        ),
        **HTMX,
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.BLOCKED and task.blocked_since is not None


def test_rows_move_and_are_deleted(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    order = list(Task.objects.filter(collaboration=demo).values_list("pk", flat=True))
    fragment = client.post(
        f"/c/{demo.slug}/table/{order[2]}/move/", {"direction": "up"}, **HTMX
    ).content.decode()
    assert fragment.startswith('<tbody id="task-rows">')
    now = list(Task.objects.filter(collaboration=demo).values_list("pk", flat=True))
    assert now[:3] == [order[0], order[2], order[1]]
    client.post(f"/c/{demo.slug}/table/{order[0]}/delete/", {"confirm": "1"})
    assert not Task.objects.filter(pk=order[0]).exists()


def test_without_javascript_editing_is_a_page_and_a_redirect(demo: Collaboration) -> None:
    assert demo.owner is not None
    task = Task.objects.filter(collaboration=demo).first()
    assert task is not None
    client = signed_in(demo.owner)
    assert client.get(f"/c/{demo.slug}/table/{task.pk}/edit/").status_code == 302
    page = client.get(f"/c/{demo.slug}/table/?edit={task.pk}").content.decode()
    assert f'name="t{task.pk}-description"' in page
    saved = client.post(
        f"/c/{demo.slug}/table/{task.pk}/edit/",
        task_form(f"t{task.pk}", description="改过的描述", status="in_progress", version=task.version),
    )
    assert saved.status_code == 302


# --- home


@time_machine.travel("2024-08-12 12:00 +0800")
def test_home_lists_what_waits_for_each_person(demo: Collaboration) -> None:
    tech_liaison = liaison_of(demo, "技术部")
    page = signed_in(tech_liaison).get("/").content.decode()
    assert "更新任务进度" in page
    assert "建立投诉工单系统自动分派规则" in page  # their overdue row
    assert demo.owner is not None
    owner_page = signed_in(demo.owner).get("/").content.decode()
    assert "<code>T01</code>" in owner_page
    meeting = Meeting.objects.get(collaboration=demo, kind="kickoff")
    meeting.confirmations.filter(department__name="法务部").delete()
    head = Department.objects.get(name="法务部").head
    assert head is not None
    assert "确认启动会会议纪要" in signed_in(head).get("/").content.decode()
    assert "确认启动会会议纪要" not in signed_in(tech_liaison).get("/").content.decode()


def test_two_metrics_may_swap_names_in_one_save(demo: Collaboration) -> None:
    assert demo.owner is not None
    first, second = list(Metric.objects.filter(goal__collaboration=demo))[:2]
    form: dict[str, object] = {
        "title": demo.title,
        "metrics-TOTAL_FORMS": "2",
        "metrics-INITIAL_FORMS": "2",
        "metrics-0-id": first.pk,
        "metrics-0-name": second.name,
        "metrics-1-id": second.pk,
        "metrics-1-name": first.name,
    }
    assert signed_in(demo.owner).post(f"/c/{demo.slug}/goal/", form).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.name, second.name) == (form["metrics-0-name"], form["metrics-1-name"])
