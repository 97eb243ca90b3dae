"""Group robots through the operator's HTTP proxy (``XIETONG_ROBOT_PROXY``), still guarded.

On an intranet whose only way to the internet is an HTTP proxy, and whose
DNS often knows no internet names, robots are sent through that proxy:
https in a CONNECT tunnel, http in absolute form. The proxy here is a real
one on 127.0.0.1, written with the standard library: it routes the names
it is told (``robot.invalid``, which no resolver knows) to the local robot
receiver, and records what it was asked.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.notify.conftest import make_notification, make_robot, robot_delivery
from tests.notify.servers import RobotServer, closed_port
from tests.notify.test_ssrf import mute_port, rebinding  # noqa: F401 (the fixtures)
from tests.test_settings import _settings_in_fresh_process
from xietong.collabs.models import Collaboration
from xietong.lib import netguard, webhooks
from xietong.notify.delivery import deliver
from xietong.notify.models import Delivery, DeliveryState, Robot, Transport

pytestmark = pytest.mark.django_db

# What a proxy's refusal carries that must never reach a delivery's error.
PROXY_PAGE = b"<html>squid/5.7 proxy.intranet: ACL internal-hosts, user hunter2</html>"


@dataclass(frozen=True)
class Seen:
    line: str
    headers: dict[str, str]


class EgressProxy:
    """An HTTP proxy: CONNECT tunnels and absolute-form requests, to where ``routes`` says a name is.

    ``refuse`` (a status) answers every request with that status and a page;
    ``credentials`` (a ``Proxy-Authorization`` value) answers 407 to any
    request without exactly it. ``tunnelled`` holds the first bytes the
    client sent into each tunnel (a TLS ClientHello names its server).
    """

    def __init__(self) -> None:
        self.connections = 0
        self.seen: list[Seen] = []
        self.tunnelled: list[bytes] = []
        self.routes: dict[str, tuple[str, int]] = {}
        self.refuse: int | None = None
        self.credentials: str | None = None
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            rbufsize = 0  # unbuffered: nothing of a tunnel's bytes is read ahead by the header parser

            def handle(self) -> None:
                proxy._handle(self)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, userinfo: str = "") -> str:
        return f"http://{userinfo}{'@' if userinfo else ''}127.0.0.1:{self.port}"

    def _route(self, host: str, port: int) -> tuple[str, int]:
        return self.routes.get(host, (host, port))

    def _answer(self, handler: socketserver.StreamRequestHandler, status: int, body: bytes) -> None:
        handler.wfile.write(
            f"HTTP/1.1 {status} Go away, hunter2\r\n"
            'Proxy-Authenticate: Basic realm="proxy"\r\n'
            f"Content-Type: text/html\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )

    def _handle(self, handler: socketserver.StreamRequestHandler) -> None:
        with self._lock:
            self.connections += 1
        line = handler.rfile.readline(65537).decode("latin-1").rstrip("\r\n")
        headers: dict[str, str] = {}
        while True:
            raw = handler.rfile.readline(65537)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        with self._lock:
            self.seen.append(Seen(line, headers))
        method, target, _version = line.split(" ", 2)
        if self.refuse or (self.credentials and headers.get("proxy-authorization") != self.credentials):
            self._answer(handler, self.refuse or 407, PROXY_PAGE)
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            try:
                upstream = socket.create_connection(self._route(host, int(port)), timeout=5)
            except OSError:
                self._answer(handler, 503, b"")
                return
            handler.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self._pipe(handler.connection, upstream)
            return
        parts = urlsplit(target)
        body = handler.rfile.read(int(headers.get("content-length") or 0))
        forwarded = {k: v for k, v in headers.items() if k not in ("proxy-authorization", "connection")}
        origin = http.client.HTTPConnection(*self._route(parts.hostname or "", parts.port or 80), timeout=5)
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            origin.request(method, path, body=body, headers=forwarded)
            answer = origin.getresponse()
            data = answer.read()
        except OSError:
            self._answer(handler, 502, b"")
            return
        finally:
            origin.close()
        handler.wfile.write(
            f"HTTP/1.1 {answer.status} {answer.reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
            + data
        )

    def _pipe(self, client: socket.socket, upstream: socket.socket) -> None:
        def copy(source: socket.socket, target: socket.socket, record: bool) -> None:
            try:
                while chunk := source.recv(65536):
                    if record:
                        self.tunnelled.append(chunk)
                        record = False
                    target.sendall(chunk)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    target.shutdown(socket.SHUT_WR)

        back = threading.Thread(target=copy, args=(upstream, client, False), daemon=True)
        back.start()
        copy(client, upstream, True)
        back.join(timeout=5)
        upstream.close()


@pytest.fixture
def proxy() -> Iterator[EgressProxy]:
    server = EgressProxy()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(timeout=5)


@pytest.fixture
def via_proxy(settings: SettingsWrapper, proxy: EgressProxy) -> EgressProxy:
    """The operator set ``XIETONG_ROBOT_PROXY`` to the local proxy (which nothing allow-lists).

    Held parsed, as ``settings.py`` holds it (a test's plain string works too).
    """
    settings.XIETONG_ROBOT_PROXY = netguard.parse_proxy(proxy.url())
    return proxy


def _send(collab: Collaboration, url: str) -> Delivery:
    robot: Robot = make_robot(collab, Transport.WECOM, url)
    delivery = robot_delivery(make_notification(collab=collab), robot)
    deliver(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def _internet_robot(proxy: EgressProxy, receiver: RobotServer | tuple[str, int]) -> int:
    """``robot.invalid`` (unknown to every resolver here) is, to the proxy, the receiver; its port."""
    address = receiver.httpd.server_address if isinstance(receiver, RobotServer) else receiver
    host, port = str(address[0]), int(address[1])
    proxy.routes["robot.invalid"] = (host, port)
    return port


# ---------------------------------------------------------------- through the proxy


def test_an_http_robot_this_network_cannot_resolve_is_delivered_through_the_proxy(
    collab: Collaboration, settings: SettingsWrapper, proxy: EgressProxy, robot_server: RobotServer
) -> None:
    port = _internet_robot(proxy, robot_server)
    url = f"http://robot.invalid:{port}/cgi-bin/webhook/send?key=k1"
    # Without the setting: sent directly, the name does not resolve here, so nothing is delivered.
    assert _send(collab, url).last_error == webhooks.NETWORK_ERROR
    assert proxy.connections == 0

    settings.XIETONG_ROBOT_PROXY = proxy.url()
    delivery = _send(collab, url)

    assert (delivery.state, delivery.last_error) == (DeliveryState.SENT, "")
    [seen] = proxy.seen
    assert seen.line == f"POST http://robot.invalid:{port}/cgi-bin/webhook/send?key=k1 HTTP/1.1"
    assert "proxy-authorization" not in seen.headers
    [received] = robot_server.requests
    assert (received.path, received.query) == ("/cgi-bin/webhook/send", {"key": "k1"})
    assert received.headers["host"] == f"robot.invalid:{port}"
    assert received.json()["msgtype"] == "markdown"
    assert "完成包装设计" in received.json()["markdown"]["content"]


def test_an_https_robot_goes_through_a_connect_tunnel_with_the_robots_name_for_tls(
    collab: Collaboration,
    via_proxy: EgressProxy,
    mute_port: int,  # noqa: F811
) -> None:
    # Behind the tunnel is no TLS server (a banner, then a hang-up): the handshake fails, as
    # one more network failure; what matters is the way there.
    _internet_robot(via_proxy, ("127.0.0.1", mute_port))
    delivery = _send(collab, "https://robot.invalid/cgi-bin/webhook/send?key=k1")

    assert (delivery.state, delivery.last_error) == (DeliveryState.PENDING, webhooks.NETWORK_ERROR)
    [seen] = via_proxy.seen
    assert seen.line.startswith("CONNECT robot.invalid:443 ")
    # The ClientHello sent into the tunnel names the robot (SNI), not the proxy. The proxy's
    # thread may record it just after the client gave up on the handshake: wait for it.
    deadline = time.monotonic() + 5
    while not via_proxy.tunnelled and time.monotonic() < deadline:
        time.sleep(0.02)
    [hello] = via_proxy.tunnelled
    assert hello[:1] == b"\x16" and b"robot.invalid" in hello
    assert b"key=k1" not in hello  # the request only ever travels inside TLS


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/hook", "https://10.0.0.1/hook", "http://127.0.0.1:{port}/hook"]
)
def test_an_internal_address_is_refused_without_the_proxy_hearing_of_it(
    collab: Collaboration, via_proxy: EgressProxy, robot_server: RobotServer, url: str
) -> None:
    _internet_robot(via_proxy, robot_server)
    url = url.format(port=robot_server.httpd.server_address[1])
    for spelling in (url, "http://0x7f.1/", "https://[::ffff:127.0.0.1]/", "http://localhost/"):
        delivery = _send(collab, spelling)
        assert (delivery.state, delivery.last_error) == (DeliveryState.FAILED, webhooks.BLOCKED), spelling
    assert via_proxy.connections == 0
    assert robot_server.requests == []


@pytest.mark.usefixtures("rebinding")
def test_a_name_resolving_here_to_an_internal_address_is_refused_before_the_proxy(
    collab: Collaboration, via_proxy: EgressProxy, settings: SettingsWrapper, robot_server: RobotServer
) -> None:
    # robot.example.com resolves here to 127.0.0.1: the proxy would reach the same neighbours.
    port = int(robot_server.httpd.server_address[1])
    delivery = _send(collab, f"http://robot.example.com:{port}/send")
    assert (delivery.state, delivery.last_error) == (DeliveryState.FAILED, webhooks.BLOCKED)
    assert via_proxy.connections == 0
    # Allow-listed, it goes through the proxy like any other robot.
    settings.XIETONG_ROBOT_ALLOWED_HOSTS = ["robot.example.com"]
    via_proxy.routes["robot.example.com"] = ("127.0.0.1", port)
    assert _send(collab, f"http://robot.example.com:{port}/send").state == DeliveryState.SENT
    assert [seen.line.split()[1] for seen in via_proxy.seen] == [f"http://robot.example.com:{port}/send"]


def test_environment_proxies_are_still_ignored_without_the_setting(
    collab: Collaboration,
    proxy: EgressProxy,
    robot_server: RobotServer,
    monkeypatch: pytest.MonkeyPatch,
    settings: SettingsWrapper,
) -> None:
    settings.XIETONG_ROBOT_ALLOWED_HOSTS = ["127.0.0.1"]
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy.url())
    assert _send(collab, robot_server.url()).state == DeliveryState.SENT
    assert len(robot_server.requests) == 1
    assert proxy.connections == 0


# ---------------------------------------------------------------- the proxy's refusals, its credentials


@pytest.mark.parametrize("status", [407, 403])
@pytest.mark.parametrize("scheme", ["https", "http"])
def test_a_proxy_refusal_names_its_status_and_is_not_retried(
    collab: Collaboration, via_proxy: EgressProxy, robot_server: RobotServer, status: int, scheme: str
) -> None:
    port = _internet_robot(via_proxy, robot_server)
    via_proxy.refuse = status
    delivery = _send(collab, f"{scheme}://robot.invalid:{port}/send")

    assert delivery.state == DeliveryState.FAILED  # at once: trying again changes nothing
    phrase = "Proxy Authentication Required" if status == 407 else "Forbidden"
    prefix = "proxy refused: " if scheme == "https" else ""  # http: the proxy's answer is the answer
    assert delivery.last_error == f"{prefix}HTTP {status} {phrase}"
    assert "hunter2" not in delivery.last_error and "squid" not in delivery.last_error
    assert robot_server.requests == []


def test_a_proxy_that_cannot_reach_the_robot_is_a_network_error(
    collab: Collaboration, via_proxy: EgressProxy
) -> None:
    # CONNECT answered 503 (the proxy's own "could not connect"): like a refused port, retried.
    via_proxy.routes["robot.invalid"] = ("127.0.0.1", closed_port())
    delivery = _send(collab, "https://robot.invalid/send")
    assert (delivery.state, delivery.last_error) == (DeliveryState.PENDING, webhooks.NETWORK_ERROR)
    assert via_proxy.seen[0].line.startswith("CONNECT robot.invalid:443 ")


def test_credentials_are_sent_as_proxy_authorization_and_never_shown(
    collab: Collaboration,
    settings: SettingsWrapper,
    proxy: EgressProxy,
    robot_server: RobotServer,
    mute_port: int,  # noqa: F811
) -> None:
    expected = "Basic " + base64.b64encode(b"xietong:s3cret@pw").decode()
    proxy.credentials = expected
    settings.XIETONG_ROBOT_PROXY = proxy.url("xietong:s3cret%40pw")
    port = _internet_robot(proxy, robot_server)

    assert _send(collab, f"http://robot.invalid:{port}/send").state == DeliveryState.SENT
    assert proxy.seen[-1].headers["proxy-authorization"] == expected
    assert "proxy-authorization" not in robot_server.requests[0].headers  # the proxy's, not the robot's

    _internet_robot(proxy, ("127.0.0.1", mute_port))
    assert _send(collab, "https://robot.invalid/send").last_error == webhooks.NETWORK_ERROR
    assert proxy.seen[-1].line.startswith("CONNECT robot.invalid:443 ")
    assert proxy.seen[-1].headers["proxy-authorization"] == expected

    errors = []
    settings.XIETONG_ROBOT_PROXY = proxy.url("xietong:wrong-s3cret")
    errors.append(_send(collab, "https://robot.invalid/send").last_error)
    settings.XIETONG_ROBOT_PROXY = f"http://xietong:s3cret@127.0.0.1:{closed_port()}"
    errors.append(_send(collab, "https://robot.invalid/send").last_error)
    assert errors == ["proxy refused: HTTP 407 Proxy Authentication Required", webhooks.NETWORK_ERROR]
    parsed = netguard.parse_proxy(proxy.url("xietong:s3cret%40pw"))
    assert "s3cret" not in repr(parsed) + str(parsed)


# ---------------------------------------------------------------- the setting


@pytest.mark.parametrize(
    "value",
    [
        "proxy.intranet:3128",
        "https://proxy.intranet:3128",
        "socks5://proxy.intranet:1080",
        "http://proxy.intranet",
        "http://xietong:hunter2@proxy.intranet",
        "http://:3128",
        "http://proxy.intranet:99999",
        "http://proxy.intranet:3128/path",
        "http://proxy.intranet:3128?x=1",
        "http://proxy intranet:3128",
        "http://proxy_intranet!:3128",
    ],
)
def test_a_bad_proxy_setting_stops_the_server(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="XIETONG_ROBOT_PROXY") as raised:
        netguard.parse_proxy(value)
    assert "hunter2" not in str(raised.value)


def test_the_proxy_setting_reads_host_port_and_credentials() -> None:
    assert netguard.parse_proxy("") is None
    assert netguard.parse_proxy("http://Proxy.Intranet:3128/") == netguard.Proxy("proxy.intranet", 3128)
    assert netguard.parse_proxy("http://[fd00::3]:8080") == netguard.Proxy("fd00::3", 8080)
    with_user = netguard.parse_proxy("http://u%3Ax:p%40ss@10.1.2.3:3128")
    assert with_user == netguard.Proxy("10.1.2.3", 3128, "Basic " + base64.b64encode(b"u:x:p@ss").decode())


def test_a_bad_proxy_setting_refuses_to_start(tmp_path: Path) -> None:
    done = _settings_in_fresh_process(tmp_path, XIETONG_ROBOT_PROXY="http://xietong:hunter2@proxy.intranet")
    assert done.returncode != 0
    assert "XIETONG_ROBOT_PROXY has no port" in done.stderr
    assert "hunter2" not in done.stderr
    good = _settings_in_fresh_process(
        tmp_path, XIETONG_ROBOT_PROXY="http://xietong:hunter2@proxy.intranet:3128"
    )
    assert good.returncode == 0, good.stderr
