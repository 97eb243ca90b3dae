"""Step 5 (共识): quantified department sub-goals — 设定可量化的协作目标.

One URL serves the page, the in-place edit row (``?edit=<pk>``), the display
row (``?row=<pk>``, to cancel an edit) and the save (POST, with ``pk`` for an
existing row). With htmx the answers are fragments; without JavaScript the
same links and forms work as plain pages and redirects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xietong.collabs.access import get_subgoal_for_user, signed_in_person
from xietong.collabs.actions.subgoals import do_delete_subgoal, do_save_subgoal
from xietong.collabs.forms.subgoals import SubGoalForm
from xietong.collabs.models import Participant, SubGoal
from xietong.collabs.templatetags.xietong import num
from xietong.collabs.workspace import (
    Workspace,
    inline_form_again,
    open_workspace,
    render_section,
    render_step,
    save_inline_row,
)
from xietong.lib.http import HtmxHttpRequest, pk_param
from xietong.lib.recurrence import describe, from_rrule, next_occurrences
from xietong.orgs.models import Department
from xietong.orgs.roles import Action
from xietong.rules import snapshot as s
from xietong.rules.engine import Finding
from xietong.rules.steps import STEPS

STEP = 5
SECTION = "#subgoal-section"


def time_limit_text(limit: s.TimeLimit | None) -> str:
    """Return a sub-goal's time limit as people say it (“每周五前”, “接到售后需求后 24 小时内”)."""
    if limit is None:
        return "—"
    if limit.kind == s.DeadlineKind.FIXED:
        return _("%(date)s 前") % {"date": limit.date.isoformat()} if limit.date else "—"
    if limit.kind == s.DeadlineKind.RECURRING:
        return describe(limit.rrule)
    if limit.hours is None:
        return "—"
    if limit.trigger:
        return _("%(trigger)s后 %(hours)s 小时内") % {"trigger": limit.trigger, "hours": num(limit.hours)}
    return _("%(hours)s 小时内") % {"hours": num(limit.hours)}


@dataclass(frozen=True)
class Row:
    """One sub-goal as the table shows it."""

    pk: int
    number: int  # counted from 1, as people count rows
    goal: s.SubGoal
    time_limit: str
    next_due: str
    findings: list[Finding]
    can_edit: bool


class SubGoalPage:
    """What the page shows and what the signed-in person may do on it.

    Reads the participating departments once; everything else comes from the
    workspace's snapshot and report, so the page costs the same queries for
    two sub-goals or fifty and for ten tasks or a thousand.
    """

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.departments: list[Department] = [
            p.department
            for p in Participant.objects.filter(collaboration=ws.collab).select_related("department")
        ]
        self.department_ids = {d.name: d.pk for d in self.departments}
        if ws.can(Action.EDIT_DEPARTMENT_ROWS):
            self.editable: set[int] | None = None  # initiator, administrator: every row
        else:
            self.editable = {d.pk for d in self.departments if ws.can(Action.EDIT_DEPARTMENT_ROWS, d.pk)}
        goal = ws.snapshot.goal
        self.metrics = [(m.key, m.name) for m in goal.metrics if m.key is not None] if goal else []

    @property
    def can_add(self) -> bool:
        return self.editable is None or bool(self.editable)

    def rows(self) -> list[Row]:
        by_object: dict[str, list[Finding]] = defaultdict(list)
        for finding in self.ws.report.findings:
            by_object[finding.object].append(finding)
        now = self.ws.ctx.now.astimezone(self.ws.ctx.tz)
        rows = []
        for i, goal in enumerate(self.ws.snapshot.subgoals):
            assert goal.key is not None  # stored rows have keys
            department_id = self.department_ids.get(goal.department)
            rows.append(
                Row(
                    pk=goal.key,
                    number=i + 1,
                    goal=goal,
                    time_limit=time_limit_text(goal.time_limit),
                    next_due=_next_due(goal.time_limit, now),
                    findings=by_object[f"subgoals[{i}]"],
                    can_edit=self.ws.can(Action.EDIT_DEPARTMENT_ROWS, department_id),
                )
            )
        return rows

    def form(self, data: Any = None, *, subgoal: SubGoal | None = None) -> SubGoalForm:
        departments = list(self.departments)
        if (
            subgoal is not None
            and subgoal.department
            and subgoal.department.pk not in {d.pk for d in departments}
        ):
            # A row naming a department that is not (or no longer) a participant
            # keeps it when edited; the rules report what is wrong with it.
            departments.append(subgoal.department)
        return SubGoalForm(
            data,
            initial=SubGoalForm.initial_for(subgoal) if subgoal is not None else None,
            departments=departments,
            editable=self.editable,
            metrics=self.metrics,
            auto_id=f"edit{subgoal.pk}_%s" if subgoal is not None else "add_%s",
        )

    def context(self, **extra: Any) -> dict[str, Any]:
        findings = self.ws.report.findings
        """Return what the step's section shows (render_step adds ``ws`` and ``collab``)."""
        return {
            "rows": self.rows(),
            "unsupported": [f for f in findings if f.rule == "G06"],
            "general": [f for f in self.ws.findings_of_step(STEP) if not f.object.startswith("subgoals[")],
            "can_add": self.can_add,
            "add_form": self.form() if self.can_add else None,
            "has_goal": self.ws.snapshot.goal is not None,
            **extra,
        }


