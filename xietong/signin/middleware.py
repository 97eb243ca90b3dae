"""The sign-in middleware.

``RequireStaffMfaMiddleware``: with XIETONG_REQUIRE_MFA_FOR_STAFF=1, staff without a second factor
set one up (TOTP) before any other page. A session signed in only through a company method (OIDC,
WeCom …) is left to that method's own second factor; a password (local or LDAP) is not.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from xietong.signin.methods import provider_origins

# What staff may still open without a second factor: setting it up, signing out, files, the language.
# Probes (/healthz, /readyz, /metrics) carry no session; a staff browser opening them is not held either.
OPEN_PATHS = ("/accounts/", "/static/", "/i18n/", "/favicon.ico", "/healthz", "/readyz", "/metrics")


def _company_signin_only(request: HttpRequest) -> bool:
    """Whether this session was signed in by a company method and never by a password (local or LDAP)."""
    methods = {record.get("method") for record in get_authentication_records(request, request.user)}
    return "socialaccount" in methods and "password" not in methods


class RequireStaffMfaMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.XIETONG_REQUIRE_MFA_FOR_STAFF and self._must_set_up(request):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _must_set_up(request: HttpRequest) -> bool:
        user = request.user
        if not user.is_authenticated or not (user.is_staff or user.is_superuser):
            return False
        if _company_signin_only(request):
            return False  # signed in by a company method: its second factor is the provider's
        if request.path.startswith(OPEN_PATHS):
            return False
        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


# The pages whose forms start a company sign-in: the login page, allauth's, the invitation link.
SIGNIN_PATHS = ("/accounts/", "/invite/")


class SigninFormActionMiddleware:
    """Let the sign-in pages' forms lead to the configured providers (CSP ``form-action``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(SIGNIN_PATHS):
            origins = provider_origins()
            if origins:
                update = dict(getattr(response, "_csp_update", None) or {})
                update["form-action"] = [*update.get("form-action", []), *origins]
                response._csp_update = update  # type: ignore[attr-defined]  # read by django-csp's middleware
        return response
