"""Each person sees the interface in the language they chose, on any browser."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from xietong.orgs.models import Person


class PersonLanguageMiddleware:
    """After authentication: a person's saved language wins over the browser's default.

    An explicit choice on this browser (the language cookie) still wins, so a
    switch takes effect at once; the saved choice follows the person to a
    browser that has none.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, Person)
            and user.language
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
