"""The responsibility table drawn fast (issue 22): rows in Jinja2, long tables paged.

The rows are Jinja2 templates (``xietong/jinja2/collabs/_task_row.jinja``)
rendered from the Django page; what a person sees and can do in a row must
be what the Django templates showed: the findings, the comment count, the
assignee picker, forms that carry a valid CSRF token, the viewer's language.
A table longer than ``XIETONG_TABLE_PAGE_ROWS`` is paged, at the same cost
per page whatever its length.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from jinja2 import DictLoader

from tests.helpers import Cast, signed_in
from xietong.collabs.actions.common import bump_version
from xietong.collabs.models import Collaboration, Participant, Task, TaskStatus
from xietong.discuss.models import Comment
from xietong.lib.jinja import environment, fast_reverse, localized

pytestmark = pytest.mark.django_db


def _table(collab: Collaboration, query: str = "") -> str:
    return f"/c/{collab.slug}/table/" + (f"?{query}" if query else "")


def _rows_of(page: str) -> dict[int, str]:
    """Each row's markup by its task id."""
    body = page.split('id="task-rows"', 1)[1].split("</tbody>", 1)[0]
    return {int(part.split('"', 1)[0]): part for part in body.split('<tr id="task-')[1:]}


def _grow(collab: Collaboration, extra: int) -> list[Task]:
    """Add ``extra`` rows at the end of ``collab``'s table."""
    start = Task.objects.filter(collaboration=collab).count()
    Task.objects.bulk_create(
        Task(collaboration=collab, description=f"追加任务 {start + i + 1}", position=start + i)
        for i in range(extra)
    )
    bump_version(collab)  # as every write through an action does
    return list(Task.objects.filter(collaboration=collab).order_by("position", "id"))


# --- the Jinja2 environment


def test_fast_reverse_gives_what_reverse_gives() -> None:
    for name, args in [
        ("collabs:task_edit", ["demo-slug", 7]),
        ("collabs:task_edit", ["other", 1234567]),
        ("collabs:table", ["x-y"]),
        ("discuss:task", ["demo-slug", 42]),
    ]:
        assert fast_reverse(name, *args) == reverse(name, args=args)


def test_plain_strings_are_translated_when_compiled_and_others_at_render_time() -> None:
    source = (
        "{{ _('编辑') }}|{{ _('选择第 %(n)s 行', n=n) }}|{{ ngettext('%(n)s 人关注', '%(n)s 人关注', n, n=n) }}"
        "|{{ _('<b>') }}"
    )
    for language, expected in [
        ("zh-hans", "编辑|选择第 3 行|3 人关注"),
        ("en", "Edit|Select row 3|3 watchers"),
    ]:
        with translation.override(language):
            env = localized().overlay(loader=DictLoader({"t.jinja": source}))
            rendered = env.get_template("t.jinja").render(n=3)
        assert rendered.rsplit("|", 1)[0] == expected
        # A folded string is escaped like any other text.
        assert rendered.endswith("|&lt;b&gt;")
    # The settings' environment (not one language's) translates at render time.
    plain = environment(loader=DictLoader({"t.jinja": "{{ _('编辑') }}"}))
    with translation.override("en"):
        assert plain.get_template("t.jinja").render() == "Edit"


# --- the rows


def test_a_row_shows_its_findings_comments_picker_and_forms(cast: Cast) -> None:
    collab = cast.collab
    task = cast.task_of("技术部")
    Task.objects.filter(pk=task.pk).update(deadline=date(2000, 1, 3), status=TaskStatus.IN_PROGRESS)
    Comment.objects.create(collaboration=collab, task=task, author=cast.initiator, body="看一下")
    client = signed_in(cast.initiator)
    page = client.get(_table(collab)).content.decode()
    row = _rows_of(page)[task.pk]
    assert 'class="overdue has-findings"' in row and "<code>T01</code>" in row and "已逾期" in row
    assert f'<span id="comment-count-task-{task.pk}">1</span>' in row
    assert f'name="assignee" id="assignee-select-{task.pk}"' in row
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    # Every form of the row carries the page's own token (not the cached part's placeholder).
    assert set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', row)) == {token.group(1)}
    assert "placeholder" not in row
    for action in ("edit", "move", "delete", "assign", "watch"):
        assert f"/c/{collab.slug}/table/{task.pk}/{action}/" in row


