"""Group robots' limits, against local robots that enforce them (tests/notify/limited_robots.py).

The limits are the vendors' and belong to a webhook address, whoever sends
to it: two collaborations posting to one group share them, and so do
workers in other processes (the count is kept in the database). A delivery
over a limit waits (its next attempt is set later); it never spends an
attempt, so a burst is delivered in full, a little later, and nothing is
sent twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

import pytest
import time_machine
from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.api.test_concurrency import _at_once, on_postgresql
from tests.notify.conftest import OVERDUE, make_notification, make_robot, robot_delivery
from tests.notify.limited_robots import LimitedRobot, dingtalk_robot, feishu_robot, wecom_robot
from xietong.collabs.models import Collaboration
from xietong.notify import limiter
from xietong.notify.delivery import deliver, due_deliveries
from xietong.notify.models import Delivery, DeliveryState, Robot, Transport
from xietong.notify.transports import dingtalk

__all__ = ["dingtalk_robot", "feishu_robot", "wecom_robot"]

pytestmark = pytest.mark.usefixtures("local_robots")

START = datetime(2024, 8, 12, 9, 0, tzinfo=timezone.get_default_timezone())


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def other_collab(db: None) -> Collaboration:
    return Collaboration.objects.create(slug="service", title="客户服务协同")


_numbers = iter(range(1, 1_000_000))


def _deliveries(robot: Robot, count: int) -> list[Delivery]:
    """``count`` reminders to the robot's group, each about its own task (so a duplicate shows)."""
    made = []
    for _ in range(count):
        params = {**OVERDUE, "task": f"任务{next(_numbers)}"}
        made.append(robot_delivery(make_notification(collab=robot.collaboration, params=params), robot))
    return made


def _drain(clock: time_machine.Coordinates, within: timedelta = timedelta(hours=2)) -> int:
    """Deliver what is due, move the clock to the next attempt, again, until nothing is pending.

    Returns how many passes it took. The robot's server sees the same clock.
    """
    end = timezone.now() + within
    for passes in range(1, 10_000):
        for pk in due_deliveries(timezone.now()):
            deliver(pk)
        later = Delivery.objects.filter(state=DeliveryState.PENDING).aggregate(at=Min("next_attempt_at"))[
            "at"
        ]
        if later is None:
            return passes
        assert later <= end, "still pending at the end"
        if later > timezone.now():
            clock.move_to(later)
    raise AssertionError("never drained")


def _all_sent_once(robot: LimitedRobot, deliveries: list[Delivery]) -> None:
    rows = list(Delivery.objects.filter(pk__in=[d.pk for d in deliveries]))
    states = Counter(row.state for row in rows)
    assert states == {DeliveryState.SENT: len(deliveries)}, [(r.state, r.last_error) for r in rows]
    assert {row.attempts for row in rows} == {1}  # waiting spent no attempt
    assert len(robot.accepted) == len(deliveries)
    texts = robot.texts()
    assert len(set(texts)) == len(texts), "a message was sent twice"


# ---------------------------------------------------------------- shared by every collaboration


@pytest.mark.django_db
def test_two_collaborations_sharing_one_dingtalk_group_keep_to_its_20_a_minute(
    dingtalk_robot: LimitedRobot,
    collab: Collaboration,
    other_collab: Collaboration,
    clock: time_machine.Coordinates,
) -> None:
    url = dingtalk_robot.url("/robot/send", "access_token=shared")
    first = make_robot(collab, Transport.DINGTALK, url)
    second = make_robot(other_collab, Transport.DINGTALK, url)
    deliveries = _deliveries(first, 15) + _deliveries(second, 15)

    _drain(clock)

    assert dingtalk_robot.violations == []
    _all_sent_once(dingtalk_robot, deliveries)
    sends = sorted(d.sent_at for d in Delivery.objects.filter(pk__in=[d.pk for d in deliveries]))
    assert sends[19] == START and sends[20] == START + timedelta(minutes=1)


@pytest.mark.django_db
def test_two_collaborations_sharing_one_wecom_group_keep_to_its_20_a_minute(
    wecom_robot: LimitedRobot,
    collab: Collaboration,
    other_collab: Collaboration,
    clock: time_machine.Coordinates,
) -> None:
    url = wecom_robot.url("/cgi-bin/webhook/send", "key=shared")
    # The same address as typed by two people: the host's case and the default port do not matter.
    other_url = url.replace("http://127.0.0.1", "HTTP://127.0.0.1")
    deliveries = _deliveries(make_robot(collab, Transport.WECOM, url), 12) + _deliveries(
        make_robot(other_collab, Transport.WECOM, other_url), 12
    )
    _drain(clock)
    assert wecom_robot.violations == []
    _all_sent_once(wecom_robot, deliveries)


