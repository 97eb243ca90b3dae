"""Step 7's registers: the issue log (问题跟踪表), the risk register, allocations and rollout milestones.

Siblings of the weekly progress list, inside step 7 of the workspace. Each
page is one section: with htmx an edit link, a save or a button swaps the
section in place (the step bar and score come along out of band); without
JavaScript the same links and forms work as pages and redirects.

Who writes: an issue or a risk, the initiator (and administrators) or the
liaison / head of a department the row names (the issue's raising or
owning department, the risk's owner), and the row must still name one of
their departments after the change; allocations, milestones and the
process fields, the initiator. A closed collaboration is read-only: the
access layer refuses every write.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from xietong.collabs.access import get_object_in, signed_in_person
from xietong.collabs.models import CollabType, Participant
from xietong.collabs.workspace import (
    Workspace,
    open_workspace,
    render_section,
    render_step,
    save_inline_row,
)
from xietong.lib.http import HtmxHttpRequest, pk_param
from xietong.meetings.models import Meeting
from xietong.orgs.models import Department
from xietong.orgs.roles import Action
from xietong.tracking.actions.registers import (
    AllocationRefused,
    allocation_state,
    do_close_risk,
    do_complete_milestone,
    do_delete_issue,
    do_mark_returned,
    do_save_allocation,
    do_save_issue,
    do_save_milestone,
    do_save_risk,
    do_set_process_fields,
    do_trigger_risk,
)
from xietong.tracking.boards import risk_level, risk_meetings
from xietong.tracking.forms.registers import (
    AllocationForm,
    IssueForm,
    MilestoneForm,
    ProcessForm,
    RiskForm,
)
from xietong.tracking.models import Allocation, IssueEntry, IssueStatus, Milestone, Risk, RiskStatus

STEP = 7
ISSUES, RISKS, RESOURCES = "#issues-section", "#risks-section", "#resources-section"

ISSUE_FILTERS = {
    "open": gettext_lazy("待处理"),
    "decided": gettext_lazy("已决策"),
    "closed": gettext_lazy("已关闭"),
    "overdue": gettext_lazy("已逾期"),
}
STATE_NAMES = {
    "lent": gettext_lazy("借用中"),
    "due_soon": gettext_lazy("即将到期"),
    "overdue": gettext_lazy("已逾期"),
    "returned": gettext_lazy("已归还"),
}
LEVEL_NAMES = {"low": gettext_lazy("低"), "medium": gettext_lazy("中"), "high": gettext_lazy("高")}


def participating(ws: Workspace) -> list[Department]:
    """The collaboration's participating departments, in their order (one query)."""
    rows = Participant.objects.filter(collaboration=ws.collab).select_related("department")
    return [p.department for p in rows]


def may_write_for(ws: Workspace, *department_ids: int | None) -> bool:
    """Whether the person may write a row naming these departments: the initiator, or one of theirs."""
    if ws.can(Action.EDIT_COLLABORATION):
        return True
    return any(ws.can(Action.EDIT_DEPARTMENT_ROWS, d) for d in department_ids if d is not None)


def answer_page(
    request: HtmxHttpRequest,
    ws: Workspace,
    *,
    page: str,
    section: str,
    target: str,
    title: str,
    context: dict[str, Any],
    wrote: bool,
) -> HttpResponse:
    """The page, or with htmx its section (after a write with the step bar out of band)."""
    if request.htmx:
        if wrote:
            return render_section(request, ws, section, target, STEP, **context)
        return render(request, section, {"ws": ws, "collab": ws.collab, "current": STEP, **context})
    return render_step(request, ws, page, STEP, title, **context)


def _form_again(form: forms.Form, pk: int | None, kind: str = "") -> dict[str, Any]:
    """Return the context that shows ``form`` again: as the add form, or as row ``pk`` being edited.

    The issue and risk sections name them ``add_form`` / ``editing`` + ``edit_form``;
    the resources section, holding two tables, prefixes them with ``kind``.
    """
    if not kind:
        return {"add_form": form} if pk is None else {"editing": pk, "edit_form": form}
    return {f"{kind}_add_form": form} if pk is None else {f"editing_{kind}": pk, f"{kind}_form": form}


