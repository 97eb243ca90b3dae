"""``XIETONG_LOG_FORMAT=json``: one JSON object per line, every line of a request carrying its id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.helpers import signed_in
from tests.notify.conftest import collab, email_delivery, make_notification
from tests.notify.servers import SmtpServer, smtp, smtp_server
from tests.notify.test_delivery import _run_worker
from tests.test_settings import _settings_in_fresh_process
from xietong.collabs.models import Collaboration
from xietong.lib import requestlog
from xietong.lib.requestlog import JsonFormatter, gunicorn_log_args, request_id_for
from xietong.lib.security import RedactSecretsFilter
from xietong.notify.models import Delivery, DeliveryState
from xietong.orgs.models import Person

__all__ = ["collab", "smtp", "smtp_server"]  # the fixtures of the notification tests


@pytest.fixture
def json_console(settings: SettingsWrapper) -> Iterator[io.StringIO]:
    """The root handler (its filters as configured) writing JSON into a string, as with XIETONG_LOG_FORMAT=json."""
    settings.XIETONG_LOG_FORMAT = "json"
    handler = next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, RedactSecretsFilter) for f in h.filters)
    )
    stream = io.StringIO()
    old_stream, old_formatter = handler.setStream(stream), handler.formatter
    handler.setFormatter(JsonFormatter())
    try:
        yield stream
    finally:
        handler.setStream(old_stream)  # type: ignore[arg-type]
        handler.setFormatter(old_formatter)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line written, each parsed as JSON (a line that is not JSON fails the test)."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# --- the request id


@pytest.mark.parametrize("given", ["abc", "req-1.2_3", "A" * 64, "0f8fad5b-d9cb-469f-a165-70867728950e"])
def test_a_sane_incoming_id_is_kept(given: str) -> None:
    assert request_id_for(given) == given


@pytest.mark.parametrize("given", [None, "", "A" * 65, "a b", "a\nb", "a;b", "ü", "<script>"])
def test_anything_else_gets_a_new_id(given: str | None) -> None:
    made = request_id_for(given)
    assert made != given and len(made) == 32 and int(made, 16) >= 0


@pytest.mark.django_db
def test_every_response_carries_its_request_id() -> None:
    assert Client().get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a")["X-Request-ID"] == "lb-7f3a"
    first, second = (Client().get("/accounts/login/")["X-Request-ID"] for _ in range(2))
    assert first != second and len(first) == 32
    bad = Client().get("/healthz", HTTP_X_REQUEST_ID="x" * 100)["X-Request-ID"]
    assert bad != "x" * 100 and len(bad) == 32


def test_the_log_format_is_text_or_json_and_a_typo_stops_the_start(tmp_path: Path) -> None:
    assert gunicorn_log_args("text")[:2] == ["--access-logfile", "-"]
    assert "--access-logfile" not in gunicorn_log_args("json")  # the app's request line replaces it
    assert _settings_in_fresh_process(tmp_path, XIETONG_LOG_FORMAT="json").returncode == 0
    refused = _settings_in_fresh_process(tmp_path, XIETONG_LOG_FORMAT="xml")
    assert refused.returncode != 0 and "XIETONG_LOG_FORMAT" in refused.stderr
    refused = _settings_in_fresh_process(tmp_path, XIETONG_METRICS_ALLOWED_IPS="10.0.0.0/8,intranet")
    assert refused.returncode != 0 and "XIETONG_METRICS_ALLOWED_IPS" in refused.stderr


# --- the lines


@pytest.mark.django_db
def test_a_requests_lines_are_json_and_carry_its_id_user_view_status_and_duration(
    json_console: io.StringIO, admin_user: Person
) -> None:
    client = signed_in(admin_user)
    client.get("/no/such/page/", HTTP_X_REQUEST_ID="req-404")  # Django warns "Not Found" meanwhile
    client.get("/notifications/", HTTP_X_REQUEST_ID="req-inbox")
    logging.getLogger("xietong.test").info("outside any request")
    found = lines(json_console)
    by_id = {
        rid: [line for line in found if line.get("request_id") == rid] for rid in ("req-404", "req-inbox")
    }
    warning, request_line = by_id["req-404"]
    assert warning["logger"] == "django.request" and warning["level"] == "WARNING"
    assert request_line["logger"] == "xietong.request"
    assert {key: request_line[key] for key in ("status", "view", "method", "path")} == {
        "status": 404,
        "view": "unmatched",
        "method": "GET",
        "path": "/no/such/page/",
    }
    [inbox] = by_id["req-inbox"]
    assert inbox["view"] == "notify:inbox" and inbox["status"] == 200
    assert inbox["user_id"] == admin_user.pk and inbox["duration_ms"] >= 0 and inbox["queries"] > 0
    assert set(inbox) >= {"time", "level", "logger", "message", "pid"}
    assert inbox["time"].endswith("+00:00")
    outside = found[-1]
    assert outside["message"] == "outside any request" and "request_id" not in outside


@pytest.mark.django_db
def test_secrets_are_redacted_in_json_lines_too(json_console: io.StringIO) -> None:
    Client().get("/invite/s3cretInviteToken42/", HTTP_X_REQUEST_ID="req-invite")
    Client().get("/notifications/unsubscribe/Unsub5cribeToken77/", HTTP_X_REQUEST_ID="req-unsub")
    with requestlog.bound("req-log"):
        try:
            raise ValueError("password=hunter2")
        except ValueError:
            logging.getLogger("xietong.test").exception("calling https://x.example/?token=t0k3n")
    text = json_console.getvalue()
    for secret in ("s3cretInviteToken42", "Unsub5cribeToken77", "hunter2", "t0k3n"):
        assert secret not in text
    found = lines(json_console)
    assert any(line.get("path") == "/invite/[redacted]/" for line in found)
    assert any(line.get("path") == "/notifications/unsubscribe/[redacted]/" for line in found)
    [failure] = [line for line in found if line.get("request_id") == "req-log"]
    assert "ValueError" in failure["exception"] and "[redacted]" in failure["message"]


@pytest.mark.django_db
def test_an_anonymous_request_line_names_no_user_and_adds_no_query(json_console: io.StringIO) -> None:
    Client().get("/healthz", HTTP_X_REQUEST_ID="probe-1")
    [line] = [line for line in lines(json_console) if line.get("request_id") == "probe-1"]
    assert line["user_id"] is None if "user_id" in line else True
    assert line["queries"] == 0 and line["view"] == "ops:healthz"


@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_what_a_request_queued_under_that_requests_id(
    json_console: io.StringIO, smtp: SmtpServer, collab: Collaboration, admin_user: Person
) -> None:
    delivery = email_delivery(make_notification(collab=collab), "liaison@example.com")
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED, attempts=6)
    response = signed_in(admin_user).post(
        f"/notifications/failed/{delivery.pk}/resend/", HTTP_X_REQUEST_ID="req-resend-1"
    )
    assert response.status_code == 302
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs == {"args": [delivery.pk], "kwargs": {"request_id": "req-resend-1"}}
    json_console.truncate(0)
    json_console.seek(0)
    _run_worker()  # the worker's task loop, as `xietong worker` runs it
    assert [mail.recipients for mail in smtp.mails] == [["liaison@example.com"]]
    sent = [line for line in lines(json_console) if line["message"].startswith(f"delivery {delivery.pk} ")]
    assert sent and all(line["request_id"] == "req-resend-1" for line in sent)
    assert requestlog.current() == ""  # the id was the task's only
