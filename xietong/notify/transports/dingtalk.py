"""DingTalk (钉钉) custom robot: markdown message; signed with timestamp + HMAC-SHA256 when a secret is set."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from urllib.parse import quote_plus

from xietong.notify.messages import Message
from xietong.notify.models import Delivery
from xietong.notify.transports.robots import post

LIMIT_BYTES = 20000
# 130101: sending too fast; -1: system busy.
RETRY_CODES = {130101, -1}


def sign(secret: str, timestamp_ms: int) -> str:
    """``timestamp + "\\n" + secret`` signed with HMAC-SHA256 keyed by the secret, Base64, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    if not secret:
        return url
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


def payload(message: Message) -> dict[str, object]:
    return {
        "msgtype": "markdown",
        "markdown": {"title": message.subject, "text": message.markdown(LIMIT_BYTES)},
    }


def send(delivery: Delivery, message: Message, accepted: Callable[[str], None]) -> None:
    robot = delivery.robot
    assert robot is not None
    url = signed_url(robot.webhook_url, robot.secret, int(time.time() * 1000))
    accepted(post(url, payload(message), code_field="errcode", retry_codes=RETRY_CODES))
