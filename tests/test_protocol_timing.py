"""The protocol's clock, as people meet it (issue 16): reminders start when the guide says,
recurring duties start when they were set, the weekly list does not count the exempt as
silent, R08 on stored collaborations and charters, and the phase follows the steps.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

from tests.conftest import make_person
from tests.helpers import TZ, at
from xietong.collabs.actions.collaborations import do_create_collaboration, standard_communication
from xietong.collabs.actions.goal import GoalInput, do_save_goal
from xietong.collabs.actions.subgoals import SubGoalFields, do_save_subgoal
from xietong.collabs.actions.tasks import TaskInput, do_save_task
from xietong.collabs.models import Collaboration, DeadlineKind, Participant, Task, TaskStatus
from xietong.meetings.actions.kickoff import do_schedule_kickoff
from xietong.meetings.models import CommunicationRule
from xietong.notify import reminders
from xietong.notify.models import Kind, Notification
from xietong.notify.outbox import sweep
from xietong.orgs.models import Department, Person
from xietong.tracking.weekly import Execution, IsoWeek, TaskFacts, compile_weekly

pytestmark = pytest.mark.django_db
GOOD = Path(__file__).parent / "charters" / "good.json"


# Sunday 2026-12-06, noon: the day the issue was filed.
TODAY = at(2026, 12, 6, 12)
DEPARTMENTS = ["客服部", "技术部", "产品部", "市场部", "财务部"]


@pytest.fixture
def initiator(db: None) -> Person:
    return make_person("initiator")


@pytest.fixture
def new_collab(initiator: Person) -> Collaboration:
    """A 问题解决型 collaboration started today from its template (the plan meets Mondays 10:00)."""
    with time_machine.travel(TODAY, tick=False):
        return do_create_collaboration(
            title="投诉处理提速",
            type="problem_solving",
            initiator_department=DEPARTMENTS[0],
            departments=DEPARTMENTS[1:],
            owner=initiator,
        )


def _add_task(collab: Collaboration, department: str, *, status: str = TaskStatus.NOT_STARTED) -> Task:
    return do_save_task(
        collab,
        TaskInput(
            description=f"{department}的任务",
            department=Department.objects.get(name=department),
            standard="有据可查",
            deadline=date(2027, 1, 29),
            collaborators=[],
            status=status,
            blocked_reason="",
        ),
    )


def _weekly_reminders(collab: Collaboration) -> list[str]:
    return sorted(
        Notification.objects.filter(collaboration=collab, kind=Kind.WEEKLY_UPDATE_DUE).values_list(
            "key", flat=True
        )
    )


# --- reminders start when the protocol says


def test_no_weekly_update_reminder_before_the_first_weekly_meeting_after_the_kickoff(
    new_collab: Collaboration,
) -> None:
    liaison = make_person("liaison")
    Participant.objects.filter(collaboration=new_collab, department__name="技术部").update(liaison=liaison)
    _add_task(new_collab, "技术部")
    # Next week's kickoff: Monday 09:00, an hour before that Monday's weekly meeting.
    do_schedule_kickoff(new_collab, at(2026, 12, 7, 9))

    for moment in (
        TODAY,
        at(2026, 12, 6, 10, 0),  # the day before Monday's 10:00 meeting, before the kickoff
        at(2026, 12, 7, 9, 30),  # the kickoff has begun, the meeting is half an hour away
        at(2026, 12, 10, 12),
        at(2026, 12, 13, 9, 59),
    ):
        sweep(moment)
        assert _weekly_reminders(new_collab) == [], moment

    # The day before the first weekly meeting after the kickoff (Monday 12-14 10:00).
    sweep(at(2026, 12, 13, 10, 0))
    keys = _weekly_reminders(new_collab)
    assert keys and all(":20261214T1000:" in key for key in keys)
    assert Notification.objects.filter(
        collaboration=new_collab, kind=Kind.WEEKLY_UPDATE_DUE, recipient=liaison
    ).exists()


def test_a_recurring_sub_goal_created_today_owes_nothing_before_today(
    new_collab: Collaboration, initiator: Person
) -> None:
    do_schedule_kickoff(new_collab, at(2026, 11, 23, 9))  # held two weeks ago
    with time_machine.travel(TODAY, tick=False):
        daily = do_save_subgoal(
            new_collab,
            SubGoalFields(
                description="客服部每周五前提交投诉周报",
                department=Department.objects.get(name="客服部"),
                metric_id=None,
                target=None,
                unit="",
                deadline_kind=DeadlineKind.RECURRING,
                rrule="FREQ=WEEKLY;BYDAY=FR,MO,WE",
            ),
        )
        client = Client()
        client.force_login(initiator)
        page = client.get(reverse("tracking:sla", args=[new_collab.slug]))
        api = client.get(f"/api/collaborations/{new_collab.slug}/compliance")

    assert page.status_code == 200
    (shown,) = [r for r in page.context["recurring"] if r["goal"].subgoal.pk == daily.pk]
    due = [o["due"] for o in shown["occurrences"]]
    assert due and min(due) >= TODAY  # Friday 12-04 and before were never owed
    assert all(o["o"].state != "missed" for o in shown["occurrences"])
    (rate,) = [c for c in page.context["compliance"] if c["row"].department == "客服部"]
    assert rate["total"] is None  # nothing decided yet: "—", not 0 %
    rows = [r for r in api.json()["rows"] if r["department"] == "客服部"]
    assert all(r["total"] is None for r in rows)
    assert not [
        d for d in reminders.missed_occurrences(TODAY + timedelta(hours=1)) if f"s{daily.pk}:" in d.occasion
    ]


# --- R08 both ways


def _r08(target: str, today: str) -> list[tuple[str, str, str]]:
    """R08's findings from ``xietong check --json`` (which exits 1 when other rules find errors)."""
    out = StringIO()
    try:
        call_command("check", target, "--json", "--today", today, stdout=out)
    except SystemExit as exit_:
        assert exit_.code == 1
    found = json.loads(out.getvalue())["findings"]
    return [(f["severity"], f["object"], f["message"]) for f in found if f["rule"] == "R08"]


