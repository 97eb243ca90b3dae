"""What the group robots share: the body's error code decides retry, wait or give up."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from xietong.lib.webhooks import MESSAGE_LENGTH, DeliveryError, post_json
from xietong.notify.limiter import Throttled


def post(
    url: str,
    payload: dict[str, Any],
    *,
    code_field: str,
    retry_codes: Collection[int],
    throttle_codes: Collection[int] = (),
    wait: timedelta = timedelta(minutes=1),
) -> str:
    """POST to a robot; return its answer (code and message) when it carries code 0, else raise ``DeliveryError``.

    A code of ``throttle_codes`` (the robot's "too fast") raises ``Throttled``:
    the address waits ``wait``, without the delivery spending an attempt.
    Only the robot's code and message are ever quoted, never the rest of
    what the address answered (it may be any server's page).
    """
    answer = post_json(url, payload)
    code_name = code_field if code_field in answer else "StatusCode"
    code = answer.get(code_name)
    message = str(answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or "")
    message = message[:MESSAGE_LENGTH]
    if code == 0:
        return f"{code_name} 0: {message}".strip()
    if code is None:
        # Every robot answers with a code; a page without one (a proxy's, a portal's) is no delivery.
        raise DeliveryError(f"no {code_field} in the answer", retry=True)
    reason = f"{code_name} {code}: {message}".strip()
    if code in throttle_codes:
        raise Throttled(reason, wait=wait)
    raise DeliveryError(reason, retry=code in retry_codes)
