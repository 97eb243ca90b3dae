"""A newcomer runs a collaboration through the web workspace, as a person would.

The scenario of the issue: a plain person (not an administrator) with a
department signs in, starts a problem-solving collaboration from its
template, is told that a vague goal is not SMART (G01), fixes it with the
proposals of the live analysis, names a department with its liaison, fills
the responsibility table in place (a row without a department shows R01)
and reads the result on the dashboard.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE
from tests.conftest import AS_OF, KICKOFF, make_person
from xietong.charter.demo import load_demo
from xietong.collabs.actions.collaborations import do_create_collaboration
from xietong.collabs.actions.tasks import TaskInput, do_save_task
from xietong.collabs.models import Collaboration, Participant, Task
from xietong.orgs.models import Department, Person

pytestmark = pytest.mark.browser

VAGUE = "尽快提升效率"
SMART = "2024年Q3末,实现80%的投诉在24小时内闭环,客户满意度评分提升至4.5分(满分5分)"
NO_RELOAD = "window.__xietongNoReload"


def in_a_month() -> str:
    return (timezone.localdate() + timedelta(days=30)).isoformat()


def mark_page(page: Page) -> str:
    """Remember this document: the marker survives htmx swaps, not a reload."""
    page.evaluate(f"{NO_RELOAD} = true")
    return page.url


def assert_not_reloaded(page: Page, url: str) -> None:
    assert page.url == url
    assert page.evaluate(f"{NO_RELOAD} === true"), "the page was reloaded"


def findings(scope: Any, rule: str) -> Any:
    """The findings of ``rule`` shown inside ``scope`` (a finding is ``<li class="sev-…"><code>R01</code> …``)."""
    return scope.locator("li[class^=sev-] > code", has_text=re.compile(f"^{rule}$"))


@pytest.fixture
def newcomer(transactional_db: None) -> Person:
    return make_person("xiaoli", department=Department.objects.create(name="售后部"))


def start_collaboration(page: Page) -> None:
    page.get_by_role("main").get_by_role("link", name="发起协作").click()
    expect(page).to_have_url(re.compile(r"/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("发起跨部门协作")
    page.get_by_label("协作名称").fill("投诉闭环提速")
    page.get_by_label("问题解决型").check()
    # the template's departments are offered (htmx), the person's own department is the initiator
    expect(page.locator("#id_departments")).to_have_value(re.compile(r"^售后部\n产品部\n技术部\n法务部"))
    expect(page.get_by_label("发起部门", exact=True)).to_have_value("售后部")
    page.get_by_role("button", name="创建并填写核心目标").click()
    expect(page).to_have_url(re.compile(r"/c/[^/]+/goal/$"))


def write_the_goal(page: Page) -> None:
    statement = page.get_by_label("核心目标", exact=True)
    smart = page.locator("#smart-result")
    # a vague goal: the live analysis says so while typing ...
    statement.fill(VAGUE)
    expect(findings(smart, "G01")).to_be_visible()
    expect(smart.locator("li.sev-error").filter(has_text="G01")).to_contain_text("模糊")
    # ... and so do the rules once it is saved
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已保存核心目标")
    step = page.locator("section[aria-labelledby=step1] > ul.findings")
    expect(findings(step, "G01")).to_be_visible()
    expect(statement).to_have_value(VAGUE)

    # a SMART goal: the analysis finds its metrics and its deadline
    statement.fill(SMART)
    expect(findings(smart, "G01")).to_have_count(0)
    expect(smart.locator(".proposals li")).to_have_count(2)
    expect(smart).to_contain_text("2024-09-30")
    page.get_by_role("button", name="采用建议的指标与日期").click()
    expect(page.locator(".flash")).to_contain_text("已填入建议的指标与截止日期")
    expect(statement).to_have_value(SMART)
    expect(page.get_by_label("目标截止日期")).to_have_value("2024-09-30")
    expect(page.locator("[name=metrics-0-name]")).to_have_value("投诉闭环率")
    expect(page.locator("[name=metrics-0-target]")).to_have_value(re.compile(r"^80(\.0*)?$"))
    expect(page.locator("[name=metrics-0-unit]")).to_have_value("%")
    expect(page.locator("[name=metrics-1-name]")).to_have_value("客户满意度评分")
    expect(page.locator("[name=metrics-1-target]")).to_have_value(re.compile(r"^4\.50*$"))
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已保存核心目标")
    expect(page.locator("[name=metrics-1-name]")).to_have_value("客户满意度评分")
    expect(findings(page, "G01")).to_have_count(0)
    expect(findings(page, "G02")).to_have_count(0)
    expect(findings(page, "G04")).to_have_count(0)


def add_a_department(page: Page) -> None:
    page.locator("nav.stepbar a[href$='/departments/']").click()
    expect(page).to_have_url(re.compile(r"/departments/$"))
    page.locator("[name=new-department]").fill("客服中心")
    # The liaison is picked from the directory (issue 18): 周敏 has an account.
    Person.objects.get_or_create(username="zhoumin", defaults={"display_name": "周敏", "password": "!"})
    page.locator("[name=new-liaison]").fill("周敏")
    page.locator("[name=new-duties]").fill("投诉回访与满意度调查")
    page.locator("[name=new-role]").select_option("support")
    page.get_by_role("button", name="添加部门").click()
    expect(page.locator(".flash")).to_contain_text("已添加部门 客服中心")
    row = page.locator("tbody tr", has=page.locator("th", has_text="客服中心"))
    expect(row).to_have_count(1)
    expect(row.locator("input[name$=-liaison]")).to_have_value("周敏")
    expect(findings(row, "P01")).to_have_count(0)


def add_row(page: Page, description: str, department: str, standard: str) -> Any:
    """Fill the add-row form and submit it (htmx); return the row's locator once the form is back."""
    form = page.locator("#task-new")
    form.get_by_label("任务描述").fill(description)
    form.get_by_label("责任部门").select_option(label=department)
    form.get_by_label("交付标准").fill(standard)
    form.get_by_label("时间节点").fill(in_a_month())
    with page.expect_response(lambda r: r.url.endswith("/table/new/") and r.request.method == "POST") as sent:
        form.get_by_role("button", name="添加到分工表").click()
    assert sent.value.status == 200
    # the form comes back empty, ready for the next row; the row is swapped in with it (out of band)
    expect(page.locator("#task-new").get_by_label("任务描述")).to_have_value("")
    return page.locator("#task-rows tr[id^=task-]").filter(has_text=description)


