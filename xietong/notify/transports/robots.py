"""What the group robots share: the body's error code decides retry or give up."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from xietong.lib.webhooks import DeliveryError, post_json


def post(url: str, payload: dict[str, Any], *, code_field: str, retry_codes: Collection[int]) -> None:
    """POST to a robot and raise ``DeliveryError`` unless its answer carries code 0."""
    answer = post_json(url, payload)
    code = answer.get(code_field, answer.get("StatusCode"))
    if code == 0:
        return
    if code is None:
        # Every robot answers with a code; a page without one (a proxy's, a portal's) is no delivery.
        raise DeliveryError(f"no {code_field} in the answer: {str(answer)[:200]}", retry=True)
    message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
    raise DeliveryError(f"{code_field} {code}: {message}", retry=code in retry_codes)
