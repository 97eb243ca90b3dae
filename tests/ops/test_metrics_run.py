"""A real `xietong run`: two gunicorn workers and the worker, JSON logs, one scrape counting them all.

One server for the module (starting it migrates and loads the demo): the
requests of both web workers and the worker's sweep and deliveries are
added up by one scrape of ``/metrics`` (prometheus_client's multi-process
folder under the data folder), and a request's id reaches the worker's log
lines for the mails that request queued.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.notify.servers import MailHandler, _FreePortController
from tests.running import ROOT, Running, answers, sqlite_pass_only, xietong_run

pytestmark = sqlite_pass_only


class Site:
    def __init__(self, run: Running, mail: MailHandler) -> None:
        self.run, self.mail = run, mail

    def get(self, path: str, request_id: str = "") -> tuple[int, bytes]:
        headers = {"X-Request-ID": request_id} if request_id else {}
        request = urllib.request.Request(self.run.base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as error:
            return int(error.code), bytes(error.read())

    def readyz(self) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(self.get("/readyz")[1])
        return answer

    def scrape(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        status, body = self.get("/metrics")
        assert status == 200, status
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(body.decode())
            for sample in family.samples
        }

    def log_lines(self) -> list[str]:
        return self.run.log_path.read_text().splitlines()

    def json_lines(self) -> list[dict[str, Any]]:
        found = []
        for line in self.log_lines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    mail = MailHandler()
    smtp = _FreePortController(mail, hostname="127.0.0.1", port=0, ready_timeout=10)
    smtp.start()
    try:
        with xietong_run(
            tmp_path_factory.mktemp("metrics-run"),
            workers=2,
            XIETONG_LOG_FORMAT="json",
            XIETONG_EMAIL_HOST="127.0.0.1",
            XIETONG_EMAIL_PORT=str(smtp.port),
            # One sweep, at the worker's start: afterwards only the tasks requests queue send mail.
            XIETONG_SWEEP_SECONDS="3600",
        ) as run:
            site = Site(run, mail)
            run.wait_until(lambda: answers(f"{run.base}/accounts/login/"), 120)
            # The first sweep has mailed the demo's reminders, and its queued tasks have run.
            run.wait_until(lambda: site.readyz()["checks"]["worker"]["status"] == "ok", 60)
            run.wait_until(lambda: site.readyz()["checks"]["outbox"]["backlog"] == 0, 60)
            time.sleep(3)
            yield site
    finally:
        smtp.stop()


def test_one_scrape_counts_the_requests_of_both_web_workers(site: Site) -> None:
    def count(found: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> float:
        key = ("xietong_http_requests_total", frozenset({"view": "ops:healthz", "status": "2xx"}.items()))
        return found.get(key, 0.0)

    before = count(site.scrape())
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda i: site.get("/healthz", f"many-{i}")[0], range(120)))
    assert statuses == [200] * 120
    assert count(site.scrape()) - before == 120
    served = [line for line in site.json_lines() if str(line.get("request_id", "")).startswith("many-")]
    assert len(served) == 120
    assert len({line["pid"] for line in served}) == 2  # both web workers answered, and were counted


def test_the_workers_sweep_and_deliveries_are_in_the_same_scrape(site: Site) -> None:
    found = site.scrape()
    assert found[("xietong_sweeps_total", frozenset({"outcome": "ok"}.items()))] >= 1
    assert found[("xietong_sweep_duration_seconds_count", frozenset())] >= 1
    sent = found.get(("xietong_deliveries_total", frozenset({"channel": "email", "outcome": "sent"}.items())))
    assert sent is not None and sent >= len(site.mail.mails) > 0
    assert found[("xietong_outbox_backlog", frozenset())] == 0


def _api_token(run: Running) -> str:
    return subprocess.run(
        [sys.executable, "-m", "xietong.cli", "api_token", "admin"],
        cwd=ROOT,
        env=run.env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_a_requests_id_reaches_the_worker_lines_of_the_mails_it_queued(site: Site) -> None:
    run = site.run
    token = _api_token(run)

    def call(path: str, body: dict[str, Any], request_id: str = "") -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if request_id:
            headers["X-Request-ID"] = request_id
        request = urllib.request.Request(
            run.base + urllib.parse.quote(path),
            data=json.dumps(body).encode(),
            headers=headers,
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["X-Request-ID"] == (request_id or response.headers["X-Request-ID"])
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    charter = {
        "title": "日志追踪协同",
        "type": "problem_solving",
        "initiator": {"department": "售后部"},
        "goal": {"statement": "2030年Q1末,新品上市周期缩短至45天", "deadline": "2030-03-31"},
        "departments": [
            {"name": "售后部", "duties": "收集上市反馈", "role": "lead"},
            {"name": "产品部", "duties": "确定上市方案", "role": "support"},
        ],
    }
    slug = call("/api/collaborations", charter)["slug"]
    start = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    kickoff = call(f"/api/collaborations/{slug}/kickoff", {"scheduled_at": start.isoformat()})
    mails_before = len(site.mail.mails)
    sent = call(f"/api/collaborations/{slug}/meetings/{kickoff['id']}/send-agenda", {}, "agenda.req-42")
    invitees = len(sent["agenda_sent_to"])
    assert invitees >= 2
    run.wait_until(lambda: len(site.mail.mails) >= mails_before + invitees, 60)

    def tagged() -> list[dict[str, Any]]:
        return [line for line in site.json_lines() if line.get("request_id") == "agenda.req-42"]

    def deliveries(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            line
            for line in lines
            if line["message"].startswith("delivery ") and "email: sent" in line["message"]
        ]

    run.wait_until(lambda: len(deliveries(tagged())) >= invitees, 10)
    lines = tagged()
    [request_line] = [line for line in lines if line["logger"] == "xietong.request"]
    assert request_line["status"] == 200 and request_line["method"] == "POST"
    assert isinstance(request_line["user_id"], int) and request_line["duration_ms"] > 0
    assert request_line["view"].startswith("api-") or "send" in request_line["view"], request_line["view"]
    worker_lines = deliveries(lines)
    assert len(worker_lines) == invitees
    assert {line["pid"] for line in worker_lines}.isdisjoint({request_line["pid"]})  # the worker's lines
    assert all(line["logger"] == "xietong.notify" for line in worker_lines)
    # Every line of the server is JSON but what `xietong run` prints for the person starting it.
    text_lines = [line for line in site.log_lines() if line.strip() and not line.startswith("{")]
    assert len(text_lines) == 3 and text_lines[0].startswith("协同"), text_lines  # address, login, password
