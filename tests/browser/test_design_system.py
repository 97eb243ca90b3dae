"""The design system in Chromium: menus by keyboard, confirmation dialogs, toasts, dark mode, phone cards."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE
from tests.conftest import AS_OF, KICKOFF, make_person
from xietong.charter.demo import load_demo
from xietong.collabs.models import Collaboration, Task
from xietong.orgs.models import Person

pytestmark = pytest.mark.browser
ACCOUNT = "header details.xt-account-menu"


@pytest.fixture
def demo_admin(transactional_db: None) -> tuple[Person, Collaboration]:
    collab = load_demo(KICKOFF, today=AS_OF)
    return make_person("root", is_superuser=True, is_staff=True), collab


def test_the_account_menu_opens_from_the_keyboard_and_closes_on_escape(
    page: Page, login: Any, demo_admin: Any
) -> None:
    admin, _ = demo_admin
    login(admin)
    tokens = page.get_by_role("link", name="两步验证")
    expect(tokens).to_be_hidden()
    page.locator(f"{ACCOUNT} > summary").focus()
    page.keyboard.press("Enter")
    expect(tokens).to_be_visible()
    page.keyboard.press("Escape")
    expect(tokens).to_be_hidden()
    expect(page.locator(f"{ACCOUNT} > summary")).to_be_focused()
    # the administration menu opens by a click (no hover needed) and a click elsewhere closes it
    page.locator("details.xt-admin-menu > summary").click()
    expect(page.get_by_role("link", name="运维")).to_be_visible()
    page.locator("main h1").click()
    expect(page.get_by_role("link", name="运维")).to_be_hidden()


def test_a_delete_asks_in_a_dialog_that_can_be_cancelled(page: Page, login: Any, demo_admin: Any) -> None:
    admin, collab = demo_admin
    login(admin)
    page.goto(f"/c/{collab.slug}/table/")
    rows = page.locator("#task-rows tr[id^=task-]")
    count = rows.count()
    assert count > 1
    rows.first.get_by_role("button", name="删除").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("确定删除这项任务?")
    expect(dialog.get_by_role("button", name="取消")).to_be_focused()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_have_count(0)
    expect(rows).to_have_count(count)
    rows.first.get_by_role("button", name="删除").click()
    page.get_by_role("dialog").get_by_role("button", name="确定").click()
    expect(rows).to_have_count(count - 1)
    assert Task.objects.filter(collaboration=collab).count() == count - 1


def test_a_message_is_a_toast_that_leaves_and_an_error_stays(page: Page, login: Any, demo_admin: Any) -> None:
    admin, collab = demo_admin
    login(admin)
    page.goto(f"/c/{collab.slug}/goal/")
    page.clock.install()
    page.get_by_role("button", name="保存", exact=True).click()
    toast = page.locator("ul.flash.xt-toasts li").filter(has_text="已保存核心目标")
    expect(toast).to_be_visible()
    assert toast.evaluate("li => getComputedStyle(li.parentElement).position") == "fixed"
    expect(toast.get_by_role("button", name="关闭")).to_be_visible()
    page.clock.run_for(7000)
    expect(toast).to_be_hidden()
    # an error is announced and stays until closed
    page.evaluate(
        """() => { const list = document.createElement("ul"); list.className = "flash";
                   list.innerHTML = '<li class="error">出错了</li>'; document.querySelector("main").prepend(list);
                   document.dispatchEvent(new Event("htmx:load")); }"""
    )
    error = page.get_by_role("alert").filter(has_text="出错了")
    expect(error).to_be_visible()
    page.clock.run_for(20000)
    expect(error).to_be_visible()
    error.get_by_role("button", name="关闭").click()
    expect(error).to_be_hidden()


def test_dark_mode_follows_the_system(browser: Any, base_url: str, demo_admin: Any) -> None:
    admin, collab = demo_admin
    context = browser.new_context(base_url=base_url, locale="zh-CN", color_scheme="dark")
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        body = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert body == "rgb(20, 20, 20)"
        page.locator("#id_username").fill(admin.username)
        page.locator("#id_password").fill(f"pw-{admin.username}")
        page.locator("button.primary").click()
        page.goto(f"/c/{collab.slug}/table/")
        card = page.locator("section.card").first
        assert card.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(31, 31, 31)"
        assert page.evaluate("getComputedStyle(document.body).color") == "rgb(230, 230, 230)"
    finally:
        context.close()


def test_on_a_phone_every_table_row_is_a_card_with_labels(page: Page, login: Any, demo_admin: Any) -> None:
    admin, _ = demo_admin
    page.set_viewport_size(PHONE)
    login(admin)
    page.goto("/")
    # the home table's cells carry no data-label in the template: ui.js copies the column names
    cell = page.locator("main table.grid tbody tr td").nth(1)
    expect(cell).to_have_attribute("data-label", re.compile(r"\S"))
    assert cell.evaluate("td => getComputedStyle(td, '::before').content") != "none"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1
