"""Step 4: the responsibility table's tools over many rows: bulk edit, paste from Excel, saved views.

Each answers an error by drawing the table again with what the person chose
or typed (the ticked rows, the bulk form, the pasted text, the view's name);
a success redirects to the table with its filter kept.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from xietong.collabs.access import get_object_in, signed_in_person
from xietong.collabs.actions.bulk import (
    MAX_ROWS,
    NOT_ALLOWED,
    NOT_ASSIGNABLE,
    NOT_FOUND,
    TOO_MANY,
    BulkRefused,
    BulkStale,
    do_add_tasks,
    do_bulk_edit,
)
from xietong.collabs.actions.saved_views import MAX_VIEWS, TooManyViews, do_delete_view, do_save_view
from xietong.collabs.forms.bulk import PasteForm, selection
from xietong.collabs.models import SavedView, Task
from xietong.collabs.paste import read_paste
from xietong.collabs.views.table import _page
from xietong.collabs.views.table_tools import (
    bulk_form,
    department_choices,
    holders,
    may_edit_rows,
    participating,
    table_filter,
)
from xietong.collabs.workspace import Workspace, open_workspace
from xietong.lib.http import HtmxHttpRequest
from xietong.orgs.roles import Action

# Rows a refusal names at most (a selection of hundreds would make an unreadable message).
NAMED = 10


def _table_url(slug: str, query: str = "", anchor: str = "") -> str:
    url = reverse("collabs:table", args=[slug])
    return url + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")


def _named(ws: Workspace, rows: list[Task]) -> str:
    """Name rows as the table numbers them: 第 3 行「…」."""
    index = {t.key: i for i, t in enumerate(ws.snapshot.tasks)}
    names = [
        _("第 %(n)s 行「%(task)s」") % {"n": index.get(t.pk, t.position) + 1, "task": t.description[:30]}
        for t in rows[:NAMED]
    ]
    more = len(rows) - NAMED
    return "、".join(names) + (_(" 等 %(n)s 行") % {"n": len(rows)} if more > 0 else "")


@login_required
@require_POST
def bulk_edit(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug)
    if not may_edit_rows(ws):
        raise PermissionDenied
    ids, versions = selection(request.POST)
    form = bulk_form(ws, request.POST)
    selected = frozenset(ids)
    problem = ""
    if not ids:
        problem = _("请先勾选要修改的行。")
    elif form.is_valid():
        try:
            saved = do_bulk_edit(
                ws.collab,
                ids,
                form.changes(),
                actor=signed_in_person(request),
                reason=form.cleaned_data["reason"].strip(),
                may_edit=lambda department: ws.can(Action.EDIT_DEPARTMENT_ROWS, department),
                versions=versions,
            )
        except BulkStale as stale:
            problem = _(
                "以下行在你选择之后被他人修改,本次没有修改任何行;表格显示的是它们现在的内容,请核对后再提交:%(rows)s"
            ) % {"rows": _named(ws, stale.rows)}
        except BulkRefused as refused:
            problem = _refusal(ws, refused)
        else:
            text = ngettext("已修改 %(n)s 行。", "已修改 %(n)s 行。", len(saved)) % {"n": len(saved)}
            messages.success(request, text)
            return HttpResponseRedirect(_table_url(slug, _query(request, ws), "bulk"))
    return _page(request, ws, bulk=form, selected=selected, bulk_problem=problem)


def _refusal(ws: Workspace, refused: BulkRefused) -> str:
    if refused.reason == NOT_ALLOWED:
        return _("你无权修改以下行(或无权把它们交给所选部门),本次没有修改任何行:%(rows)s") % {
            "rows": _named(ws, refused.rows)
        }
    if refused.reason == NOT_ASSIGNABLE:
        return _("所选执行人不属于以下行的责任部门,本次没有修改任何行:%(rows)s") % {
            "rows": _named(ws, refused.rows)
        }
    if refused.reason == NOT_FOUND:
        return _("所选的行有的已被删除,本次没有修改任何行;请重新勾选。")
    if refused.reason == TOO_MANY:
        return _("一次最多修改 %(n)s 行,本次没有修改任何行。") % {"n": MAX_ROWS}
    return _("请先勾选要修改的行。")


def _query(request: HtmxHttpRequest, ws: Workspace) -> str:
    """The table's filter as the request's query string names it, canonical (what was unknown dropped)."""
    return table_filter(request, ws, holders(ws), department_choices(ws)).query()


@login_required
@require_POST
def paste_rows(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Preview rows pasted from Excel (``step=preview``), or add them all (``step=create``) when none is wrong."""
    ws = open_workspace(request, slug)
    if not (ws.can(Action.EDIT_COLLABORATION) or ws.access.department_roles):
        raise PermissionDenied
    form = PasteForm(request.POST, prefix="paste")
    if not form.is_valid():
        return _page(request, ws, paste_form=form)
    paste = read_paste(
        form.cleaned_data["rows"],
        participating(ws),
        lambda department: ws.can(Action.EDIT_DEPARTMENT_ROWS, department.pk if department else None),
    )
    if request.POST.get("step") != "create" or not paste.ok:
        return _page(request, ws, paste_form=form, paste=paste)
    rows = [row.data for row in paste.rows if row.data is not None]
    do_add_tasks(ws.collab, rows, actor=signed_in_person(request))
    messages.success(
        request, ngettext("已添加 %(n)s 行。", "已添加 %(n)s 行。", len(rows)) % {"n": len(rows)}
    )
    return HttpResponseRedirect(_table_url(slug, anchor="task-rows"))


@login_required
@require_POST
def save_view(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Save the table's current filter (the query string this is posted with) under a name."""
    ws = open_workspace(request, slug)
    query = _query(request, ws)
    name = request.POST.get("name", "").strip()
    limit = SavedView._meta.get_field("name").max_length or 60
    problem = ""
    if not name:
        problem = _("请为这个筛选起个名字。")
    elif len(name) > limit:
        problem = _("名称最多 %(n)s 个字") % {"n": limit}
    else:
        try:
            do_save_view(signed_in_person(request), ws.collab, name, query)
        except TooManyViews:
            problem = _("每个协作最多保存 %(n)s 个筛选,请先删除不用的。") % {"n": MAX_VIEWS}
        else:
            messages.success(request, _("已保存筛选「%(name)s」。") % {"name": name})
            return HttpResponseRedirect(_table_url(slug, query, "saved-views"))
    return _page(request, ws, view_name=name, view_problem=problem)


@login_required
@require_POST
def delete_view(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Delete one of the person's own saved views (another's is not found: 404)."""
    ws = open_workspace(request, slug)
    mine = SavedView.objects.filter(person=signed_in_person(request))
    view = get_object_in(ws.collab, mine, pk)
    do_delete_view(view)
    messages.success(request, _("已删除筛选「%(name)s」。") % {"name": view.name})
    return HttpResponseRedirect(_table_url(slug, anchor="saved-views"))
