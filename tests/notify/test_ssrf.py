"""Group robots cannot be turned against the server's own network (server-side request forgery).

A listener on 127.0.0.1 stands for what sits behind the server (its admin
port, a database, the cloud's metadata service): a robot aimed at it, in
any spelling, is refused when saved and never reached when sent, unless
the operator allow-listed it; what a robot answers is never shown back
beyond its status and its own error code.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.api.conftest import Cast, as_person
from tests.helpers import owner_of, signed_in
from tests.notify.conftest import make_notification, make_robot, robot_delivery
from tests.notify.servers import RobotServer, closed_port
from tests.notify.test_pages import WEBHOOK, robots_url
from tests.test_settings import _settings_in_fresh_process
from xietong.audit.models import AuditEntry
from xietong.collabs.models import Collaboration
from xietong.lib import netguard, webhooks
from xietong.notify.delivery import deliver
from xietong.notify.models import Delivery, DeliveryState, Robot, Transport
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db


def _loopback_spellings(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/hook",
        f"http://127.1:{port}/hook",
        f"http://2130706433:{port}/hook",
        f"http://0x7f.1:{port}/hook",
        f"http://0177.0.0.1:{port}/hook",
        f"http://0.0.0.0:{port}/hook",
        f"http://[::1]:{port}/hook",
        f"http://[::ffff:127.0.0.1]:{port}/hook",
        f"http://[64:ff9b::7f00:1]:{port}/hook",
        f"http://[2002:7f00:1::]:{port}/hook",
        f"http://localhost:{port}/hook",
        f"http://LOCALHOST.:{port}/hook",
        f"http://api.localhost:{port}/hook",
    ]


INTERNAL = [
    "http://10.0.0.8/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://[ff02::1]/hook",
    "https://[::]/hook",
    "http://[::1]/hook",
]


def _delivery(robot: Robot) -> Delivery:
    return robot_delivery(make_notification(collab=robot.collaboration), robot)


def _reload(delivery: Delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery


# ---------------------------------------------------------------- when a robot is saved


def test_it_refuses_to_save_a_robot_aimed_at_the_server_itself(
    cast: Cast,
    robot_server: RobotServer,
) -> None:
    api = as_person(cast.initiator)
    base = f"/api/collaborations/{cast.collab.slug}/robots"
    port = int(robot_server.httpd.server_address[1])
    for url in [*_loopback_spellings(port), *INTERNAL]:
        answer = api.post(base, {"kind": "wecom", "name": "群", "webhook_url": url})
        assert answer.status_code == 422, url
        assert "内网" in answer.json()["detail"] or "内网" in str(answer.json()), url
    assert not Robot.objects.exists()
    assert robot_server.requests == []


def test_changing_a_robots_address_to_an_internal_one_is_refused(cast: Cast) -> None:
    api = as_person(cast.initiator)
    base = f"/api/collaborations/{cast.collab.slug}/robots"
    created = api.post(base, {"kind": "wecom", "name": "群", "webhook_url": WEBHOOK})
    assert created.status_code == 201, created.content
    robot_id = created.json()["id"]
    answer = api.patch(f"{base}/{robot_id}", {"webhook_url": "http://169.254.169.254/latest/"})
    assert answer.status_code == 422
    assert Robot.objects.get(pk=robot_id).webhook_url == WEBHOOK


def test_the_page_says_why_an_internal_address_is_refused(demo: Collaboration) -> None:
    response = signed_in(owner_of(demo)).post(
        robots_url(demo), {"kind": "wecom", "name": "群", "webhook_url": "http://2130706433:8000/admin/"}
    )
    assert response.status_code == 200
    assert "XIETONG_ROBOT_ALLOWED_HOSTS" in response.content.decode()
    assert not Robot.objects.filter(collaboration=demo).exists()


def test_an_allow_listed_intranet_gateway_is_accepted(
    cast: Cast,
    settings: SettingsWrapper,
) -> None:
    settings.XIETONG_ROBOT_ALLOWED_HOSTS = ["robot-gw.intranet", "10.2.0.0/16"]
    api = as_person(cast.initiator)
    base = f"/api/collaborations/{cast.collab.slug}/robots"
    for url in ("http://10.2.7.1/send?key=k", "https://robot-gw.intranet/send?key=k"):
        assert api.post(base, {"kind": "wecom", "name": "群", "webhook_url": url}).status_code == 201, url
    assert (
        api.post(base, {"kind": "wecom", "name": "群", "webhook_url": "http://10.3.0.1/"}).status_code == 422
    )


# ---------------------------------------------------------------- when it is sent


def test_a_stored_robot_on_loopback_is_never_reached(
    collab: Collaboration, robot_server: RobotServer
) -> None:
    # Saved before this check existed, or by a name that pointed elsewhere when it was saved.
    for url in [*_loopback_spellings(int(robot_server.httpd.server_address[1])), *INTERNAL]:
        delivery = _delivery(make_robot(collab, Transport.WECOM, url))
        outcome = deliver(delivery.pk)
        delivery = _reload(delivery)
        assert (outcome.state, delivery.last_error) == (DeliveryState.FAILED, webhooks.BLOCKED), url
    assert robot_server.requests == []


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> None:
    """``robot.example.com`` now resolves to 127.0.0.1, as a DNS rebinding attacker's name does."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == "robot.example.com" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.usefixtures("rebinding")
