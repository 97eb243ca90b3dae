"""The sweep writes what is due into the outbox exactly once and plans each delivery once.

Against the whole demo at the guide's dates: run again, run late, run by
two threads or two processes at once (PostgreSQL), with preferences and
group robots; and its number of queries does not grow with the data.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections import Counter
from datetime import date, datetime, time, timedelta
from io import StringIO
from pathlib import Path
from time import monotonic, sleep
from zoneinfo import ZoneInfo

import psycopg
import pytest
import time_machine
from django.conf import settings
from django.core.mail import EmailMessage
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from tests.api.test_concurrency import _at_once, on_postgresql
from tests.conftest import AS_OF, KICKOFF
from tests.helpers import TZ, at
from xietong.charter.demo import load_demo
from xietong.collabs.models import Collaboration, SubGoal, Task, TaskStatus
from xietong.meetings.actions.plan import RuleFields, do_save_communication_rule
from xietong.meetings.models import Channel, CommunicationRule, Meeting, MeetingKind
from xietong.notify import reminders, tasks
from xietong.notify.delivery import due_deliveries
from xietong.notify.management.commands import worker
from xietong.notify.models import Delivery, DeliveryState, Kind, Notification, Preference, Robot, Transport
from xietong.notify.outbox import SweepResult, after_quiet_hours, plan, sweep
from xietong.orgs.models import Person
from xietong.tracking.actions.sla import do_open_sla_request

ROOT = Path(__file__).resolve().parents[2]
# Monday 2024-08-12 08:00, two hours before the weekly meeting of the guide's demo.
NOW = datetime(2024, 8, 12, 8, tzinfo=TZ)


def personal_keys(now: datetime) -> set[str]:
    """The keys of the reminders due to people at ``now`` (group ones need a robot to be written)."""
    return {d.key for d in reminders.due_at(now) if d.recipient_id is not None}


def keys() -> set[str]:
    return set(Notification.objects.values_list("key", flat=True))


def person(username: str) -> Person:
    return Person.objects.get(username=username)


def kinds_of(username: str) -> set[str]:
    return set(Notification.objects.filter(recipient__username=username).values_list("kind", flat=True))


def mails_to(username: str) -> list[Delivery]:
    return list(Delivery.objects.filter(notification__recipient__username=username))


def assert_planned_once() -> None:
    """Every notification is planned; each person's has one mail, each group one has one per robot."""
    assert not Notification.objects.filter(planned=False).exists()
    targets = Counter(Delivery.objects.values_list("notification_id", "target"))
    assert all(count == 1 for count in targets.values())
    for notification in Notification.objects.select_related("recipient"):
        deliveries = list(notification.deliveries.all())
        if notification.recipient is not None:
            assert [d.target for d in deliveries] == [f"email:{notification.recipient.email}"]
        else:
            assert deliveries and all(d.robot_id is not None for d in deliveries)


# --- the demo, swept again and again


@pytest.mark.django_db
def test_the_demo_is_swept_once_and_a_second_sweep_writes_nothing(demo: Collaboration) -> None:
    first = sweep(NOW)
    expected = personal_keys(NOW)
    assert expected and keys() == expected
    assert first.written == len(expected) == Notification.objects.count()
    assert first.due > first.written  # the group's share waits for a robot
    assert first.deliveries == Delivery.objects.count() == len(expected)  # every demo person has a mailbox
    for notification in Notification.objects.all():
        _occasion, recipient = notification.key.rsplit("|", 1)
        assert recipient == str(notification.recipient_id)
        assert notification.created_at == NOW and notification.collaboration_id == demo.pk
    assert_planned_once()
    deliveries = set(Delivery.objects.values_list("pk", flat=True))

    for later in (NOW, NOW + timedelta(seconds=1), NOW + timedelta(minutes=1)):
        again = sweep(later)
        assert (again.due, again.written, again.deliveries) == (first.due, 0, 0)
    assert keys() == expected
    assert set(Delivery.objects.values_list("pk", flat=True)) == deliveries
    with transaction.atomic():
        assert plan(NOW + timedelta(minutes=2)).count == 0  # nothing left to plan