def test_the_rows_speak_the_viewers_language(cast: Cast) -> None:
    cast.initiator.language = "en"
    cast.initiator.save(update_fields=["language"])
    page = signed_in(cast.initiator).get(_table(cast.collab)).content.decode()
    row = next(iter(_rows_of(page).values()))
    assert ">Edit</a>" in row and ">Delete</button>" in row and 'aria-label="Move up"' in row
    assert "编辑" not in row


def test_a_watcher_and_collaborators_show_on_the_row(cast: Cast) -> None:
    task = cast.task_of("技术部")
    task.watchers.add(cast.member)
    other = Participant.objects.filter(collaboration=cast.collab).exclude(department=task.department).first()
    assert other is not None
    task.collaborators.set([other.department])
    bump_version(cast.collab)
    row = _rows_of(signed_in(cast.initiator).get(_table(cast.collab)).content.decode())[task.pk]
    assert "1 人关注" in row and other.department.name in row


# --- paging


@pytest.fixture
def short_pages(settings: pytest.FixtureRequest) -> int:
    settings.XIETONG_TABLE_PAGE_ROWS = 10  # type: ignore[attr-defined]
    return 10


def test_a_long_table_is_paged_and_rows_keep_their_numbers(cast: Cast, short_pages: int) -> None:
    rows = _grow(cast.collab, 25 - Task.objects.filter(collaboration=cast.collab).count())
    client = signed_in(cast.initiator)
    first = client.get(_table(cast.collab)).content.decode()
    assert list(_rows_of(first)) == [t.pk for t in rows[:10]]
    assert "第 1–10 行,共 25 行" in first and "?page=2" in first
    last = client.get(_table(cast.collab, "page=3")).content.decode()
    assert list(_rows_of(last)) == [t.pk for t in rows[20:]]
    assert '<td class="row-number" data-label="#">21</td>' in last
    # Past the end: the last page; not a number: the first.
    assert list(_rows_of(client.get(_table(cast.collab, "page=99")).content.decode())) == [
        t.pk for t in rows[20:]
    ]
    assert list(_rows_of(client.get(_table(cast.collab, "page=x")).content.decode())) == [
        t.pk for t in rows[:10]
    ]


def test_a_filtered_long_table_pages_within_the_filter(cast: Cast, short_pages: int) -> None:
    rows = _grow(cast.collab, 30)
    Task.objects.filter(pk__in=[t.pk for t in rows]).update(status=TaskStatus.BLOCKED)
    blocked = list(
        Task.objects.filter(collaboration=cast.collab, status=TaskStatus.BLOCKED).order_by("position", "id")
    )
    page = signed_in(cast.initiator).get(_table(cast.collab, "status=blocked&page=2")).content.decode()
    assert list(_rows_of(page)) == [t.pk for t in blocked[10:20]]
    assert "?status=blocked&amp;page=1" in page and "?status=blocked&amp;page=3" in page


def test_a_row_opened_for_editing_is_shown_on_its_page(cast: Cast, short_pages: int) -> None:
    rows = _grow(cast.collab, 25 - Task.objects.filter(collaboration=cast.collab).count())
    task = rows[14]
    page = signed_in(cast.initiator).get(_table(cast.collab, f"edit={task.pk}")).content.decode()
    assert "第 11–20 行" in page and f'name="t{task.pk}-description"' in page


