"""`xietong run` serves web, worker and sweep together: the demo's reminders arrive by mail.

The whole system as a newcomer starts it, in a throw-away data folder, with
a real SMTP server (aiosmtpd) on 127.0.0.1 standing in for the company's.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.original_content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def test_run_serves_the_site_and_mails_the_demo_reminders(tmp_path: Path) -> None:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        XIETONG_DATA=str(tmp_path / "data"),
        XIETONG_EMAIL_HOST="127.0.0.1",
        XIETONG_EMAIL_PORT=str(smtp.port),
        XIETONG_SWEEP_SECONDS="1",
        XIETONG_ADMIN_PASSWORD="a-long-test-password-0123",
    )
    log = (tmp_path / "run.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "xietong.cli", "run", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            inbox.mails and _answers(f"http://127.0.0.1:{port}/accounts/login/")
        ):
            assert server.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            time.sleep(0.5)
        assert inbox.mails, "no reminder arrived: " + (tmp_path / "run.log").read_text()[-3000:]
        time.sleep(4)  # several more sweeps, one a second
        recipients = {address for to, _mail in inbox.mails for address in to}
        assert recipients <= {
            f"{name}@example.com" for name in ("liu", "zhou", "sun", "zhang", "li", "wang", "zhao", "chen")
        }
        subjects = [str(make_header(decode_header(mail["Subject"]))) for _to, mail in inbox.mails]
        assert all(subject.startswith("【客户投诉快速响应】") for subject in subjects)
        # Links point at the server that was started, not at a default address.
        texts = [
            (tuple(to), part.get_payload(decode=True).decode())
            for to, mail in inbox.mails
            for part in mail.walk()
            if part.get_content_type() == "text/plain"
        ]
        assert all(f"http://127.0.0.1:{port}/c/demo/" in body for _to, body in texts)
        # The worker swept again and again: no reminder was mailed twice.
        assert len(set(texts)) == len(texts) == len(inbox.mails)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        smtp.stop()
        log.close()
