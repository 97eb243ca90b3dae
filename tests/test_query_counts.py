"""Constant queries: every page and API list costs the same SQL at 10 rows and at 1,000.

One collaboration (the guide's demo) is grown twice, by bulk inserts, so
that everything its pages and lists show has 10 extra rows and then 1,000:
tasks, progress updates, sub-goals and their records, meetings with agenda,
minutes and attendees, registers, change requests, metric readings,
notifications and deliveries, audit entries, departments, memberships,
collaborations, robots and tokens. Each page is requested cold (the cache
cleared) at both sizes and the queries are counted; a page whose count
grows has an N+1. The data is built once for the module, in a transaction
rolled back at the end, so the module stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.template.base import Template
from django.template.context import Context
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.encoding import iri_to_uri
from django.utils.safestring import SafeString

from tests.conftest import AS_OF, INITIATOR_PAGES, KICKOFF, WORKSPACE_PAGES
from xietong.api.models import ApiToken
from xietong.audit.models import AuditEntry, Change
from xietong.charter.demo import load_demo
from xietong.collabs.models import (
    Collaboration,
    DeadlineKind,
    Membership,
    Metric,
    MetricReading,
    Participant,
    SubGoal,
    Task,
    TaskStatus,
    Visibility,
)
from xietong.meetings.models import (
    AgendaItem,
    CommunicationRule,
    Contribution,
    ContributionKind,
    Material,
    Meeting,
    MeetingKind,
    MinutesItem,
    MinutesItemKind,
)
from xietong.notify.models import Delivery, DeliveryState, Kind, Notification, Robot, Transport
from xietong.orgs.models import Department, Person
from xietong.tracking.actions.weekly import do_publish_weekly_report
from xietong.tracking.models import (
    Allocation,
    ChangeField,
    ChangeRequest,
    IssueEntry,
    Milestone,
    ProgressUpdate,
    Risk,
    SlaPause,
    SlaRequest,
    SubGoalCheck,
    WeeklyReport,
)
from xietong.tracking.weekly import IsoWeek

# The marker also tells pytest-django to create the test database the module fixture fills.
pytestmark = pytest.mark.django_db
# 30 times the rows: a query per row (or per page of rows: the lists page at 50 to 100) would show.
# Pages render every row they list, so the large size is what the module's time goes into (rendering,
# not SQL: 1,000 rows took over 3 minutes on a busy 2-core machine); XIETONG_QUERY_COUNT_ROWS=1000 for more.
SMALL, LARGE = 10, int(os.environ.get("XIETONG_QUERY_COUNT_ROWS", "300"))
MORE_DEPARTMENTS = 40
TZ = ZoneInfo(settings.TIME_ZONE)
NOW = datetime.combine(AS_OF, time(12), tzinfo=TZ)
REPORT = IsoWeek.of(AS_OF - timedelta(weeks=1))  # the last full week, published


def _at(i: int, hour: int = 9) -> datetime:
    """A moment in the collaboration's life, spread over its weeks so far."""
    return datetime.combine(KICKOFF + timedelta(days=i % 35), time(hour), tzinfo=TZ)


@dataclass
class Cast:
    collab: Collaboration
    initiator: Person
    liaison: Person
    admin: Person
    kickoff: Meeting
    weekly: Meeting  # a held occurrence of the weekly meeting: its own page
    series: CommunicationRule
    departments: list[Department]
    subgoals: dict[str, SubGoal]
    report: dict[str, Any]  # a published weekly list's content, copied into the many reports


def _cast(collab: Collaboration) -> Cast:
    owner = collab.owner
    assert owner is not None
    liaison = Participant.objects.get(collaboration=collab, department__name="技术部").liaison
    assert liaison is not None
    admin = Person.objects.create_user("qc-admin", password="pw", is_superuser=True, is_staff=True)
    kickoff = Meeting.objects.get(collaboration=collab, kind=MeetingKind.KICKOFF)
    series = CommunicationRule.objects.get(collaboration=collab, frequency="rrule")
    weekly = Meeting.objects.filter(series=series, minutes_issued_at__isnull=False).latest("scheduled_at")
    departments = list(Department.objects.filter(participations__collaboration=collab))
    subgoals = {sg.deadline_kind: sg for sg in SubGoal.objects.filter(collaboration=collab)}
    published, _created = do_publish_weekly_report(collab, REPORT.year, REPORT.week, "", NOW, actor=owner)
    return Cast(
        collab, owner, liaison, admin, kickoff, weekly, series, departments, subgoals, published.content
    )