def _next_due(limit: s.TimeLimit | None, now: datetime) -> str:
    """Return the next due moment of a recurring limit the picker can show, else ""."""
    if limit is None or limit.kind != s.DeadlineKind.RECURRING:
        return ""
    rec = from_rrule(limit.rrule)
    if rec is None:  # only picker rules: they always occur, so the search ends
        return ""
    upcoming = next_occurrences(limit.rrule, now, 1)
    if not upcoming:
        return ""
    return upcoming[0].strftime("%Y-%m-%d %H:%M" if rec.hour is not None else "%Y-%m-%d")


def _editable_subgoal(request: HtmxHttpRequest, ws: Workspace, pk: int) -> SubGoal:
    """Return a sub-goal of this collaboration the person may edit, or raise 404 / 403."""
    subgoal, _access = get_subgoal_for_user(request.user, pk, Action.EDIT_DEPARTMENT_ROWS)
    if subgoal.collaboration_id != ws.collab.pk:
        raise Http404
    return subgoal


def _title() -> str | Promise:
    return STEPS[STEP - 1].name


def _page(request: HtmxHttpRequest, page: SubGoalPage, **extra: Any) -> HttpResponse:
    return render_step(request, page.ws, "collabs/subgoals.html", STEP, _title(), **page.context(**extra))


def _saved(request: HtmxHttpRequest, slug: str, anchor: str, message: str) -> HttpResponse:
    """Answer a successful write: the re-judged section for htmx, a redirect otherwise."""
    if request.htmx:
        page = SubGoalPage(open_workspace(request, slug))
        return render_section(
            request, page.ws, "collabs/_subgoal_section.html", SECTION, STEP, **page.context(flash=message)
        )
    messages.success(request, message)
    return redirect(reverse("collabs:subgoals", args=[slug]) + anchor)


@login_required
@require_http_methods(["GET", "POST"])
def subgoals(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug)
    page = SubGoalPage(ws)
    if request.method == "POST":
        return _save(request, page)
    edit = pk_param(request.GET.get("edit"))
    if edit is not None:
        subgoal = _editable_subgoal(request, ws, edit)
        form = page.form(subgoal=subgoal)
        if request.htmx:
            return render(
                request, "collabs/_subgoal_form_row.html", {"collab": ws.collab, "form": form, "pk": edit}
            )
        return _page(request, page, editing=edit, edit_form=form)
    shown = pk_param(request.GET.get("row"))
    if shown is not None and request.htmx:
        row = next((r for r in page.rows() if r.pk == shown), None)
        if row is None:
            raise Http404
        return render(request, "collabs/_subgoal_row.html", {"collab": ws.collab, "row": row})
    return _page(request, page)


def _save(request: HtmxHttpRequest, page: SubGoalPage) -> HttpResponse:
    ws = page.ws
    pk = pk_param(request.POST.get("pk"))
    subgoal = _editable_subgoal(request, ws, pk) if pk is not None else None
    if subgoal is None and not page.can_add:
        raise PermissionDenied
    form = page.form(request.POST, subgoal=subgoal)
    # Judged before the version check (as the page always did): 403 for a
    # liaison giving the row to a department they do not answer for, stale or not.
    if form.is_valid():
        department = form.fields_to_save().department
        if not ws.can(Action.EDIT_DEPARTMENT_ROWS, department.pk if department else None):
            raise PermissionDenied

    def save() -> SubGoal:
        return do_save_subgoal(
            ws.collab, form.fields_to_save(), subgoal=subgoal, actor=signed_in_person(request)
        )

    def saved(row: SubGoal) -> HttpResponse:
        message = _("已保存子目标「%(name)s」") % {"name": row.description}
        return _saved(request, ws.collab.slug, f"#subgoal-{row.pk}", message)

    again = inline_form_again(
        request,
        ws.collab,
        add_template="collabs/_subgoal_add.html",
        row_template="collabs/_subgoal_form_row.html",
        page=lambda **shown: _page(request, page, **shown),
    )
    return save_inline_row(request, ws, form, save, pk=pk, saved=saved, again=again)


@login_required
@require_http_methods(["GET", "POST"])
def remove(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    ws = open_workspace(request, slug)
    subgoal = _editable_subgoal(request, ws, pk)
    if request.method == "POST":
        do_delete_subgoal(subgoal, actor=signed_in_person(request))
        message = _("已删除子目标「%(name)s」") % {"name": subgoal.description}
        return _saved(request, slug, "", message)
    return render_step(request, ws, "collabs/subgoals_confirm_delete.html", STEP, _title(), subgoal=subgoal)
