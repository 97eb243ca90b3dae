"""The one HTTP client for outgoing webhooks (group robots): POST JSON, read JSON, classify failures.

Standard library only, with a timeout on every call. Whether a failure is
worth retrying is decided here for HTTP (network errors and 5xx: yes;
other 4xx: no) and by each transport for the error codes robots put in
an HTTP 200 body.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 10
MAX_BODY = 64 * 1024


class DeliveryError(Exception):
    """A send that failed; ``retry`` says whether trying again later may succeed."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Robots answer where they are: a redirect (which urllib would follow as a GET,
    without the message) is reported as the HTTP error it is."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, payload: dict[str, Any], timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """POST ``payload`` as JSON and return the JSON answer ({} when the answer is not JSON)."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        # urllib would also open file: and ftp: addresses; a webhook is only ever HTTP(S).
        raise DeliveryError(f"not an HTTP(S) address: {url.split(':', 1)[0]}:", retry=False)
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "xietong"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_BODY)
    except urllib.error.HTTPError as error:
        detail = error.read(512).decode(errors="replace").strip()
        retry = error.code >= 500 or error.code in (408, 429)
        raise DeliveryError(f"HTTP {error.code} {error.reason} {detail}".strip(), retry=retry) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError(f"network error: {reason}", retry=True) from None
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
