"""The page of one meeting: preparation, offers and needs, minutes; and the list of meetings.

One page serves the kickoff (step 3, at ``meetings:kickoff``) and every
opened occurrence of a regular meeting (step 6, at ``meetings:meeting``).
Everyone who sees the collaboration reads it; the preparation and the
minutes are written by the initiator or an administrator
(``Action.EDIT_COLLABORATION``), offers and needs also by the department's
own liaison or head (``Action.EDIT_DEPARTMENT_ROWS``), and each
participating department's head confirms the minutes
(``Action.CONFIRM_MINUTES``, see ``views/minutes.py``).

Every write answers htmx with the whole meeting section re-rendered (with
the step bar and score out of band) and a plain browser with a redirect;
an invalid form comes back where it was, with its errors. The page reads
a constant number of rows whatever the number of agenda items, offers,
minutes items or revisions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.collabs.access import get_object_in, get_part_of, signed_in_person
from xietong.collabs.models import Participant
from xietong.collabs.workspace import Workspace, open_workspace, render_section, render_step
from xietong.lib.http import HtmxHttpRequest, pk_param
from xietong.meetings.actions.contributions import (
    do_delete_contribution,
    do_need_to_subgoal,
    do_need_to_task,
    do_save_contribution,
)
from xietong.meetings.actions.kickoff import (
    MeetingCancelled,
    NotCancellable,
    agenda_would_be_late,
    do_cancel_meeting,
    do_delete_agenda_item,
    do_save_agenda_item,
    do_schedule_kickoff,
    do_send_agenda,
    do_set_attendees,
    do_set_meeting_place,
)
from xietong.meetings.actions.materials import do_add_material, do_delete_material
from xietong.meetings.actions.minutes import (
    STATE_LABELS,
    MinutesClosed,
    MinutesState,
    is_editable,
    minutes_state,
)
from xietong.meetings.forms_meeting import (
    AgendaItemForm,
    AttendeesForm,
    CancelMeetingForm,
    ContributionForm,
    CorrectionForm,
    MaterialForm,
    MeetingDetailsForm,
    MinutesItemForm,
    MinutesSummaryForm,
    ProxyConfirmForm,
)
from xietong.meetings.models import (
    AgendaItem,
    Contribution,
    ContributionKind,
    Material,
    Meeting,
    MeetingKind,
    MinutesConfirmation,
    MinutesCorrection,
    MinutesItem,
    MinutesItemKind,
    MinutesRevision,
)
from xietong.notify.invitations import AlreadySending, NobodyInvited, NothingChanged, changed_since_sent
from xietong.orgs.models import Department, Person
from xietong.orgs.roles import Action
from xietong.rules.engine import Finding
from xietong.rules.kickoff import AGENDA_LEAD, MINUTES_WITHIN
from xietong.rules.steps import STEPS

KICKOFF_STEP, PLAN_STEP = 3, 6
SECTION = "#meeting-section"
# The rows a page shows in place of their display row: ?edit=<kind>-<pk>
EDITABLE_ROWS = ("agenda", "contribution", "item")


def step_of(meeting: Meeting) -> int:
    return KICKOFF_STEP if meeting.kind == MeetingKind.KICKOFF else PLAN_STEP


def meeting_url(meeting: Meeting, slug: str) -> str:
    """Return the page of ``meeting``: the kickoff's is step 3's page."""
    if meeting.kind == MeetingKind.KICKOFF:
        return reverse("meetings:kickoff", args=[slug])
    return reverse("meetings:meeting", args=[slug, meeting.pk])


def meeting_title(meeting: Meeting) -> str | Promise:
    if meeting.kind == MeetingKind.KICKOFF:
        return STEPS[KICKOFF_STEP - 1].name
    return meeting.title or meeting.get_kind_display()


def get_meeting(ws: Workspace, pk: int) -> Meeting:
    """Return a meeting of the workspace's collaboration, or raise 404."""
    return get_object_in(ws.collab, Meeting.objects.select_related("chair", "series"), pk)


def hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def edit_param(value: str | None) -> tuple[str, int] | None:
    """Parse ``?edit=agenda-5`` into ("agenda", 5); None when absent, 404 when malformed."""
    if not value:
        return None
    kind, _sep, raw = value.partition("-")
    pk = pk_param(raw)
    if kind not in EDITABLE_ROWS or pk is None:
        raise Http404
    return kind, pk


@dataclass(frozen=True)
class Linked:
    """A row of the table or of the sub-goals that a meeting's row became, with what the rules say of it."""

    pk: int
    url: str
    findings: list[Finding]


@dataclass(frozen=True)
class ContributionRow:
    contribution: Contribution
    task: Linked | None
    subgoal: Linked | None
    can_edit: bool
    can_convert: bool

    @property
    def is_need(self) -> bool:
        return self.contribution.kind == ContributionKind.NEED


@dataclass
class ContributionGroup:
    """What one department offers and needs."""

    department: Department
    offers: list[ContributionRow] = field(default_factory=list)
    needs: list[ContributionRow] = field(default_factory=list)


@dataclass(frozen=True)
class ItemRow:
    item: MinutesItem
    task: Linked | None

    @property
    def kind_label(self) -> str:
        return str(MinutesItemKind(self.item.kind).label)


