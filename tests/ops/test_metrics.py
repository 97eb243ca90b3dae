"""``/metrics``: who may read it, and what the requests, the sweep, the deliveries and imports record there."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.notify.conftest import collab, email_delivery, make_notification
from tests.notify.servers import SmtpServer, smtp, smtp_server
from xietong.charter.store import import_charter_for
from xietong.collabs.models import Collaboration
from xietong.collabs.snapshots import load_snapshot
from xietong.documents.workbook import read_workbook, workbook_bytes
from xietong.notify.management.commands import worker
from xietong.notify.models import Delivery

__all__ = ["collab", "smtp", "smtp_server"]  # the fixtures of the notification tests

pytestmark = pytest.mark.django_db

GOOD = Path(__file__).resolve().parents[1] / "charters" / "good.json"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Client | None = None, **headers: str) -> str:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def changes(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


# --- who may read it


def test_other_addresses_get_404_as_if_there_were_no_such_page() -> None:
    response = Client(REMOTE_ADDR="10.1.2.3").get("/metrics")
    assert response.status_code == 404
    assert b"xietong_" not in response.content


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_the_machine_itself_may_read_it_by_default(address: str) -> None:
    assert "xietong_http_requests_total" in scrape(Client(REMOTE_ADDR=address))


def test_a_bearer_token_opens_it_from_anywhere(settings: SettingsWrapper) -> None:
    settings.XIETONG_METRICS_TOKEN = "scrape-token-0123456789"
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert scrape(elsewhere, HTTP_AUTHORIZATION="Bearer scrape-token-0123456789")
    for wrong in ("Bearer scrape-token-012345678", "scrape-token-0123456789", "Bearer ", "Basic x"):
        assert elsewhere.get("/metrics", HTTP_AUTHORIZATION=wrong).status_code == 404
    assert elsewhere.get("/metrics").status_code == 404


def test_networks_are_configurable_and_an_empty_list_means_the_token_only(settings: SettingsWrapper) -> None:
    settings.XIETONG_METRICS_ALLOWED_IPS = ["10.0.0.0/8", "2001:db8::/32"]
    assert Client(REMOTE_ADDR="10.200.1.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="2001:db8::7").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="11.0.0.1").get("/metrics").status_code == 404
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404
    settings.XIETONG_METRICS_ALLOWED_IPS = []
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404


def test_behind_the_proxy_the_visitor_is_judged_not_the_proxy(settings: SettingsWrapper) -> None:
    settings.XIETONG_BEHIND_PROXY = True
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    assert proxy.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    # a visitor claiming to be the machine itself: the proxy's own (last) entry decides
    forged = "127.0.0.1, 203.0.113.9"
    assert proxy.get("/metrics", HTTP_X_FORWARDED_FOR=forged).status_code == 404
    assert proxy.get("/metrics").status_code == 200  # Prometheus on the machine, past the proxy


def test_a_bad_allowed_network_stops_the_start() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from xietong.lib.metrics import parse_networks

    with pytest.raises(ImproperlyConfigured, match="XIETONG_METRICS_ALLOWED_IPS"):
        parse_networks(["10.0.0.0/8", "intranet"], "XIETONG_METRICS_ALLOWED_IPS")


# --- what it holds


def test_requests_are_counted_by_view_and_status_class_never_by_path() -> None:
    before = samples(scrape())
    for _ in range(3):
        Client().get("/healthz")
    Client().get("/accounts/login/")
    Client().get("/no/such/page/")
    Client().get("/readyz")
    text = scrape()
    after = samples(text)
    assert changes(before, after, "xietong_http_requests_total", view="ops:healthz", status="2xx") == 3
    assert changes(before, after, "xietong_http_requests_total", view="login", status="2xx") == 1
    assert changes(before, after, "xietong_http_requests_total", view="unmatched", status="4xx") == 1
    assert changes(before, after, "xietong_http_request_duration_seconds_count", view="ops:healthz") == 3
    # the readiness check's four queries, in the histogram of queries per request
    assert changes(before, after, "xietong_http_request_queries_count", view="ops:readyz") == 1
    assert changes(before, after, "xietong_http_request_queries_sum", view="ops:readyz") == 4
    assert changes(before, after, "xietong_http_request_queries_sum", view="ops:healthz") == 0
    assert "/no/such/page/" not in text
    labels = {dict(labels).get("view", "") for _name, labels in after}
    assert not any(view.startswith("/") for view in labels)


def test_the_outbox_backlog_is_read_from_the_database_at_each_scrape(collab: Collaboration) -> None:
    assert value(samples(scrape()), "xietong_outbox_backlog") == 0
    for address in ("a@example.com", "b@example.com"):
        delivery = email_delivery(make_notification(collab=collab), address)
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    found = samples(scrape())
    assert value(found, "xietong_outbox_backlog") == 2
    assert 60 <= value(found, "xietong_outbox_lag_seconds") < 120


class _OneRound(threading.Event):
    """The worker's stop signal, given after its first round (the clock never waits)."""

    def wait(self, timeout: float | None = None) -> bool:
        self.set()
        return True


def test_a_sweep_and_its_deliveries_are_counted_by_channel_and_outcome(
    smtp: SmtpServer, collab: Collaboration, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)  # the test's one transaction
    smtp.handler.refuse["busy@example.com"] = "450 4.2.1 mailbox busy"
    smtp.handler.refuse["nobody@example.com"] = "550 5.1.1 no such user"
    for address in ("ok@example.com", "busy@example.com", "nobody@example.com"):
        email_delivery(make_notification(collab=collab), address)
    before = samples(scrape())
    worker.clock(_OneRound(), 60)
    after = samples(scrape())
    assert [mail.recipients for mail in smtp.mails] == [["ok@example.com"]]
    for outcome in ("sent", "retried", "failed"):
        assert changes(before, after, "xietong_deliveries_total", channel="email", outcome=outcome) == 1
    assert changes(before, after, "xietong_sweeps_total", outcome="ok") == 1
    assert changes(before, after, "xietong_sweep_duration_seconds_count") == 1
    assert value(after, "xietong_sweep_last_timestamp_seconds") >= timezone.now().timestamp() - 60
    assert value(after, "xietong_outbox_backlog") == 0  # the retry waits out its back-off


def test_import_sizes_are_recorded_per_kind(
    demo: Collaboration, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    before = samples(scrape())
    charter = json.loads(GOOD.read_text())
    with django_capture_on_commit_callbacks(execute=True):
        import_charter_for(None, charter, slug="imported")
    read = read_workbook(io.BytesIO(workbook_bytes(load_snapshot(demo))))
    after = samples(scrape())
    rows = sum(len(charter.get(k, [])) for k in ("departments", "tasks", "subgoals", "communication"))
    assert changes(before, after, "xietong_import_rows_count", kind="charter") == 1
    assert changes(before, after, "xietong_import_rows_sum", kind="charter") == rows
    assert changes(before, after, "xietong_import_rows_count", kind="workbook") == 1
    assert changes(before, after, "xietong_import_rows_sum", kind="workbook") == read.rows > 0


@pytest.mark.parametrize("header", ["HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP"])
def test_a_proxy_nobody_declared_does_not_open_it_to_its_visitors(header: str) -> None:
    # nginx on the same machine without XIETONG_BEHIND_PROXY=1: every visitor arrives from 127.0.0.1.
    through_proxy = Client(REMOTE_ADDR="127.0.0.1")
    assert through_proxy.get("/metrics", **{header: "203.0.113.9"}).status_code == 404
    assert through_proxy.get("/metrics").status_code == 200  # the local agent itself, no proxy header
