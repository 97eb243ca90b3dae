"""The board (任务看板): columns by status, swimlanes, moving a card (drag or menu), read-only for others."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_person
from tests.helpers import Cast, row_counts, signed_in
from xietong.audit.models import AuditEntry
from xietong.collabs.models import Collaboration, Task, TaskStatus

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _board(collab: Collaboration) -> str:
    return f"/c/{collab.slug}/board/"


def _move(collab: Collaboration, task: Task) -> str:
    return f"/c/{collab.slug}/board/{task.pk}/move/"


def test_it_shows_every_row_as_a_card_in_the_column_of_its_status(cast: Cast) -> None:
    page = signed_in(cast.viewer).get(_board(cast.collab)).content.decode()
    for task in Task.objects.filter(collaboration=cast.collab):
        assert f'id="card-{task.pk}" data-status="{task.status}"' in page
    assert page.count('class="board-lane"') == len(
        {t.department_id for t in Task.objects.filter(collaboration=cast.collab)}
    )


def test_it_groups_by_assignee_when_asked_in_the_url(cast: Cast) -> None:
    task = cast.task_of("技术部")
    Task.objects.filter(pk=task.pk).update(assignee=cast.liaison)
    page = signed_in(cast.viewer).get(_board(cast.collab) + "?group=assignee").content.decode()
    assert cast.liaison.name in page and "未指派" in page
    assert 'aria-current="page">按执行人' in page
    # An unknown grouping is the default one, never an error.
    assert signed_in(cast.viewer).get(_board(cast.collab) + "?group=<x>").status_code == 200


def test_it_marks_overdue_cards_with_the_tables_definition(cast: Cast) -> None:
    task = cast.task_of("技术部")
    Task.objects.filter(pk=task.pk).update(deadline="2000-01-03", status=TaskStatus.IN_PROGRESS)
    page = signed_in(cast.viewer).get(_board(cast.collab)).content.decode()
    card = page.split(f'id="card-{task.pk}"')[1].split("</li>")[0]
    assert "已逾期" in card
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.DONE)
    cache.clear()
    page = signed_in(cast.viewer).get(_board(cast.collab)).content.decode()
    assert "已逾期" not in page.split(f'id="card-{task.pk}"')[1].split("</li>")[0]


def test_people_who_may_not_edit_a_department_see_its_cards_read_only(cast: Cast) -> None:
    ours, theirs = cast.task_of("技术部"), cast.task_of("法务部")
    page = signed_in(cast.liaison).get(_board(cast.collab)).content.decode()
    assert f'id="move-{ours.pk}"' in page and f'id="move-{theirs.pk}"' not in page
    viewer_page = signed_in(cast.viewer).get(_board(cast.collab)).content.decode()
    assert "move-" not in viewer_page and "Sortable.min.js" not in viewer_page
    assert "board-handle" not in viewer_page


def test_moving_a_card_saves_its_status_audited(cast: Cast) -> None:
    task = cast.task_of("技术部")
    target = TaskStatus.DONE if task.status != TaskStatus.DONE else TaskStatus.IN_PROGRESS
    response = signed_in(cast.liaison).post(
        _move(cast.collab, task), {"status": target, "version": task.version, "group": "department"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/board/?group=department#card-{task.pk}")
    task.refresh_from_db()
    assert task.status == target
    entry = AuditEntry.objects.filter(object_type="collabs.task", object_id=str(task.pk)).latest("at")
    assert entry.actor == cast.liaison and entry.after["status"] == target


def test_an_htmx_move_answers_with_the_card_as_saved(cast: Cast) -> None:
    task = cast.task_of("技术部")
    target = TaskStatus.NOT_STARTED if task.status != TaskStatus.NOT_STARTED else TaskStatus.IN_PROGRESS
    response = signed_in(cast.liaison).post(
        _move(cast.collab, task), {"status": target, "version": task.version}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="card-{task.pk}" data-status="{target}"' in html
    assert f'data-version="{task.version + 1}"' in html


def test_a_move_to_blocked_needs_a_reason_as_in_the_table(cast: Cast) -> None:
    task = cast.task_of("技术部")
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS, blocked_reason="")
    task.refresh_from_db()
    client = signed_in(cast.liaison)
    before = row_counts()
    # Without JavaScript: the form page asks for the reason, with the chosen status kept.
    page = client.post(_move(cast.collab, task), {"status": "blocked", "version": task.version})
    assert page.status_code == 200
    html = page.content.decode()
    assert "阻塞的任务请写明原因" in html and '<option value="blocked" selected>' in html
    # The board's script: 422 with the message.
    answer = client.post(_move(cast.collab, task), {"status": "blocked", "version": task.version}, **HTMX)
    assert answer.status_code == 422 and "阻塞的任务请写明原因" in answer.content.decode()
    assert row_counts() == before
    client.post(
        _move(cast.collab, task),
        {"status": "blocked", "blocked_reason": "等待法务部审核", "version": task.version},
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.BLOCKED and task.blocked_reason == "等待法务部审核"
    assert task.blocked_since is not None


def test_a_stale_card_comes_back_as_it_is_now(cast: Cast) -> None:
    task = cast.task_of("技术部")
    seen = task.version
    Task.objects.filter(pk=task.pk).update(version=seen + 1, status=TaskStatus.DONE)
    client = signed_in(cast.liaison)
    answer = client.post(_move(cast.collab, task), {"status": "in_progress", "version": seen}, **HTMX)
    assert answer.status_code == 409
    html = answer.content.decode()
    assert 'data-status="done"' in html and "刚被他人修改" in html
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    # Without JavaScript: back to the board with the message.
    response = client.post(_move(cast.collab, task), {"status": "in_progress", "version": seen}, follow=True)
    assert "刚被他人修改" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


@pytest.mark.parametrize("who", ["viewer", "member", "liaison_of_another"])
def test_people_who_may_not_edit_the_row_cannot_move_it(cast: Cast, who: str) -> None:
    task = cast.task_of("法务部")
    person = getattr(cast, who, None) or cast.liaison  # 技术部's liaison, for a 法务部 row
    client = signed_in(person)
    before = row_counts()
    response = client.post(_move(cast.collab, task), {"status": "done", "version": task.version})
    assert response.status_code == 403
    assert row_counts() == before


def test_outsiders_and_other_collaborations_rows_are_not_found(cast: Cast) -> None:
    task = cast.task_of("技术部")
    assert signed_in(cast.outsider).get(_board(cast.collab)).status_code == 404
    assert signed_in(cast.outsider).post(_move(cast.collab, task), {"status": "done"}).status_code == 404
    other = Collaboration.objects.create(title="另一个", slug="another", owner=cast.liaison)
    # The liaison owns "another": the row of the demo is not found under it.
    response = signed_in(cast.liaison).post(f"/c/{other.slug}/board/{task.pk}/move/", {"status": "done"})
    assert response.status_code == 404


def test_a_closed_collaboration_shows_a_read_only_board(cast: Cast) -> None:
    from django.utils import timezone

    Collaboration.objects.filter(pk=cast.collab.pk).update(closed_at=timezone.now())
    task = cast.task_of("技术部")
    page = signed_in(cast.initiator).get(_board(cast.collab)).content.decode()
    assert "move-" not in page
    response = signed_in(cast.initiator).post(_move(cast.collab, task), {"status": "done"})
    assert response.status_code == 403


def test_the_board_is_linked_from_the_table_and_the_workspace(cast: Cast) -> None:
    client = signed_in(cast.viewer)
    assert _board(cast.collab) in client.get(f"/c/{cast.collab.slug}/table/").content.decode()
    assert _board(cast.collab) in client.get(f"/c/{cast.collab.slug}/goal/").content.decode()


def _grow(collab: Collaboration, n: int) -> None:
    departments = [
        t.department for t in Task.objects.filter(collaboration=collab).select_related("department")
    ]
    people = [
        make_person(f"grow{collab.pk}-{len(departments)}-{i}", department=departments[0]) for i in range(3)
    ]
    start = Task.objects.filter(collaboration=collab).count()
    Task.objects.bulk_create(
        Task(
            collaboration=collab,
            position=start + i,
            description=f"任务 {start + i}",
            department=departments[i % len(departments)],
            assignee=people[i % 3] if i % 4 else None,
            status=list(TaskStatus)[i % 4],
            deadline="2024-07-20",
        )
        for i in range(n)
    )


@pytest.mark.parametrize("group", ["department", "assignee"])
def test_the_board_costs_the_same_queries_at_two_sizes(cast: Cast, group: str) -> None:
    counts = []
    for size in (10, 300):
        _grow(cast.collab, size)
        cache.clear()
        client = signed_in(cast.liaison)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_board(cast.collab) + f"?group={group}")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("group", ["department", "assignee"])
def test_a_crowded_column_draws_its_first_cards_and_links_the_rest(
    cast: Cast, group: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A board of thousands of cards draws the first of each column; the count and a link tell the rest."""
    from xietong.collabs.views import board

    monkeypatch.setattr(board, "CELL_CARDS", 2)
    tech = cast.department("技术部")
    _grow(cast.collab, 3)
    grown = Task.objects.filter(collaboration=cast.collab, description__startswith="任务 ")
    grown.update(department=tech)
    Task.objects.filter(collaboration=cast.collab, department=tech).update(
        status=TaskStatus.IN_PROGRESS, assignee=None
    )
    cache.clear()
    ordered = list(
        Task.objects.filter(collaboration=cast.collab, department=tech, status=TaskStatus.IN_PROGRESS)
        .filter(assignee__isnull=True)
        .order_by("position", "id")
    )
    assert len(ordered) > 2
    page = signed_in(cast.viewer).get(_board(cast.collab) + f"?group={group}").content.decode()
    lane = f"d{tech.pk}" if group == "department" else "none"
    column = page.split(f'data-count-of="{lane}-in_progress">', 1)[1].split("</div>", 1)[0]
    drawn = [int(part.split('"', 1)[0]) for part in column.split('id="card-')[1:]]
    if group == "department":
        assert drawn == [t.pk for t in ordered[:2]]
        assert column.startswith(f"{len(ordered)}<")
        assert f'data-more="{len(ordered) - 2}"' in column
        assert f"还有 {len(ordered) - 2} 项" in column
        assert f"table/?department={tech.pk}&amp;status=in_progress" in column
    else:
        assert len(drawn) == 2 and "table/?assignee=none&amp;status=in_progress" in column
