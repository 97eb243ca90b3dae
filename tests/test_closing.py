"""Step 8: acceptance, retrospective, closing (A01 enforced) and a closed collaboration read-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.api.conftest import as_person
from tests.helpers import TZ, signed_in
from xietong.collabs.access import access_for
from xietong.collabs.models import Collaboration, Phase, Task, TaskStatus
from xietong.collabs.snapshots import load_snapshot
from xietong.orgs.roles import Action
from xietong.rules.engine import Context, run_rules
from xietong.tracking.actions.closing import (
    AcceptanceRefused,
    CloseRefused,
    CollaborationClosed,
    RetrospectiveInput,
    do_accept_deliverable,
    do_close_collaboration,
    do_reopen_collaboration,
    do_write_retrospective,
)
from xietong.tracking.models import Acceptance, Verdict

pytestmark = pytest.mark.django_db
CLOSING = datetime(2024, 10, 8, 10, tzinfo=TZ)
RETRO = RetrospectiveInput(
    went_well="每周例会节奏稳定",
    problems="技术部排期冲突",
    improvements="提前锁定资源",
    lessons="SLA 写进子目标",
)


def ctx(now: datetime = CLOSING) -> Context:
    return Context(now=now, tz=TZ)


def accept_everything(collab: Collaboration) -> None:
    """Pass the done rows; accept the others on a condition (only a done row simply passes)."""
    for task in Task.objects.filter(collaboration=collab):
        if task.status == TaskStatus.DONE:
            do_accept_deliverable(task, Verdict.PASSED, CLOSING, actor=collab.owner)
        else:
            do_accept_deliverable(
                task, Verdict.CONDITIONAL, CLOSING, reason="收尾后两周内完成", actor=collab.owner
            )


def test_closing_is_refused_until_every_deliverable_is_accepted_and_the_retrospective_written(
    demo: Collaboration,
) -> None:
    with pytest.raises(CloseRefused) as refused:
        do_close_collaboration(demo, ctx(), actor=demo.owner)
    tasks = Task.objects.filter(collaboration=demo).count()
    assert {f.rule for f in refused.value.findings} == {"A01"}
    assert len(refused.value.findings) == tasks + 1  # every row and the retrospective
    demo.refresh_from_db()
    assert demo.closed_at is None and demo.phase != Phase.CLOSED

    accept_everything(demo)
    with pytest.raises(CloseRefused) as refused:
        do_close_collaboration(demo, ctx(), actor=demo.owner)
    assert [f.object for f in refused.value.findings] == ["retrospective"]

    do_write_retrospective(demo, RETRO, CLOSING, actor=demo.owner)
    closed = do_close_collaboration(demo, ctx(), actor=demo.owner)
    assert closed.closed_at == CLOSING and closed.phase == Phase.CLOSED
    assert run_rules(load_snapshot(closed), ctx(), only=["A01"]).findings == ()


def test_a_rejected_deliverable_keeps_the_collaboration_open(demo: Collaboration) -> None:
    accept_everything(demo)
    do_write_retrospective(demo, RETRO, CLOSING, actor=demo.owner)
    task = Task.objects.filter(collaboration=demo).first()
    assert task is not None
    with pytest.raises(AcceptanceRefused, match="未达到交付标准"):
        do_accept_deliverable(task, Verdict.REJECTED, CLOSING)
    do_accept_deliverable(task, Verdict.REJECTED, CLOSING, comment="看板缺少平均处理时长", actor=demo.owner)
    assert Acceptance.objects.filter(task=task).count() == 1  # the new verdict replaced the old
    with pytest.raises(CloseRefused) as refused:
        do_close_collaboration(demo, ctx(), actor=demo.owner)
    assert "未通过验收" in refused.value.findings[0].text("zh-hans")


def test_a_retrospective_says_what_went_well_wrong_and_better() -> None:
    with pytest.raises(ValueError, match="what went well"):
        RetrospectiveInput(went_well="顺利", problems="", improvements="")


def closed(demo: Collaboration) -> Collaboration:
    accept_everything(demo)
    do_write_retrospective(demo, RETRO, CLOSING, actor=demo.owner)
    return do_close_collaboration(demo, ctx(), actor=demo.owner)


def test_a_closed_collaboration_is_read_only_in_pages_and_api(demo: Collaboration) -> None:
    demo = closed(demo)
    assert demo.owner is not None
    access = access_for(demo.owner, demo)
    assert access.can(Action.VIEW) and access.can(Action.REOPEN)
    assert not access.can(Action.EDIT_COLLABORATION) and not access.can(Action.EDIT_DEPARTMENT_ROWS)
    owner = signed_in(demo.owner)
    assert owner.get(f"/c/{demo.slug}/table/").status_code == 200  # still readable, and searchable
    task = Task.objects.filter(collaboration=demo).first()
    assert task is not None
    response = owner.post(f"/c/{demo.slug}/table/{task.pk}/edit/", {"description": "改动"})
    assert response.status_code == 403
    api = as_person(demo.owner).patch(f"/api/tasks/{task.pk}", {"version": task.version, "standard": "改动"})
    assert api.status_code == 403
    task.refresh_from_db()
    assert task.standard != "改动"
    with pytest.raises(CollaborationClosed):
        do_write_retrospective(demo, RETRO, CLOSING)


def test_reopening_needs_a_reason_and_makes_it_writable_again(demo: Collaboration) -> None:
    demo = closed(demo)
    with pytest.raises(ValueError, match="says why"):
        do_reopen_collaboration(demo, " ")
    reopened = do_reopen_collaboration(demo, "法务部补充验收意见", actor=demo.owner)
    assert reopened.closed_at is None and reopened.phase == Phase.CLOSING
    assert demo.owner is not None
    assert access_for(demo.owner, reopened).can(Action.EDIT_COLLABORATION)
    entry = reopened.audit_entries.order_by("-id").first()
    assert entry is not None
    assert (entry.reason, entry.before, entry.after) == (
        "法务部补充验收意见",
        {"phase": "closed", "closed_at": CLOSING.astimezone(UTC).isoformat()},
        {"phase": "closing", "closed_at": None},
    )