@pytest.mark.django_db
def test_after_a_long_stop_what_fell_due_meanwhile_is_written_once_as_its_successor(
    demo: Collaboration,
) -> None:
    weekly = Meeting.objects.get(
        collaboration=demo, kind=MeetingKind.RECURRING, scheduled_at=at(2024, 8, 12, 10)
    )
    blocked = Task.objects.get(collaboration=demo, status=TaskStatus.BLOCKED)  # since Sunday 08-11 09:00
    sweep(NOW)  # 08:00: the weekly meeting has not begun; the rows due 08-19 are not due soon yet
    before = keys()
    assert not Notification.objects.filter(kind__in=[Kind.MINUTES_DUE, Kind.TASK_DUE_SOON, Kind.ESCALATION])

    back = at(2024, 8, 20, 12)  # the sweep was stopped for eight days
    result = sweep(back)
    written = keys() - before
    assert written == personal_keys(back) - before and result.written == len(written)
    assert result.deliveries == len(written)
    # the minutes of Monday's meeting: overdue, never "due" any more
    minutes = Notification.objects.filter(key__contains=f":m{weekly.pk}:")
    assert {n.kind for n in minutes} == {Kind.MINUTES_OVERDUE} and minutes.count() == 1
    # the rows due on 08-19: overdue, their "due soon" has passed unsent
    for task in Task.objects.filter(collaboration=demo, deadline=date(2024, 8, 19)):
        assert [
            n.kind
            for n in Notification.objects.filter(key__contains=f":t{task.pk}:", kind__startswith="task")
        ] == [Kind.TASK_OVERDUE]
    # blocked for 7 working days: level 2 at once (the owner, 技术部's and nobody else's head), no level 1
    escalation = Notification.objects.filter(kind=Kind.ESCALATION, key__contains=f":t{blocked.pk}:")
    assert {n.key.split("|")[0][-2:] for n in escalation} == {"L2"}
    assert {n.recipient.username for n in escalation if n.recipient} == {"王经理", "赵总监"}
    # the daily sub-goal's occurrences, each once (08-17/18 are a weekend)
    missed = Notification.objects.filter(
        kind=Kind.OCCURRENCE_MISSED, params__subgoal__startswith="售后部每日"
    )
    days = Counter(n.key.split(":")[2][:8] for n in missed)
    assert set(days.values()) == {1}
    assert {"20240813", "20240814", "20240815", "20240816", "20240819", "20240820"} <= set(days)
    assert not {"20240817", "20240818"} & set(days)
    assert_planned_once()
    assert sweep(back).written == 0 and sweep(back + timedelta(minutes=5)).written == 0


# --- preferences


NIGHT = Preference(quiet_from=time(22), quiet_until=time(8))


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (at(2024, 8, 11, 23), at(2024, 8, 12, 8)),  # before midnight: the next morning
        (at(2024, 8, 12, 2), at(2024, 8, 12, 8)),  # after midnight: the same morning
        (at(2024, 8, 11, 22), at(2024, 8, 12, 8)),
        (at(2024, 8, 12, 7, 59), at(2024, 8, 12, 8)),
        (at(2024, 8, 12, 8), at(2024, 8, 12, 8)),  # the quiet hours are over
        (at(2024, 8, 12, 12), at(2024, 8, 12, 12)),
        (at(2024, 8, 11, 21, 59), at(2024, 8, 11, 21, 59)),
        # the same moment read in UTC: 15:00Z is 23:00 in Shanghai
        (datetime(2024, 8, 11, 15, tzinfo=ZoneInfo("UTC")), at(2024, 8, 12, 8)),
    ],
)
def test_quiet_hours_over_midnight(now: datetime, until: datetime) -> None:
    assert after_quiet_hours(now, NIGHT) == until


def test_quiet_hours_within_a_day_and_none() -> None:
    lunch = Preference(quiet_from=time(12), quiet_until=time(14))
    assert after_quiet_hours(at(2024, 8, 12, 12, 30), lunch) == at(2024, 8, 12, 14)
    assert after_quiet_hours(at(2024, 8, 12, 14), lunch) == at(2024, 8, 12, 14)
    assert after_quiet_hours(at(2024, 8, 12, 11), lunch) == at(2024, 8, 12, 11)
    assert after_quiet_hours(at(2024, 8, 12, 23), Preference()) == at(2024, 8, 12, 23)
    assert after_quiet_hours(at(2024, 8, 12, 23), None) == at(2024, 8, 12, 23)


@pytest.mark.django_db
def test_a_muted_kind_is_not_written_for_that_person_only(demo: Collaboration) -> None:
    # at 08:00 李工 (技术部) owes the weekly update and has an overdue row
    Preference.objects.create(person=person("李工"), muted_kinds=[Kind.TASK_OVERDUE])
    sweep(NOW)
    assert kinds_of("李工") == {Kind.WEEKLY_UPDATE_DUE}
    li = f"|{person('李工').pk}"
    muted = {k for k in personal_keys(NOW) if k.endswith(li) and k.startswith(Kind.TASK_OVERDUE)}
    assert len(muted) == 1 and keys() == personal_keys(NOW) - muted
    assert sweep(NOW).written == 0