def add_tasks(page: Page) -> None:
    page.locator("nav.stepbar a[href$='/table/']").click()
    expect(page).to_have_url(re.compile(r"/table/$"))
    url = mark_page(page)
    complete = add_row(page, "投诉回访满意度调查", "客服中心", "每周五提交回访报告,覆盖全部已闭环投诉")
    orphan = add_row(page, "制定投诉分级标准", "—", "分级标准文档经各部门确认")
    # the step bar is refreshed with the row (out of band): step 4 now has an error
    step4 = page.locator("nav.stepbar li", has=page.locator("a[href$='/table/']"))
    expect(step4).to_have_class(re.compile(r"\bstep-blocked\b"))
    assert_not_reloaded(page, url)
    expect(complete).to_have_count(1)
    expect(complete).to_contain_text("客服中心")
    # complete, but due after the goal's deadline (2024-09-30, from the SMART statement): only R08
    expect(findings(complete, "R08")).to_be_visible()
    expect(complete.locator("li[class^=sev-]")).to_have_count(1)
    expect(orphan).to_have_count(1)
    expect(findings(orphan, "R01")).to_be_visible()
    expect(findings(orphan, "R03")).to_have_count(0)
    expect(page.locator("#task-rows tr[id^=task-]")).to_have_count(2)
    expect(page.locator("#task-rows")).not_to_contain_text("还没有任务")
    assert_not_reloaded(page, url)


def read_the_dashboard(page: Page) -> None:
    page.get_by_role("link", name="看板", exact=True).click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    chart = page.locator("[data-chart=status]")
    expect(chart).to_have_attribute("data-chart-ready", "1")
    drawing = chart.locator("svg, canvas").first
    expect(drawing).to_be_visible()
    assert drawing.evaluate("el => el.childElementCount > 0 || el.width > 0"), "the chart is empty"
    box = drawing.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50
    # the data: the department of the task is in the chart's data and in its table
    spec = json.loads(page.locator("#chart-status").text_content() or "{}")
    assert "客服中心" in spec["categories"]
    expect(chart.locator("text", has_text="客服中心").first).to_be_attached()
    section = page.get_by_role("region", name="各部门任务状态")
    section.get_by_text("数据表").click()
    expect(section.get_by_role("table").get_by_role("rowheader", name="客服中心")).to_be_visible()


