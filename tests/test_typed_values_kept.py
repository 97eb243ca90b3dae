"""Issue 16 §3: never lose what a person typed (request tests)."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client
from django.urls import reverse

from tests.helpers import person, signed_in
from tests.test_workspace import HTMX, task_form
from xietong.collabs.models import Collaboration, Participant, Task
from xietong.orgs.models import Person


def _rows(collab: Collaboration) -> list[Participant]:
    return list(Participant.objects.filter(collaboration=collab).select_related("department").order_by("pk"))


def _table_form(collab: Collaboration, liaisons: dict[int, str]) -> dict[str, object]:
    """What the departments page posts with one 保存: every row's fields."""
    collab.refresh_from_db()
    form: dict[str, object] = {"save": "1", "version": collab.version}
    for row in _rows(collab):
        form |= {
            f"p{row.pk}-liaison": liaisons.get(row.pk, row.liaison.name if row.liaison else ""),
            f"p{row.pk}-duties": row.duties,
            f"p{row.pk}-role": row.role,
            f"p{row.pk}-head": row.department.head.name if row.department.head else "",
        }
    return form


def _owner(collab: Collaboration) -> tuple[Person, Client]:
    assert collab.owner is not None
    return collab.owner, signed_in(collab.owner)


# --- departments: one save for the whole table


def test_the_departments_page_saves_every_row_with_one_button(demo: Collaboration) -> None:
    _owner_person, client = _owner(demo)
    rows = _rows(demo)
    page = client.get(f"/c/{demo.slug}/departments/").content.decode()
    # one form, one 保存 for the table: every row's inputs belong to it
    assert page.count('form="departments-form"') >= 4 * len(rows)
    assert page.count("保存全部部门") == 1
    typed = {row.pk: f"联络人{i}" for i, row in enumerate(rows)}
    for name in typed.values():  # picked from the directory: a typed name never creates an account
        person(name)
    response = client.post(f"/c/{demo.slug}/departments/", _table_form(demo, typed))
    assert response.status_code == 302 and response["Location"].endswith("#step2")
    for row in _rows(demo):
        assert row.liaison is not None and row.liaison.name == typed[row.pk]
    # the message is drawn next to the table it is about, not at the top of the page
    page = client.get(response["Location"]).content.decode()
    assert page.index("已保存") > page.index('id="step2"')


def test_a_stale_table_save_keeps_every_typed_row_with_theirs_beside(demo: Collaboration) -> None:
    _owner_person, client = _owner(demo)
    rows = _rows(demo)
    for name in ["他人的联络人", *(f"我的{i}" for i in range(len(rows)))]:
        person(name)
    mine = _table_form(demo, {row.pk: f"我的{i}" for i, row in enumerate(rows)})
    # someone else changes the first row in between
    theirs = _table_form(demo, {rows[0].pk: "他人的联络人"})
    assert client.post(f"/c/{demo.slug}/departments/", theirs).status_code == 302
    page = client.post(f"/c/{demo.slug}/departments/", mine).content.decode()
    assert "刚被他人修改" in page
    for i, _row in enumerate(rows):
        assert f'value="我的{i}"' in page  # nothing typed is lost
    assert "他人的联络人" in page and 'value="theirs"' in page
    # saving again after reading, choosing theirs for the first row, keeps both
    demo.refresh_from_db()
    again = mine | {"version": demo.version, f"p{rows[0].pk}-use-liaison": "theirs"}
    assert client.post(f"/c/{demo.slug}/departments/", again).status_code == 302
    saved = {row.pk: row.liaison.name if row.liaison else "" for row in _rows(demo)}
    assert saved[rows[0].pk] == "他人的联络人"
    assert all(saved[row.pk] == f"我的{i}" for i, row in enumerate(rows) if i)


# --- edit conflicts: mine and theirs per field


def test_a_stale_row_edit_keeps_mine_shows_theirs_and_lets_me_choose(demo: Collaboration) -> None:
    _owner_person, client = _owner(demo)
    task = Task.objects.filter(collaboration=demo).first()
    assert task is not None
    url = f"/c/{demo.slug}/table/{task.pk}/edit/"
    loaded = task.version
    theirs = task_form(
        f"t{task.pk}", description="他人的描述", standard="他人的标准", status="in_progress", version=loaded
    )
    mine = task_form(
        f"t{task.pk}", description="我的描述", standard="我的标准", status="in_progress", version=loaded
    )
    client.post(url, theirs, **HTMX)
    page = client.post(url, mine, **HTMX).content.decode()
    task.refresh_from_db()
    assert task.description == "他人的描述"
    assert "我的描述</textarea>" in page  # my text stays in the form
    assert "他人的描述" in page and "他人的标准" in page  # theirs beside it
    assert f'name="t{task.pk}-use-description" value="theirs"' in page
    assert f'name="t{task.pk}-version" value="{task.version}"' in page  # saving again is a decision
    # keep my description, take their standard
    chosen = mine | {f"t{task.pk}-version": task.version, f"t{task.pk}-use-standard": "theirs"}
    assert 'id="conflicts"' not in client.post(url, chosen, **HTMX).content.decode()
    task.refresh_from_db()
    assert (task.description, task.standard) == ("我的描述", "他人的标准")


