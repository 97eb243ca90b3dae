"""Real servers on 127.0.0.1 for the notification tests: an SMTP server and a group-robot endpoint.

Nothing here imitates the product's transports: the mail goes through
Django's SMTP backend to aiosmtpd, and robot messages through the
product's HTTP client to a ``ThreadingHTTPServer`` that records each
request and answers from a script (status and JSON body), like the
vendors' robots do: errors in the body of an HTTP 200, or an HTTP error.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pytest_django.fixtures import Settings as SettingsWrapper

# ---------------------------------------------------------------- SMTP


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes = b""  # the bytes of DATA, as the server received them

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return str(part.get_content())
        raise AssertionError(f"no {content_type} part in {self.message}")


@dataclass
class MailHandler:
    """Collects accepted mail; refuses the recipients in ``refuse`` with their SMTP reply."""

    mails: list[Mail] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    # Seconds the server sits on QUIT before saying goodbye (a server, or a network, that hangs).
    stall_quit: float = 0

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.stall_quit)
        return "221 Bye"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.append(Mail(str(envelope.mail_from), list(envelope.rcpt_tos), message, content))
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """aiosmtpd's controller on a port the system picks (its own needs a port number up front)."""

    def _create_server(self) -> Any:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        return self.loop.create_server(self._factory_invoker, sock=sock, ssl=self.ssl_context)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: MailHandler

    @property
    def mails(self) -> list[Mail]:
        return self.handler.mails


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = MailHandler()
    controller = _FreePortController(
        handler, hostname="127.0.0.1", port=0, ready_timeout=10, server_hostname="localhost"
    )
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp(settings: SettingsWrapper, smtp_server: SmtpServer) -> SmtpServer:
    """Django's SMTP backend pointed at the local server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (just released by the system)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- robots


@dataclass(frozen=True)
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Answer = tuple[int, Any]  # HTTP status, JSON body (a str is sent as it is)
Check = Callable[[Received], Answer | None]


class RobotServer:
    """A robot webhook endpoint: records every POST and answers from ``script``, then ``default``.

    ``check`` (optional) sees each request first and may answer it instead,
    as a vendor's robot answers a bad signature.
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: deque[Answer] = deque()
        self.default: Answer = (200, {"errcode": 0, "errmsg": "ok"})
        self.check: Check | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                received = Received(
                    path=parts.path,
                    query={k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                status, body = server._answer(received)
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05})

    def _answer(self, received: Received) -> Answer:
        with self._lock:
            self.requests.append(received)
            checked = self.check(received) if self.check else None
            if checked is not None:
                return checked
            return self.script.popleft() if self.script else self.default

    def url(self, path: str = "/robot/send", query: str = "") -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}{path}" + (f"?{query}" if query else "")

    def answer(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def robot_server() -> Iterator[RobotServer]:
    server = RobotServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