def test_a_name_that_resolves_to_loopback_when_sent_is_not_reached(
    collab: Collaboration, robot_server: RobotServer, settings: SettingsWrapper
) -> None:
    port = int(robot_server.httpd.server_address[1])
    robot = make_robot(collab, Transport.WECOM, f"http://robot.example.com:{port}/send")
    assert deliver(_delivery(robot).pk).state == DeliveryState.FAILED
    assert robot_server.requests == []
    # Allow-listed, the same name is reached, at the address that was checked (Host keeps the name).
    settings.XIETONG_ROBOT_ALLOWED_HOSTS = ["robot.example.com"]
    assert deliver(_delivery(robot).pk).state == DeliveryState.SENT
    [request] = robot_server.requests
    assert request.headers["host"] == f"robot.example.com:{port}"


def test_connect_dials_only_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    # A unit test of the connection: the name is resolved once, at connect time, and that
    # very address is dialled; a second resolution could answer something else.
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80))]])
    dialled: list[Any] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        return next(answers) if host == "robot.example.com" else real(host, *args, **kwargs)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
        dialled.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    connection = webhooks.GuardedHTTPConnection("robot.example.com", 80, timeout=1)
    with pytest.raises(ConnectionRefusedError):
        connection.connect()
    assert dialled == [("93.184.216.34", 80)]


# ---------------------------------------------------------------- what is shown back


@pytest.mark.usefixtures("local_robots")
@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((404, "<html>admin console: db password hunter2</html>"), "HTTP 404 Not Found"),
        (
            (400, {"errcode": 93000, "errmsg": "invalid webhook url", "data": "hunter2"}),
            "HTTP 400 Bad Request errcode 93000: invalid webhook url",
        ),
        ((200, {"status": "ok", "config": "hunter2"}), "no errcode in the answer"),
        (
            (200, {"errcode": 40058, "errmsg": "bad markdown", "debug": "hunter2"}),
            "errcode 40058: bad markdown",
        ),
    ],
)
def test_an_error_shows_the_status_and_the_robots_code_never_the_body(
    collab: Collaboration, robot_server: RobotServer, answer: Any, error: str
) -> None:
    robot_server.answer(answer)
    delivery = _delivery(make_robot(collab, Transport.WECOM, robot_server.url()))
    deliver(delivery.pk)
    delivery = _reload(delivery)
    assert delivery.state in (DeliveryState.FAILED, DeliveryState.PENDING)
    assert delivery.last_error == error
    assert "hunter2" not in delivery.last_error


@pytest.fixture
def mute_port() -> Iterator[int]:
    """An open port that accepts and hangs up without a word (a database, an SSH port that dislikes us)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(timeout=2)
    server.close()


@pytest.mark.usefixtures("local_robots")
def test_open_and_closed_ports_fail_alike(collab: Collaboration, mute_port: int) -> None:
    errors = set()
    for port in (closed_port(), mute_port):
        delivery = _delivery(make_robot(collab, Transport.WECOM, f"http://127.0.0.1:{port}/"))
        deliver(delivery.pk)
        errors.add(_reload(delivery).last_error)
    assert errors == {webhooks.NETWORK_ERROR}


# ---------------------------------------------------------------- the allow-list, audit


@pytest.mark.parametrize(
    "value", ["10.2.0.1/16", "10.2.0.0/33", "robot gw", "http://gw.intranet", "0x7f.1", "*.intranet"]
)
def test_a_bad_allow_list_entry_stops_the_server(value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="XIETONG_ROBOT_ALLOWED_HOSTS"):
        netguard.parse_allow_list(["gw.intranet", value])


def test_a_bad_allow_list_refuses_to_start(tmp_path: Path) -> None:
    done = _settings_in_fresh_process(tmp_path, XIETONG_ROBOT_ALLOWED_HOSTS="gw.intranet,10.2.0.1/16")
    assert done.returncode != 0
    assert "XIETONG_ROBOT_ALLOWED_HOSTS: '10.2.0.1/16'" in done.stderr
    assert (
        _settings_in_fresh_process(tmp_path, XIETONG_ROBOT_ALLOWED_HOSTS="gw.intranet,10.2.0.0/16").returncode
        == 0
    )


def test_the_allow_list_reads_names_addresses_and_networks() -> None:
    allowed = netguard.parse_allow_list(["Robot-GW.intranet.", "10.2.0.0/16", "127.0.0.1", "[::1]"])
    assert allowed.allows_name("robot-gw.intranet") and not allowed.allows_name("gw.intranet")
    assert netguard.checked_addresses("10.2.9.9", 80, allowed)
    assert netguard.checked_addresses("127.0.0.1", 80, allowed)
    with pytest.raises(netguard.BlockedAddress):
        netguard.checked_addresses("127.0.0.2", 80, allowed)


def test_an_admin_changing_a_webhook_is_in_the_history(collab: Collaboration, admin_user: Person) -> None:
    robot = make_robot(
        collab, Transport.WECOM, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=old-key"
    )
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:notify_robot_change", args=[robot.pk])
    form = {
        "collaboration": collab.pk,
        "kind": "wecom",
        "name": robot.name,
        "new_webhook_url": "https://robot.example.org/send?key=new-key-77",
        "new_secret": "",
        "kinds": "[]",
        "active": "on",
    }
    assert client.post(url, form).status_code == 302
    refused = client.post(url, form | {"new_webhook_url": "http://127.0.0.1:5432/"})
    assert refused.status_code == 200 and "XIETONG_ROBOT_ALLOWED_HOSTS" in refused.content.decode()
    entry = AuditEntry.objects.get(object_type="notify.robot", object_id=str(robot.pk))
    assert entry.reason == "更换了 Webhook 地址"
    assert entry.after == {"webhook_url": "https://robot.example.org/…"}
    assert "key" not in str(entry.before) + str(entry.after)
    client.post(reverse("admin:notify_robot_delete", args=[robot.pk]), {"post": "yes"})
    assert not Robot.objects.filter(pk=robot.pk).exists()
    assert AuditEntry.objects.filter(object_id=str(robot.pk), change="delete").exists()
