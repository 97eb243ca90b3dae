"""Answering being named to a role of a collaboration (linked from the notice and the inbox)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xietong.collabs.access import get_nomination_for_user, signed_in_person
from xietong.collabs.actions.nominations import (
    AlreadyAnswered,
    do_accept_nomination,
    do_decline_nomination,
)

ANSWERS = {"accept": do_accept_nomination, "decline": do_decline_nomination}


@login_required
@require_http_methods(["GET", "POST"])
def nomination(request: HttpRequest, pk: int) -> HttpResponse:
    person = signed_in_person(request)
    nomination = get_nomination_for_user(person, pk)
    if request.method == "POST":
        answer = ANSWERS.get(request.POST.get("answer", ""))
        if answer is None:
            return HttpResponseBadRequest()
        try:
            answer(nomination, actor=person)
        except AlreadyAnswered:
            messages.error(request, _("这项指定已经答复过了。"))
        else:
            messages.success(request, _("已记下您的答复。"))
        return redirect("collabs:nomination", pk)
    return render(request, "collabs/nomination.html", {"nomination": nomination})
