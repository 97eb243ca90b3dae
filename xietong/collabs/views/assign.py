"""Step 4: a row's assignee (执行人) chosen in its own cell, and watching a row (关注).

The liaison or head of the row's department (and the initiator, administrators:
``EDIT_DEPARTMENT_ROWS`` for the row's department) picks the assignee among
``assignable_people``; anyone who may view the collaboration watches or stops
watching a row for themselves. With htmx the answer is the row; without, the
table again. A save at an old version shows the current row with the choice
kept, at the current version: saving again is a decision.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.collabs.access import signed_in_person
from xietong.collabs.actions.tasks import NotAssignable, StaleWrite, do_assign_task, do_watch_task
from xietong.collabs.assignees import people_for
from xietong.collabs.forms.assignees import AssignForm
from xietong.collabs.views.table import TITLE, _fragment, _row, _task_in
from xietong.collabs.workspace import open_workspace, render_step
from xietong.lib.flash import saved_at
from xietong.lib.http import HtmxHttpRequest
from xietong.orgs.roles import Action


@login_required
@require_POST
def assign(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    ws = open_workspace(request, slug)
    task = _task_in(ws.collab, ws.access, pk, Action.EDIT_DEPARTMENT_ROWS)
    people = people_for(ws.collab, task.department_id)
    form = AssignForm(request.POST, people=people)
    viewer = signed_in_person(request)
    error = ""
    status = 200
    if not form.is_valid():
        error, status = _("执行人须是该行责任部门的人员。"), 422
    else:
        try:
            task = do_assign_task(
                task, form.chosen_assignee(), actor=viewer, version=form.cleaned_data.get("version")
            )
        except NotAssignable:
            error, status = _("执行人须是该行责任部门的人员。"), 422
        except StaleWrite as stale:
            task = stale.current
            error, status = (
                _("这一行刚被他人修改:下面是现在的内容,您的选择仍在选择框中;确认后请再保存一次。"),
                409,
            )
        else:
            if request.htmx:
                return _fragment(request, slug, "collabs/_task_saved.html", task_pk=task.pk)
            url = reverse("collabs:table", args=[slug])
            return saved_at(request, url, f"task-{task.pk}", _("已保存执行人。"), near="step4")
    row = _row(ws, task, viewer=viewer)
    # What the person chose stays chosen (a refused or stale save loses nothing).
    row["assign_chosen"] = request.POST.get("assignee", "")
    row["assign_error"] = error
    if request.htmx:
        # htmx swaps 2xx answers only (as the row forms do): the row comes back with its message.
        return render(request, "collabs/_task_row.html", {"collab": ws.collab, "row": row})
    response = render_step(request, ws, "collabs/task_assign.html", 4, _(TITLE), row=row)
    response.status_code = status
    return response


@login_required
@require_POST
def watch(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Watch the row (``watching=1``) or stop watching it (``watching=0``): the viewer's own choice."""
    ws = open_workspace(request, slug)
    task = _task_in(ws.collab, ws.access, pk, Action.VIEW)
    if ws.access.closed:  # a closed collaboration is read-only, its watchers too
        raise PermissionDenied
    do_watch_task(task, signed_in_person(request), request.POST.get("watching") == "1")
    if request.htmx:
        return _fragment(request, slug, "collabs/_task_saved.html", task_pk=task.pk)
    url = reverse("collabs:table", args=[slug])
    return saved_at(request, url, f"task-{task.pk}", _("已更新关注。"), near="step4")
