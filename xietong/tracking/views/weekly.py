"""Step 7: publishing a week's progress list with the initiator's remarks, and reading it as published."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.collabs.access import signed_in_person
from xietong.collabs.workspace import open_workspace, render_step
from xietong.lib.http import HtmxHttpRequest
from xietong.orgs.roles import Action
from xietong.tracking.actions.weekly import WeekNotStarted, do_publish_weekly_report
from xietong.tracking.forms.progress import PublishForm
from xietong.tracking.models import WeeklyReport
from xietong.tracking.views.progress import STEP, TrackingPage, title
from xietong.tracking.weekly import IsoWeek, from_content


def _week(raw: str) -> IsoWeek:
    try:
        return IsoWeek.parse(raw)
    except ValueError:
        raise Http404 from None


@login_required
@require_POST
def publish(request: HtmxHttpRequest, slug: str, week: str) -> HttpResponse:
    """Publish (or publish again) the week's list with the remarks (the initiator, administrators)."""
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    iso = _week(week)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            _report, created = do_publish_weekly_report(
                ws.collab,
                iso.year,
                iso.week,
                form.cleaned_data["remarks"].strip(),
                timezone.now(),
                actor=signed_in_person(request),
            )
        except WeekNotStarted:
            form.add_error(None, _("这一周还没有开始,不能发布周进度清单。"))
        else:
            if created:
                message = _("已发布 %(week)s 的周进度清单") % {"week": str(iso)}
            else:
                message = _("已重新发布 %(week)s 的周进度清单(上一版保留在变更记录中)") % {"week": str(iso)}
            messages.success(request, message)
            return redirect(f"{reverse('tracking:tracking', args=[slug])}?week={iso}#publish")
    page = TrackingPage(ws, iso)
    return render_step(
        request,
        ws,
        "tracking/tracking.html",
        STEP,
        title(),
        **{**page.context(), "publish_form": form},
    )


@login_required
@require_GET
def report(request: HtmxHttpRequest, slug: str, week: str) -> HttpResponse:
    """A week's list as it was published (frozen), with the initiator's remarks."""
    ws = open_workspace(request, slug)
    iso = _week(week)
    published = (
        WeeklyReport.objects.select_related("published_by")
        .filter(collaboration=ws.collab, iso_year=iso.year, iso_week=iso.week)
        .first()
    )
    if published is None:
        raise Http404
    return render_step(
        request,
        ws,
        "tracking/report.html",
        STEP,
        title(),
        published=published,
        weekly=from_content(published.content),
        week=iso,
        editable=set(),
    )
