"""The kickoff's minutes in a real browser: an action item becomes a task, a head confirms.

The initiator writes an action item on the kickoff's page (htmx, no
reload), follows its link to the new row of the responsibility table, and
issues the minutes; the head of 技术部 finds them on the home page and
confirms them for the department.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.helpers import add_charter_people
from tests.test_views import charter_with_tasks
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Task
from xietong.meetings.models import Meeting, MinutesConfirmation
from xietong.orgs.models import Department, Person

pytestmark = pytest.mark.browser
NO_RELOAD = "window.__xietongNoReload"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def with_password(person: Person | None) -> Person:
    """People named in a charter cannot sign in until they have a password."""
    assert person is not None
    person.set_password(f"pw-{person.username}")
    person.save()
    return person


@pytest.fixture
def held_kickoff(transactional_db: None) -> Collaboration:
    """The guide's example whose kickoff began three hours ago; its minutes are not written yet."""
    now = timezone.now()
    data = charter_with_tasks(2)
    data["kickoff"] = {
        "scheduled_at": (now - timedelta(hours=3)).isoformat(),
        "agenda_sent_at": (now - timedelta(days=4)).isoformat(),
    }
    collab = do_import_charter(parse_charter(add_charter_people(data)), slug="minutes", org_authority=True)
    with_password(collab.owner)
    with_password(Department.objects.get(name="技术部").head)
    return collab


def write_an_action_item(page: Page, collab: Collaboration) -> None:
    page.goto(f"/c/{collab.slug}/kickoff/")
    page.evaluate(f"{NO_RELOAD} = true")
    page.get_by_text("添加纪要条目").click()
    form = page.locator("#item-add")
    form.get_by_label("行动项").check()
    form.get_by_label("内容").fill("上线投诉工单自动分派")
    form.get_by_label("责任部门").select_option(label="技术部")
    form.get_by_label("交付标准").fill("按类别自动分派,准确率≥95%")
    form.get_by_label("时间节点").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    form.get_by_role("button", name="添加到纪要").click()
    expect(page.locator("#meeting-section .notice")).to_contain_text("已保存行动项,并写入部门职责分工表")
    row = page.locator("#meeting-minutes tr[id^=item-]").filter(has_text="上线投诉工单自动分派")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("技术部")
    assert page.evaluate(f"{NO_RELOAD} === true"), "the page was reloaded"
    # the row of the table it became
    row.get_by_role("link", name="查看任务").click()
    expect(page).to_have_url(re.compile(r"/table/#task-\d+$"))
    task = Task.objects.get(collaboration=collab, description="上线投诉工单自动分派")
    table_row = page.locator(f"#task-{task.pk}")
    expect(table_row).to_contain_text("上线投诉工单自动分派")
    expect(table_row).to_contain_text("按类别自动分派,准确率≥95%")


def upload_a_material(page: Page, collab: Collaboration) -> None:
    page.goto(f"/c/{collab.slug}/kickoff/")
    page.evaluate(f"{NO_RELOAD} = true")
    page.get_by_label("选择文件").set_input_files(
        {"name": "背景资料.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="上传资料").click()
    expect(page.locator("#meeting-section .notice")).to_contain_text("已上传资料「背景资料.pdf」")
    expect(page.locator("table.materials")).to_contain_text("application/pdf")
    assert page.evaluate(f"{NO_RELOAD} === true"), "the page was reloaded"
    # a PNG renamed .pdf is refused with the reason
    page.get_by_label("选择文件").set_input_files(
        {"name": "截图.pdf", "mimeType": "application/pdf", "buffer": PNG}
    )
    page.get_by_role("button", name="上传资料").click()
    expect(page.locator("form.upload-form .form-errors")).to_contain_text("文件内容不是 .pdf 格式")
    expect(page.locator("table.materials tbody tr")).to_have_count(1)


def issue_the_minutes(page: Page, collab: Collaboration) -> None:
    page.goto(f"/c/{collab.slug}/kickoff/")
    # 发出纪要 cannot be undone, so it asks first: cancelling the dialog issues nothing
    # (the design system's <dialog>, ui.js: 取消 / 确定)
    page.get_by_role("button", name="发出纪要").click()
    page.get_by_role("dialog").get_by_role("button", name="取消").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("#meeting-minutes .tag.state-issued")).to_have_count(0)
    page.get_by_role("button", name="发出纪要").click()
    page.get_by_role("dialog").get_by_role("button", name="确定").click()
    expect(page.locator("#meeting-minutes .tag.state-issued")).to_have_text("已发出,待确认")
    expect(page.locator("#meeting-history")).to_contain_text("第 1 版")
    # issued minutes show no edit control
    expect(page.locator("#item-add")).to_have_count(0)


def sign_out(page: Page) -> None:
    page.locator("header details.xt-account-menu > summary").click()  # the account menu (base.html)
    page.locator("header.topbar").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def confirm_as_the_head(page: Page, collab: Collaboration) -> None:
    page.goto("/")
    page.get_by_role("link", name="确认启动会会议纪要").click()
    expect(page).to_have_url(re.compile(rf"/c/{collab.slug}/kickoff/#meeting-confirmations$"))
    tech = Department.objects.get(name="技术部")
    row = page.locator(f"#confirmation-{tech.pk}")
    expect(row).to_contain_text("尚未确认")
    # only their own department's row has the buttons
    legal = Department.objects.get(name="法务部")
    expect(page.locator(f"#confirmation-{legal.pk}").get_by_role("button")).to_have_count(0)
    row.get_by_role("button", name="确认纪要").click()
    expect(page.locator("#meeting-section .notice")).to_contain_text("技术部已确认会议纪要(第 1 版)")
    row = page.locator(f"#confirmation-{tech.pk}")
    expect(row).to_contain_text("已确认")
    expect(row.get_by_role("button", name="确认纪要")).to_have_count(0)
    expect(page.locator("#meeting-history")).to_contain_text("技术部确认(赵总监)")
    page.goto("/")
    expect(page.get_by_role("link", name="确认启动会会议纪要")).to_have_count(0)


def test_an_action_item_becomes_a_task_and_a_head_confirms_the_minutes(
    page: Page, login: Any, held_kickoff: Collaboration, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    collab = held_kickoff
    login(collab.owner)
    upload_a_material(page, collab)
    write_an_action_item(page, collab)
    issue_the_minutes(page, collab)
    sign_out(page)
    login(Department.objects.get(name="技术部").head)
    confirm_as_the_head(page, collab)
    meeting = Meeting.objects.get(collaboration=collab, kind="kickoff")
    assert MinutesConfirmation.objects.filter(meeting=meeting, revision=1, department__name="技术部").exists()
