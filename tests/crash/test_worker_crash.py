"""A worker killed with SIGKILL in the middle of a send: every notification arrives, at most the one in flight twice.

A real ``xietong worker`` (queued tasks, the sweep every second) on the
prepared demo with two group robots sends to a real SMTP server (aiosmtpd)
and a real robot endpoint on 127.0.0.1. Both receivers are slow, so sends
take a while, and the SMTP server holds one message: it has taken the mail
(it keeps it, as a real server that answered would) and sits on its reply,
and the worker is killed right then. A new worker is started, as `xietong
run` does a second later (tests/test_run_supervision.py); once the dead
one's claim is older than the lease (``XIETONG_DELIVERY_LEASE_SECONDS``, a
few seconds here) its sweep puts the delivery back, counted in ``rearmed``,
and sends it again. What the receivers got is the judge: every delivery
exactly once, except a re-armed one, at most once more.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.crash.stack import ROBOTS, Database, wait_for, worker
from tests.notify.servers import Mail, MailHandler, Received, RobotServer, _FreePortController

SEND_SECONDS = 0.2  # every receiver takes this long to answer
HOLD_AT = 3  # the mail the worker dies sending
HOLD_SECONDS = 3.0
LEASE_SECONDS = 5  # well above the slowest send here (SEND_SECONDS), far below the default two minutes
QUIET_SECONDS = 2.5  # sweeps (one a second) with nothing left to send


@dataclass
class SlowInbox(MailHandler):
    """Takes each mail, then waits before answering; holds the HOLD_AT-th and says so."""

    held: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)  # the mail is kept from here on
        if len(self.mails) == HOLD_AT:
            self.held.set()
            await asyncio.sleep(HOLD_SECONDS)
        else:
            await asyncio.sleep(SEND_SECONDS)
        return answer


@pytest.fixture
def inbox() -> Iterator[tuple[SlowInbox, int]]:
    handler = SlowInbox()
    controller = _FreePortController(handler, hostname="127.0.0.1", port=0, ready_timeout=10)
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture
def robots() -> Iterator[RobotServer]:
    server = RobotServer()

    def slow(received: Received) -> None:
        time.sleep(SEND_SECONDS)  # after the request was recorded: the group has the message

    server.check = slow
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _deliveries(database: Database) -> list[tuple[int, str, str, int]]:
    return [
        (int(pk), str(target), str(state), int(rearmed))
        for pk, target, state, rearmed in database.rows(
            "SELECT id, target, state, rearmed FROM notify_delivery ORDER BY id"
        )
    ]


def _content(mail: Mail) -> tuple[str, str]:
    """What a reader sees of a mail: its subject and text (the unsubscribe link's signature is stamped)."""
    return mail.subject, re.sub(r"/notifications/unsubscribe/\S+", "", mail.part("text/plain"))


def test_a_worker_killed_mid_send_loses_nothing_and_repeats_only_the_send_in_flight(
    database: Database, inbox: tuple[SlowInbox, int], robots: RobotServer, tmp_path: Any
) -> None:
    mails, smtp_port = inbox
    for kind, path in ROBOTS.items():
        database.rows(
            "UPDATE notify_robot SET webhook_url = ? WHERE kind = ?", (robots.url(*path.split("?")), kind)
        )
    settings = {
        **database.env,
        "XIETONG_EMAIL_HOST": "127.0.0.1",
        "XIETONG_EMAIL_PORT": str(smtp_port),
        "XIETONG_EMAIL_TIMEOUT": "5",
        "XIETONG_ROBOT_ALLOWED_HOSTS": "127.0.0.1",
        "XIETONG_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    log = tmp_path / "worker.log"
    with worker(database, log, **settings) as first:
        wait_for(mails.held.is_set, 120, "the mail to hold", 0.02, lambda: log.read_text()[-3000:])
        os.kill(first.pid, signal.SIGKILL)  # the server has the mail; the worker never hears its answer
        assert first.wait() == -signal.SIGKILL
    held = mails.mails[HOLD_AT - 1]

    with worker(database, log, **settings):  # what `xietong run` does after a second

        def all_sent() -> bool:
            rows = _deliveries(database)
            return bool(rows) and all(state == "sent" for _pk, _target, state, _rearmed in rows)

        wait_for(
            all_sent,
            60,
            "every delivery sent",
            explain=lambda: f"{_deliveries(database)}\n{log.read_text()[-3000:]}",
        )
        time.sleep(QUIET_SECONDS)
        rows = _deliveries(database)
    log_text = log.read_text()

    assert all(state == "sent" for _pk, _target, state, _rearmed in rows), rows
    expected = Counter(target for _pk, target, _state, _rearmed in rows)
    rearmed = Counter({target: n for _pk, target, _state, n in rows if n})
    robot_targets = {
        path.split("?")[0]: f"robot:{pk}"
        for kind, path in ROBOTS.items()
        for (pk,) in database.rows("SELECT id FROM notify_robot WHERE kind = ?", (kind,))
    }
    received: list[tuple[str, Any]] = [
        (f"email:{address}", _content(mail)) for mail in mails.mails for address in mail.recipients
    ] + [(robot_targets[request.path], request.body) for request in robots.requests]
    got = Counter(target for target, _message in received)
    distinct = Counter(target for target, _message in set(received))

    # Every delivery arrived: as many different messages at each mailbox and group as were planned.
    assert distinct == expected, (distinct, expected)
    assert len(expected) >= 6 and any(t.startswith("robot:") for t in expected)
    # The mail in flight at the kill was taken by the server and sent again: twice, and counted.
    assert held.recipients and f"email:{held.recipients[0]}" in rearmed, (held.recipients, rearmed)
    assert Counter(received)[(f"email:{held.recipients[0]}", _content(held))] == 2
    # Nothing else twice: extra copies only where a delivery was re-armed, at most one per re-arming,
    # and only the sends in flight at the kill were re-armed (the worker has two senders: its
    # clock's catch-up and the queued tasks).
    for target in got:
        assert 0 <= got[target] - expected[target] <= rearmed[target], (target, got, expected, rearmed)
    assert 1 <= sum(rearmed.values()) <= 2, rearmed
    assert "may arrive twice" in log_text
