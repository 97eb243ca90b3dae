"""The board, bulk edit and saved filters in a real Chromium.

A liaison drags a card of their department to 进行中 (and one to 阻塞, giving
the reason the dialog asks for) and finds both saved after a reload; moves
a card with the keyboard alone through its "移到…" form; the initiator edits
three rows of the table at once and reopens a saved filter from its link.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE
from tests.browser.test_minutes import with_password
from tests.conftest import AS_OF, KICKOFF
from xietong.charter.demo import load_demo
from xietong.collabs.models import Collaboration, Participant, Task, TaskStatus
from xietong.orgs.models import Person

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_collab(transactional_db: None) -> Collaboration:
    collab = load_demo(KICKOFF, today=AS_OF)
    with_password(collab.owner)
    return collab


def _liaison(collab: Collaboration) -> Person:
    liaison = Participant.objects.get(collaboration=collab, department__name="技术部").liaison
    return with_password(liaison)


def _tech_card(collab: Collaboration, status: str) -> Task:
    """A 技术部 row put in ``status`` (without a reason or a blocked clock)."""
    task = Task.objects.filter(collaboration=collab, department__name="技术部").order_by("position").first()
    assert task is not None
    Task.objects.filter(pk=task.pk).update(status=status, blocked_reason="", blocked_since=None)
    task.refresh_from_db()
    return task


def _column(page: Page, task: Task, status: str) -> object:
    lane = page.locator(f".board-lane[data-lane=d{task.department_id}]")
    return lane.locator(f".board-cards[data-status={status}]")


def test_dragging_a_card_to_in_progress_saves_it(
    page: Page, login: object, demo_collab: Collaboration
) -> None:
    task = _tech_card(demo_collab, TaskStatus.NOT_STARTED)
    login(_liaison(demo_collab))  # type: ignore[operator]
    page.goto(f"/c/{demo_collab.slug}/board/")
    card = page.locator(f"#card-{task.pk}")
    expect(card).to_have_attribute("data-status", "not_started")
    page.evaluate("window.__noReload = true")
    card.locator(".board-card-meta").drag_to(_column(page, task, "in_progress"))  # type: ignore[attr-defined]
    # The answer replaces the card: the saved one says its status.
    expect(page.locator(f"#card-{task.pk}")).to_have_attribute("data-status", "in_progress")
    expect(_column(page, task, "in_progress").locator(f"#card-{task.pk}")).to_have_count(1)  # type: ignore[attr-defined]
    assert page.evaluate("window.__noReload === true")
    page.reload()
    expect(_column(page, task, "in_progress").locator(f"#card-{task.pk}")).to_have_count(1)  # type: ignore[attr-defined]
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS


def test_dragging_a_card_to_blocked_asks_for_the_reason(
    page: Page, login: object, demo_collab: Collaboration
) -> None:
    task = _tech_card(demo_collab, TaskStatus.IN_PROGRESS)
    login(_liaison(demo_collab))  # type: ignore[operator]
    page.goto(f"/c/{demo_collab.slug}/board/")
    card = page.locator(f"#card-{task.pk}")
    card.locator(".board-card-meta").drag_to(_column(page, task, "blocked"))  # type: ignore[attr-defined]
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="确定").click()
    expect(dialog.get_by_role("alert")).to_contain_text("阻塞的任务请写明原因")
    dialog.get_by_label("阻塞原因").fill("等待法务部审核合同")
    dialog.get_by_role("button", name="确定").click()
    expect(page.locator(f"#card-{task.pk}")).to_have_attribute("data-status", "blocked")
    expect(page.locator(f"#card-{task.pk}")).to_contain_text("等待法务部审核合同")
    page.reload()
    expect(_column(page, task, "blocked").locator(f"#card-{task.pk}")).to_have_count(1)  # type: ignore[attr-defined]


def test_a_card_moves_with_the_keyboard_alone(page: Page, login: object, demo_collab: Collaboration) -> None:
    task = _tech_card(demo_collab, TaskStatus.NOT_STARTED)
    login(_liaison(demo_collab))  # type: ignore[operator]
    page.goto(f"/c/{demo_collab.slug}/board/")
    card = page.locator(f"#card-{task.pk}")
    card.get_by_role("link").focus()
    page.keyboard.press("Tab")
    menu = card.get_by_label("移到…")
    expect(menu).to_be_focused()
    # The first choice of a 未开始 card is 进行中; arrow keys choose in a closed select.
    expect(menu).to_have_value("in_progress")
    page.keyboard.press("ArrowDown")
    expect(menu).to_have_value("blocked")
    page.keyboard.press("ArrowUp")
    expect(menu).to_have_value("in_progress")
    page.keyboard.press("Tab")
    expect(card.get_by_role("button", name=re.compile("^移动"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/board/\?group=department#card-{task.pk}$"))
    expect(_column(page, task, "in_progress").locator(f"#card-{task.pk}")).to_have_count(1)  # type: ignore[attr-defined]
    expect(page.get_by_text("移到“进行中”")).to_be_visible()
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS


def test_the_initiator_edits_three_rows_at_once(
    page: Page, login: object, demo_collab: Collaboration
) -> None:
    rows = list(
        Task.objects.filter(collaboration=demo_collab)
        .exclude(status=TaskStatus.DONE)
        .order_by("position")[:3]
    )
    assert len(rows) == 3
    login(demo_collab.owner)  # type: ignore[operator]
    page.goto(f"/c/{demo_collab.slug}/table/")
    for task in rows:
        page.locator(f"#task-{task.pk} input[name=task]").check()
    form = page.locator("#bulk-form")
    expect(form.locator("#bulk-count")).to_have_text("(3)")
    form.get_by_label("状态").select_option(label="已完成")
    form.get_by_label("修改原因").fill("周例会确认已交付")
    form.get_by_role("button", name="批量修改").click()
    expect(page.get_by_text("已修改 3 行。")).to_be_visible()
    for task in rows:
        expect(page.locator(f"#task-{task.pk} .status")).to_have_text("已完成")
    assert Task.objects.filter(pk__in=[t.pk for t in rows], status=TaskStatus.DONE).count() == 3


def test_a_saved_filter_reopens_from_its_link(page: Page, login: object, demo_collab: Collaboration) -> None:
    blocked = set(
        Task.objects.filter(collaboration=demo_collab, status=TaskStatus.BLOCKED).values_list("pk", flat=True)
    )
    assert blocked
    login(demo_collab.owner)  # type: ignore[operator]
    page.goto(f"/c/{demo_collab.slug}/table/")
    bar = page.get_by_role("search")
    bar.get_by_label("状态").select_option(label="阻塞")
    bar.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"status=blocked"))
    page.get_by_label("把当前筛选保存为").fill("阻塞的行")
    page.get_by_role("button", name="保存筛选").click()
    expect(page.get_by_text("已保存筛选「阻塞的行」。")).to_be_visible()
    page.goto(f"/c/{demo_collab.slug}/table/")
    expect(page.locator("#task-rows > tr")).to_have_count(
        Task.objects.filter(collaboration=demo_collab).count()
    )
    page.get_by_role("navigation", name="我保存的筛选").get_by_role("link", name="阻塞的行").click()
    expect(page).to_have_url(re.compile(r"\?status=blocked$"))
    expect(page.locator("#task-rows > tr")).to_have_count(len(blocked))
    for pk in blocked:
        expect(page.locator(f"#task-{pk}")).to_be_visible()


def test_the_board_fits_a_phone_and_moves_without_drag(
    page: Page, login: object, demo_collab: Collaboration
) -> None:
    task = _tech_card(demo_collab, TaskStatus.NOT_STARTED)
    page.set_viewport_size(PHONE)
    login(_liaison(demo_collab))  # type: ignore[operator]
    page.goto(f"/c/{demo_collab.slug}/board/?group=assignee")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card = page.locator(f"#card-{task.pk}")
    card.get_by_label("移到…").select_option(label="已完成")
    card.get_by_role("button", name=re.compile("^移动")).click()
    expect(page.locator(f"#card-{task.pk}")).to_have_attribute("data-status", "done")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
