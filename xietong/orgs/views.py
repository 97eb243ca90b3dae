"""The language switch, remembered per person; the proposed department heads, for staff."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from xietong.orgs.actions import ProposalRefused, do_confirm_head, do_reject_head, may_manage_org
from xietong.orgs.models import HeadProposal, HeadProposalState, Person

# Decided proposals shown under the pending ones, most recent first.
RECENTLY_DECIDED = 20


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the language (Django's cookie) and remember it for the signed-in person."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if isinstance(user, Person) and language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


def _staff(request: HttpRequest) -> Person:
    if not may_manage_org(request.user):
        raise PermissionDenied
    assert isinstance(request.user, Person)
    return request.user


@login_required
@require_GET
def head_proposals(request: HttpRequest) -> HttpResponse:
    """The proposed department heads waiting for a decision, and the latest decided (staff only)."""
    _staff(request)
    rows = HeadProposal.objects.select_related(
        "department", "department__head", "person", "proposed_by", "decided_by"
    )
    return render(
        request,
        "orgs/head_proposals.html",
        {
            "page_title": _("部门负责人提议"),
            "pending": rows.filter(state=HeadProposalState.PENDING).order_by("created_at", "id"),
            "decided": rows.exclude(state=HeadProposalState.PENDING).order_by("-decided_at", "-id")[
                :RECENTLY_DECIDED
            ],
        },
    )


@login_required
@require_POST
def decide_head_proposal(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Confirm (``replace`` to replace a current head explicitly) or reject one proposal."""
    actor = _staff(request)
    proposal = get_object_or_404(HeadProposal.objects.select_related("department", "person"), pk=pk)
    names = {"person": proposal.person.name, "department": proposal.department.name}
    try:
        if decision == "confirm":
            do_confirm_head(proposal, actor=actor, replace=request.POST.get("replace") == "1")
            messages.success(request, _("已设定 %(person)s 为 %(department)s 的负责人。") % names)
        else:
            do_reject_head(proposal, actor=actor)
            messages.success(request, _("已拒绝提议:%(person)s 为 %(department)s 的负责人。") % names)
    except ProposalRefused as exc:
        messages.error(request, str(exc))
    return redirect("orgs:head_proposals")
