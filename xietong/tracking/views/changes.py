"""Change requests (变更申请) of step 7's 动态调整: the list, filing one, approving or rejecting.

Everyone who sees the collaboration reads the list. A request is filed by
whoever may edit the row (``EDIT_DEPARTMENT_ROWS`` for its department; the
goal and its metrics: ``EDIT_COLLABORATION``). The initiator approves every
request (``APPROVE_CHANGE`` anywhere); when a department's duties change,
the head of that department approves too (``APPROVE_CHANGE`` for it, held
by its head only). An applied request links to the row's change history.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xietong.collabs.access import get_object_in, get_part_of, signed_in_person
from xietong.collabs.models import Metric, Participant, SubGoal, Task
from xietong.collabs.workspace import Workspace, open_workspace, render_section, render_step
from xietong.lib.http import HtmxHttpRequest
from xietong.orgs.roles import Action, Role
from xietong.rules import snapshot as s
from xietong.tracking.actions.changes import (
    Approver,
    Target,
    approvals_needed,
    do_decide_change,
    do_request_change,
)
from xietong.tracking.actions.closing import CollaborationClosed
from xietong.tracking.forms.changes import ChangeRequestForm, DecisionForm, TargetChoice
from xietong.tracking.models import ChangeRequest, ChangeStatus

SECTION = "#changes-section"
CURRENT = "changes"


def decisions_for(ws: Workspace, request: ChangeRequest) -> list[Approver]:
    """Return the approvals the signed-in person may give on ``request`` now (no query)."""
    if request.status != ChangeStatus.PENDING:
        return []
    needed = approvals_needed(request)
    mine = []
    if Approver.INITIATOR in needed and ws.can(Action.APPROVE_CHANGE):
        mine.append(Approver.INITIATOR)
    department = request.head_department_id
    if (
        Approver.HEAD in needed
        and department is not None
        and ws.can(Action.APPROVE_CHANGE, department)
        and Role.HEAD in ws.access.department_roles.get(department, frozenset())
    ):
        mine.append(Approver.HEAD)
    return mine


def _label(kind: str, text: str, number: int | None = None) -> str:
    names = {"task": _("任务"), "subgoal": _("子目标"), "metric": _("指标")}
    prefix = f"{names[kind]} {number}" if number is not None else names[kind]
    return f"{prefix}:{text[:60] or '—'}"


def targets_for(ws: Workspace) -> list[TargetChoice]:
    """The rows the signed-in person may ask to change, from the snapshot."""
    snap = ws.snapshot
    # The snapshot's keys are participants'; the access layer asks for departments' ids (one query).
    department_ids = dict(
        Participant.objects.filter(collaboration=ws.collab).values_list("department__name", "department_id")
    )
    may_all = ws.can(Action.EDIT_COLLABORATION)

    def may(name: str) -> bool:
        return may_all or ws.can(Action.EDIT_DEPARTMENT_ROWS, department_ids.get(name))

    found = []
    for i, task in enumerate(snap.tasks):
        if task.key is not None and may(task.departments[0] if len(task.departments) == 1 else ""):
            found.append(TargetChoice(f"task:{task.key}", _label("task", task.description, i + 1), "task"))
    for i, sub in enumerate(snap.subgoals):
        if sub.key is not None and may(sub.department):
            fixed = sub.time_limit is not None and sub.time_limit.kind == s.DeadlineKind.FIXED
            found.append(
                TargetChoice(
                    f"subgoal:{sub.key}", _label("subgoal", sub.description, i + 1), "subgoal", fixed
                )
            )
    if may_all and snap.goal is not None:
        for metric in snap.goal.metrics:
            if metric.key is not None:
                found.append(TargetChoice(f"metric:{metric.key}", _label("metric", metric.name), "metric"))
        found.append(TargetChoice("goal", _("核心目标的截止日期"), "goal"))
    return found


def history_link(slug: str, request: ChangeRequest) -> str:
    """The change history of the row an applied request changed."""
    if request.task_id is not None:
        key = f"collabs.task:{request.task_id}"
    elif request.subgoal_id is not None:
        key = f"collabs.subgoal:{request.subgoal_id}"
    elif request.metric_id is not None:
        key = f"collabs.metric:{request.metric_id}"
    else:
        key = "collabs.goal:"
    return f"{reverse('collabs:history', args=[slug])}?object={key}"


class ChangesPage:
    """The requests, pending first (one query), and the filing form."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.targets = targets_for(ws)
        self.departments = [d.name for d in ws.snapshot.departments]

    def requests(self) -> list[ChangeRequest]:
        return list(
            ChangeRequest.objects.filter(collaboration=self.ws.collab)
            .select_related(
                "task",
                "subgoal",
                "metric",
                "requested_by",
                "initiator_decided_by",
                "head_decided_by",
                "head_department",
            )
            .annotate(
                pending_first=Case(
                    When(status=ChangeStatus.PENDING, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("pending_first", "-requested_at", "-id")
        )

    def form(self, data: Any = None) -> ChangeRequestForm | None:
        if not self.targets:
            return None
        return ChangeRequestForm(data, targets=self.targets, departments=self.departments)

    def context(self, **extra: Any) -> dict[str, Any]:
        slug = self.ws.collab.slug
        items: list[dict[str, Any]] = []
        for r in self.requests():
            needed = approvals_needed(r) if r.status == ChangeStatus.PENDING else set()
            items.append(
                {
                    "request": r,
                    "object": _object_label(r),
                    "needs_initiator": Approver.INITIATOR in needed,
                    "needs_head": Approver.HEAD in needed,
                    "mine": decisions_for(self.ws, r),
                    "history": history_link(slug, r) if r.status == ChangeStatus.APPROVED else "",
                }
            )
        context: dict[str, Any] = {
            "items": items,
            "pending": sum(1 for i in items if i["request"].status == ChangeStatus.PENDING),
            "can_view_history": self.ws.can_view_audit,
            **extra,
        }
        context.setdefault("change_form", self.form())
        return context


def _object_label(r: ChangeRequest) -> str:
    if r.task is not None:
        return _label("task", r.task.description)
    if r.subgoal is not None:
        return _label("subgoal", r.subgoal.description)
    if r.metric is not None:
        return _label("metric", r.metric.name)
    return _("核心目标的截止日期")


def _page(request: HtmxHttpRequest, page: ChangesPage, **extra: Any) -> HttpResponse:
    return render_step(
        request, page.ws, "tracking/changes.html", CURRENT, _("变更申请"), **page.context(**extra)
    )


def _answer(request: HtmxHttpRequest, slug: str, anchor: str, message: str) -> HttpResponse:
    if request.htmx:
        page = ChangesPage(open_workspace(request, slug))
        return render_section(
            request, page.ws, "tracking/_changes_section.html", SECTION, 7, **page.context(flash=message)
        )
    messages.success(request, message)
    return redirect(reverse("tracking:changes", args=[slug]) + anchor)


def _invalid(request: HtmxHttpRequest, page: ChangesPage, **extra: Any) -> HttpResponse:
    if request.htmx:
        return render_section(
            request, page.ws, "tracking/_changes_section.html", SECTION, 7, **page.context(**extra)
        )
    return _page(request, page, **extra)


def _target(ws: Workspace, choice: TargetChoice) -> Target:
    kind, _sep, raw = choice.key.partition(":")
    collab = ws.collab
    if kind == "task":
        return Target(task=get_object_in(collab, Task.objects.select_related("department"), int(raw)))
    if kind == "subgoal":
        return Target(subgoal=get_object_in(collab, SubGoal.objects.select_related("department"), int(raw)))
    if kind == "metric":
        return Target(metric=get_part_of(collab, "goal__collaboration", Metric.objects.all(), int(raw)))
    return Target()


@login_required
@require_http_methods(["GET", "POST"])
def changes(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The list (GET), or file a request (POST) for a row the person may edit."""
    ws = open_workspace(request, slug)
    page = ChangesPage(ws)
    if request.method == "GET":
        return _page(request, page)
    form = page.form(request.POST)
    if form is None:  # nothing this person may edit (a viewer; anyone once closed)
        raise PermissionDenied
    if not form.is_valid():
        return _invalid(request, page, change_form=form)
    data = form.cleaned_data
    try:
        filed = do_request_change(
            ws.collab,
            data["field"],
            _target(ws, form.target_choice),
            data["new_value"],
            data["reason"],
            timezone.now(),
            actor=signed_in_person(request),
        )
    except CollaborationClosed:
        raise PermissionDenied from None
    except ValueError:
        form.add_error(None, _("无法提交这项变更申请,请检查变更对象与新值"))
        return _invalid(request, page, change_form=form)
    return _answer(request, slug, f"#change-{filed.pk}", _("已提交变更申请,等待审批"))


@login_required
@require_POST
def decide(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Approve or reject a pending request as the initiator or as the head of the department concerned."""
    ws = open_workspace(request, slug)
    change = get_object_in(ws.collab, ChangeRequest.objects.all(), pk)
    form = DecisionForm(request.POST, prefix=f"decide{pk}")
    if not form.is_valid():
        if not decisions_for(ws, change):
            raise PermissionDenied
        return _invalid(request, ChangesPage(ws), decide_form=form, decide_pk=pk)
    approver = Approver(form.cleaned_data["approver"])
    if approver not in decisions_for(ws, change):
        raise PermissionDenied
    approve = form.cleaned_data["decision"] == "approve"
    try:
        decided = do_decide_change(
            change,
            approver,
            approve,
            timezone.now(),
            comment=form.cleaned_data["comment"],
            actor=signed_in_person(request),
        )
    except CollaborationClosed:
        raise PermissionDenied from None
    except ValueError:
        form.add_error(None, _("这项申请已经处理过了"))
        return _invalid(request, ChangesPage(ws), decide_form=form, decide_pk=pk)
    if decided.status == ChangeStatus.APPROVED:
        message = _("已批准并生效")
    elif decided.status == ChangeStatus.REJECTED:
        message = _("已驳回变更申请")
    else:
        message = _("已批准,等待其他审批")
    return _answer(request, slug, f"#change-{pk}", message)
