"""Who is calling: a personal token (``Authorization: Bearer …``) or the browser's session.

A request that carries an ``Authorization`` header is judged by it alone:
a wrong, revoked or foreign token is 401 even when the browser also has a
session. A session request is checked for CSRF on unsafe methods, as
Django's forms are; a token request needs no CSRF (no browser sends it on
its own).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from xietong.api.actions import person_for_token
from xietong.orgs.models import Person


class TokenAuth(HttpBearer):
    """``Authorization: Bearer xt_…``: a personal token of an active person."""

    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        person = person_for_token(token.strip())
        if person is not None:
            # Pages and the access layer read request.user; keep one notion of "who".
            request.user = person
            if person.language and "HTTP_ACCEPT_LANGUAGE" not in request.META:
                # As on the pages: the person's saved language, unless the client asks for one.
                translation.activate(person.language)
                request.LANGUAGE_CODE = person.language
        return person


class BrowserSession(SessionAuth):
    """Django's session, with CSRF checked on unsafe methods (ninja's ``django_auth``).

    CSRF is checked only when the session signs someone in: an anonymous
    request, or one that brings its own ``Authorization`` header, gets 401
    rather than a CSRF failure, and is never authenticated by a cookie.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if "Authorization" in request.headers:
            return None
        if not (request.user.is_authenticated and request.user.is_active):
            return None
        return super().__call__(request)


AUTH = [TokenAuth(), BrowserSession()]


def caller(request: HttpRequest) -> Person:
    """Return the person an authenticated API request acts for."""
    person = request.auth  # type: ignore[attr-defined]
    assert isinstance(person, Person)
    return person
