"""Sending one delivery: claim it, send it, record the outcome with back-off on passing failures.

A delivery is claimed (state ``sending``) in its own short transaction with
the row locked (SKIP LOCKED on PostgreSQL), so two workers, or a queued
task and the worker's own catch-up, never send it twice. The network call
happens outside any transaction.

Delivery is at least once. The send is recorded the moment the server
took the message (the transport calls ``accepted``: a robot's answer, the
SMTP reply to DATA, before the session is closed), so only a worker that
dies between the server's acceptance and that one UPDATE sends twice. A
delivery whose worker died mid-send stays ``sending``; once its claim is
older than ``lease()`` the sweep puts it back (``outbox.rearm_stuck``) and
counts it in ``Delivery.rearmed``: a delivery sent with ``rearmed`` above
zero was possibly received twice (the one case at least once cannot rule out).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from xietong.lib import metrics, webhooks
from xietong.lib.webhooks import DeliveryError
from xietong.notify import limiter
from xietong.notify.messages import render
from xietong.notify.models import Delivery, DeliveryState

ERROR_LENGTH = 1000
ANSWER_LENGTH = 300
# How long a claim holds. It must outlast the slowest real send (an SMTP
# session is several steps of up to EMAIL_TIMEOUT each; a robot's POST a few
# of webhooks.TIMEOUT_SECONDS), or a slow send would be taken over and sent
# twice; beyond that, shorter is better: it is how late a crashed send is retried.
LEASE_STEPS = 6
LEASE_MINIMUM = timedelta(minutes=2)

logger = logging.getLogger("xietong.notify")


@dataclass(frozen=True)
class Outcome:
    state: DeliveryState | None  # None: nothing was done (not due, taken by another worker)
    retry_at: datetime | None = None


def lease() -> timedelta:
    """How long after its claim a delivery still ``sending`` is taken for the send of a dead worker.

    ``XIETONG_DELIVERY_LEASE_SECONDS`` sets it outright (an operator whose sends are fast, a test
    that kills a worker); by default it is derived from the timeouts.
    """
    if settings.XIETONG_DELIVERY_LEASE_SECONDS:
        return timedelta(seconds=settings.XIETONG_DELIVERY_LEASE_SECONDS)
    step = max(settings.EMAIL_TIMEOUT or 0, webhooks.TIMEOUT_SECONDS)
    return max(LEASE_MINIMUM, timedelta(seconds=LEASE_STEPS * step))


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: the base delay doubled per failed attempt (60 s, 2 min, 4 min …)."""
    return timedelta(seconds=settings.XIETONG_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def _rate_limited(delivery: Delivery, now: datetime) -> datetime | None:
    """When a robot's webhook address over one of its limits may be sent to again (delays, never drops).

    The limits are the address's, shared by every robot entry at it and every
    worker process (``limiter``): the send is reserved in the claim's transaction.
    """
    if delivery.robot is None:
        return None
    return limiter.reserve(delivery.robot.webhook_url, delivery.transport, now)


def due(now: datetime) -> QuerySet[Delivery]:
    """The deliveries due: pending, their time come (the worker sends them, /readyz counts them)."""
    return Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)


def _claim(pk: int, now: datetime) -> Delivery | Outcome:
    with transaction.atomic():
        delivery = (
            due(now)
            .select_for_update(skip_locked=True, of=("self",))
            .filter(pk=pk)
            .select_related("notification__recipient", "robot")
            .first()
        )
        if delivery is None:
            return Outcome(None)
        later = _rate_limited(delivery, now)
        if later is not None:
            delivery.next_attempt_at = later
            delivery.save(update_fields=["next_attempt_at"])
            return Outcome(DeliveryState.PENDING, later)
        delivery.state = DeliveryState.SENDING
        delivery.attempts += 1
        delivery.next_attempt_at = now  # when the claim was made: a stuck send is re-armed later
        delivery.save(update_fields=["state", "attempts", "next_attempt_at"])
        return delivery