@pytest.mark.django_db
def test_different_webhooks_have_budgets_of_their_own(
    dingtalk_robot: LimitedRobot, collab: Collaboration, clock: time_machine.Coordinates
) -> None:
    one = make_robot(collab, Transport.DINGTALK, dingtalk_robot.url("/robot/send", "access_token=one"))
    two = make_robot(collab, Transport.DINGTALK, dingtalk_robot.url("/robot/send", "access_token=two"))
    deliveries = _deliveries(one, 20) + _deliveries(two, 20)
    for pk in due_deliveries(timezone.now()):
        deliver(pk)
    _all_sent_once(dingtalk_robot, deliveries)  # all in the first minute


# ---------------------------------------------------------------- Feishu: 5 a second, 100 a minute


@pytest.mark.django_db
def test_a_burst_of_30_to_feishu_is_delivered_5_a_second(
    feishu_robot: LimitedRobot, collab: Collaboration, clock: time_machine.Coordinates
) -> None:
    robot = make_robot(collab, Transport.FEISHU, feishu_robot.url("/open-apis/bot/v2/hook/abc"))
    deliveries = _deliveries(robot, 30)

    _drain(clock)

    assert feishu_robot.violations == []
    _all_sent_once(feishu_robot, deliveries)
    last = max(d.sent_at for d in Delivery.objects.filter(pk__in=[d.pk for d in deliveries]))
    assert last - START < timedelta(seconds=10)


@pytest.mark.django_db
def test_feishu_keeps_to_100_a_minute(
    feishu_robot: LimitedRobot, collab: Collaboration, clock: time_machine.Coordinates
) -> None:
    robot = make_robot(collab, Transport.FEISHU, feishu_robot.url("/open-apis/bot/v2/hook/abc"))
    deliveries = _deliveries(robot, 105)
    _drain(clock)
    assert feishu_robot.violations == []
    _all_sent_once(feishu_robot, deliveries)
    late = Delivery.objects.filter(sent_at__gte=START + timedelta(minutes=1))
    assert late.count() == 5


@pytest.mark.django_db
def test_the_limits_are_settings(
    feishu_robot: LimitedRobot,
    collab: Collaboration,
    clock: time_machine.Coordinates,
    settings: SettingsWrapper,
) -> None:
    settings.XIETONG_FEISHU_PER_SECOND = 2
    robot = make_robot(collab, Transport.FEISHU, feishu_robot.url("/open-apis/bot/v2/hook/abc"))
    _deliveries(robot, 5)
    for pk in due_deliveries(timezone.now()):
        deliver(pk)
    assert len(feishu_robot.accepted) == 2


# ---------------------------------------------------------------- DingTalk's 10-minute block


@pytest.mark.django_db
def test_a_blocked_dingtalk_robot_is_tried_again_after_10_minutes_without_spending_an_attempt(
    dingtalk_robot: LimitedRobot,
    collab: Collaboration,
    other_collab: Collaboration,
    clock: time_machine.Coordinates,
) -> None:
    url = dingtalk_robot.url("/robot/send", "access_token=shared")
    dingtalk_robot.block("/robot/send?access_token=shared", 600)  # flooded by someone else
    [first] = _deliveries(make_robot(collab, Transport.DINGTALK, url), 1)
    [second] = _deliveries(make_robot(other_collab, Transport.DINGTALK, url), 1)

    outcome = deliver(first.pk)
    first.refresh_from_db()
    assert outcome.state == DeliveryState.PENDING
    assert (first.state, first.attempts) == (DeliveryState.PENDING, 0)
    assert first.next_attempt_at == START + timedelta(minutes=10)
    assert "302" in first.last_error
    # The block is the address's: the other collaboration's message waits without asking.
    assert deliver(second.pk).retry_at == START + timedelta(minutes=10)
    assert len(dingtalk_robot.requests) == 1

    dingtalk_robot.violations.clear()
    _drain(clock)
    assert dingtalk_robot.violations == []
    _all_sent_once(dingtalk_robot, [first, second])


