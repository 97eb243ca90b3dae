"""Dashboards: one collaboration's charts, and the overview across collaborations."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse("")


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")