def test_r08_on_a_stored_collaboration_and_on_a_charter_file(
    new_collab: Collaboration, tmp_path: Path
) -> None:
    with time_machine.travel(TODAY, tick=False):
        do_save_goal(
            new_collab,
            GoalInput(
                title=new_collab.title,
                background="",
                expected_outcome="",
                statement="投诉平均处理时长从 72 小时降到 24 小时",
                deadline=date(2027, 1, 15),
                achievable_reason="",
                relevant_reason="",
            ),
            [],
        )
    _add_task(new_collab, "技术部")  # due 2027-01-29, after the goal's 2027-01-15
    ((severity, where, message),) = _r08(new_collab.slug, "2026-12-06")
    assert (severity, where) == ("warning", "tasks[0]")
    assert "2027-01-29" in message and "2027-01-15" in message

    Task.objects.filter(collaboration=new_collab).update(deadline=date(2027, 1, 15))
    Collaboration.objects.filter(pk=new_collab.pk).update(version=F("version") + 1)
    assert _r08(new_collab.slug, "2026-12-06") == []

    charter = json.loads(GOOD.read_text(encoding="utf-8"))
    for deadline, expected in (("2024-10-31", [("warning", "tasks[3]")]), ("2024-09-30", [])):
        charter["tasks"][3]["deadline"] = deadline  # the goal's deadline is 2024-09-30
        path = tmp_path / "charter.json"
        path.write_text(json.dumps(charter, ensure_ascii=False), encoding="utf-8")
        assert [(sev, obj) for sev, obj, _m in _r08(str(path), "2024-07-15")] == expected


# --- the weekly list: departments without open rows are exempt