def _saved(request: HtmxHttpRequest, url: str, message: str) -> HttpResponse | None:
    """Without htmx a write ends with a redirect and the message; with htmx None (the section answers)."""
    if request.htmx:
        return None
    messages.success(request, message)
    return redirect(url)


# --- the issue log (问题跟踪表)


class IssuesPage:
    """The issue log as shown (four queries beyond the workspace's, whatever its length)."""

    def __init__(self, ws: Workspace, status: str = "") -> None:
        self.ws = ws
        self.status = status if status in ISSUE_FILTERS else ""
        self.today: date = ws.ctx.today

    @cached_property
    def departments(self) -> list[Department]:
        return participating(self.ws)

    @cached_property
    def meetings(self) -> list[Meeting]:
        return list(
            Meeting.objects.filter(collaboration=self.ws.collab)
            .only("pk", "title", "scheduled_at", "collaboration_id")
            .order_by("scheduled_at", "pk")
        )

    @cached_property
    def issues(self) -> list[IssueEntry]:
        rows = IssueEntry.objects.filter(collaboration=self.ws.collab).select_related(
            "raised_by", "owner", "decided_in"
        )
        if self.status == "overdue":
            rows = rows.filter(due_date__lt=self.today).exclude(status=IssueStatus.CLOSED)
        elif self.status:
            rows = rows.filter(status=self.status)
        return list(rows)

    def overdue(self, issue: IssueEntry) -> bool:
        return (
            issue.due_date is not None and issue.due_date < self.today and issue.status != IssueStatus.CLOSED
        )

    def may_write(self, issue: IssueEntry) -> bool:
        return may_write_for(self.ws, issue.raised_by_id, issue.owner_id)

    @property
    def can_add(self) -> bool:
        return self.ws.can(Action.EDIT_COLLABORATION) or any(
            self.ws.can(Action.EDIT_DEPARTMENT_ROWS, d.pk) for d in self.departments
        )

    def form(self, data: Any = None, issue: IssueEntry | None = None) -> IssueForm:
        return IssueForm(
            data,
            initial=IssueForm.initial_for(issue) if issue is not None and data is None else None,
            departments=self.departments,
            meetings=self.meetings,
            auto_id=f"issue{issue.pk}_%s" if issue is not None else "issue_add_%s",
        )

    def rows(self) -> list[dict[str, Any]]:
        return [{"issue": i, "overdue": self.overdue(i), "may_write": self.may_write(i)} for i in self.issues]

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "rows": self.rows(),
            "filters": list(ISSUE_FILTERS.items()),
            "status": self.status,
            "can_delete": self.ws.can(Action.EDIT_COLLABORATION),
            "add_form": self.form() if self.can_add else None,
            "nav": "issues",
            **extra,
        }


def _issue_of(ws: Workspace, pk: int) -> IssueEntry:
    return get_object_in(
        ws.collab, IssueEntry.objects.select_related("collaboration", "raised_by", "owner"), pk
    )


def _issues_answer(request: HtmxHttpRequest, page: IssuesPage, *, wrote: bool, **extra: Any) -> HttpResponse:
    return answer_page(
        request,
        page.ws,
        page="tracking/issues.html",
        section="tracking/_issues_section.html",
        target=ISSUES,
        title=_("问题跟踪表"),
        context=page.context(**extra),
        wrote=wrote,
    )


@login_required
@require_http_methods(["GET", "POST"])
def issues(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug)
    page = IssuesPage(ws, request.GET.get("status", ""))
    if request.method == "POST":
        return _save_issue(request, page)
    edit = pk_param(request.GET.get("edit"))
    if edit is not None:
        issue = _issue_of(ws, edit)
        if not page.may_write(issue):
            raise PermissionDenied
        return _issues_answer(request, page, wrote=False, editing=edit, edit_form=page.form(issue=issue))
    return _issues_answer(request, page, wrote=False)


