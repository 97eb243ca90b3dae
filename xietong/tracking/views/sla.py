"""Step 7: SLA clocks of requests between departments and the occurrences of recurring sub-goals.

Per SLA sub-goal (技术部 answers 售后部 within 24 h) its open and recent
requests with the live clock; the requesting department's people open a
request, the asked department's people (the sub-goal's department) pause
it while waiting on the requester, resume and answer it. Per recurring
sub-goal (每日10点前, 每周五) the occurrences of the last two weeks and the
next week, met / missed / pending, recorded as done by the sub-goal's
department. And the compliance rates per department and ISO week.

The page reads the sub-goals, the requests, their pauses and the recorded
occurrences in four queries, whatever their number (``tracking.boards``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from xietong.collabs.access import get_object_in, signed_in_person
from xietong.collabs.models import DeadlineKind, SubGoal
from xietong.collabs.workspace import Workspace, open_workspace
from xietong.lib.http import HtmxHttpRequest
from xietong.orgs.models import Department
from xietong.orgs.roles import Action
from xietong.tracking.actions.sla import (
    do_answer_sla,
    do_open_sla_request,
    do_pause_sla,
    do_record_check,
    do_resume_sla,
)
from xietong.tracking.boards import SlaBoard
from xietong.tracking.forms.sla import CheckForm, SlaAnswerForm, SlaOpenForm, SlaPauseForm
from xietong.tracking.models import SlaRequest
from xietong.tracking.views.registers import answer_page, participating

SECTION = "#sla-section"

CLOCK_NAMES = {
    "running": gettext_lazy("计时中"),
    "at_risk": gettext_lazy("即将超时"),
    "paused": gettext_lazy("已暂停"),
    "breached": gettext_lazy("已超时"),
    "met": gettext_lazy("按时答复"),
    "late": gettext_lazy("超时答复"),
}
CHECK_NAMES = {
    "met": gettext_lazy("按时完成"),
    "missed": gettext_lazy("未按时完成"),
    "pending": gettext_lazy("待完成"),
}
KIND_NAMES = {"sla": gettext_lazy("响应时限"), "recurring": gettext_lazy("周期任务")}
CLOCK_KINDS = {"calendar": gettext_lazy("自然小时"), "working": gettext_lazy("工作小时")}


class SlaPage:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        snap = ws.snapshot
        self.board = SlaBoard(
            ws.collab,
            ws.ctx.now,
            ws.ctx.tz,
            kickoff=(snap.kickoff.scheduled_at if snap.kickoff else None) or ws.collab.created_at,
            deadline=snap.goal.deadline if snap.goal else None,
        )
        self._departments: list[Department] | None = None

    @property
    def departments(self) -> list[Department]:
        if self._departments is None:
            self._departments = participating(self.ws)
        return self._departments

    def answers_for(self, subgoal: SubGoal) -> bool:
        """The asked department's people (and the initiator) pause, resume, answer and record."""
        return self.ws.can(Action.EDIT_DEPARTMENT_ROWS, subgoal.department_id)

    def requesters(self, subgoal: SubGoal) -> list[Department]:
        """The departments the person may open a request for under ``subgoal`` (not the asked one)."""
        return [
            d
            for d in self.departments
            if d.pk != subgoal.department_id and self.ws.can(Action.EDIT_DEPARTMENT_ROWS, d.pk)
        ]

    def open_form(self, subgoal: SubGoal, data: Any = None) -> SlaOpenForm | None:
        choices = self.requesters(subgoal)
        if not choices:
            return None
        return SlaOpenForm(data, departments=choices, auto_id=f"sla{subgoal.pk}_%s")

    def context(self, **extra: Any) -> dict[str, Any]:
        board = self.board
        tz = self.ws.ctx.tz
        sla = []
        for goal in board.sla_goals:
            answers = self.answers_for(goal.subgoal)
            sla.append(
                {
                    "goal": goal,
                    "clock_kind": CLOCK_KINDS.get(goal.clock, goal.clock),
                    "answers": answers,
                    "open_form": extra.get("open_forms", {}).get(goal.subgoal.pk)
                    or self.open_form(goal.subgoal),
                    "requests": [
                        {
                            "view": r,
                            "state_name": CLOCK_NAMES[r.clock.state],
                            "deadline": r.clock.deadline.astimezone(tz),
                        }
                        for r in goal.requests
                    ],
                }
            )
        recurring = []
        for rgoal in board.recurring_goals:
            recurring.append(
                {
                    "goal": rgoal,
                    "answers": self.answers_for(rgoal.subgoal),
                    "occurrences": [
                        {
                            "o": o,
                            "due": o.due_at.astimezone(tz),
                            "done": o.done_at.astimezone(tz) if o.done_at else None,
                            "state_name": CHECK_NAMES[o.state],
                            "iso": o.due_at.isoformat(),
                        }
                        for o in rgoal.occurrences
                    ],
                }
            )
        compliance = [
            {
                "row": row,
                "kind_name": KIND_NAMES[row.kind],
                "cells": [_rate(r) for r in row.weeks],
                "total": _rate(row.total),
            }
            for row in board.compliance_rows
        ]
        return {
            "sla": sla,
            "recurring": recurring,
            "weeks": board.weeks,
            "compliance": compliance,
            "nav": "sla",
            **{k: v for k, v in extra.items() if k != "open_forms"},
        }