def test_a_stale_goal_save_keeps_mine_and_shows_theirs(demo: Collaboration) -> None:
    _owner_person, client = _owner(demo)
    page = client.get(f"/c/{demo.slug}/goal/")
    form = page.context["form"]
    formset = page.context["formset"]
    data: dict[str, object] = {name: form[name].value() or "" for name in form.fields}
    management = formset.management_form
    data |= {management.add_prefix(n): management[n].value() for n in management.fields}
    for f in formset.forms:
        data |= {f.add_prefix(n): f[n].value() if f[n].value() is not None else "" for n in f.fields}
    assert client.post(f"/c/{demo.slug}/goal/", data | {"background": "他人的背景"}).status_code == 302
    answer = client.post(f"/c/{demo.slug}/goal/", data | {"background": "我的背景"})
    page_text = answer.content.decode()
    assert answer.status_code == 200 and "刚被他人修改" in page_text
    assert "我的背景</textarea>" in page_text and "他人的背景" in page_text
    assert 'name="use-background" value="theirs"' in page_text
    demo.refresh_from_db()
    assert demo.background == "他人的背景"
    again = data | {"background": "我的背景", "version": demo.version}
    assert client.post(f"/c/{demo.slug}/goal/", again).status_code == 302
    demo.refresh_from_db()
    assert demo.background == "我的背景"


# --- sub-goal form: what the time-limit picker hides is not validated


def test_a_hidden_sla_or_picker_value_does_not_block_a_subgoal_save(demo: Collaboration) -> None:
    from tests.test_subgoals_page import form_data, subgoal_of

    _owner_person, client = _owner(demo)
    tech = subgoal_of(demo, "技术部")
    hidden_leftovers = {"sla_hours": "0", "monthday": "99", "freq": "yearly", "rrule_advanced": "nonsense"}
    data = form_data(
        demo,
        description="技术部8月底前完成排查机制",
        department=str(tech.department_id),
        deadline_kind="fixed",
        deadline_date="2024-08-30",
        **hidden_leftovers,
    )
    response = client.post(f"/c/{demo.slug}/subgoals/", {**data, "pk": str(tech.pk), "version": ""})
    assert response.status_code == 302, response.content.decode()
    tech.refresh_from_db()
    assert (tech.deadline_kind, str(tech.deadline_date)) == ("fixed", "2024-08-30")
    assert tech.sla_hours is None and tech.rrule == ""
    # the chosen kind's own fields are still checked
    shown = form_data(demo, department=str(tech.department_id), deadline_kind="sla", sla_hours="0")
    page = client.post(f"/c/{demo.slug}/subgoals/", {**shown, "pk": str(tech.pk)}).content.decode()
    assert "响应时限须大于 0 小时" in page


# --- Excel import: the preview names what the import would refuse


def test_the_untouched_template_previews_its_missing_title_and_cannot_be_imported(
    outsider: Person, settings: object, tmp_path: Path
) -> None:
    from tests.documents.test_pages import upload

    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    client = signed_in(outsider)
    template = client.get(reverse("documents:template"))
    data = b"".join(template.streaming_content) if template.streaming else template.content  # type: ignore[attr-defined]
    preview = client.post(reverse("documents:import"), {"file": upload(data)})
    page = preview.content.decode()
    assert "文件没有问题" not in page
    cells = [re.sub(r"<[^>]+>", "", row) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)]
    assert "协作信息1B(协作名称)导入需要协作名称" in cells  # sheet, row, column, reason
    assert "title:" not in page
    assert re.search(r'<button[^>]*value="all"[^>]*disabled', page)
    assert 'value="valid"' not in page
    # confirming anyway stores nothing and says why, at the cell
    token = preview.context["token"]
    answer = client.post(reverse("documents:import_confirm"), {"token": token, "choice": "valid"})
    assert "导入需要协作名称" in answer.content.decode() and "title:" not in answer.content.decode()
    assert not Collaboration.objects.exists()
