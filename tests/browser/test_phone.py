"""Every page at 390 px, and the pages inside an IM suite's in-app browser (touch, no hover).

WeCom, DingTalk and Feishu open links in an in-app browser built on the same
engine as Chromium: a touch screen, no mouse, so nothing may need hover.
These tests use a 390x844 context with ``is_mobile`` and ``has_touch`` and
only tap: the body never scrolls sideways on any page the URL conf reaches
(wide tables scroll inside their own container), the menu button opens the
navigation and a link in it works, a disclosure opens with a tap, the
responsibility table's rows are cards that name their fields, and the
primary actions are on the screen and not covered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_axe import Browsing, Walk, classify, every_url
from tests.browser.test_minutes import with_password
from tests.running import sqlite_pass_only
from xietong.collabs.models import Collaboration, Task
from xietong.orgs.models import Person

# They judge markup and layout, which the database under the pages does not change: the SQLite pass.
pytestmark = [pytest.mark.browser, sqlite_pass_only]

# An IM suite's in-app browser on a phone: touch only, the phone's width.
IN_APP = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}

# What sticks out of the screen and is not inside an element that scrolls on its own.
OVERFLOWING = """(width) => {
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right <= width + 1 || box.width === 0) continue;
    let clipped = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX)) { clipped = true; break; }
    }
    if (!clipped) found.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
      + ' right=' + Math.round(box.right));
  }
  return found.slice(0, 5);
}"""


@pytest.fixture
def demo_people(transactional_db: None, demo: Collaboration, admin_user: Person) -> Collaboration:
    """The demo; its initiator (王经理) and a staff member (``root``) can sign in."""
    with_password(demo.owner)
    return demo


@pytest.fixture
def phone(browser: Any, base_url: str, demo_people: Collaboration) -> Iterator[Page]:
    """A page in an in-app browser on a phone, signed in as the demo's initiator."""
    context = browser.new_context(**IN_APP, base_url=base_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    owner = demo_people.owner
    assert owner is not None
    sign_in(page, owner.username)
    yield page
    context.close()
    assert errors == [], errors


def test_no_page_scrolls_sideways_on_a_phone(browser: Any, base_url: str, demo_people: Collaboration) -> None:
    assert demo_people.owner is not None
    browsing = Browsing(
        browser, base_url, "phone", {"initiator": demo_people.owner.username, "staff": "root"}
    )
    walk = Walk()
    wide: list[str] = []
    try:
        for url in every_url(demo_people, walk):
            who = classify(browsing, url, walk)
            if who is None:
                continue
            page = browsing.page(who)
            page.goto(url)
            walk.opened[url] = who
            # a clipped body would hide what sticks out instead of fitting it
            clipped = page.evaluate(
                "[document.documentElement, document.body].map(e => getComputedStyle(e).overflowX)"
            )
            assert not {"hidden", "clip"} & set(clipped), f"{url}: the page clips its width ({clipped})"
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"] + 1:
                sticking_out = page.evaluate(OVERFLOWING, PHONE["width"])
                wide.append(f"{url} (as {who}): {width} px wide; {', '.join(sticking_out)}")
    finally:
        browsing.close()
    assert len(walk.opened) > 40, walk.report()
    assert not walk.problems + browsing.errors, "\n".join(walk.problems + browsing.errors)
    assert not wide, "pages wider than the phone:\n" + "\n".join(wide)


def test_a_tap_on_the_menu_opens_the_navigation_and_a_link_in_it_works(phone: Page) -> None:
    phone.goto("/")
    menu = phone.get_by_role("button", name="菜单")
    nav = phone.locator("#main-nav")
    expect(menu).to_be_visible()
    expect(nav).to_be_hidden()
    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    link = nav.get_by_role("link", name="全局概览")
    expect(link).to_be_visible()
    link.tap()
    expect(phone).to_have_url(re.compile(r"/overview/$"))
    expect(phone.locator("h1")).to_be_visible()
    # a new page starts with the menu closed
    expect(phone.get_by_role("button", name="菜单")).to_have_attribute("aria-expanded", "false")


def test_a_disclosure_opens_with_a_tap_and_its_form_can_be_sent(
    phone: Page, demo_people: Collaboration
) -> None:
    phone.goto(f"/c/{demo_people.slug}/issues/")
    disclosure = phone.locator("details#issue-add")
    expect(disclosure).not_to_have_attribute("open", "")
    disclosure.locator("summary").tap()
    expect(disclosure).to_have_attribute("open", "")
    send = disclosure.get_by_role("button").last
    send.scroll_into_view_if_needed()
    expect(send).to_be_visible()
    send.tap(trial=True)  # on the screen, enabled and not covered by anything
    box = send.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_the_account_menu_opens_with_a_tap(phone: Page) -> None:
    phone.goto("/")
    account = phone.locator("details.xt-account-menu")
    account.locator("summary").tap()
    expect(account).to_have_attribute("open", "")
    expect(account.get_by_role("button", name="退出")).to_be_visible()


def test_the_table_rows_are_cards_that_name_their_fields(phone: Page, demo_people: Collaboration) -> None:
    phone.goto(f"/c/{demo_people.slug}/table/")
    task = Task.objects.filter(collaboration=demo_people).order_by("position").first()
    assert task is not None and task.department is not None
    row = phone.locator(f"#task-{task.pk}")
    expect(row).to_be_visible()
    assert row.evaluate("tr => getComputedStyle(tr).display") != "table-row"  # a card, not a table row
    box = row.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    cell = row.locator("td[data-label='责任部门']")
    expect(cell).to_be_visible()
    expect(cell).to_contain_text(task.department.name)
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert "责任部门" in label
    deadline = row.locator("td[data-label='完成时限']")
    if deadline.count():
        assert "完成时限" in deadline.evaluate("td => getComputedStyle(td, '::before').content")


def test_the_primary_actions_are_on_the_screen(phone: Page, demo_people: Collaboration) -> None:
    slug = demo_people.slug
    for path, name in [
        (f"/c/{slug}/table/", "添加到分工表"),
        (f"/c/{slug}/goal/", "保存"),
    ]:
        phone.goto(path)
        button = phone.get_by_role("button", name=name, exact=True).first
        button.scroll_into_view_if_needed()
        expect(button).to_be_visible()
        button.tap(trial=True)  # reachable: enabled, on the screen, not covered
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], path


