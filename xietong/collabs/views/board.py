"""Step 4 as a board (任务看板): the responsibility table's rows as cards in columns by status.

Swimlanes group the cards by responsible department or by assignee
(``?group=department|assignee``). A card the person may edit
(``Action.EDIT_DEPARTMENT_ROWS`` for its department) can be dragged to
another column of its lane (``static/xietong/board.js`` over SortableJS) or
moved with its "移到…" form, which works without JavaScript and from the
keyboard. Both post to ``move_card`` with the version the card was drawn
at: the same version check as the table's row form, and the same rule for
blocked rows (a reason is required).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from xietong.collabs.access import get_object_in, signed_in_person
from xietong.collabs.actions.tasks import StaleWrite, TaskInput, do_save_task
from xietong.collabs.forms.bulk import MoveForm
from xietong.collabs.models import Task, TaskStatus
from xietong.collabs.tablefilter import NOBODY
from xietong.collabs.views.table_tools import department_choices
from xietong.collabs.workspace import Workspace, open_workspace, render_step
from xietong.lib.http import HtmxHttpRequest
from xietong.orgs.roles import Action

TITLE = gettext_lazy("任务看板")
# The columns, in the order work moves through them.
COLUMNS = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED, TaskStatus.DONE)
GROUPS = ("department", "assignee")


# Cards drawn per column of a lane; the rest are counted and linked to the table, filtered.
CELL_CARDS = 30


@dataclass
class Lane:
    """One swimlane: its title and, per column, its cards, how many more it holds and where they are."""

    key: str
    title: str
    columns: list[tuple[str, Any, list[dict[str, Any]], int, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(cards) + more for _s, _l, cards, more, _url in self.columns)


def _group(request: HtmxHttpRequest) -> str:
    group = request.GET.get("group") or request.POST.get("group") or ""
    return group if group in GROUPS else GROUPS[0]


def _card(ws: Workspace, task: Task, group: str) -> dict[str, Any]:
    """What a card shows and allows; the overdue badge is ``Task.is_overdue`` (rule T01's definition)."""
    return {
        "task": task,
        "overdue": task.is_overdue(ws.ctx.today),
        "can_move": ws.can(Action.EDIT_DEPARTMENT_ROWS, task.department_id),
        "group": group,
        "moves": [(s, TaskStatus(s).label) for s in COLUMNS if s != task.status],
    }


def _cards_query(ws: Workspace) -> Any:
    return (
        Task.objects.filter(collaboration=ws.collab)
        .select_related("department", "assignee")
        .order_by("position", "id")
    )


def _lanes(ws: Workspace, group: str) -> list[Lane]:
    """The lanes with their cards: two queries, whatever the number of rows.

    A column of a lane draws its first ``CELL_CARDS`` cards in table order;
    the others are counted and linked to the table filtered the same way (a
    board of thousands of cards is neither readable nor fast to draw).
    """
    owner = "assignee_id" if group == "assignee" else "department_id"
    shown: dict[tuple[int | None, str], list[int]] = {}
    totals: dict[tuple[int | None, str], int] = {}
    for pk, held_by, status in (
        Task.objects.filter(collaboration=ws.collab)
        .order_by("position", "id")
        .values_list("pk", owner, "status")
    ):
        cell = (held_by, status)
        totals[cell] = totals.get(cell, 0) + 1
        if len(ids := shown.setdefault(cell, [])) < CELL_CARDS:
            ids.append(pk)
    tasks = _cards_query(ws).in_bulk([pk for ids in shown.values() for pk in ids])
    departments = {pk: i for i, (pk, _name) in enumerate(department_choices(ws))}
    table = reverse("collabs:table", args=[ws.collab.slug])
    lanes: dict[str, Lane] = {}
    order: dict[str, tuple[int, str]] = {}
    for (held_by, status), ids in shown.items():
        first = tasks[ids[0]]
        if group == "assignee":
            key = f"p{held_by}" if held_by else "none"
            title = first.assignee.name if first.assignee else _("未指派")
            rank = (0 if held_by else 1, title)
            lane_filter = f"assignee={held_by or NOBODY}&"
        else:
            key = f"d{held_by}" if held_by else "none"
            title = first.department.name if first.department else _("无责任部门")
            rank = (departments.get(held_by, len(departments)) if held_by else 10**9, "")
            lane_filter = f"department={held_by}&" if held_by else ""
        lane = lanes.get(key)
        if lane is None:
            lane = lanes[key] = Lane(key, title, [(s, TaskStatus(s).label, [], 0, "") for s in COLUMNS])
            order[key] = rank
        column = COLUMNS.index(TaskStatus(status))
        cards = [_card(ws, tasks[pk], group) for pk in ids]
        more = totals[(held_by, status)] - len(cards)
        lane.columns[column] = (
            status,
            TaskStatus(status).label,
            cards,
            more,
            f"{table}?{lane_filter}status={status}",
        )
    return [lanes[k] for k in sorted(lanes, key=lambda k: order[k])]


@login_required
@require_GET
def board(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug)
    group = _group(request)
    lanes = _lanes(ws, group)
    return render_step(
        request,
        ws,
        "collabs/board.html",
        "board",
        TITLE,
        lanes=lanes,
        group=group,
        groups=[("department", _("按责任部门")), ("assignee", _("按执行人"))],
        movable=any(
            card["can_move"] for lane in lanes for _s, _l, cards, _m, _u in lane.columns for card in cards
        ),
    )


def _input(task: Task, status: str, blocked_reason: str) -> TaskInput:
    """The row as it is, in another column (the rest of the row is written back unchanged)."""
    return TaskInput(
        description=task.description,
        department=task.department,
        standard=task.standard,
        deadline=task.deadline,
        collaborators=list(task.collaborators.all()),
        status=status,
        blocked_reason=blocked_reason.strip() if status == TaskStatus.BLOCKED else "",
    )


@login_required
@require_http_methods(["GET", "POST"])
def move_card(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Move a card to another column (its row's status); GET shows the form (the reason a block needs).

    Answers htmx (the board's script) with the card as saved, 409 with the
    card as it is now when it changed since it was drawn, or 422 with the
    form's message; without JavaScript, a redirect back to the card, or the
    form again with what was typed.
    """
    ws = open_workspace(request, slug)
    rows = Task.objects.select_related("department", "assignee").prefetch_related("collaborators")
    task = get_object_in(ws.collab, rows, pk)
    if not ws.can(Action.EDIT_DEPARTMENT_ROWS, task.department_id):
        raise PermissionDenied
    group = _group(request)
    back = reverse("collabs:board", args=[slug]) + f"?group={group}#card-{task.pk}"
    if request.method == "GET":
        status = request.GET.get("status", "")
        form = MoveForm(initial={"status": status or task.status, "version": task.version})
        return _move_page(request, ws, task, form, group)
    form = MoveForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            problems = [str(e) for errors in form.errors.values() for e in errors]
            return HttpResponse(" ".join(problems), status=422, content_type="text/plain; charset=utf-8")
        return _move_page(request, ws, task, form, group)
    status, reason = form.cleaned_data["status"], form.cleaned_data["blocked_reason"]
    try:
        task = do_save_task(
            ws.collab,
            _input(task, status, reason),
            task=task,
            version=form.cleaned_data.get("version"),
            actor=signed_in_person(request),
        )
    except StaleWrite as stale:
        current = get_object_in(ws.collab, rows, stale.current.pk)
        if request.htmx:
            context = {"collab": ws.collab, "card": _card(ws, current, group), "stale": True}
            return render(request, "collabs/_board_card.html", context, status=409)
        messages.warning(request, _("这张卡片刚被他人修改,现在显示的是它当前的状态;请核对后再移动。"))
        return HttpResponseRedirect(back)
    task = get_object_in(ws.collab, rows, task.pk)
    if request.htmx:
        return render(
            request, "collabs/_board_card.html", {"collab": ws.collab, "card": _card(ws, task, group)}
        )
    messages.success(
        request,
        _("已将「%(task)s」移到“%(status)s”。")
        % {"task": task.description[:40], "status": task.get_status_display()},
    )
    return HttpResponseRedirect(back)


def _move_page(
    request: HtmxHttpRequest, ws: Workspace, task: Task, form: MoveForm, group: str
) -> HttpResponse:
    return render_step(
        request,
        ws,
        "collabs/board_move.html",
        "board",
        TITLE,
        card=_card(ws, task, group),
        form=form,
        group=group,
    )