def _rate(rate: Any) -> dict[str, Any] | None:
    if rate is None:
        return None
    share = rate.share
    return {
        "met": rate.met,
        "decided": rate.decided,
        "percent": None if share is None else round(100 * share),
    }


def _page(request: HtmxHttpRequest, page: SlaPage, *, wrote: bool, **extra: Any) -> HttpResponse:
    return answer_page(
        request,
        page.ws,
        page="tracking/sla.html",
        section="tracking/_sla_section.html",
        target=SECTION,
        title=_("时限与周期任务"),
        context=page.context(**extra),
        wrote=wrote,
    )


def _done(request: HtmxHttpRequest, slug: str, message: str, *, error: bool = False) -> HttpResponse:
    if not request.htmx:
        (messages.error if error else messages.success)(request, message)
        return redirect(reverse("tracking:sla", args=[slug]))
    return _page(
        request, SlaPage(open_workspace(request, slug)), wrote=not error, flash=message, flash_error=error
    )


@login_required
@require_GET
def sla(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    return _page(request, SlaPage(open_workspace(request, slug)), wrote=False)


def _subgoal_of(ws: Workspace, pk: int, kind: str) -> SubGoal:
    return get_object_in(
        ws.collab, SubGoal.objects.filter(deadline_kind=kind).select_related("department"), pk
    )


def _request_of(ws: Workspace, pk: int) -> SlaRequest:
    return get_object_in(ws.collab, SlaRequest.objects.select_related("subgoal__department"), pk)


@login_required
@require_POST
def sla_open(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Start a request's clock: the requesting department's people."""
    page = SlaPage(open_workspace(request, slug))
    subgoal = _subgoal_of(page.ws, pk, DeadlineKind.SLA)
    form = page.open_form(subgoal, request.POST)
    if form is None:
        raise PermissionDenied
    if not form.is_valid():
        return _page(request, page, wrote=False, open_forms={subgoal.pk: form})
    requester = form.department("requester")
    try:
        do_open_sla_request(
            subgoal, requester, form.cleaned_data["subject"], page.ws.ctx.now, actor=signed_in_person(request)
        )
    except ValueError:
        return _done(request, slug, _("该子目标没有有效的响应时限,不能计时。"), error=True)
    return _done(request, slug, _("已登记请求,开始计时"))


def _asked(request: HtmxHttpRequest, slug: str, pk: int) -> tuple[Workspace, SlaRequest]:
    ws = open_workspace(request, slug)
    found = _request_of(ws, pk)
    if not ws.can(Action.EDIT_DEPARTMENT_ROWS, found.subgoal.department_id):
        raise PermissionDenied
    return ws, found


@login_required
@require_POST
def sla_pause(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Stop the clock while waiting on the requester: the asked department's people."""
    ws, found = _asked(request, slug, pk)
    form = SlaPauseForm(request.POST)
    if not form.is_valid():
        return _done(request, slug, _("暂停计时请写明原因(在等待提出部门什么)"), error=True)
    try:
        do_pause_sla(found, ws.ctx.now, form.cleaned_data["reason"], actor=signed_in_person(request))
    except ValueError:
        return _done(request, slug, _("该请求已答复或已暂停。"), error=True)
    return _done(request, slug, _("已暂停计时"))


@login_required
@require_POST
def sla_resume(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    ws, found = _asked(request, slug, pk)
    try:
        do_resume_sla(found, ws.ctx.now, actor=signed_in_person(request))
    except ValueError:
        return _done(request, slug, _("该请求已答复或未暂停。"), error=True)
    return _done(request, slug, _("已恢复计时"))


@login_required
@require_POST
def sla_answer(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    ws, found = _asked(request, slug, pk)
    form = SlaAnswerForm(request.POST)
    if not form.is_valid():
        return _done(request, slug, _("请填写答复内容"), error=True)
    try:
        do_answer_sla(found, ws.ctx.now, form.cleaned_data["answer"], actor=signed_in_person(request))
    except ValueError:
        return _done(request, slug, _("该请求已答复。"), error=True)
    return _done(request, slug, _("已答复,计时停止"))


@login_required
@require_POST
def check_record(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """已完成: record an occurrence of a recurring sub-goal done now (or undo): its department's people."""
    page = SlaPage(open_workspace(request, slug))
    subgoal = _subgoal_of(page.ws, pk, DeadlineKind.RECURRING)
    if not page.answers_for(subgoal):
        raise PermissionDenied
    form = CheckForm(request.POST)
    if not form.is_valid():
        raise Http404
    due_at: datetime = form.cleaned_data["due_at"]
    if not page.board.is_due_time(subgoal, due_at):
        raise Http404  # not an occurrence of this sub-goal within the shown weeks
    undo = bool(form.cleaned_data["undo"])
    do_record_check(
        subgoal,
        due_at,
        None if undo else page.ws.ctx.now,
        note=form.cleaned_data["note"],
        actor=signed_in_person(request),
    )
    when = f"{due_at.astimezone(page.ws.ctx.tz):%Y-%m-%d %H:%M}"
    message = (_("已撤销 %(when)s 的完成记录") if undo else _("已记录 %(when)s 完成")) % {"when": when}
    return _done(request, slug, message)
