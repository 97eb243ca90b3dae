"""`xietong run` serves web, worker and sweep together: the demo's reminders arrive by mail.

The whole system as a newcomer starts it, in a throw-away data folder, with
a real SMTP server (aiosmtpd) on 127.0.0.1 standing in for the company's.
"""

from __future__ import annotations

import time
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.running import answers, free_port, sqlite_pass_only, xietong_run


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.original_content)))
        return "250 OK"


@sqlite_pass_only
def test_run_serves_the_site_and_mails_the_demo_reminders(tmp_path: Path) -> None:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with xietong_run(tmp_path, XIETONG_EMAIL_HOST="127.0.0.1", XIETONG_EMAIL_PORT=str(smtp.port)) as run:
            port = run.port
            run.wait_until(lambda: bool(inbox.mails) and answers(f"{run.base}/accounts/login/"), 120)
            time.sleep(4)  # several more sweeps, one a second
            recipients = {address for to, _mail in inbox.mails for address in to}
            assert recipients <= {
                f"{name}@example.com"
                for name in ("liu", "zhou", "sun", "zhang", "li", "wang", "zhao", "chen")
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
        smtp.stop()
