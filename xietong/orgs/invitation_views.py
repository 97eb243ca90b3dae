"""The invitation link ``/invite/<token>/``: the invited person sets a password and is signed in.

No sign-in needed: the token is the credential. An unknown, used, revoked
or expired token gets one and the same page (404), so the page tells a
guesser nothing about which tokens exist.
"""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from xietong.orgs.invitations import InvitationRefused, do_accept_invitation, find_invitation

# Signing in here skips the axes backend on purpose: the token, not a password, was checked.
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _dead(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/invitation_invalid.html", {"page_title": _("邀请链接无效")}, status=404)


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "HEAD", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Show the invited person's name and a set-password form; on success sign them in and go home."""
    invitation = find_invitation(token)
    if invitation is None:
        return _dead(request)
    person = invitation.person
    form = SetPasswordForm(person, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            person = do_accept_invitation(invitation, form.cleaned_data["new_password1"])
        except InvitationRefused:
            return _dead(request)
        login(request, person, backend=BACKEND)
        return redirect("/")
    status = 400 if form.errors else 200
    context = {"page_title": _("接受邀请"), "person": person, "form": form, "invitation": invitation}
    return render(request, "orgs/invitation_accept.html", context, status=status)
