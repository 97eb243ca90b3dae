"""``/healthz`` and ``/readyz``: what a load balancer and monitoring read, at the cost of a few queries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.notify.conftest import email_delivery, make_notification
from tests.notify.servers import closed_port
from xietong.notify.models import Delivery, DeliveryState, WorkerBeat
from xietong.ops.health import BACKLOG_CAP

pytestmark = pytest.mark.django_db

SWEEP = settings.XIETONG_SWEEP_SECONDS


def readyz(client: Client | None = None) -> tuple[int, dict[str, Any]]:
    response = (client or Client()).get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def beat(name: str, seconds_ago: float, *, error: str = "") -> WorkerBeat:
    now = timezone.now()
    return WorkerBeat.objects.create(
        name=name,
        started_at=now - timedelta(hours=1),
        beat_at=now - timedelta(seconds=seconds_ago),
        sweeps=3,
        sweep_ms=42,
        last_error=error,
    )


def due_deliveries(count: int, waited: timedelta = timedelta(0)) -> None:
    for i in range(count):
        delivery = email_delivery(make_notification(None), f"p{i}@example.com")
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - waited)


def test_healthz_answers_without_touching_the_database(
    django_assert_num_queries: Callable[..., Any],
) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405


def test_ready_and_ok_with_a_fresh_worker_and_an_empty_outbox() -> None:
    beat("web1:100", 1)
    status, body = readyz()
    assert status == 200 and body["status"] == "ok"
    checks = body["checks"]
    assert checks["database"]["status"] == "ok" and checks["cache"]["status"] == "ok"
    assert checks["worker"] == {
        "status": "ok",
        "limit_seconds": 2 * SWEEP,
        "workers": 1,
        "age_seconds": pytest.approx(1, abs=1),
        "sweep_ms": 42,
        "sweep_failed": False,
        "required": False,
    }
    assert checks["outbox"]["status"] == "ok" and checks["outbox"]["backlog"] == 0


def test_without_a_worker_the_site_is_ready_but_degraded() -> None:
    status, body = readyz()
    assert status == 200 and body["status"] == "degraded"
    assert body["checks"]["worker"]["status"] == "missing"


def test_a_heartbeat_older_than_two_sweep_periods_is_stale() -> None:
    beat("old:1", 2 * SWEEP + 5, error="failed: tasks")
    status, body = readyz()
    assert status == 200 and body["status"] == "degraded"
    worker = body["checks"]["worker"]
    assert worker["status"] == "stale" and worker["workers"] == 0 and worker["sweep_failed"]
    assert worker["age_seconds"] >= 2 * SWEEP


def test_a_required_worker_that_is_late_makes_the_site_not_ready(settings: SettingsWrapper) -> None:
    settings.XIETONG_READY_REQUIRES_WORKER = True
    beat("old:1", 2 * SWEEP + 5)
    status, body = readyz()
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["worker"]["required"] is True
    beat("new:2", 0)  # a second worker swept just now: ready again
    status, body = readyz()
    assert status == 200 and body["status"] == "ok" and body["checks"]["worker"]["workers"] == 1


def test_the_backlog_counts_deliveries_due_and_not_sent_and_the_lag_their_wait() -> None:
    beat("web1:100", 1)
    due_deliveries(3, waited=timedelta(seconds=10))
    # not counted: sent, failed, being sent, and one in its back-off
    for state in (DeliveryState.SENT, DeliveryState.FAILED, DeliveryState.SENDING):
        d = email_delivery(make_notification(None), f"{state}@example.com")
        Delivery.objects.filter(pk=d.pk).update(state=state)
    later = email_delivery(make_notification(None), "later@example.com")
    Delivery.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    status, body = readyz()
    outbox = body["checks"]["outbox"]
    assert status == 200 and body["status"] == "ok"
    assert outbox["backlog"] == 3 and not outbox["backlog_capped"]
    assert 10 <= outbox["lag_seconds"] < 2 * SWEEP and outbox["status"] == "ok"


def test_an_outbox_waiting_longer_than_two_sweeps_is_lagging(settings: SettingsWrapper) -> None:
    beat("web1:100", 1)
    due_deliveries(1, waited=timedelta(seconds=2 * SWEEP + 30))
    status, body = readyz()
    assert status == 200 and body["status"] == "degraded"
    assert body["checks"]["outbox"]["status"] == "lagging"
    settings.XIETONG_READY_REQUIRES_WORKER = True
    assert readyz()[0] == 503


def test_readiness_costs_the_same_four_queries_whatever_the_data(
    django_assert_num_queries: Callable[..., Any],
) -> None:
    beat("web1:100", 1)
    due_deliveries(1)
    with django_assert_num_queries(4):
        assert readyz()[1]["checks"]["outbox"]["backlog"] == 1
    for i in range(5):
        beat(f"web{i + 2}:1", i * SWEEP)
    due_deliveries(40, waited=timedelta(hours=1))
    with django_assert_num_queries(4):
        assert readyz()[1]["checks"]["outbox"]["backlog"] == 41


def test_the_backlog_count_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("xietong.ops.health.BACKLOG_CAP", 5)
    due_deliveries(7)
    outbox = readyz()[1]["checks"]["outbox"]
    assert outbox["backlog"] == 5 and outbox["backlog_capped"]
    assert BACKLOG_CAP == 10_000


def test_a_cache_that_does_not_answer_makes_the_site_not_ready_and_names_no_host(
    settings: SettingsWrapper,
) -> None:
    port = closed_port()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://:s3cret-pass@127.0.0.1:{port}/1",
        }
    }
    response = Client().get("/readyz")
    body = json.loads(response.content)
    assert response.status_code == 503 and body["status"] == "fail"
    assert body["checks"]["cache"] == {"status": "fail", "error": "ConnectionError"}
    assert body["checks"]["database"]["status"] == "ok"
    text = response.content.decode()
    for secret in ("127.0.0.1", str(port), "s3cret", "redis", "Connection refused"):
        assert secret not in text


def test_the_answers_hold_no_secret_and_need_no_sign_in(settings: SettingsWrapper) -> None:
    beat("web1:100", 1, error="failed: ValueError password=hunter2")
    settings.XIETONG_REQUIRE_MFA_FOR_STAFF = True  # a probe has no session: nothing to sign in or set up
    for url in ("/healthz", "/readyz"):
        response = Client().get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"]  # the site's headers as on every page
        assert response["X-Frame-Options"] == "DENY"
    text = Client().get("/readyz").content.decode()
    database = str(settings.DATABASES["default"]["NAME"])
    for secret in ("hunter2", "password", "ValueError", settings.SECRET_KEY, database, "web1"):
        assert secret not in text


def test_a_cache_turned_off_on_purpose_is_not_a_failure(settings: SettingsWrapper) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    beat("web1:100", 1)
    status, body = readyz()
    assert status == 200 and body["checks"]["cache"]["disabled"] is True
