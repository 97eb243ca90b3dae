"""One transport per channel: ``send(delivery, message)`` returns, or raises ``DeliveryError``."""

from __future__ import annotations

from collections.abc import Callable

from xietong.lib.webhooks import DeliveryError
from xietong.notify.messages import Message
from xietong.notify.models import Delivery, Transport
from xietong.notify.transports import dingtalk, email, feishu, wecom

Send = Callable[[Delivery, Message], None]

TRANSPORTS: dict[str, Send] = {
    Transport.EMAIL: email.send,
    Transport.WECOM: wecom.send,
    Transport.DINGTALK: dingtalk.send,
    Transport.FEISHU: feishu.send,
}

__all__ = ["TRANSPORTS", "DeliveryError", "Send"]
