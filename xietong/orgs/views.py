"""The language switch, remembered per person."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from xietong.orgs.models import Person


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
