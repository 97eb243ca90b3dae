"""The API carries a row's assignee (执行人) and watchers (关注人)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.api.conftest import as_person
from tests.conftest import make_person
from tests.helpers import Cast, liaison_of, row_counts
from xietong.collabs.models import Collaboration, Task
from xietong.notify.models import Kind, Notification

pytestmark = pytest.mark.django_db


def test_tasks_show_their_assignee_and_watchers(cast: Cast) -> None:
    task = cast.task_of("技术部")
    member = make_person("tech-1", department=cast.department("技术部"))
    Task.objects.filter(pk=task.pk).update(assignee=member)
    task.watchers.add(cast.viewer)
    listed = as_person(cast.initiator).get(f"/api/collaborations/{cast.collab.slug}/tasks").json()
    row = next(r for r in listed["items"] if r["id"] == task.pk)
    assert row["assignee"] == {"id": member.pk, "name": "tech-1"}
    assert row["watchers"] == [{"id": cast.viewer.pk, "name": "viewer"}]
    one = as_person(cast.viewer).get(f"/api/tasks/{task.pk}").json()
    assert one["assignee"]["id"] == member.pk


def test_patch_assigns_at_the_version_read(cast: Cast) -> None:
    task = cast.task_of("技术部")
    member = make_person("tech-1", department=cast.department("技术部"))
    api = as_person(cast.liaison)
    answer = api.patch(f"/api/tasks/{task.pk}", {"version": task.version, "assignee_id": member.pk})
    assert answer.status_code == 200, answer.content
    assert answer.json()["assignee"]["id"] == member.pk
    assert Notification.objects.filter(recipient=member, kind=Kind.TASK_ASSIGNED).count() == 1
    stale = api.patch(f"/api/tasks/{task.pk}", {"version": task.version, "assignee_id": None})
    assert stale.status_code == 409
    assert stale.json()["current"]["assignee"]["id"] == member.pk
    cleared = api.patch(f"/api/tasks/{task.pk}", {"version": task.version + 1, "assignee_id": None})
    assert cleared.status_code == 200 and cleared.json()["assignee"] is None


def test_patch_with_other_fields_saves_both_in_one_go(cast: Cast) -> None:
    task = cast.task_of("技术部")
    member = make_person("tech-1", department=cast.department("技术部"))
    answer = as_person(cast.liaison).patch(
        f"/api/tasks/{task.pk}", {"version": task.version, "standard": "新标准", "assignee_id": member.pk}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["standard"] == "新标准" and answer.json()["assignee"]["id"] == member.pk


def test_someone_outside_the_department_is_422_and_nothing_is_written(cast: Cast) -> None:
    task = cast.task_of("技术部")
    stranger = make_person("legal-1", department=cast.department("法务部"))
    api = as_person(cast.liaison)
    before = row_counts()
    for body in (
        {"version": task.version, "assignee_id": stranger.pk},
        {"version": task.version, "standard": "x", "assignee_id": stranger.pk},
        {"version": task.version, "assignee_id": 10**12},
    ):
        answer = api.patch(f"/api/tasks/{task.pk}", body)
        assert answer.status_code == 422, answer.content
        assert "assignee_id" in answer.content.decode()
    assert row_counts() == before


def test_only_who_may_edit_the_row_assigns_it(cast: Cast) -> None:
    task = cast.task_of("技术部")
    member = make_person("tech-1", department=cast.department("技术部"))
    body = {"version": task.version, "assignee_id": member.pk}
    assert (
        as_person(liaison_of(cast.collab, "法务部")).patch(f"/api/tasks/{task.pk}", body).status_code == 403
    )
    assert as_person(cast.viewer).patch(f"/api/tasks/{task.pk}", body).status_code == 403
    assert as_person(cast.outsider).patch(f"/api/tasks/{task.pk}", body).status_code == 404


def test_a_new_row_may_name_its_assignee(cast: Cast) -> None:
    member = make_person("tech-1", department=cast.department("技术部"))
    answer = as_person(cast.liaison).post(
        f"/api/collaborations/{cast.collab.slug}/tasks",
        {"description": "新任务", "department": "技术部", "assignee_id": member.pk},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["assignee"]["id"] == member.pk


def test_watch_and_unwatch(cast: Cast) -> None:
    task = cast.task_of("技术部")
    api = as_person(cast.viewer)
    watched = api.post(f"/api/tasks/{task.pk}/watch")
    assert watched.status_code == 200 and watched.json()["watchers"] == [
        {"id": cast.viewer.pk, "name": "viewer"}
    ]
    assert api.post(f"/api/tasks/{task.pk}/watch").status_code == 200
    assert task.watchers.count() == 1
    assert api.delete(f"/api/tasks/{task.pk}/watch").json()["watchers"] == []
    assert as_person(cast.outsider).post(f"/api/tasks/{task.pk}/watch").status_code == 404


def test_a_closed_collaboration_refuses_watching(cast: Cast) -> None:
    task = cast.task_of("技术部")
    Collaboration.objects.filter(pk=cast.collab.pk).update(closed_at=timezone.now())
    assert as_person(cast.viewer).post(f"/api/tasks/{task.pk}/watch").status_code == 403
    assert task.watchers.count() == 0
