"""Step 7 page: the weekly progress list (周进度清单) and the progress updates, at pinned times.

The demo: kickoff Monday 2024-07-08, data as of Monday 2024-08-12 (ISO
week 2024-W33); every Friday each liaison reported on their rows, and 技术部
skipped the report of Friday 2024-08-09 (week 2024-W32).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_person
from tests.helpers import TZ, liaison_of, owner, pinned, signed_in
from tests.test_views import charter_with_tasks
from xietong.audit.models import AuditEntry
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, MemberRole, Membership, Task, TaskStatus
from xietong.collabs.snapshots import load_snapshot
from xietong.orgs.models import Department, Person
from xietong.rules.clock import context_for
from xietong.rules.engine import run_rules
from xietong.tracking.actions.progress import ProgressInput, do_report_progress
from xietong.tracking.models import ProgressUpdate, WeeklyReport
from xietong.tracking.sources import compile_for
from xietong.tracking.weekly import Group, IsoWeek

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
MONDAY = datetime(2024, 8, 12, 12, 0, tzinfo=TZ)  # the demo's "today", in week 2024-W33


_pinned = pinned(MONDAY)


def url(collab: Collaboration) -> str:
    return f"/c/{collab.slug}/tracking/"


def progress_url(collab: Collaboration, task: Task) -> str:
    return f"/c/{collab.slug}/tracking/progress/{task.pk}/"


def task_of(collab: Collaboration, description: str) -> Task:
    return Task.objects.get(collaboration=collab, description=description)


def update_form(task: Task, **changes: object) -> dict[str, object]:
    task.refresh_from_db()
    data: dict[str, object] = {
        "status": "in_progress",
        "percent": 50,
        "note": "",
        "next_step": "",
        "blocked_reason": "",
        "waiting_on": "",
        "version": task.version,
    }
    data.update(changes)
    return data


def rules_on(collab: Collaboration, day: date) -> list[tuple[str, str]]:
    report = run_rules(load_snapshot(collab), context_for(day))
    return [(f.rule, str(f.params.get("department", ""))) for f in report.findings if f.rule == "T03"]


# --- the page


def test_step_7_of_the_step_bar_opens_the_weekly_list(demo: Collaboration) -> None:
    page = owner(demo).get(f"/c/{demo.slug}/").content.decode()
    assert f'href="{url(demo)}"' in page
    response = owner(demo).get(url(demo))
    assert response.status_code == 200
    body = response.content.decode()
    assert "周进度清单 · 2024-W33" in body
    assert "tracking.css" in body and 'aria-current="step"' in body
    # The findings of step 7: the overdue row (T01) and 技术部's silence (T03).
    assert "<code>T01</code>" in body and "<code>T03</code>" in body
    # Links to the earlier weeks since the kickoff's.
    assert f'{url(demo)}?week=2024-W32"' in body
    assert ">2024-W28 (07-08 – 07-14)<" in body


def test_the_demos_last_week_is_grouped_and_compared_with_the_week_before(demo: Collaboration) -> None:
    weekly = compile_for(demo, IsoWeek(2024, 32), MONDAY)
    assert not weekly.live
    assert [d.name for d in weekly.departments] == ["售后部", "产品部", "技术部", "法务部"]
    groups = {
        d.name: [(g.group, [r.description for r in g.rows]) for g in d.groups] for d in weekly.departments
    }
    assert groups["技术部"] == [
        (Group.DONE, ["上线投诉处理时效看板"]),
        (Group.IN_PROGRESS, ["修复 TOP3 高频产品缺陷"]),
        (Group.OVERDUE, ["建立投诉工单系统自动分派规则"]),
    ]
    assert groups["售后部"][0] == (Group.DONE, ["梳理投诉受理与分类流程", "制定客户回访话术与满意度调查方案"])
    # 技术部 said nothing in the week: its rows show its last report, without a note of the week.
    # That report (Friday 2 August) came before the meeting of 5 August: it is still to report
    # for the meeting of Monday 12 August (待汇报), not yet late (未汇报).
    tech = weekly.departments[2]
    assert (tech.reported, tech.pending, tech.not_reported) == (False, True, False)
    assert all(row.update is None for row in tech.rows)
    assert tech.last_report == datetime(2024, 8, 2, 17, tzinfo=TZ)
    assert weekly.not_reported == []
    assert (weekly.reporting_since, weekly.report_due) == (
        datetime(2024, 8, 5, 10, tzinfo=TZ),
        datetime(2024, 8, 12, 10, tzinfo=TZ),
    )
    # What changed since 2024-W31: 产品部 finished its plan.
    assert [(c.description, c.before, c.after) for c in weekly.changes] == [
        ("输出产品优化方案(第一版)", "in_progress", "done")
    ]
    totals = weekly.totals
    assert (totals.rows, totals.done, totals.in_progress, totals.overdue, totals.blocked) == (10, 6, 2, 1, 0)
    assert (totals.departments, totals.reported, totals.not_reported, totals.pending) == (4, 3, 0, 1)

    body = owner(demo).get(f"{url(demo)}?week=2024-W32").content.decode()
    assert "周进度清单 · 2024-W32" in body and "这一周已结束" in body
    assert "未汇报的部门" not in body and ">待汇报<" in body
    assert "本期汇报自 2024-08-05 10:00 起计,下次汇报截止:2024-08-12 10:00" in body
    assert "输出产品优化方案(第一版)" in body and "进行中 → " in body
    assert "更新进度" not in body  # a past week is read, not updated


def test_this_week_shows_the_table_as_it_is_now(demo: Collaboration) -> None:
    weekly = compile_for(demo, IsoWeek(2024, 33), MONDAY)
    assert weekly.live
    blocked = next(r for r in weekly.rows if r.group == Group.BLOCKED)
    assert blocked.description == "修复 TOP3 高频产品缺陷"
    assert blocked.blocker is not None and blocked.blocker.reason == "等待产品部确认缺陷修复优先级"
    # After Monday's meeting, 技术部 has missed it (its last report was before the one
    # of 5 August); 售后部 reported for it and is still to report for the next one.
    assert weekly.not_reported == ["技术部"]
    assert [d.name for d in weekly.departments if d.pending] == ["售后部"]


def test_a_malformed_week_is_404(demo: Collaboration) -> None:
    assert owner(demo).get(f"{url(demo)}?week=2024-W99").status_code == 404
    assert owner(demo).get(f"{url(demo)}?week=soon").status_code == 404


# --- progress updates in place


def test_a_liaison_updates_their_row_in_place(demo: Collaboration) -> None:
    task = task_of(demo, "建立投诉工单系统自动分派规则")
    client = signed_in(liaison_of(demo, "技术部"))
    page = client.get(url(demo)).content.decode()
    assert f'hx-get="{progress_url(demo, task)}"' in page

    form = client.get(progress_url(demo, task), headers=HTMX)
    assert form.status_code == 200
    body = form.content.decode()
    assert body.lstrip().startswith(f'<tr id="task-{task.pk}" class="editing">') and "<html" not in body
    cancel = client.get(f"{url(demo)}?row={task.pk}", headers=HTMX).content.decode()
    assert cancel.lstrip().startswith(f'<tr id="task-{task.pk}"') and "editing" not in cancel.split(">")[0]

    version = task.version
    saved = client.post(
        progress_url(demo, task),
        update_form(task, status="done", percent=90, note="规则已上线", next_step="观察一周"),
        headers=HTMX,
    )
    assert saved.status_code == 200
    assert (saved["HX-Retarget"], saved["HX-Reswap"]) == ("#weekly-section", "outerHTML")
    body = saved.content.decode()
    assert body.lstrip().startswith('<section id="weekly-section"')
    assert "规则已上线" in body and "观察一周" in body
    assert '<div id="ws-head" hx-swap-oob="true">' in body
    task.refresh_from_db()
    assert (task.status, task.percent, task.version) == (TaskStatus.DONE, 100, version + 1)
    update = ProgressUpdate.objects.get(task=task, created_at=MONDAY)
    assert (update.department, update.author, update.note) == (
        task.department,
        liaison_of(demo, "技术部"),
        "规则已上线",
    )
    # The week now counts 技术部 as reported, and the change since last week.
    weekly = compile_for(demo, IsoWeek(2024, 33), MONDAY)
    assert weekly.not_reported == [] and weekly.departments[2].reported
    assert [(c.description, c.before, c.after) for c in weekly.changes] == [
        ("建立投诉工单系统自动分派规则", "in_progress", "done")
    ]


def test_blocking_starts_the_clock_at_the_update_and_escalates(demo: Collaboration) -> None:
    task = task_of(demo, "建立投诉工单系统自动分派规则")
    product = Department.objects.get(name="产品部")
    client = signed_in(liaison_of(demo, "技术部"))
    missing = client.post(progress_url(demo, task), update_form(task, status="blocked"), headers=HTMX)
    assert "阻塞的任务请写明原因" in missing.content.decode()
    assert not ProgressUpdate.objects.filter(task=task, created_at=MONDAY).exists()

    data = update_form(task, status="blocked", blocked_reason="等待产品部确认分派规则", waiting_on=product.pk)
    assert client.post(progress_url(demo, task), data).status_code == 302
    task.refresh_from_db()
    assert (task.status, task.blocked_since, task.waiting_on) == (TaskStatus.BLOCKED, MONDAY, product)

    def shown(day: str) -> str:
        moment = datetime.combine(date.fromisoformat(day), time(12), tzinfo=TZ)
        with time_machine.travel(moment, tick=False):
            return owner(demo).get(url(demo)).content.decode()

    assert "等待:产品部" in shown("2024-08-14") and "未到升级时限" in shown("2024-08-14")
    assert "升级至发起部门负责人" in shown("2024-08-15")  # three working days after Monday
    assert "升级至相关部门负责人" in shown("2024-08-19")  # five


def test_reporting_progress_is_one_audited_write_of_status_percent_and_waiting_on(
    demo: Collaboration,
) -> None:
    task = task_of(demo, "建立投诉工单系统自动分派规则")
    product = Department.objects.get(name="产品部")
    author = liaison_of(demo, "技术部")
    before = (task.status, task.percent)
    seen = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    data = ProgressInput("blocked", 70, blocked_reason="等待产品部确认", waiting_on=product)
    do_report_progress(task, data, MONDAY, version=task.version, actor=author)
    entries = AuditEntry.objects.filter(object_type="collabs.task", object_id=str(task.pk), id__gt=seen)
    entry = entries.get()  # one entry for the whole update
    assert entry.actor == author
    assert entry.before is not None and entry.after is not None
    assert (entry.before["status"], entry.before["percent"], entry.before["waiting_on"]) == (*before, None)
    after = (entry.after["status"], entry.after["percent"], entry.after["waiting_on"])
    assert after == ("blocked", 70, "产品部")
    task.refresh_from_db()
    assert (task.percent, task.waiting_on) == (70, product)

    # Unblocked: the department waited on is cleared, and the audit trail says so.
    do_report_progress(task, ProgressInput("in_progress", 80), MONDAY, version=task.version, actor=author)
    latest = entries.order_by("-id").first()
    assert latest is not None and latest.after is not None and latest.before is not None
    cleared = (latest.before["waiting_on"], latest.after["waiting_on"], latest.after["percent"])
    assert cleared == ("产品部", None, 80)


def test_a_stale_update_is_refused_and_shows_the_row_as_it_is_now(demo: Collaboration) -> None:
    task = task_of(demo, "修复 TOP3 高频产品缺陷")
    client = signed_in(liaison_of(demo, "技术部"))
    stale = update_form(task, status="in_progress", note="我的更新")
    do_report_progress(task, ProgressInput("done", 100, note="别人的更新"), MONDAY, version=task.version)
    response = client.post(progress_url(demo, task), stale, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "这一行刚被他人修改,已显示最新内容" in body
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert f'name="version" value="{task.version}"' in body
    assert not ProgressUpdate.objects.filter(task=task, note="我的更新").exists()


def test_without_javascript_updating_is_a_page_and_a_redirect(demo: Collaboration) -> None:
    task = task_of(demo, "售后团队时效培训")
    client = signed_in(liaison_of(demo, "售后部"))
    opened = client.get(progress_url(demo, task))
    assert opened.status_code == 302 and opened["Location"].endswith(f"?edit={task.pk}#task-{task.pk}")
    page = client.get(f"{url(demo)}?edit={task.pk}").content.decode()
    assert f'<tr id="task-{task.pk}" class="editing">' in page and "<html" in page
    invalid = client.post(progress_url(demo, task), update_form(task, percent=150))
    assert invalid.status_code == 200 and "<html" in invalid.content.decode()
    saved = client.post(progress_url(demo, task), update_form(task, percent=80, note="完成两场培训"))
    assert saved.status_code == 302 and saved["Location"].endswith(f"#task-{task.pk}")
    followed = client.get(saved["Location"].split("#")[0]).content.decode()
    assert "已更新「售后团队时效培训」的进度" in followed and "完成两场培训" in followed


def test_a_row_waits_on_another_participating_department_only(demo: Collaboration) -> None:
    task = task_of(demo, "修复 TOP3 高频产品缺陷")
    own = Department.objects.get(name="技术部")
    data = update_form(task, status="blocked", blocked_reason="等", waiting_on=own.pk)
    response = owner(demo).post(progress_url(demo, task), data, headers=HTMX)
    assert "等待哪个部门" in response.content.decode() and "errorlist" in response.content.decode()


# --- who may do what


def test_a_liaison_may_not_update_another_departments_row(demo: Collaboration) -> None:
    task = task_of(demo, "修复 TOP3 高频产品缺陷")  # 技术部's
    client = signed_in(liaison_of(demo, "产品部"))
    page = client.get(url(demo)).content.decode()
    assert f'hx-get="{progress_url(demo, task)}"' not in page
    assert client.get(progress_url(demo, task), headers=HTMX).status_code == 403
    assert client.post(progress_url(demo, task), update_form(task)).status_code == 403
    assert client.get(f"{url(demo)}?edit={task.pk}").status_code == 403
    mine = task_of(demo, "输出产品优化方案(第一版)")
    assert client.post(progress_url(demo, mine), update_form(mine, status="done")).status_code == 302


def test_an_outsider_sees_nothing(demo: Collaboration, outsider: Person) -> None:
    task = task_of(demo, "修复 TOP3 高频产品缺陷")
    client = signed_in(outsider)
    assert client.get(url(demo)).status_code == 404
    assert client.post(progress_url(demo, task), update_form(task)).status_code == 404
    assert client.post(f"{url(demo)}weekly/2024-W32/publish/", {"remarks": "x"}).status_code == 404


def test_a_viewer_reads_but_writes_nothing(demo: Collaboration) -> None:
    viewer = make_person("viewer")
    Membership.objects.create(collaboration=demo, person=viewer, role=MemberRole.VIEWER)
    task = task_of(demo, "修复 TOP3 高频产品缺陷")
    client = signed_in(viewer)
    page = client.get(url(demo)).content.decode()
    assert page.count("更新进度") == 0 and "发起部门备注" not in page
    assert client.post(progress_url(demo, task), update_form(task)).status_code == 403
    assert client.post(f"{url(demo)}weekly/2024-W32/publish/", {"remarks": "x"}).status_code == 403
    assert not WeeklyReport.objects.exists()


def test_a_liaison_may_not_publish(demo: Collaboration) -> None:
    client = signed_in(liaison_of(demo, "技术部"))
    assert client.post(f"{url(demo)}weekly/2024-W32/publish/", {"remarks": "x"}).status_code == 403


# --- T03 through real updates


def test_reporting_clears_t03_and_a_silent_week_brings_it_back(demo: Collaboration) -> None:
    assert rules_on(demo, date(2024, 8, 12)) == [("T03", "技术部")]
    task = task_of(demo, "建立投诉工单系统自动分派规则")
    reported_at = datetime(2024, 8, 12, 11, tzinfo=TZ)
    do_report_progress(
        task, ProgressInput("in_progress", 90, note="联调"), reported_at, actor=liaison_of(demo, "技术部")
    )
    assert rules_on(demo, date(2024, 8, 12)) == []
    assert "技术部" not in compile_for(demo, IsoWeek(2024, 33), MONDAY).not_reported
    # A week later, after the meeting of 19 August: 售后部 has not reported since the one
    # of the 12th and is flagged; 技术部's report after that meeting counted for this one.
    assert rules_on(demo, date(2024, 8, 19)) == [("T03", "售后部")]
    next_monday = MONDAY + timedelta(weeks=1)
    assert compile_for(demo, IsoWeek(2024, 34), next_monday).not_reported == ["售后部"]
    # And a week after that, 技术部 too.
    assert rules_on(demo, date(2024, 8, 26)) == [("T03", "售后部"), ("T03", "技术部")]


# --- publishing


def test_the_initiator_publishes_a_week_and_publishes_it_again(demo: Collaboration) -> None:
    client = owner(demo)
    publish = f"{url(demo)}weekly/2024-W32/publish/"
    first = client.post(publish, {"remarks": "技术部请补交周报"})
    assert first.status_code == 302 and first["Location"].endswith("?week=2024-W32#publish")
    report = WeeklyReport.objects.get(collaboration=demo)
    assert (report.iso_year, report.iso_week, report.remarks) == (2024, 32, "技术部请补交周报")
    assert report.content["not_reported"] == [] and report.published_by == demo.owner
    assert [d["name"] for d in report.content["departments"] if d["pending"]] == ["技术部"]
    assert report.published_at == MONDAY

    page = client.get(f"{url(demo)}?week=2024-W32").content.decode()
    assert "已发布 2024-W32 的周进度清单" in page and "技术部请补交周报" in page and "重新发布" in page

    later = MONDAY + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        again = client.post(publish, {"remarks": "技术部已说明原因"})
    assert again.status_code == 302
    assert WeeklyReport.objects.filter(collaboration=demo).count() == 1
    report.refresh_from_db()
    assert (report.remarks, report.published_at) == ("技术部已说明原因", later)
    entries = AuditEntry.objects.filter(object_type="tracking.weeklyreport").order_by("id")
    assert [e.change for e in entries] == ["create", "update"]
    before = entries[1].before
    assert before is not None and set(before) == {"remarks", "published_at"}  # a past week's list is settled
    assert before["remarks"] == "技术部请补交周报"
    assert datetime.fromisoformat(before["published_at"]) == MONDAY

    frozen = client.get(f"{url(demo)}weekly/2024-W32/").content.decode()
    assert "周进度清单 · 2024-W32(发布版本)" in frozen and "技术部已说明原因" in frozen
    assert "未汇报的部门" not in frozen and ">待汇报<" in frozen
    assert client.get(f"{url(demo)}weekly/2024-W31/").status_code == 404


def test_a_published_list_stays_as_published(demo: Collaboration) -> None:
    client = owner(demo)
    client.post(f"{url(demo)}weekly/2024-W33/publish/", {"remarks": ""})
    task = task_of(demo, "修复 TOP3 高频产品缺陷")
    do_report_progress(task, ProgressInput("done", 100), MONDAY + timedelta(hours=1), version=task.version)
    frozen = WeeklyReport.objects.get(collaboration=demo).content
    tech = next(d for d in frozen["departments"] if d["name"] == "技术部")
    assert [r["group"] for r in tech["rows"] if r["description"] == "修复 TOP3 高频产品缺陷"] == ["blocked"]


def test_a_week_not_begun_is_not_published(demo: Collaboration) -> None:
    response = owner(demo).post(f"{url(demo)}weekly/2024-W40/publish/", {"remarks": ""})
    assert response.status_code == 200 and "这一周还没有开始" in response.content.decode()
    assert not WeeklyReport.objects.exists()


# --- size


def _with_history(tasks: int, slug: str) -> Collaboration:
    collab = do_import_charter(parse_charter(charter_with_tasks(tasks)), slug=slug)
    rows = list(Task.objects.filter(collaboration=collab).select_related("department"))
    updates = [
        ProgressUpdate(
            collaboration=collab,
            task=row,
            department=row.department,
            created_at=datetime(2024, 8, day, 17, tzinfo=TZ),
            status=status,
            percent=50,
            note="进展",
            blocked_reason="等" if status == TaskStatus.BLOCKED else "",
        )
        for row in rows
        for day, status in ((2, TaskStatus.BLOCKED), (9, TaskStatus.BLOCKED), (13, TaskStatus.IN_PROGRESS))
    ]
    ProgressUpdate.objects.bulk_create(updates)
    return collab


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=HTMX if "edit=" in path else {})
    assert response.status_code == 200, path
    return len(queries)


@pytest.mark.parametrize("query", ["", "?week=2024-W32", "?week=2024-W33", "?edit={task}"])
def test_the_page_costs_the_same_queries_for_10_or_1000_rows(admin_user: Person, query: str) -> None:
    few, many = _with_history(10, "few"), _with_history(1000, "many")
    client = signed_in(admin_user)
    counts = []
    for collab in (few, many):
        first = Task.objects.filter(collaboration=collab).first()
        assert first is not None
        with time_machine.travel(datetime(2024, 8, 14, 12, tzinfo=TZ), tick=False):
            counts.append(_queries(client, url(collab) + query.format(task=first.pk)))
    assert counts[0] == counts[1]
    weekly = compile_for(many, IsoWeek(2024, 32), MONDAY)
    assert weekly.totals.blocked == 1000
    assert {r.blocker.since for r in weekly.rows if r.blocker} == {date(2024, 8, 2)}
