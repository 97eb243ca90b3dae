"""WeCom (企业微信) group robot: markdown message, the key in the webhook address, no signature."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from xietong.notify.messages import Message
from xietong.notify.models import Delivery
from xietong.notify.transports.robots import post

LIMIT_BYTES = 4096
# -1: system busy.
RETRY_CODES = {-1}
# 45009: over the robot's rate limit (20 a minute): the address waits a minute.
THROTTLE_CODES = {45009}
THROTTLE_WAIT = timedelta(minutes=1)


def payload(message: Message) -> dict[str, object]:
    return {"msgtype": "markdown", "markdown": {"content": message.markdown(LIMIT_BYTES)}}


def send(delivery: Delivery, message: Message, accepted: Callable[[str], None]) -> None:
    assert delivery.robot is not None
    accepted(
        post(
            delivery.robot.webhook_url,
            payload(message),
            code_field="errcode",
            retry_codes=RETRY_CODES,
            throttle_codes=THROTTLE_CODES,
            wait=THROTTLE_WAIT,
        )
    )
