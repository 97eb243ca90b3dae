"""The pages on a phone and under the Content-Security-Policy, in a real browser.

On a 390 px screen the top bar is one button that opens the navigation
(static menu.js: the policy forbids inline script), and the table's cards
name their fields. Saving a row of the table in place (htmx) logs no
Content-Security-Policy error in the console.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE
from tests.browser.test_minutes import with_password
from tests.helpers import add_charter_people
from tests.test_views import charter_with_tasks
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Task

pytestmark = pytest.mark.browser


@pytest.fixture
def collab(transactional_db: None) -> Collaboration:
    """The guide's example with two rows in its table; its initiator can sign in."""
    collab = do_import_charter(parse_charter(add_charter_people(charter_with_tasks(2))), slug="phone")
    with_password(collab.owner)
    return collab


# Every Content-Security-Policy violation the page sees, whether or not it is logged.
RECORD_VIOLATIONS = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__csp.push("
    "e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));"
)


def csp_messages(page: Page) -> list[str]:
    """Start recording the CSP errors of ``page`` (console and violation events); return the console list."""
    found: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return found


def violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__csp || []"))


def test_an_htmx_save_of_the_table_logs_no_csp_error(
    page: Page,
    login: Any,
    collab: Collaboration,
) -> None:
    csp = csp_messages(page)
    login(collab.owner)
    task = Task.objects.filter(collaboration=collab).order_by("position").first()
    assert task is not None
    page.goto(f"/c/{collab.slug}/table/")
    row = page.locator(f"#task-{task.pk}")
    row.get_by_role("link", name=re.compile("编辑")).click()
    form = page.locator(f"#task-{task.pk}")
    form.get_by_label("交付标准").fill("每周五提交回访报告")
    with page.expect_response(lambda r: r.request.method == "POST" and f"/{task.pk}/" in r.url) as sent:
        form.get_by_role("button", name="保存").click()
    assert sent.value.status == 200
    expect(page.locator(f"#task-{task.pk}")).to_contain_text("每周五提交回访报告")
    # a row added in place too (the new row arrives out of band)
    form = page.locator("#task-new")
    form.get_by_label("任务描述").fill("投诉回访满意度调查")
    form.get_by_label("交付标准").fill("每周五提交回访报告")
    form.get_by_role("button", name="添加到分工表").click()
    expect(page.locator("#task-rows tr[id^=task-]").filter(has_text="投诉回访满意度调查")).to_have_count(1)
    page.evaluate("0")
    assert csp == []
    assert violations(page) == []


def test_every_page_names_its_icon(page: Page, login: Any, collab: Collaboration) -> None:
    login(collab.owner)
    page.goto(f"/c/{collab.slug}/table/")
    icon = page.locator("link[rel=icon]")
    expect(icon).to_have_attribute("href", re.compile(r"favicon\.svg$"))
    response = page.request.get(str(icon.get_attribute("href")))
    assert response.status == 200
    assert "svg" in response.headers["content-type"]


def test_on_a_phone_one_button_opens_the_navigation(
    browser: Any, base_url: str, collab: Collaboration
) -> None:
    from tests.browser.conftest import sign_in

    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        assert collab.owner is not None
        sign_in(page, collab.owner.username)
        page.goto(f"/c/{collab.slug}/table/")
        nav = page.locator("#main-nav")
        menu = page.get_by_role("button", name="菜单")
        expect(menu).to_be_visible()
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(nav).to_be_hidden()
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        link = nav.get_by_role("link", name="全局概览")
        expect(link).to_be_visible()
        # a link reads on one line, not one character per line
        box = link.bounding_box()
        assert box is not None and box["width"] > box["height"] * 2
        # the table's cards name their fields
        cell = page.locator("#task-rows tr[id^=task-] td[data-label='责任部门']").first
        label = cell.evaluate("td => getComputedStyle(td, '::before').content")
        assert "责任部门" in label
        collaborators = page.locator("#task-rows tr[id^=task-] td[data-label='协作方']").first
        assert "协作方" in collaborators.evaluate("td => getComputedStyle(td, '::before').content")
        menu.click()
        expect(nav).to_be_hidden()
        # the English top bar fits the screen
        # the account menu holds the languages
        page.locator("header details.xt-account-menu > summary").click()
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("button", name="Menu")).to_be_visible()
        width = page.evaluate("document.querySelector('.topbar').scrollWidth")
        assert width <= PHONE["width"]
        assert errors == []
    finally:
        context.close()
