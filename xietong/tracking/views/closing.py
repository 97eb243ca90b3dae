"""Step 8 (收尾): 成果验收与复盘 — acceptance, final metrics, retrospective, scorecards, closing.

One page, read by everyone who sees the collaboration. Each deliverable
(a row of the table) is accepted or rejected against its delivery
standard on behalf of the department that asked for it: the initiating
department, so the initiator and administrators (``Action.CLOSE``) or a
head of the initiating department (``Action.APPROVE_CHANGE`` for it). The
retrospective and closing are the initiator's (``Action.CLOSE``);
reopening a closed collaboration is ``Action.REOPEN`` with a reason.
Writes answer htmx with the re-rendered ``#closing-section`` and plain
browsers with a redirect; closing and reopening reload the whole page (the
read-only banner comes and goes).

Only a done row simply passes; one not done is accepted on a condition or
as an exception with a reason (the action refuses anything else, 422 here).
关闭协作 goes through a confirmation page listing what is still open
(rows not done, metrics without a final reading, minutes not confirmed):
a POST without ``confirm`` shows it and closes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from xietong.collabs.access import get_object_in, signed_in_person
from xietong.collabs.models import CollabType, Task, TaskStatus
from xietong.collabs.workspace import Workspace, open_workspace, render_section, render_step
from xietong.dashboards.data import latest_by_metric, metric_progress, reaches
from xietong.lib.http import HtmxHttpRequest, page_asked
from xietong.orgs.roles import Action
from xietong.rules.closing import closing_gaps
from xietong.rules.engine import Finding
from xietong.rules.steps import STEPS
from xietong.tracking.actions.closing import (
    AcceptanceRefused,
    CloseRefused,
    RetrospectiveInput,
    do_accept_deliverable,
    do_close_collaboration,
    do_reopen_collaboration,
    do_set_resolution_deadline,
    do_write_retrospective,
)
from xietong.tracking.closing_sources import (
    OpenItems,
    department_scorecards,
    done_at,
    latest_readings,
    load_tasks,
    open_items,
    retrospective_of,
)
from xietong.tracking.forms.closing import (
    AcceptanceForm,
    ReopenForm,
    ResolutionDeadlineForm,
    RetrospectiveForm,
)
from xietong.tracking.models import QUALIFIED_VERDICTS, Acceptance, Retrospective
from xietong.tracking.scorecards import Scorecard

STEP = 8
SECTION = "#closing-section"


def may_accept(ws: Workspace) -> bool:
    """The initiating department judges deliverables: its initiator, administrators, or its head."""
    return ws.can(Action.CLOSE) or ws.can(Action.APPROVE_CHANGE, ws.collab.initiator_department_id)


class ClosingPage:
    """What step 8 shows; a constant number of queries beyond the workspace's (see closing_sources)."""

    def __init__(self, ws: Workspace, number: str = "") -> None:
        self.ws = ws
        # The page of the acceptance table shown (``XIETONG_TABLE_PAGE_ROWS`` rows a page, as step 4).
        self.number = number
        self.collab = ws.collab
        self.tasks = load_tasks(ws.collab)
        self.can_accept = may_accept(ws)
        self.can_close = ws.can(Action.CLOSE)
        self.can_reopen = self.collab.closed_at is not None and ws.can(Action.REOPEN)

    @cached_property
    def retrospective(self) -> Retrospective | None:
        return retrospective_of(self.collab)

    @cached_property
    def readings(self) -> list[Any]:
        return latest_readings(self.collab)

    @cached_property
    def open_items(self) -> OpenItems:
        return open_items(self.collab, self.ws.snapshot, self.tasks, self.readings, self.ws.ctx.today)

    @cached_property
    def scorecards(self) -> list[Scorecard]:
        return department_scorecards(
            self.collab, self.ws.snapshot, self.tasks, self.ws.ctx.now, self.ws.ctx.tz
        )

    def rows(self) -> list[dict[str, Any]]:
        today = self.ws.ctx.today
        rows = []
        for i, task in enumerate(self.tasks):
            verdict: Acceptance | None = getattr(task, "acceptance", None)
            finished = done_at(task)
            rows.append(
                {
                    "number": i + 1,
                    "task": task,
                    "verdict": verdict,
                    "done_at": finished,
                    "on_time": None
                    if task.deadline is None or finished is None
                    else timezone.localtime(finished).date() <= task.deadline,
                    "overdue": task.is_overdue(today),
                }
            )
        return rows

    def gaps(self) -> list[Finding]:
        """What closing now would be refused for (A01, worded for an open collaboration)."""
        snapshot = replace(self.ws.snapshot, has_retrospective=self.retrospective is not None)
        return list(closing_gaps(snapshot))

    def metrics(self) -> list[dict[str, Any]]:
        found = metric_progress(self.ws.snapshot.goal, latest_by_metric(self.readings))
        goal = self.ws.snapshot.goal
        directions = {m.name: m.direction for m in goal.metrics} if goal else {}
        for item in found:
            item["reached"] = reaches(directions.get(item["name"]) or "", item["target"], item["latest"])
        return found

    def context(self, **extra: Any) -> dict[str, Any]:
        rows = self.rows()
        retro = self.retrospective
        editable = self.collab.closed_at is None
        pending = sum(1 for r in rows if r["verdict"] is None or not r["verdict"].accepted)
        size = settings.XIETONG_TABLE_PAGE_ROWS
        number = self.number
        if extra.get("accept_pk") is not None:  # a verdict sent back with errors: the page of its row
            place = next((i for i, r in enumerate(rows) if r["task"].pk == extra["accept_pk"]), 0)
            number = str(place // size + 1)
        page = Paginator(rows, size).get_page(number)
        return {
            "rows": page.object_list,
            "page": page,
            "metrics": self.metrics(),
            "retrospective": retro,
            "scorecards": self.scorecards,
            "findings": self.ws.findings_of_step(STEP),
            "can_accept": self.can_accept and editable,
            "can_close": self.can_close,
            "can_reopen": self.can_reopen,
            "unaccepted": pending,
            "qualified": [
                r for r in rows if r["verdict"] is not None and r["verdict"].verdict in QUALIFIED_VERDICTS
            ],
            "retro_form": RetrospectiveForm(initial=_retro_initial(retro)) if self.can_close else None,
            "reopen_form": ReopenForm() if self.can_reopen else None,
            "deadline_form": ResolutionDeadlineForm(
                initial={"resolution_deadline": self.collab.resolution_deadline}
            )
            if self.collab.type == CollabType.PROBLEM_SOLVING and self.ws.can(Action.EDIT_COLLABORATION)
            else None,
            "statuses": dict(TaskStatus.choices),
            **extra,
        }


def _retro_initial(retro: Retrospective | None) -> dict[str, str]:
    if retro is None:
        return {}
    return {
        "went_well": retro.went_well,
        "problems": retro.problems,
        "improvements": retro.improvements,
        "lessons": retro.lessons,
    }


def title() -> Any:
    return STEPS[STEP - 1].name


def _page(request: HtmxHttpRequest, page: ClosingPage, **extra: Any) -> HttpResponse:
    return render_step(request, page.ws, "tracking/closing.html", STEP, title(), **page.context(**extra))


def _answer(request: HtmxHttpRequest, slug: str, anchor: str, message: str, **extra: Any) -> HttpResponse:
    """After a write: the re-rendered section for htmx, a redirect otherwise."""
    if request.htmx:
        page = ClosingPage(open_workspace(request, slug), page_asked(request))
        return render_section(
            request,
            page.ws,
            "tracking/_closing_section.html",
            SECTION,
            STEP,
            **page.context(flash=message, **extra),
        )
    messages.success(request, message)
    return redirect(reverse("tracking:closing", args=[slug]) + anchor)


def _invalid(request: HtmxHttpRequest, page: ClosingPage, **extra: Any) -> HttpResponse:
    """A form with errors comes back where it was: in the section (htmx) or the page."""
    if request.htmx:
        return render_section(
            request,
            page.ws,
            "tracking/_closing_section.html",
            SECTION,
            STEP,
            **page.context(**extra),
        )
    return _page(request, page, **extra)


@login_required
@require_GET
def closing(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _page(request, ClosingPage(open_workspace(request, slug), page_asked(request)))


@login_required
@require_POST
def accept(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Accept or reject one deliverable against its delivery standard."""
    ws = open_workspace(request, slug)
    if not may_accept(ws):
        raise PermissionDenied
    task = get_object_in(ws.collab, Task.objects.all(), pk)
    form = AcceptanceForm(request.POST, prefix=f"accept{pk}")
    if form.is_valid():
        try:
            verdict = do_accept_deliverable(
                task,
                form.chosen,
                timezone.now(),
                department=ws.collab.initiator_department,
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                actor=signed_in_person(request),
            )
        except AcceptanceRefused as refused:
            form.add_error(refused.field if refused.field != "verdict" else None, refused.message)
        else:
            message = _("「%(task)s」:%(verdict)s") % {
                "task": task.description,
                "verdict": verdict.get_verdict_display(),
            }
            return _answer(request, slug, f"#deliverable-{pk}", message)
    response = _invalid(request, ClosingPage(ws, page_asked(request)), accept_form=form, accept_pk=pk)
    if not request.htmx:  # htmx swaps only a 2xx answer
        response.status_code = 422
    return response


@login_required
@require_POST
def retrospective(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug, Action.CLOSE)
    form = RetrospectiveForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ClosingPage(ws), retro_form=form)
    do_write_retrospective(
        ws.collab, RetrospectiveInput(**form.cleaned_data), timezone.now(), actor=signed_in_person(request)
    )
    return _answer(request, slug, "#retrospective", _("已保存复盘"))


@login_required
@require_http_methods(["GET", "POST"])
def close(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Close the collaboration after a confirmation page that lists what is still open.

    GET, or a POST without ``confirm``, shows that page and writes nothing;
    A01's findings come back when something is missing.
    """
    ws = open_workspace(request, slug, Action.CLOSE)  # 403 once closed
    if request.method != "POST" or request.POST.get("confirm") != "1":
        return _confirm_close(request, ClosingPage(ws))
    try:
        do_close_collaboration(ws.collab, ws.ctx, actor=signed_in_person(request))
    except CloseRefused as refused:
        return _confirm_close(request, ClosingPage(ws), refused.findings)
    messages.success(request, _("协作已关闭,现为只读;如需修改,请重新打开"))
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect("tracking:closing", slug)


def _confirm_close(
    request: HtmxHttpRequest, page: ClosingPage, refused: list[Finding] | None = None
) -> HttpResponse:
    """The confirmation page of 关闭协作: what closing leaves out (A01) and what is still open."""
    gaps = refused if refused is not None else page.gaps()
    response = render_step(
        request,
        page.ws,
        "tracking/close_confirm.html",
        STEP,
        title(),
        gaps=gaps,
        open=page.open_items,
    )
    if refused is not None:
        response.status_code = 409
    return response


@login_required
@require_POST
def reopen(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug, Action.REOPEN)
    if ws.collab.closed_at is None:
        return redirect("tracking:closing", slug)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ClosingPage(ws), reopen_form=form)
    do_reopen_collaboration(ws.collab, form.cleaned_data["reason"], actor=signed_in_person(request))
    messages.success(request, _("协作已重新打开"))
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect("tracking:closing", slug)


@login_required
@require_POST
def resolution_deadline(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Set the time limit of a problem-solving collaboration (问题解决型)."""
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    if ws.collab.type != CollabType.PROBLEM_SOLVING:
        raise Http404
    form = ResolutionDeadlineForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ClosingPage(ws), deadline_form=form)
    do_set_resolution_deadline(
        ws.collab, form.cleaned_data["resolution_deadline"], actor=signed_in_person(request)
    )
    messages.success(request, _("已保存解决时限"))
    if request.htmx:
        return HttpResponseClientRefresh()  # the header of every page shows it
    return redirect(reverse("tracking:closing", args=[slug]) + "#resolution")
