"""The one HTTP client for outgoing webhooks (group robots): POST JSON, read JSON, classify failures.

Standard library only (``http.client``), with a timeout on every step.
Whether a failure is worth retrying is decided here for HTTP (network
errors and 5xx: yes; other 4xx: no) and by each transport for the error
codes robots put in an HTTP 200 body.

The address is a person's input, and what goes wrong is shown back to
them, so (see ``netguard``):

- the connection goes only to an address checked right before connecting
  (the name is resolved once, checked, and that address is dialled; the
  ``Host`` header and TLS's server name and certificate check keep the
  name), so DNS rebinding cannot reach an internal address;
- no redirect is followed, no proxy from the environment is used, and
  only http(s) is opened;
- an error names the HTTP status with its standard phrase and the robot's
  error code and message (``errcode``/``errmsg``, ``code``/``msg``), never
  the body; every network failure (refused, timed out, reset, no such
  name) is one and the same message, so open and closed ports cannot be
  told apart.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from xietong.lib import netguard

TIMEOUT_SECONDS = 10
MAX_BODY = 64 * 1024
# What an error may quote of the robot's own message.
MESSAGE_LENGTH = 200

NETWORK_ERROR = "network error: the robot could not be reached"
BLOCKED = "address not allowed: loopback, private or reserved (see XIETONG_ROBOT_ALLOWED_HOSTS)"


class DeliveryError(Exception):
    """A send that failed; ``retry`` says whether trying again later may succeed."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


def _connect(host: str, port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to one of ``host``'s addresses, each checked just now (never re-resolved)."""
    error: OSError | None = None
    for ip in netguard.checked_addresses(host, port):
        try:
            return socket.create_connection((str(ip), port), timeout)
        except OSError as failed:
            error = failed
    raise error or OSError("no address")


class GuardedHTTPConnection(http.client.HTTPConnection):
    """``HTTPConnection`` that dials only an address ``netguard`` passed, resolved at connect time."""

    def connect(self) -> None:
        self.sock = _connect(self.host, self.port, self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class GuardedHTTPSConnection(http.client.HTTPSConnection, GuardedHTTPConnection):
    """TLS over the guarded connection: ``HTTPSConnection.connect`` wraps it with the host's name
    as server name, and the default context verifies the certificate against that name."""


def _vendor_error(body: bytes) -> str:
    """The robot's own error code and message from an answer, nothing else of it."""
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(answer, dict):
        return ""
    for code_field, message_field in (
        ("errcode", "errmsg"),
        ("code", "msg"),
        ("StatusCode", "StatusMessage"),
    ):
        if code_field in answer:
            message = str(answer.get(message_field) or "")[:MESSAGE_LENGTH]
            return f"{code_field} {answer[code_field]}: {message}".strip()
    return ""


def _status(code: int) -> str:
    # The standard phrase, not the server's: a reason phrase is the server's free text.
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def post_json(url: str, payload: dict[str, Any], timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """POST ``payload`` as JSON and return the JSON answer ({} when the answer is not JSON)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        # A webhook is only ever HTTP(S): no file:, ftp: or anything else.
        raise DeliveryError(f"not an HTTP(S) address: {url.split(':', 1)[0]}:", retry=False)
    try:
        # Always explicit: given none, http.client would read "::1" as host "::" and port 1.
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise DeliveryError("not a valid address", retry=False) from None
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = GuardedHTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = GuardedHTTPConnection(host, port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not target.isascii() or any(c.isspace() or not c.isprintable() for c in target):
        # A request line carries no spaces, control or non-ASCII characters (as typed: not encoded).
        raise DeliveryError("not a valid address", retry=False)
    data = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "xietong"}
    try:
        connection.request("POST", target, body=data, headers=headers)
        response = connection.getresponse()
        body = response.read(MAX_BODY)
        status = response.status
    except netguard.BlockedAddress:
        raise DeliveryError(BLOCKED, retry=False) from None
    except (netguard.UnresolvedHost, OSError, http.client.HTTPException):
        # One message for every failure on the way: refused, timed out, reset, no such name, TLS.
        raise DeliveryError(NETWORK_ERROR, retry=True) from None
    finally:
        connection.close()
    if not 200 <= status < 300:
        # Redirects (3xx) are not followed: a robot answers where it is.
        retry = status >= 500 or status in (408, 429)
        raise DeliveryError(f"{_status(status)} {_vendor_error(body)}".strip(), retry=retry)
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
