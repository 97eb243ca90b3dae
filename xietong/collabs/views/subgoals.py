"""Step 5: quantified department sub-goals."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def subgoals(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse("")


@login_required
def remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return HttpResponse("")