def _save_issue(request: HtmxHttpRequest, page: IssuesPage) -> HttpResponse:
    ws = page.ws
    pk = pk_param(request.POST.get("pk"))
    issue = _issue_of(ws, pk) if pk is not None else None
    if issue is not None and not page.may_write(issue):
        raise PermissionDenied
    if issue is None and not page.can_add:
        raise PermissionDenied
    form = page.form(request.POST, issue=issue)

    def save() -> IssueEntry:
        data = form.to_input()
        if not may_write_for(ws, getattr(data.raised_by, "pk", None), getattr(data.owner, "pk", None)):
            raise PermissionDenied  # the row would name none of the person's departments
        return do_save_issue(ws.collab, data, issue=issue, actor=signed_in_person(request))

    def saved(row: IssueEntry) -> HttpResponse:
        message = _("已保存问题:%(title)s") % {"title": row.title[:40]}
        url = reverse("tracking:issues", args=[ws.collab.slug]) + f"#issue-{row.pk}"
        done = _saved(request, url, message)
        if done is not None:
            return done
        return _issues_answer(
            request, IssuesPage(open_workspace(request, ws.collab.slug)), wrote=True, flash=message
        )

    return save_inline_row(
        request,
        ws,
        form,
        save,
        pk=pk,
        saved=saved,
        again=lambda form, pk: _issues_answer(request, page, wrote=False, **_form_again(form, pk)),
    )


