"""A rule that never happens, or one bad row, must not stop the sweep (issue 15, point 3).

``FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30`` is a valid RRULE that never occurs:
dateutil used to search for it to the year 9999 (seconds per row), inside
the sweep's one write transaction, so five such rows locked a SQLite
database for most of a minute. Saving such a rule is refused; rows already
stored cost milliseconds; a row that raises is logged and skipped.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from time import monotonic

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.notify.test_sweep import NOW, at, keys, personal_keys
from xietong.collabs.actions.subgoals import SubGoalFields, do_save_subgoal
from xietong.collabs.models import Collaboration, DeadlineKind, SlaClock, SubGoal
from xietong.meetings.actions.plan import RuleFields, do_save_communication_rule
from xietong.meetings.models import Channel, CommunicationRule, Frequency
from xietong.notify import heartbeat
from xietong.notify.management.commands import worker
from xietong.notify.models import Kind, Notification, WorkerBeat
from xietong.notify.outbox import sweep
from xietong.orgs.models import Person
from xietong.tracking.actions.sla import do_open_sla_request

NEVER = "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"


def _never_rows(demo: Collaboration, count: int = 5) -> None:
    """Store ``count`` recurring sub-goals and one weekly meeting whose rules never occur.

    Written past the actions, as rows stored before saving refused them are.
    """
    template = SubGoal.objects.filter(collaboration=demo, deadline_kind=DeadlineKind.RECURRING).first()
    assert template is not None
    for i in range(count):
        SubGoal.objects.create(
            collaboration=demo,
            position=100 + i,
            description=f"永不发生的周期 {i}",
            department=template.department,
            deadline_kind=DeadlineKind.RECURRING,
            rrule=NEVER,
        )
    weekly = CommunicationRule.objects.filter(collaboration=demo, channel=Channel.WEEKLY_MEETING).first()
    assert weekly is not None
    CommunicationRule.objects.create(
        collaboration=demo,
        position=100,
        scenario=weekly.scenario,
        channel=Channel.WEEKLY_MEETING,
        frequency=Frequency.RRULE,
        rrule=NEVER,
    )


@pytest.mark.django_db
def test_rules_that_never_happen_cost_the_sweep_no_time(demo: Collaboration) -> None:
    _never_rows(demo)
    started = monotonic()
    result = sweep(NOW)
    took = monotonic() - started
    # ~5 s per row before the search was bounded (30 s and more here); a few hundred ms now.
    assert took < 5, f"the sweep took {took:.1f} s"
    assert result.failed == ()
    expected = personal_keys(NOW)
    assert expected and keys() == expected  # every other reminder went out
    assert not Notification.objects.filter(params__subgoal__startswith="永不发生").exists()


@pytest.mark.django_db
def test_one_bad_row_does_not_stop_the_reminders_of_the_others(demo: Collaboration) -> None:
    sla = SubGoal.objects.get(collaboration=demo, description__startswith="技术部24小时内")
    good = do_open_sla_request(sla, None, "工单 #2048 的技术结论", at(2024, 8, 9, 17))
    # Hours past the calendar's end: judging its clock raises OverflowError.
    broken_goal = SubGoal.objects.create(
        collaboration=demo,
        position=100,
        description="坏数据",
        department=sla.department,
        deadline_kind=DeadlineKind.SLA,
        sla_hours=Decimal(24),
    )
    bad = do_open_sla_request(broken_goal, None, "坏数据的请求", at(2024, 8, 9, 17))
    SubGoal.objects.filter(pk=broken_goal.pk).update(sla_hours=Decimal(10) ** 15)
    # A million working hours: its deadline was searched day by day to the year 9999 (minutes).
    endless = SubGoal.objects.create(
        collaboration=demo,
        position=101,
        description="百万工作小时",
        department=sla.department,
        deadline_kind=DeadlineKind.SLA,
        sla_hours=Decimal(24),
        sla_clock=SlaClock.WORKING,
    )
    do_open_sla_request(endless, None, "很久以后", at(2024, 8, 9, 17))
    SubGoal.objects.filter(pk=endless.pk).update(sla_hours=Decimal(10) ** 6)
    started = monotonic()
    result = sweep(NOW)
    assert monotonic() - started < 5
    assert result.failed == ()
    assert Notification.objects.filter(key__startswith=f"sla_breached:q{good.pk}|").exists()
    assert not Notification.objects.filter(key__startswith=f"sla_breached:q{bad.pk}|").exists()
    others = {k for k in personal_keys(NOW) if f":q{good.pk}|" not in k}
    assert others and others <= keys()


# --- saving refuses a rule that never occurs


def _subgoal_fields(demo: Collaboration, rrule: str) -> SubGoalFields:
    template = SubGoal.objects.filter(collaboration=demo, deadline_kind=DeadlineKind.RECURRING).first()
    assert template is not None
    return SubGoalFields(
        description="每年 2 月 30 日前",
        department=template.department,
        metric_id=None,
        target=Decimal(1),
        unit="份",
        deadline_kind=DeadlineKind.RECURRING,
        rrule=rrule,
    )


@pytest.mark.django_db
def test_the_actions_refuse_a_rule_that_never_occurs(demo: Collaboration) -> None:
    with pytest.raises(ValueError, match="does not occur"):
        do_save_subgoal(demo, _subgoal_fields(demo, NEVER))
    # A rare rule is fine: 29 February comes within two years.
    assert do_save_subgoal(demo, _subgoal_fields(demo, "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29")).pk
    plan = RuleFields(
        scenario="progress_sync",
        channel=Channel.WEEKLY_MEETING,
        frequency=Frequency.RRULE,
        rrule=NEVER,
        outputs=(),
        owner="",
        admin="",
    )
    with pytest.raises(ValueError, match="does not occur"):
        do_save_communication_rule(demo, plan)


def _owner(demo: Collaboration) -> Client:
    client = Client()
    assert demo.owner is not None
    client.force_login(demo.owner)
    return client


@pytest.mark.django_db
def test_the_subgoal_and_plan_forms_say_the_rule_never_occurs(demo: Collaboration) -> None:
    from tests.test_communication_page import form_data as plan_form
    from tests.test_subgoals_page import form_data as subgoal_form

    before = (SubGoal.objects.count(), CommunicationRule.objects.count())
    for url, data in (
        (reverse("collabs:subgoals", args=[demo.slug]), subgoal_form(demo, rrule_advanced=NEVER)),
        (reverse("meetings:communication", args=[demo.slug]), plan_form(rrule_advanced=NEVER)),
    ):
        page = _owner(demo).post(url, data).content.decode()
        assert "高级:RRULE 规则</a>:" in page  # the summary names the field …
        assert f"周期规则「{NEVER}」在今后两年内一次也不会发生" in page  # … and says what is wrong
    assert (SubGoal.objects.count(), CommunicationRule.objects.count()) == before


# --- the worker's heartbeat, on the staff page


@pytest.mark.django_db
def test_the_worker_beats_after_each_sweep_and_staff_see_it(
    demo: Collaboration, admin_user: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)  # one test transaction
    monkeypatch.setenv(heartbeat.RESTARTS_ENV, "2")
    monkeypatch.setenv(heartbeat.LAST_EXIT_ENV, "signal 9 (SIGKILL)")

    class TwoRounds(threading.Event):
        rounds = 2

        def wait(self, timeout: float | None = None) -> bool:
            self.rounds -= 1
            if self.rounds <= 0:
                self.set()
            return self.is_set()

    with time_machine.travel(NOW, tick=False):
        worker.clock(TwoRounds(), 60)
    beat = WorkerBeat.objects.get(name=heartbeat.process_name())
    assert (beat.sweeps, beat.restarts, beat.last_exit, beat.last_error) == (2, 2, "signal 9 (SIGKILL)", "")
    assert beat.beat_at == NOW
    client = Client()
    client.force_login(admin_user)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("notify:failed")).content.decode()
    row = page[page.index(f'id="worker-{beat.pk}"') :]
    row = row[: row.index("</tr>")]
    assert beat.name in row and "运行中" in row and "signal 9 (SIGKILL)" in row
    with time_machine.travel(at(2024, 8, 12, 9), tick=False):  # an hour without a beat
        page = client.get(reverse("notify:failed")).content.decode()
    assert "无心跳" in page
    assert Kind.OCCURRENCE_MISSED  # the page and the sweep share one module of kinds
