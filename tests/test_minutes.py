"""Minutes on the meeting's page: items, issue, confirmations, locking, corrections, history, the home page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.helpers import at, head_of, liaison_of, owner, signed_in
from tests.test_meeting_page import (
    department,
    kickoff_of,
    page_url,
    plan_kickoff,
    post_url,
    viewer_of,
)
from xietong.collabs.models import Collaboration, Task
from xietong.meetings.actions.minutes import ISSUED_MESSAGE, LOCKED_MESSAGE
from xietong.meetings.models import (
    Meeting,
    MeetingKind,
    MinutesConfirmation,
    MinutesCorrection,
    MinutesItem,
    MinutesItemKind,
    MinutesRevision,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
DEPARTMENTS = ("售后部", "产品部", "技术部", "法务部")
# 发出纪要 asks first: a post without it shows the confirmation page (tests/test_acceptance_honest.py).
CONFIRM = {"confirm": "1"}
ACTION = {
    "kind": "action",
    "text": "上线投诉工单自动分派",
    "department": "",
    "standard": "按类别自动分派,准确率≥95%",
    "deadline": "2024-07-26",
}


@pytest.fixture
def planned(db: None) -> Collaboration:
    return plan_kickoff()


@pytest.fixture
def after_meeting() -> Iterator[None]:
    """The afternoon of the kickoff (Monday 2024-07-08 10:00)."""
    with time_machine.travel(at(2024, 7, 8, 15, 0), tick=False):
        yield


def minutes(collab: Collaboration, client: Client, action: str, data: dict[str, object] | None = None) -> Any:
    return client.post(post_url(collab, kickoff_of(collab), f"minutes/{action}"), data or {})


def action_item(**changes: object) -> dict[str, object]:
    return {**ACTION, "department": department("技术部").pk, **changes}


def issue_and_confirm_all(collab: Collaboration) -> Meeting:
    assert minutes(collab, owner(collab), "issue/", CONFIRM).status_code == 302
    for name in DEPARTMENTS:
        response = minutes(collab, signed_in(head_of(name)), "confirm/", {"department": department(name).pk})
        assert response.status_code == 302
    return kickoff_of(collab)


# --- writing the minutes


@pytest.mark.usefixtures("after_meeting")
def test_an_action_item_needs_owner_standard_and_deadline(planned: Collaboration) -> None:
    client = owner(planned)
    response = minutes(planned, client, "items/", {**ACTION, "standard": "", "deadline": ""})
    page = response.content.decode()
    assert response.status_code == 200
    for message in ("行动项须指定责任部门", "行动项须写明交付标准", "行动项须写明时间节点"):
        assert message in page
    assert not MinutesItem.objects.exists()
    assert not Task.objects.filter(description=ACTION["text"]).exists()


@pytest.mark.usefixtures("after_meeting")
def test_an_action_item_becomes_a_task_of_the_table_at_once(planned: Collaboration) -> None:
    client = owner(planned)
    response = minutes(planned, client, "items/", action_item())
    assert response.status_code == 302
    item = MinutesItem.objects.get(kind=MinutesItemKind.ACTION)
    task = item.task
    assert task is not None
    assert (task.description, task.department, task.standard, str(task.deadline)) == (
        ACTION["text"],
        department("技术部"),
        ACTION["standard"],
        "2024-07-26",
    )
    page = client.get(page_url(planned)).content.decode()
    assert f"/c/{planned.slug}/table/#task-{task.pk}" in page
    table = client.get(f"/c/{planned.slug}/table/").content.decode()
    assert f'id="task-{task.pk}"' in table and ACTION["text"] in table
    # editing the item edits its row of the table
    changed = action_item(item=item.pk, deadline="2024-07-31", department=department("产品部").pk)
    assert minutes(planned, client, "items/", changed).status_code == 302
    task.refresh_from_db()
    assert (str(task.deadline), task.department) == ("2024-07-31", department("产品部"))
    assert Task.objects.filter(description=ACTION["text"]).count() == 1


@pytest.mark.usefixtures("after_meeting")
def test_decisions_and_open_issues_are_recorded_and_issues_resolved(planned: Collaboration) -> None:
    client = owner(planned)
    minutes(planned, client, "items/", {"kind": "decision", "text": "每周一 10:00 召开周例会"})
    response = minutes(planned, client, "items/", {"kind": "issue", "text": "VIP 投诉是否单设通道"})
    assert response.status_code == 302
    issue = MinutesItem.objects.get(kind=MinutesItemKind.ISSUE)
    decision = MinutesItem.objects.get(kind=MinutesItemKind.DECISION)
    assert issue.task is None and decision.task is None
    page = client.get(page_url(planned)).content.decode()
    assert "每周一 10:00 召开周例会" in page and "未解决" in page
    resolve = post_url(planned, kickoff_of(planned), f"minutes/items/{issue.pk}/resolve/")
    assert client.post(resolve, {"resolved": "1"}).status_code == 302
    issue.refresh_from_db()
    assert issue.resolved
    # a decision is not an issue to resolve
    other = post_url(planned, kickoff_of(planned), f"minutes/items/{decision.pk}/resolve/")
    assert client.post(other, {"resolved": "1"}).status_code == 403


@pytest.mark.usefixtures("after_meeting")
def test_only_the_initiator_writes_the_minutes(planned: Collaboration) -> None:
    for client in (
        signed_in(liaison_of(planned, "技术部")),
        signed_in(head_of("技术部")),
        viewer_of(planned),
    ):
        assert minutes(planned, client, "items/", action_item()).status_code == 403
        assert minutes(planned, client, "summary/", {"summary": "x"}).status_code == 403
        assert minutes(planned, client, "issue/", CONFIRM).status_code == 403
    assert not MinutesItem.objects.exists() and kickoff_of(planned).minutes_revision == 0


# --- issued and confirmed minutes are closed


@pytest.mark.usefixtures("after_meeting")
def test_issued_minutes_refuse_changes_with_the_reason(planned: Collaboration) -> None:
    client = owner(planned)
    minutes(planned, client, "summary/", {"summary": "各部门参会"})
    minutes(planned, client, "items/", action_item())
    item = MinutesItem.objects.get()
    assert minutes(planned, client, "issue/", CONFIRM).status_code == 302
    for action, data in (
        ("summary/", {"summary": "改了"}),
        ("items/", {"kind": "decision", "text": "新决议"}),
        ("items/", action_item(item=item.pk, text="改了")),
        (f"items/{item.pk}/delete/", {}),
        ("issue/", CONFIRM),
    ):
        response = minutes(planned, client, action, data)
        assert response.status_code == 403, action
        assert str(ISSUED_MESSAGE) in response.content.decode()
    kickoff = kickoff_of(planned)
    assert (kickoff.minutes_summary, kickoff.minutes_revision) == ("各部门参会", 1)
    assert list(MinutesItem.objects.values_list("text", flat=True)) == [ACTION["text"]]


@pytest.mark.usefixtures("after_meeting")
def test_confirmed_minutes_are_locked_403_with_the_message_and_nothing_changes(
    planned: Collaboration,
) -> None:
    client = owner(planned)
    minutes(planned, client, "items/", action_item())
    minutes(planned, client, "items/", {"kind": "issue", "text": "待定事项"})
    item = MinutesItem.objects.get(kind=MinutesItemKind.ACTION)
    issue = MinutesItem.objects.get(kind=MinutesItemKind.ISSUE)
    kickoff = issue_and_confirm_all(planned)
    assert kickoff.minutes_locked_at == at(2024, 7, 8, 15, 0)
    page = client.get(page_url(planned)).content.decode()
    assert "已确认存档" in page and "纪要已存档并锁定" in page
    # no edit control of the minutes is shown
    for control in (
        'minutes/summary/"',
        'minutes/items/"',
        'minutes/issue/"',
        "?edit=item-",
        f"minutes/items/{item.pk}/delete/",
    ):
        assert control not in page, control
    # and every write is refused with the message, plain or htmx, nothing changed
    for action, data in (
        ("summary/", {"summary": "改了"}),
        ("items/", action_item(item=item.pk, text="改了")),
        ("items/", {"kind": "decision", "text": "新决议"}),
        (f"items/{item.pk}/delete/", {}),
        ("issue/", CONFIRM),
    ):
        response = minutes(planned, client, action, data)
        assert response.status_code == 403, action
        assert str(LOCKED_MESSAGE) in response.content.decode()
    htmx = client.post(post_url(planned, kickoff, "minutes/summary/"), {"summary": "x"}, headers=HTMX)
    assert htmx.status_code == 403 and htmx["HX-Refresh"] == "true"
    assert str(LOCKED_MESSAGE) in client.get(page_url(planned)).content.decode()  # shown after the reload
    edit = client.get(page_url(planned) + f"?edit=item-{item.pk}")
    assert edit.status_code == 403 and str(LOCKED_MESSAGE) in edit.content.decode()
    delete_page = client.get(post_url(planned, kickoff, f"minutes/items/{item.pk}/delete/"))
    assert delete_page.status_code == 403
    kickoff.refresh_from_db()
    assert (kickoff.minutes_summary, kickoff.minutes_revision) == ("", 1)
    assert MinutesItem.objects.count() == 2 and MinutesItem.objects.get(pk=item.pk).text == ACTION["text"]
    # an open issue is still tracked after the minutes: resolving it is allowed
    resolve = post_url(planned, kickoff, f"minutes/items/{issue.pk}/resolve/")
    assert client.post(resolve, {"resolved": "1"}).status_code == 302


# --- confirmations and corrections


@pytest.mark.usefixtures("after_meeting")
def test_each_head_confirms_only_their_own_department(planned: Collaboration) -> None:
    client = owner(planned)
    assert minutes(planned, client, "issue/", CONFIRM).status_code == 302
    tech = department("技术部")
    head = signed_in(head_of("技术部"))
    page = head.get(page_url(planned)).content.decode()
    row = page[page.index(f'id="confirmation-{tech.pk}"') :]
    assert "确认纪要" in row[: row.index("</tr>")] and "申请更正" in row[: row.index("</tr>")]
    other = page[page.index(f'id="confirmation-{department("法务部").pk}"') :]
    assert "确认纪要" not in other[: other.index("</tr>")]
    # not for another department, not as a liaison, not as the initiator for a department they do not head
    assert minutes(planned, head, "confirm/", {"department": department("法务部").pk}).status_code == 403
    liaison = signed_in(liaison_of(planned, "技术部"))
    assert minutes(planned, liaison, "confirm/", {"department": tech.pk}).status_code == 403
    assert minutes(planned, client, "confirm/", {"department": tech.pk}).status_code == 403
    assert minutes(planned, head, "confirm/", {}).status_code == 403
    assert not MinutesConfirmation.objects.exists()
    response = head.post(
        post_url(planned, kickoff_of(planned), "minutes/confirm/"), {"department": tech.pk}, headers=HTMX
    )
    assert response.status_code == 200 and "技术部已确认会议纪要(第 1 版)" in response.content.decode()
    confirmation = MinutesConfirmation.objects.get()
    assert (confirmation.department, confirmation.revision, confirmation.confirmed_by) == (
        tech,
        1,
        head_of("技术部"),
    )
    assert confirmation.confirmed_at == at(2024, 7, 8, 15, 0)


@pytest.mark.usefixtures("after_meeting")
def test_draft_minutes_have_nothing_to_confirm(planned: Collaboration) -> None:
    head = signed_in(head_of("技术部"))
    response = minutes(planned, head, "confirm/", {"department": department("技术部").pk})
    assert response.status_code == 403
    assert "会议纪要尚未发出" in response.content.decode()
    assert "确认纪要" not in head.get(page_url(planned)).content.decode()


def test_a_correction_reopens_the_minutes_and_revision_2_is_confirmed_again(planned: Collaboration) -> None:
    client = owner(planned)
    legal = department("法务部")
    with time_machine.travel(at(2024, 7, 8, 15, 0), tick=False):
        minutes(planned, client, "items/", action_item())
        kickoff = issue_and_confirm_all(planned)
        assert kickoff.minutes_locked_at is not None
    with time_machine.travel(at(2024, 7, 9, 9, 0), tick=False):
        head = signed_in(head_of("法务部"))
        # a comment is required
        empty = minutes(planned, head, "correction/", {"department": legal.pk, "comment": " "})
        assert empty.status_code == 200 and "申请更正须写明更正意见" in empty.content.decode()
        assert not MinutesCorrection.objects.exists()
        # even confirmed minutes may be corrected: they reopen
        asked = minutes(
            planned, head, "correction/", {"department": legal.pk, "comment": "行动项截止日期应为 7 月 31 日"}
        )
        assert asked.status_code == 302
        kickoff.refresh_from_db()
        assert kickoff.minutes_reopened_at == at(2024, 7, 9, 9, 0) and kickoff.minutes_locked_at is None
        page = client.get(page_url(planned)).content.decode()
        assert "更正中" in page and "行动项截止日期应为 7 月 31 日" in page
        assert "重新发出纪要(第 2 版)" in page
        assert "<code>K04</code>" in page  # the revision in force is no longer confirmed
        # a head cannot confirm while it is being corrected
        reopened = minutes(planned, head, "confirm/", {"department": legal.pk})
        assert reopened.status_code == 403 and "会议纪要正在更正" in reopened.content.decode()
        # the initiator corrects and issues again
        item = MinutesItem.objects.get()
        assert (
            minutes(planned, client, "items/", action_item(item=item.pk, deadline="2024-07-31")).status_code
            == 302
        )
        assert minutes(planned, client, "issue/", CONFIRM).status_code == 302
    kickoff.refresh_from_db()
    assert (kickoff.minutes_revision, kickoff.minutes_issued_at) == (
        2,
        at(2024, 7, 8, 15, 0),
    )  # K03 judges the first
    with time_machine.travel(at(2024, 7, 9, 11, 0), tick=False):
        page = client.get(page_url(planned)).content.decode()
        assert "已发出,待确认" in page and "<code>K04</code>" in page
        for name in DEPARTMENTS:
            minutes(planned, signed_in(head_of(name)), "confirm/", {"department": department(name).pk})
        kickoff.refresh_from_db()
        assert kickoff.minutes_locked_at == at(2024, 7, 9, 11, 0)
        page = client.get(page_url(planned)).content.decode()
        assert "<code>K04</code>" not in page and "已确认存档" in page
    # the history keeps both revisions, their confirmations and the correction
    assert list(MinutesRevision.objects.values_list("number", flat=True)) == [1, 2]
    assert MinutesConfirmation.objects.filter(revision=1).count() == 4
    assert MinutesConfirmation.objects.filter(revision=2).count() == 4
    history = page[page.index('id="meeting-history"') :]
    assert history.index("第 2 版") < history.index("第 1 版")
    first = history[history.index('id="revision-1"') :]
    assert "2024-07-08 15:00 由 王经理 发出" in first
    assert "2024-07-09 09:00 法务部申请更正(钱总监):行动项截止日期应为 7 月 31 日" in first
    assert "2024-07-08 15:00 技术部确认(赵总监)" in first
    assert "2024-07-26" in first  # what revision 1 said
    second = history[history.index('id="revision-2"') : history.index('id="revision-1"')]
    assert "2024-07-31" in second and "2024-07-09 11:00 法务部确认(钱总监)" in second


# --- the home page


def test_the_home_page_asks_heads_to_confirm_the_revision_in_force(planned: Collaboration) -> None:
    legal = department("法务部")
    head = signed_in(head_of("法务部"))
    with time_machine.travel(at(2024, 7, 8, 15, 0), tick=False):
        assert "确认启动会会议纪要" not in head.get("/").content.decode()  # nothing issued yet
        minutes(planned, owner(planned), "issue/", CONFIRM)
        home = head.get("/").content.decode()
        assert "确认启动会会议纪要" in home
        assert f'href="/c/{planned.slug}/kickoff/#meeting-confirmations"' in home
        assert "确认启动会会议纪要" not in signed_in(liaison_of(planned, "法务部")).get("/").content.decode()
        minutes(planned, head, "confirm/", {"department": legal.pk})
        assert "确认启动会会议纪要" not in head.get("/").content.decode()
        # reopened: nothing to confirm until the next issue, which must be confirmed again
        minutes(
            planned,
            signed_in(head_of("技术部")),
            "correction/",
            {"department": department("技术部").pk, "comment": "补充"},
        )
        assert "确认启动会会议纪要" not in head.get("/").content.decode()
        minutes(planned, owner(planned), "issue/", CONFIRM)
        assert "确认启动会会议纪要" in head.get("/").content.decode()


def test_the_home_page_points_at_a_weekly_meeting_waiting_for_the_head(demo: Collaboration) -> None:
    waiting = (
        Meeting.objects.filter(
            collaboration=demo, kind=MeetingKind.RECURRING, minutes_revision=1, minutes_locked_at=None
        )
        .order_by("scheduled_at")
        .last()
    )
    assert waiting is not None
    confirmed = set(waiting.confirmations.values_list("department__name", flat=True))
    missing = next(name for name in DEPARTMENTS if name not in confirmed)
    home = signed_in(head_of(missing)).get("/").content.decode()
    assert "确认会议纪要" in home and waiting.title in home
    assert f'href="/c/{demo.slug}/meetings/{waiting.pk}/#meeting-confirmations"' in home
    done = next(name for name in DEPARTMENTS if name in confirmed)
    assert (
        f"/meetings/{waiting.pk}/#meeting-confirmations"
        not in signed_in(head_of(done)).get("/").content.decode()
    )
