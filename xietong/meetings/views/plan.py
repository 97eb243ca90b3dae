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
from datetime import datetime, time
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xietong.collabs.access import get_object_in, signed_in_person
from xietong.collabs.workspace import (
    Workspace,
    inline_form_again,
    open_workspace,
    render_section,
    render_step,
    save_inline_row,
)
from xietong.lib.http import HtmxHttpRequest, pk_param
from xietong.lib.recurrence import WEEKDAY_NAMES, describe, from_rrule, next_occurrences
from xietong.lib.schedule import Occurrence, day_off_name, has_time_of_day
from xietong.meetings.actions.occurrences import (
    MEETING_CHANNELS,
    is_series,
    series_occurrences,
    window_from,
)
from xietong.meetings.actions.plan import do_delete_communication_rule, do_save_communication_rule
from xietong.meetings.forms import CommunicationRuleForm
from xietong.meetings.models import CommunicationRule, Meeting
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


# A regular meeting's row lists its latest past occurrence and this many coming ones.
COMING_OCCURRENCES = 4


@dataclass(frozen=True)
class OccurrenceView:
    """One occurrence of a regular meeting as the plan shows it."""

    when: str  # when it takes place (or would have, if cancelled), in words
    at: str  # ISO time it takes place, what "打开" posts; "" when cancelled
    planned: str  # the rule's day, shown when it was moved
    moved: bool
    cancelled: bool
    reason: str  # the day off that moved or cancelled it (国庆节, 周末)
    meeting: int | None  # the meeting opened for it


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
    # the stored row: group, robot, place, length and holiday policy (not in the snapshot)
    stored: CommunicationRule | None = None
    meeting_channel: bool = False  # a meeting: place, length and holiday policy apply
    series: bool = False
    occurrences: tuple[OccurrenceView, ...] = ()


def _moment(value: datetime, *, all_day: bool) -> str:
    weekday = WEEKDAY_NAMES[value.weekday()]
    if all_day:
        return f"{value:%Y-%m-%d} {weekday}"
    return f"{value:%Y-%m-%d} {weekday} {value:%H:%M}"


def occurrence_views(
    found: list[Occurrence], now: datetime, opened: dict[datetime, int], *, all_day: bool
) -> tuple[OccurrenceView, ...]:
    """Return the latest held-or-due occurrence before today and the next few, as shown on the plan."""
    today = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    coming = [o for o in found if (o.at or o.planned) >= today]
    past = [o for o in found if (o.at or o.planned) < today and o.at is not None]
    shown = past[-1:] + coming[:COMING_OCCURRENCES]
    views = []
    for o in shown:
        at = o.at.astimezone(now.tzinfo) if o.at is not None else None
        planned = o.planned.astimezone(now.tzinfo)
        views.append(
            OccurrenceView(
                when=_moment(at or planned, all_day=all_day),
                at=at.isoformat() if at is not None else "",
                planned=_moment(planned, all_day=all_day),
                moved=o.moved,
                cancelled=o.cancelled,
                reason=day_off_name(planned.date()) if o.moved or o.cancelled else "",
                meeting=opened.get(o.at) if o.at is not None else None,
            )
        )
    return tuple(views)


class PlanPage:
    """The communication plan as shown, with who may change it.

    Two queries beyond the workspace's, whatever the number of rows and
    meetings: the stored rows (group, robot, place, length, holiday policy)
    and the meetings opened from regular meetings. Occurrences are computed
    from the snapshot's kickoff and deadline.
    """

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.can_edit = ws.can(Action.EDIT_COLLABORATION)

    @cached_property
    def stored(self) -> dict[int, CommunicationRule]:
        """The plan's rows as stored (one query): what the snapshot does not carry."""
        return {r.pk: r for r in CommunicationRule.objects.filter(collaboration=self.ws.collab)}

    @cached_property
    def opened(self) -> dict[int, dict[datetime, int]]:
        """Meetings opened from regular meetings (one query): series -> time -> meeting."""
        found: dict[int, dict[datetime, int]] = defaultdict(dict)
        rows = Meeting.objects.filter(collaboration=self.ws.collab, series__isnull=False)
        for series, at, pk in rows.values_list("series_id", "scheduled_at", "pk"):
            if series is not None and at is not None:
                found[series][at] = pk
        return found

    def window(self) -> tuple[datetime, datetime]:
        """Kickoff (or creation) to the goal's deadline, from the snapshot: no query."""
        snap = self.ws.snapshot
        kickoff = snap.kickoff.scheduled_at if snap.kickoff is not None else None
        deadline = snap.goal.deadline if snap.goal is not None else None
        return window_from(kickoff or self.ws.collab.created_at, deadline)

    def rows(self) -> list[PlanRow]:
        by_object: dict[str, list[Finding]] = defaultdict(list)
        for finding in self.ws.report.findings:
            by_object[finding.object].append(finding)
        now = self.ws.ctx.now.astimezone(self.ws.ctx.tz)
        window = self.window()
        rows = []
        for i, rule in enumerate(self.ws.snapshot.communication):
            assert rule.key is not None
            stored = self.stored.get(rule.key)
            series = stored is not None and is_series(stored)
            occurrences: tuple[OccurrenceView, ...] = ()
            if stored is not None and series:
                occurrences = occurrence_views(
                    series_occurrences(stored, window),
                    now,
                    self.opened.get(stored.pk, {}),
                    all_day=not has_time_of_day(stored.rrule),
                )
            rows.append(
                PlanRow(
                    pk=rule.key,
                    number=i + 1,
                    rule=rule,
                    scenario=str(SCENARIO_NAMES[rule.scenario]) if rule.scenario else "—",
                    channel=str(CHANNEL_NAMES[rule.channel]) if rule.channel else "—",
                    frequency=frequency_text(rule),
                    next_time="" if series else _next_meeting(rule, now),
                    outputs=str(lazy_join(rule.outputs)),
                    findings=by_object[f"communication[{i}]"],
                    stored=stored,
                    meeting_channel=stored is not None and stored.channel in MEETING_CHANNELS,
                    series=series,
                    occurrences=occurrences,
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
    return get_object_in(ws.collab, CommunicationRule.objects.all(), pk)


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

    def save() -> CommunicationRule:
        return do_save_communication_rule(
            ws.collab, form.fields_to_save(), rule=rule, actor=signed_in_person(request)
        )

    def saved(row: CommunicationRule) -> HttpResponse:
        message = _("已保存沟通规则(%(scenario)s)") % {"scenario": row.get_scenario_display()}
        return _plan_saved(request, ws.collab.slug, f"#rule-{row.pk}", message)

    again = inline_form_again(
        request,
        ws.collab,
        add_template="meetings/_plan_add.html",
        row_template="meetings/_plan_form_row.html",
        page=lambda **shown: _plan_page(request, page, **shown),
    )
    return save_inline_row(request, ws, form, save, pk=pk, saved=saved, again=again)


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
