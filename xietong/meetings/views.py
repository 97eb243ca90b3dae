"""Pages of steps 3 (kickoff) and 6 (communication plan)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def kickoff(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse("")


@login_required
def communication(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse("")


@login_required
def remove_rule(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return HttpResponse("")
