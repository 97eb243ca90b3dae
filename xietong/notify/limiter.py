"""Group robots' rate limits, per webhook address, shared by every collaboration and worker process.

A vendor limits its robot, that is its webhook address, whoever posts to
it: two collaborations pointing at one DingTalk group share its 20 a minute.
So the count is not a robot entry's and not a process's memory: it is a
``RobotAddress`` row per address (a digest of it), holding the moments of
its recent sends (a sliding window) and a block. ``reserve`` runs in the
claim's transaction with that row locked (``select_for_update``; SQLite's
one writer does the same), so workers in any number of processes never
see room for the same slot. A delivery over a limit is postponed, never
counted as a failed attempt.

The limits (docs/notifications.md, "Group robot limits"):

- WeCom 20 a minute; DingTalk 20 a minute; Feishu 5 a second and 100 a minute
  (settings ``XIETONG_WECOM_PER_MINUTE``, ``XIETONG_DINGTALK_PER_MINUTE``,
  ``XIETONG_FEISHU_PER_SECOND``, ``XIETONG_FEISHU_PER_MINUTE``; the first two
  default to ``XIETONG_ROBOT_PER_MINUTE``);
- a robot that says "too fast" (or DingTalk's 10-minute block, HTTP 302)
  blocks the address for the vendor's wait (``Throttled``): every delivery
  to it waits, without spending an attempt, for up to ``THROTTLE_PATIENCE``
  after the delivery was made; after that a throttled answer counts as a
  failed attempt like any other, so an address that only ever answers so
  (moved, or not a robot) fails in the end.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings

from xietong.lib.webhooks import DeliveryError
from xietong.notify.models import RobotAddress, Transport

# How long after a delivery was made a robot's "too fast" still only postpones it.
THROTTLE_PATIENCE = timedelta(days=1)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Throttled(DeliveryError):
    """The robot refused for sending too fast: try again after ``wait``, all sends to its address alike."""

    def __init__(self, reason: str, *, wait: timedelta) -> None:
        super().__init__(reason, retry=True)
        self.wait = wait


def address_key(url: str) -> str:
    """The digest of a webhook address, the same however it was typed (case of scheme and host,
    default port, order of the query's parameters)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    normal = f"{scheme}://{netloc}{parts.path or '/'}?{query}"
    return hashlib.sha256(normal.encode()).hexdigest()


def _per_minute(value: int) -> int:
    return value or settings.XIETONG_ROBOT_PER_MINUTE


def limits(kind: str) -> tuple[tuple[timedelta, int], ...]:
    """The windows of a robot kind: (length, most sends within it)."""
    if kind == Transport.FEISHU:
        return ((_SECOND, settings.XIETONG_FEISHU_PER_SECOND), (_MINUTE, settings.XIETONG_FEISHU_PER_MINUTE))
    if kind == Transport.DINGTALK:
        return ((_MINUTE, _per_minute(settings.XIETONG_DINGTALK_PER_MINUTE)),)
    return ((_MINUTE, _per_minute(settings.XIETONG_WECOM_PER_MINUTE)),)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND  # exact: no float rounding at the window's edge


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _locked(url: str) -> RobotAddress:
    """The address's row, locked until the caller's transaction ends (made the first time)."""
    digest = address_key(url)
    row = RobotAddress.objects.select_for_update().filter(digest=digest).first()
    if row is None:
        RobotAddress.objects.bulk_create([RobotAddress(digest=digest)], ignore_conflicts=True)
        row = RobotAddress.objects.select_for_update().get(digest=digest)
    return row


def reserve(url: str, kind: str, now: datetime) -> datetime | None:
    """Take a send to ``url`` at ``now`` if its limits allow (None), else say when to try again.

    Call inside a transaction (the claim's): the address's row stays locked
    until it commits. A send taken counts whatever its outcome: the robot
    counts the request too.
    """
    row = _locked(url)
    windows = limits(kind)
    at = _micros(now)
    longest = max(_micros(_EPOCH + window) for window, _most in windows)
    sends = sorted(int(s) for s in row.sends if int(s) > at - longest)
    later = row.blocked_until if row.blocked_until is not None and row.blocked_until > now else None
    for window, most in windows:
        span = _micros(_EPOCH + window)
        inside = [s for s in sends if s > at - span]
        if len(inside) >= most:
            # Room again once enough of the oldest in the window have left it.
            free = _moment(inside[len(inside) - most] + span)
            later = free if later is None else max(later, free)
    if later is not None:
        return later
    row.sends = [*sends, at]
    row.save(update_fields=["sends"])
    return None


def block(url: str, until: datetime) -> None:
    """Nothing is sent to ``url`` before ``until`` (the robot said it is throttled). Call in a transaction."""
    row = _locked(url)
    if row.blocked_until is None or row.blocked_until < until:
        row.blocked_until = until
        row.save(update_fields=["blocked_until"])
