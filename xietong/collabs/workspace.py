"""What every page of a collaboration's workspace shows: the step bar and the findings.

``open_workspace`` fetches the collaboration through the access layer; its
snapshot (ten queries, whatever its size) is read and judged once, when a
part of the page first needs it. Pages render their own step inside
``collabs/workspace.html``, whose frame (step bar, header) is cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_htmx.http import reswap, retarget

from xietong.collabs.access import Access, get_collaboration_for_user
from xietong.collabs.actions.common import STALE_EDIT, VersionConflict, check_version
from xietong.collabs.judged import minute, phase_of, report_of, snapshot_of, version_key
from xietong.collabs.models import Collaboration, CollabType, Phase
from xietong.lib.http import HtmxHttpRequest, pk_param
from xietong.orgs.roles import Action
from xietong.rules import snapshot as s
from xietong.rules.clock import context_for
from xietong.rules.engine import Context, Finding, Report, Severity
from xietong.rules.steps import STEPS, Step, has_content, step_of

# The page of each step: (url name, takes the slug).
STEP_PAGES = {
    1: "collabs:goal",
    2: "collabs:departments",
    3: "meetings:kickoff",
    4: "collabs:table",
    5: "collabs:subgoals",
    6: "meetings:communication",
    7: "tracking:tracking",
    8: "tracking:closing",
}

# Step 7's own pages: the weekly list and the registers. The workspace navigation shows them on
# every page (not only as step 7's tabs). The resources page holds the allocations of a
# resource-coordination collaboration (资源协调型) and the rollout plan of a process-optimisation
# one (流程优化型): the other types have nothing there, so their navigation leaves it out.
RESOURCE_PAGE_TYPES = frozenset({CollabType.RESOURCE_COORDINATION, CollabType.PROCESS_OPTIMIZATION})
TRACKING_PAGES = (
    ("tracking", "tracking:tracking", _("周进度清单")),
    ("issues", "tracking:issues", _("问题跟踪表")),
    ("risks", "tracking:risks", _("风险登记表")),
    ("sla", "tracking:sla", _("时限与周期任务")),
    ("resources", "tracking:resources", _("资源与推行计划")),
)


@dataclass(frozen=True)
class SubPage:
    key: str
    label: str | Promise
    url: str


def tracking_pages(collab: Collaboration) -> list[SubPage]:
    """Return step 7's pages for ``collab``'s navigation: the resources page only for the types it serves."""
    return [
        SubPage(key, label, reverse(name, args=[collab.slug]))
        for key, name, label in TRACKING_PAGES
        if key != "resources" or collab.type in RESOURCE_PAGE_TYPES
    ]


@dataclass(frozen=True)
class StepState:
    step: Step
    findings: tuple[Finding, ...]
    has_content: bool
    url: str

    @property
    def status(self) -> str:
        """ "blocked" (errors), "attention" (warnings), "done", or "todo" (nothing there yet)."""
        if any(f.severity == Severity.ERROR for f in self.findings):
            return "blocked"
        if any(f.severity == Severity.WARNING for f in self.findings):
            return "attention"
        return "done" if self.has_content else "todo"


@dataclass(frozen=True)
class Workspace:
    """One collaboration as one viewer sees it at one moment.

    The snapshot and the rule report are read on first use: a page whose
    parts are all cached (the frame, the rows) never unpickles them.
    """

    collab: Collaboration
    access: Access
    ctx: Context

    @cached_property
    def snapshot(self) -> s.Collab:
        return snapshot_of(self.collab)

    @cached_property
    def report(self) -> Report:
        return report_of(self.collab, self.snapshot, self.ctx)

    @cached_property
    def steps(self) -> list[StepState]:
        content = has_content(self.snapshot)
        grouped: dict[int, list[Finding]] = {step.number: [] for step in STEPS}
        for finding in self.report.findings:
            grouped[step_of(finding.rule).number].append(finding)
        return [
            StepState(
                step,
                tuple(grouped[step.number]),
                content[step.number],
                reverse(STEP_PAGES[step.number], args=[self.collab.slug]),
            )
            for step in STEPS
        ]

    @cached_property
    def tracking_pages(self) -> list[SubPage]:
        """Step 7's pages (weekly list, issues, risks, SLA and, for its types, resources)."""
        return tracking_pages(self.collab)

    @cached_property
    def phase(self) -> Phase:
        """The phase (阶段) the collaboration is in: the step it is at (``rules.steps.current_step``)."""
        return phase_of(self.snapshot, self.ctx)

    def findings_of_step(self, number: int) -> list[Finding]:
        return [f for f in self.report.findings if step_of(f.rule).number == number]

    @cached_property
    def _findings_by_step_object(self) -> dict[int, dict[str, list[Finding]]]:
        grouped: dict[int, dict[str, list[Finding]]] = {step.number: {} for step in STEPS}
        for finding in self.report.findings:
            grouped[step_of(finding.rule).number].setdefault(finding.object, []).append(finding)
        return grouped

    def findings_by_object(self, number: int) -> dict[str, list[Finding]]:
        """Return the step's findings grouped by the object path they point at (grouped once per request)."""
        return self._findings_by_step_object[number]

    @cached_property
    def fragment_key(self) -> str:
        """What a cached part of a page depends on: the version, the minute, the viewer's roles, the language.

        Parts branch on what the viewer may do (``ws.can``), never on who the
        viewer is, so people holding the same roles share them.
        """
        roles = ",".join(sorted(self.access.roles))
        by_department = ";".join(
            f"{pk}={','.join(sorted(held))}" for pk, held in sorted(self.access.department_roles.items())
        )
        viewer = f"{roles}:{by_department}:{int(self.access.closed)}"
        # Hashed: someone with roles in many departments would make a long key.
        digest = hashlib.sha256(viewer.encode()).hexdigest()[:32]
        return f"{version_key(self.collab)}:{minute(self.ctx)}:{get_language()}:{digest}"

    @property
    def can_view_audit(self) -> bool:
        return self.access.can(Action.VIEW_AUDIT)

    def can(self, action: Action, department_id: int | None = None) -> bool:
        return self.access.can(action, department_id)


