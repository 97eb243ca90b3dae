"""Login throttling: django-axes' database counts, judged per username *and* address, with a growing delay.

Axes counts failed sign-ins in ``axes_accessattempt`` (one row per
username, address and browser). This handler decides from those rows:

- a *pair* (this username from this address) may fail ``AXES_FAILURE_LIMIT``
  times freely; then it waits 1 minute, and each further failure doubles the
  wait, up to ``AXES_COOLOFF_TIME`` (1, 2, 4 … 60 minutes);
- an *address* that fails ``XIETONG_LOGIN_ADDRESS_FAILURES`` times over all
  usernames waits the same way (one address guessing many accounts);
- a username alone is never locked: an attacker elsewhere cannot lock
  its owner (the administrator included) out;
- failures are forgotten ``XIETONG_LOGIN_FORGET_HOURS`` after the pair's
  last one, when that person signs in from that address, or when staff
  unlock the pair on the lockouts page.

Axes loads this module when its first request comes (``AXES_HANDLER``),
after the apps are ready, so it may import axes' models at module level
(``xietong.lib.security`` may not).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler  # type: ignore[import-untyped]
from axes.helpers import get_client_username  # type: ignore[import-untyped]
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.conf import settings
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone

log = logging.getLogger("xietong.security")

FIRST_DELAY = timedelta(minutes=1)


def pair_limit() -> int:
    return int(settings.AXES_FAILURE_LIMIT)


def address_limit() -> int:
    return int(settings.XIETONG_LOGIN_ADDRESS_FAILURES)


def forget_after() -> timedelta:
    return timedelta(hours=int(settings.XIETONG_LOGIN_FORGET_HOURS))


def delay_after(failures: int, limit: int) -> timedelta | None:
    """Return how long to wait after ``failures`` failures (None: below ``limit``, no wait).

    1 minute at the limit, doubling with each further failure, capped at ``AXES_COOLOFF_TIME``.
    """
    if failures < limit:
        return None
    cap: timedelta = settings.AXES_COOLOFF_TIME
    steps = failures - limit
    if steps >= 32:  # 2**32 minutes is past any cap; avoid huge numbers
        return cap
    return min(FIRST_DELAY * 2**steps, cap)


def _until(attempts: QuerySet[Any], limit: int) -> tuple[int, datetime | None]:
    """Return the failures of ``attempts`` and when their wait ends (None: no wait)."""
    found = attempts.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    failures = int(found["failures"] or 0)
    delay = delay_after(failures, limit)
    if delay is None or found["last"] is None:
        return failures, None
    return failures, found["last"] + delay


def _buckets(username: str | None, address: str | None) -> list[tuple[QuerySet[Any], int]]:
    """The attempts judged together, with their limits: the pair's, then the address's."""
    return [
        (AccessAttempt.objects.filter(username=username, ip_address=address), pair_limit()),
        (AccessAttempt.objects.filter(ip_address=address), address_limit()),
    ]


def locked_until(username: str | None, address: str | None, now: datetime | None = None) -> datetime | None:
    """Return when sign-ins of ``username`` from ``address`` may be tried again (None: now)."""
    now = now or timezone.now()
    ends = [until for attempts, limit in _buckets(username, address) if (until := _until(attempts, limit)[1])]
    latest = max(ends, default=None)
    return latest if latest is not None and latest > now else None


class LoginThrottle(AxesDatabaseHandler):
    """Axes' database handler judging the pair and the address with a growing delay (see the module)."""

    def get_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> list[Any]:
        # Axes sums the attempts of each queryset and locks when a sum reaches
        # AXES_FAILURE_LIMIT: give it all of a bucket's rows while its wait
        # runs (their sum is at least its limit), none otherwise.
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        username = get_client_username(request, credentials)
        address = getattr(request, "axes_ip_address", None)
        judged = []
        for attempts, limit in _buckets(username, address):
            until = _until(attempts, limit)[1]
            judged.append(attempts if until is not None and until > now else attempts.none())
        return judged

    def clean_expired_user_attempts(
        self, request: HttpRequest | None = None, credentials: dict[str, Any] | None = None
    ) -> int:
        # Axes would forget everything older than one cool-off; the delay
        # could then never grow. Forget a row a day (by default) after its last failure.
        count, _ = AccessAttempt.objects.filter(attempt_time__lte=timezone.now() - forget_after()).delete()
        return int(count)

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        """A successful sign-in forgets the failures of this username from this address only.

        Not the username's from elsewhere (the owner signing in must not give
        an attacker fresh guesses), nor the address's for other usernames
        (someone with an account must not reset the count on another account).
        """
        super().user_logged_in(sender, request, user, **kwargs)
        address = getattr(request, "axes_ip_address", None)
        AccessAttempt.objects.filter(username=user.get_username(), ip_address=address).delete()


@dataclass(frozen=True)
class Lockout:
    """A pair (or, with no username, a whole address) that must wait."""

    username: str | None
    address: str | None
    failures: int
    until: datetime


def current_lockouts(now: datetime | None = None) -> list[Lockout]:
    """Return the pairs and addresses waiting now, the longest wait first (two queries)."""
    now = now or timezone.now()
    found: list[Lockout] = []
    pairs = AccessAttempt.objects.values("username", "ip_address").annotate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    addresses = AccessAttempt.objects.values("ip_address").annotate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    for rows, limit in ((pairs, pair_limit()), (addresses, address_limit())):
        for row in rows:
            delay = delay_after(int(row["failures"] or 0), limit)
            if delay is not None and row["last"] + delay > now:
                found.append(
                    Lockout(row.get("username"), row["ip_address"], row["failures"], row["last"] + delay)
                )
    return sorted(found, key=lambda lockout: (-lockout.until.timestamp(), lockout.username or ""))


def do_unlock(username: str | None, address: str | None, *, actor: Any) -> int:
    """Forget the failures of ``username`` from ``address`` (or, with no username, all from the address).

    Returns the rows removed; logged with who unlocked what.
    """
    attempts = AccessAttempt.objects.filter(ip_address=address or None)
    if username is not None:
        attempts = attempts.filter(username=username)
    count, _ = attempts.delete()
    log.warning(
        "Sign-in unlocked by %s: username %s from %s (%d records)",
        actor.get_username(),
        username if username is not None else "(any)",
        address or "(no address)",
        count,
    )
    return int(count)


def minutes_left(until: datetime, now: datetime | None = None) -> int:
    """Return the whole minutes, rounded up (at least 1), until ``until``."""
    seconds = (until - (now or timezone.now())).total_seconds()
    return max(1, math.ceil(seconds / 60))
