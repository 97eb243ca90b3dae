"""Calendar files: a meeting's and a regular meeting's .ics, opening an occurrence, the subscription feed.

Downloads are for whoever may see the collaboration (404 otherwise, through
the access layer). The feed ``/calendar/<token>.ics`` needs no sign-in,
since calendar apps cannot sign in: its signed token is the key, and
"重置订阅链接" on ``/calendar/`` changes it.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from xietong.collabs.access import get_collaboration_for_user, get_object_in, signed_in_person
from xietong.meetings.actions.feeds import do_open_calendar_feed, do_reset_calendar_feed
from xietong.meetings.actions.occurrences import do_open_occurrence, is_series
from xietong.meetings.calendar import meeting_event
from xietong.meetings.feeds import (
    calendar_bytes,
    collab_events,
    feed_for_token,
    feed_url,
    load_meetings,
    meeting_entry,
    meeting_summary,
    person_feed,
    series_summary,
    taking_part,
    time_zone,
)
from xietong.meetings.models import CommunicationRule, Meeting
from xietong.orgs.roles import Action

CONTENT_TYPE = "text/calendar; charset=utf-8"
_UNSAFE_IN_NAMES = str.maketrans({c: "-" for c in '/\\:*?"<>|'})


def _ics(body: bytes, filename: str, *, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    header = content_disposition_header(attachment, filename.translate(_UNSAFE_IN_NAMES) + ".ics")
    if header:
        response["Content-Disposition"] = header
    return response


@login_required
@require_safe
def meeting_ics(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One meeting as an invitation (.ics) with its agenda, chair and attendees."""
    collab, _access = get_collaboration_for_user(request.user, slug)
    scheduled = (
        Meeting.objects.filter(scheduled_at__isnull=False)
        .select_related("chair")
        .prefetch_related("attendees", "agenda")
    )
    meeting = get_object_in(collab, scheduled, pk)
    if meeting.scheduled_at is None:  # for the type checker: the query asked for a time
        raise Http404
    summary = meeting_summary(meeting, collab)
    event = meeting_event(meeting_entry(meeting, collab), time_zone(), timezone.now())
    if meeting.cancelled_at is not None:
        event.add("STATUS", "CANCELLED")  # a calendar that imports it shows it called off
    day = timezone.localtime(meeting.scheduled_at).date().isoformat()
    return _ics(calendar_bytes(summary, [event]), f"{meeting.title or meeting.get_kind_display()}-{day}")


@login_required
@require_safe
def series_ics(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A regular meeting of the plan (例会) as one recurring event, days off applied."""
    collab, _access = get_collaboration_for_user(request.user, slug)
    rule = get_object_in(collab, CommunicationRule.objects.all(), pk)
    if not is_series(rule):
        raise Http404
    (data,) = load_meetings([collab], rule=rule.pk)
    summary = series_summary(rule, collab)
    body = calendar_bytes(summary, collab_events(data, timezone.now()))
    return _ics(body, f"{rule.get_channel_display()}-{collab.title}")


def _parse_at(raw: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return timezone.make_aware(at) if timezone.is_naive(at) else at


@login_required
@require_POST
def open_occurrence(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Open the occurrence ``at`` of a regular meeting as a meeting (once), then go to its page."""
    collab, _access = get_collaboration_for_user(request.user, slug, Action.EDIT_COLLABORATION)
    rule = get_object_in(collab, CommunicationRule.objects.all(), pk)
    at = _parse_at(request.POST.get("at", ""))
    meeting = None
    if at is not None:
        try:
            meeting = do_open_occurrence(rule, at, actor=signed_in_person(request))
        except ValueError:
            meeting = None
    if meeting is None:
        messages.error(
            request,
            _("无法打开:%(at)s 不是这项例会的会议时间(可能已因节假日顺延或取消,或超出协作期限)。")
            % {"at": request.POST.get("at", "") or "—"},
        )
        return redirect(reverse("meetings:communication", args=[slug]) + f"#rule-{rule.pk}")
    return redirect("meetings:meeting", slug, meeting.pk)


@login_required
@require_safe
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The signed-in person's subscription: the feed URL, how to add it, and reset."""
    person = signed_in_person(request)
    feed = do_open_calendar_feed(person)
    url = feed_url(feed)
    response = render(
        request,
        "meetings/calendar.html",
        {
            "feed_url": url,
            "webcal_url": "webcal://" + url.split("://", 1)[1],
            "collabs": list(taking_part(person)),
            "time_zone": settings.TIME_ZONE,
            "issued_at": feed.created_at,
        },
    )
    # The page shows a secret URL: never kept by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def calendar_reset(request: HttpRequest) -> HttpResponse:
    do_reset_calendar_feed(signed_in_person(request))
    messages.success(request, _("已重置订阅链接:旧链接已失效,请在日历应用中改用新链接。"))
    return redirect("meetings:calendar")


@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A person's subscription feed; the token is the key (404 when forged or reset)."""
    subscription = feed_for_token(token)
    if subscription is None:
        raise Http404
    person = subscription.person
    with translation.override(person.language or settings.LANGUAGE_CODE):
        body = person_feed(person, timezone.now())
    response = _ics(body, "xietong", attachment=False)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