def _block(delivery: Delivery, until: datetime) -> None:
    """Every delivery to the robot's address waits until ``until``."""
    if delivery.robot is not None:
        with transaction.atomic():
            limiter.block(delivery.robot.webhook_url, until)


def _finish(delivery: Delivery, error: DeliveryError | None, now: datetime, answer: str = "") -> Outcome:
    if error is None:
        delivery.state, delivery.sent_at, delivery.last_error = DeliveryState.SENT, now, ""
        delivery.answer = answer[:ANSWER_LENGTH]
        retry_at = None
    elif isinstance(error, limiter.Throttled) and now - delivery.created_at < limiter.THROTTLE_PATIENCE:
        # The robot is throttled (too fast, DingTalk's block): a wait, not a failed attempt.
        retry_at = now + error.wait
        _block(delivery, retry_at)
        delivery.attempts -= 1
        delivery.state, delivery.next_attempt_at = DeliveryState.PENDING, retry_at
        delivery.last_error = error.reason[:ERROR_LENGTH]
    elif error.retry and delivery.attempts < settings.XIETONG_DELIVERY_ATTEMPTS:
        retry_at = now + backoff(delivery.attempts)
        if isinstance(error, limiter.Throttled):
            retry_at = max(retry_at, now + error.wait)
            _block(delivery, retry_at)
        delivery.state, delivery.next_attempt_at = DeliveryState.PENDING, retry_at
        delivery.last_error = error.reason[:ERROR_LENGTH]
    else:
        delivery.state, delivery.last_error = DeliveryState.FAILED, error.reason[:ERROR_LENGTH]
        retry_at = None
    delivery.save(update_fields=["state", "sent_at", "last_error", "answer", "next_attempt_at", "attempts"])
    metrics.observe_delivery(delivery.transport, delivery.state)
    logger.info("delivery %s by %s: %s", delivery.pk, delivery.transport, delivery.state)
    return Outcome(DeliveryState(delivery.state), retry_at)


def deliver(pk: int, now: datetime | None = None) -> Outcome:
    """Try delivery ``pk`` once if it is due; return what became of it.

    ``now`` (default: the clock) is the moment of the whole attempt: the
    claim, the time it was sent and the back-off are all reckoned from it.
    """
    from xietong.notify.transports import TRANSPORTS

    at = now or timezone.now()
    claimed = _claim(pk, at)
    if isinstance(claimed, Outcome):
        return claimed
    taken: Delivery = claimed
    sent: list[Outcome] = []

    def accepted(answer: str) -> None:
        # The server has the message: record it now, whatever happens next (QUIT, a crash).
        if not sent:
            sent.append(_finish(taken, None, now or timezone.now(), answer))

    try:
        TRANSPORTS[claimed.transport](claimed, render(claimed.notification), accepted)
    except DeliveryError as error:
        if sent:
            logger.warning("delivery %s was accepted, then: %s", pk, error.reason)
            return sent[0]
        return _finish(claimed, error, now or timezone.now())
    except Exception as error:
        # A fault of ours (a template, a value) must not leave the delivery stuck in "sending":
        # it is recorded and tried again, and gives up after the usual attempts.
        logger.exception("delivery %s failed unexpectedly", pk)
        if sent:
            return sent[0]
        failure = DeliveryError(f"{type(error).__name__}: {error}", retry=True)
        return _finish(claimed, failure, now or timezone.now())
    accepted("")  # a backend with no reply to report (the console): sent when it returned
    return sent[0]


def due_deliveries(now: datetime, limit: int = 500) -> list[int]:
    """Pending deliveries whose time has come, oldest first."""
    return list(due(now).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


def resend(delivery: Delivery, now: datetime | None = None) -> None:
    """Put a failed delivery back in the queue for a fresh round of attempts."""
    Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=now or timezone.now()
    )
