"""The lease of a claimed delivery, and the count of sends a crash may have doubled.

The end-to-end kill is in ``test_worker_crash``; here, in one process, what
it rests on: ``XIETONG_DELIVERY_LEASE_SECONDS`` sets the lease (0 keeps the
derived one, at least two minutes), a send in progress is left alone until
its lease is over, and each re-arming is counted on the delivery and kept
once it is sent (possibly received twice), while a send that never crashed
counts none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.notify.conftest import email_delivery, make_notification
from xietong.notify.delivery import LEASE_MINIMUM, deliver, lease
from xietong.notify.models import Delivery, DeliveryState
from xietong.notify.outbox import rearm_stuck

START = datetime(2024, 8, 12, 9, 0, tzinfo=timezone.get_default_timezone())


def test_the_lease_is_derived_from_the_timeouts_unless_set(settings: SettingsWrapper) -> None:
    settings.XIETONG_DELIVERY_LEASE_SECONDS = 0
    settings.EMAIL_TIMEOUT = 20
    assert lease() == max(LEASE_MINIMUM, timedelta(seconds=6 * 20))
    settings.XIETONG_DELIVERY_LEASE_SECONDS = 5
    assert lease() == timedelta(seconds=5)


@pytest.mark.django_db
def test_a_send_cut_short_is_put_back_after_the_lease_and_counted(settings: SettingsWrapper) -> None:
    settings.XIETONG_DELIVERY_LEASE_SECONDS = 30
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    crashed = email_delivery(make_notification(), "a@example.com")
    calm = email_delivery(make_notification(), "b@example.com")
    # What a worker killed during the send leaves: claimed ("sending") at START, never finished.
    Delivery.objects.filter(pk=calm.pk).update(next_attempt_at=START)
    Delivery.objects.filter(pk=crashed.pk).update(
        state=DeliveryState.SENDING, attempts=1, next_attempt_at=START
    )

    counted = REGISTRY.get_sample_value("xietong_deliveries_rearmed_total") or 0.0
    assert rearm_stuck(START + timedelta(seconds=29)) == 0  # within the lease: maybe still sending
    assert rearm_stuck(START + timedelta(seconds=31)) == 1
    assert REGISTRY.get_sample_value("xietong_deliveries_rearmed_total") == counted + 1  # for monitoring too
    later = START + timedelta(seconds=31)
    assert deliver(crashed.pk, now=later).state == deliver(calm.pk, now=later).state == DeliveryState.SENT
    crashed.refresh_from_db()
    calm.refresh_from_db()
    assert (crashed.rearmed, crashed.attempts) == (1, 2)  # possibly received twice, and it says so
    assert (calm.rearmed, calm.attempts) == (0, 1)
