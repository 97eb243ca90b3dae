"""Bulk edit of the responsibility table: one action, all rows or none, each row's permission, audited."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import make_person
from tests.helpers import Cast, row_counts, signed_in
from xietong.audit.models import AuditEntry
from xietong.collabs.access import access_for
from xietong.collabs.actions.bulk import (
    NOT_ALLOWED,
    NOT_ASSIGNABLE,
    NOT_FOUND,
    BulkChanges,
    BulkRefused,
    BulkStale,
    do_bulk_edit,
)
from xietong.collabs.models import Collaboration, MemberRole, Membership, Task, TaskStatus, Visibility
from xietong.notify.models import Kind, Notification
from xietong.orgs.models import Person
from xietong.orgs.roles import Action

pytestmark = pytest.mark.django_db


def _may_edit(collab: Collaboration, person: Person):  # type: ignore[no-untyped-def]
    access = access_for(person, collab)
    return lambda department: access.can(Action.EDIT_DEPARTMENT_ROWS, department)


def _rows(collab: Collaboration, department: str | None = None) -> list[Task]:
    rows = Task.objects.filter(collaboration=collab).order_by("position")
    return list(rows.filter(department__name=department) if department else rows)


def _versions(rows: list[Task]) -> dict[int, int]:
    return {t.pk: t.version for t in rows}


def test_it_changes_every_selected_row_and_audits_each_with_the_reason(cast: Cast) -> None:
    rows = _rows(cast.collab)[:3]
    saved = do_bulk_edit(
        cast.collab,
        [t.pk for t in rows],
        BulkChanges(status=TaskStatus.IN_PROGRESS, deadline=date(2024, 9, 1)),
        actor=cast.initiator,
        reason="周会决定统一顺延",
        may_edit=_may_edit(cast.collab, cast.initiator),
        versions=_versions(rows),
    )
    assert len(saved) == 3
    for task in rows:
        task.refresh_from_db()
        assert task.status == TaskStatus.IN_PROGRESS and task.deadline == date(2024, 9, 1)
        entry = AuditEntry.objects.filter(object_type="collabs.task", object_id=str(task.pk)).latest("at")
        assert entry.reason == "周会决定统一顺延" and entry.actor == cast.initiator


def test_a_row_the_person_may_not_edit_refuses_the_whole_change_naming_it(cast: Cast) -> None:
    ours, theirs = _rows(cast.collab, "技术部"), _rows(cast.collab, "法务部")
    before = row_counts()
    with pytest.raises(BulkRefused) as refused:
        do_bulk_edit(
            cast.collab,
            [ours[0].pk, theirs[0].pk],
            BulkChanges(status=TaskStatus.DONE),
            actor=cast.liaison,
            reason="r",
            may_edit=_may_edit(cast.collab, cast.liaison),
        )
    assert refused.value.reason == NOT_ALLOWED
    assert [t.pk for t in refused.value.rows] == [theirs[0].pk]
    assert row_counts() == before


def test_moving_rows_to_a_department_the_person_does_not_answer_for_is_refused(cast: Cast) -> None:
    ours = _rows(cast.collab, "技术部")
    with pytest.raises(BulkRefused) as refused:
        do_bulk_edit(
            cast.collab,
            [ours[0].pk],
            BulkChanges(department=cast.department("法务部")),
            actor=cast.liaison,
            reason="r",
            may_edit=_may_edit(cast.collab, cast.liaison),
        )
    assert refused.value.reason == NOT_ALLOWED


def test_a_row_changed_since_it_was_seen_writes_nothing_and_is_named(cast: Cast) -> None:
    rows = _rows(cast.collab)[:3]
    seen = _versions(rows)
    Task.objects.filter(pk=rows[1].pk).update(version=rows[1].version + 1)
    before = row_counts()
    with pytest.raises(BulkStale) as stale:
        do_bulk_edit(
            cast.collab,
            list(seen),
            BulkChanges(status=TaskStatus.DONE),
            actor=cast.initiator,
            reason="r",
            may_edit=_may_edit(cast.collab, cast.initiator),
            versions=seen,
        )
    assert [t.pk for t in stale.value.rows] == [rows[1].pk]
    assert row_counts() == before
    assert (
        not Task.objects.filter(pk__in=seen, status=TaskStatus.DONE)
        .exclude(pk__in=[t.pk for t in rows if t.status == TaskStatus.DONE])
        .exists()
    )


def test_an_assignee_must_belong_to_every_rows_department(cast: Cast) -> None:
    tech, legal = _rows(cast.collab, "技术部")[0], _rows(cast.collab, "法务部")[0]
    engineer = make_person("engineer", department=cast.department("技术部"))
    before = row_counts()
    with pytest.raises(BulkRefused) as refused:
        do_bulk_edit(
            cast.collab,
            [tech.pk, legal.pk],
            BulkChanges(assignee=engineer),
            actor=cast.initiator,
            reason="r",
            may_edit=_may_edit(cast.collab, cast.initiator),
        )
    assert refused.value.reason == NOT_ASSIGNABLE
    assert [t.pk for t in refused.value.rows] == [legal.pk]
    assert row_counts() == before


def test_assigned_rows_tell_the_assignee_once_each(cast: Cast) -> None:
    rows = _rows(cast.collab, "技术部")[:2]
    engineer = make_person("engineer", department=cast.department("技术部"))
    do_bulk_edit(
        cast.collab,
        [t.pk for t in rows],
        BulkChanges(assignee=engineer),
        actor=cast.liaison,
        reason="分给工程师",
        may_edit=_may_edit(cast.collab, cast.liaison),
        versions=_versions(rows),
    )
    assert set(Task.objects.filter(assignee=engineer).values_list("pk", flat=True)) == {t.pk for t in rows}
    told = Notification.objects.filter(recipient=engineer, kind=Kind.TASK_ASSIGNED)
    assert told.count() == len(rows)
    # Again with one more row: only the row that changed hands is told.
    more = _rows(cast.collab, "技术部")[:3]
    do_bulk_edit(
        cast.collab,
        [t.pk for t in more],
        BulkChanges(assignee=engineer),
        actor=cast.liaison,
        reason="再分一行",
        may_edit=_may_edit(cast.collab, cast.liaison),
    )
    assert told.count() == len(more)


def test_moving_rows_drops_an_assignee_who_does_not_belong_to_the_new_department(cast: Cast) -> None:
    task = _rows(cast.collab, "技术部")[0]
    engineer = make_person("engineer", department=cast.department("技术部"))
    Task.objects.filter(pk=task.pk).update(assignee=engineer)
    do_bulk_edit(
        cast.collab,
        [task.pk],
        BulkChanges(department=cast.department("法务部")),
        actor=cast.initiator,
        reason="改由法务部负责",
        may_edit=_may_edit(cast.collab, cast.initiator),
    )
    task.refresh_from_db()
    assert task.department == cast.department("法务部") and task.assignee is None


def test_blocked_needs_a_reason_and_rows_of_another_collaboration_are_not_found(cast: Cast) -> None:
    with pytest.raises(ValueError):
        BulkChanges(status=TaskStatus.BLOCKED)
    other = Collaboration.objects.create(title="另一个", slug="another", owner=cast.initiator)
    theirs = Task.objects.create(collaboration=other, description="别处的行")
    with pytest.raises(BulkRefused) as refused:
        do_bulk_edit(
            cast.collab,
            [_rows(cast.collab)[0].pk, theirs.pk],
            BulkChanges(status=TaskStatus.DONE),
            actor=cast.initiator,
            reason="r",
            may_edit=_may_edit(cast.collab, cast.initiator),
        )
    assert refused.value.reason == NOT_FOUND


# --- the page


def _post(cast: Cast, person: Person, rows: list[Task], **fields: str):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {"task": [str(t.pk) for t in rows]}
    data.update({f"version-{t.pk}": str(t.version) for t in rows})
    data.update({f"bulk-{k}": v for k, v in fields.items()})
    client = signed_in(person)
    return client.post(f"/c/{cast.collab.slug}/table/bulk/", data)


def test_the_table_offers_a_checkbox_for_each_row_the_person_may_edit(cast: Cast) -> None:
    page = signed_in(cast.liaison).get(f"/c/{cast.collab.slug}/table/").content.decode()
    ours, theirs = _rows(cast.collab, "技术部")[0], _rows(cast.collab, "法务部")[0]
    assert f'name="task" value="{ours.pk}"' in page
    assert f'name="task" value="{theirs.pk}"' not in page
    assert 'id="bulk-form"' in page
    viewer = signed_in(cast.viewer).get(f"/c/{cast.collab.slug}/table/").content.decode()
    assert 'id="bulk-form"' not in viewer and 'name="task"' not in viewer


def test_the_page_edits_the_rows_and_keeps_the_filter(cast: Cast) -> None:
    rows = _rows(cast.collab)[:3]
    client = signed_in(cast.initiator)
    data: dict[str, object] = {
        "task": [str(t.pk) for t in rows],
        "bulk-status": "done",
        "bulk-reason": "验收通过",
    }
    data.update({f"version-{t.pk}": str(t.version) for t in rows})
    response = client.post(f"/c/{cast.collab.slug}/table/bulk/?status=done&status=nonsense", data)
    assert response.status_code == 302
    assert response["Location"] == f"/c/{cast.collab.slug}/table/?status=done#bulk"
    assert all(t.status == TaskStatus.DONE for t in Task.objects.filter(pk__in=[t.pk for t in rows]))


def test_a_refused_bulk_edit_comes_back_with_the_choices_and_the_rows_named(cast: Cast) -> None:
    ours, theirs = _rows(cast.collab, "技术部")[0], _rows(cast.collab, "法务部")[0]
    client = signed_in(cast.liaison)
    before = row_counts()
    data = {
        "task": [str(ours.pk), str(theirs.pk)],
        f"version-{ours.pk}": str(ours.version),
        f"version-{theirs.pk}": str(theirs.version),
        "bulk-status": "in_progress",
        "bulk-reason": "我的理由",
    }
    page = client.post(f"/c/{cast.collab.slug}/table/bulk/", data).content.decode()
    assert row_counts() == before
    assert "你无权修改以下行" in page and theirs.description[:20] in page
    assert 'value="我的理由"' in page and '<option value="in_progress" selected>' in page
    assert f'value="{ours.pk}" checked' in page


def test_a_stale_row_is_named_and_nothing_is_written(cast: Cast) -> None:
    rows = _rows(cast.collab)[:2]
    client = signed_in(cast.initiator)
    data: dict[str, object] = {"task": [str(t.pk) for t in rows], "bulk-status": "done", "bulk-reason": "r"}
    data.update({f"version-{t.pk}": str(t.version) for t in rows})
    Task.objects.filter(pk=rows[0].pk).update(version=rows[0].version + 5)
    before = row_counts()
    page = client.post(f"/c/{cast.collab.slug}/table/bulk/", data).content.decode()
    assert row_counts() == before
    assert "被他人修改" in page and rows[0].description[:20] in page


def test_the_form_needs_rows_a_reason_and_a_change(cast: Cast) -> None:
    client = signed_in(cast.initiator)
    row = _rows(cast.collab)[0]
    before = row_counts()
    nothing_ticked = client.post(
        f"/c/{cast.collab.slug}/table/bulk/", {"bulk-status": "done", "bulk-reason": "r"}
    )
    assert "请先勾选要修改的行" in nothing_ticked.content.decode()
    base = {"task": [str(row.pk)], f"version-{row.pk}": str(row.version)}
    no_reason = client.post(f"/c/{cast.collab.slug}/table/bulk/", {**base, "bulk-status": "done"})
    assert "这个字段是必填项" in no_reason.content.decode() or "required" in no_reason.content.decode()
    no_change = client.post(f"/c/{cast.collab.slug}/table/bulk/", {**base, "bulk-reason": "r"})
    assert "请至少选择一项要修改的内容" in no_change.content.decode()
    blocked = client.post(
        f"/c/{cast.collab.slug}/table/bulk/", {**base, "bulk-status": "blocked", "bulk-reason": "r"}
    )
    assert "阻塞的任务请写明原因" in blocked.content.decode()
    assert row_counts() == before


@pytest.mark.parametrize("who", ["viewer", "member", "outsider"])
def test_people_who_edit_no_row_cannot_bulk_edit(cast: Cast, who: str) -> None:
    row = _rows(cast.collab)[0]
    client = signed_in(getattr(cast, who))
    before = row_counts()
    response = client.post(
        f"/c/{cast.collab.slug}/table/bulk/",
        {
            "task": [str(row.pk)],
            f"version-{row.pk}": str(row.version),
            "bulk-status": "done",
            "bulk-reason": "r",
        },
    )
    assert response.status_code == (404 if who == "outsider" else 403)
    assert row_counts() == before


def test_a_huge_or_strange_selection_is_no_error(cast: Cast) -> None:
    client = signed_in(cast.initiator)
    data = {
        "task": ["abc", "9" * 40, "-1", *[str(i) for i in range(900)]],
        "bulk-status": "done",
        "bulk-reason": "r",
    }
    response = client.post(f"/c/{cast.collab.slug}/table/bulk/", data)
    assert response.status_code == 200
    assert "一次最多修改 500 行" in response.content.decode()
    few = client.post(f"/c/{cast.collab.slug}/table/bulk/", {**data, "task": ["abc", "9" * 40, "999999"]})
    assert "有的已被删除" in few.content.decode()


def test_a_bulk_assignee_without_a_role_becomes_a_member_and_may_open_the_table(cast: Cast) -> None:
    Collaboration.objects.filter(pk=cast.collab.pk).update(visibility=Visibility.PARTICIPANTS)
    cast.collab.refresh_from_db()
    rows = _rows(cast.collab, "技术部")[:2]
    engineer = make_person("engineer", department=cast.department("技术部"))
    assert not access_for(engineer, cast.collab).sees_anything
    do_bulk_edit(
        cast.collab,
        [t.pk for t in rows],
        BulkChanges(assignee=engineer),
        actor=cast.liaison,
        reason="分给工程师",
        may_edit=_may_edit(cast.collab, cast.liaison),
        versions=_versions(rows),
    )
    assert Membership.objects.get(collaboration=cast.collab, person=engineer).role == MemberRole.MEMBER
    assert signed_in(engineer).get(f"/c/{cast.collab.slug}/table/").status_code == 200
