"""Fixtures of the notification tests: the real servers (``servers``) and rows to deliver."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.notify.servers import robot_server, smtp, smtp_server
from xietong.collabs.models import Collaboration
from xietong.notify.models import Delivery, Kind, Notification, Robot, Transport
from xietong.orgs.models import Person

__all__ = ["robot_server", "smtp", "smtp_server"]

_keys = itertools.count(1)

OVERDUE = {
    "collab": "新品上市协同",
    "task": "完成包装设计",
    "department": "市场部",
    "deadline": "2024-08-09",
}


def make_notification(
    recipient: Person | None = None,
    *,
    collab: Collaboration | None = None,
    kind: str = Kind.TASK_OVERDUE,
    params: dict[str, Any] | None = None,
    link: str = "/c/launch/table/",
) -> Notification:
    return Notification.objects.create(
        key=f"test:{next(_keys)}",
        kind=kind,
        collaboration=collab,
        recipient=recipient,
        params=OVERDUE if params is None else params,
        link=link,
        planned=True,
    )


def email_delivery(notification: Notification, address: str) -> Delivery:
    return Delivery.objects.create(
        notification=notification, transport=Transport.EMAIL, target=f"email:{address}"
    )


def make_robot(collab: Collaboration, kind: str, url: str, secret: str = "") -> Robot:
    return Robot.objects.create(
        collaboration=collab, kind=kind, name=f"{kind} 群", webhook_url=url, secret=secret
    )


def robot_delivery(notification: Notification, robot: Robot) -> Delivery:
    return Delivery.objects.create(
        notification=notification, transport=robot.kind, target=f"robot:{robot.pk}", robot=robot
    )


@pytest.fixture
def collab(db: None) -> Collaboration:
    return Collaboration.objects.create(slug="launch", title="新品上市协同")


@pytest.fixture
def local_robots(settings: SettingsWrapper) -> None:
    """Robots on 127.0.0.1 (the test servers) allow-listed, as an operator does for an intranet gateway."""
    settings.XIETONG_ROBOT_ALLOWED_HOSTS = ["127.0.0.1"]
