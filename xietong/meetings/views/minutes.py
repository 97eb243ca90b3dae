"""A meeting's minutes (会议纪要): items, issue, confirmation, correction.

The initiator or an administrator (``Action.EDIT_COLLABORATION``) writes
the minutes while they are a draft or reopened, and issues them once the
meeting has begun. Each participating department's head
(``Action.CONFIRM_MINUTES`` for that department) confirms the revision in
force or asks for a correction with a comment, which reopens them. Issued
or confirmed minutes refuse every change with 403 and the reason
(``MinutesClosed``); open issues may still be marked resolved. The
initiator or an administrator (``Action.PROXY_CONFIRM_MINUTES``) may record
a head's confirmation on their behalf with a reason (代确认).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xietong.collabs.access import signed_in_person
from xietong.collabs.workspace import render_step
from xietong.lib.http import HtmxHttpRequest, pk_param
from xietong.meetings.actions.minutes import (
    MinutesClosed,
    MinutesState,
    ProxyRefused,
    do_confirm_minutes,
    do_delete_minutes_item,
    do_issue_minutes,
    do_proxy_confirm_minutes,
    do_request_correction,
    do_resolve_issue,
    do_save_minutes_item,
    do_save_minutes_summary,
)
from xietong.meetings.models import MinutesItem, MinutesItemKind
from xietong.meetings.views.meeting import (
    MeetingPage,
    answer_saved,
    confirm_delete,
    minutes_closed,
    minutes_item_of,
    open_meeting,
    render_current,
)
from xietong.orgs.models import Department
from xietong.orgs.roles import Action

ANCHOR = "#meeting-minutes"


def _open_minutes(request: HtmxHttpRequest, slug: str, pk: int) -> MeetingPage:
    """Return the page of a meeting whose minutes the person may write (403 / 404 otherwise)."""
    return open_meeting(request, slug, pk, Action.EDIT_COLLABORATION)


@login_required
@require_POST
def summary(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    page = _open_minutes(request, slug, pk)
    if not page.minutes_open:
        return minutes_closed(request, page)
    form = page.summary_form(request.POST)
    if not form.is_valid():
        return render_current(request, page, summary_form=form)
    try:
        do_save_minutes_summary(page.meeting, form.cleaned_data["summary"], actor=signed_in_person(request))
    except MinutesClosed as closed:
        return minutes_closed(request, page, str(closed))
    return answer_saved(request, slug, pk, _("已保存纪要概述"), ANCHOR)


@login_required
@require_POST
def items(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Add a decision, action item or open issue, or change the one named by ``item``.

    An action item is written into the responsibility table at once.
    """
    page = _open_minutes(request, slug, pk)
    if not page.minutes_open:
        return minutes_closed(request, page)
    item_pk = pk_param(request.POST.get("item"))
    item = minutes_item_of(page, item_pk) if item_pk is not None else None
    form = page.item_form(request.POST, item=item)
    if not form.is_valid():
        if item is None:
            return render_current(request, page, item_form=form)
        return render_current(request, page, editing=("item", item.pk), edit_form=form)
    try:
        saved = do_save_minutes_item(
            page.meeting, form.to_input(), item=item, actor=signed_in_person(request)
        )
    except MinutesClosed as closed:
        return minutes_closed(request, page, str(closed))
    if saved.kind == MinutesItemKind.ACTION:
        message = _("已保存行动项,并写入部门职责分工表:%(text)s") % {"text": saved.text[:40]}
    else:
        message = _("已保存%(kind)s:%(text)s") % {
            "kind": MinutesItemKind(saved.kind).label,
            "text": saved.text[:40],
        }
    return answer_saved(request, slug, pk, message, f"#item-{saved.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def item_remove(request: HtmxHttpRequest, slug: str, pk: int, item: int) -> HttpResponse:
    page = _open_minutes(request, slug, pk)
    row = minutes_item_of(page, item)
    if not page.minutes_open:
        return minutes_closed(request, page)
    if request.method != "POST":
        return confirm_delete(request, page, _("删除纪要条目"), row.text, ANCHOR)
    try:
        do_delete_minutes_item(row, actor=signed_in_person(request))
    except MinutesClosed as closed:
        return minutes_closed(request, page, str(closed))
    return answer_saved(request, slug, pk, _("已删除纪要条目「%(text)s」") % {"text": row.text[:40]}, ANCHOR)


@login_required
@require_POST
def item_resolve(request: HtmxHttpRequest, slug: str, pk: int, item: int) -> HttpResponse:
    """Mark an open issue resolved or open again: tracked after the minutes, allowed when locked."""
    page = _open_minutes(request, slug, pk)
    row = minutes_item_of(page, item)
    if row.kind != MinutesItemKind.ISSUE:
        return minutes_closed(request, page, _("只有待决问题可以标记为已解决"))
    resolved = request.POST.get("resolved") == "1"
    do_resolve_issue(row, resolved, actor=signed_in_person(request))
    message = _("待决问题已标记为已解决") if resolved else _("待决问题已重新打开")
    return answer_saved(request, slug, pk, message, f"#item-{row.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def issue(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Issue the minutes (a new revision); allowed once the meeting has begun.

    Issuing cannot be undone (the minutes are then changed only through a
    correction request), so it asks first: GET, or a POST without
    ``confirm=1``, shows what will be issued and to whom, and writes nothing.
    With JavaScript the button asks in a dialog and posts the confirmation.
    """
    page = _open_minutes(request, slug, pk)
    if not page.minutes_open:
        return minutes_closed(request, page)
    meeting, now = page.meeting, page.ws.ctx.now
    if meeting.scheduled_at is None or now < meeting.scheduled_at:
        return render_current(request, page, minutes_error=_("会议开始后才能发出会议纪要"))
    if request.method != "POST" or request.POST.get("confirm") != "1":
        return _confirm_issue(request, page)
    try:
        revision = do_issue_minutes(meeting, now, actor=signed_in_person(request))
    except MinutesClosed as closed:
        return minutes_closed(request, page, str(closed))
    message = _("已发出会议纪要(第 %(number)s 版),等待各部门负责人确认") % {"number": revision.number}
    return answer_saved(request, slug, pk, message, ANCHOR)


def _confirm_issue(request: HtmxHttpRequest, page: MeetingPage) -> HttpResponse:
    """The confirmation page of 发出纪要: what the minutes hold and who is asked to confirm them."""
    counts = dict(
        MinutesItem.objects.filter(meeting=page.meeting)
        .order_by()
        .values("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    kinds = [(label, counts.get(kind, 0)) for kind, label in MinutesItemKind.choices]
    heads = [(d.name, d.head.name if d.head else "") for d in page.departments]
    return render_step(
        request,
        page.ws,
        "meetings/minutes_confirm_issue.html",
        page.step,
        page.title,
        meeting=page.meeting,
        revision=page.meeting.minutes_revision + 1,
        kinds=kinds,
        heads=heads,
        has_summary=bool(page.meeting.minutes_summary.strip()),
        back=page.url + ANCHOR,
    )


def _department_to_answer_for(request: HtmxHttpRequest, page: MeetingPage) -> Department:
    """Return the department named in the form whose head the person is, or raise 403."""
    department_id = pk_param(request.POST.get("department"))
    if department_id is None or not page.ws.can(Action.CONFIRM_MINUTES, department_id):
        raise PermissionDenied
    department = next((d for d in page.departments if d.pk == department_id), None)
    if department is None:
        raise PermissionDenied
    return department


def _not_waiting(page: MeetingPage) -> str | None:
    """Return why there is nothing to answer now, or None."""
    if page.state == MinutesState.DRAFT:
        return _("会议纪要尚未发出,发出后才能确认或申请更正。")
    if page.state == MinutesState.REOPENED:
        return _("会议纪要正在更正,重新发出后请再次确认。")
    return None


@login_required
@require_POST
def confirm(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A head confirms the revision in force for their department."""
    page = open_meeting(request, slug, pk)
    department = _department_to_answer_for(request, page)
    reason = _not_waiting(page)
    if reason is not None:
        return minutes_closed(request, page, reason)
    do_confirm_minutes(page.meeting, department, page.ws.ctx.now, actor=signed_in_person(request))
    message = _("%(department)s已确认会议纪要(第 %(number)s 版)") % {
        "department": department.name,
        "number": page.meeting.minutes_revision,
    }
    return answer_saved(request, slug, pk, message, "#meeting-confirmations")


@login_required
@require_POST
def correction(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """A head asks for a correction with a comment: the minutes are reopened for the initiator."""
    page = open_meeting(request, slug, pk)
    department = _department_to_answer_for(request, page)
    reason = _not_waiting(page)
    if reason is not None:
        return minutes_closed(request, page, reason)
    form = page.correction_form(department.pk, request.POST)
    if not form.is_valid():
        return render_current(request, page, correction_forms={department.pk: form})
    do_request_correction(
        page.meeting,
        department,
        form.cleaned_data["comment"],
        page.ws.ctx.now,
        actor=signed_in_person(request),
    )
    message = _("已提交更正申请:会议纪要已重新打开,待发起部门修改后重新发出")
    return answer_saved(request, slug, pk, message, "#meeting-confirmations")


@login_required
@require_POST
def proxy_confirm(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """代确认: the initiator or an administrator records a head's confirmation for them, with a reason.

    An invalid or refused reason comes back in the row's form with what was
    typed; a department without a head, or one confirmed meanwhile, is
    refused with the reason (403 and the page as it is now).
    """
    page = open_meeting(request, slug, pk, Action.PROXY_CONFIRM_MINUTES)
    department_id = pk_param(request.POST.get("department"))
    department = next((d for d in page.departments if d.pk == department_id), None)
    if department is None:
        raise PermissionDenied  # not a participating department
    reason = _not_waiting(page)
    if reason is not None:
        return minutes_closed(request, page, reason)
    form = page.proxy_form(department.pk, request.POST)
    if not form.is_valid():
        return render_current(request, page, proxy_forms={department.pk: form})
    try:
        confirmation = do_proxy_confirm_minutes(
            page.meeting,
            department,
            form.cleaned_data["reason"],
            page.ws.ctx.now,
            actor=signed_in_person(request),
        )
    except ProxyRefused as refused:
        if refused.field == "reason":
            form.add_error("reason", str(refused))
            return render_current(request, page, proxy_forms={department.pk: form})
        return minutes_closed(request, page, str(refused), heading=_("不能代确认"))
    message = _("已代%(head)s确认会议纪要(%(department)s,第 %(number)s 版)") % {
        "head": confirmation.confirmed_by.name if confirmation.confirmed_by else department.name,
        "department": department.name,
        "number": confirmation.revision,
    }
    return answer_saved(request, slug, pk, message, "#meeting-confirmations")
