"""The home page, starting a collaboration, and a collaboration's overview."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xietong.collabs.access import visible_collaborations
from xietong.collabs.actions.collaborations import do_create_collaboration
from xietong.collabs.assignees import open_rows_of
from xietong.collabs.forms.collaborations import NewCollaborationForm, departments_text
from xietong.collabs.judged import phase_of, reports_of, snapshots_of
from xietong.collabs.presets import PRESETS
from xietong.collabs.waiting import waiting_for
from xietong.collabs.workspace import open_workspace, render_step
from xietong.lib.http import HtmxHttpRequest
from xietong.orgs.models import Department, Person
from xietong.rules.clock import context_for
from xietong.rules.engine import Severity

# The home page judges at most this many collaborations per request.
PAGE_SIZE = 50
# 我的工作台 lists this many of my open rows (我的任务 has them all).
ASSIGNED_SHOWN = 10


@login_required
def home(request: HtmxHttpRequest) -> HttpResponse:
    assert isinstance(request.user, Person)
    collabs = list(visible_collaborations(request.user)[:PAGE_SIZE])
    snapshots = snapshots_of(collabs)
    ctx = context_for()
    reports = reports_of(collabs, snapshots, ctx)
    rows = [
        {
            "collab": c,
            "report": reports[c.pk],
            "phase": phase_of(snapshots[c.pk], ctx),
            "errors": sum(1 for f in reports[c.pk].findings if f.severity == Severity.ERROR),
            "warnings": sum(1 for f in reports[c.pk].findings if f.severity == Severity.WARNING),
        }
        for c in collabs
    ]
    waiting = waiting_for(request.user, collabs, snapshots, reports, ctx)
    # 我的工作台: the open rows I hold, the earliest deadline (so the overdue) first; the mentions
    # come from the inbox's context processor (notify sits above collabs).
    assigned = [
        {"task": t, "overdue": t.is_overdue(ctx.today)} for t in open_rows_of(request.user)[:ASSIGNED_SHOWN]
    ]
    return render(request, "collabs/home.html", {"rows": rows, "waiting": waiting, "assigned": assigned})


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HtmxHttpRequest) -> HttpResponse:
    """Start a collaboration from one of the four templates; the starter is its initiator."""
    assert isinstance(request.user, Person)
    if request.method == "POST":
        form = NewCollaborationForm(request.POST)
        if form.is_valid():
            collab = do_create_collaboration(owner=request.user, **form.cleaned_data)
            return redirect("collabs:goal", collab.slug)
    else:
        initial = {}
        if request.user.department_id:
            initial["initiator_department"] = request.user.department.name  # type: ignore[union-attr]
        form = NewCollaborationForm(initial=initial)
    if request.htmx and request.method == "GET" and "type" in request.GET:
        # The type changed: offer that template's departments.
        return HttpResponse(escape(departments_text(request.GET["type"])))
    return render(
        request,
        "collabs/new.html",
        {
            "form": form,
            "presets": PRESETS,
            "departments": Department.objects.order_by("name").values_list("name", flat=True),
            "page_title": _("发起协作"),
        },
    )


@login_required
def workspace(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The collaboration at a glance: every step with its findings, and the table."""
    ws = open_workspace(request, slug)
    return render_step(request, ws, "collabs/workspace_overview.html", "overview", ws.collab.title)
