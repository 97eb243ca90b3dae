"""Scale-out: two web servers and two workers on one PostgreSQL, under load, lose nothing and send nothing twice.

The deployment of docs/deployment.md in miniature on 127.0.0.1: two
gunicorn servers (two sync workers each) and two ``xietong worker``
processes (sweeping every second) share the test database, with a real
SMTP server (aiosmtpd) for the reminders. Eight client threads report
progress on the same three rows (open ones) through the API of both servers, each write
naming the version it read and retried on 409 with the row as it is now,
and read the dashboard, while both workers sweep and send. Then:

- no reminder was mailed twice, and the mails received are exactly the
  deliveries the database records as sent;
- every acknowledged write is in the database, each on top of the one
  before it (versions consecutive, one audit entry and one progress update
  each), and 409 was the only refusal.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.api.conftest import person, token_for
from tests.notify.servers import SmtpServer, closed_port, smtp_server
from xietong.audit.models import AuditEntry
from xietong.charter.demo import load_demo
from xietong.collabs.models import Collaboration, Task, TaskStatus
from xietong.notify.messages import render
from xietong.notify.models import Delivery, DeliveryState, Notification
from xietong.notify.unsubscribe import unsubscribe_url
from xietong.tracking.models import ProgressUpdate

__all__ = ["smtp_server"]

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the web servers and workers are separate processes sharing one database "
        "(pytest-django's SQLite test database is in memory or one file per test worker)",
    ),
    pytest.mark.django_db(transaction=True),  # committed rows, so the subprocesses see them
]

ROOT = Path(__file__).resolve().parents[2]
SITE_URL = "http://xietong.test"  # links in the mails, the same for the servers and this test
THREADS = 8
WRITES_PER_THREAD = 15
DEMO_TITLE = "客户投诉快速响应"
ROWS = 3  # every thread writes to the same few rows: conflicts are the point
STARTUP_SECONDS = 60
QUIET_SECONDS = 3.0  # several sweeps (one a second per worker) with nothing new to send


# --- processes


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    pid_file: Path | None = None

    def tail(self) -> str:
        return f"--- {self.name}\n" + self.log.read_text(errors="replace")[-3000:]

    def terminate(self) -> None:
        """SIGTERM the gunicorn master named in the pid file (the worker itself otherwise)."""
        pid = self.popen.pid
        if self.pid_file is not None and self.pid_file.exists():
            pid = int(self.pid_file.read_text().strip() or pid)
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)

    def wait(self, timeout: float) -> None:
        with suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=timeout)
        # The whole session too (start_new_session): no gunicorn worker outlives its master.
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()


def database_url() -> str:
    """The test database (test_…, per xdist worker) as a URL for the subprocesses."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgresql://{db['USER'] or 'postgres'}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@contextmanager
def running(commands: dict[str, list[str]], env: dict[str, str], folder: Path) -> Iterator[list[Process]]:
    """Start every command in its own session, logging to FOLDER/NAME.log; stop them all together.

    A gunicorn command gets ``--pid FOLDER/NAME.pid``: that file, not the
    child's PID, names the master to stop.
    """
    processes: list[Process] = []
    try:
        for name, command in commands.items():
            log, pid_file = folder / f"{name}.log", None
            if "gunicorn" in command:
                pid_file = folder / f"{name}.pid"
                command = [*command, "--pid", str(pid_file)]
            with log.open("wb") as out:
                popen = subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            processes.append(Process(name, popen, log, pid_file))
        yield processes
    finally:
        for process in processes:
            process.terminate()
        stop_by = time.monotonic() + 20
        for process in processes:
            process.wait(max(stop_by - time.monotonic(), 0.1))


def web_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "xietong.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--no-control-socket",  # gunicorn 27 otherwise opens one under $HOME, shared by both servers
        "--graceful-timeout",
        "10",
        "--logger-class",
        "xietong.lib.security.GunicornLogger",
    ]


# --- HTTP


def call(port: int, method: str, path: str, headers: dict[str, str], body: Any = None) -> tuple[int, Any]:
    """One request on its own connection (sync workers close it anyway); JSON answers decoded."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        sent = {**headers, **({"Content-Type": "application/json"} if data is not None else {})}
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        content = response.read()
        if response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, json.loads(content)
        return response.status, content
    finally:
        conn.close()


def answers(port: int) -> bool:
    try:
        return call(port, "GET", "/accounts/login/", {})[0] == 200
    except OSError:
        return False


@dataclass
class Load:
    """What the client threads saw."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: list[tuple[int, int, str]] = field(default_factory=list)  # (row, version it made, note)
    conflicts: int = 0
    reads: int = 0
    errors: list[str] = field(default_factory=list)


