"""``/metrics``: Prometheus text format, for a bearer token or the allowed addresses only.

Anyone else gets the site's 404: the page is not advertised. The metrics of
every process (gunicorn's web workers, ``xietong worker``) are added up from
prometheus_client's multi-process folder when ``xietong run`` set one
(``xietong.lib.metrics``); the outbox's backlog and lag are computed from the
database at scrape time (two indexed queries), so they are right whichever
process answers and whether or not a worker runs.
"""

from __future__ import annotations

import functools
import hmac
import os
from collections.abc import Iterator
from ipaddress import IPv4Network, IPv6Network

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from xietong.lib.metrics import MULTIPROC_ENV, address_in, parse_networks
from xietong.lib.security import client_ip
from xietong.ops import health

# Headers a reverse proxy adds: a request carrying one came through a proxy.
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


@functools.lru_cache(maxsize=4)
def _networks(items: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    return parse_networks(list(items), "XIETONG_METRICS_ALLOWED_IPS")


def allowed(request: HttpRequest) -> bool:
    """The right bearer token, or a client address in ``XIETONG_METRICS_ALLOWED_IPS``."""
    token = settings.XIETONG_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip(), token):
        return True
    if not settings.XIETONG_BEHIND_PROXY and any(request.headers.get(name) for name in PROXY_HEADERS):
        # Passed on by a proxy nobody declared: the address is the proxy's (often 127.0.0.1), not the visitor's.
        return False
    return address_in(client_ip(request), _networks(tuple(settings.XIETONG_METRICS_ALLOWED_IPS)))


class OutboxCollector(Collector):
    """The outbox read at scrape time: deliveries due and not sent, and the oldest one's wait."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        found = health.outbox(now)
        yield GaugeMetricFamily(
            "xietong_outbox_backlog",
            f"Deliveries due and not sent (counted up to {health.BACKLOG_CAP}).",
            value=found.backlog,
        )
        yield GaugeMetricFamily(
            "xietong_outbox_lag_seconds",
            "How long the oldest delivery due and not sent has waited.",
            value=found.lag(now),
        )


def _process_metrics() -> bytes:
    """What the processes recorded: all of them from the multi-process folder, else this one's."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=folder)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        raise Http404
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector())
    return HttpResponse(_process_metrics() + generate_latest(outbox), content_type=CONTENT_TYPE_LATEST)
