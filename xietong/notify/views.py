"""The notification pages: my inbox, my preferences, a collaboration's group robots and failed deliveries.

The inbox and the preferences are the signed-in person's own (someone
else's notification is 404). A collaboration's robots page is for who may
view its deliveries (the initiator and administrators, also once it is
closed); changing robots and resending need ``MANAGE_ROBOTS``, which a
closed collaboration refuses. Staff see every failed delivery at
``/notifications/failed/``. A robot's webhook address and secret are never
shown: pages carry its host and whether a secret is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from xietong.collabs.access import get_object_in, get_part_of, signed_in_person
from xietong.collabs.workspace import Workspace, open_workspace, render_step
from xietong.lib.http import HtmxHttpRequest
from xietong.notify import heartbeat
from xietong.notify.actions import (
    do_add_robot,
    do_change_robot,
    do_delete_robot,
    do_mark_all_read,
    do_mark_read,
    do_mute_kind,
    do_resend,
    do_save_preference,
)
from xietong.notify.forms import PreferenceForm, RobotEditForm, RobotForm
from xietong.notify.messages import render as render_message
from xietong.notify.models import Delivery, Kind, Notification, Preference, Robot
from xietong.notify.reads import DeliveryRow, delivery_row, failed_deliveries
from xietong.notify.unsubscribe import read_token
from xietong.orgs.models import Person
from xietong.orgs.roles import Action
from xietong.tracking.actions.closing import CollaborationClosed

INBOX_PAGE = 20
DELIVERIES_PAGE = 50
KIND_LABELS = dict(Kind.choices)


# --- my inbox


@dataclass(frozen=True)
class InboxItem:
    notification: Notification
    subject: str
    body: str

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def inbox_item(notification: Notification, language: str) -> InboxItem:
    message = render_message(notification, language)
    return InboxItem(notification, message.subject, message.body)


def _my_notifications(request: HttpRequest) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=signed_in_person(request))


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first, in my language (two queries per page, whatever its length)."""
    rows = _my_notifications(request).only("pk", "kind", "params", "link", "created_at", "read_at")
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, INBOX_PAGE).get_page(request.GET.get("page"))
    language = translation.get_language()
    items = [inbox_item(n, language) for n in page]
    return render(request, "notify/inbox.html", {"page": page, "items": items, "only_unread": only_unread})