def _grow(cast: Cast, start: int, stop: int) -> None:
    """Add rows ``start``..``stop`` of everything the pages list."""
    collab, rows = cast.collab, range(start, stop)
    depts = cast.departments

    def dept(i: int) -> Department:
        return depts[i % len(depts)]

    # The organisation: people, and more participating departments with their liaisons.
    # Departments grow to 50, not 1,000: every row's form offers them all, so
    # 1,000 would make pages quadratic in HTML, not in queries.
    people = Person.objects.bulk_create(
        Person(username=f"qc-p{i}", display_name=f"人员{i}", password="!") for i in rows
    )
    more = range(start, min(stop, start + MORE_DEPARTMENTS))
    new_depts = Department.objects.bulk_create(
        Department(name=f"部门{i}", head=people[i - start]) for i in more
    )
    Participant.objects.bulk_create(
        Participant(
            collaboration=collab, department=d, liaison=people[i - start], duties="配合", position=100 + i
        )
        for i, d in zip(more, new_depts, strict=True)
    )
    Membership.objects.bulk_create(Membership(collaboration=collab, person=p) for p in people)
    # Other collaborations the initiator owns (home page, overview, the API's list).
    Collaboration.objects.bulk_create(
        Collaboration(slug=f"qc-c{i}", title=f"协作{i}", owner=cast.initiator, visibility=Visibility.COMPANY)
        for i in rows
    )
    # The responsibility table, and what each row's updates say.
    statuses = [TaskStatus.DONE, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED, TaskStatus.NOT_STARTED]
    tasks = Task.objects.bulk_create(
        Task(
            collaboration=collab,
            position=100 + i,
            description=f"任务{i}",
            department=dept(i),
            standard="交付标准",
            deadline=KICKOFF + timedelta(days=i % 70),
            status=statuses[i % 4],
            blocked_reason="等待" if i % 4 == 2 else "",
            blocked_since=_at(i) if i % 4 == 2 else None,
            waiting_on=dept(i + 1) if i % 4 == 2 else None,
        )
        for i in rows
    )
    Through = Task.collaborators.through
    Through.objects.bulk_create(
        Through(task=t, department=dept(i + 1)) for i, t in zip(rows, tasks, strict=True)
    )
    # 我的任务 and 我的工作台: rows the liaison holds and watches (docs/people-on-rows.md).
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(assignee=cast.liaison)
    Task.watchers.through.objects.bulk_create(
        Task.watchers.through(task=t, person=cast.liaison) for t in tasks
    )
    ProgressUpdate.objects.bulk_create(
        ProgressUpdate(
            collaboration=collab,
            task=t,
            department=t.department,
            author=cast.liaison,
            created_at=NOW - timedelta(hours=i % 400),
            status=t.status,
            percent=50,
            note="按计划推进",
        )
        for i, t in zip(rows, tasks, strict=True)
    )
    # Sub-goals of every kind, with their SLA requests and recurring checks.
    kinds = [DeadlineKind.FIXED, DeadlineKind.SLA, DeadlineKind.RECURRING]
    SubGoal.objects.bulk_create(
        SubGoal(
            collaboration=collab,
            position=100 + i,
            description=f"子目标{i}",
            department=dept(i),
            target=Decimal(10),
            unit="%",
            deadline_kind=kinds[i % 3],
            deadline_date=AS_OF + timedelta(days=30) if i % 3 == 0 else None,
            sla_hours=Decimal(24) if i % 3 == 1 else None,
            rrule="FREQ=WEEKLY;BYDAY=FR" if i % 3 == 2 else "",
        )
        for i in rows
    )
    requests = SlaRequest.objects.bulk_create(
        SlaRequest(
            collaboration=collab,
            subgoal=cast.subgoals[DeadlineKind.SLA],
            requester=dept(i),
            subject=f"请求{i}",
            started_at=NOW - timedelta(hours=i % 100),
            answered_at=NOW if i % 2 else None,
            created_by=cast.liaison,
        )
        for i in rows
    )
    SlaPause.objects.bulk_create(
        SlaPause(request=r, started_at=r.started_at, ended_at=r.started_at + timedelta(hours=1))
        for r in requests
    )
    SubGoalCheck.objects.bulk_create(
        SubGoalCheck(
            subgoal=cast.subgoals[DeadlineKind.RECURRING],
            due_at=NOW - timedelta(days=400 + i),
            done_at=NOW - timedelta(days=400 + i) if i % 2 else None,
            recorded_by=cast.liaison,
        )
        for i in rows
    )
    # The registers and the change requests.
    IssueEntry.objects.bulk_create(
        IssueEntry(
            collaboration=collab, position=100 + i, title=f"问题{i}", raised_by=dept(i), owner=dept(i + 1)
        )
        for i in rows
    )
    Risk.objects.bulk_create(
        Risk(collaboration=collab, position=100 + i, description=f"风险{i}", owner=dept(i), trigger="触发")
        for i in rows
    )
    Allocation.objects.bulk_create(
        Allocation(
            collaboration=collab,
            position=100 + i,
            resource=f"资源{i}",
            from_department=dept(i),
            to_department=dept(i + 1),
            return_date=AS_OF,
        )
        for i in rows
    )
    Milestone.objects.bulk_create(
        Milestone(collaboration=collab, position=100 + i, name=f"里程碑{i}", due_date=AS_OF) for i in rows
    )
    ChangeRequest.objects.bulk_create(
        ChangeRequest(
            collaboration=collab,
            field=ChangeField.DEADLINE,
            task=t,
            old_value="2024-08-01",
            new_value="2024-08-30",
            reason="原因",
            requested_by=cast.liaison,
            requested_at=_at(i),
            head_department=t.department,
        )
        for i, t in zip(rows, tasks, strict=True)
    )
    WeeklyReport.objects.bulk_create(
        WeeklyReport(
            collaboration=collab,
            iso_year=2000 + i // 50,
            iso_week=1 + i % 50,
            content=cast.report,
            published_at=_at(i),
        )
        for i in rows
    )
    MetricReading.objects.bulk_create(
        MetricReading(metric=m, measured_on=date(2000, 1, 1) + timedelta(days=i), value=Decimal(50))
        for m in Metric.objects.filter(goal__collaboration=collab)
        for i in rows
    )
    # Meetings: ad-hoc ones with attendees, and a kickoff with long agenda, minutes and contributions.
    meetings = Meeting.objects.bulk_create(
        Meeting(
            collaboration=collab,
            kind=MeetingKind.ADHOC,
            title=f"专项会{i}",
            scheduled_at=_at(i, 14),
            chair=cast.initiator,
        )
        for i in rows
    )
    Attendee = Meeting.attendees.through
    Attendee.objects.bulk_create(Attendee(meeting=m, person=p) for m, p in zip(meetings, people, strict=True))
    for held in (cast.kickoff, cast.weekly):
        _grow_meeting(cast, held, rows, people, tasks)
    CommunicationRule.objects.bulk_create(
        CommunicationRule(
            collaboration=collab, position=100 + i, scenario="other", channel="email", owner="人员"
        )
        for i in rows
    )
    # Notifications for both people we sign in as, with deliveries (some failed), and robots.
    robots = Robot.objects.bulk_create(
        Robot(
            collaboration=collab, kind=Transport.WECOM, name=f"群{i}", webhook_url="https://qyapi.example/x"
        )
        for i in rows
    )
    notes = Notification.objects.bulk_create(
        Notification(
            key=f"qc-{who.pk}-{i}",
            kind=Kind.TASK_OVERDUE,
            collaboration=collab,
            recipient=who,
            params={"task": f"任务{i}"},
            created_at=NOW - timedelta(minutes=i),
            read_at=NOW if i % 2 else None,
            planned=True,
        )
        for who in (cast.initiator, cast.liaison)
        for i in rows
    )
    # 我的工作台's unread mentions (docs/people-on-rows.md).
    Notification.objects.bulk_create(
        Notification(
            key=f"qc-mention-{i}",
            kind=Kind.MENTIONED,
            collaboration=collab,
            recipient=cast.liaison,
            params={"collab": "c", "who": "王经理", "target": "任务", "title": f"任务{i}", "excerpt": "请看"},
            created_at=NOW - timedelta(minutes=i),
            planned=True,
        )
        for i in rows
    )
    Delivery.objects.bulk_create(
        Delivery(
            notification=n,
            transport=Transport.WECOM,
            target=f"robot:{r.pk}",
            robot=r,
            state=DeliveryState.FAILED if i % 2 else DeliveryState.SENT,
            last_error="timeout" if i % 2 else "",
        )
        for i, n, r in zip(rows, notes, robots, strict=False)
    )
    # The history and the tokens page.
    AuditEntry.objects.bulk_create(
        AuditEntry(
            collaboration=collab,
            actor=cast.liaison,
            change=Change.UPDATE,
            object_type="task",
            object_id=str(t.pk),
            object_repr=t.description,
            before={"status": "not_started"},
            after={"status": t.status},
        )
        for t in tasks
    )
    ApiToken.objects.bulk_create(
        ApiToken(person=cast.initiator, name=f"令牌{i}", prefix=f"qc{i:06d}", hashed_secret="0" * 64)
        for i in rows
    )


