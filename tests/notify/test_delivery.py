"""Delivery against a real local robot endpoint: back-off, permanent failures, rate limit, exactly once, tasks."""

from __future__ import annotations

import signal
from datetime import datetime, timedelta
from functools import partial

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.api.test_concurrency import _at_once, on_postgresql
from tests.notify.conftest import email_delivery, make_notification, make_robot, robot_delivery
from tests.notify.servers import RobotServer, SmtpServer, closed_port
from xietong.collabs.models import Collaboration
from xietong.notify.delivery import _claim, backoff, deliver, due_deliveries, lease, resend
from xietong.notify.models import Delivery, DeliveryState, Robot, Transport
from xietong.notify.outbox import sweep
from xietong.notify.tasks import deliver_task

# The robots here are the test servers on 127.0.0.1, allow-listed.
pytestmark = pytest.mark.usefixtures("local_robots")

SERVER_ERROR = (500, {"errmsg": "internal error"})
START = datetime(2024, 8, 12, 9, 0, tzinfo=timezone.get_default_timezone())


def _reload(delivery: Delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery


@pytest.fixture
def wecom(robot_server: RobotServer, collab: Collaboration) -> Robot:
    return make_robot(collab, Transport.WECOM, robot_server.url("/cgi-bin/webhook/send", "key=k"))


def _delivery(robot: Robot) -> Delivery:
    """A delivery due since before ``START`` (the tests' clock; the real one is later)."""
    delivery = robot_delivery(make_notification(collab=robot.collaboration), robot)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=START - timedelta(minutes=1))
    return _reload(delivery)


# ---------------------------------------------------------------- back-off


@pytest.mark.django_db
def test_two_server_errors_then_success_backs_off_doubling_and_sends_once(
    robot_server: RobotServer, wecom: Robot, settings: SettingsWrapper
) -> None:
    settings.XIETONG_RETRY_SECONDS = 60
    robot_server.answer(SERVER_ERROR, SERVER_ERROR)
    delivery = _delivery(wecom)

    with time_machine.travel(START, tick=False) as clock:
        first = deliver(delivery.pk)
        delivery = _reload(delivery)
        assert (first.state, delivery.state, delivery.attempts) == (DeliveryState.PENDING, "pending", 1)
        assert delivery.next_attempt_at == first.retry_at == START + timedelta(seconds=60)
        assert "500" in delivery.last_error

        clock.shift(timedelta(seconds=59))  # before the back-off: nothing is sent
        assert deliver(delivery.pk).state is None
        assert due_deliveries(timezone.now()) == []
        assert len(robot_server.requests) == 1

        clock.shift(timedelta(seconds=1))
        assert due_deliveries(timezone.now()) == [delivery.pk]
        second = deliver(delivery.pk)
        delivery = _reload(delivery)
        assert (second.state, delivery.attempts) == (DeliveryState.PENDING, 2)
        assert delivery.next_attempt_at == START + timedelta(seconds=60 + 120)  # doubled

        clock.shift(timedelta(seconds=119))
        assert deliver(delivery.pk).state is None
        clock.shift(timedelta(seconds=1))
        third = deliver(delivery.pk)

    delivery = _reload(delivery)
    assert (third.state, third.retry_at) == (DeliveryState.SENT, None)
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    assert delivery.sent_at == START + timedelta(seconds=180)
    assert len(robot_server.requests) == 3
    assert deliver(delivery.pk, now=START + timedelta(days=1)).state is None  # delivered once
    assert len(robot_server.requests) == 3


@pytest.mark.django_db
def test_explicit_now_reckons_the_back_off_from_that_moment(robot_server: RobotServer, wecom: Robot) -> None:
    robot_server.answer(SERVER_ERROR)
    delivery = _delivery(wecom)
    at = timezone.now() + timedelta(hours=3)
    outcome = deliver(delivery.pk, now=at)
    assert outcome.retry_at == _reload(delivery).next_attempt_at == at + backoff(1)


