"""Every change is recorded: who, when, before, after, why; readable by initiators and administrators."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.conftest import INITIATOR_PAGES
from tests.helpers import person, signed_in
from xietong.audit.models import AuditEntry, Change
from xietong.collabs.actions.common import VersionConflict
from xietong.collabs.actions.goal import GoalInput, do_save_goal
from xietong.collabs.actions.tasks import TaskInput, do_delete_task, do_save_task
from xietong.collabs.models import Collaboration, Participant, Task
from xietong.orgs.models import Department, Person

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_task_change_records_before_and_after_and_who(demo: Collaboration) -> None:
    assert demo.owner is not None
    task = Task.objects.filter(collaboration=demo, status="in_progress").first()
    assert task is not None
    data = TaskInput(
        description=task.description,
        department=task.department,
        standard=task.standard,
        deadline=task.deadline,
        collaborators=list(task.collaborators.all()),
        status="done",
        blocked_reason="",
    )
    do_save_task(demo, data, task=task, version=task.version, actor=demo.owner, reason="周例会确认完成")
    entry = AuditEntry.objects.get(object_type="collabs.task", object_id=str(task.pk), change=Change.UPDATE)
    assert entry.actor == demo.owner
    assert entry.before == {"status": "in_progress", "percent": task.percent}  # as last reported
    assert entry.after == {"status": "done", "percent": 100}
    assert entry.reason == "周例会确认完成"
    assert entry.collaboration == demo


def test_creation_and_deletion_are_recorded(demo: Collaboration) -> None:
    assert demo.owner is not None
    tech = Department.objects.get(name="技术部")
    task = do_save_task(
        demo, TaskInput("新任务", tech, "标准", None, [], "not_started", ""), actor=demo.owner
    )
    do_delete_task(task, actor=demo.owner)
    changes = list(
        AuditEntry.objects.filter(object_type="collabs.task", object_repr="新任务")
        .order_by("id")
        .values_list("change", flat=True)
    )
    assert changes == [Change.CREATE, Change.DELETE]
    deleted = AuditEntry.objects.get(object_repr="新任务", change=Change.DELETE)
    assert deleted.before is not None and deleted.before["department"] == "技术部" and deleted.after is None


def test_an_unchanged_save_records_nothing(demo: Collaboration) -> None:
    task = Task.objects.filter(collaboration=demo).first()
    assert task is not None
    before = AuditEntry.objects.count()
    data = TaskInput(
        task.description,
        task.department,
        task.standard,
        task.deadline,
        list(task.collaborators.all()),
        task.status,
        task.blocked_reason,
    )
    do_save_task(demo, data, task=task)
    assert AuditEntry.objects.count() == before


def test_a_goal_save_against_an_old_version_writes_nothing(demo: Collaboration) -> None:
    demo.refresh_from_db()
    goal = demo.goal
    stale = demo.version
    data = GoalInput(demo.title, "新背景", "", "新目标", goal.deadline, "", "")
    do_save_goal(demo, data, [], expected_version=stale)
    with pytest.raises(VersionConflict):
        do_save_goal(
            demo,
            GoalInput(demo.title, "另一个背景", "", "另一个目标", None, "", ""),
            [],
            expected_version=stale,
        )
    goal.refresh_from_db()
    assert goal.statement == "新目标"
    metric_change = AuditEntry.objects.filter(object_type="collabs.goal", change=Change.UPDATE).count()
    assert metric_change == 1


def test_the_goal_page_shows_a_clear_message_on_a_stale_save(demo: Collaboration) -> None:
    assert demo.owner is not None
    demo.refresh_from_db()
    client = signed_in(demo.owner)
    form = {
        "version": demo.version,
        "title": demo.title,
        "statement": "A",
        "metrics-TOTAL_FORMS": "0",
        "metrics-INITIAL_FORMS": "0",
    }
    assert client.post(f"/c/{demo.slug}/goal/", form).status_code == 302
    page = client.post(f"/c/{demo.slug}/goal/", {**form, "statement": "B"}).content.decode()
    assert "刚被他人修改" in page
    demo.goal.refresh_from_db()
    assert demo.goal.statement == "A"


def test_the_history_page_and_export_are_for_initiators_and_admins(
    demo: Collaboration, admin_user: Person, outsider: Person
) -> None:
    assert demo.owner is not None
    person("钱会计")
    signed_in(demo.owner).post(
        f"/c/{demo.slug}/departments/",
        {"add": "1", "new-department": "财务部", "new-liaison": "钱会计", "new-role": "support"},
    )
    liaison = Participant.objects.get(collaboration=demo, department__name="技术部").liaison
    assert liaison is not None
    for name in INITIATOR_PAGES:
        url = reverse(name, args=[demo.slug])
        assert signed_in(demo.owner).get(url).status_code == 200
        assert signed_in(admin_user).get(url).status_code == 200
        assert signed_in(liaison).get(url).status_code == 403
        assert signed_in(outsider).get(url).status_code == 404
    page = signed_in(demo.owner).get(reverse("collabs:history", args=[demo.slug])).content.decode()
    assert "财务部" in page
    export = (
        signed_in(demo.owner)
        .get(reverse("collabs:history_csv", args=[demo.slug]))
        .content.decode("utf-8-sig")
    )
    rows = list(csv.reader(io.StringIO(export)))
    assert rows[0][0] == "时间"
    assert any("财务部" in row[4] and row[1] == demo.owner.name for row in rows[1:])


def test_exported_cells_cannot_run_as_formulas(demo: Collaboration) -> None:
    assert demo.owner is not None
    tech = Department.objects.get(name="技术部")
    do_save_task(
        demo,
        TaskInput('=HYPERLINK("http://x")', tech, "", None, [], "not_started", ""),
        actor=demo.owner,
        reason="@SUM(A1)",
    )
    export = (
        signed_in(demo.owner)
        .get(reverse("collabs:history_csv", args=[demo.slug]))
        .content.decode("utf-8-sig")
    )
    rows = list(csv.reader(io.StringIO(export)))
    row = next(r for r in rows if "HYPERLINK" in r[4])
    assert row[4].startswith("'=") and row[7] == "'@SUM(A1)"


def test_the_web_records_the_person_who_changed_a_row(demo: Collaboration) -> None:
    liaison = Participant.objects.get(collaboration=demo, department__name="技术部").liaison
    assert liaison is not None
    task = Task.objects.filter(collaboration=demo, department__name="技术部").first()
    assert task is not None
    prefix = f"t{task.pk}"
    signed_in(liaison).post(
        f"/c/{demo.slug}/table/{task.pk}/edit/",
        {
            f"{prefix}-description": "改写的描述",
            f"{prefix}-department": task.department_id,
            f"{prefix}-status": "in_progress",
            f"{prefix}-version": task.version,
        },
        **HTMX,
    )
    entry = AuditEntry.objects.filter(object_type="collabs.task", object_id=str(task.pk)).latest("id")
    assert entry.actor == liaison
    assert entry.after is not None and entry.after["description"] == "改写的描述"


def test_a_stale_subgoal_or_plan_edit_is_refused_with_a_message(demo: Collaboration) -> None:
    from tests.test_communication_page import form_data as plan_form
    from tests.test_subgoals_page import form_data as subgoal_form
    from xietong.collabs.models import SubGoal
    from xietong.meetings.models import CommunicationRule

    assert demo.owner is not None
    client = signed_in(demo.owner)
    demo.refresh_from_db()
    loaded = demo.version
    subgoal = SubGoal.objects.get(collaboration=demo, department__name="产品部")
    rule = CommunicationRule.objects.filter(collaboration=demo).first()
    assert rule is not None
    # Someone else changes the collaboration after both forms were loaded.
    first = client.post(
        f"/c/{demo.slug}/subgoals/",
        {**subgoal_form(demo, description="第一人"), "pk": str(subgoal.pk), "version": str(loaded)},
    )
    assert first.status_code == 302
    stale = client.post(
        f"/c/{demo.slug}/subgoals/",
        {**subgoal_form(demo, description="第二人"), "pk": str(subgoal.pk), "version": str(loaded)},
        **HTMX,
    )
    assert "刚被他人修改" in stale.content.decode()
    subgoal.refresh_from_db()
    assert subgoal.description == "第一人"
    stale_rule = client.post(
        f"/c/{demo.slug}/communication/",
        {**plan_form(owner="第二人"), "pk": str(rule.pk), "version": str(loaded)},
        **HTMX,
    )
    assert "刚被他人修改" in stale_rule.content.decode()
    rule.refresh_from_db()
    assert rule.owner != "第二人"


def test_a_stale_department_edit_is_refused_with_a_message(demo: Collaboration) -> None:
    assert demo.owner is not None
    demo.refresh_from_db()
    row = Participant.objects.get(collaboration=demo, department__name="技术部")
    person("第一人"), person("第二人")
    client = signed_in(demo.owner)
    form = {
        "participant": row.pk,
        f"p{row.pk}-role": "support",
        f"p{row.pk}-duties": "x",
        "version": demo.version,
    }
    assert (
        client.post(f"/c/{demo.slug}/departments/", {**form, f"p{row.pk}-liaison": "第一人"}).status_code
        == 302
    )
    page = client.post(
        f"/c/{demo.slug}/departments/", {**form, f"p{row.pk}-liaison": "第二人"}
    ).content.decode()
    assert "刚被他人修改" in page
    row.refresh_from_db()
    assert row.liaison is not None and row.liaison.name == "第一人"