def _grow_meeting(cast: Cast, meeting: Meeting, rows: range, people: list[Person], tasks: list[Task]) -> None:
    """Give a held meeting attendees, agenda, minutes items, contributions and materials."""
    depts = cast.departments

    def dept(i: int) -> Department:
        return depts[i % len(depts)]

    Attendee = Meeting.attendees.through
    Attendee.objects.bulk_create(Attendee(meeting=meeting, person=p) for p in people)
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, position=100 + i, title=f"议程{i}") for i in rows
    )
    MinutesItem.objects.bulk_create(
        MinutesItem(
            meeting=meeting,
            position=100 + i,
            kind=MinutesItemKind.ACTION,
            text=f"行动{i}",
            department=dept(i),
            task=t,
        )
        for i, t in zip(rows, tasks, strict=True)
    )
    Contribution.objects.bulk_create(
        Contribution(
            meeting=meeting,
            position=100 + i,
            kind=ContributionKind.NEED,
            department=dept(i),
            counterpart=dept(i + 1),
            text=f"需要{i}",
            task=t,
        )
        for i, t in zip(rows, tasks, strict=True)
    )
    Material.objects.bulk_create(
        Material(
            meeting=meeting,
            file=f"meetings/qc/{i}.pdf",
            name=f"资料{i}.pdf",
            size=1,
            content_type="application/pdf",
            uploaded_by=cast.initiator,
        )
        for i in rows
    )


