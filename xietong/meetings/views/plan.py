"""Pages of steps 3 (the kickoff meeting) and 6 (the communication plan).

Both are read by everyone who sees the collaboration and changed by the
initiator or an administrator (``Action.EDIT_COLLABORATION``). The plan page
works like step 5's: one URL for the page, the edit row (``?edit=<pk>``), the
display row (``?row=<pk>``) and the save; fragments for htmx, redirects
without JavaScript.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xietong.collabs.access import signed_in_person
from xietong.collabs.actions.common import STALE_EDIT, VersionConflict, check_version
from xietong.collabs.workspace import Workspace, open_workspace, render_section, render_step
from xietong.lib.http import HtmxHttpRequest, pk_param
from xietong.lib.recurrence import describe, from_rrule, next_occurrences
from xietong.meetings.actions.plan import do_delete_communication_rule, do_save_communication_rule
from xietong.meetings.forms import CommunicationRuleForm
from xietong.meetings.models import CommunicationRule
from xietong.orgs.roles import Action
from xietong.rules import snapshot as s
from xietong.rules.comms import CHANNEL_NAMES, SCENARIO_NAMES
from xietong.rules.engine import Finding, lazy_join
from xietong.rules.steps import STEPS

KICKOFF_STEP, PLAN_STEP = 3, 6
PLAN_SECTION = "#plan-section"


# --- step 6: the communication plan


def frequency_text(rule: s.CommunicationRule) -> str:
    """Return a rule's frequency as people say it: 实时, 按需, 每周一 10:00."""
    if rule.frequency == s.FrequencyKind.REALTIME:
        return _("实时")
    if rule.frequency == s.FrequencyKind.ON_DEMAND:
        return _("按需")
    if rule.frequency == s.FrequencyKind.RRULE:
        return describe(rule.rrule, before=False)
    return "—"


def _next_meeting(rule: s.CommunicationRule, now: datetime) -> str:
    """Return when a regular rule next happens (picker rules only, which always occur), else ""."""
    if rule.frequency != s.FrequencyKind.RRULE:
        return ""
    rec = from_rrule(rule.rrule)
    if rec is None:
        return ""
    upcoming = next_occurrences(rule.rrule, now, 1)
    if not upcoming:
        return ""
    return upcoming[0].strftime("%Y-%m-%d %H:%M" if rec.hour is not None else "%Y-%m-%d")


@dataclass(frozen=True)
class PlanRow:
    pk: int
    number: int
    rule: s.CommunicationRule
    scenario: str
    channel: str
    frequency: str
    next_time: str
    outputs: str
    findings: list[Finding]


class PlanPage:
    """The communication plan as shown, with who may change it; no queries beyond the workspace's."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.can_edit = ws.can(Action.EDIT_COLLABORATION)

    def rows(self) -> list[PlanRow]:
        by_object: dict[str, list[Finding]] = defaultdict(list)
        for finding in self.ws.report.findings:
            by_object[finding.object].append(finding)
        now = self.ws.ctx.now.astimezone(self.ws.ctx.tz)
        rows = []
        for i, rule in enumerate(self.ws.snapshot.communication):
            assert rule.key is not None
            rows.append(
                PlanRow(
                    pk=rule.key,
                    number=i + 1,
                    rule=rule,
                    scenario=str(SCENARIO_NAMES[rule.scenario]) if rule.scenario else "—",
                    channel=str(CHANNEL_NAMES[rule.channel]) if rule.channel else "—",
                    frequency=frequency_text(rule),
                    next_time=_next_meeting(rule, now),
                    outputs=str(lazy_join(rule.outputs)),
                    findings=by_object[f"communication[{i}]"],
                )
            )
        return rows

    @staticmethod
    def form(data: Any = None, *, rule: CommunicationRule | None = None) -> CommunicationRuleForm:
        return CommunicationRuleForm(
            data,
            initial=CommunicationRuleForm.initial_for(rule) if rule is not None else None,
            auto_id=f"edit{rule.pk}_%s" if rule is not None else "add_%s",
        )

    def context(self, **extra: Any) -> dict[str, Any]:
        """Return what the step's section shows (render_step adds ``ws`` and ``collab``)."""
        return {
            "rows": self.rows(),
            # C01 / C02: the plan as a whole (no plan, a standard scenario uncovered)
            "plan_findings": [f for f in self.ws.findings_of_step(PLAN_STEP) if f.object == "communication"],
            "can_edit": self.can_edit,
            "add_form": self.form() if self.can_edit else None,
            **extra,
        }


