"""Step 7 (监控): the weekly progress list (周进度清单) and the progress updates of the rows.

One page shows a week's list, compiled live from the table and its
updates; each department's liaison or head updates their own rows in
place (the initiator any row). With htmx a row turns into its form and the
whole list is re-compiled after a save (a row may move group, the totals
and the step bar change); without JavaScript the same links and forms work
as plain pages and redirects. A save against a row someone changed
meanwhile writes nothing and shows the row as it is now.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from xietong.collabs.access import get_task_for_user, signed_in_person
from xietong.collabs.actions.tasks import StaleWrite
from xietong.collabs.models import Participant, Task
from xietong.collabs.workspace import Workspace, open_workspace, render_section, render_step
from xietong.lib.http import HtmxHttpRequest, pk_param
from xietong.orgs.models import Department
from xietong.orgs.roles import Action
from xietong.rules.steps import STEPS
from xietong.tracking.actions.progress import do_report_progress
from xietong.tracking.forms.progress import ProgressForm, PublishForm
from xietong.tracking.models import WeeklyReport
from xietong.tracking.sources import WeekSources, compile_sources, current_week, load_week, weeks_of
from xietong.tracking.weekly import GROUP_NAMES, GROUP_ORDER, IsoWeek, Row, WeeklyList

STEP = 7
SECTION = "#weekly-section"


def parse_week(raw: str | None, default: IsoWeek) -> IsoWeek:
    """Return the week a ``?week=2024-W32`` names (``default`` when absent); 404 when malformed."""
    if not raw:
        return default
    try:
        return IsoWeek.parse(raw)
    except ValueError:
        raise Http404 from None


def title() -> str | Promise:
    return STEPS[STEP - 1].name


class TrackingPage:
    """One week's list as the page shows it, and what the signed-in person may do on it.

    Beyond the workspace's queries: four to read the week, one for the
    published reports and, when a form is shown, one for the departments;
    the same for ten rows or a thousand.
    """

    def __init__(self, ws: Workspace, week: IsoWeek | None = None) -> None:
        self.ws = ws
        self.tz = ws.ctx.tz
        self.now = ws.ctx.now
        self.this_week = current_week(self.now, self.tz)
        self.week = week or self.this_week

    # Read and compiled on first use: a page whose list is cached needs neither.
    @cached_property
    def sources(self) -> WeekSources:
        return load_week(self.ws.collab, self.week, self.tz)

    @cached_property
    def weekly(self) -> WeeklyList:
        return compile_sources(self.sources, self.now, self.tz)

    @cached_property
    def editable(self) -> set[int]:
        """The rows the person may update: their departments' (any, for the initiator); none in a past week."""
        if not self.weekly.live:
            return set()
        can = self.ws.can
        return {
            pk
            for pk, department in self.sources.row_departments.items()
            if can(Action.EDIT_DEPARTMENT_ROWS, department)
        }

    @cached_property
    def departments(self) -> list[Department]:
        return [
            p.department
            for p in Participant.objects.filter(collaboration=self.ws.collab).select_related("department")
        ]

    @cached_property
    def reports(self) -> list[WeeklyReport]:
        return list(
            WeeklyReport.objects.filter(collaboration=self.ws.collab)
            .select_related("published_by")
            .defer("content")
        )

    @property
    def report(self) -> WeeklyReport | None:
        """The published report of the shown week, if any."""
        return next(
            (r for r in self.reports if (r.iso_year, r.iso_week) == (self.week.year, self.week.week)), None
        )

    @property
    def can_publish(self) -> bool:
        return self.ws.can(Action.EDIT_COLLABORATION) and self.week <= self.this_week

    def row(self, pk: int) -> Row:
        found = next((r for r in self.weekly.rows if r.task == pk), None)
        if found is None:
            raise Http404
        return found

    def form(self, task: Task, data: Any = None) -> ProgressForm:
        return ProgressForm(
            data,
            initial=ProgressForm.initial_for(task) if data is None else None,
            task=task,
            departments=self.departments,
        )

    def context(self, **extra: Any) -> dict[str, Any]:
        """What the step's section shows (render_step adds ``ws`` and ``collab``)."""
        report = self.report
        return {
            # The list is cached per week unless a row shows its form; the
            # callables below are what the template calls when it is not.
            "list_key": "" if "editing" in extra else f"{self.ws.fragment_key}:{self.week}",
            "weekly": lambda: self.weekly,
            "week": self.week,
            "this_week": self.this_week,
            "previous_week": self.week.previous(),
            "next_week": self.week.next() if self.week < self.this_week else None,
            "weeks": lambda: weeks_of(self.sources.execution, max(self.week, self.this_week), self.tz),
            "editable": lambda: self.editable,
            "groups": [(g.value, GROUP_NAMES[g]) for g in GROUP_ORDER],
            "findings": self.ws.findings_of_step(STEP),
            "reports": [{"week": IsoWeek(r.iso_year, r.iso_week), "report": r} for r in self.reports],
            "report": report,
            "can_publish": self.can_publish,
            "publish_form": PublishForm(initial={"remarks": report.remarks if report else ""})
            if self.can_publish
            else None,
            "escalation_days": lambda: self.weekly.escalation_working_days,
            **extra,
        }


