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
- only where the operator set ``XIETONG_ROBOT_PROXY`` does the request go
  through that HTTP proxy: https in a CONNECT tunnel (TLS's server name
  and certificate check keep the robot's name), http in absolute form.
  The robot's host is checked first all the same, except a name this
  machine cannot resolve (``netguard.checked_for_proxy``); a proxy that
  refuses the tunnel is named by its status only, its credentials never;
- an error names the HTTP status with its standard phrase and the robot's
  error code and message (``errcode``/``errmsg``, ``code``/``msg``), never
  the body; every network failure (refused, timed out, reset, no such
  name) is one and the same message, so open and closed ports cannot be
  told apart.
"""

from __future__ import annotations

import http.client
import json
import re
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


class ProxyRefused(Exception):
    """The proxy answered the CONNECT with something other than 200."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


# http.client reports a refused tunnel only as this OSError (3.11 to 3.13 alike).
_TUNNEL_FAILED = re.compile(r"^Tunnel connection failed: (\d{3})\b")


class ProxiedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to the operator's proxy, once the robot's host passed ``checked_for_proxy``.

    Made by ``_through_proxy``: ``post_json`` then sends the request line
    in absolute form (``POST http://robot/path``); ``ProxiedHTTPSConnection``
    tunnels instead.
    """

    robot: tuple[str, int] = ("", 0)

    def connect(self) -> None:
        netguard.checked_for_proxy(*self.robot)  # before the proxy hears of it
        try:
            super().connect()
        except OSError as error:
            refused = _TUNNEL_FAILED.match(str(error))
            if refused:
                raise ProxyRefused(int(refused.group(1))) from None
            raise


class ProxiedHTTPSConnection(http.client.HTTPSConnection, ProxiedHTTPConnection):
    """TLS to the robot inside a CONNECT tunnel through the proxy: ``HTTPSConnection.connect``
    wraps the tunnel with the robot's name as server name and checks its certificate."""


def _through_proxy(
    proxy: netguard.Proxy, scheme: str, host: str, port: int, timeout: float
) -> ProxiedHTTPConnection:
    connection: ProxiedHTTPConnection
    if scheme == "https":
        connection = ProxiedHTTPSConnection(
            proxy.host, proxy.port, timeout=timeout, context=ssl.create_default_context()
        )
        headers = {"Proxy-Authorization": proxy.authorization} if proxy.authorization else None
        connection.set_tunnel(host, port, headers)
    else:
        connection = ProxiedHTTPConnection(proxy.host, proxy.port, timeout=timeout)
    connection.robot = (host, port)
    return connection


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
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not target.isascii() or any(c.isspace() or not c.isprintable() for c in target):
        # A request line carries no spaces, control or non-ASCII characters (as typed: not encoded).
        raise DeliveryError("not a valid address", retry=False)
    data = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "xietong"}
    proxy = netguard.robot_proxy()
    connection: http.client.HTTPConnection
    if proxy is not None:
        try:
            # The proxy is told the name (CONNECT line, absolute URL): in ASCII, as DNS knows it.
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise DeliveryError("not a valid address", retry=False) from None
        connection = _through_proxy(proxy, scheme, host, port, timeout)
        if scheme == "http":
            netloc = f"[{host}]" if ":" in host else host
            target = f"http://{netloc}{'' if port == 80 else f':{port}'}{target}"
            if proxy.authorization:
                headers["Proxy-Authorization"] = proxy.authorization
    elif scheme == "https":
        connection = GuardedHTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = GuardedHTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("POST", target, body=data, headers=headers)
        response = connection.getresponse()
        body = response.read(MAX_BODY)
        status = response.status
    except netguard.BlockedAddress:
        raise DeliveryError(BLOCKED, retry=False) from None
    except ProxyRefused as refused:
        if refused.status >= 500:
            # The proxy could not reach the robot: a network failure like any other (and an open
            # port behind it looks like a closed one).
            raise DeliveryError(NETWORK_ERROR, retry=True) from None
        # The proxy's own refusal (403 forbidden destination, 407 wrong credentials): the
        # operator's to fix, so named, and not retried; its body and reason text are not shown.
        retry = refused.status in (408, 429)
        raise DeliveryError(f"proxy refused: {_status(refused.status)}", retry=retry) from None
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