def test_a_long_text_opens_with_a_tap(phone: Page, demo_people: Collaboration) -> None:
    """A cut-off description opens on focus as well as on hover: a tap focuses it."""
    phone.goto(f"/c/{demo_people.slug}/table/")
    text = phone.locator("#task-rows .long-text").first
    text.scroll_into_view_if_needed()
    text.tap()
    expect(text).to_be_focused()
    assert text.evaluate("e => getComputedStyle(e).maxHeight") == "none"


# A rule that shows something (display, visibility, opacity, a height) on hover.
REVEALS = re.compile(r"\b(display|visibility|opacity|max-height|height|clip)\s*:")
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def test_nothing_is_shown_on_hover_only() -> None:
    """Every stylesheet rule that reveals something on :hover does the same on :focus (a tap, a key)."""
    sheets = sorted((Path(__file__).resolve().parents[2] / "xietong" / "static" / "xietong").glob("*.css"))
    assert sheets
    hover_only = []
    for sheet in sheets:
        css = re.sub(r"/\*.*?\*/", "", sheet.read_text(encoding="utf-8"), flags=re.S)
        for selectors, body in RULE.findall(css):
            if ":hover" in selectors and REVEALS.search(body) and ":focus" not in selectors:
                hover_only.append(f"{sheet.name}: {selectors.strip()} {{{body.strip()}}}")
    assert not hover_only, "shown on hover only:\n" + "\n".join(hover_only)


def test_a_long_forms_submit_button_stays_on_the_screen(phone: Page, demo_people: Collaboration) -> None:
    """On a phone the goal's form is taller than the screen: its 保存 sticks to the bottom while the form shows."""
    phone.goto(f"/c/{demo_people.slug}/goal/")
    save = phone.get_by_role("button", name="保存", exact=True).first
    form = save.locator("xpath=ancestor::form[1]")
    form_box = form.bounding_box()
    assert form_box is not None and form_box["height"] > PHONE["height"], "the form fits: nothing to stick"
    # the top of the form on the screen, its end far below
    form.locator("textarea, input:not([type=hidden]), select").first.scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"] + 1, box
    save.tap(trial=True)
