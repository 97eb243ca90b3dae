"""People on the rows: a row's assignee (执行人) and watchers (关注人), 我的任务 and 我的工作台.

The liaison or head of a row's department (and the initiator, administrators)
assigns it to a person of that department; anyone who may view the
collaboration watches a row for themselves. The assignee is told once
through the inbox (and the mail the sweep plans).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_person
from tests.helpers import Cast, at, pinned, row_counts, signed_in
from xietong.audit.models import AuditEntry
from xietong.collabs.access import access_for
from xietong.collabs.actions.tasks import (
    NotAssignable,
    StaleWrite,
    TaskInput,
    assignable_people,
    do_assign_task,
    do_save_task,
    do_watch_task,
)
from xietong.collabs.assignees import assignable_by_department, my_rows
from xietong.collabs.models import (
    Collaboration,
    MemberRole,
    Membership,
    Task,
    TaskStatus,
    Visibility,
    overdue_filter,
)
from xietong.notify.models import Kind, Notification
from xietong.orgs.models import Department, Person
from xietong.rules.tracking import is_overdue

pytestmark = pytest.mark.django_db
# The demo's "now": Monday 2024-08-12 (我的任务's "this week" and "overdue" are judged then).
_pinned = pinned(at(2024, 8, 12, 10))


def _member(cast: Cast, name: str = "tech-member", department: str = "技术部") -> Person:
    return make_person(name, department=cast.department(department))


def _assigned(who: Person) -> list[Notification]:
    return list(Notification.objects.filter(recipient=who, kind=Kind.TASK_ASSIGNED))


# --- the actions


def test_it_assigns_a_row_to_a_person_of_its_department_audited_and_told_once(cast: Cast) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    version = task.version
    assigned = do_assign_task(task, member, actor=cast.liaison, version=version)
    assert assigned.assignee == member and assigned.version == version + 1
    entry = AuditEntry.objects.filter(object_id=str(task.pk)).latest("id")
    assert entry.actor == cast.liaison
    assert entry.before["assignee"] is None and entry.after["assignee"] == "tech-member"
    notices = _assigned(member)
    assert len(notices) == 1 and notices[0].link.endswith(f"#task-{task.pk}")
    # The same choice again writes nothing and tells nobody twice.
    do_assign_task(assigned, member, actor=cast.liaison)
    assert len(_assigned(member)) == 1


def test_it_refuses_someone_outside_the_rows_department(cast: Cast) -> None:
    task, stranger = cast.task_of("技术部"), _member(cast, "legal-1", "法务部")
    before = row_counts()
    with pytest.raises(NotAssignable):
        do_assign_task(task, stranger, actor=cast.liaison)
    assert row_counts() == before


def test_it_refuses_a_stale_version(cast: Cast) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    with pytest.raises(StaleWrite) as stale:
        do_assign_task(task, member, actor=cast.liaison, version=task.version - 1)
    assert stale.value.current.assignee is None


def test_it_tells_nobody_who_assigns_themselves(cast: Cast) -> None:
    task = cast.task_of("技术部")
    do_assign_task(task, cast.liaison, actor=cast.liaison)
    assert _assigned(cast.liaison) == []


def test_a_row_moved_to_another_department_drops_its_assignee(cast: Cast) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    task = do_assign_task(task, member, actor=cast.liaison)
    data = TaskInput(
        description=task.description,
        department=cast.department("法务部"),
        standard=task.standard,
        deadline=task.deadline,
        collaborators=[],
        status=task.status,
        blocked_reason=task.blocked_reason,
    )
    moved = do_save_task(cast.collab, data, task=task, actor=cast.initiator)
    assert moved.assignee is None


def test_watching_is_idempotent_and_leaves_the_rows_version(cast: Cast) -> None:
    task = cast.task_of("技术部")
    version, collab_version = task.version, cast.collab.version
    assert do_watch_task(task, cast.viewer, True) is True
    assert do_watch_task(task, cast.viewer, True) is False
    task.refresh_from_db()
    assert list(task.watchers.all()) == [cast.viewer] and task.version == version
    cast.collab.refresh_from_db()
    assert cast.collab.version > collab_version  # cached pages show the new count
    assert do_watch_task(task, cast.viewer, False) is True
    assert task.watchers.count() == 0


def test_the_pickers_read_at_once_are_the_one_definition(cast: Cast) -> None:
    _member(cast)
    make_person("gone", department=cast.department("技术部"), is_active=False)
    found = assignable_by_department(cast.collab)
    for department_id, people in found.items():
        assert {p.pk for p in people} == set(
            assignable_people(cast.collab, department_id).values_list("pk", flat=True)
        )


def test_the_overdue_filter_is_the_rules_definition(demo: Collaboration) -> None:
    today = date(2024, 8, 12)
    statuses = list(TaskStatus)
    for i, deadline in enumerate([None, today - timedelta(days=1), today, today + timedelta(days=1)]):
        for j, status in enumerate(statuses):
            Task.objects.create(
                collaboration=demo,
                position=1000 + i * 10 + j,
                description=f"d{i}{j}",
                deadline=deadline,
                status=status,
            )
    rows = Task.objects.filter(collaboration=demo)
    by_sql = set(rows.filter(overdue_filter(today)).values_list("pk", flat=True))
    by_rule = {t.pk for t in rows if is_overdue(t.deadline, t.status, today)}
    assert by_sql == by_rule and by_rule


# --- the table's cell


def _assign(
    client_of: Person, task: Task, assignee: Person | None, version: int | None = None, htmx: bool = True
):  # type: ignore[no-untyped-def]
    url = reverse("collabs:task_assign", args=[task.collaboration.slug, task.pk])
    data = {"assignee": str(assignee.pk) if assignee else "", "version": str(version or task.version)}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return signed_in(client_of).post(url, data, **headers)


def test_the_liaison_assigns_a_row_of_their_department_in_place(cast: Cast) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    answer = _assign(cast.liaison, task, member)
    assert answer.status_code == 200
    assert f'id="task-{task.pk}"' in answer.content.decode()
    task.refresh_from_db()
    assert task.assignee == member


def test_the_table_shows_the_assignee_the_picker_and_the_watchers(cast: Cast) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    do_assign_task(task, member, actor=cast.liaison)
    do_watch_task(task, cast.viewer, True)
    page = signed_in(cast.liaison).get(reverse("collabs:table", args=[cast.collab.slug])).content.decode()
    assert "执行人" in page and f'id="assignee-select-{task.pk}"' in page
    assert f'<option value="{member.pk}" selected>tech-member</option>' in page
    assert "1 人关注" in page
    # A viewer sees the name, no picker, and their own watch button's state.
    seen = signed_in(cast.viewer).get(reverse("collabs:table", args=[cast.collab.slug])).content.decode()
    assert f'id="assignee-select-{task.pk}"' not in seen and "tech-member" in seen
    assert "取消关注" in seen
    other = signed_in(cast.member).get(reverse("collabs:table", args=[cast.collab.slug])).content.decode()
    assert "取消关注" not in other  # the cached rows are not the viewer's


@pytest.mark.parametrize("who", ["member", "viewer", "other_liaison"])
def test_people_who_may_not_edit_the_row_get_403(cast: Cast, who: str) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    person = liaison_of_legal(cast) if who == "other_liaison" else getattr(cast, who)
    client = signed_in(person)
    url = reverse("collabs:task_assign", args=[cast.collab.slug, task.pk])
    before = row_counts()
    assert client.post(url, {"assignee": str(member.pk), "version": str(task.version)}).status_code == 403
    assert row_counts() == before


def liaison_of_legal(cast: Cast) -> Person:
    from tests.helpers import liaison_of

    return liaison_of(cast.collab, "法务部")


def test_an_outsider_gets_404(cast: Cast) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    assert _assign(cast.outsider, task, member).status_code == 404
    watch = reverse("collabs:task_watch", args=[cast.collab.slug, task.pk])
    assert signed_in(cast.outsider).post(watch, {"watching": "1"}).status_code == 404
    assert signed_in(cast.outsider).get(reverse("collabs:my_tasks")).status_code == 200


def test_someone_outside_the_department_is_refused_and_the_choice_kept(cast: Cast) -> None:
    task, stranger = cast.task_of("技术部"), _member(cast, "legal-1", "法务部")
    answer = _assign(cast.initiator, task, stranger, htmx=False)
    assert answer.status_code == 422
    task.refresh_from_db()
    assert task.assignee is None


def test_a_stale_choice_shows_the_current_row_with_the_choice_kept(cast: Cast) -> None:
    task, member, other = cast.task_of("技术部"), _member(cast), _member(cast, "tech-2")
    seen = task.version
    do_assign_task(task, other, actor=cast.initiator)
    answer = _assign(cast.liaison, task, member, version=seen)
    body = answer.content.decode()
    assert answer.status_code == 200 and "刚被他人修改" in body
    assert f'<option value="{member.pk}" selected>' in body
    task.refresh_from_db()
    assert task.assignee == other and f'name="version" value="{task.version}"' in body
    assert _assign(cast.liaison, task, member, htmx=False, version=seen).status_code == 409


def test_the_edit_form_saves_the_assignee_with_the_row(cast: Cast) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    url = reverse("collabs:task_edit", args=[cast.collab.slug, task.pk])
    p = f"t{task.pk}"
    data = {
        f"{p}-description": task.description,
        f"{p}-department": str(task.department_id),
        f"{p}-standard": task.standard,
        f"{p}-deadline": task.deadline.isoformat() if task.deadline else "",
        f"{p}-status": task.status,
        f"{p}-blocked_reason": task.blocked_reason,
        f"{p}-assignee": str(member.pk),
        f"{p}-version": str(task.version),
    }
    answer = signed_in(cast.liaison).post(url, data, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    task.refresh_from_db()
    assert task.assignee == member
    assert len(_assigned(member)) == 1


def test_anyone_who_sees_the_collaboration_watches_a_row(cast: Cast) -> None:
    task = cast.task_of("技术部")
    url = reverse("collabs:task_watch", args=[cast.collab.slug, task.pk])
    answer = signed_in(cast.viewer).post(url, {"watching": "1"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and "取消关注" in answer.content.decode()
    assert list(task.watchers.all()) == [cast.viewer]
    signed_in(cast.viewer).post(url, {"watching": "0"})
    assert task.watchers.count() == 0


# --- 我的任务 and 我的工作台


def _rows_for(cast: Cast) -> tuple[Person, dict[str, Task]]:
    member = _member(cast)
    today = date(2024, 8, 12)  # the demo's "now" (a Monday)
    made = {}
    for name, deadline, status in [
        ("overdue", today - timedelta(days=3), TaskStatus.IN_PROGRESS),
        ("this-week", today + timedelta(days=4), TaskStatus.NOT_STARTED),
        ("blocked", today + timedelta(days=30), TaskStatus.BLOCKED),
        ("done", today - timedelta(days=3), TaskStatus.DONE),
    ]:
        made[name] = Task.objects.create(
            collaboration=cast.collab,
            position=500 + len(made),
            description=f"my-{name}",
            department=cast.department("技术部"),
            deadline=deadline,
            status=status,
            blocked_reason="等待" if status == TaskStatus.BLOCKED else "",
        )
        do_assign_task(made[name], member, actor=cast.liaison)
    return member, made


def test_my_rows_filter_by_week_overdue_blocked(cast: Cast) -> None:
    member, made = _rows_for(cast)
    today = date(2024, 8, 12)

    def names(**kw: str) -> set[str]:
        return {t.description for t in my_rows(member, today, **kw)}

    assert names() == {"my-overdue", "my-this-week", "my-blocked", "my-done"}
    assert names(due="week") == {"my-this-week"}
    assert names(due="overdue") == {"my-overdue"}
    assert names(due="blocked") == {"my-blocked"}
    assert names(show="watching") == set()
    do_watch_task(made["blocked"], member, True)
    assert names(show="watching") == {"my-blocked"}


def test_my_tasks_page_keeps_its_filters_in_the_url(cast: Cast) -> None:
    member, _made = _rows_for(cast)
    page = signed_in(member).get(reverse("collabs:my_tasks") + "?due=overdue").content.decode()
    assert "my-overdue" in page and "my-this-week" not in page
    assert 'href="?show=assigned&amp;due=week"' in page
    assert 'aria-current="page">逾期' in page
    odd = signed_in(member).get(reverse("collabs:my_tasks") + "?due=%00&show=x" + "y" * 5000)
    assert odd.status_code == 200 and "my-blocked" in odd.content.decode()


def test_an_assignee_without_a_role_becomes_a_member_audited(cast: Cast) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    assert not access_for(member, cast.collab).sees_anything
    do_assign_task(task, member, actor=cast.liaison)
    assert Membership.objects.get(collaboration=cast.collab, person=member).role == MemberRole.MEMBER
    assert signed_in(member).get(reverse("collabs:table", args=[cast.collab.slug])).status_code == 200


def test_my_tasks_do_not_show_rows_of_collaborations_i_may_no_longer_see(cast: Cast) -> None:
    member, _made = _rows_for(cast)
    assert "my-overdue" in signed_in(member).get(reverse("collabs:my_tasks")).content.decode()
    Membership.objects.filter(person=member).delete()
    Collaboration.objects.filter(pk=cast.collab.pk).update(visibility=Visibility.PARTICIPANTS)
    assert "my-overdue" not in signed_in(member).get(reverse("collabs:my_tasks")).content.decode()


def test_the_workbench_lists_my_open_rows_overdue_first_and_my_unread_mentions(cast: Cast) -> None:
    member, _made = _rows_for(cast)
    Notification.objects.create(
        key="test:mention",
        kind=Kind.MENTIONED,
        collaboration=cast.collab,
        recipient=member,
        params={
            "collab": cast.collab.title,
            "who": "王经理",
            "target": "任务",
            "title": "t",
            "excerpt": "请看",
        },
        link=reverse("collabs:table", args=[cast.collab.slug]),
    )
    page = signed_in(member).get("/").content.decode()
    assert "我的工作台" in page
    assigned = page[page.index('id="assigned"') : page.index('id="mentions"')]
    assert assigned.index("my-overdue") < assigned.index("my-this-week")
    assert "my-done" not in assigned
    mentions = page[page.index('id="mentions"') : page.index('id="mine"')]
    assert "王经理 在评论中提到了您" in mentions


def _count(person: Person, url: str) -> int:
    client = signed_in(person)
    client.get(url)  # warm: the session, the language
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_my_tasks_and_the_workbench_cost_the_same_queries_at_two_sizes(cast: Cast) -> None:
    member = _member(cast)
    tech = Department.objects.get(name="技术部")

    def grow(n: int) -> None:
        start = Task.objects.count()
        rows = Task.objects.bulk_create(
            Task(
                collaboration=cast.collab,
                position=2000 + start + i,
                description=f"grown {start + i}",
                department=tech,
                deadline=date(2024, 8, 1) + timedelta(days=i % 20),
                assignee=member,
            )
            for i in range(n)
        )
        Task.watchers.through.objects.bulk_create(Task.watchers.through(task=t, person=member) for t in rows)
        Notification.objects.bulk_create(
            Notification(
                key=f"test:m{start + i}",
                kind=Kind.MENTIONED,
                collaboration=cast.collab,
                recipient=member,
                params={"collab": "c", "who": "w", "target": "任务", "title": "t", "excerpt": "e"},
                link="/",
            )
            for i in range(n)
        )

    urls = ["/", reverse("collabs:my_tasks"), reverse("collabs:my_tasks") + "?show=watching&due=week"]
    grow(3)
    small = [_count(member, u) for u in urls]
    grow(60)
    assert [_count(member, u) for u in urls] == small


@pytest.mark.parametrize("who", ["head", "initiator", "admin"])
def test_the_head_the_initiator_and_an_administrator_assign_too(cast: Cast, who: str) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    answer = _assign(getattr(cast, who), task, member, htmx=False)
    assert answer.status_code == 302 and answer["Location"].endswith(f"#task-{task.pk}")
    task.refresh_from_db()
    assert task.assignee == member


def test_a_closed_collaboration_refuses_assigning_and_watching(cast: Cast) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    Collaboration.objects.filter(pk=cast.collab.pk).update(closed_at=at(2024, 8, 12, 9))
    assert _assign(cast.liaison, task, member).status_code == 403
    watch = reverse("collabs:task_watch", args=[cast.collab.slug, task.pk])
    assert signed_in(cast.viewer).post(watch, {"watching": "1"}).status_code == 403
    assert task.watchers.count() == 0


def test_an_edit_without_the_assignee_field_keeps_the_assignee(cast: Cast) -> None:
    task, member = cast.task_of("技术部"), _member(cast)
    task = do_assign_task(task, member, actor=cast.liaison)
    p = f"t{task.pk}"
    data = {
        f"{p}-description": task.description + "(改)",
        f"{p}-department": str(task.department_id),
        f"{p}-standard": task.standard,
        f"{p}-status": task.status,
        f"{p}-version": str(task.version),
    }
    url = reverse("collabs:task_edit", args=[cast.collab.slug, task.pk])
    assert signed_in(cast.liaison).post(url, data, HTTP_HX_REQUEST="true").status_code == 200
    task.refresh_from_db()
    assert task.description.endswith("(改)") and task.assignee == member


def test_rows_of_closed_collaborations_leave_my_tasks(cast: Cast) -> None:
    member, _made = _rows_for(cast)
    Collaboration.objects.filter(pk=cast.collab.pk).update(closed_at=at(2024, 8, 12, 9))
    assert "my-overdue" not in signed_in(member).get(reverse("collabs:my_tasks")).content.decode()


def test_names_and_descriptions_are_escaped_everywhere(cast: Cast) -> None:
    member = make_person("evil", department=cast.department("技术部"))
    Person.objects.filter(pk=member.pk).update(display_name="<b>x</b><script>1</script>")
    member.refresh_from_db()
    task = cast.task_of("技术部")
    Task.objects.filter(pk=task.pk).update(description="<img src=x onerror=alert(1)>")
    task.refresh_from_db()
    do_assign_task(task, member, actor=cast.liaison)
    for who, url in [
        (cast.liaison, reverse("collabs:table", args=[cast.collab.slug])),
        (member, reverse("collabs:my_tasks")),
        (member, "/"),
    ]:
        page = signed_in(who).get(url).content.decode()
        assert "<script>1</script>" not in page and "<img src=x" not in page, url
