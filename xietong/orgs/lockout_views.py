"""The sign-in lockouts page: who must wait before trying to sign in again, and unlocking (staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.lib.throttle import current_lockouts, do_unlock
from xietong.orgs.actions import may_manage_org


def _staff(request: HttpRequest) -> None:
    # Unlocking lets someone guess a password again: staff who manage people only.
    if not may_manage_org(request.user):
        raise PermissionDenied


@login_required
@require_GET
def lockouts(request: HttpRequest) -> HttpResponse:
    """The usernames and addresses waiting after failed sign-ins, the longest wait first."""
    _staff(request)
    return render(
        request, "orgs/lockouts.html", {"page_title": _("登录锁定"), "lockouts": current_lockouts()}
    )


@login_required
@require_POST
def unlock(request: HttpRequest) -> HttpResponse:
    """Forget the failures of one username from one address (no username: of the whole address)."""
    _staff(request)
    username = request.POST.get("username") or None
    address = request.POST.get("address") or None
    do_unlock(username, address, actor=request.user)
    messages.success(
        request,
        _("已解除 %(who)s 的登录锁定。")
        % {"who": f"{username} @ {address or '—'}" if username else (address or "—")},
    )
    return redirect("orgs:lockouts")