def _page(request: HtmxHttpRequest, page: TrackingPage, **extra: Any) -> HttpResponse:
    if "editing" in extra:
        # The list is Jinja2 (tracking/_weekly_list.jinja); the row with the form stays a Django
        # template (forms render there) and goes in rendered, called only when the list is.
        editing, form, conflict = extra["editing"], extra.get("edit_form"), extra.get("conflict", False)

        def form_row() -> str:
            row = next((r for r in page.weekly.rows if r.task == editing), None)
            context = {"collab": page.ws.collab, "row": row, "form": form, "conflict": conflict}
            return render_to_string("tracking/_progress_form_row.html", context, request) if row else ""

        extra["form_row"] = form_row
    return render_step(request, page.ws, "tracking/tracking.html", STEP, title(), **page.context(**extra))


def _page_url(slug: str, week: IsoWeek | None = None) -> str:
    url = reverse("tracking:tracking", args=[slug])
    return f"{url}?week={week}" if week is not None else url


def _editable_task(request: HtmxHttpRequest, ws: Workspace, pk: int) -> Task:
    """Return a row of this collaboration the person may update, or raise 404 / 403."""
    task, _access = get_task_for_user(request.user, pk, Action.EDIT_DEPARTMENT_ROWS)
    if task.collaboration_id != ws.collab.pk:
        raise Http404
    return task


@login_required
@require_GET
def tracking(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The week's list (``?week=2024-W32``; this week by default), a row's form (``?edit=``) or a row (``?row=``)."""
    ws = open_workspace(request, slug)
    page = TrackingPage(ws, parse_week(request.GET.get("week"), current_week(ws.ctx.now, ws.ctx.tz)))
    edit = pk_param(request.GET.get("edit"))
    if edit is not None and page.weekly.live:
        task = _editable_task(request, ws, edit)
        form = page.form(task)
        if request.htmx:
            return _form_row(request, page, task, form)
        return _page(request, page, editing=edit, edit_form=form)
    shown = pk_param(request.GET.get("row"))
    if shown is not None and request.htmx:
        return render(
            request,
            "tracking/_progress_row.html",
            {"collab": ws.collab, "row": page.row(shown), "editable": page.editable, "weekly": page.weekly},
        )
    return _page(request, page)


def _form_row(
    request: HtmxHttpRequest, page: TrackingPage, task: Task, form: ProgressForm, conflict: bool = False
) -> HttpResponse:
    context = {
        "collab": page.ws.collab,
        "row": page.row(task.pk),
        "form": form,
        "conflict": conflict,
        "weekly": page.weekly,
    }
    return render(request, "tracking/_progress_form_row.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def progress(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Update one row's progress (POST); GET answers its form (htmx) or the page with it open."""
    ws = open_workspace(request, slug)
    task = _editable_task(request, ws, pk)
    if request.method == "GET":
        if not request.htmx:
            return redirect(f"{reverse('tracking:tracking', args=[slug])}?edit={pk}#task-{pk}")
        page = TrackingPage(ws)
        return _form_row(request, page, task, page.form(task))
    page = TrackingPage(ws)
    form = page.form(task, request.POST)
    conflict = False
    if form.is_valid():
        try:
            do_report_progress(
                task,
                form.to_input(),
                timezone.now(),
                version=form.cleaned_data["version"],
                actor=signed_in_person(request),
            )
        except StaleWrite as stale:
            # Show the row as it is now; the person redoes their update on it.
            task, conflict = stale.current, True
            form = page.form(task)
        else:
            message = _("已更新「%(task)s」的进度") % {"task": task.description}
            if request.htmx:
                fresh = TrackingPage(open_workspace(request, slug))
                return render_section(
                    request,
                    fresh.ws,
                    "tracking/_weekly_section.html",
                    SECTION,
                    STEP,
                    **fresh.context(flash=message),
                )
            messages.success(request, message)
            return redirect(f"{reverse('tracking:tracking', args=[slug])}#task-{task.pk}")
    if request.htmx:
        return _form_row(request, page, task, form, conflict)
    return _page(request, page, editing=task.pk, edit_form=form, conflict=conflict)
