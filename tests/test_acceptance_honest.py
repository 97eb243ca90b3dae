"""Never yes to what is not true (issue 16, section 2): acceptance, closing, and irreversible clicks.

- A row not done cannot simply pass (通过验收): it is accepted on a condition
  (有条件验收) or as an exception (例外) with a reason, which the closing
  page and the scorecards show; the page and the API refuse anything else.
- 关闭协作 shows what is still open before the final click and closes only
  on the explicit confirmation; a refusal never calls the collaboration closed.
- 发出纪要 and deleting a row of the table go through a confirmation that
  works without JavaScript: a POST without ``confirm`` changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

import pytest
import time_machine
from django.test import Client

from tests.api.conftest import Cast, as_person
from tests.helpers import TZ, at, owner, signed_in
from tests.test_meeting_page import kickoff_of, plan_kickoff, post_url
from xietong.collabs.models import Collaboration, Task, TaskStatus
from xietong.collabs.snapshots import load_snapshot
from xietong.rules.engine import Context, run_rules
from xietong.tracking.actions.closing import CloseRefused, do_close_collaboration
from xietong.tracking.models import Acceptance, Verdict

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
NOW = datetime(2024, 10, 8, 10, 0, tzinfo=TZ)
RETRO = {"went_well": "例会节奏稳定", "problems": "技术部排期冲突", "improvements": "提前锁定资源"}


@pytest.fixture
def pinned() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def accept_url(task: Task) -> str:
    return f"/c/{task.collaboration.slug}/closing/accept/{task.pk}/"


def verdict(task: Task, choice: str, reason: str = "", comment: str = "") -> dict[str, str]:
    p = f"accept{task.pk}"
    return {f"{p}-verdict": choice, f"{p}-reason": reason, f"{p}-comment": comment}


# --- acceptance


@pytest.mark.usefixtures("pinned")
def test_a_row_not_done_cannot_simply_pass_on_the_page(cast: Cast) -> None:
    task = cast.task_of("技术部")  # in progress
    assert task.status != TaskStatus.DONE
    client = signed_in(cast.initiator)
    page = client.get(f"/c/{cast.collab.slug}/closing/").content.decode()
    row = page[page.index(f'id="deliverable-{task.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'value="accept"' not in row and 'value="conditional"' in row  # not offered
    refused = client.post(accept_url(task), verdict(task, "accept"))
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "尚未完成" in html and "不能直接通过验收" in html and "有条件验收" in html
    htmx = client.post(accept_url(task), verdict(task, "accept"), headers=HTMX)
    assert htmx.status_code == 200 and "不能直接通过验收" in htmx.content.decode()
    assert not Acceptance.objects.filter(task=task).exists()


def test_a_row_not_done_cannot_simply_pass_over_the_api(cast: Cast) -> None:
    task = cast.task_of("技术部")
    api = as_person(cast.initiator)
    for body in ({"accepted": True}, {"verdict": "passed"}):
        refused = api.post(f"/api/tasks/{task.pk}/acceptance", body)
        assert refused.status_code == 422, body
        assert refused.json()["path"] == "body.verdict" and "不能直接通过验收" in refused.json()["detail"]
    assert not Acceptance.objects.filter(task=task).exists()


@pytest.mark.usefixtures("pinned")
def test_a_conditional_acceptance_or_an_exception_without_a_reason_is_refused(cast: Cast) -> None:
    task = cast.task_of("技术部")
    client = signed_in(cast.initiator)
    for choice in ("conditional", "exception"):
        refused = client.post(accept_url(task), verdict(task, choice, reason="  "))
        assert refused.status_code == 422 and "须写明原因" in refused.content.decode()
    api = as_person(cast.initiator)
    for choice in ("conditional", "exception"):
        refused = api.post(f"/api/tasks/{task.pk}/acceptance", {"verdict": choice})
        assert refused.status_code == 422 and refused.json()["path"] == "body.reason"
    assert not Acceptance.objects.filter(task=task).exists()


@pytest.mark.usefixtures("pinned")
def test_conditional_and_exception_keep_their_reason_in_the_closing_report_and_scorecards(
    cast: Cast,
) -> None:
    conditional, excepted = cast.task_of("技术部", 0), cast.task_of("技术部", 2)  # in progress, blocked
    client = signed_in(cast.initiator)
    saved = client.post(
        accept_url(conditional), verdict(conditional, "conditional", reason="分派规则下月上线")
    )
    assert saved.status_code == 302
    stored = Acceptance.objects.get(task=conditional)
    assert (stored.verdict, stored.reason, stored.accepted) == (Verdict.CONDITIONAL, "分派规则下月上线", True)
    api = as_person(cast.initiator)
    answer = api.post(
        f"/api/tasks/{excepted.pk}/acceptance", {"verdict": "exception", "reason": "缺陷由厂商修复,不再验收"}
    )
    assert answer.status_code == 200
    assert answer.json()["verdict"] == "exception" and answer.json()["accepted"] is True

    page = client.get(f"/c/{cast.collab.slug}/closing/").content.decode()
    report = page[page.index('id="qualified"') : page.index('id="metrics"')]
    assert "有条件验收" in report and "分派规则下月上线" in report
    assert "例外" in report and "缺陷由厂商修复,不再验收" in report
    cards = page[page.index('class="grid scorecards"') :]
    tech = cards[cards.index("技术部") :]
    tech = tech[: tech.index("</tr>")]
    assert "分派规则下月上线" in tech and "缺陷由厂商修复,不再验收" in tech
    # the row itself never reads as simply passed
    row = page[page.index(f'id="deliverable-{conditional.pk}"') :]
    assert "verdict-conditional" in row[: row.index("</tr>")]

    scorecards = {
        c["department"]: c for c in api.get(f"/api/collaborations/{cast.collab.slug}/scorecards").json()
    }
    assert {(q["verdict"], q["reason"]) for q in scorecards["技术部"]["qualified"]} == {
        ("conditional", "分派规则下月上线"),
        ("exception", "缺陷由厂商修复,不再验收"),
    }
    assert scorecards["售后部"]["qualified"] == []


@pytest.mark.usefixtures("pinned")
def test_a_done_row_still_simply_passes(cast: Cast) -> None:
    task = cast.task_of("售后部")
    assert task.status == TaskStatus.DONE
    assert signed_in(cast.initiator).post(accept_url(task), verdict(task, "accept")).status_code == 302
    assert Acceptance.objects.get(task=task).verdict == Verdict.PASSED


# --- closing


def judge_everything(client: Client, collab: Collaboration) -> None:
    for task in Task.objects.filter(collaboration=collab):
        choice = "accept" if task.status == TaskStatus.DONE else "exception"
        response = client.post(accept_url(task), verdict(task, choice, reason="收尾时不再要求"))
        assert response.status_code == 302
    assert client.post(f"/c/{collab.slug}/closing/retrospective/", RETRO).status_code == 302


@pytest.mark.usefixtures("pinned")
def test_closing_shows_what_is_still_open_and_closes_only_on_the_confirmation(cast: Cast) -> None:
    collab = cast.collab
    client = signed_in(cast.initiator)
    judge_everything(client, collab)
    close = f"/c/{collab.slug}/closing/close/"
    section = client.get(f"/c/{collab.slug}/closing/").content.decode()
    assert f'href="{close}"' in section  # the section leads to the confirmation, it does not close

    for summary in (client.get(close), client.post(close), client.post(close, {"confirm": "0"})):
        assert summary.status_code == 200
        html = summary.content.decode()
        assert "仍未完成的事项" in html and "暂不能关闭协作" not in html
        assert (
            "4 项任务未完成" in html and "建立投诉工单系统自动分派规则" in html
        )  # two in progress, blocked, not started
        assert "3 个指标没有最终读数" in html and "24小时内闭环率" in html and "2024-08-12" in html
        assert "1 份会议纪要未确认" in html and "周例会(2024-08-05)" in html
        assert 'name="confirm" value="1"' in html and "仍然关闭协作" in html
        collab.refresh_from_db()
        assert collab.closed_at is None

    api = as_person(cast.initiator).get(f"/api/collaborations/{collab.slug}/close").json()
    assert api["findings"] == [] and len(api["tasks_not_done"]) == 4
    assert {m["name"] for m in api["metrics_without_final_reading"]} == {
        "24小时内闭环率",
        "客户满意度评分",
        "平均处理时长",
    }
    assert [m["title"] for m in api["minutes_not_confirmed"]] == ["周例会(2024-08-05)"]

    assert client.post(close, {"confirm": "1"}).status_code == 302
    collab.refresh_from_db()
    assert collab.closed_at == NOW


@pytest.mark.usefixtures("pinned")
def test_a_refused_close_never_says_the_collaboration_is_closed(cast: Cast) -> None:
    collab = cast.collab
    client = signed_in(cast.initiator)
    page = client.get(f"/c/{collab.slug}/closing/close/").content.decode()
    assert "暂不能关闭协作" in page and "A01" in page and "仍然关闭协作" not in page
    refused = client.post(f"/c/{collab.slug}/closing/close/", {"confirm": "1"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "暂不能关闭协作" in html and "尚未复盘" in html and "协作已关闭" not in html

    with pytest.raises(CloseRefused) as raised:
        do_close_collaboration(collab, Context(now=NOW, tz=TZ), actor=collab.owner)
    texts = [f.text("zh-hans") for f in raised.value.findings]
    assert texts and all("已关闭" not in t for t in texts)
    assert any("关闭协作前" in t for t in texts)
    answer = as_person(cast.initiator).post(f"/api/collaborations/{collab.slug}/close")
    assert answer.status_code == 409
    assert all("已关闭" not in f["message"] for f in answer.json()["findings"])
    collab.refresh_from_db()
    assert collab.closed_at is None
    # A01 itself still judges a collaboration that is closed (an import, the admin) in those words
    closed = replace(load_snapshot(collab), closed_at=NOW)
    found = run_rules(closed, Context(now=NOW, tz=TZ), only=["A01"]).findings
    assert found and all("协作已关闭" in f.text("zh-hans") for f in found)


# --- 发出纪要


@pytest.fixture
def drafted() -> Iterator[Collaboration]:
    """A kickoff held this morning, its minutes a draft (Monday 2024-07-08, 15:00)."""
    collab = plan_kickoff()
    with time_machine.travel(at(2024, 7, 8, 15, 0), tick=False):
        yield collab


def test_issuing_the_minutes_asks_first_and_a_post_without_confirm_issues_nothing(
    drafted: Collaboration,
) -> None:
    client = owner(drafted)
    kickoff = kickoff_of(drafted)
    url = post_url(drafted, kickoff, "minutes/issue/")
    page = client.get(f"/c/{drafted.slug}/kickoff/").content.decode()
    form = page[page.index(f'action="{url}"') :]
    form = form[: form.index(">")]
    assert "hx-confirm=" in form and """hx-vals='{"confirm": "1"}'""" in form  # with JavaScript: a dialog
    for asked in (client.get(url), client.post(url), client.post(url, headers=HTMX)):
        assert asked.status_code == 200
        html = asked.content.decode()
        assert "确定发出" in html and "确认发出" in html and 'name="confirm" value="1"' in html
        kickoff.refresh_from_db()
        assert kickoff.minutes_revision == 0 and kickoff.minutes_issued_at is None
    assert client.post(url, {"confirm": "1"}).status_code == 302
    kickoff.refresh_from_db()
    assert kickoff.minutes_revision == 1


# --- deleting a row of the table


def test_deleting_a_row_asks_first_without_javascript(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    task = Task.objects.filter(collaboration=demo).order_by("position")[1]
    url = f"/c/{demo.slug}/table/{task.pk}/delete/"
    table = client.get(f"/c/{demo.slug}/table/").content.decode()
    form = table[table.index(f'action="{url}"') :]
    form = form[: form.index("</form>")]
    assert "hx-confirm=" in form and """hx-vals='{"confirm": "1"}'""" in form
    assert f'name="version" value="{task.version}"' in form
    for asked in (client.get(url), client.post(url, {"version": task.version})):
        assert asked.status_code == 200
        html = asked.content.decode()
        assert "确定删除第 2 项任务" in html and task.description in html
        assert 'name="confirm" value="1"' in html
    assert Task.objects.filter(pk=task.pk).exists()

    # changed by someone else since it was shown: not deleted, shown as it is now
    Task.objects.filter(pk=task.pk).update(version=task.version + 1, standard="他人刚改的标准")
    stale = client.post(url, {"confirm": "1", "version": task.version})
    assert stale.status_code == 200 and "刚被他人修改" in stale.content.decode()
    assert "他人刚改的标准" in stale.content.decode()
    assert Task.objects.filter(pk=task.pk).exists()

    assert client.post(url, {"confirm": "1", "version": task.version + 1}).status_code == 302
    assert not Task.objects.filter(pk=task.pk).exists()


def test_deleting_a_row_with_htmx_posts_the_confirmation(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    task = Task.objects.filter(collaboration=demo).first()
    assert task is not None
    url = f"/c/{demo.slug}/table/{task.pk}/delete/"
    asked = client.post(url, {"version": task.version}, headers=HTMX)  # the dialog cancelled: no confirm
    assert Task.objects.filter(pk=task.pk).exists() and "确定删除" in asked.content.decode()
    stale = client.post(url, {"confirm": "1", "version": task.version - 1}, headers=HTMX)
    assert stale["HX-Redirect"] == url and Task.objects.filter(pk=task.pk).exists()
    deleted = client.post(url, {"confirm": "1", "version": task.version}, headers=HTMX)
    assert deleted.content.decode().startswith('<tbody id="task-rows">')
    assert not Task.objects.filter(pk=task.pk).exists()
