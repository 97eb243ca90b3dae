"""The kickoff page (step 3): until the meeting pages replace it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xietong.collabs.access import signed_in_person
from xietong.collabs.workspace import Workspace, open_workspace, render_step
from xietong.lib.http import HtmxHttpRequest
from xietong.meetings.actions.kickoff import do_schedule_kickoff, do_send_agenda, kickoff_of
from xietong.meetings.actions.minutes import do_issue_minutes
from xietong.meetings.forms import KickoffForm
from xietong.meetings.models import AgendaItem
from xietong.orgs.roles import Action
from xietong.rules.kickoff import AGENDA_LEAD, MINUTES_WITHIN
from xietong.rules.steps import STEPS

KICKOFF_STEP = 3

# --- step 3: the kickoff meeting


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def _kickoff_context(ws: Workspace, form: KickoffForm) -> dict[str, Any]:
    """Return what the kickoff page shows: the meeting, its agenda, the timings, the confirmations."""
    kickoff = ws.snapshot.kickoff
    agenda = list(AgendaItem.objects.filter(meeting_id=kickoff.key)) if kickoff and kickoff.key else []
    scheduled = kickoff.scheduled_at if kickoff else None
    sent = kickoff.agenda_sent_at if kickoff else None
    issued = kickoff.minutes_issued_at if kickoff else None
    confirmations = kickoff.confirmations if kickoff else {}
    departments = [
        {"name": d.name, "head": d.head, "confirmed_at": confirmations.get(d.name)}
        for d in ws.snapshot.departments
        if d.name
    ]
    return {
        "kickoff": kickoff,
        "scheduled": scheduled,
        "agenda": agenda,
        "agenda_sent": sent,
        "agenda_lead_hours": _hours(scheduled - sent) if scheduled and sent else None,
        "agenda_in_time": bool(scheduled and sent and scheduled - sent >= AGENDA_LEAD),
        "minutes_issued": issued,
        "minutes_after_hours": _hours(issued - scheduled) if scheduled and issued else None,
        "minutes_in_time": bool(scheduled and issued and issued - scheduled <= MINUTES_WITHIN),
        "held": bool(scheduled and ws.ctx.now >= scheduled),
        "departments": departments,
        "unconfirmed": [d["name"] for d in departments if d["confirmed_at"] is None],
        "findings": ws.findings_of_step(KICKOFF_STEP),
        "can_edit": ws.can(Action.EDIT_COLLABORATION),
        "form": form,
    }


def _kickoff_form(ws: Workspace, data: Any = None) -> KickoffForm:
    current = ws.snapshot.kickoff
    initial = {"scheduled_at": current.scheduled_at} if current and current.scheduled_at else None
    return KickoffForm(data, initial=initial, kickoff=current, now=ws.ctx.now)


def _kickoff_section(
    request: HtmxHttpRequest, ws: Workspace, form: KickoffForm, **extra: Any
) -> HttpResponse:
    context = {"ws": ws, "collab": ws.collab, **_kickoff_context(ws, form), **extra}
    return render(request, "meetings/_kickoff_section.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def kickoff(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    if request.method != "POST":
        ws = open_workspace(request, slug)
        title = STEPS[KICKOFF_STEP - 1].name
        return render_step(
            request,
            ws,
            "meetings/kickoff.html",
            KICKOFF_STEP,
            title,
            **_kickoff_context(ws, _kickoff_form(ws)),
        )
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    form = _kickoff_form(ws, request.POST)
    if not form.is_valid():
        if request.htmx:
            return _kickoff_section(request, ws, form)
        title = STEPS[KICKOFF_STEP - 1].name
        return render_step(
            request, ws, "meetings/kickoff.html", KICKOFF_STEP, title, **_kickoff_context(ws, form)
        )
    actor, do = signed_in_person(request), form.cleaned_data["do"]
    if do == KickoffForm.SCHEDULE:
        do_schedule_kickoff(ws.collab, form.cleaned_data["scheduled_at"], actor=actor)
        message = _("已保存启动会时间")
    elif do == KickoffForm.AGENDA_SENT:
        meeting = kickoff_of(ws.collab)
        assert meeting is not None
        do_send_agenda(meeting, ws.ctx.now, actor=actor)
        message = _("已记录:会议议程及背景资料已发送")
    else:
        meeting = kickoff_of(ws.collab)
        assert meeting is not None
        do_issue_minutes(meeting, ws.ctx.now, actor=actor)
        message = _("已记录:《启动会会议纪要》已发出")
    if request.htmx:
        fresh = open_workspace(request, slug)
        return _kickoff_section(
            request, fresh, _kickoff_form(fresh), flash=message, current=KICKOFF_STEP, oob=True
        )
    messages.success(request, message)
    return redirect("meetings:kickoff", slug)