@dataclass(frozen=True)
class ConfirmationRow:
    """One participating department in the confirmation table of the current revision."""

    department: Department
    head: Person | None
    confirmation: MinutesConfirmation | None
    corrections: list[MinutesCorrection]
    can_confirm: bool
    can_correct: bool
    correction_form: CorrectionForm | None
    # 代确认 by the initiator or an administrator: offered while the department has not confirmed
    can_proxy: bool = False
    proxy_form: ProxyConfirmForm | None = None
    # the person may record for others, but this department has no head to confirm for
    proxy_headless: bool = False


@dataclass(frozen=True)
class RevisionView:
    """An issued revision as archived, with the answers it received."""

    revision: MinutesRevision
    summary: str
    attendees: list[str]
    items: list[dict[str, Any]]
    confirmations: list[MinutesConfirmation]
    corrections: list[MinutesCorrection]
    current: bool


def _archived_items(content: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for raw in content.get("items", []):
        kind = raw.get("kind", "")
        label = MinutesItemKind(kind).label if kind in MinutesItemKind.values else kind
        items.append({**raw, "kind_label": label})
    return items


class MeetingPage:
    """What the meeting's page shows and what the signed-in person may do on it.

    Reads the meeting's rows once each (attendees, agenda, materials,
    participants, offers and needs, minutes items, revisions,
    confirmations, corrections, and the people who may be invited for
    editors); the findings of the rows a need or an action item became
    come from the workspace's report.
    """

    def __init__(self, ws: Workspace, meeting: Meeting) -> None:
        self.ws = ws
        self.meeting = meeting
        self.slug = ws.collab.slug
        self.step = step_of(meeting)
        self.is_kickoff = meeting.kind == MeetingKind.KICKOFF
        # A cancelled meeting is read only; a cancelled kickoff may only be scheduled again.
        self.can_edit = ws.can(Action.EDIT_COLLABORATION) and meeting.cancelled_at is None
        self.can_reschedule = (
            self.is_kickoff and meeting.cancelled_at is not None and ws.can(Action.EDIT_COLLABORATION)
        )
        self.state = minutes_state(meeting)
        self.minutes_open = is_editable(meeting) and meeting.cancelled_at is None
        self.participants = list(
            Participant.objects.filter(collaboration=ws.collab).select_related("department__head", "liaison")
        )
        self.departments = [p.department for p in self.participants]
        self.own = [d for d in self.departments if ws.can(Action.EDIT_DEPARTMENT_ROWS, d.pk)]

    @property
    def url(self) -> str:
        return meeting_url(self.meeting, self.slug)

    @property
    def title(self) -> str | Promise:
        return meeting_title(self.meeting)

    # --- forms

    def details_form(self, data: Any = None) -> MeetingDetailsForm:
        m = self.meeting
        initial = {
            "scheduled_at": m.scheduled_at,
            "duration_minutes": m.duration_minutes,
            "location": m.location,
        }
        return MeetingDetailsForm(data, initial=initial, with_time=self.is_kickoff, auto_id="details_%s")

    def people(self) -> list[Person]:
        """Return who may be invited: the collaboration's people and whoever is invited already."""
        collab, meeting = self.ws.collab, self.meeting
        return list(
            Person.objects.filter(
                Q(pk=collab.owner_id)
                | Q(liaison_for__collaboration=collab)
                | Q(headed_departments__participations__collaboration=collab)
                | Q(department__participations__collaboration=collab)
                | Q(memberships__collaboration=collab)
                | Q(meetings_attended=meeting)
            )
            .distinct()
            .order_by("display_name", "username")
        )

    def attendees_form(self, data: Any = None, attendees: list[Person] | None = None) -> AttendeesForm:
        initial = {"attendees": [str(p.pk) for p in attendees or []]}
        return AttendeesForm(data, initial=initial, people=self.people(), auto_id="attendees_%s")

    @staticmethod
    def agenda_form(data: Any = None, item: AgendaItem | None = None) -> AgendaItemForm:
        initial = {"title": item.title, "notes": item.notes} if item else None
        return AgendaItemForm(data, initial=initial, auto_id=f"agenda{item.pk}_%s" if item else "agenda_%s")

    def contribution_form(self, data: Any = None, item: Contribution | None = None) -> ContributionForm:
        own = list(self.own)
        departments = list(self.departments)
        initial = None
        if item is not None:
            initial = {
                "kind": item.kind,
                "department": str(item.department_id),
                "counterpart": str(item.counterpart_id or ""),
                "text": item.text,
            }
            # a department no longer taking part keeps its rows when they are edited
            for extra in (item.department, item.counterpart):
                if extra is not None and extra.pk not in {d.pk for d in departments}:
                    departments.append(extra)
            if item.department.pk not in {d.pk for d in own}:
                own.append(item.department)
        return ContributionForm(
            data,
            initial=initial or {"kind": ContributionKind.OFFER},
            departments=departments,
            own=own,
            auto_id=f"contribution{item.pk}_%s" if item else "contribution_%s",
        )

    def item_form(self, data: Any = None, item: MinutesItem | None = None) -> MinutesItemForm:
        departments = list(self.departments)
        initial: dict[str, Any] = {"kind": MinutesItemKind.DECISION}
        if item is not None:
            initial = {
                "kind": item.kind,
                "text": item.text,
                "department": str(item.department_id or ""),
                "standard": item.standard,
                "deadline": item.deadline,
            }
            if item.department is not None and item.department.pk not in {d.pk for d in departments}:
                departments.append(item.department)
        return MinutesItemForm(
            data,
            initial=initial,
            departments=departments,
            auto_id=f"item{item.pk}_%s" if item else "item_%s",
        )

    def summary_form(self, data: Any = None) -> MinutesSummaryForm:
        return MinutesSummaryForm(
            data, initial={"summary": self.meeting.minutes_summary}, auto_id="summary_%s"
        )

    @staticmethod
    def correction_form(department_id: int, data: Any = None) -> CorrectionForm:
        return CorrectionForm(data, auto_id=f"correction{department_id}_%s")

    @staticmethod
    def proxy_form(department_id: int, data: Any = None) -> ProxyConfirmForm:
        return ProxyConfirmForm(data, auto_id=f"proxy{department_id}_%s")

    # --- rows

    def _linked(self) -> tuple[dict[int, Linked], dict[int, Linked]]:
        """Return, by primary key, the links to each task and sub-goal with their findings."""
        by_object: dict[str, list[Finding]] = defaultdict(list)
        for finding in self.ws.report.findings:
            by_object[finding.object].append(finding)
        table = reverse("collabs:table", args=[self.slug])
        subgoals = reverse("collabs:subgoals", args=[self.slug])
        tasks = {
            t.key: Linked(t.key, f"{table}#task-{t.key}", by_object[f"tasks[{i}]"])
            for i, t in enumerate(self.ws.snapshot.tasks)
            if t.key is not None
        }
        goals = {
            g.key: Linked(g.key, f"{subgoals}#subgoal-{g.key}", by_object[f"subgoals[{i}]"])
            for i, g in enumerate(self.ws.snapshot.subgoals)
            if g.key is not None
        }
        return tasks, goals

    def contribution_groups(
        self, tasks: dict[int, Linked], goals: dict[int, Linked]
    ) -> list[ContributionGroup]:
        groups = {d.pk: ContributionGroup(d) for d in self.departments}
        rows = Contribution.objects.filter(meeting=self.meeting).select_related("department", "counterpart")
        for c in rows:
            c.meeting = self.meeting
            asked = c.counterpart_id or c.department_id
            row = ContributionRow(
                contribution=c,
                task=tasks.get(c.task_id) if c.task_id else None,
                subgoal=goals.get(c.subgoal_id) if c.subgoal_id else None,
                can_edit=self.ws.can(Action.EDIT_DEPARTMENT_ROWS, c.department_id),
                can_convert=c.kind == ContributionKind.NEED
                and self.ws.can(Action.EDIT_DEPARTMENT_ROWS, asked),
            )
            group = groups.setdefault(c.department_id, ContributionGroup(c.department))
            (group.needs if row.is_need else group.offers).append(row)
        return list(groups.values())

    def item_rows(self, tasks: dict[int, Linked]) -> list[ItemRow]:
        rows = []
        for item in MinutesItem.objects.filter(meeting=self.meeting).select_related("department"):
            item.meeting = self.meeting
            rows.append(ItemRow(item, tasks.get(item.task_id) if item.task_id else None))
        return rows

    def history(
        self, confirmations: list[MinutesConfirmation], corrections: list[MinutesCorrection]
    ) -> list[RevisionView]:
        by_revision: dict[int, list[MinutesConfirmation]] = defaultdict(list)
        for c in confirmations:
            by_revision[c.revision].append(c)
        asked: dict[int, list[MinutesCorrection]] = defaultdict(list)
        for r in corrections:
            asked[r.revision].append(r)
        revisions = MinutesRevision.objects.filter(meeting=self.meeting).select_related("issued_by")
        views = []
        for revision in revisions:
            content = revision.content if isinstance(revision.content, dict) else {}
            views.append(
                RevisionView(
                    revision=revision,
                    summary=str(content.get("summary", "")),
                    attendees=[str(a) for a in content.get("attendees", [])],
                    items=_archived_items(content),
                    confirmations=by_revision[revision.number],
                    corrections=asked[revision.number],
                    current=revision.number == self.meeting.minutes_revision,
                )
            )
        return list(reversed(views))

    def confirmation_rows(
        self,
        confirmations: list[MinutesConfirmation],
        corrections: list[MinutesCorrection],
        forms: dict[int, CorrectionForm],
        proxy_forms: dict[int, ProxyConfirmForm] | None = None,
    ) -> list[ConfirmationRow]:
        number = self.meeting.minutes_revision
        in_force = {c.department_id: c for c in confirmations if c.revision == number}
        if self.state == MinutesState.REOPENED:
            in_force = {}  # reopened: the next revision is confirmed again
        asked: dict[int, list[MinutesCorrection]] = defaultdict(list)
        for r in corrections:
            if r.revision == number:
                asked[r.department_id].append(r)
        responding = self.state in {MinutesState.ISSUED, MinutesState.CONFIRMED}
        may_proxy = self.state == MinutesState.ISSUED and self.ws.can(Action.PROXY_CONFIRM_MINUTES)
        proxy_forms = proxy_forms or {}
        rows = []
        for d in self.departments:
            may = responding and self.ws.can(Action.CONFIRM_MINUTES, d.pk)
            found = in_force.get(d.pk)
            # the head confirms what is not confirmed yet, or in person what was confirmed for them
            can_confirm = may and (
                (self.state == MinutesState.ISSUED and found is None)
                or (found is not None and found.by_proxy)
            )
            open_for_proxy = may_proxy and found is None and not can_confirm
            can_proxy = open_for_proxy and d.head is not None
            rows.append(
                ConfirmationRow(
                    department=d,
                    head=d.head,
                    confirmation=found,
                    corrections=asked[d.pk],
                    can_confirm=can_confirm,
                    can_correct=may,
                    correction_form=(forms.get(d.pk) or self.correction_form(d.pk)) if may else None,
                    can_proxy=can_proxy,
                    proxy_form=(proxy_forms.get(d.pk) or self.proxy_form(d.pk)) if can_proxy else None,
                    proxy_headless=open_for_proxy and d.head is None,
                )
            )
        return rows

    # --- the whole page

    def timings(self) -> dict[str, Any]:
        m, now = self.meeting, self.ws.ctx.now
        scheduled, sent, issued = m.scheduled_at, m.agenda_sent_at, m.minutes_issued_at
        lead = scheduled - sent if scheduled and sent else None
        return {
            "scheduled": scheduled,
            "held": bool(scheduled and now >= scheduled),
            # Sent after the meeting began: "会后 N 小时", never "会前 -N 小时".
            "agenda_lead_hours": hours(lead) if lead is not None and lead >= timedelta(0) else None,
            "agenda_after_hours": hours(-lead) if lead is not None and lead < timedelta(0) else None,
            "agenda_in_time": bool(scheduled and sent and scheduled - sent >= AGENDA_LEAD),
            "agenda_late_now": bool(
                self.is_kickoff and scheduled and sent is None and now < scheduled < now + AGENDA_LEAD
            ),
            "minutes_after_hours": hours(issued - scheduled) if scheduled and issued else None,
            "minutes_in_time": bool(scheduled and issued and issued - scheduled <= MINUTES_WITHIN),
            "minutes_overdue": bool(scheduled and issued is None and now > scheduled + MINUTES_WITHIN),
            "hours_since": hours(now - scheduled) if scheduled and now >= scheduled else None,
            "hours_left": hours(scheduled - now) if scheduled and now < scheduled else None,
        }

    def context(self, **extra: Any) -> dict[str, Any]:
        """Return what the meeting section shows (render_step adds ``ws`` and ``collab``).

        ``extra`` may carry bound forms to show again with their errors
        (``details_form``, ``agenda_form``, ``editing`` + ``edit_form`` …).
        """
        meeting, can_edit = self.meeting, self.can_edit
        tasks, goals = self._linked()
        groups = self.contribution_groups(tasks, goals)
        findings = self.ws.findings_of_step(KICKOFF_STEP) if self.is_kickoff else []
        attendees = list(meeting.attendees.all())
        confirmations = list(
            MinutesConfirmation.objects.filter(meeting=meeting).select_related(
                "department", "confirmed_by", "proxy_by"
            )
        )
        corrections = list(
            MinutesCorrection.objects.filter(meeting=meeting).select_related("department", "requested_by")
        )
        correction_forms: dict[int, CorrectionForm] = extra.pop("correction_forms", {})
        proxy_forms: dict[int, ProxyConfirmForm] = extra.pop("proxy_forms", {})
        editing: tuple[str, int] | None = extra.pop("editing", None)
        edit_form = extra.pop("edit_form", None)
        context: dict[str, Any] = {
            "meeting": meeting,
            "page": self,
            "is_kickoff": self.is_kickoff,
            "meeting_url": self.url,
            "findings": findings,
            "agenda_findings": [f for f in findings if f.rule == "K02"],
            "minutes_findings": [f for f in findings if f.rule in {"K03", "K04"}],
            "chair": meeting.chair or self.ws.collab.owner,
            "attendees": attendees,
            "agenda": [self._with_meeting(a) for a in AgendaItem.objects.filter(meeting=meeting)],
            "materials": list(Material.objects.filter(meeting=meeting).select_related("uploaded_by")),
            "groups": [g for g in groups if g.offers or g.needs],
            "silent": [g.department for g in groups if not g.offers and not g.needs],
            "items": self.item_rows(tasks),
            "state": self.state,
            "state_label": STATE_LABELS[self.state],
            "minutes_open": self.minutes_open,
            "minutes_editable": self.minutes_open and can_edit,
            "confirmations": self.confirmation_rows(
                confirmations, corrections, correction_forms, proxy_forms
            ),
            "current_corrections": [r for r in corrections if r.revision == meeting.minutes_revision],
            "revisions": self.history(confirmations, corrections),
            "can_edit": can_edit,
            "can_add_contribution": bool(self.own),
            "next_revision": meeting.minutes_revision + 1,
            "editing_kind": editing[0] if editing else None,
            "editing_pk": editing[1] if editing else None,
            "edit_form": edit_form,
            **self.timings(),
        }
        if can_edit:
            context.update(
                # "再次发送" is offered only when what the invitees have is out of date.
                agenda_changed=bool(meeting.agenda_sent_at) and changed_since_sent(meeting),
                details_form=self.details_form(),
                attendees_form=self.attendees_form(attendees=attendees),
                agenda_form=self.agenda_form(),
                material_form=material_form(),
                summary_form=self.summary_form(),
                item_form=self.item_form(),
            )
        if self.can_reschedule:
            context["details_form"] = self.details_form()
        context["can_reschedule"] = self.can_reschedule
        context["can_cancel"] = can_edit and meeting.minutes_issued_at is None
        if self.own:
            context["contribution_form"] = self.contribution_form()
        context.update(extra)
        return context

    def _with_meeting(self, row: AgendaItem) -> AgendaItem:
        row.meeting = self.meeting
        return row


def material_form(data: Any = None, files: Any = None) -> MaterialForm:
    form = MaterialForm(data, files, auto_id="material_%s")
    form.fields["file"].help_text = _(
        "可上传 PDF、Word、Excel、PowerPoint、图片、文本或 CSV 文件,单个文件不超过 %(limit)s MB"
    ) % {"limit": settings.XIETONG_MAX_UPLOAD_MB}
    return form


def render_page(
    request: HtmxHttpRequest, page: MeetingPage, *, status: int = 200, **extra: Any
) -> HttpResponse:
    response = render_step(
        request, page.ws, "meetings/meeting.html", page.step, page.title, **page.context(**extra)
    )
    response.status_code = status
    return response


def render_current(request: HtmxHttpRequest, page: MeetingPage, **extra: Any) -> HttpResponse:
    """Answer a write that was not done (invalid form, a confirmation asked): section for htmx, else the page."""
    if request.htmx:
        return render_section(
            request, page.ws, "meetings/_meeting_section.html", SECTION, page.step, **page.context(**extra)
        )
    return render_page(request, page, **extra)


def answer_saved(
    request: HtmxHttpRequest, slug: str, pk: int, message: str, anchor: str = ""
) -> HttpResponse:
    """Answer a successful write: the re-judged section for htmx, a redirect to the page otherwise."""
    ws = open_workspace(request, slug)
    meeting = get_meeting(ws, pk)
    if request.htmx:
        page = MeetingPage(ws, meeting)
        return render_section(
            request,
            ws,
            "meetings/_meeting_section.html",
            SECTION,
            page.step,
            **page.context(flash=message),
        )
    messages.success(request, message)
    return redirect(meeting_url(meeting, slug) + anchor)


def open_meeting(request: HtmxHttpRequest, slug: str, pk: int, action: Action = Action.VIEW) -> MeetingPage:
    ws = open_workspace(request, slug, action)
    return MeetingPage(ws, get_meeting(ws, pk))


def refused_if_cancelled(request: HtmxHttpRequest, page: MeetingPage) -> HttpResponse | None:
    """Answer a change of a cancelled meeting: 403 with the reason (None when it is not cancelled).

    A cancelled kickoff is only scheduled again (its details form), which brings it back.
    """
    if page.meeting.cancelled_at is None:
        return None
    return minutes_closed(request, page, str(MeetingCancelled(page.meeting)), heading=_("会议已取消"))


# --- the page


def minutes_closed(
    request: HtmxHttpRequest, page: MeetingPage, message: str | None = None, heading: str | None = None
) -> HttpResponse:
    """Answer a change of minutes that are not open (issued, confirmed): 403 with the reason.

    htmx does not swap an error answer, so it is told to reload the page,
    which shows the minutes as they are now and the reason as a message.
    """
    if message is None and page.meeting.cancelled_at is not None:
        message, heading = str(MeetingCancelled(page.meeting)), _("会议已取消")
    text = message or str(MinutesClosed(page.meeting))
    if request.htmx:
        messages.error(request, text)
        response = render(request, "meetings/_minutes_closed.html", {"message": text}, status=403)
        response["HX-Refresh"] = "true"
        return response
    response = render_step(
        request,
        page.ws,
        "meetings/minutes_closed.html",
        page.step,
        page.title,
        meeting=page.meeting,
        meeting_url=page.url,
        message=text,
        heading=heading,
    )
    response.status_code = 403
    return response


def show(request: HtmxHttpRequest, page: MeetingPage) -> HttpResponse:
    """GET of a meeting's page: the page, an edit row (?edit=agenda-5) or a display row again (?row=…)."""
    editing = edit_param(request.GET.get("edit"))
    if editing is not None:
        kind, pk = editing
        if kind == "item":
            if not page.can_edit:
                raise PermissionDenied
            if not page.minutes_open:
                return minutes_closed(request, page)
            row: Any = minutes_item_of(page, pk)
            form: Any = page.item_form(item=row)
        elif kind == "agenda":
            if not page.can_edit:
                raise PermissionDenied
            row = _agenda_item_of(page, pk)
            form = page.agenda_form(item=row)
        else:
            row = _contribution_of(page, pk)
            _check_contribution(page, row)
            form = page.contribution_form(item=row)
        if request.htmx:
            template = {
                "agenda": "meetings/_meeting_agenda_form_row.html",
                "contribution": "meetings/_contribution_form_row.html",
                "item": "meetings/_minutes_item_form_row.html",
            }[kind]
            return render(
                request,
                template,
                {
                    "collab": page.ws.collab,
                    "meeting": page.meeting,
                    "meeting_url": page.url,
                    "item": row,
                    "form": form,
                },
            )
        return render_page(request, page, editing=editing, edit_form=form)
    shown = edit_param(request.GET.get("row"))
    if shown is not None and request.htmx:
        return _display_row(request, page, *shown)
    return render_page(request, page)


def _display_row(request: HtmxHttpRequest, page: MeetingPage, kind: str, pk: int) -> HttpResponse:
    """Return one display row again (the edit was cancelled)."""
    context = page.context()
    base = {"collab": page.ws.collab, "meeting": page.meeting, **context}
    if kind == "agenda":
        row: Any = next((a for a in context["agenda"] if a.pk == pk), None)
        template = "meetings/_meeting_agenda_row.html"
        base["number"] = next((i + 1 for i, a in enumerate(context["agenda"]) if a.pk == pk), 0)
    elif kind == "contribution":
        rows = [r for g in context["groups"] for r in (*g.offers, *g.needs)]
        row = next((r for r in rows if r.contribution.pk == pk), None)
        template = "meetings/_contribution_row.html"
    else:
        row = next((r for r in context["items"] if r.item.pk == pk), None)
        template = "meetings/_minutes_item_row.html"
        base["number"] = next((i + 1 for i, r in enumerate(context["items"]) if r.item.pk == pk), 0)
    if row is None:
        raise Http404
    return render(request, template, {**base, "row": row})


@login_required
@require_GET
def meeting(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    page = open_meeting(request, slug, pk)
    if page.is_kickoff and not request.htmx:
        query = request.GET.urlencode()
        return redirect(reverse("meetings:kickoff", args=[slug]) + (f"?{query}" if query else ""))
    return show(request, page)


# --- preparation: time and place, attendees, agenda, materials, sending the agenda


@login_required
@require_POST
def details(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    page = open_meeting(request, slug, pk, Action.EDIT_COLLABORATION)
    if not page.is_kickoff and (refused := refused_if_cancelled(request, page)) is not None:
        return refused
    form = page.details_form(request.POST)
    if not form.is_valid():
        return render_current(request, page, details_form=form)
    data, actor, meeting = form.cleaned_data, signed_in_person(request), page.meeting
    if meeting.kind == MeetingKind.KICKOFF:
        do_schedule_kickoff(
            page.ws.collab,
            data["scheduled_at"],
            location=data["location"],
            duration_minutes=data["duration_minutes"],
            actor=actor,
        )
    else:
        do_set_meeting_place(
            meeting, location=data["location"], duration_minutes=data["duration_minutes"], actor=actor
        )
    return answer_saved(request, slug, pk, _("已保存会议时间与地点"), "#meeting-prep")


@login_required
@require_POST
def attendees(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    page = open_meeting(request, slug, pk, Action.EDIT_COLLABORATION)
    if (refused := refused_if_cancelled(request, page)) is not None:
        return refused
    form = page.attendees_form(request.POST)
    if not form.is_valid():
        return render_current(request, page, attendees_form=form)
    people = form.chosen()
    do_set_attendees(page.meeting, people, actor=signed_in_person(request))
    message = _("已保存参会人(%(count)s 人)") % {"count": len(people)}
    return answer_saved(request, slug, pk, message, "#meeting-attendees")


def _agenda_item_of(page: MeetingPage, pk: int) -> AgendaItem:
    return get_part_of(page.meeting, "meeting", AgendaItem.objects.all(), pk)


@login_required
@require_POST
def agenda(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Add an agenda item, or change the one named by ``item``."""
    page = open_meeting(request, slug, pk, Action.EDIT_COLLABORATION)
    if (refused := refused_if_cancelled(request, page)) is not None:
        return refused
    item_pk = pk_param(request.POST.get("item"))
    item = _agenda_item_of(page, item_pk) if item_pk is not None else None
    form = page.agenda_form(request.POST, item=item)
    if not form.is_valid():
        if item is None:
            return render_current(request, page, agenda_form=form)
        return render_current(request, page, editing=("agenda", item.pk), edit_form=form)
    saved = do_save_agenda_item(
        page.meeting,
        form.cleaned_data["title"],
        form.cleaned_data["notes"],
        item=item,
        actor=signed_in_person(request),
    )
    message = _("已保存议程「%(title)s」") % {"title": saved.title}
    return answer_saved(request, slug, pk, message, f"#agenda-{saved.pk}")


def confirm_delete(
    request: HtmxHttpRequest, page: MeetingPage, what: str, name: str, anchor: str = ""
) -> HttpResponse:
    """The confirmation page of a deletion for browsers without JavaScript."""
    return render_step(
        request,
        page.ws,
        "meetings/meeting_confirm_delete.html",
        page.step,
        page.title,
        meeting=page.meeting,
        what=what,
        name=name,
        back=page.url + anchor,
    )


@login_required
@require_http_methods(["GET", "POST"])
def agenda_remove(request: HtmxHttpRequest, slug: str, pk: int, item: int) -> HttpResponse:
    page = open_meeting(request, slug, pk, Action.EDIT_COLLABORATION)
    if (refused := refused_if_cancelled(request, page)) is not None:
        return refused
    row = _agenda_item_of(page, item)
    if request.method != "POST":
        return confirm_delete(request, page, _("删除议程"), row.title, "#meeting-agenda")
    do_delete_agenda_item(row, actor=signed_in_person(request))
    message = _("已删除议程「%(title)s」") % {"title": row.title}
    return answer_saved(request, slug, pk, message, "#meeting-agenda")


@login_required
@require_POST
def send_agenda(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Record that the agenda and materials went to the attendees now.

    Sending the kickoff's agenda for the first time less than 72 h before
    the meeting is what K02 reports: the page says so first and records
    only after an explicit second submit (``confirm=1``).
    """
    page = open_meeting(request, slug, pk, Action.EDIT_COLLABORATION)
    if (refused := refused_if_cancelled(request, page)) is not None:
        return refused
    meeting, now = page.meeting, page.ws.ctx.now
    if meeting.scheduled_at is None:
        return render_current(request, page, agenda_error=_("请先设定会议时间,再发送议程"))
    late = page.is_kickoff and meeting.agenda_sent_at is None and agenda_would_be_late(meeting, now)
    if late and request.POST.get("confirm") != "1":
        return render_current(request, page, agenda_warning=True)
    try:
        do_send_agenda(meeting, now, actor=signed_in_person(request))
    except NobodyInvited:
        return render_current(
            request, page, agenda_error=_("尚未邀请参会人:请先在“调整参会人”中选择参会人,再发送议程")
        )
    except (NothingChanged, AlreadySending):
        return render_current(
            request, page, agenda_error=_("议程、时间、地点和参会人自上次发送后没有变化,无需再次发送")
        )
    count = meeting.attendees.count()
    message = _("已发送会议议程、背景资料及日历邀请(%(count)s 位参会人)") % {"count": count}
    return answer_saved(request, slug, pk, message, "#meeting-agenda")


def _material_of(page: MeetingPage, pk: int) -> Material:
    return get_part_of(page.meeting, "meeting", Material.objects.all(), pk)


@login_required
@require_POST
def materials(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Upload a material; a file too big or not what its name says is refused with the reason."""
    page = open_meeting(request, slug, pk, Action.EDIT_COLLABORATION)
    if (refused := refused_if_cancelled(request, page)) is not None:
        return refused
    form = material_form(request.POST, request.FILES)
    if form.is_valid():
        try:
            material = do_add_material(
                page.meeting, form.cleaned_data["file"], actor=signed_in_person(request)
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            message = _("已上传资料「%(name)s」") % {"name": material.name}
            return answer_saved(request, slug, pk, message, "#meeting-materials")
    return render_current(request, page, material_form=form)


@login_required
@require_GET
def material(request: HtmxHttpRequest, slug: str, pk: int, item: int) -> FileResponse:
    """Download a material, after the access check (never from a public URL)."""
    page = open_meeting(request, slug, pk)
    row = _material_of(page, item)
    try:
        handle = row.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    return FileResponse(handle, as_attachment=True, filename=row.name, content_type=row.content_type)


@login_required
@require_http_methods(["GET", "POST"])
def material_remove(request: HtmxHttpRequest, slug: str, pk: int, item: int) -> HttpResponse:
    page = open_meeting(request, slug, pk, Action.EDIT_COLLABORATION)
    if (refused := refused_if_cancelled(request, page)) is not None:
        return refused
    row = _material_of(page, item)
    if request.method != "POST":
        return confirm_delete(request, page, _("删除资料"), row.name, "#meeting-materials")
    do_delete_material(row, actor=signed_in_person(request))
    message = _("已删除资料「%(name)s」") % {"name": row.name}
    return answer_saved(request, slug, pk, message, "#meeting-materials")


# --- offers and needs


def _contribution_of(page: MeetingPage, pk: int) -> Contribution:
    rows = Contribution.objects.select_related("department", "counterpart", "task", "subgoal")
    return get_part_of(page.meeting, "meeting", rows, pk)


def _check_contribution(page: MeetingPage, row: Contribution) -> None:
    """A row is changed by its department's liaison or head, or by the initiator."""
    if not page.ws.can(Action.EDIT_DEPARTMENT_ROWS, row.department_id):
        raise PermissionDenied


@login_required
@require_POST
def contributions(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Record what a department offers or needs (``item`` names a row to change)."""
    page = open_meeting(request, slug, pk)
    item_pk = pk_param(request.POST.get("item"))
    row = _contribution_of(page, item_pk) if item_pk is not None else None
    if row is not None:
        _check_contribution(page, row)
    elif not page.own:
        raise PermissionDenied
    department = pk_param(request.POST.get("department"))
    if department is not None and not page.ws.can(Action.EDIT_DEPARTMENT_ROWS, department):
        raise PermissionDenied  # recording for a department the person does not answer for
    form = page.contribution_form(request.POST, item=row)
    if not form.is_valid():
        if row is None:
            return render_current(request, page, contribution_form=form)
        return render_current(request, page, editing=("contribution", row.pk), edit_form=form)
    data = form.to_input()
    saved = do_save_contribution(page.meeting, data, contribution=row, actor=signed_in_person(request))
    label = ContributionKind(saved.kind).label
    message = _("已记录%(kind)s:%(department)s") % {"kind": label, "department": saved.department.name}
    return answer_saved(request, slug, pk, message, f"#contribution-{saved.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def contribution_remove(request: HtmxHttpRequest, slug: str, pk: int, item: int) -> HttpResponse:
    page = open_meeting(request, slug, pk)
    row = _contribution_of(page, item)
    _check_contribution(page, row)
    if request.method != "POST":
        return confirm_delete(request, page, _("删除支持或需求"), row.text, "#meeting-contributions")
    do_delete_contribution(row, actor=signed_in_person(request))
    message = _("已删除「%(text)s」") % {"text": row.text[:40]}
    return answer_saved(request, slug, pk, message, "#meeting-contributions")


def _convertible_need(request: HtmxHttpRequest, slug: str, pk: int, item: int) -> Contribution:
    """Return a need the person may turn into a row of the department asked, or raise 404 / 403."""
    page = open_meeting(request, slug, pk)
    row = _contribution_of(page, item)
    if row.kind != ContributionKind.NEED:
        raise Http404
    if not page.ws.can(Action.EDIT_DEPARTMENT_ROWS, row.counterpart_id or row.department_id):
        raise PermissionDenied
    return row


@login_required
@require_POST
def contribution_task(request: HtmxHttpRequest, slug: str, pk: int, item: int) -> HttpResponse:
    row = _convertible_need(request, slug, pk, item)
    task = do_need_to_task(row, actor=signed_in_person(request))
    message = _("已转为部门职责分工表中的任务「%(text)s」:请补充交付标准和时间节点") % {
        "text": task.description[:40]
    }
    return answer_saved(request, slug, pk, message, f"#contribution-{row.pk}")


@login_required
@require_POST
def contribution_subgoal(request: HtmxHttpRequest, slug: str, pk: int, item: int) -> HttpResponse:
    row = _convertible_need(request, slug, pk, item)
    subgoal = do_need_to_subgoal(row, actor=signed_in_person(request))
    message = _("已转为子目标「%(text)s」:请补充支撑指标、目标值和完成时限") % {
        "text": subgoal.description[:40]
    }
    return answer_saved(request, slug, pk, message, f"#contribution-{row.pk}")


# --- minutes items live in views/minutes.py; they share these lookups


def minutes_item_of(page: MeetingPage, pk: int) -> MinutesItem:
    """Return the minutes item ``pk`` of the page's meeting, or raise 404."""
    return get_part_of(page.meeting, "meeting", MinutesItem.objects.select_related("department", "task"), pk)


# --- the list of meetings


@dataclass(frozen=True)
class MeetingRow:
    meeting: Meeting
    url: str
    state: str
    state_label: str
    confirmed: int
    upcoming: bool


@login_required
@require_GET
def meetings(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The collaboration's meetings: the kickoff, then the opened occurrences, with their minutes."""
    ws = open_workspace(request, slug)
    now = ws.ctx.now
    stored = (
        Meeting.objects.filter(collaboration=ws.collab)
        .select_related("series")
        .annotate(
            confirmed=Count(
                "confirmations",
                filter=Q(confirmations__revision=F("minutes_revision"), minutes_reopened_at__isnull=True),
            )
        )
        .order_by(F("scheduled_at").asc(nulls_last=True), "id")
    )
    rows = [
        MeetingRow(
            meeting=m,
            url=meeting_url(m, slug),
            state=minutes_state(m),
            state_label=str(STATE_LABELS[minutes_state(m)]),
            confirmed=getattr(m, "confirmed", 0),
            upcoming=bool(m.scheduled_at and m.scheduled_at > now),
        )
        for m in stored
    ]
    kickoff = next((r for r in rows if r.meeting.kind == MeetingKind.KICKOFF), None)
    return render_step(
        request,
        ws,
        "meetings/meetings.html",
        "meetings",
        _("会议"),
        rows=rows,
        has_kickoff=kickoff is not None,
        departments=len(ws.snapshot.departments),
        can_edit=ws.can(Action.EDIT_COLLABORATION),
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Cancel the meeting (取消会议): a confirmation page with the reason, then the cancellation.

    GET, or a POST without ``confirm=1``, shows the confirmation page and
    changes nothing; the confirmed POST cancels, and if the agenda went out
    the invitees get the calendar's cancellation (``do_cancel_meeting``).
    """
    page = open_meeting(request, slug, pk, Action.EDIT_COLLABORATION)
    if (refused := refused_if_cancelled(request, page)) is not None:
        return refused
    form = CancelMeetingForm(request.POST if request.method == "POST" else None, auto_id="cancel_%s")
    if request.method == "POST" and request.POST.get("confirm") == "1" and form.is_valid():
        try:
            do_cancel_meeting(
                page.meeting, form.cleaned_data["reason"], page.ws.ctx.now, actor=signed_in_person(request)
            )
        except (NotCancellable, AlreadySending) as error:
            text = str(error) if isinstance(error, NotCancellable) else _("会议已于此前取消")
            return minutes_closed(request, page, text, heading=_("会议已取消"))
        messages.success(request, _("会议已取消"))
        return redirect(page.url)
    response = render_step(
        request,
        page.ws,
        "meetings/cancel.html",
        page.step,
        page.title,
        meeting=page.meeting,
        meeting_url=page.url,
        form=form,
        sent=page.meeting.agenda_sent_at is not None,
        attendee_count=len(page.meeting.agenda_sent_to or []),
    )
    if request.htmx:
        response["HX-Redirect"] = request.get_full_path()  # a page of its own, not a section
    return response
