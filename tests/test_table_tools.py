"""The responsibility table's filters and sorting (in the URL), saved views, and rows pasted from Excel."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_person
from tests.helpers import Cast, row_counts, signed_in
from xietong.collabs.models import Collaboration, Participant, SavedView, Task, TaskStatus
from xietong.collabs.paste import read_paste
from xietong.collabs.tablefilter import QUERY_LIMIT, TableFilter
from xietong.lib.cells import date_of_text, names_of
from xietong.rules.clock import context_for

pytestmark = pytest.mark.django_db


def _table(collab: Collaboration, query: str = "") -> str:
    return f"/c/{collab.slug}/table/" + (f"?{query}" if query else "")


def _shown(page: str) -> list[int]:
    """The ids of the rows a table page shows, in order."""
    body = page.split('id="task-rows"', 1)[1].split("</tbody>", 1)[0]
    return [int(part.split('"', 1)[0]) for part in body.split('<tr id="task-')[1:]]


# --- the filter itself (no page)


def test_a_filter_keeps_only_what_exists_and_writes_a_canonical_query() -> None:
    query = {
        "department": ["3", "1", "999", "x", "1"],
        "status": ["blocked", "nonsense", "done"],
        "overdue": ["1"],
        "assignee": ["7", "none", "8"],
        "sort": ["<script>"],
    }
    flt = TableFilter.parse(query, departments=[1, 2, 3], assignees=[7])
    assert flt.departments == (1, 3) and flt.statuses == ("done", "blocked")
    assert flt.assignees == (7,) and flt.nobody and flt.overdue and flt.sort == "position"
    assert (
        flt.query()
        == "department=1&department=3&status=done&status=blocked&overdue=1&assignee=7&assignee=none"
    )
    assert TableFilter.parse({}, departments=[], assignees=[]).query() == ""


def test_a_huge_query_is_capped_not_read_whole() -> None:
    text = "department=1&" * 100_000
    flt = TableFilter.from_query_string(text, departments=[1], assignees=[])
    assert flt.departments == (1,)
    assert len(text[:QUERY_LIMIT]) == QUERY_LIMIT


def test_cells_read_dates_and_names_as_the_workbook_does() -> None:
    assert date_of_text("2024年7月20日") == date(2024, 7, 20)
    assert date_of_text("2024/7/20") == date(2024, 7, 20)
    assert date_of_text("2024-02-30") is None and date_of_text("明天") is None
    assert names_of("法务部、客服部/产品部", departments=True) == ["法务部", "客服部", "产品部"]


# --- the page


def test_the_department_filter_names_departments_not_participant_rows(cast: Cast) -> None:
    """The options and the filter are department ids, also where the participant rows are numbered otherwise."""
    collab = cast.collab
    tech = cast.department("技术部")
    # Give 技术部's participant row a new id, far from the department's (a fresh database numbers both alike).
    row = Participant.objects.get(collaboration=collab, department=tech)
    old_id = row.pk
    row.delete()  # nothing refers to a participant row
    row.pk = old_id + 1000
    row.save(force_insert=True)
    cache.clear()
    page = signed_in(cast.viewer).get(_table(collab, f"department={tech.pk}")).content.decode()
    assert f'<option value="{tech.pk}" selected>技术部</option>' in page
    shown = set(_shown(page))
    assert shown and shown == set(
        Task.objects.filter(collaboration=collab, department=tech).values_list("pk", flat=True)
    )
    board = signed_in(cast.viewer).get(f"/c/{collab.slug}/board/").content.decode()
    assert "技术部" in board


def test_the_table_filters_by_department_status_overdue_and_assignee(cast: Cast) -> None:
    collab = cast.collab
    client = signed_in(cast.viewer)
    tech = cast.department("技术部")
    page = client.get(_table(collab, f"department={tech.pk}")).content.decode()
    assert set(_shown(page)) == set(
        Task.objects.filter(collaboration=collab, department=tech).values_list("pk", flat=True)
    )
    blocked = client.get(_table(collab, "status=blocked")).content.decode()
    assert set(_shown(blocked)) == set(
        Task.objects.filter(collaboration=collab, status=TaskStatus.BLOCKED).values_list("pk", flat=True)
    )
    late = Task.objects.filter(collaboration=collab).exclude(status=TaskStatus.DONE).first()
    assert late is not None
    Task.objects.filter(pk=late.pk).update(deadline=date(2000, 1, 3))
    cache.clear()
    overdue = client.get(_table(collab, "overdue=1")).content.decode()
    assert late.pk in _shown(overdue)
    today = context_for().today
    expected = {t.pk for t in Task.objects.filter(collaboration=collab) if t.is_overdue(today)}
    assert set(_shown(overdue)) == expected
    engineer = make_person("engineer", department=tech)
    Task.objects.filter(pk=late.pk).update(assignee=engineer)
    mine = client.get(_table(collab, f"assignee={engineer.pk}")).content.decode()
    assert _shown(mine) == [late.pk]
    nobody = client.get(_table(collab, "assignee=none")).content.decode()
    assert (
        late.pk not in _shown(nobody)
        and len(_shown(nobody)) == Task.objects.filter(collaboration=collab, assignee__isnull=True).count()
    )


def test_the_table_sorts_by_deadline(cast: Cast) -> None:
    page = signed_in(cast.viewer).get(_table(cast.collab, "sort=-deadline")).content.decode()
    deadlines = [Task.objects.get(pk=pk).deadline for pk in _shown(page)]
    known = [d for d in deadlines if d is not None]
    assert known == sorted(known, reverse=True)


@pytest.mark.parametrize(
    "query",
    [
        "status=nonsense",
        "department=99999999999999999999999",
        "department=-1&assignee=abc&sort=drop%20table",
        "overdue=yes&status=" + "x" * 5000,
        "department=1&" * 900,
        "%ff%fe=%00",
    ],
)
def test_strange_queries_are_ignored_never_an_error(cast: Cast, query: str) -> None:
    response = signed_in(cast.viewer).get(_table(cast.collab, query))
    assert response.status_code == 200


def test_a_query_of_too_many_fields_is_a_bad_request_not_an_error(cast: Cast) -> None:
    # Django refuses more than DATA_UPLOAD_MAX_NUMBER_FIELDS before the view reads any.
    response = signed_in(cast.viewer).get(_table(cast.collab, "department=1&" * 3000))
    assert response.status_code == 400


def test_a_filter_is_saved_listed_reopened_and_deleted_by_its_owner_only(cast: Cast) -> None:
    collab = cast.collab
    client = signed_in(cast.liaison)
    response = client.post(
        f"/c/{collab.slug}/table/views/?status=blocked&status=nonsense&overdue=1", {"name": "阻塞与逾期"}
    )
    assert response.status_code == 302
    view = SavedView.objects.get(person=cast.liaison, collaboration=collab)
    assert view.name == "阻塞与逾期" and view.query == "status=blocked&overdue=1"
    page = client.get(_table(collab)).content.decode()
    assert "阻塞与逾期" in page and "?status=blocked&amp;overdue=1" in page
    # Saving again under the same name replaces it.
    client.post(f"/c/{collab.slug}/table/views/?status=done", {"name": "阻塞与逾期"})
    view.refresh_from_db()
    assert view.query == "status=done" and SavedView.objects.count() == 1
    # Someone else's view is not even found.
    other = signed_in(cast.initiator)
    assert "阻塞与逾期" not in other.get(_table(collab)).content.decode()
    assert other.post(f"/c/{collab.slug}/table/views/{view.pk}/delete/").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert client.post(f"/c/{collab.slug}/table/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_a_view_without_a_name_comes_back_with_the_filter(cast: Cast) -> None:
    client = signed_in(cast.liaison)
    before = row_counts()
    page = client.post(f"/c/{cast.collab.slug}/table/views/?status=done", {"name": "  "}).content.decode()
    assert "请为这个筛选起个名字" in page and '<option value="done" selected>' in page
    long = client.post(
        f"/c/{cast.collab.slug}/table/views/?status=done", {"name": "名" * 61}
    ).content.decode()
    assert "名称最多 60 个字" in long and 'value="' + "名" * 61 + '"' in long
    assert row_counts() == before


@pytest.mark.parametrize("query", ["", "status=in_progress&sort=deadline", "assignee=none&overdue=1"])
def test_the_filtered_table_costs_the_same_queries_at_two_sizes(cast: Cast, query: str) -> None:
    collab = cast.collab
    departments = list({t.department for t in Task.objects.filter(collaboration=collab)})
    counts = []
    for size in (10, 300):
        start = Task.objects.filter(collaboration=collab).count()
        Task.objects.bulk_create(
            Task(
                collaboration=collab,
                position=start + i,
                description=f"任务 {start + i}",
                department=departments[i % len(departments)],
                status=list(TaskStatus)[i % 4],
                deadline=date(2024, 7, 1 + i % 28),
            )
            for i in range(size)
        )
        SavedView.objects.create(person=cast.liaison, collaboration=collab, name=f"v{size}", query=query)
        cache.clear()
        client = signed_in(cast.liaison)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_table(collab, query))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- paste from Excel


PASTE = (
    "任务描述\t责任部门\t交付标准\t时间节点\t协作方\r\n"
    "整理投诉分类\t技术部\t分类表一份\t2024/9/1\t法务部\r\n"
    '"两行的\n描述"\t法务部\t\t2024年9月2日\t\r\n'
)


def test_a_paste_previews_its_rows_and_adds_them_all(cast: Cast) -> None:
    client = signed_in(cast.initiator)
    url = f"/c/{cast.collab.slug}/table/paste/"
    before = Task.objects.filter(collaboration=cast.collab).count()
    preview = client.post(url, {"paste-rows": PASTE, "step": "preview"}).content.decode()
    assert "预览:2 行" in preview and "整理投诉分类" in preview and "可添加" in preview
    assert Task.objects.filter(collaboration=cast.collab).count() == before
    response = client.post(url, {"paste-rows": PASTE, "step": "create"})
    assert response.status_code == 302
    added = list(Task.objects.filter(collaboration=cast.collab).order_by("-position")[:2])
    assert added[1].description == "整理投诉分类" and added[1].deadline == date(2024, 9, 1)
    assert [d.name for d in added[1].collaborators.all()] == ["法务部"]
    assert added[0].description == "两行的\n描述" and added[0].department == cast.department("法务部")


def test_a_paste_with_a_bad_row_adds_nothing_and_keeps_the_text(cast: Cast) -> None:
    client = signed_in(cast.initiator)
    bad = PASTE + "第三行\t不存在的部门\t\t2024-02-30\t\r\n\t技术部\t\t\t\r\n"
    before = row_counts()
    page = client.post(f"/c/{cast.collab.slug}/table/paste/", {"paste-rows": bad, "step": "create"})
    html = page.content.decode()
    assert row_counts() == before
    assert "未参与本协作的部门:不存在的部门" in html and "无法识别的日期 2024-02-30" in html
    assert "任务描述为空" in html and "第三行" in html
    assert "一行有问题时一行也不添加" in html


def test_a_liaison_may_paste_rows_of_their_own_department_only(cast: Cast) -> None:
    client = signed_in(cast.liaison)
    before = row_counts()
    page = client.post(
        f"/c/{cast.collab.slug}/table/paste/",
        {"paste-rows": "我们的\t技术部\n他们的\t法务部\n", "step": "create"},
    ).content.decode()
    assert row_counts() == before and "你不能为该部门添加任务" in page
    assert (
        signed_in(cast.viewer)
        .post(f"/c/{cast.collab.slug}/table/paste/", {"paste-rows": "x\t技术部", "step": "create"})
        .status_code
        == 403
    )


def test_a_paste_reads_the_workbooks_column_order_by_its_headers(cast: Cast) -> None:
    departments = [cast.department("技术部"), cast.department("法务部")]
    text = "任务描述\t责任部门\t协作方\t交付标准\t时间节点\n甲\t技术部\t法务部\t标准\t2024-09-01\n"
    paste = read_paste(text, departments, lambda d: True)
    assert paste.ok
    data = paste.rows[0].data
    assert data is not None and data.standard == "标准" and data.collaborators == [departments[1]]


def test_too_many_pasted_rows_are_refused_whole(cast: Cast) -> None:
    paste = read_paste("行\t技术部\n" * 201, [cast.department("技术部")], lambda d: True)
    assert not paste.ok and "一次最多粘贴 200 行" in paste.problems[0]
    assert not read_paste("\n\n", [], lambda d: True).ok
