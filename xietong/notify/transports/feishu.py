"""Feishu (飞书) custom bot: a "post" (rich text) message; signed in the body when a secret is set."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from xietong.notify.messages import Message
from xietong.notify.models import Delivery
from xietong.notify.transports.robots import post

LIMIT_BYTES = 20000
# 9499: too many requests; 11232: frequency limited.
RETRY_CODES = {9499, 11232}


def sign(secret: str, timestamp: int) -> str:
    """HMAC-SHA256 keyed by ``timestamp + "\\n" + secret`` over an empty message, Base64."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def payload(message: Message, secret: str = "", timestamp: int | None = None) -> dict[str, Any]:
    body = message.body.encode()[:LIMIT_BYTES].decode(errors="ignore")
    content: dict[str, Any] = {
        "msg_type": "post",
        "content": {
            "post": {
                ("zh_cn" if message.language.startswith("zh") else "en_us"): {
                    "title": message.subject,
                    "content": [
                        [{"tag": "text", "text": body}],
                        [{"tag": "a", "text": message.url, "href": message.url}],
                    ],
                }
            }
        },
    }
    if secret:
        stamp = timestamp if timestamp is not None else int(time.time())
        content.update(timestamp=str(stamp), sign=sign(secret, stamp))
    return content


def send(delivery: Delivery, message: Message) -> None:
    robot = delivery.robot
    assert robot is not None
    post(robot.webhook_url, payload(message, robot.secret), code_field="code", retry_codes=RETRY_CODES)