_Saved = TypeVar("_Saved")


def save_unless_stale(
    request: HttpRequest, ws: Workspace, form: forms.Form, save: Callable[[], _Saved], *, editing: bool = True
) -> _Saved | None:
    """Run ``save`` in a transaction unless the collaboration moved past the form's ``version``.

    The row forms carry the collaboration's version they were drawn at; an
    edit (``editing``) saved over a newer one writes nothing, puts the
    stale-edit message on ``form`` and returns None. The form then shows the
    current version: saving again after reading the message is a decision.
    A new row has nothing to overwrite and is not checked.
    """
    try:
        with transaction.atomic():
            if editing:
                check_version(ws.collab, pk_param(request.POST.get("version")))
            return save()
    except VersionConflict:
        form.add_error(None, STALE_EDIT)
        return None


def save_inline_row(
    request: HttpRequest,
    ws: Workspace,
    form: forms.Form,
    save: Callable[[], _Saved | None],
    *,
    pk: int | None,
    saved: Callable[[_Saved], HttpResponse],
    again: Callable[[forms.Form, int | None], HttpResponse],
) -> HttpResponse:
    """Save the form of a row edited in place (row ``pk``; None: the add form) and return the answer.

    A valid form is saved by ``save`` unless the row went stale
    (``save_unless_stale``), and the answer is ``saved(row)``; ``save`` may
    return None after putting an action's refusal on the form. Otherwise
    ``again(form, pk)`` shows the form again, with its errors.
    """
    if form.is_valid():
        row = save_unless_stale(request, ws, form, save, editing=pk is not None)
        if row is not None:
            return saved(row)
    return again(form, pk)


def inline_form_again(
    request: HtmxHttpRequest,
    collab: Collaboration,
    *,
    add_template: str,
    row_template: str,
    page: Callable[..., HttpResponse],
) -> Callable[[forms.Form, int | None], HttpResponse]:
    """Return the ``again`` of ``save_inline_row`` for a table of rows edited in place.

    With htmx, the add form (``add_template``) or the row's form
    (``row_template``) alone; without, the whole ``page`` with the form open:
    ``page(add_form=form)`` or ``page(editing=pk, edit_form=form)``. Either
    way the form keeps what was typed, with its errors.
    """

    def again(form: forms.Form, pk: int | None) -> HttpResponse:
        if request.htmx:
            if pk is None:
                return render(request, add_template, {"collab": collab, "add_form": form})
            return render(request, row_template, {"collab": collab, "form": form, "pk": pk})
        if pk is None:
            return page(add_form=form)
        return page(editing=pk, edit_form=form)

    return again


def open_workspace(request: HttpRequest, slug: str, action: Action = Action.VIEW) -> Workspace:
    """Return the workspace of ``slug`` for the signed-in person, or raise 404 / 403.

    A request that may write (POST …) judges the collaboration as it was
    before its own write, as it always did: its snapshot and report are read
    here. A page (GET, HEAD) reads them only if a part it renders needs them.
    """
    collab, access = get_collaboration_for_user(request.user, slug, action)
    ws = Workspace(collab, access, context_for())
    if request.method not in ("GET", "HEAD"):
        ws.report  # noqa: B018  (read now: the snapshot with it)
    return ws


def render_step(
    request: HttpRequest, ws: Workspace, template: str, current: int | str, title: str | Promise, **extra: Any
) -> HttpResponse:
    """Render one page of the workspace; ``current`` is its step number or page name.

    The frame (step bar, header, navigation) is cached per ``current`` under
    the page's fragment key: it shows only the collaboration, its report and
    what the viewer's roles allow.
    """
    context = {"ws": ws, "collab": ws.collab, "current": current, "page_title": title, **extra}
    context.setdefault("frame_key", "" if extra.get("oob") else f"{ws.fragment_key}:{current}")
    return render(request, template, context)


def render_section(
    request: HttpRequest, ws: Workspace, template: str, section: str, current: int, **context: Any
) -> HttpResponse:
    """Answer an htmx write with the re-judged section (swapped over ``section``, a CSS id).

    The step bar and score come along out of band, so the page never shows a
    stale score after a change.
    """
    response = render(
        request, template, {"ws": ws, "collab": ws.collab, "current": current, "oob": True, **context}
    )
    return reswap(retarget(response, section), "outerHTML")
