"""Readiness: is this web process fit to serve, and is the background work keeping up?

``readiness`` runs a handful of cheap checks, each an indexed query or a
cache round trip (four queries in all, however much data), so a load
balancer may ask every second:

- ``database``: a trivial query answers;
- ``cache``: a key set is read back;
- ``worker``: some worker swept within two sweep periods (``WorkerBeat``);
- ``outbox``: the deliveries due and not sent (the backlog, counted up to
  ``BACKLOG_CAP``) and how long the oldest of them has waited (the lag).

The database and the cache decide readiness (HTTP 503 without them). The
worker and the outbox do only with ``XIETONG_READY_REQUIRES_WORKER=1``: the
site serves pages without the worker, so by default a missing worker makes
the answer "degraded" (HTTP 200), which monitoring alerts on, rather than
taking every web server out of the load balancer.

Nothing in the answer is a secret: statuses, numbers and at most an
exception's class name, never its message (it may hold a host or a password).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Min

from xietong.notify.delivery import due
from xietong.notify.heartbeat import FORGET_AFTER, SHOWN
from xietong.notify.models import WorkerBeat

OK, DEGRADED, FAIL = "ok", "degraded", "fail"
# The backlog is counted up to this many rows: enough to alert on, bounded in cost.
BACKLOG_CAP = 10_000
CACHE_KEY = "xietong:readyz:{pid}"


def sweep_limit() -> timedelta:
    """How long without a sweep (or how long a due delivery waits) before the worker is late: 2 periods."""
    return timedelta(seconds=2 * settings.XIETONG_SWEEP_SECONDS)


def _ms(began: float) -> float:
    return round((time.perf_counter() - began) * 1000, 1)


def check_database() -> dict[str, Any]:
    began = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"status": FAIL, "error": type(exc).__name__}
    return {"status": OK, "ms": _ms(began)}


def check_cache() -> dict[str, Any]:
    began = time.perf_counter()
    key, value = CACHE_KEY.format(pid=os.getpid()), secrets.token_hex(8)
    try:
        cache.set(key, value, 30)
        read = cache.get(key)
    except Exception as exc:
        return {"status": FAIL, "error": type(exc).__name__}
    if read != value and settings.CACHES["default"]["BACKEND"].endswith("DummyCache"):
        # XIETONG_CACHE_URL=dummy://: caching is off on purpose, nothing is wrong
        return {"status": OK, "ms": _ms(began), "disabled": True}
    return {"status": OK if read == value else FAIL, "ms": _ms(began)}


def check_worker(now: datetime) -> dict[str, Any]:
    """The newest heartbeat's age against two sweep periods, and how many workers beat within them.

    One query: the rows are one per worker process, forgotten a day after its last beat.
    """
    limit = sweep_limit()
    beats = list(
        WorkerBeat.objects.filter(beat_at__gte=now - FORGET_AFTER)
        .order_by("-beat_at")
        .values_list("beat_at", "sweep_ms", "last_error")[:SHOWN]
    )
    fresh = sum(1 for beat_at, _ms, _error in beats if beat_at >= now - limit)
    answer: dict[str, Any] = {"limit_seconds": int(limit.total_seconds()), "workers": fresh}
    if not beats:
        return {"status": "missing", **answer}
    newest, sweep_ms, error = beats[0]
    answer["age_seconds"] = round(max((now - newest).total_seconds(), 0.0), 1)
    answer["sweep_ms"] = sweep_ms
    answer["sweep_failed"] = bool(error)  # the text may name a finder: only whether there was one
    return {"status": OK if fresh else "stale", **answer}


@dataclass(frozen=True)
class Outbox:
    """The deliveries due and not sent: how many (up to ``BACKLOG_CAP``) and since when the oldest."""

    backlog: int
    oldest_due: datetime | None

    def lag(self, now: datetime) -> float:
        return max((now - self.oldest_due).total_seconds(), 0.0) if self.oldest_due is not None else 0.0


def outbox(now: datetime) -> Outbox:
    """Two queries on the ``delivery_due`` index (state, next_attempt_at)."""
    waiting = due(now)
    backlog = waiting.order_by()[:BACKLOG_CAP].count()
    oldest = waiting.aggregate(oldest=Min("next_attempt_at"))["oldest"]
    return Outbox(backlog, oldest)


def check_outbox(now: datetime) -> dict[str, Any]:
    found = outbox(now)
    limit = sweep_limit()
    lag = found.lag(now)
    return {
        "status": OK if lag <= limit.total_seconds() else "lagging",
        "backlog": found.backlog,
        "backlog_capped": found.backlog >= BACKLOG_CAP,
        "lag_seconds": round(lag, 1),
        "limit_seconds": int(limit.total_seconds()),
    }


def readiness(now: datetime) -> tuple[str, dict[str, dict[str, Any]]]:
    """The overall status (ok, degraded, fail) and each check's answer."""
    checks: dict[str, dict[str, Any]] = {"database": check_database(), "cache": check_cache()}
    required = settings.XIETONG_READY_REQUIRES_WORKER
    if checks["database"]["status"] == OK:
        for name, check in (("worker", check_worker), ("outbox", check_outbox)):
            try:
                checks[name] = check(now)
            except Exception as exc:
                checks[name] = {"status": FAIL, "error": type(exc).__name__}
    else:
        checks["worker"] = checks["outbox"] = {"status": "skipped"}
    for name in ("worker", "outbox"):
        checks[name]["required"] = required
    essential = [checks["database"], checks["cache"]]
    background = [checks["worker"], checks["outbox"]]
    if any(c["status"] != OK for c in essential) or (required and any(c["status"] != OK for c in background)):
        return FAIL, checks
    if any(c["status"] != OK for c in background):
        return DEGRADED, checks
    return OK, checks
