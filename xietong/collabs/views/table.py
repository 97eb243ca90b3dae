"""Step 4: the responsibility table (部门职责分工表), edited row by row in place.

With htmx a row turns into its form and back without reloading the page,
and the step bar and score are refreshed out of band; without JavaScript the
same URLs work as ordinary pages and redirects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from xietong.collabs.access import Access, get_collaboration_for_user, get_object_in, signed_in_person
from xietong.collabs.actions.assignees import save_with_assignee
from xietong.collabs.actions.tasks import (
    NotAssignable,
    StaleWrite,
    do_delete_task,
    do_move_task,
    do_save_task,
)
from xietong.collabs.assignees import assignable_by_department, people_for, watched_in, watching_key
from xietong.collabs.forms.assignees import AssignedTaskForm
from xietong.collabs.forms.tasks import TaskForm
from xietong.collabs.models import Collaboration, Participant, Task
from xietong.collabs.tablefilter import TableFilter
from xietong.collabs.views.table_tools import table_context
from xietong.collabs.workspace import Workspace, open_workspace, render_step
from xietong.lib.conflicts import FieldConflict, at_version, conflicts, resolve
from xietong.lib.flash import saved_at
from xietong.lib.http import HtmxHttpRequest, page_asked
from xietong.orgs.models import Department, Person
from xietong.orgs.roles import Action

TITLE = "制定部门职责分工表"


def _departments(ws: Workspace) -> list[Department]:
    return [
        p.department for p in Participant.objects.filter(collaboration=ws.collab).select_related("department")
    ]


def table_page(ws: Workspace, flt: TableFilter | None = None, number: str | None = None) -> Page[Task]:
    """Return the page ``number`` of the table's rows, filtered and sorted (``XIETONG_TABLE_PAGE_ROWS`` a page).

    A table of a usual size is one page; a very long one (thousands of rows)
    is paged so that a page costs the same at any size. A number past the end
    or not a number shows the last or the first page (``Paginator.get_page``).
    """
    # Collaborators and watcher counts come from the snapshot (same version): no prefetch per page.
    rows = Task.objects.filter(collaboration=ws.collab).select_related("department", "assignee")
    # The page's filter and sort (views/table_tools.py); rows keep their number in the whole table.
    rows = flt.apply(rows, ws.ctx.today) if flt is not None else rows.order_by("position", "id")
    return Paginator(rows, settings.XIETONG_TABLE_PAGE_ROWS).get_page(number)


def _rows(ws: Workspace, tasks: Iterable[Task], viewer: Person | None = None) -> list[dict[str, Any]]:
    places = {t.key: i for i, t in enumerate(ws.snapshot.tasks)}
    people = cache(lambda: assignable_by_department(ws.collab))
    watched = watched_in(ws.collab, viewer) if viewer is not None else frozenset[int]()
    return [_row(ws, t, places.get(t.pk), people=people, watched=watched, viewer=viewer) for t in tasks]


def _page_number(request: HttpRequest, editing: int | None, ws: Workspace) -> str:
    """The page the request asks for; a row opened for editing (``?edit=``) is shown on its own page."""
    if "page" not in request.GET and editing is not None:
        place = next((i for i, t in enumerate(ws.snapshot.tasks) if t.key == editing), 0)
        return str(place // settings.XIETONG_TABLE_PAGE_ROWS + 1)
    return page_asked(request)


def _row(
    ws: Workspace,
    task: Task,
    index: int | None = None,
    *,
    people: Callable[[], dict[int, list[Person]]] | None = None,
    watched: frozenset[int] | None = None,
    viewer: Person | None = None,
) -> dict[str, Any]:
    """Return what one row shows: the task, its findings, whether it is overdue, what the viewer may do.

    ``people`` (the assignable people by department) and ``watched`` (the rows the
    viewer watches) are read once for a whole table; a row alone reads its own.
    """
    if index is None:
        index = next((i for i, t in enumerate(ws.snapshot.tasks) if t.key == task.pk), None)
    # The snapshot's row (read at the collaboration's version, like the findings): its collaborators and watchers.
    shown = ws.snapshot.tasks[index] if index is not None else None
    can_edit = ws.can(Action.EDIT_DEPARTMENT_ROWS, task.department_id)
    return {
        **_people_on(ws, task, can_edit, people, watched, viewer),
        "task": task,
        "collaborators": shown.collaborators
        if shown is not None
        else [d.name for d in task.collaborators.all()],
        "watcher_count": len(shown.watchers) if shown is not None else task.watchers.count(),
        # The row's number is its place in the table (1, 2, 3 …), as the findings count it.
        "number": index + 1 if index is not None else "",
        "findings": ws.findings_by_object(4).get(f"tasks[{index}]", [])
        + ws.findings_by_object(7).get(f"tasks[{index}]", []),
        "overdue": task.is_overdue(ws.ctx.today),
        "can_edit": can_edit,
        "can_arrange": ws.can(Action.EDIT_COLLABORATION),
    }


def _people_on(
    ws: Workspace,
    task: Task,
    can_edit: bool,
    people: Callable[[], dict[int, list[Person]]] | None,
    watched: frozenset[int] | None,
    viewer: Person | None,
) -> dict[str, Any]:
    """The assignee cell's part of a row (``collabs/_task_assignee.jinja``): picker, watchers, watching."""
    can_assign = can_edit and task.department_id is not None
    if not can_assign:
        assignees: list[Person] = []
    elif people is not None:
        assignees = people().get(task.department_id or 0, [])
    else:
        assignees = people_for(ws.collab, task.department_id)
    if watched is None:
        watching = viewer is not None and task.pk in watched_in(ws.collab, viewer)
    else:
        watching = task.pk in watched
    return {
        "can_assign": can_assign,
        "assignees": assignees,
        "can_watch": viewer is not None and not ws.access.closed,
        "watching": watching,
        # Set by the assign view when a choice was refused or stale: shown kept, with the message.
        "assign_chosen": None,
        "assign_error": "",
    }


