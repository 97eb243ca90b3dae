"""Local group robots that enforce the vendors' documented limits, per webhook address.

Each is a ``RobotServer`` (tests/notify/servers.py) whose ``check`` keeps
the vendor's rules, reckoned with ``time.time()`` (which ``time_machine``
moves for the server's thread too):

- WeCom: 20 messages a minute (errcode 45009), markdown content of at
  most 4,096 bytes (errcode 40058);
- DingTalk: 20 a minute; the 21st gets errcode 130101 and the robot is
  blocked for 10 minutes, during which every request gets HTTP 302; a
  request body over 20,000 bytes gets errcode 460101;
- Feishu: 5 a second and 100 a minute (code 11232), a request body over
  20 KB (code 9499).

Every request that breaks a rule is kept in ``violations``; what was
accepted in ``accepted`` (the bodies), so a test sees whether anything was
sent twice.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.notify.servers import Answer, Received, RobotServer


@dataclass(frozen=True)
class Rules:
    windows: tuple[tuple[float, int], ...]  # (seconds, messages)
    over: Answer
    max_body: int = 0  # bytes of the whole request body (0: no such rule)
    too_large: Answer = (200, {})
    max_content: int = 0  # bytes of the markdown content (WeCom)
    block_seconds: float = 0  # blocked this long after going over (DingTalk)
    ok: Answer = (200, {"errcode": 0, "errmsg": "ok"})


WECOM = Rules(
    windows=((60, 20),),
    over=(200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
    max_content=4096,
    too_large=(200, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}),
)
DINGTALK = Rules(
    windows=((60, 20),),
    over=(200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
    max_body=20000,
    too_large=(200, {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}),
    block_seconds=600,
)
FEISHU = Rules(
    windows=((1, 5), (60, 100)),
    over=(200, {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"}),
    max_body=20 * 1024,
    too_large=(200, {"code": 9499, "msg": "request body too large"}),
    ok=(200, {"code": 0, "msg": "success", "data": {}}),
)


class LimitedRobot(RobotServer):
    """A robot server keeping ``rules`` per webhook address (path and query)."""

    def __init__(self, rules: Rules) -> None:
        super().__init__()
        self.rules = rules
        self.default = rules.ok
        self.sent: dict[str, list[float]] = defaultdict(list)
        self.blocked_until: dict[str, float] = {}
        self.accepted: list[Any] = []
        self.violations: list[str] = []
        self.check = self._enforce

    @staticmethod
    def address(request: Received) -> str:
        query = "&".join(
            f"{k}={v}" for k, v in sorted(request.query.items()) if k not in ("timestamp", "sign")
        )
        return f"{request.path}?{query}"

    def block(self, address: str, seconds: float) -> None:
        """Blocked now, as after someone else's flood."""
        self.blocked_until[address] = time.time() + seconds

    def _enforce(self, request: Received) -> Answer | None:
        now = time.time()
        rules, address = self.rules, self.address(request)
        if self.blocked_until.get(address, 0) > now:
            self.violations.append(f"sent while blocked: {address}")
            return (302, "")
        if rules.max_body and len(request.body) > rules.max_body:
            self.violations.append(f"body of {len(request.body)} bytes")
            return rules.too_large
        body = request.json()
        if rules.max_content:
            content = str(body.get("markdown", {}).get("content", ""))
            if len(content.encode()) > rules.max_content:
                self.violations.append(f"content of {len(content.encode())} bytes")
                return rules.too_large
        sent = self.sent[address]
        for seconds, most in rules.windows:
            if sum(1 for at in sent if at > now - seconds) >= most:
                self.violations.append(f"over {most} in {seconds} s: {address}")
                if rules.block_seconds:
                    self.blocked_until[address] = now + rules.block_seconds
                return rules.over
        sent.append(now)
        self.accepted.append(body)
        return None

    def texts(self) -> list[str]:
        """What each accepted message said (its JSON), to find one sent twice."""
        return [json.dumps(body, ensure_ascii=False, sort_keys=True) for body in self.accepted]


def _serve(rules: Rules) -> Iterator[LimitedRobot]:
    server = LimitedRobot(rules)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def wecom_robot() -> Iterator[LimitedRobot]:
    yield from _serve(WECOM)


@pytest.fixture
def dingtalk_robot() -> Iterator[LimitedRobot]:
    yield from _serve(DINGTALK)


@pytest.fixture
def feishu_robot() -> Iterator[LimitedRobot]:
    yield from _serve(FEISHU)