def test_back_off_doubles_per_attempt(settings: SettingsWrapper) -> None:
    settings.XIETONG_RETRY_SECONDS = 30
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [400, 404])
def test_a_client_error_fails_at_once(robot_server: RobotServer, wecom: Robot, status: int) -> None:
    robot_server.answer((status, {"errmsg": "no such robot"}))
    delivery = _delivery(wecom)
    outcome = deliver(delivery.pk)
    delivery = _reload(delivery)
    assert (outcome.state, outcome.retry_at) == (DeliveryState.FAILED, None)
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    assert f"HTTP {status}" in delivery.last_error


@pytest.mark.django_db
def test_too_many_requests_is_retried(robot_server: RobotServer, wecom: Robot) -> None:
    robot_server.answer((429, {"errmsg": "slow down"}))
    assert deliver(_delivery(wecom).pk).state == DeliveryState.PENDING


@pytest.mark.django_db
def test_nothing_listening_is_retried_with_the_network_error(collab: Collaboration) -> None:
    robot = make_robot(collab, Transport.WECOM, f"http://127.0.0.1:{closed_port()}/send")
    delivery = _delivery(robot)
    outcome = deliver(delivery.pk)
    delivery = _reload(delivery)
    assert outcome.state == DeliveryState.PENDING and outcome.retry_at is not None
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "network error" in delivery.last_error


@pytest.mark.django_db
def test_attempts_exhausted_fail_and_resend_starts_a_fresh_round(
    robot_server: RobotServer, wecom: Robot, settings: SettingsWrapper
) -> None:
    settings.XIETONG_DELIVERY_ATTEMPTS = 3
    robot_server.default = SERVER_ERROR
    delivery = _delivery(wecom)
    now = timezone.now()
    states = []
    for _ in range(3):
        outcome = deliver(delivery.pk, now=now)
        states.append(outcome.state)
        now = _reload(delivery).next_attempt_at if outcome.retry_at else now
    assert states == ["pending", "pending", "failed"]
    delivery = _reload(delivery)
    assert (delivery.state, delivery.attempts) == ("failed", 3)
    assert "HTTP 500" in delivery.last_error
    assert len(robot_server.requests) == 3
    assert deliver(delivery.pk, now=now + timedelta(days=1)).state is None

    robot_server.default = (200, {"errcode": 0, "errmsg": "ok"})
    resend(delivery)
    delivery = _reload(delivery)
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert deliver(delivery.pk).state == DeliveryState.SENT
    assert len(robot_server.requests) == 4


@pytest.mark.django_db
def test_resend_leaves_a_sent_delivery_alone(robot_server: RobotServer, wecom: Robot) -> None:
    delivery = _delivery(wecom)
    deliver(delivery.pk)
    resend(_reload(delivery))
    assert _reload(delivery).state == DeliveryState.SENT


@pytest.mark.django_db
def test_an_unexpected_fault_is_recorded_and_retried_not_left_sending(
    robot_server: RobotServer, wecom: Robot
) -> None:
    delivery = _delivery(wecom)
    delivery.notification.kind = "no_such_kind"  # a reminder this release does not know
    delivery.notification.save()
    outcome = deliver(delivery.pk)
    delivery = _reload(delivery)
    assert outcome.state == DeliveryState.PENDING
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "KeyError" in delivery.last_error
    assert robot_server.requests == []


# ---------------------------------------------------------------- rate limit


@pytest.mark.django_db
def test_a_robot_over_its_minute_budget_waits_and_then_sends(
    robot_server: RobotServer, wecom: Robot, settings: SettingsWrapper
) -> None:
    settings.XIETONG_ROBOT_PER_MINUTE = 3
    deliveries = [_delivery(wecom) for _ in range(4)]
    for n, delivery in enumerate(deliveries[:3]):
        assert deliver(delivery.pk, now=START + timedelta(seconds=10 * n)).state == DeliveryState.SENT

    fourth = deliveries[3]
    outcome = deliver(fourth.pk, now=START + timedelta(seconds=30))
    fourth = _reload(fourth)
    assert outcome == type(outcome)(DeliveryState.PENDING, START + timedelta(seconds=60))
    assert (fourth.state, fourth.attempts, fourth.last_error) == ("pending", 0, "")
    assert fourth.next_attempt_at == START + timedelta(seconds=60)  # the oldest send + 1 minute
    assert len(robot_server.requests) == 3

    assert deliver(fourth.pk, now=START + timedelta(seconds=59)).state is None
    assert deliver(fourth.pk, now=START + timedelta(seconds=60)).state == DeliveryState.SENT
    assert _reload(fourth).attempts == 1
    assert len(robot_server.requests) == 4