@pytest.mark.django_db
def test_without_mail_the_reminder_stays_in_the_inbox(demo: Collaboration) -> None:
    Preference.objects.create(person=person("李工"), email=False)  # mail turned off
    Person.objects.filter(username="赵总监").update(email="")  # no mailbox (a head: level-2 escalations)
    Person.objects.filter(username="周总监").update(is_active=False)  # left the company
    sweep(NOW)
    assert kinds_of("李工") == {Kind.WEEKLY_UPDATE_DUE, Kind.TASK_OVERDUE}
    assert mails_to("李工") == []
    assert mails_to("周总监") == [] and kinds_of("周总监") == {Kind.CONFIRMATION_PENDING}
    assert len(mails_to("刘主管")) == Notification.objects.filter(recipient__username="刘主管").count() > 0
    assert (
        Delivery.objects.count()
        == Notification.objects.exclude(recipient__username__in=["李工", "周总监", "赵总监"]).count()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "morning"),
    [(at(2024, 8, 11, 23), at(2024, 8, 12, 8)), (at(2024, 8, 12, 2), at(2024, 8, 12, 8))],
)
def test_mail_waits_for_the_end_of_the_quiet_hours(
    demo: Collaboration, now: datetime, morning: datetime
) -> None:
    Preference.objects.create(person=person("李工"), quiet_from=time(22), quiet_until=time(8))
    sweep(now)
    quiet = mails_to("李工")
    assert {d.notification.kind for d in quiet} == {Kind.WEEKLY_UPDATE_DUE, Kind.TASK_OVERDUE}
    assert {d.next_attempt_at for d in quiet} == {morning}
    assert {d.next_attempt_at for d in mails_to("刘主管")} == {now}  # no quiet hours: at once
    assert not set(due_deliveries(now)) & {d.pk for d in quiet}
    assert {d.pk for d in quiet} <= set(due_deliveries(morning))


# --- group robots


def robot(collab: Collaboration, kind: str = Transport.WECOM, **extra: object) -> Robot:
    return Robot.objects.create(
        collaboration=collab,
        kind=kind,
        name=f"{kind} 群",
        webhook_url=f"https://{kind}.example.com/hook",
        **extra,
    )


def group_dues(now: datetime, collab: Collaboration) -> dict[str, str]:
    """The occasions of the group reminders due at ``now`` (outside the plan's inbox rows), by kind."""
    return {
        d.occasion: d.kind
        for d in reminders.due_at(now)
        if d.recipient_id is None and d.collaboration_id == collab.pk and d.binding in ("", "wecom")
    }


@pytest.mark.django_db
def test_a_robot_gets_one_message_per_occasion(demo: Collaboration) -> None:
    wecom = robot(demo)
    # a request to 技术部 breached by Monday morning: its liaison and its head are reminded, the group once
    sla = SubGoal.objects.get(collaboration=demo, description__startswith="技术部24小时内")
    request = do_open_sla_request(sla, None, "工单 #2048 的技术结论", at(2024, 8, 9, 17))
    result = sweep(NOW)
    group = Notification.objects.filter(recipient__isnull=True)
    expected = group_dues(NOW, demo)
    breached = Notification.objects.filter(key__startswith=f"sla_breached:q{request.pk}|")
    assert sorted(n.recipient.username if n.recipient else "group" for n in breached) == [
        "group",
        "李工",
        "赵总监",
    ]
    assert expected and sorted(n.key for n in group) == sorted(f"{o}|group" for o in expected)
    assert result.written == len(personal_keys(NOW)) + len(expected)
    for notification in group:
        (delivery,) = notification.deliveries.all()
        assert (delivery.transport, delivery.target, delivery.robot_id) == (
            "wecom",
            f"robot:{wecom.pk}",
            wecom.pk,
        )
    # the weekly-update row of the demo's plan is bound to the inbox: no group message for it
    assert not group.filter(kind=Kind.WEEKLY_UPDATE_DUE).exists()
    assert_planned_once()
    assert sweep(NOW).written == 0 and Delivery.objects.filter(robot=wecom).count() == len(expected)


@pytest.mark.django_db
def test_robots_post_only_their_kinds_and_inactive_ones_nothing(demo: Collaboration) -> None:
    only_overdue = robot(demo, kinds=[Kind.TASK_OVERDUE])
    robot(demo, Transport.FEISHU, active=False)
    sweep(NOW)
    group = Notification.objects.filter(recipient__isnull=True)
    assert {n.kind for n in group} == {Kind.TASK_OVERDUE}
    assert set(Delivery.objects.filter(robot__isnull=False).values_list("robot_id", flat=True)) == {
        only_overdue.pk
    }