def test_the_weekly_list_does_not_count_exempt_departments_as_not_reported() -> None:
    week = IsoWeek(2026, 50)
    kickoff = at(2026, 11, 23, 9)
    tasks = [
        TaskFacts(key=1, description="分派规则", department="技术部", deadline=None, status=TaskStatus.DONE),
        TaskFacts(key=2, description="话术更新", department="客服部", deadline=None, status=TaskStatus.DONE),
    ]
    weekly = compile_weekly(
        tasks,
        [],
        week,
        at(2026, 12, 9, 12),
        tz=TZ,
        departments=DEPARTMENTS,
        execution=Execution(kickoff=kickoff),
    )
    assert weekly.not_reported == []
    assert (weekly.totals.departments, weekly.totals.reported, weekly.totals.exempt) == (0, 0, 5)
    assert all(d.exempt and not d.not_reported for d in weekly.departments)

    # One department with an open row must report; the four others stay exempt.
    tasks.append(
        TaskFacts(key=3, description="报表", department="产品部", deadline=None, status="in_progress")
    )
    weekly = compile_weekly(
        tasks,
        [],
        week,
        at(2026, 12, 9, 12),
        tz=TZ,
        departments=DEPARTMENTS,
        execution=Execution(kickoff=kickoff),
    )
    assert weekly.not_reported == ["产品部"]
    assert (weekly.totals.departments, weekly.totals.reported, weekly.totals.exempt) == (1, 0, 4)


def test_the_weekly_page_says_exempt_not_zero_of_five(new_collab: Collaboration, initiator: Person) -> None:
    do_schedule_kickoff(new_collab, at(2026, 11, 23, 9))
    for name in DEPARTMENTS[:2]:
        _add_task(new_collab, name, status=TaskStatus.DONE)
    client = Client()
    client.force_login(initiator)
    with time_machine.travel(at(2026, 12, 9, 12), tick=False):
        page = client.get(reverse("tracking:tracking", args=[new_collab.slug]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "0/5" not in text
    assert "0/0" in text and "个部门无需汇报" in text
    assert text.count("无需汇报</span>") == 5
    assert "未汇报的部门" not in text


# --- the phase follows the steps


def _phase(client: Client, collab: Collaboration) -> tuple[str, str]:
    """The phase as the API gives it and as the workspace's head shows it."""
    api = client.get(f"/api/collaborations/{collab.slug}").json()["phase"]
    page = client.get(reverse("collabs:table", args=[collab.slug])).content.decode()
    shown = page.split("阶段:", 1)[1].split("<", 1)[0].strip()
    return api, shown


def test_the_phase_follows_the_step_the_collaboration_is_in(
    new_collab: Collaboration, initiator: Person
) -> None:
    client = Client()
    client.force_login(initiator)
    with time_machine.travel(TODAY, tick=True):
        # The template gives departments (2) and the communication plan (6); the goal (1) is empty.
        assert _phase(client, new_collab) == ("initiating", "启动")
        do_save_goal(
            new_collab,
            GoalInput(new_collab.title, "", "", "投诉平均处理时长降到 24 小时", date(2027, 3, 31), "", ""),
            [],
        )
        assert _phase(client, new_collab) == ("aligning", "对齐")
        do_schedule_kickoff(new_collab, at(2026, 12, 7, 14))
        assert _phase(client, new_collab) == ("detailing", "细化")
        task = _add_task(new_collab, "技术部")
        assert _phase(client, new_collab) == ("consensus", "共识")
        do_save_subgoal(
            new_collab,
            SubGoalFields(
                "技术部两周内上线自动分派", Department.objects.get(name="技术部"), None, None, "", ""
            ),
        )
        CommunicationRule.objects.filter(collaboration=new_collab).delete()
        Collaboration.objects.filter(pk=new_collab.pk).update(version=F("version") + 1)
        assert _phase(client, new_collab) == ("executing", "执行")
    new_collab.refresh_from_db()
    with time_machine.travel(TODAY, tick=True):
        CommunicationRule.objects.bulk_create(standard_communication(new_collab))
        Collaboration.objects.filter(pk=new_collab.pk).update(version=F("version") + 1)
        assert _phase(client, new_collab) == ("monitoring", "监控")
        task.refresh_from_db()
        _done = TaskInput(
            description=task.description,
            department=task.department,
            standard=task.standard,
            deadline=task.deadline,
            collaborators=[],
            status=TaskStatus.DONE,
            blocked_reason="",
        )
        do_save_task(new_collab, _done, task=task)
        assert _phase(client, new_collab) == ("closing", "收尾")
        Collaboration.objects.filter(pk=new_collab.pk).update(closed_at=TODAY, version=F("version") + 1)
        assert _phase(client, new_collab) == ("closed", "已关闭")
