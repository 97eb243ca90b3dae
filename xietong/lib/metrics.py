"""The Prometheus metrics every layer records: requests, the sweep, deliveries, imports.

Defined once here (``lib`` imports no app) and observed through the small
functions below, so the apps that record them need one line each and never
build a label themselves. Labels are bounded: a view's name (never the raw
path), a status class, a channel, an outcome, an import kind.

Several processes (gunicorn's web workers and ``xietong worker``) share one
scrape through prometheus_client's multi-process mode: ``xietong run`` sets
``PROMETHEUS_MULTIPROC_DIR`` (``MULTIPROC_ENV``) for its children before they
start, each process writes its values into files there, and ``/metrics``
(``xietong.ops.metrics_views``) adds them up. Without that variable (a
single process: ``runserver``, the tests) the values live in the process.
"""

from __future__ import annotations

import shutil
import time
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from prometheus_client import Counter, Gauge, Histogram

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "xietong_http_requests", "HTTP requests answered, by view name and status class.", ["view", "status"]
)
REQUEST_SECONDS = Histogram(
    "xietong_http_request_duration_seconds",
    "Time to answer an HTTP request (until the response is handed to the server), by view name.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUEST_QUERIES = Histogram(
    "xietong_http_request_queries",
    "Database queries run while answering one HTTP request, by view name.",
    ["view"],
    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200),
)
SWEEP_SECONDS = Histogram(
    "xietong_sweep_duration_seconds",
    "Duration of one round of the worker's clock: the sweep and the catch-up of due deliveries.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
SWEEPS = Counter("xietong_sweeps", "Rounds of the worker's clock, by outcome (ok, failed).", ["outcome"])
SWEEP_REMINDERS = Counter("xietong_sweep_reminders", "Reminders the sweeps wrote into the outbox.")
SWEEP_DELIVERIES = Counter("xietong_sweep_deliveries", "Deliveries the sweeps planned.")
SWEEP_LAST = Gauge(
    "xietong_sweep_last_timestamp_seconds",
    "When the latest round of any worker's clock ended (Unix time).",
    multiprocess_mode="max",
)
DELIVERIES = Counter(
    "xietong_deliveries",
    "Delivery attempts by channel (email, wecom, dingtalk, feishu) and outcome (sent, retried, failed).",
    ["channel", "outcome"],
)
REARMED = Counter(
    "xietong_deliveries_rearmed",
    "Deliveries cut short by a stopped worker and put back: each possibly received twice (docs/operations.md).",
)
IMPORT_ROWS = Histogram(
    "xietong_import_rows",
    "Rows per import, by kind (charter: tasks of an imported charter; workbook: rows of an imported sheet).",
    ["kind"],
    buckets=(1, 10, 50, 100, 500, 1000, 5000, 10000, 50000),
)

# Delivery states (notify.models.DeliveryState values) as the outcome of an attempt.
_OUTCOMES = {"sent": "sent", "failed": "failed", "pending": "retried"}


def status_class(status: int) -> str:
    """``"2xx"`` for 204: the status label (five values, not sixty)."""
    return f"{status // 100}xx"


def observe_request(view: str, status: int, seconds: float, queries: int) -> None:
    REQUESTS.labels(view=view, status=status_class(status)).inc()
    REQUEST_SECONDS.labels(view=view).observe(seconds)
    REQUEST_QUERIES.labels(view=view).observe(queries)


def observe_sweep(seconds: float, reminders: int, deliveries: int, *, failed: bool) -> None:
    SWEEP_SECONDS.observe(seconds)
    SWEEPS.labels(outcome="failed" if failed else "ok").inc()
    SWEEP_REMINDERS.inc(reminders)
    SWEEP_DELIVERIES.inc(deliveries)
    SWEEP_LAST.set(time.time())


def observe_delivery(channel: str, state: str) -> None:
    """One finished attempt: ``state`` is the delivery's state after it (pending: it will be retried)."""
    outcome = _OUTCOMES.get(state)
    if outcome is not None:
        DELIVERIES.labels(channel=channel, outcome=outcome).inc()


def observe_rearmed(count: int) -> None:
    REARMED.inc(count)


def observe_import(kind: str, rows: int) -> None:
    IMPORT_ROWS.labels(kind=kind).observe(rows)


def parse_networks(items: list[str], source: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Read addresses and CIDR networks ("10.0.0.0/8", "::1"); raise ``ImproperlyConfigured`` on anything else."""
    networks = []
    for item in items:
        try:
            networks.append(ip_network(item.strip().strip("[]"), strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{source}: {item!r} is not an address or a network") from None
    return tuple(networks)


def address_in(address: str | None, networks: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    """Whether ``address`` (an IPv4 address mapped into IPv6 counts as itself) is in one of ``networks``."""
    if not address:
        return False
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == network.version and ip in network for network in networks)


def fresh_multiproc_dir(data_dir: Path) -> Path:
    """The multi-process folder of ``xietong run`` (``<data>/metrics``), emptied: a new start counts from zero.

    Files of processes gone before this start would otherwise be added to
    every scrape (and a live gauge of an old pid would never leave).
    """
    folder = data_dir / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