# --- what is requested, by whom


@dataclass(frozen=True)
class Target:
    """A page or API list, who requests it, and its URL once the collaboration exists."""

    name: str
    who: str  # "initiator", "liaison" or "admin"
    url: Callable[[Cast], str]


def _site(path: str, who: str = "initiator") -> Target:
    return Target(f"{who}:{path}", who, lambda cast: path)


def _ws(name: str, who: str = "initiator") -> Target:
    return Target(f"{who}:{name}", who, lambda cast: reverse(name, args=[cast.collab.slug]))


def _api(suffix: str) -> Target:
    return Target(
        f"api:{suffix or '/'}",
        "initiator",
        lambda cast: iri_to_uri(f"/api/collaborations/{cast.collab.slug}{suffix}"),
    )


PAGES = (
    *(_site(p) for p in ("/", "/new/", "/overview/", "/calendar/", "/notifications/")),
    *(_site(p) for p in ("/notifications/preferences/", "/api-tokens/", "/import/")),
    _site("/notifications/failed/", "admin"),
    *(_ws(name) for name in (*WORKSPACE_PAGES, *INITIATOR_PAGES, "notify:robots")),
    Target(
        "initiator:tracking:report",
        "initiator",
        lambda c: reverse("tracking:report", args=[c.collab.slug, str(REPORT)]),
    ),
    Target(
        "initiator:meetings:meeting",
        "initiator",
        lambda c: reverse("meetings:meeting", args=[c.collab.slug, c.weekly.pk]),
    ),
    # A liaison sees these too, with their own department's rows to edit.
    *(_site(p, "liaison") for p in ("/", "/notifications/")),
    # 我的任务: the rows the liaison holds and watches (docs/people-on-rows.md).
    *(_site(p, "liaison") for p in ("/my/tasks/", "/my/tasks/?show=watching&due=overdue")),
    *(_ws(name, "liaison") for name in ("collabs:table", "tracking:tracking", "dashboards:dashboard")),
    _ws("collabs:board", "liaison"),
    # The table filtered and sorted, and the board by assignee (docs/board-and-bulk.md).
    Target(
        "liaison:collabs:table:filtered",
        "liaison",
        lambda c: (
            reverse("collabs:table", args=[c.collab.slug]) + "?status=in_progress&overdue=1&sort=deadline"
        ),
    ),
    Target(
        "initiator:collabs:board:assignee",
        "initiator",
        lambda c: reverse("collabs:board", args=[c.collab.slug]) + "?group=assignee",
    ),
)

