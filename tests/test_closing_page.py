"""Step 8 page (成果验收与复盘), the change requests page and the problem-solving header, in every role."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.helpers import TZ, Cast, pinned, signed_in
from tests.test_views import charter_with_tasks
from xietong.audit.models import AuditEntry
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Task
from xietong.orgs.models import Person
from xietong.tracking.actions.changes import Target, do_request_change
from xietong.tracking.models import (
    Acceptance,
    ChangeField,
    ChangeRequest,
    ChangeStatus,
    ProgressUpdate,
    Retrospective,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
NOW = datetime(2024, 10, 8, 10, 0, tzinfo=TZ)
RETRO = {
    "went_well": "每周例会节奏稳定",
    "problems": "技术部排期冲突",
    "improvements": "提前锁定资源",
    "lessons": "SLA 写进子目标",
}


_pinned = pinned(NOW)


def closing_url(collab: Collaboration, part: str = "") -> str:
    return f"/c/{collab.slug}/closing/{part}"


def changes_url(collab: Collaboration, part: str = "") -> str:
    return f"/c/{collab.slug}/changes/{part}"


def accept_all(client: Client, collab: Collaboration) -> None:
    """Pass the done rows; accept the others on a condition (only a done row simply passes)."""
    for task in Task.objects.filter(collaboration=collab):
        p = f"accept{task.pk}"
        verdict = (
            {f"{p}-verdict": "accept"}
            if task.status == "done"
            else {
                f"{p}-verdict": "conditional",
                f"{p}-reason": "收尾后两周内补齐",
            }
        )
        response = client.post(closing_url(collab, f"accept/{task.pk}/"), verdict)
        assert response.status_code == 302, response.content.decode()[:500]


# --- the closing page


def test_the_closing_page_shows_every_row_metrics_scorecards_and_the_forms(cast: Cast) -> None:
    page = signed_in(cast.initiator).get(closing_url(cast.collab))
    assert page.status_code == 200
    html = page.content.decode()
    for task in Task.objects.filter(collaboration=cast.collab):
        assert f'id="deliverable-{task.pk}"' in html
    for text in (
        "最终指标与目标",
        "部门评分卡",
        "技术部",
        "做得好的",
        "可复用的经验",
        "关闭协作",
        "24小时内闭环率",
    ):
        assert text in html
    # problem-solving header on the page: lead and support departments, time limit
    assert "牵头部门" in html and "解决时限" in html


def test_liaison_and_viewer_see_the_page_without_forms_and_get_403_on_writes(cast: Cast) -> None:
    task = Task.objects.filter(collaboration=cast.collab).first()
    assert task is not None
    for person in (cast.liaison, cast.head, cast.viewer, cast.member):
        client = signed_in(person)
        html = client.get(closing_url(cast.collab)).content.decode()
        assert "accept-form" not in html and 'href="/c/demo/closing/close/"' not in html
        assert (
            client.post(
                closing_url(cast.collab, f"accept/{task.pk}/"), {f"accept{task.pk}-verdict": "accept"}
            ).status_code
            == 403
        )
        assert client.post(closing_url(cast.collab, "retrospective/"), RETRO).status_code == 403
        assert client.post(closing_url(cast.collab, "close/")).status_code == 403
        assert (
            client.post(
                closing_url(cast.collab, "resolution/"), {"resolution_deadline": "2024-10-01"}
            ).status_code
            == 403
        )
    assert not Acceptance.objects.exists() and not Retrospective.objects.exists()


def test_a_rejection_needs_a_comment_and_htmx_gets_the_section(cast: Cast) -> None:
    client = signed_in(cast.initiator)
    task = Task.objects.filter(collaboration=cast.collab).first()
    assert task is not None
    url = closing_url(cast.collab, f"accept/{task.pk}/")
    response = client.post(url, {f"accept{task.pk}-verdict": "reject"}, headers=HTMX)
    assert response.status_code == 200 and "未达到交付标准" in response.content.decode()
    assert not Acceptance.objects.filter(task=task).exists()
    response = client.post(
        url, {f"accept{task.pk}-verdict": "reject", f"accept{task.pk}-comment": "缺少报表"}, headers=HTMX
    )
    assert response.status_code == 200
    assert 'id="closing-section"' in response.content.decode() and "缺少报表" in response.content.decode()
    verdict = Acceptance.objects.get(task=task)
    assert verdict.accepted is False and verdict.department == cast.collab.initiator_department


def test_closing_is_refused_with_a01_then_allowed_and_then_read_only(cast: Cast) -> None:
    collab = cast.collab
    client = signed_in(cast.initiator)
    refused = client.post(closing_url(collab, "close/"))
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "暂不能关闭协作" in html and "A01" in html and "尚未复盘" in html
    collab.refresh_from_db()
    assert collab.closed_at is None

    accept_all(client, collab)
    assert client.post(closing_url(collab, "retrospective/"), RETRO).status_code == 302
    assert client.post(closing_url(collab, "close/"), {"confirm": "1"}).status_code == 302
    collab.refresh_from_db()
    assert collab.closed_at == NOW

    # read-only: the banner on every workspace page, 403 on every write of these pages
    for path in (
        closing_url(collab),
        changes_url(collab),
        f"/c/{collab.slug}/table/",
        f"/c/{collab.slug}/goal/",
    ):
        assert "协作已关闭" in client.get(path).content.decode(), path
    task = Task.objects.filter(collaboration=collab).first()
    assert task is not None
    assert (
        client.post(
            closing_url(collab, f"accept/{task.pk}/"), {f"accept{task.pk}-verdict": "accept"}
        ).status_code
        == 403
    )
    assert client.post(closing_url(collab, "retrospective/"), RETRO).status_code == 403
    assert client.post(closing_url(collab, "close/")).status_code == 403
    assert (
        client.post(
            changes_url(collab),
            {"target": f"task:{task.pk}", "field": "deadline", "new_value": "2024-12-01", "reason": "x"},
        ).status_code
        == 403
    )
    # still listed on the home page and found on the overview
    assert collab.title in client.get("/").content.decode()
    assert collab.title in client.get("/overview/").content.decode()
    # and found by a search, here by the retrospective's reusable lesson
    assert collab.title in client.get("/overview/", {"q": "写进子目标", "state": "closed"}).content.decode()
    assert (
        collab.title in client.get("/overview/", {"q": collab.title[:4], "state": "closed"}).content.decode()
    )
    assert (
        collab.title
        not in client.get("/overview/", {"q": collab.title[:4], "state": "open"}).content.decode()
    )

    # reopening needs a reason; the liaison may not
    assert signed_in(cast.liaison).post(closing_url(collab, "reopen/"), {"reason": "x"}).status_code == 403
    assert client.post(closing_url(collab, "reopen/"), {"reason": ""}).status_code == 200
    collab.refresh_from_db()
    assert collab.closed_at is not None
    assert client.post(closing_url(collab, "reopen/"), {"reason": "看板缺少平均处理时长"}).status_code == 302
    collab.refresh_from_db()
    assert collab.closed_at is None
    assert AuditEntry.objects.filter(reason="看板缺少平均处理时长").exists()


def test_the_initiator_sets_the_resolution_time_limit_shown_on_every_page(cast: Cast) -> None:
    client = signed_in(cast.initiator)
    response = client.post(closing_url(cast.collab, "resolution/"), {"resolution_deadline": "2024-10-01"})
    assert response.status_code == 302
    cast.collab.refresh_from_db()
    assert cast.collab.resolution_deadline == date(2024, 10, 1)
    html = signed_in(cast.liaison).get(f"/c/{cast.collab.slug}/table/").content.decode()
    assert "2024-10-01" in html and "已逾期 7 天" in html
    client.post(closing_url(cast.collab, "resolution/"), {"resolution_deadline": "2024-10-18"})
    assert "还剩 10 天" in client.get(f"/c/{cast.collab.slug}/").content.decode()


def _collab_with(n: int, slug: str) -> Collaboration:
    """A collaboration of ``n`` rows, each done (a progress update) and judged."""
    collab = do_import_charter(parse_charter(charter_with_tasks(n)), slug=slug)
    tasks = list(Task.objects.filter(collaboration=collab))
    ProgressUpdate.objects.bulk_create(
        ProgressUpdate(
            collaboration=collab, task=t, department_id=t.department_id, created_at=NOW, status="done"
        )
        for t in tasks
    )
    Acceptance.objects.bulk_create(
        Acceptance(
            task=t,
            department=collab.initiator_department,
            accepted=i % 2 == 0,
            verdict="passed" if i % 2 == 0 else "rejected",
            decided_at=NOW,
        )
        for i, t in enumerate(tasks)
    )
    return collab


def _queries(client: Client, url: str) -> int:
    cache.clear()  # cold: the collaboration's cached snapshot would spare the second request its queries
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_closing_page_costs_the_same_queries_for_10_and_200_rows(admin_user: Person) -> None:
    small, large = _collab_with(10, "small"), _collab_with(200, "large")
    client = signed_in(admin_user)
    _queries(client, closing_url(small))  # warm caches (content types, sessions)
    assert _queries(client, closing_url(small)) == _queries(client, closing_url(large))


# --- change requests


def test_a_liaison_files_a_request_for_their_row_and_not_for_others(cast: Cast) -> None:
    collab = cast.collab
    own, other = cast.task_of("技术部"), cast.task_of("产品部")
    client = signed_in(cast.liaison)
    page = client.get(changes_url(collab)).content.decode()
    assert f'value="task:{own.pk}"' in page and f'value="task:{other.pk}"' not in page
    response = client.post(
        changes_url(collab),
        {"target": f"task:{own.pk}", "field": "deadline", "new_value": "2024-12-01", "reason": "供应商延期"},
    )
    assert response.status_code == 302
    change = ChangeRequest.objects.get(task=own)
    assert change.status == ChangeStatus.PENDING and change.new_value == "2024-12-01"
    # another department's row is not a choice: the form refuses it, nothing filed
    response = client.post(
        changes_url(collab),
        {"target": f"task:{other.pk}", "field": "deadline", "new_value": "2024-12-01", "reason": "x"},
    )
    assert response.status_code == 200 and not ChangeRequest.objects.filter(task=other).exists()
    # a viewer may file nothing
    assert signed_in(cast.viewer).post(changes_url(collab), {"target": f"task:{own.pk}"}).status_code == 403


def test_a_bad_value_is_shown_in_chinese(cast: Cast) -> None:
    own = cast.task_of("技术部")
    response = signed_in(cast.liaison).post(
        changes_url(cast.collab),
        {"target": f"task:{own.pk}", "field": "owner", "new_value": "财务部", "reason": "调整"},
        headers=HTMX,
    )
    assert response.status_code == 200 and "财务部 不是参与部门" in response.content.decode()
    assert not ChangeRequest.objects.filter(task=own).exists()


def test_owner_change_needs_initiator_and_new_heads_approval_then_links_the_history(cast: Cast) -> None:
    collab = cast.collab
    row = cast.task_of("产品部")
    change = do_request_change(
        collab, ChangeField.OWNER, Target(task=row), "技术部", "产品部人手不足", NOW, actor=cast.initiator
    )
    page = signed_in(cast.viewer).get(changes_url(collab)).content.decode()
    assert "产品部 → " not in page and "待审批" in page and "decide-form" not in page
    # a viewer and the liaison may not decide
    for person in (cast.viewer, cast.liaison):
        denied = signed_in(person).post(
            changes_url(collab, f"{change.pk}/decide/"),
            {f"decide{change.pk}-approver": "initiator", f"decide{change.pk}-decision": "approve"},
        )
        assert denied.status_code == 403
    # the head may not give the initiator's approval
    denied = signed_in(cast.head).post(
        changes_url(collab, f"{change.pk}/decide/"),
        {f"decide{change.pk}-approver": "initiator", f"decide{change.pk}-decision": "approve"},
    )
    assert denied.status_code == 403
    ok = signed_in(cast.initiator).post(
        changes_url(collab, f"{change.pk}/decide/"),
        {f"decide{change.pk}-approver": "initiator", f"decide{change.pk}-decision": "approve"},
        headers=HTMX,
    )
    assert ok.status_code == 200 and "等待其他审批" in ok.content.decode()
    ok = signed_in(cast.head).post(
        changes_url(collab, f"{change.pk}/decide/"),
        {f"decide{change.pk}-approver": "head", f"decide{change.pk}-decision": "approve"},
    )
    assert ok.status_code == 302
    change.refresh_from_db()
    row.refresh_from_db()
    assert (
        change.status == ChangeStatus.APPROVED
        and row.department is not None
        and row.department.name == "技术部"
    )
    page = signed_in(cast.initiator).get(changes_url(collab)).content.decode()
    assert f"?object=collabs.task:{row.pk}" in page
    history = signed_in(cast.initiator).get(f"/c/{collab.slug}/history/?object=collabs.task:{row.pk}")
    assert "产品部人手不足" in history.content.decode()


def test_a_rejection_needs_a_reason(cast: Cast) -> None:
    collab = cast.collab
    change = do_request_change(
        collab, ChangeField.DEADLINE, Target(), "2024-12-31", "延期", NOW, actor=cast.initiator
    )
    client = signed_in(cast.initiator)
    url = changes_url(collab, f"{change.pk}/decide/")
    response = client.post(
        url, {f"decide{change.pk}-approver": "initiator", f"decide{change.pk}-decision": "reject"}
    )
    assert response.status_code == 200 and "驳回时请写明原因" in response.content.decode()
    client.post(
        url,
        {
            f"decide{change.pk}-approver": "initiator",
            f"decide{change.pk}-decision": "reject",
            f"decide{change.pk}-comment": "不同意",
        },
    )
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED


def test_the_changes_page_costs_the_same_queries_for_2_and_40_requests(cast: Cast) -> None:
    collab = cast.collab
    client = signed_in(cast.initiator)
    tasks = list(Task.objects.filter(collaboration=collab))

    def file(n: int) -> None:
        for i in range(n):
            do_request_change(
                collab,
                ChangeField.STANDARD,
                Target(task=tasks[i % len(tasks)]),
                f"标准 {i}",
                "调整",
                NOW,
                actor=cast.initiator,
            )

    file(2)
    _queries(client, changes_url(collab))
    few = _queries(client, changes_url(collab))
    file(38)
    assert _queries(client, changes_url(collab)) == few


def test_a_long_acceptance_table_is_paged_and_a_refused_verdict_comes_back_on_its_page(
    cast: Cast, settings: pytest.FixtureRequest
) -> None:
    """Step 8 lists the deliverables as step 4 lists the rows: ``XIETONG_TABLE_PAGE_ROWS`` a page."""
    settings.XIETONG_TABLE_PAGE_ROWS = 10  # type: ignore[attr-defined]
    start = Task.objects.filter(collaboration=cast.collab).count()
    Task.objects.bulk_create(
        Task(collaboration=cast.collab, description=f"追加成果 {i}", position=start + i)
        for i in range(25 - start)
    )
    rows = list(Task.objects.filter(collaboration=cast.collab).order_by("position", "id"))
    client = signed_in(cast.initiator)
    first = client.get(closing_url(cast.collab)).content.decode()
    assert [t.pk for t in rows if f'id="deliverable-{t.pk}"' in first] == [t.pk for t in rows[:10]]
    # What is counted is counted over every deliverable, not the page.
    assert "还有 25 项成果未通过验收" in first and "第 1–10 行,共 25 行" in first
    last = client.get(closing_url(cast.collab) + "?page=3").content.decode()
    assert [t.pk for t in rows if f'id="deliverable-{t.pk}"' in last] == [t.pk for t in rows[20:]]
    task = rows[14]
    refused = client.post(
        closing_url(cast.collab, f"accept/{task.pk}/"),
        {f"accept{task.pk}-verdict": "reject"},
        headers={**HTMX, "HX-Current-URL": f"http://testserver{closing_url(cast.collab)}"},
    ).content.decode()
    assert f'id="deliverable-{task.pk}"' in refused and "未达到交付标准" in refused
    assert "第 11–20 行" in refused