@pytest.mark.django_db
def test_dingtalk_saying_too_fast_blocks_the_address_for_10_minutes(
    dingtalk_robot: LimitedRobot,
    collab: Collaboration,
    clock: time_machine.Coordinates,
    settings: SettingsWrapper,
) -> None:
    settings.XIETONG_DINGTALK_PER_MINUTE = 30  # set higher than DingTalk allows
    robot = make_robot(collab, Transport.DINGTALK, dingtalk_robot.url("/robot/send", "access_token=t"))
    deliveries = _deliveries(robot, 25)

    for pk in due_deliveries(timezone.now()):
        deliver(pk)
    assert len(dingtalk_robot.requests) == 21  # the 21st was refused; the rest did not try
    waiting = Delivery.objects.filter(state=DeliveryState.PENDING)
    assert waiting.count() == 5
    assert {d.next_attempt_at for d in waiting} == {START + timedelta(minutes=10)}
    assert {d.attempts for d in waiting} == {0}

    dingtalk_robot.violations.clear()
    _drain(clock)
    assert dingtalk_robot.violations == []
    _all_sent_once(dingtalk_robot, deliveries)


@pytest.mark.django_db
def test_a_block_that_never_ends_fails_in_the_end(
    dingtalk_robot: LimitedRobot, collab: Collaboration, clock: time_machine.Coordinates
) -> None:
    """A robot that answers 302 for more than a day (not a block: a moved or wrong address) gives up."""
    dingtalk_robot.check = lambda request: (302, "")
    [delivery] = _deliveries(make_robot(collab, Transport.DINGTALK, dingtalk_robot.url()), 1)
    clock.move_to(START + limiter.THROTTLE_PATIENCE)
    for _ in range(settings.XIETONG_DELIVERY_ATTEMPTS + 1):
        deliver(delivery.pk)
        delivery.refresh_from_db()
        if delivery.state == DeliveryState.FAILED:
            break
        clock.move_to(delivery.next_attempt_at)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == settings.XIETONG_DELIVERY_ATTEMPTS


# ---------------------------------------------------------------- DingTalk's 20,000 bytes are the body's


@pytest.mark.django_db
def test_a_maximal_dingtalk_message_fits_20000_bytes_of_body(
    dingtalk_robot: LimitedRobot, collab: Collaboration
) -> None:
    robot = make_robot(collab, Transport.DINGTALK, dingtalk_robot.url("/robot/send", "access_token=t"))
    # Quotes, backslashes and line breaks take two bytes each in JSON: the worst case for the body.
    huge = '很长的"任务"\\说明\n' * 2000
    delivery = robot_delivery(make_notification(collab=collab, params={**OVERDUE, "task": huge}), robot)

    assert deliver(delivery.pk).state == DeliveryState.SENT, Delivery.objects.get(pk=delivery.pk).last_error
    [request] = dingtalk_robot.requests
    assert 19000 < len(request.body) <= dingtalk.LIMIT_BYTES
    text = request.json()["markdown"]["text"]
    assert text.endswith(f"({settings.SITE_URL}/c/launch/table/)")
    assert dingtalk_robot.violations == []


def test_the_dingtalk_payload_is_measured_as_sent() -> None:
    from xietong.notify.messages import Message

    for body in ("a" * 30000, "中" * 9000, '"\\\n' * 9000, "\x01" * 9000):
        message = Message(
            subject="标题" * 50,
            body=body,
            url="https://x.example/c/1/",
            language="zh-hans",
            markdown_subject="标题" * 50,
            markdown_body=body,
        )
        encoded = json.dumps(dingtalk.payload(message), ensure_ascii=False).encode()
        assert len(encoded) <= dingtalk.LIMIT_BYTES


# ---------------------------------------------------------------- across workers


def test_one_address_whatever_its_spelling() -> None:
    key = limiter.address_key
    assert key("https://oapi.dingtalk.com/robot/send?access_token=x") == key(
        "HTTPS://OAPI.DingTalk.com:443/robot/send?access_token=x"
    )
    assert key("https://oapi.dingtalk.com/robot/send?access_token=x") != key(
        "https://oapi.dingtalk.com/robot/send?access_token=y"
    )


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_workers_sending_for_two_collaborations_at_once_keep_to_feishus_5_a_second(
    feishu_robot: LimitedRobot, collab: Collaboration, other_collab: Collaboration
) -> None:
    url = feishu_robot.url("/open-apis/bot/v2/hook/abc")
    deliveries = _deliveries(make_robot(collab, Transport.FEISHU, url), 6) + _deliveries(
        make_robot(other_collab, Transport.FEISHU, url), 6
    )
    now = timezone.now()
    outcomes = _at_once([partial(deliver, d.pk, now) for d in deliveries])
    states = Counter(str(getattr(o, "state", o)) for o in outcomes)
    assert states == {"sent": 5, "pending": 7}, outcomes
    assert feishu_robot.violations == []
    assert Delivery.objects.filter(attempts__gt=0, state=DeliveryState.PENDING).count() == 0
