"""Pages. Thin: fetch through the access layer, judge, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xietong.collabs.access import get_collaboration_for_user, visible_collaborations
from xietong.collabs.models import TaskStatus
from xietong.collabs.snapshots import load_snapshot, load_snapshots
from xietong.rules.clock import context_for
from xietong.rules.engine import Finding, Severity, run_rules
from xietong.rules.steps import STEPS, step_of

# The list page judges at most this many collaborations per request.
PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    collabs = list(visible_collaborations(request.user)[:PAGE_SIZE])
    snapshots = load_snapshots(collabs)
    ctx = context_for()
    rows = []
    for collab in collabs:
        report = run_rules(snapshots[collab.pk], ctx)
        rows.append(
            {
                "collab": collab,
                "report": report,
                "errors": sum(1 for f in report.findings if f.severity == Severity.ERROR),
                "warnings": sum(1 for f in report.findings if f.severity == Severity.WARNING),
            }
        )
    return render(request, "collabs/home.html", {"rows": rows})


@login_required
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    collab, _access = get_collaboration_for_user(request.user, slug)
    snapshot = load_snapshot(collab)
    ctx = context_for()
    report = run_rules(snapshot, ctx)
    by_step: dict[int, list[Finding]] = {step.number: [] for step in STEPS}
    for finding in report.findings:
        by_step[step_of(finding.rule).number].append(finding)
    labels = dict(TaskStatus.choices)
    return render(
        request,
        "collabs/detail.html",
        {
            "collab": collab,
            "snapshot": snapshot,
            "report": report,
            "steps": [(step, by_step[step.number]) for step in STEPS],
            "task_rows": [
                (
                    task,
                    labels[task.status],
                    task.deadline is not None
                    and task.deadline < ctx.today
                    and task.status != TaskStatus.DONE,
                )
                for task in snapshot.tasks
            ],
        },
    )
