"""``/healthz`` and ``/readyz``: JSON for load balancers and monitoring, no sign-in, no secrets.

Probes carry no session, so neither the sign-in nor the staff's second
factor applies to them, and these views never look at ``request.user``.
``/healthz`` touches nothing (the process answers); ``/readyz`` runs
``health.readiness`` (four indexed queries at most).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from xietong.ops import health


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers: no database, no cache."""
    return JsonResponse({"status": health.OK})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Each check's status and numbers; 200 when ready (ok or degraded), 503 otherwise."""
    status, checks = health.readiness(timezone.now())
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == health.FAIL else 200)
