"""DingTalk (钉钉) custom robot: markdown message; signed with timestamp + HMAC-SHA256 when a secret is set."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import quote_plus

from xietong.lib.webhooks import DeliveryError
from xietong.notify.limiter import Throttled
from xietong.notify.messages import Message
from xietong.notify.models import Delivery
from xietong.notify.transports.robots import post

# The whole request body (the JSON as sent), not the markdown text, may not exceed 20,000 bytes (460101).
LIMIT_BYTES = 20000
# -1: system busy.
RETRY_CODES = {-1}
# 130101: sending too fast (over 20 a minute): DingTalk then blocks the robot for 10 minutes,
# answering HTTP 302 meanwhile. Both are a wait of the address, not a failed attempt.
THROTTLE_CODES = {130101}
BLOCK = timedelta(minutes=10)


def sign(secret: str, timestamp_ms: int) -> str:
    """``timestamp + "\\n" + secret`` signed with HMAC-SHA256 keyed by the secret, Base64, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    if not secret:
        return url
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


def _content(message: Message, room: int) -> dict[str, object]:
    return {"msgtype": "markdown", "markdown": {"title": message.subject, "text": message.markdown(room)}}


def _size(content: dict[str, object]) -> int:
    return len(json.dumps(content, ensure_ascii=False).encode())  # as the HTTP client sends it


def payload(message: Message) -> dict[str, object]:
    """The markdown message, its text cut (link kept) so that the whole body stays within ``LIMIT_BYTES``."""
    room = LIMIT_BYTES
    content = _content(message, room)
    while (size := _size(content)) > LIMIT_BYTES and room > 0:
        # The title, the JSON around the text and its escapes take room too: cut, measure again.
        room = min(room - (size - LIMIT_BYTES), room * LIMIT_BYTES // size)
        content = _content(message, max(room, 0))
    return content


def send(delivery: Delivery, message: Message, accepted: Callable[[str], None]) -> None:
    robot = delivery.robot
    assert robot is not None
    url = signed_url(robot.webhook_url, robot.secret, int(time.time() * 1000))
    try:
        answer = post(
            url,
            payload(message),
            code_field="errcode",
            retry_codes=RETRY_CODES,
            throttle_codes=THROTTLE_CODES,
            wait=BLOCK,
        )
    except Throttled:
        raise
    except DeliveryError as error:
        if error.reason.startswith("HTTP 302"):
            # DingTalk's answer while a robot is blocked for sending too fast.
            raise Throttled(f"{error.reason} (blocked for sending too fast)", wait=BLOCK) from None
        raise
    accepted(answer)