def _values(task: Task) -> dict[str, Any]:
    """Return the row's values as its form holds them (the initial data, "theirs" in a conflict)."""
    return {
        "description": task.description,
        "department": task.department_id,
        "standard": task.standard,
        "deadline": task.deadline,
        "collaborators": [d.pk for d in task.collaborators.all()],
        "status": task.status,
        "blocked_reason": task.blocked_reason,
        "assignee": task.assignee_id,
        "version": task.version,
    }


def _form(
    ws: Workspace, departments: list[Department], data: Any = None, task: Task | None = None
) -> TaskForm:
    initial = _values(task) if task is not None else None
    prefix = f"t{task.pk}" if task else "new"
    if task is not None:
        # A row being edited also names its assignee, among its department's people.
        people = people_for(ws.collab, task.department_id)
        return AssignedTaskForm(data, initial=initial, departments=departments, prefix=prefix, people=people)
    return TaskForm(data, initial=initial, departments=departments, prefix=prefix)


def _page(
    request: HtmxHttpRequest,
    ws: Workspace,
    *,
    editing: int | None = None,
    edit_form: TaskForm | None = None,
    new_form: TaskForm | None = None,
    conflict: list[FieldConflict] | bool = False,
    **tools: Any,
) -> HttpResponse:
    # Read only when a form is drawn (cached parts need none), once.
    departments = cache(lambda: _departments(ws))
    viewer = signed_in_person(request)
    # Filters, saved views, bulk edit and paste (``tools``: a form sent back with what was chosen).
    flt, tool_context = table_context(request, ws, **tools)
    selected = tool_context["bulk_selected"]

    number = _page_number(request, editing, ws)
    page = cache(lambda: table_page(ws, flt, number))

    def rows() -> list[dict[str, Any]]:
        # Called by the template only when the rows are not cached.
        shown = _rows(ws, page(), viewer)
        for row in shown:
            row["selected"] = row["task"].pk in selected
            if row["task"].pk == editing:
                row["form"] = edit_form or _form(ws, departments(), task=row["task"])
                row["conflict"] = conflict
                # A Django form among the Jinja2 rows: drawn here (a page with a form is not cached).
                context = {"collab": ws.collab, "row": row, "form": row["form"]}
                row["html"] = render_to_string("collabs/_task_edit.html", context, request=request)
        return shown

    return render_step(
        request,
        ws,
        "collabs/table.html",
        4,
        _(TITLE),
        rows=rows,
        page=page,
        # The rows are cached unless one of them is a form.
        # The watch buttons are the viewer's own: people watching the same rows share the rows.
        # So are rows ticked for a bulk edit sent back, and each filter and page has its own.
        rows_key=""
        if editing is not None or selected
        else f"{ws.fragment_key}:{watching_key(ws.collab, viewer)}:{flt.key}:{number}",
        # An empty form is the same for everyone with the same roles; one with errors is not cached.
        new_form_key="" if new_form is not None else ws.fragment_key,
        new_form=new_form or (lambda: _form(ws, departments())),
        can_add=ws.can(Action.EDIT_COLLABORATION) or bool(ws.access.department_roles),
        **tool_context,
    )


