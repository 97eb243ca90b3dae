"""Step 1: background and the SMART core goal, with live analysis as the person types."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xietong.collabs.access import signed_in_person
from xietong.collabs.actions.common import VersionConflict
from xietong.collabs.actions.goal import do_save_goal
from xietong.collabs.forms.goal import BaseMetricFormSet, GoalForm, metric_formset
from xietong.collabs.models import Goal, Metric
from xietong.collabs.workspace import Workspace, open_workspace, render_step
from xietong.lib.conflicts import FieldConflict, at_version, conflicts, resolve
from xietong.lib.flash import saved_at
from xietong.lib.http import HtmxHttpRequest
from xietong.lib.numbers import plain
from xietong.orgs.roles import Action
from xietong.rules.clock import context_for
from xietong.rules.smart import SmartAnalysis, analyze


def _initial(ws: Workspace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    goal = Goal.objects.filter(collaboration=ws.collab).first()
    collab = ws.collab
    fields: dict[str, Any] = {
        "version": collab.version,
        "title": collab.title,
        "background": collab.background,
        "expected_outcome": collab.expected_outcome,
    }
    if goal is not None:
        fields.update(
            {
                "statement": goal.statement,
                "deadline": goal.deadline,
                "achievable_reason": goal.achievable_reason,
                "relevant_reason": goal.relevant_reason,
            }
        )
    metrics: list[dict[str, Any]] = [
        {key: plain(value) if isinstance(value, Decimal) else value for key, value in row.items()}
        for row in Metric.objects.filter(goal__collaboration=collab).values(
            "id", "name", "unit", "baseline", "target", "direction", "scale_max"
        )
    ]
    return fields, metrics


def _with_proposals(
    form: GoalForm, formset: BaseMetricFormSet, analysis: SmartAnalysis
) -> tuple[GoalForm, BaseMetricFormSet]:
    """Return unsaved forms holding what the person typed plus the analysis's proposals."""
    fields = {name: form[name].value() for name in form.fields}
    if not fields.get("deadline") and analysis.deadline:
        fields["deadline"] = analysis.deadline
    rows = [
        {name: f[name].value() for name in f.fields}
        for f in formset.forms
        if f["name"].value() or f["id"].value()
    ]
    known = {row["name"] for row in rows}
    for metric in analysis.metrics:
        if metric.name not in known:
            rows.append(
                {
                    "name": metric.name,
                    "unit": metric.unit,
                    "baseline": metric.baseline,
                    "target": metric.target,
                    "direction": metric.direction,
                    "scale_max": metric.scale_max,
                }
            )
    return GoalForm(initial=fields), metric_formset(initial=rows)


@login_required
@require_http_methods(["GET", "POST"])
def goal(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug)
    editable = ws.can(Action.EDIT_COLLABORATION)
    found: list[FieldConflict] = []
    if request.method == "POST":
        ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
        # A save after a conflict applies the person's "use theirs" choices.
        posted = resolve(request.POST, None, _initial(ws)[0])
        form = GoalForm(posted)
        formset = metric_formset(posted)
        if "apply_smart" in request.POST:
            analysis = analyze(request.POST.get("statement", ""), context_for().today)
            form, formset = _with_proposals(form, formset, analysis)
            messages.info(request, _("已填入建议的指标与截止日期,请核对后保存。"))
        elif form.is_valid() and formset.is_valid():
            try:
                do_save_goal(
                    ws.collab,
                    form.to_input(),
                    formset.to_inputs(),
                    actor=signed_in_person(request),
                    expected_version=form.cleaned_data.get("version"),
                )
            except VersionConflict as stale:
                # Keep what the person typed, at the current version, with the current values next to it.
                form = GoalForm(at_version(posted, form, stale.current))
                form.is_valid()
                found = conflicts(form, _initial(ws)[0])
                form.add_error(
                    None,
                    _(
                        "这份目标刚被他人修改:表单里仍是您填写的内容,旁边是他人保存的当前内容;请逐项选择后再保存。"
                    ),
                )
            else:
                url = reverse("collabs:goal", args=[ws.collab.slug])
                return saved_at(request, url, "step1", _("已保存核心目标。"))
    else:
        fields, metrics = _initial(ws)
        form, formset = GoalForm(initial=fields), metric_formset(initial=metrics)
    statement = str(form["statement"].value() or "")
    return render_step(
        request,
        ws,
        "collabs/goal.html",
        1,
        _("明确协作背景与核心目标"),
        form=form,
        formset=formset,
        editable=editable,
        findings=ws.findings_of_step(1),
        analysis=analyze(statement, ws.ctx.today) if statement else None,
        # A and R are the person's answers, not the statement's: the panel shows them answered.
        achievable=bool(str(form["achievable_reason"].value() or "").strip()),
        relevant=bool(str(form["relevant_reason"].value() or "").strip()),
        conflicts=found,
    )


@login_required
@require_POST
def smart(request: HtmxHttpRequest) -> HttpResponse:
    """Return the SMART analysis of the posted statement as a fragment (htmx)."""
    statement = request.POST.get("statement", "")[:2000]
    analysis = analyze(statement, context_for().today) if statement.strip() else None
    # htmx posts the whole goal form: the A and R answers come with the statement.
    return render(
        request,
        "collabs/_smart.html",
        {
            "analysis": analysis,
            "achievable": bool(request.POST.get("achievable_reason", "").strip()),
            "relevant": bool(request.POST.get("relevant_reason", "").strip()),
        },
    )