@pytest.mark.django_db
def test_the_budget_is_per_robot(
    robot_server: RobotServer, wecom: Robot, collab: Collaboration, settings: SettingsWrapper
) -> None:
    settings.XIETONG_ROBOT_PER_MINUTE = 1
    other = make_robot(collab, Transport.WECOM, robot_server.url("/other"))
    assert deliver(_delivery(wecom).pk, now=START).state == DeliveryState.SENT
    assert deliver(_delivery(other).pk, now=START).state == DeliveryState.SENT
    assert deliver(_delivery(wecom).pk, now=START).state == DeliveryState.PENDING


@pytest.mark.django_db
def test_a_send_in_flight_counts_against_the_budget(
    robot_server: RobotServer, wecom: Robot, settings: SettingsWrapper
) -> None:
    settings.XIETONG_ROBOT_PER_MINUTE = 2
    assert deliver(_delivery(wecom).pk, now=START).state == DeliveryState.SENT
    in_flight = _delivery(wecom)  # claimed by another worker five seconds ago, still sending
    assert isinstance(_claim(in_flight.pk, START + timedelta(seconds=5)), Delivery)
    waiting = _delivery(wecom)
    assert deliver(waiting.pk, now=START + timedelta(seconds=10)) == type(deliver(waiting.pk, now=START))(
        DeliveryState.PENDING, START + timedelta(seconds=60)
    )
    assert len(robot_server.requests) == 1


# ---------------------------------------------------------------- exactly once


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_row_at_once_send_it_once(
    robot_server: RobotServer, wecom: Robot
) -> None:
    for round_ in range(5):
        pk = _delivery(wecom).pk
        outcomes = _at_once([partial(deliver, pk), partial(deliver, pk)])
        states = sorted(str(getattr(o, "state", o)) for o in outcomes)
        assert states == ["None", "sent"], outcomes
        assert len(robot_server.requests) == round_ + 1
        assert Delivery.objects.get(pk=pk).attempts == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_workers_sending_to_one_robot_at_once_keep_to_its_budget(
    robot_server: RobotServer, wecom: Robot, settings: SettingsWrapper
) -> None:
    settings.XIETONG_ROBOT_PER_MINUTE = 2
    deliveries = [_delivery(wecom) for _ in range(6)]
    outcomes = _at_once([partial(deliver, d.pk) for d in deliveries])
    states = sorted(str(getattr(o, "state", o)) for o in outcomes)
    assert states == ["pending"] * 4 + ["sent"] * 2, outcomes
    assert len(robot_server.requests) == 2


# ---------------------------------------------------------------- background tasks


