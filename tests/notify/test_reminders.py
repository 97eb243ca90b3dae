"""When each reminder is due, and to whom: both sides of every boundary, at pinned moments.

The finders are read at a given ``now`` (nothing here depends on the
clock); the data is built through the product's own actions, on the
guide's demo charter (kickoff Monday 2024-07-08, statuses as of 2024-08-12).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import AS_OF, KICKOFF
from tests.helpers import add_charter_people, at
from xietong.charter.demo import demo_charter
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Participant, SubGoal, Task, TaskStatus
from xietong.meetings.actions.kickoff import do_schedule_kickoff, do_send_agenda
from xietong.meetings.actions.minutes import do_confirm_minutes, do_issue_minutes, do_request_correction
from xietong.meetings.models import Meeting
from xietong.notify import reminders
from xietong.notify.models import Kind, Notification
from xietong.notify.outbox import sweep
from xietong.orgs.models import Department, Person
from xietong.tracking.actions.progress import ProgressInput, do_report_progress
from xietong.tracking.actions.sla import do_answer_sla, do_open_sla_request, do_record_check

pytestmark = pytest.mark.django_db
HEADS = {"王经理", "孙总监", "赵总监", "周总监"}  # 售后部, 产品部, 技术部, 法务部


def _charter(slug: str, *, kickoff: bool) -> Collaboration:
    charter = demo_charter(KICKOFF, AS_OF)
    if not kickoff:
        del charter["kickoff"]
    stored = do_import_charter(
        parse_charter(add_charter_people(charter)), slug=slug, org_authority=True
    )  # with its heads
    # The sub-goals were agreed at the kickoff, as in the demo: their duties are owed from then.
    SubGoal.objects.filter(collaboration=stored).update(
        created_at=at(KICKOFF.year, KICKOFF.month, KICKOFF.day)
    )
    return stored


@pytest.fixture
def fresh(db: None) -> Collaboration:
    """The demo charter without its kickoff: no meeting yet, so no duty has started."""
    return _charter("fresh", kickoff=False)


@pytest.fixture
def running(db: None) -> Collaboration:
    """The demo charter with its kickoff of 2024-07-08 (held, minutes confirmed), and no history."""
    return _charter("running", kickoff=True)


def name(person_id: int | None) -> str | None:
    return None if person_id is None else Person.objects.get(pk=person_id).username


def due(now: datetime, kind: Kind, collab: Collaboration, about: str = "") -> list[tuple[str, str | None]]:
    """The ``kind`` reminders due at ``now`` in ``collab`` (whose occasion contains ``about``).

    As (occasion, recipient's username), the group's (None) included.
    """
    return sorted(
        (
            (d.occasion, name(d.recipient_id))
            for d in reminders.due_at(now)
            if d.kind == kind and d.collaboration_id == collab.pk and about in d.occasion
        ),
        key=lambda pair: (pair[0], pair[1] or ""),
    )


def to(now: datetime, kind: Kind, collab: Collaboration, about: str = "") -> set[str | None]:
    """Who the ``kind`` reminders at ``now`` go to (None: the group)."""
    return {person for _occasion, person in due(now, kind, collab, about)}


def department(name_: str) -> Department:
    return Department.objects.get(name=name_)


def task_named(collab: Collaboration, start: str) -> Task:
    return Task.objects.get(collaboration=collab, description__startswith=start)


def subgoal_named(collab: Collaboration, start: str) -> SubGoal:
    return SubGoal.objects.get(collaboration=collab, description__startswith=start)


def kind_keys(collab: Collaboration, kind: Kind) -> list[str]:
    return sorted(Notification.objects.filter(collaboration=collab, kind=kind).values_list("key", flat=True))


# --- the kickoff's agenda


def test_the_agenda_is_reminded_to_the_chair_from_four_days_before_the_kickoff(fresh: Collaboration) -> None:
    meeting = do_schedule_kickoff(fresh, at(2024, 9, 2, 10))
    assert due(at(2024, 8, 28, 10), Kind.AGENDA_DUE, fresh) == []  # five days before
    assert due(at(2024, 8, 29, 9, 59), Kind.AGENDA_DUE, fresh) == []  # a minute more than four days
    occasion = f"agenda_due:m{meeting.pk}:20240902T0200"  # the meeting's moment (UTC) names it
    assert due(at(2024, 8, 29, 10), Kind.AGENDA_DUE, fresh) == [(occasion, None), (occasion, "王经理")]
    # three and a half days before: still due (and late after the 72-hour mark, until the meeting)
    assert to(at(2024, 8, 30, 22), Kind.AGENDA_DUE, fresh) == {"王经理", None}
    assert to(at(2024, 9, 1, 12), Kind.AGENDA_DUE, fresh) == {"王经理", None}
    assert due(at(2024, 9, 2, 10), Kind.AGENDA_DUE, fresh) == []  # the meeting has begun


def test_the_agenda_goes_to_the_chair_else_the_owner_and_stops_once_sent(fresh: Collaboration) -> None:
    meeting = do_schedule_kickoff(fresh, at(2024, 9, 2, 10))
    Meeting.objects.filter(pk=meeting.pk).update(chair=Person.objects.get(username="张经理"))
    assert to(at(2024, 8, 30, 22), Kind.AGENDA_DUE, fresh) == {"张经理", None}
    Meeting.objects.filter(pk=meeting.pk).update(chair=None)
    assert to(at(2024, 8, 30, 22), Kind.AGENDA_DUE, fresh) == {"王经理", None}  # the initiator
    do_send_agenda(meeting, at(2024, 8, 30, 23))
    assert due(at(2024, 8, 31, 9), Kind.AGENDA_DUE, fresh) == []


def test_a_rescheduled_kickoff_is_reminded_afresh_and_the_old_time_never_again(fresh: Collaboration) -> None:
    meeting = do_schedule_kickoff(fresh, at(2024, 9, 2, 10))
    sweep(at(2024, 8, 30, 22))
    first = kind_keys(fresh, Kind.AGENDA_DUE)
    assert first == [f"agenda_due:m{meeting.pk}:20240902T0200|{meeting.collaboration.owner_id}"]
    do_schedule_kickoff(fresh, at(2024, 9, 9, 10))  # a week later
    sweep(at(2024, 8, 31, 9))  # the old time is no longer due, the new one not yet
    assert kind_keys(fresh, Kind.AGENDA_DUE) == first
    sweep(at(2024, 9, 5, 22))
    sweep(at(2024, 9, 6, 9))
    keys = kind_keys(fresh, Kind.AGENDA_DUE)
    assert len(keys) == 2 and first[0] in keys
    assert any(":20240909T0200|" in key for key in keys)


# --- minutes


def test_minutes_are_due_once_the_meeting_ends_and_overdue_24_hours_after_it_began(
    fresh: Collaboration,
) -> None:
    meeting = do_schedule_kickoff(fresh, at(2024, 9, 2, 10))  # 60 minutes
    assert due(at(2024, 9, 2, 9, 59), Kind.MINUTES_DUE, fresh) == []
    assert due(at(2024, 9, 2, 10, 59), Kind.MINUTES_DUE, fresh) == []  # still in session
    assert to(at(2024, 9, 2, 11, 0), Kind.MINUTES_DUE, fresh) == {"王经理", None}
    assert to(at(2024, 9, 3, 9, 59), Kind.MINUTES_DUE, fresh) == {"王经理", None}
    assert due(at(2024, 9, 3, 9, 59), Kind.MINUTES_OVERDUE, fresh) == []
    assert due(at(2024, 9, 3, 10), Kind.MINUTES_DUE, fresh) == []
    assert due(at(2024, 9, 3, 10), Kind.MINUTES_OVERDUE, fresh) == [
        (f"minutes_overdue:m{meeting.pk}:20240902T0200", None),
        (f"minutes_overdue:m{meeting.pk}:20240902T0200", "王经理"),
    ]
    do_issue_minutes(meeting, at(2024, 9, 3, 11))
    assert due(at(2024, 9, 3, 12), Kind.MINUTES_OVERDUE, fresh) == []
    assert due(at(2024, 9, 3, 12), Kind.MINUTES_DUE, fresh) == []


def test_each_head_who_has_not_confirmed_the_current_revision_is_reminded(fresh: Collaboration) -> None:
    meeting = do_schedule_kickoff(fresh, at(2024, 9, 2, 10))
    do_issue_minutes(meeting, at(2024, 9, 2, 15))
    assert due(at(2024, 9, 2, 14, 59), Kind.CONFIRMATION_PENDING, fresh) == []
    assert to(at(2024, 9, 2, 15), Kind.CONFIRMATION_PENDING, fresh) == HEADS  # no group message
    do_confirm_minutes(meeting, department("售后部"), at(2024, 9, 2, 16))
    pending = due(at(2024, 9, 2, 16, 1), Kind.CONFIRMATION_PENDING, fresh)
    assert {person for _o, person in pending} == HEADS - {"王经理"}
    assert all(f"confirm:m{meeting.pk}:r1:" in occasion for occasion, _p in pending)
    sweep(at(2024, 9, 2, 16, 1))
    assert len(kind_keys(fresh, Kind.CONFIRMATION_PENDING)) == 3

    # 产品部 asks for a correction: reopened minutes wait for no confirmation ...
    do_request_correction(meeting, department("产品部"), "第二条行动项的期限有误", at(2024, 9, 2, 17))
    assert due(at(2024, 9, 2, 17, 1), Kind.CONFIRMATION_PENDING, fresh) == []
    # ... until revision 2 is issued: every head confirms it again, 售后部 too
    do_issue_minutes(meeting, at(2024, 9, 2, 18))
    pending = due(at(2024, 9, 2, 18, 1), Kind.CONFIRMATION_PENDING, fresh)
    assert {person for _o, person in pending} == HEADS
    assert all(f"confirm:m{meeting.pk}:r2:" in occasion for occasion, _p in pending)
    sweep(at(2024, 9, 2, 18, 1))
    sweep(at(2024, 9, 2, 19))
    assert len(kind_keys(fresh, Kind.CONFIRMATION_PENDING)) == 3 + 4
    for name_ in ("售后部", "产品部", "技术部", "法务部"):
        do_confirm_minutes(meeting, department(name_), at(2024, 9, 3, 9))
    assert due(at(2024, 9, 3, 10), Kind.CONFIRMATION_PENDING, fresh) == []  # locked


# --- the weekly meeting


def test_weekly_update_is_due_the_day_before_the_meeting_to_departments_with_open_rows(
    running: Collaboration,
) -> None:
    # Monday 2024-08-12 10:00 is a weekly meeting (the plan's FREQ=WEEKLY;BYDAY=MO;BYHOUR=10).
    # Open rows on that day: 售后部 and 技术部; 产品部 and 法务部 have finished theirs.
    assert due(at(2024, 8, 11, 9, 59), Kind.WEEKLY_UPDATE_DUE, running) == []
    pending = due(at(2024, 8, 11, 10), Kind.WEEKLY_UPDATE_DUE, running)
    assert {person for _o, person in pending} == {"张经理", "李工", None}  # the liaisons, and the group
    assert all(":20240812T1000:" in occasion for occasion, _p in pending)
    assert due(at(2024, 8, 12, 10), Kind.WEEKLY_UPDATE_DUE, running) == []  # the meeting has begun


def test_a_department_that_updated_since_the_last_meeting_is_not_reminded(running: Collaboration) -> None:
    training = task_named(running, "售后团队时效培训")
    # before the previous meeting (Monday 08-05 10:00): it does not count for this week
    do_report_progress(training, ProgressInput(status="in_progress", percent=40), at(2024, 8, 5, 9))
    assert to(at(2024, 8, 11, 12), Kind.WEEKLY_UPDATE_DUE, running) == {"张经理", "李工", None}
    do_report_progress(training, ProgressInput(status="in_progress", percent=60), at(2024, 8, 9, 17))
    assert to(at(2024, 8, 11, 12), Kind.WEEKLY_UPDATE_DUE, running) == {"李工", None}


def test_a_weekly_meeting_postponed_over_a_holiday_is_reminded_the_day_before_its_new_date(
    running: Collaboration,
) -> None:
    # Monday 2024-09-16 is the Mid-Autumn Festival: the meeting moves to Wednesday 09-18 10:00.
    assert due(at(2024, 9, 15, 12), Kind.WEEKLY_UPDATE_DUE, running) == []
    assert due(at(2024, 9, 17, 9, 59), Kind.WEEKLY_UPDATE_DUE, running) == []
    pending = due(at(2024, 9, 17, 10), Kind.WEEKLY_UPDATE_DUE, running)
    assert {person for _o, person in pending} == {"张经理", "李工", None}
    assert all(":20240918T1000:" in occasion for occasion, _p in pending)
    # an update since the previous meeting (Monday 09-09) counts
    do_report_progress(
        task_named(running, "季度复盘"), ProgressInput(status="in_progress", percent=10), at(2024, 9, 13, 17)
    )
    assert to(at(2024, 9, 17, 12), Kind.WEEKLY_UPDATE_DUE, running) == {"李工", None}


def test_no_weekly_reminder_before_the_kickoff(fresh: Collaboration) -> None:
    assert due(at(2024, 8, 11, 12), Kind.WEEKLY_UPDATE_DUE, fresh) == []


# --- the responsibility table


def test_a_task_is_due_soon_two_days_before_its_deadline_and_overdue_after_it(running: Collaboration) -> None:
    training = task_named(running, "售后团队时效培训")  # 售后部, deadline Monday 2024-08-12, in progress
    about = f":t{training.pk}:"
    assert due(at(2024, 8, 9, 23, 59), Kind.TASK_DUE_SOON, running, about) == []
    soon = [
        (f"task_due_soon:t{training.pk}:20240812", None),
        (f"task_due_soon:t{training.pk}:20240812", "张经理"),
    ]
    assert due(at(2024, 8, 10, 0, 0), Kind.TASK_DUE_SOON, running, about) == soon  # local midnight
    assert due(at(2024, 8, 12, 23, 59), Kind.TASK_DUE_SOON, running, about) == soon
    assert due(at(2024, 8, 12, 23, 59), Kind.TASK_OVERDUE, running, about) == []
    assert due(at(2024, 8, 13, 0, 0), Kind.TASK_DUE_SOON, running, about) == []
    assert due(at(2024, 8, 13, 0, 0), Kind.TASK_OVERDUE, running, about) == [
        (f"task_overdue:t{training.pk}:20240812", None),
        (f"task_overdue:t{training.pk}:20240812", "张经理"),
    ]
    do_report_progress(training, ProgressInput(status="done", percent=100), at(2024, 8, 13, 9))
    assert due(at(2024, 8, 13, 10), Kind.TASK_OVERDUE, running, about) == []


def test_done_tasks_are_never_reminded_and_a_department_without_liaison_reminds_its_head(
    running: Collaboration,
) -> None:
    now = at(2024, 8, 13, 9)
    done = Task.objects.filter(collaboration=running, status=TaskStatus.DONE)
    assert done.count() >= 5
    found = due(now, Kind.TASK_OVERDUE, running)
    assert found and not any(f":t{task.pk}:" in occasion for task in done for occasion, _p in found)
    Participant.objects.filter(collaboration=running, department__name="售后部").update(liaison=None)
    training = task_named(running, "售后团队时效培训")
    assert to(now, Kind.TASK_OVERDUE, running, f":t{training.pk}:") == {"王经理", None}


def test_a_moved_deadline_is_a_new_occasion(running: Collaboration) -> None:
    training = task_named(running, "售后团队时效培训")
    Task.objects.filter(pk=training.pk).update(deadline=AS_OF.replace(day=20))
    assert due(at(2024, 8, 13, 9), Kind.TASK_OVERDUE, running, f":t{training.pk}:") == []
    assert [o for o, _p in due(at(2024, 8, 18, 9), Kind.TASK_DUE_SOON, running, f":t{training.pk}:")] == [
        f"task_due_soon:t{training.pk}:20240820"
    ] * 2


# --- escalation of blocked rows


def test_a_blocked_row_escalates_by_working_days_across_the_holiday(running: Collaboration) -> None:
    """Blocked Friday 2024-09-13; Saturday 09-14 is a make-up working day, 09-15..17 the Mid-Autumn holiday.

    Working days since: 09-14 (1), 09-18 (2), 09-19 (3), 09-20 (4), 09-23 (5). With the limit of 2,
    level 1 comes beyond 2 days (Thursday 09-19), level 2 beyond 4 (Monday 09-23). On a plain
    Monday-Friday calendar level 1 would come on Wednesday 09-18 already.
    """
    row = task_named(running, "建立投诉工单系统自动分派规则")  # 技术部
    do_report_progress(
        row,
        ProgressInput(
            status="blocked",
            percent=50,
            blocked_reason="等待产品部确认分派规则",
            waiting_on=department("产品部"),
        ),
        at(2024, 9, 13, 9),
    )
    about = f":t{row.pk}:"
    assert due(at(2024, 9, 18, 23, 59), Kind.ESCALATION, running, about) == []
    level_1 = due(at(2024, 9, 19, 0, 1), Kind.ESCALATION, running, about)
    assert {p for _o, p in level_1} == {"王经理", None}  # the initiator (the collaboration's owner)
    assert all(o.endswith(":L1") for o, _p in level_1)
    assert due(at(2024, 9, 20, 18), Kind.ESCALATION, running, about) == level_1  # the same occasion
    level_2 = due(at(2024, 9, 23, 0, 1), Kind.ESCALATION, running, about)
    # the heads of the row's department (技术部) and of the one it waits on (产品部) come in
    assert {p for _o, p in level_2} == {"王经理", "赵总监", "孙总监", None}
    assert all(o.endswith(":L2") for o, _p in level_2)
    do_report_progress(row, ProgressInput(status="in_progress", percent=60), at(2024, 9, 23, 9))
    assert due(at(2024, 9, 23, 10), Kind.ESCALATION, running, about) == []


# --- SLA requests and recurring sub-goals


def test_an_sla_request_at_80_percent_reminds_the_liaison_and_when_breached_the_head(
    running: Collaboration,
) -> None:
    subgoal = subgoal_named(running, "技术部24小时内")  # 24 calendar hours
    request = do_open_sla_request(subgoal, department("售后部"), "工单 #1024 的技术结论", at(2024, 9, 2, 10))
    about = f":q{request.pk}"
    # 80 % of 24 h is 19 h 12 min: 2024-09-03 05:12
    assert due(at(2024, 9, 3, 5, 11), Kind.SLA_AT_RISK, running, about) == []
    assert due(at(2024, 9, 3, 5, 13), Kind.SLA_AT_RISK, running, about) == [
        (f"sla_at_risk:q{request.pk}", None),
        (f"sla_at_risk:q{request.pk}", "李工"),
    ]
    assert due(at(2024, 9, 3, 9, 59), Kind.SLA_BREACHED, running, about) == []
    assert due(at(2024, 9, 3, 10, 1), Kind.SLA_AT_RISK, running, about) == []
    assert to(at(2024, 9, 3, 10, 1), Kind.SLA_BREACHED, running, about) == {"李工", "赵总监", None}
    do_answer_sla(request, at(2024, 9, 3, 11), "已定位为配置问题")
    assert due(at(2024, 9, 3, 12), Kind.SLA_BREACHED, running, about) == []


def test_a_recurring_occurrence_missed_reminds_the_liaison_and_one_done_in_time_does_not(
    running: Collaboration,
) -> None:
    daily = subgoal_named(running, "售后部每日10点前")  # FREQ=DAILY;BYHOUR=10, working days
    monday, tuesday = f"missed:s{daily.pk}:20240902T1000", f"missed:s{daily.pk}:20240903T1000"
    assert due(at(2024, 9, 2, 9, 59), Kind.OCCURRENCE_MISSED, running, monday) == []
    assert due(at(2024, 9, 2, 10, 1), Kind.OCCURRENCE_MISSED, running, monday) == [
        (monday, None),
        (monday, "张经理"),
    ]
    do_record_check(daily, at(2024, 9, 2, 10), at(2024, 9, 2, 9, 30))  # done in time
    assert due(at(2024, 9, 2, 10, 1), Kind.OCCURRENCE_MISSED, running, monday) == []
    do_record_check(daily, at(2024, 9, 3, 10), at(2024, 9, 3, 10, 30))  # done late: still missed
    assert to(at(2024, 9, 3, 11), Kind.OCCURRENCE_MISSED, running, tuesday) == {"张经理", None}
    # Saturday is no working day: nothing is owed
    assert due(at(2024, 9, 7, 12), Kind.OCCURRENCE_MISSED, running, ":20240907T") == []


def test_recurring_duties_start_with_the_kickoff(fresh: Collaboration) -> None:
    assert due(at(2024, 9, 2, 12), Kind.OCCURRENCE_MISSED, fresh) == []


# --- closed collaborations


def test_a_closed_collaboration_gets_no_reminder(demo: Collaboration) -> None:
    now = at(2024, 8, 12, 8)
    assert {d.kind for d in reminders.due_at(now) if d.collaboration_id == demo.pk} >= {
        Kind.MINUTES_OVERDUE,
        Kind.CONFIRMATION_PENDING,
        Kind.WEEKLY_UPDATE_DUE,
        Kind.TASK_OVERDUE,
        Kind.OCCURRENCE_MISSED,
    }
    # closing needs every deliverable accepted (A01); the reminders only look at closed_at
    Collaboration.objects.filter(pk=demo.pk).update(closed_at=at(2024, 8, 11, 18))
    assert [d for d in reminders.due_at(now) if d.collaboration_id == demo.pk] == []
    assert sweep(now).written == 0
    assert not Notification.objects.exists()
