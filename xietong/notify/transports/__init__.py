"""One transport per channel: ``send(delivery, message, accepted)`` returns, or raises ``DeliveryError``.

A transport calls ``accepted(answer)`` once, the moment the server took the
message (a robot's "errcode 0: ok", the SMTP reply to DATA), so the send is
recorded before anything else can go wrong (closing the session, a crash).
"""

from __future__ import annotations

from collections.abc import Callable

from xietong.lib.webhooks import DeliveryError
from xietong.notify.messages import Message
from xietong.notify.models import Delivery, Transport
from xietong.notify.transports import dingtalk, email, feishu, wecom

Accepted = Callable[[str], None]
Send = Callable[[Delivery, Message, Accepted], None]

TRANSPORTS: dict[str, Send] = {
    Transport.EMAIL: email.send,
    Transport.WECOM: wecom.send,
    Transport.DINGTALK: dingtalk.send,
    Transport.FEISHU: feishu.send,
}

__all__ = ["TRANSPORTS", "Accepted", "DeliveryError", "Send"]
