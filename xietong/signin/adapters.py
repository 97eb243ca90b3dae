"""allauth's adapters for Xietong: no self sign-up; a company sign-in finds or makes its person."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from xietong.orgs.models import Person, PersonSource
from xietong.signin.actions import (
    SOURCES,
    do_accept_invitation_by_signin,
    email_taken,
    free_username,
    live_invitation,
    live_invitation_of,
    person_with_email,
    record_first_signin,
)
from xietong.signin.methods import method_name

# The session key of the invitation a company sign-in started from (``views.invitation_signin``).
INVITATION_KEY = "xietong_signin_invitation"
# Who is signed in by allauth without having typed a password (the password form sets its own).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def user_display(user: Any) -> str:
    return str(getattr(user, "name", "") or getattr(user, "username", ""))


def _provider(sociallogin: SocialLogin) -> str:
    """allauth's provider class id of the sign-in (``openid_connect`` for the OIDC app)."""
    return str(sociallogin.account.get_provider().id)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Local accounts are invited (/org/) or come from a directory: nobody signs themselves up.
        return False

    def add_message(self, *args: Any, **kwargs: Any) -> None:
        # allauth's flash messages ("signed in as …") would surface on a later page that shows
        # the site's own messages: the pages say what happened themselves.
        return None

    def login(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        if not hasattr(user, "backend"):
            user.backend = MODEL_BACKEND  # type: ignore[attr-defined]
        super().login(request, user)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True  # the company's sign-in vouches for its members

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]) -> Any:
        """The new person's fields: name, the first verified e-mail nobody has, a free login, the source."""
        user = super().populate_user(request, sociallogin, data)
        assert isinstance(user, Person)
        provider = _provider(sociallogin)
        verified = [a.email for a in sociallogin.email_addresses if a.verified]
        email = next((e for e in verified if not email_taken(e)), "")
        user.email = Person.objects.normalize_email(email)
        user.display_name = (data.get("name") or "").strip()[:100]
        user.first_name = user.last_name = ""
        user.phone = (data.get("phone") or "")[:40] if isinstance(data.get("phone"), str) else ""
        user.source = SOURCES.get(provider, PersonSource.LOCAL)
        local = email.split("@", 1)[0] if email else ""
        user.username = free_username(
            local, data.get("username") or "", f"{user.source}-{sociallogin.account.uid}"[:140]
        )
        return user

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Link a provider account seen for the first time to the invited person or the verified e-mail's."""
        invitation = live_invitation(request.session.pop(INVITATION_KEY, None))
        if sociallogin.is_existing:
            return
        name = method_name(_provider(sociallogin))
        if invitation is None:
            person = person_with_email([a.email for a in sociallogin.email_addresses if a.verified])
            if person is None:
                # A new person (save_user below) keeps only the verified address given to them.
                email = getattr(sociallogin.user, "email", "")
                sociallogin.email_addresses = [
                    a for a in sociallogin.email_addresses if email and a.email.lower() == email.lower()
                ]
                return
            invitation = live_invitation_of(person)
        if invitation is not None:  # signing in uses the invitation up, as setting a password would
            person = do_accept_invitation_by_signin(invitation, name)
        assert person is not None
        sociallogin.connect(request, person)
        record_first_signin(person, sociallogin.account, name, created=False)

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> Any:
        user = super().save_user(request, sociallogin, form)
        record_first_signin(user, sociallogin.account, method_name(_provider(sociallogin)), created=True)
        return user