def test_moving_a_row_in_place_answers_the_page_being_looked_at(cast: Cast, short_pages: int) -> None:
    rows = _grow(cast.collab, 25 - Task.objects.filter(collaboration=cast.collab).count())
    task = rows[14]
    answer = signed_in(cast.initiator).post(
        f"/c/{cast.collab.slug}/table/{task.pk}/move/",
        {"direction": "up"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{_table(cast.collab, 'page=2')}",
    )
    shown = list(_rows_of(answer.content.decode()))
    assert len(shown) == 10 and shown[3] == task.pk  # it moved from the 15th place to the 14th


def test_a_page_of_a_long_table_costs_the_same_queries_as_a_short_table(cast: Cast, short_pages: int) -> None:
    client = signed_in(cast.initiator)
    _grow(cast.collab, 15)
    client.get(_table(cast.collab))  # the session's first request reads more
    cache.clear()
    with CaptureQueriesContext(connection) as small:
        client.get(_table(cast.collab, "page=2"))
    _grow(cast.collab, 200)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        client.get(_table(cast.collab, "page=7"))
    assert len(large) == len(small)


# --- rows cached by what they show (collabs/rowcache.py)


@pytest.fixture
def drawn_rows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the rows drawn (not taken from the cache), in order."""
    from xietong.collabs import rowcache

    drawn: list[int] = []
    real = rowcache.localized

    class Counting:
        def __init__(self, template: Any) -> None:
            self.template = template

        def render(self, **context: Any) -> str:
            drawn.append(context["row"]["task"].pk)
            return str(self.template.render(**context))

    class Environment:
        def get_template(self, name: str) -> Counting:
            return Counting(real().get_template(name))

    monkeypatch.setattr(rowcache, "localized", Environment)
    return drawn


def test_after_an_edit_only_the_edited_row_is_drawn_again(cast: Cast, drawn_rows: list[int]) -> None:
    client = signed_in(cast.initiator)
    first = client.get(_table(cast.collab)).content.decode()
    assert sorted(drawn_rows) == sorted(_rows_of(first))
    task = cast.task_of("技术部")
    drawn_rows.clear()
    # The row's own form, as a person edits it (the collaboration's version moves).
    answer = client.post(
        f"/c/{cast.collab.slug}/table/{task.pk}/edit/",
        {
            f"t{task.pk}-description": task.description,
            f"t{task.pk}-department": task.department_id,
            f"t{task.pk}-standard": task.standard + "(修订)",
            f"t{task.pk}-deadline": task.deadline.isoformat() if task.deadline else "",
            f"t{task.pk}-status": task.status,
            f"t{task.pk}-blocked_reason": task.blocked_reason,
            f"t{task.pk}-assignee": task.assignee_id or "",
            f"t{task.pk}-version": task.version,
            "version": Collaboration.objects.get(pk=cast.collab.pk).version,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:500]
    drawn_rows.clear()
    again = client.get(_table(cast.collab)).content.decode()
    assert drawn_rows == [task.pk]
    assert "(修订)" in _rows_of(again)[task.pk]


def test_a_cached_row_shows_what_changed_outside_the_collaboration(cast: Cast, drawn_rows: list[int]) -> None:
    """A department renamed in the organisation draws its rows again when the table is next drawn.

    The rename alone moves no version: the table's cached part shows the old
    name for at most ``XIETONG_SNAPSHOT_SECONDS`` (docs/performance.md); the
    next write draws the table again, and the renamed rows are not taken from
    the rows' cache, where they are keyed by the name they show.
    """
    client = signed_in(cast.initiator)
    client.get(_table(cast.collab))
    tech = cast.department("技术部")
    type(tech).objects.filter(pk=tech.pk).update(name="研发中心")
    bump_version(cast.collab)
    drawn_rows.clear()
    page = client.get(_table(cast.collab)).content.decode()
    ids = set(Task.objects.filter(collaboration=cast.collab, department=tech).values_list("pk", flat=True))
    assert ids and ids <= set(drawn_rows)
    assert all("研发中心" in _rows_of(page)[pk] for pk in ids)


def test_cached_rows_carry_each_viewers_token_and_watching(cast: Cast) -> None:
    task = cast.task_of("技术部")
    task.watchers.add(cast.head)
    bump_version(cast.collab)
    pages = {}
    for person in (cast.initiator, cast.head):
        client = signed_in(person)
        page = client.get(_table(cast.collab)).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        assert set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)) == {token.group(1)}
        pages[person.pk] = _rows_of(page)[task.pk]
    assert 'aria-pressed="true"' in pages[cast.head.pk]
    assert 'aria-pressed="true"' not in pages[cast.initiator.pk]