def writer(
    index: int, ports: list[int], tokens: list[str], cookie: str, rows: dict[int, tuple[int, str]], load: Load
) -> None:
    """Report progress WRITES_PER_THREAD times, alternating servers, retrying each write on 409."""
    known = dict(rows)  # row -> (version, status) as this thread last saw it
    auth = {"Authorization": f"Bearer {tokens[index % len(tokens)]}"}
    dashboard = reverse("dashboards:dashboard", args=["demo"])
    try:
        for n in range(WRITES_PER_THREAD):
            row = list(known)[(index + n) % len(known)]
            port, other = ports[(index + n) % 2], ports[(index + n + 1) % 2]
            note = f"t{index}-w{n}"
            for _attempt in range(200):
                version, status = known[row]
                # Flip the status each time: every write changes the row, so each leaves an audit entry.
                new = TaskStatus.NOT_STARTED if status == TaskStatus.IN_PROGRESS else TaskStatus.IN_PROGRESS
                body = {
                    "version": version,
                    "status": new,
                    "percent": 0 if new == TaskStatus.NOT_STARTED else 40,
                    "note": note,
                }
                code, answer = call(port, "POST", f"/api/tasks/{row}/progress", auth, body)
                if code == 201:
                    made = answer["row"]["version"]
                    known[row] = (made, answer["row"]["status"])
                    with load.lock:
                        load.acknowledged.append((row, made, note))
                    break
                if code != 409:
                    raise AssertionError(f"{note}: HTTP {code} {answer!r:.300}")
                with load.lock:
                    load.conflicts += 1
                current = answer["current"]
                known[row] = (current["version"], current["status"])
            else:
                raise AssertionError(f"{note}: still conflicting after 200 attempts")
            # Read your write on the other server: no process serves an older row.
            code, seen = call(other, "GET", f"/api/tasks/{row}", auth)
            if code != 200 or seen["version"] < known[row][0]:
                raise AssertionError(f"{note}: the other server answered {code} {seen!r:.300}")
            if n % 5 == 0:
                code, page = call(
                    other, "GET", dashboard, {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
                )
                if code != 200 or DEMO_TITLE.encode() not in page:
                    raise AssertionError(f"dashboard: HTTP {code}")
            with load.lock:
                load.reads += 1 + (n % 5 == 0)
    except Exception as error:  # reported by the test's assertion
        with load.lock:
            load.errors.append(f"thread {index}: {error!r}")
    finally:
        connection.close()


# A reminder's one-click unsubscribe link (RFC 8058) is signed with the moment it was made: the
# test's own rendering cannot repeat it, so the line is compared as "there", not letter by letter.
UNSUBSCRIBE_LINE = re.compile(r"^(.*)(https?://\S+/notifications/unsubscribe/)\S+/$")


def normalised(text: str) -> str:
    lines = (UNSUBSCRIBE_LINE.sub(r"\1\2…/", line.rstrip()) for line in text.strip().splitlines())
    return "\n".join(lines)


# --- the test


def test_two_web_servers_and_two_workers_lose_no_update_and_send_no_reminder_twice(
    tmp_path: Path, settings: SettingsWrapper, smtp_server: SmtpServer
) -> None:
    started_at = time.monotonic()
    timings: dict[str, float] = {}
    settings.SITE_URL = SITE_URL
    demo = load_demo()  # today's dates: reminders are due now
    timings["demo"] = time.monotonic() - started_at
    owner = demo.owner
    assert owner is not None
    # The initiator and an administrator may report on any row; each has a personal API token.
    admin = person("root", is_superuser=True, is_staff=True)
    tokens = [token_for(owner), token_for(admin)]
    browser = Client()
    browser.force_login(owner)
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
    # The demo's open rows first, then done ones (a write reopens them: new reminders fall due mid-load).
    candidates = (
        Task.objects.filter(collaboration=demo).exclude(status=TaskStatus.BLOCKED).order_by("position")
    )
    chosen = sorted(candidates, key=lambda task: task.status == TaskStatus.DONE)[:ROWS]
    rows = {task.pk: (task.version, task.status) for task in chosen}
    assert len(rows) == ROWS
    collab_version = Collaboration.objects.get(pk=demo.pk).version
    first_version = {pk: version for pk, (version, _status) in rows.items()}
    audits_before = AuditEntry.objects.filter(
        object_type="collabs.task", object_id__in=[str(pk) for pk in rows]
    ).count()
    updates_before = ProgressUpdate.objects.filter(task_id__in=rows).count()

    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(
        DATABASE_URL=database_url(),
        SECRET_KEY="test-only-secret-key-for-the-postgresql-suite-0123456789",
        XIETONG_DATA=str(tmp_path / "data"),
        XIETONG_SITE_URL=SITE_URL,
        XIETONG_EMAIL_HOST=smtp_server.host,
        XIETONG_EMAIL_PORT=str(smtp_server.port),
        XIETONG_SWEEP_SECONDS="1",
        XIETONG_DB_CONN_MAX_AGE="600",  # the default: persistent connections in every process
    )
    ports = [closed_port(), closed_port()]
    load = Load()
    commands = {f"web{i}": web_command(port) for i, port in enumerate(ports)} | {
        f"worker{i}": [sys.executable, "-m", "xietong.cli", "worker"] for i in range(2)
    }
    with running(commands, env, tmp_path) as everyone:
        webs, workers = everyone[:2], everyone[2:]
        deadline = time.monotonic() + STARTUP_SECONDS
        while not all(answers(port) for port in ports):
            assert time.monotonic() < deadline, "\n".join(p.tail() for p in everyone)
            assert all(p.popen.poll() is None for p in everyone), "\n".join(p.tail() for p in everyone)
            time.sleep(0.2)
        assert all(p.pid_file is not None and p.pid_file.exists() for p in webs)

        load_started = time.monotonic()
        timings["startup"] = load_started - started_at - timings["demo"]
        threads = [
            threading.Thread(target=writer, args=(i, ports, tokens, cookie, rows, load))
            for i in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
        timings["load"] = time.monotonic() - load_started
        assert not any(thread.is_alive() for thread in threads)
        assert not load.errors, load.errors

        # Let the workers sweep on until several cycles pass with nothing new to send.
        last, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < QUIET_SECONDS:
            assert time.monotonic() < deadline + 120, "\n".join(p.tail() for p in workers)
            busy = Delivery.objects.filter(
                Q(state=DeliveryState.SENDING)
                | Q(state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
            ).exists()
            if busy or len(smtp_server.mails) != last:
                last, quiet_since = len(smtp_server.mails), time.monotonic()
            time.sleep(0.25)
        timings["quiet"] = time.monotonic() - load_started - timings["load"]
        assert all(p.popen.poll() is None for p in everyone), "\n".join(p.tail() for p in everyone)
    # every process stopped: what follows is final
    timings["stop"] = time.monotonic() - load_started - timings["load"] - timings["quiet"]
    print(
        f"\nscale-out: {len(load.acknowledged)} writes acknowledged, {load.conflicts} conflicts (409), "
        f"{load.reads} reads in {timings['load']:.1f} s; {len(smtp_server.mails)} mails received; "
        f"demo loaded in {timings['demo']:.1f} s, servers up in {timings['startup']:.1f} s, "
        f"quiet after {timings['quiet']:.1f} s, stopped in {timings['stop']:.1f} s, "
        f"until stopped {time.monotonic() - started_at:.1f} s"
    )

    # (a) no reminder mailed twice, and the mails are exactly the deliveries recorded as sent
    received = Counter(
        (tuple(mail.recipients), " ".join(mail.subject.split()), normalised(mail.part("text/plain")))
        for mail in smtp_server.mails
    )
    assert received and max(received.values()) == 1, [k for k, v in received.items() if v > 1][:3]
    sent = Delivery.objects.filter(state=DeliveryState.SENT).select_related("notification__recipient")
    expected: Counter[tuple[tuple[str, ...], str, str]] = Counter()
    for delivery in sent:
        note = delivery.notification
        # as the mail transport writes it: a reminder ends with its reader's unsubscribe link
        message = replace(render(note), unsubscribe=unsubscribe_url(note.recipient, note.kind) or "")
        expected[((delivery.address,), " ".join(message.subject.split()), normalised(message.text()))] += 1
    assert received == expected
    assert Notification.objects.filter(deliveries__state=DeliveryState.SENT).distinct().count() == len(
        smtp_server.mails
    )
    assert not Delivery.objects.filter(state__in=[DeliveryState.SENDING, DeliveryState.FAILED]).exists()

    # (b) no lost update: every acknowledged write is stored, each on top of the previous one
    assert len(load.acknowledged) == THREADS * WRITES_PER_THREAD
    assert load.conflicts > 0  # the writers really collided
    for pk, version in first_version.items():
        made = sorted(v for row, v, _note in load.acknowledged if row == pk)
        # consecutive versions: no two acknowledged writes were based on the same version
        assert made == list(range(version + 1, version + 1 + len(made)))
        assert Task.objects.get(pk=pk).version == version + len(made)
    stored = Counter(ProgressUpdate.objects.filter(task_id__in=rows).values_list("task_id", "note"))
    assert sum(stored.values()) - updates_before == len(load.acknowledged)
    assert all(stored[(row, note)] == 1 for row, _v, note in load.acknowledged)
    audits = AuditEntry.objects.filter(object_type="collabs.task", object_id__in=[str(pk) for pk in rows])
    assert audits.count() - audits_before == len(load.acknowledged)
    assert Collaboration.objects.get(pk=demo.pk).version == collab_version + len(load.acknowledged)