@pytest.mark.django_db
def test_an_inactive_robot_gets_nothing(demo: Collaboration) -> None:
    robot(demo, active=False)
    sweep(NOW)
    assert not Notification.objects.filter(recipient__isnull=True).exists()
    assert not Delivery.objects.filter(robot__isnull=False).exists()


@pytest.mark.django_db
def test_the_plan_binding_sends_the_weekly_reminder_to_its_robot_only(demo: Collaboration) -> None:
    rule = CommunicationRule.objects.get(collaboration=demo, channel=Channel.WEEKLY_MEETING)
    do_save_communication_rule(
        demo,
        RuleFields(
            scenario=rule.scenario,
            channel=rule.channel,
            frequency=rule.frequency,
            rrule=rule.rrule,
            outputs=tuple(rule.outputs),
            owner=rule.owner,
            admin=rule.admin,
            binding="dingtalk",
        ),
        rule=rule,
    )
    wecom, dingtalk = robot(demo), robot(demo, Transport.DINGTALK)
    sweep(at(2024, 8, 11, 12))  # the day before the weekly meeting: 技术部 has not updated
    (weekly,) = Notification.objects.filter(recipient__isnull=True, kind=Kind.WEEKLY_UPDATE_DUE)
    assert weekly.binding == "dingtalk" and weekly.params["department"] == "技术部"
    assert [d.robot_id for d in weekly.deliveries.all()] == [dingtalk.pk]
    # reminders no row of the plan governs go to every robot
    (overdue, *_rest) = Notification.objects.filter(recipient__isnull=True, kind=Kind.TASK_OVERDUE)
    assert {d.robot_id for d in overdue.deliveries.all()} == {wecom.pk, dingtalk.pk}