def _run_worker() -> None:
    """``xietong worker --batch``: run the due tasks, then return (keeping pytest's signal handlers)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("worker", batch=True, verbosity=0)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


@pytest.mark.django_db(transaction=True)
def test_a_queued_task_is_run_by_the_worker(robot_server: RobotServer, wecom: Robot) -> None:
    delivery = _delivery(wecom)
    result = deliver_task.enqueue(delivery.pk)

    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == "READY" and row.args_kwargs == {"args": [delivery.pk], "kwargs": {}}
    assert row.task_path == "xietong.notify.tasks.deliver_task"

    _run_worker()

    row.refresh_from_db()
    assert row.status == "SUCCESSFUL" and row.return_value == "sent"
    assert _reload(delivery).state == DeliveryState.SENT
    assert len(robot_server.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_passing_failure_queues_the_retry_for_after_the_back_off(
    robot_server: RobotServer, wecom: Robot, settings: SettingsWrapper
) -> None:
    settings.XIETONG_RETRY_SECONDS = 60
    robot_server.answer(SERVER_ERROR)
    delivery = _delivery(wecom)
    with time_machine.travel(START, tick=False) as clock:
        first = deliver_task.enqueue(delivery.pk)
        _run_worker()

        delivery = _reload(delivery)
        assert (delivery.state, delivery.attempts) == ("pending", 1)
        assert delivery.next_attempt_at == START + timedelta(seconds=60)
        [retry] = DBTaskResult.objects.exclude(id=first.id)
        assert retry.status == "READY" and retry.run_after == delivery.next_attempt_at
        assert retry.args_kwargs["args"] == [delivery.pk]
        assert DBTaskResult.objects.get(id=first.id).return_value == "pending"

        _run_worker()  # not yet: the worker leaves the retry for later
        assert DBTaskResult.objects.get(id=retry.id).status == "READY"
        assert len(robot_server.requests) == 1

        clock.shift(timedelta(seconds=60))
        _run_worker()

    assert DBTaskResult.objects.get(id=retry.id).status == "SUCCESSFUL"
    assert _reload(delivery).state == DeliveryState.SENT
    assert len(robot_server.requests) == 2
    assert DBTaskResult.objects.count() == 2  # no further task queued


@pytest.mark.django_db(transaction=True)
def test_a_rate_limited_task_is_queued_for_when_the_robot_has_room(
    robot_server: RobotServer, wecom: Robot, settings: SettingsWrapper
) -> None:
    settings.XIETONG_ROBOT_PER_MINUTE = 1
    first, second = _delivery(wecom), _delivery(wecom)
    with time_machine.travel(START, tick=False):
        deliver_task.enqueue(first.pk)
        deliver_task.enqueue(second.pk)
        _run_worker()
    assert _reload(first).state == DeliveryState.SENT
    assert _reload(second).state == DeliveryState.PENDING
    [later] = DBTaskResult.objects.filter(status="READY")
    assert later.run_after == START + timedelta(minutes=1) == _reload(second).next_attempt_at
    assert _reload(second).attempts == 0


# ---------------------------------------------------------------- a crash mid-send (at least once)


@pytest.mark.django_db
def test_a_send_whose_worker_died_is_tried_again_within_minutes(
    robot_server: RobotServer, wecom: Robot
) -> None:
    delivery = _delivery(wecom)
    # What a worker killed during the network call leaves: claimed ("sending") at START, never finished.
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.SENDING, attempts=1, next_attempt_at=START
    )
    assert lease() <= timedelta(minutes=3)
    assert sweep(START + timedelta(minutes=1)).rearmed == 0  # a send in progress is left alone
    assert _reload(delivery).state == DeliveryState.SENDING
    assert sweep(START + timedelta(minutes=3)).rearmed == 1
    assert deliver(delivery.pk, now=START + timedelta(minutes=3)).state == DeliveryState.SENT
    assert len(robot_server.requests) == 1


@pytest.mark.django_db
def test_a_robots_answer_is_recorded_with_the_send(robot_server: RobotServer, wecom: Robot) -> None:
    delivery = _delivery(wecom)
    assert deliver(delivery.pk).state == DeliveryState.SENT
    assert _reload(delivery).answer == "errcode 0: ok"


@pytest.mark.django_db
def test_a_mail_the_server_took_is_recorded_sent_though_quit_hangs(
    smtp: SmtpServer, settings: SettingsWrapper, collab: Collaboration
) -> None:
    settings.EMAIL_TIMEOUT = 1
    smtp.handler.stall_quit = 3  # the session's end never comes in time: as if the worker died there
    delivery = email_delivery(make_notification(collab=collab), "liaison@example.com")
    outcome = deliver(delivery.pk)
    delivery = _reload(delivery)
    assert (outcome.state, delivery.state) == (DeliveryState.SENT, "sent")
    assert delivery.answer.startswith("SMTP 250 ") and delivery.last_error == ""
    assert len(smtp.mails) == 1
    assert due_deliveries(timezone.now() + timedelta(days=1)) == []  # never sent a second time