def test_a_newcomer_runs_a_collaboration(page: Page, login: Any, newcomer: Person) -> None:
    login(newcomer)
    expect(page.get_by_role("heading", name="等待我处理")).to_be_visible()
    start_collaboration(page)
    write_the_goal(page)
    add_a_department(page)
    add_tasks(page)
    read_the_dashboard(page)
    collab = Collaboration.objects.get(owner=newcomer)
    assert collab.title == "投诉闭环提速"
    assert Participant.objects.filter(collaboration=collab, department__name="客服中心").exists()
    assert Task.objects.filter(collaboration=collab, department=None).count() == 1


@pytest.fixture
def table_owner(transactional_db: None) -> tuple[Person, Collaboration, Task]:
    owner = make_person("laozhang", department=Department.objects.create(name="售后部"))
    collab = do_create_collaboration(
        title="退款流程提速",
        type="process_optimization",
        initiator_department="售后部",
        departments=["财务部"],
        owner=owner,
    )
    task = do_save_task(
        collab,
        TaskInput(
            description="梳理退款审批节点",
            department=Department.objects.get(name="售后部"),
            standard="流程图经财务部确认",
            deadline=timezone.localdate() + timedelta(days=14),
            collaborators=[],
            status="in_progress",
            blocked_reason="",
        ),
    )
    return owner, collab, task


def test_a_row_is_edited_in_place(page: Page, login: Any, table_owner: Any) -> None:
    owner, collab, task = table_owner
    login(owner)
    page.goto(f"/c/{collab.slug}/table/")
    url = mark_page(page)
    row = page.locator(f"#task-{task.pk}")
    expect(row.locator(".status")).to_have_text("进行中")
    row.get_by_role("link", name="编辑").click()
    status = row.get_by_label("状态")
    expect(status).to_be_visible()
    status.select_option(label="已完成")
    row.get_by_role("button", name="保存").click()
    expect(row.locator(".status")).to_have_text("已完成")
    expect(row).not_to_have_class(re.compile(r"\bediting\b"))
    expect(row.get_by_label("状态")).to_have_count(0)
    assert_not_reloaded(page, url)
    task.refresh_from_db()
    assert task.status == "done"


@pytest.fixture
def demo_admin(transactional_db: None) -> tuple[Person, Collaboration]:
    collab = load_demo(KICKOFF, today=AS_OF)
    return make_person("root", is_superuser=True, is_staff=True), collab


def test_the_workspace_speaks_english(page: Page, login: Any, demo_admin: Any) -> None:
    admin, collab = demo_admin
    login(admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("我的工作台")
    page.locator("header details.xt-account-menu > summary").click()  # the languages are in the account menu
    page.locator("button[name=language][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("My workbench")
    page.get_by_role("link", name=collab.title).click()
    expect(page).to_have_url(re.compile(r"/c/demo/$"))
    page.locator("nav.stepbar a[href$='/table/']").click()
    expect(page.locator("#step4")).to_contain_text("Step 4")
    expect(page.get_by_role("columnheader", name="Responsible department")).to_be_visible()
    # and back to Chinese
    page.locator("header details.xt-account-menu > summary").click()  # the languages are in the account menu
    page.locator("button[name=language][value=zh-hans]").click()
    expect(page.locator("#step4")).to_contain_text("步骤4")


def test_the_table_fits_a_phone(page: Page, login: Any, demo_admin: Any) -> None:
    admin, collab = demo_admin
    page.set_viewport_size(PHONE)
    login(admin)
    page.goto(f"/c/{collab.slug}/table/")
    expect(page.locator("#task-rows tr[id^=task-]").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page is {width}px wide on a {PHONE['width']}px phone"
    # the table scrolls inside its own container instead
    scroller = page.locator(".table-scroll").first
    assert scroller.evaluate("el => getComputedStyle(el).overflowX") in {"auto", "scroll"}
