"""Dashboards: one collaboration's charts, and the overview across collaborations.

Thin: fetch through the access layer (``open_workspace``,
``visible_collaborations``), read the snapshot and the metric readings with a
fixed number of queries, hand them to ``data`` and render. Both pages cost the
same queries for 10 or 10,000 tasks, and the overview the same for one
collaboration or a page of fifty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xietong.collabs.access import get_part_of, signed_in_person, visible_collaborations
from xietong.collabs.actions import do_record_reading
from xietong.collabs.judged import phase_of, reports_of, snapshots_of
from xietong.collabs.models import Collaboration, Metric, MetricReading
from xietong.collabs.workspace import Workspace, open_workspace, render_step
from xietong.dashboards import data
from xietong.dashboards.forms import ReadingForm
from xietong.orgs.roles import Action
from xietong.rules.clock import context_for

# The overview judges at most this many collaborations per request.
PAGE_SIZE = 50


def _readings(collab: Collaboration) -> dict[int, list[data.Reading]]:
    """Return every reading of the collaboration's goal metrics, by metric id (one query)."""
    grouped: dict[int, list[data.Reading]] = defaultdict(list)
    rows = MetricReading.objects.filter(metric__goal__collaboration=collab).values_list(
        "metric_id", "measured_on", "value"
    )
    for metric_id, day, value in rows:
        grouped[metric_id].append((day, value))
    return grouped


def _latest_readings(collab_ids: Iterable[int]) -> Iterable[tuple[int, date, Decimal]]:
    """Return ``(metric id, measured_on, value)`` of each metric's latest reading (one query).

    One reading per metric and day is a database constraint, so matching the
    latest day gives one row per metric, on SQLite and PostgreSQL alike.
    """
    latest_day = (
        MetricReading.objects.filter(metric=OuterRef("metric"))
        .order_by("-measured_on")
        .values("measured_on")[:1]
    )
    return MetricReading.objects.filter(
        metric__goal__collaboration_id__in=list(collab_ids), measured_on=Subquery(latest_day)
    ).values_list("metric_id", "measured_on", "value")


@login_required
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    return _dashboard(request, open_workspace(request, slug))


def _dashboard(request: HttpRequest, ws: Workspace, reading_form: ReadingForm | None = None) -> HttpResponse:
    # The charts are computed only when the page's cached part is missing (the template
    # calls these, once each): a page served from the cache reads no snapshot for them.
    finding_groups = cache(
        lambda: data.findings_by_severity(
            ws.report.findings, {state.step.number: state.url for state in ws.steps}, ws.snapshot
        )
    )
    return render_step(
        request,
        ws,
        "dashboards/dashboard.html",
        "dashboard",
        _("看板"),
        dash_key="" if reading_form else ws.fragment_key,
        gauge=cache(lambda: data.gauge(ws.report.score)),
        finding_groups=finding_groups,
        step_links=cache(lambda: data.step_links(finding_groups())),
        metrics=cache(lambda: data.metric_charts(ws.snapshot.goal, _readings(ws.collab), _kickoff_day(ws))),
        status=cache(lambda: data.status_by_department(ws.snapshot, ws.ctx.today)),
        timeline=cache(
            lambda: data.timeline(ws.snapshot, ws.ctx, ws.collab.created_at.astimezone(ws.ctx.tz).date())
        ),
        states=data.state_labels(),
        reading_form=reading_form
        or (
            cache(lambda: ReadingForm(goal=ws.snapshot.goal, today=ws.ctx.today))
            if ws.can(Action.EDIT_COLLABORATION)
            else None
        ),
    )


def _kickoff_day(ws: Workspace) -> date | None:
    """Return the day of the kickoff meeting in the collaboration's time zone (None without one)."""
    kickoff = ws.snapshot.kickoff
    return kickoff.scheduled_at.astimezone(ws.ctx.tz).date() if kickoff and kickoff.scheduled_at else None


@login_required
@require_POST
def record_reading(request: HttpRequest, slug: str) -> HttpResponse:
    """Record a goal metric's value by hand (the initiator or an administrator)."""
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    form = ReadingForm(request.POST, goal=ws.snapshot.goal, today=ws.ctx.today)
    if not form.is_valid():
        return _dashboard(request, ws, reading_form=form)
    metric = get_part_of(ws.collab, "goal__collaboration", Metric.objects.all(), form.cleaned_data["metric"])
    do_record_reading(
        metric,
        form.cleaned_data["measured_on"],
        form.cleaned_data["value"],
        note=form.cleaned_data["note"],
        actor=signed_in_person(request),
    )
    messages.success(request, _("已记录 %(metric)s 的读数") % {"metric": metric.name})
    return redirect(reverse("dashboards:dashboard", args=[slug]) + "#dash-metrics")


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    collabs = visible_collaborations(request.user).order_by("-created_at", "-pk")
    # Search (closed collaborations included): title, background, the retrospective's reusable lessons.
    query = request.GET.get("q", "").strip()[:100]
    if query:
        collabs = collabs.filter(
            Q(title__icontains=query)
            | Q(background__icontains=query)
            | Q(retrospective__lessons__icontains=query)
        )
    state = request.GET.get("state", "")
    if state == "closed":
        collabs = collabs.filter(closed_at__isnull=False)
    elif state == "open":
        collabs = collabs.filter(closed_at__isnull=True)
    page = Paginator(collabs, PAGE_SIZE).get_page(request.GET.get("page"))
    on_page = list(page.object_list)
    snapshots = snapshots_of(on_page)
    latest = data.latest_by_metric(_latest_readings(c.pk for c in on_page))
    ctx = context_for()
    reports = reports_of(on_page, snapshots, ctx)
    rows = []
    for collab in on_page:
        report = reports[collab.pk]
        line = data.overview_row(snapshots[collab.pk], report.score, report.findings, latest, ctx.today)
        rows.append({"collab": collab, "phase": phase_of(snapshots[collab.pk], ctx), **line})
    return render(
        request,
        "dashboards/overview.html",
        {
            "page": page,
            "rows": rows,
            "scores": data.scores_chart([(row["collab"].title, row["score"]) for row in rows]),
            "states": data.state_labels(),
            "query": query,
            "state": state,
        },
    )
