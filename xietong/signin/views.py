"""The login page and the company sign-in started from an invitation link."""

from __future__ import annotations

from allauth.account.internal.flows.login import perform_password_login
from allauth.account.models import Login
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from xietong.orgs.invitations import find_invitation
from xietong.signin.adapters import INVITATION_KEY
from xietong.signin.config import OIDC_ID
from xietong.signin.methods import configured_methods


class LoginView(auth_views.LoginView):
    """Django's login form (throttled by axes), finished by allauth's login stages.

    The password is checked here, as before; allauth then asks a person who
    turned on a second factor for its code (``/accounts/2fa/authenticate/``)
    before signing them in, and records the sign-in for its re-authentication.
    """

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        login = Login(user=user, redirect_url=self.get_success_url())
        return perform_password_login(self.request, {"username": user.get_username()}, login)


@never_cache
@require_POST
def invitation_signin(request: HttpRequest, token: str, provider: str) -> HttpResponse:
    """Sign in through a company method from an invitation link: the account found becomes the invited person."""
    invitation = find_invitation(token)
    if invitation is None:
        return render(request, "orgs/invitation_invalid.html", {"page_title": _("邀请链接无效")}, status=404)
    if provider not in {m.provider for m in configured_methods()}:
        raise Http404
    request.session[INVITATION_KEY] = invitation.pk
    try:
        app_provider = get_adapter(request).get_provider(
            request, provider=OIDC_ID if provider == "openid_connect" else provider
        )
    except SocialApp.DoesNotExist:
        raise Http404 from None
    return app_provider.redirect(request, process="login", next_url="/")