@login_required
@require_POST
def mark_read(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    if not do_mark_read(signed_in_person(request), pk):
        raise Http404
    if request.htmx:
        notification = _my_notifications(request).get(pk=pk)
        item = inbox_item(notification, translation.get_language())
        return render(request, "notify/_inbox_item.html", {"item": item, "oob_badge": True})
    return redirect(_inbox_page(request))


def _inbox_page(request: HttpRequest) -> str:
    page = request.POST.get("next_page", "")
    return reverse("notify:inbox") + (f"?page={page}" if page.isdigit() else "")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = do_mark_all_read(signed_in_person(request))
    messages.success(request, _("已将 %(count)s 条通知标为已读。") % {"count": count})
    return redirect("notify:inbox")


# --- my preferences


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    person = signed_in_person(request)
    current = Preference.objects.filter(person=person).first()
    form = PreferenceForm(request.POST or None, initial=PreferenceForm.initial_for(current))
    if request.method == "POST" and form.is_valid():
        do_save_preference(person, form.to_input())
        messages.success(request, _("通知偏好已保存。"))
        return redirect("notify:preferences")
    return render(request, "notify/preferences.html", {"form": form, "address": person.email})


# --- the unsubscribe link of a reminder mail (no sign-in)


@csrf_exempt  # RFC 8058: the mail provider POSTs with no session and no token; the signed token is the proof
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Mute (POST, the one-click body or the page's button) or unmute (POST ``action=undo``) one kind.

    GET only shows the state with a button: scanners and link previews fetch
    links in mails, and must not mute anything. Answers are pages, never
    redirects (RFC 8058: a redirected POST is not followed reliably). A
    token that is altered, not ours, or names nobody is 404.
    """
    named = read_token(token)
    person = None if named is None else Person.objects.filter(pk=named.person_id).first()
    if named is None or person is None:
        raise Http404
    changed = ""
    preference: Preference | None
    if request.method == "POST":
        undo = request.POST.get("action") == "undo"
        preference = do_mute_kind(person, named.kind, muted=not undo)
        changed = "resumed" if undo else "muted"
    else:
        preference = Preference.objects.filter(person=person).first()
    muted = preference is not None and not preference.wants(named.kind)
    with translation.override(person.language or translation.get_language()):
        context = {"kind": KIND_LABELS[named.kind], "muted": muted, "changed": changed}
        response = render(request, "notify/unsubscribe.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the token is in the address
    return response


# --- a collaboration's group robots and failed deliveries


def _delivery_page(rows: QuerySet[Delivery], number: str | None) -> tuple[Page[Delivery], list[DeliveryRow]]:
    page = Paginator(rows, DELIVERIES_PAGE).get_page(number)
    return page, [delivery_row(d) for d in page]


@dataclass(frozen=True)
class RobotRow:
    robot: Robot
    kinds: list[str]  # the labels of the kinds it posts; empty: all


def _robots_context(ws: Workspace, request: HttpRequest, **extra: Any) -> dict[str, Any]:
    robots = [
        RobotRow(r, [str(KIND_LABELS.get(k, k)) for k in r.kinds])
        for r in Robot.objects.filter(collaboration=ws.collab)
    ]
    page, rows = _delivery_page(
        failed_deliveries().filter(notification__collaboration=ws.collab), request.GET.get("page")
    )
    may_manage = ws.can(Action.MANAGE_ROBOTS)
    return {
        "robots": robots,
        "page": page,
        "deliveries": rows,
        "may_manage": may_manage,
        "add_form": extra.pop("add_form", None)
        or (RobotForm(auto_id="robot_add_%s") if may_manage else None),
        **extra,
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def robots(request: HttpRequest, slug: str) -> HttpResponse:
    """The robots (kind, group, host, whether signed) and the failed deliveries; POST adds a robot."""
    if request.method != "POST":
        ws = open_workspace(request, slug, Action.VIEW_DELIVERIES)
        return render_step(
            request, ws, "notify/robots.html", "robots", _("群机器人与投递"), **_robots_context(ws, request)
        )
    ws = open_workspace(request, slug, Action.MANAGE_ROBOTS)
    form = RobotForm(request.POST, auto_id="robot_add_%s")
    if form.is_valid():
        robot = do_add_robot(ws.collab, form.to_input(), actor=signed_in_person(request))
        messages.success(request, _("已添加群机器人“%(name)s”。") % {"name": robot.name})
        return redirect("notify:robots", slug)
    context = _robots_context(ws, request, add_form=form)
    return render_step(request, ws, "notify/robots.html", "robots", _("群机器人与投递"), **context)


def _robot_of(ws: Workspace, pk: int) -> Robot:
    return get_object_in(ws.collab, Robot.objects.all(), pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def robot_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Change a robot: its name, kinds, active; a new address or secret (empty keeps the stored one)."""
    ws = open_workspace(request, slug, Action.MANAGE_ROBOTS)
    robot = _robot_of(ws, pk)
    form = RobotEditForm(request.POST or None, initial=RobotEditForm.initial_for(robot))
    if request.method == "POST" and form.is_valid():
        do_change_robot(robot, form.to_change(), actor=signed_in_person(request))
        messages.success(request, _("已保存群机器人“%(name)s”。") % {"name": robot.name})
        return redirect("notify:robots", slug)
    return render_step(
        request, ws, "notify/robot_edit.html", "robots", _("修改群机器人"), robot=robot, form=form
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def robot_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    ws = open_workspace(request, slug, Action.MANAGE_ROBOTS)
    robot = _robot_of(ws, pk)
    if request.method != "POST":
        return render_step(
            request, ws, "notify/robot_confirm_delete.html", "robots", _("删除群机器人"), robot=robot
        )
    do_delete_robot(robot, actor=signed_in_person(request))
    messages.success(request, _("已删除群机器人“%(name)s”。") % {"name": robot.name})
    return redirect("notify:robots", slug)


def _resend(request: HttpRequest, delivery: Delivery) -> None:
    try:
        done = do_resend(delivery, actor=signed_in_person(request))
    except CollaborationClosed:
        messages.error(request, _("协作已关闭,不再发送它的提醒。"))
        return
    if done:
        messages.success(request, _("已重新排队发送,稍后由发送进程投递。"))
    else:
        messages.info(request, _("这条投递已不是“发送失败”状态,无需重发。"))


@login_required
@require_POST
def resend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Put one of the collaboration's failed deliveries back in the queue."""
    ws = open_workspace(request, slug, Action.MANAGE_ROBOTS)
    rows = Delivery.objects.select_related("notification__collaboration")
    delivery = get_part_of(ws.collab, "notification__collaboration", rows, pk)
    _resend(request, delivery)
    return redirect(reverse("notify:robots", args=[slug]) + "#deliveries")


# --- every failed delivery, for staff


def _staff_only(request: HttpRequest) -> None:
    if not signed_in_person(request).is_staff:
        raise PermissionDenied


@login_required
@require_safe
def failed(request: HttpRequest) -> HttpResponse:
    """Every failed delivery of the site, newest first, and the workers' heartbeats (four queries per page)."""
    _staff_only(request)
    page, rows = _delivery_page(failed_deliveries(), request.GET.get("page"))
    context = {"page": page, "deliveries": rows, "workers": heartbeat.workers(timezone.now())}
    return render(request, "notify/failed.html", context)


@login_required
@require_POST
def failed_resend(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    delivery = Delivery.objects.filter(pk=pk).select_related("notification__collaboration").first()
    if delivery is None:
        raise Http404
    _resend(request, delivery)
    return redirect("notify:failed")
