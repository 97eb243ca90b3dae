"""Assigning a row in a real browser: the liaison picks the assignee in the table (htmx, no reload);
the assignee signs in and finds the row on 我的工作台, on 我的任务 and in the inbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_newcomer import assert_not_reloaded, mark_page
from tests.conftest import AS_OF, KICKOFF, make_person
from tests.helpers import liaison_of
from xietong.charter.demo import load_demo
from xietong.collabs.models import Collaboration, Task
from xietong.orgs.models import Department, Person

pytestmark = pytest.mark.browser


@pytest.fixture
def assignment(transactional_db: None) -> tuple[Collaboration, Person, Person, Task]:
    collab = load_demo(KICKOFF, today=AS_OF)
    liaison = liaison_of(collab, "技术部")
    liaison.set_password("pw-liaison")
    liaison.save(update_fields=["password"])
    member = make_person("tech-1", department=Department.objects.get(name="技术部"))
    task = Task.objects.filter(collaboration=collab, department__name="技术部").order_by("position").first()
    assert task is not None
    return collab, liaison, member, task


def test_the_liaison_assigns_a_row_and_the_assignee_finds_it(page: Page, login: Any, assignment: Any) -> None:
    collab, liaison, member, task = assignment
    login(liaison, "pw-liaison")
    page.goto(f"/c/{collab.slug}/table/")
    url = mark_page(page)
    row = page.locator(f"#task-{task.pk}")
    picker = row.locator(f"#assignee-select-{task.pk}")
    expect(picker).to_be_visible()
    picker.select_option(label="tech-1")
    # The row came back from the server with the choice saved (a new version in its form).
    expect(row.locator('input[name="version"]').first).to_have_value(str(task.version + 1))
    expect(row.locator(f"#assignee-select-{task.pk}")).to_have_value(str(member.pk))
    assert_not_reloaded(page, url)
    task.refresh_from_db()
    assert task.assignee == member

    # Watching is the viewer's own, in place too.
    row.get_by_role("button", name="关注").click()
    expect(row.get_by_role("button", name="取消关注")).to_be_visible()
    expect(row.locator(".watchers")).to_have_text("1 人关注")

    page.context.clear_cookies()
    login(member)
    expect(page.get_by_role("heading", level=1)).to_have_text("我的工作台")
    assigned = page.locator("section[aria-labelledby=assigned]")
    expect(assigned).to_contain_text(task.description[:20])
    page.get_by_role("link", name="我的任务").first.click()
    expect(page).to_have_url(re.compile(r"/my/tasks/$"))
    expect(page.locator(f"#my-task-{task.pk}")).to_contain_text(task.description[:20])
    page.get_by_role("link", name="逾期", exact=True).click()
    expect(page).to_have_url(re.compile(r"due=overdue"))
    page.goto("/notifications/")
    expect(page.locator("main")).to_contain_text("李工 将任务分配给您")
    page.locator("main").get_by_role("link", name=re.compile("将任务分配给您")).first.click()
    expect(page).to_have_url(re.compile(rf"/c/{collab.slug}/table/"))
    expect(page.locator(f"#task-{task.pk}")).to_contain_text("tech-1")
