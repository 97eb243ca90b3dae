"""Issue 16 §3 in Chromium: what a person typed is never dropped.

The departments page saves every row with one button; an edit conflict in
the responsibility table keeps the person's text next to the other editor's,
with "use mine / use theirs" per field; text fields count their characters,
and a 5,000-character description does not stretch its row over the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import AS_OF, KICKOFF
from xietong.charter.demo import load_demo
from xietong.collabs.actions.tasks import TaskInput, do_save_task
from xietong.collabs.models import Collaboration, Participant, Task
from xietong.orgs.models import Person

pytestmark = pytest.mark.browser


@pytest.fixture
def collab(transactional_db: None) -> Collaboration:
    collab = load_demo(KICKOFF, today=AS_OF)
    owner = collab.owner
    assert isinstance(owner, Person)
    owner.set_password(f"pw-{owner.username}")
    owner.save()
    return collab


def test_filling_every_liaison_and_saving_once_keeps_them_all(
    page: Page, login: Callable[..., None], collab: Collaboration
) -> None:
    login(collab.owner)
    page.goto(f"/c/{collab.slug}/departments/")
    rows = list(Participant.objects.filter(collaboration=collab).order_by("pk"))
    assert len(rows) >= 4
    typed = {row.pk: f"新联络人{i}" for i, row in enumerate(rows)}
    for name in typed.values():  # picked from the directory: a typed name never creates an account
        Person.objects.create(username=name, display_name=name, password="!")
    for pk, name in typed.items():
        page.locator(f"[name=p{pk}-liaison]").fill(name)
    # one 保存 for the table: no per-row button drops the others
    expect(page.get_by_role("button", name="保存", exact=True)).to_have_count(0)
    page.get_by_role("button", name="保存全部部门").click()
    expect(page).to_have_url(re.compile(r"/departments/#step2$"))
    message = page.locator("section[aria-labelledby=step2] .flash")
    expect(message).to_contain_text("已保存")
    expect(message).to_be_in_viewport()  # next to what was saved, where the page stays
    for pk, name in typed.items():
        expect(page.locator(f"[name=p{pk}-liaison]")).to_have_value(name)
    saved = {
        p.pk: p.liaison.name if p.liaison else "" for p in Participant.objects.filter(collaboration=collab)
    }
    assert saved == typed


def test_an_edit_conflict_shows_mine_and_theirs_and_saves_the_choice(
    page: Page, login: Callable[..., None], collab: Collaboration
) -> None:
    task = Task.objects.filter(collaboration=collab).order_by("position").first()
    assert task is not None
    login(collab.owner)
    page.goto(f"/c/{collab.slug}/table/")
    row = page.locator(f"#task-{task.pk}")
    row.get_by_role("link", name="编辑").click()
    form = page.locator(f"#task-{task.pk} form")
    description = form.get_by_label("任务描述")
    expect(description).to_be_visible()
    # the counter shows what the limit allows while typing
    description.fill("我的描述")
    expect(form.locator(".char-counter").first).to_have_text("4 / 20000")
    form.get_by_label("交付标准").fill("我的标准")
    # meanwhile someone else saves the same row
    do_save_task(
        collab,
        TaskInput(
            description="他人的描述",
            department=task.department,
            standard="他人的标准",
            deadline=task.deadline,
            collaborators=list(task.collaborators.all()),
            status=task.status,
            blocked_reason=task.blocked_reason,
        ),
        task=task,
        version=task.version,
    )
    form.get_by_role("button", name="保存").click()
    conflicts = page.locator(f"#task-{task.pk} #conflicts")
    expect(conflicts).to_be_visible()
    expect(page.locator(f"#task-{task.pk}").get_by_label("任务描述")).to_have_value("我的描述")
    standard_row = conflicts.locator("tr[data-conflict=standard]")
    expect(standard_row.locator(".mine")).to_have_text("我的标准")
    expect(standard_row.locator(".theirs")).to_have_text("他人的标准")
    standard_row.get_by_label("用他人的").check()
    page.locator(f"#task-{task.pk}").get_by_role("button", name="保存").click()
    expect(page.locator(f"#task-{task.pk}")).not_to_have_class(re.compile("editing"))
    task.refresh_from_db()
    assert (task.description, task.standard) == ("我的描述", "他人的标准")


def test_a_very_long_description_does_not_wreck_the_table(
    page: Page, login: Callable[..., None], collab: Collaboration
) -> None:
    task = Task.objects.filter(collaboration=collab).order_by("position").first()
    assert task is not None
    Task.objects.filter(pk=task.pk).update(description="很长的任务描述" * 715)  # 5,005 characters
    login(collab.owner)
    page.goto(f"/c/{collab.slug}/table/")
    row = page.locator(f"#task-{task.pk}")
    box = row.bounding_box()
    assert box is not None and box["height"] < 300, box
    table = page.locator("table.tasks").bounding_box()
    scroller = page.locator("section[aria-labelledby=step4] .table-scroll").bounding_box()
    assert table is not None and scroller is not None and table["width"] <= scroller["width"] + 1
    # the full text stays available: focusing the cell shows all of it
    cell = row.locator(".long-text").first
    cell.focus()
    expanded = row.bounding_box()
    assert expanded is not None and expanded["height"] > box["height"]