def _fragment(
    request: HtmxHttpRequest,
    slug: str,
    template: str,
    task_pk: int | None = None,
    all_rows: bool = False,
    **context: Any,
) -> HttpResponse:
    """Render a fragment plus the refreshed step bar and score (out of band) for htmx.

    The workspace is read again after the write, so the row's findings and
    the score are the new ones.
    """
    ws = open_workspace(request, slug)
    if task_pk is not None:
        rows = Task.objects.select_related("department").prefetch_related("collaborators")
        task = get_object_in(ws.collab, rows, task_pk)
        context["row"] = _row(ws, task, viewer=signed_in_person(request))
    if all_rows:
        context["rows"] = _rows(ws, table_page(ws, number=page_asked(request)), signed_in_person(request))
    return render(request, template, {"ws": ws, "collab": ws.collab, "current": 4, "oob": True, **context})


def _task_in(collab: Collaboration, access: Access, pk: int, action: Action = Action.VIEW) -> Task:
    """Return the row ``pk`` of ``collab`` for a person who may ``action`` on it, or raise 404 / 403.

    The collaboration was fetched through the access layer from the URL's
    slug: a row of another collaboration is not found under it (404), even
    for someone who may see both.
    """
    task = get_object_in(collab, Task.objects.select_related("department"), pk)
    if not access.can(action, task.department_id):
        raise PermissionDenied
    return task


def _check_department(ws: Workspace, department: Department | None) -> None:
    """A person puts a row only under a department they answer for (the initiator: any, or none)."""
    if not ws.can(Action.EDIT_DEPARTMENT_ROWS, department.pk if department else None):
        raise PermissionDenied


@login_required
@require_GET
def table(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug)
    editing = request.GET.get("edit")
    return _page(request, ws, editing=int(editing) if editing and editing.isdigit() else None)


@login_required
@require_POST
def new_row(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug)
    departments = _departments(ws)
    form = _form(ws, departments, request.POST)
    if not form.is_valid():
        if request.htmx:
            return render(
                request, "collabs/_task_new.html", {"collab": ws.collab, "new_form": form}, status=200
            )
        return _page(request, ws, new_form=form)
    data = form.to_input()
    _check_department(ws, data.department)
    task = do_save_task(ws.collab, data, actor=signed_in_person(request))
    if request.htmx:
        return _fragment(
            request, slug, "collabs/_task_created.html", task_pk=task.pk, new_form=_form(ws, departments)
        )
    url = reverse("collabs:table", args=[ws.collab.slug])
    return saved_at(request, url, f"task-{task.pk}", _("已添加任务。"), near="step4")