API_LISTS = (
    *(_site(p) for p in ("/api/collaborations", "/api/notifications", "/api/tokens", "/api/departments")),
    _site("/api/people"),
    *(
        _api(suffix)
        for suffix in (
            "",
            "/findings",
            "/charter",
            "/goal",
            "/metrics",
            "/departments",
            "/tasks",
            "/subgoals",
            "/meetings",
            "/history",
            "/progress",
            "/weekly",
            "/weekly-reports",
            "/change-requests",
            "/scorecards",
            "/issues",
            "/risks",
            "/sla-requests",
            "/occurrences",
            "/compliance",
            "/allocations",
            "/milestones",
            "/robots",
            "/deliveries",
        )
    ),
    Target(
        "api:/meetings/<kickoff>",
        "initiator",
        lambda c: iri_to_uri(f"/api/collaborations/{c.collab.slug}/meetings/{c.kickoff.pk}"),
    ),
    Target(
        "api:/communication/<series>/occurrences",
        "initiator",
        lambda c: iri_to_uri(f"/api/collaborations/{c.collab.slug}/communication/{c.series.pk}/occurrences"),
    ),
)


@dataclass
class Measured:
    url: str
    status: list[int] = field(default_factory=list)
    sql: list[list[str]] = field(default_factory=list)


def _measure(cast: Cast, results: dict[str, Measured], *, warm_up: bool = False) -> None:
    """Request every target cold and note its status and SQL.

    ``warm_up`` first requests each once uncounted: a first visit may write
    once (the calendar page creates the person's feed), which is not an N+1.
    """
    clients: dict[str, Client] = {}
    for target in (*PAGES, *API_LISTS):
        if target.who not in clients:
            clients[target.who] = Client(raise_request_exception=False)
            clients[target.who].force_login(getattr(cast, target.who))
        result = results.setdefault(target.name, Measured(target.url(cast)))
        if warm_up:
            clients[target.who].get(result.url)
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = clients[target.who].get(result.url)
        result.status.append(response.status_code)
        result.sql.append([q["sql"] for q in captured])


def _plain_render(self: Template, context: Context) -> SafeString:
    return self.nodelist.render(context)


@pytest.fixture(scope="module")
def measured(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Measured]]:
    """Grow the demo to 10 and then 1,000 rows of everything; measure each target at both sizes."""
    results: dict[str, Measured] = {}
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=False),
        # The test runner's template instrumentation copies every context for
        # every template rendered; pages of 1,000 rows render them thousands
        # of times. Rendering as in production keeps the module fast.
        mock.patch.object(Template, "_render", _plain_render),
        transaction.atomic(),
    ):
        cast = _cast(load_demo(KICKOFF, today=AS_OF))
        _grow(cast, 0, SMALL)
        _measure(cast, results, warm_up=True)
        _grow(cast, SMALL, LARGE)
        _measure(cast, results)
        yield results
        transaction.set_rollback(True)
    cache.clear()


def _problem(result: Measured) -> str | None:
    """What is wrong with one target's two requests, or None."""
    if result.status != [200, 200]:
        return f"{result.url}: answered {result.status}"
    small, large = result.sql
    if len(small) == len(large):
        return None
    # Name the statements that repeat with the rows: the N+1 to fix.
    extra = sorted({q for q in large if large.count(q) > small.count(q)})
    return (
        f"{result.url}: {len(small)} queries at {SMALL} rows, {len(large)} at {LARGE}; repeated:\n"
        + "\n".join(q[:300] for q in extra[:5])
    )


# One test for every target, so that one worker builds the data once (a
# parametrised test may be spread over the xdist workers, each building it).
def test_every_page_and_api_list_costs_the_same_queries_at_10_and_300_rows(
    measured: dict[str, Measured],
) -> None:
    assert set(measured) == {t.name for t in (*PAGES, *API_LISTS)}
    problems = [p for p in (_problem(r) for r in measured.values()) if p]
    assert not problems, "\n\n".join(problems)
