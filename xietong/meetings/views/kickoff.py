"""Step 3 (对齐): the kickoff meeting's page.

Without a kickoff the page shows K01 and, to the initiator, the form that
schedules it (creating it with the default attendees and the guide's five
agenda items); once it exists the page is the kickoff's meeting page
(``views/meeting.py``). A GET never creates anything.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xietong.collabs.access import signed_in_person
from xietong.collabs.workspace import Workspace, open_workspace, render_section, render_step
from xietong.lib.http import HtmxHttpRequest
from xietong.meetings.actions.kickoff import do_schedule_kickoff
from xietong.meetings.forms_meeting import MeetingDetailsForm
from xietong.meetings.models import Meeting, MeetingKind
from xietong.meetings.views.meeting import (
    KICKOFF_STEP,
    SECTION,
    MeetingPage,
    answer_saved,
    render_current,
    show,
)
from xietong.orgs.roles import Action
from xietong.rules.steps import STEPS


def _kickoff(ws: Workspace) -> Meeting | None:
    meeting = (
        Meeting.objects.filter(collaboration=ws.collab, kind=MeetingKind.KICKOFF)
        .select_related("chair", "series")
        .first()
    )
    if meeting is not None:
        meeting.collaboration = ws.collab
    return meeting


def _schedule_form(data: Any = None) -> MeetingDetailsForm:
    return MeetingDetailsForm(data, auto_id="details_%s")


def _unscheduled(request: HtmxHttpRequest, ws: Workspace, form: MeetingDetailsForm) -> HttpResponse:
    """The step's page while there is no kickoff: K01, and the form that schedules it."""
    context = {
        "findings": ws.findings_of_step(KICKOFF_STEP),
        "can_edit": ws.can(Action.EDIT_COLLABORATION),
        "form": form,
    }
    if request.htmx and request.method == "POST":
        return render_section(request, ws, "meetings/_kickoff_section.html", SECTION, KICKOFF_STEP, **context)
    return render_step(
        request, ws, "meetings/kickoff.html", KICKOFF_STEP, STEPS[KICKOFF_STEP - 1].name, **context
    )


@login_required
@require_http_methods(["GET", "POST"])
def kickoff(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    if request.method == "POST":
        return _schedule(request, slug)
    ws = open_workspace(request, slug)
    meeting = _kickoff(ws)
    if meeting is None:
        return _unscheduled(request, ws, _schedule_form())
    return show(request, MeetingPage(ws, meeting))


def _schedule(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Schedule the kickoff (create it the first time) or move it."""
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    meeting = _kickoff(ws)
    form = MeetingDetailsForm(
        request.POST,
        initial={"duration_minutes": meeting.duration_minutes if meeting else 60},
        auto_id="details_%s",
    )
    if not form.is_valid():
        if meeting is None:
            return _unscheduled(request, ws, form)
        return render_current(request, MeetingPage(ws, meeting), details_form=form)
    data = form.cleaned_data
    saved = do_schedule_kickoff(
        ws.collab,
        data["scheduled_at"],
        location=data["location"],
        duration_minutes=data["duration_minutes"],
        actor=signed_in_person(request),
    )
    return answer_saved(request, slug, saved.pk, _("已保存启动会时间"))