@login_required
@require_GET
def row(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """One row as shown (the edit form's "cancel")."""
    ws = open_workspace(request, slug)
    task = _task_in(ws.collab, ws.access, pk)
    row = _row(ws, task, viewer=signed_in_person(request))
    return render(request, "collabs/_task_row.html", {"collab": ws.collab, "row": row})


@login_required
@require_http_methods(["GET", "POST"])
def edit_row(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    ws = open_workspace(request, slug)
    task = _task_in(ws.collab, ws.access, pk, Action.EDIT_DEPARTMENT_ROWS)
    departments = _departments(ws)
    if request.method == "GET":
        if not request.htmx:
            return redirect(
                reverse("collabs:table", args=[ws.collab.slug]) + f"?edit={task.pk}#task-{task.pk}"
            )
        return render(
            request,
            "collabs/_task_edit.html",
            {
                "collab": ws.collab,
                "row": _row(ws, task, viewer=signed_in_person(request)),
                "form": _form(ws, departments, task=task),
            },
        )
    # A save after a conflict applies the person's "use theirs" choices.
    posted = resolve(request.POST, f"t{task.pk}", _values(task))
    form = _form(ws, departments, posted, task=task)
    conflict: list[FieldConflict] | bool = False
    if form.is_valid():
        data = form.to_input()
        _check_department(ws, data.department)
        try:
            task = save_with_assignee(
                ws.collab,
                data,
                task,
                # A form that does not send the field (an older page) keeps the assignee.
                form.chosen_assignee()
                if isinstance(form, AssignedTaskForm) and f"t{task.pk}-assignee" in request.POST
                else task.assignee,
                version=form.cleaned_data.get("version"),
                actor=signed_in_person(request),
            )
        except NotAssignable:
            form.add_error("assignee", _("执行人须是该行责任部门的人员。"))
        except StaleWrite as stale:
            # Keep what the person typed, at the current version, with the current values next to it.
            task = stale.current
            form = _form(ws, departments, at_version(request.POST, form, task.version), task=task)
            form.is_valid()
            conflict = conflicts(form, _values(task)) or True
        else:
            if request.htmx:
                return _fragment(request, slug, "collabs/_task_saved.html", task_pk=task.pk)
            url = reverse("collabs:table", args=[ws.collab.slug])
            return saved_at(request, url, f"task-{task.pk}", _("已保存任务。"), near="step4")
    if request.htmx:
        row = _row(ws, task, viewer=signed_in_person(request))
        context = {"collab": ws.collab, "row": row, "form": form, "conflict": conflict}
        return render(request, "collabs/_task_edit.html", context)
    return _page(request, ws, editing=task.pk, edit_form=form, conflict=conflict)


@login_required
@require_http_methods(["GET", "POST"])
def delete_row(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Delete a row after a confirmation: GET, or a POST without ``confirm=1``, shows the confirmation page.

    With JavaScript the row's button asks in a dialog and posts ``confirm``.
    ``version`` is the row as the person saw it: a row changed since is not
    deleted, the confirmation page shows it as it is now.
    """
    ws = open_workspace(request, slug)
    task = _task_in(ws.collab, ws.access, pk, Action.EDIT_COLLABORATION)
    raw = request.POST.get("version", "")
    version = int(raw) if raw.isdigit() else None
    if request.method != "POST" or request.POST.get("confirm") != "1":
        return _confirm_delete(request, ws, task, version)
    try:
        do_delete_task(task, actor=signed_in_person(request), version=version)
    except StaleWrite as stale:
        if request.htmx:  # the dialog's answer cannot show the row: go to the confirmation page
            messages.warning(request, _("这一行刚被他人修改,请核对现在的内容后再决定是否删除。"))
            return HttpResponseClientRedirect(reverse("collabs:task_delete", args=[slug, pk]))
        return _confirm_delete(request, ws, stale.current, version)
    if request.htmx:
        return _fragment(request, slug, "collabs/_task_rows.html", all_rows=True)
    messages.success(request, _("已删除任务。"))
    return redirect("collabs:table", slug)


def _confirm_delete(request: HtmxHttpRequest, ws: Workspace, task: Task, seen: int | None) -> HttpResponse:
    """The confirmation page: the row as it is now (its version is what the person confirms)."""
    return render_step(
        request,
        ws,
        "collabs/table_confirm_delete.html",
        4,
        _(TITLE),
        task=task,
        number=task.position + 1,
        changed=seen is not None and seen != task.version,
    )


@login_required
@require_POST
def move_row(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    # No workspace to judge here (the answer is a redirect, or the fragment that opens its own).
    collab, access = get_collaboration_for_user(request.user, slug)
    task = _task_in(collab, access, pk, Action.EDIT_COLLABORATION)
    offset = -1 if request.POST.get("direction") == "up" else 1
    do_move_task(task, offset, actor=signed_in_person(request))
    if request.htmx:
        return _fragment(request, slug, "collabs/_task_rows.html", all_rows=True)
    return redirect("collabs:table", slug)
