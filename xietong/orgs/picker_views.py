"""The people picker's live search: matching active people for any people field.

Any signed-in person may search (the names of colleagues are what every
page of a collaboration shows anyway): the answer is name, department and
login, never an e-mail or a mobile. One query, at most ``PICK_LIMIT`` people,
whatever the directory's size.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xietong.orgs.models import Person

PICK_LIMIT = 10
# Longer text is no name anyone types: it is not searched.
QUERY_MAX = 100


def search_text(request: HttpRequest) -> str:
    """Return the typed text: ``q``, or the value of the input named by ``field`` (htmx sends it so)."""
    text = request.GET.get("q")
    if text is None:
        text = request.GET.get(request.GET.get("field", ""), "")
    return text.strip()[:QUERY_MAX]


@login_required
@require_GET
def pick_people(request: HttpRequest) -> HttpResponse:
    """The people whose name or login contains the text (an htmx fragment), the closest matches first."""
    text = search_text(request)
    people: list[Person] = []
    if text:
        people = list(
            Person.objects.filter(is_active=True)
            .filter(Q(display_name__icontains=text) | Q(username__icontains=text))
            .select_related("department")
            .order_by("display_name", "username", "id")[:PICK_LIMIT]
        )
    return render(request, "orgs/_picker_results.html", {"people": people, "q": text})