# --- exactly once under concurrency (PostgreSQL)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_write_each_reminder_once(
    demo: Collaboration, mailoutbox: list[EmailMessage]
) -> None:
    robot(demo)
    total = 0
    for now in (NOW, at(2024, 8, 13, 12), at(2024, 8, 16, 12)):
        results = _at_once([lambda now=now: sweep(now), lambda now=now: sweep(now)])  # type: ignore[misc]
        assert all(isinstance(r, SweepResult) for r in results), results
        fresh = Notification.objects.count() - total
        total += fresh
        assert fresh > 0 and sum(r.written for r in results) == fresh
        assert (
            sum(r.deliveries for r in results)
            == Delivery.objects.filter(notification__created_at=now).count()
        )
    assert keys() >= personal_keys(at(2024, 8, 16, 12))
    assert_planned_once()
    # the sweeps queued batch tasks covering what they planned (not a task per delivery) …
    queued = list(DBTaskResult.objects.values_list("task_path", "args_kwargs"))
    assert {path for path, _args in queued} == {"xietong.notify.tasks.deliver_due"}
    assert sum(args["args"][0] for _path, args in queued) >= Delivery.objects.count()
    assert len(queued) <= Delivery.objects.count() // tasks.BATCH + 2 * 3 * 2  # per sweep and moment
    # … and the batches, run side by side, send each mail once (the robots' hooks are not served here)
    Delivery.objects.filter(robot__isnull=False).update(state=DeliveryState.SENT)
    with time_machine.travel(at(2024, 8, 16, 12), tick=False):
        _at_once([lambda: tasks.deliver_due.call(tasks.BATCH) for _ in range(2)])
    mails = Delivery.objects.filter(transport=Transport.EMAIL)
    assert set(mails.values_list("state", "attempts")) == {(DeliveryState.SENT, 1)}
    assert sorted(to for mail in mailoutbox for to in mail.to) == sorted(d.address for d in mails)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_sweep_processes_at_once_write_each_reminder_once(demo: Collaboration, tmp_path: Path) -> None:
    """Two ``xietong sweep`` processes race on the same reminders.

    So that they really write at the same moment (not one after the other's
    start-up), the outbox table is held locked until both wait on it.
    """
    robot(demo)
    database = settings.DATABASES["default"]
    url = (
        f"postgresql://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-only-secret-key-for-the-postgresql-suite-0123456789",
        "XIETONG_DATA": str(tmp_path),
    }
    command = [str(ROOT / ".venv" / "bin" / "xietong"), "sweep", "--now", NOW.isoformat()]
    table = Notification._meta.db_table
    with psycopg.connect(url) as gate:
        gate.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        runs = [
            subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        deadline = monotonic() + 60
        waiting = 0
        while waiting < 2 and monotonic() < deadline and all(run.poll() is None for run in runs):
            sleep(0.05)
            row = gate.execute(
                "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted", [table]
            ).fetchone()
            waiting = row[0] if row else 0
        gate.rollback()  # both go
    assert waiting == 2
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    # "提醒:N 条到期,新写入 N 条,新投递 N 条,已处理 N 条": due, written, deliveries, sent
    counts = [[int(n) for n in re.findall(r"\d+", out)] for out, _err in outputs]
    assert all(len(c) == 4 for c in counts), outputs
    expected = personal_keys(NOW) | {f"{o}|group" for o in group_dues(NOW, demo)}
    assert keys() == expected
    assert sum(c[1] for c in counts) == len(expected) == sum(c[2] for c in counts)
    assert_planned_once()


# --- cost


def _sweep_queries(now: datetime) -> int:
    with CaptureQueriesContext(connection) as queries:
        sweep(now)
    return len(queries)


@pytest.mark.django_db
def test_the_sweep_costs_the_same_queries_for_one_collaboration_or_two(demo: Collaboration) -> None:
    robot(demo)
    Preference.objects.create(person=person("李工"), quiet_from=time(22), quiet_until=time(8))
    one = _sweep_queries(NOW)
    idle_one = _sweep_queries(NOW)
    written = Notification.objects.count()
    Notification.objects.all().delete()

    second = load_demo(KICKOFF, today=AS_OF, slug="demo-2")
    robot(second)
    two = _sweep_queries(NOW)
    idle_two = _sweep_queries(NOW)
    assert Notification.objects.count() == 2 * written
    assert (two, idle_two) == (one, idle_one)
    # 71 and 45 on SQLite: each batch now has its own short transaction (a savepoint here) and
    # SQLite re-reads the batch's keys under the write lock (docs/notifications.md, "The sweep").
    assert one <= 80 and idle_one <= 50


# --- the command


@pytest.mark.django_db
def test_the_sweep_command_writes_sends_and_says_how_many(
    demo: Collaboration, capsys: pytest.CaptureFixture[str], settings: object
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # type: ignore[attr-defined]
    out = StringIO()
    call_command("sweep", "--now", "2024-08-12T08:00+08:00", "--send", stdout=out)
    count = Notification.objects.count()
    assert count == len(personal_keys(NOW))
    numbers = [int(n) for n in re.findall(r"\d+", out.getvalue())]
    assert numbers == [len(reminders.due_at(NOW)), count, count, count], out.getvalue()
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    mail = capsys.readouterr().out
    assert "To: li@example.com" in mail and "To: zhou@example.com" in mail

    out = StringIO()
    call_command("sweep", "--now", "2024-08-12T08:00:30+08:00", "--send", stdout=out)
    assert [int(n) for n in re.findall(r"\d+", out.getvalue())][1:] == [0, 0, 0]
    assert Notification.objects.count() == count

    with pytest.raises(CommandError):
        call_command("sweep", "--now", "next monday")


@pytest.mark.django_db
def test_a_naive_now_is_read_in_the_local_time_zone(demo: Collaboration) -> None:
    call_command("sweep", "--now", "2024-08-12T08:00", stdout=StringIO())
    assert keys() == personal_keys(NOW)
    assert set(Notification.objects.values_list("created_at", flat=True)) == {NOW}


# --- the worker's clock


class _Ticks(threading.Event):
    """A stop event that lets the clock go round ``rounds`` times, without waiting."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rounds = rounds

    def wait(self, timeout: float | None = None) -> bool:
        self.rounds -= 1
        if self.rounds <= 0:
            self.set()
        return self.is_set()


@pytest.mark.django_db
def test_the_worker_clock_sweeps_sends_and_survives_a_failed_sweep(
    demo: Collaboration, monkeypatch: pytest.MonkeyPatch, mailoutbox: list[EmailMessage]
) -> None:
    # the test runs in one transaction: the clock must not close its connection
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    calls: list[datetime] = []

    def flaky(now: datetime) -> SweepResult:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return sweep(now)

    monkeypatch.setattr(worker, "sweep", flaky)
    with time_machine.travel(NOW, tick=False):
        worker.clock(_Ticks(2), 60)
    assert calls == [NOW, NOW]  # the failure was logged, and the next round caught up
    assert keys() == personal_keys(NOW)
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert sorted(to for mail in mailoutbox for to in mail.to) == sorted(
        Notification.objects.values_list("recipient__email", flat=True)
    )