@login_required
@require_POST
def issue_delete(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    issue = _issue_of(ws, pk)
    do_delete_issue(issue, actor=signed_in_person(request))
    message = _("已删除问题:%(title)s") % {"title": issue.title[:40]}
    done = _saved(request, reverse("tracking:issues", args=[slug]), message)
    if done is not None:
        return done
    return _issues_answer(request, IssuesPage(open_workspace(request, slug)), wrote=True, flash=message)


# --- the risk register


class RisksPage:
    """The risk register as shown (four queries beyond the workspace's, whatever its length)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    @cached_property
    def departments(self) -> list[Department]:
        return participating(self.ws)

    @cached_property
    def risks(self) -> list[Risk]:
        return list(Risk.objects.filter(collaboration=self.ws.collab).select_related("owner"))

    @cached_property
    def meetings(self) -> dict[int, int]:
        return risk_meetings(self.ws.collab, self.risks)

    def may_write(self, risk: Risk) -> bool:
        return may_write_for(self.ws, risk.owner_id)

    @property
    def can_add(self) -> bool:
        return self.ws.can(Action.EDIT_COLLABORATION) or any(
            self.ws.can(Action.EDIT_DEPARTMENT_ROWS, d.pk) for d in self.departments
        )

    def form(self, data: Any = None, risk: Risk | None = None) -> RiskForm:
        return RiskForm(
            data,
            initial=RiskForm.initial_for(risk) if risk is not None and data is None else None,
            departments=self.departments,
            auto_id=f"risk{risk.pk}_%s" if risk is not None else "risk_add_%s",
        )

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for risk in self.risks:
            score, level = risk_level(risk.probability, risk.impact)
            rows.append(
                {
                    "risk": risk,
                    "score": score,
                    "level": level,
                    "level_name": LEVEL_NAMES[level],
                    "meeting": self.meetings.get(risk.pk),
                    "may_write": self.may_write(risk),
                }
            )
        return rows

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "rows": self.rows(),
            "add_form": self.form() if self.can_add else None,
            "nav": "risks",
            **extra,
        }


def _risk_of(ws: Workspace, pk: int) -> Risk:
    return get_object_in(ws.collab, Risk.objects.select_related("collaboration", "owner"), pk)


def _risks_answer(request: HtmxHttpRequest, page: RisksPage, *, wrote: bool, **extra: Any) -> HttpResponse:
    return answer_page(
        request,
        page.ws,
        page="tracking/risks.html",
        section="tracking/_risks_section.html",
        target=RISKS,
        title=_("风险登记表"),
        context=page.context(**extra),
        wrote=wrote,
    )


@login_required
@require_http_methods(["GET", "POST"])
def risks(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug)
    page = RisksPage(ws)
    if request.method == "POST":
        return _save_risk(request, page)
    edit = pk_param(request.GET.get("edit"))
    if edit is not None:
        risk = _risk_of(ws, edit)
        if not page.may_write(risk):
            raise PermissionDenied
        return _risks_answer(request, page, wrote=False, editing=edit, edit_form=page.form(risk=risk))
    return _risks_answer(request, page, wrote=False)


def _save_risk(request: HtmxHttpRequest, page: RisksPage) -> HttpResponse:
    ws = page.ws
    pk = pk_param(request.POST.get("pk"))
    risk = _risk_of(ws, pk) if pk is not None else None
    if (risk is not None and not page.may_write(risk)) or (risk is None and not page.can_add):
        raise PermissionDenied
    form = page.form(request.POST, risk=risk)

    def save() -> Risk:
        data = form.to_input()
        if not may_write_for(ws, getattr(data.owner, "pk", None)):
            raise PermissionDenied
        return do_save_risk(ws.collab, data, risk=risk, actor=signed_in_person(request))

    def saved(row: Risk) -> HttpResponse:
        message = _("已保存风险:%(risk)s") % {"risk": row.description[:40]}
        url = reverse("tracking:risks", args=[ws.collab.slug]) + f"#risk-{row.pk}"
        done = _saved(request, url, message)
        if done is not None:
            return done
        return _risks_answer(
            request, RisksPage(open_workspace(request, ws.collab.slug)), wrote=True, flash=message
        )

    return save_inline_row(
        request,
        ws,
        form,
        save,
        pk=pk,
        saved=saved,
        again=lambda form, pk: _risks_answer(request, page, wrote=False, **_form_again(form, pk)),
    )


@login_required
@require_POST
def risk_trigger(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """触发: mark the risk triggered and call the ad-hoc risk meeting; link to it."""
    ws = open_workspace(request, slug)
    risk = _risk_of(ws, pk)
    if not may_write_for(ws, risk.owner_id):
        raise PermissionDenied
    try:
        meeting = do_trigger_risk(risk, ws.ctx.now, actor=signed_in_person(request))
    except ValueError:
        message, meeting_url = _("该风险已触发或已关闭。"), ""
    else:
        message = _("已触发风险并召集专项沟通会(%(when)s)") % {
            "when": f"{meeting.scheduled_at.astimezone(ws.ctx.tz):%Y-%m-%d %H:%M}"
            if meeting.scheduled_at
            else ""
        }
        meeting_url = reverse("meetings:meeting", args=[slug, meeting.pk])
    if not request.htmx:
        messages.success(request, message)
        return redirect(meeting_url or reverse("tracking:risks", args=[slug]) + f"#risk-{risk.pk}")
    page = RisksPage(open_workspace(request, slug))
    return _risks_answer(request, page, wrote=True, flash=message, flash_url=meeting_url)


@login_required
@require_POST
def risk_close(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    ws = open_workspace(request, slug)
    risk = _risk_of(ws, pk)
    if not may_write_for(ws, risk.owner_id):
        raise PermissionDenied
    if risk.status != RiskStatus.CLOSED:
        do_close_risk(risk, actor=signed_in_person(request))
    message = _("已关闭风险:%(risk)s") % {"risk": risk.description[:40]}
    done = _saved(request, reverse("tracking:risks", args=[slug]) + f"#risk-{risk.pk}", message)
    if done is not None:
        return done
    return _risks_answer(request, RisksPage(open_workspace(request, slug)), wrote=True, flash=message)


# --- allocations (资源协调型) and the rollout timetable (流程优化型)


class ResourcesPage:
    """Allocations, or the process fields and milestones, by the collaboration's type (initiator writes)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.today: date = ws.ctx.today
        self.can_edit = ws.can(Action.EDIT_COLLABORATION)
        self.kind = ws.collab.type

    @property
    def allocations_apply(self) -> bool:
        return self.kind == CollabType.RESOURCE_COORDINATION

    @property
    def rollout_applies(self) -> bool:
        return self.kind == CollabType.PROCESS_OPTIMIZATION

    @cached_property
    def departments(self) -> list[Department]:
        return participating(self.ws)

    @cached_property
    def allocations(self) -> list[Allocation]:
        if not self.allocations_apply:
            return []
        return list(
            Allocation.objects.filter(collaboration=self.ws.collab).select_related(
                "from_department", "to_department"
            )
        )

    @cached_property
    def milestones(self) -> list[Milestone]:
        if not self.rollout_applies:
            return []
        return list(Milestone.objects.filter(collaboration=self.ws.collab))

    def allocation_rows(self) -> list[dict[str, Any]]:
        rows = []
        for a in self.allocations:
            state = allocation_state(a, self.today)
            rows.append({"allocation": a, "state": state, "state_name": STATE_NAMES[state]})
        return rows

    def milestone_rows(self) -> list[dict[str, Any]]:
        tz = self.ws.ctx.tz
        rows = []
        for m in self.milestones:
            done_day = m.done_at.astimezone(tz).date() if m.done_at else None
            late = done_day > m.due_date if done_day is not None else self.today > m.due_date
            rows.append({"milestone": m, "done_day": done_day, "late": late})
        return rows

    def allocation_form(self, data: Any = None, allocation: Allocation | None = None) -> AllocationForm:
        return AllocationForm(
            data,
            initial=AllocationForm.initial_for(allocation)
            if allocation is not None and data is None
            else None,
            departments=self.departments,
            auto_id=f"allocation{allocation.pk}_%s" if allocation is not None else "allocation_add_%s",
        )

    def milestone_form(self, data: Any = None, milestone: Milestone | None = None) -> MilestoneForm:
        initial = (
            {"name": milestone.name, "due_date": milestone.due_date} if milestone and data is None else None
        )
        return MilestoneForm(
            data, initial=initial, auto_id=f"milestone{milestone.pk}_%s" if milestone else "milestone_add_%s"
        )

    def process_form(self, data: Any = None) -> ProcessForm:
        collab = self.ws.collab
        return ProcessForm(
            data,
            initial={
                "process_owner": collab.process_owner_id,
                "optimisation_target": collab.optimisation_target,
            },
            departments=self.departments,
            auto_id="process_%s",
        )

    def context(self, **extra: Any) -> dict[str, Any]:
        collab = self.ws.collab
        process_owner = next((d for d in self.departments if d.pk == collab.process_owner_id), None)
        if process_owner is None and collab.process_owner_id is not None:
            process_owner = Department.objects.filter(pk=collab.process_owner_id).first()
        return {
            "allocations_apply": self.allocations_apply,
            "rollout_applies": self.rollout_applies,
            "allocation_rows": self.allocation_rows(),
            "milestone_rows": self.milestone_rows(),
            "process_owner": process_owner,
            "can_edit": self.can_edit,
            "allocation_add_form": self.allocation_form()
            if self.can_edit and self.allocations_apply
            else None,
            "milestone_add_form": self.milestone_form() if self.can_edit and self.rollout_applies else None,
            "process_form": self.process_form() if self.can_edit and self.rollout_applies else None,
            "nav": "resources",
            **extra,
        }


def _resources_answer(
    request: HtmxHttpRequest, page: ResourcesPage, *, wrote: bool, **extra: Any
) -> HttpResponse:
    return answer_page(
        request,
        page.ws,
        page="tracking/resources.html",
        section="tracking/_resources_section.html",
        target=RESOURCES,
        title=_("资源与推行计划"),
        context=page.context(**extra),
        wrote=wrote,
    )


def _resources_saved(request: HtmxHttpRequest, slug: str, anchor: str, message: str) -> HttpResponse:
    done = _saved(request, reverse("tracking:resources", args=[slug]) + anchor, message)
    if done is not None:
        return done
    return _resources_answer(request, ResourcesPage(open_workspace(request, slug)), wrote=True, flash=message)


def _allocation_of(ws: Workspace, pk: int) -> Allocation:
    return get_object_in(ws.collab, Allocation.objects.select_related("collaboration"), pk)


def _milestone_of(ws: Workspace, pk: int) -> Milestone:
    return get_object_in(ws.collab, Milestone.objects.select_related("collaboration"), pk)


@login_required
@require_http_methods(["GET"])
def resources(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug)
    page = ResourcesPage(ws)
    edit_allocation = pk_param(request.GET.get("allocation"))
    edit_milestone = pk_param(request.GET.get("milestone"))
    extra: dict[str, Any] = {}
    if edit_allocation is not None or edit_milestone is not None:
        if not page.can_edit:
            raise PermissionDenied
        if edit_allocation is not None:
            allocation = _allocation_of(ws, edit_allocation)
            extra.update(
                editing_allocation=allocation.pk, allocation_form=page.allocation_form(allocation=allocation)
            )
        if edit_milestone is not None:
            milestone = _milestone_of(ws, edit_milestone)
            extra.update(
                editing_milestone=milestone.pk, milestone_form=page.milestone_form(milestone=milestone)
            )
    return _resources_answer(request, page, wrote=False, **extra)


@login_required
@require_POST
def allocation_save(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    page = ResourcesPage(ws)
    if not page.allocations_apply:
        raise Http404
    pk = pk_param(request.POST.get("pk"))
    allocation = _allocation_of(ws, pk) if pk is not None else None
    form = page.allocation_form(request.POST, allocation=allocation)

    def saved(row: Allocation) -> HttpResponse:
        message = _("已保存资源分配:%(resource)s") % {"resource": row.resource}
        return _resources_saved(request, slug, f"#allocation-{row.pk}", message)

    return save_inline_row(
        request,
        ws,
        form,
        lambda: _save_allocation(request, ws, form, allocation),
        pk=pk,
        saved=saved,
        again=lambda form, pk: _resources_answer(
            request, page, wrote=False, **_form_again(form, pk, "allocation")
        ),
    )


def _save_allocation(
    request: HtmxHttpRequest, ws: Workspace, form: AllocationForm, allocation: Allocation | None
) -> Allocation | None:
    """Return the saved allocation, or None with the action's refusal on the form's field at fault."""
    try:
        data = form.to_input()
    except AllocationRefused as refused:
        form.add_error(refused.field, refused.message)
        return None
    return do_save_allocation(ws.collab, data, allocation=allocation, actor=signed_in_person(request))


@login_required
@require_POST
def allocation_returned(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """已归还 (or, with ``undo``, not returned after all)."""
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    allocation = _allocation_of(ws, pk)
    undo = request.POST.get("undo") == "1"
    do_mark_returned(allocation, None if undo else ws.ctx.now, actor=signed_in_person(request))
    message = (_("已撤销归还:%(resource)s") if undo else _("已归还:%(resource)s")) % {
        "resource": allocation.resource
    }
    return _resources_saved(request, slug, f"#allocation-{pk}", message)


@login_required
@require_POST
def milestone_save(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    page = ResourcesPage(ws)
    if not page.rollout_applies:
        raise Http404
    pk = pk_param(request.POST.get("pk"))
    milestone = _milestone_of(ws, pk) if pk is not None else None
    form = page.milestone_form(request.POST, milestone=milestone)

    def saved(row: Milestone) -> HttpResponse:
        message = _("已保存里程碑:%(name)s") % {"name": row.name}
        return _resources_saved(request, slug, f"#milestone-{row.pk}", message)

    return save_inline_row(
        request,
        ws,
        form,
        lambda: do_save_milestone(
            ws.collab,
            form.cleaned_data["name"],
            form.cleaned_data["due_date"],
            milestone=milestone,
            actor=signed_in_person(request),
        ),
        pk=pk,
        saved=saved,
        again=lambda form, pk: _resources_answer(
            request, page, wrote=False, **_form_again(form, pk, "milestone")
        ),
    )


@login_required
@require_POST
def milestone_done(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    milestone = _milestone_of(ws, pk)
    undo = request.POST.get("undo") == "1"
    do_complete_milestone(milestone, None if undo else ws.ctx.now, actor=signed_in_person(request))
    message = (_("已撤销完成:%(name)s") if undo else _("已完成里程碑:%(name)s")) % {"name": milestone.name}
    return _resources_saved(request, slug, f"#milestone-{pk}", message)


@login_required
@require_POST
def process_save(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    page = ResourcesPage(ws)
    if not page.rollout_applies:
        raise Http404
    form = page.process_form(request.POST)
    if form.is_valid():
        do_set_process_fields(
            ws.collab,
            form.department("process_owner"),
            form.cleaned_data["optimisation_target"],
            actor=signed_in_person(request),
        )
        return _resources_saved(request, slug, "#process", _("已保存流程归属部门与优化目标"))
    return _resources_answer(request, page, wrote=False, process_form=form)