def _plan_page(request: HtmxHttpRequest, page: PlanPage, **extra: Any) -> HttpResponse:
    title = STEPS[PLAN_STEP - 1].name
    return render_step(
        request, page.ws, "meetings/communication.html", PLAN_STEP, title, **page.context(**extra)
    )


def _rule_of(ws: Workspace, pk: int) -> CommunicationRule:
    """Return a rule of the collaboration fetched through the access layer, or raise 404."""
    rule = (
        CommunicationRule.objects.filter(collaboration=ws.collab, pk=pk)
        .select_related("collaboration")
        .first()
    )
    if rule is None:
        raise Http404
    return rule


def _plan_saved(request: HtmxHttpRequest, slug: str, anchor: str, message: str) -> HttpResponse:
    if request.htmx:
        page = PlanPage(open_workspace(request, slug))
        return render_section(
            request,
            page.ws,
            "meetings/_plan_section.html",
            PLAN_SECTION,
            PLAN_STEP,
            **page.context(flash=message),
        )
    messages.success(request, message)
    return redirect(reverse("meetings:communication", args=[slug]) + anchor)


@login_required
@require_http_methods(["GET", "POST"])
def communication(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    if request.method == "POST":
        return _save_rule(request, PlanPage(open_workspace(request, slug, Action.EDIT_COLLABORATION)))
    edit = pk_param(request.GET.get("edit"))
    if edit is not None:
        page = PlanPage(open_workspace(request, slug, Action.EDIT_COLLABORATION))
        form = page.form(rule=_rule_of(page.ws, edit))
        if request.htmx:
            return render(
                request, "meetings/_plan_form_row.html", {"collab": page.ws.collab, "form": form, "pk": edit}
            )
        return _plan_page(request, page, editing=edit, edit_form=form)
    page = PlanPage(open_workspace(request, slug))
    shown = pk_param(request.GET.get("row"))
    if shown is not None and request.htmx:
        row = next((r for r in page.rows() if r.pk == shown), None)
        if row is None:
            raise Http404
        return render(
            request,
            "meetings/_plan_row.html",
            {"collab": page.ws.collab, "row": row, "can_edit": page.can_edit},
        )
    return _plan_page(request, page)


def _save_rule(request: HtmxHttpRequest, page: PlanPage) -> HttpResponse:
    ws = page.ws
    pk = pk_param(request.POST.get("pk"))
    rule = _rule_of(ws, pk) if pk is not None else None
    form = page.form(request.POST, rule=rule)
    if form.is_valid():
        try:
            with transaction.atomic():
                if rule is not None:
                    check_version(ws.collab, pk_param(request.POST.get("version")))
                saved = do_save_communication_rule(
                    ws.collab, form.fields_to_save(), rule=rule, actor=signed_in_person(request)
                )
        except VersionConflict:
            form.add_error(None, STALE_EDIT)
        else:
            message = _("已保存沟通规则(%(scenario)s)") % {"scenario": saved.get_scenario_display()}
            return _plan_saved(request, ws.collab.slug, f"#rule-{saved.pk}", message)
    if request.htmx:
        if rule is None:
            return render(request, "meetings/_plan_add.html", {"collab": ws.collab, "add_form": form})
        return render(request, "meetings/_plan_form_row.html", {"collab": ws.collab, "form": form, "pk": pk})
    if rule is None:
        return _plan_page(request, page, add_form=form)
    return _plan_page(request, page, editing=pk, edit_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def remove_rule(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    ws = open_workspace(request, slug, Action.EDIT_COLLABORATION)
    rule = _rule_of(ws, pk)
    if request.method == "POST":
        do_delete_communication_rule(rule, actor=signed_in_person(request))
        message = _("已删除沟通规则(%(scenario)s)") % {"scenario": rule.get_scenario_display()}
        return _plan_saved(request, slug, "", message)
    title = STEPS[PLAN_STEP - 1].name
    return render_step(
        request,
        ws,
        "meetings/communication_confirm_delete.html",
        PLAN_STEP,
        title,
        rule=rule,
        scenario=rule.get_scenario_display() or "—",
        channel=rule.get_channel_display() or "—",
    )
