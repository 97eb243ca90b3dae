"""The HTTP side of the vendor directories (WeCom, DingTalk, Feishu): JSON calls with an access token.

Standard library only. Each call has a timeout; an access token is fetched
once and fetched again once when the vendor says it expired; a rate-limit
answer is waited out a few times (1 s, 2 s, 4 s …) before the sync gives
up. Every failure is a ``DirectoryError`` naming the vendor, the API path
and the vendor's code and message, never a secret or a token: the sync
then changes nothing.

The base URLs are the operator's configuration (environment), not a
person's input, so no address guard applies (``lib/webhooks.py`` is for
robots' addresses that people type). Proxies from the environment are not
used: the directory is reached directly.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from xietong.orgs.directory.base import DirectoryError

TIMEOUT_SECONDS = 15
MAX_BODY = 16 * 1024 * 1024
MESSAGE_LENGTH = 200

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class TokenApi:
    """A vendor API with an access token; subclasses say how to get one and read their codes."""

    vendor = ""
    token_codes: frozenset[int] = frozenset()
    rate_codes: frozenset[int] = frozenset()

    def __init__(
        self,
        base_url: str,
        *,
        pause: Callable[[float], None] = time.sleep,
        attempts: int = 4,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.pause = pause
        self.attempts = attempts
        self.timeout = timeout
        self._token = ""
        self.calls = 0  # requests sent (for tests and logs)

    # --- what a vendor defines

    def fetch_token(self) -> str:
        raise NotImplementedError

    def code_of(self, data: dict[str, Any]) -> tuple[int, str]:
        """Return the vendor's error code (0: fine) and message in ``data``."""
        return int(data.get("errcode", 0) or 0), str(data.get("errmsg", ""))

    def authorise(self, token: str, params: dict[str, Any], headers: dict[str, str]) -> None:
        """Put the token into the request (the query string unless the vendor says otherwise)."""
        params["access_token"] = token

    # --- the calls

    def http(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one request; return its JSON object (an HTTP error's JSON body too, for its code)."""
        url = self.base_url + path + ("?" + urlencode(params) if params else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        self.calls += 1
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_BODY)
        except urllib.error.HTTPError as exc:
            raw = exc.read(MAX_BODY)
            if exc.code == 429:
                return {"_rate_limited": True}
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = None
            if not isinstance(answer, dict) or self.code_of(answer)[0] == 0:
                raise DirectoryError(
                    _("%(vendor)s:%(path)s 返回 HTTP %(status)s")
                    % {"vendor": self.vendor, "path": path, "status": exc.code}
                ) from None
            return answer
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DirectoryError(
                _("%(vendor)s:无法连接 %(url)s(%(reason)s)")
                % {"vendor": self.vendor, "url": self.base_url, "reason": str(reason)[:MESSAGE_LENGTH]}
            ) from None
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise DirectoryError(
                _("%(vendor)s:%(path)s 的回答不是 JSON 对象") % {"vendor": self.vendor, "path": path}
            )
        return answer

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Call ``path`` with the access token; return the answer once its code says fine.

        An expired token is fetched again once; a rate limit is waited out up
        to ``attempts`` times. Raises ``DirectoryError`` otherwise.
        """
        refreshed = False
        waits = 0
        while True:
            if not self._token:
                self._token = self.fetch_token()
            query = dict(params or {})
            headers: dict[str, str] = {}
            self.authorise(self._token, query, headers)
            data = self.http(method, path, query, body, headers)
            code, message = (429, "HTTP 429") if data.get("_rate_limited") else self.code_of(data)
            if code == 0:
                return data
            if code in self.token_codes and not refreshed:
                self._token = ""
                refreshed = True
                continue
            if (code in self.rate_codes or code == 429) and waits < self.attempts:
                self.pause(2.0**waits)
                waits += 1
                continue
            if code in self.rate_codes or code == 429:
                raise DirectoryError(
                    _("%(vendor)s:%(path)s 调用频率超限,重试 %(n)s 次后放弃")
                    % {"vendor": self.vendor, "path": path, "n": waits}
                )
            raise self.refused(path, code, message)

    def refused(self, path: str, code: int, message: str) -> DirectoryError:
        return DirectoryError(
            _("%(vendor)s:%(path)s 返回错误 %(code)s:%(message)s")
            % {"vendor": self.vendor, "path": path, "code": code, "message": message[:MESSAGE_LENGTH]}
        )

    def token_from(self, data: dict[str, Any], key: str) -> str:
        """Return the token in a token answer; raise ``DirectoryError`` when it was refused."""
        code, message = self.code_of(data)
        token = data.get(key)
        if code != 0 or not isinstance(token, str) or not token:
            raise DirectoryError(
                _("%(vendor)s:获取访问令牌失败(%(code)s:%(message)s),请检查应用凭据")
                % {"vendor": self.vendor, "code": code, "message": message[:MESSAGE_LENGTH]}
            )
        return token
