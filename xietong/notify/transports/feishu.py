"""Feishu (飞书) custom bot: a "post" (rich text) message; signed in the body when a secret is set."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from xietong.notify.messages import Message
from xietong.notify.models import Delivery
from xietong.notify.transports.robots import post

# The whole request body may not exceed 20 KB.
LIMIT_BYTES = 20 * 1024
RETRY_CODES: set[int] = set()
# 9499: too many requests; 11232: frequency limited (5 a second, 100 a minute): the address waits.
THROTTLE_CODES = {9499, 11232}
THROTTLE_WAIT = timedelta(minutes=1)


def sign(secret: str, timestamp: int) -> str:
    """HMAC-SHA256 keyed by ``timestamp + "\\n" + secret`` over an empty message, Base64."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _post(message: Message, body: str) -> dict[str, Any]:
    return {
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


def _size(content: dict[str, Any]) -> int:
    return len(json.dumps(content, ensure_ascii=False).encode())  # as the HTTP client sends it


def payload(message: Message, secret: str = "", timestamp: int | None = None) -> dict[str, Any]:
    """The message as a post, its text cut so that the whole request stays within ``LIMIT_BYTES``."""
    extra: dict[str, str] = {}
    if secret:
        stamp = timestamp if timestamp is not None else int(time.time())
        extra = {"timestamp": str(stamp), "sign": sign(secret, stamp)}
    body = message.body
    content = {**_post(message, body), **extra}
    while (over := _size(content) - LIMIT_BYTES) > 0 and body:
        # JSON escapes may take more room than the text itself: cut, measure again.
        body = body.encode()[: max(len(body.encode()) - over - len("…".encode()), 0)].decode(errors="ignore")
        content = {**_post(message, body + "…"), **extra}
    return content


def send(delivery: Delivery, message: Message, accepted: Callable[[str], None]) -> None:
    robot = delivery.robot
    assert robot is not None
    accepted(
        post(
            robot.webhook_url,
            payload(message, robot.secret),
            code_field="code",
            retry_codes=RETRY_CODES,
            throttle_codes=THROTTLE_CODES,
            wait=THROTTLE_WAIT,
        )
    )
